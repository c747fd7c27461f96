"""Rich tables for DataFrames and records (CLI output)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.3f}"
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    return str(v)


def frame_table(df: Any, *, title: str | None = None, index_name: str | None = None) -> Table:
    """A rich table of a DataFrame (index as the first column)."""
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column(index_name or str(df.index.name or ""), style="cyan")
    for c in df.columns:
        table.add_column(str(c), justify="right")
    for idx, row in df.iterrows():
        table.add_row(str(idx), *(_cell(v) for v in row.tolist()))
    return table


def records_table(rows: Sequence[dict[str, Any]], *, title: str | None = None) -> Table:
    """A rich table of a list of dicts sharing keys."""
    table = Table(title=title, title_justify="left", header_style="bold")
    if not rows:
        return table
    keys = list(rows[0].keys())
    for i, k in enumerate(keys):
        table.add_column(str(k), justify="left" if i == 0 else "right")
    for r in rows:
        table.add_row(*(_cell(r.get(k)) for k in keys))
    return table
