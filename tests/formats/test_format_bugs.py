"""Format bugs that must not come back (issue 10); each test failed on the code before the merge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from labelwise.formats import (
    Annotation,
    ConversionReport,
    Item,
    LabelConfig,
    box_config,
    export_items,
    from_conll,
    import_items,
    item_boxes,
    read_annotations,
    to_conll,
)

BOXES = box_config(["car"])


def _labelwise(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("labelwise")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=dict(os.environ), timeout=300
    )


def test_convert_out_of_range_keep_does_not_clip_when_writing_yolo(tmp_path: Path) -> None:
    coco = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 50}],
        "categories": [{"id": 1, "name": "car"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [80, 10, 40, 20]}],
    }
    src = tmp_path / "c.json"
    src.write_text(json.dumps(coco))
    out = tmp_path / "yolo"
    res = _labelwise(
        "image", "convert", "--from", "coco", "--to", "yolo", "-i", str(src), "-o", str(out),
        "--out-of-range", "keep",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "outside" in res.stderr + res.stdout  # kept, but reported
    cx, _cy, w, _h = (float(v) for v in (out / "a.txt").read_text().split()[1:])
    assert (cx + w / 2) * 100 == 120.0  # the box still reaches x = 120, past the 100 px image
    # clip (the default) clips
    res = _labelwise(
        "image", "convert", "--from", "coco", "--to", "yolo", "-i", str(src), "-o", str(out),
    )  # fmt: skip
    cx, _cy, w, _h = (float(v) for v in (out / "a.txt").read_text().split()[1:])
    assert res.returncode == 0 and abs((cx + w / 2) * 100 - 100.0) < 1e-9


def test_yolo_pre_labels_have_five_columns_and_scores_in_a_separate_file(tmp_path: Path) -> None:
    item = Item("a", {"image": "imgs/a.jpg", "width": 100, "height": 100})
    item.predictions.append(
        Annotation(
            {"boxes": [{"x": 10, "y": 10, "w": 20, "h": 20, "label": "car", "score": 0.875}]},
            "detector",
        )
    )
    files = export_items([item], BOXES, "yolo", predictions=True)
    label = files["labels/imgs/a.txt"].decode()
    assert [len(line.split()) for line in label.splitlines()] == [5]
    assert files["scores/imgs/a.txt"].decode() == "0.875\n"
    back = import_items(files, BOXES, "yolo", items=[Item("a", dict(item.data))])
    assert item_boxes(back[0])[2] == [0.875]
    # a sixth column only when asked for
    col = export_items([item], BOXES, "yolo", predictions=True, scores="column")
    assert col["labels/imgs/a.txt"].decode().split()[-1] == "0.875"
    assert not any(k.startswith("scores/") for k in col)


def test_yolo_export_tells_never_annotated_from_annotated_without_objects(tmp_path: Path) -> None:
    data = {"width": 100, "height": 100}
    items = [
        Item("boxes", {"image": "a.jpg", **data}, [Annotation({"boxes": [
            {"x": 1, "y": 1, "w": 5, "h": 5, "label": "car"}]}, "ann")]),
        Item("empty", {"image": "b.jpg", **data}, [Annotation({}, "ann")]),
        Item("never", {"image": "c.jpg", **data}),
    ]  # fmt: skip
    files = export_items(items, BOXES, "yolo")
    assert "labels/c.jpg" not in files and "labels/c.txt" not in files
    assert files["labels/b.txt"] == b""
    bare = [Item(it.id, dict(it.data)) for it in items]
    report = ConversionReport()
    back = {it.id: it for it in import_items(files, BOXES, "yolo", items=bare, report=report)}
    assert len(back["boxes"].annotations) == 1
    assert len(back["empty"].annotations) == 1 and back["empty"].annotations[0].result == {}
    assert back["never"].annotations == []
    # and the folder reader agrees
    d = tmp_path / "labels"
    for name, content in files.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(content)
    s = read_annotations(
        "yolo", d / "labels", class_names=["car"],
        image_sizes={"a": (100, 100), "b": (100, 100), "c": (100, 100)},
    )  # fmt: skip
    assert sorted(it.id for it in s.items if it.annotations) == ["a.jpg", "b.jpg"]


def test_box_coordinates_carry_no_float_noise_into_voc_and_json() -> None:
    x2 = float(np.float32(0.64)) * 640  # a float32 detector output scaled to pixels
    assert str(x2).startswith("409.5999")
    item = Item(
        "a",
        {"image": "a.jpg", "width": 640, "height": 480},
        [Annotation({"boxes": [
            {"x": 0.1 + 0.2, "y": 0.25, "w": x2, "h": 123.4567, "label": "car"}]}, "m")],
    )  # fmt: skip
    voc = export_items([item], BOXES, "voc")["Annotations/a.xml"].decode()
    coco = export_items([item], BOXES, "coco")["coco.json"].decode()
    for text in (voc, coco):
        assert "409.5999" not in text and "0.30000000" not in text  # 0.1 + 0.2 in binary
    assert "<xmin>0.3</xmin>" in voc and "<xmax>409.9</xmax>" in voc
    assert json.loads(coco)["annotations"][0]["bbox"] == [0.3, 0.25, 409.6, 123.4567]
    # values the source precision holds survive exactly, again and again
    for fmt in ("voc", "coco"):
        once = import_items(export_items([item], BOXES, fmt), BOXES, fmt)
        twice = import_items(export_items(once, BOXES, fmt), BOXES, fmt)
        box = twice[0].annotations[0].result["boxes"][0]
        assert (box["x"], box["y"], box["w"], box["h"]) == (0.3, 0.25, 409.6, 123.4567)


def test_conll_reimport_keeps_tokens_and_spans() -> None:
    cfg = LabelConfig.from_dict(
        {
            "object": {"type": "text"},
            "controls": [{"name": "ner", "type": "spans", "labels": ["LOC"]}],
        }
    )
    text = "We flew to Paris. Then Rome, then New-York!"
    spans = [
        {"start": 11, "end": 16, "label": "LOC"},
        {"start": 23, "end": 27, "label": "LOC"},
        {"start": 34, "end": 42, "label": "LOC"},
    ]
    item = Item("1", {"text": text}, [Annotation({"ner": spans}, "ann")])
    report = ConversionReport()
    conll = to_conll([item], cfg, report=report)
    assert "Paris\tB-LOC\n.\tO" in conll and not report
    back = from_conll(conll, cfg)[0].annotations[0].result["ner"]
    assert [s["text"] for s in back] == ["Paris", "Rome", "New-York"]
    assert [(s["start"], s["end"]) for s in back] == [(s["start"], s["end"]) for s in spans]
