"""A closed-form label model from agreement statistics (the triplet method).

Like Snorkel's label model this fits labeler accuracies and the class balance from the
votes alone, by matching second moments, but in closed form (no gradient descent), after
FlyingSquid (Fu et al., 2020), extended here from binary to ``k`` classes.

Model ("one-coin"): when labeler ``j`` votes, it is right with probability ``a_j`` and
otherwise picks one of the other ``k - 1`` classes uniformly; labelers err
independently given the true class. Write ``b_j = (k a_j - 1) / (k - 1)`` (0 at chance,
1 when perfect). Then for two labelers that both vote, whatever the class balance::

    M_ij := (k * P(agree) - 1) / (k - 1) = b_i * b_j

so each triplet ``(i, j, l)`` gives ``b_i^2 = M_ij M_il / M_jl``. Taking the median over
all triplets makes the estimate robust to a few dependent pairs (copied labelers), whose
excess agreement is then measured and used to down-weight the copies at prediction time.
The class balance follows from first moments, ``P(j votes c) = (1-a_j)/(k-1) + p_c b_j``.
Only the ``m x m`` co-vote and agreement counts are needed: one streaming pass over
``L`` with dense BLAS on small row blocks.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelwise.errors import LabelwiseError
from labelwise.models.base import LabelModel, gold_class_prior, softmax_rows
from labelwise.models.patterns import VoteTable

__all__ = ["AgreementStats", "TripletFit", "TripletModel", "agreement_stats", "fit_triplet"]

_B_MAX = 0.99  # cap on the centred accuracy b, so log-odds stay finite


@dataclass
class AgreementStats:
    """Pairwise vote statistics of a label matrix.

    Attributes
    ----------
    covotes : ndarray of shape (m, m)
        Items on which both labelers voted (diagonal: items each labeler voted on).
    agreements : ndarray of shape (m, m)
        Items on which both voted the same class.
    class_votes : ndarray of shape (m, k)
        Votes per class of each labeler.
    n_items : int
    """

    covotes: np.ndarray
    agreements: np.ndarray
    class_votes: np.ndarray
    n_items: int


def agreement_stats(table: VoteTable) -> AgreementStats:
    """Co-vote and agreement counts in one pass over the rows of ``table``.

    For ``k = 2`` signed votes ``s = +1/-1/0`` give ``agree - disagree`` in one product,
    so two ``m``-wide products suffice; otherwise ``k + 1`` of them. All sums run on
    row blocks of float32 (exact for the integer counts of one block).

    Examples
    --------
    >>> t = VoteTable.from_votes(np.array([[0, 0, -1], [1, 0, 1], [1, 1, 1]]), 2)
    >>> s = agreement_stats(t)
    >>> s.covotes.astype(int).tolist(), s.agreements.astype(int).tolist()
    ([[3, 3, 2], [3, 3, 2], [2, 2, 2]], [[3, 2, 2], [2, 3, 1], [2, 1, 2]])
    """
    votes, k, m = table.votes, table.k, table.n_labelers
    weights = table.weights if table.strategy == "patterns" else None
    covotes = np.zeros((m, m))
    agreements = np.zeros((m, m))
    class_votes = np.zeros((m, k))
    dtype = np.float64 if weights is not None else np.float32
    step = max(1024, (1 << 21) // max(1, m))
    for start in range(0, votes.shape[0], step):
        x: np.ndarray = votes[start : start + step].astype(dtype)
        # Z = 1 where voted: min(vote + 1, 1) maps -1 -> 0 and 0..k-1 -> 1.
        Z: np.ndarray = np.minimum(x + 1, 1)
        Zw: np.ndarray = Z if weights is None else Z * weights[start : start + step, None]
        covotes += Zw.T @ Z
        if k == 2:
            # Signed votes: 0 -> -1, 1 -> +1, abstain -> 0; S.T @ S = agree - disagree.
            S = x * 2 - 1
            S *= Z
            Sw = S if weights is None else S * weights[start : start + step, None]
            agreements += Sw.T @ S
            class_votes[:, 1] += Sw.sum(axis=0)
        else:
            for v in range(k):
                Y: np.ndarray = np.asarray(x == v, dtype=dtype)
                Yw: np.ndarray = Y if weights is None else Y * weights[start : start + step, None]
                agreements += Yw.T @ Y
                class_votes[:, v] += Yw.sum(axis=0)
    if k == 2:
        agreements = (covotes + agreements) / 2
        # class_votes[:, 1] holds (#1 - #0); the diagonal of covotes holds (#1 + #0).
        class_votes[:, 1] = (np.diag(covotes) + class_votes[:, 1]) / 2
        class_votes[:, 0] = np.diag(covotes) - class_votes[:, 1]
    return AgreementStats(covotes, agreements, class_votes, table.n_items)


@dataclass
class TripletFit:
    """The result of :func:`fit_triplet`.

    Attributes
    ----------
    accuracies : ndarray of shape (m,)
        ``a_j``: probability that labeler ``j`` is right when it votes.
    class_prior : ndarray of shape (k,)
    weights : ndarray of shape (m,)
        Log-odds vote weight of each labeler, after the dependency correction.
    dependency : ndarray of shape (m, m)
        Estimated share of co-voted items on which a pair's votes are copies (0 for
        pairs that agree no more than their accuracies explain).
    """

    accuracies: np.ndarray
    class_prior: np.ndarray
    weights: np.ndarray
    dependency: np.ndarray


def _centred_from_triplets(M: np.ndarray, min_denominator: float) -> np.ndarray:
    """``b_i^2`` as the median over triplets of ``M_ij M_il / M_jl`` (NaN if none)."""
    m = M.shape[0]
    b2 = np.full(m, np.nan)
    finite = np.isfinite(M)
    ok_pair = finite & (np.abs(np.nan_to_num(M)) >= min_denominator)
    upper = np.triu(np.ones((m, m), dtype=bool), 1)
    for i in range(m):
        Mi = M[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            est = np.outer(Mi, Mi) / M
        valid = upper & ok_pair & finite[i][:, None] & finite[i][None, :]
        valid[i, :] = False
        valid[:, i] = False
        values = est[valid]
        if values.size:
            b2[i] = float(np.median(values))
    return b2


def _centred_accuracies(M: np.ndarray, min_denominator: float, b_default: float) -> np.ndarray:
    """``b`` (>= 0) per labeler from the pairwise statistic ``M`` (NaN = unusable pair)."""
    m = M.shape[0]
    if m >= 3:
        b2 = _centred_from_triplets(M, min_denominator)
    else:
        b2 = np.full(m, np.nan)
        if m == 2 and np.isfinite(M[0, 1]):
            # Two labelers cannot be told apart: split their agreement evenly.
            b2[:] = max(M[0, 1], 0.0)
    b = np.sqrt(np.clip(b2, 0.0, _B_MAX**2))
    missing = ~np.isfinite(b)
    if missing.any():
        # Fall back to agreement with the identified labelers, else the default.
        known = ~missing & (b > 0)
        for i in np.flatnonzero(missing):
            row = M[i]
            pairs = known & np.isfinite(row)
            b[i] = float(np.median(row[pairs] / b[pairs])) if pairs.any() else b_default
        b = np.clip(b, 0.0, _B_MAX)
    return b


def _dependency(M: np.ndarray, b: np.ndarray, covotes: np.ndarray, usable: np.ndarray) -> Any:
    """Share of co-voted items on which a pair agrees beyond what ``b_i b_j`` explains."""
    if M.shape[0] < 3:
        return np.zeros_like(M)
    expected = np.outer(b, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = (M - expected) / (1 - expected)
    excess = np.where(usable & np.isfinite(excess), excess, 0.0)
    # Only a clear excess is a dependency; sampling noise on M is ~1/sqrt(covotes).
    noise = 4.0 / np.sqrt(np.maximum(covotes, 1.0))
    return np.where(excess > np.maximum(0.1, noise), np.minimum(excess, 1.0), 0.0)


def fit_triplet(
    stats: AgreementStats,
    *,
    min_covotes: int = 20,
    min_denominator: float = 0.05,
    default_accuracy: float = 0.7,
    class_prior: np.ndarray | None = None,
    correct_dependencies: bool = True,
) -> TripletFit:
    """Estimate one-coin accuracies and the class balance from agreement statistics.

    Parameters
    ----------
    stats : AgreementStats
    min_covotes : int
        Pairs that co-voted on fewer items are ignored.
    min_denominator : float
        Triplets whose ``|M_jl|`` is smaller are ignored (they are too noisy).
    default_accuracy : float
        Used for a labeler whose accuracy cannot be identified (no usable overlap).
    class_prior : ndarray of shape (k,), optional
        Fixed class balance; estimated when omitted.
    correct_dependencies : bool
        Down-weight pairs of labelers that agree more than their accuracies explain.

    Returns
    -------
    TripletFit
    """
    covotes, agreements = stats.covotes, stats.agreements
    m, k = stats.class_votes.shape
    usable = covotes >= min_covotes
    np.fill_diagonal(usable, False)
    with np.errstate(divide="ignore", invalid="ignore"):
        M = (k * agreements / covotes - 1.0) / (k - 1)
    M[~usable] = np.nan

    b_default = (k * default_accuracy - 1) / (k - 1)
    # Estimate accuracies, flag pairs that agree more than those accuracies explain, and
    # re-estimate without the triplets that contain a flagged pair, until stable.
    flagged = np.zeros((m, m), dtype=bool)
    for _ in range(4 if correct_dependencies and m >= 3 else 1):
        b = _centred_accuracies(np.where(flagged, np.nan, M), min_denominator, b_default)
        dependency = (
            _dependency(M, b, covotes, usable) if correct_dependencies else np.zeros((m, m))
        )
        if np.array_equal(dependency > 0, flagged):
            break
        flagged = dependency > 0
    # Sign: a labeler that disagrees with the (better than chance) rest is adversarial.
    support = np.nansum(np.where(usable, covotes * np.nan_to_num(M), 0.0) * b[None, :], axis=1)
    b = np.where(support < 0, -np.minimum(b, 1.0 / (k - 1)), b)
    accuracies = np.clip((1 + (k - 1) * b) / k, 1e-3, 1 - 1e-3)

    if class_prior is None:
        n_votes = stats.class_votes.sum(axis=1)
        shares = stats.class_votes / np.maximum(n_votes, 1)[:, None]
        chance = (1 - accuracies) / (k - 1)
        denom = float(np.sum(n_votes * b * b))
        if denom > 0:
            prior = (n_votes * b) @ (shares - chance[:, None]) / denom
        else:
            prior = np.full(k, 1.0 / k)
        prior = np.clip(prior, 1e-3, None)
        class_prior = prior / prior.sum()

    weights = np.log(accuracies * (k - 1) / (1 - accuracies))
    weights = weights / (1.0 + dependency.sum(axis=1))
    return TripletFit(
        accuracies=accuracies,
        class_prior=np.asarray(class_prior, dtype=np.float64),
        weights=weights,
        dependency=dependency,
    )


class TripletModel(LabelModel):
    """Snorkel-style label model fitted in closed form from agreement statistics.

    Learns each labeler's accuracy and the class balance without gold labels, then
    predicts the naive-Bayes posterior ``P(y | votes)``. Fitting needs one pass over
    ``L`` (``m x m`` agreement counts); prediction is a weighted vote. Pairs of labelers
    that agree far more than their accuracies explain (copies, shared heuristics) are
    detected and down-weighted so they are not double counted.

    It assumes, like the one-coin model, that how often a labeler votes does not depend
    on the true class. Rules that only ever vote one class break that assumption (it
    warns); :class:`~labelwise.models.DawidSkene` models abstentions and handles them.

    Parameters
    ----------
    cardinality : int, optional
    min_covotes : int, default 20
        Pairs with fewer co-voted items are ignored when estimating accuracies.
    default_accuracy : float, default 0.7
        Accuracy assumed for a labeler that overlaps too little with the others.
    correct_dependencies : bool, default True
    tie_policy : {"abstain", "random", "prior"}, default "abstain"
    seed : int, optional
        Seeds ``"random"`` tie-breaking (fitting is deterministic).

    Attributes
    ----------
    accuracies_ : ndarray of shape (m,)
    class_prior_ : ndarray of shape (k,)
    weights_ : ndarray of shape (m,)
        Vote weight (log-odds of the accuracy, divided among detected copies).
    dependency_ : ndarray of shape (m, m)
        Estimated copy rate of each pair of labelers (0 = independent).
    confusion_matrices_ : ndarray of shape (m, k, k)
        The one-coin confusion matrices implied by ``accuracies_``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 2000)
    >>> L = np.where(rng.random((2000, 4)) < 0.8, y[:, None], 1 - y[:, None])
    >>> model = TripletModel().fit(L)
    >>> bool(np.all(np.abs(model.accuracies_ - 0.8) < 0.05))
    True
    """

    name = "triplet"

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        min_covotes: int = 20,
        default_accuracy: float = 0.7,
        correct_dependencies: bool = True,
        tie_policy: str = "abstain",
        seed: int | None = None,
    ) -> None:
        self.cardinality = cardinality
        self.min_covotes = min_covotes
        self.default_accuracy = default_accuracy
        self.correct_dependencies = correct_dependencies
        self.tie_policy = tie_policy
        self.seed = seed

    def _fit(self, table: VoteTable, gold: tuple[np.ndarray, np.ndarray] | None) -> None:
        k = table.k
        if not 1.0 / k < self.default_accuracy < 1.0:
            raise LabelwiseError(
                f"default_accuracy must be between 1/k = {1 / k:.3f} and 1, "
                f"got {self.default_accuracy}"
            )
        if table.n_labelers < 3:
            warnings.warn(
                f"only {table.n_labelers} labeler(s): accuracies cannot be identified from "
                "agreements without at least 3; the estimates are rough guesses",
                stacklevel=3,
            )
        prior = None if gold is None else gold_class_prior(gold[1], k)
        stats = agreement_stats(table)
        n_votes = stats.class_votes.sum(axis=1)
        one_sided = (n_votes >= 20) & (
            stats.class_votes.max(axis=1) >= 0.98 * np.maximum(n_votes, 1)
        )
        if one_sided.sum() >= 2:
            warnings.warn(
                f"{int(one_sided.sum())} labelers vote (almost) only one class; the triplet "
                "model assumes a labeler votes as often whatever the true class, so its "
                "accuracies are unreliable here. Use DawidSkene (it models abstentions) "
                "with gold labels for the class balance, or select_label_model.",
                stacklevel=3,
            )
        result = fit_triplet(
            stats,
            min_covotes=self.min_covotes,
            default_accuracy=self.default_accuracy,
            class_prior=prior,
            correct_dependencies=self.correct_dependencies,
        )
        self.accuracies_ = result.accuracies
        self.class_prior_ = result.class_prior
        self.weights_ = result.weights
        self.dependency_ = result.dependency
        a = result.accuracies[:, None, None]
        eye = np.eye(k)[None]
        self.confusion_matrices_ = eye * a + (1 - eye) * (1 - a) / (k - 1)

    def _predict_proba(self, table: VoteTable) -> np.ndarray:
        scores = table.weighted_scores(self.weights_)
        scores += np.log(self.class_prior_)
        return softmax_rows(scores)
