"""Exact and near-duplicate detection (MinHash + LSH) against a brute-force reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from labelwise.errors import LabelwiseError
from labelwise.text import (
    duplicate_groups,
    exact_duplicate_groups,
    find_near_duplicates,
    near_duplicate_groups,
)
from labelwise.text.dedup import choose_bands, minhash_signatures, normalize_for_dedup


def shingles(text: str, k: int = 5) -> set[str]:
    t = normalize_for_dedup(text)
    return {t[i : i + k] for i in range(len(t) - k + 1)}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def make_corpus(seed: int, n_base: int = 60) -> list[str]:
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(300)]
    base = [" ".join(rng.choice(vocab, size=rng.integers(8, 20))) for _ in range(n_base)]
    out = list(base)
    for b in base[:20]:  # light edits of a third of the texts
        words = b.split()
        j = int(rng.integers(len(words)))
        words[j] = "zz" + words[j]
        out.append(" ".join(words))
    return out


def test_exact_duplicates_ignore_case_and_spacing():
    texts = ["Free  PRIZE", "free prize", None, "", "", "other", "free prize "]
    assert exact_duplicate_groups(texts) == [[0, 1, 6]]
    assert exact_duplicate_groups(texts, normalize=False) == []
    import labelwise.text

    with pytest.warns(DeprecationWarning, match="exact_duplicate_groups"):
        assert labelwise.text.find_duplicates(texts) == [[0, 1, 6]]


def test_near_duplicates_match_brute_force(tmp_path):
    texts = make_corpus(0)
    found = find_near_duplicates(texts, threshold=0.6)
    truth = {
        (i, j)
        for i, j in itertools.combinations(range(len(texts)), 2)
        if jaccard(texts[i], texts[j]) >= 0.6
    }
    got = set(zip(found["i"].tolist(), found["j"].tolist(), strict=True))
    assert got <= truth  # verified exactly: no false positives
    assert len(truth) >= 15
    assert len(got) >= 0.95 * len(truth)  # LSH recall
    for _, r in found.iterrows():
        assert r["similarity"] == pytest.approx(jaccard(texts[int(r["i"])], texts[int(r["j"])]))
    assert (np.diff(found["similarity"].to_numpy()) <= 1e-12).all()  # best first


def test_exact_copies_appear_only_when_asked():
    texts = ["win a free cruise today", "WIN a free cruise today", "win a free cruise today!"]
    plain = find_near_duplicates(texts, threshold=0.7)
    assert set(zip(plain["i"], plain["j"], strict=True)) == {(0, 2)}
    both = find_near_duplicates(texts, threshold=0.7, include_exact=True)
    assert (0, 1) in set(zip(both["i"], both["j"], strict=True))
    assert near_duplicate_groups(texts, threshold=0.7) == [[0, 1, 2]]


def test_degenerate_inputs():
    assert find_near_duplicates([]).empty
    assert find_near_duplicates(["only one"]).empty
    assert find_near_duplicates(["ab", "ab", None, ""]).empty  # too short to shingle, exact only
    with pytest.raises(LabelwiseError, match="threshold"):
        find_near_duplicates(["a", "b"], threshold=0)
    with pytest.raises(LabelwiseError, match="num_perm"):
        find_near_duplicates(["a", "b"], num_perm=1)


def test_signatures_estimate_jaccard():
    a = "the quick brown fox jumps over the lazy dog again and again"
    b = "the quick brown fox jumps over the lazy cat again and again"
    sig = minhash_signatures([a, b, "completely different words here"], num_perm=256, seed=3)
    est = float((sig[0] == sig[1]).mean())
    assert abs(est - jaccard(a, b)) < 0.12
    assert (sig[0] == sig[2]).mean() < 0.1
    again = minhash_signatures([a], num_perm=256, seed=3)
    np.testing.assert_array_equal(again[0], sig[0])  # seeded, reproducible


def test_bands_and_groups():
    b, r = choose_bands(128, 0.8)
    assert b * r == 128
    assert duplicate_groups(6, [(0, 1), (2, 3), (3, 5)]) == [[2, 3, 5], [0, 1]]
    assert duplicate_groups(3, []) == []


def test_real_sms_near_duplicates(shared_datasets):
    import pandas as pd

    from labelwise.text import read_texts

    df = read_texts(shared_datasets / "text" / "sms_spam.tsv", column="SMS")
    texts = df["SMS"].tolist()
    pairs = find_near_duplicates(texts, threshold=0.8)
    assert len(pairs) > 50
    assert pairs["similarity"].min() >= 0.8
    assert isinstance(pairs, pd.DataFrame)
    sample = pairs.sample(min(30, len(pairs)), random_state=0)
    for _, r in sample.iterrows():
        assert jaccard(texts[int(r["i"])], texts[int(r["j"])]) == pytest.approx(r["similarity"])
