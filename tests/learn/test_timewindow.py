"""Time-window labels: one example per entity per cutoff, no leakage across the cutoff."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelwise.errors import DataError, LabelwiseError
from labelwise.labeling import ABSTAIN
from labelwise.learn import events_before_cutoff, make_cutoffs, time_window_labels


def _purchases(seed: int = 0, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    return pd.DataFrame(
        {
            "customer": rng.choice(["ann", "bob", "cyd", "dee", "eve"], n),
            "when": [
                str((start + pd.Timedelta(days=float(d))).date()) for d in rng.uniform(0, 180, n)
            ],
            "amount": rng.gamma(2.0, 20.0, n).round(2),
        }
    )


def test_labels_match_a_direct_computation() -> None:
    ev = _purchases()
    cutoffs = make_cutoffs("2024-02-01", "2024-04-01", "30D")
    out = time_window_labels(
        ev,
        entity="customer",
        time="when",
        labeling_function=("amount", "sum"),
        window="30D",
        gap="7D",
        cutoffs=cutoffs,
        thresholds=[150.0],
    )
    when = pd.to_datetime(ev["when"])
    assert set(out["cutoff_time"]) == set(cutoffs)
    for _, row in out.sample(8, random_state=0).iterrows():
        mine = ev[
            (ev.customer == row.customer) & (when > row.window_start) & (when <= row.window_end)
        ]
        assert row.value == pytest.approx(mine.amount.sum())
        assert row.n_events == len(mine)
        assert row.label == int(mine.amount.sum() > 150.0)
        assert row.window_start == row.cutoff_time + pd.Timedelta("7D")


def test_no_leakage_feature_rows_before_and_label_rows_after() -> None:
    ev = _purchases(1)
    labels = time_window_labels(
        ev,
        entity="customer",
        time="when",
        labeling_function="count",
        window="14D",
        cutoffs=make_cutoffs("2024-02-01", "2024-05-01", "14D"),
    )
    assert (labels["window_start"] >= labels["cutoff_time"]).all()
    history = events_before_cutoff(ev, labels, entity="customer", time="when")
    assert (pd.to_datetime(history["when"]) <= history["cutoff_time"]).all()
    # every (entity, cutoff) has history: require_history=True
    seen = history.groupby(["customer", "cutoff_time"]).size()
    assert len(seen) == len(labels)


@settings(max_examples=30, deadline=None)
@given(
    times=st.lists(st.integers(0, 100), min_size=5, max_size=40),
    cut=st.integers(0, 60),
    gap=st.integers(0, 10),
    window=st.integers(1, 30),
)
def test_window_is_strictly_after_the_cutoff(
    times: list[int], cut: int, gap: int, window: int
) -> None:
    ev = pd.DataFrame({"e": ["x"] * len(times), "t": times, "v": np.ones(len(times))})
    out = time_window_labels(
        ev,
        entity="e",
        time="t",
        labeling_function=("v", "sum"),
        window=window,
        gap=gap,
        cutoffs=[cut],
        require_history=False,
        drop_incomplete=False,
    )
    t = np.asarray(times)
    expected = np.sum((t > cut + gap) & (t <= cut + gap + window))
    assert out["value"].iloc[0] == expected
    # an event exactly at the cutoff is history, never label
    assert out["window_start"].iloc[0] >= cut


def test_bins_custom_function_and_empty_windows() -> None:
    ev = pd.DataFrame(
        {"u": ["a", "a", "b", "b", "c"], "t": [1, 12, 2, 30, 3], "x": [5.0, 50.0, 1.0, 99.0, 7.0]}
    )
    out = time_window_labels(
        ev,
        entity="u",
        time="t",
        labeling_function=lambda w: float(w["x"].max()) if len(w) else 0.0,
        window=10,
        cutoffs=[5],
        bins=[0, 10, 60, 1000],
        drop_incomplete=False,
    )
    by = out.set_index("u")
    assert by.loc["a", "value"] == 50.0 and by.loc["a", "label"] == 1
    assert by.loc["b", "value"] == 0.0 and by.loc["b", "n_events"] == 0  # 30 is outside (5, 15]
    assert by.loc["c", "label"] == 0
    out2 = time_window_labels(
        ev,
        entity="u",
        time="t",
        labeling_function=("x", "sum"),
        window=10,
        cutoffs=[5],
        bins=[10, 20, 30],
        drop_incomplete=False,
    )
    assert out2.set_index("u").loc["a", "label"] == ABSTAIN  # 50 falls outside the bins


def test_incomplete_windows_are_dropped_with_a_warning() -> None:
    ev = pd.DataFrame({"u": ["a"] * 3, "t": [1, 5, 10], "x": [1.0, 2.0, 3.0]})
    with pytest.warns(UserWarning, match="1 cutoffs skipped"):
        out = time_window_labels(
            ev, entity="u", time="t", labeling_function="count", window=4, cutoffs=[2, 8]
        )
    assert out["cutoff_time"].tolist() == [2.0]
    with (
        pytest.raises(LabelwiseError, match="no cutoff has a complete label window"),
        pytest.warns(UserWarning),
    ):
        time_window_labels(
            ev, entity="u", time="t", labeling_function="count", window=40, cutoffs=[2]
        )


def test_bad_input_errors() -> None:
    ev = _purchases()
    kw = {
        "entity": "customer",
        "labeling_function": "count",
        "window": "30D",
        "cutoffs": ["2024-02-01"],
    }
    with pytest.raises(DataError, match="time column 'date' does not exist"):
        time_window_labels(ev, time="date", **kw)  # type: ignore[arg-type]
    bad = ev.copy()
    bad.loc[3, "when"] = "next tuesday"
    with pytest.raises(DataError, match=r"time column 'when' does not parse.*'next tuesday'"):
        time_window_labels(bad, time="when", **kw)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="entity column 'client'"):
        time_window_labels(
            ev,
            entity="client",
            time="when",
            labeling_function="count",
            window="30D",
            cutoffs=["2024-02-01"],
        )
    with pytest.raises(LabelwiseError, match="window='soon' is not a time span"):
        time_window_labels(
            ev,
            entity="customer",
            time="when",
            labeling_function="count",
            window="soon",
            cutoffs=["2024-02-01"],
        )
    with pytest.raises(LabelwiseError, match="thresholds or bins, not both"):
        time_window_labels(ev, time="when", thresholds=[1], bins=[0, 1, 2], **kw)  # type: ignore[arg-type]
    with pytest.raises(LabelwiseError, match="give window as a number"):
        time_window_labels(
            pd.DataFrame({"u": ["a"], "t": [1], "x": [1]}),
            entity="u",
            time="t",
            labeling_function="count",
            window="3D",
            cutoffs=[0],
        )
    with pytest.raises(LabelwiseError, match="'sum'"):
        time_window_labels(ev, time="when", **{**kw, "labeling_function": "sum"})  # type: ignore[arg-type]
    with pytest.raises(LabelwiseError, match="no cutoffs"):
        time_window_labels(ev, time="when", **{**kw, "cutoffs": []})  # type: ignore[arg-type]


def test_timezone_aware_times() -> None:
    ev = pd.DataFrame(
        {
            "u": ["a", "a", "a"],
            "t": pd.to_datetime(
                ["2024-01-01 10:00", "2024-01-03 10:00", "2024-01-20 10:00"]
            ).tz_localize("UTC"),
        }
    )
    out = time_window_labels(
        ev, entity="u", time="t", labeling_function="count", window="5D", cutoffs=["2024-01-02"]
    )
    assert out["value"].tolist() == [1.0]


def test_a_raising_labeling_function_faults_per_window() -> None:
    ev = pd.DataFrame({"u": ["a", "a", "b", "b"], "t": [1, 6, 2, 7], "x": [1.0, 2.0, -1.0, 3.0]})

    def picky(window: pd.DataFrame) -> float:
        if (window["x"] < 0).any():
            raise ValueError("negative amount")
        return float(window["x"].sum())

    ev.loc[3, "x"] = -5.0
    with pytest.warns(UserWarning, match=r"raised on 1 of 2 windows.*u='b'.*negative amount"):
        out = time_window_labels(
            ev, entity="u", time="t", labeling_function=picky, window=4, cutoffs=[3], thresholds=[1]
        )
    by = out.set_index("u")
    assert by.loc["a", "value"] == 2.0 and by.loc["a", "label"] == 1
    assert np.isnan(by.loc["b", "value"]) and by.loc["b", "label"] == ABSTAIN
    assert out.attrs["faults"] == 1
    (rec,) = out.attrs["fault_records"]
    assert rec["error"] == "ValueError" and rec["message"] == "negative amount"
    with pytest.raises(ValueError, match="negative amount"):
        time_window_labels(
            ev, entity="u", time="t", labeling_function=picky, window=4, cutoffs=[3], strict=True
        )
