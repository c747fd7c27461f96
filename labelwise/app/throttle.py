"""Login throttling: back off after wrong passwords, and bound concurrent password checks.

Two guards, both in memory (per server process):

* **Failures.** Wrong passwords are counted per user name and per client address over a
  15-minute window. From the 5th failure on a name (the 20th from one address) every
  further attempt waits: 30 s, doubling with each failure up to 15 minutes. Attempts inside
  the wait are refused with 429 and ``Retry-After`` *before* any hashing, so a flood costs
  nothing. A successful login clears the name's record.
* **Concurrency.** A password check (Argon2id, 64 MiB each) runs only in one of a few
  slots; a request that cannot get one within a few seconds is refused with 429 as well,
  so 64 parallel wrong logins cannot take gigabytes.

Examples
--------
>>> t = LoginThrottle(max_failures=2, base_delay=30)
>>> t.check("ann", "10.0.0.1")
>>> t.failed("ann", "10.0.0.1"); t.failed("ann", "10.0.0.1")
>>> try:
...     t.check("ann", "10.0.0.2")
... except Exception as exc:
...     print(type(exc).__name__, exc.retry_after)
TooManyRequests 30
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from labelwise.app.errors import TooManyRequests

__all__ = ["LoginThrottle"]


class LoginThrottle:
    """Failure back-off per user name and client, and a cap on concurrent password checks.

    Parameters
    ----------
    max_failures : int
        Failures on one user name (within ``window`` seconds) before attempts must wait.
    max_failures_per_client : int
        The same for one client address (any user names).
    base_delay, max_delay : float
        First wait and its cap, in seconds; each further failure doubles the wait.
    window : float
        Failures older than this are forgotten.
    slots : int
        Password checks running at once (default: the CPU count, at least 2).
    slot_wait : float
        How long a login waits for a slot before it is refused.
    """

    def __init__(
        self,
        *,
        max_failures: int = 5,
        max_failures_per_client: int = 20,
        base_delay: float = 30.0,
        max_delay: float = 900.0,
        window: float = 900.0,
        slots: int | None = None,
        slot_wait: float = 5.0,
    ) -> None:
        self.max_failures = max_failures
        self.max_failures_per_client = max_failures_per_client
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.window = window
        self.slot_wait = slot_wait
        self._slots = threading.BoundedSemaphore(slots or max(2, os.cpu_count() or 2))
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def _wait(self, key: str, limit: int, now: float) -> float:
        q = self._failures.get(key)
        if not q:
            return 0.0
        while q and q[0] < now - self.window:
            q.popleft()
        if len(q) < limit:
            return 0.0
        delay = min(self.max_delay, self.base_delay * 2 ** (len(q) - limit))
        return max(0.0, q[-1] + delay - now)

    def check(self, username: str, client: str | None = None) -> None:
        """Raise :class:`TooManyRequests` while this name or client must wait."""
        now = time.time()
        with self._lock:
            wait = max(
                self._wait("u:" + username.lower(), self.max_failures, now),
                self._wait("c:" + (client or ""), self.max_failures_per_client, now)
                if client
                else 0.0,
            )
        if wait > 0:
            raise TooManyRequests(
                f"too many wrong passwords; try again in {int(wait + 0.999)} s",
                retry_after=wait,
            )

    def failed(self, username: str, client: str | None = None) -> None:
        now = time.time()
        with self._lock:
            if len(self._failures) > 100_000:  # a spray of random names: forget the oldest
                self._failures.clear()
            self._failures.setdefault("u:" + username.lower(), deque(maxlen=64)).append(now)
            if client:
                self._failures.setdefault("c:" + client, deque(maxlen=256)).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop("u:" + username.lower(), None)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the password-check slots (or raise :class:`TooManyRequests`)."""
        if not self._slots.acquire(timeout=self.slot_wait):
            raise TooManyRequests(
                "the server is busy checking other logins; try again shortly", retry_after=2
            )
        try:
            yield
        finally:
            self._slots.release()
