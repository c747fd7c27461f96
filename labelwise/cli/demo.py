"""``labelwise demo``: the main job end to end on bundled sample data."""

from __future__ import annotations

from pathlib import Path

import typer

from labelwise.cli.app import app, console


@app.command("demo")
def demo_command(
    out: Path = typer.Option(Path("demo_output"), "--out", "-o", help="Folder for the outputs."),
    seed: int = typer.Option(0, help="Random seed."),
) -> None:
    """Label a UCI Adult sample with income rules, compare label models with majority vote
    on held-out gold, and write labeled data, the label matrix and an HTML report."""
    from labelwise.cli._tables import records_table
    from labelwise.cli.label import print_run
    from labelwise.demo import run_demo, sample_data_path, sample_rules_path

    console.rule("labelwise demo")
    console.print(f"data:  {sample_data_path()}\nrules: {sample_rules_path()}")
    result = run_demo(out, seed=seed)
    print_run(result.run, title="income rules on 4,000 Adult rows")
    console.print(records_table(result.comparison, title="Every label model on held-out gold"))
    console.rule("outputs")
    for what, path in result.outputs.items():
        console.print(f"{what:>20}: {path}")
