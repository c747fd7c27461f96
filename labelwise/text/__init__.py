"""Text tools: loaders, exploration reports, rules, span labeling, TF-IDF labelers, exports.

Everything here treats bad cells the same way (see :func:`prepare_texts`): missing and
blank texts abstain, non-string cells are read as text, and counts of both are reported.

Examples
--------
>>> import pandas as pd
>>> from labelwise.text import keyword, pattern
>>> df = pd.DataFrame({"sms": ["FREE entry! txt WIN to 80086", "see you at 6"]})
>>> keyword("sms", ["free", "win"], 1).apply_frame(df).tolist()
[1, -1]
>>> pattern("sms", "short_code", 1).apply_frame(df).tolist()
[1, -1]
"""

from __future__ import annotations

from typing import Any

from labelwise._deprecation import moved_out_of_root
from labelwise.text.clean import PreparedTexts, is_missing, prepare_texts
from labelwise.text.dedup import (
    duplicate_groups,
    exact_duplicate_groups,
    find_near_duplicates,
    near_duplicate_groups,
)
from labelwise.text.explore import (
    explore_text,
    label_balance,
    text_lengths,
    text_stats,
    top_ngrams,
    word_frequencies,
)
from labelwise.text.export import (
    export_spans_jsonl,
    export_texts,
    labeled_frame,
    read_conll,
    spans_to_hf_dataset,
    to_hf_dataset,
    write_conll,
)
from labelwise.text.io import guess_text_column, read_text_folder, read_texts
from labelwise.text.models import (
    TfidfKMeansLabeler,
    TfidfLogisticLabeler,
    cluster_top_terms,
    make_tfidf,
)
from labelwise.text.rules import (
    PATTERNS,
    keyword,
    length,
    pattern,
    regex,
    uppercase_ratio,
    vader_scores,
    vader_sentiment,
)
from labelwise.text.spans import (
    GazetteerSpans,
    RegexSpans,
    Span,
    SpanLabeler,
    SpanVotes,
    TaggedText,
    aggregate_span_votes,
    apply_span_labelers,
    bio_tags,
    bio_to_spans,
    gazetteer_spans,
    regex_spans,
)
from labelwise.text.tokenize import Token, english_stop_words, tokenize, tokens_with_offsets, words
from labelwise.text.wordcloud import layout_word_cloud, word_cloud_figure

__all__ = [
    "PATTERNS",
    "GazetteerSpans",
    "PreparedTexts",
    "RegexSpans",
    "Span",
    "SpanLabeler",
    "SpanVotes",
    "TaggedText",
    "TfidfKMeansLabeler",
    "TfidfLogisticLabeler",
    "Token",
    "aggregate_span_votes",
    "apply_span_labelers",
    "bio_tags",
    "bio_to_spans",
    "cluster_top_terms",
    "duplicate_groups",
    "english_stop_words",
    "exact_duplicate_groups",
    "explore_text",
    "export_spans_jsonl",
    "export_texts",
    "find_near_duplicates",
    "gazetteer_spans",
    "guess_text_column",
    "is_missing",
    "keyword",
    "label_balance",
    "labeled_frame",
    "layout_word_cloud",
    "length",
    "make_tfidf",
    "near_duplicate_groups",
    "pattern",
    "prepare_texts",
    "read_conll",
    "read_text_folder",
    "read_texts",
    "regex",
    "regex_spans",
    "spans_to_hf_dataset",
    "text_lengths",
    "text_stats",
    "to_hf_dataset",
    "tokenize",
    "tokens_with_offsets",
    "top_ngrams",
    "uppercase_ratio",
    "vader_scores",
    "vader_sentiment",
    "word_cloud_figure",
    "word_frequencies",
    "words",
    "write_conll",
]


_MOVED = {
    "choose_bands": "labelwise.text.dedup",
    "minhash_signatures": "labelwise.text.dedup",
    "normalize_for_dedup": "labelwise.text.dedup",
}
_moved = moved_out_of_root(__name__, _MOVED)


def __getattr__(name: str) -> Any:
    if name == "find_duplicates":  # deprecated alias of exact_duplicate_groups
        from labelwise.text import dedup

        return dedup.__getattr__(name)
    return _moved(name)
