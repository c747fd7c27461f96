"""Safe natural-language questions over a table.

The LLM never writes code. It answers with a *plan* in a small operation language, which
pydantic validates and :func:`execute_plan` runs over pandas with whitelisted operations:

=================  ==========================================================
op                 fields
=================  ==========================================================
``filter``         ``conditions`` [{column, cmp, value}], ``combine`` and/or;
                   cmp in ``== != < <= > >= in not_in contains startswith
                   is_null not_null``
``select``         ``columns``
``group_by``       ``by`` [columns], ``aggregations`` [{column, func, name}]
``aggregate``      ``aggregations`` over the whole table
``sort``           ``by`` [columns], ``descending``
``limit``          ``n``
``describe``       ``columns`` (optional)
``value_counts``   ``column``, ``normalize``, ``top``
=================  ==========================================================

Aggregation functions: ``count size sum mean median min max std var nunique``. A plan may
ask for a chart (``bar barh line hist scatter pie``) of the result, rendered to PNG with
matplotlib. Column names are checked at every step (a name that differs only in case or
punctuation is resolved and noted; anything else is an error with close matches), values
are compared as data, and nothing is ever passed to ``eval``, ``exec`` or ``DataFrame.query``.
An invalid plan gets one repair request quoting the error.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np

from labelwise.errors import require
from labelwise.llm.client import LLMClient
from labelwise.llm.errors import OutputError, PlanError, RequestFailed
from labelwise.llm.text import parse_json_output

require("pydantic", "llm")
from pydantic import BaseModel, ConfigDict, Field, ValidationError  # noqa: E402

__all__ = [
    "AGGREGATIONS",
    "AskResult",
    "Plan",
    "ask",
    "describe_table",
    "execute_plan",
    "plan_to_text",
    "render_chart",
]

AGGREGATIONS = ("count", "size", "sum", "mean", "median", "min", "max", "std", "var", "nunique")
_NUMERIC_AGGS = {"sum", "mean", "median", "std", "var"}
_MAX_BARS = 50  # bars or slices drawn at most; longer results are cut (noted in the title)
_MAX_POINTS = 2000  # points of a line or scatter chart; longer results are thinned (noted)
Scalar = str | int | float | bool | None


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Condition(_Op):
    column: str
    cmp: Literal[
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "in",
        "not_in",
        "contains",
        "startswith",
        "is_null",
        "not_null",
    ]
    value: Scalar | list[Scalar] = None


class FilterStep(_Op):
    op: Literal["filter"]
    conditions: list[Condition] = Field(min_length=1, max_length=20)
    combine: Literal["and", "or"] = "and"


class SelectStep(_Op):
    op: Literal["select"]
    columns: list[str] = Field(min_length=1)


class Aggregation(_Op):
    column: str | None = None
    func: Literal["count", "size", "sum", "mean", "median", "min", "max", "std", "var", "nunique"]
    name: str | None = None


class GroupByStep(_Op):
    op: Literal["group_by"]
    by: list[str] = Field(min_length=1, max_length=5)
    aggregations: list[Aggregation] = Field(min_length=1, max_length=10)


class AggregateStep(_Op):
    op: Literal["aggregate"]
    aggregations: list[Aggregation] = Field(min_length=1, max_length=10)


class SortStep(_Op):
    op: Literal["sort"]
    by: list[str] = Field(min_length=1)
    descending: bool = False


class LimitStep(_Op):
    op: Literal["limit"]
    n: int = Field(ge=1, le=100_000)


class DescribeStep(_Op):
    op: Literal["describe"]
    columns: list[str] | None = None


class ValueCountsStep(_Op):
    op: Literal["value_counts"]
    column: str
    normalize: bool = False
    top: int | None = Field(default=None, ge=1, le=10_000)


Step = Annotated[
    FilterStep
    | SelectStep
    | GroupByStep
    | AggregateStep
    | SortStep
    | LimitStep
    | DescribeStep
    | ValueCountsStep,
    Field(discriminator="op"),
]


class Chart(_Op):
    kind: Literal["bar", "barh", "line", "hist", "scatter", "pie"]
    x: str | None = None
    y: str | None = None
    title: str | None = None


class Plan(_Op):
    """A validated plan: steps applied in order to the table, and an optional chart."""

    explanation: str = ""
    steps: list[Step] = Field(default_factory=list, max_length=20)
    chart: Chart | None = None


@dataclass
class AskResult:
    """The answer to a table question.

    Attributes
    ----------
    question : str
    plan : Plan
    table : DataFrame
        The result of the plan.
    notes : list of str
        Column names resolved, rows truncated, and the like.
    chart_png : bytes or None
    repaired : bool
        The first plan was invalid and the repaired one was used.
    cost_usd : float
    """

    question: str
    plan: Plan
    table: Any
    notes: list[str] = field(default_factory=list)
    chart_png: bytes | None = None
    repaired: bool = False
    cost_usd: float = 0.0
    raw: str = ""

    def save_chart(self, path: str | Path) -> Path:
        if self.chart_png is None:
            raise PlanError("the plan asked for no chart; nothing to save")
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(self.chart_png)
        return p

    def to_text(self, max_rows: int = 30) -> str:
        lines = [f"Q: {self.question}"]
        if self.plan.explanation:
            lines.append(self.plan.explanation)
        lines.append(plan_to_text(self.plan))
        lines.append(self.table.head(max_rows).to_string(index=False))
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


# ---------------------------------------------------------------------- execution
def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(name).casefold())


def _resolve(name: str, columns: Sequence[Any], notes: list[str], where: str) -> Any:
    cols = list(columns)
    if name in cols:
        return name
    by_key: dict[str, list[Any]] = {}
    for c in cols:
        by_key.setdefault(_key(c), []).append(c)
    same = by_key.get(_key(name), [])
    if len(same) == 1:
        notes.append(f"{where}: column {name!r} read as {same[0]!r}")
        return same[0]
    close = difflib.get_close_matches(str(name), [str(c) for c in cols], n=3, cutoff=0.5)
    hint = f"; did you mean {close}?" if close else ""
    raise PlanError(
        f"{where}: no column {name!r}{hint} The table at this step has columns "
        f"{[str(c) for c in cols][:40]}"
    )


def _is_numeric(s: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(s)) and not pd.api.types.is_bool_dtype(s)


def _coerce(value: Any, series: Any, where: str) -> Any:
    import pandas as pd

    if value is None:
        return None
    if _is_numeric(series):
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, float)):
            return value
        try:
            return float(str(value).strip())
        except ValueError:
            raise PlanError(
                f"{where}: column {series.name!r} is numeric but the value {value!r} is not a number"
            ) from None
    if pd.api.types.is_bool_dtype(series):
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return bool(value)
    return value


def _text(series: Any) -> Any:
    return series.astype("string").str.strip()


def _condition_mask(df: Any, cond: Condition, notes: list[str], where: str) -> Any:
    col = _resolve(cond.column, df.columns, notes, where)
    s = df[col]
    cmp = cond.cmp
    if cmp == "is_null":
        return s.isna()
    if cmp == "not_null":
        return s.notna()
    if cmp in ("in", "not_in"):
        values = cond.value if isinstance(cond.value, list) else [cond.value]
        if _is_numeric(s):
            vals = [_coerce(v, s, where) for v in values]
            mask = s.isin(vals)
        else:
            mask = _text(s).isin([str(v).strip() for v in values])
        return mask.fillna(False) if cmp == "in" else ~mask.fillna(False)
    if isinstance(cond.value, list):
        raise PlanError(f"{where}: {cmp!r} compares with one value, got a list {cond.value!r}")
    if cmp in ("contains", "startswith"):
        t = _text(s).str.casefold()
        needle = str(cond.value).casefold()
        m = t.str.contains(needle, regex=False) if cmp == "contains" else t.str.startswith(needle)
        return m.fillna(False).astype(bool)
    value = _coerce(cond.value, s, where)
    if value is None:
        raise PlanError(f"{where}: {cmp!r} needs a value; use is_null/not_null for missing values")
    left = s if _is_numeric(s) or isinstance(value, bool) else _text(s)
    right = value if _is_numeric(s) or isinstance(value, bool) else str(value).strip()
    if cmp in ("<", "<=", ">", ">=") and not _is_numeric(s):
        import pandas as pd

        if not pd.api.types.is_datetime64_any_dtype(s):
            raise PlanError(
                f"{where}: {cmp!r} needs a numeric column, but {col!r} holds text; use == or in"
            )
        left, right = s, pd.Timestamp(str(cond.value))
    ops = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return ops[cmp](left, right).fillna(False).astype(bool)


def _agg_spec(
    df: Any, aggs: Sequence[Aggregation], notes: list[str], where: str
) -> list[tuple[str, Any, str]]:
    out: list[tuple[str, Any, str]] = []
    used: set[str] = set()
    for a in aggs:
        if a.func in ("count", "size") and a.column is None:
            col = None
        else:
            if a.column is None:
                raise PlanError(f"{where}: aggregation {a.func!r} needs a column")
            col = _resolve(a.column, df.columns, notes, where)
            if a.func in _NUMERIC_AGGS and not _is_numeric(df[col]):
                raise PlanError(
                    f"{where}: {a.func} needs a numeric column, but {col!r} holds "
                    f"{df[col].dtype}; use count, nunique, min or max, or value_counts"
                )
        name = a.name or (a.func if col is None else f"{a.func}_{col}")
        if name in used:
            raise PlanError(f"{where}: two aggregations are named {name!r}; give each a name")
        used.add(name)
        out.append((name, col, a.func))
    return out


def execute_plan(df: Any, plan: Plan | dict[str, Any], *, notes: list[str] | None = None) -> Any:
    """Run a validated plan over ``df`` and return the result as a DataFrame.

    Parameters
    ----------
    df : DataFrame
    plan : Plan or dict
        A dict is validated into a :class:`Plan` first.
    notes : list, optional
        Receives notes (resolved column names).

    Raises
    ------
    PlanError
        Unknown op or column (with close matches), numeric aggregation of text, a value
        that does not fit its column.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"age": [20, 30, 40, 50], "income": ["<=50K", ">50K", "<=50K", ">50K"]})
    >>> plan = {"steps": [{"op": "group_by", "by": ["income"],
    ...                    "aggregations": [{"column": "age", "func": "mean"}]}]}
    >>> execute_plan(df, plan).to_dict(orient="list")
    {'income': ['<=50K', '>50K'], 'mean_age': [30.0, 40.0]}
    """

    if not isinstance(plan, Plan):
        plan = validate_plan(plan)
    notes = notes if notes is not None else []
    cur = df
    for i, step in enumerate(plan.steps, start=1):
        where = f"step {i} ({step.op})"
        try:
            cur = _run_step(cur, step, notes, where)
        except PlanError:
            raise
        except (TypeError, ValueError, KeyError) as exc:
            # pandas refused (mixed types in a sort, an odd value): report it as a plan error.
            raise PlanError(f"{where}: {type(exc).__name__}: {exc}") from None
    return cur.reset_index(drop=True)


def _run_step(cur: Any, step: Any, notes: list[str], where: str) -> Any:
    import pandas as pd

    if isinstance(step, FilterStep):
        masks = [_condition_mask(cur, c, notes, where) for c in step.conditions]
        mask = masks[0]
        for m in masks[1:]:
            mask = (mask & m) if step.combine == "and" else (mask | m)
        cur = cur[mask.to_numpy(dtype=bool)]
    elif isinstance(step, SelectStep):
        cur = cur[[_resolve(c, cur.columns, notes, where) for c in step.columns]]
    elif isinstance(step, (GroupByStep, AggregateStep)):
        spec = _agg_spec(cur, step.aggregations, notes, where)
        if isinstance(step, GroupByStep):
            by = [_resolve(c, cur.columns, notes, where) for c in step.by]
            g = cur.groupby(by, dropna=False, observed=True, sort=True)
            parts = []
            for name, col, func in spec:
                if col is None:
                    parts.append(g.size().rename(name))
                else:
                    parts.append(g[col].agg(func).rename(name))
            cur = pd.concat(parts, axis=1).reset_index()
        else:
            row = {}
            for name, col, func in spec:
                row[name] = len(cur) if col is None else cur[col].agg(func)
            cur = pd.DataFrame([row])
    elif isinstance(step, SortStep):
        by = [_resolve(c, cur.columns, notes, where) for c in step.by]
        cur = cur.sort_values(by, ascending=not step.descending, kind="stable")
    elif isinstance(step, LimitStep):
        cur = cur.head(step.n)
    elif isinstance(step, DescribeStep):
        sub = (
            cur
            if not step.columns
            else cur[[_resolve(c, cur.columns, notes, where) for c in step.columns]]
        )
        cur = sub.describe(include="all").T.reset_index(names="column")
    elif isinstance(step, ValueCountsStep):
        col = _resolve(step.column, cur.columns, notes, where)
        vc = cur[col].value_counts(normalize=step.normalize, dropna=False)
        if step.top:
            vc = vc.head(step.top)
        cur = vc.rename("share" if step.normalize else "count").reset_index()
    else:  # pragma: no cover - pydantic only admits the ops above
        raise PlanError(f"{where}: unknown operation")
    return cur


def validate_plan(data: Any) -> Plan:
    """Validate decoded JSON into a :class:`Plan` (unknown ops and fields are errors).

    A plan with neither steps nor a chart answers nothing and is refused.
    """
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'plan'}: {e['msg']}" for e in exc.errors()[:6]
        )
        raise PlanError(f"the plan does not follow the operation language ({problems})") from None
    if not plan.steps and plan.chart is None:
        raise PlanError(
            "the plan is empty (no steps and no chart), so it answers nothing; give at least "
            "one step (select, filter, group_by, ...) that answers the question"
        )
    return plan


def plan_to_text(plan: Plan) -> str:
    """A readable one-line-per-step rendering of a plan."""
    lines = []
    for i, s in enumerate(plan.steps, start=1):
        d = s.model_dump(exclude_none=True)
        op = d.pop("op")
        lines.append(f"{i}. {op} " + json.dumps(d, default=str))
    if plan.chart is not None:
        lines.append("chart " + json.dumps(plan.chart.model_dump(exclude_none=True)))
    return "\n".join(lines) if lines else "(no steps: the whole table)"


# ---------------------------------------------------------------------- charts
def render_chart(
    table: Any, chart: Chart, *, dpi: int = 100, notes: list[str] | None = None
) -> bytes:
    """Render ``chart`` of a result ``table`` to PNG bytes (matplotlib, Agg backend).

    Bars and slices are capped at 50 rows, a line over a text (category) axis at 50
    categories, and lines and scatter plots at 2,000 points (evenly thinned); each cap is
    noted in the title and appended to ``notes``.
    """
    matplotlib = require("matplotlib", "llm")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from labelwise.reports import figure_to_png

    if len(table) == 0:
        raise PlanError("the result is empty; there is nothing to chart")
    caps: list[str] = notes if notes is not None else []
    notes = []
    cols = list(table.columns)
    numeric = [c for c in cols if _is_numeric(table[c])]
    x = _resolve(chart.x, cols, notes, "chart") if chart.x else None
    y = _resolve(chart.y, cols, notes, "chart") if chart.y else None
    if chart.kind == "hist":
        col = x or y or (numeric[0] if numeric else None)
        if col is None or not _is_numeric(table[col]):
            raise PlanError("a histogram needs a numeric column; name it in chart.x")
    else:
        if y is None:
            y = next((c for c in reversed(numeric) if c != x), None)
        if x is None:
            x = next((c for c in cols if c != y), None)
        if y is None or not _is_numeric(table[y]):
            raise PlanError(
                f"chart {chart.kind!r} needs a numeric y column; result columns: {cols}"
            )
    title = chart.title or ""
    n_rows = len(table)
    if chart.kind in ("bar", "barh", "pie") and n_rows > _MAX_BARS:
        table = table.head(_MAX_BARS)
        title = f"{title} (first {_MAX_BARS} rows)".strip()
        caps.append(f"the chart shows the first {_MAX_BARS} of {n_rows} rows")
    elif chart.kind == "line" and x is not None and not _is_numeric(table[x]):
        n_cat = int(table[x].nunique())
        if n_cat > _MAX_BARS:
            keep = table[x].drop_duplicates().head(_MAX_BARS)
            table = table[table[x].isin(keep)]
            title = f"{title} (first {_MAX_BARS} of {n_cat} categories)".strip()
            caps.append(f"the line chart shows the first {_MAX_BARS} of {n_cat} categories")
    if chart.kind in ("line", "scatter") and len(table) > _MAX_POINTS:
        step = int(np.ceil(len(table) / _MAX_POINTS))
        before = len(table)
        table = table.iloc[::step]
        title = f"{title} (1 in {step} of {before} points)".strip()
        caps.append(f"the chart shows 1 point in {step} of {before}")
    height = max(4.0, 0.28 * len(table)) if chart.kind == "barh" else 4.0
    fig, ax = plt.subplots(figsize=(7, height))
    if chart.kind == "hist":
        ax.hist(table[col].dropna(), bins=30, color="#0969da")
        ax.set_xlabel(str(col))
        ax.set_ylabel("count")
    elif chart.kind == "scatter":
        if x is None or not _is_numeric(table[x]):
            raise PlanError("a scatter chart needs numeric x and y columns")
        ax.scatter(table[x], table[y], s=8, alpha=0.6)
        ax.set_xlabel(str(x))
        ax.set_ylabel(str(y))
    elif chart.kind == "pie":
        labels = table[x].astype(str) if x is not None else None
        ax.pie(table[y], labels=labels, autopct="%1.0f%%")
    else:
        labels = table[x].astype(str) if x is not None else np.arange(len(table)).astype(str)
        if chart.kind == "barh":
            ax.barh(labels, table[y], color="#0969da")
            ax.invert_yaxis()  # first row on top, as in the table
            ax.set_xlabel(str(y))
            ax.set_ylabel(str(x) if x is not None else "")
        else:
            if chart.kind == "bar":
                ax.bar(labels, table[y], color="#0969da")
            else:
                ax.plot(labels, table[y], marker="o")
            ax.set_xlabel(str(x) if x is not None else "")
            ax.set_ylabel(str(y))
            if len(table) > 8:
                ax.tick_params(axis="x", rotation=45)
    ax.set_title(title)
    return figure_to_png(fig, dpi=dpi)


# ---------------------------------------------------------------------- prompting
def describe_table(df: Any, *, share_values: bool = True, max_values: int = 6) -> str:
    """The table's shape, columns, types and (optionally) a few example values, for a prompt.

    With ``share_values=False`` only names, types and row count leave the machine.
    """
    import pandas as pd

    lines = [f"{len(df)} rows. Columns:"]
    for c in df.columns:
        s = df[c]
        if _is_numeric(s):
            kind = "number"
        elif pd.api.types.is_bool_dtype(s):
            kind = "boolean"
        elif pd.api.types.is_datetime64_any_dtype(s):
            kind = "datetime"
        else:
            kind = "text"
        info = f"- {c!s} ({kind}"
        if s.isna().any():
            info += f", {int(s.isna().sum())} missing"
        info += ")"
        if share_values and len(s.dropna()):
            if kind == "number":
                info += f": min {s.min():.6g}, max {s.max():.6g}"
            else:
                vc = s.astype("string").str.strip().value_counts()
                shown = [str(v)[:40] for v in vc.index[:max_values]]
                more = f" (+{len(vc) - max_values} more)" if len(vc) > max_values else ""
                info += f": {shown}{more}"
        lines.append(info)
    return "\n".join(lines)


_SYSTEM = """You answer questions about a table by writing a plan in a small operation language.
You never write code. Reply with one JSON object:
{"explanation": "<one sentence>", "steps": [...], "chart": null or {"kind": ..., "x": ..., "y": ..., "title": ...}}
Steps run in order, each on the result of the previous one:
- {"op": "filter", "conditions": [{"column": C, "cmp": "==|!=|<|<=|>|>=|in|not_in|contains|startswith|is_null|not_null", "value": V}], "combine": "and|or"}
- {"op": "select", "columns": [C, ...]}
- {"op": "group_by", "by": [C, ...], "aggregations": [{"column": C, "func": F, "name": N}]}
- {"op": "aggregate", "aggregations": [{"column": C, "func": F, "name": N}]}
- {"op": "sort", "by": [C, ...], "descending": true|false}
- {"op": "limit", "n": K}
- {"op": "describe", "columns": [C, ...]}
- {"op": "value_counts", "column": C, "normalize": true|false, "top": K}
F is one of: count, size, sum, mean, median, min, max, std, var, nunique ("size" and "count" need no column).
Chart kinds: bar, barh, line, hist, scatter, pie; x and y name columns of the final result.
Use column names exactly as listed.
Example: "average age per income group" ->
{"explanation": "Mean age for each income group.", "steps": [{"op": "group_by", "by": ["income"], "aggregations": [{"column": "age", "func": "mean", "name": "mean_age"}]}], "chart": {"kind": "bar", "x": "income", "y": "mean_age", "title": "Average age per income group"}}"""


def _messages(df: Any, question: str, share_values: bool) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": _SYSTEM},
        {
            "role": "user",
            "content": f"Table:\n{describe_table(df, share_values=share_values)}\n\nQuestion: {question}",
        },
    ]


def _response_format(mode: str) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {
            "type": "json_schema",
            "json_schema": {
                "name": "labelwise_table_plan",
                "schema": Plan.model_json_schema(),
                "strict": False,
            },
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def _try_plan(df: Any, raw: str, chart_wanted: bool) -> tuple[Plan, Any, list[str], bytes | None]:
    try:
        data = parse_json_output(raw)
    except OutputError as exc:
        raise PlanError(str(exc)) from None
    plan = validate_plan(data)
    notes: list[str] = []
    table = execute_plan(df, plan, notes=notes)
    png = None
    if plan.chart is not None and chart_wanted:
        png = render_chart(table, plan.chart, notes=notes)
    return plan, table, notes, png


def ask(
    df: Any,
    question: str,
    *,
    client: LLMClient,
    chart: bool = True,
    share_values: bool = True,
    response_mode: str = "json_schema",
    max_tokens: int = 800,
) -> AskResult:
    """Answer ``question`` about ``df``: the LLM plans, labelwise executes the plan.

    Parameters
    ----------
    df : DataFrame
    question : str
        E.g. ``"average age per income group"``.
    client : LLMClient
    chart : bool, default True
        Render the plan's chart (if it asks for one) to PNG.
    share_values : bool, default True
        Show the model a few example values per column (False: names and types only).
    response_mode : {"json_schema", "json_object", "none"}, default "json_schema"

    Returns
    -------
    AskResult

    Raises
    ------
    PlanError
        When the plan is still invalid after one repair request.

    Examples
    --------
    >>> import pandas as pd, json
    >>> from labelwise.llm import LocalChatServer, Reply, OpenAIProvider
    >>> df = pd.DataFrame({"age": [20, 30, 40], "income": ["low", "high", "low"]})
    >>> plan = {"steps": [{"op": "group_by", "by": ["income"],
    ...          "aggregations": [{"column": "age", "func": "mean"}]}]}
    >>> with LocalChatServer(lambda req: json.dumps(plan)) as server:
    ...     client = LLMClient(OpenAIProvider.compatible(server.base_url), model="m", cache=None)
    ...     result = ask(df, "average age per income group", client=client)
    >>> result.table.to_dict(orient="list")
    {'income': ['high', 'low'], 'mean_age': [30.0, 30.0]}
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame) or len(df.columns) == 0:
        raise PlanError("ask needs a DataFrame with at least one column")
    if not isinstance(question, str) or not question.strip():
        raise PlanError("the question is empty; ask something about the table")
    messages = _messages(df, question.strip(), share_values)
    fmt = _response_format(response_mode)
    try:
        first = client.complete(messages, response_format=fmt, max_tokens=max_tokens)
    except RequestFailed as exc:
        # llama.cpp's server answers some json_schema payloads with a 500: fall back to
        # JSON mode once (the plan is validated locally either way).
        if response_mode != "json_schema" or exc.kind not in (
            "bad_request",
            "server",
            "server_deterministic",
        ):
            raise
        fmt = _response_format("json_object")
        first = client.complete(messages, response_format=fmt, max_tokens=max_tokens)
    raw = first.texts[0] if first.texts else ""
    cost = first.cost_usd
    try:
        plan, table, notes, png = _try_plan(df, raw, chart)
        return AskResult(question, plan, table, notes, png, False, cost, raw)
    except PlanError as exc:
        error = exc
    repair = client.complete(
        [
            *messages,
            {"role": "assistant", "content": raw},
            {
                "role": "user",
                "content": f"That plan cannot run: {error}. Reply with a corrected plan as one "
                "JSON object in the operation language.",
            },
        ],
        response_format=fmt,
        max_tokens=max_tokens,
    )
    raw2 = repair.texts[0] if repair.texts else ""
    cost += repair.cost_usd
    try:
        plan, table, notes, png = _try_plan(df, raw2, chart)
    except PlanError as exc2:
        raise PlanError(
            f"the model's plan for {question!r} is invalid even after one repair: {exc2} "
            f"(first attempt: {error}). Rephrase the question with exact column names."
        ) from None
    return AskResult(question, plan, table, notes, png, True, cost, raw2)
