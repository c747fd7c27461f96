"""Segmentation helpers: thresholding, watershed, contours to polygons, automatic boxes.

:func:`auto_boxes` finds objects on a simple (plain) background by thresholding and
contours and gives each box a class; :func:`auto_label_images` does that for a whole
collection and writes YOLO label files whose coordinates are clipped to ``[0, 1]``, the
step where simple auto-annotation tools often emit out-of-range values.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError, require
from labelwise.geometry import Box, polygon_area

__all__ = [
    "auto_boxes",
    "auto_label_images",
    "contours_to_polygons",
    "threshold_image",
    "watershed_segments",
]


def _cv2() -> Any:
    return require("cv2", "image")


def _gray(image: Any) -> np.ndarray:
    from labelwise.image.preprocess import to_grayscale

    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        lo, hi = float(arr.min()), float(arr.max())
        arr = ((arr - lo) / (hi - lo or 1.0) * 255).round().astype(np.uint8)
    return to_grayscale(arr)


def threshold_image(
    image: Any,
    *,
    method: str = "otsu",
    value: float = 127,
    foreground: str = "auto",
    block_size: int = 31,
) -> tuple[np.ndarray, float]:
    """Split an image into foreground and background.

    Parameters
    ----------
    image : array of shape (h, w) or (h, w, 3)
    method : {"otsu", "fixed", "adaptive"}
        Otsu picks the threshold that best separates two intensity groups; ``fixed`` uses
        ``value``; ``adaptive`` compares each pixel with its ``block_size`` neighbourhood mean.
    foreground : {"auto", "dark", "bright"}
        Which side is the object. ``auto`` takes the smaller side (objects on a background).

    Returns
    -------
    mask : bool array of shape (h, w)
        True on the foreground.
    threshold : float
        The threshold used (NaN for adaptive).

    Examples
    --------
    >>> img = np.full((20, 20), 220, np.uint8); img[5:10, 5:15] = 30
    >>> mask, t = threshold_image(img)
    >>> int(mask.sum()), 30 <= t < 220
    (50, True)
    """
    cv2 = _cv2()
    gray = _gray(image)
    if method == "otsu":
        t, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        bright = binary > 0
    elif method == "fixed":
        t = float(value)
        bright = gray > t
    elif method == "adaptive":
        bs = max(3, int(block_size) | 1)
        binary = cv2.adaptiveThreshold(
            gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, bs, 2
        )
        bright, t = binary > 0, float("nan")
    else:
        raise DataError(f"threshold method {method!r} is not one of otsu, fixed, adaptive")
    if foreground == "bright":
        mask = bright
    elif foreground == "dark":
        mask = ~bright
    elif foreground == "auto":
        mask = bright if bright.mean() <= 0.5 else ~bright
    else:
        raise DataError(f"foreground={foreground!r} is not one of auto, dark, bright")
    return mask, float(t)


def contours_to_polygons(
    mask: Any, *, min_area: float = 1.0, epsilon: float = 0.0, external_only: bool = True
) -> list[np.ndarray]:
    """Outlines of the foreground regions of ``mask`` as polygons, largest first.

    Parameters
    ----------
    mask : bool or integer array of shape (h, w)
    min_area : float
        Drop polygons with a smaller shoelace area (pixels).
    epsilon : float
        Douglas-Peucker simplification tolerance in pixels (0 keeps every vertex).
    external_only : bool
        Only outer outlines (holes ignored).

    Returns
    -------
    list of float arrays of shape (n_vertices, 2), ``(x, y)`` pixel coordinates.
    """
    cv2 = _cv2()
    m = (np.asarray(mask) > 0).astype(np.uint8)
    if m.ndim != 2:
        raise DataError(f"mask must be 2-D, got shape {m.shape}")
    mode = cv2.RETR_EXTERNAL if external_only else cv2.RETR_LIST
    contours, _ = cv2.findContours(m, mode, cv2.CHAIN_APPROX_SIMPLE)
    polys = []
    for c in contours:
        if epsilon > 0:
            c = cv2.approxPolyDP(c, epsilon, True)
        pts = c.reshape(-1, 2).astype(np.float64)
        # cv2 outlines run through pixel centres; pixel area is better matched by the
        # contour area plus half the perimeter, but callers mostly want relative sizes.
        if (len(pts) >= 3 and polygon_area(pts) >= min_area) or (len(pts) < 3 and min_area <= 1.0):
            polys.append(pts)
    polys.sort(key=lambda p: -polygon_area(p) if len(p) >= 3 else 0.0)
    return polys


def watershed_segments(
    image: Any,
    *,
    mask: Any = None,
    min_distance_ratio: float = 0.7,
) -> np.ndarray:
    """Split touching objects with the distance transform and watershed.

    Parameters
    ----------
    image : array of shape (h, w, 3) or (h, w)
    mask : bool array, optional
        Foreground; defaults to :func:`threshold_image` with Otsu.
    min_distance_ratio : float
        Seeds are the parts of the foreground farther than this share of the largest
        distance from the background.

    Returns
    -------
    labels : int32 array of shape (h, w)
        0 for background, 1..n for the segments.
    """
    cv2 = _cv2()
    arr = np.asarray(image)
    if mask is None:
        mask, _ = threshold_image(arr)
    fg = (np.asarray(mask) > 0).astype(np.uint8)
    if not fg.any():
        return np.zeros(fg.shape, dtype=np.int32)
    dist = cv2.distanceTransform(fg, cv2.DIST_L2, 5)
    sure_fg = (dist > min_distance_ratio * dist.max()).astype(np.uint8)
    _n, markers = cv2.connectedComponents(sure_fg)
    markers = markers.astype(np.int32) + 1  # background seed is 1
    unknown = (fg > 0) & (sure_fg == 0)
    markers[unknown] = 0
    color = arr if arr.ndim == 3 else np.repeat(arr[:, :, None], 3, axis=2)
    if color.dtype != np.uint8:
        color = np.clip(color, 0, 255).astype(np.uint8)
    markers = cv2.watershed(np.ascontiguousarray(color[:, :, :3]), markers)
    labels = np.where(markers > 1, markers - 1, 0).astype(np.int32)
    labels[fg == 0] = 0
    return labels


def auto_boxes(
    image: Any,
    *,
    method: str = "otsu",
    value: float = 127,
    foreground: str = "auto",
    min_area_fraction: float = 0.001,
    max_boxes: int | None = None,
    label: str | Callable[[np.ndarray, Box], str] = "object",
    padding: int = 0,
) -> list[tuple[Box, str]]:
    """Boxes around objects on a simple background, each with a class.

    Parameters
    ----------
    image : array of shape (h, w[, 3])
    method, value, foreground
        Passed to :func:`threshold_image`.
    min_area_fraction : float
        Ignore regions smaller than this share of the image.
    max_boxes : int, optional
        Keep only the largest ones.
    label : str or callable
        The class of every box, or ``label(crop, box) -> class name`` deciding per box.
    padding : int
        Pixels added around each box (boxes stay inside the image).

    Returns
    -------
    list of (Box, class name), largest first; boxes are in pixels and inside the image.
    """
    arr = np.asarray(image)
    h, w = arr.shape[:2]
    mask, _ = threshold_image(arr, method=method, value=value, foreground=foreground)
    polys = contours_to_polygons(mask, min_area=max(1.0, min_area_fraction * h * w))
    out: list[tuple[Box, str]] = []
    for poly in polys[: max_boxes if max_boxes is not None else None]:
        x1, y1 = poly.min(axis=0)
        x2, y2 = poly.max(axis=0) + 1  # contour points are pixel indices; boxes cover them
        box = Box(
            float(max(0, x1 - padding)),
            float(max(0, y1 - padding)),
            float(min(w, x2 + padding)),
            float(min(h, y2 + padding)),
        )
        if box.is_degenerate:
            continue
        if callable(label):
            crop = arr[int(box.y1) : int(box.y2), int(box.x1) : int(box.x2)]
            name = str(label(crop, box))
        else:
            name = str(label)
        out.append((box, name))
    return out


def auto_label_images(
    collection: Any,
    labels_dir: str | Path,
    *,
    classes: list[str] | None = None,
    label: str | Callable[[np.ndarray, Box], str] | None = None,
    method: str = "otsu",
    foreground: str = "auto",
    min_area_fraction: float = 0.001,
    max_boxes: int | None = None,
    progress: bool | None = None,
) -> Any:
    """Automatic boxes for every image of a collection, written as YOLO files.

    Each image's boxes get ``label`` (a class name or a callable); by default the image's
    own class from the collection, else ``"object"``. Coordinates are clipped to the image,
    so every written value lies in ``[0, 1]``.

    Returns
    -------
    labelwise.formats.ItemSet
        What was written, with per-image faults in its report (unreadable images, no
        object found).
    """
    from labelwise.formats import ConversionReport, ItemSet, box_config, box_item
    from labelwise.formats import write_annotations as write

    images: list[Any] = []
    issues = ConversionReport()
    labels = collection.labels
    ids = collection.item_ids
    seen: list[str] = list(classes or [])
    for i, img, err in collection.iter_images(desc="auto boxes", progress=progress):
        item = ids[i]
        if img is None:
            issues.issue(item, "unreadable_image", err or "unreadable image")
            continue
        lab: str | Callable[[np.ndarray, Box], str]
        lab = label if label is not None else (labels[i] or "object")
        try:
            found = auto_boxes(
                img,
                method=method,
                foreground=foreground,
                min_area_fraction=min_area_fraction,
                max_boxes=max_boxes,
                label=lab,
            )
        except Exception as exc:
            issues.issue(item, type(exc).__name__, str(exc))
            continue
        if not found:
            issues.issue(item, "no_object", "no object found; empty label file", severity="warning")
        for _, name in found:
            if name not in seen:
                if classes is not None:
                    issues.issue(
                        item, "unknown_class", f"class {name!r} is not in classes {classes}"
                    )
                    continue
                seen.append(name)
        kept = [(b.to_xyxy(), n) for b, n in found if n in seen]
        h, w = img.shape[:2]
        rel = Path(item).name if Path(item).is_absolute() else item
        images.append(box_item(rel, int(w), int(h), [b for b, _ in kept], [n for _, n in kept]))
    result = ItemSet(images, box_config(seen or ["object"]), issues)
    write(result, "yolo", labels_dir)
    return result
