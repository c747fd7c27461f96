"""Benchmark: near-duplicate search (MinHash + LSH) against exact all-pairs Jaccard.

Baseline, measured in the same run: the exact Jaccard similarity of every pair of texts,
computed as a sparse product of the binary character-5-gram matrix with itself (in row
blocks, so memory stays bounded). It defines the true near-duplicate pairs; we report
labelwise's time relative to it and its recall (precision is 1 by construction: every
candidate is verified exactly).

Corpora: the real SMS messages, and larger synthetic corpora made from them (each message
repeated with random word edits), up to 100k texts. The exact baseline is skipped above
``--max-exact`` texts (it grows quadratically).

Run::

    .venv/bin/python bench/text_near_duplicates.py
    .venv/bin/python bench/text_near_duplicates.py --sizes 5574 20000 100000 --max-exact 20000
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "text" / "sms_spam.tsv"


def corpus(n: int, seed: int = 0) -> list[str]:
    from labelwise.text import read_texts

    base = read_texts(DATA, column="SMS")["SMS"].tolist()
    if n <= len(base):
        return base[:n]
    rng = np.random.default_rng(seed)
    out = list(base)
    while len(out) < n:
        words = base[int(rng.integers(len(base)))].split()
        for _ in range(int(rng.integers(1, 4))):  # a few edits: replace or drop a word
            if not words:
                break
            j = int(rng.integers(len(words)))
            if rng.random() < 0.5:
                words[j] = f"w{int(rng.integers(10_000))}"
            else:
                del words[j]
        out.append(" ".join(words))
    return out


def exact_pairs(texts: list[str], threshold: float) -> set[tuple[int, int]]:
    """All pairs of distinct normalized texts with Jaccard >= threshold (blocked X @ X.T)."""
    import scipy.sparse as sp

    from labelwise.text.dedup import _shingle_matrix, normalize_for_dedup

    norm = [normalize_for_dedup(t) for t in texts]
    first: dict[str, int] = {}
    reps = []
    for i, t in enumerate(norm):
        if t and t not in first:
            first[t] = i
            reps.append(i)
    X = _shingle_matrix([norm[i] for i in reps], 5)
    X.data[:] = 1.0
    sizes = np.diff(X.indptr).astype(np.float64)
    XT = X.T.tocsc()
    found: set[tuple[int, int]] = set()
    block = 2000
    for s in range(0, X.shape[0], block):
        inter = sp.coo_matrix(X[s : s + block] @ XT)
        rows = inter.row + s
        keep = inter.col > rows
        r, c, v = rows[keep], inter.col[keep], inter.data[keep]
        jac = v / (sizes[r] + sizes[c] - v)
        ok = jac >= threshold
        found.update(
            zip((np.asarray(reps)[r[ok]]).tolist(), (np.asarray(reps)[c[ok]]).tolist(), strict=True)
        )
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5574, 20000, 100000])
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--max-exact", type=int, default=20000)
    args = ap.parse_args()

    from labelwise.text import find_near_duplicates

    print(f"threshold {args.threshold}, load average {os.getloadavg()[0]:.1f}")
    print()
    print(
        "| texts | exact all-pairs s | labelwise s | speed vs baseline | pairs (exact) | pairs (labelwise) | recall |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        texts = corpus(n)
        t = time.perf_counter()
        got = find_near_duplicates(texts, threshold=args.threshold)
        t_ours = time.perf_counter() - t
        ours = set(zip(got["i"].tolist(), got["j"].tolist(), strict=True))
        if n <= args.max_exact:
            t = time.perf_counter()
            truth = exact_pairs(texts, args.threshold)
            t_exact = time.perf_counter() - t
            recall = len(ours & truth) / len(truth) if truth else 1.0
            assert ours <= truth, "a reported pair is below the threshold"
            print(
                f"| {n:,} | {t_exact:.2f} | {t_ours:.2f} | {t_exact / t_ours:.1f}x | {len(truth):,} | "
                f"{len(ours):,} | {recall:.3f} |"
            )
        else:
            print(f"| {n:,} | (skipped) | {t_ours:.2f} | - | - | {len(ours):,} | - |")


if __name__ == "__main__":
    main()
