"""Two-level (category / sub-category) classification against a taxonomy."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from labelwise.llm.errors import LLMConfigError, OutputError
from labelwise.llm.tasks._base import (
    Prepared,
    Task,
    TaxonomyOutput,
    _Matcher,
    _obj,
    _validate,
)
from labelwise.llm.taxonomy import Taxonomy, load_taxonomy
from labelwise.llm.text import (
    DEFAULT_MAX_CHARS,
)


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
