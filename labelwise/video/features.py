"""Frame and clip features: colour, HOG, motion energy, dense optical flow; rule primitives.

:func:`frame_features` describes sampled frames (one row per frame: brightness, contrast,
colour histogram, HOG summary, edge density, motion energy and Farneback optical flow
against the previous sampled frame: mean magnitude and an 8-bin direction histogram).
:func:`clip_features` aggregates them per video (one row per file, with probe facts and a
scene count) into the table that ``labelwise label --rules`` and the video rule primitives
(:func:`is_static`, :func:`high_motion`, :func:`is_dark`, :func:`scene_count_at_least`)
read. Frames stream through; a video that fails becomes a fault and the batch goes on.

Examples
--------
>>> img = np.zeros((48, 64, 3), np.uint8)
>>> f = frame_features(img)
>>> f["brightness"], f["contrast"]
(0.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import require
from labelwise.faults import FaultLog
from labelwise.labeling.lf import VectorizedLabelingFunction, threshold

__all__ = [
    "FLOW_BINS",
    "clip_features",
    "decoder_motion",
    "frame_features",
    "high_motion",
    "is_dark",
    "is_static",
    "optical_flow",
    "scene_count_at_least",
    "video_frame_features",
]

FLOW_BINS = 8
_WORK = (160, 120)


def _cv2() -> Any:
    return require("cv2", "video")


def _gray(img: np.ndarray) -> np.ndarray:
    cv2 = _cv2()
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def optical_flow(prev_gray: np.ndarray, gray: np.ndarray) -> dict[str, float]:
    """Dense Farneback flow between two grayscale frames: mean magnitude (pixels at the
    160-pixel working width), its 90th percentile, and a magnitude-weighted direction
    histogram (``flow_dir_0`` .. ``flow_dir_7``, 45 degrees each, summing to 1)."""
    cv2 = _cv2()
    a = cv2.resize(prev_gray, _WORK, interpolation=cv2.INTER_AREA)
    b = cv2.resize(gray, _WORK, interpolation=cv2.INTER_AREA)
    flow = cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
    mag, ang = cv2.cartToPolar(flow[..., 0], flow[..., 1])
    hist, _ = np.histogram(ang, bins=FLOW_BINS, range=(0, 2 * np.pi), weights=mag)
    total = float(hist.sum())
    out = {"flow_mag": float(mag.mean()), "flow_p90": float(np.percentile(mag, 90))}
    for i in range(FLOW_BINS):
        out[f"flow_dir_{i}"] = float(hist[i] / total) if total > 0 else 0.0
    return out


def frame_features(
    img: np.ndarray, prev: np.ndarray | None = None, *, bins: int = 4, flow: bool = True
) -> dict[str, float]:
    """Features of one RGB frame; motion ones (``motion_energy``, flow) need ``prev``."""
    cv2 = _cv2()
    small = (
        cv2.resize(img, _WORK, interpolation=cv2.INTER_AREA) if img.shape[1] != _WORK[0] else img
    )
    gray = _gray(small)
    out: dict[str, float] = {
        "brightness": float(gray.mean() / 255.0),
        "contrast": float(gray.std() / 255.0),
        "dark_share": float((gray < 50).mean()),
        "bright_share": float((gray > 205).mean()),
    }
    edges = cv2.Canny(gray, 100, 200)
    out["edge_density"] = float((edges > 0).mean())
    if small.ndim == 3:
        hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
        out["saturation"] = float(hsv[..., 1].mean() / 255.0)
        h = cv2.calcHist([hsv], [0], None, [bins * 2], [0, 180]).ravel()
        h = h / max(float(h.sum()), 1.0)
        for i, v in enumerate(h):
            out[f"hue_{i}"] = float(v)
        for c, name in enumerate("rgb"):
            out[f"mean_{name}"] = float(small[..., c].mean() / 255.0)
    from labelwise.image.features import hog_descriptor

    hog = hog_descriptor(gray)
    out["hog_mean"] = float(hog.mean())
    out["hog_std"] = float(hog.std())
    if prev is not None:
        pg = _gray(cv2.resize(prev, _WORK, interpolation=cv2.INTER_AREA))
        out["motion_energy"] = float(np.abs(gray.astype(np.int16) - pg).mean() / 255.0)
        if flow:
            out.update(optical_flow(pg, gray))
    return out


def video_frame_features(
    path: str | Path,
    *,
    every: int | None = None,
    every_seconds: float | None = None,
    max_frames: int | None = None,
    flow: bool = True,
    scene_threshold: float = 0.4,
) -> Any:
    """One row per sampled frame of ``path`` (``frame``, ``time`` and the features), with
    ``scene_cut`` true where the colour histogram jumps by more than ``scene_threshold``."""
    import pandas as pd

    from labelwise.video.io import iter_frames, scene_change_score

    rows = []
    prev = None
    for fr in iter_frames(
        path, every=every, every_seconds=every_seconds, max_frames=max_frames, size=_WORK
    ):
        row: dict[str, Any] = {"frame": fr.index, "time": fr.time}
        row.update(frame_features(fr.image, prev, flow=flow))
        row["scene_cut"] = bool(
            prev is not None and scene_change_score(prev, fr.image) >= scene_threshold
        )
        rows.append(row)
        prev = fr.image
    return pd.DataFrame(rows)


def clip_features(
    paths: Iterable[str | Path],
    *,
    every: int | None = None,
    every_seconds: float | None = 0.5,
    max_frames: int | None = 400,
    flow: bool = True,
    faults: FaultLog | None = None,
    progress: bool | None = None,
    static_motion: float = 0.005,
) -> Any:
    """One row per video: probe facts and per-clip aggregates of :func:`frame_features`.

    Columns include ``duration``, ``fps``, ``width``, ``height``, ``rotation``,
    ``has_audio``, ``brightness_mean``/``_std``, ``motion_energy_mean``/``_max``,
    ``flow_mag_mean``, ``static_share`` (sampled frames with motion energy below
    ``static_motion``), ``dark_share_mean``, ``scene_count`` and the mean colour
    histogram. Failed files are recorded in ``faults`` (and left out).
    """
    import pandas as pd

    from labelwise.progress import progress as bar
    from labelwise.video.io import VideoError, probe

    log = faults if faults is not None else FaultLog()
    rows = []
    paths = list(paths)
    for p in bar(paths, total=len(paths), desc="features", unit="video", enabled=progress):
        try:
            info = probe(p)
            df = video_frame_features(
                p, every=every, every_seconds=None if every else every_seconds,
                max_frames=max_frames, flow=flow,
            )  # fmt: skip
        except (VideoError, OSError) as exc:
            log.record(exc, item=str(p), source="features")
            continue
        except Exception as exc:  # a decoder or OpenCV failure on one file
            log.record(exc, item=str(p), source="features")
            continue
        row: dict[str, Any] = {
            "path": str(p),
            "video": Path(p).name,
            "label": Path(p).parent.name,
            "duration": info.duration,
            "fps": info.fps,
            "frames": info.frame_count,
            "width": info.width,
            "height": info.height,
            "rotation": info.rotation,
            "variable_fps": info.variable_fps,
            "has_audio": info.has_audio,
            "codec": info.codec,
            "sampled_frames": len(df),
        }
        if len(df):
            for c in ("brightness", "contrast", "saturation", "edge_density", "dark_share"):
                if c in df:
                    row[f"{c}_mean"] = float(df[c].mean())
            row["brightness_std"] = float(df["brightness"].std(ddof=0))
            me: np.ndarray = (
                df["motion_energy"].dropna().to_numpy(dtype=float)
                if "motion_energy" in df
                else np.zeros(0)
            )
            row["motion_energy_mean"] = float(me.mean()) if len(me) else 0.0
            row["motion_energy_max"] = float(me.max()) if len(me) else 0.0
            row["static_share"] = float((me < static_motion).mean()) if len(me) else 1.0
            if "flow_mag" in df:
                fm = df["flow_mag"].dropna()
                row["flow_mag_mean"] = float(fm.mean()) if len(fm) else 0.0
                for i in range(FLOW_BINS):
                    row[f"flow_dir_{i}"] = float(df[f"flow_dir_{i}"].mean())
            row["scene_count"] = int(1 + df["scene_cut"].sum())
            for c in df.columns:
                if c.startswith("hue_"):
                    row[c] = float(df[c].mean())
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- rule primitives
def is_static(
    label: int, *, max_motion: float = 0.005, min_share: float = 0.9
) -> VectorizedLabelingFunction:
    """Vote ``label`` where at least ``min_share`` of sampled frames barely change
    (``static_share`` column of :func:`clip_features`; ``max_motion`` is documentation of
    the threshold the table was built with)."""
    del max_motion
    return threshold("static_share", ">=", min_share, label, name=f"static>={min_share:g}")


def high_motion(label: int, *, min_energy: float = 0.05) -> VectorizedLabelingFunction:
    """Vote ``label`` where the mean motion energy reaches ``min_energy`` (0..1)."""
    return threshold("motion_energy_mean", ">=", min_energy, label, name=f"motion>={min_energy:g}")


def is_dark(label: int, *, max_brightness: float = 0.25) -> VectorizedLabelingFunction:
    """Vote ``label`` where the mean brightness is below ``max_brightness`` (0..1).

    Examples
    --------
    >>> import pandas as pd
    >>> is_dark(1).apply_frame(pd.DataFrame({"brightness_mean": [0.1, 0.6]})).tolist()
    [1, -1]
    """
    return threshold("brightness_mean", "<", max_brightness, label, name=f"dark<{max_brightness:g}")


def scene_count_at_least(n: int, label: int) -> VectorizedLabelingFunction:
    """Vote ``label`` where the clip has at least ``n`` scenes (cuts + 1)."""
    return threshold("scene_count", ">=", n, label, name=f"scenes>={n}")


def decoder_motion(path: str | Path, *, max_frames: int | None = None) -> Any:
    """Motion vectors the decoder already computed (H.264/MPEG-4/HEVC P and B frames), per
    frame: ``mv_count``, mean and max vector length in pixels, mean ``mv_dx``/``mv_dy``.

    Cheap: no optical flow, just what decoding produces anyway (ffmpeg's ``export_mvs``).
    Key frames and codecs without motion vectors give ``mv_count`` 0.
    """
    import pandas as pd

    from labelwise.video.io import _build_index, _open

    p = Path(path)
    c = _open(p)
    idx = _build_index(p)
    rows = []
    try:
        stream = c.streams.video[0]
        stream.codec_context.options = {"flags2": "+export_mvs"}
        stream.thread_type = "AUTO"
        for n, f in enumerate(c.decode(stream)):
            if max_frames is not None and n >= max_frames:
                break
            mv = next((d for d in f.side_data if "MOTION" in str(d.type)), None)
            row: dict[str, Any] = {"frame": idx.index_of(f.pts), "mv_count": 0}
            if mv is not None:
                a = mv.to_ndarray()
                if len(a):
                    scale = np.maximum(a["motion_scale"].astype(np.float64), 1.0)
                    dx = a["motion_x"] / scale
                    dy = a["motion_y"] / scale
                    length = np.hypot(dx, dy)
                    row.update(
                        mv_count=len(a),
                        mv_mean=float(length.mean()),
                        mv_max=float(length.max()),
                        mv_dx=float(dx.mean()),
                        mv_dy=float(dy.mean()),
                    )
            rows.append(row)
    finally:
        c.close()
    return pd.DataFrame(rows)
