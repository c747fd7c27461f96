"""Deprecated: box formats moved to :mod:`labelwise.formats` (one import/export stack).

Kept for one release; importing it warns. The one in-memory model is
:class:`labelwise.formats.Item` (gathered in a :class:`labelwise.formats.ItemSet`); use
:func:`labelwise.formats.read_annotations`, :func:`~labelwise.formats.write_annotations`,
:func:`~labelwise.formats.convert_annotations` and :func:`~labelwise.formats.box_item`.
The old names below map onto those; ``out_of_range=`` is now ``policy=``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelwise import formats as _f
from labelwise.formats import (
    ANNOTATION_FORMATS,
    IMAGE_SUFFIXES,
    ItemSet,
    read_class_names,
    validate_annotations,
)
from labelwise.geometry import Box

__all__ = [
    "ANNOTATION_FORMATS",
    "IMAGE_SUFFIXES",
    "AnnotationSet",
    "BoxAnnotation",
    "FormatIssue",
    "ImageAnnotation",
    "convert_annotations",
    "from_coco",
    "read_annotations",
    "read_class_names",
    "read_coco",
    "read_voc",
    "read_yolo",
    "to_coco",
    "validate_annotations",
    "write_annotations",
    "write_coco",
    "write_voc",
    "write_yolo",
]

warnings.warn(
    "labelwise.image.formats is deprecated; use labelwise.formats (Item/ItemSet, "
    "read_annotations, write_annotations, convert_annotations, box_item)",
    DeprecationWarning,
    stacklevel=2,
)

FormatIssue = _f.ConversionReport  # the one report type (faults with file and line)


@dataclass(frozen=True)
class BoxAnnotation:
    """Deprecated: a region ``{"x", "y", "w", "h", "label", "score"}`` of an Item."""

    box: Box
    label: str
    score: float | None = None


@dataclass
class ImageAnnotation:
    """Deprecated: an :class:`labelwise.formats.Item` (see :func:`labelwise.formats.box_item`)."""

    image: str
    width: int
    height: int
    boxes: list[BoxAnnotation] = field(default_factory=list)


def AnnotationSet(
    images: Sequence[ImageAnnotation], classes: Sequence[str] = (), issues: Any = None
) -> ItemSet:
    """Deprecated: builds the :class:`labelwise.formats.ItemSet` of old-style images."""
    items = [
        _f.box_item(
            im.image,
            im.width,
            im.height,
            [b.box.to_xyxy() for b in im.boxes],
            [b.label for b in im.boxes],
            [b.score for b in im.boxes],
        )
        for im in images
    ]
    names = list(classes) or sorted({b.label for im in images for b in im.boxes}) or ["object"]
    return ItemSet(items, _f.box_config(names))


def _policy(kw: dict[str, Any]) -> dict[str, Any]:
    if "out_of_range" in kw:
        kw["policy"] = kw.pop("out_of_range")
    return kw


def read_annotations(fmt: str, source: str | Path, **kw: Any) -> ItemSet:
    return _f.read_annotations(fmt, source, **_policy(kw))


def convert_annotations(*args: Any, **kw: Any) -> ItemSet:
    return _f.convert_annotations(*args, **_policy(kw))


def write_annotations(annotations: ItemSet, fmt: str, target: str | Path) -> Any:
    _f.write_annotations(annotations, fmt, target)
    return annotations.report


def read_yolo(labels_dir: str | Path, **kw: Any) -> ItemSet:
    return read_annotations("yolo", labels_dir, **kw)


def read_coco(path: str | Path, **kw: Any) -> ItemSet:
    return read_annotations("coco", path, **kw)


def read_voc(xml_dir: str | Path, **kw: Any) -> ItemSet:
    return read_annotations("voc", xml_dir, **kw)


def write_yolo(annotations: ItemSet, labels_dir: str | Path, **kw: Any) -> Any:
    _f.write_annotations(annotations, "yolo", labels_dir)
    return annotations.report


def write_coco(annotations: ItemSet, path: str | Path) -> Path:
    return _f.write_annotations(annotations, "coco", path)[0]


def write_voc(annotations: ItemSet, xml_dir: str | Path) -> list[Path]:
    return _f.write_annotations(annotations, "voc", xml_dir)


def to_coco(annotations: ItemSet, **kw: Any) -> dict[str, Any]:
    return _f.to_coco(annotations.items, annotations.config)


def from_coco(data: Mapping[str, Any], **kw: Any) -> ItemSet:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "coco.json"
        p.write_text(json.dumps(data), encoding="utf-8")
        return read_annotations("coco", p, **kw)
