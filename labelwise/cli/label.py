"""``labelwise label``: rules over a table -> label model -> labeled file."""

from __future__ import annotations

from pathlib import Path

import typer

from labelwise.cli.app import app, console, err_console
from labelwise.faults import EXIT_FAILED_ITEMS, EXIT_USAGE
from labelwise.pipeline import LabelingRun


@app.command("label")
def label_command(
    data: Path = typer.Argument(..., help="Items to label: CSV, TSV, Parquet or JSONL."),
    rules: Path = typer.Option(
        ..., "--rules", "-r", help="Python file defining labeling functions."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output file (.parquet, .csv, .tsv or .jsonl)."
    ),
    model: str = typer.Option(
        "auto",
        "--model",
        "-m",
        help="Label model: auto (majority vote unless a model beats it on gold and passes its guards), mv, wv, ds, snorkel (MeTaL-style), triplet.",
    ),
    gold: str | None = typer.Option(
        None, "--gold", help="Column with gold labels (default: GOLD in the rules file)."
    ),
    labels: str | None = typer.Option(
        None, "--labels", help="Comma-separated class names (default: LABELS in the rules file)."
    ),
    dev_size: int = typer.Option(200, help="Gold rows used to choose the label model."),
    backend: str = typer.Option("pandas", help="Where rules run: pandas (in-process) or dask."),
    scheduler: str | None = typer.Option(
        None, help="Dask scheduler address (default: local cluster)."
    ),
    na_values: str | None = typer.Option(
        None, help="Extra missing-value markers, comma-separated (e.g. '?')."
    ),
    matrix_out: Path | None = typer.Option(
        None, help="Also write the label matrix to this Parquet file."
    ),
    strict: bool = typer.Option(
        False,
        help="Exit with code 3 when any rule raised on any row (labels are still written).",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Write the labels of a model chosen with --model even when its guards say it "
        "looks worse than majority vote.",
    ),
    seed: int = typer.Option(0, help="Random seed (dev split, tie breaking)."),
) -> None:
    """Apply the rules in RULES to DATA, print diagnostics, fit a label model and write
    DATA with label, confidence and per-class probability columns to OUT."""
    from labelwise.io import read_table, write_table
    from labelwise.labeling import LabelSpace, load_rules
    from labelwise.pipeline import label_table, labeled_frame

    rules_mod = load_rules(rules)
    na = na_values.split(",") if na_values else rules_mod.na_values
    df = read_table(data, na_values=na)
    space = LabelSpace(labels.split(",")) if labels else rules_mod.label_space
    gold_col = gold or rules_mod.gold_column
    gold_values = None
    if gold_col is not None:
        if gold_col not in df.columns:
            from labelwise.errors import DataError

            raise DataError(
                f"gold column {gold_col!r} is not in {str(data)!r}; columns: {list(df.columns)}"
            )
        gold_values = df[gold_col].tolist()
    run = label_table(
        df,
        rules_mod.lfs,
        label_space=space,
        model=model,
        gold=gold_values,
        dev_size=dev_size,
        backend=backend,
        scheduler=scheduler,
        seed=seed,
    )
    print_run(run, title=f"{len(rules_mod.lfs)} rules on {len(df):,} rows of {data.name}")
    guards = run.guards
    if guards is not None and not guards.ok and model != "auto" and not force:
        err_console.print(
            f"[red]refused:[/red] {guards.message()}\nNothing was written to {out}. Re-run "
            "with --force to write these labels anyway, or use --model auto / --model mv."
        )
        raise typer.Exit(EXIT_USAGE)
    labeled = labeled_frame(df, run)
    if "label_pred" in labeled.columns:
        console.print(
            "[yellow]note:[/yellow] the input already has a label/confidence/prob_* column; "
            "predictions are written as *_pred columns"
        )
    write_table(labeled, out)
    if matrix_out is not None:
        run.L.to_parquet(matrix_out)
        console.print(f"label matrix -> {matrix_out}")
    console.print(f"labeled data -> [bold]{out}[/bold]")
    if strict and run.fault_counts:
        failed = ", ".join(f"{name} ({n:,} rows)" for name, n in run.fault_counts.items())
        err_console.print(f"[red]--strict:[/red] rules raised on some rows: {failed}")
        raise typer.Exit(EXIT_FAILED_ITEMS)


def print_run(run: LabelingRun, *, title: str) -> None:
    """Diagnostics, model choice and evaluation of a labeling run."""
    from labelwise.cli._tables import frame_table, records_table

    console.print(frame_table(run.summary, title=f"Labeling functions: {title}", index_name="rule"))
    console.print(
        f"coverage: {run.L.coverage():.1%} of items have at least one vote; "
        f"model: [bold]{run.model_name}[/bold]"
    )
    if run.selection:
        console.print(records_table(run.selection, title="Model selection on the gold dev set"))
    if run.evaluation:
        console.print(
            records_table(run.evaluation, title="Held-out gold (rows not used to choose)")
        )
    for note in run.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    if run.guards is not None and not run.guards.ok:
        console.print(records_table(run.guards.as_records(), title="Label-model guards"))
    for line in run.rule_faults:
        console.print(f"[red]rule failed:[/red] {line}")
