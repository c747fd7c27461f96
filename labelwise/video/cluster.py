"""Frame clustering, near-duplicate suppression and contact sheets.

Videos are thousands of near-identical frames; a person should see one frame per shot.
:class:`FrameDeduplicator` drops a frame whose 64-bit difference hash is within
``max_distance`` bits of the last kept frame (so each shot yields one frame, and a shot
that comes back later yields another). :func:`cluster_frames` samples frames, removes near
duplicates, describes each frame (colour histogram + HOG, standardized), chooses ``k`` the
way tabular clustering does (:func:`labelwise.learn.cluster.score_k_range`: inertia,
silhouette, Davies-Bouldin, Dunn), and returns a table, contact sheets per cluster and
:meth:`FrameClusters.name_clusters` to name clusters from a few labeled frames.

Examples
--------
>>> a = np.zeros((40, 40, 3), np.uint8); b = a.copy(); b[:, 20:] = 255
>>> d = FrameDeduplicator(max_distance=4)
>>> [d.is_new(x) for x in (a, a, b, b, a)]
[True, False, True, False, True]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError, require
from labelwise.faults import FaultLog

__all__ = ["FrameClusters", "FrameDeduplicator", "cluster_frames", "dhash", "frame_descriptor"]


def dhash(img: np.ndarray) -> int:
    """64-bit difference hash of an image (robust to small changes, scale and noise)."""
    cv2 = require("cv2", "video")
    g = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(g, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).ravel()
    return int(sum(1 << i for i, b in enumerate(bits) if b))


class FrameDeduplicator:
    """Keep a frame only when it differs from the last kept one by more than
    ``max_distance`` bits of :func:`dhash` (0..64)."""

    def __init__(self, max_distance: float = 6) -> None:
        if not 0 <= max_distance <= 64:
            raise DataError(f"max_distance must lie in 0..64 bits, got {max_distance}")
        self.max_distance = max_distance
        self._last: int | None = None
        self.kept = 0
        self.dropped = 0

    def is_new(self, img: np.ndarray) -> bool:
        h = dhash(img)
        if self._last is not None and bin(h ^ self._last).count("1") <= self.max_distance:
            self.dropped += 1
            return False
        self._last = h
        self.kept += 1
        return True


def frame_descriptor(img: np.ndarray) -> np.ndarray:
    """Appearance descriptor: HSV colour histogram (8x4x4) + HOG of a 32x32 gray copy."""
    cv2 = require("cv2", "video")
    from labelwise.image.features import hog_descriptor

    small = cv2.resize(img, (64, 48), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    h = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256]).ravel()
    h = h / max(float(h.sum()), 1.0)
    g = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    return np.concatenate([np.sqrt(h), hog_descriptor(g) * 0.5]).astype(np.float64)


@dataclass
class FrameClusters:
    """Clustered frames: ``table`` has ``video``, ``frame``, ``time``, ``cluster``."""

    table: Any
    k: int
    selection: Any
    thumbs: dict[tuple[str, int], np.ndarray] = field(repr=False, default_factory=dict)
    faults: FaultLog = field(default_factory=FaultLog)
    dropped_duplicates: int = 0
    names: dict[int, str] = field(default_factory=dict)

    def name_clusters(self, labeled: Mapping[tuple[str, int], str]) -> dict[int, str]:
        """Name each cluster by the majority label of its labeled frames
        (``{(video name, frame): label}``); clusters with none stay unnamed."""
        votes: dict[int, Counter[str]] = {}
        t = self.table
        for (video, frame), label in labeled.items():
            hit = t[(t["video"] == video) & (t["frame"] == frame)]
            if len(hit):
                votes.setdefault(int(hit["cluster"].iloc[0]), Counter())[label] += 1
        self.names = {c: cnt.most_common(1)[0][0] for c, cnt in votes.items()}
        self.table["cluster_name"] = [self.names.get(int(c)) for c in self.table["cluster"]]
        return self.names

    def report(self, path: str | Path, *, per_cluster: int = 24) -> Path:
        """HTML with the k-selection curves and one contact sheet per cluster."""
        from labelwise.reports import Report

        rep = Report("Frame clusters", subtitle=f"{len(self.table)} frames, k = {self.k}")
        s = rep.section("Choosing k")
        s.text(f"{self.dropped_duplicates} near-duplicate frames were dropped before clustering.")
        if self.selection is not None:
            s.table(self.selection.to_frame())
            try:
                s.figure(self.selection.plot(chosen=self.k))
            except Exception as exc:  # matplotlib missing: the table still tells
                s.text(f"(no plot: {exc})", muted=True)
        for c in sorted(self.table["cluster"].unique()):
            rows = self.table[self.table["cluster"] == c]
            name = self.names.get(int(c))
            sec = rep.section(f"Cluster {c}" + (f": {name}" if name else "") + f" ({len(rows)})")
            sec.image_grid(
                (self.thumbs[(r.video, int(r.frame))], f"{r.video} #{int(r.frame)}")
                for r in rows.head(per_cluster).itertuples()
                if (r.video, int(r.frame)) in self.thumbs
            )
        if len(self.faults):
            rep.section("Failed videos").alerts([("error", str(f)) for f in self.faults])
        return rep.save(path)


def cluster_frames(
    paths: Iterable[str | Path],
    *,
    k: int | None = None,
    ks: Iterable[int] = range(2, 9),
    every_seconds: float = 1.0,
    max_frames: int = 300,
    dedup: float | None = 6,
    select_by: str = "silhouette",
    features: str = "classical",
    seed: int = 0,
    progress: bool | None = None,
) -> FrameClusters:
    """Sample, deduplicate, describe and cluster frames of ``paths`` (see module doc).

    ``features="classical"`` describes frames by colour histogram + HOG;
    ``features="autoencoder"`` trains a small convolutional autoencoder on the sampled
    frames (:class:`labelwise.video.classify.FrameAutoencoder`) and clusters its codes.
    """
    if features not in ("classical", "autoencoder"):
        raise DataError(f"features must be 'classical' or 'autoencoder', got {features!r}")
    import pandas as pd
    from sklearn.preprocessing import StandardScaler

    from labelwise.learn.cluster import score_k_range
    from labelwise.progress import progress as bar
    from labelwise.video.io import iter_frames

    faults = FaultLog()
    rows, feats = [], []
    thumbs: dict[tuple[str, int], np.ndarray] = {}
    dropped = 0
    paths = list(paths)
    for p in bar(paths, total=len(paths), desc="frames", unit="video", enabled=progress):
        dd = FrameDeduplicator(dedup) if dedup is not None else None
        try:
            for fr in iter_frames(
                p, every_seconds=every_seconds, max_frames=max_frames, size=(160, 120)
            ):
                if dd is not None and not dd.is_new(fr.image):
                    continue
                rows.append(
                    {"video": Path(p).name, "path": str(p), "frame": fr.index, "time": fr.time}
                )
                feats.append(frame_descriptor(fr.image))
                thumbs[(Path(p).name, fr.index)] = fr.image
        except Exception as exc:
            faults.record(exc, item=str(p), source="cluster")
        if dd is not None:
            dropped += dd.dropped
    if len(rows) < 2:
        raise DataError(
            f"only {len(rows)} distinct frame(s) to cluster; give more or longer videos, a "
            "smaller --every-seconds or a smaller --dedup"
        )
    if features == "autoencoder":
        from labelwise.video.classify import FrameAutoencoder

        imgs = np.stack([thumbs[(str(r["video"]), int(r["frame"]))] for r in rows])  # type: ignore[call-overload]
        feats = list(FrameAutoencoder(epochs=15, seed=seed).fit(imgs).codes(imgs))
    X = StandardScaler().fit_transform(np.vstack(feats))
    X = np.nan_to_num(X)
    table = pd.DataFrame(rows)
    selection = None
    if k is None:
        cand = [kk for kk in ks if 2 <= kk < len(X)]
        if not cand:
            k = 1
        else:
            selection = score_k_range(X, cand, seed=seed, progress=progress)
            k = selection.best_k(select_by)  # type: ignore[arg-type]
    if k < 1 or k > len(X):
        raise DataError(f"k={k} must lie in 1..{len(X)} (the number of distinct frames)")
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(X)
    table["cluster"] = km.labels_.astype(int)
    d = km.transform(X)
    table["distance"] = d[np.arange(len(X)), km.labels_]
    table = table.sort_values(["cluster", "distance"]).reset_index(drop=True)
    return FrameClusters(table, int(k), selection, thumbs, faults, dropped)
