"""Confidence from log-probabilities and agreement, calibration, thresholds, the labeler."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from labelwise.labeling import ABSTAIN, Votes
from labelwise.llm import (
    ClassifyTask,
    ConfidenceCalibrator,
    LLMClient,
    LLMConfigError,
    LLMLabeler,
    LocalChatServer,
    SummarizeTask,
    choose_threshold,
    logprob_confidence,
)
from labelwise.llm.confidence import agreement_confidence, value_spans
from labelwise.llm.server import ChatRequest, Reply

MakeClient = Callable[..., LLMClient]


def test_logprob_confidence_uses_only_the_value_tokens() -> None:
    toks = [('{"', -0.9), ("label", -0.9), ('": "', -0.9), ("sp", -0.1), ("am", -0.3), ('"}', -0.9)]
    assert logprob_confidence(toks, ["label"]) == pytest.approx(math.exp(-0.4))
    # Two keys (taxonomy): the product of both values' probabilities.
    toks2 = [('{"a": "', 0.0), ("x", -0.5), ('", "b": "', 0.0), ("y", -0.25), ('"}', 0.0)]
    assert logprob_confidence(toks2, ["a", "b"]) == pytest.approx(math.exp(-0.75))
    assert math.isnan(logprob_confidence(toks, ["missing"]))
    assert math.isnan(logprob_confidence(None, ["label"]))
    assert math.isnan(logprob_confidence(toks, []))


def test_value_spans_numbers_arrays_and_nulls() -> None:
    text = '{"overall": 4.5, "labels": ["a", "b"], "top": null}'
    spans = value_spans(text, ["overall", "labels", "top"])
    assert [text[a:b] for a, b in spans] == ["4.5", '["a", "b"]', "null"]


def test_agreement_confidence() -> None:
    assert agreement_confidence(["a", "b", "a"], 3) == (0, pytest.approx(2 / 3))
    idx, share = agreement_confidence([], 5)
    assert idx == -1 and math.isnan(share)


def test_isotonic_and_platt_calibration_are_monotone_and_keep_nan() -> None:
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.3, 1.0, 400)
    correct = (rng.uniform(size=400) < conf**2).astype(int)  # overconfident raw scores
    grid = np.linspace(0.3, 1.0, 15)
    for method in ("isotonic", "platt"):
        cal = ConfidenceCalibrator(method).fit(conf, correct)
        out = cal.transform(grid)
        assert np.all(np.diff(out) >= -1e-12)
        assert out[0] < 0.3 and out[-1] > 0.8
        assert np.isnan(cal.transform([np.nan, 0.5])[0])
        assert cal.n_fit_ == 400
    with pytest.warns(UserWarning, match="only 2 gold items"):
        tiny = ConfidenceCalibrator("platt").fit([0.5, 0.9, np.nan], [1, 1, 0])
    assert tiny.transform([0.1]).tolist() == [1.0]


def test_calibrator_input_errors() -> None:
    with pytest.raises(LLMConfigError, match="isotonic"):
        ConfidenceCalibrator("magic")
    with pytest.raises(LLMConfigError, match="one per item"):
        ConfidenceCalibrator().fit([0.1, 0.2], [1])
    with pytest.raises(LLMConfigError, match="at least 2"):
        ConfidenceCalibrator().fit([np.nan, 0.4], [1, 0])
    with pytest.raises(LLMConfigError, match="not fitted"):
        ConfidenceCalibrator().transform([0.5])


def test_choose_threshold_on_a_literal_example() -> None:
    conf = [0.99, 0.95, 0.9, 0.9, 0.8, 0.7, np.nan]
    correct = [1, 1, 1, 0, 1, 0, 0]
    c = choose_threshold(conf, correct, target_precision=0.75)
    # Keeping >= 0.8: 4 right of 5 (0.8); >= 0.7: 4 of 6 (0.67). Lowest reaching 0.75: 0.8.
    assert c.threshold == 0.8 and c.precision == pytest.approx(0.8)
    assert c.n_kept == 5 and c.coverage == pytest.approx(5 / 7) and c.reachable
    strict = choose_threshold(conf, correct, target_precision=1.0)
    assert strict.threshold == 0.95 and strict.n_kept == 2  # ties at 0.9 are kept together
    with pytest.warns(UserWarning, match="best 0.800"):
        assert not choose_threshold(conf, correct, target_precision=1.0, min_kept=3).reachable


def test_unreachable_target_abstains_everywhere_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="no threshold reaches precision 0.99"):
        c = choose_threshold([0.9, 0.8], [0, 1], target_precision=0.99)
    assert c.threshold == math.inf and not c.reachable and c.best_precision == pytest.approx(0.5)
    with pytest.raises(LLMConfigError, match="target_precision"):
        choose_threshold([0.5], [1], target_precision=0)


def _gold_responder(req: ChatRequest) -> Reply:
    """Right and sure on plain items; wrong and unsure on 'tricky' ones."""
    text = req.item
    right = "spam" if "offer" in text else "ham"
    if "tricky" in text:
        wrong = "ham" if right == "spam" else "spam"
        return Reply(json.dumps({"label": wrong}), logprob=-0.9)
    return Reply(json.dumps({"label": right}), logprob=-0.02)


def test_labeler_calibrates_on_gold_and_abstains_below_threshold(
    make_client: MakeClient, test_output: Path
) -> None:
    gold_texts, gold_y = [], []
    for i in range(40):
        spam = i % 2 == 0
        tricky = i % 5 == 0
        gold_texts.append(
            f"{'special offer' if spam else 'see you'} {i}{' tricky' if tricky else ''}"
        )
        gold_y.append("spam" if spam else "ham")
    with LocalChatServer(_gold_responder) as srv:
        labeler = LLMLabeler(ClassifyTask(["ham", "spam"]), client=make_client(srv), name="llm_gpt")
        labeler.fit(gold_texts, gold_y, target_precision=0.95)
        assert labeler.gold_accuracy_ == pytest.approx(32 / 40)
        assert labeler.threshold_ is not None and labeler.threshold_.reachable
        assert labeler.threshold_.precision == 1.0
        assert labeler.threshold_.coverage == pytest.approx(32 / 40)
        votes = labeler.label(["special offer 1", "see you 2", "special offer tricky"])
    assert isinstance(votes, Votes) and votes.name == "llm_gpt"
    L = votes.to_label_matrix()
    assert L.names == ["llm_gpt"]
    assert L.values[:, 0].tolist() == [1, 0, ABSTAIN]
    prov = L.provenance["llm_gpt"]
    assert prov["calibrated"] == "isotonic" and prov["n_below_threshold"] == 1
    report = labeler.calibration_report(test_output / "llm_calibration.html")
    assert report.section_titles == ["Gold set", "Reliability"]


def test_labeler_without_logprobs_warns_and_does_not_threshold(make_client: MakeClient) -> None:
    with LocalChatServer(lambda req: '{"label": "ham"}', logprobs=False) as srv:
        labeler = LLMLabeler(ClassifyTask(["ham", "spam"]), client=make_client(srv))
        with pytest.warns(UserWarning, match="confidence='samples'"):
            labeler.fit(["a", "b", "c"], ["ham", "ham", "spam"], target_precision=0.9)
        assert labeler.calibrator_ is None and labeler.threshold_ is None
        assert labeler.gold_accuracy_ == pytest.approx(2 / 3)
        assert labeler.label(["d"]).votes.tolist() == [0]
    with pytest.raises(LLMConfigError, match="no classes"):
        LLMLabeler(SummarizeTask(), client=labeler.client)
    with pytest.raises(LLMConfigError, match="fit"):
        LLMLabeler(ClassifyTask(["a", "b"]), client=labeler.client).calibration_report()


def test_labeler_gold_label_errors(server: LocalChatServer, make_client: MakeClient) -> None:
    labeler = LLMLabeler(ClassifyTask(["ham", "spam"]), client=make_client(server))
    with pytest.raises(LLMConfigError, match="one per item"):
        labeler.fit(["a", "b"], ["ham"])
    with pytest.raises(ValueError, match="not a known class"):
        labeler.fit(["a"], ["phish"])


def test_labeler_runs_inside_the_lf_applier(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    import pandas as pd

    from labelwise.labeling.apply import LFApplier
    from labelwise.labeling.lf import keyword

    df = pd.DataFrame({"text": ["WIN a free prize", "see you at 6", "claim cash", ""]})
    labeler = LLMLabeler(ClassifyTask(["ham", "spam"]), client=make_client(server), name="llm")
    L = LFApplier([keyword("text", "free", 1, name="kw_free"), labeler.as_lf("text")]).apply(df)
    assert L.names == ["kw_free", "llm"]
    assert L["llm"].tolist() == [1, 0, 1, ABSTAIN]
    assert L["kw_free"].tolist() == [1, ABSTAIN, ABSTAIN, ABSTAIN]
    with pytest.warns(DeprecationWarning, match="as_lf"):
        old = labeler.as_labeling_function("text")
    assert LFApplier([old]).apply(df)["llm"].tolist() == [1, 0, 1, ABSTAIN]
