"""Text rules as labeling functions: patterns, lengths, shouting, VADER; vectorized == row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelwise.errors import RuleError
from labelwise.labeling import ABSTAIN
from labelwise.labeling.apply import LFApplier
from labelwise.text import (
    PATTERNS,
    keyword,
    length,
    pattern,
    regex,
    uppercase_ratio,
    vader_scores,
    vader_sentiment,
)

DF = pd.DataFrame(
    {
        "sms": [
            "WINNER!! Call 09061701461 now to claim £900 at www.prizes.com",
            "Text WIN to 80086, email me at a.b@example.org",
            "I love you so much, have a wonderful day :)",
            "This is terrible, I hate it and feel awful",
            "ok",
            None,
            "",
            4242,
        ]
    }
)


def votes(lf, df=DF):
    return lf.apply_frame(df).tolist()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("url", [1, -1, -1, -1, -1, -1, -1, -1]),
        ("email", [-1, 1, -1, -1, -1, -1, -1, -1]),
        ("phone", [1, -1, -1, -1, -1, -1, -1, -1]),
        ("short_code", [-1, 1, -1, -1, -1, -1, -1, 1]),
        ("money", [1, -1, -1, -1, -1, -1, -1, -1]),
        ("exclamations", [1, -1, -1, -1, -1, -1, -1, -1]),
        ("all_caps_word", [1, 1, -1, -1, -1, -1, -1, -1]),
    ],
)
def test_named_patterns(kind, expected):
    assert votes(pattern("sms", kind, 1)) == expected


def test_custom_pattern_min_count_and_errors():
    assert votes(pattern("sms", r"\d", 1, min_count=5))[:2] == [1, 1]
    caps = pattern("sms", "all_caps_word", 1, min_count=2)
    assert votes(caps)[:2] == [-1, -1]
    assert votes(caps, pd.DataFrame({"sms": ["URGENT! You WON", "Ok LOL"]})) == [1, -1]
    assert votes(
        pattern("sms", "short_code", 1), pd.DataFrame({"sms": ["1,2345", "12345.", "£2000"]})
    ) == [-1, 1, -1]
    with pytest.raises(RuleError, match="neither a named pattern"):
        pattern("sms", "([unclosed", 1)
    with pytest.raises(RuleError, match="min_count"):
        pattern("sms", "url", 1, min_count=0)
    assert set(PATTERNS) >= {"url", "email", "phone", "money"}


def test_length_and_uppercase_rules():
    assert votes(length("sms", 0, max_words=1)) == [-1, -1, -1, -1, 0, -1, -1, 0]
    assert votes(length("sms", 1, min_chars=40))[:4] == [1, 1, 1, 1]
    with pytest.raises(RuleError, match="at least one"):
        length("sms", 1)
    with pytest.raises(RuleError, match="non-negative"):
        length("sms", 1, min_words=-1)
    shout = pd.DataFrame({"t": ["URGENT CALL NOW TO CLAIM", "Hello there friend", "OK"]})
    assert votes(uppercase_ratio("t", 1), shout) == [1, -1, -1]
    with pytest.raises(RuleError, match="min_ratio"):
        uppercase_ratio("t", 1, min_ratio=0)


def test_core_keyword_and_regex_are_reexported():
    assert votes(keyword("sms", ["win", "claim"], 1))[:3] == [1, 1, -1]
    assert votes(keyword("sms", "WIN", 1, case=True))[:2] == [-1, 1]
    assert votes(regex("sms", r"\bhate\b", 0))[3] == 0


def test_vader_scores_and_rule():
    s = vader_scores(DF["sms"])
    assert s[2] > 0.5 and s[3] < -0.5
    assert np.isnan(s[5]) and np.isnan(s[6]) and not np.isnan(s[7])
    lf = vader_sentiment("sms", positive=1, negative=0, threshold=0.5)
    v = votes(lf)
    assert v[2] == 1 and v[3] == 0 and v[5] == ABSTAIN and v[6] == ABSTAIN
    assert votes(vader_sentiment("sms", negative=0))[2] == ABSTAIN
    with pytest.raises(RuleError, match="positive= and/or negative="):
        vader_sentiment("sms")
    with pytest.raises(RuleError, match="threshold"):
        vader_sentiment("sms", positive=1, threshold=1.5)


def test_row_form_agrees_with_vectorized_form_in_the_applier():
    lfs = [
        pattern("sms", "url", 1),
        pattern("sms", "short_code", 1),
        length("sms", 0, max_words=3),
        uppercase_ratio("sms", 1, min_ratio=0.3),
        vader_sentiment("sms", positive=1, negative=0),
        keyword("sms", ["free", "win"], 1),
    ]
    applier = LFApplier(lfs, cardinality=2)
    fast = applier.apply(DF)
    slow = applier.apply(DF, rowwise=True)
    np.testing.assert_array_equal(fast.values, slow.values)
    assert fast.shape == (len(DF), len(lfs))
