"""CoNLL BIO tags for text spans: one ``token<TAB>tag`` line per token, a blank line per item.

Each block starts with comment lines ``# id = ...``, ``# annotator = ...`` (when known) and
``# text = ...`` (``# text_json = "..."`` when the text has line breaks), so the exact text
and character offsets are restored on import. Files without ``# text`` lines are read as
tokens joined by single spaces. Tokens are runs of non-whitespace; spans that cut a token are
widened to whole tokens and overlapping spans (which BIO cannot express) keep the first, both
reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from labelwise.formats._common import as_text, validated
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.report import ConversionReport
from labelwise.formats.schema import LabelConfig

__all__ = ["from_conll", "to_conll", "tokenize"]

_TOKEN = re.compile(r"\S+")


def tokenize(text: str) -> list[tuple[int, int]]:
    """Character ``(start, end)`` of each whitespace-separated token.

    Examples
    --------
    >>> tokenize("Ann  met Bob")
    [(0, 3), (5, 8), (9, 12)]
    """
    return [m.span() for m in _TOKEN.finditer(text)]


def _span_control(config: LabelConfig) -> str:
    spans = config.controls_of_type("spans")
    if not spans:
        raise FormatError("CoNLL needs a spans control in the label config")
    return spans[0].name


def _tags(
    text: str, spans: list[dict[str, Any]], item_id: str, report: ConversionReport
) -> list[str]:
    toks = tokenize(text)
    tags = ["O"] * len(toks)
    for s in sorted(spans, key=lambda s: (s["start"], -s["end"])):
        if any(ch.isspace() for ch in s["label"]):
            raise FormatError(
                f"span label {s['label']!r} has whitespace; CoNLL tags cannot hold it"
            )
        idx = [i for i, (a, b) in enumerate(toks) if a < s["end"] and b > s["start"]]
        if not idx:
            report.add(f"item {item_id!r}: span {s['start']}..{s['end']} covers no token; left out")
            continue
        if toks[idx[0]][0] != s["start"] or toks[idx[-1]][1] != s["end"]:
            report.add(
                f"item {item_id!r}: span {s['start']}..{s['end']} cuts a token; widened to whole tokens"
            )
        if any(tags[i] != "O" for i in idx):
            report.add(
                f"item {item_id!r}: span {s['start']}..{s['end']} overlaps another; left out"
            )
            continue
        tags[idx[0]] = "B-" + s["label"]
        for i in idx[1:]:
            tags[i] = "I-" + s["label"]
    return tags


def to_conll(
    items: Iterable[Item], config: LabelConfig, *, report: ConversionReport | None = None
) -> str:
    """Items with span answers -> CoNLL text (one block per annotation, or per item if none).

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "text"},
    ...     "controls": [{"name": "ner", "type": "spans", "labels": ["PER"]}]})
    >>> it = Item("1", {"text": "Ann met Bob"},
    ...           [Annotation({"ner": [{"start": 8, "end": 11, "label": "PER"}]}, "ann")])
    >>> to_conll([it], cfg).splitlines()[3:]
    ['Ann\\tO', 'met\\tO', 'Bob\\tB-PER', '']
    """
    report = report if report is not None else ConversionReport()
    name = _span_control(config)
    out: list[str] = []
    for it in items:
        text = it.data.get(config.object_field)
        if not isinstance(text, str):
            raise FormatError(f"item {it.id!r} has no text in data field {config.object_field!r}")
        anns: list[Annotation | None] = list(it.annotations) or [None]
        for a in anns:
            if "\n" in it.id or "\r" in it.id:
                raise FormatError(
                    f"item id {it.id!r} has a line break; CoNLL comments cannot hold it"
                )
            out.append(f"# id = {it.id}")
            if a is not None:
                who = a.annotator
                if who is None or "\n" in who or "\r" in who:
                    out.append(f"# annotator_json = {json.dumps(who, ensure_ascii=False)}")
                else:
                    out.append(f"# annotator = {who}")
            if "\n" in text or "\r" in text:
                out.append(f"# text_json = {json.dumps(text, ensure_ascii=False)}")
            else:
                out.append(f"# text = {text}")
            spans = [] if a is None else list(a.result.get(name, []))
            toks = tokenize(text)
            for (s, e), tag in zip(toks, _tags(text, spans, it.id, report), strict=True):
                out.append(f"{text[s:e]}\t{tag}")
            out.append("")
    return "\n".join(out) + ("\n" if out else "")


def from_conll(text: str | bytes, config: LabelConfig, *, name: str = "CoNLL") -> list[Item]:
    """CoNLL text -> items with span annotations (blocks with the same ``# id`` are merged)."""
    field = config.object_field
    ctrl = _span_control(config)
    items: dict[str, Item] = {}
    block: list[tuple[int, str]] = []

    def flush() -> None:
        if not block:
            return
        meta: dict[str, Any] = {}
        rows: list[tuple[int, str, str]] = []
        for lineno, line in block:
            if line.startswith("# "):
                key, sep, value = line[2:].partition(" = ")
                if sep:
                    meta[key.strip()] = value
                continue
            parts = line.split("\t") if "\t" in line else line.split()
            if len(parts) < 2:
                raise FormatError(
                    f"{name} line {lineno}: expected 'token<TAB>tag', got {line!r:.60}"
                )
            rows.append((lineno, parts[0], parts[-1]))
        first = block[0][0]
        block.clear()
        try:
            txt = json.loads(meta["text_json"]) if "text_json" in meta else meta.get("text")
            annotator = (
                json.loads(meta["annotator_json"])
                if "annotator_json" in meta
                else meta.get("annotator")
            )
        except json.JSONDecodeError:
            raise FormatError(
                f"{name} block at line {first}: a *_json comment is not valid JSON"
            ) from None
        if txt is None:
            txt = " ".join(t for _, t, _ in rows)
        toks = tokenize(txt)
        if [txt[s:e] for s, e in toks] != [t for _, t, _ in rows]:
            raise FormatError(
                f"{name} block at line {first}: tokens do not match the '# text' line; "
                "the file was edited by hand or the text is wrong"
            )
        spans: list[dict[str, Any]] = []
        for (lineno, _tok, tag), (s, e) in zip(rows, toks, strict=True):
            if tag == "O":
                if spans:
                    spans[-1]["_open"] = False
                continue
            prefix, _, label = tag.partition("-")
            if prefix not in ("B", "I") or not label:
                raise FormatError(
                    f"{name} line {lineno}: tag {tag!r} is not O, B-<label> or I-<label>"
                )
            if prefix == "I" and spans and spans[-1]["label"] == label and spans[-1]["_open"]:
                spans[-1]["end"] = e
            else:
                # An I- tag with no open span of its label starts one (IOB1 files do this).
                if spans:
                    spans[-1]["_open"] = False
                spans.append({"start": s, "end": e, "label": label, "_open": True})
        clean = [{k: v for k, v in sp.items() if k != "_open"} for sp in spans]
        item_id = meta.get("id") or str(len(items) + 1)
        item = items.get(item_id)
        if item is None:
            item = items[item_id] = Item(item_id, {field: txt})
        elif item.data.get(field) != txt:
            raise FormatError(
                f"{name} block at line {first}: item {item_id!r} appears with different text"
            )
        if "annotator" in meta or "annotator_json" in meta or clean:
            where = f"{name} block at line {first}"
            item.annotations.append(
                Annotation(
                    validated(config, {ctrl: clean} if clean else {}, item.data, where), annotator
                )
            )

    lines = as_text(text, name).split("\n")
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r")
        if line.startswith("-DOCSTART-"):
            continue
        if not line.strip():
            flush()
        else:
            block.append((lineno, line))
    flush()
    return list(items.values())
