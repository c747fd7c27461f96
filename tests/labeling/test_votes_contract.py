"""The producer contract: Votes, BaseLabeler, the conformance checks and the fault record."""

from __future__ import annotations

import numpy as np
import pytest

from labelwise.errors import LabelwiseError, NotFittedError
from labelwise.faults import BatchSummary, FaultLog, call_safely
from labelwise.labeling import (
    ABSTAIN,
    BaseLabeler,
    LabelMatrix,
    LabelSpace,
    LFApplier,
    Votes,
    hstack,
)
from labelwise.labeling.conformance import ConformanceError, check_labeler

SPACE = LabelSpace(["short", "long"])


class LengthLabeler(BaseLabeler):
    """Learns a length cut from gold; faults on non-strings."""

    def __init__(self, name: str = "length") -> None:
        self.name = name

    def fit(self, items, y=None):
        lengths = np.array([len(t) for t in items])
        y = np.asarray(y)
        self.cut_ = (lengths[y == 0].max() + lengths[y == 1].min()) / 2
        self._fitted = True
        return self

    def label(self, items) -> Votes:
        self.check_fitted()
        faults = FaultLog()
        votes = []
        for i, t in enumerate(items):
            ok, n = call_safely(len, t, item=i, faults=faults, source=self.name)
            votes.append(ABSTAIN if not ok else int(n > self.cut_))
        return Votes(
            self.name, votes, label_space=SPACE, provenance={"kind": "test"}, faults=faults
        )


class SilentlyUnfitted(LengthLabeler):
    def label(self, items) -> Votes:  # forgets check_fitted
        return Votes(
            self.name, [ABSTAIN] * len(items), label_space=SPACE, provenance={"kind": "test"}
        )


ITEMS = ["a", "abcdefgh", "ab", "abcdefghijk", 7]
Y = [0, 1, 0, 1, 0]


def test_conformance_passes_for_a_good_labeler():
    assert "not_fitted" in check_labeler(LengthLabeler(), ITEMS[:4], Y[:4])


def test_conformance_catches_a_labeler_that_labels_before_fit():
    with pytest.raises(ConformanceError, match="not_fitted"):
        check_labeler(SilentlyUnfitted(), ITEMS[:4], Y[:4])


def test_faulted_item_abstains_and_is_recorded():
    lab = LengthLabeler().fit(ITEMS[:4], Y[:4])
    v = lab.label(ITEMS)
    assert v.votes.tolist() == [0, 1, 0, 1, ABSTAIN]
    assert v.n_faults == 1 and v.faults[0].item == 4 and v.faults[0].error == "TypeError"
    L = LabelMatrix.from_votes([v])
    assert L.provenance["length"]["faults"] == 1
    assert "TypeError" in L.provenance["length"]["first_fault"]


def test_not_fitted_error_is_one_class():
    from labelwise.models.base import NotFittedError as ModelNotFitted

    assert ModelNotFitted is NotFittedError
    with pytest.raises(NotFittedError, match="fit"):
        LengthLabeler().label(["a"])


def test_votes_validation_names_the_labeler():
    with pytest.raises(LabelwiseError, match="'x'.*-1..1"):
        Votes("x", [0, 2], label_space=SPACE)
    with pytest.raises(LabelwiseError, match="proba of 'x'"):
        Votes("x", [0, 1], label_space=SPACE, proba=np.ones((2, 3)))
    with pytest.raises(LabelwiseError, match="whole numbers"):
        Votes("x", [0.5, 1.0])


def test_from_votes_and_hstack_keep_order_and_space():
    a = Votes("a", [0, -1], label_space=SPACE)
    b = Votes("b", [1, 1], label_space=SPACE)
    L = LabelMatrix.from_votes([a, b], index=["u", "v"])
    assert L.values.tolist() == [[0, 1], [-1, 1]] and L.index == ["u", "v"]
    assert L.label_space == SPACE
    both = hstack([L, Votes("c", [-1, 0], label_space=SPACE)])
    assert both.names == ["a", "b", "c"]
    with pytest.raises(LabelwiseError, match="same items"):
        LabelMatrix.from_votes([a, Votes("d", [0], label_space=SPACE)])
    with pytest.raises(LabelwiseError, match="one label space"):
        LabelMatrix.from_votes([a, Votes("e", [0, 1], label_space=LabelSpace(["x", "y"]))])


def test_as_lf_runs_in_an_applier_beside_rules():
    import pandas as pd

    lab = LengthLabeler().fit(ITEMS[:4], Y[:4])
    df = pd.DataFrame({"text": ["a", "abcdefghij"]})
    L = LFApplier([lab.as_lf("text")], cardinality=2).apply(df)
    assert L["length"].tolist() == [0, 1]


def test_with_min_confidence_moves_the_threshold_both_ways():
    v = Votes("z", [0, -1], label_space=SPACE, confidence=[0.9, 0.4], candidates=[0, 1])
    assert v.with_min_confidence(0.3).votes.tolist() == [0, 1]
    assert v.with_min_confidence(0.95).votes.tolist() == [-1, -1]
    with pytest.raises(LabelwiseError, match="no confidence"):
        Votes("y", [0]).with_min_confidence(0.5)


def test_batch_summary_counts_must_add_up_and_exit_codes():
    with pytest.raises(ValueError, match="do not add up"):
        BatchSummary(total=3, done=1, failed=1)
    log = FaultLog()
    log.error("a.wav", "decode", "not an audio file")
    s = BatchSummary(total=2, done=1, failed=1, faults=log, what="files")
    assert s.exit_code() == 3 and s.exit_code(allow_failures=1) == 0
    assert "a.wav" in s.render() and "1 failed" in s.render()
    assert BatchSummary(total=2, done=1, interrupted=True).exit_code() == 130


def test_call_safely_never_swallows_ctrl_c():
    def boom():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        call_safely(boom, item=0, faults=FaultLog())
