"""Calibration of label-model probabilities: expected calibration error and reliability.

A model is *calibrated* when, among the items it labels with confidence ``p``, a share
``p`` is right. :func:`expected_calibration_error` measures the gap on gold labels: the
items are binned by confidence (the top class probability) and the absolute difference
between mean confidence and accuracy is averaged over bins, weighted by bin size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "apply_temperature",
    "expected_calibration_error",
    "fit_temperature",
    "reliability_table",
]


def reliability_table(proba: Any, y: Any, *, bins: int = 10) -> list[dict[str, float]]:
    """Per confidence bin: item count, mean confidence and accuracy of the top class.

    Items whose gold label is unknown (``-1``) are skipped.

    Examples
    --------
    >>> rows = reliability_table([[0.9, 0.1], [0.6, 0.4]], [0, 1], bins=2)
    >>> [(r["items"], r["accuracy"]) for r in rows]
    [(1, 0.0), (1, 1.0)]
    """
    p = np.asarray(proba, dtype=np.float64)
    gold = np.asarray(y).astype(np.int64)
    known = gold >= 0
    p, gold = p[known], gold[known]
    if p.shape[0] == 0:
        return []
    conf = p.max(axis=1)
    right = np.argmax(p, axis=1) == gold
    k = p.shape[1]
    edges = np.linspace(1.0 / k, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        sel = which == b
        if sel.any():
            rows.append(
                {
                    "low": float(edges[b]),
                    "high": float(edges[b + 1]),
                    "items": int(sel.sum()),
                    "confidence": float(conf[sel].mean()),
                    "accuracy": float(right[sel].mean()),
                }
            )
    return rows


def expected_calibration_error(proba: Any, y: Any, *, bins: int = 10) -> float:
    """Expected calibration error of the top-class confidence against gold ``y``.

    Returns NaN when no item has a gold label.

    Examples
    --------
    >>> round(expected_calibration_error([[0.9, 0.1], [0.8, 0.2]], [0, 0]), 3)
    0.15
    """
    rows = reliability_table(proba, y, bins=bins)
    n = sum(r["items"] for r in rows)
    if n == 0:
        return float("nan")
    return float(sum(r["items"] * abs(r["confidence"] - r["accuracy"]) for r in rows) / n)


def apply_temperature(proba: Any, temperature: float) -> np.ndarray:
    """``proba ** (1 / T)``, renormalised: ``T > 1`` softens, ``T < 1`` sharpens; the top
    class (and ties) stay the same.

    >>> apply_temperature([[0.9, 0.1]], 2.0).round(3).tolist()
    [[0.75, 0.25]]
    """
    p = np.clip(np.asarray(proba, dtype=np.float64), 1e-12, 1.0)
    logp = np.log(p) / float(temperature)
    logp -= logp.max(axis=1, keepdims=True)
    out = np.exp(logp)
    return np.asarray(out / out.sum(axis=1, keepdims=True))


def fit_temperature(proba: Any, y: Any) -> float:
    """The temperature that minimises the log-loss of ``proba`` on gold ``y`` (items with
    ``y = -1`` are skipped); 1.0 when there are fewer than 10 gold items.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500)
    >>> right = rng.random(500) < 0.7  # 70% right, but claims 99%
    >>> pred = np.where(right, y, 1 - y)
    >>> proba = np.where(pred[:, None] == np.arange(2), 0.99, 0.01)
    >>> fit_temperature(proba, y) > 2
    True
    """
    p = np.asarray(proba, dtype=np.float64)
    gold = np.asarray(y).astype(np.int64)
    known = gold >= 0
    p, gold = p[known], gold[known]
    if gold.size < 10:
        return 1.0
    best, best_loss = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.05), np.log(20.0), 121)):
        q = apply_temperature(p, t)
        loss = -float(np.mean(np.log(np.clip(q[np.arange(gold.size), gold], 1e-12, 1.0))))
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best
