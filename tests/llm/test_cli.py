"""The CLI: `labelwise ask` and `labelwise llm ...` against a local server over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from labelwise.cli import app
from labelwise.labeling import LabelMatrix
from labelwise.llm import LocalChatServer

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real entry point (``labelwise.cli.main``) in a fresh process."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "LABELWISE_PROGRESS": "0", **(env or {})}
    code = "import sys; from labelwise.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full_env,
        timeout=120,
    )


def _flat(text: str) -> str:
    """Error lines may be wrapped to the terminal width; compare with single spaces."""
    return " ".join(text.split())


@pytest.fixture
def sms(tmp_path: Path) -> Path:
    p = tmp_path / "sms.csv"
    pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "text": ["WIN a free prize!", "see you at 6", "", "Claim your cash now"],
        }
    ).to_csv(p, index=False)
    return p


def test_llm_classify_writes_table_matrix_and_report(
    server: LocalChatServer, sms: Path, tmp_path: Path
) -> None:
    out, matrix, report = tmp_path / "out.csv", tmp_path / "L.parquet", tmp_path / "run.html"
    res = runner.invoke(
        app,
        [
            "llm",
            "classify",
            str(sms),
            "--column",
            "text",
            "--labels",
            "ham,spam",
            "--out",
            str(out),
            "--matrix",
            str(matrix),
            "--report",
            str(report),
            "--base-url",
            server.base_url,
            "--model",
            "test-model",
            "--cache",
            str(tmp_path / "c.sqlite"),
            "--name",
            "llm_spam",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "4 items: 2 ok" not in res.output  # three texts are sent, one is empty
    assert "3 ok" in res.output and "wrote" in res.output
    df = pd.read_csv(out)
    assert df["llm_spam_label"].tolist()[:2] == ["spam", "ham"]
    assert df["llm_spam_status"].tolist() == ["ok", "ok", "empty", "ok"]
    assert list(df.columns[:2]) == ["id", "text"]
    L = LabelMatrix.from_parquet(matrix)
    assert L.names == ["llm_spam"] and L.values[:, 0].tolist() == [1, 0, -1, 1]
    assert report.read_text().count("<section") >= 5
    # The same command again is served from the cache: no new requests.
    n = len(server.requests)
    res2 = runner.invoke(
        app,
        [
            "llm",
            "classify",
            str(sms),
            "-c",
            "text",
            "-l",
            "ham,spam",
            "-o",
            str(out),
            "--base-url",
            server.base_url,
            "--model",
            "test-model",
            "--cache",
            str(tmp_path / "c.sqlite"),
        ],
    )
    assert res2.exit_code == 0 and len(server.requests) == n and "3 cache hits" in res2.output


def test_llm_classify_multi_and_budget_warning(
    server: LocalChatServer, sms: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    res = runner.invoke(
        app,
        [
            "llm",
            "classify",
            str(sms),
            "-c",
            "text",
            "-l",
            "prize,cash",
            "--multi",
            "-o",
            str(out),
            "--base-url",
            server.base_url,
            "--no-cache",
            "--max-tokens-total",
            "300",
            "--concurrency",
            "1",
        ],
    )
    # Items the budget left unsent are unlabeled: the batch exits 3 (labelwise.faults).
    assert res.exit_code == 3, res.output
    assert "budget exhausted" in res.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["llm_status"] == "ok" and json.loads(rows[0]["llm_labels"]) == ["prize"]
    assert "budget" in {r["llm_status"] for r in rows}


def test_llm_taxonomy_extract_sentiment_summarize_rows(
    server: LocalChatServer, tmp_path: Path
) -> None:
    data = tmp_path / "tickets.csv"
    pd.DataFrame(
        {"text": ["I want a refund, Alice here", "where is my order? call +1 555 010 9999"]}
    ).to_csv(data, index=False)
    tax = tmp_path / "tax.yaml"
    tax.write_text("Order Status: [Refund Status, Shipping Status]\nAccount: [Password Reset]\n")
    common = ["--base-url", server.base_url, "--no-cache"]
    res = runner.invoke(
        app,
        [
            "llm",
            "taxonomy",
            str(data),
            "-c",
            "text",
            "-t",
            str(tax),
            "-o",
            str(tmp_path / "t.csv"),
            *common,
        ],
    )
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "t.csv")["llm_leaf"].tolist() == [
        "Order Status / Refund Status",
        "Order Status / Shipping Status",
    ]
    res = runner.invoke(
        app,
        [
            "llm",
            "extract",
            str(data),
            "-c",
            "text",
            "-o",
            str(tmp_path / "e.csv"),
            "--spans",
            str(tmp_path / "s.csv"),
            *common,
        ],
    )
    assert res.exit_code == 0, res.output
    spans = pd.read_csv(tmp_path / "s.csv")
    assert set(spans["type"]) == {"person", "phone"}
    res = runner.invoke(
        app,
        [
            "llm",
            "sentiment",
            str(data),
            "-c",
            "text",
            "--aspects",
            "taste,price",
            "-o",
            str(tmp_path / "a.csv"),
            *common,
        ],
    )
    assert res.exit_code == 0, res.output
    assert "llm_overall" in pd.read_csv(tmp_path / "a.csv").columns
    res = runner.invoke(
        app,
        [
            "llm",
            "summarize",
            str(data),
            "-c",
            "text",
            "--headline",
            "--topics",
            "sports,politics",
            "-o",
            str(tmp_path / "h.csv"),
            *common,
        ],
    )
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "h.csv")["llm_topic"].notna().all()
    examples = tmp_path / "examples.csv"
    pd.DataFrame({"text": ["WIN cash", "hi mum"], "y": ["spam", "ham"]}).to_csv(
        examples, index=False
    )
    res = runner.invoke(
        app,
        [
            "llm",
            "rows",
            str(data),
            "-e",
            str(examples),
            "--label-column",
            "y",
            "-o",
            str(tmp_path / "r.csv"),
            *common,
        ],
    )
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "r.csv")["llm_status"].tolist() == ["ok", "ok"]


def test_ask_command_in_a_real_process(tmp_path: Path) -> None:
    data = tmp_path / "people.csv"
    pd.DataFrame({"age": [20, 40, 30, 50], "income": ["low", "low", "high", "high"]}).to_csv(
        data, index=False
    )
    plan = {
        "explanation": "Average age per income group.",
        "steps": [
            {
                "op": "group_by",
                "by": ["income"],
                "aggregations": [{"column": "age", "func": "mean", "name": "mean_age"}],
            }
        ],
        "chart": {"kind": "bar", "x": "income", "y": "mean_age"},
    }
    with LocalChatServer(lambda req: json.dumps(plan)) as srv:
        proc = _cli(
            "ask",
            str(data),
            "average age per income group",
            "--base-url",
            srv.base_url,
            "--chart",
            str(tmp_path / "chart.png"),
            "--out",
            str(tmp_path / "answer.csv"),
            "--cache",
            str(tmp_path / "c.sqlite"),
        )
        assert len(srv.requests) == 1
    assert proc.returncode == 0, proc.stderr
    assert "Average age per income group." in proc.stdout and "group_by" in proc.stdout
    assert "40" in proc.stdout and "30" in proc.stdout
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert pd.read_csv(tmp_path / "answer.csv")["mean_age"].tolist() == [40.0, 30.0]


def test_missing_key_is_a_one_line_error(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    pd.DataFrame({"a": [1]}).to_csv(data, index=False)
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    code = "import sys; from labelwise.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "ask",
            str(data),
            "mean of a",
            "--provider",
            "openai",
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert proc.returncode == 2
    assert "OPENAI_API_KEY" in _flat(proc.stderr) and "Traceback" not in proc.stderr


def test_bad_taxonomy_and_bad_column_are_one_line_errors(
    server: LocalChatServer, sms: Path, tmp_path: Path
) -> None:
    tax = tmp_path / "tax.yaml"
    tax.write_text("Billing: [Refund, Invoice\n")
    proc = _cli(
        "llm",
        "taxonomy",
        str(sms),
        "-c",
        "text",
        "-t",
        str(tax),
        "-o",
        str(tmp_path / "o.csv"),
        "--base-url",
        server.base_url,
    )
    assert proc.returncode == 2 and "tax.yaml: does not parse as YAML at line" in _flat(proc.stderr)
    proc = _cli(
        "llm",
        "classify",
        str(sms),
        "-c",
        "txt",
        "-l",
        "a,b",
        "-o",
        str(tmp_path / "o.csv"),
        "--base-url",
        server.base_url,
    )
    assert proc.returncode == 2 and "did you mean ['text']" in _flat(proc.stderr)
    assert server.requests == []


def test_llm_classify_through_the_azure_route(
    server: LocalChatServer, sms: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAM_AZURE_KEY", "az-key")
    server.api_key = "az-key"
    res = runner.invoke(
        app,
        [
            "llm", "classify", str(sms), "-c", "text", "-l", "ham,spam", "-o", str(tmp_path / "o.csv"),
            "--azure-endpoint", server.endpoint, "--deployment", "spam-labeler",
            "--api-version", "2024-10-21", "--api-key-env", "TEAM_AZURE_KEY", "--no-cache",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert {r.path for r in server.requests} == {
        "/openai/deployments/spam-labeler/chat/completions"
    }
    assert pd.read_csv(tmp_path / "o.csv")["llm_label"].tolist()[:2] == ["spam", "ham"]


def test_fatal_error_mid_run_writes_the_partial_output(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    pd.DataFrame(
        {"text": ["free prize", "hello", "revoked", *[f"later {i}" for i in range(10)]]}
    ).to_csv(data, index=False)

    def respond(req: object) -> object:
        from labelwise.llm.server import Status

        item = req.item  # type: ignore[attr-defined]
        return (
            Status(401, "key revoked")
            if "revoked" in item
            else json.dumps({"label": "spam" if "free" in item else "ham"})
        )

    with LocalChatServer(respond) as srv:  # type: ignore[arg-type]
        proc = _cli(
            "llm", "classify", str(data), "-c", "text", "-l", "ham,spam", "-o", str(tmp_path / "o.csv"),
            "--base-url", srv.base_url, "--concurrency", "1", "--cache", str(tmp_path / "c.sqlite"),
        )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "credentials" in _flat(proc.stderr) and "partial results written" in _flat(proc.stderr)
    out = pd.read_csv(tmp_path / "o.csv")
    assert out["llm_status"].tolist()[:2] == ["ok", "ok"] and out["llm_label"].tolist()[:2] == [
        "spam",
        "ham",
    ]
    assert set(out["llm_status"].tolist()[3:]) == {"not_run"}
