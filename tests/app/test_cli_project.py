"""``labelwise project ...`` commands on a real project folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from labelwise.app import Store
from labelwise.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """
title: Spam
object: {type: text, field: text}
controls:
  - {name: label, type: choices, labels: [ham, spam]}
"""


def test_create_import_users_export(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "proj"
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(CONFIG)
    r = runner.invoke(
        app, ["project", "create", str(folder), "spam", "--config", str(cfg), "--overlap", "2"]
    )
    assert r.exit_code == 0, r.output
    tasks = tmp_path / "sms.jsonl"
    tasks.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": f"m{i}",
                    "data": {"text": t},
                    "annotations": [{"annotator": "old", "result": {"label": lab}}],
                }
            )
            for i, (t, lab) in enumerate([("win a prize", "spam"), ("see you at 5", "ham")])
        )
    )
    r = runner.invoke(app, ["project", "import", str(folder), "spam", str(tasks)])
    assert r.exit_code == 0 and "imported 2 tasks, 2 annotations" in r.output, r.output
    r = runner.invoke(
        app,
        [
            "project",
            "users",
            "add",
            str(folder),
            "ann",
            "--password",
            "annotator-pw",
            "--project",
            "spam",
            "--token",
        ],
    )
    assert r.exit_code == 0 and "API token" in r.output, r.output
    r = runner.invoke(app, ["project", "users", "list", str(folder)])
    assert "ann" in r.output and "old" in r.output
    out = tmp_path / "out.json"
    r = runner.invoke(
        app, ["project", "export", str(folder), "spam", str(out), "--format", "label_studio"]
    )
    assert r.exit_code == 0, r.output
    exported = json.loads(out.read_text())
    assert [t["annotations"][0]["result"][0]["value"]["choices"] for t in exported] == [
        ["spam"],
        ["ham"],
    ]
    with Store.open(folder) as store:
        p = store.get_project("spam")
        assert p.overlap == 2 and [u.username for u in store.members(p.id)] == ["ann"]
    html = tmp_path / "report.html"
    r = runner.invoke(app, ["project", "report", str(folder), "spam", str(html)])
    assert r.exit_code == 0, r.output
    page = html.read_text()
    assert (
        "Label distribution" in page and "Krippendorff" not in page
    )  # one annotator: no alpha yet
    # a round trip through the exported file into a new project
    r = runner.invoke(app, ["project", "create", str(folder), "copy", "--config", str(cfg)])
    r = runner.invoke(
        app, ["project", "import", str(folder), "copy", str(out), "--format", "label_studio"]
    )
    assert r.exit_code == 0 and "2 annotations" in r.output, r.output


def test_errors_are_one_line_with_exit_code_2(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("object: {type: text}\ncontrols: [{name: x, type: boxes, labels: [a]}]\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "labelwise",
            "project",
            "create",
            str(tmp_path / "p"),
            "x",
            "--config",
            str(cfg),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "cannot annotate a text object" in proc.stderr and "Traceback" not in proc.stderr
