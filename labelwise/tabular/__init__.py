"""Tables: exact profiling, the exploration report, and (soon) augmentation.

Examples
--------
>>> import pandas as pd
>>> from labelwise.tabular import explore_table, profile_table
>>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "a"]})
>>> profile_table(df)["n_rows"]
3
"""

from __future__ import annotations

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

# Augmentation (labelwise/tabular/augment.py) is written separately. To re-export it,
# uncomment this import and add the same names to __all__ below:
# from labelwise.tabular.augment import (
#     AugmentationComparison,
#     compare_augmentation,
#     gaussian_noise,
#     interpolate_same_class,
#     jitter,
#     mixup,
#     random_scaling,
# )

__all__ = [
    "PLACEHOLDER_VALUES",
    "SECTION_TITLES",
    "Alert",
    "AlertThresholds",
    "alert_counts",
    "check_target",
    "cramers_v",
    "explore_file",
    "explore_table",
    "infer_column_kinds",
    "profile_table",
]
