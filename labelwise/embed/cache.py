"""An on-disk cache of embeddings: one SQLite file, keyed by model id and text hash.

Re-embedding a text that a model has already embedded costs one indexed lookup. Vectors are
stored as raw float32 bytes. The file uses WAL mode so several processes can read while one
writes; writes happen in batches inside one transaction, so an interrupted run keeps every
batch it finished.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from labelwise.cache import cache_file
from labelwise.errors import DataError

__all__ = ["EMBEDDING_CACHE_FILE", "EmbeddingCache", "text_key"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model_id TEXT NOT NULL,
    key BLOB NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model_id, key)
) WITHOUT ROWID
"""

# SQLite limits the number of host parameters per statement; stay well below it.
_CHUNK = 500


def text_key(text: str) -> bytes:
    """A 16-byte BLAKE2b digest of the UTF-8 text (the cache key).

    Examples
    --------
    >>> len(text_key("hello"))
    16
    """
    return hashlib.blake2b(text.encode("utf-8", errors="surrogatepass"), digest_size=16).digest()


#: File name of the embedding cache inside :func:`labelwise.cache.cache_dir`.
EMBEDDING_CACHE_FILE = "embeddings.sqlite"


def default_cache_path() -> Path:
    """Deprecated: use :func:`labelwise.cache.cache_file` ``("embeddings.sqlite")``."""
    from labelwise._deprecation import warn_deprecated

    warn_deprecated(
        "labelwise.embed.default_cache_path()", 'labelwise.cache.cache_file("embeddings.sqlite")'
    )
    return cache_file(EMBEDDING_CACHE_FILE)


class EmbeddingCache:
    """Embeddings keyed by ``(model_id, text)`` in a SQLite file.

    Parameters
    ----------
    path : str or Path
        The SQLite file; its folder is created when missing.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> cache = EmbeddingCache(tempfile.mkdtemp() + "/emb.sqlite")
    >>> cache.put("m", ["a"], np.ones((1, 3), dtype=np.float32))
    >>> cache.get("m", ["a", "b"])[0].tolist(), 1 in cache.get("m", ["a", "b"])
    ([1.0, 1.0, 1.0], False)
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._open()

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
            self._conn.commit()
        except (OSError, sqlite3.Error) as exc:
            raise DataError(
                f"cannot open the embedding cache {str(self.path)!r}: {exc}. Pass another "
                "cache path (cache=...), set LABELWISE_CACHE_DIR, or cache=None to disable it"
            ) from exc
        self._lock = threading.Lock()

    def get(self, model_id: str, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """Cached vectors for ``texts``, as ``{position in texts: vector}`` (hits only)."""
        keys = [text_key(t) for t in texts]
        positions: dict[bytes, list[int]] = {}
        for i, k in enumerate(keys):
            positions.setdefault(k, []).append(i)
        unique = list(positions)
        out: dict[int, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT key, dim, vector FROM embeddings WHERE model_id = ? AND key IN ({marks})",
                    [model_id, *chunk],
                ).fetchall()
                for key, dim, blob in rows:
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.shape[0] != dim:  # a torn or foreign row: ignore and recompute
                        continue
                    for i in positions[bytes(key)]:
                        out[i] = vec
        return out

    def put(self, model_id: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store ``vectors[i]`` for ``texts[i]`` (replacing older entries)."""
        arr = np.ascontiguousarray(vectors, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[0] != len(texts):
            raise DataError(
                f"cannot cache {arr.shape} vectors for {len(texts)} texts; pass one row per text"
            )
        rows = [
            (model_id, text_key(t), arr.shape[1], arr[i].tobytes()) for i, t in enumerate(texts)
        ]
        with self._lock:
            try:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO embeddings (model_id, key, dim, vector) VALUES (?,?,?,?)",
                    rows,
                )
                self._conn.commit()
            except sqlite3.Error as exc:  # a full disk must not cost the computed vectors
                self._conn.rollback()
                warnings.warn(
                    f"could not write {len(rows)} embeddings to the cache {str(self.path)!r}: {exc}",
                    RuntimeWarning,
                    stacklevel=2,
                )

    def count(self, model_id: str | None = None) -> int:
        """Number of cached vectors (for one model, or all)."""
        with self._lock:
            if model_id is None:
                row = self._conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()
            else:
                row = self._conn.execute(
                    "SELECT COUNT(*) FROM embeddings WHERE model_id = ?", (model_id,)
                ).fetchone()
        return int(row[0])

    def clear(self, model_id: str | None = None) -> int:
        """Delete cached vectors (for one model, or all); returns how many were deleted."""
        with self._lock:
            if model_id is None:
                cur = self._conn.execute("DELETE FROM embeddings")
            else:
                cur = self._conn.execute("DELETE FROM embeddings WHERE model_id = ?", (model_id,))
            self._conn.commit()
        return int(cur.rowcount)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # A connection cannot cross processes: pickling (e.g. a labeler shipped to Dask
    # workers) keeps only the path, and the copy opens its own connection.
    def __getstate__(self) -> dict[str, str]:
        return {"path": str(self.path)}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.path = Path(state["path"])
        self._open()

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.path)!r})"
