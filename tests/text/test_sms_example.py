"""The worked SMS example on a fast subset: rules + VADER + MiniLM labelers + label models."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location(
        "sms_spam_labeling", ROOT / "examples" / "sms_spam_labeling.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_evaluate_counts_abstains_as_ham(example):
    import numpy as np

    m = example.evaluate(np.array([1, -1, 0, 1]), np.array([1, 1, 0, 0]))
    assert m["coverage"] == 0.75 and m["accuracy_covered"] == pytest.approx(2 / 3)
    assert m["precision_spam"] == 0.5 and m["recall_spam"] == 0.5 and m["accuracy"] == 0.5


def test_subset_run_report_and_results(example, shared_datasets, tmp_path, test_output):
    res = example.run(
        shared_datasets / "text" / "sms_spam.tsv",
        subset=300,
        n_dev=100,
        shots=4,
        cache=tmp_path / "emb.sqlite",
        show_progress=False,
    )
    labelers = res["labelers"]
    assert {"embed_zero_shot", "embed_few_shot", "vader_negative", "re_phone_number"} <= set(
        labelers.index
    )
    models = res["models"].set_index(["labelers", "label model"])
    full = models.loc[("rules + VADER + embeddings", "majority vote")]
    # The combination beats every single labeler used as a classifier on its own.
    assert full["f1_spam"] > labelers["f1_spam"].max()
    assert full["accuracy"] > 0.9
    # The embedding labelers add coverage to the rules.
    assert full["coverage"] > models.loc[("rules + VADER", "majority vote")]["coverage"]
    emb = labelers.loc[["embed_zero_shot", "embed_few_shot"]]
    assert (emb["coverage"] > 0.2).all() and (emb["accuracy_covered"] > 0.8).all()
    md = example.results_markdown(res, "python examples/sms_spam_labeling.py --subset 300")
    assert "### Effect of adding the two embedding labelers" in md and "| embed_few_shot |" in md
    report = example.write_report(res, test_output / "sms_spam_example_report.html")
    assert "Where the combination is wrong" in report.read_text(encoding="utf-8")
