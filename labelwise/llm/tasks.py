"""LLM labeling tasks: prompts, JSON schemas and validation of the answers.

Each task holds a default system prompt and user template (both overridable), the JSON
schema sent as ``response_format``, and a parser that validates an answer with pydantic plus
the task's own checks (class names, taxonomy pairs, span offsets, score ranges). A parser
raises :class:`~labelwise.llm.errors.OutputError`; the runner then makes one repair
request quoting the error, and abstains (counted) when the repair fails too.

Templates use ``{name}`` placeholders; only the names a task lists in ``placeholders`` are
replaced (``{text}`` is required in the user template), so JSON examples with braces can be
written as they are. An unknown ``{name}`` is an error at construction.

Tasks
-----
=========================  ===========================================  ===============
task                        answer                                      votes
=========================  ===========================================  ===============
:class:`ClassifyTask`       one of the categories (or "unsure")          class index
:class:`MultiLabelTask`     any subset of the categories                 one 0/1 per class
:class:`TaxonomyTask`       category and sub-category                    leaf or category
:class:`EntityTask`         typed spans with checked character offsets   --
:class:`SummarizeTask`      a summary of at most ``max_words`` words     --
:class:`HeadlineTask`       a headline and (optionally) a topic          topic index
:class:`AspectSentimentTask` aspects scored 0-5, overall, top +/-        polarity
:class:`RowClassifyTask`    a class for a table row, from example rows   class index
=========================  ===========================================  ===============
"""

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
from labelwise.llm.taxonomy import Taxonomy, load_taxonomy
from labelwise.llm.text import (
    DEFAULT_MAX_CHARS,
    Truncation,
    parse_json_output,
    serialize_row,
    truncate_text,
)

require("pydantic", "llm")
from pydantic import BaseModel, ConfigDict, Field, ValidationError  # noqa: E402

__all__ = [
    "AspectSentimentTask",
    "ClassifyTask",
    "EntityTask",
    "HeadlineTask",
    "ItemSkipped",
    "MultiLabelTask",
    "Prepared",
    "RowClassifyTask",
    "SummarizeTask",
    "Task",
    "TaxonomyTask",
]

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
class ClassifyTask(Task):
    """Classify each text into exactly one of ``labels`` (or ``"unsure"``).

    Parameters
    ----------
    labels : sequence of str
        Class names, in class-index order (the label space of the votes).
    instructions : str, optional
        What to decide, e.g. ``"Is this SMS message spam?"``.
    descriptions : mapping of str to str, optional
        One-line definitions of classes, shown to the model.
    examples : sequence of (text, label), optional
        Few-shot examples shown before the item.
    allow_unsure : bool, default True
        Let the model answer ``"unsure"`` (an abstain).

    Examples
    --------
    >>> task = ClassifyTask(["ham", "spam"], instructions="Is this SMS spam?")
    >>> task.parse_text('{"label": "Spam"}', task.prepare("WIN a prize")).label
    'spam'
    >>> task.vote(task.parse_text('{"label": "unsure"}', task.prepare("hi")))
    -1
    """

    kind = "classify"
    default_user = (
        "{instructions}\n\nCategories:\n{categories}\n\n{examples}"
        'Text:\n"""\n{text}\n"""\n\n'
        'Reply with a JSON object {"label": ...} whose label is exactly one category name'
        "{unsure_clause}."
    )
    placeholders = frozenset({"text", "instructions", "categories", "examples", "unsure_clause"})
    default_instructions = "Assign the text to the category that fits best."

    def __init__(
        self,
        labels: Sequence[str],
        *,
        instructions: str | None = None,
        descriptions: Mapping[str, str] | None = None,
        examples: Sequence[tuple[str, str]] | None = None,
        allow_unsure: bool = True,
        system_prompt: str | None = None,
        user_template: str | None = None,
        response_mode: str = "json_schema",
        max_tokens: int | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.labels = _names(labels, "labels")
        if any(_norm(x) == UNSURE for x in self.labels):
            raise LLMConfigError(f"{UNSURE!r} is reserved for abstaining; rename that class")
        self.label_space = LabelSpace(self.labels)
        self._matcher = _Matcher(self.labels)
        self.instructions = instructions or self.default_instructions
        self.descriptions = dict(descriptions or {})
        unknown = sorted(set(self.descriptions) - set(self.labels))
        if unknown:
            raise LLMConfigError(
                f"descriptions name unknown classes {unknown}; classes: {self.labels}"
            )
        self.examples = [(str(t), str(y)) for t, y in (examples or [])]
        for t, y in self.examples:
            if y not in self.labels:
                raise LLMConfigError(
                    f"example label {y!r} (for {t[:30]!r}) is not one of the classes {self.labels}"
                )
        self.allow_unsure = allow_unsure
        super().__init__(
            system_prompt=system_prompt,
            user_template=user_template,
            response_mode=response_mode,
            max_tokens=max_tokens,
            max_chars=max_chars,
        )

    def _examples_block(self) -> str:
        if not self.examples:
            return ""
        lines = ["Examples:"]
        for t, y in self.examples:
            lines.append(f'Text: """{truncate_text(t, max_chars=min(self.max_chars, 1000))[0]}"""')
            lines.append(f'Answer: {{"label": "{y}"}}')
        return "\n".join(lines) + "\n\n"

    def fields(self) -> dict[str, str]:
        return {
            "instructions": self.instructions,
            "categories": _bullets(self.labels, self.descriptions),
            "examples": self._examples_block(),
            "unsure_clause": (
                f', or "{UNSURE}" if the text gives too little to decide'
                if self.allow_unsure
                else ""
            ),
        }

    def schema(self) -> dict[str, Any]:
        enum = self.labels + ([UNSURE] if self.allow_unsure else [])
        return _obj({"label": {"type": "string", "enum": enum}})

    def repair_hint(self) -> str:
        return f"The label must be one of {self.labels}" + (
            f' or "{UNSURE}".' if self.allow_unsure else "."
        )

    def parse(self, data: Any, prepared: Prepared, *, strict: bool = True) -> ClassOutput:
        out = _validate(ClassOutput, data)
        name = self._matcher.match(out.label)  # a class named "none" is a class, not unsure
        if name is None and (out.label is None or _norm(out.label) in _UNSURE_WORDS):
            if self.allow_unsure:
                return ClassOutput(label=None)
            raise OutputError(
                f"no label was given; choose one of {self.labels}", kind="unknown_label"
            )
        if name is None:
            raise OutputError(
                f"{out.label!r} is not one of the categories {self.labels}", kind="unknown_label"
            )
        return ClassOutput(label=name)

    def vote(self, output: Any) -> int:
        return ABSTAIN if output.label is None else self.label_space.index(output.label)  # type: ignore[union-attr]

    def confidence_keys(self, output: Any) -> list[str]:
        return ["label"]

    def agreement_key(self, output: Any) -> Hashable:
        return output.label

    def to_record(self, output: Any) -> dict[str, Any]:
        return {"label": output.label}


class RowClassifyTask(ClassifyTask):
    """Classify table rows, given a few labeled example rows (rows are serialized to text).

    Parameters
    ----------
    labels : sequence of str
        Class names.
    examples : DataFrame
        Labeled rows; ``label_column`` holds their class names.
    label_column : str
        Column of ``examples`` with the class.
    columns : sequence of str, optional
        Columns to show the model (default: every column of ``examples`` but the label).

    Examples
    --------
    >>> import pandas as pd
    >>> ex = pd.DataFrame({"age": [25, 60], "hours": [20, 50], "income": ["<=50K", ">50K"]})
    >>> task = RowClassifyTask(["<=50K", ">50K"], examples=ex, label_column="income")
    >>> task.prepare({"age": 40, "hours": 45}).text
    'age: 40; hours: 45'
    """

    kind = "row_classify"
    default_instructions = "Predict the class of the table row from the labeled example rows."

    def __init__(
        self,
        labels: Sequence[str],
        *,
        examples: Any,
        label_column: str,
        columns: Sequence[str] | None = None,
        instructions: str | None = None,
        descriptions: Mapping[str, str] | None = None,
        allow_unsure: bool = True,
        system_prompt: str | None = None,
        user_template: str | None = None,
        response_mode: str = "json_schema",
        max_tokens: int | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        import pandas as pd

        if not isinstance(examples, pd.DataFrame) or len(examples) == 0:
            raise LLMConfigError("examples must be a non-empty DataFrame of labeled rows")
        if label_column not in examples.columns:
            raise LLMConfigError(
                f"label_column {label_column!r} is not a column of the examples; columns: "
                f"{list(examples.columns)}"
            )
        cols = (
            list(columns)
            if columns is not None
            else [c for c in examples.columns if c != label_column]
        )
        missing = [c for c in cols if c not in examples.columns]
        if missing:
            raise LLMConfigError(
                f"columns {missing} are not in the examples; columns: {list(examples.columns)}"
            )
        if not cols:
            raise LLMConfigError("no columns to show the model; pass columns=[...]")
        self.columns = [str(c) for c in cols]
        self.label_column = label_column
        pairs = [
            (
                serialize_row({str(k): v for k, v in row.items()}, columns=self.columns),
                str(row[label_column]),
            )
            for row in examples.to_dict(orient="records")
        ]
        super().__init__(
            labels,
            instructions=instructions,
            descriptions=descriptions,
            examples=pairs,
            allow_unsure=allow_unsure,
            system_prompt=system_prompt,
            user_template=user_template,
            response_mode=response_mode,
            max_tokens=max_tokens,
            max_chars=max_chars,
        )

    def prepare(self, item: Any) -> Prepared:
        if not isinstance(item, Mapping):
            raise ItemSkipped(
                "not_text", f"a row must be a mapping of column -> value, got {type(item).__name__}"
            )
        missing = [c for c in self.columns if c not in item]
        if missing:
            raise LLMConfigError(
                f"the rows lack columns {missing} that the examples have; columns present: "
                f"{list(item)[:20]}"
            )
        text = serialize_row(item, columns=self.columns)
        short, trunc = truncate_text(text, max_chars=self.max_chars)
        return Prepared(short, trunc)


class MultiLabelTask(Task):
    """Tag each text with every category that applies (possibly none).

    Examples
    --------
    >>> task = MultiLabelTask(["billing", "shipping", "bug"])
    >>> task.parse_text('{"labels": ["Shipping", "bug"]}', task.prepare("late and broken")).labels
    ['shipping', 'bug']
    """

    kind = "multi_label"
    default_user = (
        "{instructions}\n\nCategories:\n{categories}\n\n"
        'Text:\n"""\n{text}\n"""\n\n'
        'Reply with a JSON object {"labels": [...]} listing every category that applies '
        "(an empty list when none does)."
    )
    placeholders = frozenset({"text", "instructions", "categories"})

    def __init__(
        self,
        labels: Sequence[str],
        *,
        instructions: str | None = None,
        descriptions: Mapping[str, str] | None = None,
        system_prompt: str | None = None,
        user_template: str | None = None,
        response_mode: str = "json_schema",
        max_tokens: int | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.labels = _names(labels, "labels")
        self.label_space = LabelSpace(self.labels)
        self._matcher = _Matcher(self.labels)
        self.instructions = instructions or "Tag the text with the categories that apply."
        self.descriptions = dict(descriptions or {})
        super().__init__(
            system_prompt=system_prompt,
            user_template=user_template,
            response_mode=response_mode,
            max_tokens=max_tokens or 40 + 12 * len(self.labels),
            max_chars=max_chars,
        )

    def fields(self) -> dict[str, str]:
        return {
            "instructions": self.instructions,
            "categories": _bullets(self.labels, self.descriptions),
        }

    def schema(self) -> dict[str, Any]:
        return _obj({"labels": {"type": "array", "items": {"type": "string", "enum": self.labels}}})

    def repair_hint(self) -> str:
        return f"Every label must be one of {self.labels}."

    def parse(self, data: Any, prepared: Prepared, *, strict: bool = True) -> MultiLabelOutput:
        out = _validate(MultiLabelOutput, data)
        names: list[str] = []
        unknown = []
        for v in out.labels:
            n = self._matcher.match(v)
            if n is None:
                unknown.append(v)
            elif n not in names:
                names.append(n)
        if unknown:
            raise OutputError(
                f"{unknown} {'is' if len(unknown) == 1 else 'are'} not among the categories "
                f"{self.labels}",
                kind="unknown_label",
            )
        return MultiLabelOutput(labels=names)

    def indicators(self, output: Any) -> list[int]:
        """One 0/1 per class."""
        chosen = set(output.labels)
        return [1 if n in chosen else 0 for n in self.labels]

    def confidence_keys(self, output: Any) -> list[str]:
        return ["labels"]

    def agreement_key(self, output: Any) -> Hashable:
        return frozenset(output.labels)

    def to_record(self, output: Any) -> dict[str, Any]:
        return {"labels": list(output.labels)}


class TaxonomyTask(Task):
    """Place each text in a two-level taxonomy (category, then sub-category).

    Parameters
    ----------
    taxonomy : Taxonomy, mapping or path
        See :func:`~labelwise.llm.taxonomy.load_taxonomy`.
    level : {"leaf", "category"}, default "leaf"
        What the votes are: leaves (``"Order Status / Refund Status"``) or categories.

    Examples
    --------
    >>> task = TaxonomyTask({"Order": ["Refund", "Shipping"], "Account": ["Login", "Close"]})
    >>> out = task.parse_text('{"category": "Order", "subcategory": "Refund"}', task.prepare("money back?"))
    >>> task.leaf(out), task.vote(out)
    ('Order / Refund', 0)
    """

    kind = "taxonomy"
    default_user = (
        "{instructions}\n\nTaxonomy (category, then its sub-categories):\n{taxonomy}\n\n"
        'Text:\n"""\n{text}\n"""\n\n'
        'Reply with a JSON object {"category": ..., "subcategory": ...}; the sub-category must '
        "belong to the category (null when the category has none)."
    )
    placeholders = frozenset({"text", "instructions", "taxonomy"})

    def __init__(
        self,
        taxonomy: Taxonomy | Mapping[str, Any] | str | Any,
        *,
        level: str = "leaf",
        instructions: str | None = None,
        system_prompt: str | None = None,
        user_template: str | None = None,
        response_mode: str = "json_schema",
        max_tokens: int | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.taxonomy = load_taxonomy(taxonomy)
        if level not in ("leaf", "category"):
            raise LLMConfigError(f"level must be 'leaf' or 'category', got {level!r}")
        self.level = level
        self.label_space = (
            self.taxonomy.leaf_space if level == "leaf" else self.taxonomy.category_space
        )
        self._cats = _Matcher(self.taxonomy.categories)
        self.instructions = instructions or "Classify the text into the taxonomy."
        super().__init__(
            system_prompt=system_prompt,
            user_template=user_template,
            response_mode=response_mode,
            max_tokens=max_tokens,
            max_chars=max_chars,
        )

    def fields(self) -> dict[str, str]:
        return {"instructions": self.instructions, "taxonomy": self.taxonomy.to_prompt()}

    def schema(self) -> dict[str, Any]:
        subs = sorted({s for c in self.taxonomy.categories for s in self.taxonomy.subcategories(c)})
        return _obj(
            {
                "category": {"type": "string", "enum": self.taxonomy.categories},
                "subcategory": {"anyOf": [{"type": "string", "enum": subs}, {"type": "null"}]}
                if subs
                else {"type": "null"},
            }
        )

    def parse(self, data: Any, prepared: Prepared, *, strict: bool = True) -> TaxonomyOutput:
        out = _validate(TaxonomyOutput, data)
        cat = self._cats.match(out.category)
        if cat is None:
            raise OutputError(
                f"category {out.category!r} is not in the taxonomy; categories: "
                f"{self.taxonomy.categories}",
                kind="unknown_label",
            )
        subs = self.taxonomy.subcategories(cat)
        if not subs:
            return TaxonomyOutput(category=cat, subcategory=None)
        sub = _Matcher(subs).match(out.subcategory)
        if sub is None:
            raise OutputError(
                f"{out.subcategory!r} is not a sub-category of {cat!r}; choose one of {subs}",
                kind="unknown_label",
            )
        return TaxonomyOutput(category=cat, subcategory=sub)

    def leaf(self, output: Any) -> str:
        return self.taxonomy.leaf(output.category, output.subcategory)

    def vote(self, output: Any) -> int:
        assert self.label_space is not None
        name = self.leaf(output) if self.level == "leaf" else output.category
        return self.label_space.index(name)

    def confidence_keys(self, output: Any) -> list[str]:
        return ["category", "subcategory"] if self.level == "leaf" else ["category"]

    def agreement_key(self, output: Any) -> Hashable:
        return (output.category, output.subcategory) if self.level == "leaf" else output.category

    def to_record(self, output: Any) -> dict[str, Any]:
        return {
            "category": output.category,
            "subcategory": output.subcategory,
            "leaf": self.leaf(output),
        }


# ---------------------------------------------------------------------- entities
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
def _short_text(value: str, what: str, max_words: int, *, slack: float, strict: bool) -> str:
    """``value`` stripped; an :class:`OutputError` when empty or (``strict``) longer than
    ``slack * max_words`` words."""
    text = value.strip()
    if not text:
        raise OutputError(f"the {what} is empty", kind="schema")
    n_words = len(text.split())
    if strict and n_words > slack * max_words:
        raise OutputError(
            f"the {what} has {n_words} words; the limit is {max_words}", kind="schema"
        )
    return text


class SummarizeTask(Task):
    """Summarize each text in at most ``max_words`` words.

    Answers longer than 1.5 x ``max_words`` are sent back for repair.

    Examples
    --------
    >>> task = SummarizeTask(max_words=10)
    >>> task.parse_text('{"summary": "Late delivery, refund asked."}', task.prepare("...")).summary
    'Late delivery, refund asked.'
    """

    kind = "summarize"
    default_user = (
        "Summarize the text in at most {max_words} words. {instructions}\n\n"
        'Text:\n"""\n{text}\n"""\n\n'
        'Reply with a JSON object {"summary": ...}.'
    )
    placeholders = frozenset({"text", "max_words", "instructions"})

    def __init__(
        self,
        *,
        max_words: int = 40,
        instructions: str = "",
        system_prompt: str | None = None,
        user_template: str | None = None,
        response_mode: str = "json_schema",
        max_tokens: int | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        if max_words < 1:
            raise LLMConfigError(f"max_words must be >= 1, got {max_words}")
        self.max_words = int(max_words)
        self.instructions = instructions
        super().__init__(
            system_prompt=system_prompt,
            user_template=user_template,
            response_mode=response_mode,
            max_tokens=max_tokens or int(self.max_words * 2.5) + 30,
            max_chars=max_chars,
        )

    def fields(self) -> dict[str, str]:
        return {"max_words": str(self.max_words), "instructions": self.instructions}

    def schema(self) -> dict[str, Any]:
        return _obj({"summary": {"type": "string"}})

    def parse(self, data: Any, prepared: Prepared, *, strict: bool = True) -> SummaryOutput:
        out = _validate(SummaryOutput, data)
        summary = _short_text(out.summary, "summary", self.max_words, slack=1.5, strict=strict)
        return SummaryOutput(summary=summary)

    def agreement_key(self, output: Any) -> Hashable:
        return None


class HeadlineTask(Task):
    """Write a short headline and (when ``topics`` are given) pick the topic.

    With ``topics`` the votes are topic indices, so a headline labeler is also a topic
    classifier that shows its reading of the text.

    Examples
    --------
    >>> task = HeadlineTask(topics=["sports", "politics"])
    >>> out = task.parse_text('{"headline": "Cup final tonight", "topic": "sports"}', task.prepare("..."))
    >>> task.vote(out)
    0
    """

    kind = "headline"
    default_user = (
        "Write a headline of at most {max_words} words for the text{topic_clause}.\n{topics}\n\n"
        'Text:\n"""\n{text}\n"""\n\n'
        "Reply with a JSON object {reply_fields}."
    )
    placeholders = frozenset({"text", "max_words", "topics", "topic_clause", "reply_fields"})

    def __init__(
        self,
        *,
        topics: Sequence[str] | None = None,
        max_words: int = 12,
        system_prompt: str | None = None,
        user_template: str | None = None,
        response_mode: str = "json_schema",
        max_tokens: int | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.topics = _names(topics, "topics") if topics is not None else None
        self.label_space = LabelSpace(self.topics) if self.topics else None
        self._matcher = _Matcher(self.topics or [])
        self.max_words = int(max_words)
        super().__init__(
            system_prompt=system_prompt,
            user_template=user_template,
            response_mode=response_mode,
            max_tokens=max_tokens or self.max_words * 3 + 40,
            max_chars=max_chars,
        )

    def fields(self) -> dict[str, str]:
        return {
            "max_words": str(self.max_words),
            "topic_clause": " and choose its topic" if self.topics else "",
            "topics": ("Topics:\n" + _bullets(self.topics)) if self.topics else "",
            "reply_fields": '{"headline": ..., "topic": ...}'
            if self.topics
            else '{"headline": ...}',
        }

    def schema(self) -> dict[str, Any]:
        if not self.topics:
            return _obj({"headline": {"type": "string"}})
        return _obj(
            {"headline": {"type": "string"}, "topic": {"type": "string", "enum": self.topics}}
        )

    def parse(self, data: Any, prepared: Prepared, *, strict: bool = True) -> HeadlineOutput:
        out = _validate(HeadlineOutput, data)
        headline = _short_text(out.headline, "headline", self.max_words, slack=2, strict=strict)
        if not self.topics:
            return HeadlineOutput(headline=headline, topic=None)
        topic = self._matcher.match(out.topic)
        if topic is None:
            raise OutputError(
                f"topic {out.topic!r} is not one of {self.topics}", kind="unknown_label"
            )
        return HeadlineOutput(headline=headline, topic=topic)

    def vote(self, output: Any) -> int:
        if self.label_space is None or output.topic is None:
            return ABSTAIN
        return self.label_space.index(output.topic)

    def confidence_keys(self, output: Any) -> list[str]:
        return ["topic"] if self.topics else []

    def agreement_key(self, output: Any) -> Hashable:
        return output.topic if self.topics else None


# ---------------------------------------------------------------------- aspect sentiment
class AspectSentimentTask(Task):
    """Aspect-based sentiment: aspects scored 0-5, an overall score, top positive/negative.

    Scores: 0 = very negative, 5 = very positive. The votes are polarities from the overall
    score: ``<= negative_max`` is negative, ``>= positive_min`` is positive, anything
    between abstains (or is ``neutral`` with ``neutral=True``).

    Parameters
    ----------
    aspects : sequence of str, optional
        Aspects to score (only those the text mentions are returned). ``None`` lets the
        model name the aspects.
    negative_max, positive_min : float, default 2.0, 4.0
        Polarity cut-offs on the overall score (matching 1-5 review stars: <=2 negative,
        >=4 positive).
    neutral : bool, default False
        Add a ``neutral`` class for scores between the cut-offs.

    Examples
    --------
    >>> task = AspectSentimentTask(aspects=["taste", "price"])
    >>> raw = ('{"aspects": [{"aspect": "taste", "score": 5}, {"aspect": "price", "score": 1}],'
    ...        ' "overall": 4, "top_positive": "taste", "top_negative": "price"}')
    >>> out = task.parse_text(raw, task.prepare("Tasty but pricey"))
    >>> task.vote(out), task.to_record(out)["aspect_price"]
    (1, 1.0)
    """

    kind = "aspect_sentiment"
    default_user = (
        "Rate the sentiment of the text per aspect on a 0-5 scale (0 very negative, 5 very "
        "positive){aspect_clause}, give an overall score, and name the most positive and the "
        "most negative aspect (null when there is none).\n{aspects}\n\n"
        'Text:\n"""\n{text}\n"""\n\n'
        'Reply with a JSON object {"aspects": [{"aspect": ..., "score": ...}], "overall": ..., '
        '"top_positive": ..., "top_negative": ...}.'
    )
    placeholders = frozenset({"text", "aspects", "aspect_clause"})

    def __init__(
        self,
        *,
        aspects: Sequence[str] | None = None,
        negative_max: float = 2.0,
        positive_min: float = 4.0,
        neutral: bool = False,
        system_prompt: str | None = None,
        user_template: str | None = None,
        response_mode: str = "json_schema",
        max_tokens: int | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.aspects = _names(aspects, "aspects", minimum=1) if aspects is not None else None
        self._matcher = _Matcher(self.aspects or [])
        if not 0 <= negative_max < positive_min <= 5:
            raise LLMConfigError(
                f"need 0 <= negative_max < positive_min <= 5, got {negative_max}, {positive_min}"
            )
        self.negative_max = float(negative_max)
        self.positive_min = float(positive_min)
        self.neutral = neutral
        self.label_space = LabelSpace(
            ["negative", "neutral", "positive"] if neutral else ["negative", "positive"]
        )
        super().__init__(
            system_prompt=system_prompt,
            user_template=user_template,
            response_mode=response_mode,
            max_tokens=max_tokens or 80 + 25 * len(self.aspects or [1, 2, 3, 4, 5, 6]),
            max_chars=max_chars,
        )

    def fields(self) -> dict[str, str]:
        if self.aspects:
            return {
                "aspect_clause": " for each of these aspects that the text mentions",
                "aspects": "Aspects:\n" + _bullets(self.aspects),
            }
        return {"aspect_clause": " for each aspect the text discusses", "aspects": ""}

    def schema(self) -> dict[str, Any]:
        name = {"type": "string", "enum": self.aspects} if self.aspects else {"type": "string"}
        # Ranges are checked by the validator (and stated in the prompt): strict schema modes
        # of some providers reject "minimum"/"maximum".
        item = _obj({"aspect": name, "score": {"type": "number"}})
        nullable = {"anyOf": [name, {"type": "null"}]}
        return _obj(
            {
                "aspects": {"type": "array", "items": item},
                "overall": {"type": "number"},
                "top_positive": nullable,
                "top_negative": nullable,
            }
        )

    def parse(self, data: Any, prepared: Prepared, *, strict: bool = True) -> AspectSentimentOutput:
        out = _validate(AspectSentimentOutput, data)
        scores: list[AspectScore] = []
        for a in out.aspects:
            name = self._matcher.match(a.aspect) if self.aspects else a.aspect.strip()
            if not name:
                if strict:
                    raise OutputError(
                        f"aspect {a.aspect!r} is not one of {self.aspects}", kind="unknown_label"
                    )
                continue
            if all(s.aspect != name for s in scores):
                scores.append(AspectScore(aspect=name, score=a.score))
        names = [s.aspect for s in scores]
        tops: dict[str, str | None] = {}
        for key in ("top_positive", "top_negative"):
            v = getattr(out, key)
            if v is None or not str(v).strip() or _norm(v) in _UNSURE_WORDS:
                tops[key] = None
                continue
            match = _Matcher(names).match(v)
            if match is None:
                if strict:
                    raise OutputError(
                        f"{key} {v!r} is not one of the scored aspects {names}", kind="schema"
                    )
                match = None
            tops[key] = match
        return AspectSentimentOutput(
            aspects=scores,
            overall=out.overall,
            top_positive=tops["top_positive"],
            top_negative=tops["top_negative"],
        )

    def vote(self, output: Any) -> int:
        o = float(output.overall)
        if o <= self.negative_max:
            return 0
        if o >= self.positive_min:
            return 2 if self.neutral else 1
        return 1 if self.neutral else ABSTAIN

    def confidence_keys(self, output: Any) -> list[str]:
        return ["overall"]

    def agreement_key(self, output: Any) -> Hashable:
        return self.vote(output)

    def to_record(self, output: Any) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "overall": float(output.overall),
            "top_positive": output.top_positive,
            "top_negative": output.top_negative,
        }
        if self.aspects:
            got = {a.aspect: float(a.score) for a in output.aspects}
            for a in self.aspects:
                rec[f"aspect_{a}"] = got.get(a)
        else:
            rec["aspects"] = {a.aspect: float(a.score) for a in output.aspects}
        return rec
