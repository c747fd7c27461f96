"""YOLO text labels: one ``labels/<image path>.txt`` per image, ``class cx cy w h`` normalized.

Polygon lines (``class x1 y1 x2 y2 ...``, YOLO segmentation format) go to a polygons control.
Class ids index ``classes.txt`` (box labels, then new polygon labels). YOLO files carry no
image size, so reading needs the images' width and height (from the items they belong to);
coordinates outside ``[0, 1]`` are clipped and reported, or rejected with ``strict=True``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from labelwise.formats._common import as_text, item_size, object_path, sidecar_path, validated
from labelwise.formats.coco import coco_categories
from labelwise.formats.items import Annotation, ConversionReport, FormatError, Item
from labelwise.formats.schema import LabelConfig
from labelwise.geometry import convert_boxes

__all__ = ["from_yolo", "label_path", "to_yolo"]


def label_path(image_path: str) -> str:
    """``imgs/a.jpg`` -> ``labels/imgs/a.txt`` (folders kept so equal stems never collide)."""
    return sidecar_path(image_path, "labels", ".txt")


def _fmt(v: float) -> str:
    return repr(float(v))


def to_yolo(items: Iterable[Item], config: LabelConfig) -> dict[str, str]:
    """Items -> ``{relative path: file text}``: ``classes.txt`` and one label file per image.

    Each item should carry one (final) annotation; several are merged into one file.

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "image"},
    ...     "controls": [{"name": "b", "type": "boxes", "labels": ["car"]}]})
    >>> it = Item("1", {"image": "a.jpg", "width": 100, "height": 40},
    ...           [Annotation({"b": [{"x": 0, "y": 0, "w": 50, "h": 20, "label": "car"}]})])
    >>> to_yolo([it], cfg)["labels/a.txt"]
    '0 0.25 0.25 0.5 0.5\\n'
    """
    names = coco_categories(config)
    cls = {n: i for i, n in enumerate(names)}
    box_c = next(iter(config.controls_of_type("boxes")), None)
    poly_c = next(iter(config.controls_of_type("polygons")), None)
    files = {"classes.txt": "".join(n + "\n" for n in names)}
    for it in items:
        w, h = item_size(it, "YOLO export")
        path = label_path(object_path(it, config))
        if path in files:
            raise FormatError(f"two items map to the same YOLO label file {path!r}")
        lines = []
        for a in it.annotations:
            for b in a.result.get(box_c.name, []) if box_c else []:
                cx, cy, bw, bh = convert_boxes(
                    [b["x"], b["y"], b["w"], b["h"]], "xywh", "cxcywh_norm", (w, h)
                )[0].tolist()
                lines.append(f"{cls[b['label']]} {_fmt(cx)} {_fmt(cy)} {_fmt(bw)} {_fmt(bh)}")
            for p in a.result.get(poly_c.name, []) if poly_c else []:
                coords = " ".join(f"{_fmt(x / w)} {_fmt(y / h)}" for x, y in p["points"])
                lines.append(f"{cls[p['label']]} {coords}")
        files[path] = "".join(line + "\n" for line in lines)
    return files


def from_yolo(
    files: Mapping[str, str | bytes],
    items: Iterable[Item],
    config: LabelConfig,
    *,
    names: list[str] | None = None,
    annotator: str | None = None,
    strict: bool = False,
    report: ConversionReport | None = None,
) -> list[Item]:
    """Attach YOLO label files to ``items`` (which give the image paths and sizes).

    Parameters
    ----------
    files : mapping of relative path -> text
        ``labels/...txt`` files (keys may also be bare ``<stem>.txt``) and optionally
        ``classes.txt``.
    items : iterable of Item
        The images, with ``width``/``height`` in their data.
    names : list of str, optional
        Class names by id; defaults to ``classes.txt``, then the config's labels.
    strict : bool
        Reject coordinates outside ``[0, 1]`` instead of clipping them.
    report : ConversionReport, optional
        Receives one message per clipped value or image without a label file.

    Returns
    -------
    list of Item
        Copies of ``items`` with one annotation each (by ``annotator``) where a label file exists.
    """
    report = report if report is not None else ConversionReport()
    if names is None:
        classes = files.get("classes.txt")
        names = (
            [n.strip() for n in as_text(classes, "classes.txt").splitlines() if n.strip()]
            if classes is not None
            else coco_categories(config)
        )
    box_c = next(iter(config.controls_of_type("boxes")), None)
    poly_c = next(iter(config.controls_of_type("polygons")), None)
    by_path = {k.replace("\\", "/").removeprefix("./"): v for k, v in files.items()}
    by_stem: dict[str, list[str]] = {}
    for k in by_path:
        by_stem.setdefault(PurePosixPath(k).stem, []).append(k)
    out = []
    for it in items:
        path = label_path(object_path(it, config))
        key = path if path in by_path else None
        if key is None:
            cands = by_stem.get(PurePosixPath(path).stem, [])
            if len(cands) > 1:
                raise FormatError(
                    f"several YOLO files match image {it.id!r}: {cands}; keep folder paths"
                )
            key = cands[0] if cands else None
        new = Item(it.id, dict(it.data), [], list(it.predictions))
        if key is None:
            report.add(f"item {it.id!r}: no YOLO label file {path!r}; left unlabeled")
            out.append(new)
            continue
        w, h = item_size(it, f"YOLO file {key}")
        result: dict[str, list[Any]] = {}
        for lineno, line in enumerate(as_text(by_path[key], key).splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            where = f"YOLO file {key} line {lineno}"
            try:
                cid = int(parts[0])
                vals = [float(v) for v in parts[1:]]
            except ValueError:
                raise FormatError(
                    f"{where}: expected 'class cx cy w h' numbers, got {line!r:.80}"
                ) from None
            if not 0 <= cid < len(names):
                raise FormatError(f"{where}: class {cid} is outside 0..{len(names) - 1} ({names})")
            if any(not math.isfinite(v) for v in vals):
                raise FormatError(f"{where}: coordinates must be finite")
            label = names[cid]
            if len(vals) == 4:
                cx, cy, bw, bh = vals
                corners = [cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2]
            else:
                corners = vals
            # Float noise from the writer's own arithmetic is not an error; real overshoot is.
            bad = [round(v, 6) for v in corners if v < -1e-9 or v > 1 + 1e-9]
            if bad or (len(vals) == 4 and (vals[2] > 1 + 1e-9 or vals[3] > 1 + 1e-9)):
                if strict:
                    raise FormatError(
                        f"{where}: the shape reaches {bad or vals[2:]} outside [0, 1]; "
                        "fix the file, or import without strict to clip it to the image"
                    )
                report.add(
                    f"{where}: shape outside the image (values {line.split()[1:]}) was clipped to it"
                )
            if len(vals) == 4:
                if box_c is None:
                    raise FormatError(f"{where}: a box line but the config has no boxes control")
                x1, y1, x2, y2 = (min(max(v, 0.0), 1.0) for v in corners)
                if x2 - x1 <= 0 or y2 - y1 <= 0:
                    report.add(f"{where}: box is empty inside the image; dropped")
                    continue
                if any(v < 0 or v > 1 for v in corners):
                    cx, cy, bw, bh = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
                x, y, bw_px, bh_px = convert_boxes([cx, cy, bw, bh], "cxcywh_norm", "xywh", (w, h))[
                    0
                ].tolist()
                result.setdefault(box_c.name, []).append(
                    {
                        "x": max(0.0, x),
                        "y": max(0.0, y),
                        "w": min(bw_px, w),
                        "h": min(bh_px, h),
                        "label": label,
                    }
                )
            elif len(vals) >= 6 and len(vals) % 2 == 0:
                if poly_c is None:
                    raise FormatError(
                        f"{where}: a polygon line but the config has no polygons control"
                    )
                pts = [
                    [min(max(vals[i], 0.0), 1.0) * w, min(max(vals[i + 1], 0.0), 1.0) * h]
                    for i in range(0, len(vals), 2)
                ]
                result.setdefault(poly_c.name, []).append({"points": pts, "label": label})
            else:
                raise FormatError(
                    f"{where}: {len(vals)} coordinates; a box has 4 and a polygon an even number >= 6"
                )
        new.annotations = [
            Annotation(validated(config, result, new.data, f"YOLO file {key}"), annotator)
        ]
        out.append(new)
    return out
