"""The LLM examples run offline end to end (local protocol server, real data)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)


def test_sms_spam_example(shared_datasets: Path, tmp_path: Path) -> None:
    mod = _load("llm_sms_spam")
    table = mod.run(shared_datasets / "text" / "sms_spam.tsv", n=80, gold=60, out=tmp_path)
    assert table["labeler"].tolist() == [
        "kw_prize",
        "kw_text_to",
        "kw_personal",
        "llm",
        "majority vote",
    ]
    llm = table.set_index("labeler").loc["llm"]
    assert 0 < llm["coverage"] <= 1 and llm["accuracy (where voting)"] > 0.8
    assert (tmp_path / "llm_run.html").exists() and (tmp_path / "llm_calibration.html").exists()


def test_ask_example(shared_datasets: Path, tmp_path: Path) -> None:
    mod = _load("llm_ask_adult")
    results = mod.run(mod.QUESTIONS, shared_datasets / "tabular" / "adult.csv", out=tmp_path)
    first = results[0]
    assert first.table["income"].tolist() == [">50K", "<=50K"]
    assert first.table["mean_age"].iloc[0] == pytest.approx(44.2498, abs=1e-3)
    assert results[2].plan.steps[0].op == "filter"
    assert sorted(p.name for p in tmp_path.glob("answer_*.png")) == [
        "answer_0.png",
        "answer_1.png",
        "answer_2.png",
    ]
