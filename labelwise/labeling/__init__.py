"""Labeling functions, appliers, the label matrix and its diagnostics."""

from __future__ import annotations

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
    regex,
    threshold,
    vectorized_labeling_function,
)
from labelwise.labeling.matrix import LabelMatrix
from labelwise.labeling.space import ABSTAIN, LabelSpace, check_votes

__all__ = [
    "ABSTAIN",
    "LabelMatrix",
    "LabelSpace",
    "LabelingFunction",
    "Row",
    "VectorizedLabelingFunction",
    "as_labeling_function",
    "as_labeling_functions",
    "check_votes",
    "in_range",
    "is_in",
    "keyword",
    "labeling_function",
    "regex",
    "threshold",
    "vectorized_labeling_function",
]
