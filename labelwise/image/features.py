"""Measurable image features as a table, one row per image.

The table is what image rules read (see :mod:`labelwise.image.rules`) and what the lead's
``labelwise label TABLE --rules rules.py`` applies rules to: ``labelwise image features DIR
--out feats.parquet`` writes it.

Feature columns (all floats; shares and normalized sizes are in ``[0, 1]``):

=========================  ==========================================================
``width, height``          pixels of the original
``aspect_ratio``           width / height
``gray_mean, gray_std``    luminance statistics (0-255); ``gray_variance`` = std**2
``{r,g,b}_mean/_std``      per-channel statistics
``colorfulness``           Hasler and Suesstrunk's colourfulness measure
``saturation_mean``        mean HSV saturation (0-1)
``hist_{r,g,b}_{i}``       RGB histograms, ``bins`` per channel, each summing to 1
``hist_{h,s,v}_{i}``       HSV histograms (hue over 0-180 degrees in OpenCV units)
``threshold``              the threshold used (Otsu's or the fixed value)
``dark_share``             share of pixels at or below the threshold
``bright_share``           share of pixels above it
``edge_density``           share of Canny edge pixels
``n_contours``             foreground regions larger than 0.1% of the image
``largest_contour_area``   area of the largest region / image area
``largest_contour_{x,y,w,h}``  its bounding box, normalized
``largest_contour_height`` its height / image height (= ``largest_contour_h``)
``tallest_contour_height`` the tallest region's height / image height
``symmetry_lr, symmetry_tb``  1 - mean |image - mirror| / 255 (1 = perfectly symmetric)
``hog_{i}``                HOG of the grayscale image resized to ``hog_size``
=========================  ==========================================================

Features other than width/height are computed on a copy scaled so its longer side is
``work_size`` pixels, which makes them comparable across resolutions and fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labelwise.errors import DataError, require

__all__ = [
    "FEATURE_GROUPS",
    "extract_features",
    "feature_names",
    "hog_descriptor",
    "image_features",
]

FEATURE_GROUPS = ("basic", "color", "threshold", "shape", "hog")


def _cv2() -> Any:
    return require("cv2", "image")


def hog_descriptor(
    gray: Any,
    *,
    size: int = 32,
    cell: int = 8,
    block: int = 16,
    bins: int = 9,
) -> np.ndarray:
    """Histogram of oriented gradients of a grayscale image resized to ``size x size``.

    Returns
    -------
    float32 array of shape (((size - block) // cell + 1) ** 2 * (block // cell) ** 2 * bins,)
        324 values with the defaults.

    Examples
    --------
    >>> hog_descriptor(np.zeros((40, 30), np.uint8)).shape
    (324,)
    """
    cv2 = _cv2()
    g = np.asarray(gray)
    if g.ndim == 3:
        from labelwise.image.preprocess import to_grayscale

        g = to_grayscale(g)
    if g.dtype != np.uint8:
        lo, hi = float(g.min()), float(g.max())
        g = ((g - lo) / (hi - lo or 1.0) * 255).astype(np.uint8)
    if size % cell or block % cell or size < block:
        raise DataError(
            f"HOG needs size ({size}) and block ({block}) to be multiples of cell ({cell}) "
            "and size >= block"
        )
    g = cv2.resize(g, (size, size), interpolation=cv2.INTER_AREA)
    hog = cv2.HOGDescriptor((size, size), (block, block), (cell, cell), (cell, cell), bins)
    return np.asarray(hog.compute(g), dtype=np.float32).reshape(-1)


def _work_copy(img: np.ndarray, work_size: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = work_size / max(h, w)
    if s >= 1:
        return img
    cv2 = _cv2()
    return cv2.resize(
        img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA
    )


def image_features(
    image: Any,
    *,
    groups: Sequence[str] = FEATURE_GROUPS,
    bins: int = 8,
    threshold: str | float = "otsu",
    foreground: str = "auto",
    hog_size: int = 32,
    work_size: int = 256,
) -> dict[str, float]:
    """Features of one RGB (or grayscale) image; see the module docstring for the columns.

    Parameters
    ----------
    image : uint8 array of shape (h, w, 3) or (h, w)
    groups : subset of ("basic", "color", "threshold", "shape", "hog")
    bins : int
        Histogram bins per channel.
    threshold : "otsu" or float
        Threshold for dark/bright shares and contours.
    foreground : {"auto", "dark", "bright"}
        Which side of the threshold holds objects (for contours).
    hog_size : int
        Side the image is resized to for HOG.
    work_size : int
        Longer side of the working copy.

    Examples
    --------
    >>> img = np.full((40, 60, 3), 230, np.uint8); img[10:30, 20:30] = 20
    >>> f = image_features(img, groups=("basic", "threshold", "shape"))
    >>> round(f["aspect_ratio"], 2), round(f["dark_share"], 3), round(f["tallest_contour_height"], 2)
    (1.5, 0.083, 0.5)
    """
    cv2 = _cv2()
    unknown = sorted(set(groups) - set(FEATURE_GROUPS))
    if unknown:
        raise DataError(f"unknown feature groups {unknown}; choose from {FEATURE_GROUPS}")
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] < 3 or arr.size == 0:
        raise DataError(f"expected an (h, w, 3) image, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr[:, :, :3])
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    H, W = arr.shape[:2]
    work = _work_copy(arr, work_size)
    gray = cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    f: dict[str, float] = {}
    if "basic" in groups:
        f["width"] = float(W)
        f["height"] = float(H)
        f["aspect_ratio"] = W / H
        f["gray_mean"] = float(gray.mean())
        f["gray_std"] = float(gray.std())
        f["gray_variance"] = float(gray.var())
        for c, name in enumerate("rgb"):
            ch = work[:, :, c]
            f[f"{name}_mean"] = float(ch.mean())
            f[f"{name}_std"] = float(ch.std())
        r, g, b = (work[:, :, c].astype(np.float64) for c in range(3))
        rg, yb = r - g, 0.5 * (r + g) - b
        f["colorfulness"] = float(
            np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
        )
        hsv_b = cv2.cvtColor(work, cv2.COLOR_RGB2HSV)
        f["saturation_mean"] = float(hsv_b[:, :, 1].mean() / 255.0)
    if "color" in groups:
        n = float(h * w)
        for c, name in enumerate("rgb"):
            hist = np.bincount(
                (work[:, :, c].astype(np.int64).ravel() * bins) // 256, minlength=bins
            )
            for i, v in enumerate(hist):
                f[f"hist_{name}_{i}"] = float(v / n)
        hsv = cv2.cvtColor(work, cv2.COLOR_RGB2HSV)
        for c, name, top in ((0, "h", 180), (1, "s", 256), (2, "v", 256)):
            hist = np.bincount(
                np.minimum((hsv[:, :, c].astype(np.int64).ravel() * bins) // top, bins - 1),
                minlength=bins,
            )
            for i, v in enumerate(hist):
                f[f"hist_{name}_{i}"] = float(v / n)
    mask = None
    if "threshold" in groups or "shape" in groups:
        from labelwise.image.segment import threshold_image

        if threshold == "otsu":
            mask, t = threshold_image(gray, method="otsu", foreground=foreground)
        else:
            try:
                tv = float(threshold)
            except (TypeError, ValueError):
                raise DataError(
                    f"threshold must be 'otsu' or a number 0-255, got {threshold!r}"
                ) from None
            mask, t = threshold_image(gray, method="fixed", value=tv, foreground=foreground)
        if "threshold" in groups:
            f["threshold"] = t
            f["dark_share"] = float(np.mean(gray <= t))
            f["bright_share"] = float(np.mean(gray > t))
            edges = cv2.Canny(gray, 100, 200)
            f["edge_density"] = float(np.mean(edges > 0))
    if "shape" in groups:
        assert mask is not None
        m8 = mask.astype(np.uint8)
        # Connected regions of the foreground: each region's outer contour, with its exact
        # pixel area and bounding box.
        n_lab, _, stats, _ = cv2.connectedComponentsWithStats(m8, connectivity=8)
        min_area = 0.001 * h * w
        rects = [
            (float(a), int(x), int(y), int(bw), int(bh))
            for x, y, bw, bh, a in stats[1:n_lab].tolist()
            if a >= min_area
        ]
        f["n_contours"] = float(len(rects))
        if rects:
            area, x, y, bw, bh = max(rects, key=lambda r: (r[0], r[3] * r[4]))
            f["largest_contour_area"] = area / (h * w)
            f["largest_contour_x"] = x / w
            f["largest_contour_y"] = y / h
            f["largest_contour_w"] = bw / w
            f["largest_contour_h"] = bh / h
            f["largest_contour_height"] = bh / h
            f["tallest_contour_height"] = max(r[4] for r in rects) / h
        else:
            for k in (
                "largest_contour_area",
                "largest_contour_x",
                "largest_contour_y",
                "largest_contour_w",
                "largest_contour_h",
                "largest_contour_height",
                "tallest_contour_height",
            ):
                f[k] = 0.0
        small = cv2.resize(gray, (64, 64), interpolation=cv2.INTER_AREA).astype(np.float64)
        f["symmetry_lr"] = 1.0 - float(np.mean(np.abs(small - small[:, ::-1]))) / 255.0
        f["symmetry_tb"] = 1.0 - float(np.mean(np.abs(small - small[::-1, :]))) / 255.0
    if "hog" in groups:
        for i, v in enumerate(hog_descriptor(gray, size=hog_size)):
            f[f"hog_{i}"] = float(v)
    return f


def feature_names(**kwargs: Any) -> list[str]:
    """The column names :func:`image_features` produces for the given options."""
    return list(image_features(np.zeros((16, 16, 3), np.uint8), **kwargs))


def extract_features(
    source: Any,
    *,
    groups: Sequence[str] = FEATURE_GROUPS,
    bins: int = 8,
    threshold: str | float = "otsu",
    foreground: str = "auto",
    hog_size: int = 32,
    work_size: int = 256,
    progress: bool | None = None,
) -> Any:
    """A features table with one row per image.

    Parameters
    ----------
    source : ImageCollection, folder, manifest or list of paths
        Anything :func:`labelwise.image.load_images` accepts.
    groups, bins, threshold, foreground, hog_size, work_size
        See :func:`image_features`.

    Returns
    -------
    DataFrame
        ``item_id, path, label, error`` and then the feature columns. An image that fails is
        kept with NaN features and the reason in ``error`` (rules abstain on NaN). Files that
        could not be loaded at all are in ``df.attrs["load_issues"]``.
    """
    import pandas as pd

    from labelwise.image.io import ImageCollection, load_images

    col = source if isinstance(source, ImageCollection) else load_images(source, progress=progress)
    names = feature_names(
        groups=groups, bins=bins, threshold=threshold, foreground=foreground, hog_size=hog_size
    )
    data = np.full((len(col), len(names)), np.nan, dtype=np.float64)
    errors: list[str | None] = [None] * len(col)
    for i, img, err in col.iter_images(desc="image features", progress=progress):
        if img is None:
            errors[i] = err
            continue
        try:
            feats = image_features(
                img,
                groups=groups,
                bins=bins,
                threshold=threshold,
                foreground=foreground,
                hog_size=hog_size,
                work_size=work_size,
            )
            data[i] = [feats[n] for n in names]
        except Exception as exc:
            errors[i] = f"{type(exc).__name__}: {exc}"
    head = pd.DataFrame(
        {
            "item_id": col.table["item_id"].astype(str).to_numpy(),
            "path": col.table["path"].astype(str).to_numpy(),
            "label": col.table["label"].to_numpy(),
            "error": pd.array(errors, dtype=object),
        }
    )
    df = pd.concat([head, pd.DataFrame(data, columns=names)], axis=1)
    df.attrs["load_issues"] = [str(i) for i in col.issues]
    return df
