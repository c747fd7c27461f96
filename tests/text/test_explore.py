"""Text exploration: numbers, n-grams, word cloud, and the HTML report on real data."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from labelwise.errors import DataError
from labelwise.text import (
    explore_text,
    label_balance,
    text_lengths,
    text_stats,
    top_ngrams,
    word_cloud_figure,
    word_frequencies,
)
from labelwise.text.wordcloud import layout_word_cloud

TEXTS = [
    "FREE prize! Call now to claim your free prize",
    "Are you coming to the party tonight?",
    "free prize call now",
    "Are you coming to the party tonight?",
    None,
    "",
    12345,
]


def test_text_stats_counts_every_kind_of_cell():
    s = text_stats(TEXTS)
    assert s["n_texts"] == 7 and s["n_missing"] == 1 and s["n_empty"] == 1
    assert s["n_non_string"] == 1 and s["n_duplicate_rows"] == 1 and s["n_unique"] == 4
    assert s["words_max"] == 9 and s["chars_max"] == 45
    lengths = text_lengths(TEXTS)
    assert lengths["words"].tolist() == [9, 7, 4, 7, 0, 0, 1]


def test_top_ngrams_drop_stop_words_before_joining():
    uni = top_ngrams(TEXTS, n=1, k=3)
    assert uni["term"].tolist()[:2] == ["free", "prize"] and uni["count"].tolist()[:2] == [3, 3]
    assert "the" not in uni["term"].tolist()
    bi = top_ngrams(TEXTS, n=2, k=2)
    assert bi.iloc[0].to_dict() == {"term": "free prize", "count": 3, "texts": 2}
    tri = top_ngrams(["the cat sat on the mat"], n=3, k=5, stop_words=False)
    assert tri["term"].tolist()[0] in {"cat sat on", "on the mat", "sat on the", "the cat sat"}
    assert top_ngrams(["the and of"], n=1).empty
    with pytest.raises(DataError):
        top_ngrams(TEXTS, n=0)


def test_word_frequencies_and_label_balance():
    c = word_frequencies(TEXTS)
    assert c["free"] == 3 and "the" not in c and "12345" in c
    bal = label_balance(["ham", "spam", "ham", None])
    assert bal.to_dict("records")[0] == {"label": "ham", "count": 2, "share": 0.5}
    assert bal["label"].tolist()[-1] == "(missing)"


def test_word_cloud_places_words_without_overlap():
    freqs = {f"word{i}": 100 - i for i in range(60)}
    freqs.update({"jumping": 300, "quickly": 250, "gyp": 120})  # descenders and a big word
    fig = word_cloud_figure(freqs, max_words=70)
    assert len(fig.placed_words) >= 55 and fig.placed_words[0] == "jumping"
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) == len(fig.placed_words)
    overlapping = [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].overlaps(boxes[j])
    ]
    assert overlapping == []
    sizes = {t.get_text(): t.get_fontsize() for t in ax.texts}
    assert sizes["jumping"] > sizes["word0"] > sizes["word59"]  # bigger for more frequent
    empty = word_cloud_figure({})
    assert empty.placed_words == []
    pos, occupied = layout_word_cloud({"big": (500, 500)}, width=100, height=100)
    assert pos == {} and occupied.shape == (0, 4)


def test_report_from_a_list_and_a_frame(tmp_path):
    r = explore_text(TEXTS[:4], near_duplicate_threshold=0.5)
    assert r.section_titles == [
        "Overview",
        "Alerts",
        "Lengths",
        "Vocabulary and n-grams",
        "Word cloud",
        "Sentiment",
        "Duplicates",
    ]
    df = pd.DataFrame({"msg": TEXTS, "y": ["spam", "ham", "spam", "spam", "ham", None, "ham"]})
    out = tmp_path / "r.html"
    r = explore_text(df, column="msg", label="y", out=out)
    html = out.read_text(encoding="utf-8")
    assert "Labels" in r.section_titles
    assert "different labels" in html  # the duplicated party text is labeled ham and spam
    assert "1 missing cells" in html and "not strings (int x1)" in html
    na_labels = pd.Series(["spam", pd.NA, "ham", "ham"], dtype="string")
    r = explore_text(TEXTS[:4], label=na_labels, near_duplicates=False)
    assert "Labels" in r.section_titles and "(missing)" in r.to_html()
    with pytest.raises(DataError, match="no label column"):
        explore_text(df, column="msg", label="nope")
    with pytest.raises(DataError, match="names a column"):
        explore_text(TEXTS, label="y")
    with pytest.raises(DataError, match="one label per text"):
        explore_text(TEXTS, label=["a"])


def test_report_on_real_sms(shared_datasets, test_output):
    out = test_output / "text_explore_sms.html"
    r = explore_text(
        shared_datasets / "text" / "sms_spam.tsv", column="SMS", label="Label", out=out
    )
    html = out.read_text(encoding="utf-8")
    assert r.section_titles[-1] == "Labels"
    assert "5,574 texts" in html
    assert re.search(r"ham</td><td[^>]*>4827", html) and re.search(r"spam</td><td[^>]*>747", html)
    assert "near-duplicate pairs" in html.lower() or "Near-duplicates" in html
    assert html.count("data:image/png;base64") >= 6  # lengths, words, zipf, 3 clouds, labels
