"""Entity extraction: typed spans whose character offsets are checked against the text."""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from labelwise.llm.errors import LLMConfigError, OutputError
from labelwise.llm.tasks._base import (
    EntitiesOutput,
    EntitySpans,
    Prepared,
    Task,
    _Matcher,
    _obj,
    _validate,
)
from labelwise.llm.text import (
    DEFAULT_MAX_CHARS,
)

DEFAULT_ENTITY_TYPES: dict[str, str] = {
    "person": "names of people",
    "organization": "companies, institutions, teams, agencies",
    "location": "cities, countries, addresses, places",
    "phone": "telephone numbers",
}


class EntityTask(Task):
    """Extract typed entities as character spans; offsets are checked against the text.

    An entity whose ``text[start:end]`` differs from its ``text`` is moved to the nearest
    occurrence of that text (counted as *fixed*). An entity whose text does not occur in
    the item at all triggers the repair request; after the repair such entities are dropped
    and counted. Offsets index the original text, also when it was truncated.

    Parameters
    ----------
    types : sequence of str or mapping of str to description, optional
        Entity types; default person, organization, location, phone. Custom types are
        added by name (with a description when the name is not self-explanatory).

    Examples
    --------
    >>> task = EntityTask()
    >>> spans = task.parse_text(
    ...     '{"entities": [{"type": "person", "text": "Ada", "start": 9, "end": 12}]}',
    ...     task.prepare("Call me, Ada."))
    >>> spans.entities
    [{'type': 'person', 'text': 'Ada', 'start': 9, 'end': 12}]
    """

    kind = "entities"
    default_user = (
        "Extract the entities of these types from the text:\n{types}\n\n"
        'Text:\n"""\n{text}\n"""\n\n'
        'Reply with a JSON object {"entities": [{"type": ..., "text": ..., "start": ..., '
        '"end": ...}]}: text is copied exactly from the text, start and end are character '
        "offsets (end exclusive, counting from 0). Use an empty list when there are none."
    )
    placeholders = frozenset({"text", "types"})

    def __init__(
        self,
        types: Sequence[str] | Mapping[str, str] | None = None,
        *,
        system_prompt: str | None = None,
        user_template: str | None = None,
        response_mode: str = "json_schema",
        max_tokens: int | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        if types is None:
            self.types = dict(DEFAULT_ENTITY_TYPES)
        elif isinstance(types, Mapping):
            self.types = {str(k): str(v) for k, v in types.items()}
        else:
            self.types = {str(t): DEFAULT_ENTITY_TYPES.get(str(t), "") for t in types}
        if not self.types or any(not k.strip() for k in self.types):
            raise LLMConfigError(f"entity types must be non-empty names, got {list(self.types)}")
        self._matcher = _Matcher(list(self.types))
        super().__init__(
            system_prompt=system_prompt,
            user_template=user_template,
            response_mode=response_mode,
            max_tokens=max_tokens or 600,
            max_chars=max_chars,
        )

    def fields(self) -> dict[str, str]:
        return {
            "types": "\n".join(f"- {k}" + (f": {v}" if v else "") for k, v in self.types.items())
        }

    def schema(self) -> dict[str, Any]:
        ent = _obj(
            {
                "type": {"type": "string", "enum": list(self.types)},
                "text": {"type": "string"},
                "start": {"type": "integer"},
                "end": {"type": "integer"},
            }
        )
        return _obj({"entities": {"type": "array", "items": ent}})

    def parse(self, data: Any, prepared: Prepared, *, strict: bool = True) -> EntitySpans:
        out = _validate(EntitiesOutput, data)
        text = prepared.text
        kept: list[dict[str, Any]] = []
        dropped: list[dict[str, Any]] = []
        fixed = 0
        missing: list[str] = []
        seen: set[tuple[str, int, int]] = set()
        for ent in out.entities:
            etype = self._matcher.match(ent.type)
            if etype is None:
                if strict:
                    raise OutputError(
                        f"entity type {ent.type!r} is not one of {list(self.types)}",
                        kind="unknown_label",
                    )
                dropped.append({**ent.model_dump(), "reason": "unknown type"})
                continue
            span = _locate(text, ent.text, ent.start, ent.end)
            if span is None:
                missing.append(ent.text)
                dropped.append({**ent.model_dump(), "reason": "text not found in the item"})
                continue
            s, e, was_fixed = span
            fixed += was_fixed
            # Map offsets in the (possibly truncated) text back to the original item.
            if prepared.truncation is not None:
                os_, oe = prepared.truncation.to_original(s), prepared.truncation.to_original(e)
                if os_ is None or oe is None or oe - os_ != e - s:
                    dropped.append({**ent.model_dump(), "reason": "span crosses the truncation"})
                    continue
                s, e = os_, oe
            key = (etype, s, e)
            if key in seen:
                continue
            seen.add(key)
            kept.append({"type": etype, "text": text[span[0] : span[1]], "start": s, "end": e})
        if missing and strict:
            raise OutputError(
                f"these entity texts do not occur in the text: {missing[:5]}; copy each entity "
                "exactly as written",
                kind="span",
            )
        kept.sort(key=lambda d: (d["start"], d["end"]))
        return EntitySpans(kept, n_fixed=fixed, n_dropped=len(dropped), dropped=dropped)

    def agreement_key(self, output: Any) -> Hashable:
        return frozenset((d["type"], d["start"], d["end"]) for d in output.entities)

    def to_record(self, output: Any) -> dict[str, Any]:
        return {
            "entities": output.entities,
            "n_spans_fixed": output.n_fixed,
            "n_spans_dropped": output.n_dropped,
        }


def _locate(
    text: str, value: str, start: int | None, end: int | None
) -> tuple[int, int, int] | None:
    """``(start, end, fixed)`` of ``value`` in ``text``, preferring the given offsets."""
    if not value:
        return None
    if (
        start is not None
        and end is not None
        and 0 <= start < end <= len(text)
        and text[start:end] == value
    ):
        return start, end, 0
    hits = [m.start() for m in re.finditer(re.escape(value), text)]
    if not hits:
        low = text.casefold()
        hits = [m.start() for m in re.finditer(re.escape(value.casefold()), low)]
        if not hits or len(low) != len(text):
            return None
    ref = start if start is not None else 0
    best = min(hits, key=lambda h: (abs(h - ref), h))
    return best, best + len(value), 1


# ---------------------------------------------------------------------- summaries
