"""COCO detection JSON: ``images``, ``categories`` and ``annotations`` (boxes and polygons).

Boxes are ``[x, y, w, h]`` in pixels; polygons are ``segmentation`` lists. Each annotation
also carries ``annotator`` (COCO readers ignore unknown keys), and each image
``labelwise_id`` and ``labelwise_annotators`` (who answered, even with no boxes), so several
annotators' work and empty answers import back unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from labelwise.formats._common import item_size, load_json, object_path, validated
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.report import ConversionReport, check_box, check_policy, round_px
from labelwise.formats.schema import Control, LabelConfig
from labelwise.geometry import convert_boxes, polygon_area, polygon_to_box

__all__ = ["coco_categories", "from_coco", "to_coco"]


def _controls(config: LabelConfig) -> tuple[Control | None, Control | None]:
    boxes = config.controls_of_type("boxes")
    polys = config.controls_of_type("polygons")
    if not boxes and not polys:
        raise FormatError("COCO export needs a boxes or polygons control in the label config")
    return (boxes[0] if boxes else None), (polys[0] if polys else None)


def coco_categories(config: LabelConfig) -> list[str]:
    """Category names in id order (ids start at 1): box labels, then new polygon labels."""
    box_c, poly_c = _controls(config)
    names: list[str] = []
    for c in (box_c, poly_c):
        for label in c.labels if c else ():
            if label not in names:
                names.append(label)
    return names


def _px(values: Any) -> list[float | int]:
    return [round_px(v) for v in values]


def to_coco(
    items: Iterable[Item], config: LabelConfig, *, predictions: bool = False
) -> dict[str, Any]:
    """Items with box/polygon answers -> a COCO dict (pixel values rounded by ``round_px``).

    With ``predictions=True`` the items' predictions are written instead, each region's
    ``score`` as the annotation's ``score`` (COCO's results convention).

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "image"},
    ...     "controls": [{"name": "b", "type": "boxes", "labels": ["car"]}]})
    >>> it = Item("1", {"image": "a.jpg", "width": 10, "height": 10},
    ...           [Annotation({"b": [{"x": 1, "y": 1, "w": 2, "h": 3, "label": "car"}]}, "ann")])
    >>> to_coco([it], cfg)["annotations"][0]["bbox"]
    [1, 1, 2, 3]
    """
    box_c, poly_c = _controls(config)
    names = coco_categories(config)
    cat_id = {n: i + 1 for i, n in enumerate(names)}
    images: list[dict[str, Any]] = []
    anns: list[dict[str, Any]] = []
    for img_id, it in enumerate(items, start=1):
        item_size(it, "COCO export")
        chosen = it.predictions if predictions else it.annotations
        images.append(
            {
                "id": img_id,
                "file_name": object_path(it, config),
                "width": it.data["width"],
                "height": it.data["height"],
                "labelwise_id": it.id,
                "labelwise_annotators": [a.annotator for a in chosen],
            }
        )
        for a in chosen:
            for b in a.result.get(box_c.name, []) if box_c else []:
                bbox = _px([b["x"], b["y"], b["w"], b["h"]])
                anns.append(
                    {
                        "id": len(anns) + 1,
                        "image_id": img_id,
                        "category_id": cat_id[b["label"]],
                        "bbox": bbox,
                        "area": round_px(float(bbox[2]) * float(bbox[3])),
                        "iscrowd": 0,
                        "segmentation": [],
                        "annotator": a.annotator,
                        **({"score": b["score"]} if b.get("score") is not None else {}),
                    }
                )
            for p in a.result.get(poly_c.name, []) if poly_c else []:
                flat = _px(v for pt in p["points"] for v in pt)
                anns.append(
                    {
                        "id": len(anns) + 1,
                        "image_id": img_id,
                        "category_id": cat_id[p["label"]],
                        "bbox": _px(convert_boxes(polygon_to_box(p["points"]), "xyxy", "xywh")[0]),
                        "area": round_px(polygon_area(p["points"])),
                        "iscrowd": 0,
                        "segmentation": [flat],
                        "annotator": a.annotator,
                        **({"score": p["score"]} if p.get("score") is not None else {}),
                    }
                )
    return {
        "info": {"description": config.title or "labelwise export"},
        "images": images,
        "categories": [{"id": i + 1, "name": n, "supercategory": ""} for i, n in enumerate(names)],
        "annotations": anns,
    }


def from_coco(
    coco: str | bytes | Mapping[str, Any],
    config: LabelConfig,
    *,
    name: str = "COCO JSON",
    policy: str = "error",
    report: ConversionReport | None = None,
) -> list[Item]:
    """A COCO dict (or its JSON text) -> items, one per image.

    Annotations with a polygon ``segmentation`` go to the polygons control (when the config
    has one), others to the boxes control; a ``score`` becomes the region's score. Bad
    annotations (unknown image or category, malformed or RLE ``segmentation``, boxes
    outside the image) follow ``policy`` (see :mod:`labelwise.formats.report`).
    """
    check_policy(policy)
    report = report if report is not None else ConversionReport()
    raw = load_json(coco, name) if isinstance(coco, (str, bytes)) else coco
    if not isinstance(raw, Mapping) or not isinstance(raw.get("images"), list):
        raise FormatError(f"{name} needs an 'images' list (and 'categories', 'annotations')")
    box_c, poly_c = _controls(config)
    cats = {}
    for c in raw.get("categories") or []:
        if not isinstance(c, Mapping) or "id" not in c or "name" not in c:
            raise FormatError(f"{name}: every category needs 'id' and 'name', got {c!r:.80}")
        cats[c["id"]] = str(c["name"])
    images: dict[Any, Item] = {}
    per_image: dict[Any, dict[str | None, Annotation]] = {}
    order = []
    for n, img in enumerate(raw["images"]):
        if not isinstance(img, Mapping) or "id" not in img or "file_name" not in img:
            report.bad(policy, name, "malformed", f"image {n} needs 'id' and 'file_name'")
            continue
        data: dict[str, Any] = {config.object_field: str(img["file_name"])}
        for k in ("width", "height"):
            if img.get(k) is not None:
                data[k] = img[k]
        item = Item(str(img.get("labelwise_id") or img["id"]), data)
        if img["id"] in images:
            raise FormatError(f"{name}: image id {img['id']!r} appears twice")
        images[img["id"]] = item
        order.append(img["id"])
        per_image[img["id"]] = {
            a: Annotation({}, a) for a in (img.get("labelwise_annotators") or [])
        }
    for n, a in enumerate(raw.get("annotations") or []):
        where = f"annotation {n}"
        if not isinstance(a, Mapping) or a.get("image_id") not in images:
            report.bad(policy, name, "unknown_image", f"{where} refers to an unknown image_id")
            continue
        if a.get("category_id") not in cats:
            report.bad(
                policy,
                name,
                "unknown_class",
                f"{where} has category_id {a.get('category_id')!r}, not in categories",
            )
            continue
        label = cats[a["category_id"]]
        seg = a.get("segmentation")
        ctrl = poly_c if seg and poly_c is not None else box_c
        if ctrl is not None and label not in ctrl.labels:
            report.bad(
                policy,
                name,
                "unknown_class",
                f"{where} has class {label!r}, not one of {list(ctrl.labels)}",
            )
            continue
        item = images[a["image_id"]]
        size = _size_of(item)
        annotator = a.get("annotator")
        anns = per_image[a["image_id"]]
        score = a.get("score")
        extra = {"score": float(score)} if isinstance(score, (int, float)) else {}
        if isinstance(seg, Mapping):
            report.bad(
                policy, name, "rle_mask", f"{where} has an RLE mask; only polygons and boxes import"
            )
            continue
        if seg and poly_c is not None:
            if (
                not isinstance(seg, list)
                or not isinstance(seg[0], list)
                or any(len(part) % 2 or len(part) < 6 for part in seg)
            ):
                report.bad(
                    policy,
                    name,
                    "malformed",
                    f"{where} segmentation must be [[x1, y1, x2, y2, ...]]",
                )
                continue
            for part in seg:
                pts = [[float(part[i]), float(part[i + 1])] for i in range(0, len(part), 2)]
                if (
                    check_box(
                        polygon_to_box(pts), size, policy, report, file=name, check_area=False
                    )
                    is None
                ):
                    continue
                if policy == "clip" and size is not None:
                    pts = [[min(max(x, 0.0), size[0]), min(max(y, 0.0), size[1])] for x, y in pts]
                ann = anns.setdefault(annotator, Annotation({}, annotator))
                ann.result.setdefault(poly_c.name, []).append(
                    {"points": pts, "label": label, **extra}
                )
        elif box_c is not None:
            bbox = a.get("bbox")
            try:
                xywh = [float(v) for v in bbox]  # type: ignore[union-attr]
                if len(xywh) != 4 or not all(math.isfinite(v) for v in xywh):
                    raise ValueError
            except (TypeError, ValueError):
                report.bad(
                    policy, name, "malformed", f"{where} needs bbox [x, y, w, h] of finite numbers"
                )
                continue
            xyxy = convert_boxes(xywh, "xywh", "xyxy")[0]
            kept = check_box(xyxy, size, policy, report, file=name)
            if kept is None:
                continue
            x, y, w, h = convert_boxes(kept, "xyxy", "xywh")[0].tolist()
            ann = anns.setdefault(annotator, Annotation({}, annotator))
            ann.result.setdefault(box_c.name, []).append(
                {"x": x, "y": y, "w": w, "h": h, "label": label, **extra}
            )
        else:
            report.bad(
                policy, name, "no_control", f"{where} is a box but the config has no boxes control"
            )
    out = []
    for img_id in order:
        item = images[img_id]
        item.annotations = [
            Annotation(
                validated(config, a.result, item.data, f"{name} image {img_id!r}", policy=policy),
                a.annotator,
            )
            for a in per_image[img_id].values()
        ]
        out.append(item)
    return out


def _size_of(item: Item) -> tuple[float, float] | None:
    w, h = item.data.get("width"), item.data.get("height")
    if isinstance(w, (int, float)) and isinstance(h, (int, float)) and w > 0 and h > 0:
        return float(w), float(h)
    return None
