"""Pretrained detectors, all offline, as boxes and as image-level votes.

Built in (shipped inside ``opencv-python-headless``, nothing downloaded):

* ``"people"``: OpenCV's HOG + linear SVM pedestrian detector;
* ``"faces"``, ``"fullbody"``, ``"upperbody"``, ``"catfaces"``, ``"eyes"``, ``"smiles"``,
  ``"profilefaces"``: OpenCV's Haar cascades (``cv2.data.haarcascades``).

A user's own detector by path:

* ``"yolo:model.onnx"`` / ``"onnx:model.onnx"``: a YOLO-style ONNX export (YOLOv5
  ``(1, N, 5 + C)`` or YOLOv8 ``(1, 4 + C, N)`` output) run by OpenCV DNN, with class names,
  confidence and NMS thresholds;
* ``"darknet:model.cfg,model.weights"``: a Darknet YOLO model run by OpenCV DNN;
* ``"yolo:best.pt"``: Ultralytics weights, when the ``ultralytics`` package is importable.
  It is not part of ``labelwise[image]`` because it requires torchvision (and a torch build
  of its own); export to ONNX with ``yolo export model=best.pt format=onnx`` instead.

Detections become votes with :func:`detection_votes` (one label-matrix column per
detector) or :func:`detector_labeling_function` (a labeling function over a table with a
``path`` column), and features with :func:`detection_features`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError, MissingDependencyError, require
from labelwise.faults import FaultLog, call_safely
from labelwise.geometry import Box, non_max_suppression
from labelwise.labeling.lf import VectorizedLabelingFunction
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.labeling.votes import BaseLabeler, Votes, register_labeler

__all__ = [
    "HAAR_CASCADES",
    "DNNDetector",
    "Detection",
    "DetectionResult",
    "Detector",
    "DetectorLabeler",
    "HOGPeopleDetector",
    "HaarDetector",
    "UltralyticsDetector",
    "decode_yolo_output",
    "detect_images",
    "detection_features",
    "detection_votes",
    "detector_labeling_function",
    "draw_detections",
    "load_detector",
    "resolve_yolo_layout",
]

#: Short names for OpenCV's bundled Haar cascade files.
HAAR_CASCADES = {
    "faces": "haarcascade_frontalface_default.xml",
    "fullbody": "haarcascade_fullbody.xml",
    "upperbody": "haarcascade_upperbody.xml",
    "catfaces": "haarcascade_frontalcatface.xml",
    "eyes": "haarcascade_eye.xml",
    "smiles": "haarcascade_smile.xml",
    "profilefaces": "haarcascade_profileface.xml",
}
_ALIASES = {"face": "faces", "catface": "catfaces", "body": "fullbody", "person": "people"}


def _cv2() -> Any:
    return require("cv2", "image")


def _cv_error(exc: Exception) -> str:
    """The informative part of an OpenCV error (its messages span several lines)."""
    text = " ".join(str(exc).split())
    return text[-240:] if len(text) > 240 else text


@dataclass(frozen=True)
class Detection:
    """One detected object: pixel box, score, class name and index."""

    box: Box
    score: float
    label: str
    class_id: int = 0


class Detector:
    """Interface: ``detect(image) -> list[Detection]`` for an RGB ``uint8`` image."""

    name: str = "detector"
    classes: list[str] = []  # noqa: RUF012 - overridden per instance

    def detect(self, image: np.ndarray) -> list[Detection]:  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _scaled(image: np.ndarray, max_side: int | None, min_side: int = 0) -> tuple[np.ndarray, float]:
    h, w = image.shape[:2]
    s = 1.0
    if max_side is not None and max(h, w) > max_side:
        s = max_side / max(h, w)
    if min_side and min(h, w) * s < min_side:
        s = min_side / min(h, w)
    if s == 1.0:
        return image, 1.0
    cv2 = _cv2()
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=interp), s


def _rgb(image: Any) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] < 3:
        raise DataError(f"a detector needs an (h, w, 3) RGB image, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr[:, :, :3])


def _finish(
    boxes: np.ndarray,
    scores: np.ndarray,
    class_ids: np.ndarray,
    classes: Sequence[str],
    scale: float,
    size: tuple[int, int],
    nms_iou: float | None,
) -> list[Detection]:
    if len(boxes) == 0:
        return []
    boxes = np.asarray(boxes, dtype=np.float64) / scale
    if nms_iou is not None:
        keep = non_max_suppression(boxes, scores, iou_threshold=nms_iou, classes=class_ids)
    else:
        keep = np.argsort(-np.asarray(scores), kind="stable")
    w, h = size
    out = []
    for i in keep:
        b = Box(*(float(v) for v in boxes[i])).clip(w, h)
        if b.is_degenerate:
            continue
        c = int(class_ids[i])
        out.append(Detection(b, float(scores[i]), classes[c] if c < len(classes) else str(c), c))
    return out


class HOGPeopleDetector(Detector):
    """OpenCV's HOG people detector (64x128 window, linear SVM), with NMS.

    Parameters
    ----------
    win_stride : (int, int)
        Window step in pixels; smaller finds more, slower.
    scale : float
        Image pyramid step.
    hit_threshold : float
        SVM margin a window must exceed.
    min_score : float
        Drop detections scoring below this after NMS.
    nms_iou : float
        Overlap above which the lower-scoring box is dropped.
    max_side : int
        Larger images are scaled down first (boxes are mapped back).
    """

    name = "people"

    def __init__(
        self,
        *,
        win_stride: tuple[int, int] = (8, 8),
        padding: tuple[int, int] = (8, 8),
        scale: float = 1.05,
        hit_threshold: float = 0.0,
        min_score: float = 0.0,
        nms_iou: float = 0.45,
        max_side: int = 640,
    ) -> None:
        self.win_stride = win_stride
        self.padding = padding
        self.scale = scale
        self.hit_threshold = hit_threshold
        self.min_score = min_score
        self.nms_iou = nms_iou
        self.max_side = max_side
        self.classes = ["person"]
        self._hog: Any = None

    def detect(self, image: np.ndarray) -> list[Detection]:
        cv2 = _cv2()
        if self._hog is None:
            self._hog = cv2.HOGDescriptor()
            self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        rgb = _rgb(image)
        small, s = _scaled(rgb, self.max_side, min_side=160)
        gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        rects, weights = self._hog.detectMultiScale(
            gray,
            hitThreshold=self.hit_threshold,
            winStride=self.win_stride,
            padding=self.padding,
            scale=self.scale,
        )
        if len(rects) == 0:
            return []
        rects = np.asarray(rects, dtype=np.float64).reshape(-1, 4)
        scores = np.asarray(weights, dtype=np.float64).reshape(-1)
        xyxy = np.column_stack([rects[:, :2], rects[:, :2] + rects[:, 2:]])
        dets = _finish(
            xyxy, scores, np.zeros(len(xyxy), int), self.classes, s, rgb.shape[1::-1], self.nms_iou
        )
        return [d for d in dets if d.score >= self.min_score]


class HaarDetector(Detector):
    """A Haar cascade from OpenCV's bundled set (or an XML path), with NMS.

    Parameters
    ----------
    cascade : str
        A key of :data:`HAAR_CASCADES` ("faces", "fullbody", "catfaces", ...), a bundled
        file name, or a path to a cascade XML.
    scale_factor, min_neighbors, min_size
        OpenCV's ``detectMultiScale`` parameters.
    nms_iou : float
    max_side : int
    """

    def __init__(
        self,
        cascade: str = "faces",
        *,
        scale_factor: float = 1.1,
        min_neighbors: int = 5,
        min_size: tuple[int, int] = (24, 24),
        nms_iou: float = 0.3,
        max_side: int = 800,
        label: str | None = None,
    ) -> None:
        cv2 = _cv2()
        key = _ALIASES.get(cascade, cascade)
        if key in HAAR_CASCADES:
            path = Path(cv2.data.haarcascades) / HAAR_CASCADES[key]
        elif Path(cascade).is_file():
            path = Path(cascade)
        elif (Path(cv2.data.haarcascades) / cascade).is_file():
            path = Path(cv2.data.haarcascades) / cascade
        else:
            raise DataError(
                f"unknown Haar cascade {cascade!r}; use one of {sorted(HAAR_CASCADES)} or a path "
                "to a cascade XML file"
            )
        if not path.is_file():
            raise MissingDependencyError(
                f"OpenCV's bundled cascade {path.name} is missing from {path.parent}; "
                "install opencv-python-headless<5 (OpenCV 5 wheels ship no Haar cascades): "
                "pip install 'labelwise[image]'"
            )
        self._cascade = cv2.CascadeClassifier(str(path))
        if self._cascade.empty():
            raise DataError(f"cannot load Haar cascade {str(path)!r}; is it a cascade XML file?")
        self.name = key if key in HAAR_CASCADES else path.stem
        self.path = path
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size = min_size
        self.nms_iou = nms_iou
        self.max_side = max_side
        default_label = {
            "faces": "face",
            "fullbody": "person",
            "upperbody": "person",
            "catfaces": "cat face",
            "eyes": "eye",
            "smiles": "smile",
            "profilefaces": "face",
        }.get(self.name, self.name)
        self.classes = [label or default_label]

    def detect(self, image: np.ndarray) -> list[Detection]:
        cv2 = _cv2()
        rgb = _rgb(image)
        small, s = _scaled(rgb, self.max_side)
        gray = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
        rects, _, weights = self._cascade.detectMultiScale3(
            gray,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=self.min_size,
            outputRejectLevels=True,
        )
        if len(rects) == 0:
            return []
        rects = np.asarray(rects, dtype=np.float64).reshape(-1, 4)
        scores = np.asarray(weights, dtype=np.float64).reshape(-1)
        xyxy = np.column_stack([rects[:, :2], rects[:, :2] + rects[:, 2:]])
        return _finish(
            xyxy, scores, np.zeros(len(xyxy), int), self.classes, s, rgb.shape[1::-1], self.nms_iou
        )


def decode_yolo_output(
    output: Any,
    *,
    n_classes: int | None = None,
    layout: str = "auto",
    conf_threshold: float = 0.25,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn a raw YOLO output tensor into xyxy boxes, scores and class ids (before NMS).

    Parameters
    ----------
    output : array
        ``(1, N, 5 + C)`` / ``(N, 5 + C)`` (YOLOv5 and Darknet: cx, cy, w, h, objectness,
        class scores) or ``(1, 4 + C, N)`` (YOLOv8: cx, cy, w, h, class scores).
    n_classes : int, optional
        ``C``; lets ``layout="auto"`` tell the two layouts apart reliably.
    layout : {"auto", "v5", "v8", "darknet"}
        ``darknet`` is the v5 layout as OpenCV's Darknet importer returns it (class scores
        already multiplied by objectness).
    conf_threshold : float
        Candidates scoring below it are dropped.

    Returns
    -------
    boxes : (n, 4) float array, in the coordinate units of the output
    scores : (n,) float array
    class_ids : (n,) int array

    Examples
    --------
    >>> out = np.array([[[50, 50, 20, 20, 0.9, 0.1, 0.8]]])  # v5: obj 0.9, class 1 0.8
    >>> b, s, c = decode_yolo_output(out, n_classes=2)
    >>> b.tolist(), round(float(s[0]), 2), c.tolist()
    ([[40.0, 40.0, 60.0, 60.0]], 0.72, [1])
    """
    arr = np.asarray(output, dtype=np.float64)
    while arr.ndim > 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2:
        raise DataError(
            f"YOLO output of shape {np.asarray(output).shape} is not (1, N, 5+C) or (1, 4+C, N)"
        )
    if layout == "auto":
        rows, cols = arr.shape
        if n_classes is not None and rows == 4 + n_classes and cols != 5 + n_classes:
            layout = "v8"
        elif n_classes is not None and cols == 5 + n_classes:
            layout = "v5"
        elif n_classes is not None and cols == 4 + n_classes:
            layout = "v8-rows"
        else:
            layout = "v8" if rows < cols else "v5"
    if layout == "v8":
        arr = arr.T
        layout = "v8-rows"
    if layout == "v8-rows":
        if arr.shape[1] < 5:
            raise DataError(f"YOLOv8 output needs 4 + C >= 5 columns, got {arr.shape[1]}")
        cls_scores = arr[:, 4:]
    elif layout in ("v5", "darknet"):
        if arr.shape[1] < 6:
            raise DataError(f"YOLOv5 output needs 5 + C >= 6 columns, got {arr.shape[1]}")
        # OpenCV's Darknet region layer already multiplies class scores by objectness.
        cls_scores = arr[:, 5:] if layout == "darknet" else arr[:, 5:] * arr[:, 4:5]
    else:
        raise DataError(f"layout={layout!r} is not one of auto, v5, v8, darknet")
    class_ids = np.argmax(cls_scores, axis=1)
    scores = cls_scores[np.arange(len(arr)), class_ids]
    keep = scores >= conf_threshold
    cx, cy, w, h = arr[keep, 0], arr[keep, 1], arr[keep, 2], arr[keep, 3]
    boxes = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return boxes, scores[keep], class_ids[keep].astype(np.int64)


def _anchor_counts(width: int, height: int) -> tuple[int, int]:
    """Candidate rows of a raw YOLOv8 (anchor-free, strides 8/16/32) and YOLOv5 (3 anchors
    per cell) output for an input of ``width x height``."""
    v8 = sum((width // s) * (height // s) for s in (8, 16, 32))
    return v8, 3 * v8


def resolve_yolo_layout(
    shape: Sequence[int],
    *,
    n_classes: int | None,
    input_size: tuple[int, int],
    n_outputs: int = 1,
) -> tuple[str, int]:
    """Decide how to read a YOLO-style ONNX output of ``shape``; refuse what is unreadable.

    Returns ``(layout, n_classes)`` with layout ``"v5"`` (``(N, 5 + C)``: cx, cy, w, h,
    objectness, class scores), ``"v8"`` (``(4 + C, N)``: cx, cy, w, h, class scores) or
    ``"nms"`` (an end-to-end export already through NMS: ``(N, 6)`` rows of x1, y1, x2, y2,
    score, class).

    Raises
    ------
    DataError
        Several outputs (TensorRT-style ``num_dets, boxes, scores, classes``), a shape that
        fits no layout, or a class count that disagrees with the names file.

    Examples
    --------
    >>> resolve_yolo_layout((1, 84, 8400), n_classes=None, input_size=(640, 640))
    ('v8', 80)
    >>> resolve_yolo_layout((1, 25200, 85), n_classes=80, input_size=(640, 640))
    ('v5', 80)
    >>> resolve_yolo_layout((1, 300, 6), n_classes=80, input_size=(640, 640))
    ('nms', 80)
    """
    dims = [int(d) for d in shape]
    while len(dims) > 2 and dims[0] == 1:
        dims = dims[1:]
    shown = tuple(int(d) for d in shape)
    if n_outputs > 1:
        raise DataError(
            f"the ONNX model has {n_outputs} outputs (first {shown}); labelwise reads one YOLO "
            "output tensor: a raw (1, 4+C, N) / (1, N, 5+C) head or an end-to-end "
            "(1, N, 6) [x1, y1, x2, y2, score, class] export. Re-export with one output "
            "(e.g. ultralytics `format=onnx` without TensorRT NMS plugins)"
        )
    if len(dims) != 2:
        raise DataError(
            f"YOLO output of shape {shown} is not (1, 4+C, N), (1, N, 5+C) or (1, N, 6)"
        )
    rows, cols = dims
    v8_n, v5_n = _anchor_counts(*input_size)
    c = n_classes

    def check(found: int, layout: str) -> tuple[str, int]:
        if found < 1:
            raise DataError(f"YOLO output of shape {shown} leaves no class scores")
        if c is not None and found != c:
            raise DataError(
                f"the model's output {shown} ({layout} layout) has {found} classes but the "
                f"class names list {c}; give the names file that belongs to this model"
            )
        return layout, found

    # Raw heads whose candidate count matches the input size are unambiguous.
    if cols == v8_n and rows > 4:
        return check(rows - 4, "v8")
    if rows == v8_n and cols > 4 and (c is None or cols == 4 + c):
        return check(cols - 4, "v8-rows")
    if rows == v5_n and cols > 5:
        return check(cols - 5, "v5")
    # End-to-end exports: a few hundred rows of x1, y1, x2, y2, score, class (an (N, 6)
    # output with another N than a raw head's is read as one, even for one class).
    if rows not in (v8_n, v5_n):
        if cols == 6:
            return "nms", c if c is not None else 0
        if cols == 7 and (c is None or cols != 5 + c):
            raise DataError(
                f"YOLO output {shown} looks like an end-to-end export with a batch-index "
                "column (7 values per row); re-export with one image per batch"
            )
    # Other candidate counts (custom strides or input sizes): trust the class names.
    if c is not None:
        if rows == 4 + c and cols != 5 + c:
            return "v8", c
        if cols == 5 + c:
            return "v5", c
        if cols == 4 + c:
            return "v8-rows", c
        raise DataError(
            f"YOLO output of shape {shown} fits no layout for {c} classes: expected "
            f"(1, {4 + c}, N), (1, N, {5 + c}) or an end-to-end (1, N, 6); check the names "
            f"file and --input-size ({input_size[0]}x{input_size[1]} expects N = {v8_n} "
            f"for YOLOv8 or {v5_n} for YOLOv5)"
        )
    raise DataError(
        f"cannot tell the layout of YOLO output {shown} for input {input_size[0]}x"
        f"{input_size[1]} (YOLOv8 would have N = {v8_n}, YOLOv5 N = {v5_n}); pass the class "
        "names file (--names) so the class count is known, or the right --input-size"
    )


def _onnx_input_size(path: Path) -> tuple[int, int] | None:
    """The static (width, height) of an ONNX model's image input, if it declares one."""
    try:
        import onnx
    except ImportError:  # pragma: no cover - onnx is in the image extra
        return None
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:
        return None
    inits = {i.name for i in model.graph.initializer}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        dims = inp.type.tensor_type.shape.dim
        if len(dims) == 4 and dims[2].dim_value > 0 and dims[3].dim_value > 0:
            return int(dims[3].dim_value), int(dims[2].dim_value)
        return None
    return None


class DNNDetector(Detector):
    """A YOLO-style detector run by OpenCV DNN: ONNX exports or Darknet cfg + weights.

    Parameters
    ----------
    model : path
        ``.onnx`` file, or Darknet ``.weights`` (with ``config``).
    config : path, optional
        Darknet ``.cfg``.
    class_names : list of str or path to a names file, optional
        Defaults to ``"0", "1", ...``.
    input_size : int or (width, height)
        Network input; images are letterboxed to it.
    conf_threshold, nms_threshold : float
    layout : {"auto", "v5", "v8"}
        Output layout; see :func:`decode_yolo_output`.
    """

    def __init__(
        self,
        model: str | Path,
        *,
        config: str | Path | None = None,
        class_names: Sequence[str] | str | Path | None = None,
        input_size: int | tuple[int, int] = 640,
        conf_threshold: float = 0.25,
        nms_threshold: float = 0.45,
        layout: str = "auto",
        name: str | None = None,
    ) -> None:
        cv2 = _cv2()
        mp = Path(model)
        if not mp.is_file():
            raise DataError(f"detector model {str(mp)!r} does not exist; check the path")
        if config is not None and not Path(config).is_file():
            raise DataError(f"detector config {str(config)!r} does not exist; check the path")
        try:
            if config is not None:
                self._net = cv2.dnn.readNetFromDarknet(str(config), str(mp))
            elif mp.suffix.lower() == ".onnx":
                self._net = cv2.dnn.readNetFromONNX(str(mp))
            else:
                self._net = cv2.dnn.readNet(str(mp))
        except cv2.error as exc:
            raise DataError(
                f"OpenCV DNN cannot load {str(mp)!r} ({_cv_error(exc)}); "
                "export the model to ONNX (opset 12-17) or give the Darknet cfg and weights"
            ) from None
        if isinstance(class_names, (str, Path)):
            from labelwise.formats import read_class_names

            self.classes = read_class_names(class_names)
        else:
            self.classes = [str(c) for c in class_names] if class_names is not None else []
        self.input_size = (
            (int(input_size), int(input_size))
            if isinstance(input_size, (int, np.integer))
            else (int(input_size[0]), int(input_size[1]))
        )
        self.conf_threshold = conf_threshold
        self.nms_threshold = nms_threshold
        self.layout = layout
        self.darknet = config is not None
        self.name = name or mp.stem
        self.notes: list[str] = []
        if mp.suffix.lower() == ".onnx" and not self.darknet:
            declared = _onnx_input_size(mp)
            if declared is not None and declared != self.input_size:
                self.notes.append(
                    f"the model declares a {declared[0]}x{declared[1]} input; using it instead "
                    f"of {self.input_size[0]}x{self.input_size[1]}"
                )
                self.input_size = declared
            if layout == "auto":
                self._check_layout()

    def _check_layout(self) -> None:
        """Run the network once on a blank image and settle (or refuse) its output layout."""
        blank = np.full((self.input_size[1], self.input_size[0], 3), 114, np.uint8)
        names = self._net.getUnconnectedOutLayersNames()
        try:
            out, _, _ = self.raw_output(blank)
        except Exception as exc:
            raise DataError(
                f"the ONNX model {self.name!r} does not run on a {self.input_size[0]}x"
                f"{self.input_size[1]} image ({type(exc).__name__}: {exc}); check --input-size"
            ) from None
        self.layout, n = resolve_yolo_layout(
            out.shape,
            n_classes=len(self.classes) or None,
            input_size=self.input_size,
            n_outputs=len(names),
        )
        if not self.classes and n:
            self.classes = [str(i) for i in range(n)]

    def raw_output(self, image: np.ndarray) -> tuple[np.ndarray, float, tuple[int, int]]:
        """Network output for one image, with the letterbox scale and padding."""
        cv2 = _cv2()
        from labelwise.image.preprocess import letterbox

        rgb = _rgb(image)
        boxed, scale, pad = letterbox(rgb, self.input_size, color=114)
        blob = cv2.dnn.blobFromImage(boxed, 1 / 255.0, self.input_size, swapRB=False, crop=False)
        self._net.setInput(blob)
        names = self._net.getUnconnectedOutLayersNames()
        outs = self._net.forward(names)
        if isinstance(outs, (list, tuple)) and len(outs) > 1 and self.darknet:
            flat = [np.asarray(o).reshape(-1, np.asarray(o).shape[-1]) for o in outs]
            out = np.concatenate(flat, axis=0)
        else:
            out = np.asarray(outs[0] if isinstance(outs, (list, tuple)) else outs)
        return out, scale, pad

    def detect(self, image: np.ndarray) -> list[Detection]:
        rgb = _rgb(image)
        out, scale, (left, top) = self.raw_output(rgb)
        if self.layout == "nms":
            return self._detect_nms(out, scale, left, top, rgb.shape[1::-1])
        n_cls = len(self.classes) or None
        boxes, scores, cls = decode_yolo_output(
            out,
            n_classes=n_cls,
            layout="darknet" if self.darknet else self.layout,
            conf_threshold=self.conf_threshold,
        )
        if len(boxes) == 0:
            return []
        # Darknet outputs are normalized to the input; ONNX exports are in input pixels.
        if self.darknet or float(np.abs(boxes).max()) <= 1.5:
            boxes = boxes * np.array([*self.input_size, *self.input_size], dtype=np.float64)
        boxes = boxes - np.array([left, top, left, top], dtype=np.float64)
        classes = self.classes or [str(i) for i in range(int(cls.max()) + 1)]
        return _finish(boxes, scores, cls, classes, scale, rgb.shape[1::-1], self.nms_threshold)

    def _detect_nms(
        self, out: np.ndarray, scale: float, left: int, top: int, size: tuple[int, int]
    ) -> list[Detection]:
        """An end-to-end export: rows of x1, y1, x2, y2, score, class (already after NMS)."""
        arr = np.asarray(out, dtype=np.float64).reshape(-1, 6)
        arr = arr[arr[:, 4] >= self.conf_threshold]
        if len(arr) == 0:
            return []
        boxes = arr[:, :4]
        if float(np.abs(boxes).max()) <= 1.5:
            boxes = boxes * np.array([*self.input_size, *self.input_size], dtype=np.float64)
        boxes = boxes - np.array([left, top, left, top], dtype=np.float64)
        cls = arr[:, 5].round().astype(np.int64)
        classes = self.classes or [str(i) for i in range(int(cls.max()) + 1)]
        return _finish(boxes, arr[:, 4], cls, classes, scale, size, None)


class UltralyticsDetector(Detector):
    """Ultralytics YOLO weights (``.pt``), when the ``ultralytics`` package is importable."""

    def __init__(
        self,
        weights: str | Path,
        *,
        conf_threshold: float = 0.25,
        nms_threshold: float = 0.45,
        name: str | None = None,
    ) -> None:
        if not Path(weights).is_file():
            raise DataError(f"YOLO weights {str(weights)!r} do not exist; check the path")
        try:
            from ultralytics import YOLO
        except ImportError:
            raise MissingDependencyError(
                "'ultralytics' is needed to run .pt YOLO weights but is not installed (it "
                "requires torchvision, which labelwise[image] does not pull in). Either "
                "pip install ultralytics, or export the model once with "
                "`yolo export model=best.pt format=onnx` and pass the .onnx file"
            ) from None
        self._model = YOLO(str(weights))
        self.classes = [str(v) for _, v in sorted(dict(self._model.names).items())]
        self.conf_threshold = conf_threshold
        self.nms_threshold = nms_threshold
        self.name = name or Path(weights).stem

    def detect(self, image: np.ndarray) -> list[Detection]:  # pragma: no cover - optional dep
        rgb = _rgb(image)
        res = self._model.predict(
            rgb[:, :, ::-1], conf=self.conf_threshold, iou=self.nms_threshold, verbose=False
        )[0]
        xyxy = res.boxes.xyxy.cpu().numpy()
        scores = res.boxes.conf.cpu().numpy()
        cls = res.boxes.cls.cpu().numpy().astype(int)
        return _finish(xyxy, scores, cls, self.classes, 1.0, rgb.shape[1::-1], None)


def load_detector(
    spec: str | Detector,
    *,
    class_names: Sequence[str] | str | Path | None = None,
    conf_threshold: float = 0.25,
    nms_threshold: float = 0.45,
    input_size: int = 640,
) -> Detector:
    """A detector from a short spec.

    ``people``; ``faces``, ``fullbody``, ``upperbody``, ``catfaces`` (Haar);
    ``haar:FILE.xml``; ``yolo:MODEL.onnx`` or ``onnx:MODEL.onnx``; ``yolo:BEST.pt``
    (Ultralytics); ``darknet:MODEL.cfg,MODEL.weights``.

    Examples
    --------
    >>> load_detector("faces").classes
    ['face']
    """
    if isinstance(spec, Detector):
        return spec
    s = str(spec).strip()
    key = _ALIASES.get(s.lower(), s.lower())
    if key == "people":
        return HOGPeopleDetector()
    if key in HAAR_CASCADES:
        return HaarDetector(key)
    kind, sep, rest = s.partition(":")
    if not sep:
        raise DataError(
            f"unknown detector {spec!r}; use people, {', '.join(sorted(HAAR_CASCADES))}, "
            "yolo:PATH, onnx:PATH, darknet:CFG,WEIGHTS or haar:XML"
        )
    kind = kind.lower()
    if kind == "haar":
        return HaarDetector(rest)
    if kind in ("yolo", "onnx"):
        if rest.lower().endswith((".pt", ".pth")):
            return UltralyticsDetector(
                rest, conf_threshold=conf_threshold, nms_threshold=nms_threshold
            )
        return DNNDetector(
            rest,
            class_names=class_names,
            conf_threshold=conf_threshold,
            nms_threshold=nms_threshold,
            input_size=input_size,
        )
    if kind == "darknet":
        cfg, comma, weights = rest.partition(",")
        if not comma:
            raise DataError(f"darknet detector needs 'darknet:CFG,WEIGHTS', got {spec!r}")
        return DNNDetector(
            weights,
            config=cfg,
            class_names=class_names,
            conf_threshold=conf_threshold,
            nms_threshold=nms_threshold,
            input_size=input_size,
        )
    raise DataError(f"unknown detector kind {kind!r} in {spec!r}; use yolo, onnx, darknet or haar")


@dataclass
class DetectionResult:
    """Detections over a collection: ``detections[i]`` for item ``item_ids[i]``
    (``None`` where the image failed; the reason is a fault in ``faults``)."""

    detector: str
    classes: list[str]
    item_ids: list[str]
    paths: list[str]
    detections: list[list[Detection] | None]
    sizes: list[tuple[int, int] | None] = field(default_factory=list)
    faults: FaultLog = field(default_factory=FaultLog)

    @property
    def failures(self) -> list[tuple[str, str]]:
        """``(item_id, reason)`` per failed image (the faults in short)."""
        return [
            (str(f.item), f.message if f.error == "unreadable" else f"{f.error}: {f.message}")
            for f in self.faults.errors
        ]

    def to_frame(self) -> Any:
        """One row per detection: item_id, path, detector, label, score, x1, y1, x2, y2."""
        import pandas as pd

        rows = [
            (item, path, self.detector, d.label, d.score, *d.box.to_xyxy())
            for item, path, dets in zip(self.item_ids, self.paths, self.detections, strict=True)
            for d in dets or []
        ]
        cols = ["item_id", "path", "detector", "label", "score", "x1", "y1", "x2", "y2"]
        return pd.DataFrame(rows, columns=cols)

    def counts(self, *, min_score: float = float("-inf"), label: str | None = None) -> np.ndarray:
        """Detections per item (NaN where the image failed)."""
        out = np.full(len(self.item_ids), np.nan)
        for i, dets in enumerate(self.detections):
            if dets is not None:
                out[i] = sum(
                    1 for d in dets if d.score >= min_score and (label is None or d.label == label)
                )
        return out

    def to_annotations(self) -> Any:
        """A :class:`labelwise.formats.ItemSet` of pre-labels: one item per image whose
        detections (with scores) are its predictions by the detector."""
        from labelwise.formats import ItemSet, box_config, box_item

        items = []
        for item, dets, size in zip(self.item_ids, self.detections, self.sizes, strict=True):
            if dets is None or size is None:
                continue
            items.append(
                box_item(
                    item,
                    size[0],
                    size[1],
                    [d.box.to_xyxy() for d in dets],
                    [d.label for d in dets],
                    [d.score for d in dets],
                    annotator=self.detector,
                    prediction=True,
                )
            )
        seen = list(self.classes) + sorted(
            {d.label for dets in self.detections if dets for d in dets} - set(self.classes)
        )
        return ItemSet(items, box_config(seen or ["object"]))


def detect_images(
    source: Any, detector: str | Detector, *, progress: bool | None = None
) -> DetectionResult:
    """Run ``detector`` over every image; an image that fails is recorded, not fatal."""
    from labelwise.image.io import ImageCollection, load_images

    det = load_detector(detector)
    col = source if isinstance(source, ImageCollection) else load_images(source, progress=progress)
    ids = col.item_ids
    dets: list[list[Detection] | None] = [None] * len(col)
    sizes: list[tuple[int, int] | None] = [None] * len(col)
    faults = FaultLog()
    for i, img, err in col.iter_images(desc=f"detecting ({det.name})", progress=progress):
        if img is None:
            faults.error(ids[i], "unreadable", err or "unreadable", source=det.name)
            continue
        ok, found = call_safely(det.detect, img, item=ids[i], faults=faults, source=det.name)
        if ok:
            dets[i] = found
            sizes[i] = (int(img.shape[1]), int(img.shape[0]))
    return DetectionResult(
        det.name,
        list(det.classes),
        ids,
        [str(p) for p in col.table["path"]],
        dets,
        sizes,
        faults,
    )


def detection_votes(
    result: DetectionResult,
    label: int,
    *,
    class_name: str | None = None,
    min_score: float = float("-inf"),
    min_count: int = 1,
    negative_label: int | None = None,
) -> np.ndarray:
    """Image-level votes: ``label`` where at least ``min_count`` detections (of
    ``class_name``, scoring ``>= min_score``) were found; else ``negative_label`` or
    ABSTAIN. Failed images abstain.

    Returns
    -------
    int array of shape (n_items,)
    """
    counts = result.counts(min_score=min_score, label=class_name)
    neg = ABSTAIN if negative_label is None else negative_label
    with np.errstate(invalid="ignore"):
        votes = np.where(counts >= min_count, label, neg)
    return np.where(np.isnan(counts), ABSTAIN, votes).astype(np.int64)


def detector_labeling_function(
    detector: str | Detector,
    label: int,
    *,
    class_name: str | None = None,
    min_score: float = float("-inf"),
    min_count: int = 1,
    negative_label: int | None = None,
    path_column: str = "path",
    name: str | None = None,
) -> VectorizedLabelingFunction:
    """A labeling function over a table with image paths: ``label`` where the detector
    finds an object ("contains a person"). Unreadable images abstain.

    Examples
    --------
    >>> lf = detector_labeling_function("faces", 1, name="has_face")
    >>> lf.name, lf.columns
    ('has_face', ['path'])
    """
    det = load_detector(detector)
    neg = ABSTAIN if negative_label is None else negative_label

    def one(path: Any) -> int:
        from labelwise.image.io import read_image

        try:
            img = read_image(str(path))
        except DataError:
            return ABSTAIN
        found = [
            d
            for d in det.detect(img)
            if d.score >= min_score and (class_name is None or d.label == class_name)
        ]
        return label if len(found) >= min_count else neg

    def vec(df: Any) -> np.ndarray:
        from labelwise.progress import progress

        paths = df[path_column].tolist()
        return np.array(
            [one(p) for p in progress(paths, total=len(paths), desc=f"detecting ({det.name})")],
            dtype=np.int64,
        )

    return VectorizedLabelingFunction(
        name or f"detect_{det.name}",
        vec,
        columns=[path_column],
        row_f=lambda x: one(x[path_column]),
    )


class DetectorLabeler(BaseLabeler):
    """An object detector as a labeler: ``label`` where it finds an object, per image.

    Items are image paths or RGB arrays. An image votes ``label`` when the detector finds
    at least ``min_count`` objects (of ``class_name``, scoring ``>= min_score``), else
    ``negative_label`` (``ABSTAIN`` by default). An unreadable image or a detector error
    is recorded as a fault in the :class:`~labelwise.labeling.Votes` and abstains.

    Parameters
    ----------
    detector : str or Detector
        A spec for :func:`load_detector` (``"faces"``, ``"people"``, a model path) or a
        detector object. A spec is loaded on first use and again after unpickling.
    label, negative_label : int
        Class indices to vote.
    label_space : LabelSpace or sequence of str, optional
        The task's classes (default: two classes ``"0"``, ``"1"``).

    Examples
    --------
    >>> import numpy as np
    >>> lab = DetectorLabeler("faces", 1, negative_label=0, name="has_face")
    >>> v = lab.label([np.zeros((64, 64, 3), np.uint8), "no/such/file.png"])
    >>> v.votes.tolist(), v.n_faults, v.faults[0].item
    ([0, -1], 1, 1)
    """

    requires_fit = False

    def __init__(
        self,
        detector: str | Detector,
        label: int,
        *,
        class_name: str | None = None,
        min_score: float = float("-inf"),
        min_count: int = 1,
        negative_label: int | None = None,
        label_space: LabelSpace | Sequence[str] | None = None,
        name: str | None = None,
    ) -> None:
        self.detector = detector
        self.positive_label = int(label)
        self.class_name = class_name
        self.min_score = float(min_score)
        self.min_count = int(min_count)
        self.negative_label = negative_label
        if label_space is None:
            k = max(2, self.positive_label + 1, (negative_label or 0) + 1)
            label_space = LabelSpace([str(i) for i in range(k)])
        self.label_space = (
            label_space if isinstance(label_space, LabelSpace) else LabelSpace(list(label_space))
        )
        spec = detector if isinstance(detector, str) else getattr(detector, "name", "detector")
        self.name = name or f"detect_{spec}"
        self._det: Detector | None = None if isinstance(detector, str) else detector

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if isinstance(self.detector, str):
            state["_det"] = None  # OpenCV models do not pickle; reloaded from the spec
        return state

    def _detector(self) -> Detector:
        if self._det is None:
            self._det = load_detector(self.detector)
        return self._det

    def _vote(self, item: Any) -> int:
        from labelwise.image.io import read_image

        img = item if isinstance(item, np.ndarray) else read_image(str(item))
        found = [
            d
            for d in self._detector().detect(img)
            if d.score >= self.min_score and (self.class_name is None or d.label == self.class_name)
        ]
        if len(found) >= self.min_count:
            return self.positive_label
        return ABSTAIN if self.negative_label is None else int(self.negative_label)

    def label(self, items: Any, *, progress: bool | None = None) -> Votes:
        """One vote per image; failures abstain and are recorded as faults."""
        from labelwise.progress import progress as progress_bar

        items = (
            items.tolist()
            if hasattr(items, "tolist") and not isinstance(items, np.ndarray)
            else items
        )
        items = list(items) if not isinstance(items, list) else items
        det = self._detector()
        faults = FaultLog()
        votes = np.full(len(items), ABSTAIN, dtype=np.int64)
        steps = progress_bar(
            range(len(items)), total=len(items), desc=f"detecting ({det.name})", enabled=progress
        )
        for i in steps:
            ok, v = call_safely(self._vote, items[i], item=i, faults=faults, source=self.name)
            if ok:
                votes[i] = v
        prov = {
            "kind": "image_detector",
            "detector": det.name,
            "class_name": self.class_name,
            "min_score": None if np.isinf(self.min_score) else self.min_score,
            "min_count": self.min_count,
        }
        return Votes(self.name, votes, label_space=self.label_space, provenance=prov, faults=faults)


def _detector_example() -> tuple[Any, Any, Any]:
    blank = np.zeros((48, 48, 3), np.uint8)
    lab = DetectorLabeler("faces", 1, negative_label=0, name="has_face")
    return lab, [blank, blank.copy(), "missing-image.png"], None


register_labeler(example=_detector_example)(DetectorLabeler)


def detection_features(
    source: Any,
    detectors: Mapping[str, str | Detector] | Sequence[str],
    *,
    min_score: float = float("-inf"),
    progress: bool | None = None,
) -> Any:
    """Per-image detection counts and best scores, to join onto the features table.

    Returns
    -------
    DataFrame
        ``item_id`` plus ``n_<name>`` and ``max_score_<name>`` for each detector (NaN where
        the image failed; ``max_score`` is NaN where nothing was found).
    """
    import pandas as pd

    from labelwise.image.io import ImageCollection, load_images

    col = source if isinstance(source, ImageCollection) else load_images(source, progress=progress)
    specs = dict(detectors) if isinstance(detectors, Mapping) else {d: d for d in detectors}
    out = pd.DataFrame({"item_id": col.item_ids})
    for name, spec in specs.items():
        res = detect_images(col, spec, progress=progress)
        out[f"n_{name}"] = res.counts(min_score=min_score)
        best = [
            max((d.score for d in dets), default=np.nan) if dets is not None else np.nan
            for dets in res.detections
        ]
        out[f"max_score_{name}"] = np.asarray(best, dtype=float)
    return out


def draw_detections(
    image: Any, detections: Sequence[Detection], *, color: tuple[int, int, int] = (255, 40, 40)
) -> np.ndarray:
    """A copy of ``image`` with boxes and ``label score`` captions drawn on it."""
    cv2 = _cv2()
    out = _rgb(image).copy()
    thick = max(1, round(max(out.shape[:2]) / 300))
    for d in detections:
        x1, y1, x2, y2 = (round(v) for v in d.box.to_xyxy())
        cv2.rectangle(out, (x1, y1), (x2, y2), color, thick)
        cv2.putText(
            out,
            f"{d.label} {d.score:.2f}",
            (x1, max(12, y1 - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4 * thick,
            color,
            thick,
        )
    return out
