"""Box, polygon and keyframe geometry shared by every box format (COCO, YOLO, VOC, Label Studio).

Plain functions over numpy arrays of shape ``(..., 4)`` (or single 4-sequences) in the app's
box conventions; the box math itself (form conversions, IoU, clipping, polygon area) is
:mod:`labelwise.image.geometry`, which works in corner form. Conventions:

* ``xywh``: top-left corner, width, height, in pixels (COCO, and the app's ``boxes``).
* ``xyxy``: top-left and bottom-right corners, in pixels (Pascal VOC).
* ``cxcywh_norm``: centre and size divided by the image size, in ``[0, 1]`` (YOLO).
* ``percent``: ``xywh`` as percentages of the image size (Label Studio).

Malformed input raises :class:`~labelwise.errors.DataError` (a wrong shape, a non-positive
image size, and, in the conversions, IoU and clipping, NaN or infinite coordinates).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labelwise.errors import DataError
from labelwise.geometry import box_iou as _xyxy_iou
from labelwise.geometry import clip_boxes, convert_boxes, polygon_to_box
from labelwise.geometry import polygon_area as _polygon_area

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


def _boxes(b: Any, name: str = "boxes") -> np.ndarray:
    arr = np.asarray(b, dtype=np.float64)
    if arr.shape[-1:] != (4,):
        raise DataError(f"{name} must have shape (..., 4), got {arr.shape}")
    return arr


def _size(width: Any, height: Any) -> tuple[np.ndarray, np.ndarray]:
    w = np.asarray(width, dtype=np.float64)
    h = np.asarray(height, dtype=np.float64)
    if np.any(w <= 0) or np.any(h <= 0):
        raise DataError(f"image size must be positive, got width={width}, height={height}")
    return w, h


def _per_box(w: np.ndarray, h: np.ndarray, shape: tuple[int, ...]) -> tuple[Any, Any]:
    """Image sizes broadcast to one per box of ``boxes`` (shape ``(..., 4)``), flattened."""
    try:
        return (
            np.broadcast_to(w, shape[:-1]).reshape(-1),
            np.broadcast_to(h, shape[:-1]).reshape(-1),
        )
    except ValueError:
        raise DataError(
            f"image size of shape {w.shape} does not fit boxes of shape {shape}; "
            "give one size, or one per box"
        ) from None


def _convert(
    boxes: Any,
    src: str,
    dst: str,
    size: tuple[Any, Any] | None = None,
    *,
    normalized: str | None = None,
) -> np.ndarray:
    """:func:`labelwise.image.geometry.convert_boxes` over ``(..., 4)`` boxes.

    ``size`` is ``(width, height)``, each broadcastable to ``boxes[..., 0]``;
    ``normalized`` is ``"src"`` or ``"dst"``, the side divided by that size.
    """
    b = _boxes(boxes)
    image_size: tuple[Any, Any] | None = None
    if size is not None:
        w, h = _size(*size)
        image_size = (w, h) if w.ndim == 0 and h.ndim == 0 else _per_box(w, h, b.shape)
    out = convert_boxes(
        b.reshape(-1, 4),
        src,
        dst,
        image_size=image_size,
        src_normalized=normalized == "src",
        dst_normalized=normalized == "dst",
    )
    return out.reshape(b.shape)


def xywh_to_xyxy(boxes: Any) -> np.ndarray:
    """``(x, y, w, h)`` -> ``(x1, y1, x2, y2)``.

    Examples
    --------
    >>> xywh_to_xyxy([10, 20, 30, 40]).tolist()
    [10.0, 20.0, 40.0, 60.0]
    """
    return _convert(boxes, "xywh", "xyxy")


def xyxy_to_xywh(boxes: Any) -> np.ndarray:
    """``(x1, y1, x2, y2)`` -> ``(x, y, w, h)``.

    Examples
    --------
    >>> xyxy_to_xywh([10, 20, 40, 60]).tolist()
    [10.0, 20.0, 30.0, 40.0]
    """
    return _convert(boxes, "xyxy", "xywh")


def xywh_to_cxcywh_norm(boxes: Any, width: Any, height: Any) -> np.ndarray:
    """Pixel ``xywh`` -> YOLO's normalized centre/size.

    Parameters
    ----------
    boxes : array-like of shape (..., 4)
    width, height : float or array broadcastable to ``boxes[..., 0]``
        Image size in pixels.

    Examples
    --------
    >>> xywh_to_cxcywh_norm([0, 0, 50, 20], 100, 40).tolist()
    [0.25, 0.25, 0.5, 0.5]
    """
    return _convert(boxes, "xywh", "cxcywh", (width, height), normalized="dst")


def cxcywh_norm_to_xywh(boxes: Any, width: Any, height: Any) -> np.ndarray:
    """YOLO's normalized centre/size -> pixel ``xywh``.

    Examples
    --------
    >>> cxcywh_norm_to_xywh([0.25, 0.25, 0.5, 0.5], 100, 40).tolist()
    [0.0, 0.0, 50.0, 20.0]
    """
    return _convert(boxes, "cxcywh", "xywh", (width, height), normalized="src")


def xywh_to_percent(boxes: Any, width: Any, height: Any) -> np.ndarray:
    """Pixel ``xywh`` -> percent of the image size (Label Studio)."""
    b = _boxes(boxes)
    w, h = _size(width, height)
    return b * 100.0 / np.stack([w, h, w, h], axis=-1)


def percent_to_xywh(boxes: Any, width: Any, height: Any) -> np.ndarray:
    """Percent of the image size -> pixel ``xywh``."""
    b = _boxes(boxes)
    w, h = _size(width, height)
    return b * np.stack([w, h, w, h], axis=-1) / 100.0


def clip_xywh(boxes: Any, width: Any, height: Any) -> np.ndarray:
    """Clip ``xywh`` boxes to the image; boxes may become empty (w or h = 0).

    Examples
    --------
    >>> clip_xywh([-5, 10, 20, 50], 100, 40).tolist()
    [0.0, 10.0, 15.0, 30.0]
    """
    xyxy = xywh_to_xyxy(boxes)
    w, h = _size(width, height)
    return xyxy_to_xywh(clip_boxes(xyxy.reshape(-1, 4), (w, h)).reshape(xyxy.shape))


def box_area(boxes: Any) -> np.ndarray:
    """Areas of ``xywh`` boxes (negative sizes count as 0)."""
    b = _boxes(boxes)
    return np.clip(b[..., 2], 0, None) * np.clip(b[..., 3], 0, None)


def iou_matrix(a: Any, b: Any) -> np.ndarray:
    """Pairwise IoU of ``xywh`` boxes: ``(n, 4)`` x ``(m, 4)`` -> ``(n, m)``.

    Examples
    --------
    >>> iou_matrix([[0, 0, 2, 2]], [[1, 0, 2, 2], [5, 5, 1, 1]]).round(3).tolist()
    [[0.333, 0.0]]
    """
    A = xywh_to_xyxy(_boxes(a, "a").reshape(-1, 4))
    B = xywh_to_xyxy(_boxes(b, "b").reshape(-1, 4))
    return _xyxy_iou(A, B)


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two ``xywh`` boxes."""
    return float(iou_matrix([a], [b])[0, 0])


def match_boxes(
    a: Any,
    b: Any,
    *,
    labels_a: Sequence[str] | None = None,
    labels_b: Sequence[str] | None = None,
    iou_threshold: float = 0.5,
) -> list[tuple[int, int, float]]:
    """One-to-one matching of two box sets maximizing total IoU (Hungarian algorithm).

    Boxes with different labels (when labels are given) never match; pairs below
    ``iou_threshold`` are dropped.

    Returns
    -------
    list of (i, j, iou)
        Index into ``a``, index into ``b`` and their IoU.

    Examples
    --------
    >>> match_boxes([[0, 0, 2, 2]], [[5, 5, 1, 1], [0, 0, 2, 2]])
    [(0, 1, 1.0)]
    """
    from scipy.optimize import linear_sum_assignment

    A = _boxes(a, "a").reshape(-1, 4)
    B = _boxes(b, "b").reshape(-1, 4)
    if len(A) == 0 or len(B) == 0:
        return []
    iou = iou_matrix(A, B)
    if labels_a is not None and labels_b is not None:
        same = (
            np.asarray(labels_a, dtype=object)[:, None]
            == np.asarray(labels_b, dtype=object)[None, :]
        )
        iou = np.where(same, iou, 0.0)
    rows, cols = linear_sum_assignment(-iou)
    return [
        (int(i), int(j), float(iou[i, j]))
        for i, j in zip(rows, cols, strict=True)
        if iou[i, j] >= iou_threshold and iou[i, j] > 0
    ]


def _polygon(points: Any, min_points: int, need: str) -> np.ndarray:
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2 or len(p) < min_points:
        raise DataError(f"{need}, got shape {p.shape}")
    return p


def polygon_area(points: Any) -> float:
    """Area of a simple polygon ``[[x, y], ...]`` (shoelace formula).

    Examples
    --------
    >>> polygon_area([[0, 0], [4, 0], [4, 3]])
    6.0
    """
    return _polygon_area(_polygon(points, 3, "a polygon needs at least 3 [x, y] points"))


def polygon_bbox(points: Any) -> np.ndarray:
    """The ``xywh`` box around a polygon.

    Examples
    --------
    >>> polygon_bbox([[1, 2], [4, 2], [3, 8]]).tolist()
    [1.0, 2.0, 3.0, 6.0]
    """
    p = _polygon(points, 1, "polygon points must have shape (n, 2)")
    return xyxy_to_xywh(polygon_to_box(p))


def interpolate_track(
    keyframes: Sequence[Mapping[str, Any]], frame: int
) -> dict[str, float] | None:
    """The box of a video track at ``frame``, linear between the surrounding keyframes.

    Before the first keyframe, and from a keyframe marked ``outside`` up to the next
    keyframe, the object is not shown (``None``); after the last keyframe it stays where
    that keyframe put it (mark it ``outside`` to end the track), as in common video tools.

    Examples
    --------
    >>> kfs = [{"frame": 0, "x": 0, "y": 0, "w": 10, "h": 10},
    ...        {"frame": 10, "x": 100, "y": 0, "w": 20, "h": 10}]
    >>> interpolate_track(kfs, 5)
    {'x': 50.0, 'y': 0.0, 'w': 15.0, 'h': 10.0}
    """
    if not keyframes:
        return None
    kfs = sorted(keyframes, key=lambda k: int(k["frame"]))
    if frame < int(kfs[0]["frame"]):
        return None
    for left, right in zip(kfs, [*kfs[1:], None], strict=True):
        f0 = int(left["frame"])
        if right is None or frame < int(right["frame"]):
            if left.get("outside"):
                return None
            if frame == f0 or right is None:
                return {k: float(left[k]) for k in ("x", "y", "w", "h")}
            t = (frame - f0) / (int(right["frame"]) - f0)
            return {
                k: float(left[k]) + t * (float(right[k]) - float(left[k]))
                for k in ("x", "y", "w", "h")
            }
    return None  # pragma: no cover
