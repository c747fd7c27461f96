"""Video tracks of the ``video_boxes`` control: sampled frames, dense boxes, canonical keyframes.

A video item's data holds ``width``, ``height``, ``fps``, ``frames`` (frame count of the
source video) and, when only some frames were labeled, ``frame_step`` (every N-th frame)
and ``frame_start`` (first labeled frame). Frame numbers everywhere are the *source* video's
(0-based), never positions in the sample: with ``frame_step: 5`` the labeled frames are
0, 5, 10, ...

A track is ``{"track": id, "label": name, "keyframes": [{"frame", "x", "y", "w", "h",
"outside"?}]}``; boxes between keyframes are linear (:func:`interpolate_track`). Frame-based
formats (MOT, COCO per frame) store the box at every labeled frame; reading them back gives
the *canonical* form (:func:`canonical_keyframes`): a keyframe at every labeled frame where
the object is visible and an ``outside`` keyframe at the first labeled frame after each
visible run. Both forms show the same box at every labeled frame (:func:`dense_track`).

Examples
--------
>>> kfs = [{"frame": 0, "x": 0, "y": 0, "w": 4, "h": 4},
...        {"frame": 4, "x": 8, "y": 0, "w": 4, "h": 4, "outside": True}]
>>> dense_track(kfs, [0, 2, 4, 6])
{0: (0.0, 0.0, 4.0, 4.0), 2: (4.0, 0.0, 4.0, 4.0)}
>>> canonical_keyframes(dense_track(kfs, [0, 2, 4, 6]), [0, 2, 4, 6])[-1]
{'frame': 4, 'x': 4.0, 'y': 0.0, 'w': 4.0, 'h': 4.0, 'outside': True}
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.schema import Control, LabelConfig

__all__ = [
    "Box4",
    "canonical_keyframes",
    "dense_track",
    "pick_annotation",
    "sampled_frames",
    "video_control",
    "video_meta",
]

Box4 = tuple[float, float, float, float]


def _int(v: Any, default: int) -> int:
    if isinstance(v, bool) or v is None:
        return default
    if isinstance(v, (int, float)) and math.isfinite(v):
        return int(v)
    return default


def video_meta(item: Item) -> dict[str, Any]:
    """``width``, ``height``, ``fps``, ``frames``, ``frame_step``, ``frame_start`` of an item."""
    d = item.data
    return {
        "width": d.get("width"),
        "height": d.get("height"),
        "fps": d.get("fps"),
        "frames": _int(d.get("frames"), 0),
        "frame_step": max(1, _int(d.get("frame_step"), 1)),
        "frame_start": max(0, _int(d.get("frame_start"), 0)),
    }


def sampled_frames(item: Item, tracks: Sequence[Mapping[str, Any]] = ()) -> range:
    """Source frame numbers that were labeled: ``frame_start, +frame_step, ...`` below
    ``frames``. Without a frame count, up to the last keyframe of ``tracks``."""
    m = video_meta(item)
    n = m["frames"]
    if n <= 0:
        last = max((int(k["frame"]) for t in tracks for k in t["keyframes"]), default=-1)
        n = last + 1
    return range(m["frame_start"], n, m["frame_step"])


def video_control(config: LabelConfig, what: str) -> Control:
    """The (first) ``video_boxes`` control, or a :class:`FormatError` naming ``what``."""
    cs = config.controls_of_type("video_boxes")
    if not cs:
        raise FormatError(f"{what} needs a video_boxes control in the label config")
    return cs[0]


def pick_annotation(item: Item, *, source: str = "annotations") -> Annotation | None:
    """The annotation a single-answer format exports: the first one (or first prediction)."""
    anns = item.predictions if source == "predictions" else item.annotations
    return anns[0] if anns else None


def dense_track(keyframes: Sequence[Mapping[str, Any]], frames: Iterable[int]) -> dict[int, Box4]:
    """``frame -> (x, y, w, h)`` at each of ``frames`` where the object is visible.

    The same line as :func:`~labelwise.geometry.interpolate_track`, computed as
    ``L + (R - L) * (f - f0) / (f1 - f0)`` so that a box on a straight line at whole-pixel
    (or any representable) positions comes out exactly (``t * (R - L)`` with ``t = k / n``
    can miss by one unit in the last place), in time proportional to the visible frames.
    """
    grid: Sequence[int] = frames if isinstance(frames, range) else sorted(frames)
    kfs = sorted(keyframes, key=lambda k: int(k["frame"]))
    out: dict[int, Box4] = {}
    for i, left in enumerate(kfs):
        if left.get("outside"):
            continue
        f0 = int(left["frame"])
        right = kfs[i + 1] if i + 1 < len(kfs) else None
        lo = bisect.bisect_left(grid, f0)
        hi = len(grid) if right is None else bisect.bisect_left(grid, int(right["frame"]))
        lv = [float(left[k]) for k in ("x", "y", "w", "h")]
        if right is None:
            box = (lv[0], lv[1], lv[2], lv[3])
            for j in range(lo, hi):
                out[int(grid[j])] = box
            continue
        f1 = int(right["frame"])
        rv = [float(right[k]) for k in ("x", "y", "w", "h")]
        for j in range(lo, hi):
            f = int(grid[j])
            if f == f0:
                out[f] = (lv[0], lv[1], lv[2], lv[3])
                continue
            k, n = f - f0, f1 - f0
            out[f] = (
                lv[0] + (rv[0] - lv[0]) * k / n,
                lv[1] + (rv[1] - lv[1]) * k / n,
                lv[2] + (rv[2] - lv[2]) * k / n,
                lv[3] + (rv[3] - lv[3]) * k / n,
            )
    return out


def canonical_keyframes(boxes: Mapping[int, Box4], frames: Sequence[int]) -> list[dict[str, Any]]:
    """Keyframes at every frame of ``boxes`` plus an ``outside`` keyframe at the first of
    ``frames`` after each visible run (with the run's last box)."""
    if not boxes:
        return []
    order: Sequence[int] = frames if isinstance(frames, range) else sorted(frames)
    out: list[dict[str, Any]] = []
    keys = sorted(boxes)
    for j, f in enumerate(keys):
        x, y, w, h = boxes[f]
        out.append({"frame": int(f), "x": x, "y": y, "w": w, "h": h})
        k = bisect.bisect_right(order, f)  # the next labeled frame after f
        nxt = order[k] if k < len(order) else None
        following = keys[j + 1] if j + 1 < len(keys) else None
        if nxt is not None and following != nxt:
            out.append({"frame": int(nxt), "x": x, "y": y, "w": w, "h": h, "outside": True})
    return out
