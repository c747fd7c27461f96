"""A persistent response cache (SQLite) so no prompt is ever paid for twice.

Keys are SHA-256 hashes of the provider name, the model, the messages and every parameter
that changes the answer (temperature, ``n``, log-probabilities, response format, token
limit, seed). Each answer is committed the moment it arrives, so a run that crashes, is
interrupted or runs out of budget resumes at no cost: rerun it and cached answers come back
without a request.

One connection guarded by a lock does all reads and writes (SQLite in WAL mode), which is
enough for the few requests per second an LLM labeler makes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from labelwise.cache import cache_file
from labelwise.llm.errors import LLMConfigError
from labelwise.llm.provider import ChatResult

__all__ = ["LLM_CACHE_FILE", "ResponseCache", "cache_key"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    created REAL NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL
)
"""


def default_cache_path() -> Path:
    """Deprecated: use :func:`labelwise.cache.cache_file` ``("llm_cache.sqlite")``."""
    from labelwise._deprecation import warn_deprecated

    warn_deprecated(
        "labelwise.llm.default_cache_path()", 'labelwise.cache.cache_file("llm_cache.sqlite")'
    )
    return cache_file(LLM_CACHE_FILE)


#: File name of the LLM answer cache inside :func:`labelwise.cache.cache_dir`.
LLM_CACHE_FILE = "llm_cache.sqlite"


def cache_key(
    provider: str,
    model: str,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
) -> str:
    """A stable hex key for one request.

    Examples
    --------
    >>> k1 = cache_key("openai", "gpt-4o-mini", [{"role": "user", "content": "hi"}], {"temperature": 0})
    >>> k2 = cache_key("openai", "gpt-4o-mini", [{"role": "user", "content": "hi"}], {"temperature": 1})
    >>> len(k1), k1 == k2
    (64, False)
    """
    payload = {
        "provider": provider,
        "model": model,
        "messages": [dict(m) for m in messages],
        "params": {k: v for k, v in sorted(params.items()) if v is not None},
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """SQLite-backed store of chat results by request key.

    Parameters
    ----------
    path : str or Path
        The database file (created with its folder), or ``":memory:"`` for a cache that
        lives as long as the object.

    Examples
    --------
    >>> cache = ResponseCache(":memory:")
    >>> cache.put("k", ChatResult(texts=["hi"]), provider="p", model="m", request={})
    >>> cache.get("k").texts, len(cache)
    (['hi'], 1)
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            p = Path(self.path)
            if p.is_dir():
                raise LLMConfigError(
                    f"cache path {self.path!r} is a folder; give a file such as "
                    f"{str(p / 'llm_cache.sqlite')!r}"
                )
            p.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: a commit survives a crash of the process (the case that
                # matters for resuming); only a power cut may lose the last few answers.
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
            self._conn.commit()
        except sqlite3.DatabaseError as exc:
            raise LLMConfigError(
                f"cannot open the LLM cache {self.path!r} as SQLite ({exc}); delete it or pass "
                "another cache path"
            ) from exc
        self.hits = 0
        self.misses = 0

    def __getstate__(self) -> dict[str, Any]:
        # A pickled cache reopens its file; an in-memory cache comes back empty.
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        type(self).__init__(self, state["path"])

    def get(self, key: str) -> ChatResult | None:
        """The cached result for ``key`` or ``None``."""
        with self._lock:
            row = self._conn.execute(
                "SELECT response FROM responses WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
        return ChatResult.from_json(json.loads(row[0]))

    def put(
        self,
        key: str,
        result: ChatResult,
        *,
        provider: str,
        model: str,
        request: Mapping[str, Any],
    ) -> None:
        """Store ``result`` under ``key`` and commit at once."""
        blob = json.dumps(result.to_json(), ensure_ascii=False)
        req = json.dumps(dict(request), ensure_ascii=False, default=str)
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?)",
                (key, provider, model, time.time(), req, blob),
            )
            self._conn.commit()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return (
                self._conn.execute("SELECT 1 FROM responses WHERE key = ?", (key,)).fetchone()
                is not None
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def clear(self) -> None:
        """Delete every cached answer."""
        with self._lock:
            self._conn.execute("DELETE FROM responses")
            self._conn.commit()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __repr__(self) -> str:
        return f"ResponseCache({self.path!r})"
