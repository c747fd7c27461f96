"""Snorkel 0.10's labeling API on labelwise: change the imports, keep the code.

``from snorkel.labeling import PandasLFApplier, LFAnalysis, labeling_function`` becomes
``from labelwise.compat.snorkel import PandasLFApplier, LFAnalysis, labeling_function``,
and likewise for ``LabelModel``, ``MajorityLabelVoter``, ``filter_unlabeled_dataframe``,
``preprocessor``, ``LabelingFunction`` and ``ApplierMetadata``. The signatures are
Snorkel's (``apply(df, progress_bar=True, fault_tolerant=False, return_meta=False)``,
``fit(L_train, Y_dev=None, class_balance=None, progress_bar=True, **kwargs)``,
``predict(L, return_probs=False, tie_break_policy="abstain")``, ``score(L, Y,
metrics=["accuracy"], tie_break_policy="abstain")``); what runs underneath is labelwise:

* rules run on labelwise's applier: a rule that only reads fields gets a light row,
  any other rule the ``pandas.Series`` Snorkel passes (``x.name`` is the row label), so
  the label matrix is the same;
* ``LabelModel`` is :class:`~labelwise.models.MetalModel` (matrix completion on co-vote
  moments, fitted in closed form and L-BFGS instead of SGD), with the majority-vote
  guards of :mod:`labelwise.models.guards`. Training options Snorkel's SGD needs
  (``n_epochs``, ``lr``, ``l2``, ``optimizer``, ``log_freq``, ...) are accepted and have no
  effect; ``seed`` seeds tie-breaking.

Decisions where Snorkel's behaviour is kept on purpose: ``PandasLFApplier.apply`` returns a
plain ``int64`` numpy array; with ``fault_tolerant=False`` (the default) the first
exception propagates; predictions are made for items no rule voted on, from the class
balance (as Snorkel does); ``score`` leaves out items whose prediction or gold is ``-1``.

Example
-------
>>> import pandas as pd
>>> from labelwise.compat.snorkel import PandasLFApplier, labeling_function
>>> @labeling_function()
... def lf_check(x):
...     return 1 if "check" in x.text.lower() else -1
>>> df = pd.DataFrame({"text": ["Check out my channel", "nice song"]})
>>> PandasLFApplier([lf_check]).apply(df, progress_bar=False).tolist()
[[1], [-1]]
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from labelwise.errors import LabelwiseError
from labelwise.labeling import analysis as _analysis
from labelwise.labeling.apply.pandas import LFApplier as _LWApplier
from labelwise.labeling.lf import LabelingFunction as _LWLabelingFunction
from labelwise.labeling.space import ABSTAIN
from labelwise.models.base import break_ties

__all__ = [
    "ApplierMetadata",
    "LFAnalysis",
    "LFApplier",
    "LabelModel",
    "LabelingFunction",
    "MajorityLabelVoter",
    "PandasLFApplier",
    "Preprocessor",
    "filter_unlabeled_dataframe",
    "labeling_function",
    "preprocessor",
]


class ApplierMetadata(NamedTuple):
    """What ``apply(..., return_meta=True)`` returns next to the matrix."""

    #: Labeling-function name -> number of items it raised on.
    faults: dict[str, int]


# ---------------------------------------------------------------------------- functions
class LabelingFunction(_LWLabelingFunction):
    """Snorkel's ``LabelingFunction(name, f, resources=None, pre=None)``."""

    def __init__(
        self,
        name: str,
        f: Callable[..., Any],
        resources: Mapping[str, Any] | None = None,
        pre: Sequence[Callable[[Any], Any]] | None = None,
    ) -> None:
        super().__init__(name, f, resources=resources, pre=pre)


def labeling_function(
    name: str | None = None,
    resources: Mapping[str, Any] | None = None,
    pre: Sequence[Callable[[Any], Any]] | None = None,
) -> Callable[[Callable[..., Any]], LabelingFunction]:
    """Snorkel's ``@labeling_function(name=None, resources=None, pre=None)``."""

    def decorator(f: Callable[..., Any]) -> LabelingFunction:
        return LabelingFunction(name or f.__name__, f, resources=resources, pre=pre)

    return decorator


def _hashable(x: Any) -> Any:
    items = x.items() if hasattr(x, "items") else vars(x).items()
    return tuple(
        (k, v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)) for k, v in items
    )


class Preprocessor:
    """A function that maps a data point to a new one before a labeling function sees
    it (Snorkel's ``Preprocessor``): the point is copied first, so the function may change
    it; ``memoize=True`` caches results per distinct point."""

    def __init__(
        self,
        name: str,
        f: Callable[[Any], Any],
        pre: Sequence[Callable[[Any], Any]] | None = None,
        memoize: bool = False,
        memoize_key: Callable[[Any], Any] | None = None,
    ) -> None:
        self.name = name
        self._f = f
        self._pre = list(pre or [])
        self.memoize = memoize
        self._key = memoize_key or _hashable
        self._cache: dict[Any, Any] = {}

    def reset_cache(self) -> None:
        self._cache = {}

    def __call__(self, x: Any) -> Any:
        key = None
        if self.memoize:
            key = self._key(x)
            if key in self._cache:
                return self._cache[key]
        out = x.copy() if hasattr(x, "copy") else pickle.loads(pickle.dumps(x))
        for p in self._pre:
            out = p(out)
        out = self._f(out)
        if self.memoize:
            self._cache[key] = out
        return out

    def __repr__(self) -> str:
        return f"Preprocessor {self.name}"


def preprocessor(
    name: str | None = None,
    pre: Sequence[Callable[[Any], Any]] | None = None,
    memoize: bool = False,
    memoize_key: Callable[[Any], Any] | None = None,
) -> Callable[[Callable[[Any], Any]], Preprocessor]:
    """Snorkel's ``@preprocessor(name=None, pre=None, memoize=False, memoize_key=None)``."""

    def decorator(f: Callable[[Any], Any]) -> Preprocessor:
        return Preprocessor(
            name or f.__name__, f, pre=pre, memoize=memoize, memoize_key=memoize_key
        )

    return decorator


# ---------------------------------------------------------------------------- appliers
class PandasLFApplier:
    """Snorkel's ``PandasLFApplier(lfs)``: ``apply(df)`` returns the ``(n, m)`` matrix."""

    def __init__(self, lfs: Sequence[Any]) -> None:
        self._applier = _LWApplier(lfs)
        self._lfs = list(lfs)

    def apply(
        self,
        df: Any,
        progress_bar: bool = True,
        fault_tolerant: bool = False,
        return_meta: bool = False,
    ) -> Any:
        """Label matrix (``int64``, ``-1`` = abstain); ``fault_tolerant=False`` lets the first
        exception through (with the row), as Snorkel does."""
        L = self._applier.apply(df, strict=not fault_tolerant, progress_bar=progress_bar)
        values = np.asarray(L.values, dtype=np.int64)
        if return_meta:
            return values, ApplierMetadata(dict(self._applier.faults_))
        return values


class LFApplier:
    """Snorkel's ``LFApplier(lfs)`` over a list of data points (any objects)."""

    def __init__(self, lfs: Sequence[Any]) -> None:
        self._lfs = list(lfs)

    def apply(
        self,
        data_points: Sequence[Any],
        progress_bar: bool = True,
        fault_tolerant: bool = False,
        return_meta: bool = False,
    ) -> Any:
        out = np.full((len(data_points), len(self._lfs)), ABSTAIN, dtype=np.int64)
        faults = {getattr(lf, "name", str(j)): 0 for j, lf in enumerate(self._lfs)}
        for i, x in enumerate(data_points):
            for j, lf in enumerate(self._lfs):
                try:
                    out[i, j] = lf(x)
                except Exception:
                    if not fault_tolerant:
                        raise
                    faults[getattr(lf, "name", str(j))] += 1
        return (out, ApplierMetadata(faults)) if return_meta else out


def filter_unlabeled_dataframe(X: Any, y: Any, L: Any) -> tuple[Any, Any]:
    """Drop the rows of ``X`` and ``y`` that no labeling function voted on."""
    mask = (np.asarray(L) != ABSTAIN).any(axis=1)
    return X.iloc[mask], np.asarray(y)[mask]


# ---------------------------------------------------------------------------- analysis
class LFAnalysis:
    """Snorkel's ``LFAnalysis(L, lfs=None)``: coverage, overlaps, conflicts, accuracies."""

    def __init__(self, L: Any, lfs: Sequence[Any] | None = None) -> None:
        self._L = np.asarray(L)
        if lfs is not None and len(lfs) != self._L.shape[1]:
            raise LabelwiseError(
                f"{len(lfs)} labeling functions for a label matrix of {self._L.shape[1]} columns"
            )
        self._lf_names = None if lfs is None else [lf.name for lf in lfs]

    def label_coverage(self) -> float:
        return float((self._L != ABSTAIN).any(axis=1).mean())

    def label_overlap(self) -> float:
        return float(((self._L != ABSTAIN).sum(axis=1) > 1).mean())

    def label_conflict(self) -> float:
        return float(_row_conflicts(self._L).mean())

    def lf_polarities(self) -> list[list[int]]:
        return _analysis.lf_polarities(self._L)

    def lf_coverages(self) -> np.ndarray:
        return np.asarray(_analysis.lf_coverages(self._L))

    def lf_overlaps(self, normalize_by_coverage: bool = False) -> np.ndarray:
        out = np.asarray(_analysis.lf_overlaps(self._L))
        if normalize_by_coverage:
            out = np.nan_to_num(out / self.lf_coverages())
        return out

    def lf_conflicts(self, normalize_by_overlaps: bool = False) -> np.ndarray:
        out = np.asarray(_analysis.lf_conflicts(self._L))
        if normalize_by_overlaps:
            out = np.nan_to_num(out / self.lf_overlaps())
        return out

    def lf_empirical_accuracies(self, Y: Any) -> np.ndarray:
        y = np.asarray(Y).reshape(-1)
        voted = self._L != ABSTAIN
        right = (y[:, None] == self._L) & voted
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nan_to_num(right.sum(axis=0) / voted.sum(axis=0))

    def lf_summary(self, Y: Any = None, est_weights: Any = None) -> Any:
        """One row per labeling function with Snorkel's columns: ``j``, ``Polarity``,
        ``Coverage``, ``Overlaps``, ``Conflicts`` (+ ``Correct``, ``Incorrect``,
        ``Emp. Acc.`` with ``Y``; ``Learned Weight`` with ``est_weights``)."""
        import pandas as pd

        m = self._L.shape[1]
        index = self._lf_names or list(range(m))
        d: dict[str, Any] = {
            "j": list(range(m)),
            "Polarity": self.lf_polarities(),
            "Coverage": self.lf_coverages(),
            "Overlaps": self.lf_overlaps(),
            "Conflicts": self.lf_conflicts(),
        }
        if Y is not None:
            y = np.asarray(Y).reshape(-1)
            voted = self._L != ABSTAIN
            correct = ((y[:, None] == self._L) & voted).sum(axis=0)
            d["Correct"] = correct
            d["Incorrect"] = voted.sum(axis=0) - correct
            d["Emp. Acc."] = self.lf_empirical_accuracies(y)
        if est_weights is not None:
            d["Learned Weight"] = np.asarray(est_weights)
        frame = pd.DataFrame(d, index=index)
        return frame if self._lf_names else frame.drop(columns=["j"])


def _row_conflicts(L: np.ndarray) -> np.ndarray:
    voted = L != ABSTAIN
    lo = np.where(voted, L, np.iinfo(np.int64).max).min(axis=1)
    hi = np.where(voted, L, -1).max(axis=1)
    return voted.any(axis=1) & (lo != hi)


# ---------------------------------------------------------------------------- models
_POLICIES = {"abstain": "abstain", "random": "random", "true-random": "random"}


def _scores(
    Y: Any, pred: np.ndarray, proba: np.ndarray, metrics: Sequence[str] | None
) -> dict[str, float]:
    y = np.asarray(Y).reshape(-1)
    out: dict[str, float] = {}
    keep = (pred != ABSTAIN) & (y != ABSTAIN)
    yk, pk = y[keep], pred[keep]
    for metric in metrics or ["accuracy"]:
        if metric == "coverage":
            out[metric] = float(np.mean(pred != ABSTAIN))
        elif metric == "accuracy":
            out[metric] = float(np.mean(yk == pk)) if yk.size else float("nan")
        elif metric in ("precision", "recall", "f1"):
            tp = float(np.sum((pk == 1) & (yk == 1)))
            fp = float(np.sum((pk == 1) & (yk != 1)))
            fn = float(np.sum((pk != 1) & (yk == 1)))
            prec = tp / (tp + fp) if tp + fp else 0.0
            rec = tp / (tp + fn) if tp + fn else 0.0
            out[metric] = {"precision": prec, "recall": rec}.get(
                metric, 2 * prec * rec / (prec + rec) if prec + rec else 0.0
            )
        elif metric in ("f1_micro", "f1_macro"):
            from labelwise.models.selection import macro_f1

            if metric == "f1_micro":
                out[metric] = float(np.mean(yk == pk)) if yk.size else float("nan")
            else:
                out[metric] = macro_f1(pk, yk, proba.shape[1])
        else:
            raise LabelwiseError(
                f"metric {metric!r} is not supported; use accuracy, coverage, precision, "
                "recall, f1, f1_micro or f1_macro"
            )
    return out


class _Voter:
    cardinality: int
    _seed: int | None = None

    def predict_proba(self, L: Any) -> np.ndarray:
        raise NotImplementedError

    def predict(self, L: Any, return_probs: bool = False, tie_break_policy: str = "abstain") -> Any:
        """Hard labels (``tie_break_policy``: ``abstain``, ``random``, ``true-random``)."""
        if tie_break_policy not in _POLICIES:
            raise LabelwiseError(
                f"tie_break_policy must be one of {sorted(_POLICIES)}, got {tie_break_policy!r}"
            )
        proba = self.predict_proba(L)
        seed = 0 if tie_break_policy == "random" else self._seed
        pred = break_ties(proba, _POLICIES[tie_break_policy], rng=np.random.default_rng(seed))
        return (pred, proba) if return_probs else pred

    def score(
        self,
        L: Any,
        Y: Any,
        metrics: Sequence[str] | None = ("accuracy",),
        tie_break_policy: str = "abstain",
    ) -> dict[str, float]:
        """Snorkel's scores: items whose prediction or gold is ``-1`` are left out."""
        pred, proba = self.predict(L, return_probs=True, tie_break_policy=tie_break_policy)
        return _scores(Y, pred, proba, list(metrics or ["accuracy"]))


class MajorityLabelVoter(_Voter):
    """Snorkel's ``MajorityLabelVoter(cardinality=2)``: the most voted class, ties split."""

    def __init__(self, cardinality: int = 2, **kwargs: Any) -> None:
        self.cardinality = cardinality

    def predict_proba(self, L: Any) -> np.ndarray:
        V = np.asarray(L)
        counts = np.stack([np.equal(V, c).sum(axis=1) for c in range(self.cardinality)], axis=1)
        top = np.asarray(counts == counts.max(axis=1, keepdims=True), dtype=np.float64)
        return np.asarray(top / top.sum(axis=1, keepdims=True))


class LabelModel(_Voter):
    """Snorkel's ``LabelModel(cardinality=2, verbose=True, device="cpu")`` on labelwise's
    :class:`~labelwise.models.MetalModel` (see the module doc for what differs)."""

    def __init__(self, cardinality: int = 2, verbose: bool = True, **kwargs: Any) -> None:
        self.cardinality = cardinality
        self.verbose = verbose
        self._model: Any = None

    def fit(
        self,
        L_train: Any,
        Y_dev: Any = None,
        class_balance: Any = None,
        progress_bar: bool = True,
        **kwargs: Any,
    ) -> None:
        """Fit on ``L_train``. ``Y_dev`` gives the class balance (as in Snorkel);
        ``class_balance`` fixes it; ``seed`` seeds tie-breaking; the SGD options
        (``n_epochs``, ``lr``, ``l2``, ``optimizer``, ``log_freq``, ...) are accepted."""
        from labelwise.models import MetalModel

        prior = None
        if class_balance is not None:
            prior = np.asarray(class_balance, dtype=np.float64)
        elif Y_dev is not None:
            y = np.asarray(Y_dev).reshape(-1)
            y = y[y != ABSTAIN]
            prior = (np.bincount(y, minlength=self.cardinality) + 1.0) / (y.size + self.cardinality)
        self._seed = kwargs.get("seed")
        self._model = MetalModel(cardinality=self.cardinality, class_prior=prior, seed=self._seed)
        self._model.fit(L_train)

    def _fitted(self) -> Any:
        if self._model is None:
            from labelwise.errors import NotFittedError

            raise NotFittedError("this LabelModel is not fitted yet; call fit(L_train) first")
        return self._model

    def predict_proba(self, L: Any) -> np.ndarray:
        """``P(Y = c | votes)``; items nobody voted on get the class balance."""
        return np.asarray(self._fitted().predict_proba(L))

    def get_weights(self) -> np.ndarray:
        """Estimated accuracy of each labeling function."""
        return np.asarray(self._fitted().accuracies_)

    def get_conditional_probs(self) -> np.ndarray:
        """``[j, vote + 1, y]`` = P(labeler ``j`` votes ``vote`` | Y = y), abstain first."""
        mu = self._fitted().mu_  # [j, c, y]
        abstain = 1.0 - mu.sum(axis=1, keepdims=True)
        return np.concatenate([abstain, mu], axis=1)

    @property
    def guards_(self) -> Any:
        """labelwise's majority-vote guard report on the fit."""
        return self._fitted().guards_
