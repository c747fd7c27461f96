from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labelwise.errors import DataError, MissingDependencyError
from labelwise.formats import item_boxes, read_annotations, write_annotations
from labelwise.image import (
    DNNDetector,
    HaarDetector,
    decode_yolo_output,
    detect_images,
    detection_features,
    detection_votes,
    detector_labeling_function,
    draw_detections,
    load_detector,
    load_images,
)
from labelwise.labeling import ABSTAIN, LabelMatrix
from labelwise.labeling.apply import LFApplier

torch = pytest.importorskip("torch")

S = 64  # network input side of the tiny model


def export_tiny_yolo(path: Path, layout: str) -> Path:
    """A tiny YOLO-style detector whose class scores are the mean red / blue of the input.

    Three fixed candidate boxes (in input pixels): two overlapping ones scored by redness
    (NMS must keep one) and one scored by blueness.
    """

    class TinyYolo(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            boxes = [[32.0, 32.0, 20.0, 20.0], [33.0, 33.0, 20.0, 20.0], [10.0, 40.0, 8.0, 8.0]]
            self.register_buffer("boxes", torch.tensor([boxes]))  # (1, N, 4)
            self.register_buffer("red_w", torch.tensor([[1.0, 0.9, 0.0]]))
            self.register_buffer("blue_w", torch.tensor([[0.0, 0.0, 1.0]]))
            self.register_buffer("obj", torch.ones(1, 3, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            m = x.mean(dim=(2, 3))  # (1, 3): mean R, G, B
            cls_red = (m[:, 0:1] * self.red_w).unsqueeze(2)  # (1, N, 1)
            cls_blue = (m[:, 2:3] * self.blue_w).unsqueeze(2)
            if layout == "v8":
                rows = torch.cat([self.boxes, cls_red, cls_blue], dim=2)
                return rows.transpose(1, 2)  # (1, 4 + C, N)
            return torch.cat([self.boxes, self.obj, cls_red, cls_blue], dim=2)  # (1, N, 5 + C)

    torch.onnx.export(
        TinyYolo().eval(), torch.zeros(1, 3, S, S), str(path), dynamo=False, opset_version=13
    )
    return path


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("layout", ["v8", "v5"])
def test_onnx_yolo_detector_decodes_letterbox_and_nms(tmp_path: Path, layout: str) -> None:
    model = export_tiny_yolo(tmp_path / f"tiny_{layout}.onnx", layout)
    (tmp_path / "names.txt").write_text("red thing\nblue thing\n")
    det = load_detector(
        f"yolo:{model}", class_names=tmp_path / "names.txt", conf_threshold=0.3, input_size=S
    )
    assert isinstance(det, DNNDetector) and det.classes == ["red thing", "blue thing"]
    red = np.zeros((64, 128, 3), np.uint8)
    red[..., 0] = 255
    found = det.detect(red)
    # letterbox: scale 0.5, 16 px of padding on top; NMS keeps one of the two red boxes
    assert [d.label for d in found] == ["red thing"]
    assert found[0].box.to_xyxy() == pytest.approx((44, 12, 84, 52), abs=1e-3)
    assert 0.3 < found[0].score < 1.0
    blue = np.zeros((64, 128, 3), np.uint8)
    blue[..., 2] = 255
    found = det.detect(blue)
    assert [d.label for d in found] == ["blue thing"]
    assert found[0].box.to_xyxy() == pytest.approx((12, 40, 28, 56), abs=1e-3)
    no_nms = DNNDetector(
        model, class_names=["r", "b"], conf_threshold=0.3, nms_threshold=1.0, input_size=S
    )
    assert len(no_nms.detect(red)) == 2


def write_tiny_darknet(d: Path) -> tuple[Path, Path]:
    """A Darknet YOLO written in the test: a 32x32 network that pools the image to one cell
    and predicts one 20x20 box whose class is "red" or "blue" by the image's colour."""
    import struct

    cfg = d / "tiny.cfg"
    cfg.write_text(
        "[net]\nwidth=32\nheight=32\nchannels=3\n\n"
        "[maxpool]\nsize=32\nstride=32\n\n"
        "[convolutional]\nfilters=21\nsize=1\nstride=1\npad=0\nactivation=linear\n\n"
        "[yolo]\nmask=0,1,2\nanchors=10,10, 20,20, 30,30\nclasses=2\nnum=3\n"
    )
    n_out = (5 + 2) * 3
    bias = np.full(n_out, -10.0, np.float32)
    weights = np.zeros((n_out, 3, 1, 1), np.float32)
    base = 1 * 7  # the 20x20 anchor
    bias[base : base + 4] = 0.0  # centred in the cell, anchor-sized
    bias[base + 4] = 10.0  # objectness
    weights[base + 5, 0] = 20.0  # class 0 from the red channel
    weights[base + 6, 2] = 20.0  # class 1 from the blue channel
    w = d / "tiny.weights"
    with w.open("wb") as f:
        f.write(struct.pack("<iii", 0, 2, 0))
        f.write(struct.pack("<Q", 0))
        f.write(bias.tobytes())
        f.write(weights.tobytes())
    return cfg, w


def test_darknet_detector(tmp_path: Path) -> None:
    cfg, weights = write_tiny_darknet(tmp_path)
    det = load_detector(f"darknet:{cfg},{weights}", class_names=["red", "blue"], input_size=32)
    assert isinstance(det, DNNDetector) and det.darknet
    img = np.zeros((64, 64, 3), np.uint8)
    img[..., 0] = 255
    found = det.detect(img)
    # one cell at the centre of the 32x32 input, a 20x20 anchor; the image is scaled by 2
    assert [d.label for d in found] == ["red"]
    assert found[0].box.to_xyxy() == pytest.approx((12, 12, 52, 52), abs=0.5)
    assert found[0].score == pytest.approx(1.0, abs=1e-3)
    img = np.zeros((64, 64, 3), np.uint8)
    img[..., 2] = 255
    assert [d.label for d in det.detect(img)] == ["blue"]
    assert det.detect(np.zeros((64, 64, 3), np.uint8)) == []


def test_decode_yolo_output_layouts() -> None:
    v5 = np.array([[[50, 50, 20, 20, 0.5, 0.2, 0.8], [10, 10, 4, 4, 0.9, 0.9, 0.1]]])
    b, s, c = decode_yolo_output(v5, n_classes=2, conf_threshold=0.3)
    assert c.tolist() == [1, 0] and s == pytest.approx([0.4, 0.81])
    assert b[0].tolist() == [40, 40, 60, 60]
    v8 = np.array([[[50, 10], [50, 10], [20, 4], [20, 4], [0.2, 0.9], [0.8, 0.1]]])
    _b8, s8, c8 = decode_yolo_output(v8, n_classes=2, conf_threshold=0.3)
    assert c8.tolist() == [1, 0] and s8 == pytest.approx([0.8, 0.9])
    with pytest.raises(DataError, match="not"):
        decode_yolo_output(np.zeros((2, 2, 2, 2)))


def test_haar_face_on_drawn_face(face_image: np.ndarray, tmp_path: Path) -> None:
    det = load_detector("faces")
    assert isinstance(det, HaarDetector) and det.classes == ["face"]
    found = det.detect(face_image)
    assert len(found) == 1
    box = found[0].box
    assert box.contains((80, 80)) and 60 < box.width < 160
    assert det.detect(np.full((160, 160, 3), 128, np.uint8)) == []
    for name in ("catfaces", "fullbody", "upperbody"):
        assert load_detector(name).detect(np.full((120, 120, 3), 90, np.uint8)) == []

    # as image-level votes and as a labeling function over a table of paths
    d = tmp_path / "imgs"
    d.mkdir()
    Image.fromarray(face_image).save(d / "face.png")
    Image.fromarray(np.full((160, 160, 3), 128, np.uint8)).save(d / "blank.png")
    res = detect_images(d, "faces")
    assert res.item_ids == ["blank.png", "face.png"]
    votes = detection_votes(res, 1, negative_label=0)
    assert votes.tolist() == [0, 1]
    L = LabelMatrix(votes[:, None], names=["has_face"], index=res.item_ids)
    assert L["has_face"].tolist() == [0, 1]
    frame = res.to_frame()
    assert frame["item_id"].tolist() == ["face.png"] and frame["label"].tolist() == ["face"]
    table = load_images(d).table[["item_id", "path"]].copy()
    table.loc[len(table)] = ["gone", str(d / "gone.png")]
    lf = detector_labeling_function("faces", 1, name="has_face")
    Lf = LFApplier([lf]).apply(table)
    assert Lf.values[:, 0].tolist() == [ABSTAIN, 1, ABSTAIN]
    feats = detection_features(d, ["faces"])
    assert feats["n_faces"].tolist() == [0, 1] and np.isnan(feats["max_score_faces"][0])
    drawn = draw_detections(face_image, res.detections[1] or [])
    assert drawn.shape == face_image.shape and not np.array_equal(drawn, face_image)
    # detections export as pre-labels
    write_annotations(res.to_annotations(), "coco", tmp_path / "pre.json", predictions=True)
    back = read_annotations("coco", tmp_path / "pre.json")
    scores = item_boxes(back.items[1])[2]
    assert back.n_boxes == 1 and scores[0] == pytest.approx(found[0].score, abs=1e-6)


def test_hog_people_on_drawn_person(person_image: np.ndarray) -> None:
    img = person_image
    found = load_detector("people").detect(img)
    assert len(found) == 1 and found[0].label == "person" and found[0].score > 1.0
    box = found[0].box
    # the figure stands at x 80..233, y 40..296 of the page
    assert box.contains((156, 168)) and box.height > 200
    assert load_detector("people").detect(np.full_like(img, 215)) == []


def test_hog_people_on_shared_photo(shared_datasets: Path) -> None:
    rules = shared_datasets / "images" / "rules"
    res = detect_images([rules / "bike_with_person.jpeg", rules / "roseflower.jpeg"], "people")
    counts = res.counts()
    assert counts[0] >= 1 and counts[1] == 0
    for d in res.detections[0] or []:
        assert d.label == "person" and d.box.x2 <= 1024 and d.box.y2 <= 1024


def test_detector_specs_and_errors(tmp_path: Path) -> None:
    assert load_detector("people").name == "people"
    assert load_detector("face").name == "faces"
    with pytest.raises(DataError, match="unknown detector"):
        load_detector("cars")
    with pytest.raises(DataError, match="does not exist"):
        load_detector(f"yolo:{tmp_path / 'missing.onnx'}")
    with pytest.raises(DataError, match="CFG,WEIGHTS"):
        load_detector("darknet:only.cfg")
    with pytest.raises(DataError, match="unknown Haar cascade"):
        HaarDetector("dragons")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(DataError, match="cannot load"):
        load_detector(f"onnx:{bad}")
    pt = tmp_path / "best.pt"
    pt.write_bytes(b"x")
    try:
        import ultralytics  # noqa: F401
    except ImportError:
        with pytest.raises(MissingDependencyError, match="format=onnx"):
            load_detector(f"yolo:{pt}")


def test_detect_images_records_failures(face_image: np.ndarray, tmp_path: Path) -> None:
    Image.fromarray(face_image).save(tmp_path / "a.png")
    Image.fromarray(face_image).save(tmp_path / "b.png")
    col = load_images(tmp_path)
    (tmp_path / "b.png").write_bytes(b"")  # breaks after loading
    res = detect_images(col, "faces")
    assert [f[0] for f in res.failures] == ["b.png"]
    assert res.detections[1] is None and np.isnan(res.counts()[1])
    assert detection_votes(res, 1).tolist() == [1, ABSTAIN]
