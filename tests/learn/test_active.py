"""Active learning scores and batch selection."""

from __future__ import annotations

import numpy as np
import pytest

from labelwise.errors import LabelwiseError
from labelwise.learn import (
    disagreement_scores,
    find_next_items,
    k_center_greedy,
    uncertainty_scores,
)


def test_uncertainty_formulas() -> None:
    p = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.4, 0.1]])
    lc = uncertainty_scores(p, method="least_confidence")
    assert lc == pytest.approx([0.0, 1.0, 0.75])
    margin = uncertainty_scores(p, method="margin")
    assert margin == pytest.approx([0.0, 1.0, 0.9])
    ent = uncertainty_scores(p, method="entropy")
    h = -(0.5 * np.log(0.5) + 0.4 * np.log(0.4) + 0.1 * np.log(0.1)) / np.log(3)
    assert ent == pytest.approx([0.0, 1.0, h])
    with pytest.raises(LabelwiseError, match="method='random'"):
        uncertainty_scores(p, method="random")  # type: ignore[arg-type]
    with pytest.raises(LabelwiseError, match=r"shape \(n, k\)"):
        uncertainty_scores(np.array([0.5, 0.5]))
    with pytest.raises(LabelwiseError, match="NaN or negative"):
        uncertainty_scores(np.array([[np.nan, 1.0]]))


def test_disagreement_between_label_model_and_classifier() -> None:
    label_model = np.array([[0.9, 0.1], [0.9, 0.1], [0.5, 0.5], [0.2, 0.8]])
    classifier = np.array([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5], [0.3, 0.7]])
    js = disagreement_scores(label_model, classifier)
    assert js[0] == pytest.approx(0.0) and js[2] == pytest.approx(0.0)
    assert js[1] > js[3] > 0
    assert 0 <= js.max() <= 1
    vote = disagreement_scores(label_model, classifier, method="vote")
    assert vote[1] >= 0.5 > vote[3]
    ranked = find_next_items(vote, batch_size=1)
    assert ranked.tolist() == [1]
    with pytest.raises(LabelwiseError, match="same shape"):
        disagreement_scores(label_model, classifier[:2])


def test_k_center_greedy_covers_every_cluster() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [20, 0], [0, 20], [20, 20]], dtype=float)
    X = np.vstack([rng.normal(c, 1.0, size=(50, 2)) for c in centres])
    picked = k_center_greedy(X, 4, seed=0)
    assert sorted(set(picked // 50)) == [0, 1, 2, 3]
    # with cluster 0 already covered, the batch goes elsewhere first
    more = k_center_greedy(X, 3, already_selected=np.arange(50))
    assert sorted(set(more // 50)) == [1, 2, 3]
    with pytest.raises(LabelwiseError, match="batch_size=500 is larger than the 200"):
        k_center_greedy(X, 500)


def test_find_next_items_with_and_without_diversity() -> None:
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal([0, 0], 0.3, (40, 2)), rng.normal([5, 5], 0.3, (40, 2))])
    scores = np.r_[rng.uniform(0.9, 1.0, 40), rng.uniform(0.6, 0.8, 40)]
    labeled = np.zeros(80, dtype=bool)
    labeled[[0, 1, 2]] = True
    plain = find_next_items(scores, batch_size=6, labeled=labeled)
    assert not np.isin(plain, [0, 1, 2]).any()
    assert np.all(plain < 40)  # pure score: all from the uncertain blob
    assert np.all(np.diff(scores[plain]) <= 0)
    diverse = find_next_items(
        scores, batch_size=6, labeled=labeled, features=X, diversity=True, pool_factor=10
    )
    assert not np.isin(diverse, [0, 1, 2]).any()
    assert (diverse >= 40).any() and (diverse < 40).any()  # spread over both blobs
    assert len(set(diverse.tolist())) == 6


def test_find_next_items_bad_input() -> None:
    with pytest.raises(LabelwiseError, match="batch_size=5 is larger than the 2 unlabeled"):
        find_next_items(np.ones(4), batch_size=5, labeled=[0, 1])
    with pytest.raises(LabelwiseError, match="diversity=True needs features"):
        find_next_items(np.ones(4), batch_size=2, diversity=True)
    with pytest.raises(LabelwiseError, match="NaN"):
        find_next_items(np.array([0.1, np.nan]), batch_size=1)
    with pytest.raises(LabelwiseError, match="labeled mask has 3 entries for 4"):
        find_next_items(np.ones(4), batch_size=1, labeled=np.zeros(3, dtype=bool))
