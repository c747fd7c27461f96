"""`labelwise label`: refuses guard-tripped model output without --force; --strict exit code.

Runs the installed ``labelwise`` entry point in a subprocess on real (bundled) data.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

WINE_RULES = """
from labelwise.labeling import ABSTAIN, labeling_function

LABELS = ["class_0", "class_1", "class_2"]
GOLD = "cultivar"


def two_sided(column, cut, below, above):
    @labeling_function(name=f"{column}_{cut}")
    def rule(x):
        return below if x[column] < cut else above
    return rule


proline = two_sided("proline", 750, 1, 0)
flavanoids = two_sided("flavanoids", 1.5, 2, 0)
colour = two_sided("color_intensity", 3.8, 1, 2)
alcohol = two_sided("alcohol", 12.8, 1, 0)
hue = two_sided("hue", 0.8, 2, 1)
"""

FRAGILE = """

@labeling_function()
def typo(x):
    return 0 if x.prolin > 1000 else ABSTAIN
"""


def labelwise_exe() -> str:
    return str(Path(sys.executable).with_name("labelwise"))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LABELWISE_PROGRESS": "0", "COLUMNS": "200"}
    return subprocess.run(
        [labelwise_exe(), *args], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.datasets import load_wine

    root = tmp_path_factory.mktemp("wine")
    bunch = load_wine(as_frame=True)
    df = bunch.frame.drop(columns=["target"])
    df["cultivar"] = [f"class_{c}" for c in bunch.target]
    df.to_csv(root / "wine.csv", index=False)
    (root / "rules.py").write_text(WINE_RULES)
    (root / "fragile.py").write_text(WINE_RULES + FRAGILE)
    return root


def test_named_model_that_trips_its_guards_is_refused_unless_forced(wine: Path):
    out = wine / "triplet.csv"
    res = run("label", "wine.csv", "-r", "rules.py", "-o", out.name, "-m", "triplet", cwd=wine)
    assert res.returncode == 2, res.stdout + res.stderr
    err = " ".join(res.stderr.split())  # the refusal goes to stderr (rich may wrap it)
    assert "refused" in err and "looks worse than majority vote" in err
    assert "--force" in err
    assert not out.exists()
    res = run(
        "label", "wine.csv", "-r", "rules.py", "-o", out.name, "-m", "triplet", "--force", cwd=wine
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Label-model guards" in res.stdout
    assert len(pd.read_csv(out)) == 178


def test_auto_never_picks_a_tripped_model_and_exits_zero(wine: Path):
    res = run("label", "wine.csv", "-r", "rules.py", "-o", "auto.csv", "--dev-size", "60", cwd=wine)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "held-out gold" in res.stdout.lower() and "ece" in res.stdout


def test_failing_rule_is_reported_and_strict_exits_nonzero(wine: Path):
    res = run("label", "wine.csv", "-r", "fragile.py", "-o", "loose.csv", "-m", "mv", cwd=wine)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "rule failed" in res.stdout and "'typo' raised on 178 of 178 rows" in res.stdout
    res = run(
        "label",
        "wine.csv",
        "-r",
        "fragile.py",
        "-o",
        "strict.csv",
        "-m",
        "mv",
        "--strict",
        cwd=wine,
    )
    assert res.returncode == 3, res.stdout + res.stderr
    err = " ".join(res.stderr.split())
    assert "--strict" in err and "typo (178 rows)" in err
    assert (wine / "strict.csv").exists()  # finished work is written before the exit
