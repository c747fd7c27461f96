"""Kinetics dance vs brushing: clip classifiers with and without augmentation, held out by video.

Data: ``../shared/datasets/video/kinetics/{dance,brushing}/*.mp4`` (five 10-second clips).
Each video is cut into 2-second windows (ffmpeg, re-encoded); the split is by *video*, so
no window of a test video is seen in training:

* train: brushing/brushing.mp4, dance/dance3.mp4, dance/dancing2.mp4
* test:  brushing/brushing2.mp4, dance/zu.mp4

Both architectures (small 3D CNN, frame embeddings + temporal pooling) are trained with
and without augmentation (temporal jitter, flip, crop, drawn once per clip) and scored on
the held-out windows (and per video by majority of its windows).

Usage::

    .venv/bin/python examples/video_kinetics.py [--data ../shared/datasets/video/kinetics]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from labelwise.video import ClipAugment, VideoClassifier, probe

TRAIN = ["brushing/brushing.mp4", "dance/dance3.mp4", "dance/dancing2.mp4"]
TEST = ["brushing/brushing2.mp4", "dance/zu.mp4"]


def windows(src: Path, dest: Path, seconds: float = 2.0) -> list[Path]:
    info = probe(src)
    out = []
    for i in range(int(info.duration // seconds)):
        p = dest / f"{src.stem}_{i}.mp4"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-ss", str(i * seconds), "-i", str(src), "-t",
             str(seconds), "-vf", "scale=160:-2", "-an", "-c:v", "libx264", "-preset",
             "ultrafast", str(p)],
            check=True,
        )  # fmt: skip
        out.append(p)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    default = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "video" / "kinetics"
    ap.add_argument("--data", type=Path, default=default)
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    if not all((args.data / p).exists() for p in TRAIN + TEST):
        print(f"kinetics clips not found under {args.data}; pass --data", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(2)
    tmp = Path(tempfile.mkdtemp(prefix="lw_kinetics_"))
    train, y_train, test, y_test, test_video = [], [], [], [], []
    for rel in TRAIN:
        w = windows(args.data / rel, tmp)
        train += w
        y_train += [rel.split("/")[0]] * len(w)
    for rel in TEST:
        w = windows(args.data / rel, tmp)
        test += w
        y_test += [rel.split("/")[0]] * len(w)
        test_video += [rel] * len(w)
    print(f"train: {len(train)} windows of {TRAIN}")
    print(f"test:  {len(test)} windows of {TEST}\n")
    print("| model | augmentation | window accuracy | video accuracy (majority) |")
    print("| --- | --- | ---: | ---: |")
    for arch in ("c3d", "pool"):
        for aug in (None, ClipAugment(jitter=0.2, flip=True, crop=0.8)):
            clf = VideoClassifier(
                arch=arch, n_frames=8, size=64, epochs=args.epochs, augment=aug,
                clips_per_video=3, seed=0,
            ).fit(train, y_train)  # fmt: skip
            v = clf.label(test)
            assert clf.label_space is not None
            gold = np.asarray(clf.label_space.encode(y_test))
            acc = float(np.mean(v.candidates == gold))
            per_video = []
            for rel in TEST:
                idx = [i for i, t in enumerate(test_video) if t == rel]
                votes = np.bincount(np.asarray(v.candidates)[idx], minlength=clf.label_space.k)
                per_video.append(int(votes.argmax()) == int(gold[idx[0]]))
            print(
                f"| {arch} | {'yes' if aug else 'no'} | {acc:.2f} | "
                f"{np.mean(per_video):.2f} ({sum(per_video)}/{len(per_video)}) |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
