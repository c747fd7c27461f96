"""What every LLM task shares: the Task base class, prompt templates, answer schemas."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from labelwise.errors import require
from labelwise.labeling import ABSTAIN, LabelSpace
from labelwise.llm.errors import LLMConfigError, OutputError
from labelwise.llm.text import (
    DEFAULT_MAX_CHARS,
    Truncation,
    parse_json_output,
    truncate_text,
)

require("pydantic", "llm")
from pydantic import BaseModel, ConfigDict, Field, ValidationError  # noqa: E402

UNSURE = "unsure"
_UNSURE_WORDS = {"unsure", "unknown", "none", "n/a", "not sure", "cannot tell", "abstain", ""}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_NORM = re.compile(r"[\s_\-]+")


def _norm(s: str) -> str:
    return _NORM.sub(" ", str(s).strip().casefold())


def _render(template: str, fields: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: fields.get(m.group(1), m.group(0)), template)


def _check_template(template: str, allowed: set[str], what: str, *, need_text: bool) -> str:
    if not isinstance(template, str) or not template.strip():
        raise LLMConfigError(f"{what} must be a non-empty string, got {template!r}")
    used = set(_PLACEHOLDER.findall(template))
    unknown = sorted(used - allowed)
    if unknown:
        raise LLMConfigError(
            f"{what} uses unknown placeholders {['{' + u + '}' for u in unknown]}; available: "
            f"{sorted('{' + a + '}' for a in allowed)}"
        )
    if need_text and "text" not in used:
        raise LLMConfigError(
            f"{what} has no {{text}} placeholder, so the item would never reach the model; "
            "add {text} where the item should go"
        )
    return template


def _validate(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
        raise OutputError(
            f"the answer does not follow the schema ({problems})", kind="schema"
        ) from None


class ItemSkipped(Exception):
    """An item that is not sent to the model (``status`` is ``"empty"`` or ``"not_text"``)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Prepared:
    """An item ready for the prompt: the text sent and how it was truncated (if at all)."""

    text: str
    truncation: Truncation | None = None


# ---------------------------------------------------------------------- answer models
class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ClassOutput(_Strict):
    label: str | None = None


class MultiLabelOutput(_Strict):
    labels: list[str] = Field(default_factory=list)


class TaxonomyOutput(_Strict):
    category: str
    subcategory: str | None = None


class Entity(_Strict):
    type: str
    text: str
    start: int | None = None
    end: int | None = None


class EntitiesOutput(_Strict):
    entities: list[Entity] = Field(default_factory=list)


class SummaryOutput(_Strict):
    summary: str


class HeadlineOutput(_Strict):
    headline: str
    topic: str | None = None


class AspectScore(_Strict):
    aspect: str
    score: float = Field(ge=0, le=5)


class AspectSentimentOutput(_Strict):
    aspects: list[AspectScore] = Field(default_factory=list)
    overall: float = Field(ge=0, le=5)
    top_positive: str | None = None
    top_negative: str | None = None


@dataclass
class EntitySpans:
    """Validated entities: spans with offsets into the original text."""

    entities: list[dict[str, Any]]
    n_fixed: int = 0
    n_dropped: int = 0
    dropped: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------------- base
class Task:
    """Base class of LLM tasks; subclasses set the schema, prompts and checks.

    Parameters
    ----------
    system_prompt, user_template : str, optional
        Override the defaults; see ``placeholders`` for the ``{names}`` available.
    response_mode : {"json_schema", "json_object", "none"}, default "json_schema"
        How structured output is requested: a JSON schema (OpenAI, Azure, vLLM, Ollama,
        llama.cpp), plain JSON mode, or only by the prompt.
    max_tokens : int, optional
        Cap on answer tokens (also the budget's worst case per request).
    max_chars : int, default 8000
        Truncation limit per item (see :mod:`labelwise.llm.text`).
    """

    kind: ClassVar[str] = "task"
    default_system: ClassVar[str] = (
        "You are a careful, consistent data labeler. Answer with one JSON object and nothing else."
    )
    default_user: ClassVar[str] = "{text}"
    placeholders: ClassVar[frozenset[str]] = frozenset({"text"})
    default_max_tokens: ClassVar[int] = 100
    label_space: LabelSpace | None = None

    def __init__(
        self,
        *,
        system_prompt: str | None = None,
        user_template: str | None = None,
        response_mode: str = "json_schema",
        max_tokens: int | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        allowed = set(self.placeholders)
        self.system_prompt = _check_template(
            system_prompt or self.default_system,
            allowed - {"text"},
            "system_prompt",
            need_text=False,
        )
        self.user_template = _check_template(
            user_template or self.default_user, allowed, "user_template", need_text=True
        )
        if response_mode not in ("json_schema", "json_object", "none"):
            raise LLMConfigError(
                f"response_mode {response_mode!r} is not one of 'json_schema', 'json_object', 'none'"
            )
        self.response_mode = response_mode
        self.max_tokens = int(max_tokens or self.default_max_tokens)
        if max_chars < 40:
            raise LLMConfigError(f"max_chars must be at least 40, got {max_chars}")
        self.max_chars = int(max_chars)

    # -- subclasses ------------------------------------------------------
    def fields(self) -> dict[str, str]:
        """Template values other than ``{text}``."""
        return {}

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def parse(self, data: Any, prepared: Prepared, *, strict: bool = True) -> Any:
        """Validate decoded JSON ``data`` for the item; raise :class:`OutputError`."""
        raise NotImplementedError

    def vote(self, output: Any) -> int:
        """The class index this answer votes for (``ABSTAIN`` when none)."""
        return ABSTAIN

    def confidence_keys(self, output: Any) -> list[str]:
        """JSON keys whose values carry the decision (their tokens' probability is the
        confidence)."""
        return []

    def agreement_key(self, output: Any) -> Hashable:
        """What must match for two samples to agree."""
        return json.dumps(self.to_record(output), sort_keys=True, default=str)

    def to_record(self, output: Any) -> dict[str, Any]:
        """Flat columns for a DataFrame of results."""
        return output.model_dump() if isinstance(output, BaseModel) else dict(output)

    def repair_hint(self) -> str:
        return ""

    # -- shared ----------------------------------------------------------
    def prepare(self, item: Any) -> Prepared:
        """Check an item and apply the truncation policy.

        Raises
        ------
        ItemSkipped
            ``"empty"`` for ``None``/NaN/blank text, ``"not_text"`` for other types.
        """
        if item is None or (isinstance(item, float) and math.isnan(item)):
            raise ItemSkipped("empty", "the item is missing (None/NaN)")
        if not isinstance(item, str):
            raise ItemSkipped(
                "not_text",
                f"the item is {type(item).__name__} {str(item)[:40]!r}, not text; convert the "
                "column with .astype(str) if it should be labeled",
            )
        if not item.strip():
            raise ItemSkipped("empty", "the item is an empty string")
        text, trunc = truncate_text(item, max_chars=self.max_chars)
        return Prepared(text, trunc)

    def messages(self, prepared: Prepared) -> list[dict[str, str]]:
        fields = {**self.fields(), "text": prepared.text}
        return [
            {"role": "system", "content": _render(self.system_prompt, fields)},
            {"role": "user", "content": _render(self.user_template, fields)},
        ]

    def response_format(self) -> dict[str, Any] | None:
        if self.response_mode == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {
                    "name": f"labelwise_{self.kind}",
                    "schema": self.schema(),
                    "strict": True,
                },
            }
        if self.response_mode == "json_object":
            return {"type": "json_object"}
        return None

    def parse_text(self, raw: str, prepared: Prepared, *, strict: bool = True) -> Any:
        """Decode and validate a raw answer."""
        return self.parse(parse_json_output(raw), prepared, strict=strict)

    def repair_messages(
        self, prepared: Prepared, raw: str, error: OutputError
    ) -> list[dict[str, str]]:
        hint = self.repair_hint()
        return [
            *self.messages(prepared),
            {"role": "assistant", "content": raw},
            {
                "role": "user",
                "content": (
                    f"That answer cannot be used: {error}. Reply again with only a JSON object "
                    f"that follows this schema: {json.dumps(self.schema())}."
                    + (f" {hint}" if hint else "")
                ),
            },
        ]

    @property
    def prompt_hash(self) -> str:
        """12 hex digits identifying prompts + schema (recorded in provenance)."""
        blob = json.dumps(
            [self.kind, self.system_prompt, self.user_template, self.fields(), self.schema()],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def describe(self) -> dict[str, Any]:
        return {"task": self.kind, "prompt_hash": self.prompt_hash, "max_chars": self.max_chars}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(prompt_hash={self.prompt_hash!r})"


def _obj(props: Mapping[str, Any], required: Sequence[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": dict(props),
        "required": list(required if required is not None else props),
        "additionalProperties": False,
    }


def _bullets(names: Sequence[str], descriptions: Mapping[str, str] | None = None) -> str:
    """``- name`` lines, with ``: description`` where one is given."""
    desc = descriptions or {}
    return "\n".join(f"- {n}" + (f": {desc[n]}" if n in desc else "") for n in names)


def _names(values: Sequence[Any], what: str, *, minimum: int = 2) -> list[str]:
    if isinstance(values, str):
        raise LLMConfigError(f"{what} must be a list of names, not one string {values!r}")
    names = [str(v).strip() for v in values]
    if len(names) < minimum:
        raise LLMConfigError(
            f"{what} needs at least {'two names' if minimum == 2 else 'one name'}, got {names!r}"
        )
    if any(not n for n in names):
        raise LLMConfigError(f"{what} contains an empty name: {names!r}")
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise LLMConfigError(f"{what} repeats {dups}")
    clash: dict[str, list[str]] = {}
    for n in names:
        clash.setdefault(_norm(n), []).append(n)
    bad = [v for v in clash.values() if len(v) > 1]
    if bad:
        raise LLMConfigError(f"{what} has names that differ only in case or spacing: {bad}")
    return names


class _Matcher:
    """Maps an answer's class name to the canonical one (case and spacing forgiven)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self._by_norm = {_norm(n): n for n in names}

    def match(self, value: Any) -> str | None:
        if value is None:
            return None
        s = str(value)
        if s in self.names:
            return s
        return self._by_norm.get(_norm(s))


# ---------------------------------------------------------------------- classification
