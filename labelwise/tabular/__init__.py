"""Tables: exact profiling, the exploration report, and label-preserving augmentation.

Examples
--------
>>> import pandas as pd
>>> from labelwise.tabular import explore_table, profile_table
>>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "a"]})
>>> profile_table(df)["n_rows"]
3
"""

from __future__ import annotations

from labelwise.tabular.augment import (
    AugmentationComparison,
    compare_augmentation,
    gaussian_noise,
    interpolate_same_class,
    jitter,
    mixup,
    random_scaling,
)
from labelwise.tabular.explore import SECTION_TITLES, explore_file, explore_table
from labelwise.tabular.profile import (
    PLACEHOLDER_VALUES,
    Alert,
    AlertThresholds,
    alert_counts,
    check_target,
    cramers_v,
    infer_column_kinds,
    profile_table,
)

__all__ = [
    "PLACEHOLDER_VALUES",
    "SECTION_TITLES",
    "Alert",
    "AlertThresholds",
    "AugmentationComparison",
    "alert_counts",
    "check_target",
    "compare_augmentation",
    "cramers_v",
    "explore_file",
    "explore_table",
    "gaussian_noise",
    "infer_column_kinds",
    "interpolate_same_class",
    "jitter",
    "mixup",
    "profile_table",
    "random_scaling",
]
