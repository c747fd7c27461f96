"""One cache directory for everything labelwise keeps between runs.

Embeddings (``embeddings.sqlite``) and LLM answers (``llm_cache.sqlite``) live in one
folder: ``$LABELWISE_CACHE_DIR`` when set, else ``~/.cache/labelwise``. The old
``LABELWISE_LLM_CACHE`` variable (a file path for the LLM cache) is still read for one
release, with a DeprecationWarning.

Examples
--------
>>> import os
>>> os.environ["LABELWISE_CACHE_DIR"] = "/tmp/lw-cache"
>>> str(cache_dir()), cache_file("embeddings.sqlite").name
('/tmp/lw-cache', 'embeddings.sqlite')
>>> del os.environ["LABELWISE_CACHE_DIR"]
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_DIR_ENV", "cache_dir", "cache_file"]

#: The environment variable naming the cache directory.
CACHE_DIR_ENV = "LABELWISE_CACHE_DIR"

#: Old per-cache variables, still read for one release: name -> file they override.
_OLD_FILE_ENV = {"llm_cache.sqlite": "LABELWISE_LLM_CACHE"}


def cache_dir() -> Path:
    """``$LABELWISE_CACHE_DIR``, else ``~/.cache/labelwise`` (not created here)."""
    root = os.environ.get(CACHE_DIR_ENV)
    return Path(root).expanduser() if root else Path.home() / ".cache" / "labelwise"


def cache_file(name: str) -> Path:
    """The default path of the cache file ``name`` inside :func:`cache_dir`."""
    old = _OLD_FILE_ENV.get(name)
    if old and os.environ.get(old):
        from labelwise._deprecation import warn_deprecated

        warn_deprecated(f"the {old} environment variable", f"{CACHE_DIR_ENV} (a folder)")
        return Path(os.environ[old]).expanduser()
    return cache_dir() / name
