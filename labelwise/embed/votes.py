"""Deprecated home of the scoring helpers and of ``ScoredVotes``.

Scoring labelers return :class:`~labelwise.labeling.Votes` like every other labeler;
``ScoredVotes`` is a deprecated alias kept for one release. The helpers
(:func:`softmax`, :func:`votes_from_proba`, :func:`threshold_for_accuracy`, ...) live in
:mod:`labelwise.labeling.scoring` and are re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labelwise._deprecation import deprecated_class
from labelwise.labeling.scoring import (
    full_proba,
    label_names_to_ints,
    resolve_label_space,
    softmax,
    threshold_for_accuracy,
    votes_from_proba,
)
from labelwise.labeling.space import LabelSpace
from labelwise.labeling.votes import Votes

__all__ = [
    "ScoredVotes",
    "full_proba",
    "label_names_to_ints",
    "resolve_label_space",
    "softmax",
    "threshold_for_accuracy",
    "votes_from_proba",
]


def _scored_votes(
    name: str,
    votes: Any,
    confidence: Any,
    proba: Any,
    cardinality: int,
    label_space: LabelSpace | None = None,
    provenance: dict[str, Any] | None = None,
) -> Votes:
    """The old ``ScoredVotes(name, votes, confidence, proba, cardinality, ...)`` -> Votes."""
    return Votes(
        name,
        np.asarray(votes),
        label_space=label_space,
        cardinality=None if label_space is not None else cardinality,
        confidence=confidence,
        proba=proba,
        provenance=provenance or {},
    )


ScoredVotes = deprecated_class(
    "labelwise.embed.ScoredVotes",
    Votes,
    new="labelwise.labeling.Votes",
    factory=_scored_votes,
    doc="""Deprecated: scoring labelers return :class:`~labelwise.labeling.Votes`.

    ``ScoredVotes(name, votes, confidence, proba, cardinality, label_space, provenance)``
    still builds :class:`~labelwise.labeling.Votes` with a DeprecationWarning, and
    ``isinstance(x, ScoredVotes)`` is ``isinstance(x, Votes)``; removed next release.

    Examples
    --------
    >>> v = Votes("z", [1, -1], cardinality=2, confidence=[0.9, 0.4],
    ...           proba=[[0.1, 0.9], [0.6, 0.4]])
    >>> v.to_label_matrix().values.ravel().tolist()
    [1, -1]
    """,
)
