"""The LLM labeler against local servers that behave like the real ones (llama.cpp, Ollama,
vLLM), and the CLI's behaviour with dead, slow and interrupted servers (real subprocesses)."""

from __future__ import annotations

import json
import math
import socket
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from labelwise.llm import (
    CircuitOpen,
    ClassifyTask,
    LLMClient,
    LocalChatServer,
    OpenAIProvider,
    RequestFailed,
    run_task,
)
from labelwise.llm.server import ChatRequest, Delay, Drop, Malformed, Reply, Status

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from clitools import error_lines, interrupt_cli, run_cli

SPAM = ("free", "win", "prize", "cash", "claim")
TEXTS = [
    "WIN a FREE prize now",
    "see you at lunch",
    "claim your cash",
    "running late, sorry",
    "free entry to win",
    "ok thanks",
]


def prompt_responder(req: ChatRequest) -> str:
    """Answers from the prompt alone, as a small instruct model would: JSON with the label,
    and a confidence when the prompt asks for one (no schema needed)."""
    label = "spam" if any(w in req.item.lower() for w in SPAM) else "ham"
    answer: dict[str, object] = {"label": label}
    if '"confidence"' in req.user:
        answer["confidence"] = 0.9 if label == "spam" else 0.7
    return json.dumps(answer)


def client_for(server: LocalChatServer, **kw: object) -> LLMClient:
    kw.setdefault("cache", None)
    kw.setdefault("backoff_base", 0.01)
    return LLMClient(OpenAIProvider.compatible(server.base_url), model="m", **kw)  # type: ignore[arg-type]


def test_llamacpp_refuses_json_schema_auto_falls_back_and_confidence_is_real():
    task = ClassifyTask(["ham", "spam"])
    with LocalChatServer(prompt_responder, flavor="llamacpp") as server:
        run = run_task(task, TEXTS, client=client_for(server), response_format="auto")
        first = server.requests[0].body
    assert first["response_format"]["type"] == "json_schema"
    assert run.response_format == "json_object"
    assert run.statuses.tolist() == ["ok"] * len(TEXTS)
    assert run.votes.tolist() == [1, 0, 1, 0, 1, 0]
    # llama.cpp returns top_logprobs: confidence is a number, not NaN
    assert all(math.isfinite(c) for c in run.confidence)
    later = [r.body for r in server.requests[2:]]  # after json_schema was refused twice
    assert all(b["response_format"] == {"type": "json_object"} for b in later)
    assert all(b["logprobs"] is True and b["top_logprobs"] == 5 for b in later)
    assert any("refused response_format json_schema" in n for n in run.notes)
    # the 500 was not retried more than once with the same body
    schema_requests = [
        r for r in server.requests if r.body["response_format"]["type"] == "json_schema"
    ]
    assert len(schema_requests) == 2


def test_llamacpp_with_forced_json_schema_fails_every_item_and_says_why():
    task = ClassifyTask(["ham", "spam"])
    with LocalChatServer(prompt_responder, flavor="llamacpp") as server:
        run = run_task(task, TEXTS[:3], client=client_for(server), response_format="json_schema")
        n_requests = len(server.requests)
    assert run.statuses.tolist() == ["failed"] * 3
    assert "json_object" in run.results[0].error
    assert n_requests == 6  # two attempts per item: the same 500 twice is not retried
    summary = run.batch_summary()
    assert (summary.failed, summary.exit_code()) == (3, 3)


@pytest.mark.parametrize("mode", ["json_object", "none"])
def test_output_is_validated_locally_with_one_repair(mode: str):
    replies = iter(['{"label": "maybe"}', '{"label": "spam"}'])

    def respond(req: ChatRequest) -> str:
        return next(replies) if "WIN" in req.item else prompt_responder(req)

    task = ClassifyTask(["ham", "spam"])
    with LocalChatServer(respond, flavor="llamacpp") as server:
        run = run_task(task, ["WIN now"], client=client_for(server), response_format=mode)
        bodies = [r.body for r in server.requests]
    assert run.statuses.tolist() == ["repaired"] and run.votes.tolist() == [1]
    assert len(bodies) == 2 and bodies[1]["messages"][-1]["role"] == "user"
    assert ("response_format" in bodies[0]) == (mode == "json_object")


def test_ollama_without_logprobs_says_so_once_and_falls_back():
    task = ClassifyTask(["ham", "spam"])
    with LocalChatServer(prompt_responder, flavor="ollama") as server:
        run = run_task(task, TEXTS, client=client_for(server))
        assert all("logprobs" not in json.dumps(r.body.get("choices", "")) for r in server.requests)
    assert run.logprobs_missing and not any(math.isfinite(c) for c in run.confidence)
    notes = [n for n in run.notes if "log-probabilities" in n]
    assert len(notes) == 1 and "--confidence-fallback" in notes[0]
    assert any("log-probabilities" in m for _, m in run.alerts())

    with LocalChatServer(prompt_responder, flavor="ollama") as server:
        run = run_task(task, TEXTS, client=client_for(server), confidence_fallback="verbalized")
    conf = run.confidence
    assert run.confidence_mode == "verbalized"
    # every item after the first carries the model's own estimate
    assert [round(c, 2) for c in conf[1:]] == [0.7, 0.9, 0.7, 0.9, 0.7]

    with LocalChatServer(prompt_responder, flavor="ollama") as server:
        run = run_task(
            task, TEXTS[:3], client=client_for(server), confidence_fallback="samples", n_samples=3
        )
    assert run.confidence_mode == "samples"
    assert [c for c in run.confidence[1:]] == [1.0, 1.0]


def test_vllm_error_shape_is_a_deterministic_refusal():
    task = ClassifyTask(["ham", "spam"])
    with LocalChatServer(prompt_responder, flavor="vllm") as server:
        server.script(Status(422, "Unprocessable entity: bad schema"))
        run = run_task(task, TEXTS[:1], client=client_for(server), response_format="json_schema")
        assert len(server.requests) == 1  # a 422 is never retried
    assert run.statuses.tolist() == ["failed"] and "422" in run.results[0].error
    with LocalChatServer(prompt_responder, flavor="vllm") as server:
        client = client_for(server)
        with pytest.raises(RequestFailed, match="top_logprobs"):
            client.complete([{"role": "user", "content": "x"}], logprobs=True, top_logprobs=50)


def test_slow_dropped_and_malformed_answers_are_per_item():
    task = ClassifyTask(["ham", "spam"])
    with LocalChatServer(prompt_responder, flavor="llamacpp") as server:
        server.script(Drop(), Delay(0.01), Malformed(), Malformed("<html>502 Bad Gateway</html>"))
        run = run_task(
            task,
            TEXTS[:4],
            client=client_for(server, concurrency=1),
            response_format="json_object",
        )
    st = run.statuses.tolist()
    assert st[0] == "ok"  # the dropped connection was retried
    assert st.count("failed") == 2, (st, [r.error for r in run.results])
    assert all("not" in (r.error or "") for r in run.results if r.status == "failed")
    assert run.batch_summary().failed == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_circuit_breaker_stops_a_run_against_a_dead_server():
    port = _free_port()
    client = LLMClient(
        OpenAIProvider.compatible(f"http://127.0.0.1:{port}/v1"),
        model="m",
        cache=None,
        backoff_base=0.01,
        breaker=4,
    )
    task = ClassifyTask(["ham", "spam"])
    start = time.monotonic()
    with pytest.raises(CircuitOpen) as info:
        run_task(task, TEXTS * 10, client=client)
    assert time.monotonic() - start < 30
    run = info.value.partial
    assert run is not None and set(run.statuses.tolist()) <= {"failed", "not_run"}
    assert "consecutive" in str(info.value) and client.circuit_open


# ---------------------------------------------------------------- the CLI, in subprocesses
@pytest.fixture
def sms_csv(tmp_path: Path) -> Path:
    path = tmp_path / "sms.csv"
    pd.DataFrame({"text": [f"{t} #{i}" for i in range(4) for t in TEXTS]}).to_csv(path, index=False)
    return path


def _classify(data: Path, out: Path, base_url: str, cache: Path, *extra: str) -> list[str]:
    return [
        "llm", "classify", str(data), "-c", "text", "-l", "ham,spam", "-o", str(out),
        "--base-url", base_url, "--cache", str(cache), *extra,
    ]  # fmt: skip


def test_cli_dead_server_stops_writes_partial_and_exits_3(sms_csv: Path, tmp_path: Path):
    out = tmp_path / "out.csv"
    args = _classify(sms_csv, out, f"http://127.0.0.1:{_free_port()}/v1", tmp_path / "c.sqlite")
    res = run_cli(*args, "--breaker", "3", "--timeout", "5", cwd=tmp_path)
    assert res.returncode == 3, res.stderr
    assert "consecutive" in res.stderr and "Traceback" not in res.stderr
    assert "24 items: 0 done, 0 cached, 0 skipped, 24 failed" in res.stderr
    frame = pd.read_csv(out)
    assert len(frame) == 24 and set(frame["llm_status"]) <= {"failed", "not_run"}
    marker = json.loads((tmp_path / "out.csv.partial.json").read_text())
    assert marker["partial"] is True and marker["done"] == 0


def test_cli_llamacpp_auto_exit_0_and_forced_schema_exit_3(sms_csv: Path, tmp_path: Path):
    few = tmp_path / "few.csv"
    pd.read_csv(sms_csv).head(4).to_csv(few, index=False)
    with LocalChatServer(prompt_responder, flavor="llamacpp") as server:
        ok = run_cli(
            *_classify(sms_csv, tmp_path / "a.csv", server.base_url, tmp_path / "c.sqlite"),
            cwd=tmp_path,
        )
        bad = run_cli(
            *_classify(few, tmp_path / "b.csv", server.base_url, tmp_path / "c.sqlite"),
            "--response-format", "json_schema",
            cwd=tmp_path,
        )  # fmt: skip
        allowed = run_cli(
            *_classify(few, tmp_path / "b.csv", server.base_url, tmp_path / "c.sqlite"),
            "--response-format", "json_schema", "--allow-failures", "4",
            cwd=tmp_path,
        )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "refused response_format json_schema" in " ".join(ok.stdout.split())
    assert "24 items: 24 done" in ok.stdout or "24 items: 23 done, 1 cached" in ok.stdout
    assert bad.returncode == 3 and "4 items: 0 done, 0 cached, 0 skipped, 4 failed" in bad.stderr
    assert "json_object" in bad.stderr  # the server's own words are shown
    assert allowed.returncode == 0, allowed.stderr
    res = run_cli(
        *_classify(sms_csv, tmp_path / "c.csv", "http://127.0.0.1:9/v1", tmp_path / "c.sqlite"),
        "--response-format", "xml", cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 2 and len(error_lines(res.stderr)) == 1


def test_cli_ctrl_c_writes_partial_marker_and_the_next_run_resumes(sms_csv: Path, tmp_path: Path):
    out = tmp_path / "out.csv"
    cache = tmp_path / "c.sqlite"

    def slow(req: ChatRequest) -> Reply:
        time.sleep(0.3)
        return Reply(prompt_responder(req))

    with LocalChatServer(slow, flavor="llamacpp") as server:
        args = _classify(sms_csv, out, server.base_url, cache, "--concurrency", "1")
        code, _stdout, stderr = interrupt_cli(
            *args, ready=lambda: len(server.requests) >= 6, cwd=tmp_path
        )
        assert code == 130, stderr
        assert "interrupted" in stderr
        frame = pd.read_csv(out)
        finished = int(frame["llm_status"].eq("ok").sum())
        assert 3 <= finished < 24 and set(frame["llm_status"]) <= {"ok", "not_run"}
        marker = json.loads((tmp_path / "out.csv.partial.json").read_text())
        assert marker["done"] == finished and marker["reason"].startswith("interrupted")
        sent_before = len(server.requests)
        res = run_cli(*args, cwd=tmp_path)
        sent_again = len(server.requests) - sent_before
    assert res.returncode == 0, res.stderr
    assert "resuming" in res.stderr
    assert f"{finished} cached" in res.stdout
    assert sent_again <= 24 - finished + 2  # + the json_schema probe (refused twice)
    assert not (tmp_path / "out.csv.partial.json").exists()
    assert pd.read_csv(out)["llm_status"].eq("ok").all()


def test_cli_class_names_with_commas(sms_csv: Path, tmp_path: Path):
    def respond(req: ChatRequest) -> str:
        enum = (req.schema or {}).get("properties", {}).get("label", {}).get("enum", [])
        assert "Sci, Tech" in enum
        return json.dumps({"label": "Sci, Tech" if "prize" in req.item.lower() else "World"})

    few = tmp_path / "few.csv"
    pd.read_csv(sms_csv).head(3).to_csv(few, index=False)
    (tmp_path / "labels.txt").write_text("Sci, Tech: science and technology\nWorld\n")
    with LocalChatServer(respond) as server:
        for how in (
            ["--label", "Sci, Tech: science and technology", "--label", "World"],
            ["--labels-file", str(tmp_path / "labels.txt")],
        ):
            res = run_cli(
                "llm", "classify", str(few), "-c", "text", "-o", str(tmp_path / "o.csv"),
                "--base-url", server.base_url, "--no-cache", *how, cwd=tmp_path,
            )  # fmt: skip
            assert res.returncode == 0, res.stderr
            labels = pd.read_csv(tmp_path / "o.csv")["llm_label"].tolist()
            assert labels == ["Sci, Tech", "World", "World"]
        assert "science and technology" in server.requests[0].user
