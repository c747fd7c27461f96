"""The tabular exploration report: one self-contained HTML page about a table.

:func:`explore_table` turns a DataFrame (and optionally a target column) into a
:class:`labelwise.reports.Report` with the sections in :data:`SECTION_TITLES`. Statistics
come from :func:`labelwise.tabular.profile.profile_table` and are exact over all rows;
histograms and bar charts are exact too (binned over all rows), while box plots, hexbins
and the missing-value pattern use a random sample of ``sample_rows`` rows.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": ["a", "b", "a", "b"]})
>>> report = explore_table(df, target="y")
>>> report.section_titles[:2]
['Overview', 'Alerts']
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from labelwise.errors import DataError
from labelwise.progress import progress as _progress
from labelwise.reports import Report, Section
from labelwise.tabular.profile import (
    AlertThresholds,
    alert_counts,
    check_target,
    profile_table,
)

__all__ = ["SECTION_TITLES", "explore_file", "explore_table"]

#: Section titles of a report with a class target, in order. A regression target shows
#: "Target distribution" and "Aggregates by target quartile" instead of "Class balance" and
#: "Per-class aggregates"; without a target the three target sections are left out.
SECTION_TITLES = (
    "Overview",
    "Alerts",
    "Columns and types",
    "Missing values",
    "Duplicates",
    "Summary statistics",
    "Class balance",
    "Per-class aggregates",
    "Univariate distributions",
    "Bivariate plots against the target",
    "Correlations",
    "Outliers (IQR)",
)

_PLOTS_PER_FIGURE = 16
_MAX_BARS = 15
_MAX_PLOT_CLASSES = 10


# --------------------------------------------------------------------------- plotting


def _plt() -> Any:
    from labelwise.errors import require

    matplotlib = require("matplotlib", "tabular")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _short(name: Any, n: int = 32) -> str:
    s = str(name)
    return s if len(s) <= n else s[: n - 1] + "…"


def _grid(n: int, *, ncols: int = 4, w: float = 3.7, h: float = 2.7) -> tuple[Any, list[Any]]:
    plt = _plt()
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    width, height = w * ncols, h * nrows
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False)
    # Fixed margins instead of tight_layout / bbox_inches="tight": each of those lays out
    # every tick label again, which is most of the drawing time for a grid of panels.
    fig.subplots_adjust(
        left=1.35 / width,
        right=1 - 0.15 / width,
        bottom=0.5 / height,
        top=1 - 0.35 / height,
        wspace=0.75,
        hspace=0.55,
    )
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _few_ticks(ax: Any) -> None:
    """At most ~5 ticks on the value axis, so long numbers do not run into each other."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))


def _grid_png(fig: Any) -> bytes:
    """PNG bytes of a :func:`_grid` figure (its margins are already set), closing it."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    _plt().close(fig)
    return buf.getvalue()


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _finite(x: np.ndarray) -> np.ndarray:
    return x[np.isfinite(x)]


def _bar_counts(
    ax: Any, counts: Any, title: str, *, total: int | None = None, max_bars: int = _MAX_BARS
) -> None:
    shown = counts.head(max_bars)
    labels = [_short(v, 22) for v in shown.index][::-1]
    ax.barh(range(len(shown)), shown.to_numpy()[::-1], color="#4c72b0")
    ax.set_yticks(range(len(shown)), labels, fontsize=7)
    extra = f" (top {max_bars} of {len(counts):,})" if len(counts) > max_bars else ""
    ax.set_title(_short(title) + extra, fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    if total:
        ax.set_xlabel("rows", fontsize=7)


def _hist(ax: Any, x: np.ndarray, title: str, *, skew: float = 0.0) -> None:
    x = _finite(x)
    if len(x) == 0:
        ax.text(0.5, 0.5, "no finite values", ha="center", va="center")
    else:
        lo, hi = float(x.min()), float(x.max())
        bins = 40 if hi > lo else 1
        counts, edges = np.histogram(x, bins=bins, range=(lo, hi) if hi > lo else None)
        ax.stairs(counts, edges, fill=True, color="#4c72b0", alpha=0.85)
        if abs(skew) >= 3 and counts.max() > 0:
            ax.set_yscale("symlog")
    ax.set_title(_short(title), fontsize=9)
    ax.tick_params(labelsize=7)


class _Builder:
    """Writes the sections of one report from a profile and the data."""

    def __init__(
        self,
        df: Any,
        prof: dict[str, Any],
        *,
        sample_rows: int,
        seed: int,
        max_plot_columns: int,
        max_classes: int,
    ) -> None:
        self.df = df
        self.p = prof
        self.cols = {str(c): c for c in df.columns}
        self.kinds: dict[str, str] = prof["kinds"]
        self.target: str | None = prof["target"]["name"] if prof["target"] else None
        # The target sections only run when there is a target; they read it from here.
        self.tname: str = self.target or ""
        self.task = prof["target"]["task"] if prof["target"] else None
        self.max_plot_columns = max_plot_columns
        self.max_classes = max_classes
        n = len(df)
        self.n_sample = min(n, sample_rows)
        rng = np.random.default_rng(seed)
        if self.n_sample < n:
            idx = np.sort(rng.choice(n, size=self.n_sample, replace=False))
            self.sample = df.iloc[idx]
        else:
            self.sample = df
        self.sample_note = (
            f"a random sample of {self.n_sample:,} of {n:,} rows (seed {seed})"
            if self.n_sample < n
            else f"all {n:,} rows"
        )

    # -- helpers
    def col(self, c: str) -> Any:
        return self.df[self.cols[c]]

    def numeric_array(self, c: str, frame: Any = None) -> np.ndarray:
        s = (self.df if frame is None else frame)[self.cols[c]]
        return np.asarray(s.to_numpy(dtype=float, na_value=np.nan), dtype=float)

    def plot_columns(self, section: Section, candidates: list[str]) -> list[str]:
        if len(candidates) > self.max_plot_columns:
            section.text(
                f"Plotting the first {self.max_plot_columns} of {len(candidates)} columns "
                "(raise max_plot_columns to see more).",
                muted=True,
            )
        return candidates[: self.max_plot_columns]

    # -- sections
    def overview(self, r: Report) -> None:
        p = self.p
        s = r.section("Overview")
        kinds = p["kinds"]
        by_kind = {k: sum(1 for v in kinds.values() if v == k) for k in sorted(set(kinds.values()))}
        n_cells = p["n_rows"] * p["n_columns"]
        items: dict[str, Any] = {
            "rows": f"{p['n_rows']:,}",
            "columns": f"{p['n_columns']:,}",
            "column kinds": ", ".join(f"{v} {k}" for k, v in by_kind.items()),
            "missing cells": f"{p['n_missing_cells']:,} ({100 * p['n_missing_cells'] / n_cells:.2f}%)",
            "rows with any missing value": f"{p['n_rows_with_missing']:,}",
            "duplicate rows": f"{p['n_duplicates']:,} ({p['duplicate_pct']:.2f}%)",
            "memory in pandas": f"{p['memory_bytes'] / 2**20:,.1f} MiB",
            "alerts": f"{len(p['alerts'])}",
        }
        if self.target:
            items["target"] = f"{self.target} ({self.task})"
        items["box plots, hexbins and missing pattern from"] = self.sample_note
        s.kv(items)
        if not self.target:
            s.text(
                "No target column was given: class balance, per-class aggregates and "
                "plots against the target are left out (pass target=... / --target COL).",
                muted=True,
            )

    def alerts(self, r: Report) -> None:
        s = r.section("Alerts")
        alerts = self.p["alerts"]
        if alerts:
            counts = alert_counts(alerts)
            s.text(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())), muted=True)
        s.alerts([(a.level, a.message) for a in alerts])

    def columns(self, r: Report) -> None:
        import pandas as pd

        s = r.section("Columns and types")
        t = self.p["columns"].copy()
        examples = []
        vcs = self.p["value_counts"]
        for c in t.index:
            if c in vcs:
                vals = [str(v) for v in vcs[c].index[:3]]
            else:
                vals = [str(v) for v in self.col(c).dropna().iloc[:3].tolist()]
            examples.append(", ".join(_short(v, 20) for v in vals))
        t["examples"] = examples
        s.table(t.reset_index(), max_rows=500, index=False)
        counts = t["kind"].value_counts()
        s.table(pd.DataFrame({"kind": counts.index, "columns": counts.to_numpy()}), index=False)

    def missing(self, r: Report) -> None:
        s = r.section("Missing values")
        t = self.p["columns"]
        miss = t[t["missing"] > 0][["missing", "missing_pct"]].sort_values(
            "missing", ascending=False
        )
        s.kv(
            {
                "missing cells": f"{self.p['n_missing_cells']:,}",
                "rows with any missing value": f"{self.p['n_rows_with_missing']:,}",
                "complete rows": f"{self.p['n_rows'] - self.p['n_rows_with_missing']:,}",
                "columns with missing values": f"{len(miss)} of {len(t)}",
            }
        )
        if not len(miss):
            s.text("No missing values.")
            return
        s.table(miss, max_rows=200)
        plt = _plt()
        fig, (ax1, ax2) = plt.subplots(
            1, 2, figsize=(12, max(2.5, 0.28 * min(len(miss), 40) + 1)), width_ratios=[1, 1.4]
        )
        shown = miss.head(40)
        ax1.barh(range(len(shown)), shown["missing_pct"].to_numpy()[::-1], color="#c44e52")
        ax1.set_yticks(range(len(shown)), [_short(c, 24) for c in shown.index][::-1], fontsize=7)
        ax1.set_xlabel("% of rows missing", fontsize=8)
        ax1.set_title("missing share per column (exact)", fontsize=9)
        # Missingness pattern on (a sample of) rows: dark = missing.
        cols = list(t.index[:60])
        rows = self.sample.iloc[: min(len(self.sample), 2000)]
        mask = rows[[self.cols[c] for c in cols]].isna().to_numpy()
        ax2.imshow(mask, aspect="auto", interpolation="nearest", cmap="Greys", vmin=0, vmax=1)
        ax2.set_xticks(range(len(cols)), [_short(c, 14) for c in cols], rotation=90, fontsize=6)
        ax2.set_ylabel("row (sample order)", fontsize=8)
        ax2.set_title(f"missing-value pattern, {len(rows):,} sampled rows", fontsize=9)
        s.figure(fig, caption="Missing values: share per column, and where they fall together")

    def duplicates(self, r: Report) -> None:
        s = r.section("Duplicates")
        s.kv(
            {
                "duplicate rows": f"{self.p['n_duplicates']:,}",
                "share of rows": f"{self.p['duplicate_pct']:.3f}%",
            }
        )
        ex = self.p["duplicate_examples"]
        if len(ex):
            s.text("Most repeated rows (copies counts every occurrence):")
            s.table(ex, max_rows=5, index=False)
        else:
            s.text("No row repeats another exactly.")

    def summary(self, r: Report) -> None:
        s = r.section("Summary statistics")
        num = self.p["numeric"]
        if len(num):
            s.heading("Numeric columns (exact, over all rows)")
            s.table(num, max_rows=500)
        cat = self.p["categorical"]
        if len(cat):
            s.heading("Categorical, text and date columns")
            s.table(cat, max_rows=500)

    def class_balance(self, r: Report) -> None:
        import pandas as pd

        tinfo = self.p["target"]
        if self.task == "classification":
            s = r.section("Class balance")
            counts = tinfo["classes"]
            total = int(counts.sum())
            table = pd.DataFrame(
                {
                    "class": [str(c) for c in counts.index],
                    "rows": counts.to_numpy(),
                    "share_pct": 100.0 * counts.to_numpy() / max(total, 1),
                }
            )
            s.kv(
                {
                    "classes": f"{len(counts)}",
                    "labeled rows": f"{total:,}",
                    "rows without a target": f"{tinfo['n_missing']:,}",
                    "largest / smallest class": f"{tinfo['imbalance_ratio']:.2f}x",
                }
            )
            s.table(table, max_rows=50, index=False)
            plt = _plt()
            shown = counts.head(30)
            fig, ax = plt.subplots(figsize=(7, max(2.2, 0.35 * len(shown) + 1)))
            vals = shown.to_numpy()[::-1]
            ax.barh(range(len(shown)), vals, color="#55a868")
            ax.set_yticks(range(len(shown)), [_short(c, 24) for c in shown.index][::-1])
            for i, v in enumerate(vals):
                ax.text(v, i, f" {100 * v / total:.1f}%", va="center", fontsize=8)
            ax.set_xlabel("rows")
            ax.set_title(f"class balance of {_short(self.tname)}")
            s.figure(fig, caption="Rows per class (exact)")
        else:
            s = r.section("Target distribution")
            summary = tinfo["summary"]
            s.kv({k: summary[k] for k in ("count", "mean", "std", "min", "50%", "max", "skew")})
            fig, ax = _plt().subplots(figsize=(7, 3))
            _hist(ax, self.numeric_array(self.tname), str(self.tname), skew=summary["skew"])
            s.figure(fig, caption="Histogram of the target (exact, all rows)")

    def per_class(self, r: Report) -> None:
        import pandas as pd

        tinfo = self.p["target"]
        title = (
            "Per-class aggregates"
            if self.task == "classification"
            else ("Aggregates by target quartile")
        )
        s = r.section(title)
        pc = tinfo["per_class"]
        if not pc:
            s.text("There are no numeric feature columns to aggregate.")
        else:
            index = pc["mean"].index
            if self.task == "classification":
                # The largest classes first (positions, not labels: labels may be booleans).
                wanted = [g for g in tinfo["classes"].index[: self.max_classes] if g in index]
                pos = [int(index.get_loc(g)) for g in wanted]
            else:
                pos = list(range(min(len(index), self.max_classes)))
            groups = [index[i] for i in pos]
            s.text(
                "Mean and median of each numeric column within each "
                + ("class" if self.task == "classification" else "quartile of the target")
                + " (exact, all rows with a target).",
                muted=True,
            )
            for stat in ("mean", "median", "std"):
                t = pc[stat].iloc[pos].T
                t.columns = [f"{stat} | {_short(g, 24)}" for g in groups]
                t.index.name = "column"
                s.heading(stat)
                s.table(t, max_rows=200)
            counts = pc["count"].iloc[pos].T
            counts.columns = [f"n | {_short(g, 24)}" for g in groups]
            s.heading("non-missing rows")
            s.table(counts, max_rows=200)
        assoc = tinfo["association"]
        if len(assoc):
            s.heading("Association of each column with the target")
            s.table(
                pd.DataFrame(
                    {
                        "column": assoc.index,
                        "measure": assoc["measure"].to_numpy(),
                        "value": assoc["value"].to_numpy(),
                    }
                ),
                max_rows=200,
                index=False,
            )

    def univariate(self, r: Report) -> None:
        s = r.section("Univariate distributions")
        s.text(
            "Histograms and bar charts count every row (exact); bar charts show the most "
            "common values, histograms of heavily skewed columns use a symlog y axis.",
            muted=True,
        )
        cols = self.plot_columns(s, list(self.kinds))
        num = self.p["numeric"]
        vcs = self.p["value_counts"]
        for chunk in _chunks(cols, _PLOTS_PER_FIGURE):
            fig, axes = _grid(len(chunk))
            for ax, c in zip(axes, chunk, strict=True):
                kind = self.kinds[c]
                if kind == "numeric":
                    if num.loc[c, "unique"] <= 20:
                        vc = self.col(c).value_counts().sort_index()
                        _bar_counts(ax, vc, c, max_bars=20)
                    else:
                        _hist(ax, self.numeric_array(c), c, skew=float(num.loc[c, "skew"]))
                elif kind == "text":
                    lengths = self.col(c).dropna().astype(str).str.len().to_numpy(dtype=float)
                    _hist(ax, lengths, f"{c} (length in characters)")
                elif kind == "datetime":
                    values = self.col(c).dropna()
                    if len(values):
                        ax.hist(values, bins=40, color="#4c72b0")
                        ax.tick_params(axis="x", labelrotation=30, labelsize=6)
                    ax.set_title(_short(c), fontsize=9)
                else:
                    _bar_counts(ax, vcs[c], c)
                if kind != "datetime":
                    _few_ticks(ax)
            s.image(_grid_png(fig), caption=", ".join(_short(c, 20) for c in chunk))

    def bivariate(self, r: Report) -> None:
        import pandas as pd

        s = r.section("Bivariate plots against the target")
        tinfo = self.p["target"]
        assoc = tinfo["association"]
        ordered = [c for c in assoc.index if c in self.kinds]
        # Columns without an association value (high-cardinality categoricals) come last.
        rest = [
            c
            for c in self.kinds
            if c not in ordered
            and c != self.tname
            and self.kinds[c] in ("numeric", "categorical", "boolean")
        ]
        cols = self.plot_columns(s, ordered + rest)
        if not cols:
            s.text("There are no other columns to plot against the target.")
            return
        smp = self.sample
        tcol = self.cols[self.tname]
        if self.task == "classification":
            classes = list(tinfo["classes"].index[:_MAX_PLOT_CLASSES])
            s.text(
                f"Columns ordered by association with {self.tname!r}. Numeric columns: box "
                f"plots per class on {self.sample_note} (whiskers at 1.5 IQR, outliers not "
                "drawn). Categorical columns: share of each class within the most common "
                "values, counted over all rows.",
                muted=True,
            )
            y_sample = smp[tcol]
            y_all = self.col(self.tname)
        else:
            s.text(
                f"Columns ordered by association with {self.tname!r}. Numeric columns: "
                f"hexbin density of the column against the target on {self.sample_note}. "
                "Categorical columns: box plots of the target per value (most common values).",
                muted=True,
            )
            ys = self.numeric_array(self.tname, smp)
        for chunk in _chunks(cols, _PLOTS_PER_FIGURE):
            fig, axes = _grid(len(chunk), w=4.0, h=3.0)
            for ax, c in zip(axes, chunk, strict=True):
                kind = self.kinds[c]
                label = f"{_short(c)}"
                if self.task == "classification":
                    if kind == "numeric" and self.p["outliers"].loc[c, "iqr"] == 0:
                        # A box collapses to a line when most values are equal (e.g.
                        # mostly zeros): compare the classes' histograms instead.
                        x = self.numeric_array(c, smp)
                        fin = _finite(x)
                        edges = np.histogram_bin_edges(fin, bins=30) if len(fin) else None
                        cmap = _plt().get_cmap("tab10")
                        for i, k in enumerate(classes):
                            xk = _finite(x[(y_sample == k).to_numpy(dtype=bool, na_value=False)])
                            if len(xk) and edges is not None:
                                h, _ = np.histogram(xk, bins=edges)
                                ax.stairs(
                                    h / len(xk), edges, color=cmap(i % 10), label=_short(k, 14)
                                )
                        ax.set_yscale("symlog", linthresh=1e-3)
                        ax.set_ylabel("share of class", fontsize=7)
                        ax.legend(fontsize=6, framealpha=0.6)
                        ax.set_title(f"{label} (histogram per class)", fontsize=9)
                    elif kind == "numeric":
                        x = self.numeric_array(c, smp)
                        data = [
                            _finite(x[(y_sample == k).to_numpy(dtype=bool, na_value=False)])
                            for k in classes
                        ]
                        ax.boxplot(
                            [d if len(d) else np.array([np.nan]) for d in data],
                            showfliers=False,
                            orientation="horizontal",
                        )
                        ax.set_yticks(
                            range(1, len(classes) + 1), [_short(k, 14) for k in classes], fontsize=7
                        )
                        ax.set_title(label, fontsize=9)
                    else:
                        vc = self.p["value_counts"][c].head(12)
                        x_all = self.col(c)
                        keep = x_all.isin(vc.index) & y_all.isin(classes)
                        ct = pd.crosstab(
                            x_all[keep].astype(str), y_all[keep].astype(str), normalize="index"
                        )
                        ct = ct.reindex(index=[str(v) for v in vc.index][::-1]).fillna(0.0)
                        ct = ct.reindex(columns=[str(k) for k in classes]).fillna(0.0)
                        left = np.zeros(len(ct))
                        cmap = _plt().get_cmap("tab10")
                        for i, k in enumerate(ct.columns):
                            ax.barh(
                                range(len(ct)),
                                ct[k].to_numpy(),
                                left=left,
                                color=cmap(i % 10),
                                label=_short(k, 14),
                            )
                            left += ct[k].to_numpy()
                        ax.set_yticks(range(len(ct)), [_short(v, 16) for v in ct.index], fontsize=7)
                        ax.set_xlim(0, 1)
                        ax.set_title(f"{label}: class share", fontsize=9)
                        ax.legend(fontsize=6, loc="lower right", framealpha=0.6)
                else:
                    if kind == "numeric":
                        x = self.numeric_array(c, smp)
                        ok = np.isfinite(x) & np.isfinite(ys)
                        if ok.sum() > 0:
                            ax.hexbin(
                                x[ok], ys[ok], gridsize=30, mincnt=1, bins="log", cmap="viridis"
                            )
                        ax.set_xlabel(_short(c), fontsize=7)
                        ax.set_ylabel(_short(self.tname, 16), fontsize=7)
                        ax.set_title(label, fontsize=9)
                    else:
                        vc = self.p["value_counts"][c].head(10)
                        xs = smp[self.cols[c]]
                        data = [
                            _finite(ys[(xs == v).to_numpy(dtype=bool, na_value=False)])
                            for v in vc.index
                        ]
                        ax.boxplot(
                            [d if len(d) else np.array([np.nan]) for d in data],
                            showfliers=False,
                            orientation="horizontal",
                        )
                        ax.set_yticks(
                            range(1, len(vc) + 1), [_short(v, 14) for v in vc.index], fontsize=7
                        )
                        ax.set_title(f"{_short(self.tname, 16)} by {label}", fontsize=9)
                ax.tick_params(labelsize=7)
                _few_ticks(ax)
            s.image(_grid_png(fig), caption=", ".join(_short(c, 20) for c in chunk))

    def correlations(self, r: Report) -> None:
        s = r.section("Correlations")
        corr = self.p["correlation"]
        assoc = self.p["association"]
        plt = _plt()
        if len(corr):
            s.heading("Pearson correlation of numeric columns (exact, pairwise complete)")
            fig = _heatmap(plt, corr, cmap="RdBu_r", vmin=-1, dark=lambda v: abs(v) > 0.6)
            s.figure(fig, caption="Pearson r; red = positive, blue = negative")
            top = _top_pairs(corr, 15)
            if len(top):
                s.table(top, index=False, caption="Strongest numeric pairs")
        else:
            s.text("Fewer than two non-constant numeric columns: no numeric correlations.")
        if len(assoc) >= 2:
            s.heading(
                "Cramér's V between categorical columns (exact; columns with 2 to "
                f"{AlertThresholds().max_levels} levels)"
            )
            fig = _heatmap(plt, assoc, cmap="viridis", vmin=0, dark=lambda v: v < 0.6)
            s.figure(fig, caption="Cramér's V; 0 = independent, 1 = one determines the other")
            top = _top_pairs(assoc, 15)
            if len(top):
                s.table(top, index=False, caption="Strongest categorical pairs")
        self._mixed(s)

    def _mixed(self, s: Section) -> None:
        mixed = self.p.get("mixed_association")
        if mixed is None or not mixed.size:
            return
        import pandas as pd

        rows = [
            (a, b, float(mixed.loc[a, b]))
            for a in mixed.index
            for b in mixed.columns
            if np.isfinite(mixed.loc[a, b])
        ]
        rows.sort(key=lambda t: -t[2])
        s.heading("Categorical vs numeric: correlation ratio eta (exact)")
        s.table(
            pd.DataFrame(rows[:15], columns=["categorical", "numeric", "eta"]),
            index=False,
            caption="Strongest pairs; eta = 1 means the category fixes the number",
        )

    def outliers(self, r: Report) -> None:
        s = r.section("Outliers (IQR)")
        out = self.p["outliers"]
        if not len(out):
            s.text("There are no numeric columns.")
            return
        s.text(
            "A value is an outlier when it lies below Q1 - 1.5 IQR or above Q3 + 1.5 IQR "
            "(IQR = Q3 - Q1, quartiles over all rows, linear interpolation). Counts are exact.",
            muted=True,
        )
        s.table(out.sort_values("n_outliers", ascending=False), max_rows=500)
        flagged = out[out["n_outliers"] > 0].sort_values("outlier_pct", ascending=True).tail(40)
        if len(flagged):
            fig, ax = _plt().subplots(figsize=(7, max(2.2, 0.3 * len(flagged) + 1)))
            ax.barh(range(len(flagged)), flagged["outlier_pct"].to_numpy(), color="#dd8452")
            ax.set_yticks(range(len(flagged)), [_short(c, 24) for c in flagged.index], fontsize=7)
            ax.set_xlabel("% of non-missing values outside the fences")
            s.figure(fig, caption="Share of IQR outliers per numeric column")


def _heatmap(
    plt: Any, matrix: Any, *, cmap: str, vmin: float, dark: Callable[[float], bool]
) -> Any:
    """A square matrix (first 40 rows and columns) as a heatmap with a colour bar, values
    written in the cells up to 16 x 16 (white where ``dark(value)``, the colour is dark)."""
    show = matrix.iloc[:40, :40]
    k = len(show)
    fig, ax = plt.subplots(figsize=(min(3 + 0.55 * k, 20), min(2.5 + 0.5 * k, 18)))
    im = ax.imshow(show.to_numpy(), cmap=cmap, vmin=vmin, vmax=1)
    ax.set_xticks(range(k), [_short(c, 18) for c in show.columns], rotation=90, fontsize=7)
    ax.set_yticks(range(k), [_short(c, 18) for c in show.index], fontsize=7)
    if k <= 16:
        vals = show.to_numpy()
        for i in range(k):
            for j in range(k):
                if np.isfinite(vals[i, j]):
                    color = "w" if dark(vals[i, j]) else "k"
                    ax.text(
                        j, i, f"{vals[i, j]:.2f}", ha="center", va="center", fontsize=6, color=color
                    )
    fig.colorbar(im, ax=ax, shrink=0.8)
    return fig


def _top_pairs(matrix: Any, n: int) -> Any:
    import pandas as pd

    vals = matrix.to_numpy()
    labels = list(matrix.columns)
    iu = np.triu_indices(len(labels), k=1)
    rows = [
        (labels[i], labels[j], float(vals[i, j]))
        for i, j in zip(*iu, strict=True)
        if np.isfinite(vals[i, j])
    ]
    rows.sort(key=lambda t: -abs(t[2]))
    return pd.DataFrame(rows[:n], columns=["column a", "column b", "value"])


def explore_table(
    df: Any,
    *,
    target: str | None = None,
    task: Literal["auto", "classification", "regression"] = "auto",
    sample_rows: int = 50_000,
    seed: int = 0,
    title: str | None = None,
    thresholds: AlertThresholds | None = None,
    max_plot_columns: int = 48,
    max_classes: int = 20,
    profile: dict[str, Any] | None = None,
    progress: bool | None = None,
) -> Report:
    """Build the exploration report of a table.

    Parameters
    ----------
    df
        The table, shape ``(n_rows, n_columns)``.
    target
        Optional label column. A class target adds class balance, per-class aggregates and
        box plots per class; a regression target (numeric, more than ``max_classes``
        values) adds its distribution, aggregates by target quartile and hexbins.
    task
        ``"auto"`` (decide from the target), ``"classification"`` or ``"regression"``.
    sample_rows
        Rows drawn (without replacement) for box plots, hexbins and the missing-value
        pattern; statistics, histograms and bar charts always use every row.
    seed
        Seed of the sample.
    title
        Report title (default "Exploration of a table with N rows").
    thresholds
        When alerts fire; see :class:`~labelwise.tabular.profile.AlertThresholds`.
    max_plot_columns
        At most this many columns get univariate and bivariate plots.
    max_classes
        Distinct-value limit for treating a numeric target as classes.
    profile
        The result of :func:`~labelwise.tabular.profile.profile_table` for the same
        ``df``/``target``, to avoid computing it twice.
    progress
        Show a progress bar over the sections (default: when stderr is a terminal).

    Returns
    -------
    Report
        Save it with ``report.save("report.html")``; ``report.section_titles`` lists the
        sections (see :data:`SECTION_TITLES`).

    Raises
    ------
    DataError
        For an empty table, a target that is not a column (with close matches), or
        ``sample_rows < 1``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 40], "b": ["x", "y", "x", "x"], "y": [0, 1, 0, 1]})
    >>> r = explore_table(df, target="y")
    >>> "Class balance" in r.section_titles
    True
    """
    if sample_rows < 1:
        raise DataError(f"sample_rows must be at least 1, got {sample_rows}")
    started = time.perf_counter()
    if profile is None:
        profile = profile_table(
            df,
            target=target,
            task=task,
            thresholds=thresholds,
            max_classes=max_classes,
            progress=progress,
        )
    else:
        target = check_target(df, target)
        have = profile["target"]["name"] if profile.get("target") else None
        if have != target or profile.get("n_rows") != len(df):
            raise DataError(
                "the profile given was computed for another table or target "
                f"(target {have!r}, {profile.get('n_rows')} rows); compute it with "
                "profile_table(df, target=...) on this table or leave profile=None"
            )
    b = _Builder(
        df,
        profile,
        sample_rows=sample_rows,
        seed=seed,
        max_plot_columns=max_plot_columns,
        max_classes=max_classes,
    )
    report = Report(
        title or f"Exploration of a table with {len(df):,} rows and {df.shape[1]} columns",
        subtitle=(f"target: {b.target} ({b.task})" if b.target else "no target column"),
    )
    sections: list[Callable[[Report], None]] = [
        b.overview,
        b.alerts,
        b.columns,
        b.missing,
        b.duplicates,
        b.summary,
    ]
    if b.target:
        sections += [b.class_balance, b.per_class]
    sections.append(b.univariate)
    if b.target:
        sections.append(b.bivariate)
    sections += [b.correlations, b.outliers]
    for build in _progress(sections, total=len(sections), desc="report", enabled=progress):
        build(report)
    report.sections[0].text(
        f"Built in {time.perf_counter() - started:.1f} s by labelwise.", muted=True
    )
    return report


def explore_file(
    path: str | Path,
    *,
    out: str | Path | None = None,
    target: str | None = None,
    na_values: Sequence[str] | None = None,
    task: Literal["auto", "classification", "regression"] = "auto",
    sample_rows: int = 50_000,
    seed: int = 0,
    progress: bool | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Read a table file, write its exploration report, return ``(report_path, profile)``.

    Parameters
    ----------
    path
        CSV, TSV, Parquet or JSONL file (see :func:`labelwise.io.read_table`).
    out
        Where to write the HTML (default ``<file stem>.explore.html`` in the current folder).
    target, task, sample_rows, seed, progress
        As in :func:`explore_table`.
    na_values
        Extra strings that mean "missing" in CSV/TSV files, e.g. ``["?"]``.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "a"]}).to_csv(d / "t.csv", index=False)
    >>> path, prof = explore_file(d / "t.csv", out=d / "t.html", target="y")
    >>> path.exists(), prof["n_rows"]
    (True, 3)
    """
    from labelwise.io import read_table

    df = read_table(path, na_values=list(na_values) if na_values else None)
    # Check the target before the (possibly long) profile so a typo fails fast.
    check_target(df, target)
    prof = profile_table(df, target=target, task=task, progress=progress)
    report = explore_table(
        df,
        target=target,
        task=task,
        sample_rows=sample_rows,
        seed=seed,
        title=f"Exploration of {Path(path).name}",
        profile=prof,
        progress=progress,
    )
    dest = Path(out) if out is not None else Path(f"{Path(path).stem}.explore.html")
    return report.save(dest), prof
