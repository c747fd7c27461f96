"""Tracking on real video files with known trajectories; exact interpolation; pre-labels the
app imports; MOTA/IDF1 with motmetrics."""

from __future__ import annotations

import numpy as np
import pytest

from labelwise.formats import LabelConfig, from_jsonl, to_jsonl
from labelwise.video.synth import MovingBox, make_video
from labelwise.video.tracks import (
    IoUTracker,
    detect_and_track,
    evaluate_tracking,
    interpolate_keyframes,
    prelabel_items,
    simplify_keyframes,
    track_rows,
)

CFG = LabelConfig.from_dict(
    {
        "object": {"type": "video", "field": "video"},
        "controls": [{"name": "objects", "type": "video_boxes", "labels": ["thing"]}],
    }
)


def blob_detector(img: np.ndarray):
    """A user's model stand-in: pixels far from each row's median colour, as boxes."""
    import cv2

    med = np.median(img, axis=1, keepdims=True)
    mask = (np.abs(img.astype(int) - med).max(axis=2) > 40).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    _n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    return [
        ((float(x), float(y), float(w), float(h)), 1.0, "thing")
        for x, y, w, h, area in stats[1:]
        if area > 30
    ]


def test_tracker_keeps_ids_through_missed_detections():
    rng = np.random.default_rng(0)
    truth = []
    tr = IoUTracker(max_misses=3)
    for f in range(40):
        dets = []
        for tid, (x0, vx) in {1: (0.0, 3.0), 2: (150.0, -3.0)}.items():
            box = (x0 + vx * f, 20.0 * tid, 20.0, 20.0)
            truth.append((f, tid, *box))
            if f in (10, 11) and tid == 1:  # missed twice: occluded
                continue
            jitter = tuple(rng.normal(0, 0.5, 4))
            dets.append((tuple(b + j for b, j in zip(box, jitter, strict=True)), 0.9, "car"))
        tr.update(f, dets)
    tracks = tr.finish()
    assert len(tracks) == 2
    assert tracks[0].occluded == [10, 11]
    m = evaluate_tracking(truth, track_rows(tracks))
    assert m["num_switches"] == 0 and m["idf1"] > 0.94 and m["mota"] > 0.94


def test_tracker_ends_tracks_after_max_misses_and_respects_classes():
    tr = IoUTracker(max_misses=1, min_hits=2)
    box = (10.0, 10.0, 20.0, 20.0)
    tr.update(0, [(box, 1.0, "car")])
    tr.update(1, [(box, 1.0, "car"), ((100.0, 100.0, 5.0, 5.0), 1.0, "car")])  # one-hit blip
    tr.update(2, [(box, 1.0, "person")])  # other class: not linked to the car
    tr.update(3, [])
    tr.update(4, [(box, 1.0, "car")])  # car was gone > 1 frame: a new track
    tracks = tr.finish()
    assert [(t.label, t.frames) for t in tracks] == [("car", [0, 1])]
    with pytest.raises(Exception, match="frames must increase"):
        tr.update(0, [])


def test_interpolation_is_exact_on_linear_motion(video_dir):
    ob = MovingBox(track=1, start=(3, 7), velocity=(2, 1), size=(21, 13), first=0, last=49)
    v = make_video(video_dir / "linear.mp4", n_frames=50, objects=[ob])
    kfs = [
        {"frame": 0, "x": 3, "y": 7, "w": 21, "h": 13},
        {"frame": 49, "x": 3 + 98, "y": 7 + 49, "w": 21, "h": 13},
    ]
    got = interpolate_keyframes(kfs, range(50))
    truth = {f: (x, y, w, h) for f, _, x, y, w, h in v.truth}
    err = max(abs(a - b) for f in truth for a, b in zip(got[f], truth[f], strict=True))
    assert err == 0.0
    assert [k["frame"] for k in simplify_keyframes(truth, range(50), tolerance=0)] == [0, 49]


def test_detect_and_track_on_a_real_video(moving):
    res = detect_and_track(moving.path, blob_detector, every=1)
    assert res.frames == list(range(60)) and res.fps > 0 and not len(res.faults)
    m = evaluate_tracking(moving.truth, track_rows(res.tracks))
    assert m["mota"] > 0.9 and m["idf1"] > 0.9 and m["num_switches"] == 0
    # every 5th frame: frame ids stay source frame numbers
    res5 = detect_and_track(moving.path, blob_detector, every=5)
    assert res5.frames == list(range(0, 60, 5))
    assert all(f % 5 == 0 for t in res5.tracks for f in t.frames)
    m5 = evaluate_tracking(moving.truth, track_rows(res5.tracks), frames=res5.frames)
    assert m5["mota"] > 0.9


def test_detector_failures_become_faults(moving):
    calls = {"n": 0}

    def flaky(img):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("model crashed")
        return blob_detector(img)

    res = detect_and_track(moving.path, flaky, every=10)
    assert len(res.faults) == 1 and "model crashed" in res.faults[0].message
    assert len(res.tracks) >= 1


def test_builtin_detector_spec_runs(moving):
    res = detect_and_track(moving.path, "faces", every=20)
    assert res.detector and res.frames == [0, 20, 40]


def test_prelabels_import_into_the_app(moving, tmp_path):
    res = detect_and_track(moving.path, blob_detector, every=2)
    items = prelabel_items([res], CFG, relative_to=moving.path.parent, tolerance=1.0)
    (item,) = items
    assert item.data["frame_step"] == 2 and item.data["video"] == moving.path.name
    tracks = item.predictions[0].result["objects"]
    assert len(tracks) == 2
    # far fewer key frames than frames: linear motion needs few
    assert all(len(t["keyframes"]) <= 6 for t in tracks)
    jsonl = moving.path.parent / "prelabels.jsonl"
    jsonl.write_text(to_jsonl(items))
    assert from_jsonl(jsonl.read_text(), config=CFG)[0].predictions[0].result == {"objects": tracks}
    pytest.importorskip("fastapi")
    from labelwise.app import import_path
    from labelwise.app.store import Store

    store = Store.open(tmp_path / "proj")
    try:
        proj = store.create_project("vid", CFG)
        out = import_path(store, proj.id, jsonl)
        assert out["tasks"] == 1 and out["predictions"] == 1
        (exported,) = store.export_items(proj.id, include_predictions=True)
        assert exported.predictions[0].result == {"objects": tracks}
        assert (tmp_path / "proj").exists()
    finally:
        store.close()
    jsonl.unlink()
