"""The Adult worked example: rules + label models vs a classifier on 1% gold."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _example():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "adult_example", ROOT / "examples" / "adult_income_rules.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rules_beat_one_percent_gold_where_they_vote(shared_datasets: Path):
    results = {r["method"]: r for r in _example().run(shared_datasets / "tabular" / "adult.csv")}
    mv = results["label model: mv"]
    gb = next(r for name, r in results.items() if name.startswith("gradient boosting"))
    chosen = next(r for name, r in results.items() if name.startswith("select_label_model"))
    assert 0.75 < mv["coverage"] < 0.9
    assert mv["accuracy_on_covered"] > gb["accuracy_all"] + 0.03
    assert chosen["accuracy_on_covered"] >= mv["accuracy_on_covered"] - 0.01
    combined = results["majority vote, 1%-gold model where no rule decides"]
    assert combined["coverage"] == 1.0 and combined["accuracy_all"] > gb["accuracy_all"]
