"""Vote-counting label models: majority vote and (learned) weighted vote."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelwise.errors import LabelwiseError
from labelwise.labeling.space import ABSTAIN
from labelwise.models.base import LabelModel, check_label_matrix, softmax_rows
from labelwise.models.patterns import VoteTable, vote_counts

__all__ = [
    "MajorityVote",
    "WeightedVote",
    "estimate_agreement_accuracies",
    "gold_accuracies",
    "majority_vote",
    "majority_vote_proba",
]

# Accuracies are kept inside [_ACC_EPS, 1 - _ACC_EPS] so log-odds stay finite.
_ACC_EPS = 1e-3


def _check_prior(class_prior: Any, k: int) -> np.ndarray:
    prior = np.asarray(class_prior, dtype=np.float64).reshape(-1)
    if prior.shape[0] != k or np.any(prior < 0) or not np.isclose(prior.sum(), 1.0):
        raise LabelwiseError(
            f"class_prior must be {k} non-negative numbers summing to 1 (one per class), "
            f"got {np.asarray(class_prior).tolist()}"
        )
    return prior


def _shares(counts: np.ndarray, empty: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=1, keepdims=True).astype(np.float64)
    totals[totals == 0] = 1.0
    proba = counts / totals
    proba[empty] = 1.0 / counts.shape[1]
    return proba


def majority_vote_proba(
    L: Any, *, cardinality: int | None = None, class_prior: Any = None
) -> np.ndarray:
    """Share of the votes each class received, per item.

    Parameters
    ----------
    L : array-like or LabelMatrix of shape (n, m)
        Votes in ``-1..k-1``.
    cardinality : int, optional
        ``k``; inferred from ``L`` when omitted.
    class_prior : array-like of shape (k,), optional
        Returned for items nobody voted on (default: uniform).

    Returns
    -------
    ndarray of shape (n, k), float64

    Examples
    --------
    >>> majority_vote_proba([[0, 1, 1], [-1, -1, -1]], cardinality=2).tolist()
    [[0.3333333333333333, 0.6666666666666666], [0.5, 0.5]]
    """
    votes, k = check_label_matrix(L, cardinality=cardinality, allow_empty=True)
    table = VoteTable.from_votes(votes, k)
    proba = _shares(table.counts(), ~table.has_vote())
    if class_prior is not None:
        proba[~table.has_vote()] = _check_prior(class_prior, k)
    return table.expand(proba)


def majority_vote(
    L: Any,
    *,
    cardinality: int | None = None,
    tie_policy: str = "abstain",
    class_prior: Any = None,
    seed: int | None = None,
) -> np.ndarray:
    """The most voted class per item; ``ABSTAIN`` where nobody voted.

    Parameters
    ----------
    L : array-like or LabelMatrix of shape (n, m)
    cardinality : int, optional
    tie_policy : {"abstain", "random", "prior"}
        How to resolve a tie between the most voted classes. ``"prior"`` picks the tied
        class with the largest ``class_prior`` (default: the overall vote shares).
    class_prior : array-like of shape (k,), optional
    seed : int, optional
        Seeds the random tie-breaking.

    Returns
    -------
    ndarray of shape (n,), int64

    Examples
    --------
    >>> majority_vote([[0, 0, 1], [0, 1, -1], [-1, -1, -1]]).tolist()
    [0, -1, -1]
    """
    model = MajorityVote(
        cardinality=cardinality, tie_policy=tie_policy, class_prior=class_prior, seed=seed
    )
    return model.fit(L).predict(L)


def estimate_agreement_accuracies(
    table: VoteTable, *, max_rows: int = 100_000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How often each labeler agrees with the majority of the *other* labelers.

    A labeler's vote on an item is scored against the majority vote of the remaining
    labelers on that item (ties split the credit evenly); items where nobody else voted
    are skipped. Leaving the labeler out avoids crediting it for agreeing with itself.
    On an uncompressed table at most ``max_rows`` evenly spaced rows are scored: the
    estimate is a share, and 100k rows pin it to about +-0.005.

    Returns
    -------
    agreement : ndarray of shape (m,)
        Weighted sum of credit per labeler.
    scored : ndarray of shape (m,)
        Weighted number of votes that could be scored.
    class_votes : ndarray of shape (k,)
        Weighted number of votes for each class on the rows looked at.
    """
    votes, k, weights = table.votes, table.k, table.weights
    if table.strategy == "sparse" and votes.shape[0] > max_rows:
        keep = np.linspace(0, votes.shape[0] - 1, num=max_rows).astype(np.intp)
        votes, weights = votes[keep], weights[keep]
    r, m = votes.shape
    agreement = np.zeros(m)
    scored = np.zeros(m)
    class_votes = np.zeros(k)
    step = max(1024, (1 << 21) // max(1, m * k))
    for start in range(0, r, step):
        V = votes[start : start + step].astype(np.intp)
        w = weights[start : start + step]
        C = vote_counts(votes[start : start + step], k)
        class_votes += w @ C
        voted = V >= 0
        own = np.take_along_axis(C, np.where(voted, V, 0), axis=1) - 1
        order = np.argsort(-C, axis=1, kind="stable")
        best = order[:, 0]
        top1 = C[np.arange(C.shape[0]), best]
        top2 = C[np.arange(C.shape[0]), order[:, 1]]
        max_other = np.where(best[:, None] == V, top2[:, None], top1[:, None])
        peak = np.maximum(own, max_other)
        n_equal = (C[:, None, :] == peak[:, :, None]).sum(axis=2)
        credit = (own > max_other).astype(np.float64)
        tie = own == max_other
        credit[tie] = 1.0 / (1.0 + n_equal[tie])
        valid = voted & (peak > 0)
        agreement += w @ (credit * valid)
        scored += w @ valid
    return agreement, scored, class_votes


def gold_accuracies(
    votes: np.ndarray, y: np.ndarray, *, prior_accuracy: np.ndarray, strength: float
) -> np.ndarray:
    """Per-labeler accuracy on gold-labelled items, shrunk toward ``prior_accuracy``.

    ``(correct + strength * prior) / (voted + strength)``: a labeler with few gold items
    keeps close to its prior estimate.
    """
    voted = votes != ABSTAIN
    correct = np.count_nonzero(votes == y[:, None], axis=0).astype(np.float64)
    n_voted = np.count_nonzero(voted, axis=0).astype(np.float64)
    return (correct + strength * prior_accuracy) / (n_voted + strength)


def _vote_share_prior(class_votes: np.ndarray) -> np.ndarray:
    totals = class_votes + 1.0
    return np.asarray(totals / totals.sum(), dtype=np.float64)


class MajorityVote(LabelModel):
    """Each item gets the class most of its labelers voted for.

    Parameters
    ----------
    cardinality : int, optional
        ``k``; taken from a ``LabelMatrix`` or the largest vote when omitted.
    tie_policy : {"abstain", "random", "prior"}, default "abstain"
        How :meth:`predict` resolves a tie between the most voted classes.
    class_prior : array-like of shape (k,), optional
        Class balance for ``tie_policy="prior"`` and for items nobody voted on; estimated
        from the vote shares when omitted (items nobody voted on then get uniform
        probabilities).
    calibrated : bool, default True
        Report probabilities from a one-coin model whose common labeler accuracy is
        estimated from agreement (decisions stay majority vote's); ``False`` gives the raw
        vote shares, which overstate confidence (one vote out of one is "100%").
    seed : int, optional
        Seeds the ``"random"`` tie-breaking (each ``predict`` call restarts from it).

    Attributes
    ----------
    accuracies_ : ndarray of shape (m,)
        Agreement of each labeler with the majority of the others.
    class_prior_ : ndarray of shape (k,)

    Examples
    --------
    >>> L = np.array([[0, 0, 1], [1, 1, -1], [0, 1, -1]])
    >>> MajorityVote().fit(L).predict(L).tolist()
    [0, 1, -1]
    >>> MajorityVote(tie_policy="prior", class_prior=[0.3, 0.7]).fit(L).predict(L).tolist()
    [0, 1, 1]
    """

    name = "mv"
    guarded = False

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        tie_policy: str = "abstain",
        class_prior: Any = None,
        calibrated: bool = True,
        seed: int | None = None,
    ) -> None:
        self.cardinality = cardinality
        self.tie_policy = tie_policy
        self.class_prior = class_prior
        self.calibrated = calibrated
        self.seed = seed

    def _fit(self, table: VoteTable, gold: tuple[np.ndarray, np.ndarray] | None) -> None:
        agreement, scored, class_votes = estimate_agreement_accuracies(table)
        if self.class_prior is not None:
            self.class_prior_ = _check_prior(self.class_prior, table.k)
        else:
            self.class_prior_ = _vote_share_prior(class_votes)
        self.accuracies_ = (agreement + 1.0) / (scored + 2.0)
        # Calibration without gold: the labelers' common accuracy, estimated from how often
        # each agrees with the majority of the others (weighted by how much it votes).
        total = float(scored.sum())
        common = float(agreement.sum() / total) if total > 0 else 1.0 / table.k
        common = min(max(common, 1.0 / table.k + 1e-3), 1.0 - 1e-3)
        self.vote_weight_ = float(np.log(common * (table.k - 1) / (1.0 - common)))

    def _predict_proba(self, table: VoteTable) -> np.ndarray:
        counts = table.weighted_scores(np.ones(table.n_labelers))
        empty = ~table.has_vote()
        if self.calibrated:
            # One-coin posterior with a common accuracy: monotone in the vote counts, so the
            # decisions (and ties) are majority vote's, but one vote out of one is worth
            # the labelers' estimated accuracy, not 100%.
            proba = softmax_rows(counts * self.vote_weight_)
            proba[empty] = 1.0 / table.k
        else:
            proba = _shares(counts, empty)
        if self.class_prior is not None:
            proba[empty] = self.class_prior_
        return proba


def _log_odds(accuracies: np.ndarray, k: int) -> np.ndarray:
    a = np.clip(accuracies, _ACC_EPS, 1 - _ACC_EPS)
    return np.asarray(np.log(a * (k - 1) / (1 - a)))


class WeightedVote(LabelModel):
    """A vote where each labeler counts by the log-odds of its accuracy.

    A labeler with accuracy ``a`` among ``k`` classes gets weight
    ``log(a * (k - 1) / (1 - a))``: zero at chance level (``1/k``), negative below it.
    This is the Bayes-optimal vote when labelers err independently and uniformly.

    Parameters
    ----------
    weights : array-like of shape (m,), optional
        Fixed weights; when omitted they are learned in :meth:`fit` from the accuracies
        on gold labels (``y_dev``) if given, else from agreement with the majority of
        the other labelers.
    cardinality : int, optional
    tie_policy : {"abstain", "random", "prior"}, default "abstain"
    smoothing : float, default 2.0
        Pseudo-votes that shrink gold-label accuracies toward the agreement estimate.
    seed : int, optional

    Attributes
    ----------
    weights_ : ndarray of shape (m,)
    accuracies_ : ndarray of shape (m,)

    Examples
    --------
    >>> L = np.array([[0, 1, 1], [1, 0, 0], [0, 0, 1]])
    >>> WeightedVote(weights=[3.0, 1.0, 1.0]).fit(L).predict(L).tolist()
    [0, 1, 0]
    """

    name = "wv"
    uses_gold_labels = True

    def __init__(
        self,
        *,
        weights: Any = None,
        cardinality: int | None = None,
        tie_policy: str = "abstain",
        smoothing: float = 2.0,
        seed: int | None = None,
    ) -> None:
        self.weights = weights
        self.cardinality = cardinality
        self.tie_policy = tie_policy
        self.smoothing = smoothing
        self.seed = seed

    def _fit(self, table: VoteTable, gold: tuple[np.ndarray, np.ndarray] | None) -> None:
        k, m = table.k, table.n_labelers
        if self.smoothing < 0:
            raise LabelwiseError(f"smoothing must be >= 0, got {self.smoothing}")
        agreement, scored, class_votes = estimate_agreement_accuracies(table)
        self.class_prior_ = _vote_share_prior(class_votes)
        if self.weights is not None:
            w = np.asarray(self.weights, dtype=np.float64).reshape(-1)
            if w.shape[0] != m or not np.all(np.isfinite(w)):
                raise LabelwiseError(
                    f"weights has {w.shape[0]} entries but L has {m} labelers; "
                    "pass one finite weight per labeler (column)"
                )
            self.weights_ = w
            self.accuracies_ = np.exp(w) / (np.exp(w) + (k - 1))
            return
        accuracies = (agreement + 1.0) / (scored + 2.0)
        if gold is not None:
            dev_votes, y = gold
            accuracies = gold_accuracies(
                dev_votes, y, prior_accuracy=accuracies, strength=self.smoothing
            )
        self.accuracies_ = accuracies
        self.weights_ = _log_odds(accuracies, k)

    def _predict_proba(self, table: VoteTable) -> np.ndarray:
        proba = softmax_rows(table.weighted_scores(self.weights_))
        proba[~table.has_vote()] = 1.0 / table.k
        return proba
