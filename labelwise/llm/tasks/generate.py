"""Short generated texts: summaries and headlines (with an optional topic vote)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from labelwise.labeling import ABSTAIN, LabelSpace
from labelwise.llm.errors import LLMConfigError, OutputError
from labelwise.llm.tasks._base import (
    HeadlineOutput,
    Prepared,
    SummaryOutput,
    Task,
    _bullets,
    _Matcher,
    _names,
    _obj,
    _validate,
)
from labelwise.llm.text import (
    DEFAULT_MAX_CHARS,
)


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
