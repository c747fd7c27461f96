from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelwise.errors import DataError, RuleError
from labelwise.labeling import (
    ABSTAIN,
    DaskLFApplier,
    LabelingFunction,
    LFApplier,
    PandasLFApplier,
    VectorizedLabelingFunction,
    in_range,
    is_in,
    keyword,
    labeling_function,
    regex,
    threshold,
    vectorized_labeling_function,
)

SPAM, HAM = 1, 0


@pytest.fixture
def df():
    rng = np.random.default_rng(0)
    n = 400
    words = np.array(["free prize", "call me", "WIN now", "see you", "freedom", "meeting at 5"])
    text = words[rng.integers(0, len(words), n)].astype(object)
    text[::37] = None  # missing text
    amount = rng.normal(50, 30, n)
    amount[::41] = np.nan
    return pd.DataFrame(
        {
            "text": pd.Series(text, dtype="str"),
            "amount": amount,
            "country": rng.choice(["US", "DE", "FR", None], n),
            "mixed": pd.Series([1, "free stuff", None, 2.5] * (n // 4), dtype=object),
        }
    )


def helper_rules():
    return [
        threshold("amount", ">", 80, SPAM),
        threshold("amount", "!=", 50, HAM, name="amount_not_50"),
        in_range("amount", 0, 20, HAM),
        is_in("country", ["DE", "FR"], HAM),
        keyword("text", ["free", "win"], SPAM),
        keyword("text", "free", SPAM, word_boundary=False, name="free_substring"),
        keyword("mixed", "free", SPAM, name="free_in_mixed"),
        regex("text", r"\bcall\b", SPAM),
        regex("text", r"[0-9]+", HAM, name="has_digit"),
    ]


@labeling_function()
def lf_see_you(x):
    return HAM if isinstance(x.text, str) and "see you" in x.text else ABSTAIN


@labeling_function(name="lf_big_amount", resources={"limit": 90})
def _big(x, limit):
    return SPAM if x["amount"] > limit else ABSTAIN


def test_decorator_follows_snorkel_convention():
    assert lf_see_you.name == "lf_see_you"
    assert _big.name == "lf_big_amount"
    assert _big({"amount": 95}) == SPAM


def test_preprocessor_changes_only_what_its_rule_sees(df):
    def add_lower(x):
        x.lower = x.text.lower() if isinstance(x.text, str) else ""
        return x

    @labeling_function(pre=[add_lower])
    def lf_win(x):
        return SPAM if "win" in x.lower else ABSTAIN

    @labeling_function()
    def lf_no_lower(x):
        return ABSTAIN if "lower" in x else HAM

    L = LFApplier([lf_win, lf_no_lower], cardinality=2).apply(df)
    expected = [SPAM if isinstance(t, str) and "win" in t.lower() else ABSTAIN for t in df.text]
    assert L["lf_win"].tolist() == expected
    assert (L["lf_no_lower"] == HAM).all()


def test_all_appliers_agree(df):
    rules = [*helper_rules(), lf_see_you, _big]
    vectorized = LFApplier(rules, cardinality=2).apply(df)
    rowwise = LFApplier(rules, cardinality=2).apply(df, rowwise=True)
    dask_L = DaskLFApplier(rules, cardinality=2, n_workers=2, npartitions=5).apply(df)
    assert vectorized.names == rowwise.names == dask_L.names
    np.testing.assert_array_equal(vectorized.values, rowwise.values)
    np.testing.assert_array_equal(vectorized.values, dask_L.values)
    # The rules really vote: every column has votes and abstains somewhere.
    assert ((vectorized.values != ABSTAIN).any(axis=0)).all()
    assert ((vectorized.values == ABSTAIN).any(axis=0)).all()
    # Spot checks against plain pandas.
    amount = df.amount
    np.testing.assert_array_equal(vectorized["amount>80"] == SPAM, (amount > 80).to_numpy())
    np.testing.assert_array_equal(
        vectorized["amount_not_50"] == HAM, (amount.notna() & (amount != 50)).to_numpy()
    )
    assert vectorized["free_in_mixed"].tolist() == [ABSTAIN, SPAM, ABSTAIN, ABSTAIN] * 100
    freedom = (df.text == "freedom").fillna(False).to_numpy()
    assert (vectorized["text_kw_free"][freedom] == ABSTAIN).all()
    assert (vectorized["free_substring"][freedom] == SPAM).all()


def test_snorkel_style_objects_and_plain_callables_are_accepted(df):
    class SnorkelLikeLF:  # what snorkel.labeling.LabelingFunction looks like, duck-typed
        def __init__(self, name, f):
            self.name = name
            self._f = f

        def __call__(self, x):
            return self._f(x)

    def plain_rule(x):
        return HAM if x.country == "US" else ABSTAIN

    L = PandasLFApplier(
        [SnorkelLikeLF("snorkel_lf", lambda x: SPAM), plain_rule], cardinality=2
    ).apply(df)
    assert L.names == ["snorkel_lf", "plain_rule"]
    assert (L["snorkel_lf"] == SPAM).all()
    assert ((L["plain_rule"] == HAM) == (df.country == "US").to_numpy()).all()


def test_faults_abstain_are_counted_and_strict_reraises(df):
    @labeling_function()
    def fragile(x):
        return SPAM if x.text.startswith("free") else ABSTAIN  # None has no startswith

    @vectorized_labeling_function(columns=["amount"])
    def vec_boom(frame):
        raise ZeroDivisionError("bad math")

    applier = LFApplier([fragile, vec_boom, threshold("amount", ">", 1, SPAM)], cardinality=2)
    L = applier.apply(df)
    n_missing = int(df.text.isna().sum())
    assert applier.faults_ == {"fragile": n_missing, "vec_boom": len(df), "amount>1": 0}
    assert L.provenance["fragile"]["faults"] == n_missing
    assert "AttributeError" in L.provenance["fragile"]["first_fault"]
    assert (L["fragile"][df.text.isna().to_numpy()] == ABSTAIN).all()
    assert (L["vec_boom"] == ABSTAIN).all()

    with pytest.raises(RuleError, match=r"'fragile' raised AttributeError on item 0"):
        LFApplier([fragile], cardinality=2).apply(df, strict=True)
    with pytest.raises(RuleError, match="vec_boom"):
        LFApplier([vec_boom], cardinality=2).apply(df, strict=True)


def test_dask_counts_faults_across_partitions(df):
    @labeling_function()
    def fragile(x):
        return SPAM if x.text.startswith("free") else ABSTAIN

    applier = DaskLFApplier([fragile], cardinality=2, n_workers=1, npartitions=4)
    L = applier.apply(df)
    assert applier.faults_["fragile"] == int(df.text.isna().sum())
    assert L.provenance["fragile"]["backend"] == "dask"


@pytest.mark.parametrize(
    "bad_vote, message",
    [
        ("spam", r"returned 'spam' \(str\) for item 0"),
        (1.0, r"returned 1.0 \(float\)"),
        (True, r"returned True \(bool\)"),
        (7, r"returned 7 \(int\).*0..1"),
    ],
)
def test_invalid_votes_are_clear_errors(df, bad_vote, message):
    lf = LabelingFunction("bad", lambda x: bad_vote)
    with pytest.raises(RuleError, match=message):
        LFApplier([lf], cardinality=2).apply(df)


def test_vectorized_invalid_output():
    frame = pd.DataFrame({"a": [1, 2, 3]})
    wrong_length = VectorizedLabelingFunction("short", lambda d: np.zeros(2, int))
    with pytest.raises(RuleError, match=r"returned shape \(2,\) for 3 rows"):
        LFApplier([wrong_length]).apply(frame)
    fractional = VectorizedLabelingFunction("frac", lambda d: d.a / 2)
    with pytest.raises(RuleError, match="'frac' returned 0.5"):
        LFApplier([fractional]).apply(frame)
    missing_col = threshold("nope", ">", 1, 1)
    with pytest.raises(RuleError, match=r"reads columns \['nope'\]"):
        LFApplier([missing_col]).apply(frame)


def test_rule_list_errors(df):
    with pytest.raises(RuleError, match=r"repeated: \['a'\]"):
        LFApplier([LabelingFunction("a", lambda x: 0), LabelingFunction("a", lambda x: 1)])
    with pytest.raises(RuleError, match="no labeling functions"):
        LFApplier([])
    with pytest.raises(RuleError, match="cannot name"):
        LFApplier([lambda x: 0])
    with pytest.raises(DataError, match="empty"):
        LFApplier([lf_see_you]).apply(df.iloc[:0])


def test_none_is_abstain_and_index_is_kept():
    frame = pd.DataFrame({"v": [1, 2]}, index=["a", "b"])
    lf = LabelingFunction("maybe", lambda x: None if x.v == 1 else 1)
    L = LFApplier([lf], cardinality=2).apply(frame)
    assert L.values.tolist() == [[-1], [1]]
    assert L.index == ["a", "b"]
