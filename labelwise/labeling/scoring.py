"""Class scores to votes: the helpers every scoring labeler shares (any modality).

A scoring labeler (embedding zero-/few-shot, TF-IDF models, image classifiers) computes
class probabilities per item, then votes its top class only where it is sure enough and
abstains elsewhere. These functions do that the same way everywhere; the result goes into
:class:`~labelwise.labeling.Votes`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labelwise.errors import LabelwiseError
from labelwise.labeling.space import ABSTAIN, LabelSpace

__all__ = [
    "full_proba",
    "label_names_to_ints",
    "resolve_label_space",
    "softmax",
    "threshold_for_accuracy",
    "votes_from_proba",
]


def softmax(scores: np.ndarray, *, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``scores / temperature``; shape (n, k) -> (n, k).

    Examples
    --------
    >>> softmax(np.array([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    """
    if temperature <= 0:
        raise LabelwiseError(f"temperature must be positive, got {temperature}")
    z = np.asarray(scores, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def votes_from_proba(
    proba: np.ndarray,
    *,
    min_confidence: float | np.ndarray = 0.0,
    min_margin: float = 0.0,
    valid: np.ndarray | None = None,
    classes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-class votes where confident enough, ``ABSTAIN`` elsewhere.

    Parameters
    ----------
    proba : ndarray of shape (n, c)
        Probabilities over ``c`` candidate classes.
    min_confidence : float or ndarray of shape (c,)
        Abstain when the top probability is below this (one threshold per column of
        ``proba`` when an array: a rare class can need a stricter cut than a common one).
    min_margin : float
        Abstain when top minus second probability is below this.
    valid : ndarray of bool, shape (n,), optional
        Items that may be voted on at all (e.g. non-empty texts).
    classes : ndarray of int, shape (c,), optional
        The label-space index of each column of ``proba`` (default ``0..c-1``).

    Returns
    -------
    votes : ndarray of int, shape (n,)
    confidence : ndarray of float32, shape (n,)
        The top probability (0 for invalid items).

    Examples
    --------
    >>> v, c = votes_from_proba(np.array([[0.9, 0.1], [0.55, 0.45]]), min_confidence=0.6)
    >>> v.tolist()
    [0, -1]
    """
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 1:
        raise LabelwiseError(f"proba must have shape (n, c) with c >= 1, got {p.shape}")
    n = p.shape[0]
    cls = np.arange(p.shape[1]) if classes is None else np.asarray(classes)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    top = p.argmax(axis=1)
    conf = p[np.arange(n), top]
    second = np.partition(p, -2, axis=1)[:, -2] if p.shape[1] > 1 else np.zeros(n)
    thr = np.asarray(min_confidence, dtype=np.float64)
    if thr.ndim == 1:
        if thr.shape[0] != p.shape[1]:
            raise LabelwiseError(
                f"min_confidence has {thr.shape[0]} per-class thresholds for {p.shape[1]} classes"
            )
        thr = thr[top]
    elif thr.ndim != 0:
        raise LabelwiseError("min_confidence must be a number or one threshold per class")
    ok = (conf >= thr) & ((conf - second) >= min_margin)
    if valid is not None:
        ok &= np.asarray(valid, dtype=bool)
    votes = np.where(ok, cls[top], ABSTAIN).astype(np.int64)
    confidence = np.where(
        np.asarray(valid, dtype=bool) if valid is not None else True, conf, 0.0
    ).astype(np.float32)
    return votes, confidence


def threshold_for_accuracy(
    confidence: np.ndarray,
    predicted: np.ndarray,
    y: np.ndarray,
    *,
    target: float = 0.9,
    min_coverage: float = 0.0,
) -> float:
    """The smallest confidence threshold whose covered items reach ``target`` accuracy.

    Parameters
    ----------
    confidence : ndarray of shape (n,)
        Confidence of each prediction.
    predicted : ndarray of int, shape (n,)
        The class each item would be voted (before thresholding).
    y : ndarray of int, shape (n,)
        Gold classes (``ABSTAIN`` entries are ignored).
    target : float
        Wanted accuracy on the items kept.
    min_coverage : float
        Never return a threshold that keeps fewer than this share of the gold items.

    Returns
    -------
    float
        The threshold; ``inf`` (always abstain) when no threshold reaches ``target``.

    Examples
    --------
    >>> threshold_for_accuracy(np.array([0.9, 0.8, 0.6]), np.array([1, 1, 0]),
    ...                        np.array([1, 1, 1]), target=1.0)
    0.8
    """
    conf = np.asarray(confidence, dtype=np.float64)
    pred = np.asarray(predicted)
    gold = np.asarray(y)
    if not (conf.shape == pred.shape == gold.shape) or conf.ndim != 1:
        raise LabelwiseError(
            f"confidence, predicted and y must be 1-D of one length; got shapes "
            f"{conf.shape}, {pred.shape}, {gold.shape}"
        )
    keep = gold != ABSTAIN
    conf, pred, gold = conf[keep], pred[keep], gold[keep]
    if conf.size == 0:
        raise LabelwiseError("no gold labels to choose a threshold from; label a few items")
    order = np.argsort(-conf, kind="stable")
    correct = (pred[order] == gold[order]).astype(np.float64)
    acc = np.cumsum(correct) / np.arange(1, len(correct) + 1)
    sorted_conf = conf[order]
    # Only cut between distinct confidence values: items with equal confidence stay together.
    last_of_run = np.append(sorted_conf[1:] != sorted_conf[:-1], True)
    coverage = np.arange(1, len(correct) + 1) / len(correct)
    good = last_of_run & (acc >= target) & (coverage >= min_coverage)
    if not good.any():
        return float("inf")
    best = np.flatnonzero(good).max()
    return float(sorted_conf[best])


def resolve_label_space(
    classes: Any, label_space: LabelSpace | Any | None, *, who: str
) -> tuple[LabelSpace, np.ndarray]:
    """Map the classes a labeler knows into a label space.

    Returns the label space and the space index of each known class (shape (c,)).
    """
    names = [str(c) for c in classes]
    if label_space is None:
        if len(names) < 2:
            raise LabelwiseError(
                f"{who} knows only the class {names}; pass label_space= listing every class "
                "so its votes land in the right column"
            )
        space = LabelSpace(names)
    elif isinstance(label_space, LabelSpace):
        space = label_space
    else:
        space = LabelSpace(list(label_space))
    return space, np.array([space.index(n) for n in names], dtype=np.int64)


def full_proba(part: np.ndarray, columns: np.ndarray, k: int) -> np.ndarray:
    """Spread probabilities over ``c`` known classes into the ``k`` label-space columns."""
    out = np.zeros((part.shape[0], k), dtype=np.float64)
    out[:, columns] = part
    return out


def label_names_to_ints(y: Any, space: LabelSpace, *, what: str) -> np.ndarray:
    """Gold labels (names, ints, ``None``) as class indices with ``ABSTAIN`` for unknown."""
    values = y.tolist() if hasattr(y, "tolist") else list(y)
    return space.encode(values, what=what).astype(np.int64)
