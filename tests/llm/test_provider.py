"""The provider seam over real HTTP: OpenAI-compatible and Azure routes, keys, error kinds."""

from __future__ import annotations

import math

import pytest

from labelwise.llm import LLMConfigError, LocalChatServer, OpenAIProvider, ProviderError
from labelwise.llm.provider import make_provider
from labelwise.llm.server import Delay, Drop, Reply, Status

MSG = [{"role": "user", "content": "hello there"}]


def test_compatible_roundtrip_returns_texts_usage_and_logprobs(server: LocalChatServer) -> None:
    p = OpenAIProvider.compatible(server.base_url)
    server.script(Reply('{"label": "spam"}', logprob=-0.5, usage=(11, 7)))
    r = p.complete(MSG, model="m1", logprobs=True, max_tokens=20, seed=3)
    assert r.texts == ['{"label": "spam"}']
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.estimated) == (11, 7, False)
    assert r.logprobs[0] is not None
    assert "".join(t for t, _ in r.logprobs[0]) == '{"label": "spam"}'
    assert all(math.isclose(lp, -0.5) for _, lp in r.logprobs[0])
    body = server.requests[-1].body
    assert body["model"] == "m1" and body["logprobs"] is True and body["max_tokens"] == 20
    assert body["seed"] == 3 and body["temperature"] == 0.0
    assert server.requests[-1].path == "/v1/chat/completions"


def test_no_logprobs_unless_asked_and_n_choices(server: LocalChatServer) -> None:
    p = OpenAIProvider.compatible(server.base_url)
    r = p.complete(MSG, model="m", n=3, temperature=0.7)
    assert len(r.texts) == 3 and r.logprobs == [None, None, None]
    assert server.requests[-1].body["n"] == 3


def test_missing_usage_block_is_estimated(server: LocalChatServer) -> None:
    server.script(Reply("abcdefgh" * 4, omit_usage=True))
    r = OpenAIProvider.compatible(server.base_url).complete(MSG, model="m")
    assert r.usage.estimated and r.usage.completion_tokens == 8 and r.usage.prompt_tokens >= 1


def test_azure_uses_deployment_route_api_version_and_key(
    server: LocalChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_KEY", "azure-secret")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", server.endpoint)
    server.api_key = "azure-secret"
    p = OpenAIProvider.azure(deployment="labeler-prod", api_version="2024-10-21")
    assert p.name == "azure:labeler-prod" and p.kind == "azure"
    r = p.complete(MSG, model="gpt-4o-mini")
    assert r.texts == ["ok"] and r.model == "labeler-prod"
    req = server.requests[-1]
    assert req.path == "/openai/deployments/labeler-prod/chat/completions"
    assert req.query["api-version"] == ["2024-10-21"]
    assert req.headers["api-key"] == "azure-secret"


def test_missing_openai_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LLMConfigError, match="OPENAI_API_KEY"):
        OpenAIProvider()
    with pytest.raises(LLMConfigError, match="MY_LLM_KEY"):
        OpenAIProvider.compatible("http://127.0.0.1:9/v1", api_key_env="MY_LLM_KEY")
    # A local server needs no key at all.
    assert OpenAIProvider.compatible("http://127.0.0.1:9/v1").is_local


def test_missing_azure_settings_name_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "AZURE_OPENAI_KEY",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_DEPLOYMENT",
    ):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(LLMConfigError, match="AZURE_OPENAI_ENDPOINT"):
        OpenAIProvider.azure(deployment="d")
    with pytest.raises(LLMConfigError, match="AZURE_OPENAI_KEY"):
        OpenAIProvider.azure(endpoint="https://x.openai.azure.com", deployment="d")
    monkeypatch.setenv("AZURE_OPENAI_KEY", "k")
    with pytest.raises(LLMConfigError, match="deployment"):
        OpenAIProvider.azure(endpoint="https://x.openai.azure.com")


def test_bad_base_url_and_unknown_kind() -> None:
    with pytest.raises(LLMConfigError, match="http"):
        OpenAIProvider.compatible("localhost:11434")
    with pytest.raises(LLMConfigError, match="unknown provider kind"):
        make_provider("bedrock")
    assert make_provider(base_url="http://127.0.0.1:8000/v1").kind == "compatible"


@pytest.mark.parametrize(
    ("behaviour", "kind", "retryable", "fatal"),
    [
        (Status(429, retry_after=0.25), "rate_limit", True, False),
        (Status(500), "server", True, False),
        (Status(503), "server", True, False),
        (Status(401), "auth", False, True),
        (Status(404), "not_found", False, True),
        (Status(400, "bad parameter"), "bad_request", False, False),
        (Drop(), "connection", True, False),
    ],
)
def test_errors_are_mapped_to_kinds(
    server: LocalChatServer, behaviour: object, kind: str, retryable: bool, fatal: bool
) -> None:
    server.script(behaviour)  # type: ignore[arg-type]
    with pytest.raises(ProviderError) as info:
        OpenAIProvider.compatible(server.base_url).complete(MSG, model="m")
    err = info.value
    assert (err.kind, err.retryable, err.fatal) == (kind, retryable, fatal)
    if kind == "rate_limit":
        assert err.retry_after == pytest.approx(0.25)
        assert err.status == 429


def test_timeout_is_a_retryable_kind(server: LocalChatServer) -> None:
    server.script(Delay(1.0))
    with pytest.raises(ProviderError) as info:
        OpenAIProvider.compatible(server.base_url).complete(MSG, model="m", timeout=0.2)
    assert info.value.kind == "timeout" and info.value.retryable


def test_server_that_checks_keys_rejects_a_wrong_one() -> None:
    with LocalChatServer(api_key="right") as srv:
        ok = OpenAIProvider.compatible(srv.base_url, api_key="right").complete(MSG, model="m")
        assert ok.texts == ["ok"]
        with pytest.raises(ProviderError) as info:
            OpenAIProvider.compatible(srv.base_url, api_key="wrong").complete(MSG, model="m")
        assert info.value.kind == "auth" and "API key" in str(info.value)
