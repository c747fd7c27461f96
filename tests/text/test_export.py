"""Exports: JSONL/CSV/TSV/Parquet rows, CoNLL for spans, Hugging Face datasets."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from labelwise.errors import DataError
from labelwise.labeling import ABSTAIN, LabelSpace
from labelwise.text import (
    aggregate_span_votes,
    apply_span_labelers,
    export_spans_jsonl,
    export_texts,
    gazetteer_spans,
    labeled_frame,
    read_conll,
    spans_to_hf_dataset,
    to_hf_dataset,
    write_conll,
)

TEXTS = ["Win a £100 prize, call now", "lunch at 1? 🍕", None, "ok"]
VOTES = np.array([1, 0, ABSTAIN, ABSTAIN])
PROBA = np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5], [0.5, 0.5]])
SPACE = LabelSpace(["ham", "spam"])


def test_labeled_frame_columns_and_confidence():
    df = labeled_frame(TEXTS, VOTES, label_space=SPACE, proba=PROBA, ids=["a", "b", "c", "d"])
    assert list(df.columns) == ["id", "text", "label", "label_id", "confidence"]
    assert df["label_id"].tolist() == [1, 0, -1, -1]
    assert df["label"].tolist()[:2] == ["spam", "ham"] and df["label"].isna().tolist()[2:] == [
        True,
        True,
    ]
    assert df["confidence"].tolist()[:2] == [0.9, 0.8] and np.isnan(df["confidence"][2])
    kept = labeled_frame(TEXTS, VOTES, label_space=SPACE, include_abstained=False)
    assert kept["id"].tolist() == [0, 1]
    by_name = labeled_frame(["a", "b"], ["spam", None])
    assert by_name.attrs["label_space"] == ["spam", "_other"]
    with pytest.raises(DataError, match="label_space"):
        labeled_frame(TEXTS, VOTES)
    with pytest.raises(DataError, match="one label per text"):
        labeled_frame(TEXTS, VOTES[:2], label_space=SPACE)
    with pytest.raises(DataError, match="proba has shape"):
        labeled_frame(TEXTS, VOTES, label_space=SPACE, proba=PROBA[:, :1])


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".tsv", ".parquet"])
def test_export_roundtrip(tmp_path, suffix):
    path = export_texts(tmp_path / f"out{suffix}", TEXTS, VOTES, label_space=SPACE, proba=PROBA)
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert rows[1]["text"] == "lunch at 1? 🍕" and "\\u" not in path.read_text(encoding="utf-8")
        assert rows[2] == {"id": 2, "text": None, "label": None, "label_id": -1, "confidence": None}
        back = pd.DataFrame(rows)
    elif suffix == ".parquet":
        back = pd.read_parquet(path)
    else:
        back = pd.read_csv(path, sep="," if suffix == ".csv" else "\t")
    assert back["label_id"].tolist() == [1, 0, -1, -1]
    assert back["text"][0] == "Win a £100 prize, call now"
    assert not list(tmp_path.glob("*.tmp"))
    with pytest.raises(DataError, match="unknown extension"):
        export_texts(tmp_path / "out.xml", TEXTS, VOTES, label_space=SPACE)


def test_conll_roundtrip_from_aggregated_spans(tmp_path):
    g = gazetteer_spans({"LOC": ["New York"], "PER": ["Ann"]}, name="g")
    docs = aggregate_span_votes(apply_span_labelers(["Ann flew to New York.", "hi"], [g]))
    path = write_conll(tmp_path / "ner.conll", docs)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("Ann B-PER\nflew O\nto O\nNew B-LOC\nYork I-LOC\n. O\n\nhi O\n\n")
    back = read_conll(path)
    assert back == [([t.text for t in d.tokens], d.tags) for d in docs]
    spans_path = export_spans_jsonl(tmp_path / "spans.jsonl", docs)
    first = json.loads(spans_path.read_text(encoding="utf-8").splitlines()[0])
    assert first["spans"] == [
        {"start": 0, "end": 3, "label": "PER", "text": "Ann"},
        {"start": 12, "end": 20, "label": "LOC", "text": "New York"},
    ]


def test_conll_errors_say_where(tmp_path):
    bad = tmp_path / "bad.conll"
    bad.write_text("-DOCSTART- O\n\nAnn B-PER\nlonely\n")
    with pytest.raises(DataError, match="line 4"):
        read_conll(bad)
    bad.write_text("Ann PERSON\n")
    with pytest.raises(DataError, match="line 1: tag 'PERSON' is not BIO"):
        read_conll(bad)
    with pytest.raises(DataError, match="tokens but"):
        write_conll(tmp_path / "x.conll", [(["a", "b"], ["O"])])
    with pytest.raises(DataError, match="whitespace"):
        write_conll(tmp_path / "x.conll", [(["a b"], ["O"])])
    with pytest.raises(DataError, match="does not exist"):
        read_conll(tmp_path / "missing.conll")


def test_hugging_face_datasets():
    ds = to_hf_dataset(TEXTS, VOTES, label_space=SPACE, proba=PROBA)
    assert ds.num_rows == 4
    assert ds.features["label"].names == ["ham", "spam"]
    assert ds["label"] == [1, 0, -1, -1]
    assert ds[0]["confidence"] == pytest.approx(0.9)
    only_labeled = to_hf_dataset(TEXTS, VOTES, label_space=SPACE, include_abstained=False)
    assert only_labeled.num_rows == 2
    ner = spans_to_hf_dataset([(["Ann", "flew"], ["B-PER", "O"]), (["Rome"], ["B-LOC"])])
    names = ner.features["ner_tags"].feature.names
    assert names == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert ner[0]["ner_tags"] == [names.index("B-PER"), 0]
