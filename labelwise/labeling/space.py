"""The label space: class names <-> integer classes, and vote validation."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from labelwise.errors import LabelMatrixError, LabelSpaceError

__all__ = [
    "ABSTAIN",
    "SIGN_SPACE",
    "LabelSpace",
    "check_votes",
    "is_sign_encoded",
    "sign_targets_as_names",
    "smallest_int_dtype",
]

#: The vote of a labeler that has no opinion on an item.
ABSTAIN = -1


def smallest_int_dtype(cardinality: int) -> np.dtype[Any]:
    """The smallest signed integer dtype that holds ``-1 .. cardinality-1``."""
    for dtype in (np.int8, np.int16, np.int32):
        if cardinality - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


class LabelSpace:
    """An ordered set of class names, mapped to ``0..k-1``.

    Parameters
    ----------
    names : sequence of str
        Class names in class-index order. Must be unique and at least two.

    Examples
    --------
    >>> space = LabelSpace(["ham", "spam"])
    >>> space.index("spam"), space.name(0), space.k
    (1, 'ham', 2)
    >>> space.encode(["spam", "ham", None]).tolist()
    [1, 0, -1]
    """

    def __init__(self, names: Sequence[str]) -> None:
        names = [str(n) for n in names]
        if len(names) < 2:
            raise LabelSpaceError(
                f"a label space needs at least 2 classes, got {names!r}; "
                "list every class, e.g. LabelSpace(['negative', 'positive'])"
            )
        seen: set[str] = set()
        dups = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
        if dups:
            raise LabelSpaceError(f"class names must be unique; repeated: {sorted(set(dups))}")
        self.names: list[str] = names
        self._index = {n: i for i, n in enumerate(names)}

    @classmethod
    def from_values(cls, values: Iterable[Any]) -> LabelSpace:
        """Build a label space from the distinct non-missing values of a column (sorted)."""
        distinct = {str(v) for v in values if v is not None and v == v}
        return cls(sorted(distinct))

    @property
    def k(self) -> int:
        """Number of classes (the cardinality)."""
        return len(self.names)

    def __len__(self) -> int:
        return self.k

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __repr__(self) -> str:
        return f"LabelSpace({self.names!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelSpace) and other.names == self.names

    def __hash__(self) -> int:
        return hash(tuple(self.names))

    def index(self, name: str) -> int:
        """The integer class of ``name``."""
        try:
            return self._index[str(name)]
        except KeyError:
            raise LabelSpaceError(
                f"unknown class {name!r}; the label space holds {self.names}. "
                "Fix the spelling or add the class to the label space."
            ) from None

    def name(self, label: int) -> str:
        """The class name of integer class ``label`` (``ABSTAIN`` has no name)."""
        if not 0 <= int(label) < self.k:
            raise LabelSpaceError(f"class index {label} is outside 0..{self.k - 1}")
        return self.names[int(label)]

    def encode(self, values: Iterable[Any], *, what: str = "labels") -> np.ndarray:
        """Map class names (or ``None``/NaN for abstain) to integer classes.

        Integer-like values already in ``-1..k-1`` pass through unchanged.
        """
        out = []
        for i, v in enumerate(values):
            if v is None or (isinstance(v, float) and v != v):
                out.append(ABSTAIN)
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                if not -1 <= int(v) < self.k:
                    raise LabelSpaceError(
                        f"{what}[{i}] = {v} is outside -1..{self.k - 1} for classes {self.names}"
                    )
                out.append(int(v))
            elif str(v) in self._index:
                out.append(self._index[str(v)])
            else:
                raise LabelSpaceError(
                    f"{what}[{i}] = {v!r} is not a known class; expected one of {self.names}"
                )
        return np.asarray(out, dtype=smallest_int_dtype(self.k))

    def decode(self, labels: Iterable[int]) -> list[str | None]:
        """Map integer classes to names; ``ABSTAIN`` becomes ``None``."""
        return [None if int(v) == ABSTAIN else self.names[int(v)] for v in labels]


def check_votes(
    L: Any,
    *,
    cardinality: int | None = None,
    n_labelers: int | None = None,
    name: str = "L",
) -> np.ndarray:
    """Validate a label matrix and return it as a 2-D integer array.

    Parameters
    ----------
    L : array-like of shape (n_items, n_labelers)
        Votes in ``-1..k-1``.
    cardinality : int, optional
        ``k``; when given, votes must lie in ``-1..k-1``.
    n_labelers : int, optional
        Expected number of columns.

    Raises
    ------
    LabelMatrixError
        With the offending shape, value and position.
    """
    values = getattr(L, "values", L)
    arr = np.asarray(values)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise LabelMatrixError(f"{name} must be 2-D (n_items, n_labelers), got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if arr.size and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
            bad = np.argwhere(~(np.isfinite(arr) & (arr == np.round(arr))))[0]
            raise LabelMatrixError(
                f"{name}[{bad[0]}, {bad[1]}] = {arr[tuple(bad)]!r} is not an integer class; "
                "votes must be integers with ABSTAIN = -1"
            )
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "b" or arr.dtype.kind not in "iu":
        raise LabelMatrixError(
            f"{name} has dtype {arr.dtype}; expected integer votes (ABSTAIN = -1). "
            "Encode class names with LabelSpace.encode first."
        )
    if n_labelers is not None and arr.shape[1] != n_labelers:
        raise LabelMatrixError(
            f"{name} has {arr.shape[1]} columns but {n_labelers} labelers were given; "
            "pass one name per column"
        )
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < -1 or (cardinality is not None and hi > cardinality - 1):
            bad_mask = (arr < -1) if lo < -1 else (arr > cardinality - 1)  # type: ignore[operator]
            i, j = np.argwhere(bad_mask)[0]
            k_text = f"{cardinality - 1}" if cardinality is not None else "k-1"
            raise LabelMatrixError(
                f"{name}[{i}, {j}] = {arr[i, j]} is outside [-1, {k_text}]"
                + (f" for cardinality {cardinality}" if cardinality is not None else "")
                + "; use ABSTAIN = -1 for no vote and classes 0..k-1"
            )
    return arr


def _number(v: Any) -> float | None:
    if isinstance(v, (bool, np.bool_)) or v is None:
        return None
    if isinstance(v, (int, np.integer, float, np.floating)):
        f = float(v)
        return f if f == f else None
    return None


def is_sign_encoded(values: Iterable[Any]) -> bool:
    """True when the non-missing values are numbers, exactly ``{-1, +1}`` (both present).

    Such targets are a binary ``{-1, +1}`` encoding, not "-1 = unlabeled" (labelwise's
    convention for class indices): with no ``0`` anywhere, every labeled row would
    otherwise be class ``1``.

    >>> is_sign_encoded([1, -1, -1, None]), is_sign_encoded([0, 1, -1])
    (True, False)
    """
    seen: set[float] = set()
    for v in values:
        f = _number(v)
        if f is None:
            if v is None or (isinstance(v, float) and v != v):
                continue
            return False  # a name or another type
        seen.add(f)
        if len(seen) > 2 or f not in (-1.0, 1.0):
            return False
    return seen == {-1.0, 1.0}


#: The label space of ``{-1, +1}`` targets: class 0 is ``"-1"``, class 1 is ``"+1"``.
SIGN_SPACE = ("-1", "+1")


def sign_targets_as_names(values: Any) -> tuple[np.ndarray, LabelSpace | None]:
    """Map ``{-1, +1}`` targets to the class names ``"-1"``/``"+1"`` (missing stays
    ``None``) with their label space; other targets come back unchanged with ``None``.

    >>> names, space = sign_targets_as_names([1, -1, float("nan")])
    >>> names.tolist(), space.names
    (['+1', '-1', None], ['-1', '+1'])
    """
    arr = np.asarray(values, dtype=object).reshape(-1)
    if not is_sign_encoded(arr):
        return arr, None
    out = np.array(
        [None if _number(v) is None else ("+1" if _number(v) == 1.0 else "-1") for v in arr],
        dtype=object,
    )
    return out, LabelSpace(list(SIGN_SPACE))
