"""Video track exports round trip exactly: MOT, CVAT for video, COCO per frame, Label Studio
video rectangles and JSONL, on sub-sampled frames, re-entering tracks, one-frame tracks and
long videos. Frame ids in every export are source frame numbers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labelwise.formats import (
    Annotation,
    FormatError,
    Item,
    LabelConfig,
    export_items,
    from_jsonl,
    import_items,
    to_jsonl,
)
from labelwise.formats.coco_video import to_coco_video
from labelwise.formats.label_studio_video import ls_sequence, track_from_sequence
from labelwise.formats.video_tracks import (
    canonical_keyframes,
    dense_track,
    sampled_frames,
)

CFG = LabelConfig.from_dict(
    {
        "object": {"type": "video", "field": "video"},
        "controls": [{"name": "tracks", "type": "video_boxes", "labels": ["car", "person"]}],
    }
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def box(draw, W: int, H: int) -> dict[str, float]:
    fl = st.floats(0, 1, allow_nan=False, allow_infinity=False)
    x = draw(fl) * (W - 1)
    y = draw(fl) * (H - 1)
    w = max(draw(fl) * (W - x), 0.5)
    h = max(draw(fl) * (H - y), 0.5)
    if x + w > W:
        w = W - x
    if y + h > H:
        h = H - y
    return {"x": x, "y": y, "w": w, "h": h}


@st.composite
def video_item(draw, *, canonical: bool = False, long: bool | None = None):
    """A video item with one annotation of tracks whose keyframes sit on the labeled grid."""
    W = draw(st.integers(16, 4000))
    H = draw(st.integers(16, 3000))
    long = draw(st.booleans()) if long is None else long
    step = draw(st.integers(1, 7))
    start = draw(st.integers(0, step - 1))
    n = draw(st.integers(200_000, 2_000_000)) if long else draw(st.integers(start + 1, 160))
    grid_len = len(range(start, n, step))
    data = {"video": "cam.mp4", "width": W, "height": H, "fps": 25, "frames": n}
    if step > 1:
        data["frame_step"] = step
    if start:
        data["frame_start"] = start
    tracks = []
    n_tracks = draw(st.integers(0, 4))
    for t in range(n_tracks):
        # positions on the grid, a window of at most 40 labeled frames
        first = draw(st.integers(0, grid_len - 1))
        span = draw(st.integers(1, min(40, grid_len - first)))
        pos = sorted(draw(st.sets(st.integers(first, first + span - 1), min_size=1, max_size=span)))
        kfs = []
        visible = True
        for j, p in enumerate(pos):
            frame = start + p * step
            b = draw(box(W, H))
            if canonical:
                kfs.append({"frame": frame, **b})
                continue
            outside = j > 0 and draw(st.booleans()) and visible
            kf = {"frame": frame, **b}
            if outside:
                kf["outside"] = True
            visible = not outside
            kfs.append(kf)
        if canonical:
            dense = {k["frame"]: (k["x"], k["y"], k["w"], k["h"]) for k in kfs}
            kfs = canonical_keyframes(dense, list(range(start, n, step)))
        elif long or draw(st.booleans()):
            # end the track: outside at the next labeled frame after its last keyframe
            last = kfs[-1]
            nxt = last["frame"] + step
            if not last.get("outside") and nxt < n:
                kfs.append({**{k: last[k] for k in "xywh"}, "frame": nxt, "outside": True})
        tracks.append(
            {
                "track": draw(st.sampled_from([str(t + 1), f"t{t}", f"obj {t}"])),
                "label": draw(st.sampled_from(["car", "person"])),
                "keyframes": kfs,
            }
        )
    names = [t["track"] for t in tracks]
    if len(set(names)) != len(names):
        for i, t in enumerate(tracks):
            t["track"] = f"x{i}"
    result = CFG.validate_result({"tracks": tracks}, data, partial=True) if tracks else {}
    return Item("cam", data, [Annotation(result, "ann")])


def _tracks(item: Item) -> list[dict]:
    return list(item.annotations[0].result.get("tracks", []) if item.annotations else [])


def _dense(item: Item) -> dict[str, tuple[str, dict]]:
    frames = sampled_frames(item, _tracks(item))
    return {
        t["track"]: (t["label"], dense_track(t["keyframes"], frames))
        for t in _tracks(item)
        if dense_track(t["keyframes"], frames)
    }


def _roundtrip(item: Item, fmt: str) -> Item:
    files = export_items([item], CFG, fmt)
    (back,) = import_items(files, CFG, fmt)
    return back


@given(video_item())
@SETTINGS
def test_jsonl_is_exact(item):
    assert from_jsonl(to_jsonl([item]), config=CFG) == [item]


@pytest.mark.parametrize("fmt", ["mot", "coco_video"])
@given(item=video_item())
@SETTINGS
def test_frame_formats_show_the_same_box_on_every_labeled_frame(fmt, item):
    back = _roundtrip(item, fmt)
    assert _dense(back) == _dense(item)
    for key in ("width", "height", "frames", "frame_step", "frame_start"):
        assert back.data.get(key) == item.data.get(key)


@pytest.mark.parametrize("fmt", ["mot", "coco_video"])
@given(item=video_item(canonical=True))
@SETTINGS
def test_frame_formats_are_exact_on_canonical_tracks(fmt, item):
    back = _roundtrip(item, fmt)
    assert _tracks(back) == _tracks(item)


@given(item=video_item())
@SETTINGS
def test_cvat_video_keeps_keyframes_exactly(item):
    back = _roundtrip(item, "cvat_video")
    a, b = _tracks(item), _tracks(back)
    assert [(t["track"], t["label"]) for t in a] == [(t["track"], t["label"]) for t in b]
    for ta, tb in zip(a, b, strict=True):
        assert [(k["frame"], bool(k.get("outside"))) for k in ta["keyframes"]] == [
            (k["frame"], bool(k.get("outside"))) for k in tb["keyframes"]
        ]
        for ka, kb in zip(ta["keyframes"], tb["keyframes"], strict=True):
            assert (ka["x"], ka["y"]) == (kb["x"], kb["y"])
            assert ka["x"] + ka["w"] == pytest.approx(kb["x"] + kb["w"], rel=1e-15, abs=1e-12)
            assert kb["w"] == pytest.approx(ka["w"], rel=1e-9, abs=1e-9)
            assert kb["h"] == pytest.approx(ka["h"], rel=1e-9, abs=1e-9)
    for key in ("width", "height", "frames", "frame_step", "frame_start"):
        assert back.data.get(key) == item.data.get(key)


@given(item=video_item(long=False))
@SETTINGS
def test_label_studio_video_shows_the_same_box_on_every_frame(item):
    back = _roundtrip(item, "label_studio_video")
    n = item.data["frames"]
    for ta, tb in zip(_tracks(item), _tracks(back), strict=True):
        assert (ta["track"], ta["label"]) == (tb["track"], tb["label"])
        da = dense_track(ta["keyframes"], range(n))
        db = dense_track(tb["keyframes"], range(n))
        assert sorted(da) == sorted(db)  # visible on exactly the same frames
        for f in da:
            assert db[f] == pytest.approx(da[f], rel=1e-9, abs=1e-7)


def _two_step_item() -> Item:
    tracks = [
        {  # enters at 10, leaves at 30, comes back at 50, ends at 60 (step 5)
            "track": "7",
            "label": "car",
            "keyframes": [
                {"frame": 10, "x": 0, "y": 0, "w": 10, "h": 10},
                {"frame": 20, "x": 20, "y": 10, "w": 10, "h": 10},
                {"frame": 30, "x": 20, "y": 10, "w": 10, "h": 10, "outside": True},
                {"frame": 50, "x": 50, "y": 50, "w": 20, "h": 20},
                {"frame": 60, "x": 50, "y": 50, "w": 20, "h": 20, "outside": True},
            ],
        },
        {
            "track": "8",
            "label": "person",
            "keyframes": [  # a one-frame track
                {"frame": 35, "x": 1, "y": 2, "w": 3, "h": 4},
                {"frame": 40, "x": 1, "y": 2, "w": 3, "h": 4, "outside": True},
            ],
        },
    ]
    data = {
        "video": "cam.mp4",
        "width": 160,
        "height": 120,
        "fps": 25,
        "frames": 100,
        "frame_step": 5,
    }
    return Item("cam", data, [Annotation(CFG.validate_result({"tracks": tracks}, data), "a")])


def test_mot_writes_source_frame_numbers_one_based():
    files = export_items([_two_step_item()], CFG, "mot")
    rows = [line.split(",") for line in files["gt/gt.txt"].decode().splitlines()]
    frames_7 = [int(r[0]) for r in rows if r[1] == "7"]
    assert frames_7 == [11, 16, 21, 26, 51, 56]  # source frames 10..25 and 50, 55, +1
    assert [r for r in rows if r[1] == "8"] == [["36", "8", "1", "2", "3", "4", "1", "2", "1"]]
    assert rows[1][2:6] == ["10", "5", "10", "10"]  # frame 15: halfway to (20, 10)
    ini = files["seqinfo.ini"].decode()
    assert "seqLength=100" in ini and "frameStep=5" in ini and "frameRate=25" in ini
    assert files["gt/labels.txt"].decode() == "car\nperson\n"


def test_cvat_video_counts_and_frames():
    files = export_items([_two_step_item()], CFG, "cvat_video")
    root = ET.fromstring(files["annotations.xml"])
    assert root.findtext("meta/task/size") == "20"
    assert root.findtext("meta/task/frame_filter") == "step=5"
    boxes = root.findall("track")[0].findall("box")
    got = [(int(b.get("frame")), b.get("keyframe"), b.get("outside")) for b in boxes]
    assert got == [
        (10, "1", "0"), (15, "0", "0"), (20, "1", "0"), (25, "0", "0"), (30, "1", "1"),
        (50, "1", "0"), (55, "0", "0"), (60, "1", "1"),
    ]  # fmt: skip
    b15 = boxes[1]
    assert (b15.get("xtl"), b15.get("ytl"), b15.get("xbr"), b15.get("ybr")) == (
        "10", "5", "20", "15",
    )  # fmt: skip


def test_label_studio_disabled_keyframe_rule():
    seq = ls_sequence(_tracks(_two_step_item())[0]["keyframes"], 160, 120, 25)
    # leaves at 30 -> visible up to 29: key frame 30 (1-based) disabled, with the box at 29
    assert [(s["frame"], s["enabled"]) for s in seq] == [
        (11, True), (21, True), (30, False), (51, True), (60, False),
    ]  # fmt: skip
    back = track_from_sequence(seq, 160, 120, "t")
    assert [(k["frame"], bool(k.get("outside"))) for k in back][-2:] == [(59, False), (60, True)]


def test_off_grid_mot_frames_are_rejected():
    files = {k: v for k, v in export_items([_two_step_item()], CFG, "mot").items()}
    files["gt/gt.txt"] += b"13,7,1,1,1,1,1,1,1\n"
    with pytest.raises(FormatError, match="off the labeled grid"):
        import_items(files, CFG, "mot")


def test_several_videos_and_named_tracks(tmp_path):
    a = _two_step_item()
    b = Item(
        "other", dict(a.data), [Annotation({"tracks": [{**_tracks(a)[0], "track": "walker"}]}, "a")]
    )
    for fmt in ("mot", "coco_video", "cvat_video"):
        files = export_items([a, b], CFG, fmt)
        back = import_items(files, CFG, fmt)
        assert [_dense(x) for x in back] == [_dense(a), _dense(b)], fmt
    assert "other/gt/track_names.txt" in export_items([a, b], CFG, "mot")
    coco = to_coco_video([a], CFG, all_frames=True)
    assert {i["frame_id"] for i in coco["images"]} == set(range(0, 100, 5))
    coco = json.loads(export_items([a], CFG, "coco_video")["coco_video.json"])
    assert [i["frame_id"] for i in coco["images"]] == [10, 15, 20, 25, 35, 50, 55]
