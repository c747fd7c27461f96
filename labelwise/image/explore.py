"""Exploring an image collection: statistics, outliers, duplicates, an HTML report.

:func:`image_statistics` measures every image once (size, channels, per-channel intensity,
brightness, contrast, colourfulness, perceptual and file hashes); :func:`find_outliers`
flags images far from the rest (Tukey's fences), stating the rule used;
:func:`find_duplicates` finds exact copies (same bytes) and near copies (perceptual hashes
within a Hamming distance); :func:`explore_images` puts it all in one self-contained report
with thumbnails and a contact sheet per class.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError, require

__all__ = [
    "OUTLIER_METRICS",
    "SPLIT_NAMES",
    "cross_split_duplicates",
    "difference_hash",
    "explore_images",
    "find_duplicates",
    "find_outliers",
    "hamming_distance",
    "image_statistics",
    "perceptual_hash",
]

#: Folder names (any path part of an item id) that mark a dataset split.
SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "test": "test",
    "testing": "test",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "dev": "val",
}

#: Metrics :func:`find_outliers` checks by default.
OUTLIER_METRICS = ("brightness", "contrast", "colorfulness", "r_mean", "g_mean", "b_mean")

#: Pixel statistics measured on every image, in table order.
_PIXEL_STATS = (
    "brightness",
    "contrast",
    "r_mean",
    "g_mean",
    "b_mean",
    "r_std",
    "g_std",
    "b_std",
    "colorfulness",
)


def perceptual_hash(image: Any, *, hash_size: int = 8) -> int:
    """64-bit perceptual hash (DCT of a 32x32 grayscale copy; bits above the median).

    Similar-looking images (resized, recompressed, slightly brightened) get hashes a few
    bits apart; compare with :func:`hamming_distance`.
    """
    cv2 = require("cv2", "image")
    from labelwise.image.preprocess import to_grayscale

    g = to_grayscale(np.asarray(image))
    side = hash_size * 4
    small = cv2.resize(g, (side, side), interpolation=cv2.INTER_AREA).astype(np.float32)
    dct = cv2.dct(small)[:hash_size, :hash_size]
    flat = dct.reshape(-1)
    med = np.median(flat[1:])  # the DC term only says how bright the image is
    bits = flat > med
    return int("".join("1" if b else "0" for b in bits), 2)


def difference_hash(image: Any, *, hash_size: int = 8) -> int:
    """64-bit difference hash: whether each pixel is brighter than its right neighbour."""
    cv2 = require("cv2", "image")
    from labelwise.image.preprocess import to_grayscale

    g = to_grayscale(np.asarray(image))
    small = cv2.resize(g, (hash_size + 1, hash_size), interpolation=cv2.INTER_AREA)
    bits = (small[:, 1:] > small[:, :-1]).reshape(-1)
    return int("".join("1" if b else "0" for b in bits), 2)


def hamming_distance(a: int, b: int) -> int:
    """Number of differing bits.

    Examples
    --------
    >>> hamming_distance(0b1011, 0b0010)
    2
    """
    return int(bin(int(a) ^ int(b)).count("1"))


def image_statistics(
    source: Any,
    *,
    thumb_size: int = 96,
    hist_bins: int = 32,
    progress: bool | None = None,
) -> tuple[Any, np.ndarray, dict[str, np.ndarray]]:
    """Measure every image of a collection once.

    Returns
    -------
    stats : DataFrame
        One row per image: ``item_id, path, label, width, height, aspect_ratio, mode,
        channels, bit_depth, file_size, brightness, contrast, r_mean, g_mean, b_mean, r_std,
        g_std, b_std, colorfulness, phash, dhash, sha1, error``.
    channel_hist : array of shape (3, hist_bins)
        Pixel share per intensity bin for R, G, B, summed over all images (each image
        weighted equally).
    thumbs : dict item_id -> small RGB array
    """
    import pandas as pd

    from labelwise.image.features import _work_copy
    from labelwise.image.io import ImageCollection, load_images

    col = source if isinstance(source, ImageCollection) else load_images(source, progress=progress)
    t = col.table
    n = len(col)
    metrics = {k: np.full(n, np.nan) for k in _PIXEL_STATS}
    phash: list[str | None] = [None] * n
    dhash: list[str | None] = [None] * n
    sha1: list[str | None] = [None] * n
    errors: list[str | None] = [None] * n
    hist = np.zeros((3, hist_bins))
    thumbs: dict[str, np.ndarray] = {}
    ids = col.item_ids
    cv2 = require("cv2", "image")
    for i, img, err in col.iter_images(desc="image statistics", progress=progress):
        path = Path(t["path"].iloc[i])
        try:
            sha1[i] = hashlib.sha1(path.read_bytes()).hexdigest()
        except OSError as exc:
            errors[i] = str(exc)
        if img is None:
            errors[i] = err
            continue
        work = _work_copy(img, 256)
        gray = cv2.cvtColor(np.ascontiguousarray(work), cv2.COLOR_RGB2GRAY)
        metrics["brightness"][i] = gray.mean()
        metrics["contrast"][i] = gray.std()
        for c, name in enumerate("rgb"):
            ch = work[:, :, c]
            metrics[f"{name}_mean"][i] = ch.mean()
            metrics[f"{name}_std"][i] = ch.std()
            h = np.bincount((ch.astype(np.int64).ravel() * hist_bins) // 256, minlength=hist_bins)
            hist[c] += h / max(1, ch.size)
        r, g, b = (work[:, :, c].astype(np.float64) for c in range(3))
        rg, yb = r - g, 0.5 * (r + g) - b
        metrics["colorfulness"][i] = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(
            rg.mean(), yb.mean()
        )
        phash[i] = f"{perceptual_hash(work):016x}"
        dhash[i] = f"{difference_hash(work):016x}"
        th = work.copy()
        s = thumb_size / max(th.shape[:2])
        if s < 1:
            th = cv2.resize(
                th,
                (max(1, round(th.shape[1] * s)), max(1, round(th.shape[0] * s))),
                interpolation=cv2.INTER_AREA,
            )
        thumbs[ids[i]] = th
    n_ok = max(1, sum(e is None for e in errors))
    stats = pd.DataFrame(
        {
            "item_id": ids,
            "path": t["path"].astype(str).to_numpy(),
            "label": t["label"].to_numpy(),
            "width": t["width"].to_numpy(),
            "height": t["height"].to_numpy(),
            "aspect_ratio": (t["width"] / t["height"]).to_numpy(dtype=float),
            "mode": t["mode"].to_numpy(),
            "channels": t["channels"].to_numpy(),
            "bit_depth": t["bit_depth"].to_numpy(),
            "file_size": t["file_size"].to_numpy(),
            **metrics,
            "phash": pd.array(phash, dtype=object),
            "dhash": pd.array(dhash, dtype=object),
            "sha1": pd.array(sha1, dtype=object),
            "error": pd.array(errors, dtype=object),
        }
    )
    return stats, hist / n_ok, thumbs


def find_outliers(
    stats: Any,
    *,
    metrics: Sequence[str] = OUTLIER_METRICS,
    k: float = 1.5,
    min_images: int = 5,
    max_share: float = 0.1,
) -> Any:
    """Images whose brightness, contrast or colour is far from the rest (Tukey's fences).

    The rule, stated in each row: a value below ``Q1 - k * IQR`` or above ``Q3 + k * IQR``
    (quartiles over all images) is an outlier. Quartiles are not moved by the extreme
    images themselves, and measuring from the quartiles rather than the median keeps a
    collection made of two even groups (day and night shots) from flagging a whole group.
    ``score`` is the distance beyond the fence in IQRs. A metric on which more than
    ``max_share`` of the images would be flagged is skipped (that is a second mode, not a
    few odd images); with fewer than ``min_images`` images nothing is flagged.

    Returns
    -------
    DataFrame with columns ``item_id, metric, value, low, high, score, rule``;
    ``frame.attrs["skipped"]`` maps each metric that was not checked to the reason, and
    ``frame.attrs["checked"]`` lists the metrics that were.
    """
    import pandas as pd

    cols = ["item_id", "metric", "value", "low", "high", "score", "rule"]
    rows = []
    skipped: dict[str, str] = {}
    checked: list[str] = []
    for m in metrics:
        if m not in stats.columns:
            raise DataError(f"unknown metric {m!r}; stats has {list(stats.columns)}")
    if len(stats) < min_images:
        skipped = {
            m: f"only {len(stats)} images; the check needs at least {min_images}" for m in metrics
        }
    else:
        for m in metrics:
            x = stats[m].to_numpy(dtype=float)
            ok = np.isfinite(x)
            if ok.sum() < min_images:
                skipped[m] = f"only {int(ok.sum())} images have a value"
                continue
            q1, q3 = (float(v) for v in np.percentile(x[ok], [25, 75]))
            iqr = q3 - q1
            if iqr <= 1e-9:
                skipped[m] = "no spread (the middle half of the images have the same value)"
                continue
            low, high = q1 - k * iqr, q3 + k * iqr
            beyond = np.where(x < low, (low - x) / iqr, np.where(x > high, (x - high) / iqr, 0.0))
            hits = np.nonzero(ok & (beyond > 0))[0]
            if len(hits) > max_share * ok.sum():
                skipped[m] = (
                    f"{len(hits)} of {int(ok.sum())} images lie beyond the fences (more than "
                    f"{max_share:.0%}): a second group, not a few odd images"
                )
                continue
            checked.append(m)
            for i in hits:
                rows.append(
                    {
                        "item_id": stats["item_id"].iloc[i],
                        "metric": m,
                        "value": float(x[i]),
                        "low": low,
                        "high": high,
                        "score": float(beyond[i]),
                        "rule": f"{m} outside [Q1 - {k:g} IQR, Q3 + {k:g} IQR] = "
                        f"[{low:.4g}, {high:.4g}]",
                    }
                )
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values("score", ascending=False, ignore_index=True)
    out.attrs["skipped"] = skipped
    out.attrs["checked"] = checked
    return out


def cross_split_duplicates(dups: Any, splits: Any = None) -> Any:
    """The duplicate pairs (from :func:`find_duplicates`) whose images are in different
    dataset splits: a test image that (nearly) repeats a training image inflates scores.

    ``splits`` maps item ids to split names; by default the split is read from the item's
    path (a part named train, test, val, valid, validation or dev).

    Examples
    --------
    >>> import pandas as pd
    >>> dups = pd.DataFrame({"a": ["train/cat/1.jpg", "train/a.jpg"],
    ...                      "b": ["test/cat/9.jpg", "train/b.jpg"],
    ...                      "kind": ["near", "exact"], "distance": [3, 0]})
    >>> cross_split_duplicates(dups)[["a", "b", "split_a", "split_b"]].values.tolist()
    [['train/cat/1.jpg', 'test/cat/9.jpg', 'train', 'test']]
    """
    from pathlib import PurePosixPath

    def split_of(item: Any) -> str | None:
        if splits is not None:
            value = splits.get(item)
            return None if value is None else str(value)
        for part in PurePosixPath(str(item).replace("\\", "/")).parts[:-1]:
            name = SPLIT_NAMES.get(part.lower())
            if name is not None:
                return name
        return None

    out = dups.copy()
    out["split_a"] = [split_of(a) for a in out["a"]]
    out["split_b"] = [split_of(b) for b in out["b"]]
    mask = out["split_a"].notna() & out["split_b"].notna() & (out["split_a"] != out["split_b"])
    return out[mask].reset_index(drop=True)


def _popcount64(x: np.ndarray) -> np.ndarray:
    """Set bits per uint64 (numpy >= 2 has it built in; else count per byte)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    table = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).sum(axis=1)
    as_bytes = np.ascontiguousarray(x).view(np.uint8).reshape(*x.shape, 8)
    return table[as_bytes].sum(axis=-1)


def find_duplicates(stats: Any, *, max_distance: int = 6) -> Any:
    """Exact duplicates (identical file bytes) and near duplicates (perceptual hashes at most
    ``max_distance`` bits apart, of 64). A pair is listed once: as exact when the files are
    identical, else as near.

    Returns
    -------
    DataFrame with columns ``a, b, kind, distance`` (``kind`` is ``exact`` or ``near``).
    """
    import pandas as pd

    cols = ["a", "b", "kind", "distance"]
    rows = []
    ids = stats["item_id"].tolist()
    sha_list = stats["sha1"].tolist()
    groups: dict[str, list[int]] = {}
    for i, h in enumerate(sha_list):
        if isinstance(h, str):
            groups.setdefault(h, []).append(i)
    for members in groups.values():
        for u in range(len(members)):
            for v in range(u + 1, len(members)):
                a, b = members[u], members[v]
                rows.append({"a": ids[a], "b": ids[b], "kind": "exact", "distance": 0})
    exact = pd.DataFrame(rows, columns=cols)
    phashes = stats["phash"].tolist()
    idx = np.array([i for i, h in enumerate(phashes) if isinstance(h, str)], dtype=np.int64)
    if len(idx) < 2:
        return exact
    hashes = np.array([int(phashes[i], 16) for i in idx], dtype=np.uint64)
    # Files with the same bytes share a code; -1 means no hash (never equal to another).
    codes = {h: k for k, h in enumerate(groups)}
    sha = np.array([codes.get(h, -1) if isinstance(h, str) else -1 for h in sha_list])[idx]
    n = len(idx)
    block = max(1, 2_000_000 // n)  # rows per step: a few MB of distances at a time
    parts_a, parts_b, parts_d = [], [], []
    for start in range(0, n - 1, block):
        rows_i = np.arange(start, min(start + block, n - 1))
        # XOR + popcount: the Hamming distance of every pair in the block at once
        dist = _popcount64(hashes[rows_i, None] ^ hashes[None, start:])
        cols_j = np.arange(start, n)
        hit = (dist <= max_distance) & (cols_j[None, :] > rows_i[:, None])
        # identical files are already listed as exact
        hit &= ~((sha[rows_i, None] == sha[None, start:]) & (sha[rows_i, None] >= 0))
        r, c = np.nonzero(hit)
        if r.size:
            parts_a.append(idx[rows_i[r]])
            parts_b.append(idx[cols_j[c]])
            parts_d.append(dist[r, c])
    if not parts_a:
        return exact
    a_i, b_i, d = (np.concatenate(x) for x in (parts_a, parts_b, parts_d))
    ids_arr = np.asarray(ids, dtype=object)
    near = pd.DataFrame(
        {"a": ids_arr[a_i], "b": ids_arr[b_i], "kind": "near", "distance": d.astype(int)}
    )
    return near if exact.empty else pd.concat([exact, near], ignore_index=True)


def explore_images(
    source: Any,
    *,
    out: str | Path | None = None,
    title: str = "Image collection",
    outlier_k: float = 1.5,
    duplicate_distance: int = 6,
    max_per_class: int = 24,
    progress: bool | None = None,
) -> Any:
    """An HTML exploration report for a folder, manifest, path list or collection.

    Sections: overview and load issues; sizes and aspect ratios; channels and modes;
    per-channel intensity; class balance; outliers (with the rule); exact and near
    duplicates; a contact sheet per class.

    Returns
    -------
    labelwise.reports.Report (also saved to ``out`` when given)
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from labelwise.image.io import ImageCollection, load_images
    from labelwise.reports import Report

    col = source if isinstance(source, ImageCollection) else load_images(source, progress=progress)
    findings: dict[str, str] = {}
    stats, hist, thumbs = image_statistics(col, progress=progress)
    where = str(col.root) if col.root is not None else f"{len(col)} files"
    rep = Report(title, subtitle=f"{where}: {len(col)} images")

    # Overview
    s = rep.section("Overview")
    n_err = len(col.errors)
    labels = [v for v in col.labels if v is not None]
    s.kv(
        {
            "images loaded": len(col),
            "files skipped (unreadable)": n_err,
            "files with warnings": len({w.path for w in col.warnings}),
            "classes": len(set(labels)) if labels else "none (unlabelled)",
            "formats": ", ".join(
                f"{k} ({v})"
                for k, v in stats.assign(f=col.table["format"]).f.value_counts().items()
            ),
            "total size (MB)": round(float(col.table["file_size"].sum()) / 1e6, 3),
        }
    )
    alerts: list[tuple[str, str]] = [(i.level, f"{i.path}: {i.message}") for i in col.issues[:50]]
    if len(col.issues) > 50:
        alerts.append(("info", f"... and {len(col.issues) - 50} more issues"))
    s.alerts(alerts)

    # Sizes
    s = rep.section("Sizes and aspect ratios")
    sizes = (stats["width"].astype(str) + "x" + stats["height"].astype(str)).value_counts()
    top_share = float(sizes.iloc[0]) / len(stats)
    if len(sizes) == 1:
        s.text(f"All {len(stats)} images are {sizes.index[0]} pixels: dimensions are consistent.")
    else:
        s.text(
            f"{len(sizes)} different sizes; the most common, {sizes.index[0]}, covers "
            f"{top_share:.0%} of images. Resize or letterbox before training a fixed-input model."
        )
    s.table(sizes.rename("images").to_frame(), max_rows=15)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    axes[0].scatter(stats["width"], stats["height"], s=12, alpha=0.6, color="#4c78a8")
    axes[0].set_xlabel("width (px)")
    axes[0].set_ylabel("height (px)")
    axes[0].set_title("image sizes")
    axes[1].hist(stats["aspect_ratio"], bins=30, color="#f58518")
    axes[1].set_xlabel("width / height")
    axes[1].set_title("aspect ratio")
    s.figure(fig, caption="Width vs height, and the aspect-ratio distribution")
    s.table(
        stats[["width", "height", "aspect_ratio", "file_size"]].describe().T.round(3),
        caption="summary",
    )

    # Channels and modes
    s = rep.section("Channels and modes")
    modes = (
        stats.groupby(["mode", "channels", "bit_depth"], dropna=False)
        .size()
        .rename("images")
        .reset_index()
    )
    s.table(modes, index=False)
    if stats["channels"].nunique() > 1:
        s.alerts(
            [
                (
                    "warning",
                    "mixed channel counts (e.g. grayscale among RGB); labelwise reads all as "
                    "RGB, but check that models expect that",
                )
            ]
        )

    # Intensity
    s = rep.section("Pixel intensity")
    fig, ax = plt.subplots(figsize=(6, 3))
    centers = (np.arange(hist.shape[1]) + 0.5) * 256 / hist.shape[1]
    for c, color in enumerate(("#d62728", "#2ca02c", "#1f77b4")):
        ax.plot(centers, hist[c], color=color, label="RGB"[c])
    ax.set_xlabel("intensity")
    ax.set_ylabel("share of pixels")
    ax.legend()
    s.figure(fig, caption="Per-channel intensity histograms (mean over images)")
    s.table(
        stats[list(_PIXEL_STATS)].describe().T.round(2),
        caption="per-image statistics",
    )

    # Class balance
    s = rep.section("Class balance")
    if labels:
        counts = pd.Series(labels).value_counts()
        s.table(counts.rename("images").to_frame(), max_rows=50)
        fig, ax = plt.subplots(figsize=(6, max(2.0, 0.3 * len(counts))))
        ax.barh(counts.index.astype(str)[::-1], counts.to_numpy()[::-1], color="#54a24b")
        ax.set_xlabel("images")
        s.figure(fig, caption="Images per class")
        ratio = counts.max() / max(1, counts.min())
        if ratio >= 3:
            s.alerts([("warning", f"imbalanced: the largest class has {ratio:.1f}x the smallest")])
    else:
        s.text("No classes: load a folder with class sub-folders or a manifest with labels.")

    # Outliers
    s = rep.section("Outliers")
    outliers = find_outliers(stats, k=outlier_k)
    if len(outliers):
        s.text(
            f"{outliers['item_id'].nunique()} image(s) unusual in brightness, contrast or "
            "colour. Rule per row."
        )
        s.table(outliers, index=False, max_rows=40)
        s.image_grid(
            [
                (thumbs[i], f"{i} ({m})")
                for i, m in outliers.drop_duplicates("item_id")[["item_id", "metric"]]
                .head(24)
                .itertuples(index=False)
                if i in thumbs
            ]
        )
    elif outliers.attrs.get("checked"):
        s.text(
            f"No image lies beyond Q1 - {outlier_k:g} IQR or Q3 + {outlier_k:g} IQR on "
            f"{', '.join(outliers.attrs['checked'])}."
        )
    skipped = outliers.attrs.get("skipped") or {}
    if skipped:
        s.alerts(
            [
                ("warning", f"outlier check skipped on {metric}: {why}")
                for metric, why in skipped.items()
            ]
        )
    checked = outliers.attrs.get("checked") or []
    if len(outliers):
        findings["outliers"] = f"{outliers['item_id'].nunique()} image(s)"
    elif checked:
        findings["outliers"] = "none found on " + ", ".join(checked)
    else:
        reasons = sorted(set(skipped.values()))
        findings["outliers"] = "skipped (" + "; ".join(reasons) + ")"
    if skipped and checked:
        findings["outliers"] += "; skipped on " + ", ".join(
            f"{m} ({why})" for m, why in skipped.items()
        )

    # Duplicates
    s = rep.section("Duplicates")
    dups = find_duplicates(stats, max_distance=duplicate_distance)
    if len(dups):
        n_exact = int((dups["kind"] == "exact").sum())
        s.text(
            f"{n_exact} exact duplicate pairs (identical files) and {len(dups) - n_exact} near "
            f"duplicate pairs (perceptual hashes within {duplicate_distance} of 64 bits)."
        )
        s.table(dups, index=False, max_rows=40)
        grid = []
        for a, b, kind, d in dups.head(12).itertuples(index=False):
            if a in thumbs and b in thumbs:
                grid += [(thumbs[a], f"{a}"), (thumbs[b], f"{b} ({kind}, {d})")]
        s.image_grid(grid)
        leaks = cross_split_duplicates(dups)
        if len(leaks):
            s.alerts(
                [
                    (
                        "warning",
                        f"{len(leaks)} duplicate pairs cross dataset splits (e.g. train and "
                        "test): test scores will be inflated; remove one image of each pair",
                    )
                ]
            )
            s.table(leaks, index=False, max_rows=100)
            findings["cross-split duplicates"] = "; ".join(
                f"{a} ~ {b}" for a, b in leaks[["a", "b"]].head(10).itertuples(index=False)
            ) + (f" and {len(leaks) - 10} more" if len(leaks) > 10 else "")
            findings["n_cross_split"] = str(len(leaks))
    else:
        s.text("No exact or near duplicates found.")

    # Contact sheets
    s = rep.section("Contact sheets")
    by_class: dict[str, list[str]] = {}
    for item, lab in zip(col.item_ids, col.labels, strict=True):
        by_class.setdefault(lab if lab is not None else "(unlabelled)", []).append(item)
    for lab, items in sorted(by_class.items()):
        s.heading(f"{lab}: {len(items)} images")
        s.image_grid([(thumbs[i], i) for i in items[:max_per_class] if i in thumbs])

    if col.issues:
        s = rep.section("Load issues")
        s.table(col.issues_frame(), index=False, max_rows=200)
    #: What the checks found, in words (the CLI prints it).
    rep.findings = findings  # type: ignore[attr-defined]
    if out is not None:
        rep.save(out)
    return rep
