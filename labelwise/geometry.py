"""Boxes, polygons and polylines: areas, lengths, containment, IoU and box-form conversions.

The one geometry module of labelwise, at the bottom of the stack (numpy only): formats,
the annotation app and every modality (image, video) use it. Plain functions over numpy
arrays plus two small frozen dataclasses.

**One internal box format: corner ``xyxy`` in pixels.** Every function here that takes
boxes (``box_area``, ``box_iou``, ``box_iou_matrix``, ``match_boxes``, ``clip_boxes``,
``non_max_suppression``, :class:`Box`) works in that form; files and the annotation app's
stored answers use other forms and convert at their edges with :func:`convert_boxes`.

Box forms (``src``/``dst`` of :func:`convert_boxes`):

* ``"xyxy"``   corners ``(x1, y1, x2, y2)``: Pascal VOC, detector outputs;
* ``"xywh"``   top-left corner plus size ``(x, y, w, h)``: COCO, the app's stored boxes;
* ``"cxcywh"`` centre plus size ``(cx, cy, w, h)``: YOLO.

Each form may be in pixels, *normalized* (divided by the image width/height, so in
``[0, 1]`` for boxes inside the image; suffix ``_norm``: ``"cxcywh_norm"`` is YOLO) or in
*percent* of the image size (suffix ``_percent``: ``"xywh_percent"`` is Label Studio).
Coordinates are continuous: a box covering pixel columns 0..9 is ``x1=0, x2=10`` and has
width 10.

IoU has two names for its two shapes: :func:`box_iou` of two boxes is a float,
:func:`box_iou_matrix` of two box arrays is an ``(n, m)`` matrix.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelwise.errors import GeometryError

__all__ = [
    "BOX_FORMATS",
    "Box",
    "Polygon",
    "box_area",
    "box_contains",
    "box_iou",
    "box_iou_matrix",
    "box_to_polygon",
    "clip_boxes",
    "convert_boxes",
    "find_degenerate_boxes",
    "find_out_of_range_boxes",
    "interpolate_track",
    "match_boxes",
    "non_max_suppression",
    "point_in_polygon",
    "polygon_area",
    "polygon_contains",
    "polygon_iou",
    "polygon_perimeter",
    "polygon_to_box",
    "polyline_length",
]

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")

#: Unit suffixes of a box form and what they divide pixel coordinates by (times the size).
_UNITS = {"": None, "_px": None, "_norm": 1.0, "_normalized": 1.0, "_percent": 100.0}


# ----------------------------------------------------------------------------- arrays


def _as_boxes(boxes: Any, what: str = "boxes") -> np.ndarray:
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.ndim == 1 and arr.shape[0] == 4:
        arr = arr[None, :]
    if arr.size == 0:
        return np.zeros((0, 4), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise GeometryError(
            f"{what} must have shape (n, 4), got {arr.shape}; pass one row of 4 numbers per box"
        )
    if not np.all(np.isfinite(arr)):
        raise GeometryError(f"{what} contain NaN or infinite coordinates; drop or fix those rows")
    return arr


def _as_points(points: Any, what: str = "points", *, min_points: int = 1) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim == 1 and arr.size % 2 == 0 and arr.size > 0:
        arr = arr.reshape(-1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise GeometryError(
            f"{what} must have shape (n, 2) (x, y pairs), got {arr.shape}; "
            "pass [[x0, y0], [x1, y1], ...] or a flat [x0, y0, x1, y1, ...]"
        )
    if arr.shape[0] < min_points:
        raise GeometryError(f"{what} need at least {min_points} points, got {arr.shape[0]}")
    if not np.all(np.isfinite(arr)):
        raise GeometryError(f"{what} contain NaN or infinite coordinates")
    return arr


def _image_scale(image_size: Any) -> np.ndarray:
    """``(width, height)`` -> multipliers of shape (4,), or (n, 4) for per-box sizes."""
    w = np.asarray(image_size[0], dtype=np.float64)
    h = np.asarray(image_size[1], dtype=np.float64)
    if w.ndim == 0 and h.ndim == 0:
        return np.array([w, h, w, h])
    return np.stack(np.broadcast_arrays(w, h, w, h), axis=-1)


def _xywh_to_xyxy(x: Any, y: Any, w: Any, h: Any) -> tuple[Any, ...]:
    return x, y, x + w, y + h


def _xyxy_to_xywh(x1: Any, y1: Any, x2: Any, y2: Any) -> tuple[Any, ...]:
    return x1, y1, x2 - x1, y2 - y1


def _cxcywh_to_xyxy(cx: Any, cy: Any, w: Any, h: Any) -> tuple[Any, ...]:
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _xyxy_to_cxcywh(x1: Any, y1: Any, x2: Any, y2: Any) -> tuple[Any, ...]:
    return (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1


def _xywh_to_cxcywh(x: Any, y: Any, w: Any, h: Any) -> tuple[Any, ...]:
    return x + w / 2, y + h / 2, w, h


def _cxcywh_to_xywh(cx: Any, cy: Any, w: Any, h: Any) -> tuple[Any, ...]:
    return cx - w / 2, cy - h / 2, w, h


# Direct formulas for every pair of forms: no detour through corners, so sizes survive exactly.
_REFORM = {
    ("xywh", "xyxy"): _xywh_to_xyxy,
    ("xyxy", "xywh"): _xyxy_to_xywh,
    ("cxcywh", "xyxy"): _cxcywh_to_xyxy,
    ("xyxy", "cxcywh"): _xyxy_to_cxcywh,
    ("xywh", "cxcywh"): _xywh_to_cxcywh,
    ("cxcywh", "xywh"): _cxcywh_to_xywh,
}


def _parse_form(form: str, name: str, normalized: bool) -> tuple[str, float | None]:
    """``"cxcywh_norm"`` -> ``("cxcywh", 1.0)``; ``"xywh_percent"`` -> ``("xywh", 100.0)``."""
    for base in BOX_FORMATS:
        if form.startswith(base) and form[len(base) :] in _UNITS:
            unit = _UNITS[form[len(base) :]]
            if normalized:
                if unit is not None and unit != 1.0:
                    raise GeometryError(f"{name}={form!r} is in percent, not normalized")
                unit = 1.0
            return base, unit
    raise GeometryError(
        f"{name} box form {form!r} is not one of {BOX_FORMATS} (optionally with a "
        "'_norm' or '_percent' suffix, e.g. 'cxcywh_norm')"
    )


def convert_boxes(
    boxes: Any,
    src: str,
    dst: str,
    image_size: tuple[Any, Any] | None = None,
    *,
    src_normalized: bool = False,
    dst_normalized: bool = False,
) -> np.ndarray:
    """Convert boxes between corner, top-left and centre forms in pixels, normalized or percent.

    Parameters
    ----------
    boxes : array-like of shape (n, 4) or (4,)
        Boxes in form ``src``.
    src, dst : str
        ``"xyxy"``, ``"xywh"`` or ``"cxcywh"``, in pixels, or with the suffix ``"_norm"``
        (divided by the image width/height) or ``"_percent"`` (percent of it).
    image_size : (width, height), optional
        Needed when the two sides have different units. Each may be a number, or an array
        of shape (n,) giving every box its own image size.
    src_normalized, dst_normalized : bool
        Same as a ``"_norm"`` suffix on ``src`` / ``dst``.

    Returns
    -------
    ndarray of shape (n, 4), float64

    Examples
    --------
    >>> convert_boxes([[10, 20, 30, 60]], "xyxy", "cxcywh_norm", (100, 100)).round(2).tolist()
    [[0.2, 0.4, 0.2, 0.4]]
    >>> convert_boxes([[10, 20, 20, 40]], "xywh", "xywh_percent", (200, 100)).tolist()
    [[5.0, 20.0, 10.0, 40.0]]
    """
    src_form, src_unit = _parse_form(src, "src", src_normalized)
    dst_form, dst_unit = _parse_form(dst, "dst", dst_normalized)
    arr = _as_boxes(boxes).copy()
    if src_unit == dst_unit:
        scale = None
    elif image_size is None:
        raise GeometryError(f"converting {src!r} to {dst!r} boxes needs image_size=(width, height)")
    else:
        scale = _image_scale(image_size)
        if np.any(scale <= 0):
            raise GeometryError(f"image_size must be positive, got {image_size}")
    # The form change happens in pixels: scale first when reading normalized boxes, last
    # when writing them (YOLO's ``(x + w / 2) / width``).
    if scale is not None and src_unit is not None:
        arr = arr * (scale / src_unit)
    if src_form != dst_form:
        out = np.empty_like(arr)
        for j, column in enumerate(_REFORM[src_form, dst_form](*arr.T)):
            out[:, j] = column
        arr = out
    if scale is not None and dst_unit is not None:
        arr = arr / (scale / dst_unit)
    return arr


def box_area(boxes: Any) -> np.ndarray:
    """Areas of ``(n, 4)`` xyxy boxes; inverted boxes have area 0.

    Examples
    --------
    >>> box_area([[0, 0, 2, 3]]).tolist()
    [6.0]
    """
    b = _as_boxes(boxes)
    return np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)


def box_iou_matrix(a: Any, b: Any) -> np.ndarray:
    """Pairwise intersection over union of xyxy boxes.

    Parameters
    ----------
    a : array-like of shape (n, 4)
    b : array-like of shape (m, 4)

    Returns
    -------
    ndarray of shape (n, m) with values in [0, 1]; 0 where both boxes have no area.

    Examples
    --------
    >>> box_iou_matrix([[0, 0, 2, 2]], [[1, 0, 3, 2], [5, 5, 6, 6]]).round(3).tolist()
    [[0.333, 0.0]]
    """
    A = _as_boxes(a, "a")
    B = _as_boxes(b, "b")
    x1 = np.maximum(A[:, None, 0], B[None, :, 0])
    y1 = np.maximum(A[:, None, 1], B[None, :, 1])
    x2 = np.minimum(A[:, None, 2], B[None, :, 2])
    y2 = np.minimum(A[:, None, 3], B[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = box_area(A)[:, None] + box_area(B)[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return np.clip(iou, 0.0, 1.0)


def box_iou(a: Any, b: Any) -> Any:
    """Intersection over union of two xyxy boxes, as a float.

    For arrays of boxes use :func:`box_iou_matrix`. Passing ``(n, 4)`` arrays here still
    returns the matrix for one release, with a :class:`DeprecationWarning`.

    Examples
    --------
    >>> round(box_iou([0, 0, 2, 2], [1, 0, 3, 2]), 3)
    0.333
    """
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        return float(box_iou_matrix(a, b)[0, 0])
    warnings.warn(
        "box_iou of box arrays is deprecated: it returns a float for two boxes; "
        "use box_iou_matrix(a, b) for the (n, m) matrix",
        DeprecationWarning,
        stacklevel=2,
    )
    return box_iou_matrix(a, b)


def match_boxes(
    a: Any,
    b: Any,
    *,
    labels_a: Sequence[Any] | None = None,
    labels_b: Sequence[Any] | None = None,
    iou_threshold: float = 0.5,
) -> list[tuple[int, int, float]]:
    """One-to-one matching of two xyxy box sets maximizing total IoU (Hungarian algorithm).

    Boxes with different labels (when labels are given) never match; pairs below
    ``iou_threshold`` are dropped.

    Returns
    -------
    list of (i, j, iou)
        Index into ``a``, index into ``b`` and their IoU.

    Examples
    --------
    >>> match_boxes([[0, 0, 2, 2]], [[5, 5, 6, 6], [0, 0, 2, 2]])
    [(0, 1, 1.0)]
    """
    from scipy.optimize import linear_sum_assignment

    A = _as_boxes(a, "a")
    B = _as_boxes(b, "b")
    if len(A) == 0 or len(B) == 0:
        return []
    iou = box_iou_matrix(A, B)
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


def interpolate_track(
    keyframes: Sequence[Mapping[str, Any]], frame: int
) -> dict[str, float] | None:
    """The box of a video track at ``frame``, linear between the surrounding keyframes.

    Keyframes are mappings with ``frame`` and the box values (``x, y, w, h`` as the app
    stores them; any numeric keys shared by all keyframes, such as ``x1, y1, x2, y2``,
    interpolate the same way). Before the first keyframe, and from a keyframe marked
    ``outside`` up to the next keyframe, the object is not shown (``None``); after the last
    keyframe it stays where that keyframe put it (mark it ``outside`` to end the track).

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
    keys = [k for k in ("x", "y", "w", "h") if k in kfs[0]] or [
        k for k in ("x1", "y1", "x2", "y2") if k in kfs[0]
    ]
    if frame < int(kfs[0]["frame"]):
        return None
    for left, right in zip(kfs, [*kfs[1:], None], strict=True):
        f0 = int(left["frame"])
        if right is None or frame < int(right["frame"]):
            if left.get("outside"):
                return None
            if frame == f0 or right is None:
                return {k: float(left[k]) for k in keys}
            t = (frame - f0) / (int(right["frame"]) - f0)
            return {k: float(left[k]) + t * (float(right[k]) - float(left[k])) for k in keys}
    return None  # pragma: no cover


def box_contains(outer: Any, inner: Any, *, tolerance: float = 0.0) -> np.ndarray:
    """Whether each ``outer`` box contains each ``inner`` box (or point, shape (m, 2)).

    Returns a boolean array of shape (n, m). Edges count as inside.

    Examples
    --------
    >>> box_contains([[0, 0, 10, 10]], [[2, 2, 5, 5], [8, 8, 12, 12]]).tolist()
    [[True, False]]
    """
    O = _as_boxes(outer, "outer")
    inner_arr = np.asarray(inner, dtype=np.float64)
    if inner_arr.ndim == 1:
        inner_arr = inner_arr[None, :]
    if inner_arr.shape[-1] == 2:
        inner_arr = np.concatenate([inner_arr, inner_arr], axis=1)
    I = _as_boxes(inner_arr, "inner")
    t = tolerance
    return (
        (O[:, None, 0] - t <= I[None, :, 0])
        & (O[:, None, 1] - t <= I[None, :, 1])
        & (O[:, None, 2] + t >= I[None, :, 2])
        & (O[:, None, 3] + t >= I[None, :, 3])
    )


def clip_boxes(boxes: Any, image_size: tuple[Any, Any]) -> np.ndarray:
    """Clip xyxy boxes to ``[0, width] x [0, height]`` (pass ``(1, 1)`` for normalized).

    ``width`` and ``height`` may be numbers or arrays of shape (n,), one size per box.

    Examples
    --------
    >>> clip_boxes([[-5, 2, 120, 30]], (100, 50)).tolist()
    [[0.0, 2.0, 100.0, 30.0]]
    """
    return np.clip(_as_boxes(boxes), 0.0, _image_scale(image_size))


def find_out_of_range_boxes(
    boxes: Any, image_size: tuple[float, float] = (1.0, 1.0), *, tolerance: float = 1e-9
) -> np.ndarray:
    """Boolean mask of xyxy boxes reaching outside ``[0, w] x [0, h]``."""
    b = _as_boxes(boxes)
    w, h = image_size
    return (
        (b[:, 0] < -tolerance)
        | (b[:, 1] < -tolerance)
        | (b[:, 2] > w + tolerance)
        | (b[:, 3] > h + tolerance)
    )


def find_degenerate_boxes(boxes: Any, *, min_size: float = 0.0) -> np.ndarray:
    """Boolean mask of xyxy boxes whose width or height is ``<= min_size``."""
    b = _as_boxes(boxes)
    return ((b[:, 2] - b[:, 0]) <= min_size) | ((b[:, 3] - b[:, 1]) <= min_size)


def non_max_suppression(
    boxes: Any,
    scores: Any,
    *,
    iou_threshold: float = 0.5,
    score_threshold: float | None = None,
    classes: Any = None,
    max_detections: int | None = None,
) -> np.ndarray:
    """Greedy non-maximum suppression.

    Parameters
    ----------
    boxes : array-like of shape (n, 4)
        xyxy boxes.
    scores : array-like of shape (n,)
    iou_threshold : float
        A box is dropped when its IoU with a kept, higher-scoring box exceeds this.
    score_threshold : float, optional
        Boxes scoring below it are dropped first.
    classes : array-like of shape (n,), optional
        When given, suppression only happens within a class.
    max_detections : int, optional

    Returns
    -------
    ndarray of int
        Indices of the kept boxes, highest score first.

    Examples
    --------
    >>> non_max_suppression([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]],
    ...                     [0.9, 0.8, 0.7]).tolist()
    [0, 2]
    """
    B = _as_boxes(boxes)
    S = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(S) != len(B):
        raise GeometryError(f"{len(B)} boxes but {len(S)} scores; pass one score per box")
    if not 0.0 <= iou_threshold <= 1.0:
        raise GeometryError(f"iou_threshold must be in [0, 1], got {iou_threshold}")
    idx = np.arange(len(B))
    if score_threshold is not None:
        idx = idx[score_threshold <= S]
    if classes is not None:
        C = np.asarray(classes).reshape(-1)
        if len(C) != len(B):
            raise GeometryError(f"{len(B)} boxes but {len(C)} classes")
        # Offsetting each class far apart turns per-class NMS into one pass.
        span = float(np.abs(B).max() + 1.0) if len(B) else 1.0
        codes = np.unique(C, return_inverse=True)[1].astype(np.float64)
        B = B + (codes * span * 2)[:, None]
    order = idx[np.argsort(-S[idx], kind="stable")]
    x1, y1, x2, y2 = (np.ascontiguousarray(B[:, c]) for c in range(4))
    areas = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        if max_detections is not None and len(keep) >= max_detections:
            break
        rest = order[1:]
        if rest.size == 0:
            break
        # Inlined IoU of box i against the rest (no re-validation in the hot loop).
        iw = np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest])
        ih = np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest])
        inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
        union = areas[i] + areas[rest] - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            ious = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
        order = rest[ious <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


# ----------------------------------------------------------------------------- polygons


def polygon_area(points: Any, *, signed: bool = False) -> float:
    """Area of a simple polygon by the shoelace formula.

    Parameters
    ----------
    points : array-like of shape (n, 2)
        Vertices in order (closing edge implied).
    signed : bool
        Positive for counter-clockwise in a y-up frame (clockwise on screen).

    Examples
    --------
    >>> polygon_area([[0, 0], [4, 0], [4, 3], [0, 3]])
    12.0
    """
    p = _as_points(points, "polygon")
    if len(p) < 3:
        return 0.0
    x, y = p[:, 0], p[:, 1]
    # Shift to the first vertex to limit cancellation for far-away polygons.
    x = x - x[0]
    y = y - y[0]
    a = 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return a if signed else abs(a)


def polygon_perimeter(points: Any) -> float:
    """Perimeter of a closed polygon (sum of edge lengths, including the closing edge)."""
    p = _as_points(points, "polygon")
    if len(p) < 2:
        return 0.0
    return float(np.sum(np.hypot(*(np.roll(p, -1, axis=0) - p).T)))


def polyline_length(points: Any) -> float:
    """Length of an open polyline (no closing edge).

    Examples
    --------
    >>> polyline_length([[0, 0], [3, 4], [3, 10]])
    11.0
    """
    p = _as_points(points, "polyline")
    if len(p) < 2:
        return 0.0
    return float(np.sum(np.hypot(*np.diff(p, axis=0).T)))


def point_in_polygon(point: Any, polygon: Any, *, boundary: bool = True) -> bool:
    """Whether ``point`` lies inside ``polygon`` (even-odd rule); edges count when ``boundary``."""
    px, py = (float(v) for v in np.asarray(point, dtype=np.float64).reshape(2))
    p = _as_points(polygon, "polygon", min_points=3)
    q = np.roll(p, -1, axis=0)
    # On an edge?
    cross = (q[:, 0] - p[:, 0]) * (py - p[:, 1]) - (q[:, 1] - p[:, 1]) * (px - p[:, 0])
    scale = np.hypot(q[:, 0] - p[:, 0], q[:, 1] - p[:, 1]) + 1e-300
    on_line = np.abs(cross) / scale <= 1e-9 * max(1.0, abs(px), abs(py))
    within = (
        (np.minimum(p[:, 0], q[:, 0]) - 1e-12 <= px)
        & (px <= np.maximum(p[:, 0], q[:, 0]) + 1e-12)
        & (np.minimum(p[:, 1], q[:, 1]) - 1e-12 <= py)
        & (py <= np.maximum(p[:, 1], q[:, 1]) + 1e-12)
    )
    if np.any(on_line & within):
        return boundary
    crosses = (p[:, 1] > py) != (q[:, 1] > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = p[:, 0] + (py - p[:, 1]) * (q[:, 0] - p[:, 0]) / (q[:, 1] - p[:, 1])
    return bool(np.count_nonzero(crosses & (px < x_at)) % 2 == 1)


def _segments_cross(a1: np.ndarray, a2: np.ndarray, b1: np.ndarray, b2: np.ndarray) -> bool:
    def orient(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> float:
        return float((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]))

    d1, d2 = orient(b1, b2, a1), orient(b1, b2, a2)
    d3, d4 = orient(a1, a2, b1), orient(a1, a2, b2)
    # Proper crossings only: touching at an endpoint or along an edge is not a crossing.
    return (d1 * d2 < 0) and (d3 * d4 < 0)


def polygon_contains(outer: Any, inner: Any) -> bool:
    """Whether polygon ``outer`` contains polygon (or polyline, or point set) ``inner``.

    True when every vertex of ``inner`` is inside or on ``outer`` and no edges cross
    properly. Shared edges count as contained.
    """
    O = _as_points(outer, "outer polygon", min_points=3)
    I = _as_points(inner, "inner points")
    if not all(point_in_polygon(v, O) for v in I):
        return False
    if len(I) >= 2:
        Oe = list(zip(O, np.roll(O, -1, axis=0), strict=True))
        Ie = list(zip(I, np.roll(I, -1, axis=0), strict=True))
        for a1, a2 in Ie:
            for b1, b2 in Oe:
                if _segments_cross(a1, a2, b1, b2):
                    return False
        # Edge midpoints catch a concave outer whose notch lies between two inner vertices.
        mids = (I + np.roll(I, -1, axis=0)) / 2
        if not all(point_in_polygon(m, O) for m in mids):
            return False
    return True


def _is_convex(p: np.ndarray) -> bool:
    if len(p) < 3:
        return False
    d = np.roll(p, -1, axis=0) - p
    cross = d[:, 0] * np.roll(d[:, 1], -1) - d[:, 1] * np.roll(d[:, 0], -1)
    nz = cross[np.abs(cross) > 1e-12]
    return bool(nz.size == 0 or np.all(nz > 0) or np.all(nz < 0))


def _clip_by_convex(subject: np.ndarray, clipper: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman: ``subject`` clipped by the convex ``clipper``."""
    if polygon_area(clipper, signed=True) < 0:
        clipper = clipper[::-1]
    out = [tuple(v) for v in subject]
    n = len(clipper)
    for i in range(n):
        a, b = clipper[i], clipper[(i + 1) % n]
        inp, out = out, []
        if not inp:
            break

        def inside(v: Sequence[float], a: np.ndarray = a, b: np.ndarray = b) -> bool:
            return (b[0] - a[0]) * (v[1] - a[1]) - (b[1] - a[1]) * (v[0] - a[0]) >= 0

        def intersect(
            p: Sequence[float], q: Sequence[float], a: np.ndarray = a, b: np.ndarray = b
        ) -> tuple[float, float]:
            x1, y1, x2, y2 = p[0], p[1], q[0], q[1]
            x3, y3, x4, y4 = a[0], a[1], b[0], b[1]
            den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
            if den == 0:
                return (x2, y2)
            t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / den
            return (x1 + t * (x2 - x1), y1 + t * (y2 - y1))

        prev = inp[-1]
        for cur in inp:
            if inside(cur):
                if not inside(prev):
                    out.append(intersect(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(intersect(prev, cur))
            prev = cur
    return np.asarray(out, dtype=np.float64).reshape(-1, 2)


def polygon_iou(a: Any, b: Any, *, resolution: int = 512) -> float:
    """Intersection over union of two simple polygons.

    Exact (Sutherland-Hodgman clipping) when at least one polygon is convex; otherwise the
    polygons are rasterized on a ``resolution x resolution`` grid over their joint extent,
    which is accurate to about ``1/resolution`` of that extent.

    Examples
    --------
    >>> polygon_iou([[0, 0], [2, 0], [2, 2], [0, 2]], [[1, 0], [3, 0], [3, 2], [1, 2]])
    0.3333333333333333
    """
    A = _as_points(a, "polygon a", min_points=3)
    B = _as_points(b, "polygon b", min_points=3)
    area_a, area_b = polygon_area(A), polygon_area(B)
    if area_a == 0 and area_b == 0:
        return 0.0
    if _is_convex(B):
        clipped = _clip_by_convex(A, B)
    elif _is_convex(A):
        clipped = _clip_by_convex(B, A)
    else:
        return _raster_iou(A, B, resolution)
    inter = polygon_area(clipped) if len(clipped) >= 3 else 0.0
    union = area_a + area_b - inter
    return float(min(1.0, max(0.0, inter / union))) if union > 0 else 0.0


def _raster_iou(A: np.ndarray, B: np.ndarray, resolution: int) -> float:
    lo = np.minimum(A.min(0), B.min(0))
    hi = np.maximum(A.max(0), B.max(0))
    span = np.maximum(hi - lo, 1e-12)
    xs = lo[0] + (np.arange(resolution) + 0.5) * span[0] / resolution
    ys = lo[1] + (np.arange(resolution) + 0.5) * span[1] / resolution
    gx, gy = np.meshgrid(xs, ys)

    def mask(p: np.ndarray) -> np.ndarray:
        inside = np.zeros(gx.shape, dtype=bool)
        q = np.roll(p, -1, axis=0)
        for (x1, y1), (x2, y2) in zip(p, q, strict=True):
            if y1 == y2:
                continue
            c = (y1 > gy) != (y2 > gy)
            xat = x1 + (gy - y1) * (x2 - x1) / (y2 - y1)
            inside ^= c & (gx < xat)
        return inside

    ma, mb = mask(A), mask(B)
    union = np.count_nonzero(ma | mb)
    return float(np.count_nonzero(ma & mb) / union) if union else 0.0


def polygon_to_box(points: Any) -> np.ndarray:
    """The tight xyxy box of a polygon or polyline, shape (4,)."""
    p = _as_points(points, "polygon")
    return np.array([p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()])


def box_to_polygon(box: Any) -> np.ndarray:
    """The four corners of an xyxy box, clockwise on screen from the top-left, shape (4, 2)."""
    x1, y1, x2, y2 = _as_boxes(box)[0]
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float64)


# ----------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixel corner form (``x1 <= x2`` and ``y1 <= y2`` when valid).

    Examples
    --------
    >>> b = Box.from_cxcywh(0.5, 0.5, 0.2, 0.4, image_size=(100, 50))
    >>> b.to_xyxy()
    (40.0, 15.0, 60.0, 35.0)
    >>> round(b.iou(Box(40, 15, 50, 35)), 2)
    0.5
    """

    x1: float
    y1: float
    x2: float
    y2: float

    def __post_init__(self) -> None:
        vals = (self.x1, self.y1, self.x2, self.y2)
        if not all(np.isfinite(v) for v in vals):
            raise GeometryError(f"box coordinates must be finite, got {vals}")

    # constructors
    @classmethod
    def from_xywh(
        cls,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        image_size: tuple[float, float] | None = None,
    ) -> Box:
        """From top-left + size; normalized when ``image_size`` is given."""
        return cls._from("xywh", (x, y, w, h), image_size)

    @classmethod
    def from_cxcywh(
        cls,
        cx: float,
        cy: float,
        w: float,
        h: float,
        *,
        image_size: tuple[float, float] | None = None,
    ) -> Box:
        """From centre + size (YOLO); normalized when ``image_size`` is given."""
        return cls._from("cxcywh", (cx, cy, w, h), image_size)

    @classmethod
    def _from(cls, fmt: str, vals: tuple[float, float, float, float], image_size: Any) -> Box:
        arr = convert_boxes(
            [vals], fmt, "xyxy", image_size=image_size, src_normalized=image_size is not None
        )[0]
        return cls(*(float(v) for v in arr))

    # measures
    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2)

    @property
    def is_degenerate(self) -> bool:
        return self.width <= 0 or self.height <= 0

    # conversions
    def to_xyxy(self) -> tuple[float, float, float, float]:
        return (self.x1, self.y1, self.x2, self.y2)

    def to_xywh(self, *, image_size: tuple[float, float] | None = None) -> tuple[float, ...]:
        return self._to("xywh", image_size)

    def to_cxcywh(self, *, image_size: tuple[float, float] | None = None) -> tuple[float, ...]:
        return self._to("cxcywh", image_size)

    def _to(self, fmt: str, image_size: Any) -> tuple[float, ...]:
        arr = convert_boxes(
            [self.to_xyxy()],
            "xyxy",
            fmt,
            image_size=image_size,
            dst_normalized=image_size is not None,
        )[0]
        return tuple(float(v) for v in arr)

    def to_polygon(self) -> np.ndarray:
        return box_to_polygon(self.to_xyxy())

    # relations
    def iou(self, other: Box) -> float:
        return box_iou(self.to_xyxy(), other.to_xyxy())

    def contains(self, other: Box | tuple[float, float]) -> bool:
        o = other.to_xyxy() if isinstance(other, Box) else tuple(other)
        return bool(box_contains([self.to_xyxy()], [o])[0, 0])

    def clip(self, width: float, height: float) -> Box:
        return Box(*(float(v) for v in clip_boxes([self.to_xyxy()], (width, height))[0]))


@dataclass(frozen=True)
class Polygon:
    """A polygon (closed) or polyline (open) as an ``(n, 2)`` array of ``(x, y)`` vertices.

    Examples
    --------
    >>> sq = Polygon([[0, 0], [2, 0], [2, 2], [0, 2]])
    >>> sq.area, sq.perimeter, sq.contains_point((1, 1))
    (4.0, 8.0, True)
    """

    points: Any
    closed: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", _as_points(self.points, "polygon"))

    @property
    def area(self) -> float:
        return polygon_area(self.points) if self.closed else 0.0

    @property
    def perimeter(self) -> float:
        return polygon_perimeter(self.points) if self.closed else polyline_length(self.points)

    @property
    def length(self) -> float:
        return self.perimeter

    def bounding_box(self) -> Box:
        return Box(*(float(v) for v in polygon_to_box(self.points)))

    def contains_point(self, point: Any) -> bool:
        return point_in_polygon(point, self.points)

    def contains(self, other: Polygon) -> bool:
        return polygon_contains(self.points, other.points)

    def iou(self, other: Polygon) -> float:
        return polygon_iou(self.points, other.points)

    def normalized(self, image_size: tuple[float, float]) -> Polygon:
        w, h = image_size
        return Polygon(self.points / np.array([w, h], dtype=np.float64), closed=self.closed)

    def denormalized(self, image_size: tuple[float, float]) -> Polygon:
        w, h = image_size
        return Polygon(self.points * np.array([w, h], dtype=np.float64), closed=self.closed)
