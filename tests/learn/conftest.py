"""Generated data with known structure for the learn tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_thread_per_test():  # type: ignore[no-untyped-def]
    """OpenMP/BLAS pools spin-wait badly on a busy 2-core machine shared by several test
    runs (k-means and gradient boosting on 400 rows took 5-12 s instead of 0.1-0.2 s), and
    the data here is small, so every test runs single-threaded."""
    with threadpool_limits(limits=1):
        yield


@dataclass
class Blobs:
    X: pd.DataFrame
    y_true: np.ndarray  # (n,) classes 0..k-1
    y: np.ndarray  # (n,) with -1 for unlabeled rows
    labeled: np.ndarray  # (n,) bool


def make_blobs(
    n_per_class: int = 100,
    k: int = 3,
    *,
    dim: int = 4,
    spread: float = 0.6,
    labeled_per_class: int = 8,
    seed: int = 0,
) -> Blobs:
    """``k`` Gaussian clusters, one per class, centres far apart; a few labeled per class."""
    rng = np.random.default_rng(seed)
    centres = 6.0 * np.eye(max(k, dim))[:k, :dim]  # equidistant, about 8.5 apart
    X = np.vstack([rng.normal(c, spread, size=(n_per_class, dim)) for c in centres])
    y_true = np.repeat(np.arange(k), n_per_class)
    y = np.full(len(y_true), -1)
    labeled = np.zeros(len(y_true), dtype=bool)
    for c in range(k):
        rows = rng.choice(np.flatnonzero(y_true == c), labeled_per_class, replace=False)
        labeled[rows] = True
    y[labeled] = y_true[labeled]
    # different column units, so scaling matters
    frame = pd.DataFrame(
        X * np.array([1.0, 100.0, 0.01, 10.0])[:dim], columns=[f"f{j}" for j in range(dim)]
    )
    return Blobs(frame, y_true, y, labeled)


@pytest.fixture
def blobs() -> Blobs:
    return make_blobs()


@dataclass
class RegressionData:
    X: pd.DataFrame
    y_true: np.ndarray
    y: np.ndarray  # NaN where unlabeled
    labeled: np.ndarray


def make_regression(n: int = 400, *, labeled_share: float = 0.25, seed: int = 0) -> RegressionData:
    """Four clusters, each with its own target level plus a smooth trend inside."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [8, 0], [0, 8], [8, 8]], dtype=float)
    levels = np.array([10.0, 20.0, 30.0, 40.0])
    g = rng.integers(0, 4, size=n)
    X = centres[g] + rng.normal(0, 0.8, size=(n, 2))
    y_true = levels[g] + 1.0 * (X[:, 0] - centres[g, 0]) + rng.normal(0, 0.3, n)
    labeled = rng.random(n) < labeled_share
    y = np.where(labeled, y_true, np.nan)
    return RegressionData(pd.DataFrame(X, columns=["a", "b"]), y_true, y, labeled)


@pytest.fixture
def regression() -> RegressionData:
    return make_regression()


@pytest.fixture
def blob_factory():  # type: ignore[no-untyped-def]
    """``make_blobs`` itself, for tests that need other sizes or seeds."""
    return make_blobs


@pytest.fixture
def regression_factory():  # type: ignore[no-untyped-def]
    return make_regression
