"""Pascal VOC XML: one ``Annotations/<image stem>.xml`` per image with ``<object><bndbox>``.

Coordinates are written as the pixel values themselves (``xmin = x``, ``xmax = x + w``),
without VOC's historical 1-based shift, rounded by :func:`~labelwise.formats.report.round_px`
(a ten-thousandth of a pixel: no float noise, and such values read back exactly). A
region's ``score`` (pre-labels) is written as ``<score>`` and read back.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from labelwise.formats._common import as_text, item_size, object_path, sidecar_path, validated
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.report import ConversionReport, check_box, check_policy, round_px
from labelwise.formats.schema import LabelConfig

__all__ = ["from_voc", "to_voc", "voc_path"]


def voc_path(image_path: str) -> str:
    """``imgs/a.jpg`` -> ``Annotations/imgs/a.xml``."""
    return sidecar_path(image_path, "Annotations", ".xml")


def _num(v: float) -> str:
    return str(round_px(v))


def _sub(parent: ET.Element, tag: str, text: Any) -> ET.Element:
    e = ET.SubElement(parent, tag)
    e.text = str(text)
    return e


def to_voc(
    items: Iterable[Item],
    config: LabelConfig,
    *,
    report: ConversionReport | None = None,
    predictions: bool = False,
) -> dict[str, str]:
    """Items -> ``{relative path: XML text}`` (boxes only; polygons are reported as skipped).

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "image"},
    ...     "controls": [{"name": "b", "type": "boxes", "labels": ["car"]}]})
    >>> it = Item("1", {"image": "a.jpg", "width": 10, "height": 10},
    ...           [Annotation({"b": [{"x": 1, "y": 2, "w": 3, "h": 4, "label": "car"}]}, "ann")])
    >>> "<xmax>4</xmax>" in to_voc([it], cfg)["Annotations/a.xml"]
    True
    """
    boxes = config.controls_of_type("boxes")
    if not boxes:
        raise FormatError("Pascal VOC export needs a boxes control in the label config")
    box_c = boxes[0]
    files: dict[str, str] = {}
    for it in items:
        w, h = item_size(it, "VOC export")
        img = object_path(it, config)
        root = ET.Element("annotation")
        p = PurePosixPath(img)
        _sub(root, "folder", str(p.parent) if str(p.parent) != "." else "")
        _sub(root, "filename", p.name)
        _sub(root, "path", img)
        _sub(root, "labelwise_id", it.id)
        size = ET.SubElement(root, "size")
        _sub(size, "width", _num(w))
        _sub(size, "height", _num(h))
        _sub(size, "depth", it.data.get("depth", 3))
        _sub(root, "segmented", 0)
        chosen = it.predictions if predictions else it.annotations
        _sub(root, "labelwise_annotators", json.dumps([a.annotator for a in chosen]))
        for a in chosen:
            if report is not None and any(
                c.name in a.result for c in config.controls_of_type("polygons")
            ):
                report.issue(
                    voc_path(img),
                    "unsupported",
                    f"item {it.id!r}: polygons are not part of Pascal VOC and were left out",
                    severity="warning",
                )
            for b in a.result.get(box_c.name, []):
                obj = ET.SubElement(root, "object")
                _sub(obj, "name", b["label"])
                _sub(obj, "pose", "Unspecified")
                _sub(obj, "truncated", 0)
                _sub(obj, "difficult", 0)
                if a.annotator is not None:
                    _sub(obj, "annotator", a.annotator)
                if b.get("score") is not None:
                    _sub(obj, "score", repr(float(b["score"])))
                bb = ET.SubElement(obj, "bndbox")
                _sub(bb, "xmin", _num(b["x"]))
                _sub(bb, "ymin", _num(b["y"]))
                _sub(bb, "xmax", _num(b["x"] + b["w"]))
                _sub(bb, "ymax", _num(b["y"] + b["h"]))
        ET.indent(root)
        path = voc_path(img)
        if path in files:
            raise FormatError(f"two items map to the same VOC file {path!r}")
        files[path] = ET.tostring(root, encoding="unicode") + "\n"
    return files


def _text(e: ET.Element, tag: str, where: str) -> str:
    t = e.findtext(tag)
    if t is None:
        raise FormatError(f"{where}: missing <{tag}>")
    return t.strip()


def _float(e: ET.Element, tag: str, where: str) -> float:
    try:
        return float(_text(e, tag, where))
    except ValueError:
        raise FormatError(f"{where}: <{tag}> is not a number") from None


def from_voc(
    files: Mapping[str, str | bytes],
    config: LabelConfig,
    *,
    policy: str = "error",
    report: ConversionReport | None = None,
) -> list[Item]:
    """VOC XML files -> items (image path, size and boxes; one annotation per annotator).

    A file that is not VOC XML, or an object with a missing/bad ``<bndbox>``, an unknown
    class or a box outside the image, follows ``policy`` (see :mod:`labelwise.formats.report`).
    """
    check_policy(policy)
    report = report if report is not None else ConversionReport()
    boxes = config.controls_of_type("boxes")
    if not boxes:
        raise FormatError("Pascal VOC import needs a boxes control in the label config")
    box_c = boxes[0]
    items = []
    for name in sorted(files):
        if not name.lower().endswith(".xml"):
            continue
        try:
            items.append(_voc_item(name, files[name], config, box_c.name, policy, report))
        except FormatError as exc:
            if policy == "error":
                raise
            report.issue(name, "malformed", f"{exc}; file skipped")
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise FormatError("VOC files map to repeated item ids; give each image a unique file name")
    return items


def _voc_item(
    name: str,
    raw: str | bytes,
    config: LabelConfig,
    control: str,
    policy: str,
    report: ConversionReport,
) -> Item:
    try:
        root = ET.fromstring(as_text(raw, name))
    except ET.ParseError as exc:
        raise FormatError(f"VOC file {name} is not valid XML: {exc}") from None
    if root.tag != "annotation":
        raise FormatError(f"VOC file {name}: root element is <{root.tag}>, expected <annotation>")
    size = root.find("size")
    if size is None:
        raise FormatError(f"VOC file {name}: missing <size> with width and height")
    w, h = _float(size, "width", name), _float(size, "height", name)
    if not (w > 0 and h > 0):
        raise FormatError(f"VOC file {name}: <size> must have a positive width and height")
    path = root.findtext("path") or "/".join(
        x for x in ((root.findtext("folder") or "").strip(), _text(root, "filename", name)) if x
    )
    data: dict[str, Any] = {
        config.object_field: path.strip(),
        "width": int(w) if w.is_integer() else w,
        "height": int(h) if h.is_integer() else h,
    }
    depth = size.findtext("depth")
    if depth and depth.strip().isdigit() and int(depth) != 3:
        data["depth"] = int(depth)
    per: dict[str | None, Annotation] = {}
    listed = root.findtext("labelwise_annotators")
    if listed:
        try:
            who = json.loads(listed)
        except json.JSONDecodeError:
            raise FormatError(f"VOC file {name}: <labelwise_annotators> is not JSON") from None
        per = {a: Annotation({}, a) for a in who if a is None or isinstance(a, str)}
    labels = set(config.control(control).labels)
    for k, obj in enumerate(root.findall("object")):
        where = f"object {k}"
        bb = obj.find("bndbox")
        try:
            if bb is None:
                raise FormatError(f"{where}: missing <bndbox>")
            x1, y1 = _float(bb, "xmin", where), _float(bb, "ymin", where)
            x2, y2 = _float(bb, "xmax", where), _float(bb, "ymax", where)
            label = _text(obj, "name", where)
        except FormatError as exc:
            report.bad(policy, name, "malformed", str(exc))
            continue
        if labels and label not in labels:
            report.bad(
                policy,
                name,
                "unknown_class",
                f"{where}: class {label!r} is not one of {sorted(labels)}",
            )
            continue
        kept = check_box([x1, y1, x2, y2], (w, h), policy, report, file=name)
        if kept is None:
            continue
        annotator = obj.findtext("annotator")
        ann = per.setdefault(annotator, Annotation({}, annotator))
        box: dict[str, Any] = {
            "x": round_px(kept[0]),
            "y": round_px(kept[1]),
            "w": round_px(kept[2] - kept[0]),
            "h": round_px(kept[3] - kept[1]),
            "label": label,
        }
        score = obj.findtext("score")
        if score:
            try:
                box["score"] = float(score)
            except ValueError:
                report.issue(name, "bad_score", f"{where}: <score> is not a number; left out")
        ann.result.setdefault(control, []).append(box)
    item_id = (root.findtext("labelwise_id") or PurePosixPath(path).stem).strip()
    item = Item(item_id, data)
    item.annotations = [
        Annotation(
            validated(config, a.result, data, f"VOC file {name}", policy=policy), a.annotator
        )
        for a in per.values()
    ]
    return item
