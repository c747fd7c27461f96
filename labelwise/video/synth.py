"""Synthetic videos with known content: moving boxes on known trajectories and scene cuts.

Used by the tests, the benchmarks and the examples (nothing is downloaded). Objects move on
straight lines at constant velocity, so their true boxes at every frame are known exactly
(:attr:`SyntheticVideo.truth`), and a scene cut changes the background colour.

Examples
--------
>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> v = make_video(os.path.join(d, "a.mp4"), n_frames=10, objects=[
...     MovingBox(track=1, start=(10, 10), velocity=(2, 0), size=(20, 16), first=0, last=9)])
>>> len(v.truth), v.truth[0]
(10, (0, 1, 10.0, 10.0, 20.0, 16.0))
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from labelwise.errors import DataError, require

__all__ = ["MovingBox", "SyntheticVideo", "make_video"]

_COLOURS = [
    (230, 60, 60),
    (60, 200, 80),
    (70, 110, 240),
    (240, 220, 60),
    (220, 80, 220),
    (60, 220, 220),
]


@dataclass(frozen=True)
class MovingBox:
    """A filled rectangle moving at constant velocity while ``first <= frame <= last``.

    ``hidden`` lists frames where it is not drawn (it left and comes back).
    """

    track: int
    start: tuple[float, float]
    velocity: tuple[float, float]
    size: tuple[float, float]
    first: int = 0
    last: int = 10**9
    colour: tuple[int, int, int] | None = None
    hidden: tuple[int, ...] = ()

    def box(self, frame: int) -> tuple[float, float, float, float] | None:
        if frame < self.first or frame > self.last or frame in self.hidden:
            return None
        t = frame - self.first
        return (
            self.start[0] + self.velocity[0] * t,
            self.start[1] + self.velocity[1] * t,
            float(self.size[0]),
            float(self.size[1]),
        )


@dataclass
class SyntheticVideo:
    path: Path
    width: int
    height: int
    fps: float
    n_frames: int
    objects: list[MovingBox]
    cuts: list[int]
    #: (frame, track, x, y, w, h) of every drawn object, integer-rounded as drawn
    truth: list[tuple[int, int, float, float, float, float]] = field(default_factory=list)


def _background(scene: int, h: int, w: int) -> np.ndarray:
    rng = np.random.default_rng(1000 + scene)
    base = rng.integers(20, 200, size=3)
    img = np.empty((h, w, 3), dtype=np.uint8)
    grad = np.linspace(0, 40, w, dtype=np.float64)[None, :, None]
    img[:] = np.clip(base[None, None, :] + grad, 0, 255).astype(np.uint8)
    return img


def make_video(
    path: str | Path,
    *,
    n_frames: int = 60,
    width: int = 160,
    height: int = 120,
    fps: float = 25.0,
    objects: Sequence[MovingBox] = (),
    cuts: Sequence[int] = (),
    codec: str = "libx264",
    gop: int = 12,
    rotate: int = 0,
    audio: bool = False,
    noise: float = 0.0,
    seed: int = 0,
) -> SyntheticVideo:
    """Write a video of moving boxes with ffmpeg (H.264, ``gop`` frames between key frames).

    ``cuts`` are frames where a new scene starts (a new background colour). ``rotate`` adds
    rotation metadata (the pixels are stored rotated back, so the upright video shows the
    boxes at their ``truth`` positions). Boxes are snapped to whole pixels when drawn and
    in ``truth``.
    """
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise DataError("ffmpeg is not installed; install it (apt-get install ffmpeg)")
    cv2 = require("cv2", "video")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    k = (rotate // 90) % 4
    sw, sh = (height, width) if k % 2 else (width, height)
    cmd = [ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    cmd += ["-s", f"{sw}x{sh}", "-r", str(fps), "-i", "-"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={n_frames / fps}"]
    cmd += ["-c:v", codec, "-pix_fmt", "yuv420p", "-g", str(gop)]
    if codec == "libx264":
        cmd += ["-preset", "ultrafast", "-bf", "0", "-sc_threshold", "0"]
    if audio:
        cmd += ["-c:a", "aac", "-shortest"]
    target = p.with_name(p.stem + ".norot" + p.suffix) if rotate else p
    cmd += [str(target)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    rng = np.random.default_rng(seed)
    cut_set = sorted(set(int(c) for c in cuts))
    truth: list[tuple[int, int, float, float, float, float]] = []
    try:
        for f in range(n_frames):
            scene = sum(1 for c in cut_set if c <= f)
            img = _background(scene, height, width)
            for j, ob in enumerate(objects):
                b = ob.box(f)
                if b is None:
                    continue
                x, y, w, h = (round(v) for v in b)
                x0, y0 = max(0, x), max(0, y)
                x1, y1 = min(width, x + w), min(height, y + h)
                if x1 <= x0 or y1 <= y0:
                    continue
                colour = ob.colour or _COLOURS[j % len(_COLOURS)]
                cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), colour, thickness=-1)
                truth.append((f, ob.track, float(x), float(y), float(w), float(h)))
            if noise:
                img = np.clip(img + rng.normal(0, noise, img.shape), 0, 255).astype(np.uint8)
            # store rotated back so the display rotation makes it upright again
            stored = np.ascontiguousarray(np.rot90(img, -k)) if k else img
            proc.stdin.write(stored.tobytes())
        proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise DataError(f"ffmpeg failed writing {p}: {err.strip()[:400]}")
        if rotate:  # rotation metadata survives only a stream copy (ffmpeg 5)
            subprocess.run(
                [
                    ffmpeg,
                    "-v",
                    "error",
                    "-y",
                    "-i",
                    str(target),
                    "-c",
                    "copy",
                    "-metadata:s:v",
                    f"rotate={rotate}",
                    str(p),
                ],
                check=True,
            )
            target.unlink()
    finally:
        if proc.poll() is None:
            proc.kill()
    return SyntheticVideo(p, width, height, fps, n_frames, list(objects), cut_set, truth)
