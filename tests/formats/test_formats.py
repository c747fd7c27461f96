"""Formats: label configs, geometry, clear errors on bad files, and the real YOLO data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelwise.errors import DataError
from labelwise.formats import (
    Annotation,
    ConfigError,
    ConversionReport,
    FormatError,
    Item,
    LabelConfig,
    ResultError,
    export_items,
    from_coco,
    from_conll,
    from_jsonl,
    from_label_studio,
    from_yolo,
    import_items,
    read_files,
    to_conll,
)
from labelwise.geometry import (
    box_iou,
    box_iou_matrix,
    clip_boxes,
    convert_boxes,
    interpolate_track,
    match_boxes,
    polygon_area,
    polygon_to_box,
)

BOXES = LabelConfig.from_dict(
    {
        "object": {"type": "image", "field": "image"},
        "controls": [{"name": "b", "type": "boxes", "labels": ["car"]}],
    }
)
TEXT = LabelConfig.from_dict(
    {
        "object": {"type": "text"},
        "controls": [
            {"name": "s", "type": "choices", "labels": ["neg", "pos"]},
            {"name": "ner", "type": "spans", "labels": ["PER"]},
        ],
    }
)


def test_config_from_yaml_and_errors(tmp_path: Path) -> None:
    f = tmp_path / "cfg.yaml"
    f.write_text(
        "title: T\nobject: {type: audio, field: clip}\ncontrols:\n"
        "  - {name: seg, type: segments, labels: [a, b], transcription: true}\n"
        "  - {name: q, type: choices, labels: [x, y, z], multiple: true}\n"
    )
    cfg = LabelConfig.from_file(f)
    assert cfg.object_field == "clip" and cfg.matrix_control is None
    assert LabelConfig.from_text(cfg.to_json()) == cfg
    bad = [
        ({"controls": []}, "object"),
        ({"object": {"type": "pdf"}, "controls": [{"name": "a", "type": "text"}]}, "pdf"),
        (
            {
                "object": {"type": "text"},
                "controls": [{"name": "a", "type": "boxes", "labels": ["x"]}],
            },
            "cannot annotate",
        ),
        (
            {
                "object": {"type": "text"},
                "controls": [{"name": "a", "type": "choices", "labels": ["x"]}],
            },
            "at least 2",
        ),
        (
            {
                "object": {"type": "text"},
                "controls": [{"name": "a", "type": "choices", "labels": ["x", "x"]}],
            },
            "repeats",
        ),
        ({"object": {"type": "text"}, "controls": [{"name": "1a", "type": "text"}]}, "letters"),
        (
            {
                "object": {"type": "text"},
                "controls": [{"name": "a", "type": "text"}, {"name": "a", "type": "text"}],
            },
            "unique",
        ),
        (
            {"object": {"type": "text"}, "controls": [{"name": "a", "type": "text", "colour": 1}]},
            "unknown keys",
        ),
    ]
    for spec, msg in bad:
        with pytest.raises(ConfigError, match=msg):
            LabelConfig.from_dict(spec)
    with pytest.raises(ConfigError, match="does not exist"):
        LabelConfig.from_file(tmp_path / "missing.yaml")


def test_validate_result_names_the_problem() -> None:
    data = {"text": "Ann met Bob"}
    ok = TEXT.validate_result({"s": "pos", "ner": [{"start": 8, "end": 11, "label": "PER"}]}, data)
    assert ok["ner"][0]["text"] == "Bob"
    for result, msg in [
        ({"s": "meh"}, "not one of"),
        ({"x": 1}, "unknown controls"),
        ({"ner": [{"start": 5, "end": 3, "label": "PER"}]}, "0 <= start < end"),
        ({"ner": [{"start": 0, "end": 99, "label": "PER"}]}, "past the text"),
        ({"s": ["neg", "pos"]}, "takes one choice"),
    ]:
        with pytest.raises(ResultError, match=msg):
            TEXT.validate_result(result, data)
    with pytest.raises(ResultError, match="leaves the 10x10 image"):
        BOXES.validate_result(
            {"b": [{"x": 5, "y": 5, "w": 6, "h": 1, "label": "car"}]}, {"width": 10, "height": 10}
        )


def test_geometry() -> None:
    b = np.array([[10.0, 20.0, 30.0, 40.0], [0.0, 0.0, 5.0, 5.0]])  # xywh, as the app stores
    np.testing.assert_allclose(convert_boxes(convert_boxes(b, "xywh", "xyxy"), "xyxy", "xywh"), b)
    norm = convert_boxes(b, "xywh", "cxcywh_norm", (640, 480))
    np.testing.assert_allclose(convert_boxes(norm, "cxcywh_norm", "xywh", (640, 480)), b)
    pct = convert_boxes(b, "xywh", "xywh_percent", (640, 480))
    np.testing.assert_allclose(pct[0], [10 / 6.4, 20 / 4.8, 30 / 6.4, 40 / 4.8])
    assert box_iou([0, 0, 2, 2], [1, 1, 3, 3]) == pytest.approx(1 / 7)
    xyxy = convert_boxes(b, "xywh", "xyxy")
    assert box_iou_matrix(xyxy, xyxy).diagonal().tolist() == [1.0, 1.0]
    assert match_boxes(xyxy, xyxy[::-1], labels_a=["a", "b"], labels_b=["b", "a"]) == [
        (0, 1, 1.0),
        (1, 0, 1.0),
    ]
    assert polygon_area([[0, 0], [2, 0], [2, 2], [0, 2]]) == 4.0
    kfs = [
        {"frame": 0, "x": 0, "y": 0, "w": 10, "h": 10},
        {"frame": 4, "x": 8, "y": 4, "w": 10, "h": 10, "outside": True},
    ]
    assert interpolate_track(kfs, 2) == {"x": 4.0, "y": 2.0, "w": 10.0, "h": 10.0}
    assert interpolate_track(kfs, 4) is None and interpolate_track(kfs, 9) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-50, 500), st.floats(-50, 500), st.floats(0.5, 300), st.floats(0.5, 300)
        ),
        min_size=1,
        max_size=6,
    )
)
def test_old_xywh_helpers_agree_with_the_one_geometry(rows: list[tuple[float, ...]]) -> None:
    """The deprecated xywh helpers (kept one release) give the one geometry's answers."""
    with pytest.warns(DeprecationWarning):
        from labelwise.formats import clip_xywh, iou_matrix, xywh_to_cxcywh_norm, xywh_to_xyxy

    b = np.array(rows)
    xyxy = convert_boxes(b, "xywh", "xyxy")
    np.testing.assert_allclose(xywh_to_xyxy(b), xyxy)
    iou = box_iou_matrix(xyxy, xyxy[::-1])
    np.testing.assert_allclose(iou_matrix(b, b[::-1]), iou, atol=1e-12)
    assert (np.diag(box_iou_matrix(xyxy, xyxy)) == 1.0).all()
    norm = convert_boxes(b, "xywh", "cxcywh", image_size=(640, 480), dst_normalized=True)
    np.testing.assert_allclose(xywh_to_cxcywh_norm(b, 640, 480), norm)
    clipped = convert_boxes(clip_boxes(xyxy, (400, 300)), "xyxy", "xywh")
    np.testing.assert_allclose(clip_xywh(b, 400, 300), clipped)


def test_geometry_shapes_sizes_and_errors() -> None:
    boxes = np.array([[0, 0, 10, 10], [5, 5, 10, 10], [0, 0, 20, 20]], float)
    # each box may have its own image size
    norm = convert_boxes(boxes, "xywh", "cxcywh_norm", (np.array([100, 100, 200]), 50))
    assert norm[2].tolist() == [0.05, 0.2, 0.1, 0.4]
    back = convert_boxes(norm, "cxcywh_norm", "xywh", (np.array([100, 100, 200]), 50))
    np.testing.assert_allclose(back, boxes)
    assert polygon_to_box([[1, 2], [4, 2], [3, 8]]).tolist() == [1.0, 2.0, 4.0, 8.0]
    with pytest.raises(DataError, match="must be positive"):
        convert_boxes([0.5, 0.5, 0.1, 0.1], "cxcywh_norm", "xywh", (0, 10))
    with pytest.raises(DataError, match=r"shape \(n, 4\)"):
        box_iou_matrix([[0, 0, 1]], [[0, 0, 1, 1]])
    with pytest.raises(DataError, match="NaN or infinite"):
        box_iou_matrix([[0, 0, float("nan"), 1]], [[0, 0, 1, 1]])
    with pytest.raises(DataError, match="box form"):
        convert_boxes([0, 0, 1, 1], "xyxy", "xywh_furlongs")
    assert polygon_area([[0, 0], [1, 1]]) == 0.0  # fewer than 3 points enclose nothing


def test_box_iou_scalar_and_matrix_forms_are_named_apart() -> None:
    assert isinstance(box_iou([0, 0, 2, 2], [1, 0, 3, 2]), float)
    assert box_iou_matrix([[0, 0, 2, 2]], [[1, 0, 3, 2], [0, 0, 2, 2]]).shape == (1, 2)
    with pytest.warns(DeprecationWarning, match="box_iou_matrix"):
        old = box_iou([[0, 0, 2, 2]], [[1, 0, 3, 2]])
    assert old.shape == (1, 1)


def test_malformed_files_get_clear_errors() -> None:
    with pytest.raises(FormatError, match="line 2 is not valid JSON"):
        from_jsonl('{"id": 1, "data": {"text": "a"}}\n{oops\n')
    with pytest.raises(FormatError, match="appears twice"):
        from_jsonl('{"id": 1, "text": "a"}\n{"id": 1, "text": "b"}\n')
    with pytest.raises(FormatError, match="not a control"):
        from_label_studio(
            [
                {
                    "data": {"text": "a"},
                    "annotations": [
                        {
                            "result": [
                                {
                                    "from_name": "zz",
                                    "type": "choices",
                                    "value": {"choices": ["pos"]},
                                }
                            ]
                        }
                    ],
                }
            ],
            TEXT,
        )
    with pytest.raises(FormatError, match="no 'data'"):
        from_label_studio([{"text": "a"}], TEXT)
    with pytest.raises(FormatError, match="not in categories"):
        from_coco(
            {
                "images": [{"id": 1, "file_name": "a.jpg", "width": 5, "height": 5}],
                "categories": [],
                "annotations": [{"image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}],
            },
            BOXES,
        )
    with pytest.raises(FormatError, match="not O, B-<label> or I-<label>"):
        from_conll("# text = Ann\nAnn\tX-PER\n", TEXT)
    with pytest.raises(FormatError, match="unknown format"):
        export_items([], TEXT, "pdf")
    with pytest.raises(FormatError, match="no image size"):
        export_items([Item("1", {"image": "a.jpg"}, [Annotation({"b": []})])], BOXES, "coco")
    report = ConversionReport()
    text = to_conll(
        [
            Item(
                "1",
                {"text": "Ann met Bob"},
                [Annotation({"ner": [{"start": 1, "end": 6, "label": "PER"}]}, "x")],
            )
        ],
        TEXT,
        report=report,
    )
    # A span that cuts a word splits the word, so the span comes back exactly (no widening).
    assert "nn\tB-PER\nme\tI-PER\nt\tO" in text and not report.problems
    back = from_conll(text, TEXT)
    assert back[0].annotations[0].result["ner"] == [
        {"start": 1, "end": 6, "label": "PER", "text": "nn me"}
    ]


def test_label_studio_real_shape_import() -> None:
    # The shape Label Studio itself writes: int ids, completed_by ids, percent boxes.
    tasks = [
        {
            "id": 7,
            "data": {"image": "/data/upload/1/cat.jpg"},
            "annotations": [
                {
                    "id": 1,
                    "completed_by": 3,
                    "result": [
                        {
                            "from_name": "b",
                            "to_name": "image",
                            "type": "rectanglelabels",
                            "original_width": 200,
                            "original_height": 100,
                            "value": {
                                "x": 10,
                                "y": 20,
                                "width": 50,
                                "height": 30,
                                "rotation": 0,
                                "rectanglelabels": ["car"],
                            },
                        }
                    ],
                },
                {"id": 2, "completed_by": 4, "was_cancelled": True, "result": []},
            ],
        }
    ]
    (item,) = from_label_studio(json.dumps(tasks), BOXES)
    assert item.id == "7" and len(item.annotations) == 1 and item.annotations[0].annotator == "3"
    assert item.annotations[0].result["b"] == [
        {"x": 20.0, "y": 20.0, "w": 100.0, "h": 30.0, "label": "car"}
    ]


def test_yolo_real_files_clip_out_of_range(shared_datasets: Path) -> None:
    from PIL import Image

    root = shared_datasets / "images" / "yolo"
    files = {f"labels/{p.name}": p.read_text() for p in (root / "labels").glob("*.txt")}
    files["classes.txt"] = "vehicle\n"
    cfg = LabelConfig.from_dict(
        {
            "object": {"type": "image"},
            "controls": [{"name": "b", "type": "boxes", "labels": ["vehicle"]}],
        }
    )
    items = []
    for stem in ("img-0", "img-1", "carimage"):
        path = root / "images" / f"{stem}.jpg"
        if stem == "carimage":
            path = shared_datasets / "images" / "rules" / "car.jpeg"
        with Image.open(path) as im:
            items.append(
                Item(stem, {"image": f"{stem}.jpg", "width": im.width, "height": im.height})
            )
    report = ConversionReport()
    out = from_yolo(files, items, cfg, annotator="tool", report=report)
    car = next(i for i in out if i.id == "carimage")
    assert car.annotations and all(
        b["y"] + b["h"] <= car.data["height"] + 1e-6 for b in car.annotations[0].result["b"]
    )
    assert any("carimage" in p and "clipped" in p for p in report.problems)
    with pytest.raises(FormatError, match="outside"):
        from_yolo(files, items, cfg, policy="error")
    assert all(i.annotations for i in out)


def test_read_files_rejects_unsafe_and_oversized(tmp_path: Path) -> None:
    import zipfile

    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../escape.txt", "x")
    with pytest.raises(FormatError, match="unsafe path"):
        read_files(z)
    big = tmp_path / "big.jsonl"
    big.write_text("x" * 2000)
    with pytest.raises(FormatError, match="larger than"):
        read_files(big, max_bytes=1000)
    with pytest.raises(FormatError, match="YOLO import needs the items"):
        import_items({"labels/a.txt": b"0 0.5 0.5 0.1 0.1"}, BOXES, "yolo")
