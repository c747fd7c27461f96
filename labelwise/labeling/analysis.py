"""Diagnostics of labeling functions: polarity, coverage, overlaps, conflicts, accuracy.

The statistics are pure numpy over the label matrix (``lf_*`` functions); :func:`lf_summary`
assembles them into a ``DataFrame``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labelwise.errors import LabelSpaceError
from labelwise.labeling.space import ABSTAIN, check_votes, is_sign_encoded

__all__ = [
    "check_gold",
    "lf_conflicts",
    "lf_coverages",
    "lf_empirical_accuracies",
    "lf_overlaps",
    "lf_polarities",
    "lf_summary",
]


def _votes(L: Any) -> np.ndarray:
    return check_votes(getattr(L, "values", L))


def lf_coverages(L: Any) -> np.ndarray:
    """Share of items each labeler votes on, shape ``(m,)``.

    >>> lf_coverages(np.array([[0, -1], [1, -1]])).tolist()
    [1.0, 0.0]
    """
    V = _votes(L)
    return (V != ABSTAIN).mean(axis=0) if len(V) else np.zeros(V.shape[1])


def lf_polarities(L: Any) -> list[list[int]]:
    """The sorted distinct classes each labeler emits."""
    V = _votes(L)
    return [sorted(int(c) for c in np.unique(V[:, j]) if c != ABSTAIN) for j in range(V.shape[1])]


def lf_overlaps(L: Any) -> np.ndarray:
    """Share of items where a labeler votes and at least one other labeler votes too."""
    V = _votes(L)
    if not len(V):
        return np.zeros(V.shape[1])
    voted = V != ABSTAIN
    n_voting = voted.sum(axis=1, keepdims=True)
    return (voted & (n_voting > 1)).mean(axis=0)


def lf_conflicts(L: Any) -> np.ndarray:
    """Share of items where a labeler votes and another labeler votes a different class."""
    V = _votes(L).astype(np.int32)  # int8 input would overflow the sentinel below
    if not len(V):
        return np.zeros(V.shape[1])
    voted = V != ABSTAIN
    # An item has a conflict for labeler j when some other vote differs from j's vote:
    # compare each vote with the row's min and max non-abstain votes.
    big = np.iinfo(np.int32).max
    vmin = np.where(voted, V, big).min(axis=1, keepdims=True)
    vmax = np.where(voted, V, -1).max(axis=1, keepdims=True)
    return (voted & ((vmin != V) | (vmax != V))).mean(axis=0)


def check_gold(
    y: Any,
    n: int,
    *,
    cardinality: int | None = None,
    label_space: Any = None,
    name: str = "gold labels",
    allow_unknown: bool = True,
) -> np.ndarray:
    """Validate gold labels: one class in ``0..k-1`` per item, as an int64 array.

    With ``allow_unknown`` (default) ``-1`` (and NaN/``None``) marks items without gold;
    otherwise every item needs a class. Class names are encoded through ``label_space``.

    >>> check_gold([0, 1, -1], 3, cardinality=2).tolist()
    [0, 1, -1]
    """
    if label_space is not None:
        arr = label_space.encode(list(y), what=name)
        cardinality = label_space.k
    else:
        arr = np.asarray(y)
        if arr.ndim == 2 and 1 in arr.shape:
            arr = arr.reshape(-1)
        if arr.ndim != 1:
            raise LabelSpaceError(f"{name} must be 1-D (one class per item), got shape {arr.shape}")
        if arr.dtype.kind in "iuf" and is_sign_encoded(arr.tolist()):
            raise LabelSpaceError(
                f"{name} hold only -1 and +1: that looks like a {{-1, +1}} encoding, but here "
                "-1 means 'no gold label' and classes are 0..k-1. Map the targets first, e.g. "
                "labels = np.where(y == 1, 1, 0), or pass names with a label space "
                "(LabelSpace(['-1', '+1']).encode([str(v) ...]))"
            )
        if arr.dtype.kind == "f":
            finite = np.isfinite(arr)
            if not allow_unknown and not finite.all():
                i = int(np.flatnonzero(~finite)[0])
                raise LabelSpaceError(
                    f"{name}[{i}] is missing (NaN; {int((~finite).sum())} such labels); "
                    "drop the rows without a gold label first"
                )
            if np.all(arr[finite] == np.round(arr[finite])):
                arr = np.where(finite, arr, ABSTAIN).astype(np.int64)
        if arr.dtype.kind not in "iu" or arr.dtype == np.bool_:
            raise LabelSpaceError(
                f"{name} have dtype {arr.dtype}; expected integer classes. Encode class "
                "names with LabelSpace(names).encode(y) or pass label_space="
            )
    if len(arr) != n:
        raise LabelSpaceError(
            f"{name} has {len(arr)} labels but its label matrix has {n} rows; pass one gold "
            "class per row, in the same order" + (" (-1 where unknown)" if allow_unknown else "")
        )
    lowest = ABSTAIN if allow_unknown else 0
    too_big = (arr >= cardinality) if cardinality is not None else np.zeros(len(arr), bool)
    bad = np.flatnonzero((arr < lowest) | too_big)
    if bad.size:
        i = int(bad[0])
        classes = f"0..{cardinality - 1}" if cardinality is not None else "0..k-1"
        if arr[i] == ABSTAIN and not allow_unknown:
            hint = "drop the rows without a gold label first"
        else:
            hint = f"classes are {classes}" + (", -1 where unknown" if allow_unknown else "")
        raise LabelSpaceError(
            f"{name}[{i}] = {arr[i]} is not a class of this problem ({bad.size} such labels); "
            f"{hint}"
        )
    return arr.astype(np.int64)


def lf_empirical_accuracies(L: Any, y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(accuracy, correct, incorrect)`` per labeler on items with gold ``y != -1``.

    Accuracy is NaN for a labeler with no votes on gold items.
    """
    V = _votes(L)
    gold = check_gold(y, len(V))
    known = gold != ABSTAIN
    Vk, gk = V[known], gold[known][:, None]
    voted = Vk != ABSTAIN
    correct = (voted & (Vk == gk)).sum(axis=0)
    incorrect = (voted & (Vk != gk)).sum(axis=0)
    total = correct + incorrect
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(total > 0, correct / np.maximum(total, 1), np.nan)
    return acc, correct, incorrect


def lf_summary(
    L: Any,
    y: Any = None,
    *,
    names: Sequence[str] | None = None,
    faults: dict[str, int] | None = None,
) -> Any:
    """One row per labeler: polarity, coverage, overlaps, conflicts (and, with gold
    labels ``y``, correct/incorrect counts and empirical accuracy; faults if known).

    Parameters
    ----------
    L : LabelMatrix or array of shape (n, m)
    y : array of shape (n,), optional
        Gold classes, ``-1`` where unknown.

    Returns
    -------
    pandas.DataFrame
        Indexed by labeler name.

    Examples
    --------
    >>> L = np.array([[0, 0], [1, -1], [1, 0]])
    >>> lf_summary(L, names=["a", "b"])["conflicts"].tolist()
    [0.3333333333333333, 0.3333333333333333]
    """
    import pandas as pd

    V = _votes(L)
    if names is None:
        names = getattr(L, "names", None) or [f"lf_{j}" for j in range(V.shape[1])]
    if faults is None:
        prov = getattr(L, "provenance", None) or {}
        faults = {n: int(p.get("faults", 0)) for n, p in prov.items() if "faults" in p}
    data: dict[str, Any] = {
        "polarity": lf_polarities(V),
        "coverage": lf_coverages(V),
        "overlaps": lf_overlaps(V),
        "conflicts": lf_conflicts(V),
    }
    if y is not None:
        acc, correct, incorrect = lf_empirical_accuracies(V, y)
        data["correct"] = correct
        data["incorrect"] = incorrect
        data["emp_accuracy"] = acc
    if faults:
        data["faults"] = [int(faults.get(n, 0)) for n in names]
    return pd.DataFrame(data, index=pd.Index(list(names), name="labeler"))
