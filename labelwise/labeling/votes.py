"""The producer contract: every label source returns :class:`Votes`.

A *labeler* is anything that turns items into one column of the label matrix: a rule set,
a clustering, a nearest-neighbour model, an embedding zero-shot classifier, an LLM prompt,
an image detector, an audio classifier. Whatever the modality, it follows one protocol
(:class:`Labeler`):

- ``fit(items, y=None) -> self`` learns what it needs (a no-op for rules and zero-shot);
- ``label(items) -> Votes`` votes on every item, ``ABSTAIN`` (-1) where it has no
  confident opinion, and records per-item failures as faults instead of raising;
- ``as_lf(...)`` turns it into a labeling function that an applier runs beside rules.

:class:`Votes` carries the column: the votes, optional confidence and class probabilities,
the label space, provenance (how the votes were made) and the per-item faults. Stack them
with :meth:`LabelMatrix.from_votes <labelwise.labeling.LabelMatrix.from_votes>`.

Examples
--------
>>> from labelwise.labeling import LabelMatrix, LabelSpace
>>> space = LabelSpace(["ham", "spam"])
>>> a = Votes("a", np.array([0, -1, 1]), label_space=space,
...           confidence=np.array([0.9, 0.2, 0.8]))
>>> b = Votes("b", np.array([-1, 1, 1]), label_space=space)
>>> L = LabelMatrix.from_votes([a, b])
>>> L.names, L.values.tolist()
(['a', 'b'], [[0, -1], [-1, 1], [1, 1]])
>>> a.with_min_confidence(0.85).votes.tolist()
[0, -1, -1]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from labelwise.errors import LabelwiseError, NotFittedError
from labelwise.faults import FaultLog
from labelwise.labeling.space import ABSTAIN, LabelSpace, smallest_int_dtype

if TYPE_CHECKING:
    from labelwise.labeling.lf import VectorizedLabelingFunction
    from labelwise.labeling.matrix import LabelMatrix

__all__ = [
    "BaseLabeler",
    "Labeler",
    "Votes",
    "register_labeler",
    "registered_labelers",
]

_L = TypeVar("_L", bound=type)


@dataclass
class Votes:
    """One labeler's votes over ``n`` items: one column of the label matrix.

    Attributes
    ----------
    name : str
        Column name in the label matrix.
    votes : ndarray of int, shape (n,)
        Classes ``0..k-1`` or ``ABSTAIN = -1``.
    label_space : LabelSpace, optional
        Class names; sets ``cardinality``. Without it pass ``cardinality``.
    cardinality : int, optional
        ``k``; taken from ``label_space`` when given, else inferred (at least 2).
    confidence : ndarray of float, shape (n,), optional
        Confidence of the (candidate) vote in ``[0, 1]``; kept where the labeler abstained
        so :meth:`with_min_confidence` can move the threshold later.
    proba : ndarray of float, shape (n, k), optional
        Class probabilities over the whole label space.
    provenance : dict
        How the votes were made: kind, model, parameters, thresholds.
    faults : FaultLog
        Items the labeler failed on (it abstained there).
    candidates : ndarray of int, shape (n,), optional
        The vote each item would get with no confidence threshold (defaults to ``votes``).
    """

    name: str
    votes: np.ndarray
    label_space: LabelSpace | None = None
    cardinality: int | None = None
    confidence: np.ndarray | None = None
    proba: np.ndarray | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    faults: FaultLog = field(default_factory=FaultLog)
    candidates: np.ndarray | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise LabelwiseError(f"Votes need a non-empty string name, got {self.name!r}")
        v = np.asarray(self.votes)
        if v.ndim != 1:
            raise LabelwiseError(
                f"votes of {self.name!r} must be 1-D (one vote per item), got shape {v.shape}"
            )
        if v.size and not np.issubdtype(v.dtype, np.integer):
            if v.dtype == bool or not np.all(np.isfinite(v.astype(float, copy=False))):
                raise LabelwiseError(
                    f"votes of {self.name!r} must be integer classes or ABSTAIN, got {v.dtype}"
                )
            if not np.all(v == np.round(v)):
                raise LabelwiseError(
                    f"votes of {self.name!r} must be whole numbers (class indices), got {v.dtype}"
                )
        self.votes = v.astype(np.int64)
        if self.label_space is not None:
            if self.cardinality is not None and self.cardinality != self.label_space.k:
                raise LabelwiseError(
                    f"Votes {self.name!r}: cardinality {self.cardinality} disagrees with the "
                    f"label space's {self.label_space.k} classes"
                )
            self.cardinality = self.label_space.k
        elif self.cardinality is None:
            self.cardinality = max(2, int(self.votes.max()) + 1 if self.votes.size else 2)
        k = int(self.cardinality)
        self.cardinality = k
        if self.votes.size and (self.votes.min() < ABSTAIN or self.votes.max() >= k):
            raise LabelwiseError(
                f"votes of {self.name!r} must lie in -1..{k - 1}, got "
                f"{self.votes.min()}..{self.votes.max()}"
            )
        n = len(self.votes)
        if self.confidence is not None:
            self.confidence = np.asarray(self.confidence, dtype=np.float64)
            if self.confidence.shape != (n,):
                raise LabelwiseError(
                    f"confidence of {self.name!r} has shape {self.confidence.shape}; "
                    f"expected ({n},)"
                )
        if self.proba is not None:
            self.proba = np.asarray(self.proba, dtype=np.float64)
            if self.proba.shape != (n, k):
                raise LabelwiseError(
                    f"proba of {self.name!r} has shape {self.proba.shape}; expected ({n}, {k})"
                )
        if self.candidates is None:
            self.candidates = self.votes.copy()
        self.candidates = np.asarray(self.candidates, dtype=np.int64)
        if self.candidates.shape != self.votes.shape:
            raise LabelwiseError(
                f"candidates {self.candidates.shape} and votes {self.votes.shape} of "
                f"{self.name!r} must match"
            )
        if not isinstance(self.faults, FaultLog):
            self.faults = FaultLog(self.faults)
        self.provenance = dict(self.provenance)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return int(self.votes.shape[0])

    @property
    def k(self) -> int:
        return int(self.cardinality or 2)

    @property
    def coverage(self) -> float:
        """Share of items with a vote."""
        return float(np.mean(self.votes != ABSTAIN)) if len(self) else 0.0

    @property
    def n_faults(self) -> int:
        return len(self.faults.errors)

    def with_min_confidence(self, min_confidence: float) -> Votes:
        """A copy voting its candidate where the confidence reaches ``min_confidence``."""
        if self.confidence is None:
            raise LabelwiseError(
                f"Votes {self.name!r} carry no confidence; a threshold cannot be applied"
            )
        assert self.candidates is not None
        votes = np.where(self.confidence >= min_confidence, self.candidates, ABSTAIN)
        prov = {**self.provenance, "min_confidence": float(min_confidence)}
        return replace(self, votes=votes, provenance=prov, candidates=self.candidates.copy())

    def renamed(self, name: str) -> Votes:
        return replace(self, name=name)

    # ------------------------------------------------------------------ conversions
    def column_provenance(self) -> dict[str, Any]:
        """Provenance for the label matrix: the labeler's own plus coverage and faults."""
        prov = dict(self.provenance)
        prov.setdefault("coverage", round(self.coverage, 6))
        if self.confidence is not None and (self.votes != ABSTAIN).any():
            prov.setdefault(
                "mean_confidence", float(np.mean(self.confidence[self.votes != ABSTAIN]))
            )
        prov["faults"] = self.n_faults
        if self.n_faults:
            prov["first_fault"] = str(self.faults.errors[0])
        return prov

    def to_label_matrix(
        self, *, name: str | None = None, index: Sequence[Any] | None = None
    ) -> LabelMatrix:
        """This column as a one-column :class:`~labelwise.labeling.LabelMatrix`."""
        from labelwise.labeling.matrix import LabelMatrix

        col = name or self.name
        return LabelMatrix(
            self.votes.reshape(-1, 1).astype(smallest_int_dtype(self.k)),
            names=[col],
            cardinality=self.k,
            provenance={col: self.column_provenance()},
            index=index,
            label_space=self.label_space,
        )

    def to_frame(self, *, index: Sequence[Any] | None = None) -> Any:
        """``vote``, ``label`` (class name or missing) and ``confidence`` per item."""
        import pandas as pd

        if self.label_space is not None:
            names: list[Any] = self.label_space.decode(self.votes)
        else:
            names = [None if v == ABSTAIN else int(v) for v in self.votes]
        conf = self.confidence if self.confidence is not None else np.full(len(self), np.nan)
        return pd.DataFrame(
            {"vote": self.votes, "label": pd.array(names, dtype="object"), "confidence": conf},
            index=None if index is None else list(index),
        )


@runtime_checkable
class Labeler(Protocol):
    """What every label source implements (see the module docstring)."""

    name: str

    def fit(self, items: Any, y: Any = None) -> Any: ...

    def label(self, items: Any) -> Votes: ...

    def as_lf(self, column: str | None = None, *, name: str | None = None) -> Any: ...


class BaseLabeler:
    """A convenient base for labelers: fitted-state checks and :meth:`as_lf`.

    Subclasses implement :meth:`label` (and :meth:`fit` when they learn). Set
    ``requires_fit = False`` for labelers that are ready on construction (rules, zero-shot,
    pretrained detectors). Call :meth:`check_fitted` at the top of :meth:`label`.
    """

    name: str = "labeler"
    requires_fit: bool = True
    _fitted: bool = False

    def fit(self, items: Any, y: Any = None) -> Any:
        self._fitted = True
        return self

    @property
    def is_fitted(self) -> bool:
        return (not self.requires_fit) or bool(self._fitted)

    def check_fitted(self) -> None:
        """Raise :class:`~labelwise.errors.NotFittedError` unless ready to label."""
        if not self.is_fitted:
            raise NotFittedError(
                f"{type(self).__name__} {getattr(self, 'name', '')!r} is not fitted yet; "
                "call .fit(items, y) before .label(items)"
            )

    def label(self, items: Any) -> Votes:  # pragma: no cover - abstract
        raise NotImplementedError

    def as_lf(
        self, column: str | None = None, *, name: str | None = None
    ) -> VectorizedLabelingFunction:
        """This labeler as a vectorized labeling function for :class:`LFApplier`.

        ``column`` names the DataFrame column holding the items (texts, paths); without it
        the whole frame is passed to :meth:`label`.
        """
        from labelwise.labeling.lf import VectorizedLabelingFunction

        self.check_fitted()
        labeler = self

        def vec(df: Any) -> np.ndarray:
            return labeler.label(df if column is None else df[column]).votes

        def row(x: Any) -> int:
            import pandas as pd

            item = (
                pd.DataFrame([dict(x)]) if column is None else [x[column]]  # one-item batch
            )
            return int(labeler.label(item).votes[0])

        return VectorizedLabelingFunction(
            name or self.name, vec, columns=None if column is None else [column], row_f=row
        )


# ---------------------------------------------------------------------- registry
_REGISTRY: dict[str, tuple[type, Callable[[], tuple[Any, Any, Any]] | None]] = {}


def register_labeler(
    example: Callable[[], tuple[Any, Any, Any]] | None = None,
) -> Callable[[_L], _L]:
    """Class decorator: register a labeler class for the conformance suite.

    ``example`` returns ``(labeler, items, y)``: a small ready-to-fit instance, items it
    can label and gold for ``fit`` (``None`` when it needs none). Classes registered
    without an example are reported by the suite as missing one.
    """

    def deco(cls: _L) -> _L:
        _REGISTRY[f"{cls.__module__}.{cls.__qualname__}"] = (cls, example)
        return cls

    return deco


def registered_labelers() -> dict[str, tuple[type, Callable[[], tuple[Any, Any, Any]] | None]]:
    """``qualified name -> (class, example factory)`` of every registered labeler."""
    return dict(_REGISTRY)
