"""`labelwise demo` runs end to end on the bundled data and is honest about its models."""

from __future__ import annotations

import pandas as pd

from labelwise.demo import run_demo


def test_demo_writes_outputs_and_never_chooses_worse_than_majority(tmp_path):
    result = run_demo(tmp_path)
    for path in result.outputs.values():
        assert path.exists() and path.stat().st_size > 0
    labeled = pd.read_parquet(result.outputs["labeled data"])
    assert len(labeled) == 4000
    assert {"label", "confidence", "prob_<=50K", "prob_>50K"} <= set(labeled.columns)
    assert set(labeled.label.dropna()) <= {"<=50K", ">50K"}
    html = result.outputs["report"].read_text()
    assert "Label models vs majority vote" in html and "<img" in html

    by_model = {row["model"]: row for row in result.comparison}
    assert set(by_model) >= {"mv", "ds"}
    chosen = [row for row in result.comparison if row["chosen"]]
    assert len(chosen) == 1
    # The chosen model is at least as accurate as majority vote on held-out gold
    # (up to the dev-set noise the selection allows).
    assert chosen[0]["accuracy_on_covered"] >= by_model["mv"]["accuracy_on_covered"] - 0.01
    assert by_model["mv"]["accuracy_on_covered"] > 0.85
