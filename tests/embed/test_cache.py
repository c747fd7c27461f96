"""The embedding seam without a neural model: cache, input checks, truncation policy."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from labelwise.embed import CallableEmbedder, EmbeddingCache
from labelwise.embed.base import open_cache
from labelwise.embed.cache import text_key
from labelwise.errors import DataError


def char_embed(texts):
    """A real (if simple) embedding: letter frequencies a..z plus length, L2-normalized."""
    out = np.zeros((len(texts), 27), dtype=np.float32)
    for i, t in enumerate(texts):
        for ch in t.lower():
            if "a" <= ch <= "z":
                out[i, ord(ch) - 97] += 1
        out[i, 26] = len(t)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


class Counting:
    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, texts):
        self.seen.extend(texts)
        return char_embed(texts)


def test_cache_roundtrip_and_persistence(tmp_path):
    path = tmp_path / "c.sqlite"
    c = EmbeddingCache(path)
    vecs = np.arange(6, dtype=np.float32).reshape(2, 3)
    c.put("m1", ["a", "b"], vecs)
    got = c.get("m1", ["b", "x", "a", "b"])
    assert sorted(got) == [0, 2, 3]
    np.testing.assert_array_equal(got[0], vecs[1])
    np.testing.assert_array_equal(got[2], vecs[0])
    assert c.get("other-model", ["a"]) == {}
    c.close()
    again = EmbeddingCache(path)
    assert again.count("m1") == 2 and again.count() == 2
    assert again.clear("m1") == 2 and again.count() == 0
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode.lower() == "wal"


def test_cache_rejects_misshaped_vectors(tmp_path):
    c = EmbeddingCache(tmp_path / "c.sqlite")
    with pytest.raises(DataError, match="one row per text"):
        c.put("m", ["a", "b"], np.zeros((3, 2), dtype=np.float32))


def test_cache_unwritable_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DataError, match="cannot open the embedding cache"):
        EmbeddingCache(blocker / "sub" / "emb.sqlite")


def test_text_key_is_stable_and_distinct():
    assert text_key("spam") == text_key("spam")
    assert text_key("spam") != text_key("Spam")
    assert len(text_key("")) == 16


def test_embed_uses_cache_and_dedupes(tmp_path):
    f = Counting()
    emb = CallableEmbedder(f, model_id="chars-v1", cache=tmp_path / "c.sqlite", batch_size=2)
    texts = ["free prize", "see you", "free prize", "call now", ""]
    first = emb.embed(texts)
    assert first.shape == (5, 27) and first.dtype == np.float32
    # Each distinct text is encoded once, duplicates inside one call included.
    assert sorted(f.seen) == sorted({"free prize", "see you", "call now", ""})
    assert emb.last_stats_["n_computed"] == 4 and emb.last_stats_["n_cached"] == 0
    np.testing.assert_array_equal(first[0], first[2])

    f2 = Counting()
    emb2 = CallableEmbedder(f2, model_id="chars-v1", cache=tmp_path / "c.sqlite")
    second = emb2.embed(texts)
    assert f2.seen == []  # everything came from the cache
    assert emb2.last_stats_["n_cached"] == 5
    np.testing.assert_allclose(first, second)

    # A different model id never sees those vectors.
    f3 = Counting()
    CallableEmbedder(f3, model_id="chars-v2", cache=tmp_path / "c.sqlite").embed(texts)
    assert len(f3.seen) == 4


def test_embed_keeps_finished_batches_when_a_later_batch_fails(tmp_path):
    calls = {"n": 0}

    def flaky(texts):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("device lost")
        return char_embed(texts)

    cache = EmbeddingCache(tmp_path / "c.sqlite")
    emb = CallableEmbedder(flaky, model_id="flaky", cache=cache, batch_size=2)
    with pytest.raises(RuntimeError, match="device lost"):
        emb.embed(["aaaa", "bbbb", "cc", "dd"])
    assert cache.count(emb.model_id) == 2  # the first batch survived
    emb.embed(["aaaa", "bbbb", "cc", "dd"])
    assert emb.last_stats_["n_cached"] == 2 and emb.last_stats_["n_computed"] == 2


def test_embed_input_errors(tmp_path):
    emb = CallableEmbedder(char_embed, model_id="c", cache=None)
    with pytest.raises(DataError, match="missing"):
        emb.embed(["ok", None])
    with pytest.raises(DataError, match=r"\[1\] is int"):
        emb.embed(["ok", 42])
    with pytest.raises(DataError, match="single string"):
        emb.embed("just one string")
    assert emb.embed([]).shape[0] == 0


def test_embed_rejects_bad_model_output():
    emb = CallableEmbedder(lambda ts: np.zeros((len(ts) + 1, 3)), model_id="bad", cache=None)
    with pytest.raises(DataError, match="one row per text"):
        emb.embed(["a"])
    emb = CallableEmbedder(lambda ts: np.full((len(ts), 3), np.nan), model_id="nan", cache=None)
    with pytest.raises(DataError, match="NaN"):
        emb.embed(["a"])


def test_max_chars_truncation_is_counted_and_keys_the_cache(tmp_path):
    f = Counting()
    emb = CallableEmbedder(f, model_id="c", cache=tmp_path / "c.sqlite", max_chars=5)
    out = emb.embed(["abcdefgh", "abcdexyz", "ab"])
    assert f.seen.count("abcde") == 1 and "ab" in f.seen
    assert emb.last_stats_["n_cut_chars"] == 2
    np.testing.assert_array_equal(out[0], out[1])  # identical after the cut
    assert "max_chars=5" in emb.model_id


def test_open_cache_specs(tmp_path, monkeypatch):
    assert open_cache(None) is None
    c = open_cache(tmp_path / "x.sqlite")
    assert isinstance(c, EmbeddingCache)
    assert open_cache(c) is c
    monkeypatch.setenv("LABELWISE_CACHE_DIR", str(tmp_path / "home-cache"))
    d = open_cache("default")
    assert d is not None and d.path == tmp_path / "home-cache" / "embeddings.sqlite"
    monkeypatch.setenv("LABELWISE_EMBED_CACHE", "0")
    assert open_cache("default") is None
    with pytest.raises(DataError, match="cache must be"):
        open_cache(3.5)  # type: ignore[arg-type]


def test_cache_and_embedder_survive_pickling(tmp_path):
    """Labelers are shipped to Dask workers by pickling; the cache reopens its file there."""
    import pickle

    emb = CallableEmbedder(char_embed, model_id="c", cache=tmp_path / "c.sqlite")
    emb.embed(["shipped"])
    clone = pickle.loads(pickle.dumps(emb))
    assert clone.cache is not emb.cache and clone.cache.path == emb.cache.path
    clone.embed(["shipped", "new"])
    assert clone.last_stats_["n_cached"] == 1 and emb.cache.count() == 2
