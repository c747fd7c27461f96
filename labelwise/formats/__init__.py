"""Import and export of annotations: labelwise JSONL, CSV, Label Studio JSON, COCO, YOLO,
Pascal VOC and CoNLL; for video tracks MOT, CVAT for video, COCO per frame and Label Studio
video rectangles; plus the box/polygon geometry they share.

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

from labelwise.formats.coco import coco_categories, from_coco, to_coco
from labelwise.formats.coco_video import from_coco_video, to_coco_video
from labelwise.formats.conll import from_conll, to_conll, tokenize
from labelwise.formats.csv import from_csv, to_csv
from labelwise.formats.cvat_video import from_cvat_video, to_cvat_video
from labelwise.formats.geometry import (
    box_area,
    box_iou,
    clip_xywh,
    cxcywh_norm_to_xywh,
    interpolate_track,
    iou_matrix,
    match_boxes,
    percent_to_xywh,
    polygon_area,
    polygon_bbox,
    xywh_to_cxcywh_norm,
    xywh_to_percent,
    xywh_to_xyxy,
    xyxy_to_xywh,
)
from labelwise.formats.items import Annotation, ConversionReport, FormatError, Item
from labelwise.formats.jsonl import from_jsonl, to_jsonl
from labelwise.formats.label_studio import from_label_studio, to_label_studio
from labelwise.formats.label_studio_video import from_label_studio_video, to_label_studio_video
from labelwise.formats.mot import from_mot, to_mot
from labelwise.formats.registry import FORMATS, export_items, import_items, pack_zip, read_files
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
    "CONTROL_TYPES",
    "FORMATS",
    "OBJECT_TYPES",
    "Annotation",
    "ConfigError",
    "Control",
    "ConversionReport",
    "FormatError",
    "Item",
    "LabelConfig",
    "ResultError",
    "box_area",
    "box_iou",
    "clip_xywh",
    "coco_categories",
    "cxcywh_norm_to_xywh",
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
    "interpolate_track",
    "iou_matrix",
    "match_boxes",
    "pack_zip",
    "percent_to_xywh",
    "polygon_area",
    "polygon_bbox",
    "read_files",
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
    "xywh_to_cxcywh_norm",
    "xywh_to_percent",
    "xywh_to_xyxy",
    "xyxy_to_xywh",
]
