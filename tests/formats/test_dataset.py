"""Box datasets on disk (YOLO folders, COCO files, VOC folders) in the one Item model.

Moved from tests/image/test_formats.py when labelwise.image.formats merged into
labelwise.formats: the same cases, on ItemSet / box_item / item_boxes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labelwise.errors import LabelwiseError
from labelwise.formats import (
    ItemSet,
    box_config,
    box_item,
    convert_annotations,
    item_boxes,
    read_annotations,
    to_coco,
    validate_annotations,
    write_annotations,
)

CLASSES = ["car", "person", "bicycle"]


@st.composite
def item_sets(draw: st.DrawFn) -> ItemSet:
    items = []
    for i in range(draw(st.integers(1, 4))):
        w = draw(st.integers(8, 2000))
        h = draw(st.integers(8, 2000))
        boxes, labels = [], []
        for _ in range(draw(st.integers(0, 5))):
            x1 = draw(st.floats(0, w - 2))
            y1 = draw(st.floats(0, h - 2))
            x2 = draw(st.floats(x1 + 1, w))
            y2 = draw(st.floats(y1 + 1, h))
            boxes.append([x1, y1, x2, y2])
            labels.append(draw(st.sampled_from(CLASSES)))
        items.append(box_item(f"img_{i}.jpg", w, h, boxes, labels))
    return ItemSet(items, box_config(CLASSES))


def _assert_same(a: ItemSet, b: ItemSet, *, atol: float) -> None:
    by_stem = {Path(it.data["image"]).stem: it for it in b.items}
    assert len(by_stem) == len(a.items)
    for it in a.items:
        other = by_stem[Path(it.data["image"]).stem]
        assert (other.data["width"], other.data["height"]) == (it.data["width"], it.data["height"])
        got, got_labels, _ = item_boxes(other)
        want, want_labels, _ = item_boxes(it)
        assert got_labels == want_labels
        np.testing.assert_allclose(got, want, atol=atol, rtol=0)


def _item(s: ItemSet, stem: str):  # type: ignore[no-untyped-def]
    return next(it for it in s.items if Path(it.data["image"]).stem == stem)


_hyp = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_hyp
@given(item_sets())
def test_yolo_round_trip(tmp_path: Path, ann: ItemSet) -> None:
    d = tmp_path / f"yolo_{np.random.default_rng().integers(1e12)}"
    write_annotations(ann, "yolo", d)
    assert len(ann.report) == 0
    sizes = {Path(it.data["image"]).stem: (it.data["width"], it.data["height"]) for it in ann.items}
    back = read_annotations("yolo", d, image_sizes=sizes)
    assert back.classes == CLASSES and len(back.report) == 0
    _assert_same(ann, back, atol=2e-4)
    for f in d.glob("img_*.txt"):
        for line in f.read_text().splitlines():
            vals = [float(v) for v in line.split()[1:]]
            assert len(vals) == 4 and all(0.0 <= v <= 1.0 for v in vals), line


@_hyp
@given(item_sets(), st.sampled_from(["coco", "voc"]))
def test_coco_and_voc_round_trip(tmp_path: Path, ann: ItemSet, fmt: str) -> None:
    p = tmp_path / f"c_{np.random.default_rng().integers(1e12)}{'.json' if fmt == 'coco' else ''}"
    write_annotations(ann, fmt, p)
    back = read_annotations(fmt, p, class_names=CLASSES)
    assert len(back.report) == 0 and back.classes == CLASSES
    _assert_same(ann, back, atol=1e-4)
    if fmt == "coco":
        data = json.loads(p.read_text())
        assert {c["id"] for c in data["categories"]} == {1, 2, 3}


@_hyp
@given(
    item_sets(),
    st.sampled_from(["yolo", "coco", "voc"]),
    st.sampled_from(["yolo", "coco", "voc"]),
)
def test_convert_chain(tmp_path: Path, ann: ItemSet, a: str, b: str) -> None:
    """Any format -> any format keeps the boxes (images on disk give YOLO its sizes)."""
    from PIL import Image

    base = tmp_path / f"chain_{np.random.default_rng().integers(1e12)}"
    imgs = base / "images"
    imgs.mkdir(parents=True)
    for it in ann.items:
        Image.new("RGB", (it.data["width"], it.data["height"])).save(imgs / it.data["image"])
    src = base / ("src.json" if a == "coco" else "src")
    write_annotations(ann, a, src)
    dst = base / ("dst.json" if b == "coco" else "dst")
    out = convert_annotations(a, src, b, dst, images_dir=imgs, class_names=CLASSES)
    assert out.errors == []
    again = convert_annotations(
        b, dst, "coco", base / "final.json", images_dir=imgs, class_names=CLASSES
    )
    _assert_same(ann, again, atol=5e-4)


def test_shared_yolo_labels_report_out_of_range(shared_datasets: Path) -> None:
    yolo = shared_datasets / "images" / "yolo"
    s = read_annotations("yolo", yolo / "labels", images_dir=yolo / "images")
    # carimage.txt names rules/car.jpeg, which is not in the images folder
    missing = [f for f in s.report if f.item == "carimage.txt"]
    assert missing and missing[0].severity == "error" and missing[0].error == "no_image"
    annotated = {Path(it.data["image"]).stem for it in s.items if item_boxes(it)[1]}
    assert annotated == {f"img-{i}" for i in range(9)}
    assert len(s.items) == 220  # frames without a label file are listed, never annotated
    assert sum(1 for it in s.items if it.annotations) == 9
    for it in s.items:
        xyxy, _, _ = item_boxes(it)
        w, h = it.data["width"], it.data["height"]
        assert ((xyxy[:, 0] >= 0) & (xyxy[:, 2] <= w) & (xyxy[:, 1] >= 0) & (xyxy[:, 3] <= h)).all()
    assert any(f.severity == "warning" and "clipped" in f.message for f in s.report)

    # With the car photo's size known, its heights of 1.0018 are reported, not kept silently.
    from PIL import Image

    car = shared_datasets / "images" / "rules" / "car.jpeg"
    with Image.open(car) as im:
        size = im.size
    kept = read_annotations("yolo", yolo / "labels", image_sizes={"carimage": size}, policy="keep")
    car_faults = [f for f in kept.report if f.item == "carimage.txt"]
    assert len(car_faults) == 2 and all("outside" in f.message for f in car_faults)
    car_set = ItemSet([_item(kept, "carimage")], kept.config)
    assert len(validate_annotations(car_set).errors) == 2
    clipped = read_annotations("yolo", yolo / "labels", image_sizes={"carimage": size})
    car_boxes = item_boxes(_item(clipped, "carimage"))[0]
    assert (car_boxes[:, 3] <= size[1]).all()
    dropped = read_annotations(
        "yolo", yolo / "labels", image_sizes={"carimage": size}, policy="drop"
    )
    car_dropped = item_boxes(_item(dropped, "carimage"))[0]
    assert len(car_dropped) == len(car_boxes) - 2
    with pytest.raises(LabelwiseError, match="carimage.txt line .*outside"):
        read_annotations("yolo", yolo / "labels", image_sizes={"carimage": size}, policy="error")


def test_yolo_bad_lines_unknown_class_and_missing_image(tmp_path: Path) -> None:
    from PIL import Image

    imgs, labels = tmp_path / "images", tmp_path / "labels"
    imgs.mkdir()
    labels.mkdir()
    Image.new("RGB", (100, 50)).save(imgs / "a.jpg")
    Image.new("RGB", (100, 50)).save(imgs / "b.png")
    (labels / "a.txt").write_text(
        "0 0.5 0.5 0.2 0.2\n"
        "7 0.5 0.5 0.2 0.2\n"  # unknown class
        "1 0.5 0.5\n"  # too few values
        "x 0.5 0.5 0.1 0.1\n"  # not a number
        "1.5 0.5 0.5 0.1 0.1\n"  # class not an integer
        "1 0.5 0.5 0 0.2\n"  # degenerate
        "1 0.2 0.2 0.2 0.2 0.9\n"  # with a score column
        "1 0.1 0.1 0.3 0.1 0.3 0.4 0.1 0.4\n"  # segmentation polygon
        "0 nan 0.5 0.2 0.2\n"  # not finite: reported, the rest is still read
    )
    (labels / "ghost.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (labels / "classes.txt").write_text("car\nperson\n")
    s = read_annotations("yolo", labels, images_dir=imgs)
    assert s.classes == ["car", "person"]
    codes = {(f.item, f.line): f.error for f in s.report}
    assert codes[("a.txt", 2)] == "unknown_class"
    assert codes[("a.txt", 3)] == "malformed"
    assert codes[("a.txt", 4)] == "malformed"
    assert codes[("a.txt", 5)] == "malformed"
    assert codes[("a.txt", 6)] == "degenerate"
    assert codes[("a.txt", 8)] == "no_control"  # the box config has no polygons control
    assert codes[("a.txt", 9)] == "malformed"
    assert codes[("ghost.txt", None)] == "no_image"
    a = _item(s, "a")
    xyxy, labels_a, scores = item_boxes(a)
    assert labels_a == ["car", "person"]
    assert scores == [None, pytest.approx(0.9)]
    assert xyxy[1].tolist() == pytest.approx([10, 5, 30, 15])
    assert _item(s, "b").annotations == []  # no label file: never annotated
    with pytest.raises(LabelwiseError, match="does not exist"):
        read_annotations("yolo", tmp_path / "nope")
    with pytest.raises(LabelwiseError, match="policy"):
        read_annotations("yolo", labels, images_dir=imgs, policy="ignore")
    with pytest.raises(LabelwiseError, match=r"a.txt line 2: unknown class id 7"):
        read_annotations("yolo", labels, images_dir=imgs, policy="error")


def test_coco_problems_reported_per_annotation(tmp_path: Path) -> None:
    from PIL import Image

    data = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 100, "height": 100},
            {"id": 2, "file_name": "missing.jpg", "width": 100, "height": 100},
            {"id": 3, "no_file_name": "bad"},
        ],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]},
            {"id": 2, "image_id": 1, "category_id": 9, "bbox": [10, 10, 20, 20]},
            {"id": 3, "image_id": 42, "category_id": 1, "bbox": [10, 10, 20, 20]},
            {"id": 4, "image_id": 1, "category_id": 1, "bbox": [90, 90, 30, 30]},
            {"id": 5, "image_id": 1, "category_id": 1, "bbox": "oops"},
            {"id": 6, "image_id": 1, "category_id": 1, "bbox": [10, 10, 0, 5]},
        ],
        "categories": [{"id": 1, "name": "car"}],
    }
    p = tmp_path / "c.json"
    p.write_text(json.dumps(data))
    imgs = tmp_path / "images"
    imgs.mkdir()
    Image.new("RGB", (100, 100)).save(imgs / "a.jpg")
    s = read_annotations("coco", p, images_dir=imgs)
    text = "\n".join(s.report.problems)
    assert "missing.jpg" in text and "missing from" in text
    assert "image 2 needs 'id' and 'file_name'" in text
    assert "category_id 9" in text
    assert "unknown image_id" in text
    assert "clipped to (90, 90, 100, 100)" in text
    assert "needs bbox [x, y, w, h]" in text
    assert "has no area" in text
    assert [it.data["image"] for it in s.items] == ["a.jpg"]
    assert len(item_boxes(s.items[0])[1]) == 2
    with pytest.raises(LabelwiseError, match="not valid JSON|not a COCO"):
        (tmp_path / "x.json").write_text("{")
        read_annotations("coco", tmp_path / "x.json")
    with pytest.raises(LabelwiseError, match="not a COCO"):
        (tmp_path / "y.json").write_text("[]")
        read_annotations("coco", tmp_path / "y.json")


def test_voc_unknown_class_and_bad_files(tmp_path: Path) -> None:
    ann = ItemSet(
        [box_item("a.jpg", 50, 40, [[1, 2, 30, 20], [0, 0, 5, 5]], ["car", "dog"])],
        box_config(["car", "dog"]),
    )
    write_annotations(ann, "voc", tmp_path)
    (tmp_path / "broken.xml").write_text("<annotation><size>")
    s = read_annotations("voc", tmp_path, class_names=["car"])
    text = "\n".join(s.report.problems)
    assert "class 'dog' is not one of ['car']" in text
    assert "broken.xml" in text and "not valid XML" in text
    assert item_boxes(s.items[0])[1] == ["car"]


def test_to_coco_keeps_scores_and_frame() -> None:
    ann = ItemSet([box_item("a.jpg", 10, 10, [[0, 0, 5, 5]], ["new"], [0.5])], box_config(["new"]))
    d = to_coco(ann.items, ann.config)
    assert d["categories"][0]["name"] == "new" and d["annotations"][0]["score"] == 0.5
    assert ann.to_frame().shape == (1, 10)


def test_write_yolo_policy_clip_reports(tmp_path: Path) -> None:
    ann = ItemSet(
        [box_item("a.jpg", 100, 100, [[-10, 50, 50, 120], [120, 0, 130, 10]], ["car", "car"])],
        box_config(["car"]),
    )
    write_annotations(ann, "yolo", tmp_path, policy="clip")
    lines = (tmp_path / "a.txt").read_text().splitlines()
    assert len(lines) == 1
    vals = [float(v) for v in lines[0].split()[1:]]
    assert vals == pytest.approx([0.25, 0.75, 0.5, 0.5])
    assert sorted(f.severity for f in ann.report) == ["error", "warning"]


def test_old_image_formats_names_still_work_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning):
        from labelwise.image import read_yolo, write_yolo
    from labelwise.geometry import Box

    with pytest.warns(DeprecationWarning):
        from labelwise.image import AnnotationSet, BoxAnnotation, ImageAnnotation
    s = AnnotationSet(
        [ImageAnnotation("a.jpg", 100, 50, [BoxAnnotation(Box(10, 10, 30, 40), "cat")])],
        classes=["cat"],
    )
    write_yolo(s, tmp_path)
    back = read_yolo(tmp_path, image_sizes={"a": (100, 50)}, out_of_range="clip")
    assert item_boxes(back.items[0])[0].tolist() == [[10.0, 10.0, 30.0, 40.0]]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "label_studio", "coco", "voc"])
def test_every_box_importer_applies_the_same_policy(fmt: str) -> None:
    from labelwise.formats import Annotation, ConversionReport, Item, export_items, import_items

    cfg = box_config(["car"])
    item = Item(
        "a",
        {"image": "a.jpg", "width": 100, "height": 50},
        [Annotation({"boxes": [{"x": 80, "y": 10, "w": 40, "h": 20, "label": "car"}]}, "ann")],
    )
    # written with the schema check off (the box reaches x = 120 in a 100 px image)
    files = export_items([item], cfg, fmt)
    outcome = {}
    for policy in ("clip", "drop", "keep"):
        report = ConversionReport()
        back = import_items(files, cfg, fmt, policy=policy, report=report)
        boxes = item_boxes(back[0])[0].tolist()
        outcome[policy] = boxes
        assert len(report) == 1 and report[0].error == "out_of_range"
    assert outcome["clip"] == [[80.0, 10.0, 100.0, 30.0]]
    assert outcome["drop"] == []
    assert outcome["keep"] == [[80.0, 10.0, 120.0, 30.0]]
    with pytest.raises(LabelwiseError, match="outside the 100x50 image"):
        import_items(files, cfg, fmt, policy="error", report=ConversionReport())
