"""Errors of the LLM layer.

Two families:

* :class:`LLMError` and its subclasses are :class:`labelwise.errors.LabelwiseError` (a
  ``ValueError``): bad configuration, a provider that refuses every request (wrong key,
  unknown model), a taxonomy file that does not parse, a table question whose plan is
  invalid. The CLI prints them as one line.
* :class:`ProviderError` is what a :class:`~labelwise.llm.provider.ChatProvider` raises for
  one failed HTTP call. The client decides from :attr:`ProviderError.retryable` whether to
  back off and retry (429, 5xx, timeouts, dropped connections) or give up on the item.
"""

from __future__ import annotations

from typing import Any

from labelwise.errors import LabelwiseError

__all__ = [
    "BudgetExhausted",
    "CircuitOpen",
    "LLMConfigError",
    "LLMError",
    "LLMProviderError",
    "OutputError",
    "PlanError",
    "ProviderError",
    "RequestFailed",
    "TaxonomyError",
]


class LLMError(LabelwiseError):
    """Base class of the LLM layer's user-facing errors."""


class LLMConfigError(LLMError):
    """Missing API key, endpoint or price; the message names the variable or argument."""


class LLMProviderError(LLMError):
    """The provider refuses every request (authentication, unknown model or deployment).

    Work finished before the error is kept in the cache; when raised from a batch run,
    :attr:`partial` holds the :class:`~labelwise.llm.run.LLMRun` with what was done.
    """

    def __init__(self, message: str, *, partial: Any = None) -> None:
        super().__init__(message)
        self.partial = partial


class CircuitOpen(LLMProviderError):
    """The server failed to answer too many requests in a row (dead or unreachable): the
    run stops instead of retrying every item; :attr:`partial` holds what was done."""


class BudgetExhausted(LLMError):
    """The cost or token budget does not allow another request."""


class RequestFailed(LLMError):
    """One request failed for good (retries used up, or a 400-class refusal)."""

    def __init__(
        self,
        message: str,
        *,
        kind: str = "other",
        attempts: int = 1,
        retries: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.attempts = attempts
        self.retries = retries


class TaxonomyError(LLMError):
    """A taxonomy file or mapping that does not parse; the message says where."""


class PlanError(LLMError):
    """A table-question plan that is not valid for the table (unknown column, bad op)."""


class OutputError(LLMError):
    """An LLM answer that is not valid for its task.

    ``kind`` is ``"invalid_json"``, ``"schema"``, ``"unknown_label"`` or ``"span"``; the
    message is sent back to the model in the single repair attempt.
    """

    def __init__(self, message: str, *, kind: str = "schema") -> None:
        super().__init__(message)
        self.kind = kind


_RETRYABLE = frozenset({"rate_limit", "server", "timeout", "connection"})
#: Failures that say the server is not there (counted by the client's circuit breaker).
UNREACHABLE = frozenset({"timeout", "connection"})
_FATAL = frozenset({"auth", "not_found"})


class ProviderError(Exception):
    """One failed call to a chat provider.

    Parameters
    ----------
    message : str
        What happened, for reports.
    kind : str
        ``"rate_limit"`` (429), ``"server"`` (5xx, 408, 409), ``"timeout"``,
        ``"connection"``, ``"auth"`` (401/403), ``"not_found"`` (404: model or
        deployment), ``"bad_request"`` (400/422), ``"malformed"`` (a 200 whose body is
        not a chat completion) or ``"other"``.
    status : int, optional
        The HTTP status code, when there was a response.
    retry_after : float, optional
        Seconds the server asked to wait (``Retry-After`` / ``retry-after-ms``).
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """True for rate limits, server errors, timeouts and dropped connections."""
        return self.kind in _RETRYABLE

    @property
    def fatal(self) -> bool:
        """True when every further request would fail the same way (key, model)."""
        return self.kind in _FATAL
