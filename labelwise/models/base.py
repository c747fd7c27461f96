"""The label-model contract: validation, tie-breaking and the estimator shell.

A label model reads a label matrix ``L`` of shape ``(n, m)`` (``n`` items, ``m``
labelers, votes in ``-1..k-1`` with ``ABSTAIN = -1``) and returns, per item, a
probability for each of the ``k`` classes. Subclasses implement ``_fit`` and
``_predict_proba`` over validated integer arrays; everything else lives here.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import numpy as np

from labelwise.errors import LabelMatrixError, LabelwiseError, NotFittedError
from labelwise.labeling.space import ABSTAIN, check_votes
from labelwise.models.guards import (
    GuardReport,
    LabelModelWarning,
    check_against_majority,
    majority_decisions,
)
from labelwise.models.patterns import VoteTable

__all__ = [
    "TIE_POLICIES",
    "LabelModel",
    "NotFittedError",
    "break_ties",
    "check_gold_labels",
    "check_label_matrix",
]

TiePolicy = Literal["abstain", "random", "prior"]
TIE_POLICIES: tuple[str, ...] = ("abstain", "random", "prior")

# Probabilities closer than this to the row maximum count as tied.
_TIE_TOL = 1e-9


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run BLAS single-threaded inside the block.

    Label-model products are skinny (``k`` output columns) and memory-bound; BLAS worker
    threads only add wake-up cost, and on a busy machine they make a 1 ms product take
    30 ms. ``threadpoolctl`` ships with scikit-learn; without it this does nothing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings it
        yield
        return
    with threadpool_limits(1, user_api="blas"):
        yield


def _check_cardinality(cardinality: int | None, *, allow_none: bool = True) -> int | None:
    if cardinality is None:
        if allow_none:
            return None
        raise LabelwiseError("cardinality is required; pass the number of classes k >= 2")
    if isinstance(cardinality, bool) or not isinstance(cardinality, (int, np.integer)):
        raise LabelwiseError(
            f"cardinality must be an integer >= 2 (the number of classes), got {cardinality!r}"
        )
    if cardinality < 2:
        raise LabelwiseError(
            f"cardinality must be at least 2 (the number of classes), got {cardinality}; "
            "a label model chooses between two or more classes"
        )
    if cardinality > 127:
        raise LabelwiseError(
            f"cardinality {cardinality} is above the supported maximum of 127 classes"
        )
    return int(cardinality)


def check_label_matrix(
    L: Any,
    *,
    cardinality: int | None = None,
    n_labelers: int | None = None,
    name: str = "L",
    allow_empty: bool = False,
) -> tuple[np.ndarray, int]:
    """Validate votes and return them as a compact ``int8`` array with the cardinality.

    Parameters
    ----------
    L : array-like or LabelMatrix of shape (n, m)
        Votes in ``-1..k-1``. A :class:`~labelwise.labeling.matrix.LabelMatrix` also
        supplies its cardinality.
    cardinality : int, optional
        ``k``. When omitted it comes from ``L.cardinality`` or, for a plain array, from
        the largest vote (at least 2).
    n_labelers : int, optional
        The number of columns the caller expects (the fitted number of labelers).
    allow_empty : bool, default False
        Accept ``n == 0`` (prediction on nothing returns nothing).

    Returns
    -------
    votes : ndarray of shape (n, m), int8
    k : int

    Examples
    --------
    >>> votes, k = check_label_matrix([[0, -1], [1, 1]])
    >>> votes.dtype.name, k
    ('int8', 2)
    """
    given_k = getattr(L, "cardinality", None)
    k = _check_cardinality(cardinality)
    if k is not None and given_k is not None and int(given_k) != k:
        raise LabelMatrixError(
            f"{name} is a label matrix of cardinality {given_k} but the model expects {k} "
            f"classes; build the model with cardinality={given_k} or re-encode the votes"
        )
    if k is None and given_k is not None:
        k = _check_cardinality(int(given_k))
    values = getattr(L, "values", L)
    arr = np.asarray(values)
    if arr.ndim == 2 and n_labelers is not None and arr.shape[1] != n_labelers:
        raise LabelMatrixError(
            f"{name} has {arr.shape[1]} columns but the model was fitted on {n_labelers} "
            "labelers; pass the same labelers, in the same order, as at fit time"
        )
    votes = check_votes(arr, cardinality=k, name=name)
    if votes.shape[0] == 0 and not allow_empty:
        raise LabelMatrixError(
            f"{name} has no rows (shape {votes.shape}); a label model needs at least one item"
        )
    if votes.shape[1] == 0:
        raise LabelMatrixError(
            f"{name} has no columns (shape {votes.shape}); a label model needs at least one labeler"
        )
    if k is None:
        k = max(2, int(votes.max()) + 1 if votes.size else 2)
    if votes.dtype != np.int8:
        votes = votes.astype(np.int8)
    return votes, k


def check_gold_labels(y: Any, *, n_items: int, cardinality: int, name: str = "y_dev") -> np.ndarray:
    """Validate gold labels: one integer class in ``0..k-1`` per item (no unknowns).

    Returns
    -------
    ndarray of shape (n_items,), int64

    Examples
    --------
    >>> check_gold_labels([0, 1, 1], n_items=3, cardinality=2).tolist()
    [0, 1, 1]
    """
    from labelwise.labeling.analysis import check_gold

    return check_gold(y, n_items, cardinality=cardinality, name=name, allow_unknown=False)


def break_ties(
    proba: np.ndarray,
    policy: str = "abstain",
    *,
    prior: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Hard labels from class probabilities, resolving ties by ``policy``.

    Parameters
    ----------
    proba : ndarray of shape (n, k)
    policy : {"abstain", "random", "prior"}
        Tied rows get ``ABSTAIN``, a uniformly random tied class, or the tied class with
        the largest ``prior`` (lowest index on equal priors).
    prior : ndarray of shape (k,), optional
        Needed for ``"prior"``.
    rng : numpy Generator, optional
        Needed for ``"random"``.

    Returns
    -------
    ndarray of shape (n,), int64

    Examples
    --------
    >>> break_ties(np.array([[0.5, 0.5], [0.2, 0.8]])).tolist()
    [-1, 1]
    >>> break_ties(np.array([[0.5, 0.5]]), "prior", prior=np.array([0.3, 0.7])).tolist()
    [1]
    """
    if policy not in TIE_POLICIES:
        raise LabelwiseError(f"tie_policy must be one of {TIE_POLICIES}, got {policy!r}")
    n = proba.shape[0]
    labels = np.argmax(proba, axis=1).astype(np.int64)
    if n == 0:
        return labels
    top = row_max(proba)
    is_top = proba >= (top - _TIE_TOL)[:, None]
    tied = np.flatnonzero(row_sum(is_top.view(np.uint8)) > 1)
    if tied.size == 0:
        return labels
    if policy == "abstain":
        labels[tied] = ABSTAIN
    elif policy == "prior":
        if prior is None:
            raise LabelwiseError("tie_policy='prior' needs class prior probabilities")
        # Tied classes get prior + 1 (> any untied class); argmax takes the first maximum.
        labels[tied] = np.argmax(is_top[tied] * (np.asarray(prior)[None, :] + 1.0), axis=1)
    else:
        rng = rng if rng is not None else np.random.default_rng()
        options = is_top[tied]
        n_options = options.sum(axis=1)
        pick = (rng.random(tied.size) * n_options).astype(np.int64)
        # Index of the (pick+1)-th tied class in each row.
        labels[tied] = np.argmax(np.cumsum(options, axis=1) > pick[:, None], axis=1)
    return labels


class LabelModel:
    """Base class of label models: fit on a label matrix, predict one class per item.

    Subclasses take their options as keyword-only constructor arguments and store them
    unchanged; ``fit`` sets the learned attributes (ending in ``_``) and returns ``self``.

    Learned attributes shared by every model
    ----------------------------------------
    cardinality_ : int
        ``k``, the number of classes.
    n_labelers_ : int
        ``m``, the number of labelers (columns of ``L``) seen at fit time.
    accuracies_ : ndarray of shape (m,)
        Estimated probability that each labeler's vote is correct when it votes.
    class_prior_ : ndarray of shape (k,)
        Estimated (or given) class balance.
    coverage_ : ndarray of shape (m,)
        Share of the fit items each labeler voted on.
    """

    #: Registry name (``make_label_model(name)``).
    name: ClassVar[str] = "base"
    #: True when ``fit`` learns from gold labels (``y_dev``) rather than only using them
    #: for class balance; :func:`select_label_model` then scores it out of fold.
    uses_gold_labels: ClassVar[bool] = False
    #: Run the majority-vote guards after every fit (False only for majority vote itself).
    guarded: ClassVar[bool] = True
    #: The model can refit with a fixed class balance (``_prior_override``) when a guard trips.
    supports_prior_override: ClassVar[bool] = False

    cardinality: int | None
    seed: int | None
    tie_policy: str

    cardinality_: int
    n_labelers_: int
    accuracies_: np.ndarray
    class_prior_: np.ndarray
    coverage_: np.ndarray
    #: Set by :func:`~labelwise.models.selection.select_label_model` on the model it returns.
    selection_report_: list[dict[str, Any]]
    #: The guards' verdict on the last fit (:mod:`labelwise.models.guards`).
    guards_: GuardReport

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        tie_policy: str = "abstain",
        seed: int | None = None,
    ) -> None:
        self.cardinality = cardinality
        self.tie_policy = tie_policy
        self.seed = seed

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.kind == p.KEYWORD_ONLY]

    def get_params(self) -> dict[str, Any]:
        """The constructor options, so ``type(model)(**model.get_params())`` is a fresh copy."""
        return {name: getattr(self, name) for name in self._param_names()}

    def clone(self) -> LabelModel:
        """An unfitted copy with the same options."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def _check_common_params(self) -> None:
        _check_cardinality(self.cardinality)
        if self.tie_policy not in TIE_POLICIES:
            raise LabelwiseError(
                f"tie_policy must be one of {TIE_POLICIES}, got {self.tie_policy!r}"
            )

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "cardinality_")

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call .fit(L) before predicting"
            )

    # ------------------------------------------------------------------ estimator API
    def fit(self, L: Any, *, y_dev: Any = None, L_dev: Any = None) -> LabelModel:
        """Learn the model from the votes ``L`` (and gold labels when the model uses them).

        Parameters
        ----------
        L : array-like or LabelMatrix of shape (n, m)
            Votes in ``-1..k-1`` (``ABSTAIN = -1``).
        y_dev : array-like of shape (n_dev,), optional
            Gold classes for the rows of ``L_dev`` (or of ``L`` when ``L_dev`` is
            omitted). Supervised models learn from them; the others use them only for
            the class balance.
        L_dev : array-like or LabelMatrix of shape (n_dev, m), optional
            Votes on the gold-labelled items.

        Returns
        -------
        self
        """
        self._check_common_params()
        votes, k = check_label_matrix(L, cardinality=self.cardinality)
        gold: tuple[np.ndarray, np.ndarray] | None = None
        if y_dev is not None:
            if L_dev is None:
                dev_votes = votes
            else:
                dev_votes, _ = check_label_matrix(
                    L_dev, cardinality=k, n_labelers=votes.shape[1], name="L_dev"
                )
            gold = (dev_votes, check_gold_labels(y_dev, n_items=dev_votes.shape[0], cardinality=k))
        elif L_dev is not None:
            raise LabelwiseError("L_dev was given without y_dev; pass the gold labels too")
        with single_threaded_blas():
            table = VoteTable.from_votes(votes, k)
            self.cardinality_ = k
            self.n_labelers_ = votes.shape[1]
            self.coverage_ = table.coverage()
            self._fit(table, gold)
            self._run_guards(table, gold)
        return self

    # ------------------------------------------------------------------ guards
    def _fallback_priors(
        self, table: VoteTable, gold: tuple[np.ndarray, np.ndarray] | None
    ) -> list[tuple[str, np.ndarray | str]]:
        """Class balances to refit with when a guard trips, in order of preference.

        The class balance is what one-sided rules cannot pin down, and a wrong one is
        what swaps or collapses classes. First the balance majority vote sees on its
        decisive items (a prior from the votes), then -- when gold fixed the balance --
        the model's own estimate, then the gold balance.
        """
        if not self.supports_prior_override:
            return []
        mv_label, decisive, _ = majority_decisions(table)
        wd = table.weights * decisive
        counts = np.bincount(mv_label, weights=wd, minlength=table.k)[: table.k] + 1.0
        options: list[tuple[str, np.ndarray | str]] = [
            (
                "refitted with the class balance of majority vote's decisive items",
                counts / counts.sum(),
            )
        ]
        if gold is not None:
            options.append(("refitted with the class balance estimated from the votes", "estimate"))
        return options

    def _run_guards(self, table: VoteTable, gold: tuple[np.ndarray, np.ndarray] | None) -> None:
        """Check the fit against majority vote; refit or warn when a check trips."""
        if not self.guarded:
            self.guards_ = GuardReport(model=self.name, resolution="baseline")
            return
        report = check_against_majority(self, table, gold)
        if not report.ok:
            best = report
            best_state: dict[str, Any] | None = _learned_state(self)
            for label, prior in self._fallback_priors(table, gold):
                self._prior_override = prior
                try:
                    self._fit(table, gold)
                finally:
                    del self._prior_override
                trial = check_against_majority(self, table, gold)
                trial.resolution = label
                if trial.ok:
                    best, best_state = trial, None
                    break
                if trial.mv_agreement > best.mv_agreement:
                    best, best_state = trial, _learned_state(self)
            if best_state is not None:
                self.__dict__.update(best_state)
            report = best
        self.guards_ = report
        if not report.ok:
            warnings.warn(report.message(), LabelModelWarning, stacklevel=4)

    def _class_prior_for_fit(
        self, gold: tuple[np.ndarray, np.ndarray] | None, given: np.ndarray | None = None
    ) -> np.ndarray | None:
        """The fixed class balance for ``_fit``: a guard fallback's, else ``given``, else
        the gold labels' (``None`` = estimate it)."""
        override = getattr(self, "_prior_override", None)
        if isinstance(override, str):
            return None
        if override is not None:
            return np.asarray(override, dtype=np.float64)
        if given is not None:
            return given
        if gold is not None:
            return gold_class_prior(gold[1], self.cardinality_)
        return None

    def _fit(self, table: VoteTable, gold: tuple[np.ndarray, np.ndarray] | None) -> None:
        raise NotImplementedError

    def _predict_proba(self, table: VoteTable) -> np.ndarray:
        raise NotImplementedError

    def _table(self, L: Any) -> VoteTable:
        self._check_fitted()
        votes, _ = check_label_matrix(
            L, cardinality=self.cardinality_, n_labelers=self.n_labelers_, allow_empty=True
        )
        return VoteTable.from_votes(votes, self.cardinality_)

    def predict_proba(self, L: Any) -> np.ndarray:
        """Class probabilities for each item.

        Parameters
        ----------
        L : array-like or LabelMatrix of shape (n, m)

        Returns
        -------
        ndarray of shape (n, k), float64
            Rows sum to 1. Rows where nobody voted get the model's prior (uniform for
            vote-counting models).
        """
        with single_threaded_blas():
            table = self._table(L)
            return table.expand(self._predict_proba(table))

    def predict(self, L: Any, *, tie_policy: str | None = None) -> np.ndarray:
        """One class per item, ``ABSTAIN`` (-1) where nobody voted or on an unresolved tie.

        Parameters
        ----------
        L : array-like or LabelMatrix of shape (n, m)
        tie_policy : {"abstain", "random", "prior"}, optional
            Overrides the model's ``tie_policy`` for this call.

        Returns
        -------
        ndarray of shape (n,), int64
        """
        with single_threaded_blas():
            table = self._table(L)
            proba = self._predict_proba(table)
        policy = self.tie_policy if tie_policy is None else tie_policy
        labels = break_ties(
            proba, policy, prior=self.class_prior_, rng=np.random.default_rng(self.seed)
        )
        labels[~table.has_vote()] = ABSTAIN
        return table.expand(labels)

    def fit_predict(self, L: Any, **fit_options: Any) -> np.ndarray:
        """``fit(L, ...)`` then ``predict(L)``."""
        return self.fit(L, **fit_options).predict(L)

    def score(self, L: Any, y: Any, *, tie_policy: str | None = None) -> float:
        """Accuracy of :meth:`predict` against gold classes ``y``.

        An abstained prediction counts as wrong, so the score reflects coverage too.

        Parameters
        ----------
        L : array-like or LabelMatrix of shape (n, m)
        y : array-like of shape (n,)
            Gold classes in ``0..k-1``.
        """
        pred = self.predict(L, tie_policy=tie_policy)
        gold = check_gold_labels(y, n_items=pred.shape[0], cardinality=self.cardinality_, name="y")
        if gold.size == 0:
            raise LabelwiseError("cannot score on zero items")
        return float(np.mean(pred == gold))


def _learned_state(model: LabelModel) -> dict[str, Any]:
    """The learned attributes (names ending in ``_``) of a fitted model, copied."""
    return {
        k: (v.copy() if isinstance(v, np.ndarray) else v)
        for k, v in vars(model).items()
        if k.endswith("_") and not k.startswith("_")
    }


def row_max(values: np.ndarray) -> np.ndarray:
    """``values.max(axis=1)`` for few columns: a column loop is ~5x faster than a reduce
    over a short axis."""
    top = values[:, 0].copy()
    for c in range(1, values.shape[1]):
        np.maximum(top, values[:, c], out=top)
    return top


def row_sum(values: np.ndarray) -> np.ndarray:
    """``values.sum(axis=1)`` for few columns (see :func:`row_max`)."""
    total = values[:, 0].copy()
    for c in range(1, values.shape[1]):
        total += values[:, c]
    return total


def softmax_rows(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large magnitudes (in place; returns ``scores``)."""
    scores -= row_max(scores)[:, None]
    np.exp(scores, out=scores)
    scores /= row_sum(scores)[:, None]
    return scores


def gold_class_prior(y: np.ndarray, k: int, *, smoothing: float = 1.0) -> np.ndarray:
    """Class balance from gold labels with add-``smoothing`` counts."""
    counts = np.bincount(y, minlength=k).astype(np.float64) + smoothing
    return counts / counts.sum()
