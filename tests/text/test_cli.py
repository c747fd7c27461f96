"""`labelwise text ...` commands on real files (in-process runner, plus one real subprocess)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from labelwise.cli.app import app

runner = CliRunner()

ROWS = [
    ("spam", "WINNER!! You have won a £900 prize. Call 09061701461 to claim now"),
    ("spam", "FREE entry in a weekly competition to win cup final tickets, text WIN to 87121"),
    ("ham", "Are we still meeting for lunch tomorrow?"),
    ("ham", "Sorry I'm running late, will call you when I get home"),
    ("ham", "Are we still meeting for lunch tomorrow?"),
    ("ham", ""),
]


@pytest.fixture
def sms_file(tmp_path):
    f = tmp_path / "sms.tsv"
    f.write_text("Label\tSMS\n" + "".join(f"{a}\t{b}\n" for a, b in ROWS), encoding="utf-8")
    return f


def test_text_help_lists_commands():
    res = runner.invoke(app, ["text", "--help"])
    assert res.exit_code == 0
    for cmd in ("explore", "zero-shot", "few-shot", "near-duplicates"):
        assert cmd in res.output


def test_explore_writes_a_report(sms_file, tmp_path):
    out = tmp_path / "report.html"
    res = runner.invoke(
        app,
        [
            "text",
            "explore",
            str(sms_file),
            "--column",
            "SMS",
            "--label",
            "Label",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert out.is_file() and "Label balance" in out.read_text(encoding="utf-8")
    assert "6 texts" in res.output and "1 missing or blank" in res.output


def test_explore_a_folder(tmp_path):
    for lab, text in (("pos", "great stuff"), ("neg", "awful stuff")):
        (tmp_path / "docs" / lab).mkdir(parents=True)
        (tmp_path / "docs" / lab / "1.txt").write_text(text)
    out = tmp_path / "f.html"
    res = runner.invoke(
        app, ["text", "explore", str(tmp_path / "docs"), "--label-from-folder", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "Labels" in res.output and out.is_file()


def test_zero_shot_and_few_shot_write_vote_columns(sms_file, tmp_path):
    cache = tmp_path / "emb.sqlite"
    out = tmp_path / "zs.csv"
    res = runner.invoke(
        app,
        [
            "text",
            "zero-shot",
            str(sms_file),
            "--column",
            "SMS",
            "--out",
            str(out),
            "--labels",
            "spam:you have won a prize, call now to claim|free entry text WIN,"
            "ham:are we meeting later?|I will call you when I get home",
            "--cache",
            str(cache),
            "--no-auto-abstain",  # every text votes (the default abstains on unsure ones)
        ],
    )
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert list(df.columns) == ["Label", "SMS", "zero_shot_label", "zero_shot_confidence"]
    assert df["zero_shot_label"].iloc[:4].tolist() == ["spam", "spam", "ham", "ham"]
    assert pd.isna(df["zero_shot_label"].iloc[5])  # the empty message abstains
    assert "voted on 5" in res.output

    # Few-shot: learn from the labeled rows, label all of them.
    partly = tmp_path / "partly.csv"
    pd.DataFrame(
        {
            "text": [r[1] for r in ROWS[:4]] + ["Claim your free cash prize now", "lunch later?"],
            "y": ["spam", "spam", "ham", "ham", None, None],
        }
    ).to_csv(partly, index=False)
    out2 = tmp_path / "fs.jsonl"
    res = runner.invoke(
        app,
        [
            "text",
            "few-shot",
            str(partly),
            "--label",
            "y",
            "--out",
            str(out2),
            "--cache",
            str(cache),
        ],
    )
    assert res.exit_code == 0, res.output
    got = pd.read_json(out2, lines=True)
    assert got["few_shot_label"].tolist()[-2:] == ["spam", "ham"]


def test_near_duplicates_command(sms_file, tmp_path):
    out = tmp_path / "pairs.csv"
    res = runner.invoke(
        app, ["text", "near-duplicates", str(sms_file), "--threshold", "0.5", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "1 groups of identical texts" in res.output
    assert out.is_file()


def test_bad_input_is_one_clear_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": \n')
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "labelwise",
            "text",
            "zero-shot",
            str(bad),
            "--labels",
            "a:x,b:y",
            "--out",
            str(tmp_path / "o.csv"),
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        env={"LABELWISE_PROGRESS": "0", "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        check=False,
    )
    assert proc.returncode == 2
    assert "line 2" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o.csv").exists()
