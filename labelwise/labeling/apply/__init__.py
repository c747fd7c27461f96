"""Appliers: run labeling functions over data and return a label matrix.

``LFApplier`` (alias ``PandasLFApplier``) runs in this process; ``DaskLFApplier`` runs the
same engine per partition on a Dask cluster. For the same rules they return the same
matrix.
"""

from __future__ import annotations

from labelwise.labeling.apply.core import ApplyResult, RuleFaultWarning, apply_to_frame
from labelwise.labeling.apply.dask import DaskLFApplier
from labelwise.labeling.apply.pandas import LFApplier, PandasLFApplier

__all__ = [
    "ApplyResult",
    "DaskLFApplier",
    "LFApplier",
    "PandasLFApplier",
    "RuleFaultWarning",
    "apply_to_frame",
]
