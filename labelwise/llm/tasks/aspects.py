"""Aspect-based sentiment: aspects scored 0-5, an overall score, top positives/negatives."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from labelwise.labeling import ABSTAIN, LabelSpace
from labelwise.llm.errors import LLMConfigError, OutputError
from labelwise.llm.tasks._base import (
    _UNSURE_WORDS,
    AspectScore,
    AspectSentimentOutput,
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
)


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
