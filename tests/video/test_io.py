"""Probe and frame iteration on real files written by ffmpeg."""

from __future__ import annotations

import http.server
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from labelwise.video.io import (
    FrameReader,
    VideoError,
    iter_frames,
    list_videos,
    probe,
    probe_many,
    read_frame,
)


def _box_colour_at(img: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x, y, w, h = (int(v) for v in box)
    return img[y + h // 2, x + w // 2].astype(int)


def test_probe_constant_rate(moving):
    info = probe(moving.path)
    assert (info.width, info.height) == (160, 120)
    assert info.frame_count == 60
    assert info.fps == pytest.approx(25.0)
    assert info.duration == pytest.approx(2.4)
    assert info.codec == "h264"
    assert not info.variable_fps and info.rotation == 0 and not info.has_audio
    assert info.keyframes == 5  # gop 12 over 60 frames
    assert info.item_data()["frames"] == 60


def test_probe_variable_rate(vfr):
    info = probe(vfr)
    assert info.variable_fps
    assert info.min_fps < info.max_fps
    assert info.frame_count == 20
    times = [f.time for f in iter_frames(vfr)]
    assert len(times) == 20 and np.all(np.diff(times) > 0)
    # every 0.5 s gives the frame on screen at 0, 0.5, 1.0, 1.5 s
    picked = list(iter_frames(vfr, every_seconds=0.5))
    for f, t in zip(picked, [0.0, 0.5, 1.0, 1.5], strict=True):
        later = [x for x in times if x > f.time]
        assert f.time <= t + 1e-9 and (not later or later[0] > t)


def test_rotation_comes_out_upright(rotated):
    info = probe(rotated.path)
    assert info.rotation == 90 and (info.width, info.height) == (160, 120)
    assert info.has_audio and info.audio_codec == "aac"
    img = read_frame(rotated.path, 7)
    assert img.shape == (120, 160, 3)
    truth = rotated.objects[0].box(7)
    assert truth is not None
    assert np.abs(_box_colour_at(img, truth) - np.array([230, 60, 60])).max() < 20
    raw = read_frame(rotated.path, 7, upright=False)
    assert raw.shape == (160, 120, 3)


def test_frame_indices_are_source_numbers(moving):
    every = [f.index for f in iter_frames(moving.path, every=7)]
    assert every == list(range(0, 60, 7))
    assert [f.index for f in iter_frames(moving.path, indices=[59, 3, 3, 40])] == [3, 40, 59]
    assert [f.index for f in iter_frames(moving.path, times=[0.0, 1.0, 2.0])] == [0, 25, 50]
    assert [f.index for f in iter_frames(moving.path, start=1.0, end=1.2)] == list(range(25, 30))
    frames = list(iter_frames(moving.path, every=10, size=(80, 60), format="gray"))
    assert frames[0].image.shape == (60, 80)
    assert [round(f.time, 6) for f in frames] == [i / 25 for i in range(0, 60, 10)]


def test_frame_content_matches_truth(moving):
    for f in iter_frames(moving.path, indices=[0, 17, 45]):
        truth = moving.objects[0].box(f.index)
        assert truth is not None
        assert np.abs(_box_colour_at(f.image, truth) - np.array([230, 60, 60])).max() < 20


def test_sparse_sampling_seeks_instead_of_decoding_everything(moving):
    with FrameReader(moving.path) as r:
        got = [r.read(i).index for i in (0, 30, 59)]  # type: ignore[union-attr]
        assert got == [0, 30, 59]
        # 0 -> 1 frame; 30 -> seek to key 24, decode 24..30; 59 -> seek to 48, decode 48..59
        assert r.decoded <= 1 + 7 + 12 + 4  # (a little decoder look-ahead allowed)
        assert r.seeks == 2
    with FrameReader(moving.path) as r:
        out = [r.read(i) for i in range(60)]
        assert [f.index for f in out if f is not None] == list(range(60))
        assert r.decoded == 60 and r.seeks == 0


def test_keyframes_and_scenes(moving):
    assert [f.index for f in iter_frames(moving.path, keyframes=True)] == [0, 12, 24, 36, 48]
    assert all(f.key for f in iter_frames(moving.path, keyframes=True))
    scenes = [f.index for f in iter_frames(moving.path, scenes=True)]
    assert scenes == [0, 30]


def test_sampling_options_are_exclusive(moving):
    with pytest.raises(Exception, match="choose one sampling"):
        list(iter_frames(moving.path, every=2, keyframes=True))


def test_broken_files_get_clear_messages(broken):
    with pytest.raises(VideoError, match="empty"):
        probe(broken["empty"])
    with pytest.raises(VideoError, match="not a readable video|corrupt"):
        probe(broken["garbage"])
    with pytest.raises(VideoError, match="no video stream"):
        probe(broken["audio"])
    info = probe(broken["truncated"])
    assert 0 < info.frame_count < 60
    assert len(list(iter_frames(broken["truncated"]))) == info.frame_count


def test_probe_many_goes_on_after_failures(broken, moving, tmp_path):
    paths = [*sorted(broken.values()), moving.path]
    infos, faults = probe_many(paths)
    assert {Path(i.path).stem for i in infos} == {"truncated", "moving"}
    assert sorted(Path(str(f.item)).stem for f in faults.errors) == ["audio", "empty", "garbage"]
    assert all(f.message and "'" in f.message for f in faults.errors)
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "notes.txt").write_text("x")
    (folder / "a.mp4").write_bytes(moving.path.read_bytes())
    assert [p.name for p in list_videos(folder)] == ["a.mp4"]


def test_live_source_through_opencv(moving):
    """A stream URL served over HTTP on 127.0.0.1 goes through the same iterator."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(moving.path.parent))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{moving.path.name}"
        frames = list(iter_frames(url, every=10, max_frames=4))
    finally:
        server.shutdown()
    assert [f.index for f in frames] == [0, 10, 20, 30]
    assert frames[0].image.shape == (120, 160, 3)
    with pytest.raises(VideoError, match="cannot open the live source"):
        list(iter_frames(99, max_frames=1))


@pytest.mark.parametrize("folder", ["clusters", "motion", "kinetics"])
def test_shared_clips_probe_and_stream(folder):
    d = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "video" / folder
    if not d.is_dir():
        pytest.skip(f"shared clips folder {d} is absent")
    vids = list_videos(d)
    assert vids, f"no videos in {d}"
    infos, faults = probe_many(vids)
    assert not faults.errors and len(infos) == len(vids)
    for info in infos:
        assert info.frame_count > 0 and info.fps > 0 and info.width > 0
        got = [f.index for f in iter_frames(info.path, every=50, max_frames=3)]
        assert got == list(range(0, min(info.frame_count, 150), 50))
