"""Synthetic label matrices with known truth, for label-model tests and benchmarks.

Each labeler ``j`` votes on an item with probability ``coverage[j]`` (independent of the
class); when it votes it is right with probability ``accuracy[j]`` and otherwise picks
one of the other ``k - 1`` classes uniformly. Classes are balanced.

The *correlated* case adds copies: each copy repeats its original's vote (including an
abstain) on a share ``copy_rate`` of the items and votes independently (with its own
accuracy and coverage) on the rest, which breaks the conditional-independence assumption
of most label models.

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
    """

    L: np.ndarray
    y: np.ndarray
    accuracies: np.ndarray
    design_accuracies: np.ndarray
    coverages: np.ndarray
    k: int
    copies: dict[int, int] = field(default_factory=dict)


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
    seed: int = 0,
) -> SyntheticVotes:
    """Generate votes of ``m`` labelers on ``n`` items with ``k`` balanced classes.

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
    seed : int

    Returns
    -------
    SyntheticVotes
    """
    if k < 2 or m < 1 or n < 1:
        raise ValueError(f"need n >= 1, m >= 1 and k >= 2, got n={n}, m={m}, k={k}")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n, dtype=np.int8)
    acc = rng.uniform(*accuracy_range, size=m)
    cov = rng.uniform(*coverage_range, size=m)
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
