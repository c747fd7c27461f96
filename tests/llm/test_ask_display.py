"""`labelwise ask` with hostile data and hostile model replies, through the entry point."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

# Resolve the function labelwise.llm.ask before importing the submodule of the same name:
# importing labelwise.llm.ask first would leave the package attribute ``ask`` pointing at
# the module for every later ``from labelwise.llm import ask`` (see the report).
from labelwise.llm import LocalChatServer, PlanError, ask  # noqa: F401
from labelwise.llm.ask import Chart, render_chart, validate_plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from clitools import error_lines, run_cli

HOSTILE = [
    "[/x]",
    "[bold red]hidden[/]",
    "bell\x07 and \x1b[2J clear",
    "[link=http://e.vil]x[/link]",
]


@pytest.fixture
def hostile_csv(tmp_path: Path) -> Path:
    path = tmp_path / "t.csv"
    pd.DataFrame({"name": HOSTILE, "[red]col[/]": [1, 2, 3, 4]}).to_csv(path, index=False)
    return path


def _ask(path: Path, server: LocalChatServer, *extra: str):
    return run_cli(
        "ask", str(path), "show everything", "--base-url", server.base_url, "--no-cache", *extra,
        cwd=path.parent,
    )  # fmt: skip


def test_data_values_are_never_markup_or_escape_sequences(hostile_csv: Path):
    plan = {
        "explanation": "[blink]all rows[/blink] \x1b[31m",
        "steps": [{"op": "select", "columns": ["name", "[red]col[/]"]}],
    }
    with LocalChatServer(lambda req: json.dumps(plan)) as server:
        res = _ask(hostile_csv, server)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    for value in ("[/x]", "[bold red]hidden[/]", "[link=http://e.vil]x[/link]", "[red]col[/]"):
        assert value in out
    assert "[blink]all rows[/blink]" in out
    assert "\x1b" not in out and "\x07" not in out
    assert "clear" in out


def test_empty_plan_and_deeply_nested_reply_are_one_line_errors(hostile_csv: Path):
    with LocalChatServer(lambda req: json.dumps({"steps": []})) as server:
        res = _ask(hostile_csv, server)
    assert res.returncode == 2 and len(error_lines(res.stderr)) == 1
    assert "empty" in res.stderr
    with LocalChatServer(lambda req: "[" * 100_000) as server:
        res = _ask(hostile_csv, server)
    assert res.returncode == 2 and len(error_lines(res.stderr)) == 1
    assert "RecursionError" not in res.stderr and "nested" in res.stderr


def test_empty_plan_is_refused_in_the_library():
    with pytest.raises(PlanError, match="empty"):
        validate_plan({"steps": []})


def test_line_chart_over_many_categories_is_capped_with_a_note():
    table = pd.DataFrame({"city": [f"c{i}" for i in range(300)], "n": range(300)})
    notes: list[str] = []
    png = render_chart(table, Chart(kind="line", x="city", y="n"), notes=notes)
    assert png[:4] == b"\x89PNG"
    assert notes == ["the line chart shows the first 50 of 300 categories"]
    numeric = pd.DataFrame({"x": range(5_000), "y": range(5_000)})
    notes = []
    render_chart(numeric, Chart(kind="line", x="x", y="y"), notes=notes)
    assert notes == ["the chart shows 1 point in 3 of 5000"]


def test_ask_against_llamacpp_falls_back_from_json_schema(hostile_csv: Path):
    plan = {"steps": [{"op": "select", "columns": ["name"]}]}
    with LocalChatServer(lambda req: json.dumps(plan), flavor="llamacpp") as server:
        res = _ask(hostile_csv, server)
        kinds = [(r.body.get("response_format") or {}).get("type") for r in server.requests]
    assert res.returncode == 0, res.stderr
    assert kinds[0] == "json_schema" and kinds[-1] == "json_object"
