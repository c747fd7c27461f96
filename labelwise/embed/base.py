"""The embedding seam: one small interface, ``Embedder.embed(texts) -> (n, d) float32``.

Subclasses implement :meth:`Embedder.encode_batch` (a list of strings to an array); the
base class adds input checks, the truncation policy, the on-disk cache and a progress bar,
so every model gets them the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.cache import cache_file
from labelwise.embed.cache import EMBEDDING_CACHE_FILE, EmbeddingCache
from labelwise.errors import DataError
from labelwise.progress import progress as progress_bar

__all__ = ["CacheSpec", "CallableEmbedder", "Embedder", "open_cache"]

#: ``"default"`` (the user cache file), a path, an :class:`EmbeddingCache`, or ``None`` (off).
CacheSpec = EmbeddingCache | str | Path | None


def open_cache(cache: CacheSpec) -> EmbeddingCache | None:
    """Resolve a cache argument: ``"default"`` -> the user cache, a path -> that file.

    ``LABELWISE_EMBED_CACHE=0`` in the environment turns the default cache off.
    """
    import os

    if cache is None or cache is False:
        return None
    if isinstance(cache, EmbeddingCache):
        return cache
    if isinstance(cache, str) and cache == "default":
        if os.environ.get("LABELWISE_EMBED_CACHE") == "0":
            return None
        try:
            return EmbeddingCache(cache_file(EMBEDDING_CACHE_FILE))
        except DataError as exc:
            import warnings

            warnings.warn(f"{exc}; embeddings will not be cached", RuntimeWarning, stacklevel=3)
            return None
    if isinstance(cache, (str, Path)):
        return EmbeddingCache(cache)
    raise DataError(
        f"cache must be 'default', a file path, an EmbeddingCache or None, got {cache!r}"
    )


class Embedder(ABC):
    """Maps texts to fixed-size float32 vectors, with a cache and a truncation policy.

    Parameters
    ----------
    cache : "default", path, EmbeddingCache or None
        Where vectors are cached (keyed by :attr:`model_id` and the text).
    batch_size : int
        Texts per call to :meth:`encode_batch` (and per cache write).
    max_chars : int, optional
        Texts are cut to their first ``max_chars`` characters before encoding.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).

    Attributes
    ----------
    model_id : str
        Identifies the model *and* every setting that changes its output; the cache key.
    last_stats_ : dict
        Counts from the last :meth:`embed` call (texts, cache hits, computed, truncated).
    """

    model_id: str = "embedder"

    def __init__(
        self,
        *,
        cache: CacheSpec = "default",
        batch_size: int = 64,
        max_chars: int | None = None,
        progress: bool | None = None,
    ) -> None:
        if batch_size < 1:
            raise DataError(f"batch_size must be at least 1, got {batch_size}")
        self.cache = open_cache(cache)
        self.batch_size = int(batch_size)
        self.max_chars = max_chars
        self.progress = progress
        self.last_stats_: dict[str, int] = {}

    @abstractmethod
    def encode_batch(self, texts: list[str]) -> np.ndarray:
        """Encode a batch of strings to an ``(len(texts), d)`` array (no cache involved)."""

    def count_truncated(self, texts: Sequence[str]) -> int:
        """How many of ``texts`` the model itself shortens (beyond ``max_chars``); 0 if unknown."""
        return 0

    def embed(self, texts: Any, *, progress: bool | None = None) -> np.ndarray:
        """Embed ``texts``; cached vectors are reused and new ones are cached.

        Parameters
        ----------
        texts : sequence of str, length n
            Strings; an empty string is allowed (it gets the model's vector for no text).
            Missing and non-string cells raise :class:`~labelwise.errors.DataError`
            (labelers built on embeddings clean their inputs first and abstain on them).

        Returns
        -------
        ndarray of float32, shape (n, d)

        Examples
        --------
        >>> emb = CallableEmbedder(lambda ts: [[len(t), 1.0] for t in ts], model_id="len", cache=None)
        >>> emb.embed(["ab", "abc"]).tolist()
        [[2.0, 1.0], [3.0, 1.0]]
        """
        from labelwise.text.clean import prepare_texts

        prepared = prepare_texts(texts, name="texts", non_string="raise", max_chars=self.max_chars)
        if prepared.n_missing:
            where = np.flatnonzero(prepared.missing)[:5].tolist()
            raise DataError(
                f"{prepared.n_missing} texts are missing (None/NaN), first at positions {where}; "
                "embed only strings, or clean the column first (labelwise.text.prepare_texts)"
            )
        items = prepared.texts
        n = len(items)
        stats = {
            "n_texts": n,
            "n_cached": 0,
            "n_computed": 0,
            "n_cut_chars": prepared.n_truncated,
            "n_truncated_tokens": 0,
        }
        if n == 0:
            self.last_stats_ = stats
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        found = self.cache.get(self.model_id, items) if self.cache is not None else {}
        stats["n_cached"] = len(found)
        todo_unique: dict[str, list[int]] = {}
        for i, t in enumerate(items):
            if i not in found:
                todo_unique.setdefault(t, []).append(i)
        # Longest first, so each batch pads to similar lengths (and the slowest batch runs
        # while the progress bar is still honest about the remaining time).
        todo = sorted(todo_unique, key=len, reverse=True)
        computed: dict[str, np.ndarray] = {}
        if todo:
            stats["n_truncated_tokens"] = self.count_truncated(todo)
            starts = range(0, len(todo), self.batch_size)
            show = self.progress if progress is None else progress
            for s in progress_bar(
                starts, total=len(starts), desc=f"embedding ({len(todo)} texts)", enabled=show
            ):
                batch = todo[s : s + self.batch_size]
                vecs = self._checked(self.encode_batch(batch), len(batch))
                if self.cache is not None:
                    self.cache.put(self.model_id, batch, vecs)
                for t, v in zip(batch, vecs, strict=True):
                    computed[t] = v
            stats["n_computed"] = len(todo)
        dims = {v.shape[0] for v in found.values()} | {v.shape[0] for v in computed.values()}
        if len(dims) != 1:
            raise DataError(
                f"embeddings of model {self.model_id!r} have mixed sizes {sorted(dims)}; the cache "
                "holds vectors from a different model under this id. Clear it with "
                "EmbeddingCache(path).clear(model_id)"
            )
        d = dims.pop()
        out = np.empty((n, d), dtype=np.float32)
        for i, v in found.items():
            out[i] = v
        for t, positions in todo_unique.items():
            out[positions] = computed[t]
        self.last_stats_ = stats
        return out

    @property
    def dim(self) -> int | None:
        """Vector size when known without encoding anything, else ``None``."""
        return None

    def _checked(self, vecs: Any, n: int) -> np.ndarray:
        arr = np.asarray(vecs, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[0] != n:
            raise DataError(
                f"embedder {self.model_id!r} returned shape {arr.shape} for {n} texts; "
                "encode_batch must return one row per text"
            )
        if not np.isfinite(arr).all():
            raise DataError(f"embedder {self.model_id!r} returned NaN or infinite values")
        return arr

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_id!r})"


class CallableEmbedder(Embedder):
    """Wrap any function ``f(list[str]) -> (n, d)`` as an :class:`Embedder`.

    Use it to plug in another embedding service (for example an OpenAI-compatible embedding
    endpoint through :mod:`labelwise.llm`) and still get the cache and input checks.

    Parameters
    ----------
    f : callable
        ``f(texts) -> array-like (len(texts), d)``.
    model_id : str
        A stable id for the function's model and settings (the cache key).

    Examples
    --------
    >>> emb = CallableEmbedder(lambda ts: [[1.0, 0.0] for _ in ts], model_id="const", cache=None)
    >>> emb.embed(["x"]).shape
    (1, 2)
    """

    def __init__(
        self,
        f: Callable[[list[str]], Any],
        *,
        model_id: str,
        cache: CacheSpec = "default",
        batch_size: int = 64,
        max_chars: int | None = None,
        progress: bool | None = None,
    ) -> None:
        super().__init__(cache=cache, batch_size=batch_size, max_chars=max_chars, progress=progress)
        if not model_id:
            raise DataError("CallableEmbedder needs a non-empty model_id (it keys the cache)")
        self._f = f
        self.model_id = f"callable:{model_id}|max_chars={max_chars}"

    def encode_batch(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._f(list(texts)), dtype=np.float32)
