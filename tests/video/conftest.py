"""Real video files written for the video tests (tiny: 160x120, a few seconds)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("av")
pytest.importorskip("cv2")

from labelwise.video.synth import MovingBox, SyntheticVideo, make_video

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "video"

if shutil.which("ffmpeg") is None:  # pragma: no cover
    pytest.skip("ffmpeg is not installed (apt-get install ffmpeg)", allow_module_level=True)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


TWO_BOXES = [
    MovingBox(track=1, start=(5, 10), velocity=(2, 0), size=(24, 20), first=0, last=59),
    MovingBox(track=2, start=(120, 80), velocity=(-1, -1), size=(20, 20), first=10, last=49),
]


@pytest.fixture(scope="session")
def video_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("videos")


@pytest.fixture(scope="session")
def moving(video_dir: Path) -> SyntheticVideo:
    """60 frames at 25 fps, two boxes on straight lines, a scene cut at frame 30."""
    return make_video(video_dir / "moving.mp4", n_frames=60, objects=TWO_BOXES, cuts=[30])


@pytest.fixture(scope="session")
def rotated(video_dir: Path) -> SyntheticVideo:
    return make_video(
        video_dir / "rotated.mp4", n_frames=20, objects=TWO_BOXES[:1], rotate=90, audio=True
    )


@pytest.fixture(scope="session")
def vfr(video_dir: Path) -> Path:
    """Variable frame rate: frames dropped irregularly, timestamps kept."""
    out = video_dir / "vfr.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-t", "2",
        "-vf", "select='lt(n\\,10)+not(mod(n\\,4))'", "-fps_mode", "vfr",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out),
    )  # fmt: skip
    return out


@pytest.fixture(scope="session")
def broken(video_dir: Path, moving: SyntheticVideo) -> dict[str, Path]:
    """Zero-length, random bytes, audio-only and truncated files."""
    d = video_dir / "broken"
    d.mkdir()
    (d / "empty.mp4").write_bytes(b"")
    (d / "garbage.mp4").write_bytes(bytes(range(256)) * 40)
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(d / "audio.mp4")
    )
    full = d / "full.mkv"
    ffmpeg("-i", str(moving.path), "-c", "copy", str(full))
    data = full.read_bytes()
    (d / "truncated.mkv").write_bytes(data[: len(data) // 2])
    full.unlink()
    return {p.stem: p for p in d.iterdir()}
