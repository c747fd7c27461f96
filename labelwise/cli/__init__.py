"""The ``labelwise`` command line: thin wrappers over the library.

Each ``labelwise/cli/<topic>.py`` module registers its commands on
:data:`labelwise.cli.app.app`; heavy imports happen inside the commands.

Exit codes (the same for every command, see :mod:`labelwise.faults`):

- ``0``: success;
- ``1``: a bug (an unexpected exception; the traceback is printed);
- ``2``: a usage or input error (unknown option, missing file, bad value), one line on
  stderr and nothing written;
- ``3``: a batch finished but more items failed than ``--allow-failures`` permits;
- ``130``: interrupted (Ctrl-C); finished work was written and the run can resume.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import typer
from rich.markup import escape

from labelwise.cli.app import app, err_console
from labelwise.errors import LabelwiseError, MissingDependencyError
from labelwise.faults import EXIT_INTERRUPTED, EXIT_USAGE

__all__ = ["app", "main"]

# Command modules, in the order their commands appear in --help.
_COMMAND_MODULES = (
    "label",
    "demo",
    "explore",
    "learn",
    "text",
    "llm",
    "project",
    "image",
    "audio",
    "video",
)

for _name in _COMMAND_MODULES:
    if importlib.util.find_spec(f"labelwise.cli.{_name}") is not None:
        importlib.import_module(f"labelwise.cli.{_name}")


def _usage_exceptions() -> tuple[type[BaseException], ...]:
    """The exception classes the CLI parser raises for bad usage.

    typer >= 0.29 vendors its own click (``typer._click``) whose exceptions derive from
    :class:`typer.TyperException`; older typer versions used the ``click`` package. Both are
    caught so an unknown option never ends in a traceback.
    """
    classes: list[type[BaseException]] = [typer.TyperException]
    try:  # pragma: no cover - only with a typer that still uses the click package
        import click

        classes.append(click.ClickException)
    except ImportError:  # pragma: no cover
        pass
    return tuple(classes)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _usage_message(exc: Any) -> str:
    """``error: <message> (see 'labelwise <command> --help')`` on one line."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    ctx = getattr(exc, "ctx", None)
    hint = ""
    if ctx is not None and getattr(ctx, "command_path", None):
        hint = f" (see '{ctx.command_path} --help')"
    return _one_line(f"{message}{hint}")


def _exit_code(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int):
        return value
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and exit with the command's code (see the module docstring).

    Usage and input errors print one line on stderr and exit 2; a command's
    ``typer.Exit(code)`` becomes the process exit code; Ctrl-C exits 130.
    """
    usage = _usage_exceptions()
    try:
        rv = app(args=argv, standalone_mode=False, prog_name="labelwise")
    except (LabelwiseError, MissingDependencyError, FileNotFoundError, IsADirectoryError) as exc:
        err_console.print(
            f"[bold red]error:[/bold red] {escape(_one_line(str(exc)))}",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(EXIT_USAGE)
    except usage as exc:
        code = int(getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE)
        err_console.print(
            f"[bold red]error:[/bold red] {escape(_usage_message(exc))}",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(code)
    except (typer.Abort, KeyboardInterrupt, EOFError):
        err_console.print("interrupted", highlight=False)
        sys.exit(EXIT_INTERRUPTED)
    code = _exit_code(rv)
    if code == EXIT_INTERRUPTED:
        # typer turns Ctrl-C into Exit(130); batch commands print their own summary first.
        err_console.print("interrupted (exit 130)", highlight=False)
    sys.exit(code)
