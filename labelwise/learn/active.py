"""Active learning: which items should humans label next?

Scores (``*_scores``, higher = more worth a human's time):

* :func:`uncertainty_scores`: least confidence, margin or entropy of class probabilities
  (from a label model or a trained model);
* :func:`disagreement_scores`: how much two probability sources disagree, e.g. the label
  model (what the rules say) and a model trained on features (what the data says).

Selection (``find_*``, returns item indices):

* :func:`k_center_greedy`: a diverse batch that covers feature/embedding space;
* :func:`find_next_items`: the top of a score, optionally made diverse by running
  k-center greedy over a pool of the highest-scoring items, skipping items already labeled.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from labelwise._deprecation import renamed_kwarg
from labelwise.errors import LabelwiseError

__all__ = [
    "disagreement_scores",
    "find_next_items",
    "k_center_greedy",
    "uncertainty_scores",
]

Uncertainty = Literal["least_confidence", "margin", "entropy"]
Disagreement = Literal["jensen_shannon", "vote"]


def _check_batch_size(batch_size: int, available: int, what: str) -> int:
    """``batch_size`` as an int, checked to be at least 1 and at most ``available``."""
    batch_size = int(batch_size)
    if batch_size < 1:
        raise LabelwiseError(f"batch_size={batch_size} must be at least 1")
    if batch_size > available:
        raise LabelwiseError(
            f"batch_size={batch_size} is larger than the {available} {what}; "
            f"use batch_size <= {available}"
        )
    return batch_size


def _proba(p: Any, name: str = "proba") -> np.ndarray:
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise LabelwiseError(f"{name} must have shape (n, k) with k >= 2, got {arr.shape}")
    if arr.size and (np.isnan(arr).any() or arr.min() < -1e-9):
        raise LabelwiseError(f"{name} holds NaN or negative values; pass class probabilities")
    sums = arr.sum(axis=1, keepdims=True)
    return np.divide(arr, sums, out=np.full_like(arr, 1.0 / arr.shape[1]), where=sums > 0)


def uncertainty_scores(proba: Any, *, method: Uncertainty = "entropy") -> np.ndarray:
    """How unsure a model is about each item, in ``[0, 1]`` (1 = most unsure).

    Parameters
    ----------
    proba : array-like of shape (n, k)
    method : {"least_confidence", "margin", "entropy"}, default "entropy"
        ``least_confidence`` = ``(1 - max p) * k / (k - 1)``; ``margin`` =
        ``1 - (p_top1 - p_top2)``; ``entropy`` = ``H(p) / log k``.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.5, 0.5], [0.7, 0.3]])
    >>> uncertainty_scores(p, method="margin").round(2).tolist()
    [0.2, 1.0, 0.6]
    """
    p = _proba(proba)
    k = p.shape[1]
    if method == "least_confidence":
        return (1.0 - p.max(axis=1)) * k / (k - 1)
    if method == "margin":
        top2 = np.sort(p, axis=1)[:, -2:]
        return 1.0 - (top2[:, 1] - top2[:, 0])
    if method == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
        return h / np.log(k)
    raise LabelwiseError(
        f"method={method!r} is not supported; use 'least_confidence', 'margin' or 'entropy'"
    )


def disagreement_scores(
    proba_a: Any, proba_b: Any, *, method: Disagreement = "jensen_shannon"
) -> np.ndarray:
    """How much two probability sources disagree on each item, in ``[0, 1]``.

    Parameters
    ----------
    proba_a, proba_b : array-like of shape (n, k)
        E.g. the label model's ``predict_proba(L)`` and a classifier's out-of-fold
        probabilities.
    method : {"jensen_shannon", "vote"}, default "jensen_shannon"
        Jensen-Shannon divergence (base 2), or 1 where the two argmax classes differ
        (ties among those broken by the divergence, scaled into ``[0, 0.5)`` and ``[0.5, 1]``).

    Examples
    --------
    >>> a = np.array([[0.9, 0.1], [0.6, 0.4]])
    >>> b = np.array([[0.1, 0.9], [0.6, 0.4]])
    >>> disagreement_scores(a, b).round(2).tolist()
    [0.53, 0.0]
    """
    p, q = _proba(proba_a, "proba_a"), _proba(proba_b, "proba_b")
    if p.shape != q.shape:
        raise LabelwiseError(f"proba_a {p.shape} and proba_b {q.shape} must have the same shape")
    mid = (p + q) / 2

    def kl(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x > 0, x * np.log2(x / y), 0.0).sum(axis=1)

    js = np.clip(0.5 * kl(p, mid) + 0.5 * kl(q, mid), 0.0, 1.0)
    if method == "jensen_shannon":
        return js
    if method == "vote":
        differ = p.argmax(axis=1) != q.argmax(axis=1)
        return np.where(differ, 0.5 + 0.5 * js, 0.5 * js)
    raise LabelwiseError(f"method={method!r} is not supported; use 'jensen_shannon' or 'vote'")


def k_center_greedy(
    features: Any,
    batch_size: int,
    *,
    already_selected: Any = None,
    candidates: Any = None,
    seed: Any = None,
    random_state: Any = None,
) -> np.ndarray:
    """Pick ``batch_size`` items that cover the feature space (greedy k-center).

    Each step picks the candidate farthest from everything chosen so far (including
    ``already_selected``, e.g. items humans already labeled), so the batch spreads out
    instead of piling up on one dense region.

    Parameters
    ----------
    features : array-like of shape (n, d)
        Scaled features or embeddings.
    batch_size : int
    already_selected : array-like of int, optional
        Indices that count as covered already.
    candidates : array-like of int, optional
        Only pick among these indices (default: all not already selected).
    seed : int or Generator, optional
        Picks the first item when nothing is selected yet.

    Returns
    -------
    ndarray of int, shape (batch_size,)

    Examples
    --------
    >>> X = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [5.0]])
    >>> k_center_greedy(X, 3, already_selected=[0]).tolist()
    [4, 5, 2]
    """
    seed = renamed_kwarg(
        seed, random_state, old="random_state", new="seed", where="k_center_greedy()"
    )
    X = np.asarray(features, dtype=np.float64)
    if X.ndim != 2:
        raise LabelwiseError(f"features must be 2-D (n, d), got shape {X.shape}")
    n = len(X)
    chosen_before = np.asarray([] if already_selected is None else already_selected, dtype=np.int64)
    cand = (
        np.setdiff1d(np.arange(n), chosen_before)
        if candidates is None
        else np.setdiff1d(np.asarray(candidates, dtype=np.int64), chosen_before)
    )
    batch_size = _check_batch_size(batch_size, len(cand), "items that can be picked")
    Xc = X[cand]
    min_dist = np.full(len(cand), np.inf)
    # distances to already-covered items, in chunks to bound memory
    for start in range(0, len(chosen_before), 1024):
        block = X[chosen_before[start : start + 1024]]
        d = ((Xc[:, None, :] - block[None, :, :]) ** 2).sum(axis=2).min(axis=1)
        min_dist = np.minimum(min_dist, d)
    picked: list[int] = []
    available = np.ones(len(cand), dtype=bool)
    for _ in range(batch_size):
        if np.isinf(min_dist[available]).all():
            rng = np.random.default_rng(seed)
            j = int(rng.choice(np.flatnonzero(available)))
        else:
            j = int(
                np.flatnonzero(available)[
                    np.argmax(np.where(np.isinf(min_dist), -1, min_dist)[available])
                ]
            )
        picked.append(j)
        available[j] = False
        min_dist = np.minimum(min_dist, ((Xc - Xc[j]) ** 2).sum(axis=1))
    return cand[np.asarray(picked, dtype=np.int64)]


def find_next_items(
    scores: Any,
    *,
    batch_size: int = 10,
    labeled: Any = None,
    features: Any = None,
    diversity: bool = False,
    pool_factor: int = 5,
    seed: Any = None,
    random_state: Any = None,
) -> np.ndarray:
    """The next ``batch_size`` items for humans, by score (and optionally diverse).

    Parameters
    ----------
    scores : array-like of shape (n,)
        Higher = more worth labeling (:func:`uncertainty_scores`,
        :func:`disagreement_scores`, or anything else).
    batch_size : int, default 10
    labeled : array-like, optional
        Boolean mask of shape (n,) or indices of items already labeled (never picked;
        with ``diversity`` they also count as covered).
    features : array-like of shape (n, d), optional
        Needed for ``diversity``: scaled features or embeddings.
    diversity : bool, default False
        Take the ``pool_factor * batch_size`` highest-scoring items, then pick a spread-out
        batch among them with :func:`k_center_greedy`.
    pool_factor : int, default 5

    Returns
    -------
    ndarray of int
        Item indices, the highest score first (without diversity) or in pick order.

    Examples
    --------
    >>> find_next_items(np.array([0.1, 0.9, 0.5, 0.8]), batch_size=2, labeled=[1]).tolist()
    [3, 2]
    """
    seed = renamed_kwarg(
        seed, random_state, old="random_state", new="seed", where="find_next_items()"
    )
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    n = len(s)
    if np.isnan(s).any():
        raise LabelwiseError("scores contain NaN; score every item (or drop the unscorable ones)")
    mask = np.zeros(n, dtype=bool)
    if labeled is not None:
        lab = np.asarray(labeled)
        if lab.dtype == bool:
            if len(lab) != n:
                raise LabelwiseError(f"the labeled mask has {len(lab)} entries for {n} items")
            mask = lab.copy()
        else:
            mask[lab.astype(np.int64)] = True
    open_idx = np.flatnonzero(~mask)
    batch_size = _check_batch_size(batch_size, len(open_idx), "unlabeled items")
    ranked = open_idx[np.argsort(-s[open_idx], kind="stable")]
    if not diversity:
        return ranked[:batch_size]
    if features is None:
        raise LabelwiseError("diversity=True needs features= (scaled features or embeddings)")
    X = np.asarray(features, dtype=np.float64)
    if len(X) != n:
        raise LabelwiseError(f"features has {len(X)} rows for {n} scores; give one row per item")
    pool = ranked[: max(batch_size, int(pool_factor) * batch_size)]
    return k_center_greedy(
        X,
        batch_size,
        already_selected=np.flatnonzero(mask),
        candidates=pool,
        seed=seed,
    )
