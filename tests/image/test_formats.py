from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labelwise.errors import LabelwiseError
from labelwise.image.formats import (
    AnnotationSet,
    BoxAnnotation,
    ImageAnnotation,
    convert_annotations,
    read_coco,
    read_voc,
    read_yolo,
    to_coco,
    validate_annotations,
    write_coco,
    write_voc,
    write_yolo,
)
from labelwise.image.geometry import Box

CLASSES = ["car", "person", "bicycle"]


@st.composite
def annotation_sets(draw: st.DrawFn) -> AnnotationSet:
    n_images = draw(st.integers(1, 4))
    images = []
    for i in range(n_images):
        w = draw(st.integers(8, 2000))
        h = draw(st.integers(8, 2000))
        boxes = []
        for _ in range(draw(st.integers(0, 5))):
            x1 = draw(st.floats(0, w - 2))
            y1 = draw(st.floats(0, h - 2))
            x2 = draw(st.floats(x1 + 1, w))
            y2 = draw(st.floats(y1 + 1, h))
            boxes.append(BoxAnnotation(Box(x1, y1, x2, y2), draw(st.sampled_from(CLASSES))))
        images.append(ImageAnnotation(f"img_{i}.jpg", w, h, boxes))
    return AnnotationSet(images, classes=list(CLASSES))


def _assert_same(a: AnnotationSet, b: AnnotationSet, *, atol: float) -> None:
    by_stem = {Path(im.image).stem: im for im in b.images}
    assert len(by_stem) == len(a.images)
    for im in a.images:
        other = by_stem[Path(im.image).stem]
        assert (other.width, other.height) == (im.width, im.height)
        assert [x.label for x in other.boxes] == [x.label for x in im.boxes]
        got = np.array([x.box.to_xyxy() for x in other.boxes]).reshape(-1, 4)
        want = np.array([x.box.to_xyxy() for x in im.boxes]).reshape(-1, 4)
        np.testing.assert_allclose(got, want, atol=atol, rtol=0)


_hyp = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_hyp
@given(annotation_sets())
def test_yolo_round_trip(tmp_path: Path, ann: AnnotationSet) -> None:
    d = tmp_path / f"yolo_{np.random.default_rng().integers(1e12)}"
    issues = write_yolo(ann, d)
    assert issues == []
    sizes = {Path(im.image).stem: (im.width, im.height) for im in ann.images}
    back = read_yolo(d, image_sizes=sizes)
    assert back.classes == CLASSES and back.issues == []
    # 8 decimals of a normalized coordinate: at most 2000 * 5e-9 px off
    _assert_same(ann, back, atol=1e-4)
    for f in d.glob("img_*.txt"):
        for line in f.read_text().splitlines():
            vals = [float(v) for v in line.split()[1:]]
            assert all(0.0 <= v <= 1.0 for v in vals), line


@_hyp
@given(annotation_sets())
def test_coco_round_trip(tmp_path: Path, ann: AnnotationSet) -> None:
    p = tmp_path / f"c_{np.random.default_rng().integers(1e12)}.json"
    write_coco(ann, p)
    back = read_coco(p)
    assert back.issues == [] and back.classes == CLASSES
    _assert_same(ann, back, atol=1e-9)
    data = json.loads(p.read_text())
    assert {c["id"] for c in data["categories"]} == {1, 2, 3}


@_hyp
@given(annotation_sets())
def test_voc_round_trip(tmp_path: Path, ann: AnnotationSet) -> None:
    d = tmp_path / f"voc_{np.random.default_rng().integers(1e12)}"
    write_voc(ann, d)
    back = read_voc(d, class_names=CLASSES)
    assert back.issues == []
    _assert_same(ann, back, atol=1e-6)


@_hyp
@given(
    annotation_sets(),
    st.sampled_from(["yolo", "coco", "voc"]),
    st.sampled_from(["yolo", "coco", "voc"]),
)
def test_convert_chain(tmp_path: Path, ann: AnnotationSet, a: str, b: str) -> None:
    """Any format -> any format keeps the boxes (images on disk give YOLO its sizes)."""
    from PIL import Image

    base = tmp_path / f"chain_{np.random.default_rng().integers(1e12)}"
    imgs = base / "images"
    imgs.mkdir(parents=True)
    for im in ann.images:
        Image.new("RGB", (im.width, im.height)).save(imgs / im.image)
    src = base / ("src.json" if a == "coco" else "src")
    from labelwise.image.formats import write_annotations

    write_annotations(ann, a, src)
    dst = base / ("dst.json" if b == "coco" else "dst")
    out = convert_annotations(
        a, src, b, dst, images_dir=imgs, class_names=CLASSES if a != "coco" else None
    )
    assert out.errors == []
    again = convert_annotations(
        b,
        dst,
        "coco",
        base / "final.json",
        images_dir=imgs,
        class_names=CLASSES if b != "coco" else None,
    )
    _assert_same(ann, again, atol=1e-4)


def test_shared_yolo_labels_report_out_of_range(shared_datasets: Path) -> None:
    yolo = shared_datasets / "images" / "yolo"
    s = read_yolo(yolo / "labels", images_dir=yolo / "images")
    # carimage.txt names rules/car.jpeg, which is not in the images folder
    missing = [i for i in s.issues if i.file == "carimage.txt"]
    assert missing and missing[0].level == "error" and "no such image" in missing[0].message
    assert {Path(im.image).stem for im in s.images if im.boxes} == {f"img-{i}" for i in range(9)}
    assert len(s.images) == 220  # unlabelled frames are listed with no boxes
    # Every kept box lies inside its image after clipping; clipped ones were reported.
    for im in s.images:
        for b in im.boxes:
            assert 0 <= b.box.x1 <= b.box.x2 <= im.width and 0 <= b.box.y1 <= b.box.y2 <= im.height
    assert any(i.level == "warning" and "clipped" in i.message for i in s.issues)

    # With the car photo's size known, its heights of 1.0018 are reported, not kept silently.
    from PIL import Image

    car = shared_datasets / "images" / "rules" / "car.jpeg"
    with Image.open(car) as im:
        size = im.size
    kept = read_yolo(yolo / "labels", image_sizes={"carimage": size}, out_of_range="keep")
    car_issues = [i for i in kept.issues if i.file == "carimage.txt"]
    assert len(car_issues) == 2 and all("outside" in i.message for i in car_issues)
    car_ann = next(im for im in kept.images if im.stem == "carimage")
    assert validate_annotations(AnnotationSet([car_ann], ["0"])) != []
    clipped = read_yolo(yolo / "labels", image_sizes={"carimage": size})
    car_ann = next(im for im in clipped.images if im.stem == "carimage")
    assert all(b.box.y2 <= size[1] for b in car_ann.boxes)
    dropped = read_yolo(yolo / "labels", image_sizes={"carimage": size}, out_of_range="drop")
    car_dropped = next(im for im in dropped.images if im.stem == "carimage")
    assert len(car_dropped.boxes) == len(car_ann.boxes) - 2
    assert all(b.box.y2 <= size[1] for b in car_dropped.boxes)


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
        "1 0.2 0.2 0.2 0.2 0.9\n"  # with confidence
        "1 0.1 0.1 0.3 0.1 0.3 0.4 0.1 0.4\n"  # segmentation polygon -> bbox
        "0 nan 0.5 0.2 0.2\n"  # not finite: reported, the rest is still read
    )
    (labels / "ghost.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (labels / "classes.txt").write_text("car\nperson\n")
    s = read_yolo(labels, images_dir=imgs)
    assert s.classes == ["car", "person"]
    msgs = {(i.file, i.line): i.message for i in s.issues}
    assert "unknown class id 7" in msgs[("a.txt", 2)]
    assert "got 3 values" in msgs[("a.txt", 3)]
    assert "not numbers" in msgs[("a.txt", 4)]
    assert "not a non-negative integer" in msgs[("a.txt", 5)]
    assert "degenerate" in msgs[("a.txt", 6)]
    assert "NaN or infinite" in msgs[("a.txt", 9)]
    assert "no such image" in msgs[("ghost.txt", None)]
    a = next(im for im in s.images if im.stem == "a")
    assert [b.label for b in a.boxes] == ["car", "person", "person"]
    assert a.boxes[1].score == pytest.approx(0.9)
    assert a.boxes[2].box.to_xyxy() == pytest.approx((10, 5, 30, 20))
    b = next(im for im in s.images if im.stem == "b")
    assert b.boxes == []
    with pytest.raises(LabelwiseError, match="does not exist"):
        read_yolo(tmp_path / "nope")
    with pytest.raises(LabelwiseError, match="out_of_range"):
        read_yolo(labels, images_dir=imgs, out_of_range="ignore")


def test_coco_problems_reported_per_annotation(tmp_path: Path) -> None:
    from PIL import Image

    data = {
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": 100, "height": 100},
            {"id": 2, "file_name": "missing.jpg", "width": 100, "height": 100},
            {"id": 3, "file_name": "bad"},
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
    s = read_coco(p, images_dir=imgs)
    text = "\n".join(str(i) for i in s.issues)
    assert "missing.jpg" in text and "missing from" in text
    assert "malformed image entry" in text
    assert "unknown category id 9" in text
    assert "image id 42" in text
    assert "clipped to (90, 90, 100, 100)" in text
    assert "malformed annotation" in text
    assert "degenerate" in text
    assert [im.image for im in s.images] == ["a.jpg"]
    assert len(s.images[0].boxes) == 2
    with pytest.raises(LabelwiseError, match="not valid JSON"):
        (tmp_path / "x.json").write_text("{")
        read_coco(tmp_path / "x.json")
    with pytest.raises(LabelwiseError, match="not a COCO"):
        (tmp_path / "y.json").write_text("[]")
        read_coco(tmp_path / "y.json")


def test_voc_unknown_class_and_bad_files(tmp_path: Path) -> None:
    ann = AnnotationSet(
        [
            ImageAnnotation(
                "a.jpg",
                50,
                40,
                [BoxAnnotation(Box(1, 2, 30, 20), "car"), BoxAnnotation(Box(0, 0, 5, 5), "dog")],
            )
        ],
        classes=["car", "dog"],
    )
    write_voc(ann, tmp_path)
    (tmp_path / "broken.xml").write_text("<annotation><size>")
    s = read_voc(tmp_path, class_names=["car"])
    text = "\n".join(str(i) for i in s.issues)
    assert "unknown class 'dog'" in text
    assert "broken.xml" in text and "not valid XML" in text
    assert [b.label for b in s.images[0].boxes] == ["car"]


def test_to_coco_adds_unlisted_classes_and_frame() -> None:
    ann = AnnotationSet(
        [ImageAnnotation("a.jpg", 10, 10, [BoxAnnotation(Box(0, 0, 5, 5), "new", 0.5)])]
    )
    d = to_coco(ann)
    assert d["categories"][0]["name"] == "new" and d["annotations"][0]["score"] == 0.5
    assert ann.to_frame().shape == (1, 9)


def test_write_yolo_clips_and_reports(tmp_path: Path) -> None:
    ann = AnnotationSet(
        [
            ImageAnnotation(
                "a.jpg",
                100,
                100,
                [
                    BoxAnnotation(Box(-10, 50, 50, 120), "car"),
                    BoxAnnotation(Box(120, 0, 130, 10), "car"),
                    BoxAnnotation(Box(10, 10, 20, 20), "ghost"),
                ],
            )
        ],
        classes=["car"],
    )
    issues = write_yolo(ann, tmp_path)
    lines = (tmp_path / "a.txt").read_text().splitlines()
    assert len(lines) == 1
    vals = [float(v) for v in lines[0].split()[1:]]
    assert all(0 <= v <= 1 for v in vals)
    assert vals == pytest.approx([0.25, 0.75, 0.5, 0.5])
    kinds = sorted(i.level for i in issues)
    assert kinds == ["error", "error", "warning"]
