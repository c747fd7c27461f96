"""Generated label matrices with known truth for the label-model tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest


@dataclass
class Votes:
    L: np.ndarray  # (n, m) int8, -1 = abstain
    y: np.ndarray  # (n,) true classes
    accuracies: np.ndarray  # (m,) realised accuracy on the items each labeler voted on
    k: int


def make_votes(
    n: int,
    accuracies: list[float] | np.ndarray,
    *,
    k: int = 2,
    coverage: float | list[float] = 0.6,
    prior: list[float] | None = None,
    seed: int = 0,
) -> Votes:
    """Independent one-coin labelers: right with ``accuracy``, else a uniform wrong class."""
    rng = np.random.default_rng(seed)
    acc = np.asarray(accuracies, dtype=float)
    m = acc.shape[0]
    cov = np.broadcast_to(np.asarray(coverage, dtype=float), (m,))
    y = rng.choice(k, size=n, p=prior)
    L = np.full((n, m), -1, dtype=np.int8)
    for j in range(m):
        voted = rng.random(n) < cov[j]
        right = rng.random(n) < acc[j]
        wrong = (y + rng.integers(1, k, size=n)) % k
        L[voted, j] = np.where(right, y, wrong)[voted]
    n_voted = np.maximum((L != -1).sum(axis=0), 1)
    realised = (y[:, None] == L).sum(axis=0) / n_voted
    return Votes(L=L, y=y, accuracies=realised, k=k)


@pytest.fixture(scope="session")
def votes_factory() -> Callable[..., Votes]:
    return make_votes


@pytest.fixture(scope="session")
def hetero_binary() -> Votes:
    """20k items, 8 labelers of very different accuracy, binary."""
    return make_votes(20_000, [0.95, 0.9, 0.85, 0.75, 0.65, 0.6, 0.58, 0.55], k=2, seed=1)


@pytest.fixture(scope="session")
def hetero_four() -> Votes:
    """20k items, 8 labelers of very different accuracy, 4 classes."""
    return make_votes(20_000, [0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4], k=4, seed=2)
