"""Label images with a pretrained classifier that abstains when unsure, then train models.

The worked example of labeling with a pretrained classifier::

    .venv/bin/python examples/image_digits_classifier.py [--out image_examples_output]

1. Train :class:`~labelwise.image.DigitClassifier` on part of scikit-learn's bundled digits
   (no download).
2. Write the other digits to disk as "scans" (dark ink on white, larger, off-centre) and
   label that folder with the classifier through a labeling function that abstains below a
   confidence; compare coverage and accuracy at several confidences.
3. Train and compare an SVM (pixels, HOG) and a small CNN on the confidently labelled scans,
   with and without augmentation, evaluated on true labels; write an HTML report.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from PIL import Image

from labelwise.image import (
    DigitClassifier,
    classifier_labeling_function,
    compare_classifiers,
    load_digits_images,
)
from labelwise.labeling import ABSTAIN
from labelwise.labeling.apply import LFApplier


def as_scan(img8: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    side = 96
    big = cv2.resize(img8, (48, 48), interpolation=cv2.INTER_CUBIC)
    page = np.zeros((side, side), np.uint8)
    top, left = (int(v) for v in rng.integers(4, side - 52, 2))
    page[top : top + 48, left : left + 48] = big
    noisy = np.clip(255 - page.astype(np.int16) + rng.normal(0, 8, page.shape), 0, 255)
    return noisy.astype(np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=Path("image_examples_output"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    X, y, names = load_digits_images()
    order = rng.permutation(len(X))
    pre, rest = order[:600], order[600:]
    clf = DigitClassifier().fit(X[pre], y[pre])

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in rest:
            p = Path(tmp) / f"scan_{i:04d}.png"
            Image.fromarray(as_scan(X[i], rng)).save(p)
            paths.append(str(p))
        table = pd.DataFrame({"path": paths})
        rows = []
        for conf in (0.0, 0.5, 0.8, 0.95):
            lf = classifier_labeling_function(clf, min_confidence=conf, name=f"digits@{conf}")
            votes = LFApplier([lf]).apply(table).values[:, 0]
            voted = votes != ABSTAIN
            rows.append(
                {
                    "min confidence": conf,
                    "coverage": float(voted.mean()),
                    "accuracy where voted": float(np.mean(votes[voted] == y[rest][voted])),
                }
            )
        print(pd.DataFrame(rows).round(3).to_string(index=False))
        lf = classifier_labeling_function(clf, min_confidence=0.8, name="digits")
        votes = LFApplier([lf]).apply(table).values[:, 0]
        scans = np.stack([np.asarray(Image.open(p)) for p in paths])

    labelled = np.nonzero(votes != ABSTAIN)[0]
    train_idx = labelled[: int(0.7 * len(labelled))]
    test_idx = np.setdiff1d(np.arange(len(rest)), train_idx)[:400]
    small = np.stack([cv2.resize(s, (32, 32), interpolation=cv2.INTER_AREA) for s in scans])
    res = compare_classifiers(
        small[train_idx],
        votes[train_idx],  # trained on the classifier's labels...
        small[test_idx],
        y[rest][test_idx],  # ...evaluated on the truth
        class_names=names,
        augment="digits",
        n_augment=1,
        cnn_epochs=8,
        seed=args.seed,
    )
    print(res.table.round(4).to_string(index=False))
    out = res.to_report(
        args.out / "image_digits_training.html", title="Digits labelled by a classifier"
    )
    print(f"report: {args.out / 'image_digits_training.html'} ({len(out.sections)} sections)")


if __name__ == "__main__":
    main()
