"""Box geometry speed: vectorized IoU and NMS vs plain-Python and OpenCV baselines.

Usage (repository root)::

    .venv/bin/python bench/image_geometry.py            # 2,000 x 2,000 IoU, 5,000-box NMS
    .venv/bin/python bench/image_geometry.py --quick

Baselines, measured in the same run:

* IoU: a plain-Python double loop over box pairs (what a hand-written converter does);
* NMS: OpenCV's ``cv2.dnn.NMSBoxes`` (C++), on the same boxes and threshold; the kept sets
  are compared too.

Prints the median of ``--repeat`` runs and the speed ratio against the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from labelwise.geometry import box_iou_matrix, non_max_suppression


def timed(f, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def random_boxes(rng: np.random.Generator, n: int, side: float = 1000.0) -> np.ndarray:
    xy = rng.uniform(0, side, (n, 2))
    wh = rng.uniform(5, 120, (n, 2))
    return np.hstack([xy, xy + wh])


def python_iou(a: np.ndarray, b: np.ndarray) -> list[list[float]]:
    al, bl = a.tolist(), b.tolist()
    out = []
    for x1, y1, x2, y2 in al:
        row = []
        area_a = (x2 - x1) * (y2 - y1)
        for u1, v1, u2, v2 in bl:
            iw = min(x2, u2) - max(x1, u1)
            ih = min(y2, v2) - max(y1, v1)
            inter = iw * ih if iw > 0 and ih > 0 else 0.0
            union = area_a + (u2 - u1) * (v2 - v1) - inter
            row.append(inter / union if union > 0 else 0.0)
        out.append(row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=2000, help="boxes per side of the IoU matrix")
    ap.add_argument("--nms", type=int, default=5000, help="boxes for NMS")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.n, args.nms, args.repeat = 300, 1000, 1
    import cv2

    rng = np.random.default_rng(0)
    print(f"load average at start: {os.getloadavg()[0]:.1f} (shared 2-core machine)")
    a, b = random_boxes(rng, args.n), random_boxes(rng, args.n)
    t_np, iou_np = timed(lambda: box_iou_matrix(a, b), args.repeat)
    t_py, iou_py = timed(lambda: python_iou(a, b), 1)
    assert np.allclose(iou_np, np.asarray(iou_py), atol=1e-12)
    print(f"\nIoU {args.n} x {args.n} boxes")
    print(f"  baseline plain Python   {t_py:8.3f} s   1.0x")
    print(f"  labelwise box_iou_matrix{t_np:8.3f} s   {t_py / t_np:.1f}x faster")

    # "scattered": boxes anywhere (most survive); "detector": candidates jittered around 40
    # objects, as a detector's raw output looks before NMS (few survive).
    centres = random_boxes(rng, 40, side=800.0)
    jitter = rng.normal(0, 6, (args.nms, 4))
    clustered = centres[rng.integers(0, 40, args.nms)] + jitter
    clustered[:, 2:] = np.maximum(clustered[:, 2:], clustered[:, :2] + 1)
    for name, boxes in (
        ("scattered", random_boxes(rng, args.nms, side=800.0)),
        ("detector-like", clustered),
    ):
        scores = rng.random(args.nms)
        xywh = np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]])
        t_lw, keep = timed(
            lambda b=boxes, s=scores: non_max_suppression(b, s, iou_threshold=0.5), args.repeat
        )
        t_cv, keep_cv = timed(
            lambda x=xywh, s=scores: cv2.dnn.NMSBoxes(x.tolist(), s.tolist(), 0.0, 0.5),
            args.repeat,
        )
        kept = np.asarray(keep).tolist()
        same = set(kept) == set(np.asarray(keep_cv).reshape(-1).tolist())
        print(f"\nNMS over {args.nms} {name} boxes (IoU 0.5)")
        print(f"  baseline cv2.dnn.NMSBoxes  {t_cv * 1000:8.1f} ms   1.0x")
        print(
            f"  labelwise NMS (numpy)      {t_lw * 1000:8.1f} ms   {t_cv / t_lw:.2f}x "
            f"({len(kept)} kept; same set as OpenCV: {same})"
        )


if __name__ == "__main__":
    main()
