"""The `labelwise` command: real subprocesses, real files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

RULES = """
from labelwise.labeling import ABSTAIN, labeling_function, threshold, keyword

LABELS = ["ham", "spam"]
GOLD = "truth"

money = keyword("text", ["cash", "prize"], 1, name="money")
greeting = keyword("text", ["hi", "see you"], 0, name="greeting")
long_text = threshold("length", ">", 40, 1, name="long_text")

@labeling_function()
def shouting(x):
    return 1 if x.text.isupper() else ABSTAIN
"""


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labelwise", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        env={"LABELWISE_PROGRESS": "0", "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    spam = ["WIN CASH NOW", "claim your prize today, cash waiting for you!!", "cash prize"]
    ham = ["hi, see you at lunch", "hi there", "see you tomorrow at the station ok"]
    rows = []
    for i in range(300):
        is_spam = i % 3 == 0
        text = spam[rng.integers(0, 3)] if is_spam else ham[rng.integers(0, 3)]
        rows.append({"text": text, "length": len(text), "truth": "spam" if is_spam else "ham"})
    pd.DataFrame(rows).to_csv(tmp_path / "msgs.csv", index=False)
    (tmp_path / "rules.py").write_text(RULES)
    return tmp_path


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_label_writes_labels_and_probabilities(project: Path, suffix: str):
    out = project / f"labeled{suffix}"
    res = run_cli(
        "label",
        "msgs.csv",
        "--rules",
        "rules.py",
        "--out",
        out.name,
        "--dev-size",
        "50",
        cwd=project,
    )
    assert res.returncode == 0, res.stderr
    assert "Labeling functions" in res.stdout and "money" in res.stdout
    df = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert {"label", "confidence", "prob_ham", "prob_spam", "n_votes"} <= set(df.columns)
    np.testing.assert_allclose(df.prob_ham + df.prob_spam, 1.0, atol=1e-6)
    covered = df.n_votes > 0
    assert (df.label[covered] == df.truth[covered]).mean() > 0.95


@pytest.mark.parametrize("model", ["mv", "ds"])
def test_label_with_named_model_and_matrix_output(project: Path, model: str):
    res = run_cli(
        "label",
        "msgs.csv",
        "-r",
        "rules.py",
        "-o",
        "out.csv",
        "--model",
        model,
        "--matrix-out",
        "L.parquet",
        cwd=project,
    )
    assert res.returncode == 0, res.stderr
    from labelwise.labeling import LabelMatrix

    L = LabelMatrix.from_parquet(project / "L.parquet")
    assert L.names == ["money", "greeting", "long_text", "shouting"]
    assert L.label_space is not None and L.label_space.names == ["ham", "spam"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["label", "missing.csv", "-r", "rules.py", "-o", "o.csv"], "does not exist"),
        (
            ["label", "msgs.csv", "-r", "nope.py", "-o", "o.csv"],
            "rules file 'nope.py' does not exist",
        ),
        (
            ["label", "msgs.csv", "-r", "empty_rules.py", "-o", "o.csv"],
            "defines no labeling functions",
        ),
        (
            ["label", "broken.parquet", "-r", "rules.py", "-o", "o.csv"],
            "could not read 'broken.parquet' as PARQUET",
        ),
        (["label", "empty.csv", "-r", "rules.py", "-o", "o.csv"], "no rows"),
        (
            ["label", "msgs.csv", "-r", "rules.py", "-o", "o.csv", "--gold", "nah"],
            "gold column 'nah'",
        ),
        (["label", "msgs.csv", "-r", "bad_vote.py", "-o", "o.csv"], "returned 'spam' (str)"),
        (["label", "msgs.csv", "-r", "rules.py", "-o", "o.xlsx"], "unknown extension"),
    ],
)
def test_bad_input_is_one_clear_line(project: Path, args: list[str], message: str):
    (project / "empty_rules.py").write_text("X = 1\n")
    (project / "broken.parquet").write_text("this is not parquet")
    (project / "empty.csv").write_text("text,length,truth\n")
    (project / "bad_vote.py").write_text(
        "from labelwise.labeling import labeling_function\n"
        "@labeling_function()\ndef lf(x):\n    return 'spam'\n"
    )
    res = run_cli(*args, cwd=project)
    assert res.returncode == 2
    assert message in res.stderr
    assert "Traceback" not in res.stderr


def test_every_command_has_help():
    from typer.main import get_command

    from labelwise.cli.app import app

    group = get_command(app)
    names = list(group.commands)  # type: ignore[attr-defined]
    assert {"label", "demo"} <= set(names)
    for name in names:
        res = run_cli(name, "--help")
        assert res.returncode == 0, (name, res.stderr)
        assert "Usage" in res.stdout


def test_existing_label_column_is_kept(project: Path):
    df = pd.read_csv(project / "msgs.csv")
    df["label"] = "original"
    df.to_csv(project / "with_label.csv", index=False)
    res = run_cli("label", "with_label.csv", "-r", "rules.py", "-o", "out.csv", cwd=project)
    assert res.returncode == 0, res.stderr
    out = pd.read_csv(project / "out.csv")
    assert (out["label"] == "original").all()
    assert {"label_pred", "confidence_pred", "prob_spam_pred"} <= set(out.columns)
