"""Every command, through the installed entry point: a bad option and a missing input file
give one line on stderr and exit 2 (no traceback)."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import typer.main

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clitools import error_lines, run_cli

from labelwise.cli import app

MISSING = "no-such-input.csv"

# Commands whose required arguments need meaningful values to reach the input file.
# {missing} is the absent input, {out} a writable output path. None: the command has no
# input file that must exist (its folder is created when missing, or it takes none).
_MISSING_FILE_ARGS: dict[str, list[str] | None] = {
    "label": ["{missing}", "--rules", "{missing}", "--out", "{out}.parquet"],
    "demo": None,
    "serve": None,
    "image train": ["{missing}"],
    "image convert": [
        "--from",
        "yolo",
        "--to",
        "coco",
        "--input",
        "{missing}",
        "--output",
        "{out}.json",
    ],
    "image validate": ["--format", "yolo", "{missing}"],
    "text zero-shot": ["{missing}", "--labels", "a,b", "--out", "{out}.csv"],
    "llm classify": ["{missing}", "--column", "text", "--labels", "a,b", "--out", "{out}.csv"],
    "llm taxonomy": [
        "{missing}",
        "--column",
        "text",
        "--taxonomy",
        "{missing}",
        "--out",
        "{out}.csv",
    ],
    "llm rows": [
        "{missing}",
        "--examples",
        "{missing}",
        "--label-column",
        "y",
        "--out",
        "{out}.csv",
    ],
    "ask": ["{missing}", "how many rows"],
    "project create": ["{tmp}/proj", "p", "--config", "{missing}"],
    "project list": None,
    "project import": ["{tmp}/proj", "p", "{missing}"],
    "project export": ["{tmp}/proj", "p", "{out}.json"],
    "project report": ["{tmp}/proj", "p", "{out}.html"],
    "project users list": None,
    "project users add": None,
    "project users set": None,
    "project users token": None,
    "project users member": None,
    # these create the project folder when missing, like the other user commands
    "project users tokens": None,
    "project users revoke-token": None,
    "video track": ["{missing}", "--config", "{missing}", "--out", "{out}.jsonl"],
    "video export": ["{missing}", "--config", "{missing}", "--format", "mot", "--out", "{out}"],
}


def _commands() -> list[tuple[str, object]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, object]] = []

    def walk(cmd: object, path: list[str]) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                walk(sub, [*path, name])
        else:
            found.append((" ".join(path), cmd))

    walk(root, [])
    return found


COMMANDS = _commands()


def _generic_args(cmd: object) -> list[str]:
    """The first argument is the missing input; other required values are placeholders."""
    args: list[str] = []
    first = True
    for p in getattr(cmd, "params", []):
        if not p.required:
            continue
        if p.param_type_name == "argument":
            args.append("{missing}" if first else "x")
            first = False
        else:
            args += [p.opts[0], "{out}.csv" if p.name in ("out", "output") else "a,b"]
    return args


def _missing_file_cases() -> list[tuple[str, list[str]]]:
    cases = []
    for name, cmd in COMMANDS:
        args = _MISSING_FILE_ARGS.get(name, _generic_args(cmd))
        if args is not None:
            cases.append((name, args))
    return cases


def test_every_command_is_known():
    names = {n for n, _ in COMMANDS}
    assert {"text explore", "llm classify", "image validate", "ask", "label"} <= names


def _bad_option(name: str, cwd: Path):
    return run_cli(*name.split(), "--no-such-option", cwd=cwd)


def test_bad_option_is_one_line_and_exit_2_for_every_command(tmp_path: Path):
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda nc: (nc[0], _bad_option(nc[0], tmp_path)), COMMANDS))
    problems = []
    for name, res in results:
        lines = error_lines(res.stderr)
        if res.returncode != 2 or len(lines) != 1 or "Traceback" in res.stderr:
            problems.append(f"{name}: exit {res.returncode}, stderr {res.stderr[-400:]!r}")
        elif "--no-such-option" not in lines[0] or not lines[0].startswith("error:"):
            problems.append(f"{name}: unclear message {lines[0]!r}")
    assert not problems, "\n".join(problems)


def test_missing_input_file_is_one_line_and_exit_2_for_every_command(tmp_path: Path):
    cases = _missing_file_cases()
    assert len(cases) >= 25

    def one(case: tuple[str, list[str]]):
        name, args = case
        filled = [
            a.format(missing=MISSING, out=str(tmp_path / "out"), tmp=str(tmp_path)) for a in args
        ]
        return name, run_cli(*name.split(), *filled, cwd=tmp_path)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one, cases))
    problems = []
    for name, res in results:
        lines = error_lines(res.stderr)
        if res.returncode != 2 or len(lines) != 1 or "Traceback" in res.stderr:
            problems.append(f"{name}: exit {res.returncode}, stderr {res.stderr[-600:]!r}")
        elif "no-such-input" not in lines[0] and not (
            name.startswith("project") and "no project 'p'" in lines[0]
        ):
            problems.append(f"{name}: the error does not name the missing input: {lines[0]!r}")
    assert not problems, "\n".join(problems)
    # Nothing was written for a failed input.
    assert not list(tmp_path.glob("out*")) and not (tmp_path / MISSING).exists()


def test_unknown_command_and_no_args(tmp_path: Path):
    res = run_cli("no-such-command", cwd=tmp_path)
    assert res.returncode == 2
    assert len(error_lines(res.stderr)) == 1 and "no-such-command" in res.stderr
    res = run_cli("text", "explore", cwd=tmp_path)  # missing required argument
    assert res.returncode == 2
    assert len(error_lines(res.stderr)) == 1 and "DATA" in res.stderr.upper()


@pytest.mark.parametrize("value", ["abc", "-5x"])
def test_bad_option_value(tmp_path: Path, value: str):
    res = run_cli("text", "explore", "x.csv", "--threshold", value, cwd=tmp_path)
    assert res.returncode == 2
    assert len(error_lines(res.stderr)) == 1 and "--threshold" in res.stderr
