"""A MiniLM embedder shared by the embedding tests (the model loads once per session)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def minilm(tmp_path_factory):
    """The real bundled all-MiniLM-L6-v2 with a cache file private to this test session."""
    from labelwise.embed import MiniLMEmbedder

    cache = tmp_path_factory.mktemp("embed-cache") / "emb.sqlite"
    return MiniLMEmbedder(cache=cache, progress=False)
