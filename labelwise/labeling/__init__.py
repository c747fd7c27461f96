"""Labeling functions, appliers, the label matrix and its diagnostics."""

from __future__ import annotations

from labelwise.labeling.analysis import (
    lf_conflicts,
    lf_coverages,
    lf_empirical_accuracies,
    lf_overlaps,
    lf_polarities,
    lf_summary,
)
from labelwise.labeling.apply import DaskLFApplier, LFApplier, PandasLFApplier, RuleFaultWarning
from labelwise.labeling.lf import (
    LabelingFunction,
    Row,
    VectorizedLabelingFunction,
    as_labeling_function,
    as_labeling_functions,
    in_range,
    is_in,
    keyword,
    labeling_function,
    needs_full_row,
    regex,
    threshold,
    vectorized_labeling_function,
)
from labelwise.labeling.matrix import LabelMatrix, hstack
from labelwise.labeling.rules_file import load_rules
from labelwise.labeling.space import ABSTAIN, LabelSpace, check_votes
from labelwise.labeling.votes import (
    BaseLabeler,
    Labeler,
    Votes,
    register_labeler,
    registered_labelers,
)

__all__ = [
    "ABSTAIN",
    "BaseLabeler",
    "DaskLFApplier",
    "LFApplier",
    "LabelMatrix",
    "LabelSpace",
    "Labeler",
    "LabelingFunction",
    "PandasLFApplier",
    "Row",
    "RuleFaultWarning",
    "VectorizedLabelingFunction",
    "Votes",
    "as_labeling_function",
    "as_labeling_functions",
    "check_votes",
    "hstack",
    "in_range",
    "is_in",
    "keyword",
    "labeling_function",
    "lf_conflicts",
    "lf_coverages",
    "lf_empirical_accuracies",
    "lf_overlaps",
    "lf_polarities",
    "lf_summary",
    "load_rules",
    "needs_full_row",
    "regex",
    "register_labeler",
    "registered_labelers",
    "threshold",
    "vectorized_labeling_function",
]
