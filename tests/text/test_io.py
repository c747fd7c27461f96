"""Loading texts from tables and folders, with errors that say where."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from labelwise.errors import DataError
from labelwise.text import guess_text_column, read_text_folder, read_texts


def test_tsv_is_read_without_quote_processing(tmp_path):
    f = tmp_path / "sms.tsv"
    f.write_text('Label\tSMS\nham\t"Hi" she said\nspam\tWIN "now\nham\tok"\n', encoding="utf-8")
    df = read_texts(f, label="Label")
    assert len(df) == 3  # quotes would have glued rows 2 and 3 together
    assert df["SMS"].tolist() == ['"Hi" she said', 'WIN "now', 'ok"']
    assert df.attrs["text_column"] == "SMS" and df.attrs["label_column"] == "Label"


def test_real_sms_file_has_every_row(shared_datasets):
    df = read_texts(shared_datasets / "text" / "sms_spam.tsv", column="SMS", label="Label")
    assert len(df) == 5574
    assert df["Label"].value_counts().to_dict() == {"ham": 4827, "spam": 747}


def test_csv_jsonl_parquet_and_txt(tmp_path):
    pd.DataFrame({"id": [1, 2], "body": ["a, with comma", "b"], "y": ["x", "z"]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    df = read_texts(tmp_path / "t.csv", label="y", id_column="id")
    assert df.attrs["text_column"] == "body" and df["body"][0] == "a, with comma"
    (tmp_path / "t.jsonl").write_text(
        '{"text": "héllo", "n": 1}\n\n{"text": "bye"}\n', encoding="utf-8"
    )
    assert read_texts(tmp_path / "t.jsonl")["text"].tolist() == ["héllo", "bye"]
    pd.DataFrame({"text": ["p", "q"]}).to_parquet(tmp_path / "t.parquet")
    assert read_texts(tmp_path / "t.parquet", column="text")["text"].tolist() == ["p", "q"]
    (tmp_path / "lines.txt").write_text("one\ntwo\n")
    assert read_texts(tmp_path / "lines.txt")["text"].tolist() == ["one", "two"]


def test_malformed_jsonl_names_the_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"text": "ok"}\n{"text": "broken\n{"text": "ok"}\n')
    with pytest.raises(DataError, match=r"line 2.*not valid JSON"):
        read_texts(f)
    f.write_text('{"text": "ok"}\n["a", "list"]\n')
    with pytest.raises(DataError, match="line 2: expected a JSON object"):
        read_texts(f)


def test_malformed_csv_names_the_line(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("text,label\nfine,a\nthis,has,three\nok,b\n")
    with pytest.raises(DataError, match=r"malformed at line 3"):
        read_texts(f)


def test_bad_encoding_says_where(tmp_path):
    f = tmp_path / "latin.csv"
    f.write_bytes("text\ncaf\xe9 au lait\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"not valid utf-8 at byte \d+"):
        read_texts(f)
    assert read_texts(f, encoding="latin-1")["text"][0] == "café au lait"


def test_missing_things(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_texts(tmp_path / "nope.csv")
    (tmp_path / "t.csv").write_text("text\nx\n")
    with pytest.raises(DataError, match="no column 'body'"):
        read_texts(tmp_path / "t.csv", column="body")
    with pytest.raises(DataError, match="unknown extension"):
        (tmp_path / "t.xlsx").write_text("x")
        read_texts(tmp_path / "t.xlsx")
    (tmp_path / "empty.csv").write_text("text\n")
    with pytest.raises(DataError, match="no rows"):
        read_texts(tmp_path / "empty.csv")
    (tmp_path / "dup.csv").write_text("id,text\n1,a\n1,b\n")
    with pytest.raises(DataError, match="repeats the id"):
        read_texts(tmp_path / "dup.csv", id_column="id")
    with pytest.raises(DataError, match="is a folder"):
        read_texts(tmp_path)


def test_guess_text_column():
    df = pd.DataFrame({"n": [1, 2], "tag": ["a", "b"], "body": ["long text here", "more text"]})
    assert guess_text_column(df) == "body"
    with pytest.raises(DataError, match="no column holds text"):
        guess_text_column(pd.DataFrame({"n": [1]}))


def test_folder_of_txt_files_with_labels_and_a_bad_file(tmp_path):
    (tmp_path / "pos").mkdir()
    (tmp_path / "neg").mkdir()
    (tmp_path / "pos" / "a.txt").write_text("great product", encoding="utf-8")
    (tmp_path / "neg" / "b.txt").write_text("awful", encoding="utf-8")
    (tmp_path / "neg" / "c.txt").write_bytes(b"bad \xff\xfe bytes")
    (tmp_path / "notes.md").write_text("ignored")
    with pytest.warns(UserWarning, match="1 of 3 files"):
        df = read_text_folder(tmp_path, label_from_folder=True)
    assert df["id"].tolist() == ["neg/b.txt", "neg/c.txt", "pos/a.txt"]
    assert df["label"].tolist() == ["neg", "neg", "pos"]
    assert df["text"].isna().tolist() == [False, True, False]
    assert "byte 4" in df.loc[1, "error"]
    with pytest.raises(DataError, match=r"c.txt.*byte 4"):
        read_text_folder(tmp_path, errors="raise")
    replaced = read_text_folder(tmp_path, errors="replace")
    assert "\ufffd" in replaced.loc[1, "text"] and "error" not in replaced.columns
    flat = read_text_folder(tmp_path / "pos", recursive=False)
    assert flat["text"].tolist() == ["great product"]
    with pytest.raises(DataError, match="no files matching"):
        read_text_folder(tmp_path, pattern="*.json")
    with pytest.raises(DataError, match="not a folder"):
        read_text_folder(tmp_path / "pos" / "a.txt")
    assert json.loads(json.dumps(df.attrs))["text_column"] == "text"
