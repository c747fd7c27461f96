"""A Snorkel/MeTaL-style label model fitted by matrix completion on co-vote moments.

After Ratner et al. (2019), "Training complex models with multi-task weak supervision",
written from the paper's equations in numpy/scipy.

Model. Each labeler ``j`` votes ``c`` on an item of true class ``y`` with probability
``mu[j, c, y] = P(lambda_j = c | Y = y)`` and abstains with the rest,
``1 - sum_c mu[j, c, y]``; labelers are independent given the class, whose balance is
``p``. Nothing ties how often a labeler votes to the class, so a rule that only ever
votes one class ("unipolar") is modelled exactly: its information is *whether* it votes.

Fitting. Let ``psi`` be the one-hot vector of an item's non-abstain votes (length
``d = m * k``) and ``O = E[psi psi^T]``, one pass over the votes (on distinct vote
patterns when they repeat). Conditional independence gives, for two different labelers,
``O[(i, c), (j, c')] = sum_y mu[i, c, y] p_y mu[j, c', y]``, i.e. ``O = mu diag(p) mu^T``
off the labeler blocks of the diagonal, and the first moments are
``O[(j, c), (j, c)] = sum_y mu[j, c, y] p_y``. ``mu`` minimises the squared error of both
(plus a small l2 pull towards a prior guess, and a penalty keeping each abstain
probability non-negative) by L-BFGS-B with bounds ``[0, 1]`` and an analytic gradient.
After ``O`` is built the cost depends only on ``m`` and ``k``, not on the number of items.

Class balance. Second moments cannot tell the class balance from the labelers'
parameters (for two classes, every balance has its own exact fit), so without gold labels
``p`` is found as the balance that the model reproduces: the fixed point of
``p = mean_i P(Y | lambda_i)`` where ``mu`` is refitted to the moments for each ``p`` (an
EM step for ``p`` alternated with moment matching for ``mu``), on at most
``prior_sample`` rows. Gold labels or ``class_prior`` fix it instead.

Dependencies. Labelers that copy each other break conditional independence, and a fit
can then take the copied pair for the truth (both look ~100% accurate). Known dependent
pairs can be declared and are left out of the moment fit (as with the paper's dependency
graph); by default pairs that the fit misses by far more than the typical pair are also
left out, and the refit kept only if it explains the remaining pairs better.

Label permutations. The prior guess says each vote is right with probability
``prior_accuracy`` (0.7), and the fit starts from it, so classes keep their meaning as
long as the labelers are better than chance on average.

Prediction. ``P(Y = y | lambda) ~ p_y prod_j P(lambda_j | Y = y)``, the abstain factor
``1 - sum_c mu[j, c, y]`` included for every labeler that abstained, computed once per
distinct vote pattern.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelwise.errors import LabelwiseError
from labelwise.models.base import (
    LabelModel,
    single_threaded_blas,
    softmax_rows,
)
from labelwise.models.patterns import VoteTable

__all__ = [
    "MetalFit",
    "MetalModel",
    "covote_moments",
    "fit_metal",
    "fit_metal_mu",
    "metal_log_weights",
    "pair_residuals",
]

# Probabilities are floored here before taking logs, so a parameter fitted to exactly 0
# (a rule that never voted for a class) weighs like strong but finite evidence.
_PROB_FLOOR = 1e-3
# Weight of the penalty on sum_c mu[j, c, y] > 1 (an abstain probability below zero).
_SIMPLEX_PENALTY = 10.0
# The class balance never goes below this while it is estimated.
_MIN_PRIOR = 1e-4


@dataclass
class MetalFit:
    """The result of :func:`fit_metal`.

    Attributes
    ----------
    mu : ndarray of shape (m, k, k)
        ``mu[j, c, y] = P(labeler j votes c | Y = y)``.
    class_prior : ndarray of shape (k,)
    accuracies : ndarray of shape (m,)
        ``P(lambda_j = Y | lambda_j != abstain)``: the share of a labeler's votes that are
        right under the fitted model.
    loss : float
        Final value of the (normalised) moment-matching objective.
    n_iter : int
        L-BFGS iterations of the final fit of ``mu``.
    n_prior_iter : int
        Refits of ``mu`` spent estimating the class balance (0 when it was given).
    converged : bool
        Both the fit of ``mu`` and the class-balance iteration converged.
    prior_converged : bool
        The class-balance iteration converged (True when the balance was given).
    pair_weights : ndarray of shape (m, m)
        Weight of each labeler pair's co-votes in the fit: 0 for declared or detected
        dependencies, 1 otherwise.
    pair_residuals : ndarray of shape (m, m)
        :func:`pair_residuals` of the final fit.
    """

    mu: np.ndarray
    class_prior: np.ndarray
    accuracies: np.ndarray
    loss: float
    n_iter: int
    n_prior_iter: int
    converged: bool
    prior_converged: bool
    pair_weights: np.ndarray
    pair_residuals: np.ndarray


def _import_optimizer() -> None:
    # A failure here resurfaces, with its message, at the fit's own import.
    with contextlib.suppress(ImportError):
        importlib.import_module("scipy.optimize")


def covote_moments(table: VoteTable) -> np.ndarray:
    """The co-vote moment matrix ``O = E[psi psi^T]`` of a vote table.

    ``psi`` is the one-hot vector of an item's non-abstain votes, so entry
    ``[i*k + c, j*k + c']`` is the share of items on which labeler ``i`` voted ``c`` and
    labeler ``j`` voted ``c'``, and the diagonal holds each labeler's vote shares. Built
    from dense one-hot row blocks (see :meth:`VoteTable.gram`), never a dense ``n x m*k``
    float64 matrix.

    Parameters
    ----------
    table : VoteTable

    Returns
    -------
    ndarray of shape (m*k, m*k), float64

    Examples
    --------
    >>> t = VoteTable.from_votes(np.array([[0, 0], [1, -1], [0, 1], [-1, -1]]), 2)
    >>> covote_moments(t)[0].tolist()  # labeler 0 voted 0 on half the items
    [0.5, 0.0, 0.25, 0.25]
    """
    if table.k == 2 and table.strategy == "sparse":
        gram = _binary_gram(table.votes)
    else:
        gram = table.gram()
    return np.asarray(gram / max(table.n_items, 1))


def _binary_gram(votes: np.ndarray) -> np.ndarray:
    """``table.gram()`` for two classes, from 3 of the 4 ``m x m`` products it needs.

    With ``Z`` = voted and ``S`` = +1/-1 for a vote of 1/0 (0 when abstaining), the one-hot
    columns are ``(Z + S) / 2`` and ``(Z - S) / 2``, so every block follows from
    ``Z^T Z``, ``S^T S`` and ``Z^T S``. The float32 blocks come straight from the int8
    votes, skipping the ``(rows, m, 2)`` one-hot expansion: about twice as fast on wide
    label matrices, and exact (float32 sums of 0/+-1 products over <= 2^24 rows per block).
    """
    n, m = votes.shape
    ZZ = np.zeros((m, m))
    SS = np.zeros((m, m))
    ZS = np.zeros((m, m))
    step = max(1024, (1 << 22) // max(m, 1))
    for start in range(0, n, step):
        x = votes[start : start + step].astype(np.float32)
        Z = np.minimum(x + 1, 1)
        S = 2 * x - 1
        S *= Z
        ZZ += Z.T @ Z
        SS += S.T @ S
        ZS += Z.T @ S
    SZ = ZS.T
    gram = np.empty((2 * m, 2 * m))
    gram[1::2, 1::2] = (ZZ + ZS + SZ + SS) / 4  # voted 1, voted 1
    gram[0::2, 0::2] = (ZZ - ZS - SZ + SS) / 4  # voted 0, voted 0
    gram[1::2, 0::2] = (ZZ - ZS + SZ - SS) / 4  # row labeler voted 1, column labeler 0
    gram[0::2, 1::2] = gram[1::2, 0::2].T
    return gram


def _prior_mu(first: np.ndarray, class_prior: np.ndarray, prior_accuracy: float) -> np.ndarray:
    """``mu`` if every vote were right with ``prior_accuracy`` (the rest spread evenly).

    ``P(Y = y | lambda_j = c)`` is ``prior_accuracy`` for ``y = c``; Bayes' rule with the
    observed vote shares ``first[j, c]`` gives ``mu[j, c, y]``, which matches the first
    moments exactly.
    """
    k = first.shape[1]
    given_vote = np.full((k, k), (1.0 - prior_accuracy) / (k - 1))
    np.fill_diagonal(given_vote, prior_accuracy)
    mu = first[:, :, None] * given_vote[None] / class_prior[None, None, :]
    return np.asarray(np.clip(mu, 0.0, 1.0))


def fit_metal_mu(
    O: np.ndarray,
    class_prior: np.ndarray,
    *,
    cardinality: int,
    n_items: int,
    prior_accuracy: float = 0.7,
    l2: float = 1.0,
    pair_weights: np.ndarray | None = None,
    mu_start: np.ndarray | None = None,
    max_iter: int = 1000,
    tol: float = 1e-10,
) -> tuple[np.ndarray, float, int, bool]:
    """Fit ``mu`` to the co-vote moments for a fixed class balance (the MeTaL objective).

    Minimises, over ``mu`` in ``[0, 1]``::

        (sum W * (O - mu P mu^T)^2 + || mu p - diag(O) ||^2) / scale
          + l2 * noise * || mu - mu_0 ||^2 + 10 * sum_{j,y} max(0, sum_c mu[j, c, y] - 1)^2

    with ``P = diag(p)``, ``W`` 1 on entries of two different labelers (times
    ``pair_weights``) and 0 on a labeler's own block, ``scale`` the weighted squared norm
    of the fitted moments (so the loss starts near 1 whatever the coverage), ``noise``
    the expected value of the data term at the true parameters from sampling alone
    (``~ sum(O) / (n scale)``, so the prior fades as ``n`` grows) and ``mu_0`` the prior
    guess. The gradient is analytic; one evaluation costs ``O(d^2 k)`` with ``d = m k``.

    Parameters
    ----------
    O : ndarray of shape (m*k, m*k)
        Co-vote moments (:func:`covote_moments`).
    class_prior : ndarray of shape (k,)
    cardinality : int
        ``k``.
    n_items : int
        Number of items behind ``O`` (sets the sampling noise the prior is weighed
        against).
    prior_accuracy : float
        The prior guess's ``P(Y = c | labeler votes c)``, in ``(1/k, 1)``.
    l2 : float
        Strength of the pull towards the prior guess, in units of the sampling noise.
    pair_weights : ndarray of shape (m, m), optional
        Weight of each labeler pair's co-vote entries (0 leaves a pair out, as for a
        known dependency; default all 1).
    mu_start : ndarray of shape (m, k, k), optional
        Starting point (default: the prior guess).
    max_iter : int
    tol : float
        L-BFGS-B's projected-gradient tolerance.

    Returns
    -------
    mu : ndarray of shape (m, k, k)
        ``mu[j, c, y] = P(labeler j votes c | Y = y)``.
    loss : float
    n_iter : int
    converged : bool

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 20000)
    >>> L = np.where(rng.random((20000, 5)) < 0.8, y[:, None], 1 - y[:, None])
    >>> O = covote_moments(VoteTable.from_votes(L, 2))
    >>> mu, *_ = fit_metal_mu(O, np.array([0.5, 0.5]), cardinality=2, n_items=20000)
    >>> bool(np.allclose(mu[:, 1, 1], 0.8, atol=0.02))
    True
    """
    from scipy.optimize import minimize  # lazily: scipy.optimize costs ~0.1 s to import

    k = int(cardinality)
    d = O.shape[0]
    m = d // k
    p = np.asarray(class_prior, dtype=np.float64)
    first = np.clip(np.diag(O).copy(), 0.0, 1.0)
    mu0 = _prior_mu(first.reshape(m, k), p, prior_accuracy).reshape(m * k, k)
    labeler = np.repeat(np.arange(m), k)
    Wf = (labeler[:, None] != labeler[None, :]).astype(np.float64)
    if pair_weights is not None:
        Wf *= np.asarray(pair_weights, dtype=np.float64)[labeler][:, labeler]
    O_off = O * Wf
    scale = float(np.sum(O_off * O) + first @ first)
    scale = scale if scale > 0 else 1.0
    # Sampling noise of the moments: var(O_ab) ~ O_ab / n, so the normalised data error at
    # the true parameters is about sum(O) / (n * scale). The prior is weighed against it,
    # and fades as the number of items grows.
    noise = float(np.sum(O_off) + first.sum()) / max(int(n_items), 1) / scale
    reg = l2 * max(noise, 1e-12)

    # L-BFGS-B runs on x = mu * s with s_y = k p_y (the joint shares P(vote, Y = y), up
    # to a constant): the curvature along mu[., y] grows with p_y^2, so without the
    # rescaling a rare class converges many times slower than a common one.
    s = k * p

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        M = x.reshape(d, k) / s
        MP = M * p
        diff = MP @ M.T - O
        R = diff * Wf
        r = MP.sum(axis=1) - first
        D = M - mu0
        excess = np.maximum(M.reshape(m, k, k).sum(axis=1) - 1.0, 0.0)  # (m, y)
        loss = (float(np.sum(R * diff)) + float(r @ r)) / scale
        loss += reg * float(np.sum(D * D)) + _SIMPLEX_PENALTY * float(np.sum(excess * excess))
        grad = (4.0 * (R @ MP) + 2.0 * np.outer(r, p)) / scale + 2.0 * reg * D
        grad += (2.0 * _SIMPLEX_PENALTY * np.repeat(excess, k, axis=0)).reshape(d, k)
        grad /= s
        return loss, grad.ravel()

    start = mu0 if mu_start is None else np.clip(np.asarray(mu_start).reshape(d, k), 0, 1)
    result = minimize(
        objective,
        (start * s).ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=list(zip(np.zeros(d * k), np.tile(s, d), strict=True)),
        options={"maxiter": max_iter, "ftol": 1e-15, "gtol": tol, "maxcor": 20},
    )
    result.x = result.x.reshape(d, k) / s
    mu = np.clip(result.x.reshape(m, k, k), 0.0, 1.0)
    return mu, float(result.fun), int(result.nit), bool(result.success)


def metal_log_weights(
    mu: np.ndarray, class_prior: np.ndarray, *, model_abstentions: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Per-vote log-likelihood rows and the per-class constant of the posterior.

    ``log P(Y = y | lambda) = const[y] + sum over cast votes of rows[j*k + c, y]`` (up to
    normalisation). With abstentions modelled every labeler contributes its abstain
    factor to ``const``, and a cast vote swaps it for the vote's factor, so the sum runs
    over non-abstain votes only.

    Returns
    -------
    rows : ndarray of shape (m*k, k)
    const : ndarray of shape (k,)
    """
    m, k, _ = mu.shape
    log_vote = np.log(np.clip(mu, _PROB_FLOOR, 1.0))  # [j, c, y]
    const = np.log(np.clip(class_prior, _MIN_PRIOR, 1.0))
    if model_abstentions:
        log_abstain = np.log(np.clip(1.0 - mu.sum(axis=1), _PROB_FLOOR, 1.0))  # [j, y]
        log_vote = log_vote - log_abstain[:, None, :]
        const = const + log_abstain.sum(axis=0)
    return log_vote.reshape(m * k, k), const


def _posterior(
    table: VoteTable, mu: np.ndarray, class_prior: np.ndarray, model_abstentions: bool
) -> np.ndarray:
    rows, const = metal_log_weights(mu, class_prior, model_abstentions=model_abstentions)
    if table.k == 2 and table.strategy == "sparse":
        scores = _binary_scores(table.votes, rows)
    else:
        scores = table.scores(rows)
    scores += const
    return softmax_rows(scores)


def _binary_scores(votes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``table.scores(rows)`` for two classes without the one-hot indicators.

    With ``x`` the raw vote in ``{-1, 0, 1}``, ``[x = 1] = (x^2 + x) / 2`` and
    ``[x = 0] = 1 - x^2``, so the per-row sums are ``const + x @ A + x^2 @ B``: two skinny
    float32 products, about twice as fast as one indicator product per class.
    """
    n, m = votes.shape
    zero, one = rows[0::2], rows[1::2]  # (m, k): weights of a vote for class 0 / 1
    A = (one / 2).astype(np.float32)
    B = (one / 2 - zero).astype(np.float32)
    base = zero.sum(axis=0)
    out = np.empty((n, rows.shape[1]))
    step = max(1024, (1 << 22) // max(m, 1))
    for start in range(0, n, step):
        x = votes[start : start + step].astype(np.float32)
        block = x @ A
        x *= x
        block += x @ B
        out[start : start + step] = block
    out += base
    return out


def _accuracies(mu: np.ndarray, class_prior: np.ndarray) -> np.ndarray:
    """Share of each labeler's votes that are right: ``P(lambda_j = Y | lambda_j votes)``."""
    k = mu.shape[1]
    right = np.einsum("jyy,y->j", mu, class_prior)
    voted = np.einsum("jcy,y->j", mu, class_prior)
    return np.where(voted > 0, right / np.maximum(voted, 1e-300), 1.0 / k)


def _prior_sample(table: VoteTable, max_rows: int) -> VoteTable:
    """At most ``max_rows`` rows of ``table``: a systematic sample, proportional to weight.

    Deterministic (evenly spaced along the cumulative weights), so fits do not depend on
    a seed; repeated picks of a pattern become its weight.
    """
    if table.n_rows <= max_rows:
        return table
    cumulative = np.cumsum(table.weights)
    total = float(cumulative[-1])
    positions = (np.arange(max_rows) + 0.5) * (total / max_rows)
    picks = np.minimum(np.searchsorted(cumulative, positions, side="right"), table.n_rows - 1)
    rows, counts = np.unique(picks, return_counts=True)
    return VoteTable(
        votes=table.votes[rows],
        k=table.k,
        weights=counts.astype(np.float64),
        inverse=None,
        strategy="patterns",
        n_items=int(counts.sum()),
    )


def _project_prior(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.nan_to_num(p, nan=_MIN_PRIOR), _MIN_PRIOR, None)
    return np.asarray(p / p.sum())


def pair_residuals(O: np.ndarray, mu: np.ndarray, class_prior: np.ndarray) -> np.ndarray:
    """How far the model misses each pair of labelers' co-votes.

    ``R[i, j]`` is the Frobenius norm of the ``k x k`` block of ``O - mu diag(p) mu^T``
    for labelers ``i`` and ``j``, divided by ``sqrt(coverage_i coverage_j)`` so that
    rarely voting labelers are not ignored. Independent labelers that fit the model have
    small, similar residuals; a copied or otherwise dependent pair stands out.

    Returns
    -------
    ndarray of shape (m, m), zero diagonal
    """
    m, k, _ = mu.shape
    M = mu.reshape(m * k, k)
    diff = (O - (M * class_prior) @ M.T).reshape(m, k, m, k)
    block = np.sqrt(np.einsum("icjd,icjd->ij", diff, diff))
    coverage = np.diag(O).reshape(m, k).sum(axis=1)
    scale = np.sqrt(np.outer(coverage, coverage))
    out = np.where(scale > 0, block / np.where(scale > 0, scale, 1.0), 0.0)
    np.fill_diagonal(out, 0.0)
    return np.asarray(out)


def _dependency_weights(O: np.ndarray, R: np.ndarray, n_items: int, threshold: float) -> np.ndarray:
    """Pair weights: 0 where ``R[i, j] > threshold x`` the typical residual, else 1.

    The typical residual is the median over pairs, or the sampling noise of the pair's
    moments if that is larger (so sparse data are not mistaken for dependencies). Pairs
    are left out entirely rather than down-weighted: a fit that mistook a copied pair
    for the truth misses that pair only a few times more than the others, and a partial
    weight leaves it in the same wrong optimum.
    """
    m = R.shape[0]
    k = O.shape[0] // m
    upper = np.triu_indices(m, 1)
    coverage = np.diag(O).reshape(m, k).sum(axis=1)
    covote = O.reshape(m, k, m, k).sum(axis=(1, 3))
    scale = np.sqrt(np.outer(coverage, coverage))
    noise = np.sqrt(covote / max(n_items, 1)) / np.where(scale > 0, scale, 1.0)
    tau = threshold * np.maximum(float(np.median(R[upper])), noise)
    weights = np.where(tau < R, 0.0, 1.0)
    np.fill_diagonal(weights, 1.0)
    return np.asarray(weights)


def fit_metal(
    table: VoteTable,
    *,
    class_prior: np.ndarray | None = None,
    prior_accuracy: float = 0.7,
    l2: float = 1.0,
    model_abstentions: bool = True,
    dependencies: Any = None,
    detect_dependencies: bool = True,
    dependency_threshold: float = 3.0,
    max_iter: int = 1000,
    tol: float = 1e-10,
    prior_tol: float = 1e-4,
    prior_max_iter: int = 50,
    prior_sample: int = 100_000,
) -> MetalFit:
    """Fit the MeTaL-style model to a vote table (see the module docstring).

    Parameters
    ----------
    table : VoteTable
    class_prior : ndarray of shape (k,), optional
        Fixed class balance; estimated (fixed point of the mean posterior) when omitted.
    prior_accuracy, l2, max_iter, tol
        See :func:`fit_metal_mu`.
    model_abstentions : bool
        Include the abstain factors in the posterior used to estimate the class balance.
    dependencies : sequence of (i, j) pairs, optional
        Labeler pairs known to be dependent (copies, rules sharing a condition); their
        co-votes are left out of the fit, as in Ratner et al.'s dependency graph.
    detect_dependencies : bool
        After a first fit, leave out labeler pairs whose co-votes the model misses by
        more than ``dependency_threshold`` times the typical pair (:func:`pair_residuals`)
        and refit, for up to 3 rounds, keeping a refit only if it lowers the robust misfit
        ``sum_{i<j} sqrt(R_ij)`` over *all* pairs. That criterion prefers one badly
        missed pair (a copy) to many moderately missed ones (what a fit that mistook a
        copied pair for the truth looks like), and leaves models whose misfit is spread
        evenly (e.g. mildly dependent real rules) alone.
    dependency_threshold : float
    prior_tol : float
        Stop the class-balance iteration when no class share moves by more than this.
    prior_max_iter : int
        At most this many refits of ``mu`` while estimating the class balance.
    prior_sample : int
        The class balance is estimated on at most this many rows (a systematic sample):
        the mean of a posterior over 100k rows is precise to ~0.003, and the cost of the
        fit stays independent of the number of items.

    Returns
    -------
    MetalFit

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 20000)
    >>> L = np.where(rng.random((20000, 4)) < 0.75, y[:, None], 1 - y[:, None])
    >>> fit = fit_metal(VoteTable.from_votes(L, 2))
    >>> np.round(fit.accuracies, 2).tolist(), np.round(fit.class_prior, 2).tolist()
    ([0.75, 0.75, 0.75, 0.75], [0.5, 0.5])
    """
    O = covote_moments(table)
    # Load scipy's BLAS before limiting threads: a library loaded inside the limit is not
    # limited, and L-BFGS-B's thousands of tiny BLAS calls crawl when their worker
    # threads compete for busy cores.
    import scipy.optimize  # noqa: F401

    with single_threaded_blas():
        return _fit_metal(
            table,
            O,
            class_prior=class_prior,
            prior_accuracy=prior_accuracy,
            l2=l2,
            model_abstentions=model_abstentions,
            dependencies=dependencies,
            detect_dependencies=detect_dependencies,
            dependency_threshold=dependency_threshold,
            max_iter=max_iter,
            tol=tol,
            prior_tol=prior_tol,
            prior_max_iter=prior_max_iter,
            prior_sample=prior_sample,
        )


def _fit_metal(
    table: VoteTable,
    O: np.ndarray,
    *,
    class_prior: np.ndarray | None,
    prior_accuracy: float,
    l2: float,
    model_abstentions: bool,
    dependencies: Any,
    detect_dependencies: bool,
    dependency_threshold: float,
    max_iter: int,
    tol: float,
    prior_tol: float,
    prior_max_iter: int,
    prior_sample: int,
) -> MetalFit:
    k, m = table.k, table.n_labelers
    declared = np.ones((m, m))
    for i, j in dependencies or ():
        declared[i, j] = declared[j, i] = 0.0
    sample = _prior_sample(table, prior_sample) if class_prior is None else None

    def fit_once(weights: np.ndarray, p_start: np.ndarray, mu_start: np.ndarray | None) -> MetalFit:
        def fit_mu(p: np.ndarray, start: np.ndarray | None) -> tuple[Any, float, int, bool]:
            return fit_metal_mu(
                O,
                p,
                cardinality=k,
                n_items=table.n_items,
                prior_accuracy=prior_accuracy,
                l2=l2,
                pair_weights=weights,
                mu_start=start,
                max_iter=max_iter,
                tol=tol,
            )

        state: dict[str, Any] = {"mu": mu_start, "evals": 0}
        if sample is None:
            p, prior_converged = p_start, True
        else:
            total = float(sample.weights.sum())

            def update(p: np.ndarray) -> np.ndarray:
                fitted, *_ = fit_mu(p, state["mu"])
                state["mu"] = fitted
                state["evals"] += 1
                post = _posterior(sample, fitted, p, model_abstentions)
                return _project_prior(sample.weights @ post / total)

            p, prior_converged = _fixed_point(
                update, p_start, tol=prior_tol, max_evals=prior_max_iter
            )
        mu, loss, n_iter, mu_converged = fit_mu(p, state["mu"])
        return MetalFit(
            mu=mu,
            class_prior=p,
            accuracies=_accuracies(mu, p),
            loss=loss,
            n_iter=n_iter,
            n_prior_iter=int(state["evals"]),
            converged=mu_converged and prior_converged,
            prior_converged=prior_converged,
            pair_weights=weights,
            pair_residuals=pair_residuals(O, mu, p),
        )

    if class_prior is not None:
        p0 = _project_prior(np.asarray(class_prior, dtype=np.float64))
    else:
        p0 = np.full(k, 1.0 / k)
    fit = fit_once(declared, p0, None)
    if detect_dependencies and m >= 4:
        upper = np.triu_indices(m, 1)
        misfit = float(np.sqrt(fit.pair_residuals[upper]).sum())
        n_prior_iter = fit.n_prior_iter
        for _ in range(3):
            weights = declared * _dependency_weights(
                O, fit.pair_residuals, table.n_items, dependency_threshold
            )
            if np.array_equal(weights, fit.pair_weights):
                break
            candidate = fit_once(weights, fit.class_prior, fit.mu)
            n_prior_iter += candidate.n_prior_iter
            candidate_misfit = float(np.sqrt(candidate.pair_residuals[upper]).sum())
            if candidate_misfit >= misfit:
                break
            fit, misfit = candidate, candidate_misfit
        fit.n_prior_iter = n_prior_iter
    return fit


def _fixed_point(
    update: Any, p0: np.ndarray, *, tol: float, max_evals: int
) -> tuple[np.ndarray, bool]:
    """Solve ``p = update(p)`` by safeguarded SQUAREM iteration (Varadhan & Roland, 2008).

    The map moves ``p`` only slowly when the balance is weakly identified, so plain
    iteration would need hundreds of refits; the squared extrapolation covers the same
    ground in a few. Extrapolated steps are shortened until every class keeps at least
    half its share (the simplex boundary is a spurious fixed point: a class with no mass
    gets no posterior mass) and are kept only if they shrink the residual.
    """
    p = p0
    evals = 0
    while evals + 2 <= max_evals:
        p1 = update(p)
        p2 = update(p1)
        evals += 2
        r = p1 - p
        if np.max(np.abs(r)) < tol:
            return p1, True
        v = (p2 - p1) - r
        norm_v = float(np.linalg.norm(v))
        alpha = -float(np.linalg.norm(r)) / norm_v if norm_v > 0 else -1.0
        alpha = min(alpha, -1.0)
        floor = 0.5 * np.minimum(p, p2)
        jump = p - 2.0 * alpha * r + alpha * alpha * v
        while alpha < -1.0 and np.any(jump < floor):
            alpha = min(-1.0, (alpha - 1.0) / 2.0)
            jump = p - 2.0 * alpha * r + alpha * alpha * v
        if alpha == -1.0 or evals + 1 > max_evals:
            # Plain double step (jump == p2).
            p = p2
            continue
        jump = _project_prior(jump)
        stabilised = update(jump)
        evals += 1
        residual = float(np.max(np.abs(stabilised - jump)))
        if residual < tol:
            return stabilised, True
        p = stabilised if residual <= float(np.max(np.abs(p2 - p1))) else p2
    return p, False


class MetalModel(LabelModel):
    """Snorkel/MeTaL-style label model: class-conditional vote rates from co-vote moments.

    Learns ``mu[j, c, y] = P(labeler j votes c | Y = y)`` for every labeler, vote and
    class -- abstaining included, so rules that only ever vote one class are informative
    by *when* they vote -- and the class balance, without gold labels, by matrix
    completion on the co-vote moments (Ratner et al., 2019); see
    :mod:`labelwise.models.metal`. Fitting costs one pass over ``L`` plus work that
    depends only on ``m`` and ``k``; prediction is one pass over the distinct vote
    patterns.

    Parameters
    ----------
    cardinality : int, optional
    class_prior : array-like of shape (k,), optional
        Fixed class balance. Otherwise gold labels passed to ``fit(L, y_dev=...)`` give
        it, or it is estimated from the votes.
    prior_accuracy : float, default 0.7
        Prior guess of ``P(Y = c | labeler votes c)``: the starting point, the pull of
        the ``l2`` term, and what fixes which class is which.
    l2 : float, default 1.0
        Strength of the pull towards the prior guess, in units of the sampling noise of
        the moments (so it fades as the number of items grows).
    model_abstentions : bool, default True
        Include each abstaining labeler's factor ``P(abstain | Y)`` in the posterior.
        Turning it off gives Snorkel's posterior, which only reads cast votes.
    dependencies : sequence of (i, j) column pairs, optional
        Labelers known to be dependent (a copy, two rules on the same condition): their
        co-votes are left out of the fit.
    detect_dependencies : bool, default True
        Leave out pairs whose co-votes the model misses by more than 3x the typical pair
        (:func:`pair_residuals`) and refit, keeping the refit only if the model then
        fits the other pairs better (see :func:`fit_metal`). A labeler that copies
        another would otherwise be taken for the truth: both look ~100% accurate.
    max_iter : int, default 1000
        L-BFGS iterations per fit of ``mu``.
    tol : float, default 1e-10
        L-BFGS-B projected-gradient tolerance.
    tie_policy : {"abstain", "random", "prior"}, default "abstain"
    seed : int, optional
        Seeds ``"random"`` tie-breaking (fitting is deterministic).

    Attributes
    ----------
    mu_ : ndarray of shape (m, k, k)
        ``[j, c, y] = P(labeler j votes c | Y = y)``; ``1 - mu_.sum(axis=1)`` is the
        abstain probability ``[j, y]``.
    class_prior_ : ndarray of shape (k,)
    accuracies_ : ndarray of shape (m,)
        Share of each labeler's votes that are right, ``P(lambda_j = Y | it votes)``
        (``1/k`` for a labeler that never votes).
    confusion_matrices_ : ndarray of shape (m, k, k)
        ``[j, y, c] = P(labeler j votes c | Y = y, it votes)``.
    voting_probs_ : ndarray of shape (m, k)
        ``[j, y] = P(labeler j votes | Y = y)``.
    pair_weights_ : ndarray of shape (m, m)
        Weight of each labeler pair in the fit (0 for a declared or detected dependency).
    pair_residuals_ : ndarray of shape (m, m)
        How far the fitted model misses each pair's co-votes (:func:`pair_residuals`).
    dependent_pairs_ : list of (i, j)
        Declared and detected dependent pairs, the worst-fitting first.
    loss_ : float
    n_iter_ : int
    n_prior_iter_ : int
        Refits of ``mu`` spent estimating the class balance.
    converged_ : bool

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 5000)
    >>> votes_low = np.where(rng.random((5000, 3)) < np.where(y == 0, 0.6, 0.05)[:, None], 0, -1)
    >>> votes_high = np.where(rng.random((5000, 3)) < np.where(y == 1, 0.5, 0.05)[:, None], 1, -1)
    >>> model = MetalModel(seed=0).fit(np.hstack([votes_low, votes_high]))
    >>> model.mu_.shape, bool(abs(model.mu_[0, 0, 0] - 0.6) < 0.05)
    ((6, 2, 2), True)
    """

    name = "snorkel"
    supports_prior_override = True

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        class_prior: Any = None,
        prior_accuracy: float = 0.7,
        l2: float = 1.0,
        model_abstentions: bool = True,
        dependencies: Any = None,
        detect_dependencies: bool = True,
        max_iter: int = 1000,
        tol: float = 1e-10,
        tie_policy: str = "abstain",
        seed: int | None = None,
    ) -> None:
        self.cardinality = cardinality
        self.class_prior = class_prior
        self.prior_accuracy = prior_accuracy
        self.l2 = l2
        self.model_abstentions = model_abstentions
        self.dependencies = dependencies
        self.detect_dependencies = detect_dependencies
        self.max_iter = max_iter
        self.tol = tol
        self.tie_policy = tie_policy
        self.seed = seed

    def fit(self, L: Any, *, y_dev: Any = None, L_dev: Any = None) -> MetalModel:
        """Learn ``mu_`` and ``class_prior_`` from the votes ``L`` (see :meth:`LabelModel.fit`).

        Parameters
        ----------
        L : array-like or LabelMatrix of shape (n, m)
        y_dev : array-like of shape (n_dev,), optional
            Gold classes; only their class balance is used.
        L_dev : array-like or LabelMatrix of shape (n_dev, m), optional

        Returns
        -------
        self
        """
        if "scipy.optimize" not in sys.modules:
            # scipy.optimize takes ~0.4 s to import; load it on a second thread while
            # this one counts the votes (numpy releases the GIL), instead of after.
            threading.Thread(target=_import_optimizer, name="labelwise-scipy", daemon=True).start()
        super().fit(L, y_dev=y_dev, L_dev=L_dev)
        return self

    def _check_dependencies(self, m: int) -> list[tuple[int, int]]:
        pairs: list[tuple[int, int]] = []
        for pair in self.dependencies or ():
            try:
                i, j = (int(v) for v in pair)
            except (TypeError, ValueError):
                raise LabelwiseError(
                    f"dependencies must be pairs of labeler columns like (0, 3), got {pair!r}"
                ) from None
            if not (0 <= i < m and 0 <= j < m) or i == j:
                raise LabelwiseError(
                    f"dependency {pair!r} must name two different labeler columns in 0..{m - 1}"
                )
            pairs.append((i, j))
        return pairs

    def _check_params(self, k: int) -> np.ndarray | None:
        if not 1.0 / k < self.prior_accuracy < 1.0:
            raise LabelwiseError(
                f"prior_accuracy must be between 1/k = {1 / k:.3f} and 1 (a vote better than "
                f"chance), got {self.prior_accuracy}"
            )
        if not (self.l2 >= 0 and np.isfinite(self.l2)):
            raise LabelwiseError(f"l2 must be a finite number >= 0, got {self.l2}")
        if self.max_iter < 1 or not self.tol > 0:
            raise LabelwiseError(
                f"need max_iter >= 1 and tol > 0, got max_iter={self.max_iter}, tol={self.tol}"
            )
        if self.class_prior is None:
            return None
        prior = np.asarray(self.class_prior, dtype=np.float64).reshape(-1)
        if prior.shape[0] != k or np.any(prior <= 0) or not np.isclose(prior.sum(), 1.0):
            raise LabelwiseError(
                f"class_prior must be {k} positive numbers summing to 1 (one per class), "
                f"got {np.asarray(self.class_prior).tolist()}"
            )
        return prior

    def _fallback_priors(
        self, table: VoteTable, gold: tuple[np.ndarray, np.ndarray] | None
    ) -> list[tuple[str, np.ndarray | str]]:
        # A class balance the caller fixed is kept (the guards still warn).
        return [] if self.class_prior is not None else super()._fallback_priors(table, gold)

    def _fit(self, table: VoteTable, gold: tuple[np.ndarray, np.ndarray] | None) -> None:
        k, m = table.k, table.n_labelers
        prior = self._check_params(k)
        dependencies = self._check_dependencies(m)
        prior = self._class_prior_for_fit(gold, prior)
        silent = np.flatnonzero(self.coverage_ == 0)
        if silent.size:
            warnings.warn(
                f"{silent.size} labeler(s) never vote (columns {silent[:10].tolist()}); "
                "they carry no information (accuracy reported as 1/k). Drop them or check "
                "the rules that produce them.",
                UserWarning,
                stacklevel=3,
            )
        if m - silent.size < 3:
            warnings.warn(
                f"only {m - silent.size} labeler(s) vote: vote rates cannot be identified "
                "from co-votes without at least 3, so they lean on prior_accuracy",
                UserWarning,
                stacklevel=3,
            )
        result = fit_metal(
            table,
            class_prior=prior,
            prior_accuracy=self.prior_accuracy,
            l2=self.l2,
            model_abstentions=self.model_abstentions,
            dependencies=dependencies,
            detect_dependencies=self.detect_dependencies,
            max_iter=self.max_iter,
            tol=self.tol,
        )
        if not result.prior_converged:
            warnings.warn(
                f"the class balance is only weakly identified by these votes (still moving "
                f"after {result.n_prior_iter} refits; estimate "
                f"{np.round(result.class_prior, 3).tolist()}); pass class_prior=... or gold "
                "labels (fit(L, y_dev=...)) if you know it",
                UserWarning,
                stacklevel=3,
            )
        self.mu_ = result.mu
        self.class_prior_ = result.class_prior
        acc = result.accuracies
        if silent.size:
            acc = acc.copy()
            acc[silent] = 1.0 / k
        self.accuracies_ = acc
        voting = result.mu.sum(axis=1)  # [j, y]
        self.voting_probs_ = np.clip(voting, 0.0, 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            conf = result.mu.transpose(0, 2, 1) / voting[:, :, None]
        self.confusion_matrices_ = np.where(np.isfinite(conf), conf, 1.0 / k)
        self.pair_weights_ = result.pair_weights
        residuals = result.pair_residuals
        self.pair_residuals_ = residuals
        upper = np.argwhere(np.triu(result.pair_weights < 1.0, 1))
        order = np.argsort(-residuals[upper[:, 0], upper[:, 1]], kind="stable")
        self.dependent_pairs_ = [(int(i), int(j)) for i, j in upper[order]]
        self.loss_ = result.loss
        self.n_iter_ = result.n_iter
        self.n_prior_iter_ = result.n_prior_iter
        self.converged_ = result.converged

    def _predict_proba(self, table: VoteTable) -> np.ndarray:
        return _posterior(table, self.mu_, self.class_prior_, self.model_abstentions)
