"""Confident learning: planted label errors are ranked first."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from labelwise.errors import DataError, LabelwiseError
from labelwise.labeling import ABSTAIN
from labelwise.learn import (
    LabelIssueFinder,
    confident_joint,
    estimate_noise_matrix,
    find_label_issues,
    label_quality_scores,
    out_of_fold_proba,
)


def _planted(
    blob_factory: Any, *, share: float = 0.05, seed: int = 0
) -> tuple[Any, np.ndarray, np.ndarray]:
    b = blob_factory(n_per_class=200, spread=1.2, seed=seed)
    rng = np.random.default_rng(seed)
    y = b.y_true.copy()
    wrong = rng.choice(len(y), int(share * len(y)), replace=False)
    y[wrong] = (y[wrong] + rng.integers(1, 3, len(wrong))) % 3
    return b, y, np.sort(wrong)


def test_confident_joint_by_hand() -> None:
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    P = np.array(
        [
            [0.9, 0.1],
            [0.8, 0.2],
            [0.85, 0.15],
            [0.1, 0.9],
            [0.2, 0.8],
            [0.1, 0.9],
            [0.15, 0.85],
            [0.6, 0.4],
        ]
    )
    # t0 = mean(.9, .8, .85, .1) = .6625; t1 = mean(.8, .9, .85, .4) = .7375
    C = confident_joint(y, P, calibrate=False)
    assert C.tolist() == [[3.0, 1.0], [0.0, 3.0]]  # row 7 (p1 = .4) passes no threshold
    assert confident_joint(y, P).sum(axis=1).tolist() == [4.0, 4.0]
    N = estimate_noise_matrix(y, P)
    assert np.allclose(N.sum(axis=0), 1.0)
    assert find_label_issues(y, P).tolist() == [3]


def test_quality_scores() -> None:
    y = np.array([0, 1, ABSTAIN])
    P = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.3, 0.3, 0.4]])
    sc = label_quality_scores(y, P)
    assert sc[:2].tolist() == [0.7, 0.3] and np.isnan(sc[2])
    nm = label_quality_scores(y, P, method="normalized_margin")
    assert nm[:2] == pytest.approx([(0.7 - 0.2 + 1) / 2, (0.3 - 0.5 + 1) / 2])
    with pytest.raises(LabelwiseError, match="method='entropy'"):
        label_quality_scores(y, P, method="entropy")  # type: ignore[arg-type]


@pytest.mark.parametrize("filter_by", ["both", "prune_by_noise_rate", "confident_joint"])
@pytest.mark.parametrize("rank_by", ["self_confidence", "normalized_margin"])
def test_planted_errors_are_ranked_first(blob_factory: Any, filter_by: str, rank_by: str) -> None:
    b, y, wrong = _planted(blob_factory)
    P = out_of_fold_proba(b.X, y, seed=0)
    issues = find_label_issues(y, P, filter_by=filter_by, rank_by=rank_by)  # type: ignore[arg-type]
    top = issues[: len(wrong)]
    precision = np.isin(top, wrong).mean()
    recall = np.isin(wrong, issues).mean()
    assert precision >= 0.9, f"{filter_by}/{rank_by}: top-{len(wrong)} precision {precision:.2f}"
    # pruning by noise rate (the default) finds nearly all; requiring a row to pass a class
    # threshold itself misses some whose model confidence the noise pulled down
    min_recall = 0.9 if filter_by == "prune_by_noise_rate" else 0.75
    assert recall >= min_recall, f"{filter_by}/{rank_by}: recall {recall:.2f}"
    # and the ranking puts planted errors before the (few) false alarms
    scores = label_quality_scores(y, P, method=rank_by)  # type: ignore[arg-type]
    assert np.all(np.diff(scores[issues]) >= -1e-12)


def test_label_issue_finder_with_forest_and_frame(blob_factory: Any) -> None:
    b, y, wrong = _planted(blob_factory, seed=1)
    names = np.array(["ant", "bee", "cat"], dtype=object)
    finder = LabelIssueFinder(RandomForestClassifier(n_estimators=50, random_state=0), seed=0)
    finder.fit(b.X, names[y])
    assert finder.proba_.shape == (len(y), 3)
    assert np.isin(finder.issues_[: len(wrong)], wrong).mean() >= 0.85
    frame = finder.issues_frame()
    assert list(frame.columns) == [
        "row",
        "given_label",
        "suggested_label",
        "label_quality",
        "suggested_proba",
    ]
    first = frame.iloc[0]
    assert first["given_label"] == names[y[first["row"]]]
    assert first["suggested_label"] == names[b.y_true[first["row"]]]
    # noise matrix: roughly 5% off the diagonal per class
    off = 1 - np.diag(finder.noise_matrix_)
    assert np.all(off < 0.15)


def test_unlabeled_rows_are_skipped(blob_factory: Any) -> None:
    b, y, wrong = _planted(blob_factory)
    y = y.copy()
    y[wrong[:5]] = ABSTAIN
    P = out_of_fold_proba(b.X, y, seed=0)
    assert np.isnan(P[wrong[:5]]).all()
    issues = find_label_issues(y, np.nan_to_num(P))
    assert not np.isin(wrong[:5], issues).any()


def test_aggregated_labels_from_a_label_model(blob_factory: Any) -> None:
    """Labels aggregated from noisy rules can be checked the same way."""
    from labelwise.models.majority import MajorityVote

    b = blob_factory(n_per_class=200, spread=1.2, seed=4)
    rng = np.random.default_rng(4)
    n = len(b.y_true)
    L = np.column_stack(
        [np.where(rng.random(n) < 0.85, b.y_true, rng.integers(0, 3, n)) for _ in range(3)]
    )
    agg = MajorityVote(cardinality=3, tie_policy="random", seed=0).fit(L).predict(L)
    wrong = np.flatnonzero(agg != b.y_true)
    issues = LabelIssueFinder(seed=0).fit(b.X, agg).issues_
    assert np.isin(issues[: len(wrong)], wrong).mean() > 0.8


def test_bad_input() -> None:
    with pytest.raises(LabelwiseError, match="one label per row"):
        find_label_issues(np.array([0, 1]), np.array([[0.5, 0.5]]))
    with pytest.raises(LabelwiseError, match="integer classes"):
        find_label_issues(np.array(["a", "b"]), np.array([[0.5, 0.5], [0.5, 0.5]]))
    with pytest.raises(LabelwiseError, match="outside|lie in"):
        find_label_issues(np.array([0, 3]), np.array([[0.5, 0.5], [0.5, 0.5]]))
    with pytest.raises(LabelwiseError, match="filter_by='magic'"):
        find_label_issues(np.array([0, 1]), np.eye(2), filter_by="magic")  # type: ignore[arg-type]
    X = np.arange(10.0).reshape(-1, 1)
    with pytest.raises(DataError, match=r"classes \['1'\] have a single labeled row"):
        out_of_fold_proba(X, [0] * 9 + [1])
