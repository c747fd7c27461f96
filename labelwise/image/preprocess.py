"""Preprocessing that never overwrites originals.

Every function takes an array and returns a new one (inputs are never modified in place);
:func:`preprocess_images` writes results to a *different* folder and refuses to write over
any source file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError, require

__all__ = [
    "INTERPOLATIONS",
    "center_crop",
    "equalize_histogram",
    "letterbox",
    "normalize_minmax",
    "normalize_zscore",
    "pad_to_square",
    "preprocess_images",
    "resize",
    "to_grayscale",
]

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "area", "lanczos")


def _cv2() -> Any:
    return require("cv2", "image")


def _interp(name: str) -> int:
    cv2 = _cv2()
    table = {
        "nearest": cv2.INTER_NEAREST,
        "bilinear": cv2.INTER_LINEAR,
        "bicubic": cv2.INTER_CUBIC,
        "area": cv2.INTER_AREA,
        "lanczos": cv2.INTER_LANCZOS4,
    }
    if name not in table:
        raise DataError(f"interpolation {name!r} is not one of {INTERPOLATIONS}")
    return table[name]


def _check_image(img: Any, what: str = "image") -> np.ndarray:
    arr = np.asarray(img)
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise DataError(f"{what} must be an (h, w) or (h, w, c) array, got shape {arr.shape}")
    return arr


def _size(size: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(size, (int, np.integer)):
        w = h = int(size)
    else:
        w, h = (int(v) for v in size)
    if w <= 0 or h <= 0:
        raise DataError(f"target size must be positive (width, height), got {size}")
    return w, h


def resize(
    image: Any,
    size: int | tuple[int, int],
    *,
    interpolation: str = "bilinear",
    keep_aspect: bool = False,
) -> np.ndarray:
    """Resize to ``size`` = ``(width, height)`` (or a side length).

    With ``keep_aspect=True`` the image is scaled to fit inside ``size`` without
    distortion (the result may be smaller on one side; see :func:`letterbox` to pad).

    Examples
    --------
    >>> resize(np.zeros((10, 20, 3), np.uint8), (8, 4)).shape
    (4, 8, 3)
    """
    arr = _check_image(image)
    w, h = _size(size)
    if keep_aspect:
        s = min(w / arr.shape[1], h / arr.shape[0])
        w, h = max(1, round(arr.shape[1] * s)), max(1, round(arr.shape[0] * s))
    return _cv2().resize(arr, (w, h), interpolation=_interp(interpolation))


def letterbox(
    image: Any,
    size: int | tuple[int, int],
    *,
    color: int | tuple[int, ...] = 114,
    interpolation: str = "bilinear",
) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Scale to fit ``size`` keeping the aspect ratio, then pad to exactly ``size``.

    Returns
    -------
    image : ndarray of shape (height, width[, c])
    scale : float
        Factor applied to the original.
    pad : (left, top)
        Offset of the scaled image; map a box back with ``(x - left) / scale``.

    Examples
    --------
    >>> out, scale, pad = letterbox(np.zeros((50, 100, 3), np.uint8), 64)
    >>> out.shape, scale, pad
    ((64, 64, 3), 0.64, (0, 16))
    """
    arr = _check_image(image)
    w, h = _size(size)
    s = min(w / arr.shape[1], h / arr.shape[0])
    nw, nh = max(1, round(arr.shape[1] * s)), max(1, round(arr.shape[0] * s))
    scaled = _cv2().resize(arr, (nw, nh), interpolation=_interp(interpolation))
    left, top = (w - nw) // 2, (h - nh) // 2
    shape = (h, w, *arr.shape[2:])
    fill = np.asarray(color, dtype=arr.dtype)
    out = np.empty(shape, dtype=arr.dtype)
    out[...] = fill
    out[top : top + nh, left : left + nw] = scaled
    return out, float(s), (int(left), int(top))


def pad_to_square(image: Any, *, color: int | tuple[int, ...] = 0) -> np.ndarray:
    """Pad the shorter side (centred) so the image is square."""
    arr = _check_image(image)
    h, w = arr.shape[:2]
    side = max(h, w)
    out = np.empty((side, side, *arr.shape[2:]), dtype=arr.dtype)
    out[...] = np.asarray(color, dtype=arr.dtype)
    top, left = (side - h) // 2, (side - w) // 2
    out[top : top + h, left : left + w] = arr
    return out


def center_crop(image: Any, size: int | tuple[int, int]) -> np.ndarray:
    """The central ``size`` = ``(width, height)`` region (padded with 0 if the image is smaller)."""
    arr = _check_image(image)
    w, h = _size(size)
    H, W = arr.shape[:2]
    if w > W or h > H:
        padded = np.zeros((max(H, h), max(W, w), *arr.shape[2:]), dtype=arr.dtype)
        t, l = (padded.shape[0] - H) // 2, (padded.shape[1] - W) // 2
        padded[t : t + H, l : l + W] = arr
        arr, H, W = padded, padded.shape[0], padded.shape[1]
    top, left = (H - h) // 2, (W - w) // 2
    return arr[top : top + h, left : left + w].copy()


def normalize_minmax(image: Any, *, per_channel: bool = False) -> np.ndarray:
    """Scale to ``[0, 1]`` float32 by the image's own min and max (constant images give 0)."""
    arr = _check_image(image).astype(np.float32)
    axes: Any = (0, 1) if per_channel and arr.ndim == 3 else None
    lo = arr.min(axis=axes, keepdims=True)
    hi = arr.max(axis=axes, keepdims=True)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    return ((arr - lo) / span).astype(np.float32)


def normalize_zscore(
    image: Any,
    *,
    mean: float | Sequence[float] | None = None,
    std: float | Sequence[float] | None = None,
    per_channel: bool = True,
) -> np.ndarray:
    """Subtract the mean and divide by the standard deviation, as float32.

    ``mean``/``std`` default to the image's own (per channel); pass dataset statistics (e.g.
    ImageNet's, on a ``[0, 1]`` scale, after dividing by 255) to match a pretrained model.
    """
    arr = _check_image(image).astype(np.float32)
    axes: Any = (0, 1) if per_channel and arr.ndim == 3 else None
    m = np.asarray(mean, dtype=np.float32) if mean is not None else arr.mean(axis=axes)
    s = np.asarray(std, dtype=np.float32) if std is not None else arr.std(axis=axes)
    s = np.where(s > 0, s, 1.0)
    return ((arr - m) / s).astype(np.float32)


def to_grayscale(image: Any) -> np.ndarray:
    """``(h, w)`` uint8 luminance of an RGB (or already gray) image."""
    arr = _check_image(image)
    if arr.ndim == 2:
        return arr.copy()
    if arr.shape[2] == 1:
        return arr[:, :, 0].copy()
    if arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return _cv2().cvtColor(np.ascontiguousarray(arr), _cv2().COLOR_RGB2GRAY)


def equalize_histogram(
    image: Any, *, method: str = "global", clip_limit: float = 2.0
) -> np.ndarray:
    """Histogram equalization of the luminance (colour images keep their hue).

    ``method="global"`` spreads the whole histogram; ``"clahe"`` equalizes locally with
    contrast limit ``clip_limit``.
    """
    cv2 = _cv2()
    arr = _check_image(image)
    if arr.dtype != np.uint8:
        raise DataError(f"equalize_histogram needs uint8 pixels, got {arr.dtype}; scale first")
    if method not in ("global", "clahe"):
        raise DataError(f"method={method!r} is not 'global' or 'clahe'")

    def eq(gray: np.ndarray) -> np.ndarray:
        if method == "clahe":
            return cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(8, 8)).apply(gray)
        return cv2.equalizeHist(gray)

    if arr.ndim == 2:
        return eq(np.ascontiguousarray(arr))
    ycrcb = cv2.cvtColor(np.ascontiguousarray(arr[:, :, :3]), cv2.COLOR_RGB2YCrCb)
    ycrcb[:, :, 0] = eq(np.ascontiguousarray(ycrcb[:, :, 0]))
    return cv2.cvtColor(ycrcb, cv2.COLOR_YCrCb2RGB)


def preprocess_images(
    collection: Any,
    out_dir: str | Path,
    steps: Sequence[Callable[[np.ndarray], np.ndarray]],
    *,
    suffix: str | None = None,
    progress: bool | None = None,
) -> tuple[list[Path], list[tuple[str, str]]]:
    """Apply ``steps`` in order to every image and write the results under ``out_dir``.

    Originals are never touched: ``out_dir`` must not be the collection's folder, and no
    output path may be a source file. Float results are rescaled to 8 bits when written.

    Returns
    -------
    written : list of Path
    failures : list of (item_id, message)
        Images that could not be processed; the rest are written.
    """
    from PIL import Image

    out = Path(out_dir).resolve()
    sources = {p.resolve() for p in collection.paths}
    if collection.root is not None and out == Path(collection.root).resolve():
        raise DataError(
            f"out_dir {str(out)!r} is the source folder; preprocessing never overwrites "
            "originals, choose another folder"
        )
    written: list[Path] = []
    failures: list[tuple[str, str]] = []
    ids = collection.item_ids
    for i, img, err in collection.iter_images(desc="preprocessing", progress=progress):
        item = ids[i]
        if img is None:
            failures.append((item, err or "unreadable"))
            continue
        try:
            res = img
            for step in steps:
                res = step(res)
            res = np.asarray(res)
            if res.dtype != np.uint8:
                lo, hi = float(res.min()), float(res.max())
                res = ((res - lo) / (hi - lo or 1.0) * 255).round().astype(np.uint8)
            rel = Path(item)
            if rel.is_absolute():
                rel = Path(rel.name)
            target = out / rel
            if suffix:
                target = target.with_suffix(suffix)
            if target.resolve() in sources:
                raise DataError(f"refusing to overwrite the original {str(target)!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(res).save(target)
            written.append(target)
        except Exception as exc:
            failures.append((item, f"{type(exc).__name__}: {exc}"))
    return written, failures
