"""Import and export of annotations: labelwise JSONL, CSV, Label Studio JSON, COCO, YOLO,
Pascal VOC and CoNLL, plus the box/polygon geometry they share.

Every format converts between files and a list of :class:`Item` (an id, its data and its
annotations); a :class:`LabelConfig` says which controls hold which kind of answer.

Examples
--------
>>> cfg = LabelConfig.from_dict({"object": {"type": "text"},
...     "controls": [{"name": "s", "type": "choices", "labels": ["neg", "pos"]}]})
>>> items = [Item("1", {"text": "fine"}, [Annotation({"s": "pos"}, "ann")])]
>>> import_items(export_items(items, cfg, "csv"), cfg, "csv") == items
True
"""

from __future__ import annotations

import typing as _typing

from labelwise._deprecated import moved_attribute as _moved_attribute
from labelwise.formats.coco import coco_categories, from_coco, to_coco
from labelwise.formats.conll import from_conll, to_conll, tokenize
from labelwise.formats.csv import from_csv, to_csv
from labelwise.formats.dataset import (
    ANNOTATION_FORMATS,
    IMAGE_SUFFIXES,
    ItemSet,
    box_config,
    box_item,
    convert_annotations,
    item_boxes,
    items_frame,
    read_annotations,
    read_class_names,
    validate_annotations,
    write_annotations,
)
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.jsonl import from_jsonl, to_jsonl
from labelwise.formats.label_studio import from_label_studio, to_label_studio
from labelwise.formats.registry import FORMATS, export_items, import_items, pack_zip, read_files
from labelwise.formats.report import POLICIES, ConversionReport, check_box, round_px
from labelwise.formats.schema import (
    CONTROL_TYPES,
    OBJECT_TYPES,
    ConfigError,
    Control,
    LabelConfig,
    ResultError,
)
from labelwise.formats.voc import from_voc, to_voc
from labelwise.formats.yolo import from_yolo, to_yolo

__all__ = [
    "ANNOTATION_FORMATS",
    "CONTROL_TYPES",
    "FORMATS",
    "IMAGE_SUFFIXES",
    "OBJECT_TYPES",
    "POLICIES",
    "Annotation",
    "ConfigError",
    "Control",
    "ConversionReport",
    "FormatError",
    "Item",
    "ItemSet",
    "LabelConfig",
    "ResultError",
    "box_config",
    "box_item",
    "check_box",
    "coco_categories",
    "convert_annotations",
    "export_items",
    "from_coco",
    "from_conll",
    "from_csv",
    "from_jsonl",
    "from_label_studio",
    "from_voc",
    "from_yolo",
    "import_items",
    "item_boxes",
    "items_frame",
    "pack_zip",
    "read_annotations",
    "read_class_names",
    "read_files",
    "round_px",
    "to_coco",
    "to_conll",
    "to_csv",
    "to_jsonl",
    "to_label_studio",
    "to_voc",
    "to_yolo",
    "tokenize",
    "validate_annotations",
    "write_annotations",
]


def __getattr__(name: str) -> _typing.Any:
    # The old xywh box helpers (labelwise.formats.geometry), kept one release.
    return _moved_attribute(
        __name__,
        name,
        "labelwise.formats.geometry",
        "use labelwise.geometry (corner xyxy boxes; convert_boxes for other forms)",
    )
