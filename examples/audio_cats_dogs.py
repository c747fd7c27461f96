"""Cats vs dogs from their sounds: feature models and a mel-spectrogram CNN, each trained with
and without noise augmentation, evaluated on the same held-out clips.

    python examples/audio_cats_dogs.py [DATA_DIR] [--out report.html] [--seed 0]

DATA_DIR holds ``cat/*.wav`` and ``dog/*.wav`` (default ``../shared/datasets/audio/cats_dogs``).
The split is stratified: 25% of the clips of each class are held out (seed 0).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from labelwise.audio import load_audio_folder
from labelwise.audio.classify import AudioFeatureClassifier, MelCNNClassifier, compare_augmentation
from labelwise.reports import Report

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "audio" / "cats_dogs"


def split(col, test_size: float, seed: int):  # type: ignore[no-untyped-def]
    from sklearn.model_selection import train_test_split

    idx = list(range(len(col)))
    tr, te = train_test_split(idx, test_size=test_size, random_state=seed, stratify=col.labels)
    return col.subset(tr), col.subset(te)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--out", type=Path, default=Path("cats_dogs_report.html"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--test-size", type=float, default=0.25)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--models", default="rf,svm,logistic,cnn")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(
            f"data folder {args.data} is absent; pass the folder with cat/ and dog/",
            file=sys.stderr,
        )
        return 2
    col = load_audio_folder(args.data)
    train, test = split(col, args.test_size, args.seed)
    print(
        f"{len(col)} clips ({len(train)} train / {len(test)} held out, stratified, seed {args.seed})"
    )
    tables = []
    for m in args.models.split(","):
        t0 = time.perf_counter()
        if m == "cnn":

            def make(p: str) -> MelCNNClassifier:
                return MelCNNClassifier(
                    duration=3.0, epochs=args.epochs, augment=p, seed=args.seed, threads=2
                )
        else:

            def make(p: str, m: str = m) -> AudioFeatureClassifier:
                return AudioFeatureClassifier(m, augment=p, n_augment=2, seed=args.seed)

        df = compare_augmentation(make, train, train.labels, test, test.labels)
        df["model"] = m
        tables.append(df)
        print(df.to_string(index=False), f"({time.perf_counter() - t0:.0f} s)", flush=True)
    import pandas as pd

    res = pd.concat(tables, ignore_index=True)
    rep = Report("Cats vs dogs: audio classifiers", subtitle=str(args.data))
    s = rep.section("Held-out accuracy, with and without augmentation")
    s.kv({"clips": len(col), "train": len(train), "held out": len(test), "seed": args.seed,
          "split": f"stratified, {args.test_size:.0%} held out"})  # fmt: skip
    s.table(res.round(4), index=False)
    rep.save(args.out)
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
