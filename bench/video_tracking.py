"""Tracking speed and quality on synthetic trajectories; interpolation error on linear motion.

Objects move on straight lines (some cross, some leave and come back). Detections are the
true boxes with pixel noise, 10% of them missed and a few false alarms. Reports, in one run:

* tracker frames/s (IoU + Hungarian, Kalman on and off), against a baseline greedy
  nearest-IoU linker (no prediction, no assignment) measured on the same detections;
* MOTA and IDF1 from ``motmetrics`` against the truth, for each;
* interpolation error between the first and last key frame of every linear track: must be
  exactly 0.

Usage::

    .venv/bin/python bench/video_tracking.py [--frames 2000] [--objects 12]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from labelwise.geometry import box_iou, convert_boxes
from labelwise.video.tracks import (
    IoUTracker,
    evaluate_tracking,
    interpolate_keyframes,
    track_rows,
)


def scenario(n_frames: int, n_objects: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    W, H = 1280, 720
    objs = []
    for i in range(n_objects):
        first = int(rng.integers(0, n_frames // 2))
        last = int(min(n_frames - 1, first + rng.integers(n_frames // 4, n_frames)))
        w, h = float(rng.integers(30, 90)), float(rng.integers(60, 160))
        x0, y0 = float(rng.integers(0, W - 100)), float(rng.integers(0, H - 170))
        # integer velocity per frame so positions are whole pixels
        vx, vy = float(rng.integers(-3, 4)), float(rng.integers(-2, 3))
        gap = (first + (last - first) // 2, first + (last - first) // 2 + 15)  # leaves, returns
        objs.append((i + 1, first, last, x0, y0, vx, vy, w, h, gap))
    truth, dets = [], {f: [] for f in range(n_frames)}
    for tid, first, last, x0, y0, vx, vy, w, h, gap in objs:
        for f in range(first, last + 1):
            if gap[0] <= f < gap[1] and tid % 3 == 0:
                continue  # every third object leaves for 15 frames
            t = f - first
            x, y = x0 + vx * t, y0 + vy * t
            if not (0 <= x <= W - w and 0 <= y <= H - h):
                continue
            truth.append((f, tid, x, y, w, h))
            if rng.random() < 0.1:
                continue  # missed detection
            noisy = (
                x + rng.normal(0, 1.5),
                y + rng.normal(0, 1.5),
                w + rng.normal(0, 1),
                h + rng.normal(0, 1),
            )
            dets[f].append((noisy, 0.9, "obj"))
    for f in range(n_frames):
        if rng.random() < 0.05:
            dets[f].append(
                (
                    (float(rng.integers(0, W - 50)), float(rng.integers(0, H - 50)), 40.0, 40.0),
                    0.5,
                    "obj",
                )
            )
    return truth, dets, objs


def greedy(dets, n_frames, thr=0.3):
    """Baseline: link each detection to the previous frame's box with the highest IoU."""
    rows, prev, next_id = [], [], 1
    for f in range(n_frames):
        cur = []
        taken = set()
        for box, _, _ in dets[f]:
            best, best_iou = None, thr
            if prev:
                ious = box_iou(
                    convert_boxes(np.array([box]), "xywh", "xyxy"),
                    convert_boxes(np.array([b for _, b in prev]), "xywh", "xyxy"),
                )[0]
                for j, v in enumerate(ious):
                    if v >= best_iou and j not in taken:
                        best, best_iou = j, v
            if best is None:
                tid = next_id
                next_id += 1
            else:
                taken.add(best)
                tid = prev[best][0]
            cur.append((tid, box))
            rows.append((f, tid, *box))
        prev = cur
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=2000)
    ap.add_argument("--objects", type=int, default=12)
    args = ap.parse_args()
    truth, dets, objs = scenario(args.frames, args.objects)
    n_dets = sum(len(v) for v in dets.values())
    print(
        f"{args.frames} frames, {args.objects} objects, {len(truth)} true boxes, {n_dets} detections"
    )

    t = time.perf_counter()
    base_rows = greedy(dets, args.frames)
    t_base = time.perf_counter() - t
    results = [("greedy IoU linker (baseline)", t_base, base_rows)]
    for name, kalman in (("IoUTracker, Kalman", True), ("IoUTracker, last box", False)):
        tr = IoUTracker(iou_threshold=0.3, max_misses=5, min_hits=3, kalman=kalman)
        t = time.perf_counter()
        for f in range(args.frames):
            tr.update(f, dets[f])
        tracks = tr.finish()
        results.append((name, time.perf_counter() - t, track_rows(tracks)))
    print("\n| tracker | frames/s | vs baseline speed | MOTA | IDF1 | id switches |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, secs, rows in results:
        m = evaluate_tracking(truth, rows)
        print(
            f"| {name} | {args.frames / secs:.0f} | {t_base / secs:.2f}x | {m['mota']:.3f} | "
            f"{m['idf1']:.3f} | {int(m['num_switches'])} |"
        )

    worst = 0.0
    n_boxes = 0
    for tid, first, last, x0, y0, vx, vy, w, h, _ in objs:
        f1 = first + 200
        kfs = [
            {"frame": first, "x": x0, "y": y0, "w": w, "h": h},
            {"frame": f1, "x": x0 + vx * 200, "y": y0 + vy * 200, "w": w, "h": h},
        ]
        got = interpolate_keyframes(kfs, range(first, f1 + 1))
        for f, b in got.items():
            t = f - first
            exact = (x0 + vx * t, y0 + vy * t, w, h)
            worst = max(worst, max(abs(a - e) for a, e in zip(b, exact, strict=True)))
            n_boxes += 1
        del tid, last
    print(
        f"\ninterpolation between 2 key frames, {n_boxes} boxes on linear motion: max error {worst}"
    )


if __name__ == "__main__":
    main()
