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
from typing import Any

from labelwise.audio import load_audio_folder
from labelwise.audio.classify import AudioFeatureClassifier, MelCNNClassifier, compare_augmentation
from labelwise.reports import Report

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "audio" / "cats_dogs"


def split(col: Any, test_size: float, seed: int) -> tuple[Any, Any]:
    from sklearn.model_selection import train_test_split

    idx = list(range(len(col)))
    tr, te = train_test_split(idx, test_size=test_size, random_state=seed, stratify=col.labels)
    return col.subset(tr), col.subset(te)


def run(data: Path, *, models: str = "rf,svm,logistic,cnn", seed: int = 0,
        test_size: float = 0.25, epochs: int = 40) -> tuple[Any, int, int]:  # fmt: skip
    """Train every model with and without noise augmentation; held-out results table."""
    import pandas as pd

    col = load_audio_folder(data)
    train, test = split(col, test_size, seed)
    print(f"{len(col)} clips ({len(train)} train / {len(test)} held out, stratified, seed {seed})")
    tables = []
    for m in models.split(","):
        t0 = time.perf_counter()
        if m == "cnn":

            def make(p: str) -> MelCNNClassifier:
                return MelCNNClassifier(
                    duration=3.0, epochs=epochs, augment=p, seed=seed, threads=2
                )

        else:

            def make(p: str, m: str = m) -> AudioFeatureClassifier:  # type: ignore[misc]
                return AudioFeatureClassifier(m, augment=p, n_augment=2, seed=seed)

        df = compare_augmentation(make, train, train.labels, test, test.labels)
        df["model"] = m
        tables.append(df)
        print(df.to_string(index=False), f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return pd.concat(tables, ignore_index=True), len(train), len(test)


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
    res, n_train, n_test = run(args.data, models=args.models, seed=args.seed,
                               test_size=args.test_size, epochs=args.epochs)  # fmt: skip
    rep = Report("Cats vs dogs: audio classifiers", subtitle=str(args.data))
    s = rep.section("Held-out accuracy, with and without augmentation")
    s.kv({"clips": n_train + n_test, "train": n_train, "held out": n_test, "seed": args.seed,
          "split": f"stratified, {args.test_size:.0%} held out"})  # fmt: skip
    s.table(res.round(4), index=False)
    rep.save(args.out)
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
