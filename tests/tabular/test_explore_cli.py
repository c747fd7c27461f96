"""`labelwise explore` as a user runs it: a real process, real files, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
# Run the installed entry point's code (labelwise.cli.main) in a fresh interpreter, so the
# test does not depend on whether the console script was installed into this venv.
ENTRY = "import sys; from labelwise.cli import main; sys.exit(main(sys.argv[1:]))"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), LABELWISE_PROGRESS="0", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame(
        {
            "hours.per.week": rng.integers(10, 60, n),
            "job": rng.choice(["a", "b", "?"], n),
            "same": 1,
            "label": np.where(rng.random(n) < 0.85, "no", "yes"),
        }
    )
    path = tmp_path_factory.mktemp("cli") / "people.csv"
    df.to_csv(path, index=False)
    return path


def test_explore_writes_report_and_prints_summary(small_csv, tmp_path):
    out = tmp_path / "people.html"
    r = run_cli(
        "explore",
        str(small_csv),
        "--target",
        "label",
        "--na-values",
        "?",
        "-o",
        str(out),
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert out.exists() and out.stat().st_size > 10_000
    assert f"Report: {out}" in r.stdout
    assert "600 rows, 4 columns" in r.stdout
    assert "target 'label' (classification)" in r.stdout
    assert "constant: 'same'" in r.stdout
    html = out.read_text(encoding="utf-8")
    assert "Class balance" in html and "Outliers (IQR)" in html
    # '?' was read as missing, so no placeholder alert is left.
    assert "placeholder" not in r.stdout


def test_explore_default_output_goes_to_the_current_folder(small_csv, tmp_path):
    r = run_cli("explore", str(small_csv), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "people.explore.html").exists()
    assert "placeholder: 'job'" in r.stdout  # the '?' markers are pointed out


def test_missing_target_is_a_clear_error(small_csv, tmp_path):
    r = run_cli("explore", str(small_csv), "--target", "hours_per_week", cwd=tmp_path)
    assert r.returncode == 2
    err = " ".join(r.stderr.split())
    assert "target column 'hours_per_week' is not in the table" in err
    assert "did you mean 'hours.per.week'" in err
    assert "Traceback" not in r.stderr
    assert not list(tmp_path.glob("*.html"))


def test_unreadable_and_empty_files_are_clear_errors(tmp_path):
    missing = run_cli("explore", str(tmp_path / "nope.csv"), cwd=tmp_path)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    binary = tmp_path / "broken.parquet"
    binary.write_bytes(b"\x00\x01 not parquet at all")
    broken = run_cli("explore", str(binary), cwd=tmp_path)
    assert broken.returncode == 2 and "could not read" in broken.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    r = run_cli("explore", str(empty), cwd=tmp_path)
    assert r.returncode == 2 and "no rows" in r.stderr
    bad_task = run_cli("explore", str(empty), "--task", "ranking", cwd=tmp_path)
    assert bad_task.returncode == 2 and "--task must be" in bad_task.stderr
    assert "Traceback" not in broken.stderr + r.stderr + missing.stderr
