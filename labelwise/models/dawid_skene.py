"""Dawid-Skene: EM over per-labeler confusion matrices (Dawid & Skene, 1979)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from labelwise.errors import LabelwiseError
from labelwise.models.base import LabelModel, row_max, row_sum
from labelwise.models.patterns import VoteTable

__all__ = ["DawidSkene", "DawidSkeneFit", "fit_dawid_skene"]


@dataclass
class DawidSkeneFit:
    """The result of :func:`fit_dawid_skene`.

    Attributes
    ----------
    confusion : ndarray of shape (m, k, k)
        ``confusion[j, c, v]`` = P(labeler ``j`` votes ``v`` | true class ``c``, it votes).
    class_prior : ndarray of shape (k,)
    accuracies : ndarray of shape (m,)
        Expected share of each labeler's votes that are correct under the final posterior.
    posterior : ndarray of shape (r, k)
        Class posterior of each row of the vote table.
    n_iter : int
    log_likelihood : float
        Mean per-item log-likelihood of the votes at the last iteration.
    converged : bool
    voting : ndarray of shape (m, k) or None
        ``P(labeler j votes | true class c)`` when abstentions are modelled.
    """

    confusion: np.ndarray
    class_prior: np.ndarray
    accuracies: np.ndarray
    posterior: np.ndarray
    n_iter: int
    log_likelihood: float
    converged: bool
    voting: np.ndarray | None = None


def _log_weights(confusion: np.ndarray, voting: np.ndarray | None) -> tuple[Any, Any]:
    """Per-vote log-likelihood rows ``(m*k, k)`` and the per-class constant ``(k,)``.

    Without abstention modelling row ``j*k + v`` is ``log confusion[j, :, v]``. With it,
    every labeler contributes ``log P(abstain | c)`` unless it voted, so the constant is
    the sum of those and a vote adds ``log P(v | c) - log P(abstain | c)``: the products
    stay over the non-abstain votes only.
    """
    m, k, _ = confusion.shape
    if voting is None:
        return np.log(confusion).transpose(0, 2, 1).reshape(m * k, k), np.zeros(k)
    log_vote = np.log(confusion * voting[:, :, None])  # [j, c, v] = log P(v, voted | c)
    log_abstain = np.log1p(-voting)  # [j, c]
    rows = (log_vote - log_abstain[:, :, None]).transpose(0, 2, 1).reshape(m * k, k)
    return rows, log_abstain.sum(axis=0)


def _posterior(
    table: VoteTable, confusion: np.ndarray, voting: np.ndarray | None, prior: np.ndarray
) -> tuple[Any, Any]:
    rows, constant = _log_weights(confusion, voting)
    scores = table.scores(rows)
    scores += np.log(prior) + constant
    top = row_max(scores)
    scores -= top[:, None]
    np.exp(scores, out=scores)
    total = row_sum(scores)
    scores /= total[:, None]
    return scores, np.log(total) + top


def fit_dawid_skene(
    table: VoteTable,
    *,
    max_iter: int = 100,
    tol: float = 1e-6,
    smoothing: float = 0.01,
    class_prior: np.ndarray | None = None,
    init_posterior: np.ndarray | None = None,
    model_abstentions: bool = True,
) -> DawidSkeneFit:
    """Expectation-maximisation for the Dawid-Skene model on a :class:`VoteTable`.

    Each labeler ``j`` has a confusion matrix ``P(vote v | class c)``; labelers err
    independently given the class. The E-step's log-likelihood is one product of the
    one-hot votes with ``log confusion`` (patterns or sparse, never dense ``n x m*k``),
    and the M-step's counts are one product of its transpose with the posterior.

    Parameters
    ----------
    table : VoteTable
    max_iter : int
        Maximum EM iterations.
    tol : float
        Stop when the mean per-item log-likelihood improves by less than this.
    smoothing : float
        Pseudo-count added to every confusion cell (keeps logs finite).
    class_prior : ndarray of shape (k,), optional
        Fixed class balance; learned when omitted.
    init_posterior : ndarray of shape (r, k), optional
        Starting posterior; default: the vote shares (soft majority vote).
    model_abstentions : bool
        Also learn ``P(labeler votes | class)``. Rules that only ever vote one class
        ("unipolar" labeling functions) carry all their information in *when* they
        vote; without this they look uninformative.

    Returns
    -------
    DawidSkeneFit
    """
    k, m = table.k, table.n_labelers
    has_vote = table.has_vote()
    # With abstentions modelled, an item nobody voted on is evidence too.
    w = table.weights if model_abstentions else table.weights * has_vote
    n_items = float(w.sum())
    if init_posterior is None:
        counts = table.counts().astype(np.float64)
        totals = counts.sum(axis=1, keepdims=True)
        totals[totals == 0] = 1.0
        R = counts / totals
    else:
        R = np.asarray(init_posterior, dtype=np.float64)
    R[~has_vote] = 1.0 / k
    fixed_prior = class_prior is not None
    prior = np.full(k, 1.0 / k) if class_prior is None else np.asarray(class_prior, np.float64)
    ll_prev = ll = -np.inf
    converged = False
    n_iter = 0
    confusion = np.full((m, k, k), 1.0 / k)
    voting: np.ndarray | None = None
    for it in range(1, max_iter + 1):
        n_iter = it
        # M-step: expected (labeler, true class, vote) counts.
        moments = table.moments(R)  # (m*k, k): row j*k+v, column c
        counts_jcv = moments.reshape(m, k, k).transpose(0, 2, 1)
        mass = w @ R
        if model_abstentions:
            voted_c = counts_jcv.sum(axis=2)  # [j, c]
            abstained = np.maximum(mass[None, :] - voted_c, 0.0)
            voting = (voted_c + smoothing) / (voted_c + abstained + 2 * smoothing)
        counts_jcv += smoothing
        confusion = counts_jcv / counts_jcv.sum(axis=2, keepdims=True)
        if not fixed_prior:
            prior = (mass + smoothing) / (mass + smoothing).sum()
        # E-step.
        R, log_norm = _posterior(table, confusion, voting, prior)
        ll = float(w @ log_norm) / max(n_items, 1.0)
        if ll - ll_prev < tol:
            converged = True
            break
        ll_prev = ll
    moments = table.moments(R).reshape(m, k, k)  # [j, v, c]
    diag = np.einsum("jcc->j", moments)
    totals = moments.sum(axis=(1, 2))
    accuracies = np.where(totals > 0, diag / np.maximum(totals, 1e-12), 1.0 / k)
    return DawidSkeneFit(
        confusion=confusion,
        class_prior=np.asarray(prior, dtype=np.float64),
        accuracies=accuracies,
        posterior=R,
        n_iter=n_iter,
        log_likelihood=ll,
        converged=converged,
        voting=voting,
    )


class DawidSkene(LabelModel):
    """Dawid-Skene label model: a full confusion matrix per labeler, fitted by EM.

    Handles labelers that are better on some classes than others, one-sided rules (via
    ``model_abstentions``), and any number of classes. Initialised from the soft
    majority vote, so classes keep their meaning. When labelers are correlated the
    class balance is the weak spot of maximum likelihood; gold labels passed as
    ``fit(L, y_dev=...)`` fix it (as :func:`~labelwise.models.select_label_model` does).

    Parameters
    ----------
    cardinality : int, optional
    max_iter : int, default 100
    tol : float, default 1e-6
        Convergence threshold on the mean per-item log-likelihood.
    smoothing : float, default 0.01
        Pseudo-count per confusion cell.
    init : {"majority"}, default "majority"
        Starting posterior.
    model_abstentions : bool, default True
        Also learn how likely each labeler is to vote given the true class. Essential
        for rules that only ever vote one class (they speak by voting at all); with it,
        items nobody voted on get an informed posterior too.
    tie_policy : {"abstain", "random", "prior"}, default "abstain"
    seed : int, optional
        Seeds ``"random"`` tie-breaking (EM itself is deterministic).

    Attributes
    ----------
    confusion_matrices_ : ndarray of shape (m, k, k)
        ``[j, c, v]`` = P(labeler ``j`` votes ``v`` | true class ``c``, it votes).
    voting_probs_ : ndarray of shape (m, k) or None
        ``[j, c]`` = P(labeler ``j`` votes | true class ``c``); None without
        ``model_abstentions``.
    class_prior_ : ndarray of shape (k,)
    accuracies_ : ndarray of shape (m,)
    n_iter_ : int
    converged_ : bool

    Examples
    --------
    >>> L = np.array([[0, 0, 1], [1, 1, 1], [0, 0, -1], [1, -1, 0]])
    >>> model = DawidSkene(seed=0).fit(L)
    >>> model.predict_proba(L).shape, model.confusion_matrices_.shape
    ((4, 2), (3, 2, 2))
    """

    name = "ds"
    supports_prior_override = True

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        max_iter: int = 100,
        tol: float = 1e-6,
        smoothing: float = 0.01,
        init: str = "majority",
        model_abstentions: bool = True,
        tie_policy: str = "abstain",
        seed: int | None = None,
    ) -> None:
        self.cardinality = cardinality
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing
        self.init = init
        self.model_abstentions = model_abstentions
        self.tie_policy = tie_policy
        self.seed = seed

    def _fit(self, table: VoteTable, gold: tuple[np.ndarray, np.ndarray] | None) -> None:
        if self.init != "majority":
            raise LabelwiseError(f"init must be 'majority', got {self.init!r}")
        if self.max_iter < 1 or self.smoothing <= 0 or self.tol < 0:
            raise LabelwiseError(
                "need max_iter >= 1, smoothing > 0 and tol >= 0; got "
                f"max_iter={self.max_iter}, smoothing={self.smoothing}, tol={self.tol}"
            )
        prior = self._class_prior_for_fit(gold)
        result = fit_dawid_skene(
            table,
            max_iter=self.max_iter,
            tol=self.tol,
            smoothing=self.smoothing,
            class_prior=prior,
            model_abstentions=self.model_abstentions,
        )
        self.confusion_matrices_ = result.confusion
        self.voting_probs_ = result.voting
        self.class_prior_ = result.class_prior
        self.accuracies_ = result.accuracies
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.log_likelihood_ = result.log_likelihood

    def _predict_proba(self, table: VoteTable) -> np.ndarray:
        proba, _ = _posterior(
            table, self.confusion_matrices_, self.voting_probs_, self.class_prior_
        )
        return np.asarray(proba)
