"""Image classifiers with and without augmentation: accuracy and training time.

Usage (repository root)::

    .venv/bin/python bench/image_training.py            # digits (1,347 train / 450 test) + shapes folder
    .venv/bin/python bench/image_training.py --quick

Two data sets:

* scikit-learn's bundled handwritten digits (8x8), stratified 75/25 split, seed 0;
* a generated folder data set (class sub-folders: circle, square, triangle; 40 noisy
  64x64 images per class, random size, position and colour), loaded from disk with
  ``load_images`` like any user folder, resized to 32x32.

Models: an RBF SVM on flattened pixels (**the baseline**), an RBF SVM on HOG, and the small
plain-PyTorch CNN, each trained on the original training set and on the training set
multiplied by augmentation (2 extra copies per image; ``digits`` preset for digits, which
has no flips, and ``classic`` for shapes). Reported: test accuracy, accuracy ratio against
the baseline, training seconds and the time ratio against the baseline. The test sets are
never augmented.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def make_shapes_folder(root: Path, per_class: int, seed: int = 0) -> Path:
    import cv2
    from PIL import Image

    rng = np.random.default_rng(seed)
    for kind in ("circle", "square", "triangle"):
        (root / kind).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            img = np.clip(rng.normal(200, 25, (64, 64, 3)), 0, 255).astype(np.uint8)
            r = int(rng.integers(8, 22))
            cx, cy = (int(v) for v in rng.integers(r + 2, 64 - r - 2, 2))
            col = tuple(int(v) for v in rng.integers(0, 120, 3))
            if kind == "circle":
                cv2.circle(img, (cx, cy), r, col, -1)
            elif kind == "square":
                cv2.rectangle(img, (cx - r, cy - r), (cx + r, cy + r), col, -1)
            else:
                pts = np.array([[cx, cy - r], [cx - r, cy + r], [cx + r, cy + r]], np.int32)
                cv2.fillPoly(img, [pts], col)
            Image.fromarray(img).save(root / kind / f"{kind}_{i:03d}.png")
    return root


def run(name: str, X, y, names, preset: str, epochs: int, seed: int) -> None:  # type: ignore[no-untyped-def]
    from sklearn.model_selection import train_test_split

    from labelwise.image.train import (
        CNNImageClassifier,
        SVMImageClassifier,
        augment_training_set,
        evaluate_predictions,
    )

    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    t = time.perf_counter()
    Xa, ya = augment_training_set(Xtr, ytr, preset=preset, n_per_image=2, seed=seed)
    t_aug = time.perf_counter() - t
    print(
        f"\n{name}: {len(Xtr)} train / {len(Xte)} test images, {len(names)} classes; "
        f"augmentation ({preset}, x3 training set) took {t_aug:.1f} s"
    )
    rows = []
    for augmented, xs, ys in ((False, Xtr, ytr), (True, Xa, ya)):
        for model in ("svm-flat", "svm-hog", "cnn"):
            clf = (
                CNNImageClassifier(epochs=epochs, seed=seed)
                if model == "cnn"
                else SVMImageClassifier(features=model.split("-")[1], seed=seed)
            )
            t = time.perf_counter()
            clf.fit(xs, ys)
            fit_s = time.perf_counter() - t
            r = evaluate_predictions(yte, clf.predict(Xte), names, model=model, augmented=augmented)
            rows.append((model, augmented, len(xs), r.accuracy, fit_s, r))
    base_acc, base_t = rows[0][3], rows[0][4]
    print(
        f"{'model':<10} {'augmented':<9} {'train':>6} {'accuracy':>9} {'vs base':>8} {'fit s':>7} {'time vs base':>12}"
    )
    for model, augmented, n, acc, fit_s, _ in rows:
        print(
            f"{model:<10} {augmented!s:<9} {n:>6} {acc:>9.4f} {acc / base_acc:>7.3f}x {fit_s:>7.2f} {fit_s / base_t:>11.1f}x"
        )
    best = max(rows, key=lambda r: r[3])
    worst = best[5].per_class.sort_values("recall").iloc[0]
    print(
        f"best: {best[0]}{' +aug' if best[1] else ''} ({best[3]:.4f}); its weakest class "
        f"{worst['class']!r}: precision {worst['precision']:.3f}, recall {worst['recall']:.3f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=15, help="CNN epochs")
    ap.add_argument("--per-class", type=int, default=40, help="shapes images per class")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.epochs, args.per_class = 4, 16
    from labelwise.image.classify import load_digits_images
    from labelwise.image.train import collection_to_arrays

    print(f"load average at start: {os.getloadavg()[0]:.1f} (shared 2-core machine)")
    X, y, names = load_digits_images()
    run("digits", X, y, names, "digits", args.epochs, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_shapes_folder(Path(tmp) / "shapes", args.per_class, args.seed)
        Xs, ys, snames, _ = collection_to_arrays(folder, size=32)
        run("shapes folder", Xs, ys, snames, "classic", args.epochs, args.seed)


if __name__ == "__main__":
    main()
