"""Box datasets on disk: read, write, convert and validate YOLO, COCO and Pascal VOC folders.

The folder-level face of the format codecs, for the image tools and the ``labelwise
image`` commands. Everything is held in the one in-memory model, :class:`~labelwise.
formats.Item` (an image's path and size in ``data``, its boxes as ``{"x", "y", "w", "h",
"label"[, "score"]}`` pixel regions in an annotation's ``result``), gathered with the label
config and the :class:`~labelwise.formats.report.ConversionReport` in an :class:`ItemSet`.
Code that computes boxes works in corner ``xyxy`` pixels (:mod:`labelwise.geometry`) and
converts at the edge with :func:`box_item` and :func:`item_boxes`.

Layouts
-------
* YOLO: a labels folder of ``<image path>.txt`` files (``class cx cy w h`` normalized),
  ``classes.txt`` (or ``data.yaml`` ``names:``), and ``scores/<image path>.txt`` for
  pre-label scores. An image without a label file was never annotated; an empty file means
  "annotated, no objects".
* COCO: one JSON file.
* Pascal VOC: a folder of ``<image path>.xml`` files.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> s = ItemSet([box_item("a.jpg", 100, 50, [[10, 10, 30, 40]], ["cat"])], box_config(["cat"]))
>>> _ = write_annotations(s, "voc", d / "xml")
>>> back = read_annotations("voc", d / "xml", class_names=["cat"])
>>> item_boxes(back.items[0])[0].tolist(), back.n_boxes
([[10.0, 10.0, 30.0, 40.0]], 1)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.registry import export_items, import_items, read_files
from labelwise.formats.report import ConversionReport, check_box, check_policy, round_px
from labelwise.formats.schema import LabelConfig
from labelwise.geometry import convert_boxes

__all__ = [
    "ANNOTATION_FORMATS",
    "IMAGE_SUFFIXES",
    "ItemSet",
    "box_config",
    "box_item",
    "convert_annotations",
    "item_boxes",
    "items_frame",
    "read_annotations",
    "read_class_names",
    "validate_annotations",
    "write_annotations",
]

ANNOTATION_FORMATS = ("yolo", "coco", "voc")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm")
BOXES = "boxes"


@dataclass
class ItemSet:
    """Items with their label config and the report of what was met reading or writing them."""

    items: list[Item]
    config: LabelConfig
    report: ConversionReport = field(default_factory=ConversionReport)

    @property
    def classes(self) -> list[str]:
        return list(self.config.control(BOXES).labels)

    @property
    def n_boxes(self) -> int:
        return sum(len(item_boxes(it)[1]) for it in self.items)

    @property
    def issues(self) -> ConversionReport:
        """The report (each fault names its file and, for text files, its line)."""
        return self.report

    @property
    def errors(self) -> list[Any]:
        return self.report.errors

    def to_frame(self, *, predictions: bool = False) -> Any:
        return items_frame(self.items, predictions=predictions)


def box_config(classes: Sequence[str], *, title: str = "") -> LabelConfig:
    """The label config of a box dataset: an image and one ``boxes`` control."""
    if not classes:
        raise FormatError("a box dataset needs at least one class name")
    return LabelConfig.from_dict(
        {
            "title": title,
            "object": {"type": "image", "field": "image"},
            "controls": [{"name": BOXES, "type": "boxes", "labels": list(dict.fromkeys(classes))}],
        }
    )


def box_item(
    image: str,
    width: float,
    height: float,
    boxes: Any = (),
    labels: Sequence[str] = (),
    scores: Sequence[float | None] | None = None,
    *,
    annotator: str | None = None,
    prediction: bool = False,
    item_id: str | None = None,
) -> Item:
    """An image item from corner ``xyxy`` pixel boxes (an annotation, or a prediction).

    Coordinates are rounded by :func:`~labelwise.formats.report.round_px`, so float32
    detector output carries no noise (``409.59999084472656`` becomes ``409.6``).

    Examples
    --------
    >>> it = box_item("a.jpg", 640, 480, [[0, 0, 409.59999084472656, 10]], ["car"], [0.9],
    ...               prediction=True, annotator="detector")
    >>> it.predictions[0].result["boxes"][0]
    {'x': 0, 'y': 0, 'w': 409.6, 'h': 10, 'label': 'car', 'score': 0.9}
    """
    arr = convert_boxes(boxes, "xyxy", "xyxy") if len(labels) else np.zeros((0, 4))
    if len(arr) != len(labels):
        raise FormatError(f"{len(arr)} boxes but {len(labels)} labels for {image!r}")
    regions = []
    for k, ((x1, y1, x2, y2), lab) in enumerate(zip(arr.tolist(), labels, strict=True)):
        r: dict[str, Any] = {
            "x": round_px(x1),
            "y": round_px(y1),
            "w": round_px(x2 - x1),
            "h": round_px(y2 - y1),
            "label": str(lab),
        }
        if scores is not None and scores[k] is not None:
            r["score"] = round(float(scores[k]), 6)  # type: ignore[arg-type]
        regions.append(r)
    ann = Annotation({BOXES: regions} if regions else {}, annotator)
    data = {"image": image, "width": width, "height": height}
    item = Item(item_id or image, data)
    (item.predictions if prediction else item.annotations).append(ann)
    return item


def item_boxes(
    item: Item, control: str = BOXES, *, predictions: bool = False
) -> tuple[np.ndarray, list[str], list[float | None]]:
    """An item's boxes as corner ``xyxy`` pixels ``(n, 4)``, their labels and scores."""
    regions = [
        r
        for a in (item.predictions if predictions else item.annotations)
        for r in a.result.get(control, [])
    ]
    xywh = [[r["x"], r["y"], r["w"], r["h"]] for r in regions]
    arr = convert_boxes(xywh, "xywh", "xyxy") if regions else np.zeros((0, 4))
    return arr, [str(r["label"]) for r in regions], [r.get("score") for r in regions]


def items_frame(items: Iterable[Item], *, predictions: bool = False) -> Any:
    """One row per box: image, width, height, label, x1, y1, x2, y2, score, annotator."""
    import pandas as pd

    rows = []
    for it in items:
        for a in it.predictions if predictions else it.annotations:
            for r in a.result.get(BOXES, []):
                rows.append(
                    {
                        "image": it.data.get("image"),
                        "width": it.data.get("width"),
                        "height": it.data.get("height"),
                        "label": r["label"],
                        "x1": r["x"],
                        "y1": r["y"],
                        "x2": round_px(r["x"] + r["w"]),
                        "y2": round_px(r["y"] + r["h"]),
                        "score": r.get("score"),
                        "annotator": a.annotator,
                    }
                )
    cols = ["image", "width", "height", "label", "x1", "y1", "x2", "y2", "score", "annotator"]
    return pd.DataFrame(rows, columns=cols)


# ----------------------------------------------------------------------------- reading


def read_class_names(path: str | Path) -> list[str]:
    """Class names from a text file (one per line) or a YOLO ``data.yaml`` (``names:``)."""
    p = Path(path)
    if not p.is_file():
        raise FormatError(f"class names file {str(p)!r} does not exist; check the path")
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        names = data.get("names") if isinstance(data, dict) else None
        if isinstance(names, dict):
            return [str(names[k]) for k in sorted(names, key=int)]
        if isinstance(names, list):
            return [str(n) for n in names]
        raise FormatError(f"{str(p)!r} has no 'names:' list or mapping of class names")
    names = [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if not names:
        raise FormatError(f"class names file {str(p)!r} is empty; list one class per line")
    return names


def _names(class_names: Sequence[str] | str | Path | None) -> list[str] | None:
    if class_names is None:
        return None
    if isinstance(class_names, (str, Path)):
        return read_class_names(class_names)
    return [str(n) for n in class_names]


def _images(images_dir: Path, report: ConversionReport) -> list[Item]:
    from PIL import Image

    if not images_dir.is_dir():
        raise FormatError(f"images folder {str(images_dir)!r} does not exist or is not a folder")
    out = []
    for p in sorted(images_dir.rglob("*")):
        if not (p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES):
            continue
        rel = p.relative_to(images_dir).as_posix()
        try:
            with Image.open(p) as im:
                w, h = int(im.width), int(im.height)
        except Exception as exc:
            report.issue(
                rel, "unreadable_image", f"cannot read image ({type(exc).__name__}); skipped"
            )
            continue
        out.append(Item(rel, {"image": rel, "width": w, "height": h}))
    return out


def _yolo_ids(files: Mapping[str, bytes]) -> list[str]:
    top = -1
    for k, v in files.items():
        if k.endswith(".txt") and not k.startswith("scores/") and Path(k).name != "classes.txt":
            for line in v.decode("utf-8", "replace").splitlines():
                head = line.split()[:1]
                if head and head[0].isdigit():
                    top = max(top, int(head[0]))
    return [str(i) for i in range(top + 1)]


def read_annotations(
    fmt: str,
    source: str | Path,
    *,
    images_dir: str | Path | None = None,
    class_names: Sequence[str] | str | Path | None = None,
    image_sizes: Mapping[str, tuple[int, int]] | None = None,
    policy: str = "clip",
    include_unlabeled: bool = True,
    annotator: str | None = None,
) -> ItemSet:
    """Read a YOLO labels folder, a COCO JSON file or a Pascal VOC XML folder.

    Parameters
    ----------
    fmt : {"yolo", "coco", "voc"}
    source : path
    images_dir : path, optional
        The images (their sizes, for YOLO). COCO and VOC entries whose image is missing
        there are reported and skipped.
    class_names : list of str or path, optional
        Class names (a names file or ``data.yaml`` for YOLO). Objects of other classes are
        bad annotations. Default: YOLO ``classes.txt``, else ids; COCO categories; VOC names.
    image_sizes : mapping image stem -> (width, height), optional
        YOLO sizes of images that are not on disk.
    policy : {"clip", "drop", "keep", "error"}
        Bad annotations (see :mod:`labelwise.formats.report`).
    include_unlabeled : bool
        YOLO: keep images without a label file (as never annotated items).
    """
    check_policy(policy)
    if fmt not in ANNOTATION_FORMATS:
        raise FormatError(f"unknown annotation format {fmt!r}; use one of {ANNOTATION_FORMATS}")
    src = Path(source)
    report = ConversionReport()
    names = _names(class_names)
    if fmt == "yolo":
        if not src.is_dir():
            raise FormatError(f"YOLO labels folder {str(src)!r} does not exist or is not a folder")
        files = read_files(src)
        if names is None:
            for cand in ("classes.txt", "data.yaml"):
                if (src / cand).is_file():
                    names = read_class_names(src / cand)
                    break
        cfg = box_config(names or _yolo_ids(files) or ["0"])
        images = _images(Path(images_dir), report) if images_dir is not None else []
        known = {Path(it.data["image"]).stem for it in images}
        for stem, (w, h) in (image_sizes or {}).items():
            if stem not in known:
                images.append(
                    Item(f"{stem}.jpg", {"image": f"{stem}.jpg", "width": w, "height": h})
                )
        files = {k: v for k, v in files.items() if k != "classes.txt"}
        files["classes.txt"] = "".join(n + "\n" for n in cfg.control(BOXES).labels).encode()
        yolo_report = ConversionReport()
        items = import_items(
            files, cfg, "yolo", items=images, annotator=annotator, policy=policy, report=yolo_report
        )
        report.extend(f for f in yolo_report if f.error != "no_label_file")
        if not include_unlabeled:
            items = [it for it in items if it.annotations]
        return ItemSet(items, cfg, report)
    if fmt == "coco":
        if not src.is_file():
            raise FormatError(f"COCO file {str(src)!r} does not exist; check the path")
        raw = src.read_bytes()
        try:
            parsed = json.loads(raw)
            cats = [str(c["name"]) for c in parsed.get("categories") or []]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise FormatError(f"{str(src)!r} is not a COCO detection JSON file: {exc}") from None
        cfg = box_config(names or cats or ["object"])
        items = import_items({src.name: raw}, cfg, "coco", policy=policy, report=report)
    else:
        if not src.is_dir():
            raise FormatError(f"VOC folder {str(src)!r} does not exist or is not a folder")
        files = read_files(src)
        if names is None:
            found: dict[str, None] = {}
            for k, v in files.items():
                if k.lower().endswith(".xml"):
                    for m in re.finditer(
                        r"<object>.*?<name>\s*(.*?)\s*</name>", v.decode("utf-8", "replace"), re.S
                    ):
                        found.setdefault(m.group(1), None)
            names = list(found) or ["object"]
        cfg = box_config(names)
        items = import_items(files, cfg, "voc", policy=policy, report=report)
    if images_dir is not None:
        on_disk = {Path(it.data["image"]).stem for it in _images(Path(images_dir), report)}
        kept = []
        for it in items:
            if Path(str(it.data.get("image"))).stem in on_disk:
                kept.append(it)
            else:
                report.bad(
                    policy if policy == "error" else "drop",
                    str(it.data.get("image")),
                    "missing_image",
                    f"image is missing from {str(images_dir)!r}",
                )
        items = kept
    return ItemSet(items, cfg, report)


# ----------------------------------------------------------------------------- writing


def write_annotations(
    annotations: ItemSet,
    fmt: str,
    target: str | Path,
    *,
    predictions: bool = False,
    scores: str = "file",
    policy: str = "keep",
) -> list[Path]:
    """Write items as a YOLO labels folder, a COCO JSON file or a Pascal VOC XML folder.

    YOLO writes ``<target>/<image path>.txt`` (never-annotated images get no file),
    ``classes.txt`` and, for scores, ``<target>/scores/...`` (``scores="column"`` for a
    sixth column). ``policy`` says what YOLO does with boxes outside the image (``"keep"``
    writes them unchanged). Problems go to ``annotations.report``. Returns the written paths.
    """
    if fmt not in ANNOTATION_FORMATS:
        raise FormatError(f"unknown annotation format {fmt!r}; use one of {ANNOTATION_FORMATS}")
    files = export_items(
        annotations.items,
        annotations.config,
        fmt,
        report=annotations.report,
        predictions=predictions,
        scores=scores,
        policy=policy,
    )
    t = Path(target)
    if fmt == "coco":
        ((_, data),) = files.items()
        t.parent.mkdir(parents=True, exist_ok=True)
        t.write_bytes(data)
        return [t]
    written = []
    for name, data in files.items():
        rel = name.removeprefix("labels/").removeprefix("Annotations/")
        p = t / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        written.append(p)
    return written


def convert_annotations(
    src_format: str,
    source: str | Path,
    dst_format: str,
    target: str | Path,
    *,
    images_dir: str | Path | None = None,
    class_names: Sequence[str] | str | Path | None = None,
    policy: str = "clip",
) -> ItemSet:
    """Read ``source`` in one format and write ``target`` in another, with one ``policy``.

    ``policy="keep"`` keeps boxes outside the image on reading *and* writing (reported);
    ``"clip"`` clips them on reading. Returns what was written, with every problem reported.

    Examples
    --------
    >>> # convert_annotations("yolo", "labels/", "coco", "train.json", images_dir="images/")
    """
    for f in (src_format, dst_format):
        if f not in ANNOTATION_FORMATS:
            raise FormatError(f"unknown annotation format {f!r}; use one of {ANNOTATION_FORMATS}")
    s = read_annotations(
        src_format, source, images_dir=images_dir, class_names=class_names, policy=policy
    )
    reading = s.report
    s.report = ConversionReport()
    write_annotations(s, dst_format, target, policy="keep" if policy != "error" else "error")
    # Boxes kept outside the image were reported on reading; report only new problems.
    writing = [f for f in s.report if f.error != "out_of_range"]
    s.report = reading
    s.report.extend(writing)
    return s


def validate_annotations(annotations: ItemSet) -> ConversionReport:
    """Report degenerate, out-of-range and unknown-class boxes, one error per box.

    Nothing is changed; read with ``policy=`` to clip or drop.
    """
    out = ConversionReport()
    known = set(annotations.classes)
    for it in annotations.items:
        image = str(it.data.get("image"))
        size = (float(it.data["width"]), float(it.data["height"]))
        xyxy, labels, _ = item_boxes(it)
        for j, (b, lab) in enumerate(zip(xyxy.tolist(), labels, strict=True)):
            probe = ConversionReport()
            check_box(b, size, "drop", probe, file=image)
            for f in probe:
                out.issue(image, f.error, f"box {j}: {f.message.removesuffix('; dropped')}")
            if known and lab not in known:
                out.issue(
                    image,
                    "unknown_class",
                    f"box {j}: unknown class {lab!r}; classes are {sorted(known)}",
                )
    return out
