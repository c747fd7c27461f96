"""`labelwise text ...` through the entry point: labels with commas, a labels file,
encodings and BOMs, HTML stripping, the sentiment section, the majority-baseline warning."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from labelwise.embed.zeroshot import label_descriptions, load_label_descriptions
from labelwise.errors import LabelwiseError
from labelwise.text import explore_text, read_texts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from clitools import error_lines, run_cli


def test_labels_with_commas_and_labels_file(tmp_path: Path):
    got = label_descriptions(label=["Sci, Tech: science | technology", "World"])
    assert got == {"Sci, Tech": ["science", "technology"], "World": ["World"]}
    f = tmp_path / "labels.yaml"
    f.write_text("'Sci, Tech': science and technology\nWorld: [world news, politics]\n")
    assert load_label_descriptions(f) == {
        "Sci, Tech": ["science and technology"],
        "World": ["world news", "politics"],
    }
    with pytest.raises(LabelwiseError, match="give the classes once"):
        label_descriptions(labels="a,b", label=["c"])


def test_bom_and_encoding(tmp_path: Path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbftext,label\nhello there,a\nbye now,b\n")
    df = read_texts(bom, label="label")
    assert list(df.columns) == ["text", "label"]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text\ncaf\xe9 cr\xe8me\n".encode("latin-1"))
    res = run_cli("text", "explore", str(latin), "-o", str(tmp_path / "r.html"), cwd=tmp_path)
    assert res.returncode == 2 and "not valid utf-8" in res.stderr
    assert len(error_lines(res.stderr)) == 1
    res = run_cli(
        "text", "explore", str(latin), "--encoding", "latin-1", "-o", str(tmp_path / "r.html"),
        "--no-near-duplicates", cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    res = run_cli("text", "explore", str(latin), "--encoding", "klingon", cwd=tmp_path)
    assert res.returncode == 2 and len(error_lines(res.stderr)) == 1


def test_html_is_stripped_before_counting_and_sentiment_is_reported():
    texts = [
        "A wonderful film.<br /><br />I loved every minute &amp; the music.",
        "Terrible plot.<br />Awful acting, I hated it.",
        "<p>Great cast</p><br />and a great score",
    ] * 5
    rep = explore_text(texts, near_duplicates=False)
    html = rep.to_html()
    assert "Sentiment" in rep.section_titles
    assert "stripped from 15 texts" in html
    raw = explore_text(texts, near_duplicates=False, strip_html=False, sentiment=False)
    assert "Sentiment" not in raw.section_titles
    raw_html = raw.to_html()
    assert "counted as words" in raw_html


@pytest.mark.slow
def test_zero_shot_warns_when_not_better_than_the_majority(tmp_path: Path):
    texts = ["see you at lunch", "ok thanks", "running late", "call me later", "love you"] * 6
    texts += ["WIN a free prize now", "claim your cash reward"]
    gold = ["ham"] * 30 + ["spam", "spam"]
    data = tmp_path / "sms.csv"
    # the descriptions are deliberately backwards: the labeler is worse than "always ham"
    pd.DataFrame({"text": texts, "truth": gold}).to_csv(data, index=False)
    res = run_cli(
        "text", "zero-shot", str(data), "--label", "ham: winning a prize, cash, free offers",
        "--label", "spam, junk: a friendly personal message", "--gold", "truth",
        "-o", str(tmp_path / "out.csv"), "--no-cache", cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    err = " ".join(res.stderr.split())
    assert "is not better than always answering 'ham'" in err
    out = " ".join(res.stdout.split())
    assert "abstained on" in out
    frame = pd.read_csv(tmp_path / "out.csv")
    assert set(frame["zero_shot_label"].dropna()) <= {"ham", "spam, junk"}
