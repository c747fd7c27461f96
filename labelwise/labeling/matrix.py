"""The label matrix: ``n_items x n_labelers`` integer votes with names and provenance."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from labelwise.errors import LabelMatrixError
from labelwise.labeling.space import ABSTAIN, LabelSpace, check_votes, smallest_int_dtype

__all__ = ["LabelMatrix", "hstack"]

_META_KEY = b"labelwise.label_matrix"


class LabelMatrix(NDArrayOperatorsMixin):
    """Votes of ``m`` labelers on ``n`` items, stored compactly (int8 for k <= 127).

    Parameters
    ----------
    values : array-like of shape (n, m)
        Integer votes in ``-1..k-1`` (``ABSTAIN = -1``).
    names : sequence of str, optional
        One name per column (labeler); defaults to ``lf_0 .. lf_{m-1}``.
    cardinality : int, optional
        ``k``; inferred as ``max vote + 1`` (at least 2) when omitted.
    provenance : mapping name -> dict, optional
        Where each column came from (kind, parameters, fault counts, ...).
    index : sequence, optional
        Item ids, one per row; defaults to ``0..n-1``.
    label_space : LabelSpace, optional
        Class names; sets ``cardinality``.

    Examples
    --------
    >>> L = LabelMatrix([[0, -1], [1, 1]], names=["a", "b"])
    >>> L.shape, L.cardinality, L["b"].tolist()
    ((2, 2), 2, [-1, 1])

    It is array-like, as Snorkel's label matrices are numpy arrays: ``np.asarray(L)``,
    arithmetic, comparisons and integer indexing give ``int64`` numpy results.

    >>> (L + 1).tolist(), (L == -1).sum(), L[:, 0].tolist()
    ([[1, 0], [2, 2]], np.int64(1), [0, 1])
    """

    def __init__(
        self,
        values: Any,
        *,
        names: Sequence[str] | None = None,
        cardinality: int | None = None,
        provenance: Mapping[str, Mapping[str, Any]] | None = None,
        index: Sequence[Any] | None = None,
        label_space: LabelSpace | None = None,
    ) -> None:
        if label_space is not None:
            if cardinality is not None and cardinality != label_space.k:
                raise LabelMatrixError(
                    f"cardinality {cardinality} disagrees with the label space's {label_space.k} classes"
                )
            cardinality = label_space.k
        arr = check_votes(values, cardinality=cardinality)
        if cardinality is None:
            cardinality = max(2, int(arr.max()) + 1 if arr.size else 2)
        m = arr.shape[1]
        if names is None:
            names = [f"lf_{j}" for j in range(m)]
        names = [str(n) for n in names]
        if len(names) != m:
            raise LabelMatrixError(
                f"L has {m} columns but {len(names)} labeler names were given; pass one per column"
            )
        if len(set(names)) != len(names):
            dups = sorted({n for n in names if names.count(n) > 1})
            raise LabelMatrixError(f"labeler names must be unique; repeated: {dups}")
        if index is not None and len(index) != arr.shape[0]:
            raise LabelMatrixError(f"index has {len(index)} ids for {arr.shape[0]} rows of L")
        self.values: np.ndarray = np.ascontiguousarray(arr, dtype=smallest_int_dtype(cardinality))
        self.names: list[str] = names
        self.cardinality: int = int(cardinality)
        self.label_space = label_space
        self.provenance: dict[str, dict[str, Any]] = {
            n: dict((provenance or {}).get(n, {})) for n in names
        }
        self.index = None if index is None else list(index)

    # ------------------------------------------------------------------ basics
    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.values.shape[0]), int(self.values.shape[1]))

    @property
    def n_items(self) -> int:
        return self.shape[0]

    @property
    def n_labelers(self) -> int:
        return self.shape[1]

    def __len__(self) -> int:
        return self.n_items

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.values if dtype is None else self.values.astype(dtype)

    def __getitem__(self, name: Any) -> np.ndarray:
        if not isinstance(name, str):
            return np.asarray(self.values, dtype=np.int64)[name]
        try:
            return self.values[:, self.names.index(name)]
        except ValueError:
            raise KeyError(f"no labeler named {name!r}; labelers: {self.names}") from None

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        args = [
            np.asarray(x.values, dtype=np.int64) if isinstance(x, LabelMatrix) else x
            for x in inputs
        ]
        return getattr(ufunc, method)(*args, **kwargs)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.values.dtype

    @property
    def ndim(self) -> int:
        return 2

    @property
    def size(self) -> int:
        return int(self.values.size)

    def max(self, *args: Any, **kwargs: Any) -> Any:
        return self.values.astype(np.int64).max(*args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Any:
        return self.values.astype(np.int64).min(*args, **kwargs)

    def astype(self, dtype: Any, **kwargs: Any) -> np.ndarray:
        return self.values.astype(dtype, **kwargs)

    def copy(self) -> LabelMatrix:
        return LabelMatrix(
            self.values.copy(),
            names=self.names,
            cardinality=self.cardinality,
            provenance=self.provenance,
            index=self.index,
            label_space=self.label_space,
        )

    def __repr__(self) -> str:
        return f"LabelMatrix(n={self.n_items}, labelers={self.names}, k={self.cardinality})"

    def __eq__(self, other: Any) -> Any:
        """Another LabelMatrix: True when names, cardinality and votes are equal. Anything
        else: element-wise, like a numpy array (``L == -1``)."""
        if isinstance(other, LabelMatrix):
            return (
                other.names == self.names
                and other.cardinality == self.cardinality
                and np.array_equal(other.values, self.values)
            )
        return np.equal(np.asarray(self.values, dtype=np.int64), other)

    def __ne__(self, other: Any) -> Any:
        if isinstance(other, LabelMatrix):
            return not self.__eq__(other)
        return np.not_equal(np.asarray(self.values, dtype=np.int64), other)

    __hash__ = None  # type: ignore[assignment]

    def coverage(self) -> float:
        """Share of items with at least one non-abstain vote."""
        if self.n_items == 0:
            return 0.0
        return float(np.mean((self.values != ABSTAIN).any(axis=1)))

    # ------------------------------------------------------------------ combining
    @classmethod
    def from_votes(cls, votes: Sequence[Any], *, index: Sequence[Any] | None = None) -> LabelMatrix:
        """One column per :class:`~labelwise.labeling.Votes`, in order (same items, same space).

        Examples
        --------
        >>> from labelwise.labeling import Votes
        >>> LabelMatrix.from_votes([Votes("a", [0, 1]), Votes("b", [-1, 1])]).values.tolist()
        [[0, -1], [1, 1]]
        """
        votes = list(votes)
        if not votes:
            raise LabelMatrixError("from_votes needs at least one Votes column")
        first = votes[0]
        for v in votes[1:]:
            if len(v) != len(first):
                raise LabelMatrixError(
                    f"labeler {v.name!r} voted on {len(v)} items but {first.name!r} on "
                    f"{len(first)}; label the same items with every labeler"
                )
            if (
                v.label_space is not None
                and first.label_space is not None
                and v.label_space != first.label_space
            ):
                raise LabelMatrixError(
                    f"labeler {v.name!r} uses classes {v.label_space.names} but "
                    f"{first.name!r} uses {first.label_space.names}; use one label space"
                )
        space = next((v.label_space for v in votes if v.label_space is not None), None)
        k = space.k if space is not None else max(v.k for v in votes)
        return cls(
            np.column_stack([v.votes for v in votes]),
            names=[v.name for v in votes],
            cardinality=None if space is not None else k,
            provenance={v.name: v.column_provenance() for v in votes},
            index=index,
            label_space=space,
        )

    def hstack(self, other: LabelMatrix) -> LabelMatrix:
        """Columns of ``self`` then ``other`` (same items, same cardinality)."""
        if other.n_items != self.n_items:
            raise LabelMatrixError(
                f"cannot join label matrices over {self.n_items} and {other.n_items} items"
            )
        if other.cardinality != self.cardinality:
            raise LabelMatrixError(
                f"cannot join label matrices of cardinality {self.cardinality} and {other.cardinality}"
            )
        return LabelMatrix(
            np.hstack([self.values, other.values]),
            names=self.names + other.names,
            cardinality=self.cardinality,
            provenance={**self.provenance, **other.provenance},
            index=self.index,
            label_space=self.label_space,
        )

    def select(self, names: Sequence[str]) -> LabelMatrix:
        """A matrix with only the named columns, in the given order."""
        cols = []
        for n in names:
            if n not in self.names:
                raise KeyError(f"no labeler named {n!r}; labelers: {self.names}")
            cols.append(self.names.index(n))
        return LabelMatrix(
            self.values[:, cols],
            names=list(names),
            cardinality=self.cardinality,
            provenance={n: self.provenance[n] for n in names},
            index=self.index,
            label_space=self.label_space,
        )

    @staticmethod
    def concat(matrices: Sequence[LabelMatrix]) -> LabelMatrix:
        """Columns of every matrix, left to right (see :func:`labelwise.labeling.hstack`)."""
        if not matrices:
            raise LabelMatrixError("hstack needs at least one label matrix")
        out = matrices[0]
        for m in matrices[1:]:
            out = out.hstack(m)
        return out

    # ------------------------------------------------------------------ conversions
    def to_numpy(self) -> np.ndarray:
        """The votes as an ``(n, m)`` integer array (no copy)."""
        return self.values

    @classmethod
    def from_numpy(cls, values: Any, **kwargs: Any) -> LabelMatrix:
        return cls(values, **kwargs)

    def to_pandas(self) -> Any:
        """A ``DataFrame`` with one column per labeler, indexed by item id."""
        import pandas as pd

        return pd.DataFrame(self.values, columns=self.names, index=self.index)

    @classmethod
    def from_pandas(
        cls, df: Any, *, cardinality: int | None = None, label_space: LabelSpace | None = None
    ) -> LabelMatrix:
        """From a ``DataFrame`` of votes (columns = labelers)."""
        import pandas as pd

        index = None if isinstance(df.index, pd.RangeIndex) else list(df.index)
        return cls(
            df.to_numpy(),
            names=[str(c) for c in df.columns],
            cardinality=cardinality,
            index=index,
            label_space=label_space,
        )

    def _meta(self) -> dict[str, Any]:
        return {
            "cardinality": self.cardinality,
            "names": self.names,
            "provenance": self.provenance,
            "classes": None if self.label_space is None else self.label_space.names,
        }

    def to_parquet(self, path: str | Path) -> None:
        """Write votes and metadata (names, cardinality, provenance) to a Parquet file."""
        from labelwise.errors import require

        pa = require("pyarrow", "parquet")
        pq = require("pyarrow.parquet", "parquet")
        columns = {n: pa.array(self.values[:, j]) for j, n in enumerate(self.names)}
        if self.index is not None:
            columns["__item_id__"] = pa.array([str(i) for i in self.index])
        table = pa.table(columns)
        meta = dict(table.schema.metadata or {})
        meta[_META_KEY] = json.dumps(self._meta(), default=str).encode()
        pq.write_table(table.replace_schema_metadata(meta), str(path))

    @classmethod
    def from_parquet(cls, path: str | Path) -> LabelMatrix:
        """Read a matrix written by :meth:`to_parquet`."""
        from labelwise.errors import require

        pq = require("pyarrow.parquet", "parquet")
        table = pq.read_table(str(path))
        meta_raw = (table.schema.metadata or {}).get(_META_KEY)
        meta = json.loads(meta_raw) if meta_raw else {}
        names = meta.get("names") or [c for c in table.column_names if c != "__item_id__"]
        values = (
            np.column_stack([table.column(n).to_numpy() for n in names])
            if names
            else np.empty((table.num_rows, 0), dtype=np.int8)
        )
        index = (
            table.column("__item_id__").to_pylist() if "__item_id__" in table.column_names else None
        )
        classes = meta.get("classes")
        return cls(
            values,
            names=names,
            cardinality=None if classes else meta.get("cardinality"),
            provenance=meta.get("provenance"),
            index=index,
            label_space=LabelSpace(classes) if classes else None,
        )


def hstack(columns: Sequence[Any]) -> LabelMatrix:
    """Join label matrices and :class:`~labelwise.labeling.Votes` columns left to right.

    Examples
    --------
    >>> from labelwise.labeling import Votes
    >>> hstack([LabelMatrix([[0], [1]], names=["a"]), Votes("b", [1, -1])]).names
    ['a', 'b']
    """
    from labelwise.labeling.votes import Votes

    mats = [c.to_label_matrix() if isinstance(c, Votes) else c for c in columns]
    return LabelMatrix.concat(mats)
