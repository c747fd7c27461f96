"""Agreement metrics against published worked examples and scikit-learn; reliability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from labelwise.errors import LabelwiseError
from labelwise.labeling import ABSTAIN, LabelMatrix
from labelwise.learn import (
    agreement_report,
    annotator_reliability,
    cohens_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_kappa,
    rating_counts,
)

NAN = np.nan
# The reliability data of Krippendorff's "Computing Krippendorff's Alpha-Reliability"
# (2011): 4 observers, 12 units, values 1-5, NaN = not coded. Published results:
# nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
KRIPP = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
).T

# Fleiss (1971) worked example as reproduced in many textbooks: 10 subjects, 14 raters,
# 5 categories; kappa = 0.210.
FLEISS = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_alpha_published_example(level: str, expected: float) -> None:
    assert krippendorff_alpha(KRIPP, level=level) == pytest.approx(expected, abs=5e-4)  # type: ignore[arg-type]


def test_krippendorff_integer_input_treats_minus_one_as_missing() -> None:
    ints = np.where(np.isnan(KRIPP), -1, KRIPP - 1).astype(int)  # classes 0..4
    assert krippendorff_alpha(ints) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(LabelMatrix(ints, cardinality=5)) == pytest.approx(0.743, abs=5e-4)
    assert np.isnan(krippendorff_alpha(np.array([[0, -1], [-1, 0]])))
    with pytest.raises(LabelwiseError, match="level='fuzzy'"):
        krippendorff_alpha(ints, level="fuzzy")  # type: ignore[arg-type]


def test_fleiss_kappa_published_example() -> None:
    assert fleiss_kappa(counts=FLEISS) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_from_votes_equals_from_counts() -> None:
    rng = np.random.default_rng(0)
    L = rng.integers(0, 3, size=(50, 4))
    assert fleiss_kappa(L) == pytest.approx(fleiss_kappa(counts=rating_counts(L)))
    perfect = np.repeat(rng.integers(0, 3, size=(50, 1)), 4, axis=1)
    assert fleiss_kappa(perfect) == pytest.approx(1.0)
    with pytest.raises(LabelwiseError, match="either the votes L or the rating counts"):
        fleiss_kappa()


def test_fleiss_with_missing_ratings_skips_thin_items() -> None:
    L = np.array([[0, 0, -1], [1, 1, 1], [0, -1, -1], [1, 0, -1]])
    assert rating_counts(L).tolist() == [[2, 0], [0, 3], [1, 0], [1, 1]]
    # item 2 has one rating and is skipped; per-item agreement 1, 1, 0 -> mean 2/3;
    # class shares over the kept ratings 3/7 and 4/7 -> chance 25/49; kappa = 23/72
    assert fleiss_kappa(L) == pytest.approx(23 / 72)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohens_kappa_matches_scikit_learn(weights: str | None) -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 4, 80)
    b = np.where(rng.random(80) < 0.6, a, rng.integers(0, 4, 80))
    ours = cohens_kappa(a, b, weights=weights)  # type: ignore[arg-type]
    assert ours == pytest.approx(cohen_kappa_score(a, b, weights=weights))


def test_cohens_kappa_uses_shared_items_only() -> None:
    a = np.array([0, 1, 1, ABSTAIN, 0])
    b = np.array([0, 1, ABSTAIN, 1, 1])
    assert cohens_kappa(a, b) == pytest.approx(cohen_kappa_score([0, 1, 0], [0, 1, 1]))
    assert np.isnan(cohens_kappa([0, -1], [-1, 0]))
    with pytest.raises(LabelwiseError, match="a has 2 items but b has 3"):
        cohens_kappa([0, 1], [0, 1, 1])


def test_pairwise_kappa_matrix() -> None:
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 2, 100)
    L = np.column_stack([truth, truth, rng.integers(0, 2, 100)])
    K = pairwise_kappa(L)
    assert K.shape == (3, 3) and np.allclose(K, K.T)
    assert K[0, 1] == pytest.approx(1.0)
    assert abs(K[0, 2]) < 0.3


def _simulated_annotators(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[float]]:
    rng = np.random.default_rng(seed)
    n, k = 400, 3
    truth = rng.integers(0, k, n)
    accs = [0.95, 0.9, 0.85, 0.5]
    cols = []
    for acc in accs:
        wrong = (truth + rng.integers(1, k, n)) % k
        v = np.where(rng.random(n) < acc, truth, wrong)
        v[rng.random(n) < 0.3] = ABSTAIN  # each annotator skips 30% of items
        cols.append(v)
    return np.column_stack(cols), truth, accs


def test_annotator_reliability_ranks_the_sloppy_annotator_last() -> None:
    L, truth, accs = _simulated_annotators()
    rel = annotator_reliability(L, names=["ann", "bob", "cyd", "dee"])
    assert int(np.argmin(rel.accuracy)) == 3
    assert np.allclose(rel.accuracy, accs, atol=0.06)
    assert rel.confusion.shape == (4, 3, 3)
    assert np.allclose(rel.confusion.sum(axis=2), 1.0)
    voted = rel.consensus != ABSTAIN
    assert np.mean(rel.consensus[voted] == truth[voted]) > 0.9
    frame = rel.to_frame()
    assert frame["annotator"].iloc[0] == "dee"
    assert frame["n_labeled"].between(240, 320).all()


def test_annotator_reliability_bad_input() -> None:
    with pytest.raises(LabelwiseError, match="only ABSTAIN"):
        annotator_reliability(np.full((3, 2), -1))
    with pytest.raises(LabelwiseError, match="1 names for 2 annotator columns"):
        annotator_reliability(np.zeros((3, 2), dtype=int), names=["x"])


def test_agreement_report(test_output: Path) -> None:
    L, _, _ = _simulated_annotators(1)
    path = test_output / "learn_agreement_report.html"
    r = agreement_report(L, names=["ann", "bob", "cyd", "dee"], path=path)
    html = path.read_text()
    assert r.section_titles[0] == "Overall agreement"
    assert "data:image/png;base64" in html
    assert "dee: estimated accuracy" in html  # the sloppy annotator is called out
