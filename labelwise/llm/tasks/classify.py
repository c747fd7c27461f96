"""Classification tasks: one class, a table row's class, or any subset of classes."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from labelwise.labeling import ABSTAIN, LabelSpace
from labelwise.llm.errors import LLMConfigError, OutputError
from labelwise.llm.tasks._base import (
    _UNSURE_WORDS,
    UNSURE,
    ClassOutput,
    ItemSkipped,
    MultiLabelOutput,
    Prepared,
    Task,
    _bullets,
    _Matcher,
    _names,
    _norm,
    _obj,
    _validate,
)
from labelwise.llm.text import (
    DEFAULT_MAX_CHARS,
    serialize_row,
    truncate_text,
)


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
