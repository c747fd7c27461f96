"""Deprecated: the box helpers moved to :mod:`labelwise.geometry` (one geometry module).

Kept for one release. These helpers take the app's ``xywh`` pixel boxes; the one geometry
module works in corner ``xyxy`` pixels and converts with
:func:`labelwise.geometry.convert_boxes` (``"xywh"``, ``"cxcywh_norm"``, ``"xywh_percent"``).
Importing this module warns; ``labelwise.formats.<old name>`` warns too.

Examples
--------
>>> import warnings
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     iou_matrix([[0, 0, 2, 2]], [[1, 0, 2, 2]]).round(3).tolist()
[[0.333]]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from labelwise import geometry as _g
from labelwise.errors import GeometryError
from labelwise.geometry import interpolate_track

__all__ = [
    "box_area",
    "box_iou",
    "clip_xywh",
    "cxcywh_norm_to_xywh",
    "interpolate_track",
    "iou_matrix",
    "match_boxes",
    "percent_to_xywh",
    "polygon_area",
    "polygon_bbox",
    "xywh_to_cxcywh_norm",
    "xywh_to_percent",
    "xywh_to_xyxy",
    "xyxy_to_xywh",
]

warnings.warn(
    "labelwise.formats.geometry is deprecated; use labelwise.geometry (corner xyxy boxes, "
    "convert_boxes for xywh/cxcywh_norm/percent)",
    DeprecationWarning,
    stacklevel=2,
)


def _conv(boxes: Any, src: str, dst: str, width: Any = None, height: Any = None) -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64)
    if b.shape[-1:] != (4,):
        raise GeometryError(f"boxes must have shape (..., 4), got {b.shape}")
    size = None
    if width is not None:
        w = np.broadcast_to(np.asarray(width, dtype=np.float64), b.shape[:-1]).reshape(-1)
        h = np.broadcast_to(np.asarray(height, dtype=np.float64), b.shape[:-1]).reshape(-1)
        size = (w, h)
    return _g.convert_boxes(b.reshape(-1, 4), src, dst, size).reshape(b.shape)


def xywh_to_xyxy(boxes: Any) -> np.ndarray:
    return _conv(boxes, "xywh", "xyxy")


def xyxy_to_xywh(boxes: Any) -> np.ndarray:
    return _conv(boxes, "xyxy", "xywh")


def xywh_to_cxcywh_norm(boxes: Any, width: Any, height: Any) -> np.ndarray:
    return _conv(boxes, "xywh", "cxcywh_norm", width, height)


def cxcywh_norm_to_xywh(boxes: Any, width: Any, height: Any) -> np.ndarray:
    return _conv(boxes, "cxcywh_norm", "xywh", width, height)


def xywh_to_percent(boxes: Any, width: Any, height: Any) -> np.ndarray:
    return _conv(boxes, "xywh", "xywh_percent", width, height)


def percent_to_xywh(boxes: Any, width: Any, height: Any) -> np.ndarray:
    return _conv(boxes, "xywh_percent", "xywh", width, height)


def clip_xywh(boxes: Any, width: Any, height: Any) -> np.ndarray:
    xyxy = xywh_to_xyxy(boxes).reshape(-1, 4)
    return xyxy_to_xywh(_g.clip_boxes(xyxy, (width, height))).reshape(np.shape(boxes))


def box_area(boxes: Any) -> np.ndarray:
    b = np.asarray(boxes, dtype=np.float64)
    return np.clip(b[..., 2], 0, None) * np.clip(b[..., 3], 0, None)


def iou_matrix(a: Any, b: Any) -> np.ndarray:
    A = xywh_to_xyxy(np.asarray(a, dtype=np.float64).reshape(-1, 4))
    B = xywh_to_xyxy(np.asarray(b, dtype=np.float64).reshape(-1, 4))
    return _g.box_iou_matrix(A, B)


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    return float(iou_matrix([a], [b])[0, 0])


def match_boxes(a: Any, b: Any, **kwargs: Any) -> list[tuple[int, int, float]]:
    A = xywh_to_xyxy(np.asarray(a, dtype=np.float64).reshape(-1, 4))
    B = xywh_to_xyxy(np.asarray(b, dtype=np.float64).reshape(-1, 4))
    return _g.match_boxes(A, B, **kwargs)


def polygon_area(points: Any) -> float:
    return _g.polygon_area(points)


def polygon_bbox(points: Any) -> np.ndarray:
    return xyxy_to_xywh(_g.polygon_to_box(points))
