"""``labelwise explore``: one self-contained HTML report about a table."""

from __future__ import annotations

from pathlib import Path

import typer

from labelwise.cli.app import app, console


def _split_markers(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    out: list[str] = []
    for v in values:
        out.extend(v.split(","))
    return out


@app.command("explore")
def explore_command(
    data: Path = typer.Argument(..., help="Table to explore: CSV, TSV, Parquet or JSONL."),
    target: str | None = typer.Option(
        None,
        "--target",
        "-t",
        help="Label column: adds class balance, per-class aggregates and plots against it.",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Where to write the HTML report (default: <data stem>.explore.html here).",
    ),
    na_values: list[str] | None = typer.Option(
        None,
        "--na-values",
        help="Extra missing-value markers, comma-separated or repeated (e.g. '?').",
    ),
    task: str = typer.Option(
        "auto",
        help="How to treat the target: auto (numeric with many values = regression), "
        "classification or regression.",
    ),
    sample_rows: int = typer.Option(
        50_000, help="Rows sampled for box plots and hexbins; statistics use every row."
    ),
    seed: int = typer.Option(0, help="Seed of the plot sample."),
    max_alerts: int = typer.Option(10, help="At most this many alerts are printed."),
) -> None:
    """Write an HTML report on DATA (types, missing values, duplicates, statistics,
    distributions, correlations, outliers, alerts) and print a short summary."""
    import time

    from rich.markup import escape

    from labelwise.errors import DataError
    from labelwise.tabular import explore_file

    if task not in ("auto", "classification", "regression"):
        raise DataError(f"--task must be auto, classification or regression, not {task!r}")
    started = time.perf_counter()
    path, prof = explore_file(
        data,
        out=out,
        target=target,
        na_values=_split_markers(na_values),
        task=task,  # type: ignore[arg-type]
        sample_rows=sample_rows,
        seed=seed,
    )
    alerts = prof["alerts"]
    console.print(f"[bold]Report:[/bold] {escape(str(path))}", highlight=False)
    summary = (
        f"{prof['n_rows']:,} rows, {prof['n_columns']} columns, "
        f"{prof['n_missing_cells']:,} missing cells, {prof['n_duplicates']:,} duplicate rows, "
        f"{len(alerts)} alerts"
    )
    if prof["target"]:
        summary += f"; target {prof['target']['name']!r} ({prof['target']['task']})"
    console.print(escape(summary), highlight=False)
    colours = {"error": "red", "warning": "yellow", "info": "cyan"}
    for a in alerts[:max_alerts]:
        console.print(
            f"  [{colours.get(a.level, 'white')}]{a.level:<7}[/] {a.kind}: {escape(a.message)}",
            highlight=False,
            soft_wrap=True,
        )
    if len(alerts) > max_alerts:
        console.print(f"  ... and {len(alerts) - max_alerts} more in the report", highlight=False)
    console.print(f"done in {time.perf_counter() - started:.1f} s", style="dim", highlight=False)
