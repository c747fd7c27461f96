"""The LLM client: cache, budget, retries with backoff and a concurrency limit over a provider.

:class:`LLMClient` wraps one :class:`~labelwise.llm.provider.ChatProvider` and one model.
Every request goes

1. to the cache (a hit costs nothing and is marked ``cached``);
2. through *single flight*: identical requests in flight at the same time wait for the
   first instead of paying again;
3. through the budget (the worst case is reserved before sending, see
   :mod:`labelwise.llm.cost`);
4. to the provider, retried on 429, 5xx, timeouts and dropped connections with
   exponential backoff and jitter (``backoff_base * 2**attempt``, honouring
   ``Retry-After``), at most ``max_retries`` times;
5. into the cache, committed at once.

Authentication and unknown-model errors raise :class:`~labelwise.llm.errors.LLMProviderError`
(every other request would fail the same way); other failures raise
:class:`~labelwise.llm.errors.RequestFailed` for that one request.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.cache import cache_file
from labelwise.llm.cache import LLM_CACHE_FILE, ResponseCache, cache_key
from labelwise.llm.cost import Price, UsageTracker, price_for
from labelwise.llm.errors import (
    UNREACHABLE,
    CircuitOpen,
    LLMConfigError,
    LLMProviderError,
    ProviderError,
    RequestFailed,
)
from labelwise.llm.provider import ChatProvider, ChatResult, Usage, make_provider

__all__ = ["DEFAULT_MODEL", "LLMClient", "connect"]

#: Model used when none is given (or ``$LABELWISE_LLM_MODEL`` when set).
DEFAULT_MODEL = "gpt-4o-mini"

_UNSET: Any = object()


def _estimate_prompt_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    # About 3 characters per token on English text, plus a few tokens per message: a
    # deliberately high estimate so a reservation rarely undershoots the real bill.
    chars = sum(len(str(m.get("content", ""))) for m in messages)
    return math.ceil(chars / 3) + 4 * len(messages) + 3


class LLMClient:
    """A cached, budgeted, retrying chat client for one provider and model.

    Parameters
    ----------
    provider : ChatProvider
        Where requests go (e.g. :class:`~labelwise.llm.provider.OpenAIProvider`).
    model : str
        Model name sent with each request (for Azure: the model behind the deployment,
        used for prices).
    cache : "auto", str, Path, ResponseCache or None, default "auto"
        ``"auto"`` uses ``llm_cache.sqlite`` in :func:`labelwise.cache.cache_dir`; a path opens
        that SQLite file; ``None`` keeps answers in memory for this client only.
    budget_usd : float, optional
        Stop issuing requests before spending more than this.
    max_tokens_total : int, optional
        Stop before using more prompt + completion tokens than this.
    prices : mapping, optional
        ``{model_prefix: (usd_per_1M_input, usd_per_1M_output)}`` added to
        :data:`~labelwise.llm.cost.PRICES`. Local servers without a price cost 0.
    max_retries : int, default 4
        Retries after the first attempt on 429, 5xx, timeouts and connection errors. A
        400/404/422 is never retried, nor a 500 whose body repeats the previous attempt's
        (the server fails the same way every time).
    breaker : int, default 5
        Circuit breaker: after this many consecutive connection failures or timeouts (over
        all requests) the client stops with :class:`~labelwise.llm.errors.CircuitOpen`
        instead of retrying every item against a dead server. ``0`` disables it.
    backoff_base, backoff_max : float, default 1.0, 60.0
        Seconds: the wait before retry ``a`` is ``min(backoff_max, backoff_base * 2**a)``
        times a jitter in [0.5, 1.0], or the server's ``Retry-After`` when larger.
    timeout : float, default 60.0
        Seconds per request.
    concurrency : int, default 4
        Requests in flight at once when labeling a batch.
    seed : int, default 0
        Seeds the backoff jitter.

    Examples
    --------
    >>> from labelwise.llm.server import LocalChatServer
    >>> from labelwise.llm.provider import OpenAIProvider
    >>> with LocalChatServer() as server:
    ...     client = LLMClient(OpenAIProvider.compatible(server.base_url), model="local", cache=None)
    ...     first = client.complete([{"role": "user", "content": "hi"}])
    ...     again = client.complete([{"role": "user", "content": "hi"}])
    >>> first.texts, first.cached, again.cached
    (['ok'], False, True)
    """

    def __init__(
        self,
        provider: ChatProvider,
        *,
        model: str,
        cache: str | Path | ResponseCache | None = "auto",
        budget_usd: float | None = None,
        max_tokens_total: int | None = None,
        prices: Mapping[str, Price | tuple[float, float]] | None = None,
        max_retries: int = 4,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        timeout: float = 60.0,
        concurrency: int = 4,
        seed: int = 0,
        breaker: int = 5,
    ) -> None:
        if not isinstance(model, str) or not model:
            raise LLMConfigError(f"model must be a non-empty model name, got {model!r}")
        if concurrency < 1:
            raise LLMConfigError(f"concurrency must be >= 1, got {concurrency}")
        if max_retries < 0:
            raise LLMConfigError(f"max_retries must be >= 0, got {max_retries}")
        if timeout <= 0:
            raise LLMConfigError(f"timeout must be > 0 seconds, got {timeout}")
        self.provider = provider
        self.model = model
        if isinstance(cache, ResponseCache):
            self.cache = cache
        elif cache is None:
            self.cache = ResponseCache(":memory:")
        elif cache == "auto":
            self.cache = ResponseCache(cache_file(LLM_CACHE_FILE))
        else:
            self.cache = ResponseCache(cache)
        price = price_for(model, prices)
        if price is None and getattr(provider, "is_local", False):
            price = Price(0.0, 0.0)  # a server on this machine bills nothing per token
        if price is None and budget_usd is not None:
            raise LLMConfigError(
                f"budget_usd={budget_usd} was set but model {model!r} has no known price; "
                f"pass prices={{{model!r}: (usd_per_1M_input, usd_per_1M_output)}} or use "
                "max_tokens_total instead"
            )
        self.usage = UsageTracker(
            price=price, budget_usd=budget_usd, max_tokens_total=max_tokens_total
        )
        self.max_retries = int(max_retries)
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.timeout = float(timeout)
        self.concurrency = int(concurrency)
        self.counts: Counter[str] = Counter()
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._inflight: dict[str, threading.Event] = {}
        self.breaker = int(breaker)
        self._consecutive_unreachable = 0
        self._circuit_error: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Pickles without its lock and in-flight events (re-created empty on unpickling).
        state = dict(self.__dict__)
        del state["_lock"], state["_inflight"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._inflight = {}

    def __repr__(self) -> str:
        return f"LLMClient({self.provider!r}, model={self.model!r}, cache={self.cache.path!r})"

    @property
    def circuit_open(self) -> bool:
        """True once the circuit breaker tripped (every further request is refused)."""
        return self._circuit_error is not None

    def _check_circuit(self) -> None:
        if self._circuit_error is not None:
            raise CircuitOpen(self._circuit_error)

    def _note_unreachable(self, exc: ProviderError) -> None:
        with self._lock:
            self._consecutive_unreachable += 1
            n = self._consecutive_unreachable
            if self.breaker and n >= self.breaker and self._circuit_error is None:
                self._circuit_error = (
                    f"stopped after {n} consecutive failed attempts to reach the server "
                    f"({exc.kind}: {exc}); check that it is running and that --base-url "
                    f"is right ({self.provider!r})"
                )

    def _note_answered(self) -> None:
        with self._lock:
            self._consecutive_unreachable = 0

    def _count(self, what: str, k: int = 1) -> None:
        with self._lock:
            self.counts[what] += k

    def _backoff(self, attempt: int, retry_after: float | None, kind: str = "server") -> float:
        with self._lock:
            jitter = 0.5 + 0.5 * float(self._rng.random())
        # A refused connection is answered at once: probe again soon (the circuit breaker
        # stops the run when the server stays away).
        base = self.backoff_base / 4 if kind == "connection" else self.backoff_base
        delay = min(self.backoff_max, base * (2**attempt)) * jitter
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max))
        return delay

    # ------------------------------------------------------------------ public
    def complete(
        self,
        messages: Sequence[Mapping[str, Any]],
        *,
        temperature: float = 0.0,
        n: int = 1,
        logprobs: bool = False,
        top_logprobs: int | None = None,
        response_format: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> ChatResult:
        """One chat completion, from the cache when possible.

        Parameters
        ----------
        messages : sequence of {"role", "content"} dicts
        temperature : float, default 0.0
        n : int, default 1
            Choices wanted. Servers that ignore ``n`` are topped up with single requests
            (seeds ``seed+1, seed+2, ...``).
        logprobs : bool, default False
            Ask for token log-probabilities.
        response_format : dict, optional
            ``{"type": "json_schema", ...}`` or ``{"type": "json_object"}``.
        max_tokens : int, optional
            Cap on completion tokens per choice (also the budget's worst case).

        Returns
        -------
        ChatResult
            With ``cached``, ``cost_usd`` and ``retries`` filled in.

        Raises
        ------
        BudgetExhausted
            The budget does not allow this request (cache hits are still served).
        RequestFailed
            Retries used up, or the request was refused (400).
        LLMProviderError
            Wrong key, unknown model or deployment.
        """
        if n < 1:
            raise LLMConfigError(f"n must be >= 1, got {n}")
        params: dict[str, Any] = {
            "temperature": float(temperature),
            "n": int(n),
            "logprobs": bool(logprobs),
            "top_logprobs": top_logprobs if logprobs else None,
            "response_format": dict(response_format) if response_format else None,
            "max_tokens": max_tokens,
            "seed": seed,
        }
        key = cache_key(self.provider.name, self.model, messages, params)
        while True:
            hit = self.cache.get(key)
            if hit is not None:
                self._count("cache_hits")
                return hit.annotated(cached=True, cost_usd=0.0, retries=())
            with self._lock:
                event = self._inflight.get(key)
                owner = event is None
                if owner:
                    event = threading.Event()
                    self._inflight[key] = event
            assert event is not None
            if not owner:
                # Someone is already paying for this exact request: wait, then read the
                # cache (or try ourselves if their request failed).
                event.wait()
                self._count("deduplicated")
                continue
            try:
                result = self._request(messages, params)
                if len(result.texts) < n:
                    result = self._top_up(messages, params, result)
                self.cache.put(
                    key,
                    result,
                    provider=self.provider.name,
                    model=self.model,
                    request={"messages": list(messages), **params},
                )
                return result
            finally:
                with self._lock:
                    self._inflight.pop(key, None)
                event.set()

    def _top_up(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], first: ChatResult
    ) -> ChatResult:
        texts = list(first.texts)
        lps = list(first.logprobs) or [None] * len(texts)
        finish = list(first.finish_reasons) or [None] * len(texts)
        cost, retries = first.cost_usd, list(first.retries)
        p, c = first.usage.prompt_tokens, first.usage.completion_tokens
        base_seed = int(params.get("seed") or 0)
        i = len(texts)
        while len(texts) < int(params["n"]):
            extra = self.complete(
                messages,
                temperature=params["temperature"],
                n=1,
                logprobs=params["logprobs"],
                top_logprobs=params["top_logprobs"],
                response_format=params["response_format"],
                max_tokens=params["max_tokens"],
                seed=base_seed + i,
            )
            i += 1
            texts += extra.texts[:1]
            lps += (extra.logprobs or [None])[:1]
            finish += (extra.finish_reasons or [None])[:1]
            cost += extra.cost_usd
            retries += list(extra.retries)
            p += extra.usage.prompt_tokens
            c += extra.usage.completion_tokens
        self._count("topped_up")
        return first.annotated(
            texts=texts,
            logprobs=lps,
            finish_reasons=finish,
            usage=Usage(p, c, first.usage.estimated),
            cost_usd=cost,
            retries=tuple(retries),
        )

    def _request(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any]
    ) -> ChatResult:
        max_tokens = params.get("max_tokens") or 512
        est_prompt = _estimate_prompt_tokens(messages)
        est_completion = int(max_tokens) * int(params["n"])
        retried: list[str] = []
        attempt = 0
        last_server_error: str | None = None
        while True:
            self._check_circuit()
            reservation = self.usage.reserve(est_prompt, est_completion)
            try:
                result = self.provider.complete(
                    messages,
                    model=self.model,
                    temperature=params["temperature"],
                    n=params["n"],
                    logprobs=params["logprobs"],
                    top_logprobs=params["top_logprobs"],
                    response_format=params["response_format"],
                    max_tokens=params["max_tokens"],
                    seed=params["seed"],
                    timeout=self.timeout,
                )
            except ProviderError as exc:
                self.usage.release(reservation)
                self._count(f"error_{exc.kind}")
                if exc.kind in UNREACHABLE:
                    self._note_unreachable(exc)
                    self._check_circuit()
                else:
                    self._note_answered()
                if exc.kind == "server":
                    # The same 500 twice is not transient: the server refuses this request.
                    if last_server_error is not None and str(exc) == last_server_error:
                        raise RequestFailed(
                            f"the server failed the same way twice, not retried further: {exc}",
                            kind="server_deterministic",
                            attempts=attempt + 1,
                            retries=tuple(retried),
                        ) from exc
                    last_server_error = str(exc)
                if exc.fatal:
                    raise LLMProviderError(
                        f"{exc} (provider {self.provider!r}, model {self.model!r})"
                    ) from exc
                if not exc.retryable:
                    raise RequestFailed(
                        str(exc), kind=exc.kind, attempts=attempt + 1, retries=tuple(retried)
                    ) from exc
                if attempt >= self.max_retries:
                    raise RequestFailed(
                        f"gave up after {attempt + 1} attempts; last error: {exc}",
                        kind=exc.kind,
                        attempts=attempt + 1,
                        retries=tuple(retried),
                    ) from exc
                retried.append(exc.kind)
                self._count("retries")
                time.sleep(self._backoff(attempt, exc.retry_after, exc.kind))
                attempt += 1
                continue
            self._note_answered()
            cost = self.usage.commit(
                reservation, result.usage.prompt_tokens, result.usage.completion_tokens
            )
            self._count("requests")
            return result.annotated(cached=False, cost_usd=cost, retries=tuple(retried))

    def set_budget(
        self, *, budget_usd: float | None = None, max_tokens_total: int | None = None
    ) -> None:
        """Set new limits (totals so far still count) so a stopped run can continue.

        Examples
        --------
        >>> from labelwise.llm.provider import OpenAIProvider
        >>> client = LLMClient(OpenAIProvider.compatible("http://127.0.0.1:9/v1"), model="m",
        ...                    cache=None, max_tokens_total=10)
        >>> client.set_budget(max_tokens_total=10_000)
        >>> client.usage.max_tokens_total, client.usage.exhausted
        (10000, False)
        """
        self.usage.set_limits(budget_usd=budget_usd, max_tokens_total=max_tokens_total)

    def stats(self) -> dict[str, Any]:
        """Client-lifetime totals: requests, cache hits, retries, tokens, cost, budget."""
        with self._lock:
            counts = dict(self.counts)
        return {**self.usage.snapshot(), **counts}

    def close(self) -> None:
        """Close the cache connection."""
        self.cache.close()


def connect(
    *,
    model: str | None = None,
    provider: str = "auto",
    base_url: str | None = None,
    api_key: str | None = None,
    api_key_env: str | None = None,
    azure_endpoint: str | None = None,
    deployment: str | None = None,
    api_version: str | None = None,
    cache: str | Path | ResponseCache | None = "auto",
    budget_usd: float | None = None,
    max_tokens_total: int | None = None,
    prices: Mapping[str, Price | tuple[float, float]] | None = None,
    concurrency: int = 4,
    timeout: float = 60.0,
    max_retries: int = 4,
    backoff_base: float = 1.0,
    breaker: int = 5,
) -> LLMClient:
    """Build a provider and an :class:`LLMClient` in one call (what the CLI uses).

    ``base_url`` defaults to ``$OPENAI_BASE_URL`` when set; ``model`` to
    ``$LABELWISE_LLM_MODEL``, then the Azure deployment, then :data:`DEFAULT_MODEL`.

    Examples
    --------
    >>> client = connect(base_url="http://127.0.0.1:11434/v1", model="llama3.1", cache=None)
    >>> client.provider.kind, client.model
    ('compatible', 'llama3.1')
    """
    if base_url is None and provider in ("auto", "compatible"):
        base_url = os.environ.get("OPENAI_BASE_URL") or None
    p = make_provider(
        provider,
        base_url=base_url,
        api_key=api_key,
        api_key_env=api_key_env,
        azure_endpoint=azure_endpoint,
        deployment=deployment,
        api_version=api_version,
    )
    model = model or os.environ.get("LABELWISE_LLM_MODEL") or deployment or DEFAULT_MODEL
    return LLMClient(
        p,
        model=model,
        cache=cache,
        budget_usd=budget_usd,
        max_tokens_total=max_tokens_total,
        prices=prices,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        backoff_base=backoff_base,
        breaker=breaker,
    )
