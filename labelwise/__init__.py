"""labelwise: turn unlabeled data into training labels a team can trust."""

from __future__ import annotations

from labelwise.labeling import (
    ABSTAIN,
    LabelingFunction,
    LabelMatrix,
    LabelSpace,
    labeling_function,
)

__version__ = "0.1.0"

__all__ = [
    "ABSTAIN",
    "LabelMatrix",
    "LabelSpace",
    "LabelingFunction",
    "__version__",
    "labeling_function",
]
