"""Helpers shared by the format modules."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.report import ConversionReport, check_box
from labelwise.formats.schema import LabelConfig, ResultError

#: Largest single import the formats accept (bytes); bigger files are rejected up front.
MAX_IMPORT_BYTES = 512 * 1024 * 1024


def as_text(data: str | bytes, name: str) -> str:
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormatError(f"{name} is not UTF-8 text ({exc}); save it as UTF-8") from None
    return data


def load_json(text: str | bytes, name: str) -> Any:
    try:
        return json.loads(as_text(text, name))
    except json.JSONDecodeError as exc:
        raise FormatError(f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}") from None


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def validated(
    config: LabelConfig | None,
    result: Mapping[str, Any],
    data: Mapping[str, Any],
    where: str,
    *,
    policy: str = "error",
    report: ConversionReport | None = None,
    line: int | None = None,
) -> dict[str, Any]:
    """Validate ``result`` against ``config`` (when given), naming ``where`` on failure.

    With a ``report``, boxes outside the image or without area follow ``policy`` first
    (clipped, dropped, kept or raised, each reported against ``where`` and ``line``), so
    every importer applies the policy the same way. Under ``policy="keep"`` boxes may reach
    outside the image.
    """
    if config is None:
        return dict(result)
    if report is not None:
        result = _box_policy(config, result, data, where, policy, report, line)
    try:
        return config.validate_result(result, data, partial=True, in_image=policy != "keep")
    except ResultError as exc:
        raise FormatError(f"{where}: {exc}") from None


def _box_policy(
    config: LabelConfig,
    result: Mapping[str, Any],
    data: Mapping[str, Any],
    where: str,
    policy: str,
    report: ConversionReport,
    line: int | None,
) -> dict[str, Any]:
    w, h = data.get("width"), data.get("height")
    size = None
    if isinstance(w, (int, float)) and isinstance(h, (int, float)) and w > 0 and h > 0:
        size = (float(w), float(h))
    out = dict(result)
    for c in config.controls_of_type("boxes"):
        regions = out.get(c.name)
        if not isinstance(regions, list):
            continue
        kept = []
        for r in regions:
            try:
                x, y, bw, bh = (float(r[k]) for k in ("x", "y", "w", "h"))
            except (KeyError, TypeError, ValueError):
                kept.append(r)  # the schema names what is wrong with it
                continue
            box = check_box([x, y, x + bw, y + bh], size, policy, report, file=where, line=line)
            if box is not None:
                kept.append(
                    {**r, "x": box[0], "y": box[1], "w": box[2] - box[0], "h": box[3] - box[1]}
                )
        out[c.name] = kept
    return out


def item_size(item: Item, where: str) -> tuple[float, float]:
    w, h = item.data.get("width"), item.data.get("height")
    ok = all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
        for v in (w, h)
    )
    if not ok:
        raise FormatError(
            f"{where}: item {item.id!r} has no image size (data width={w!r}, height={h!r}); "
            "box formats need the image width and height in the item's data"
        )
    return float(w), float(h)  # type: ignore[arg-type]


def group_annotations(
    rows: Iterable[tuple[str, str | None, dict[str, Any]]],
) -> dict[str, dict[str | None, Annotation]]:
    """(item id, annotator, partial result) rows -> item id -> annotator -> merged annotation."""
    out: dict[str, dict[str | None, Annotation]] = {}
    for item_id, annotator, part in rows:
        per = out.setdefault(item_id, {})
        ann = per.get(annotator)
        if ann is None:
            per[annotator] = Annotation(dict(part), annotator)
        else:
            for k, v in part.items():
                if isinstance(v, list) and isinstance(ann.result.get(k), list):
                    ann.result[k].extend(v)
                else:
                    ann.result[k] = v
    return out


def sidecar_path(image_path: str, folder: str, suffix: str) -> str:
    """The annotation file of an image inside ``folder``, keeping the image's sub-folders
    (so equal stems never collide) but never leaving ``folder`` (``..`` and ``.`` dropped)."""
    p = PurePosixPath(image_path.replace("\\", "/").lstrip("/"))
    parts = [q for q in p.parts if q not in ("..", ".")]
    return str(PurePosixPath(folder, *parts).with_suffix(suffix))


def object_path(item: Item, config: LabelConfig) -> str:
    value = item.data.get(config.object_field)
    if not isinstance(value, str) or not value:
        raise FormatError(
            f"item {item.id!r} has no {config.object_field!r} file path in its data; "
            f"the {config.object_type} object is read from that field"
        )
    return value
