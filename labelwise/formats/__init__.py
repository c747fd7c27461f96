"""The one import/export stack: labelwise JSONL, CSV, Label Studio JSON, COCO, YOLO, Pascal
VOC and CoNLL, box datasets on disk, and for video tracks MOT, CVAT for video, COCO per frame
and Label Studio video rectangles.

The model
---------
One in-memory annotation model for every modality, tool and the app: an :class:`Item` (an
id, its ``data`` -- ``{"text": ...}``, ``{"image": path, "width": w, "height": h}``,
``{"audio": path, "duration": s}`` -- its ``annotations`` and its model ``predictions``),
each :class:`Annotation` holding a ``result``: control name -> value, in the value shapes of
:mod:`labelwise.formats.schema` (boxes are ``{"x", "y", "w", "h", "label"[, "score"]}`` in
pixels). A :class:`LabelConfig` says which control holds which kind of answer. An item with
no annotation was never annotated; an annotation with an empty result is "no objects".
Geometry is :mod:`labelwise.geometry` (corner ``xyxy`` pixels; :func:`box_item` and
:func:`item_boxes` convert at the edge); :class:`ItemSet` gathers items with their config
and report for the folder-level functions (:func:`read_annotations`, ...).

Problems
--------
Every importer reports into one :class:`ConversionReport` (a
:class:`labelwise.faults.FaultLog`: one fault per file and line) and takes one ``policy``
for bad annotations: ``error | clip | drop | keep`` (:mod:`labelwise.formats.report`).

Adding a format
---------------
Write a module ``labelwise/formats/<name>.py`` with ``to_<name>(items, config, ...)`` and
``from_<name>(data, config, ...)`` over :class:`Item`, then call :func:`register_format`
(at the end of :mod:`labelwise.formats.registry`, or from the module, imported here) with a
writer and a reader; :func:`export_items`, :func:`import_items`, the app's export menu and
the CLI then know it. Use :func:`~labelwise.formats.report.check_box` and
:func:`~labelwise.formats.report.round_px` for boxes, and ``report.bad(policy, file, code,
message, line=...)`` for anything unusable. Nothing here may import a modality
(image/text/audio/video/tabular) or the app (``tests/test_import_graph.py`` checks).

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

from labelwise._deprecation import moved_attribute as _moved_attribute
from labelwise.formats.coco import coco_categories, from_coco, to_coco
from labelwise.formats.coco_video import from_coco_video, to_coco_video
from labelwise.formats.conll import from_conll, to_conll, tokenize
from labelwise.formats.csv import from_csv, to_csv
from labelwise.formats.cvat_video import from_cvat_video, to_cvat_video
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
from labelwise.formats.label_studio_video import from_label_studio_video, to_label_studio_video
from labelwise.formats.mot import from_mot, to_mot
from labelwise.formats.registry import (
    FORMATS,
    export_items,
    import_items,
    pack_zip,
    read_files,
    register_format,
)
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
    "from_coco_video",
    "from_conll",
    "from_csv",
    "from_cvat_video",
    "from_jsonl",
    "from_label_studio",
    "from_label_studio_video",
    "from_mot",
    "from_voc",
    "from_yolo",
    "import_items",
    "item_boxes",
    "items_frame",
    "pack_zip",
    "read_annotations",
    "read_class_names",
    "read_files",
    "register_format",
    "round_px",
    "to_coco",
    "to_coco_video",
    "to_conll",
    "to_csv",
    "to_cvat_video",
    "to_jsonl",
    "to_label_studio",
    "to_label_studio_video",
    "to_mot",
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
