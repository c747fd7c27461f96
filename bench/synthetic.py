"""Synthetic label matrices with known truth, for label-model tests and benchmarks.

Each labeler ``j`` votes on an item with probability ``coverage[j]`` (independent of the
class); when it votes it is right with probability ``accuracy[j]`` and otherwise picks
one of the other ``k - 1`` classes uniformly. Classes are balanced.

The *correlated* case adds copies: each copy repeats its original's vote (including an
abstain) on a share ``copy_rate`` of the items and votes independently (with its own
accuracy and coverage) on the rest, which breaks the conditional-independence assumption
of most label models.

The *one-sided* case mimics real rules that only ever vote one class: labeler ``j``
votes only its target class ``j % k``, on a share ``coverage[j]`` of the items of that
class and on a smaller share of the others, set so that its votes are right with
probability ``accuracy[j]`` when the classes are balanced. How often it votes therefore
depends on the class (the information is *whether* it votes), and ``class_prior`` can
unbalance the classes.

Pure numpy; 1M x 50 takes about a second.

Example
-------
>>> data = make_label_matrix(n=1000, m=5, k=2, seed=0)
>>> data.L.shape, data.y.shape, data.accuracies.shape
((1000, 5), (1000,), (5,))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["SyntheticVotes", "make_label_matrix"]


@dataclass
class SyntheticVotes:
    """A generated label matrix and the truth behind it.

    Attributes
    ----------
    L : ndarray of shape (n, m), int8
        Votes, ``-1`` for abstain.
    y : ndarray of shape (n,), int64
        True classes.
    accuracies : ndarray of shape (m,)
        Realised accuracy of each labeler on the items it voted on.
    design_accuracies : ndarray of shape (m,)
        The accuracies the generator drew (before sampling noise and copying).
    coverages : ndarray of shape (m,)
        Realised share of items each labeler voted on.
    copies : dict
        ``{copy column: original column}`` in the correlated case.
    vote_rates : ndarray of shape (m, k, k) or None
        One-sided case: the generator's ``P(labeler j votes c | Y = y)`` as ``[j, c, y]``.
    """

    L: np.ndarray
    y: np.ndarray
    accuracies: np.ndarray
    design_accuracies: np.ndarray
    coverages: np.ndarray
    k: int
    copies: dict[int, int] = field(default_factory=dict)
    vote_rates: np.ndarray | None = None


def _independent_votes(
    y: np.ndarray,
    accuracy: float,
    coverage: float,
    k: int,
    rng: np.random.Generator,
) -> np.ndarray:
    n = y.shape[0]
    u = rng.random(n, dtype=np.float32)
    votes = np.full(n, -1, dtype=np.int8)
    voted = u < coverage
    # Reuse the same uniform draw: below coverage*accuracy the vote is correct.
    correct = u < coverage * accuracy
    wrong = voted & ~correct
    votes[correct] = y[correct]
    shift = rng.integers(1, k, size=int(wrong.sum()), dtype=np.int8)
    votes[wrong] = (y[wrong] + shift) % k
    return votes


def _one_sided_votes(
    y: np.ndarray, acc: np.ndarray, cov: np.ndarray, k: int, rng: np.random.Generator
) -> SyntheticVotes:
    n, m = y.shape[0], acc.shape[0]
    target = np.arange(m) % k
    off_target = cov * (1 - acc) / ((k - 1) * acc)
    rates = np.zeros((m, k, k))
    L = np.empty((n, m), dtype=np.int8)
    for j in range(m):
        rates[j, target[j], :] = off_target[j]
        rates[j, target[j], target[j]] = cov[j]
        rate = np.where(y == target[j], cov[j], off_target[j]).astype(np.float32)
        L[:, j] = np.where(rng.random(n, dtype=np.float32) < rate, target[j], -1)
    voted = L != -1
    n_voted = voted.sum(axis=0)
    realised = (y[:, None] == L).sum(axis=0) / np.maximum(n_voted, 1)
    return SyntheticVotes(
        L=L,
        y=y.astype(np.int64),
        accuracies=realised,
        design_accuracies=acc,
        coverages=n_voted / n,
        k=k,
        vote_rates=rates,
    )


def make_label_matrix(
    *,
    n: int = 100_000,
    m: int = 10,
    k: int = 2,
    accuracy_range: tuple[float, float] = (0.55, 0.9),
    coverage_range: tuple[float, float] = (0.1, 0.6),
    correlated: bool = False,
    n_copies: int | None = None,
    copy_rate: float = 0.9,
    one_sided: bool = False,
    class_prior: tuple[float, ...] | None = None,
    seed: int = 0,
) -> SyntheticVotes:
    """Generate votes of ``m`` labelers on ``n`` items with ``k`` classes (balanced by default).

    Parameters
    ----------
    n, m, k : int
        Items, labelers (including copies), classes.
    accuracy_range, coverage_range : (low, high)
        Uniform ranges of each labeler's accuracy and coverage.
    correlated : bool
        Make the last ``n_copies`` labelers (default ``m // 5``, at least 1) copies of
        randomly chosen other labelers.
    n_copies : int, optional
    copy_rate : float
        Share of items on which a copy repeats its original's vote.
    one_sided : bool
        Each labeler votes only class ``j % k``: on a share ``coverage`` of that class's
        items and on a share ``coverage * (1 - accuracy) / ((k - 1) * accuracy)`` of the
        others (cannot be combined with ``correlated``).
    class_prior : tuple of k floats, optional
        Class balance (default: uniform).
    seed : int

    Returns
    -------
    SyntheticVotes
    """
    if k < 2 or m < 1 or n < 1:
        raise ValueError(f"need n >= 1, m >= 1 and k >= 2, got n={n}, m={m}, k={k}")
    if one_sided and correlated:
        raise ValueError("one_sided and correlated cannot be combined")
    rng = np.random.default_rng(seed)
    if class_prior is None:
        y = rng.integers(0, k, size=n, dtype=np.int8)
    else:
        prior = np.asarray(class_prior, dtype=np.float64)
        if prior.shape != (k,) or np.any(prior <= 0) or not np.isclose(prior.sum(), 1.0):
            raise ValueError(f"class_prior must be {k} positive shares summing to 1, got {prior}")
        y = rng.choice(k, size=n, p=prior).astype(np.int8)
    acc = rng.uniform(*accuracy_range, size=m)
    cov = rng.uniform(*coverage_range, size=m)
    if one_sided:
        return _one_sided_votes(y, acc, cov, k, rng)
    copies: dict[int, int] = {}
    if correlated:
        c = max(1, m // 5) if n_copies is None else n_copies
        if not 0 < c < m:
            raise ValueError(f"n_copies must be in 1..{m - 1}, got {c}")
        originals = rng.choice(m - c, size=c, replace=c > m - c)
        copies = {m - c + i: int(o) for i, o in enumerate(originals)}
    L = np.empty((n, m), dtype=np.int8)
    for j in range(m):
        L[:, j] = _independent_votes(y, acc[j], cov[j], k, rng)
    for copy, original in copies.items():
        repeat = rng.random(n, dtype=np.float32) < copy_rate
        L[repeat, copy] = L[repeat, original]
    voted = L != -1
    n_voted = voted.sum(axis=0)
    realised = (y[:, None] == L).sum(axis=0) / np.maximum(n_voted, 1)
    return SyntheticVotes(
        L=L,
        y=y.astype(np.int64),
        accuracies=realised,
        design_accuracies=acc,
        coverages=n_voted / n,
        k=k,
        copies=copies,
    )
