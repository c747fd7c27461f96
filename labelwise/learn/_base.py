"""Shared shell of the feature-based labelers: fit on partly labeled rows, label any rows.

A subclass implements ``_fit_arrays`` (on the prepared feature matrix and the labeled
rows) and ``_predict_arrays``; this base class handles feature preparation, target
encoding, the confidence threshold and what to emit for the rows that already have labels
(``labeled_rows``): a *cross-fitted* prediction (each labeled row is predicted by a model
that never saw its label, so a label model can estimate the labeler's accuracy honestly),
the given label, or an abstain.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from labelwise.errors import LabelwiseError
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.learn.features import (
    Categorical,
    FeaturePrep,
    Scale,
    encode_targets,
    regression_targets,
)
from labelwise.learn.result import LabelerResult, RegressionResult

LabeledRows = Literal["crossfit", "given", "abstain"]


def check_labeled_rows(value: str) -> None:
    if value not in ("crossfit", "given", "abstain"):
        raise LabelwiseError(
            f"labeled_rows={value!r} is not supported; use 'crossfit' (predict each labeled "
            "row without its own label), 'given' (copy the label) or 'abstain'"
        )


def crossfit_folds(codes: np.ndarray | None, labeled_idx: np.ndarray, cv: int, seed: Any) -> list:
    """Folds over the labeled rows; stratified for classes when every class can be split."""
    rng = np.random.default_rng(seed)
    n = len(labeled_idx)
    n_folds = max(2, min(int(cv), n))
    order = rng.permutation(n)
    if codes is not None:
        # deal each class round-robin into folds so every fold sees every class
        fold_of = np.empty(n, dtype=np.int64)
        labels = codes[labeled_idx]
        start = 0
        for c in np.unique(labels):
            members = order[labels[order] == c]
            fold_of[members] = (np.arange(len(members)) + start) % n_folds
            start += len(members)
    else:
        fold_of = np.empty(n, dtype=np.int64)
        fold_of[order] = np.arange(n) % n_folds
    return [labeled_idx[fold_of == f] for f in range(n_folds) if (fold_of == f).any()]


class ClassLabelerBase:
    """Base for classification labelers over features (see module docstring)."""

    kind = "labeler"
    name: str
    min_confidence: float
    labeled_rows: LabeledRows
    cv: int
    random_state: Any
    categorical: Categorical
    scale: Scale

    # -- subclass hooks ---------------------------------------------------------------
    def _fit_arrays(self, Xf: np.ndarray, codes: np.ndarray, k: int) -> None:
        raise NotImplementedError

    def _predict_arrays(self, Xf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(best_class, confidence, proba)`` for every row of ``Xf``."""
        raise NotImplementedError

    def _params(self) -> dict[str, Any]:
        return {}

    def _validate_labeled(self, n_labeled: int) -> None:
        """Hook: reject settings that the number of labeled rows cannot support."""

    # -- public API --------------------------------------------------------------------
    def _prep(self, X: Any) -> np.ndarray:
        self.prep_ = FeaturePrep(categorical=self.categorical, scale=self.scale).fit(X)
        return self.prep_.transform(X)

    def fit(self, X: Any, y: Any, *, label_space: LabelSpace | None = None) -> Any:
        """Learn from the labeled rows of ``y`` (shape (n,), missing = unlabeled).

        ``X`` (shape (n, p)) should hold the unlabeled rows too: scaling is fitted on all
        of them (no labels are used for that).
        """
        Xf = self._prep(X)
        codes, self.label_space_ = encode_targets(y, label_space=label_space)
        if len(codes) != len(Xf):
            raise LabelwiseError(
                f"X has {len(Xf)} rows but y has {len(codes)}; pass one label per row"
            )
        self._validate_labeled(int((codes != ABSTAIN).sum()))
        self._fit_arrays(Xf, codes, self.label_space_.k)
        self.n_labeled_ = int((codes != ABSTAIN).sum())
        return self

    def label(self, X: Any) -> LabelerResult:
        """Votes for the rows of ``X`` (no special handling of labeled rows)."""
        if not hasattr(self, "label_space_"):
            raise LabelwiseError(f"{type(self).__name__} is not fitted; call fit(X, y) first")
        best, conf, proba = self._predict_arrays(self.prep_.transform(X))
        return self._result(best, conf, proba)

    def fit_label(self, X: Any, y: Any, *, label_space: LabelSpace | None = None) -> LabelerResult:
        """Fit, then label every row of ``X`` (labeled rows per ``labeled_rows``)."""
        check_labeled_rows(self.labeled_rows)
        Xf = self._prep(X)
        codes, space = encode_targets(y, label_space=label_space)
        if len(codes) != len(Xf):
            raise LabelwiseError(
                f"X has {len(Xf)} rows but y has {len(codes)}; pass one label per row"
            )
        self.label_space_ = space
        self._validate_labeled(int((codes != ABSTAIN).sum()))
        self._fit_arrays(Xf, codes, space.k)
        self.n_labeled_ = int((codes != ABSTAIN).sum())
        best, conf, proba = self._predict_arrays(Xf)
        labeled = np.flatnonzero(codes != ABSTAIN)
        if self.labeled_rows == "given":
            best[labeled] = codes[labeled]
            conf[labeled] = 1.0
            proba[labeled] = np.eye(space.k)[codes[labeled]]
        elif self.labeled_rows == "abstain":
            conf[labeled] = 0.0
        elif len(labeled) >= 2:
            for fold in crossfit_folds(codes, labeled, self.cv, self.random_state):
                masked = codes.copy()
                masked[fold] = ABSTAIN
                if len(np.unique(masked[masked != ABSTAIN])) < 1:
                    continue
                self._fit_arrays(Xf, masked, space.k)
                b, c, p = self._predict_arrays(Xf[fold])
                best[fold], conf[fold], proba[fold] = b, c, p
            self._fit_arrays(Xf, codes, space.k)  # leave the estimator fitted on everything
        result = self._result(best, conf, proba)
        if self.labeled_rows == "abstain":
            result.votes[labeled] = ABSTAIN
            assert result.candidates is not None
            result.candidates[labeled] = ABSTAIN
        return result

    def _result(self, best: np.ndarray, conf: np.ndarray, proba: np.ndarray) -> LabelerResult:
        votes = np.where(conf >= self.min_confidence, best, ABSTAIN)
        prov = {
            "kind": self.kind,
            "n_labeled": getattr(self, "n_labeled_", None),
            "min_confidence": self.min_confidence,
            "labeled_rows": self.labeled_rows,
            **self._params(),
        }
        return LabelerResult(votes, conf, self.name, self.label_space_, proba, prov, best)


class RegLabelerBase:
    """Base for regression labelers over features."""

    kind = "regressor"
    name: str
    min_confidence: float
    labeled_rows: LabeledRows
    cv: int
    random_state: Any
    categorical: Categorical
    scale: Scale

    def _fit_arrays(self, Xf: np.ndarray, y: np.ndarray) -> None:
        raise NotImplementedError

    def _predict_arrays(self, Xf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(value, uncertainty)`` for every row of ``Xf`` (NaN value = abstain)."""
        raise NotImplementedError

    def _params(self) -> dict[str, Any]:
        return {}

    def _validate_labeled(self, n_labeled: int) -> None:
        """Hook: reject settings that the number of labeled rows cannot support."""

    def _prep(self, X: Any) -> np.ndarray:
        self.prep_ = FeaturePrep(categorical=self.categorical, scale=self.scale).fit(X)
        return self.prep_.transform(X)

    def _targets(self, y: Any, n: int) -> np.ndarray:
        t = regression_targets(y)
        if len(t) != n:
            raise LabelwiseError(f"X has {n} rows but y has {len(t)}; pass one target per row")
        labeled = t[~np.isnan(t)]
        if len(labeled) < 2:
            raise LabelwiseError(
                f"only {len(labeled)} labeled rows; label at least 2 (better: dozens) rows"
            )
        self.target_scale_ = float(np.std(labeled)) or 1.0
        self._validate_labeled(len(labeled))
        return t

    def fit(self, X: Any, y: Any) -> Any:
        """Learn from rows where ``y`` (shape (n,)) is not ``NaN``."""
        Xf = self._prep(X)
        t = self._targets(y, len(Xf))
        self._fit_arrays(Xf, t)
        self.n_labeled_ = int((~np.isnan(t)).sum())
        return self

    def label(self, X: Any) -> RegressionResult:
        """Values for the rows of ``X``."""
        if not hasattr(self, "target_scale_"):
            raise LabelwiseError(f"{type(self).__name__} is not fitted; call fit(X, y) first")
        value, unc = self._predict_arrays(self.prep_.transform(X))
        return self._result(value, unc)

    def fit_label(self, X: Any, y: Any) -> RegressionResult:
        """Fit, then give a value for every row (labeled rows per ``labeled_rows``)."""
        check_labeled_rows(self.labeled_rows)
        Xf = self._prep(X)
        t = self._targets(y, len(Xf))
        self._fit_arrays(Xf, t)
        self.n_labeled_ = int((~np.isnan(t)).sum())
        value, unc = self._predict_arrays(Xf)
        labeled = np.flatnonzero(~np.isnan(t))
        if self.labeled_rows == "given":
            value[labeled], unc[labeled] = t[labeled], 0.0
        elif self.labeled_rows == "abstain":
            value[labeled], unc[labeled] = np.nan, np.nan
        else:
            for fold in crossfit_folds(None, labeled, self.cv, self.random_state):
                masked = t.copy()
                masked[fold] = np.nan
                self._fit_arrays(Xf, masked)
                value[fold], unc[fold] = self._predict_arrays(Xf[fold])
            self._fit_arrays(Xf, t)
        return self._result(value, unc)

    def _result(self, value: np.ndarray, unc: np.ndarray) -> RegressionResult:
        conf = confidence_from_spread(unc, self.target_scale_)
        conf = np.where(np.isnan(value), 0.0, conf)
        keep = conf >= self.min_confidence
        prov = {
            "kind": self.kind,
            "n_labeled": getattr(self, "n_labeled_", None),
            "min_confidence": self.min_confidence,
            "labeled_rows": self.labeled_rows,
            "target_scale": self.target_scale_,
            **self._params(),
        }
        return RegressionResult(
            np.where(keep, value, np.nan), np.where(keep, conf, 0.0), unc, self.name, prov
        )


def confidence_from_spread(uncertainty: np.ndarray, scale: float) -> np.ndarray:
    """Map an uncertainty in target units to ``(0, 1]``: ``1 / (1 + uncertainty / scale)``.

    ``scale`` is the standard deviation of the labeled targets, so an uncertainty as wide
    as the whole target spread gives 0.5; unknown uncertainty (NaN) gives 0.
    """
    u = np.asarray(uncertainty, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        conf = 1.0 / (1.0 + np.maximum(u, 0.0) / (scale or 1.0))
    return np.where(np.isnan(conf), 0.0, conf)
