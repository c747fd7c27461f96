"""Self-training: rounds, stopping, no leakage of held-out rows, uncertainty-driven selection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from labelwise.errors import LabelwiseError
from labelwise.labeling import ABSTAIN
from labelwise.learn import (
    PseudoLabeler,
    PseudoRegressor,
    find_confident_rows,
    find_least_uncertain_rows,
)

# Rows each fit saw, recorded by a real estimator (a LogisticRegression subclass); module
# level because scikit-learn clones estimators (copying their parameters) before fitting.
SEEN: list[np.ndarray] = []


class RecordingLogistic(LogisticRegression):
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> RecordingLogistic:
        SEEN.append(np.asarray(X).copy())
        return super().fit(X, y, sample_weight=sample_weight)


class RecordingLinear(LinearRegression):
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> RecordingLinear:
        SEEN.append(np.asarray(X).copy())
        return super().fit(X, y, sample_weight=sample_weight)


def _rows_in(seen: np.ndarray, rows: np.ndarray) -> int:
    """How many of ``rows`` appear (exactly) among the ``seen`` rows."""
    seen_set = {tuple(np.round(r, 10)) for r in seen}
    return sum(tuple(np.round(r, 10)) in seen_set for r in rows)


def test_find_confident_rows_threshold_and_top_k() -> None:
    p = np.array([[0.99, 0.01], [0.95, 0.05], [0.6, 0.4], [0.1, 0.9], [0.3, 0.7]])
    assert find_confident_rows(p, threshold=0.9).tolist() == [0, 1, 3]
    assert find_confident_rows(p, threshold=None, top_k=1).tolist() == [0, 3]
    assert find_confident_rows(p, threshold=0.92, top_k=5).tolist() == [0, 1]
    with pytest.raises(LabelwiseError, match="threshold, top_k"):
        find_confident_rows(p, threshold=None, top_k=None)
    assert find_least_uncertain_rows(
        np.array([3.0, 1.0, 2.0]), n=2, max_uncertainty=1.5
    ).tolist() == [1]


def test_rounds_log_and_growth(blobs: Any) -> None:
    pl = PseudoLabeler(LogisticRegression(max_iter=500), threshold=0.9, seed=0)
    pl.fit(blobs.X, blobs.y)
    rounds = pl.report_frame()
    assert rounds["round"].tolist() == list(range(len(rounds)))
    assert rounds.loc[0, "n_added"] == 0
    assert rounds["n_pseudo"].is_monotonic_increasing
    assert rounds["n_added"].iloc[1:].sum() == pl.n_pseudo_
    assert rounds["train_size"].iloc[-1] == pl.n_train_ + pl.n_pseudo_
    assert rounds["accuracy"].notna().all() and rounds["accuracy"].iloc[-1] > 0.9
    assert pl.stop_reason_ in (
        "every unlabeled row is pseudo-labeled",
        "no unlabeled row passed the threshold",
        "max_rounds reached",
    )
    added = pl.pseudo_labels_ != ABSTAIN
    assert np.mean(pl.pseudo_labels_[added] == blobs.y_true[added]) > 0.95


def test_held_out_rows_never_enter_training(blobs: Any) -> None:
    SEEN.clear()
    pl = PseudoLabeler(RecordingLogistic(max_iter=500), threshold=0.8, holdout=0.5, seed=0)
    pl.fit(blobs.X, blobs.y)
    eval_rows = pl.prep_.transform(blobs.X.iloc[pl.eval_index_])
    assert len(pl.eval_index_) == 12  # half of 8 labeled rows in each of 3 classes
    assert len(SEEN) == len(pl.rounds_)  # one fit per logged round
    for seen in SEEN:
        assert _rows_in(seen, eval_rows) == 0
    assert np.all(pl.pseudo_labels_[pl.eval_index_] == ABSTAIN)


def test_holdout_mask_is_respected(blobs: Any) -> None:
    mask = np.zeros(len(blobs.y), dtype=bool)
    mask[np.flatnonzero(blobs.labeled)[:6]] = True
    mask[np.flatnonzero(~blobs.labeled)[:50]] = True  # unlabeled rows in the mask are ignored
    SEEN.clear()
    pl = PseudoLabeler(RecordingLogistic(max_iter=500), holdout=mask, seed=0).fit(blobs.X, blobs.y)
    assert pl.eval_index_.tolist() == np.flatnonzero(blobs.labeled)[:6].tolist()
    held = pl.prep_.transform(blobs.X.iloc[pl.eval_index_])
    assert all(_rows_in(s, held) == 0 for s in SEEN)


def test_top_k_limits_rows_per_class_per_round(blobs: Any) -> None:
    pl = PseudoLabeler(threshold=None, top_k=5, max_rounds=3, holdout=0.0, seed=0)
    pl.fit(blobs.X, blobs.y)
    for entry in pl.rounds_[1:]:
        assert entry["n_added"] <= 15
        assert all(v <= 5 for v in entry["added_per_class"].values())
    assert pl.n_pseudo_ == 45
    assert np.isnan(pl.rounds_[0]["accuracy"])  # no held-out rows, no score


def test_relabel_stops_when_nothing_changes(blobs: Any) -> None:
    pl = PseudoLabeler(threshold=0.9, relabel=True, max_rounds=20, seed=0).fit(blobs.X, blobs.y)
    assert pl.stop_reason_ in ("pseudo-labels unchanged", "every unlabeled row is pseudo-labeled")
    assert len(pl.rounds_) < 21


def test_unreachable_threshold_stops_at_once(blob_factory: Any) -> None:
    b = blob_factory(spread=4.0, seed=5)
    pl = PseudoLabeler(threshold=0.99999, seed=0).fit(b.X, b.y)
    assert pl.stop_reason_ == "no unlabeled row passed the threshold"
    assert pl.n_pseudo_ == 0
    result = pl.fit_label(b.X, b.y)
    assert np.all(result.votes == ABSTAIN)  # min_confidence defaults to the threshold


def test_all_rows_labeled_warns_and_returns(blobs: Any) -> None:
    with pytest.warns(UserWarning, match="nothing to pseudo-label"):
        pl = PseudoLabeler(seed=0).fit(blobs.X, blobs.y_true)
    assert pl.n_pseudo_ == 0 and pl.stop_reason_ == "no unlabeled rows"
    with pytest.warns(UserWarning, match="nothing to pseudo-label"):
        PseudoRegressor(LinearRegression(), seed=0).fit(blobs.X, blobs.y_true.astype(float))


def test_estimator_without_predict_proba_is_refused(blobs: Any) -> None:
    with pytest.raises(LabelwiseError, match="no predict_proba"):
        PseudoLabeler(LinearRegression()).fit(blobs.X, blobs.y)


def test_class_without_training_rows_is_refused(blobs: Any) -> None:
    y = blobs.y.copy()
    only = np.flatnonzero(y == 2)
    y[only[1:]] = -1  # one labeled row of class 2, which the holdout mask takes away
    mask = np.zeros(len(y), dtype=bool)
    mask[only[0]] = True
    with pytest.raises(LabelwiseError, match=r"classes \['2'\] have no labeled training rows"):
        PseudoLabeler(holdout=mask).fit(blobs.X, y)


def test_crossfit_labeled_rows(blobs: Any) -> None:
    y = blobs.y.copy()
    lab = np.flatnonzero(blobs.labeled)
    y[lab[0]] = (blobs.y_true[lab[0]] + 1) % 3
    result = PseudoLabeler(threshold=0.9, labeled_rows="crossfit", cv=3, seed=0).fit_label(
        blobs.X, y
    )
    assert result.votes[lab[0]] == blobs.y_true[lab[0]]


def test_report_html(blobs: Any, test_output: Path) -> None:
    pl = PseudoLabeler(threshold=0.9, seed=0).fit(blobs.X, blobs.y)
    path = test_output / "learn_pseudo_report.html"
    r = pl.report(path)
    html = path.read_text()
    assert r.section_titles == ["Rounds"]
    assert "data:image/png;base64" in html and "held-out labeled rows" in html


# ---------------------------------------------------------------------- regression
def _heteroscedastic(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x < 0: y = 2x exactly; x > 0: y = 2x + large noise. Unlabeled on both sides."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-5, 5, 600)
    noise = np.where(x > 0, rng.normal(0, 6.0, 600), 0.0)
    y_true = 2 * x + noise
    labeled = rng.random(600) < 0.3
    return x.reshape(-1, 1), y_true, np.where(labeled, y_true, np.nan), labeled


@pytest.mark.parametrize("method", ["ensemble", "quantile"])
def test_regression_selects_by_uncertainty_not_at_random(method: str) -> None:
    from sklearn.ensemble import RandomForestRegressor

    X, _, y, _ = _heteroscedastic()
    est = RandomForestRegressor(n_estimators=30, min_samples_leaf=3, random_state=0)
    pr = PseudoRegressor(est, uncertainty=method, per_round=0.2, max_rounds=1, n_members=4, seed=0)
    pr.fit(X, y)
    added = ~np.isnan(pr.pseudo_targets_)
    assert pr.rounds_[1]["n_added"] == added.sum() > 0
    # the quiet side (x < 0) must dominate what was added; random picks would give ~50%
    assert np.mean(X[added, 0] < 0) > 0.8


def test_regression_holdout_never_trained_on() -> None:
    X, _, y, _ = _heteroscedastic(1)
    SEEN.clear()
    pr = PseudoRegressor(RecordingLinear(), holdout=0.25, max_rounds=2, n_members=2, seed=0)
    pr.fit(X, y)
    held = pr.prep_.transform(X[pr.eval_index_])
    assert len(pr.eval_index_) > 0
    assert all(_rows_in(s, held) == 0 for s in SEEN)
    assert np.isnan(pr.pseudo_targets_[pr.eval_index_]).all()
    assert pr.rounds_[-1]["r2"] > 0.3
    r = pr.report()
    assert "Rounds" in r.section_titles


def test_regression_bad_settings() -> None:
    X, _, y, _ = _heteroscedastic()
    with pytest.raises(LabelwiseError, match="uncertainty='bogus'"):
        PseudoRegressor(LinearRegression(), uncertainty="bogus").fit(X, y)  # type: ignore[arg-type]
    with pytest.raises(LabelwiseError, match="n_members=1"):
        PseudoRegressor(LinearRegression(), n_members=1).fit(X, y)
    few = np.full(len(y), np.nan)
    few[:2] = 1.0
    with pytest.raises(LabelwiseError, match="only 2 labeled rows"):
        PseudoRegressor(LinearRegression()).fit(X, few)
    with pytest.raises(LabelwiseError, match="holdout=1.5"):
        PseudoRegressor(LinearRegression(), holdout=1.5).fit(X, y)
