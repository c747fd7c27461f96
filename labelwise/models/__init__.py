"""Label models: turn the votes of many labelers into one probabilistic label per item.

Every model reads a label matrix ``L`` of shape ``(n, m)`` (votes in ``-1..k-1``,
``ABSTAIN = -1``), given as a numpy array or a
:class:`~labelwise.labeling.matrix.LabelMatrix`:

* :class:`MajorityVote` and :class:`WeightedVote` count votes;
* :class:`DawidSkene` fits a confusion matrix per labeler by EM;
* :class:`MetalModel` (registry name ``"snorkel"``) is a Snorkel/MeTaL-style model fitted
  by matrix completion on co-vote moments; it handles rules that only vote one class;
* :class:`TripletModel` (``"triplet"``) is a one-coin model fitted in closed form from
  agreements;
* :func:`select_label_model` picks one on a gold dev set, defaulting to majority vote.

Example
-------
>>> import numpy as np
>>> from labelwise.models import make_label_model
>>> L = np.array([[0, 0, -1], [1, 1, 0], [-1, 1, 1]])
>>> make_label_model("mv", cardinality=2).fit(L).predict(L).tolist()
[0, 1, 1]
"""

from __future__ import annotations

from typing import Any

from labelwise.models.base import (
    TIE_POLICIES,
    LabelModel,
    NotFittedError,
    break_ties,
    check_gold_labels,
    check_label_matrix,
)
from labelwise.models.calibration import expected_calibration_error, reliability_table
from labelwise.models.dawid_skene import DawidSkene, fit_dawid_skene
from labelwise.models.guards import GuardReport, LabelModelWarning, check_against_majority
from labelwise.models.hierarchy import ClassHierarchy, HierarchicalLabelModel
from labelwise.models.majority import (
    MajorityVote,
    WeightedVote,
    majority_vote,
    majority_vote_proba,
)
from labelwise.models.metal import (
    MetalFit,
    MetalModel,
    covote_moments,
    fit_metal,
    fit_metal_mu,
    metal_log_weights,
)
from labelwise.models.multilabel import (
    MultiLabelModel,
    check_multilabel_votes,
    multilabel_from_label_matrix,
    multilabel_votes,
)
from labelwise.models.patterns import VoteTable, onehot_votes, unique_vote_patterns
from labelwise.models.registry import MODELS, make_label_model
from labelwise.models.selection import DevSetError, select_label_model
from labelwise.models.triplet import TripletModel, agreement_stats, fit_triplet

__all__ = [
    "MODELS",
    "TIE_POLICIES",
    "ClassHierarchy",
    "DawidSkene",
    "DevSetError",
    "GuardReport",
    "HierarchicalLabelModel",
    "LabelModel",
    "LabelModelWarning",
    "MajorityVote",
    "MetalFit",
    "MetalModel",
    "MultiLabelModel",
    "NotFittedError",
    "TripletModel",
    "VoteTable",
    "WeightedVote",
    "agreement_stats",
    "break_ties",
    "check_against_majority",
    "check_gold_labels",
    "check_label_matrix",
    "check_multilabel_votes",
    "covote_moments",
    "expected_calibration_error",
    "fit_dawid_skene",
    "fit_metal",
    "fit_metal_mu",
    "fit_triplet",
    "majority_vote",
    "majority_vote_proba",
    "make_label_model",
    "metal_log_weights",
    "multilabel_from_label_matrix",
    "multilabel_votes",
    "onehot_votes",
    "reliability_table",
    "select_label_model",
    "unique_vote_patterns",
]


def __getattr__(name: str) -> Any:
    if name == "Taxonomy":  # deprecated alias of ClassHierarchy, kept for one release
        from labelwise.models import hierarchy

        return hierarchy.__getattr__(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
