"""The truncation policy, row serialization and JSON extraction."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelwise.llm import LLMConfigError, OutputError
from labelwise.llm.text import parse_json_output, serialize_row, truncate_text


@settings(max_examples=150, deadline=None)
@given(text=st.text(min_size=0, max_size=3000), max_chars=st.integers(min_value=40, max_value=2000))
def test_truncation_policy_properties(text: str, max_chars: int) -> None:
    short, t = truncate_text(text, max_chars=max_chars)
    if len(text) <= max_chars:
        assert short == text and t is None
        return
    assert t is not None
    assert len(short) <= max_chars
    assert short.startswith(text[: t.head_end]) and short.endswith(text[t.tail_start :])
    assert t.omitted == t.tail_start - t.head_end > 0
    assert f"[... {t.omitted} characters omitted ...]" in short
    # Every offset outside the marker maps back to the same character of the original.
    for pos in (0, t.head_end - 1, len(short) - 1):
        orig = t.to_original(pos)
        if orig is not None and 0 <= pos < len(short) and orig < len(text):
            assert short[pos] == text[orig]
    assert t.to_original(t.head_end + 1) is None


def test_truncation_keeps_head_and_tail_at_word_boundaries() -> None:
    text = " ".join(f"w{i}" for i in range(2000))
    short, t = truncate_text(text, max_chars=500)
    assert t is not None and short.startswith("w0 w1 w2") and short.endswith("w1998 w1999")
    head = short[: t.head_end]
    assert not head.endswith(("w", "1")) or head.endswith(" ") or text[t.head_end] == " "
    assert 0.6 < t.head_end / (t.head_end + len(text) - t.tail_start) < 0.8
    with pytest.raises(LLMConfigError, match="at least 40"):
        truncate_text("abc", max_chars=10)


def test_serialize_row() -> None:
    row = {
        "age": 39,
        "ratio": 0.1234567891,
        "city": "  Paris ",
        "missing": None,
        "nan": float("nan"),
    }
    assert (
        serialize_row(row)
        == "age: 39; ratio: 0.123457; city: Paris; missing: missing; nan: missing"
    )
    assert serialize_row(row, columns=["city", "age"]) == "city: Paris; age: 39"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"label": "spam"}', {"label": "spam"}),
        ('```json\n{"label": "spam"}\n```', {"label": "spam"}),
        ('```\n{"a": 1}\n```', {"a": 1}),
        ('Here you go: {"label": "ham"}. Anything else?', {"label": "ham"}),
        ("[1, 2]", [1, 2]),
    ],
)
def test_parse_json_output_tolerates_wrapping(raw: str, expected: object) -> None:
    assert parse_json_output(raw) == expected


@pytest.mark.parametrize("raw", ["", "spam", "{label: spam}", '{"label": "spam"'])
def test_parse_json_output_errors_quote_the_answer(raw: str) -> None:
    with pytest.raises(OutputError, match="not valid JSON") as info:
        parse_json_output(raw)
    assert info.value.kind == "invalid_json"
