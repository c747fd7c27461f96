"""CoNLL BIO tags for text spans: one ``token<TAB>tag`` line per token, a blank line per item.

The one CoNLL reader and writer of labelwise (the app's exports and ``labelwise.text``'s
``write_conll``/``read_conll`` both use it). Convention:

* Each block starts with comment lines ``# id = ...``, ``# annotator = ...`` (when known)
  and ``# text = ...`` (``# text_json = "..."`` when the text has line breaks), so the exact
  text and character offsets are restored on import. Files without ``# text`` lines (plain
  CoNLL-2003 style) are read as tokens joined by single spaces.
* Columns are separated by a tab (``sep=" "`` writes CoNLL-2003's space); readers take
  either. ``-DOCSTART-`` lines are skipped. The first column is the token, the last the tag.
* Tokens are words (letters/digits with inner apostrophes) and single punctuation marks,
  further split at every span boundary, so a span never cuts a token and "Paris" in
  "Paris." stays "Paris". On import the tokens are aligned to the ``# text`` as they stand
  in the file, so any tokenization round-trips. Overlapping spans (which BIO cannot
  express) keep the first, reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from labelwise.formats._common import as_text, validated
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.report import ConversionReport
from labelwise.formats.schema import LabelConfig

__all__ = [
    "ConllBlock",
    "align_tokens",
    "format_conll_block",
    "from_conll",
    "parse_conll",
    "to_conll",
    "tokenize",
]

_TOKEN = re.compile(r"\w+(?:'\w+)*|[^\w\s]", re.UNICODE)


def tokenize(text: str, cuts: Iterable[int] = ()) -> list[tuple[int, int]]:
    """Character ``(start, end)`` of each token (words and punctuation marks), also split
    at the offsets ``cuts`` (span boundaries).

    Examples
    --------
    >>> tokenize("Ann  met Bob.")
    [(0, 3), (5, 8), (9, 12), (12, 13)]
    >>> tokenize("Parisian", cuts=[5])
    [(0, 5), (5, 8)]
    """
    cut = sorted(set(cuts))
    out = []
    for m in _TOKEN.finditer(text):
        s, e = m.span()
        for c in cut:
            if s < c < e:
                out.append((s, c))
                s = c
        out.append((s, e))
    return out


def align_tokens(text: str, tokens: Sequence[str]) -> list[tuple[int, int]] | None:
    """The ``(start, end)`` of each token in ``text``, read left to right with only
    whitespace between them; ``None`` when the tokens do not spell the text.

    Examples
    --------
    >>> align_tokens("Paris. Rome", ["Paris", ".", "Rome"])
    [(0, 5), (5, 6), (7, 11)]
    """
    out = []
    pos = 0
    for tok in tokens:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if not tok or not text.startswith(tok, pos):
            return None
        out.append((pos, pos + len(tok)))
        pos += len(tok)
    return out if not text[pos:].strip() else None


@dataclass
class ConllBlock:
    """One blank-line separated block: its first line number, ``# key = value`` comments
    and ``(line number, token, tag)`` rows."""

    line: int
    meta: dict[str, str] = field(default_factory=dict)
    rows: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def tokens(self) -> list[str]:
        return [t for _, t, _ in self.rows]

    @property
    def tags(self) -> list[str]:
        return [g for _, _, g in self.rows]


def parse_conll(
    text: str | bytes, *, name: str = "CoNLL", sep: str | None = None
) -> list[ConllBlock]:
    """Split CoNLL text into blocks; a line without a token and a tag raises, naming it.

    ``sep`` splits the columns (default: a tab when the line has one, else whitespace).
    """
    blocks: list[ConllBlock] = []
    cur: ConllBlock | None = None
    for lineno, raw in enumerate(as_text(text, name).split("\n"), start=1):
        line = raw.rstrip("\r")
        if line.startswith("-DOCSTART-"):
            continue
        if not line.strip():
            if cur is not None and (cur.rows or cur.meta):
                blocks.append(cur)
            cur = None
            continue
        if cur is None:
            cur = ConllBlock(lineno)
        if line.startswith("# "):
            key, eq, value = line[2:].partition(" = ")
            if eq:
                cur.meta[key.strip()] = value
            continue
        if sep is not None:
            parts = line.split(sep)
        else:
            parts = line.split("\t") if "\t" in line else line.split()
        if len(parts) < 2:
            raise FormatError(f"{name} line {lineno}: expected 'token<TAB>tag', got {line!r:.60}")
        cur.rows.append((lineno, parts[0], parts[-1].strip()))
    if cur is not None and (cur.rows or cur.meta):
        blocks.append(cur)
    return blocks


def format_conll_block(
    tokens: Sequence[str], tags: Sequence[str], *, sep: str = "\t", comments: Sequence[str] = ()
) -> str:
    """One block: ``# comment`` lines, then ``token<sep>tag`` lines, then a blank line.

    Examples
    --------
    >>> format_conll_block(["Mr", "Smith"], ["B-PER", "I-PER"], sep=" ")
    'Mr B-PER\\nSmith I-PER\\n\\n'
    """
    if len(tokens) != len(tags):
        raise FormatError(f"{len(tokens)} tokens but {len(tags)} tags; give one tag per token")
    lines = [f"# {c}" for c in comments]
    for t, g in zip(tokens, tags, strict=True):
        if not t or any(ch.isspace() for ch in t):
            raise FormatError(f"token {t!r} is empty or holds whitespace; CoNLL cannot store it")
        if any(ch.isspace() for ch in g):
            raise FormatError(f"tag {g!r} holds whitespace; CoNLL tags cannot hold it")
        lines.append(f"{t}{sep}{g}")
    return "".join(line + "\n" for line in lines) + "\n"


def _span_control(config: LabelConfig) -> str:
    spans = config.controls_of_type("spans")
    if not spans:
        raise FormatError("CoNLL needs a spans control in the label config")
    return spans[0].name


def _tags(
    toks: list[tuple[int, int]], spans: list[dict[str, Any]], item_id: str, report: ConversionReport
) -> list[str]:
    tags = ["O"] * len(toks)
    for s in sorted(spans, key=lambda s: (s["start"], -s["end"])):
        if any(ch.isspace() for ch in s["label"]):
            raise FormatError(
                f"span label {s['label']!r} has whitespace; CoNLL tags cannot hold it"
            )
        idx = [i for i, (a, b) in enumerate(toks) if a < s["end"] and b > s["start"]]
        where = f"item {item_id!r}: span {s['start']}..{s['end']}"
        if not idx:
            report.issue(item_id, "span_without_token", f"{where} covers no token; left out")
            continue
        if any(tags[i] != "O" for i in idx):
            report.issue(item_id, "overlapping_span", f"{where} overlaps another; left out")
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
    ...     "controls": [{"name": "ner", "type": "spans", "labels": ["LOC"]}]})
    >>> it = Item("1", {"text": "In Paris."},
    ...           [Annotation({"ner": [{"start": 3, "end": 8, "label": "LOC"}]}, "ann")])
    >>> to_conll([it], cfg).splitlines()[3:]
    ['In\\tO', 'Paris\\tB-LOC', '.\\tO', '']
    """
    report = report if report is not None else ConversionReport()
    name = _span_control(config)
    out: list[str] = []
    for it in items:
        text = it.data.get(config.object_field)
        if not isinstance(text, str):
            raise FormatError(f"item {it.id!r} has no text in data field {config.object_field!r}")
        if "\n" in it.id or "\r" in it.id:
            raise FormatError(f"item id {it.id!r} has a line break; CoNLL comments cannot hold it")
        anns: list[Annotation | None] = list(it.annotations) or [None]
        for a in anns:
            comments = [f"id = {it.id}"]
            if a is not None:
                who = a.annotator
                if who is None or "\n" in who or "\r" in who:
                    comments.append(f"annotator_json = {json.dumps(who, ensure_ascii=False)}")
                else:
                    comments.append(f"annotator = {who}")
            if "\n" in text or "\r" in text:
                comments.append(f"text_json = {json.dumps(text, ensure_ascii=False)}")
            else:
                comments.append(f"text = {text}")
            spans = [] if a is None else list(a.result.get(name, []))
            toks = tokenize(text, [v for s in spans for v in (s["start"], s["end"])])
            tags = _tags(toks, spans, it.id, report)
            out.append(format_conll_block([text[s:e] for s, e in toks], tags, comments=comments))
    return "".join(out)


def _spans(block: ConllBlock, offsets: list[tuple[int, int]], name: str) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = []
    open_ = False
    for (lineno, _tok, tag), (s, e) in zip(block.rows, offsets, strict=True):
        if tag == "O":
            open_ = False
            continue
        prefix, _, label = tag.partition("-")
        if prefix not in ("B", "I") or not label:
            raise FormatError(f"{name} line {lineno}: tag {tag!r} is not O, B-<label> or I-<label>")
        if prefix == "I" and open_ and spans[-1]["label"] == label:
            spans[-1]["end"] = e
        else:
            # An I- tag with no open span of its label starts one (IOB1 files do this).
            spans.append({"start": s, "end": e, "label": label})
            open_ = True
    return spans


def from_conll(text: str | bytes, config: LabelConfig, *, name: str = "CoNLL") -> list[Item]:
    """CoNLL text -> items with span annotations (blocks with the same ``# id`` are merged)."""
    fld = config.object_field
    ctrl = _span_control(config)
    items: dict[str, Item] = {}
    for block in parse_conll(text, name=name):
        meta = block.meta
        try:
            txt = json.loads(meta["text_json"]) if "text_json" in meta else meta.get("text")
            annotator = (
                json.loads(meta["annotator_json"])
                if "annotator_json" in meta
                else meta.get("annotator")
            )
        except json.JSONDecodeError:
            raise FormatError(
                f"{name} block at line {block.line}: a *_json comment is not valid JSON"
            ) from None
        if txt is None:
            txt = " ".join(block.tokens)
        offsets = align_tokens(txt, block.tokens)
        if offsets is None:
            raise FormatError(
                f"{name} block at line {block.line}: tokens do not match the '# text' line; "
                "the file was edited by hand or the text is wrong"
            )
        clean = _spans(block, offsets, name)
        item_id = meta.get("id") or str(len(items) + 1)
        item = items.get(item_id)
        if item is None:
            item = items[item_id] = Item(item_id, {fld: txt})
        elif item.data.get(fld) != txt:
            raise FormatError(
                f"{name} block at line {block.line}: item {item_id!r} appears with different text"
            )
        if "annotator" in meta or "annotator_json" in meta or clean:
            where = f"{name} block at line {block.line}"
            item.annotations.append(
                Annotation(
                    validated(config, {ctrl: clean} if clean else {}, item.data, where), annotator
                )
            )
    return list(items.values())
