"""Mel-spectrogram CNN on the shared cats/dogs clips, with and without noise augmentation.

Runs the model comparison of ``examples/audio_cats_dogs.py`` for the CNN only: the same
stratified split (25% held out, seed 0), 3-second crops, 40 epochs, 2 torch threads, and
prints training time and held-out accuracy of both runs side by side (the baseline is the
run without augmentation).

Usage::

    .venv/bin/python bench/audio_cnn.py [DATA_DIR] [--epochs 40]
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    spec = importlib.util.spec_from_file_location(
        "cats_dogs", ROOT / "examples" / "audio_cats_dogs.py"
    )
    assert spec is not None and spec.loader is not None
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?", type=Path, default=ex.DEFAULT)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"cats/dogs clips are absent ({args.data}); nothing to measure")
        return 2
    res, n_train, n_test = ex.run(args.data, models="cnn", epochs=args.epochs, seed=args.seed)
    base = res[res["augment"] == "none"].iloc[0]
    aug = res[res["augment"] == "noise"].iloc[0]
    print(f"\nmel CNN, {n_train} train / {n_test} held out, {args.epochs} epochs")
    print(
        f"no augmentation (baseline): accuracy {base['accuracy']:.3f}, train {base['train_seconds']:.0f} s"
    )
    print(f"noise augmentation:         accuracy {aug['accuracy']:.3f}, train {aug['train_seconds']:.0f} s "
          f"({aug['train_seconds'] / base['train_seconds']:.2f}x the time, "
          f"{100 * (aug['accuracy'] - base['accuracy']):+.1f} points)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
