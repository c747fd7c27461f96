"""CSV: one row per annotation, readable in a spreadsheet.

Columns: ``id``, ``annotator``, one column per data field, one per control. Data fields that
are text in every item are written as is; others as JSON under ``<field>:json``. Single-choice
answers are written as the class name; every other control is JSON. An item without
annotations is one row with an empty ``annotator``.

Spreadsheet formulas are neutralised: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return (what Excel, LibreOffice and Google Sheets would run as a formula, e.g.
``=HYPERLINK(...)``) is written with a leading ``'``, which spreadsheets show as text.
:func:`from_csv` removes that quote again, so the file still round-trips exactly.
"""

from __future__ import annotations

import csv as _csv
import io
import json
from collections.abc import Iterable
from typing import Any

from labelwise.formats._common import as_text, dumps, group_annotations, validated
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.schema import LabelConfig

__all__ = ["from_csv", "to_csv"]

_NO_ANNOTATION = ""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(cell: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (reversed by :func:`_unsafe`).

    >>> _safe("=SUM(A1:A9)"), _safe("-3"), _safe("'tis"), _safe(5)
    ("'=SUM(A1:A9)", "'-3", "'tis", 5)
    >>> all(_unsafe(_safe(v)) == v for v in ["=1+1", "'=x", "''", "'tis", "plain", "@a"])
    True
    """
    if not isinstance(cell, str) or not cell:
        return cell
    if cell.startswith(_FORMULA_START) or (
        cell.startswith("'") and cell[1:2] != "" and cell[1:].startswith((*_FORMULA_START, "'"))
    ):
        return "'" + cell
    return cell


def _unsafe(cell: str) -> str:
    if cell.startswith("'") and cell[1:].startswith((*_FORMULA_START, "'")):
        return cell[1:]
    return cell


def to_csv(items: Iterable[Item], config: LabelConfig) -> str:
    """Write items and their annotations as CSV text.

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "text"},
    ...     "controls": [{"name": "s", "type": "choices", "labels": ["neg", "pos"]}]})
    >>> print(to_csv([Item("1", {"text": "ok"}, [Annotation({"s": "pos"}, "ann")])], cfg).strip())
    id,annotator,text,s
    1,ann,ok,pos
    """
    items = list(items)
    keys: list[str] = []
    for it in items:
        for k in it.data:
            if k not in keys:
                keys.append(k)
    text_keys = {k for k in keys if all(isinstance(it.data.get(k), str) for it in items)}
    data_cols = [k if k in text_keys else f"{k}:json" for k in keys]
    controls = list(config.controls)
    reserved = {"id", "annotator"}
    clash = [c for c in data_cols + [c.name for c in controls] if c in reserved]
    if clash or set(data_cols) & {c.name for c in controls}:
        raise FormatError(
            f"CSV columns clash: data fields or controls named {sorted(set(clash) | (set(data_cols) & {c.name for c in controls}))}; "
            "rename the data field or the control"
        )
    buf = io.StringIO()
    w = _csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "annotator", *data_cols, *[c.name for c in controls]])
    for it in items:
        data_vals = []
        for k in keys:
            v = it.data.get(k)
            if k in text_keys:
                data_vals.append("" if v is None else v)
            else:
                data_vals.append(dumps(v) if k in it.data else "")
        anns: list[Annotation | None] = list(it.annotations) or [None]
        for a in anns:
            row: list[Any] = [it.id, _NO_ANNOTATION if a is None else (a.annotator or "")]
            row += data_vals
            for c in controls:
                v = None if a is None else a.result.get(c.name)
                if v is None:
                    row.append("")
                elif c.type == "choices" and not c.multiple:
                    row.append(v)
                else:
                    row.append(dumps(v))
            w.writerow([_safe(v) for v in row])
    return buf.getvalue()


def from_csv(text: str | bytes, config: LabelConfig, *, name: str = "CSV") -> list[Item]:
    """Read CSV written by :func:`to_csv` (rows grouped back into items).

    Rows whose ``annotator`` is empty and whose control cells are all empty carry no
    annotation. Control cells must hold the class name (single choice) or JSON.
    """
    reader = _csv.reader(io.StringIO(as_text(text, name)))
    try:
        header = next(reader)
    except StopIteration:
        raise FormatError(f"{name} is empty; expected a header row with 'id'") from None
    if "id" not in header:
        raise FormatError(f"{name} has no 'id' column; header: {header}")
    controls = {c.name: c for c in config.controls}
    order: list[str] = []
    data: dict[str, dict[str, Any]] = {}
    rows: list[tuple[str, str | None, dict[str, Any]]] = []
    for lineno, cells in enumerate(reader, start=2):
        if not cells:
            continue
        if len(cells) != len(header):
            raise FormatError(
                f"{name} line {lineno} has {len(cells)} cells; the header has {len(header)}"
            )
        rec = dict(zip(header, [_unsafe(c) for c in cells], strict=True))
        item_id = rec["id"]
        item_data: dict[str, Any] = {}
        result: dict[str, Any] = {}
        for col, cell in rec.items():
            if col in ("id", "annotator"):
                continue
            if col in controls:
                if cell == "":
                    continue
                c = controls[col]
                if c.type == "choices" and not c.multiple:
                    result[col] = cell
                else:
                    try:
                        result[col] = json.loads(cell)
                    except json.JSONDecodeError:
                        raise FormatError(
                            f"{name} line {lineno}, column {col!r}: {cell!r:.60} is not JSON"
                        ) from None
            elif col.endswith(":json"):
                if cell != "":
                    try:
                        item_data[col[:-5]] = json.loads(cell)
                    except json.JSONDecodeError:
                        raise FormatError(
                            f"{name} line {lineno}, column {col!r} is not JSON"
                        ) from None
            else:
                item_data[col] = cell
        if item_id not in data:
            order.append(item_id)
            data[item_id] = item_data
        annotator = rec.get("annotator", "")
        if annotator == _NO_ANNOTATION and not result:
            continue
        result = validated(config, result, data[item_id], f"{name} line {lineno}")
        rows.append((item_id, annotator or None, result))
    grouped = group_annotations(rows)
    return [Item(i, data[i], list(grouped.get(i, {}).values())) for i in order]
