"""The real bundled all-MiniLM-L6-v2: loading offline, vectors, truncation, cache reuse."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from labelwise.embed import MINILM_NAME, MiniLMEmbedder, SentenceTransformerEmbedder
from labelwise.embed.sentence import minilm_path
from labelwise.errors import DataError


def test_import_does_not_load_torch():
    code = (
        "import sys, labelwise.embed, labelwise.text; "
        "print(','.join(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_model_ships_inside_the_package():
    path = minilm_path()
    assert (path / "modules.json").is_file() and (path / "model.safetensors").is_file()
    assert "site-packages" in str(path) or "dist-packages" in str(path)


def test_vectors_are_unit_length_and_meaningful(minilm):
    texts = [
        "You have won a free prize! Call now to claim.",
        "Congratulations, you won a cash reward, text CLAIM to 80086",
        "Are we still meeting for lunch tomorrow?",
    ]
    v = minilm.embed(texts)
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 2] + 0.15  # two prize messages are closer than prize vs lunch
    assert minilm.dim == 384
    assert MINILM_NAME in minilm.model_id


def test_second_embedder_reads_the_cache_without_computing(minilm):
    texts = ["cache me once", "and me too"]
    first = minilm.embed(texts)
    again = MiniLMEmbedder(cache=minilm.cache, progress=False)
    second = again.embed(texts)
    assert again.last_stats_["n_cached"] == 2 and again.last_stats_["n_computed"] == 0
    np.testing.assert_array_equal(first, second)


def test_truncation_policy_long_texts(minilm):
    long_text = "word " * 2000  # about 2,000 word pieces, far beyond the 256 window
    head_only = "word " * 300
    v = minilm.embed([long_text, head_only, ""])
    stats = minilm.last_stats_
    # Cut to 12 * 256 characters first, then the model reads 256 word pieces.
    assert stats["n_cut_chars"] == 1
    assert stats["n_truncated_tokens"] == 2
    # Both are "the same 256 tokens" to the model once truncated.
    assert float(v[0] @ v[1]) > 0.999
    assert np.isfinite(v[2]).all()  # an empty string still gets a vector
    counts = minilm.token_counts(["hello world"])
    assert counts.tolist() == [4]  # [CLS] hello world [SEP]


def test_unknown_model_name_is_not_downloaded(tmp_path):
    with pytest.raises(DataError, match="nothing is downloaded"):
        SentenceTransformerEmbedder("sentence-transformers/all-mpnet-base-v2", cache=None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="config.json"):
        SentenceTransformerEmbedder(tmp_path / "empty", cache=None)


def test_model_folder_by_path_matches_the_default(minilm, tmp_path):
    by_path = SentenceTransformerEmbedder(minilm_path(), cache=None)
    assert by_path.max_seq_length == 256
    v = by_path.embed(["a short check"])
    np.testing.assert_allclose(v, minilm.embed(["a short check"]), atol=1e-5)
    shorter = SentenceTransformerEmbedder(minilm_path(), cache=None, max_seq_length=64)
    assert shorter.model_id != by_path.model_id  # the window changes the vectors and the key
