"""Time-window labels (prediction engineering) from event tables.

Given events (one row per event: an entity id, a time, and other columns), a labeling
function over a window of events (e.g. the total amount spent), and a set of cutoff times,
:func:`time_window_labels` produces one example per entity per cutoff:

``features may use events with time <= cutoff``; ``the label is computed from events with
cutoff + gap < time <= cutoff + gap + window``.

So the label window starts strictly after the cutoff (no leakage), optionally after a
``gap`` (the lead time a prediction needs to be useful). The value becomes a class through
``thresholds`` or ``bins``, or stays a regression target. :func:`events_before_cutoff`
returns the history each example may use for features.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from labelwise._deprecation import renamed_kwarg
from labelwise.errors import DataError, LabelwiseError
from labelwise.faults import FaultLog, call_safely
from labelwise.labeling.space import ABSTAIN
from labelwise.progress import progress as progress_bar

__all__ = ["events_before_cutoff", "make_cutoffs", "time_window_labels"]

WindowFunction = Callable[[pd.DataFrame], float] | tuple[str, str] | str


def _parse_time(data: pd.DataFrame, time: str) -> pd.Series:
    if time not in data.columns:
        raise DataError(
            f"time column {time!r} does not exist; columns are {list(data.columns)[:40]}"
        )
    col = data[time]
    if pd.api.types.is_datetime64_any_dtype(col) or pd.api.types.is_numeric_dtype(col):
        if col.isna().any():
            raise DataError(
                f"time column {time!r} has {int(col.isna().sum())} missing values; "
                "drop or fill those events first"
            )
        return col
    parsed = pd.to_datetime(col, errors="coerce", format="mixed")
    bad = col[parsed.isna() & col.notna()]
    if len(bad):
        raise DataError(
            f"time column {time!r} does not parse as dates/times: {len(bad)} values such as "
            f"{bad.astype(str).head(3).tolist()} (rows {bad.index[:3].tolist()}); fix them, "
            "or convert the column yourself with pandas.to_datetime(..., format=...)"
        )
    if col.isna().any():
        raise DataError(
            f"time column {time!r} has {int(col.isna().sum())} missing values; "
            "drop or fill those events first"
        )
    return parsed


def _delta(value: Any, numeric: bool, what: str) -> Any:
    if numeric:
        if isinstance(value, (int, float, np.integer, np.floating)):
            return float(value)
        raise LabelwiseError(
            f"{what}={value!r}: the time column is numeric, so give {what} as a number"
        )
    try:
        return pd.Timedelta(value)
    except (ValueError, TypeError) as exc:
        raise LabelwiseError(
            f"{what}={value!r} is not a time span; use e.g. '30D', '12h' or pandas.Timedelta"
        ) from exc


def make_cutoffs(start: Any, end: Any, step: Any) -> list[Any]:
    """Regular cutoff times from ``start`` to ``end`` (inclusive) every ``step``.

    Examples
    --------
    >>> [str(c.date()) for c in make_cutoffs("2024-01-01", "2024-03-01", "30D")]
    ['2024-01-01', '2024-01-31', '2024-03-01']
    >>> make_cutoffs(0, 10, 5)
    [0.0, 5.0, 10.0]
    """
    if isinstance(start, (int, float, np.integer, np.floating)):
        if float(step) <= 0:
            raise LabelwiseError(f"step={step} must be positive")
        return [float(v) for v in np.arange(float(start), float(end) + 1e-9, float(step))]
    span = pd.Timedelta(step)
    if span <= pd.Timedelta(0):
        raise LabelwiseError(f"step={step!r} must be a positive time span")
    return list(pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=span))


def _window_values(
    events: pd.DataFrame,
    entity: str,
    fn: WindowFunction,
    faults: FaultLog,
    strict: bool,
    cutoff: Any = None,
) -> pd.Series:
    """Value of the labeling function per entity over the events of one window.

    A user function that raises on one entity's window gives ``NaN`` for that window (the
    failure is recorded in ``faults``, item ``(entity key, cutoff)``), unless ``strict``.
    """
    if isinstance(fn, str):
        if fn != "count":
            raise LabelwiseError(
                f"labeling_function={fn!r}: a string must be 'count'; use ('column', 'sum') "
                "or a function of the window's events"
            )
        return events.groupby(entity, sort=False).size().astype(float)
    if isinstance(fn, tuple):
        col, agg = fn
        if col not in events.columns:
            raise DataError(f"labeling_function reads column {col!r}, which the events lack")
        return events.groupby(entity, sort=False)[col].agg(agg).astype(float)
    out = {}
    for key, group in events.groupby(entity, sort=False):
        if strict:
            out[key] = float(fn(group))
            continue
        ok, value = call_safely(
            fn, group, item=(key, cutoff), faults=faults, source=f"labeling_function[{entity}]"
        )
        out[key] = float(value) if ok else float("nan")
    return pd.Series(out, dtype=float)


def _empty_value(events: pd.DataFrame, fn: WindowFunction) -> float:
    """Value of the labeling function on a window without events (e.g. sum = 0)."""
    empty = events.iloc[0:0]
    if isinstance(fn, str):
        return 0.0
    if isinstance(fn, tuple):
        col, agg = fn
        try:
            return float(empty[col].agg(agg))
        except (TypeError, ValueError):
            return float("nan")
    try:
        return float(fn(empty))
    except Exception:  # the user's function may not handle empty windows
        return float("nan")


def time_window_labels(
    data: pd.DataFrame,
    *,
    entity: str,
    time: str,
    labeling_function: WindowFunction,
    window: Any,
    cutoffs: Sequence[Any],
    gap: Any = 0,
    thresholds: Sequence[float] | None = None,
    bins: Sequence[float] | None = None,
    require_history: bool = True,
    drop_incomplete: bool = True,
    strict: bool = False,
    progress: bool | None = None,
    show_progress: bool | None = None,
) -> pd.DataFrame:
    """One labeled example per entity per cutoff, from a window of later events.

    Parameters
    ----------
    data : DataFrame
        Events: one row per event.
    entity, time : str
        Columns with the entity id and the event time (datetimes, date strings, or numbers).
    labeling_function : callable, ("column", "agg") or "count"
        ``f(window_events) -> float`` (called once per entity and cutoff with that entity's
        events in the window), a pandas aggregation of one column such as
        ``("amount", "sum")``, or ``"count"``.
    window : time span (e.g. "30D") or number
        Length of the label window.
    cutoffs : sequence of times
        Prediction times (see :func:`make_cutoffs`).
    gap : time span or number, default 0
        Lead time between the cutoff and the start of the label window.
    thresholds : sequence of float, optional
        Class = number of thresholds the value exceeds (``[100]`` gives 0 for <= 100 and
        1 above; ``[10, 100]`` gives three classes).
    bins : sequence of float, optional
        Bin edges; class ``i`` for ``bins[i] <= value < bins[i+1]``, ``ABSTAIN`` outside.
    require_history : bool, default True
        Only entities with at least one event at or before the cutoff (something to
        build features from).
    drop_incomplete : bool, default True
        Skip cutoffs whose label window ends after the last event in the data (their
        labels would be undercounted); a warning names them.
    strict : bool, default False
        By default a ``labeling_function`` that raises on one window gives that example a
        missing value (and ``ABSTAIN`` label); the faults are counted in a warning and in
        ``out.attrs["faults"]`` (their records, one per window, in
        ``out.attrs["fault_records"]``). ``strict=True`` re-raises the first one.

    Returns
    -------
    DataFrame
        Columns ``entity``, ``cutoff_time``, ``window_start`` (exclusive), ``window_end``
        (inclusive), ``n_events``, ``value`` and, with thresholds/bins, ``label``.

    Raises
    ------
    DataError
        A missing column or a time column that does not parse.

    Examples
    --------
    >>> ev = pd.DataFrame({"user": ["a", "a", "b", "a", "b"],
    ...                    "day": [1, 5, 2, 12, 14], "spent": [5.0, 20, 3, 50, 1]})
    >>> out = time_window_labels(ev, entity="user", time="day",
    ...     labeling_function=("spent", "sum"), window=10, cutoffs=[4],
    ...     thresholds=[10])
    >>> out[["user", "value", "label"]].values.tolist()
    [['a', 70.0, 1], ['b', 1.0, 0]]
    """
    progress = renamed_kwarg(
        progress, show_progress, old="show_progress", new="progress", where="time_window_labels()"
    )
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame of events, got {type(data).__name__}")
    if entity not in data.columns:
        raise DataError(
            f"entity column {entity!r} does not exist; columns are {list(data.columns)[:40]}"
        )
    if thresholds is not None and bins is not None:
        raise LabelwiseError("give thresholds or bins, not both")
    t = _parse_time(data, time)
    numeric = pd.api.types.is_numeric_dtype(t)
    win = _delta(window, numeric, "window")
    lag = _delta(gap, numeric, "gap")
    zero = 0.0 if numeric else pd.Timedelta(0)
    if win <= zero:
        raise LabelwiseError(f"window={window!r} must be positive")
    if lag < zero:
        raise LabelwiseError(f"gap={gap!r} must not be negative")
    if len(cutoffs) == 0:
        raise LabelwiseError("no cutoffs given; pass cutoff times (see make_cutoffs)")
    cuts: list[Any]
    if numeric:
        cuts = [float(c) for c in cutoffs]
    else:
        try:
            cuts = [pd.Timestamp(c) for c in cutoffs]
        except (ValueError, TypeError) as exc:
            raise LabelwiseError(f"cutoffs must be times; {exc}") from exc
        tz = getattr(t.dt, "tz", None)
        cuts = [c.tz_localize(tz) if tz is not None and c.tzinfo is None else c for c in cuts]
    if thresholds is not None:
        th = np.asarray(sorted(float(v) for v in thresholds))
        if len(th) == 0:
            raise LabelwiseError("thresholds is empty; give at least one value")
    if bins is not None:
        edges = np.asarray([float(v) for v in bins])
        if len(edges) < 3 or np.any(np.diff(edges) <= 0):
            raise LabelwiseError("bins must be at least 3 increasing edges (2 classes)")

    events = data.assign(__t=t.to_numpy())
    last = events["__t"].max()
    empty_value = _empty_value(events, labeling_function)
    frames = []
    skipped = []
    faults = FaultLog()
    for cut in progress_bar(cuts, total=len(cuts), desc="time-window labels", enabled=progress):
        start, end = cut + lag, cut + lag + win
        if drop_incomplete and end > last:
            skipped.append(cut)
            continue
        seen = events[events["__t"] <= cut]
        entities = seen[entity].unique() if require_history else events[entity].unique()
        in_window = events[(events["__t"] > start) & (events["__t"] <= end)]
        values = _window_values(in_window, entity, labeling_function, faults, strict, cut)
        counts = in_window.groupby(entity, sort=False).size()
        frame = pd.DataFrame({entity: entities})
        frame["cutoff_time"] = cut
        frame["window_start"] = start
        frame["window_end"] = end
        frame["n_events"] = frame[entity].map(counts).fillna(0).astype(int).to_numpy()
        frame["value"] = frame[entity].map(values).astype(float).to_numpy()
        frame.loc[frame["n_events"] == 0, "value"] = empty_value
        frames.append(frame)
    if skipped:
        warnings.warn(
            f"{len(skipped)} cutoffs skipped because their label window ends after the last "
            f"event ({last}): {skipped[:5]}; use earlier cutoffs or drop_incomplete=False",
            UserWarning,
            stacklevel=2,
        )
    if not frames:
        raise LabelwiseError(
            "no cutoff has a complete label window inside the data; use earlier cutoffs, a "
            "shorter window, or drop_incomplete=False"
        )
    out = pd.concat(frames, ignore_index=True)
    out.attrs["faults"] = len(faults)
    out.attrs["fault_records"] = faults.to_records()
    if faults:
        first = faults[0]
        warnings.warn(
            f"labeling_function raised on {len(faults)} of {len(out)} windows; those examples "
            f"have no value (first: {entity}={first.item[0]!r}: {first.error}: "
            f"{first.message}). Use strict=True to stop at the first one",
            UserWarning,
            stacklevel=2,
        )
    if thresholds is not None:
        v = out["value"].to_numpy(dtype=float)
        lab = (v[:, None] > th[None, :]).sum(axis=1)
        out["label"] = np.where(np.isnan(v), ABSTAIN, lab).astype(np.int64)
    elif bins is not None:
        v = out["value"].to_numpy(dtype=float)
        idx = np.searchsorted(edges, v, side="right") - 1
        ok = (v >= edges[0]) & (v < edges[-1]) & ~np.isnan(v)
        out["label"] = np.where(ok, idx, ABSTAIN).astype(np.int64)
    return out


def events_before_cutoff(
    data: pd.DataFrame, labels: pd.DataFrame, *, entity: str, time: str
) -> pd.DataFrame:
    """The events each labeled example may use for features: ``time <= cutoff_time``.

    Parameters
    ----------
    data : DataFrame
        The events given to :func:`time_window_labels`.
    labels : DataFrame
        Its output (needs ``entity`` and ``cutoff_time`` columns).

    Returns
    -------
    DataFrame
        The events joined to their example, with a ``cutoff_time`` column; aggregate it by
        ``(entity, cutoff_time)`` to build features.

    Examples
    --------
    >>> ev = pd.DataFrame({"u": ["a", "a", "a"], "t": [1, 3, 9], "x": [1, 2, 3]})
    >>> lab = pd.DataFrame({"u": ["a"], "cutoff_time": [3.0]})
    >>> events_before_cutoff(ev, lab, entity="u", time="t")["x"].tolist()
    [1, 2]
    """
    t = _parse_time(data, time)
    for col in (entity, "cutoff_time"):
        if col not in labels.columns:
            raise DataError(
                f"labels lack the column {col!r}; pass the output of time_window_labels"
            )
    ev = data.assign(__t=t.to_numpy())
    merged = ev.merge(labels[[entity, "cutoff_time"]].drop_duplicates(), on=entity, how="inner")
    keep = merged["__t"] <= merged["cutoff_time"]
    return merged[keep].drop(columns="__t").reset_index(drop=True)
