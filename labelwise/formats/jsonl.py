"""labelwise JSONL: one item per line, with every annotation and prediction (full fidelity)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from labelwise.formats._common import as_text, dumps, validated
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.report import ConversionReport, check_policy
from labelwise.formats.schema import LabelConfig

__all__ = ["from_jsonl", "to_jsonl"]


def _ann_to_dict(a: Annotation) -> dict[str, Any]:
    out: dict[str, Any] = {"annotator": a.annotator, "result": a.result}
    if a.meta:
        out["meta"] = a.meta
    return out


def to_jsonl(items: Iterable[Item]) -> str:
    """Serialize items, one JSON object per line.

    Examples
    --------
    >>> to_jsonl([Item("1", {"text": "hi"}, [Annotation({"s": "pos"}, "ann")])])
    '{"id":"1","data":{"text":"hi"},"annotations":[{"annotator":"ann","result":{"s":"pos"}}]}\\n'
    """
    lines = []
    for it in items:
        row: dict[str, Any] = {"id": it.id, "data": it.data}
        row["annotations"] = [_ann_to_dict(a) for a in it.annotations]
        if it.predictions:
            row["predictions"] = [_ann_to_dict(a) for a in it.predictions]
        lines.append(dumps(row))
    return "".join(line + "\n" for line in lines)


def _ann_from_dict(
    raw: Any,
    where: str,
    config: LabelConfig | None,
    data: dict[str, Any],
    policy: str = "error",
    report: ConversionReport | None = None,
    line: int | None = None,
) -> Annotation:
    if not isinstance(raw, dict) or not isinstance(raw.get("result"), dict):
        raise FormatError(f"{where} must be an object with a 'result' object, got {raw!r:.80}")
    annotator = raw.get("annotator")
    meta = raw.get("meta") or {}
    if not isinstance(meta, dict):
        raise FormatError(f"{where}: 'meta' must be an object")
    return Annotation(
        validated(config, raw["result"], data, where, policy=policy, report=report, line=line),
        None if annotator is None else str(annotator),
        dict(meta),
    )


def from_jsonl(
    text: str | bytes,
    *,
    config: LabelConfig | None = None,
    name: str = "JSONL",
    policy: str = "error",
    report: ConversionReport | None = None,
) -> list[Item]:
    """Parse labelwise JSONL.

    A line with a ``data`` object is an item (``id``, ``data``, ``annotations``,
    ``predictions``); any other object is taken as the data of an unlabeled item, with
    ``id`` taken from its ``id`` field or the line number. Blank lines are skipped.

    Boxes outside the image or without area follow ``policy`` (see
    :mod:`labelwise.formats.report`), reported in ``report`` with their line.

    Raises
    ------
    FormatError
        Naming the line of the first malformed record; nothing is returned half-parsed.
    """
    check_policy(policy)
    report = report if report is not None else ConversionReport()
    items: list[Item] = []
    seen: set[str] = set()
    for lineno, line in enumerate(as_text(text, name).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FormatError(f"{name} line {lineno} is not valid JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise FormatError(
                f"{name} line {lineno} must be a JSON object, got {type(row).__name__}"
            )
        if isinstance(row.get("data"), dict):
            data = dict(row["data"])
            item_id = str(row["id"]) if row.get("id") is not None else str(lineno)
            anns_raw = row.get("annotations") or []
            preds_raw = row.get("predictions") or []
            if not isinstance(anns_raw, list) or not isinstance(preds_raw, list):
                raise FormatError(f"{name} line {lineno}: annotations/predictions must be lists")
        else:
            data = dict(row)
            item_id = str(data["id"]) if data.get("id") is not None else str(lineno)
            anns_raw, preds_raw = [], []
        if item_id in seen:
            raise FormatError(
                f"{name} line {lineno}: item id {item_id!r} appears twice; ids must be unique"
            )
        seen.add(item_id)
        where = f"{name} line {lineno}"
        items.append(
            Item(
                item_id,
                data,
                [
                    _ann_from_dict(
                        a, f"{where} annotation {i}", config, data, policy, report, lineno
                    )
                    for i, a in enumerate(anns_raw)
                ],
                [
                    _ann_from_dict(
                        a, f"{where} prediction {i}", config, data, policy, report, lineno
                    )
                    for i, a in enumerate(preds_raw)
                ],
            )
        )
    return items
