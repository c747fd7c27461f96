"""Exact statistics of a table: types, missing values, duplicates, moments, outliers, alerts.

Everything here is computed over *all* rows with vectorized pandas/numpy operations (one
pass per column at most, never a Python loop over rows), so a table of a million rows
profiles in seconds. Plots live in :mod:`labelwise.tabular.explore` and use a sample.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 100.0], "y": ["a", "b", "a", "a"]})
>>> p = profile_table(df)
>>> p["n_rows"], p["kinds"]["x"], int(p["outliers"].loc["x", "n_outliers"])
(4, 'numeric', 1)
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from labelwise.errors import DataError
from labelwise.progress import progress as _progress

__all__ = [
    "PLACEHOLDER_VALUES",
    "Alert",
    "AlertThresholds",
    "alert_counts",
    "check_target",
    "cramers_v",
    "infer_column_kinds",
    "profile_table",
]

#: Column kinds :func:`infer_column_kinds` assigns.
Kind = Literal["numeric", "boolean", "datetime", "categorical", "text"]

#: Strings that usually stand for "missing" when they appear as values (compared stripped,
#: case-insensitively); an alert suggests ``na_values`` for them.
PLACEHOLDER_VALUES = frozenset(
    {"?", "", "-", "--", "na", "n/a", "nan", "null", "none", "missing", "unknown", "#n/a"}
)

#: Quantiles reported in the numeric summary, as fractions.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class AlertThresholds:
    """When a column earns an alert.

    Parameters
    ----------
    high_cardinality
        A categorical column with more distinct values than this is "high-cardinality".
    correlation
        Pairs with ``|Pearson r|`` (numeric) or Cramér's V (categorical) at or above this are
        "highly correlated".
    imbalance_ratio
        A class target whose largest class is at least this many times its smallest is
        "imbalanced".
    dominant_share
        A categorical feature whose most common value covers at least this share of the
        non-missing rows is "imbalanced".
    missing_share
        A column missing in at least this share of rows gets a "missing" alert.
    skewness
        A numeric column with ``|skew|`` at or above this is "skewed".
    max_levels
        Categorical columns with more levels than this are left out of the Cramér's V matrix
        (the contingency table would be mostly empty).

    Examples
    --------
    >>> AlertThresholds(correlation=0.8).correlation
    0.8
    """

    high_cardinality: int = 50
    correlation: float = 0.9
    imbalance_ratio: float = 3.0
    dominant_share: float = 0.95
    missing_share: float = 0.2
    skewness: float = 10.0
    max_levels: int = 100


@dataclass(frozen=True)
class Alert:
    """One finding worth a look.

    Attributes
    ----------
    kind
        ``constant``, ``unique``, ``high_cardinality``, ``highly_correlated``,
        ``imbalanced``, ``missing``, ``duplicates``, ``skewed``, ``infinite``,
        ``placeholder``, ``text`` or ``unlabeled``.
    columns
        The column(s) concerned; empty for table-wide alerts such as duplicates.
    message
        A sentence for people.
    level
        ``info``, ``warning`` or ``error``.
    value
        The number behind the alert (a share, a ratio, a correlation), when there is one.
    """

    kind: str
    columns: tuple[str, ...]
    message: str
    level: str = "warning"
    value: float | None = field(default=None, compare=False)


# --------------------------------------------------------------------------- checks


def _check_frame(df: Any) -> None:
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise DataError(
            f"expected a pandas DataFrame, got {type(df).__name__}; "
            "read files with labelwise.io.read_table(path)"
        )
    if df.shape[1] == 0:
        raise DataError("the table has no columns; nothing to explore")
    if df.shape[0] == 0:
        raise DataError(
            f"the table has {df.shape[1]} columns but no rows; nothing to explore "
            "(check the file, or the filter that produced this table)"
        )
    counts = Counter(str(c) for c in df.columns)
    dupes = sorted(c for c, k in counts.items() if k > 1)
    if dupes:
        raise DataError(
            f"column names must be unique, but {', '.join(map(repr, dupes))} appear more than "
            "once; rename them (e.g. df.columns = [...]) and try again"
        )


def _normalise_name(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def check_target(df: Any, target: str | None) -> str | None:
    """Return ``target`` if it is a column of ``df``, else raise a :class:`DataError`.

    The error lists close matches (spelling, case, ``.``/``_``/space differences) and the
    columns the table has.

    Examples
    --------
    >>> import pandas as pd
    >>> check_target(pd.DataFrame({"income": [1]}), "income")
    'income'
    """
    if target is None:
        return None
    columns = [str(c) for c in df.columns]
    if target in columns:
        return target
    wanted = _normalise_name(target)
    close = [c for c in columns if wanted and _normalise_name(c) == wanted]
    lowered = {c.lower(): c for c in columns}
    close += [
        lowered[m]
        for m in difflib.get_close_matches(target.lower(), list(lowered), n=3, cutoff=0.6)
        if lowered[m] not in close
    ]
    hint = f"; did you mean {' or '.join(map(repr, close[:3]))}?" if close else ""
    shown = ", ".join(columns[:30]) + (
        f", ... ({len(columns)} in all)" if len(columns) > 30 else ""
    )
    raise DataError(
        f"target column {target!r} is not in the table{hint} The table's columns are: {shown}"
    )


# --------------------------------------------------------------------------- kinds


def infer_column_kinds(df: Any, *, text_min_length: float = 40.0) -> dict[str, str]:
    """The kind of each column: numeric, boolean, datetime, categorical or text.

    ``bool`` columns (and numeric columns holding only 0/1 are still *numeric*) are
    ``boolean``; numbers are ``numeric``; datetimes are ``datetime``; strings whose mean
    length is at least ``text_min_length`` characters and that are mostly distinct are
    ``text``; everything else is ``categorical``.

    Parameters
    ----------
    df
        A DataFrame of shape ``(n_rows, n_columns)``.
    text_min_length
        Mean number of characters from which a mostly-distinct string column is text.

    Returns
    -------
    dict
        Column name -> kind.

    Examples
    --------
    >>> import pandas as pd
    >>> infer_column_kinds(pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [True, False]}))
    {'a': 'numeric', 'b': 'categorical', 'c': 'boolean'}
    """
    import pandas as pd
    from pandas.api import types as pdt

    kinds: dict[str, str] = {}
    for col in df.columns:
        s = df[col]
        dtype = s.dtype
        if pdt.is_bool_dtype(dtype):
            kinds[str(col)] = "boolean"
        elif pdt.is_numeric_dtype(dtype) and not pdt.is_complex_dtype(dtype):
            kinds[str(col)] = "numeric"
        elif pdt.is_datetime64_any_dtype(dtype):
            kinds[str(col)] = "datetime"
        elif isinstance(dtype, pd.CategoricalDtype):
            kinds[str(col)] = "categorical"
        else:
            kinds[str(col)] = "categorical"
            if pdt.is_string_dtype(dtype) or dtype == np.dtype(object):
                nonnull = s.dropna()
                if len(nonnull) == 0:
                    continue
                # Decide on a bounded slice so this stays cheap on huge tables.
                head = nonnull.iloc[:20_000]
                try:
                    lengths = head.astype(str).str.len()
                except (TypeError, ValueError):  # pragma: no cover - exotic objects
                    continue
                distinct = head.astype(str).nunique() / len(head)
                if float(lengths.mean()) >= text_min_length and distinct >= 0.5:
                    kinds[str(col)] = "text"
    return kinds


# --------------------------------------------------------------------------- helpers


def _hashable(s: Any) -> Any:
    """``s`` itself, or ``s`` as strings when it holds unhashable values (lists, dicts)."""
    try:
        s.nunique(dropna=True)
        return s
    except TypeError:
        return s.astype(str).where(s.notna())


def cramers_v(a: Any, b: Any) -> float:
    """Cramér's V between two categorical arrays (missing values dropped), in ``[0, 1]``.

    Parameters
    ----------
    a, b
        Sequences of length ``n`` (any hashable values; ``None``/NaN are missing).

    Returns
    -------
    float
        ``sqrt(chi2 / (n * (min(r, c) - 1)))`` for the ``r x c`` contingency table, or NaN
        when either side has fewer than two levels.

    Examples
    --------
    >>> round(cramers_v(["a", "a", "b", "b"], ["x", "x", "y", "y"]), 3)
    1.0
    """
    import pandas as pd

    ca, _ = pd.factorize(pd.Series(a), use_na_sentinel=True)
    cb, _ = pd.factorize(pd.Series(b), use_na_sentinel=True)
    return _cramers_v_codes(np.asarray(ca), np.asarray(cb))


def _cramers_v_codes(ca: np.ndarray, cb: np.ndarray) -> float:
    """Cramér's V of two factorized arrays (codes ``0..k-1``, ``-1`` for missing)."""
    keep = (ca >= 0) & (cb >= 0)
    if not keep.all():
        ca, cb = ca[keep], cb[keep]
    if len(ca) == 0:
        return float("nan")
    r, c = int(ca.max()) + 1, int(cb.max()) + 1
    table = np.bincount(ca.astype(np.int64) * c + cb, minlength=r * c).reshape(r, c)
    # Levels seen only in rows dropped above have empty rows/columns; leave them out.
    table = table[table.sum(1) > 0][:, table.sum(0) > 0].astype(float)
    r, c = table.shape
    if r < 2 or c < 2:
        return float("nan")
    n = table.sum()
    expected = np.outer(table.sum(1), table.sum(0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(min(1.0, chi2 / (n * (min(r, c) - 1)))))


def _correlation_ratio(codes: np.ndarray, x: np.ndarray) -> float:
    """Correlation ratio eta of numeric ``x`` across groups ``codes`` (missing dropped)."""
    return _correlation_ratios([codes], x)[0]


def _correlation_ratios(groupings: Sequence[np.ndarray], x: np.ndarray) -> list[float]:
    """Eta of ``x`` across each grouping (codes ``0..k-1``, ``-1`` = missing).

    ``x`` is centred once and every grouping costs three weighted ``bincount`` passes, with
    no boolean-mask copies: this runs for every (categorical, numeric) pair of a table.
    """
    finite = np.isfinite(x)
    if finite.sum() < 2:
        return [float("nan")] * len(groupings)
    centred = np.where(finite, x - x[finite].mean(), 0.0)
    weights = finite.astype(float)
    squares = centred * centred
    out = []
    for codes in groupings:
        k = int(codes.max()) + 1 if len(codes) else 0
        if k < 1:
            out.append(float("nan"))
            continue
        # Missing group codes go to an extra bin that is dropped.
        bins = np.where(codes >= 0, codes, k) if (codes < 0).any() else codes
        counts = np.bincount(bins, weights=weights, minlength=k + 1)[:k]
        sums = np.bincount(bins, weights=centred, minlength=k + 1)[:k]
        sumsq = np.bincount(bins, weights=squares, minlength=k + 1)[:k]
        n, total = counts.sum(), sums.sum()
        if n < 2:
            out.append(float("nan"))
            continue
        present = counts > 0
        ss_between = float((sums[present] ** 2 / counts[present]).sum() - total * total / n)
        ss_total = float(sumsq.sum() - total * total / n)
        if ss_total <= 0:
            out.append(float("nan"))
            continue
        out.append(float(np.sqrt(min(1.0, max(0.0, ss_between / ss_total)))))
    return out


def _numeric_summary(x: np.ndarray) -> dict[str, float]:
    """Count, moments, quantiles, zeros and negatives of the finite values of ``x``.

    Skew and kurtosis use the same bias-corrected estimators as pandas (``Series.skew``,
    ``Series.kurt``), so the numbers agree with what users compute themselves.
    """
    v = x[np.isfinite(x)]
    n = len(v)
    out: dict[str, float] = {"count": n}
    nan = float("nan")
    if n == 0:
        out.update({k: nan for k in ("mean", "std", "min")})
        out.update({f"{int(p * 100)}%": nan for p in QUANTILES})
        out.update({"max": nan, "skew": nan, "kurtosis": nan, "zeros": 0, "negative": 0})
        return out
    mean = float(v.mean())
    d = v - mean
    d2 = d * d
    m2 = float(d2.sum())
    m3 = float((d2 * d).sum())
    m4 = float((d2 * d2).sum())
    # Rounding leaves m2 a hair above 0 for a constant column; treat that as 0 (pandas too).
    if m2 <= (1e-14 * max(abs(mean), 1.0)) ** 2 * n:
        m2 = m3 = m4 = 0.0
    out["mean"] = mean
    out["std"] = float(np.sqrt(m2 / (n - 1))) if n > 1 else nan
    out["min"] = float(v.min())
    for p, q in zip(QUANTILES, np.quantile(v, QUANTILES), strict=True):
        out[f"{int(p * 100)}%"] = float(q)
    out["max"] = float(v.max())
    if n < 3:
        out["skew"] = nan
    else:
        out["skew"] = 0.0 if m2 == 0 else (n * (n - 1) ** 0.5 / (n - 2)) * (m3 / m2**1.5)
    if n < 4:
        out["kurtosis"] = nan
    elif m2 == 0:
        out["kurtosis"] = 0.0
    else:
        num = n * (n + 1) * (n - 1) * m4
        den = (n - 2) * (n - 3) * m2**2
        out["kurtosis"] = num / den - 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))
    out["zeros"] = int((v == 0).sum())
    out["negative"] = int((v < 0).sum())
    return out


def _looks_like_dates(values: Any, *, probe: int = 200) -> bool:
    """Whether (nearly) all of the first ``probe`` distinct strings parse as ISO dates."""
    import warnings

    import pandas as pd

    head = pd.Series(values[:probe]).astype(str)
    # Cheap pre-check so free text never reaches the parser: ISO dates start "dddd-dd".
    if not head.str.match(r"^\d{4}-\d{2}").mean() >= 0.95:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(head, errors="coerce", format="ISO8601")
    return bool(parsed.notna().mean() >= 0.95)


def _fmt_share(x: float) -> str:
    return f"{100 * x:.1f}%"


def _label(v: Any) -> str:
    return str(v)


# --------------------------------------------------------------------------- profile


class _Profiler:
    """The steps of :func:`profile_table`, run in order over shared state."""

    def __init__(
        self,
        df: Any,
        *,
        target: str | None,
        task: str,
        thresholds: AlertThresholds,
        max_classes: int,
    ) -> None:
        self.df = df
        self.target = target
        self.task_requested = task
        self.t = thresholds
        self.max_classes = max_classes
        self.out: dict[str, Any] = {}
        self.alerts: list[Alert] = []
        self.alerted_pairs: set[frozenset[str]] = set()

    # Each step fills part of ``self.out``.
    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("types", self.types),
            ("missing values", self.missing),
            ("duplicates", self.duplicates),
            ("numeric statistics", self.numeric),
            ("categorical statistics", self.categorical),
            ("outliers", self.outliers),
            ("correlations", self.correlations),
            ("target", self.target_stats),
            ("alerts", self.finish_alerts),
        ]

    def types(self) -> None:
        import pandas as pd

        df = self.df
        kinds = infer_column_kinds(df)
        self.out["n_rows"] = len(df)
        self.out["n_columns"] = int(df.shape[1])
        self.out["kinds"] = kinds
        self.out["memory_bytes"] = int(df.memory_usage(deep=True, index=False).sum())
        self.cols = {str(c): c for c in df.columns}
        self.numeric_cols = [c for c, k in kinds.items() if k == "numeric"]
        self.cat_cols = [c for c, k in kinds.items() if k in ("categorical", "boolean")]
        self.text_cols = [c for c, k in kinds.items() if k == "text"]
        self.datetime_cols = [c for c, k in kinds.items() if k == "datetime"]
        self.out["columns"] = pd.DataFrame(
            {"dtype": [str(df[self.cols[c]].dtype) for c in kinds], "kind": list(kinds.values())},
            index=pd.Index(list(kinds), name="column"),
        )

    def missing(self) -> None:
        df = self.df
        isna = df.isna()
        n_missing = isna.sum()
        n_missing.index = [str(c) for c in n_missing.index]
        n = len(df)
        cols = self.out["columns"]
        cols["non_null"] = (n - n_missing).astype("int64")
        cols["missing"] = n_missing.astype("int64")
        cols["missing_pct"] = 100.0 * n_missing / n
        self.out["n_missing_cells"] = int(n_missing.sum())
        self.out["n_rows_with_missing"] = int(isna.any(axis=1).sum())
        for c, m in n_missing.items():
            share = m / n
            if m == n:
                self.alerts.append(
                    Alert("missing", (c,), f"{c!r} is missing in every row", "error", 1.0)
                )
            elif share >= self.t.missing_share:
                self.alerts.append(
                    Alert(
                        "missing",
                        (c,),
                        f"{c!r} is missing in {m:,} rows ({_fmt_share(share)})",
                        "warning",
                        float(share),
                    )
                )

    def duplicates(self) -> None:
        import pandas as pd

        df = self.df
        try:
            hashes = pd.util.hash_pandas_object(df, index=False)
        except TypeError:  # unhashable cells (lists, dicts): hash their text instead
            hashes = pd.util.hash_pandas_object(df.astype(str), index=False)
        candidates = hashes.duplicated(keep=False).to_numpy()
        n_dup = 0
        examples = pd.DataFrame()
        if candidates.any():
            # Hash equality is only a candidate; confirm exactly on those rows.
            sub = df.loc[candidates]
            try:
                dup_mask = sub.duplicated(keep="first")
            except TypeError:
                dup_mask = sub.astype(str).duplicated(keep="first")
            n_dup = int(dup_mask.sum())
            if n_dup:
                h = hashes[candidates]
                counts = h.value_counts().head(5)
                first = ~h.duplicated(keep="first")
                rows = sub.loc[first.to_numpy() & h.isin(counts.index).to_numpy()]
                rows_h = h[first & h.isin(counts.index)]
                examples = rows.copy()
                examples.insert(0, "copies", rows_h.map(counts).to_numpy())
                examples = examples.sort_values("copies", ascending=False)
        n = len(df)
        self.out["n_duplicates"] = n_dup
        self.out["duplicate_pct"] = 100.0 * n_dup / n
        self.out["duplicate_examples"] = examples
        if n_dup:
            self.alerts.append(
                Alert(
                    "duplicates",
                    (),
                    f"{n_dup:,} rows ({_fmt_share(n_dup / n)}) repeat an earlier row exactly",
                    "warning" if n_dup / n >= 0.01 else "info",
                    float(n_dup / n),
                )
            )

    def numeric(self) -> None:
        import pandas as pd

        df, cols = self.df, self.numeric_cols
        self.out["numeric"] = pd.DataFrame()
        self.matrix = np.empty((len(df), 0))
        if not cols:
            return
        # Column-major, filled one column at a time: every statistic below reads one
        # contiguous column, and temporaries stay the size of a column, not of the table.
        matrix = np.empty((len(df), len(cols)), dtype=float, order="F")
        records = []
        for j, c in enumerate(cols):
            s = df[self.cols[c]]
            x = matrix[:, j]
            x[:] = s.to_numpy(dtype=float, na_value=np.nan)
            inf = np.isinf(x)
            n_inf = int(inf.sum())
            if n_inf:
                x[inf] = np.nan
            records.append({**_numeric_summary(x), "infinite": n_inf, "unique": int(s.nunique())})
        self.matrix = matrix
        stats = pd.DataFrame.from_records(records, index=pd.Index(cols))
        stats.index.name = "column"
        self.out["numeric"] = stats
        self.out["columns"].loc[cols, "unique"] = stats["unique"]
        for c, row in zip(cols, stats.to_dict("records"), strict=True):
            if row["infinite"]:
                self.alerts.append(
                    Alert(
                        "infinite",
                        (c,),
                        f"{c!r} has {int(row['infinite']):,} infinite values (left out of the "
                        "statistics)",
                        "warning",
                        float(row["infinite"]),
                    )
                )
            sk = float(row["skew"])
            if np.isfinite(sk) and abs(sk) >= self.t.skewness:
                self.alerts.append(
                    Alert(
                        "skewed",
                        (c,),
                        f"{c!r} is highly skewed (skew {sk:.1f}); consider a log scale or bins",
                        "info",
                        float(sk),
                    )
                )

    def categorical(self) -> None:
        import pandas as pd

        df = self.df
        rows: list[dict[str, Any]] = []
        self.value_counts: dict[str, Any] = {}
        n = len(df)
        for c in [*self.cat_cols, *self.text_cols, *self.datetime_cols]:
            s = _hashable(df[self.cols[c]])
            vc = s.value_counts(dropna=True)
            self.value_counts[c] = vc
            count = int(vc.sum())
            row: dict[str, Any] = {"column": c, "kind": self.out["kinds"][c], "count": count}
            row["unique"] = len(vc)
            if len(vc):
                row["top"] = _label(vc.index[0])
                row["top_count"] = int(vc.iloc[0])
                row["top_pct"] = 100.0 * vc.iloc[0] / count
            if self.out["kinds"][c] in ("categorical", "text") and count:
                try:
                    lengths = s.dropna().astype(str).str.len()
                    row["mean_length"] = float(lengths.mean())
                    row["max_length"] = int(lengths.max())
                except (TypeError, ValueError):  # pragma: no cover - exotic objects
                    pass
            if self.out["kinds"][c] == "datetime" and count:
                row["min"] = str(s.min())
                row["max"] = str(s.max())
            rows.append(row)
            self._categorical_alerts(c, vc, count, n)
        table = pd.DataFrame(rows)
        if len(table):
            table = table.set_index("column")
            self.out["columns"].loc[table.index, "unique"] = table["unique"]
        self.out["categorical"] = table
        self.out["value_counts"] = {c: vc.head(50) for c, vc in self.value_counts.items()}
        if "unique" in self.out["columns"]:
            self.out["columns"]["unique"] = self.out["columns"]["unique"].astype("int64")
            non_null = self.out["columns"]["non_null"].clip(lower=1)
            self.out["columns"]["unique_pct"] = 100.0 * self.out["columns"]["unique"] / non_null
        # Constant / unique alerts apply to every kind, so they are made here.
        for c, row in self.out["columns"].iterrows():
            kind, u, nn = row["kind"], int(row["unique"]), int(row["non_null"])
            if nn == 0:
                continue
            if u <= 1:
                self.alerts.append(
                    Alert(
                        "constant",
                        (str(c),),
                        f"{c!r} has a single value ({self._only_value(str(c))}) in all "
                        f"{nn:,} non-missing rows; it carries no information",
                        "warning",
                        1.0,
                    )
                )
            elif u == nn and nn >= 50 and kind != "text" and not self._is_float(str(c)):
                self.alerts.append(
                    Alert(
                        "unique",
                        (str(c),),
                        f"every value of {c!r} is distinct; it looks like an identifier",
                        "info",
                        1.0,
                    )
                )

    def _is_float(self, c: str) -> bool:
        return self.out["kinds"][c] == "numeric" and self.df[self.cols[c]].dtype.kind == "f"

    def _only_value(self, c: str) -> str:
        s = self.df[self.cols[c]].dropna()
        return repr(_label(s.iloc[0])) if len(s) else "missing"

    def _categorical_alerts(self, c: str, vc: Any, count: int, n: int) -> None:
        kind = self.out["kinds"][c]
        if kind == "text":
            self.alerts.append(
                Alert(
                    "text",
                    (c,),
                    f"{c!r} holds free text (mostly distinct, long strings); explore it with the "
                    "text tools rather than as a category",
                    "info",
                )
            )
            return
        if kind == "categorical" and len(vc) > self.t.high_cardinality and len(vc) < count:
            self.alerts.append(
                Alert(
                    "high_cardinality",
                    (c,),
                    f"{c!r} has {len(vc):,} distinct values (more than "
                    f"{self.t.high_cardinality}); group rare values or encode it before use",
                    "warning",
                    float(len(vc)),
                )
            )
        if len(vc) >= 2 and count and c != self.target:
            share = vc.iloc[0] / count
            if share >= self.t.dominant_share:
                self.alerts.append(
                    Alert(
                        "imbalanced",
                        (c,),
                        f"{c!r} is {_fmt_share(share)} {_label(vc.index[0])!r}; the other "
                        f"{len(vc) - 1} values share the rest",
                        "info",
                        float(share),
                    )
                )
        if kind in ("categorical",) and len(vc):
            idx = vc.index
            if idx.dtype == object or str(idx.dtype) in ("str", "string"):
                norm = idx.astype(str).str.strip().str.lower()
                hit = norm.isin(list(PLACEHOLDER_VALUES))
                if hit.any():
                    values = [str(v) for v in idx[hit]]
                    k = int(vc[hit].sum())
                    self.alerts.append(
                        Alert(
                            "placeholder",
                            (c,),
                            f"{c!r} contains {', '.join(map(repr, values[:3]))} in {k:,} rows, "
                            "which usually means 'missing'; read the file with "
                            f"na_values={values[0]!r} (CLI: --na-values {values[0]!r})",
                            "warning",
                            float(k / n),
                        )
                    )
                if len(vc) > 1 and _looks_like_dates(idx):
                    self.alerts.append(
                        Alert(
                            "dates_as_text",
                            (c,),
                            f"{c!r} holds dates stored as text (e.g. {str(idx[0])!r}); parse it "
                            f"(pd.to_datetime, or read_csv(parse_dates=[{c!r}])) to get date "
                            "ranges and time plots",
                            "info",
                        )
                    )

    def outliers(self) -> None:
        import pandas as pd

        stats = self.out["numeric"]
        if not len(stats):
            self.out["outliers"] = pd.DataFrame()
            return
        q1 = stats["25%"].to_numpy()
        q3 = stats["75%"].to_numpy()
        iqr = q3 - q1
        lower, upper = q1 - 1.5 * iqr, q3 + 1.5 * iqr
        with np.errstate(invalid="ignore"):
            n_low = (self.matrix < lower).sum(axis=0)
            n_high = (self.matrix > upper).sum(axis=0)
        count = stats["count"].to_numpy()
        table = pd.DataFrame(
            {
                "q1": q1,
                "q3": q3,
                "iqr": iqr,
                "lower_fence": lower,
                "upper_fence": upper,
                "below": n_low,
                "above": n_high,
                "n_outliers": n_low + n_high,
                "outlier_pct": 100.0 * (n_low + n_high) / np.maximum(count, 1),
            },
            index=stats.index,
        )
        self.out["outliers"] = table

    def correlations(self) -> None:
        import pandas as pd

        stats = self.out["numeric"]
        corr = pd.DataFrame()
        if len(stats):
            usable = [c for c in stats.index if stats.loc[c, "unique"] > 1]
            if len(usable) >= 2:
                idx = [self.numeric_cols.index(c) for c in usable]
                F = pd.DataFrame(self.matrix[:, idx], columns=usable, copy=False)
                corr = F.corr()
        self.out["correlation"] = corr
        # Cramér's V between categorical columns with a manageable number of levels.
        self.codes: dict[str, np.ndarray] = {}
        cat = [
            c for c in self.cat_cols if 2 <= len(self.value_counts.get(c, ())) <= self.t.max_levels
        ]
        for c in cat:
            codes, _ = pd.factorize(_hashable(self.df[self.cols[c]]), use_na_sentinel=True)
            self.codes[c] = np.asarray(codes)
        assoc = pd.DataFrame(np.eye(len(cat)), index=cat, columns=cat)
        for i, a in enumerate(cat):
            for b in cat[i + 1 :]:
                v = _cramers_v_codes(self.codes[a], self.codes[b])
                assoc.loc[a, b] = assoc.loc[b, a] = v
        self.out["association"] = assoc
        # Correlation ratio (eta) of each numeric column across each categorical column's
        # levels: catches a category and its numeric code (education / education.num).
        num_usable = [c for c in self.numeric_cols if self.out["numeric"].loc[c, "unique"] > 1]
        mixed = pd.DataFrame(np.nan, index=cat, columns=num_usable)
        groupings = [self.codes[a] for a in cat]
        for b in num_usable:
            x = self.matrix[:, self.numeric_cols.index(b)]
            mixed[b] = _correlation_ratios(groupings, x) if cat else []
        self.out["mixed_association"] = mixed
        pairs: list[tuple[str, str, float, str]] = []
        for matrix, measure in ((corr, "Pearson r"), (assoc, "Cramér's V")):
            if not len(matrix):
                continue
            vals = matrix.to_numpy()
            labels = list(matrix.columns)
            iu = np.triu_indices(len(labels), k=1)
            pairs += [
                (labels[i], labels[j], float(vals[i, j]), measure) for i, j in zip(*iu, strict=True)
            ]
        for a in mixed.index:
            for b in mixed.columns:
                pairs.append((a, b, float(mixed.loc[a, b]), "eta"))
        for a, b, v, measure in pairs:
            if np.isfinite(v) and abs(v) >= self.t.correlation:
                self._correlated_alert(a, b, v, measure)

    def _correlated_alert(self, a: str, b: str, v: float, measure: str) -> None:
        key = frozenset((a, b))
        if key in self.alerted_pairs:
            return
        self.alerted_pairs.add(key)
        if self.target in (a, b):
            other = b if a == self.target else a
            message = (
                f"{other!r} almost determines the target {self.target!r} ({measure} {v:.2f}); "
                "check it for target leakage"
            )
        else:
            message = (
                f"{a!r} and {b!r} are highly correlated ({measure} {v:.2f}); one of them may "
                "be redundant"
            )
        self.alerts.append(Alert("highly_correlated", (a, b), message, "warning", float(v)))

    def target_stats(self) -> None:
        import pandas as pd

        self.out["target"] = None
        if self.target is None:
            return
        tcol = self.cols[self.target]
        y = _hashable(self.df[tcol])
        kind = self.out["kinds"][self.target]
        n_unique = int(self.out["columns"].loc[self.target, "unique"])
        task = self.task_requested
        if task == "auto":
            task = (
                "regression"
                if kind == "numeric" and n_unique > self.max_classes
                else "classification"
            )
        if task == "regression" and kind != "numeric":
            raise DataError(
                f"target {self.target!r} holds {kind} values, so it cannot be a regression "
                "target; use task='classification' (CLI: --task classification)"
            )
        n_missing = int(self.out["columns"].loc[self.target, "missing"])
        info: dict[str, Any] = {"name": self.target, "task": task, "n_missing": n_missing}
        if n_missing == len(self.df):
            raise DataError(
                f"target column {self.target!r} is empty (missing in all {n_missing:,} rows); "
                "choose another --target"
            )
        if n_missing:
            self.alerts.append(
                Alert(
                    "unlabeled",
                    (self.target,),
                    f"{n_missing:,} rows ({_fmt_share(n_missing / len(self.df))}) have no "
                    f"{self.target!r}; they are unlabeled and left out of the target sections",
                    "info",
                    float(n_missing / len(self.df)),
                )
            )
        features = [c for c in self.numeric_cols if c != self.target]
        feat_idx = [self.numeric_cols.index(c) for c in features]
        if task == "classification":
            counts = y.value_counts(dropna=True)
            counts.index.name = self.target
            info["classes"] = counts
            ratio = float(counts.iloc[0] / counts.iloc[-1]) if len(counts) else float("nan")
            info["imbalance_ratio"] = ratio
            if len(counts) == 1:
                self.alerts.append(
                    Alert(
                        "constant",
                        (self.target,),
                        f"the target {self.target!r} has one class only "
                        f"({_label(counts.index[0])!r}); there is nothing to separate",
                        "error",
                    )
                )
            elif ratio >= self.t.imbalance_ratio:
                self.alerts.append(
                    Alert(
                        "imbalanced",
                        (self.target,),
                        f"the target {self.target!r} is imbalanced: the largest class "
                        f"({_label(counts.index[0])!r}, {counts.iloc[0]:,}) is {ratio:.1f}x the "
                        f"smallest ({_label(counts.index[-1])!r}, {counts.iloc[-1]:,}); use "
                        "stratified splits and class weights",
                        "warning",
                        ratio,
                    )
                )
            if len(counts) > self.max_classes:
                self.alerts.append(
                    Alert(
                        "high_cardinality",
                        (self.target,),
                        f"the target {self.target!r} has {len(counts):,} classes; plots show "
                        f"the {self.max_classes} largest",
                        "info",
                        float(len(counts)),
                    )
                )
            try:
                codes, uniques = pd.factorize(y, sort=True, use_na_sentinel=True)
            except TypeError:  # labels of mixed types cannot be sorted
                codes, uniques = pd.factorize(y, use_na_sentinel=True)
            codes = np.asarray(codes)
            labels = list(uniques)
        else:
            yv = self.matrix[:, self.numeric_cols.index(self.target)]
            info["summary"] = self.out["numeric"].loc[self.target]
            binned = pd.qcut(pd.Series(yv), 4, duplicates="drop")
            labels = [f"Q{i + 1} {iv}" for i, iv in enumerate(binned.cat.categories)]
            codes = np.asarray(binned.cat.codes)
        # Per-class (per target-bin) aggregates of the numeric features, exact. One column
        # at a time keeps the temporaries (group sorting for medians) column-sized.
        per_class: dict[str, Any] = {}
        if features:
            keep = codes >= 0
            groups = codes[keep]
            index = pd.Index(
                labels, name=self.target if task == "classification" else f"{self.target} bin"
            )
            stats: dict[str, dict[str, Any]] = {k: {} for k in ("count", "mean", "median", "std")}
            for c, j in zip(features, feat_idx, strict=True):
                agg = pd.Series(self.matrix[keep, j]).groupby(groups).agg(list(stats))
                agg = agg.reindex(range(len(labels)))
                for k in stats:
                    stats[k][c] = agg[k].to_numpy()
            per_class = {k: pd.DataFrame(v, index=index) for k, v in stats.items()}
            per_class["count"] = per_class["count"].fillna(0).astype("int64")
        info["per_class"] = per_class
        # Association of each feature with the target.
        rows = []
        for c in features:
            x = self.matrix[:, self.numeric_cols.index(c)]
            if task == "classification":
                rows.append((c, "eta", _correlation_ratio(codes, x)))
            else:
                r = self.out["correlation"]
                val = (
                    float(r.loc[c, self.target])
                    if c in r.index and self.target in r.columns
                    else float("nan")
                )
                rows.append((c, "Pearson r", val))
        cats = [c for c in self.cat_cols if c != self.target and c in self.codes]
        if task == "classification":
            rows += [(c, "Cramér's V", _cramers_v_codes(self.codes[c], codes)) for c in cats]
        elif cats:
            x = self.matrix[:, self.numeric_cols.index(self.target)]
            etas = _correlation_ratios([self.codes[c] for c in cats], x)
            rows += [(c, "eta", v) for c, v in zip(cats, etas, strict=True)]
        assoc = pd.DataFrame(rows, columns=["column", "measure", "value"]).set_index("column")
        assoc["strength"] = assoc["value"].abs()
        info["association"] = assoc.sort_values("strength", ascending=False, na_position="last")
        for col, row in assoc.iterrows():
            v = float(row["strength"])
            if np.isfinite(v) and v >= self.t.correlation:
                self._correlated_alert(str(col), self.target, v, str(row["measure"]))
        self.out["target"] = info

    def finish_alerts(self) -> None:
        order = {"error": 0, "warning": 1, "info": 2}
        self.out["alerts"] = sorted(self.alerts, key=lambda a: order.get(a.level, 3))


def profile_table(
    df: Any,
    *,
    target: str | None = None,
    task: Literal["auto", "classification", "regression"] = "auto",
    thresholds: AlertThresholds | None = None,
    max_classes: int = 20,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Exact statistics of every column over all rows, and the alerts they raise.

    Parameters
    ----------
    df
        The table, shape ``(n_rows, n_columns)``; missing values as NaN/None/NA.
    target
        Optional label column; adds class balance (or the target's distribution for a
        regression target), per-class aggregates and feature-target association.
    task
        ``"classification"``, ``"regression"`` or ``"auto"``: numeric targets with more than
        ``max_classes`` distinct values are regression, everything else classification.
    thresholds
        When alerts fire; see :class:`AlertThresholds`.
    max_classes
        Distinct-value limit for treating a numeric target as classes.
    progress
        Show a progress bar over the steps (default: when stderr is a terminal).

    Returns
    -------
    dict
        ``n_rows``, ``n_columns``, ``memory_bytes``, ``kinds`` (column -> kind),
        ``columns`` (per-column dtype, kind, non_null, missing, missing_pct, unique,
        unique_pct), ``n_missing_cells``, ``n_rows_with_missing``, ``n_duplicates``,
        ``duplicate_pct``, ``duplicate_examples``, ``numeric`` (count, mean, std, min,
        5/25/50/75/95%, max, skew, kurtosis, zeros, negative, infinite, unique per numeric
        column; infinities are left out of the moments), ``categorical`` (count, unique,
        top, top_count, top_pct, mean/max length, or min/max for datetimes),
        ``value_counts`` (column -> top 50 counts), ``outliers`` (IQR fences and counts per
        numeric column), ``correlation`` (Pearson, pairwise complete), ``association``
        (Cramér's V between categorical columns), ``target`` (``None`` or a dict with
        ``name``, ``task``, ``n_missing``, ``classes``/``imbalance_ratio`` or ``summary``,
        ``per_class`` {count, mean, median, std} frames and ``association``) and ``alerts``
        (a list of :class:`Alert`, errors first).

    Raises
    ------
    DataError
        For an empty table, duplicate column names, or a target that is not a column
        (the message lists close matches) or is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 9], "k": [0, 0, 0, 0], "y": ["p", "n", "n", "n"]})
    >>> p = profile_table(df, target="y")
    >>> p["target"]["classes"].to_dict()
    {'n': 3, 'p': 1}
    >>> sorted({a.kind for a in p["alerts"]})
    ['constant', 'imbalanced']
    """
    _check_frame(df)
    target = check_target(df, target)
    if task not in ("auto", "classification", "regression"):
        raise DataError(f"task must be 'auto', 'classification' or 'regression', not {task!r}")
    prof = _Profiler(
        df,
        target=target,
        task=task,
        thresholds=thresholds or AlertThresholds(),
        max_classes=max_classes,
    )
    steps = prof.steps()
    for _desc, step in _progress(steps, total=len(steps), desc="profiling", enabled=progress):
        step()
    return prof.out


def alert_counts(alerts: Sequence[Alert]) -> dict[str, int]:
    """Number of alerts of each kind, e.g. ``{"constant": 1, "imbalanced": 2}``."""
    out: dict[str, int] = {}
    for a in alerts:
        out[a.kind] = out.get(a.kind, 0) + 1
    return out
