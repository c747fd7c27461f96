"""``labelwise issues | pseudo-label | clusters | agreement`` on generated files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import labelwise.cli  # noqa: F401  (registers the command modules)
from labelwise.cli.app import app

runner = CliRunner()


@pytest.fixture
def noisy_csv(tmp_path: Path, blob_factory: Any) -> tuple[Path, np.ndarray]:
    b = blob_factory(n_per_class=80, spread=1.0, seed=3)
    names = np.array(["ant", "bee", "cat"], dtype=object)
    y = names[b.y_true].copy()
    rng = np.random.default_rng(3)
    wrong = rng.choice(len(y), 12, replace=False)
    y[wrong] = names[(b.y_true[wrong] + 1) % 3]
    df = b.X.assign(kind=y, site=rng.choice(["north", "south"], len(y)))
    path = tmp_path / "items.csv"
    df.to_csv(path, index=False)
    return path, np.sort(wrong)


def test_issues_command(noisy_csv: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    path, wrong = noisy_csv
    out = tmp_path / "issues.csv"
    res = runner.invoke(
        app, ["issues", str(path), "--label", "kind", "--out", str(out), "--top", "5"]
    )
    assert res.exit_code == 0, res.output
    assert "look mislabeled" in res.output
    flagged = pd.read_csv(out)
    assert np.isin(flagged["row"].head(12), wrong).mean() >= 0.8
    assert set(flagged["given_label"]) <= {"ant", "bee", "cat"}


def test_pseudo_label_command(tmp_path: Path, blob_factory: Any) -> None:
    b = blob_factory(seed=4)
    df = b.X.assign(label=np.where(b.y >= 0, b.y.astype(float), np.nan))
    path = tmp_path / "partial.csv"
    df.to_csv(path, index=False)
    out = tmp_path / "pseudo.csv"
    report = tmp_path / "pseudo.html"
    res = runner.invoke(
        app,
        [
            "pseudo-label",
            str(path),
            "-l",
            "label",
            "-o",
            str(out),
            "--threshold",
            "0.9",
            "--report",
            str(report),
        ],
    )
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out)
    assert {"pseudo_label", "pseudo_confidence"} <= set(got.columns)
    mask = got["pseudo_label"].notna() & got["label"].isna()
    assert mask.sum() > 200
    assert (
        got.loc[mask, "pseudo_label"].astype(int).to_numpy() == b.y_true[mask.to_numpy()]
    ).mean() > 0.95
    assert report.stat().st_size > 5_000


def test_clusters_command(tmp_path: Path, blob_factory: Any) -> None:
    b = blob_factory(labeled_per_class=3, seed=5)
    df = b.X.assign(label=np.where(b.y >= 0, b.y.astype(float), np.nan))
    path = tmp_path / "clusters.csv"
    df.to_csv(path, index=False)
    report, out = tmp_path / "k.html", tmp_path / "clustered.csv"
    res = runner.invoke(
        app,
        [
            "clusters",
            str(path),
            "-l",
            "label",
            "--k-max",
            "6",
            "--report",
            str(report),
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out)
    assert got["cluster"].nunique() == 3
    assert (got["cluster_label"].to_numpy() == b.y_true).mean() > 0.98
    assert "data:image/png" in report.read_text()
    unlabeled = runner.invoke(
        app, ["clusters", str(path), "--features", "f0,f1,f2,f3", "--report", str(report)]
    )
    assert unlabeled.exit_code == 0, unlabeled.output
    assert "k = 3" in unlabeled.output


def test_agreement_command(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    truth = rng.choice(["pos", "neg", "neu"], 150)

    def annotator(acc: float) -> list[Any]:
        v = np.where(rng.random(150) < acc, truth, rng.choice(["pos", "neg", "neu"], 150)).astype(
            object
        )
        v[rng.random(150) < 0.2] = None
        return list(v)

    path = tmp_path / "votes.csv"
    pd.DataFrame({"ann": annotator(0.95), "bob": annotator(0.9), "cyd": annotator(0.3)}).to_csv(
        path, index=False
    )
    report = tmp_path / "agree.html"
    res = runner.invoke(app, ["agreement", str(path), "--report", str(report)])
    assert res.exit_code == 0, res.output
    assert "Fleiss' kappa" in res.output and "Krippendorff" in res.output
    rows = [line for line in res.output.splitlines() if line.startswith("│")]
    assert "cyd" in rows[0]  # least reliable first
    assert report.exists()


def test_bad_input_gives_one_line_error_and_exit_2(noisy_csv: tuple[Path, np.ndarray]) -> None:
    path, _ = noisy_csv
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "labelwise"), "issues", str(path), "--label", "knd"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "target column 'knd' does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr
    res = runner.invoke(app, ["issues", str(path), "--label", "kind", "--categorical", "error"])
    assert res.exit_code != 0
    assert "non-numeric feature columns ['site']" in str(res.exception)
