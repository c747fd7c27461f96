"""Token and cost accounting with a budget that is never overrun by a request in flight.

Before each request the client *reserves* its worst case (estimated prompt tokens plus the
request's ``max_tokens`` for every choice); the request is only sent when everything spent
plus everything reserved plus this reservation stays within the budget. When the answer
arrives the reservation is replaced by the real usage. Once a request is refused the
tracker is *exhausted* and refuses every further request, so a run stops cleanly: finished
items keep their answers, the rest abstain, and a rerun with a larger budget continues from
the cache.

Prices are USD per million tokens, matched by the longest model-name prefix
(``gpt-4o-mini-2024-07-18`` uses ``gpt-4o-mini``). The built-in table holds public list
prices as of mid-2025; pass ``prices={"model": (input, output)}`` to override or extend it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labelwise.llm.errors import BudgetExhausted, LLMConfigError

__all__ = ["PRICES", "Price", "UsageTracker", "price_for"]


@dataclass(frozen=True)
class Price:
    """USD per one million input (prompt) and output (completion) tokens."""

    input_per_m: float
    output_per_m: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """USD for the given token counts.

        Examples
        --------
        >>> round(Price(0.15, 0.60).cost(1_000_000, 500_000), 4)
        0.45
        """
        return (prompt_tokens * self.input_per_m + completion_tokens * self.output_per_m) / 1e6


#: List prices (USD per 1M tokens: input, output) as of mid-2025. Override with ``prices=``.
PRICES: dict[str, Price] = {
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4-turbo": Price(10.00, 30.00),
    "gpt-3.5-turbo": Price(0.50, 1.50),
    "o1": Price(15.00, 60.00),
    "o3": Price(2.00, 8.00),
    "o3-mini": Price(1.10, 4.40),
    "o4-mini": Price(1.10, 4.40),
}


def price_for(
    model: str, prices: Mapping[str, Price | tuple[float, float]] | None = None
) -> Price | None:
    """The price of ``model``: exact name, else the longest matching prefix, else ``None``.

    ``prices`` entries take precedence over :data:`PRICES`.

    Examples
    --------
    >>> price_for("gpt-4o-mini-2024-07-18")
    Price(input_per_m=0.15, output_per_m=0.6)
    >>> price_for("llama3.1:8b", {"llama3.1": (0.0, 0.0)})
    Price(input_per_m=0.0, output_per_m=0.0)
    """
    table: dict[str, Price] = dict(PRICES)
    for name, p in (prices or {}).items():
        if isinstance(p, Price):
            table[name] = p
        else:
            try:
                i, o = p
                table[name] = Price(float(i), float(o))
            except (TypeError, ValueError):
                raise LLMConfigError(
                    f"price for {name!r} must be (input_usd_per_1M, output_usd_per_1M), got {p!r}"
                ) from None
    if model in table:
        return table[model]
    matches = [n for n in table if model.startswith(n)]
    return table[max(matches, key=len)] if matches else None


@dataclass
class Reservation:
    usd: float
    tokens: int


class UsageTracker:
    """Thread-safe running totals and the budget check.

    Parameters
    ----------
    price : Price, optional
        ``None`` means unpriced (cost is reported as 0 and ``priced`` is False).
    budget_usd : float, optional
        Stop before spending more than this.
    max_tokens_total : int, optional
        Stop before using more prompt + completion tokens than this.

    Examples
    --------
    >>> t = UsageTracker(price=Price(1.0, 1.0), max_tokens_total=100)
    >>> r = t.reserve(40, 20)
    >>> t.commit(r, 30, 10)
    4e-05
    >>> t.tokens_used
    40
    """

    def __init__(
        self,
        *,
        price: Price | None = None,
        budget_usd: float | None = None,
        max_tokens_total: int | None = None,
    ) -> None:
        if budget_usd is not None and (not math.isfinite(budget_usd) or budget_usd < 0):
            raise LLMConfigError(f"budget_usd must be a number >= 0, got {budget_usd!r}")
        if max_tokens_total is not None and max_tokens_total < 0:
            raise LLMConfigError(f"max_tokens_total must be >= 0, got {max_tokens_total!r}")
        self.price = price
        self.budget_usd = budget_usd
        self.max_tokens_total = max_tokens_total
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.spent_usd = 0.0
        self.n_requests = 0
        self.exhausted_reason: str | None = None
        self._reserved_usd = 0.0
        self._reserved_tokens = 0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def priced(self) -> bool:
        return self.price is not None

    @property
    def tokens_used(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def exhausted(self) -> bool:
        return self.exhausted_reason is not None

    def _cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return 0.0 if self.price is None else self.price.cost(prompt_tokens, completion_tokens)

    def reserve(self, prompt_tokens: int, completion_tokens: int) -> Reservation:
        """Reserve a request's worst case or raise :class:`BudgetExhausted`."""
        usd = self._cost(prompt_tokens, completion_tokens)
        tokens = prompt_tokens + completion_tokens
        with self._lock:
            if self.exhausted_reason is not None:
                raise BudgetExhausted(self.exhausted_reason)
            if self.max_tokens_total is not None:
                committed = self.tokens_used + self._reserved_tokens
                if committed + tokens > self.max_tokens_total:
                    self.exhausted_reason = (
                        f"token budget reached: {self.tokens_used} of {self.max_tokens_total} "
                        f"tokens used and the next request may take up to {tokens}; raise "
                        "max_tokens_total and rerun (cached answers cost nothing)"
                    )
                    raise BudgetExhausted(self.exhausted_reason)
            if self.budget_usd is not None:
                committed_usd = self.spent_usd + self._reserved_usd
                if committed_usd + usd > self.budget_usd + 1e-12:
                    self.exhausted_reason = (
                        f"cost budget reached: ${self.spent_usd:.6f} of ${self.budget_usd:.6f} "
                        f"spent and the next request may cost up to ${usd:.6f}; raise "
                        "budget_usd and rerun (cached answers cost nothing)"
                    )
                    raise BudgetExhausted(self.exhausted_reason)
            self._reserved_usd += usd
            self._reserved_tokens += tokens
        return Reservation(usd, tokens)

    def set_limits(
        self, *, budget_usd: float | None = None, max_tokens_total: int | None = None
    ) -> None:
        """Replace both limits (``None`` removes one) and clear the exhausted state."""
        if budget_usd is not None and (not math.isfinite(budget_usd) or budget_usd < 0):
            raise LLMConfigError(f"budget_usd must be a number >= 0, got {budget_usd!r}")
        if max_tokens_total is not None and max_tokens_total < 0:
            raise LLMConfigError(f"max_tokens_total must be >= 0, got {max_tokens_total!r}")
        if budget_usd is not None and self.price is None:
            raise LLMConfigError(
                "budget_usd needs a model price; pass prices= to the client or use max_tokens_total"
            )
        with self._lock:
            self.budget_usd = budget_usd
            self.max_tokens_total = max_tokens_total
            self.exhausted_reason = None

    def release(self, reservation: Reservation) -> None:
        """Drop a reservation whose request failed (failed requests are not billed)."""
        with self._lock:
            self._reserved_usd -= reservation.usd
            self._reserved_tokens -= reservation.tokens

    def commit(self, reservation: Reservation, prompt_tokens: int, completion_tokens: int) -> float:
        """Replace a reservation by real usage; returns the request's cost in USD."""
        cost = self._cost(prompt_tokens, completion_tokens)
        with self._lock:
            self._reserved_usd -= reservation.usd
            self._reserved_tokens -= reservation.tokens
            self.prompt_tokens += prompt_tokens
            self.completion_tokens += completion_tokens
            self.spent_usd += cost
            self.n_requests += 1
        return cost

    def snapshot(self) -> dict[str, object]:
        """Totals so far, for reports."""
        with self._lock:
            return {
                "n_requests": self.n_requests,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "cost_usd": round(self.spent_usd, 8),
                "priced": self.priced,
                "budget_usd": self.budget_usd,
                "max_tokens_total": self.max_tokens_total,
                "exhausted": self.exhausted_reason,
            }
