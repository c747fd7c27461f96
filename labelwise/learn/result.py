"""What every labeler in :mod:`labelwise.learn` returns: one column of votes or values.

A classification labeler returns a :class:`LabelerResult` (votes with ``ABSTAIN`` where it
is not confident, a confidence per row and optionally class probabilities) that becomes a
column of a :class:`~labelwise.labeling.LabelMatrix` with provenance. A regression labeler
returns a :class:`RegressionResult` (a value and a confidence per row, ``NaN`` where it
abstains).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from labelwise.errors import LabelwiseError
from labelwise.labeling.matrix import LabelMatrix
from labelwise.labeling.space import ABSTAIN, LabelSpace

__all__ = ["LabelerResult", "RegressionResult", "stack_results"]


@dataclass
class LabelerResult:
    """Votes of one labeler over ``n`` items.

    Attributes
    ----------
    votes : ndarray of shape (n,)
        Classes ``0..k-1``; ``ABSTAIN = -1`` where the labeler has no confident opinion.
    confidence : ndarray of shape (n,)
        Confidence in the vote, in ``[0, 1]`` (also filled where the labeler abstained, so
        a lower threshold can be applied later with :meth:`with_min_confidence`).
    name : str
        Column name in the label matrix.
    label_space : LabelSpace
        Class names.
    proba : ndarray of shape (n, k), optional
        Class probabilities when the labeler has them.
    provenance : dict
        Kind, parameters and summary numbers of the labeler.
    candidates : ndarray of shape (n,), optional
        The vote each row would get with no confidence threshold (``ABSTAIN`` where the
        labeler has no opinion at all, e.g. a cluster without labeled rows); defaults to
        ``votes``. :meth:`with_min_confidence` lowers or raises the threshold over these.

    Examples
    --------
    >>> r = LabelerResult(np.array([0, -1, 1]), np.array([0.9, 0.4, 0.8]), "knn",
    ...                   LabelSpace(["no", "yes"]))
    >>> L = r.to_label_matrix()
    >>> L.names, L["knn"].tolist(), round(r.coverage, 2)
    (['knn'], [0, -1, 1], 0.67)
    """

    votes: np.ndarray
    confidence: np.ndarray
    name: str
    label_space: LabelSpace
    proba: np.ndarray | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    candidates: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.votes = np.asarray(self.votes, dtype=np.int64)
        if self.candidates is None:
            self.candidates = self.votes.copy()
        self.candidates = np.asarray(self.candidates, dtype=np.int64)
        if self.candidates.shape != self.votes.shape:
            raise LabelwiseError(
                f"candidates {self.candidates.shape} and votes {self.votes.shape} must match"
            )
        self.confidence = np.asarray(self.confidence, dtype=np.float64)
        if self.votes.ndim != 1 or self.confidence.shape != self.votes.shape:
            raise LabelwiseError(
                f"votes {self.votes.shape} and confidence {self.confidence.shape} must be "
                "1-D arrays of the same length"
            )
        if self.votes.size and (
            self.votes.min() < ABSTAIN or self.votes.max() >= self.label_space.k
        ):
            raise LabelwiseError(
                f"votes must lie in -1..{self.label_space.k - 1}, got "
                f"{self.votes.min()}..{self.votes.max()}"
            )
        if self.proba is not None:
            self.proba = np.asarray(self.proba, dtype=np.float64)
            if self.proba.shape != (len(self.votes), self.label_space.k):
                raise LabelwiseError(
                    f"proba has shape {self.proba.shape}; expected "
                    f"({len(self.votes)}, {self.label_space.k})"
                )

    def __len__(self) -> int:
        return len(self.votes)

    @property
    def coverage(self) -> float:
        """Share of items with a vote."""
        return float(np.mean(self.votes != ABSTAIN)) if len(self.votes) else 0.0

    def with_min_confidence(self, min_confidence: float) -> LabelerResult:
        """A copy that votes its candidate where the confidence reaches ``min_confidence``
        and abstains elsewhere (also where the labeler had no candidate at all).

        Examples
        --------
        >>> r = LabelerResult(np.array([0, -1]), np.array([0.9, 0.4]), "x",
        ...                   LabelSpace(["a", "b"]), candidates=np.array([0, 1]))
        >>> r.with_min_confidence(0.3).votes.tolist(), r.with_min_confidence(0.95).votes.tolist()
        ([0, 1], [-1, -1])
        """
        assert self.candidates is not None
        votes = np.where(self.confidence >= min_confidence, self.candidates, ABSTAIN)
        prov = {**self.provenance, "min_confidence": float(min_confidence)}
        return LabelerResult(
            votes, self.confidence, self.name, self.label_space, self.proba, prov, self.candidates
        )

    def to_label_matrix(
        self, *, name: str | None = None, index: Sequence[Any] | None = None
    ) -> LabelMatrix:
        """This column as a one-column :class:`LabelMatrix` (``hstack`` it onto others)."""
        col = name or self.name
        prov = {
            **self.provenance,
            "coverage": round(self.coverage, 6),
            "mean_confidence": float(np.mean(self.confidence[self.votes != ABSTAIN]))
            if (self.votes != ABSTAIN).any()
            else None,
        }
        return LabelMatrix(
            self.votes.reshape(-1, 1),
            names=[col],
            label_space=self.label_space,
            provenance={col: prov},
            index=index,
        )

    def to_frame(self, *, index: Sequence[Any] | None = None) -> pd.DataFrame:
        """``vote`` (int), ``label`` (class name or missing) and ``confidence`` per item."""
        names = self.label_space.decode(self.votes)
        return pd.DataFrame(
            {
                "vote": self.votes,
                "label": pd.array(names, dtype="object"),
                "confidence": self.confidence,
            },
            index=None if index is None else list(index),
        )


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


def stack_results(
    results: Sequence[LabelerResult], *, index: Sequence[Any] | None = None
) -> LabelMatrix:
    """Join several labelers' columns into one :class:`LabelMatrix`.

    Examples
    --------
    >>> space = LabelSpace(["a", "b"])
    >>> r1 = LabelerResult(np.array([0, 1]), np.ones(2), "r1", space)
    >>> r2 = LabelerResult(np.array([-1, 1]), np.ones(2), "r2", space)
    >>> stack_results([r1, r2]).values.tolist()
    [[0, -1], [1, 1]]
    """
    if not results:
        raise LabelwiseError("stack_results needs at least one LabelerResult")
    L = results[0].to_label_matrix(index=index)
    for r in results[1:]:
        if r.label_space != results[0].label_space:
            raise LabelwiseError(
                f"labeler {r.name!r} uses classes {r.label_space.names} but "
                f"{results[0].name!r} uses {results[0].label_space.names}; use one label space"
            )
        L = L.hstack(r.to_label_matrix(index=index))
    return L
