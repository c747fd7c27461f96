"""Login throttling: back off after wrong passwords, and bound concurrent password checks.

Two guards:

* **Failures.** Wrong passwords are counted per user name and per client address over a
  15-minute window, in a :class:`FailureLog`: in memory by default, in the database for a
  store (:class:`DatabaseFailureLog`), so every server process behind one URL sees the same
  counts and a restart does not reset them. From the 5th failure on a name (the 20th from one address) every
  further attempt waits: 30 s, doubling with each failure up to 15 minutes. Attempts inside
  the wait are refused with 429 and ``Retry-After`` *before* any hashing, so a flood costs
  nothing. A successful login clears the name's record.
* **Concurrency** (per server process). A password check (Argon2id, 64 MiB each) runs
  only in one of a few slots; a request that cannot get one within a few seconds is refused with 429 as well,
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
from typing import Any, Protocol

from labelwise.app.errors import TooManyRequests

__all__ = ["DatabaseFailureLog", "FailureLog", "LoginThrottle", "MemoryFailureLog"]


class FailureLog(Protocol):
    """Where :class:`LoginThrottle` keeps failed login times, by key (``u:name``, ``c:addr``)."""

    def recent(self, key: str, since: float) -> tuple[int, float]:
        """How many failures ``key`` has since ``since``, and the time of the last one."""
        ...

    def add(self, keys: list[str], at: float) -> None:
        """Record one failure at ``at`` for each key."""
        ...

    def clear(self, key: str) -> None:
        """Forget ``key``'s failures (a successful login)."""
        ...


class MemoryFailureLog:
    """Failures in this process's memory (a single process, or tests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def recent(self, key: str, since: float) -> tuple[int, float]:
        with self._lock:
            q = self._failures.get(key)
            if not q:
                return 0, 0.0
            while q and q[0] < since:
                q.popleft()
            return len(q), (q[-1] if q else 0.0)

    def add(self, keys: list[str], at: float) -> None:
        with self._lock:
            if len(self._failures) > 100_000:  # a spray of random names: forget the oldest
                self._failures.clear()
            for key in keys:
                self._failures.setdefault(key, deque(maxlen=256)).append(at)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


class DatabaseFailureLog:
    """Failures in the ``login_failures`` table of a :class:`~labelwise.app.db.Database`:
    shared by every server process using it, and kept across restarts."""

    def __init__(self, db: Any) -> None:
        import sqlalchemy as sa

        self.db = db
        self._count = sa.text(
            "SELECT COUNT(*), COALESCE(MAX(at), 0) FROM login_failures WHERE key = :k AND at >= :s"
        )
        self._insert = sa.text("INSERT INTO login_failures (key, at) VALUES (:k, :a)")
        self._prune = sa.text("DELETE FROM login_failures WHERE at < :old")
        self.retention = 86400.0  # rows older than a day are dropped (longer than any window)
        self._delete = sa.text("DELETE FROM login_failures WHERE key = :k")

    def recent(self, key: str, since: float) -> tuple[int, float]:
        with self.db.read() as conn:
            n, last = conn.execute(self._count, {"k": key[:300], "s": since}).one()
        return int(n), float(last)

    def add(self, keys: list[str], at: float) -> None:
        def op(conn: Any) -> None:
            # keys are cut to the column's 300 characters, here and in every lookup
            conn.execute(self._insert, [{"k": k[:300], "a": at} for k in keys])
            conn.execute(self._prune, {"old": at - self.retention})

        self.db.write(op)

    def clear(self, key: str) -> None:
        self.db.write(lambda conn: conn.execute(self._delete, {"k": key[:300]}))


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
    failures : FailureLog, optional
        Where failures are counted (default: this process's memory).
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
        failures: FailureLog | None = None,
    ) -> None:
        self.max_failures = max_failures
        self.max_failures_per_client = max_failures_per_client
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.window = window
        self.slot_wait = slot_wait
        self._slots = threading.BoundedSemaphore(slots or max(2, os.cpu_count() or 2))
        self.failures: FailureLog = failures if failures is not None else MemoryFailureLog()

    def _wait(self, key: str, limit: int, now: float) -> float:
        n, last = self.failures.recent(key, now - self.window)
        if n < limit:
            return 0.0
        delay = min(self.max_delay, self.base_delay * 2 ** min(n - limit, 30))
        return max(0.0, last + delay - now)

    def check(self, username: str, client: str | None = None) -> None:
        """Raise :class:`TooManyRequests` while this name or client must wait."""
        now = time.time()
        wait = max(
            self._wait("u:" + username.lower(), self.max_failures, now),
            self._wait("c:" + client, self.max_failures_per_client, now) if client else 0.0,
        )
        if wait > 0:
            raise TooManyRequests(
                f"too many wrong passwords; try again in {int(wait + 0.999)} s",
                retry_after=wait,
            )

    def failed(self, username: str, client: str | None = None) -> None:
        keys = ["u:" + username.lower()] + (["c:" + client] if client else [])
        self.failures.add(keys, time.time())

    def succeeded(self, username: str) -> None:
        self.failures.clear("u:" + username.lower())

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
