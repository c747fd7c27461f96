"""The shared policy for odd cells: missing, blank, non-string, too long."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelwise.errors import DataError
from labelwise.text import prepare_texts


def test_policy_on_every_kind_of_cell():
    cells = ["ok", None, float("nan"), pd.NA, "", "  \n", 42, 3.5, b"caf\xc3\xa9", "x" * 10]
    p = prepare_texts(cells, max_chars=5)
    assert p.texts == ["ok", "", "", "", "", "  \n", "42", "3.5", "café", "xxxxx"]
    assert p.valid.tolist() == [True, False, False, False, False, False, True, True, True, True]
    assert p.missing.tolist() == [False, True, True, True] + [False] * 6
    assert (p.n_missing, p.n_empty, p.n_coerced, p.n_truncated) == (3, 2, 3, 1)
    assert p.coerced_types == {"int": 1, "float": 1, "bytes": 1}


def test_pandas_string_column_with_missing_values():
    s = pd.Series(["a", None, "b"], dtype="str")
    p = prepare_texts(s)
    assert p.texts == ["a", "", "b"] and p.n_missing == 1


def test_raise_and_missing_modes():
    with pytest.raises(DataError, match=r"\[1\] is int, \[3\] is list"):
        prepare_texts(["a", 1, "b", [1]], non_string="raise", name="column 'sms'")
    p = prepare_texts(["a", 1], non_string="missing")
    assert p.valid.tolist() == [True, False] and p.n_missing == 1


def test_bad_arguments():
    with pytest.raises(DataError, match="single string"):
        prepare_texts("abc")
    with pytest.raises(DataError, match="non_string"):
        prepare_texts(["a"], non_string="drop")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="max_chars"):
        prepare_texts(["a"], max_chars=0)
    with pytest.raises(DataError, match="list or column"):
        prepare_texts(12)
    assert prepare_texts(np.array(["a", "b"])).texts == ["a", "b"]
    assert prepare_texts(iter(["a"])).texts == ["a"]
