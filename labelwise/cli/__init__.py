"""The ``labelwise`` command line: thin wrappers over the library.

Each ``labelwise/cli/<topic>.py`` module registers its commands on
:data:`labelwise.cli.app.app`; heavy imports happen inside the commands.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from labelwise.cli.app import app, err_console
from labelwise.errors import LabelwiseError, MissingDependencyError

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
)

for _name in _COMMAND_MODULES:
    if importlib.util.find_spec(f"labelwise.cli.{_name}") is not None:
        importlib.import_module(f"labelwise.cli.{_name}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; input errors print one clear line (no traceback) and exit 2."""
    try:
        rc = app(args=argv, standalone_mode=False)
        # With standalone_mode=False click *returns* the code of `raise typer.Exit(code)`.
        if isinstance(rc, int) and rc != 0:
            sys.exit(rc)
    except (LabelwiseError, MissingDependencyError, FileNotFoundError) as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(130)
    return 0
