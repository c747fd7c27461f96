"""No silent rule failures: loud end-of-apply reports and up-front type checks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from labelwise.errors import RuleError
from labelwise.labeling import LFApplier, RuleFaultWarning, in_range, labeling_function, threshold


@pytest.fixture
def texts() -> pd.DataFrame:
    words = ["free prize now", "see you at lunch", "call me", None, "win cash"] * 200
    return pd.DataFrame({"text": words, "n": np.arange(len(words))})


@labeling_function()
def typo(x):
    return 1 if "prize" in x.txt else -1  # the column is "text"


@labeling_function()
def lower_text(x):
    return 1 if "free" in x.text.lower() else -1  # None text raises on 20% of rows


@labeling_function()
def rare_fault(x):
    if x.n == 7:
        raise ValueError("odd row")
    return -1


def test_a_rule_failing_everywhere_is_reported_with_its_first_exception(texts):
    applier = LFApplier([typo, rare_fault], cardinality=2)
    with pytest.warns(RuleFaultWarning) as caught:
        L = applier.apply(texts)
    message = str(caught[0].message)
    assert "rule 'typo' raised on 1,000 of 1,000 rows (100.0%)" in message
    assert "item 0: AttributeError" in message and "'txt'" in message
    assert "rare_fault" not in message  # 1 row of 1,000 is below the loud share
    assert applier.faults_ == {"typo": 1000, "rare_fault": 1}
    assert len(applier.fault_report_) == 1
    first = applier.fault_log_.for_source("typo")[0]
    assert first.item == 0 and first.error == "AttributeError"
    assert len(applier.fault_log_.for_source("typo")) == 5  # first few kept, all counted
    assert L.provenance["typo"]["faults"] == 1000
    assert L.provenance["rare_fault"]["faults"] == 1
    assert (L.values[:, 0] == -1).all()


def test_a_rule_failing_on_a_fifth_of_rows_is_loud(texts):
    with pytest.warns(RuleFaultWarning, match=r"lower_text' raised on 200 of 1,000 rows \(20.0%\)"):
        LFApplier([lower_text], cardinality=2).apply(texts)


def test_clean_rules_apply_without_warnings(texts):
    @labeling_function()
    def safe(x):
        return 1 if isinstance(x.text, str) and "free" in x.text else -1

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L = LFApplier([safe], cardinality=2).apply(texts)
    assert (L.values[:, 0] == 1).sum() == 200


def test_numeric_helpers_reject_text_columns_up_front(texts):
    with pytest.raises(RuleError, match="compares column 'text' with a number"):
        LFApplier([threshold("text", ">", 2, 1)], cardinality=2).apply(texts)
    with pytest.raises(RuleError, match="use keyword"):
        LFApplier([in_range("text", 0, 5, 1)], cardinality=2).apply(texts)
    # Numbers stored as text (a CSV column with a few markers) still work.
    df = pd.DataFrame({"v": ["1", "5", "?", "7"]})
    L = LFApplier([threshold("v", ">", 2, 1)], cardinality=2).apply(df)
    assert L.values[:, 0].tolist() == [-1, 1, -1, 1]
