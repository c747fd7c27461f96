"""Feature extraction and duplicate search throughput on real frames.

Usage (repository root)::

    .venv/bin/python bench/image_features.py          # the 220 frames of ../shared/datasets/images/yolo

Baselines, measured in the same run:

* features: decoding every image alone (``read_image``), so the ratio says what the
  features cost on top of reading; reported with and without the 324 HOG columns;
* duplicates: a plain-Python pairwise Hamming distance over the same perceptual hashes
  (``bin(a ^ b).count("1")`` for every pair), against :func:`find_duplicates`'s
  vectorized XOR + popcount. The collection is the real frames plus unrelated images
  (random hashes) up to ``--copies`` times the frame count. Both must find the same pairs.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--folder",
        type=Path,
        default=ROOT.parent / "shared" / "datasets" / "images" / "yolo" / "images",
    )
    ap.add_argument(
        "--copies",
        type=int,
        default=10,
        help="hash list repeated this many times for the duplicate search",
    )
    args = ap.parse_args()
    from labelwise.image import (
        extract_features,
        find_duplicates,
        image_statistics,
        load_images,
        read_image,
    )

    print(f"load average at start: {os.getloadavg()[0]:.1f} (shared 2-core machine)")
    col = load_images(args.folder)
    n = len(col)
    t = time.perf_counter()
    for p in col.paths:
        read_image(p)
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    extract_features(col, groups=("basic", "color", "threshold", "shape"))
    t_nohog = time.perf_counter() - t
    t = time.perf_counter()
    df = extract_features(col)
    t_all = time.perf_counter() - t
    print(
        f"\n{n} images ({col.table['width'].iloc[0]}x{col.table['height'].iloc[0]}) from {args.folder}"
    )
    print(f"  baseline decode only        {t_read:6.2f} s  {n / t_read:7.1f} img/s  1.0x")
    print(
        f"  features without HOG        {t_nohog:6.2f} s  {n / t_nohog:7.1f} img/s  {t_nohog / t_read:.1f}x the decode time"
    )
    print(
        f"  all features ({df.shape[1] - 4} columns)  {t_all:6.2f} s  {n / t_all:7.1f} img/s  {t_all / t_read:.1f}x the decode time"
    )

    stats, _, _ = image_statistics(col)
    # A larger collection: the real frames (many near duplicates: consecutive video frames)
    # plus unrelated images, stood in for by random 64-bit hashes.
    rng = np.random.default_rng(0)
    extra = n * (args.copies - 1)
    big = pd.concat(
        [
            stats[["item_id", "phash", "sha1"]],
            pd.DataFrame(
                {
                    "item_id": [f"other_{k}" for k in range(extra)],
                    "phash": [f"{int(v):016x}" for v in rng.integers(0, 2**63, extra)],
                    "sha1": [f"s{k}" for k in range(extra)],
                }
            ),
        ],
        ignore_index=True,
    )
    m = len(big)
    hashes = [int(h, 16) for h in big["phash"]]
    t = time.perf_counter()
    naive = [
        (i, j)
        for i in range(m)
        for j in range(i + 1, m)
        if bin(hashes[i] ^ hashes[j]).count("1") <= 6
    ]
    t_naive = time.perf_counter() - t
    t = time.perf_counter()
    dups = find_duplicates(big, max_distance=6)
    t_vec = time.perf_counter() - t
    assert len(dups) == len(naive)
    print(
        f"\nnear-duplicate search over {m} hashes ({m * (m - 1) // 2:,} pairs, {len(naive):,} within 6 bits)"
    )
    print(f"  baseline plain-Python pairs  {t_naive:6.2f} s  1.0x")
    print(f"  labelwise find_duplicates    {t_vec:6.2f} s  {t_naive / t_vec:.1f}x faster")


if __name__ == "__main__":
    main()
