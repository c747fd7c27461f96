"""YOLO ONNX pre-labeling reads the model's output layout or refuses it: tiny ONNX models
built in the test with the ``onnx`` package (no downloads)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labelwise.errors import DataError
from labelwise.image import DNNDetector, load_detector
from labelwise.image.detect import resolve_yolo_layout

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from clitools import error_lines, run_cli  # noqa: E402

S = 64


def constant_model(path: Path, outputs: list[np.ndarray], side: int = S) -> Path:
    """An ONNX model with an image input (1, 3, side, side) whose outputs are the given
    constants (plus 0 x the input's mean, so the graph depends on its input)."""
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["m"], keepdims=1),  # (1, 1, 1, 1)
        helper.make_node("Reshape", ["m", "shape3"], ["m3"]),
        helper.make_node("Mul", ["m3", "zero"], ["z"]),
    ]
    inits = [
        helper.make_tensor("shape3", TensorProto.INT64, [3], [1, 1, 1]),
        helper.make_tensor("zero", TensorProto.FLOAT, [1], [0.0]),
    ]
    outs = []
    for k, value in enumerate(outputs):
        value = np.asarray(value, np.float32)
        inits.append(helper.make_tensor(f"c{k}", TensorProto.FLOAT, value.shape, value.ravel()))
        nodes.append(helper.make_node("Add", ["z", f"c{k}"], [f"out{k}"]))
        outs.append(helper.make_tensor_value_info(f"out{k}", TensorProto.FLOAT, value.shape))
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, side, side])],
        outs,
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_layout_rules():
    assert resolve_yolo_layout((1, 6, 8400), n_classes=2, input_size=(640, 640)) == ("v8", 2)
    assert resolve_yolo_layout((1, 8400, 6), n_classes=None, input_size=(640, 640)) == (
        "v8-rows",
        2,
    )
    assert resolve_yolo_layout((1, 25200, 6), n_classes=1, input_size=(640, 640)) == ("v5", 1)
    assert resolve_yolo_layout((1, 100, 6), n_classes=1, input_size=(640, 640)) == ("nms", 1)
    with pytest.raises(DataError, match="80 classes but the class names list 2"):
        resolve_yolo_layout((1, 84, 8400), n_classes=2, input_size=(640, 640))
    with pytest.raises(DataError, match="batch-index"):
        resolve_yolo_layout((1, 100, 7), n_classes=None, input_size=(640, 640))
    with pytest.raises(DataError, match="4 outputs"):
        resolve_yolo_layout((1, 1), n_classes=None, input_size=(640, 640), n_outputs=4)
    with pytest.raises(DataError, match="cannot tell"):
        resolve_yolo_layout((1, 13, 99), n_classes=None, input_size=(640, 640))


def test_end_to_end_export_gives_the_right_boxes(tmp_path: Path):
    # Two detections in input pixels (64x64 input) after NMS, then zero padding rows.
    rows = np.zeros((1, 10, 6), np.float32)
    rows[0, 0] = [10, 20, 30, 40, 0.9, 1]
    rows[0, 1] = [40, 16, 60, 48, 0.6, 0]
    model = constant_model(tmp_path / "e2e.onnx", [rows])
    det = DNNDetector(model, class_names=["cat", "dog"], input_size=S, conf_threshold=0.25)
    assert det.layout == "nms"
    found = det.detect(np.zeros((64, 128, 3), np.uint8))  # letterbox: scale 0.5, pad 16 top
    assert [d.label for d in found] == ["dog", "cat"]
    assert found[0].box.to_xyxy() == pytest.approx((20, 8, 60, 48), abs=1e-3)
    assert found[1].box.to_xyxy() == pytest.approx((80, 0, 120, 64), abs=1e-3)


def test_model_input_size_is_used(tmp_path: Path):
    rows = np.zeros((1, 4, 6), np.float32)
    model = constant_model(tmp_path / "e2e.onnx", [rows], side=32)
    det = DNNDetector(model, class_names=["a", "b"], input_size=640)
    assert det.input_size == (32, 32) and "32x32" in det.notes[0]


def test_unreadable_models_are_refused_in_the_cli(tmp_path: Path):
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(imgs / "a.png")
    (tmp_path / "names.txt").write_text("cat\ndog\n")
    four = constant_model(
        tmp_path / "trt.onnx",
        [np.zeros((1, 1)), np.zeros((1, 100, 4)), np.zeros((1, 100)), np.zeros((1, 100))],
    )
    wrong_classes = constant_model(tmp_path / "coco.onnx", [np.zeros((1, 84, 84))])
    for model, expect in ((four, "4 outputs"), (wrong_classes, "80 classes")):
        res = run_cli(
            "image", "detect", str(imgs), "-d", f"yolo:{model}", "--names",
            str(tmp_path / "names.txt"), "--input-size", str(S), "-o", str(tmp_path / "d.csv"),
        )  # fmt: skip
        assert res.returncode == 2, res.stderr
        assert len(error_lines(res.stderr)) == 1 and expect in res.stderr
        assert not (tmp_path / "d.csv").exists()
    with pytest.raises(DataError, match="80 classes"):
        load_detector(f"onnx:{wrong_classes}", class_names=["a", "b"], input_size=S)
