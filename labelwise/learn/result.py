"""What the labelers in :mod:`labelwise.learn` return: one column of votes or values.

A classification labeler returns :class:`~labelwise.labeling.Votes` (votes with ``ABSTAIN``
where it is not confident, a confidence per row and class probabilities), like every other
labeler in labelwise. A regression labeler returns a :class:`RegressionResult` (a value and
a confidence per row, ``NaN`` where it abstains): a regression value is not a vote.

``LabelerResult`` and ``stack_results`` are deprecated aliases kept for one release.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from labelwise._deprecation import deprecated_class, deprecated_function
from labelwise.errors import LabelwiseError
from labelwise.labeling.matrix import LabelMatrix
from labelwise.labeling.space import LabelSpace
from labelwise.labeling.votes import Votes

__all__ = ["LabelerResult", "RegressionResult", "stack_results"]


@dataclass
class RegressionResult:
    """Values of one regression labeler over ``n`` items.

    Attributes
    ----------
    values : ndarray of shape (n,)
        Predicted target; ``NaN`` where the labeler abstains.
    confidence : ndarray of shape (n,)
        In ``[0, 1]``; higher means the value is more trustworthy (0 where abstained).
    uncertainty : ndarray of shape (n,)
        The spread behind the confidence, in target units (e.g. ensemble standard
        deviation); ``NaN`` where unknown.
    name : str
    provenance : dict

    Examples
    --------
    >>> r = RegressionResult(np.array([1.5, np.nan]), np.array([0.8, 0.0]),
    ...                      np.array([0.2, np.nan]), "knn")
    >>> r.coverage
    0.5
    """

    values: np.ndarray
    confidence: np.ndarray
    uncertainty: np.ndarray
    name: str
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values, dtype=np.float64)
        self.confidence = np.asarray(self.confidence, dtype=np.float64)
        self.uncertainty = np.asarray(self.uncertainty, dtype=np.float64)
        if not (self.values.shape == self.confidence.shape == self.uncertainty.shape):
            raise LabelwiseError(
                f"values {self.values.shape}, confidence {self.confidence.shape} and "
                f"uncertainty {self.uncertainty.shape} must have the same shape"
            )

    def __len__(self) -> int:
        return len(self.values)

    @property
    def coverage(self) -> float:
        """Share of items with a value."""
        return float(np.mean(~np.isnan(self.values))) if len(self.values) else 0.0

    def with_min_confidence(self, min_confidence: float) -> RegressionResult:
        """A copy with ``NaN`` values where the confidence is below ``min_confidence``."""
        keep = self.confidence >= min_confidence
        prov = {**self.provenance, "min_confidence": float(min_confidence)}
        return RegressionResult(
            np.where(keep, self.values, np.nan),
            np.where(keep, self.confidence, 0.0),
            self.uncertainty,
            self.name,
            prov,
        )

    def to_frame(self, *, index: Sequence[Any] | None = None) -> pd.DataFrame:
        """``value``, ``confidence`` and ``uncertainty`` per item."""
        return pd.DataFrame(
            {
                "value": self.values,
                "confidence": self.confidence,
                "uncertainty": self.uncertainty,
            },
            index=None if index is None else list(index),
        )


def _labeler_result(
    votes: Any,
    confidence: Any,
    name: str,
    label_space: LabelSpace,
    proba: Any = None,
    provenance: dict[str, Any] | None = None,
    candidates: Any = None,
) -> Votes:
    """The old ``LabelerResult(votes, confidence, name, label_space, ...)`` order -> Votes."""
    return Votes(
        name,
        votes,
        label_space=label_space,
        confidence=confidence,
        proba=proba,
        provenance=provenance or {},
        candidates=candidates,
    )


#: Deprecated: learn labelers return :class:`~labelwise.labeling.Votes`. Calling
#: ``LabelerResult(votes, confidence, name, label_space, ...)`` still builds Votes (with a
#: DeprecationWarning) and ``isinstance(x, LabelerResult)`` tests for Votes.
LabelerResult = deprecated_class(
    "labelwise.learn.LabelerResult",
    Votes,
    new="labelwise.labeling.Votes",
    factory=_labeler_result,
    doc="""Deprecated: learn labelers return :class:`~labelwise.labeling.Votes`.

    ``LabelerResult(votes, confidence, name, label_space, proba, provenance, candidates)``
    still builds :class:`~labelwise.labeling.Votes` with a DeprecationWarning, and
    ``isinstance(x, LabelerResult)`` is ``isinstance(x, Votes)``; removed next release.

    Examples
    --------
    >>> Votes("knn", [0, -1], label_space=LabelSpace(["no", "yes"])).coverage
    0.5
    """,
)


def _stack_results(results: Sequence[Votes], *, index: Sequence[Any] | None = None) -> LabelMatrix:
    if not results:
        raise LabelwiseError("stack_results needs at least one Votes column")
    return LabelMatrix.from_votes(results, index=index)


#: Deprecated: use :meth:`LabelMatrix.from_votes <labelwise.labeling.LabelMatrix.from_votes>`
#: or :func:`labelwise.labeling.hstack`.
stack_results = deprecated_function(
    _stack_results,
    "labelwise.learn.stack_results",
    "labelwise.labeling.LabelMatrix.from_votes",
    doc="""Deprecated: use :meth:`LabelMatrix.from_votes <labelwise.labeling.LabelMatrix.from_votes>`.

    Examples
    --------
    >>> space = LabelSpace(["a", "b"])
    >>> LabelMatrix.from_votes([Votes("r1", [0, 1], label_space=space),
    ...                         Votes("r2", [-1, 1], label_space=space)]).values.tolist()
    [[0, -1], [1, 1]]
    """,
)
