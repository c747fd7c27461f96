"""The root ``labelwise`` Typer application; command modules attach to it."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

app = typer.Typer(
    name="labelwise",
    help="Turn unlabeled data into training labels: rules, models, LLMs and humans, "
    "aggregated by label models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Human-facing output (tables, summaries) goes to stdout; errors to stderr.
# Piped output (CI logs, files) gets a wide console so tables are not truncated.
console = Console(width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 140)
