"""Pure functions behind the scoring labelers: softmax, thresholds, vote columns."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelwise.errors import LabelwiseError
from labelwise.labeling import ABSTAIN, LabelSpace, Votes
from labelwise.labeling.scoring import softmax, threshold_for_accuracy, votes_from_proba


def test_softmax_rows_sum_to_one_and_temperature_sharpens():
    s = np.array([[0.30, 0.20], [0.0, 0.0]])
    warm, cold = softmax(s, temperature=1.0), softmax(s, temperature=0.05)
    np.testing.assert_allclose(warm.sum(axis=1), 1.0)
    assert cold[0, 0] > warm[0, 0] > 0.5
    np.testing.assert_allclose(cold[1], [0.5, 0.5])
    with pytest.raises(LabelwiseError, match="temperature"):
        softmax(s, temperature=0)


def test_votes_from_proba_thresholds_and_class_mapping():
    proba = np.array([[0.9, 0.1], [0.55, 0.45], [0.2, 0.8], [0.5, 0.5]])
    v, c = votes_from_proba(proba, min_confidence=0.6)
    assert v.tolist() == [0, ABSTAIN, 1, ABSTAIN]
    np.testing.assert_allclose(c, [0.9, 0.55, 0.8, 0.5])
    v, _ = votes_from_proba(proba, min_margin=0.2, classes=np.array([2, 5]))
    assert v.tolist() == [2, ABSTAIN, 5, ABSTAIN]
    v, c = votes_from_proba(proba, valid=np.array([True, True, False, True]))
    assert v[2] == ABSTAIN and c[2] == 0
    with pytest.raises(LabelwiseError, match="shape"):
        votes_from_proba(np.zeros(3))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=40),
    st.floats(0.5, 1.0),
    st.integers(0, 2**16),
)
def test_threshold_for_accuracy_reaches_target_when_finite(conf, target, seed):
    rng = np.random.default_rng(seed)
    conf_arr = np.round(np.asarray(conf), 2)
    pred = rng.integers(0, 2, size=len(conf))
    y = np.where(rng.random(len(conf)) < 0.7, pred, 1 - pred)
    t = threshold_for_accuracy(conf_arr, pred, y, target=target)
    if np.isfinite(t):
        kept = conf_arr >= t
        assert kept.any()
        assert (pred[kept] == y[kept]).mean() >= target - 1e-12
    else:
        # No cut reaches the target: in particular not the single most confident group.
        top = conf_arr == conf_arr.max()
        assert (pred[top] == y[top]).mean() < target


def test_threshold_for_accuracy_examples_and_errors():
    conf = np.array([0.95, 0.9, 0.8, 0.7, 0.6])
    pred = np.array([1, 1, 0, 1, 0])
    y = np.array([1, 1, 0, 0, 1])
    assert threshold_for_accuracy(conf, pred, y, target=1.0) == 0.8
    assert threshold_for_accuracy(conf, pred, y, target=0.75) == 0.7
    assert threshold_for_accuracy(conf, pred, y, target=1.0, min_coverage=0.8) == float("inf")
    with pytest.raises(LabelwiseError, match="no gold labels"):
        threshold_for_accuracy(conf, pred, np.full(5, ABSTAIN))
    with pytest.raises(LabelwiseError, match="one length"):
        threshold_for_accuracy(conf, pred[:3], y)


def test_scored_votes_to_label_matrix_and_frame():
    space = LabelSpace(["ham", "spam"])
    sv = Votes(
        "zs",
        np.array([1, ABSTAIN, 0]),
        confidence=np.array([0.9, 0.4, 0.8], dtype=np.float32),
        proba=np.array([[0.1, 0.9], [0.6, 0.4], [0.8, 0.2]]),
        label_space=space,
        provenance={"kind": "test"},
    )
    L = sv.to_label_matrix()
    assert L.names == ["zs"] and L.values.ravel().tolist() == [1, -1, 0]
    assert L.provenance["zs"]["kind"] == "test" and L.provenance["zs"]["coverage"] == pytest.approx(
        2 / 3, abs=1e-3
    )
    assert L.label_space == space
    df = sv.to_frame()
    assert df["label"].iloc[[0, 2]].tolist() == ["spam", "ham"] and df["label"].isna().iloc[1]
    assert df["vote"].tolist() == [1, -1, 0]
    assert sv.coverage == pytest.approx(2 / 3)


def test_deprecated_scored_votes_builds_votes():
    from labelwise.embed import ScoredVotes

    with pytest.warns(DeprecationWarning, match="ScoredVotes"):
        sv = ScoredVotes(
            "zs",
            np.array([1, ABSTAIN]),
            np.array([0.9, 0.4], dtype=np.float32),
            np.array([[0.1, 0.9], [0.6, 0.4]]),
            2,
            provenance={"kind": "test"},
        )
    assert isinstance(sv, Votes) and isinstance(sv, ScoredVotes)
    assert sv.k == 2 and sv.votes.tolist() == [1, -1] and sv.proba is not None
