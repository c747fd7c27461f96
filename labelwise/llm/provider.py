"""The provider seam: one small interface for chat completions, and its OpenAI implementation.

Everything above this module (cache, budget, retries, tasks) talks to a
:class:`ChatProvider`. :class:`OpenAIProvider` implements it with the official ``openai``
package for OpenAI, Azure OpenAI and any server that speaks the same protocol (Ollama,
vLLM, llama.cpp server). Tests plug a local HTTP server in at the same seam.

The provider makes exactly one HTTP call per :meth:`ChatProvider.complete`: the ``openai``
client's own retries are switched off (``max_retries=0``) so that the client in
:mod:`labelwise.llm.client` can retry, back off and report every attempt itself.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlparse

from labelwise.llm.errors import LLMConfigError, ProviderError

__all__ = [
    "ChatProvider",
    "ChatResult",
    "OpenAIProvider",
    "Usage",
    "make_provider",
]

Message = Mapping[str, str]


@dataclass(frozen=True)
class Usage:
    """Tokens one request consumed.

    ``estimated`` is True when the server returned no ``usage`` block and the counts were
    estimated from the text length (about 4 characters per token).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class ChatResult:
    """The answer to one chat-completion request.

    Attributes
    ----------
    texts : list of str
        One message text per choice (``n`` choices).
    logprobs : list of (list of (token, logprob)) or None
        Per choice, the generated tokens with their log-probabilities, or ``None`` when
        the provider returned none.
    usage : Usage
        Tokens billed for the request.
    model : str
        The model the server says answered.
    finish_reasons : list of str or None
        Per choice (``"stop"``, ``"length"``, ...).
    cached : bool
        Set by the client: the result came from the cache and cost nothing.
    cost_usd : float
        Set by the client: what this request cost (0 for cache hits).
    retries : tuple of str
        Set by the client: the kinds of failures retried before this answer.
    """

    texts: list[str]
    logprobs: list[list[tuple[str, float]] | None] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    finish_reasons: list[str | None] = field(default_factory=list)
    cached: bool = False
    cost_usd: float = 0.0
    retries: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict of what the server returned (not the client's annotations)."""
        return {
            "texts": list(self.texts),
            "logprobs": [None if lp is None else [list(t) for t in lp] for lp in self.logprobs],
            "usage": asdict(self.usage),
            "model": self.model,
            "finish_reasons": list(self.finish_reasons),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChatResult:
        return cls(
            texts=[str(t) for t in data["texts"]],
            logprobs=[
                None if lp is None else [(str(t), float(v)) for t, v in lp]
                for lp in data.get("logprobs") or []
            ],
            usage=Usage(**data.get("usage", {})),
            model=str(data.get("model", "")),
            finish_reasons=list(data.get("finish_reasons") or []),
        )

    def annotated(self, **changes: Any) -> ChatResult:
        return replace(self, **changes)


@runtime_checkable
class ChatProvider(Protocol):
    """Anything that answers chat-completion requests.

    ``name`` identifies the provider in cache keys (e.g. ``"openai"``,
    ``"azure:my-deployment"``); two providers with the same name and model are assumed to
    give the same answer to the same request. ``complete`` makes one call and raises
    :class:`~labelwise.llm.errors.ProviderError` on failure (never retries itself).
    """

    name: str

    def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float = 0.0,
        n: int = 1,
        logprobs: bool = False,
        top_logprobs: int | None = None,
        response_format: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        timeout: float | None = None,
    ) -> ChatResult: ...


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _retry_after(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds; HTTP dates ignored)."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    sec = headers.get("retry-after")
    if sec is not None:
        try:
            return max(0.0, float(sec))
        except ValueError:
            return None
    return None


def _is_local(url: str | None) -> bool:
    host = (urlparse(url).hostname or "") if url else ""
    return host in ("127.0.0.1", "localhost", "::1", "0.0.0.0") or host.endswith(".local")


class OpenAIProvider:
    """Chat completions through the official ``openai`` package.

    Use the constructors for the three kinds of endpoint:

    * ``OpenAIProvider()`` -- api.openai.com, key from ``api_key`` or ``OPENAI_API_KEY``;
    * ``OpenAIProvider.azure(endpoint=, deployment=, api_version=)`` -- Azure OpenAI, key
      from ``AZURE_OPENAI_KEY`` (or ``AZURE_OPENAI_API_KEY``), endpoint from
      ``AZURE_OPENAI_ENDPOINT``, version from ``OPENAI_API_VERSION``;
    * ``OpenAIProvider.compatible(base_url)`` -- any OpenAI-compatible server (Ollama,
      vLLM, llama.cpp). A key is optional: local servers usually ignore it.

    Parameters
    ----------
    api_key : str, optional
        The key; when omitted it is read from ``api_key_env``.
    api_key_env : str, default "OPENAI_API_KEY"
        Environment variable holding the key.
    base_url : str, optional
        Endpoint root ending in ``/v1`` for OpenAI-compatible servers.
    organization : str, optional
        OpenAI organization id.
    key_required : bool, default True
        Raise :class:`~labelwise.llm.errors.LLMConfigError` naming ``api_key_env`` when no
        key is found.

    Examples
    --------
    >>> p = OpenAIProvider.compatible("http://127.0.0.1:11434/v1")  # Ollama
    >>> p.name
    'openai-compatible'
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        base_url: str | None = None,
        organization: str | None = None,
        key_required: bool = True,
        name: str | None = None,
    ) -> None:
        key = api_key or os.environ.get(api_key_env)
        if not key:
            if key_required:
                raise LLMConfigError(
                    f"no API key for the LLM provider: set the {api_key_env} environment "
                    "variable or pass api_key=... (for a local OpenAI-compatible server use "
                    "OpenAIProvider.compatible(base_url), which needs no key)"
                )
            key = "no-key"  # the openai client insists on a non-empty key
        self._api_key = key
        self.base_url = base_url
        self.organization = organization
        self.kind = "openai" if base_url is None else "compatible"
        self.name = name or ("openai" if base_url is None else "openai-compatible")
        self._azure: dict[str, str] | None = None
        self._client: Any = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # Pickles (for Dask workers and saved labelers) without the lock or the HTTP client;
        # the client is re-created on first use.
        state = dict(self.__dict__)
        state["_client"] = None
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ constructors
    @classmethod
    def compatible(
        cls,
        base_url: str,
        *,
        api_key: str | None = None,
        api_key_env: str | None = None,
        name: str = "openai-compatible",
    ) -> OpenAIProvider:
        """A server that speaks the OpenAI protocol at ``base_url`` (e.g. ``.../v1``).

        A key is read from ``api_key`` or ``api_key_env`` when given; naming an
        ``api_key_env`` that is unset is an error, giving none at all is fine.

        ``name`` is the provider's part of cache keys. Servers are not told apart by URL
        (a local server's port changes between runs), so answers cached from one server
        are reused for the same model name on another; give servers that host different
        weights under the same model name different names.
        """
        if not base_url or not str(base_url).startswith(("http://", "https://")):
            raise LLMConfigError(
                f"base_url {base_url!r} is not an http(s) URL; give the server root, e.g. "
                "http://127.0.0.1:11434/v1 for Ollama or http://127.0.0.1:8000/v1 for vLLM"
            )
        return cls(
            api_key=api_key,
            api_key_env=api_key_env or "OPENAI_API_KEY",
            base_url=str(base_url).rstrip("/"),
            key_required=api_key_env is not None,
            name=name,
        )

    @classmethod
    def azure(
        cls,
        *,
        endpoint: str | None = None,
        deployment: str | None = None,
        api_version: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
    ) -> OpenAIProvider:
        """Azure OpenAI: ``endpoint`` (``https://NAME.openai.azure.com``), a deployment name
        and an ``api-version``; each falls back to its environment variable. The key comes
        from ``api_key``, else ``api_key_env`` when named, else ``AZURE_OPENAI_KEY`` (or
        ``AZURE_OPENAI_API_KEY``)."""
        endpoint = endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT")
        if not endpoint:
            raise LLMConfigError(
                "no Azure OpenAI endpoint: set the AZURE_OPENAI_ENDPOINT environment variable "
                "or pass endpoint='https://<resource>.openai.azure.com'"
            )
        if api_key_env:
            key = api_key or os.environ.get(api_key_env)
            var = api_key_env
        else:
            key = (
                api_key
                or os.environ.get("AZURE_OPENAI_KEY")
                or os.environ.get("AZURE_OPENAI_API_KEY")
            )
            var = "AZURE_OPENAI_KEY"
        if not key:
            raise LLMConfigError(
                f"no Azure OpenAI key: set the {var} environment variable or pass api_key=..."
            )
        deployment = deployment or os.environ.get("AZURE_OPENAI_DEPLOYMENT")
        if not deployment:
            raise LLMConfigError(
                "no Azure OpenAI deployment: pass deployment='<deployment name>' (or set "
                "AZURE_OPENAI_DEPLOYMENT); Azure routes requests by deployment, not model"
            )
        api_version = api_version or os.environ.get("OPENAI_API_VERSION") or "2024-10-21"
        self = cls(api_key=key, key_required=True, name=f"azure:{deployment}")
        self.kind = "azure"
        self._azure = {
            "endpoint": endpoint.rstrip("/"),
            "deployment": deployment,
            "api_version": api_version,
        }
        return self

    def __repr__(self) -> str:
        where = self._azure["endpoint"] if self._azure else (self.base_url or "api.openai.com")
        return f"OpenAIProvider(kind={self.kind!r}, at={where!r})"

    @property
    def is_local(self) -> bool:
        """True for servers on this machine (no per-token price applies by default)."""
        return _is_local(self.base_url) or (
            self._azure is not None and _is_local(self._azure["endpoint"])
        )

    # ------------------------------------------------------------------ the call
    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                from labelwise.errors import require

                openai = require("openai", "llm")
                if self._azure is not None:
                    self._client = openai.AzureOpenAI(
                        api_key=self._api_key,
                        azure_endpoint=self._azure["endpoint"],
                        azure_deployment=self._azure["deployment"],
                        api_version=self._azure["api_version"],
                        max_retries=0,
                    )
                else:
                    self._client = openai.OpenAI(
                        api_key=self._api_key,
                        base_url=self.base_url,
                        organization=self.organization,
                        max_retries=0,
                    )
            return self._client

    def complete(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float = 0.0,
        n: int = 1,
        logprobs: bool = False,
        top_logprobs: int | None = None,
        response_format: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        timeout: float | None = None,
    ) -> ChatResult:
        """Make one chat-completion call; see :class:`ChatProvider`."""
        client = self._get_client()
        kwargs: dict[str, Any] = {
            "model": self._azure["deployment"] if self._azure else model,
            "messages": [dict(m) for m in messages],
            "temperature": temperature,
        }
        if n != 1:
            kwargs["n"] = n
        if logprobs:
            kwargs["logprobs"] = True
            if top_logprobs:
                kwargs["top_logprobs"] = top_logprobs
        if response_format is not None:
            kwargs["response_format"] = dict(response_format)
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        if seed is not None:
            kwargs["seed"] = seed
        if timeout is not None:
            kwargs["timeout"] = timeout
        try:
            resp = client.chat.completions.create(**kwargs)
        except Exception as exc:
            raise _map_error(exc, self) from exc
        try:
            return _to_result(resp, messages)
        except Exception as exc:  # a 200 whose body is not a chat completion
            raise ProviderError(
                f"the server's answer is not a chat completion ({type(exc).__name__}: {exc}; "
                f"got {str(resp)[:200]!r})",
                kind="malformed",
            ) from exc


def _map_error(exc: Exception, provider: OpenAIProvider) -> ProviderError:
    """Translate an ``openai`` exception into a :class:`ProviderError` with a kind."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return ProviderError(f"request timed out ({exc})", kind="timeout")
    if isinstance(exc, openai.APIConnectionError):
        return ProviderError(f"could not connect to {provider!r}: {exc}", kind="connection")
    if isinstance(exc, openai.APIStatusError):
        status = int(exc.status_code)
        headers = getattr(exc.response, "headers", None)
        detail = str(getattr(exc, "message", exc))
        if status == 429:
            return ProviderError(
                f"rate limited (429): {detail}",
                kind="rate_limit",
                status=status,
                retry_after=_retry_after(headers),
            )
        if status >= 500 or status in (408, 409):
            return ProviderError(
                f"server error ({status}): {detail}",
                kind="server",
                status=status,
                retry_after=_retry_after(headers),
            )
        if status in (401, 403):
            hint = (
                "check AZURE_OPENAI_KEY"
                if provider.kind == "azure"
                else "check the API key (OPENAI_API_KEY or the variable you named)"
            )
            return ProviderError(
                f"the provider rejected the credentials ({status}): {detail}; {hint}",
                kind="auth",
                status=status,
            )
        if status == 404:
            hint = (
                "check the deployment name and endpoint"
                if provider.kind == "azure"
                else "check the model name and base URL (it usually ends in /v1)"
            )
            return ProviderError(
                f"not found (404): {detail}; {hint}", kind="not_found", status=status
            )
        return ProviderError(
            f"request refused ({status}): {detail}", kind="bad_request", status=status
        )
    if isinstance(exc, openai.APIResponseValidationError):
        return ProviderError(
            f"the server's answer did not follow the protocol: {exc}", kind="malformed"
        )
    if isinstance(exc, ValueError):  # a body that is not JSON at all
        return ProviderError(
            f"the server's answer is not valid JSON ({type(exc).__name__}: {exc})",
            kind="malformed",
        )
    return ProviderError(f"{type(exc).__name__}: {exc}", kind="other")


def _to_result(resp: Any, messages: Sequence[Message]) -> ChatResult:
    texts: list[str] = []
    lps: list[list[tuple[str, float]] | None] = []
    finish: list[str | None] = []
    for choice in sorted(resp.choices or [], key=lambda c: c.index or 0):
        msg = choice.message
        texts.append((msg.content if msg is not None else None) or "")
        content = getattr(choice.logprobs, "content", None) if choice.logprobs else None
        lps.append(None if not content else [(t.token, float(t.logprob)) for t in content])
        finish.append(choice.finish_reason)
    usage = getattr(resp, "usage", None)
    if usage is not None and usage.prompt_tokens is not None:
        u = Usage(int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0))
    else:
        prompt_chars = " ".join(str(m.get("content", "")) for m in messages)
        u = Usage(
            _estimate_tokens(prompt_chars),
            sum(_estimate_tokens(t) for t in texts),
            estimated=True,
        )
    return ChatResult(
        texts=texts, logprobs=lps, usage=u, model=str(resp.model or ""), finish_reasons=finish
    )


def make_provider(
    kind: str = "auto",
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    api_key_env: str | None = None,
    azure_endpoint: str | None = None,
    deployment: str | None = None,
    api_version: str | None = None,
) -> OpenAIProvider:
    """Build a provider from CLI-style options.

    ``kind`` is ``"openai"``, ``"azure"``, ``"compatible"`` or ``"auto"`` (compatible when
    ``base_url`` is given, Azure when an endpoint or deployment is given, else OpenAI).

    Examples
    --------
    >>> make_provider(base_url="http://127.0.0.1:8000/v1").kind
    'compatible'
    """
    if kind == "auto":
        if base_url:
            kind = "compatible"
        elif azure_endpoint or deployment:
            kind = "azure"
        else:
            kind = "openai"
    if kind == "compatible":
        if not base_url:
            raise LLMConfigError(
                "an OpenAI-compatible provider needs base_url (e.g. http://127.0.0.1:11434/v1)"
            )
        return OpenAIProvider.compatible(base_url, api_key=api_key, api_key_env=api_key_env)
    if kind == "azure":
        return OpenAIProvider.azure(
            endpoint=azure_endpoint,
            deployment=deployment,
            api_version=api_version,
            api_key=api_key,
            api_key_env=api_key_env,
        )
    if kind == "openai":
        return OpenAIProvider(api_key=api_key, api_key_env=api_key_env or "OPENAI_API_KEY")
    raise LLMConfigError(
        f"unknown provider kind {kind!r}; use 'openai', 'azure', 'compatible' or 'auto'"
    )
