"""``labelwise video explore``: one HTML report over a folder of videos.

Per-video metadata table, distributions (duration, fps, size, bit rate), per-class
aggregates (class = parent folder), a frame strip per video, brightness and motion-energy
curves over time with scene cuts marked, near-duplicate videos (by the perceptual hashes
of their frame strips), and the files that failed with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import require
from labelwise.faults import FaultLog

__all__ = ["ExploreResult", "explore_videos"]


@dataclass
class ExploreResult:
    table: Any
    curves: dict[str, Any]
    duplicates: list[tuple[str, str, float, float]]
    faults: FaultLog = field(default_factory=FaultLog)
    report: Any = None


def _strip(frames: list[np.ndarray], n: int = 6) -> np.ndarray:
    cv2 = require("cv2", "video")
    if not frames:
        return np.zeros((60, 80, 3), np.uint8)
    idx = np.linspace(0, len(frames) - 1, min(n, len(frames))).round().astype(int)
    tiles = [cv2.resize(frames[i], (96, 72), interpolation=cv2.INTER_AREA) for i in idx]
    return np.hstack(tiles)


def explore_videos(
    paths: Iterable[str | Path],
    *,
    out: str | Path | None = None,
    title: str = "Video collection",
    every_seconds: float = 0.5,
    max_frames: int = 240,
    duplicate_distance: float = 8.0,
    max_colour_distance: float = 0.15,
    progress: bool | None = None,
) -> ExploreResult:
    """Probe and sample every video, build the report (saved to ``out`` when given)."""
    import pandas as pd

    from labelwise.progress import progress as bar
    from labelwise.reports import Report
    from labelwise.video.cluster import dhash
    from labelwise.video.features import video_frame_features
    from labelwise.video.io import iter_frames, probe, scene_change_score

    faults = FaultLog()
    rows = []
    curves: dict[str, Any] = {}
    strips: dict[str, np.ndarray] = {}
    hashes: dict[str, list[int]] = {}
    thumbs: dict[str, list[np.ndarray]] = {}
    paths = list(paths)
    for p in bar(paths, total=len(paths), desc="explore", unit="video", enabled=progress):
        name = str(p)
        try:
            info = probe(p)
            df = video_frame_features(
                p, every_seconds=every_seconds, max_frames=max_frames, flow=False
            )
            frames = [
                f.image
                for f in iter_frames(
                    p,
                    times=np.linspace(0, max(info.duration - 1e-3, 0), 6).tolist(),
                    size=(160, 120),
                )
            ]
        except Exception as exc:
            faults.record(exc, item=name, source="explore")
            continue
        for w in info.warnings:
            faults.warn(name, "warning", w, source="explore")
        row = info.to_dict()
        row["label"] = Path(p).parent.name
        row["brightness_mean"] = float(df["brightness"].mean()) if len(df) else np.nan
        row["motion_energy_mean"] = (
            float(df["motion_energy"].mean()) if "motion_energy" in df else 0.0
        )
        row["scene_count"] = int(1 + df["scene_cut"].sum()) if len(df) else 0
        rows.append(row)
        curves[name] = df
        strips[name] = _strip(frames)
        hashes[name] = [dhash(f) for f in frames]
        thumbs[name] = frames
    table = pd.DataFrame(rows)
    dups = []
    names = list(hashes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            ha, hb = hashes[a], hashes[b]
            if len(ha) and len(ha) == len(hb):
                d = float(np.mean([bin(x ^ y).count("1") for x, y in zip(ha, hb, strict=True)]))
                if d > duplicate_distance:
                    continue
                # structure alone can match two flat videos: the colours must match too
                colour = float(
                    np.mean(
                        [
                            scene_change_score(x, y)
                            for x, y in zip(thumbs[a], thumbs[b], strict=True)
                        ]
                    )
                )
                if colour <= max_colour_distance:
                    dups.append((a, b, d, colour))
    rep = Report(title, subtitle=f"{len(table)} videos read, {len(faults.failed_items())} failed")
    s = rep.section("Overview")
    if len(table):
        s.kv(
            {
                "videos": len(table),
                "total duration (s)": round(float(table["duration"].sum()), 2),
                "variable frame rate": int(table["variable_fps"].sum()),
                "rotated": int((table["rotation"] != 0).sum()),
                "with audio": int(table["has_audio"].sum()),
                "codecs": ", ".join(sorted(table["codec"].unique())),
            }
        )
        cols = ["path", "label", "duration", "fps", "variable_fps", "frame_count", "width",
                "height", "rotation", "codec", "has_audio", "keyframes", "scene_count"]  # fmt: skip
        s.table(table[cols])
    else:
        s.alerts([("error", "no video could be read")])
    if len(table):
        require("matplotlib", "report").use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 4, figsize=(14, 3))
        for ax, col in zip(axes, ["duration", "fps", "bit_rate", "brightness_mean"], strict=True):
            vals = pd.to_numeric(table[col], errors="coerce").dropna()
            ax.hist(vals, bins=min(20, max(3, len(vals))), color="#0969da")
            ax.set_title(col, fontsize=10)
        fig.tight_layout()
        rep.section("Distributions").figure(fig)
        if table["label"].nunique() > 1:
            agg = table.groupby("label").agg(
                videos=("path", "count"),
                duration_mean=("duration", "mean"),
                fps_mean=("fps", "mean"),
                brightness=("brightness_mean", "mean"),
                motion=("motion_energy_mean", "mean"),
                scenes=("scene_count", "mean"),
            )
            rep.section("Per class").table(agg.reset_index())
        sec = rep.section("Frame strips and curves")
        for name, df in curves.items():
            sec.heading(Path(name).name)
            sec.image(strips[name], caption="frames across the video")
            if len(df):
                fig, ax = plt.subplots(figsize=(9, 2.2))
                ax.plot(df["time"], df["brightness"], label="brightness", color="#0969da")
                if "motion_energy" in df:
                    ax.plot(
                        df["time"],
                        df["motion_energy"].fillna(0),
                        label="motion energy",
                        color="#cf222e",
                    )
                for t in df.loc[df["scene_cut"], "time"]:
                    ax.axvline(t, color="#1a7f37", linestyle="--", linewidth=1)
                ax.set_xlabel("seconds (green: scene cuts)")
                ax.legend(fontsize=8, loc="upper right")
                fig.tight_layout()
                sec.figure(fig)
        ds = rep.section("Near-duplicate videos")
        if dups:
            ds.table(
                pd.DataFrame(
                    dups, columns=["video", "duplicate of", "mean hash bits", "colour distance"]
                )
            )
        else:
            ds.text(
                f"No two videos within {duplicate_distance} bits (compared {len(names)} videos)."
            )
    fs = rep.section("Problems")
    fs.alerts([("error" if f.severity == "error" else "warning", str(f)) for f in faults])
    if out is not None:
        rep.save(out)
    return ExploreResult(table, curves, dups, faults, rep)
