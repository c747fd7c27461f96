"""Text handling around prompts: the truncation policy, row serialization, JSON extraction.

Truncation policy
-----------------
Texts longer than ``max_chars`` characters (default 8,000, about 2,000 tokens) are cut to
``max_chars``: the first 70% and the last 30% of the allowance are kept, joined by a marker
``[... N characters omitted ...]``, cutting at whitespace when there is some near the cut.
Openings carry the topic and endings the conclusion, so both are kept. Each truncated item
is counted (``n_truncated`` in run reports) and entity offsets found in a truncated text are
mapped back to the original text; spans inside the omitted middle cannot be found.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labelwise.llm.errors import LLMConfigError, OutputError

__all__ = [
    "DEFAULT_MAX_CHARS",
    "Truncation",
    "parse_json_output",
    "serialize_row",
    "truncate_text",
]

#: Default character limit per item sent to the model.
DEFAULT_MAX_CHARS = 8000
_HEAD_SHARE = 0.7
_FENCE = re.compile(r"^```(?:json|JSON)?\s*(.*?)\s*```$", re.S)


@dataclass(frozen=True)
class Truncation:
    """How a text was cut: ``text[:head_end] + marker + text[tail_start:]``."""

    original_length: int
    head_end: int
    tail_start: int
    marker: str

    @property
    def omitted(self) -> int:
        return self.tail_start - self.head_end

    def to_original(self, pos: int) -> int | None:
        """Map an offset in the truncated text to the original; ``None`` inside the marker.

        Examples
        --------
        >>> short, t = truncate_text("a" * 50 + "b" * 50, max_chars=40)
        >>> t.to_original(0), t.to_original(len(short)) == 100
        (0, True)
        """
        if pos <= self.head_end:
            return pos
        marker_end = self.head_end + len(self.marker)
        if pos < marker_end:
            return None
        return self.tail_start + (pos - marker_end)


def truncate_text(
    text: str, *, max_chars: int = DEFAULT_MAX_CHARS
) -> tuple[str, Truncation | None]:
    """Apply the truncation policy; returns ``(text_to_send, Truncation or None)``.

    Examples
    --------
    >>> short, t = truncate_text("word " * 100, max_chars=60)
    >>> len(short) <= 60, t.omitted > 0, "characters omitted" in short
    (True, True, True)
    >>> truncate_text("short")
    ('short', None)
    """
    if max_chars < 40:
        raise LLMConfigError(
            f"max_chars must be at least 40 to keep a useful text, got {max_chars}"
        )
    if len(text) <= max_chars:
        return text, None
    # The marker's length depends on the number omitted; size it for the worst case.
    marker_len = len(f"\n[... {len(text)} characters omitted ...]\n")
    keep = max_chars - marker_len
    head_end = math.floor(keep * _HEAD_SHARE)
    tail_len = keep - head_end
    tail_start = len(text) - tail_len
    # Prefer whitespace boundaries within a short distance of the cuts.
    space = text.rfind(" ", max(0, head_end - 40), head_end)
    if space > 0:
        head_end = space
    space = text.find(" ", tail_start, min(len(text), tail_start + 40))
    if space >= 0:
        tail_start = space + 1
    marker = f"\n[... {tail_start - head_end} characters omitted ...]\n"
    short = text[:head_end] + marker + text[tail_start:]
    return short, Truncation(len(text), head_end, tail_start, marker)


def _fmt_value(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "missing"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v).strip()


def serialize_row(row: Mapping[str, Any], *, columns: Sequence[str] | None = None) -> str:
    """One table row as text, ``"col: value; col: value"`` (missing values say ``missing``).

    Examples
    --------
    >>> serialize_row({"age": 39, "hours.per.week": 40.0, "workclass": None})
    'age: 39; hours.per.week: 40; workclass: missing'
    """
    cols = list(columns) if columns is not None else list(row.keys())
    return "; ".join(f"{c}: {_fmt_value(row.get(c))}" for c in cols)


#: Largest model answer decoded (characters) and deepest nesting accepted: a hostile or
#: broken reply (``"[" * 100000``) is an :class:`OutputError`, never a RecursionError.
MAX_JSON_CHARS = 1_000_000
MAX_JSON_DEPTH = 64


def _json_depth(s: str) -> int:
    """Deepest ``[``/``{`` nesting outside strings."""
    depth = deepest = 0
    in_str = escaped = False
    for ch in s:
        if in_str:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def parse_json_output(text: str) -> Any:
    """Decode a model's JSON answer, tolerating code fences and prose around one object.

    Answers longer than :data:`MAX_JSON_CHARS` or nested deeper than
    :data:`MAX_JSON_DEPTH` are refused (``kind="invalid_json"``).

    Raises
    ------
    OutputError
        ``kind="invalid_json"`` with an excerpt of what came back.

    Examples
    --------
    >>> parse_json_output('```json\\n{"label": "spam"}\\n```')
    {'label': 'spam'}
    >>> parse_json_output('Sure! {"label": "ham"} Hope this helps.')
    {'label': 'ham'}
    """
    s = (text or "").strip()
    if len(s) > MAX_JSON_CHARS:
        raise OutputError(
            f"the answer is {len(s):,} characters long; at most {MAX_JSON_CHARS:,} are decoded",
            kind="invalid_json",
        )
    if _json_depth(s) > MAX_JSON_DEPTH:
        raise OutputError(
            f"the answer is nested more than {MAX_JSON_DEPTH} levels deep; refused",
            kind="invalid_json",
        )
    m = _FENCE.match(s)
    if m:
        s = m.group(1)
    try:
        return json.loads(s)
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise OutputError("the answer is nested too deeply", kind="invalid_json") from None
    except json.JSONDecodeError as exc:
        first, last = s.find("{"), s.rfind("}")
        if 0 <= first < last:
            try:
                return json.loads(s[first : last + 1])
            except json.JSONDecodeError:
                pass
        excerpt = s if len(s) <= 120 else s[:117] + "..."
        raise OutputError(
            f"the answer is not valid JSON ({exc.msg} at character {exc.pos}): {excerpt!r}",
            kind="invalid_json",
        ) from None
