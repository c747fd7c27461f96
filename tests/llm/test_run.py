"""Batch runs: budget stops and resumes, bad input, failures per item, concurrency, reports."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelwise.labeling import ABSTAIN, LabelMatrix
from labelwise.llm import (
    ClassifyTask,
    LLMClient,
    LLMConfigError,
    LLMProviderError,
    LocalChatServer,
    run_task,
)
from labelwise.llm.server import ChatRequest, Reply, Status

MakeClient = Callable[..., LLMClient]
TASK = ClassifyTask(["ham", "spam"], instructions="Is this SMS spam?")
TEXTS = [
    f"message {i}: " + ("win a free prize" if i % 3 == 0 else "see you soon") for i in range(10)
]


def test_budget_exhausted_mid_run_then_rerun_continues_from_cache(
    server: LocalChatServer, make_client: MakeClient, test_output: Path
) -> None:
    prices = {"test-model": (300.0, 300.0)}  # USD per 1M tokens: ~3 cents per request
    first = make_client(server, prices=prices, budget_usd=0.15, concurrency=1)
    run = run_task(TASK, TEXTS, client=first)
    s = run.stats
    assert s["stopped_reason"] == "budget"
    done = s["n_ok"]
    assert 1 <= done < len(TEXTS) and s["n_budget"] == len(TEXTS) - done
    assert s["n_ok"] + s["n_budget"] == len(TEXTS)
    assert first.usage.spent_usd <= 0.15
    assert len(server.requests) == done
    # Finished items keep their votes; the rest abstain.
    statuses = run.statuses.tolist()
    assert statuses[:done] == ["ok"] * done and statuses[done:] == ["budget"] * (len(TEXTS) - done)
    L = run.to_label_matrix("llm")
    assert (L.values[done:, 0] == ABSTAIN).all() and (L.values[:done, 0] != ABSTAIN).all()
    assert L.provenance["llm"]["stopped_reason"] == "budget"
    assert L.provenance["llm"]["n_budget"] == len(TEXTS) - done
    assert any("budget exhausted" in msg for _, msg in run.alerts())
    run.report(test_output / "llm_budget_stop.html")
    # Rerun with a larger budget (a new client, as after a restart): paid items come from the
    # cache and only the rest are requested.
    second = make_client(server, prices=prices, budget_usd=5.0, concurrency=2)
    rerun = run_task(TASK, TEXTS, client=second)
    assert rerun.stats["stopped_reason"] is None and rerun.stats["n_ok"] == len(TEXTS)
    assert rerun.stats["n_cache_hits"] == done
    assert rerun.stats["n_requests"] == len(TEXTS) - done
    assert len(server.requests) == len(TEXTS)
    assert rerun.votes.tolist() == [1 if i % 3 == 0 else 0 for i in range(10)]


def test_token_budget_stops_cleanly(server: LocalChatServer, make_client: MakeClient) -> None:
    client = make_client(server, max_tokens_total=900, concurrency=1)
    run = run_task(TASK, TEXTS, client=client)
    assert run.stats["stopped_reason"] == "budget"
    assert client.usage.tokens_used <= 900
    assert run.stats["n_ok"] >= 1


def test_bad_input_cells_abstain_without_requests(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    long_text = "free prize " + "lorem ipsum " * 2000 + " the end"
    items = ["", "   ", None, float("nan"), 42, ["a", "list"], long_text, "hello"]
    run = run_task(TASK, items, client=make_client(server))
    assert run.statuses.tolist() == [
        "empty",
        "empty",
        "empty",
        "empty",
        "not_text",
        "not_text",
        "ok",
        "ok",
    ]
    assert len(server.requests) == 2
    assert "astype(str)" in (run.results[4].error or "")
    s = run.stats
    assert (s["n_empty"], s["n_not_text"], s["n_truncated"]) == (4, 2, 1)
    sent = (
        server.requests[0].item if "lorem" in server.requests[0].item else server.requests[1].item
    )
    assert len(sent) <= TASK.max_chars
    assert sent.startswith("free prize") and sent.endswith("the end")
    assert "characters omitted" in sent


def test_pandas_series_with_missing_values_and_index(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    s = pd.Series(["win cash", pd.NA, "hi"], index=["a", "b", "c"], dtype="string")
    run = run_task(TASK, s, client=make_client(server))
    L = run.to_label_matrix("llm")
    assert L.index == ["a", "b", "c"]
    assert L.values[:, 0].tolist() == [1, ABSTAIN, 0]
    assert run.to_pandas().index.tolist() == ["a", "b", "c"]


def test_one_failing_item_does_not_stop_the_batch(make_client: MakeClient) -> None:
    def respond(req: ChatRequest) -> str | Status:
        if "boom" in req.item:
            return Status(500, "upstream exploded")
        return json.dumps({"label": "ham"})

    with LocalChatServer(respond) as srv:
        run = run_task(TASK, ["ok one", "boom", "ok two"], client=make_client(srv, max_retries=1))
    assert run.statuses.tolist() == ["ok", "failed", "ok"]
    assert "upstream exploded" in (run.results[1].error or "")
    assert run.stats["n_failed"] == 1 and run.stats["n_retries"] == 1
    assert run.stats["retries_by_kind"] == {"server": 1}


def test_wrong_key_stops_the_run_and_keeps_the_partial_result(make_client: MakeClient) -> None:
    def respond(req: ChatRequest) -> str | Status:
        return Status(401, "key revoked") if "revoked" in req.item else json.dumps({"label": "ham"})

    items = ["first", "second", "revoked", *[f"later {i}" for i in range(20)]]
    with LocalChatServer(respond) as srv:
        client = make_client(srv, concurrency=1)
        with pytest.raises(LLMProviderError, match="items were done before it") as info:
            run_task(TASK, items, client=client)
    partial = info.value.partial
    assert partial is not None and len(partial) == len(items)
    assert partial.statuses.tolist()[:2] == ["ok", "ok"]
    assert partial.stats["n_not_run"] >= 15
    assert len(client.cache) == 2  # the two answers paid for are kept


def test_concurrency_limit_is_respected(make_client: MakeClient) -> None:
    def slow(req: ChatRequest) -> str:
        time.sleep(0.08)
        return json.dumps({"label": "ham"})

    with LocalChatServer(slow) as srv:
        run = run_task(
            TASK, [f"text {i}" for i in range(12)], client=make_client(srv, concurrency=3)
        )
        assert 2 <= srv.max_in_flight <= 3
    assert run.stats["n_ok"] == 12


def test_confidence_from_logprobs(make_client: MakeClient) -> None:
    def respond(req: ChatRequest) -> Reply:
        return Reply('{"label": "spam"}', logprob=-0.2 if "sure" in req.item else -1.0)

    with LocalChatServer(respond) as srv:
        run = run_task(TASK, ["sure thing", "maybe"], client=make_client(srv))
    # "spam" is one token; its probability is exp(logprob).
    assert run.confidence == pytest.approx([np.exp(-0.2), np.exp(-1.0)])
    L = run.to_label_matrix("llm", threshold=0.5)
    assert L.values[:, 0].tolist() == [1, ABSTAIN]
    assert L.provenance["llm"]["n_below_threshold"] == 1


def test_confidence_from_sample_agreement(make_client: MakeClient) -> None:
    def respond(req: ChatRequest) -> str:
        votes = ["spam", "spam", "ham", "spam", "not json"]
        return json.dumps({"label": votes[req.choice_index]}) if req.choice_index < 4 else "oops"

    with LocalChatServer(respond) as srv:
        run = run_task(TASK, ["hmm"], client=make_client(srv), confidence="samples", n_samples=5)
        body = srv.requests[0].body
    assert body["n"] == 5 and body["temperature"] == 0.7 and "logprobs" not in body
    assert run.votes.tolist() == [1]
    assert run.confidence.tolist() == [pytest.approx(0.6)]  # 3 of 5 agree (the bad one disagrees)


def test_provider_that_refuses_logprobs_is_asked_without(make_client: MakeClient) -> None:
    def respond(req: ChatRequest) -> str | Status:
        if req.body.get("logprobs"):
            return Status(400, "logprobs are not supported for this model")
        return json.dumps({"label": "ham"})

    with LocalChatServer(respond) as srv:
        run = run_task(TASK, ["a", "b", "c"], client=make_client(srv, concurrency=1))
        assert len(srv.requests) == 4  # one refusal, then never asked again
    assert run.statuses.tolist() == ["ok"] * 3 and run.logprobs_refused
    assert np.isnan(run.confidence).all()


def test_run_options_are_validated(server: LocalChatServer, make_client: MakeClient) -> None:
    client = make_client(server)
    with pytest.raises(LLMConfigError, match="confidence must be"):
        run_task(TASK, ["a"], client=client, confidence="vibes")
    with pytest.raises(LLMConfigError, match="n_samples"):
        run_task(TASK, ["a"], client=client, confidence="samples", n_samples=1)
    with pytest.raises(LLMConfigError, match="not one string"):
        run_task(TASK, "a single string", client=client)


def test_report_and_label_matrix_join_rules(
    server: LocalChatServer, make_client: MakeClient, test_output: Path
) -> None:
    server.script(Reply("garbage"), Reply('{"label": "eggs"}'))
    run = run_task(TASK, TEXTS, client=make_client(server, concurrency=1), progress=True)
    assert run.statuses[0] == "unknown_label"
    report = run.report(test_output / "llm_run_report.html")
    assert report.section_titles == [
        "Overview",
        "Alerts",
        "Statuses",
        "Confidence",
        "Votes",
        "Problem items",
        "Sample of answers",
    ]
    html = (test_output / "llm_run_report.html").read_text()
    assert "unknown_label" in html and "eggs" in html
    rules = LabelMatrix(np.full((len(TEXTS), 1), ABSTAIN), names=["lf_free"], cardinality=2)
    L = rules.hstack(run.to_label_matrix("llm"))
    assert L.names == ["lf_free", "llm"] and L.provenance["llm"]["kind"] == "llm"
    assert "1 invalid" in run.summary() or "unknown-label" in run.summary()


def test_no_items_warns_and_gives_an_empty_run(
    server: LocalChatServer, make_client: MakeClient, tmp_path: Path
) -> None:
    with pytest.warns(UserWarning, match="no items"):
        run = run_task(TASK, [], client=make_client(server))
    assert run.to_label_matrix().shape == (0, 1)
    assert list(run.to_pandas().columns[:2]) == ["status", "vote"]
    assert run.report(tmp_path / "empty.html").section_titles[0] == "Overview"
    assert server.requests == []


def test_raising_the_budget_lets_the_same_client_continue(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    client = make_client(server, max_tokens_total=700, concurrency=1)
    first = run_task(TASK, TEXTS, client=client)
    assert first.stats["stopped_reason"] == "budget"
    client.set_budget(max_tokens_total=100_000)
    second = run_task(TASK, TEXTS, client=client)
    assert second.stats["n_ok"] == len(TEXTS)
    assert second.stats["n_cache_hits"] == first.stats["n_ok"]
    assert len(server.requests) == len(TEXTS)
