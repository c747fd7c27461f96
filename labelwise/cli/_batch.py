"""What every batch command shares: ``--allow-failures``, the summary line and the exit code.

A batch command builds a :class:`~labelwise.faults.BatchSummary` and ends with
:func:`finish_batch`, which prints ``summary.render()`` and exits with
``summary.exit_code(allow_failures)`` (0, 3 for failed items, 130 when interrupted).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from labelwise.cli.app import console, err_console
from labelwise.errors import DataError
from labelwise.faults import EXIT_OK, BatchSummary

AllowFailures = Annotated[
    int,
    typer.Option(
        "--allow-failures",
        min=0,
        help="Exit 0 when at most this many items failed (default 0: any failed item gives "
        "exit code 3).",
    ),
]


def require_path(path: Path | None, what: str, *, kind: str = "any") -> None:
    """Raise a one-line :class:`DataError` when an input ``path`` does not exist.

    ``kind`` is ``"file"``, ``"dir"`` or ``"any"``.
    """
    if path is None:
        return
    p = Path(path)
    if not p.exists():
        raise DataError(f"{what} {str(p)!r} does not exist; check the path")
    if kind == "file" and not p.is_file():
        raise DataError(f"{what} {str(p)!r} is a folder; give a file")
    if kind == "dir" and not p.is_dir():
        raise DataError(f"{what} {str(p)!r} is not a folder")


def finish_batch(summary: BatchSummary, allow_failures: int = 0, *, first: int = 5) -> int:
    """Print the summary (to stderr when something failed) and exit with its code.

    Returns normally only when the exit code is 0 (so the caller can go on printing).
    """
    code = summary.exit_code(allow_failures)
    text = summary.render(first=first)
    target: Any = console if code == EXIT_OK and not summary.faults.errors else err_console
    target.print(text, highlight=False, soft_wrap=True, markup=False)
    if code != EXIT_OK:
        if summary.failed and not summary.interrupted:
            err_console.print(
                f"{summary.failed} {summary.what} failed (allowed: {allow_failures}); "
                f"exit code {code}. Pass --allow-failures N to accept up to N failed items.",
                highlight=False,
                soft_wrap=True,
                markup=False,
            )
        raise typer.Exit(code)
    return code
