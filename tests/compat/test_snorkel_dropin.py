"""labelwise.compat.snorkel runs Snorkel code unchanged (but for its imports).

Snorkel is not installed in the test environment: the reference matrix comes from
pandas' ``DataFrame.apply(..., axis=1)``, which is how Snorkel's ``PandasLFApplier``
calls each rule on a ``pandas.Series`` row. ``bench/snorkel_dropin.py`` compares with
real Snorkel 0.10.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelwise.compat import snorkel as sn
from labelwise.labeling import LFApplier, Row, needs_full_row
from tests.compat import spam_tutorial


@pytest.fixture(scope="module")
def sms(shared_datasets: Path):
    df = pd.read_csv(shared_datasets / "text" / "sms_spam.tsv", sep="\t", quoting=3)
    df = df.rename(columns={"SMS": "text"})
    df["label"] = (df.pop("Label") == "spam").astype(int)
    df = df.sample(frac=1.0, random_state=0)  # shuffled: index labels are not positions
    cut = int(0.8 * len(df))
    return df.iloc[:cut], df.iloc[cut:]


def reference_matrix(lfs, df: pd.DataFrame) -> np.ndarray:
    """Every rule on every row as a pandas Series (Snorkel's calling convention)."""
    cols = [df.apply(lambda row, lf=lf: lf(row), axis=1).to_numpy() for lf in lfs]
    return np.stack(cols, axis=1).astype(np.int64)


def test_spam_tutorial_runs_unchanged_and_matches_the_series_path(sms):
    train, test = sms
    out = spam_tutorial.run(train, test, test["label"].to_numpy())
    L_train, L_test = out["L_train"], out["L_test"]
    assert L_train.dtype == np.int64 and L_train.shape == (len(train), len(spam_tutorial.lfs))
    np.testing.assert_array_equal(L_train, reference_matrix(spam_tutorial.lfs, train))
    np.testing.assert_array_equal(L_test, reference_matrix(spam_tutorial.lfs, test))
    # The rule that reads x.name voted: the row label, not a position, reached it.
    j = [lf.name for lf in spam_tutorial.lfs].index("row_label_even")
    voted = train.index[L_train[:, j] == 0]
    assert len(voted) > 0 and all(label % 7 == 0 for label in voted)
    # Snorkel's summary columns and a comparable model accuracy.
    summary = out["summary"]
    assert list(summary.columns) == ["j", "Polarity", "Coverage", "Overlaps", "Conflicts"]
    assert list(summary.index) == [lf.name for lf in spam_tutorial.lfs]
    assert out["majority_acc"] > 0.75
    assert out["label_model_acc"] >= out["majority_acc"] - 0.03
    covered = (L_train != -1).any(axis=1)
    assert out["n_filtered"] == int(covered.sum()) == len(out["probs_filtered"])


def test_rows_are_series_only_where_needed():
    def fields(x):
        return 1 if x.text.startswith("a") and x["n"] > 1 else -1

    def uses_name(x):
        return 1 if x.name == "b" else -1

    def uses_series_methods(x):
        return 1 if x.isna().any() or len(x.to_dict()) > 5 or x.values[0] == "z" else -1

    def count_field(x):
        return 1 if x.count > 1 else -1  # Series.count is a method, as in Snorkel

    assert not needs_full_row(fields)
    assert needs_full_row(uses_name) and needs_full_row(uses_series_methods)
    assert needs_full_row(count_field)
    df = pd.DataFrame({"text": ["abc", "xyz", None], "n": [2, 3, 4]}, index=["a", "b", "c"])
    lfs = [
        sn.LabelingFunction("fields", fields),
        sn.LabelingFunction("uses_name", uses_name),
        sn.LabelingFunction("uses_series_methods", uses_series_methods),
    ]
    L = sn.PandasLFApplier(lfs).apply(df.iloc[:2], progress_bar=False)
    np.testing.assert_array_equal(L, reference_matrix(lfs, df.iloc[:2]))
    assert L[:, 1].tolist() == [-1, 1]
    # fault_tolerant=False lets the first exception through, like Snorkel.
    with pytest.raises(Exception, match="startswith|NoneType"):
        sn.PandasLFApplier(lfs).apply(df, progress_bar=False)
    L, meta = sn.PandasLFApplier(lfs).apply(
        df, progress_bar=False, fault_tolerant=True, return_meta=True
    )
    assert meta.faults == {"fields": 1, "uses_name": 0, "uses_series_methods": 0}
    assert L[2].tolist() == [-1, -1, 1]
    # A light row still offers field access for rules that only need that.
    assert Row(text="a").text == "a"
    lw = LFApplier(lfs[:1]).apply(df.iloc[:2]).values
    np.testing.assert_array_equal(lw[:, 0], L[:2, 0])


def test_model_api_mirrors_snorkel():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    L = np.where(rng.random((3000, 5)) < 0.8, y[:, None], 1 - y[:, None])
    L[rng.random(L.shape) < 0.3] = -1
    model = sn.LabelModel(cardinality=2, verbose=False)
    model.fit(L_train=L, n_epochs=100, lr=0.01, seed=1, progress_bar=False)
    pred, proba = model.predict(L, return_probs=True, tie_break_policy="abstain")
    assert proba.shape == (3000, 2) and pred.shape == (3000,)
    scores = model.score(L, y, metrics=["accuracy", "coverage", "f1"], tie_break_policy="random")
    assert scores["accuracy"] > 0.85 and scores["coverage"] == 1.0 and 0 < scores["f1"] <= 1
    assert model.get_weights().shape == (5,)
    assert model.get_conditional_probs().shape == (5, 3, 2)
    mv = sn.MajorityLabelVoter(cardinality=2)
    assert mv.score(L=L, Y=y, tie_break_policy="abstain")["accuracy"] > 0.8
    balanced = sn.LabelModel(cardinality=2)
    balanced.fit(L, Y_dev=y[:200])
    assert balanced.predict(L).shape == (3000,)
    with pytest.raises(Exception, match="tie_break_policy"):
        model.predict(L, tie_break_policy="coin")
    X = pd.DataFrame({"a": range(3000)})
    Xf, yf = sn.filter_unlabeled_dataframe(X, proba, L)
    assert len(Xf) == len(yf) == int((L != -1).any(axis=1).sum())
    analysis = sn.LFAnalysis(L)
    assert 0 < analysis.label_coverage() <= 1 and analysis.label_conflict() > 0
    summary = analysis.lf_summary(Y=y, est_weights=model.get_weights())
    assert {"Correct", "Incorrect", "Emp. Acc.", "Learned Weight"} <= set(summary.columns)


def test_preprocessor_copies_and_memoizes():
    calls = []

    @sn.preprocessor(memoize=True)
    def add_len(x):
        calls.append(1)
        x.length = len(x.text)
        return x

    row = pd.Series({"text": "hello"})
    out = add_len(row)
    assert out.length == 5 and "length" not in row.index and not hasattr(row, "length")
    add_len(row)
    assert len(calls) == 1
