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

from labelwise.errors import LabelwiseError, NotFittedError
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.labeling.votes import BaseLabeler, Votes
from labelwise.learn.features import (
    Categorical,
    FeaturePrep,
    Scale,
    encode_targets,
    regression_targets,
)
from labelwise.learn.result import RegressionResult

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


def class_targets(
    y: Any, n_rows: int, *, label_space: LabelSpace | None = None
) -> tuple[np.ndarray, LabelSpace]:
    """:func:`~labelwise.learn.encode_targets`, checked to give one label per row of ``X``."""
    codes, space = encode_targets(y, label_space=label_space)
    if len(codes) != n_rows:
        raise LabelwiseError(f"X has {n_rows} rows but y has {len(codes)}; pass one label per row")
    return codes, space


def numeric_targets(y: Any, n_rows: int) -> np.ndarray:
    """:func:`~labelwise.learn.regression_targets`, checked to give one target per row of ``X``."""
    t = regression_targets(y)
    if len(t) != n_rows:
        raise LabelwiseError(f"X has {n_rows} rows but y has {len(t)}; pass one target per row")
    return t


def abstain_on(result: Votes, rows: np.ndarray) -> Votes:
    """Make ``result`` abstain (votes and candidates) on ``rows``, in place."""
    result.votes[rows] = ABSTAIN
    assert result.candidates is not None
    result.candidates[rows] = ABSTAIN
    return result


def fill_labeled_targets(
    labeled_rows: LabeledRows,
    value: np.ndarray,
    unc: np.ndarray,
    t: np.ndarray,
    labeled: np.ndarray,
) -> bool:
    """Apply ``labeled_rows="given"`` (copy the target, no uncertainty) or ``"abstain"``
    (``NaN``) to the ``labeled`` rows of ``value``/``unc`` in place.

    Returns True when the rows are to be cross-fitted instead (left to the caller).
    """
    if labeled_rows == "given":
        value[labeled], unc[labeled] = t[labeled], 0.0
    elif labeled_rows == "abstain":
        value[labeled], unc[labeled] = np.nan, np.nan
    else:
        return True
    return False


def regression_result(
    value: np.ndarray,
    unc: np.ndarray,
    *,
    target_scale: float,
    min_confidence: float,
    name: str,
    provenance: dict[str, Any],
) -> RegressionResult:
    """Values and uncertainties -> a :class:`RegressionResult`, ``NaN`` (abstain) where the
    confidence (:func:`confidence_from_spread`) is below ``min_confidence``."""
    value = np.asarray(value, dtype=np.float64)
    conf = np.where(np.isnan(value), 0.0, confidence_from_spread(unc, target_scale))
    keep = conf >= min_confidence
    return RegressionResult(
        np.where(keep, value, np.nan), np.where(keep, conf, 0.0), unc, name, provenance
    )


def tiny_example_data() -> tuple[np.ndarray, list[Any]]:
    """Ten rows in two tight clusters, six labeled: the conformance suite's example data."""
    X = np.array(
        [[0.0, 0.0], [0.2, 0.1], [0.1, 0.3], [5.0, 5.0], [5.2, 5.1], [4.9, 5.3],
         [0.3, 0.2], [5.1, 4.8], [0.05, 0.15], [5.3, 5.2]]
    )  # fmt: skip
    return X, ["a", "a", "a", "b", "b", "b", None, None, None, None]


class FeatureLabelerBase:
    """What every feature-based labeler shares: its settings and the feature preparation.

    Classification labelers are also :class:`~labelwise.labeling.BaseLabeler` s (they vote);
    regression labelers share the same fitted-state behaviour without being vote producers:
    ``label`` before ``fit`` raises :class:`~labelwise.errors.NotFittedError`.
    """

    requires_fit = True
    _fitted = False

    @property
    def is_fitted(self) -> bool:
        return bool(self._fitted)

    def check_fitted(self) -> None:
        """Raise :class:`~labelwise.errors.NotFittedError` unless fitted (as BaseLabeler)."""
        if not self.is_fitted:
            raise NotFittedError(
                f"{type(self).__name__} {self.name!r} is not fitted yet; "
                "call .fit(X, y) before .label(X)"
            )

    kind: str
    name: str
    min_confidence: Any
    labeled_rows: LabeledRows
    cv: int
    seed: Any
    categorical: Categorical
    scale: Scale
    target_scale_: float  # regressors only: the spread of the labeled targets, set by fit

    def _prep(self, X: Any) -> np.ndarray:
        """Fit :class:`~labelwise.learn.FeaturePrep` on all rows of ``X``; the prepared matrix."""
        self.prep_ = FeaturePrep(categorical=self.categorical, scale=self.scale).fit(X)
        return self.prep_.transform(X)

    def _params(self) -> dict[str, Any]:
        return {}

    def _validate_labeled(self, n_labeled: int) -> None:
        """Hook: reject settings that the number of labeled rows cannot support."""

    def _regression_result(
        self, value: np.ndarray, unc: np.ndarray, provenance: dict[str, Any]
    ) -> RegressionResult:
        """:func:`regression_result` with this labeler's target scale, threshold and name."""
        return regression_result(
            value,
            unc,
            target_scale=self.target_scale_,
            min_confidence=self.min_confidence,
            name=self.name,
            provenance=provenance,
        )

    def _provenance(self, **extra: Any) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "n_labeled": getattr(self, "n_labeled_", None),
            "min_confidence": self.min_confidence,
            "labeled_rows": self.labeled_rows,
            **extra,
            **self._params(),
        }


class ClassLabelerBase(FeatureLabelerBase, BaseLabeler):
    """Base for classification labelers over features (see module docstring)."""

    kind = "labeler"
    min_confidence: float

    # -- subclass hooks ---------------------------------------------------------------
    def _fit_arrays(self, Xf: np.ndarray, codes: np.ndarray, k: int) -> None:
        raise NotImplementedError

    def _predict_arrays(self, Xf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(best_class, confidence, proba)`` for every row of ``Xf``."""
        raise NotImplementedError

    # -- public API --------------------------------------------------------------------
    def _fit_all(
        self, X: Any, y: Any, label_space: LabelSpace | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Prepare ``X``, encode ``y`` and fit on its labeled rows; (features, codes)."""
        Xf = self._prep(X)
        codes, self.label_space_ = class_targets(y, len(Xf), label_space=label_space)
        n_labeled = int((codes != ABSTAIN).sum())
        self._validate_labeled(n_labeled)
        self._fit_arrays(Xf, codes, self.label_space_.k)
        self.n_labeled_ = n_labeled
        self._fitted = True
        return Xf, codes

    def fit(self, X: Any, y: Any, *, label_space: LabelSpace | None = None) -> Any:  # type: ignore[override]
        """Learn from the labeled rows of ``y`` (shape (n,), missing = unlabeled).

        ``X`` (shape (n, p)) should hold the unlabeled rows too: scaling is fitted on all
        of them (no labels are used for that).
        """
        self._fit_all(X, y, label_space)
        return self

    def label(self, X: Any) -> Votes:
        """Votes for the rows of ``X`` (no special handling of labeled rows)."""
        self.check_fitted()
        best, conf, proba = self._predict_arrays(self.prep_.transform(X))
        return self._result(best, conf, proba)

    def fit_label(self, X: Any, y: Any, *, label_space: LabelSpace | None = None) -> Votes:
        """Fit, then label every row of ``X`` (labeled rows per ``labeled_rows``)."""
        check_labeled_rows(self.labeled_rows)
        Xf, codes = self._fit_all(X, y, label_space)
        space = self.label_space_
        best, conf, proba = self._predict_arrays(Xf)
        labeled = np.flatnonzero(codes != ABSTAIN)
        if self.labeled_rows == "given":
            best[labeled] = codes[labeled]
            conf[labeled] = 1.0
            proba[labeled] = np.eye(space.k)[codes[labeled]]
        elif self.labeled_rows == "abstain":
            conf[labeled] = 0.0
        elif len(labeled) >= 2:
            for fold in crossfit_folds(codes, labeled, self.cv, self.seed):
                masked = codes.copy()
                masked[fold] = ABSTAIN
                if len(np.unique(masked[masked != ABSTAIN])) < 1:
                    continue
                self._fit_arrays(Xf, masked, space.k)
                b, c, p = self._predict_arrays(Xf[fold])
                best[fold], conf[fold], proba[fold] = b, c, p
            self._fit_arrays(Xf, codes, space.k)  # leave the estimator fitted on everything
        result = self._result(best, conf, proba)
        return abstain_on(result, labeled) if self.labeled_rows == "abstain" else result

    def _result(self, best: np.ndarray, conf: np.ndarray, proba: np.ndarray) -> Votes:
        votes = np.where(conf >= self.min_confidence, best, ABSTAIN)
        prov = self._provenance()
        return Votes(
            self.name,
            votes,
            label_space=self.label_space_,
            confidence=conf,
            proba=proba,
            provenance=prov,
            candidates=best,
        )


class RegLabelerBase(FeatureLabelerBase):
    """Base for regression labelers over features."""

    kind = "regressor"
    min_confidence: float

    def _fit_arrays(self, Xf: np.ndarray, y: np.ndarray) -> None:
        raise NotImplementedError

    def _predict_arrays(self, Xf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(value, uncertainty)`` for every row of ``Xf`` (NaN value = abstain)."""
        raise NotImplementedError

    def _fit_all(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Prepare ``X``, check ``y`` and fit on its labeled rows; (features, targets)."""
        Xf = self._prep(X)
        t = numeric_targets(y, len(Xf))
        labeled = t[~np.isnan(t)]
        if len(labeled) < 2:
            raise LabelwiseError(
                f"only {len(labeled)} labeled rows; label at least 2 (better: dozens) rows"
            )
        self.target_scale_ = float(np.std(labeled)) or 1.0
        self._validate_labeled(len(labeled))
        self._fit_arrays(Xf, t)
        self.n_labeled_ = len(labeled)
        self._fitted = True
        return Xf, t

    def fit(self, X: Any, y: Any) -> Any:
        """Learn from rows where ``y`` (shape (n,)) is not ``NaN``."""
        self._fit_all(X, y)
        return self

    def label(self, X: Any) -> RegressionResult:
        """Values for the rows of ``X``."""
        self.check_fitted()
        value, unc = self._predict_arrays(self.prep_.transform(X))
        return self._result(value, unc)

    def fit_label(self, X: Any, y: Any) -> RegressionResult:
        """Fit, then give a value for every row (labeled rows per ``labeled_rows``)."""
        check_labeled_rows(self.labeled_rows)
        Xf, t = self._fit_all(X, y)
        value, unc = self._predict_arrays(Xf)
        labeled = np.flatnonzero(~np.isnan(t))
        if fill_labeled_targets(self.labeled_rows, value, unc, t, labeled):
            for fold in crossfit_folds(None, labeled, self.cv, self.seed):
                masked = t.copy()
                masked[fold] = np.nan
                self._fit_arrays(Xf, masked)
                value[fold], unc[fold] = self._predict_arrays(Xf[fold])
            self._fit_arrays(Xf, t)
        return self._result(value, unc)

    def _result(self, value: np.ndarray, unc: np.ndarray) -> RegressionResult:
        return self._regression_result(
            value, unc, self._provenance(target_scale=self.target_scale_)
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
