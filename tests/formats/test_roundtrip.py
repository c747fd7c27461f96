"""Property tests: import(export(items)) == items for every format and label configuration."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from labelwise.formats import (
    Annotation,
    ConversionReport,
    Item,
    LabelConfig,
    export_items,
    import_items,
    pack_zip,
    read_files,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXT_CFG = LabelConfig.from_dict(
    {
        "object": {"type": "text", "field": "text"},
        "controls": [
            {"name": "sentiment", "type": "choices", "labels": ["neg", "neu", "pos"]},
            {"name": "topics", "type": "choices", "labels": ["a", "b", "c"], "multiple": True},
            {"name": "ner", "type": "spans", "labels": ["PER", "ORG"]},
            {"name": "notes", "type": "text"},
        ],
    }
)
IMAGE_CFG = LabelConfig.from_dict(
    {
        "object": {"type": "image", "field": "image"},
        "controls": [
            {"name": "objects", "type": "boxes", "labels": ["car", "person", "bike"]},
            {"name": "outline", "type": "polygons", "labels": ["car", "road"]},
        ],
    }
)
BOX_CFG = LabelConfig.from_dict(
    {
        "object": {"type": "image", "field": "image"},
        "controls": [{"name": "objects", "type": "boxes", "labels": ["car", "person"]}],
    }
)
AUDIO_CFG = LabelConfig.from_dict(
    {
        "object": {"type": "audio", "field": "audio"},
        "controls": [
            {
                "name": "segments",
                "type": "segments",
                "labels": ["bark", "meow"],
                "transcription": True,
            },
            {"name": "clip", "type": "choices", "labels": ["cat", "dog"]},
        ],
    }
)
VIDEO_CFG = LabelConfig.from_dict(
    {
        "object": {"type": "video", "field": "video"},
        "controls": [{"name": "tracks", "type": "video_boxes", "labels": ["ball", "player"]}],
    }
)

safe_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
names = st.text("abcdefghijklmnopqrstuvwxyz0123456789_.@", min_size=1, max_size=10)


def close(a: Any, b: Any, path: str = "") -> None:
    """Recursive equality with float tolerance (pixel <-> percent/normalized conversions).

    Box formats keep pixel coordinates to 4 decimals (``labelwise.formats.round_px``, so no
    float noise reaches a file), hence the absolute tolerance of a ten-thousandth of a pixel.
    """
    if isinstance(a, Item):
        assert isinstance(b, Item), path
        assert a.id == b.id, path
        close(a.data, b.data, f"{path}/data")
        close(
            [(x.annotator, x.result) for x in a.annotations],
            [(x.annotator, x.result) for x in b.annotations],
            f"{path}/ann",
        )
        return
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), (path, a, b)
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-4), (path, a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), (path, a, b)
        for k in a:
            close(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), (path, a, b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            close(x, y, f"{path}[{i}]")
    else:
        assert a == b, (path, a, b)


def normalize(items: list[Item], cfg: LabelConfig) -> list[Item]:
    """What the app stores: results validated (normalized) against the config."""
    return [
        Item(
            it.id,
            it.data,
            [
                Annotation(cfg.validate_result(a.result, it.data, partial=True), a.annotator)
                for a in it.annotations
            ],
        )
        for it in items
    ]


def roundtrip(originals: list[Item], cfg: LabelConfig, fmt: str, **kw: Any) -> list[Item]:
    files = export_items(originals, cfg, fmt)
    return import_items(files, cfg, fmt, **kw)


# ---------------------------------------------------------------------- strategies
@st.composite
def text_items(draw: Any, *, with_spans: bool = True) -> list[Item]:
    n = draw(st.integers(1, 5))
    ids = draw(st.lists(names, min_size=n, max_size=n, unique=True))
    items = []
    for item_id in ids:
        words = draw(
            st.lists(st.text("abcXYZé日-.", min_size=1, max_size=6), min_size=1, max_size=8)
        )
        seps = draw(
            st.lists(
                st.sampled_from([" ", "  ", "\t", "\n", " \n "]),
                min_size=len(words),
                max_size=len(words),
            )
        )
        lead = draw(st.sampled_from(["", " "]))
        text = lead + "".join(w + s for w, s in zip(words, seps, strict=True))
        offsets, pos = [], len(lead)
        for w, s in zip(words, seps, strict=True):
            offsets.append((pos, pos + len(w)))
            pos += len(w) + len(s)
        annotators = draw(st.lists(names, max_size=3, unique=True))
        anns = []
        for who in annotators:
            result: dict[str, Any] = {}
            if draw(st.booleans()):
                result["sentiment"] = draw(st.sampled_from(["neg", "neu", "pos"]))
            if draw(st.booleans()):
                result["topics"] = draw(
                    st.lists(st.sampled_from(["a", "b", "c"]), unique=True, min_size=1)
                )
            if with_spans and draw(st.booleans()):
                # disjoint token ranges
                cuts = sorted(draw(st.sets(st.integers(0, len(words)), max_size=4)))
                spans = []
                for a, b in zip(cuts[::2], cuts[1::2], strict=False):
                    if a < b:
                        spans.append(
                            {
                                "start": offsets[a][0],
                                "end": offsets[b - 1][1],
                                "label": draw(st.sampled_from(["PER", "ORG"])),
                            }
                        )
                if spans:
                    result["ner"] = spans
            if draw(st.booleans()):
                result["notes"] = draw(safe_text.filter(bool))
            anns.append(Annotation(result, who))
        items.append(Item(item_id, {"text": text}, anns))
    return normalize(items, TEXT_CFG)


@st.composite
def box(draw: Any, w: int, h: int) -> tuple[float, float, float, float]:
    x1, x2 = sorted(draw(st.lists(st.floats(0, w, allow_nan=False), min_size=2, max_size=2)))
    y1, y2 = sorted(draw(st.lists(st.floats(0, h, allow_nan=False), min_size=2, max_size=2)))
    assume(x2 - x1 > 0.01 and y2 - y1 > 0.01)
    return x1, y1, x2 - x1, y2 - y1


@st.composite
def image_items(draw: Any, *, polygons: bool = True, one_annotation: bool = False) -> list[Item]:
    n = draw(st.integers(1, 4))
    ids = draw(st.lists(names, min_size=n, max_size=n, unique=True))
    items = []
    for k, item_id in enumerate(ids):
        w, h = draw(st.integers(1, 3000)), draw(st.integers(1, 3000))
        folder = draw(st.sampled_from(["", "imgs/", "a/b/"]))
        data = {"image": f"{folder}img_{k}.jpg", "width": w, "height": h}
        annotators = draw(
            st.lists(
                names,
                min_size=1 if one_annotation else 0,
                max_size=1 if one_annotation else 3,
                unique=True,
            )
        )
        anns = []
        for who in annotators:
            result: dict[str, Any] = {}
            boxes = []
            for _ in range(draw(st.integers(0, 4))):
                x, y, bw, bh = draw(box(w, h))
                labels = ["car", "person", "bike"] if polygons else ["car", "person"]
                boxes.append(
                    {"x": x, "y": y, "w": bw, "h": bh, "label": draw(st.sampled_from(labels))}
                )
            if boxes:
                result["objects"] = boxes
            if polygons and draw(st.booleans()):
                pts = draw(
                    st.lists(st.tuples(st.floats(0, w), st.floats(0, h)), min_size=3, max_size=6)
                )
                result["outline"] = [
                    {
                        "points": [list(p) for p in pts],
                        "label": draw(st.sampled_from(["car", "road"])),
                    }
                ]
            anns.append(Annotation(result, who))
        items.append(Item(item_id, data, anns))
    return normalize(items, IMAGE_CFG if polygons else BOX_CFG)


# ---------------------------------------------------------------------- text formats
@SETTINGS
@given(text_items())
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "label_studio"])
def test_text_roundtrip(fmt: str, items: list[Item]) -> None:
    back = roundtrip(items, TEXT_CFG, fmt)
    close(items, back)


@SETTINGS
@given(text_items())
def test_conll_roundtrip_keeps_text_and_spans(items: list[Item]) -> None:
    ner_only = [
        Item(
            it.id,
            it.data,
            [
                Annotation({k: v for k, v in a.result.items() if k == "ner"}, a.annotator)
                for a in it.annotations
            ],
        )
        for it in items
    ]
    back = roundtrip(ner_only, TEXT_CFG, "conll")
    close(ner_only, back)


# ---------------------------------------------------------------------- image formats
@SETTINGS
@given(image_items())
@pytest.mark.parametrize("fmt", ["jsonl", "label_studio", "coco", "csv"])
def test_image_roundtrip(fmt: str, items: list[Item]) -> None:
    back = roundtrip(items, IMAGE_CFG, fmt)
    close(items, back)


@SETTINGS
@given(image_items(polygons=False))
def test_voc_roundtrip(items: list[Item]) -> None:
    back = roundtrip(items, BOX_CFG, "voc")
    # VOC keeps one XML per image; items come back in file-name order.
    close(
        sorted(items, key=lambda i: i.data["image"].replace("/", "")),
        sorted(back, key=lambda i: i.data["image"].replace("/", "")),
    )


@SETTINGS
@given(image_items(one_annotation=True))
def test_yolo_roundtrip(items: list[Item]) -> None:
    bare = [Item(it.id, it.data) for it in items]
    for it in items:  # YOLO has no annotator; the importer names one
        for a in it.annotations:
            a.annotator = "yolo"
    report = ConversionReport()
    back = roundtrip(items, IMAGE_CFG, "yolo", items=bare, annotator="yolo", report=report)
    assert not report.problems
    close(items, back)


# ---------------------------------------------------------------------- audio / video
@SETTINGS
@given(st.data())
def test_audio_roundtrip(data: Any) -> None:
    items = []
    for k in range(data.draw(st.integers(1, 3))):
        anns = []
        for who in data.draw(st.lists(names, max_size=2, unique=True)):
            segs = []
            for _ in range(data.draw(st.integers(0, 3))):
                a, b = sorted(
                    data.draw(st.lists(st.floats(0, 30), min_size=2, max_size=2, unique=True))
                )
                seg = {"start": a, "end": b, "label": data.draw(st.sampled_from(["bark", "meow"]))}
                if data.draw(st.booleans()):
                    seg["text"] = data.draw(safe_text.filter(bool))
                segs.append(seg)
            result: dict[str, Any] = {"segments": segs} if segs else {}
            if data.draw(st.booleans()):
                result["clip"] = data.draw(st.sampled_from(["cat", "dog"]))
            anns.append(Annotation(result, who))
        items.append(Item(f"a{k}", {"audio": f"clips/{k}.wav", "duration": 30.0}, anns))
    items = normalize(items, AUDIO_CFG)
    for fmt in ("jsonl", "label_studio", "csv"):
        close(items, roundtrip(items, AUDIO_CFG, fmt))


@SETTINGS
@given(st.data())
def test_video_roundtrip(data: Any) -> None:
    items = []
    for k in range(data.draw(st.integers(1, 3))):
        w, h = data.draw(st.integers(10, 1920)), data.draw(st.integers(10, 1080))
        tracks = []
        for t in range(data.draw(st.integers(0, 3))):
            frames = sorted(data.draw(st.sets(st.integers(0, 500), min_size=1, max_size=4)))
            kfs = []
            for f in frames:
                x, y, bw, bh = data.draw(box(w, h))
                kf = {"frame": f, "x": x, "y": y, "w": bw, "h": bh}
                if data.draw(st.booleans()) and f == frames[-1]:
                    kf["outside"] = True
                kfs.append(kf)
            tracks.append(
                {
                    "track": f"t{t}",
                    "label": data.draw(st.sampled_from(["ball", "player"])),
                    "keyframes": kfs,
                }
            )
        anns = [Annotation({"tracks": tracks} if tracks else {}, "ann")]
        items.append(
            Item(f"v{k}", {"video": f"v{k}.mp4", "width": w, "height": h, "fps": 25}, anns)
        )
    items = normalize(items, VIDEO_CFG)
    for fmt in ("jsonl", "label_studio", "csv"):
        close(items, roundtrip(items, VIDEO_CFG, fmt))


def test_zip_bundle_roundtrip(tmp_path: Any) -> None:
    items = normalize(
        [
            Item(
                "1",
                {"image": "imgs/a.jpg", "width": 100, "height": 50},
                [
                    Annotation(
                        {"objects": [{"x": 1, "y": 2, "w": 3, "h": 4, "label": "car"}]}, "ann"
                    )
                ],
            ),
            Item("2", {"image": "imgs/b.jpg", "width": 100, "height": 50}, [Annotation({}, "ann")]),
        ],
        BOX_CFG,
    )
    z = tmp_path / "voc.zip"
    z.write_bytes(pack_zip(export_items(items, BOX_CFG, "voc")))
    files = read_files(z)
    assert sorted(files) == ["Annotations/imgs/a.xml", "Annotations/imgs/b.xml"]
    close(items, import_items(files, BOX_CFG, "voc"))
