"""The curated public surface: __all__ lists exist and import is light.

Docstring examples run as part of the suite (pytest --doctest-modules over labelwise/).
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = [
    "labelwise",
    "labelwise.labeling",
    "labelwise.models",
    "labelwise.reports",
    "labelwise.learn",
    "labelwise.tabular",
    "labelwise.text",
    "labelwise.embed",
    "labelwise.llm",
    "labelwise.image",
    "labelwise.video",
    "labelwise.formats",
    "labelwise.app",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist(name):
    module = importlib.import_module(name)
    assert module.__all__, f"{name} has an empty __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names missing attributes: {missing}"


def test_import_is_light():
    """`import labelwise` must not drag in pandas, torch, cv2 or the web stack."""
    code = (
        "import sys, labelwise, labelwise.labeling, labelwise.models; "
        "heavy = [m for m in ('pandas', 'torch', 'cv2', 'fastapi', 'sklearn', 'matplotlib') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout.strip()}"


def test_one_cache_directory_setting(tmp_path, monkeypatch):
    """Embeddings and LLM answers share $LABELWISE_CACHE_DIR; the old LLM variable warns."""
    from labelwise.cache import cache_dir, cache_file
    from labelwise.embed.base import open_cache
    from labelwise.llm import LLMClient, LocalChatServer, OpenAIProvider

    monkeypatch.delenv("LABELWISE_LLM_CACHE", raising=False)
    monkeypatch.delenv("LABELWISE_EMBED_CACHE", raising=False)
    monkeypatch.setenv("LABELWISE_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    emb = open_cache("default")
    assert emb is not None and emb.path == tmp_path / "c" / "embeddings.sqlite"
    with LocalChatServer() as server:
        client = LLMClient(OpenAIProvider.compatible(server.base_url), model="m")
        assert client.cache is not None
        assert str(client.cache.path) == str(tmp_path / "c" / "llm_cache.sqlite")
    monkeypatch.setenv("LABELWISE_LLM_CACHE", str(tmp_path / "old.sqlite"))
    with pytest.warns(DeprecationWarning, match="LABELWISE_CACHE_DIR"):
        assert cache_file("llm_cache.sqlite") == tmp_path / "old.sqlite"
    import labelwise.embed

    with pytest.warns(DeprecationWarning, match="cache_file"):
        assert labelwise.embed.default_cache_path() == tmp_path / "c" / "embeddings.sqlite"
