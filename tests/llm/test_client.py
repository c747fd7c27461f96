"""The client: persistent cache, single flight, retries with backoff, budget, prices."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from labelwise.llm import (
    BudgetExhausted,
    LLMClient,
    LLMConfigError,
    LLMProviderError,
    LocalChatServer,
    OpenAIProvider,
    RequestFailed,
    ResponseCache,
)
from labelwise.llm.cost import PRICES, Price, UsageTracker, price_for
from labelwise.llm.provider import ChatResult
from labelwise.llm.server import Delay, Status

MSG = [{"role": "user", "content": "Is 'WIN a free prize' spam?"}]
MakeClient = Callable[..., LLMClient]


def test_cache_hit_after_restart_costs_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    prices = {"test-model": (1.0, 2.0)}
    with LocalChatServer() as first:
        c1 = LLMClient(
            OpenAIProvider.compatible(first.base_url),
            model="test-model",
            cache=cache,
            prices=prices,
        )
        a = c1.complete(MSG, max_tokens=10)
        assert not a.cached and a.cost_usd > 0
        assert len(first.requests) == 1
        c1.close()
    # A new process would see a new server (new port) and a new client on the same file.
    with LocalChatServer(lambda req: "a different answer") as second:
        c2 = LLMClient(
            OpenAIProvider.compatible(second.base_url),
            model="test-model",
            cache=cache,
            prices=prices,
        )
        b = c2.complete(MSG, max_tokens=10)
        assert b.cached and b.cost_usd == 0.0
        assert b.texts == a.texts
        assert second.requests == []
        assert c2.usage.spent_usd == 0.0
        # Different parameters are a different prompt: a miss.
        c = c2.complete(MSG, max_tokens=10, temperature=0.5)
        assert not c.cached and c.texts == ["a different answer"]
        assert len(second.requests) == 1


def test_rate_limit_then_success_is_retried_and_reported(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    server.script(Status(429, retry_after=0.01), Status(429, retry_after=0.01))
    client = make_client(server)
    r = client.complete(MSG)
    assert r.texts == ["ok"]
    assert r.retries == ("rate_limit", "rate_limit")
    assert len(server.requests) == 3
    assert client.counts["retries"] == 2 and client.counts["error_rate_limit"] == 2


def test_server_error_then_success(server: LocalChatServer, make_client: MakeClient) -> None:
    server.script(Status(500), Status(502))
    r = make_client(server).complete(MSG)
    assert r.texts == ["ok"] and r.retries == ("server", "server")


def test_timeout_then_success(server: LocalChatServer, make_client: MakeClient) -> None:
    server.script(Delay(1.5))
    client = make_client(server, timeout=0.3)
    r = client.complete(MSG)
    assert r.texts == ["ok"] and r.retries == ("timeout",)


def test_retries_used_up_raise_request_failed_and_cache_nothing(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    # Transient 500s differ from one attempt to the next (the same body twice is not
    # retried: see test_llm_servers.py).
    server.script(Status(500, "busy 1"), Status(500, "busy 2"), Status(500, "busy 3"))
    client = make_client(server, max_retries=2)
    with pytest.raises(RequestFailed) as info:
        client.complete(MSG)
    assert info.value.attempts == 3 and info.value.kind == "server"
    assert "gave up after 3 attempts" in str(info.value)
    assert len(client.cache) == 0
    # The next call (server healthy again) pays once and succeeds.
    assert client.complete(MSG).texts == ["ok"]


def test_bad_request_is_not_retried(server: LocalChatServer, make_client: MakeClient) -> None:
    server.script(Status(400, "context length exceeded"))
    with pytest.raises(RequestFailed, match="context length exceeded"):
        make_client(server).complete(MSG)
    assert len(server.requests) == 1


def test_wrong_key_is_fatal(server: LocalChatServer, make_client: MakeClient) -> None:
    server.script(Status(401))
    with pytest.raises(LLMProviderError, match="credentials"):
        make_client(server).complete(MSG)
    assert len(server.requests) == 1


def test_identical_requests_in_flight_are_paid_once(make_client: MakeClient) -> None:
    with LocalChatServer() as srv:
        srv.script(Delay(0.4))
        client = make_client(srv, concurrency=8)
        results: list[ChatResult] = []
        threads = [
            threading.Thread(target=lambda: results.append(client.complete(MSG))) for _ in range(6)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(srv.requests) == 1
        assert len(results) == 6
        assert sum(1 for r in results if not r.cached) == 1
        assert client.counts["deduplicated"] == 5


def test_servers_that_ignore_n_are_topped_up(make_client: MakeClient) -> None:
    with LocalChatServer(lambda req: f"answer {req.body.get('seed')}", honour_n=False) as srv:
        client = make_client(srv)
        r = client.complete(MSG, n=3, temperature=0.7, seed=10)
        assert len(r.texts) == 3
        assert len(srv.requests) == 3
        assert [q.body.get("seed") for q in srv.requests] == [10, 11, 12]
        again = client.complete(MSG, n=3, temperature=0.7, seed=10)
        assert again.cached and again.texts == r.texts and len(srv.requests) == 3


def test_token_budget_stops_new_requests_but_serves_cache(
    server: LocalChatServer, make_client: MakeClient
) -> None:
    client = make_client(server, max_tokens_total=150)
    first = client.complete(MSG, max_tokens=20)
    assert not first.cached
    with pytest.raises(BudgetExhausted, match="max_tokens_total"):
        client.complete([{"role": "user", "content": "x" * 600}], max_tokens=20)
    # Exhaustion is sticky: even a small new request is refused...
    with pytest.raises(BudgetExhausted):
        client.complete([{"role": "user", "content": "tiny"}], max_tokens=1)
    # ...but answers already paid for are still served.
    assert client.complete(MSG, max_tokens=20).cached
    assert client.usage.tokens_used <= 150
    assert len(server.requests) == 1


def test_usd_budget_is_never_exceeded(server: LocalChatServer, make_client: MakeClient) -> None:
    # 1000 USD per 1M tokens: every request costs about 2-5 cents.
    client = make_client(server, prices={"test-model": (1000.0, 1000.0)}, budget_usd=0.2)
    done = 0
    with pytest.raises(BudgetExhausted, match="budget_usd"):
        for i in range(100):
            client.complete(
                [{"role": "user", "content": f"message number {i} " * 5}], max_tokens=10
            )
            done += 1
    assert 2 <= done < 100
    assert client.usage.spent_usd <= 0.2
    assert client.stats()["n_requests"] == done


def test_usd_budget_needs_a_price_for_remote_models() -> None:
    remote = OpenAIProvider.compatible("https://llm.example.com/v1")
    assert not remote.is_local
    with pytest.raises(LLMConfigError, match="prices="):
        LLMClient(remote, model="mystery-model", cache=None, budget_usd=1.0)
    client = LLMClient(
        remote, model="mystery-model", cache=None, budget_usd=1.0, prices={"mystery": (1, 1)}
    )
    assert client.usage.price == Price(1.0, 1.0)


def test_price_table_matches_longest_prefix_and_overrides() -> None:
    assert price_for("gpt-4o-mini-2024-07-18") == PRICES["gpt-4o-mini"]
    assert price_for("gpt-4o-2024-08-06") == PRICES["gpt-4o"]
    assert price_for("gpt-4o", {"gpt-4o": (9.0, 9.0)}) == Price(9.0, 9.0)
    assert price_for("llama3.1:8b") is None
    assert Price(2.0, 8.0).cost(500_000, 250_000) == pytest.approx(3.0)
    with pytest.raises(LLMConfigError, match="input_usd_per_1M"):
        price_for("x", {"x": "free"})  # type: ignore[dict-item]


def test_usage_tracker_reservations_are_released_on_failure() -> None:
    t = UsageTracker(price=Price(1.0, 1.0), max_tokens_total=100)
    r1 = t.reserve(30, 30)
    with pytest.raises(BudgetExhausted):
        t.reserve(30, 30)  # 60 reserved + 60 > 100
    t2 = UsageTracker(max_tokens_total=100)
    r2 = t2.reserve(30, 30)
    t2.release(r2)
    t2.commit(t2.reserve(30, 30), 10, 5)
    assert t2.tokens_used == 15 and not t2.exhausted
    assert r1.tokens == 60
    with pytest.raises(LLMConfigError):
        UsageTracker(budget_usd=-1)


def test_corrupt_cache_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "cache.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LLMConfigError, match="cannot open the LLM cache"):
        ResponseCache(bad)
    with pytest.raises(LLMConfigError, match="folder"):
        ResponseCache(tmp_path)


def test_client_option_validation(server: LocalChatServer) -> None:
    p = OpenAIProvider.compatible(server.base_url)
    with pytest.raises(LLMConfigError, match="concurrency"):
        LLMClient(p, model="m", cache=None, concurrency=0)
    with pytest.raises(LLMConfigError, match="model"):
        LLMClient(p, model="", cache=None)
    with pytest.raises(LLMConfigError, match="n must be"):
        LLMClient(p, model="m", cache=None).complete(MSG, n=0)


def test_provider_name_namespaces_the_cache(server: LocalChatServer, tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    a = LLMClient(OpenAIProvider.compatible(server.base_url), model="m", cache=cache)
    b = LLMClient(
        OpenAIProvider.compatible(server.base_url, name="other-weights"), model="m", cache=cache
    )
    a.complete(MSG)
    assert b.complete(MSG).cached is False
    assert a.complete(MSG).cached is True
    assert len(server.requests) == 2
