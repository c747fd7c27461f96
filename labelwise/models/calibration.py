"""Calibration of label-model probabilities: expected calibration error and reliability.

A model is *calibrated* when, among the items it labels with confidence ``p``, a share
``p`` is right. :func:`expected_calibration_error` measures the gap on gold labels: the
items are binned by confidence (the top class probability) and the absolute difference
between mean confidence and accuracy is averaged over bins, weighted by bin size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["expected_calibration_error", "reliability_table"]


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
