"""Image rules: labeling functions over the features table, with user-set thresholds.

Each helper returns a :class:`~labelwise.labeling.VectorizedLabelingFunction` (with a row
form), so image rules run in the same appliers and label models as tabular rules::

    feats = extract_features("photos/")
    lfs = [dark_share_above(0.35, DISEASED), tallest_contour_above(0.6, PERSON_ON_BIKE)]
    L = LFApplier(lfs).apply(feats)

Missing feature values (an image that failed) abstain. For rules that need the pixels
themselves, :func:`image_labeling_function` hands ``x.image`` to a row-wise function.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from labelwise.errors import RuleError
from labelwise.labeling.lf import (
    LabelingFunction,
    Row,
    VectorizedLabelingFunction,
    in_range,
    threshold,
)
from labelwise.labeling.space import ABSTAIN

__all__ = [
    "aspect_ratio_between",
    "bright_share_above",
    "dark_share_above",
    "dominant_channel",
    "edge_density_above",
    "feature_rule",
    "image_labeling_function",
    "largest_contour_area_above",
    "symmetry_above",
    "tallest_contour_above",
]


def feature_rule(
    feature: str, op: str, value: float, label: int, *, name: str | None = None
) -> VectorizedLabelingFunction:
    """Vote ``label`` where ``feature <op> value`` (op one of > >= < <= == !=).

    Examples
    --------
    >>> import pandas as pd
    >>> lf = feature_rule("dark_share", ">", 0.3, 1)
    >>> lf.apply_frame(pd.DataFrame({"dark_share": [0.5, 0.1, float("nan")]})).tolist()
    [1, -1, -1]
    """
    if not isinstance(feature, str) or not feature:
        raise RuleError(f"feature must be a column name, got {feature!r}")
    return threshold(feature, op, value, label, name=name or f"{feature}{op}{value:g}")


def dark_share_above(
    t: float, label: int, *, name: str | None = None
) -> VectorizedLabelingFunction:
    """``label`` where the share of dark pixels (at or below the threshold) exceeds ``t``,
    e.g. a diseased leaf with dark spots."""
    _share(t, "t")
    return feature_rule("dark_share", ">", t, label, name=name or f"dark_share>{t:g}")


def bright_share_above(
    t: float, label: int, *, name: str | None = None
) -> VectorizedLabelingFunction:
    """``label`` where the share of bright pixels exceeds ``t``."""
    _share(t, "t")
    return feature_rule("bright_share", ">", t, label, name=name or f"bright_share>{t:g}")


def edge_density_above(
    t: float, label: int, *, name: str | None = None
) -> VectorizedLabelingFunction:
    """``label`` where the share of edge pixels exceeds ``t`` (busy, textured images)."""
    _share(t, "t")
    return feature_rule("edge_density", ">", t, label, name=name or f"edge_density>{t:g}")


def tallest_contour_above(
    t: float, label: int, *, name: str | None = None
) -> VectorizedLabelingFunction:
    """``label`` where the tallest foreground region spans more than ``t`` of the image
    height, e.g. a rider sitting on a bicycle makes the silhouette taller."""
    _share(t, "t")
    return feature_rule(
        "tallest_contour_height", ">", t, label, name=name or f"tallest_contour>{t:g}"
    )


def largest_contour_area_above(
    t: float, label: int, *, name: str | None = None
) -> VectorizedLabelingFunction:
    """``label`` where the largest foreground region covers more than ``t`` of the image."""
    _share(t, "t")
    return feature_rule(
        "largest_contour_area", ">", t, label, name=name or f"largest_contour_area>{t:g}"
    )


def symmetry_above(
    t: float, label: int, *, axis: str = "lr", name: str | None = None
) -> VectorizedLabelingFunction:
    """``label`` where left-right (``axis="lr"``) or top-bottom (``"tb"``) symmetry exceeds ``t``."""
    if axis not in ("lr", "tb"):
        raise RuleError(f"axis must be 'lr' or 'tb', got {axis!r}")
    _share(t, "t")
    return feature_rule(f"symmetry_{axis}", ">", t, label, name=name or f"symmetry_{axis}>{t:g}")


def aspect_ratio_between(
    low: float, high: float, label: int, *, name: str | None = None
) -> VectorizedLabelingFunction:
    """``label`` where ``low <= width / height <= high`` (portrait, square, panorama)."""
    if low > high:
        raise RuleError(f"aspect_ratio_between needs low <= high, got {low} > {high}")
    return in_range("aspect_ratio", low, high, label, name=name or f"aspect_{low:g}_{high:g}")


def dominant_channel(
    channel: str, label: int, *, margin: float = 10.0, name: str | None = None
) -> VectorizedLabelingFunction:
    """``label`` where the mean of ``channel`` ("r", "g" or "b") exceeds both other channel
    means by more than ``margin`` (0-255), e.g. a green leaf or a red flower."""
    if channel not in ("r", "g", "b"):
        raise RuleError(f"channel must be 'r', 'g' or 'b', got {channel!r}")
    others = [c for c in "rgb" if c != channel]
    cols = [f"{c}_mean" for c in "rgb"]

    def vec(df: Any) -> np.ndarray:
        me = df[f"{channel}_mean"].to_numpy(dtype=float)
        o1 = df[f"{others[0]}_mean"].to_numpy(dtype=float)
        o2 = df[f"{others[1]}_mean"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            hit = (me > o1 + margin) & (me > o2 + margin)
        return np.where(hit, label, ABSTAIN).astype(np.int32)

    def row(x: Any) -> int:
        try:
            me = float(x[f"{channel}_mean"])
            return (
                label
                if me > float(x[f"{others[0]}_mean"]) + margin
                and me > float(x[f"{others[1]}_mean"]) + margin
                else ABSTAIN
            )
        except (TypeError, ValueError):
            return ABSTAIN

    return VectorizedLabelingFunction(name or f"dominant_{channel}", vec, columns=cols, row_f=row)


def _share(t: float, what: str) -> None:
    if not 0.0 <= float(t) <= 1.0:
        raise RuleError(f"{what}={t} is a share and must be within [0, 1]")


@lru_cache(maxsize=32)
def _cached_read(path: str, mode: str) -> np.ndarray:
    from labelwise.image.io import read_image

    arr = read_image(path, mode=mode)
    arr.setflags(write=False)  # shared between rules: nobody may modify it
    return arr


def image_labeling_function(
    name: str | None = None,
    *,
    mode: str = "rgb",
    path_column: str = "path",
) -> Callable[[Callable[..., Any]], LabelingFunction]:
    """Decorator for a row-wise rule that looks at the pixels: ``f(x)`` reads ``x.image``.

    The image is read from ``x[path_column]`` (recently read images are cached, so several
    rules share one decode). A missing or unreadable file raises, so the applier counts a
    fault and the rule abstains on that item.

    Examples
    --------
    >>> @image_labeling_function()
    ... def mostly_red(x):
    ...     r, g, b = x.image.reshape(-1, 3).mean(axis=0)
    ...     return 1 if r > g + 40 and r > b + 40 else ABSTAIN
    >>> mostly_red.name
    'mostly_red'
    """

    def load(x: Any) -> Any:
        row = x if isinstance(x, Row) else Row(x)
        row["image"] = _cached_read(str(row[path_column]), mode)
        return row

    def decorator(f: Callable[..., Any]) -> LabelingFunction:
        return LabelingFunction(name or f.__name__, f, pre=[load])

    return decorator
