"""Benchmark: finding planted label errors, labelwise vs cleanlab, on the same probabilities.

For each size, a k-class table is generated (scikit-learn ``make_classification``), 10% of its
labels are flipped to another class at random (the planted errors), and out-of-fold
probabilities are computed once with logistic regression (5 folds). Both tools then get the
*same* labels and probabilities, each in a fresh process:

* labelwise: ``labelwise.learn.find_label_issues(labels, proba)`` (prune by noise rate,
  ranked by self-confidence; also the ``confident_joint`` and ``both`` filters);
* cleanlab 2.9 (the baseline): ``cleanlab.filter.find_label_issues(labels, pred_probs,
  filter_by="prune_by_noise_rate", return_indices_ranked_by="self_confidence", n_jobs=1)``,
  in its own venv ``bench/out/.venv-cleanlab`` (created on first use with pip).

Reported: precision and recall of the flagged rows against the planted ones, precision of
the top-ranked rows (as many as were planted), and the time of the call (measured inside
the child, after imports), with ratios against cleanlab.

Run::

    .venv/bin/python bench/learn_label_issues.py                    # 10k and 100k rows
    .venv/bin/python bench/learn_label_issues.py --sizes 10000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
CLEANLAB_VENV = OUT / ".venv-cleanlab"
CLEANLAB_VERSION = "2.9.0"
N_CLASSES = 5
NOISE = 0.10

LABELWISE_CHILD = """
import json, sys, time
import numpy as np
from labelwise.learn import find_label_issues
d = np.load(sys.argv[1])
labels, proba = d["noisy"], d["proba"]
out = {}
for filter_by in ("prune_by_noise_rate", "confident_joint", "both"):
    t = time.perf_counter()
    idx = find_label_issues(labels, proba, filter_by=filter_by, rank_by="self_confidence")
    out[filter_by] = {"seconds": time.perf_counter() - t, "issues": idx.tolist()}
print(json.dumps(out))
"""

CLEANLAB_CHILD = """
import json, sys, time
import numpy as np
from cleanlab.filter import find_label_issues
d = np.load(sys.argv[1])
labels, proba = d["noisy"], d["proba"]
t = time.perf_counter()
idx = find_label_issues(labels, proba, filter_by="prune_by_noise_rate",
                        return_indices_ranked_by="self_confidence", n_jobs=1)
print(json.dumps({"prune_by_noise_rate": {"seconds": time.perf_counter() - t,
                                          "issues": np.asarray(idx).tolist()}}))
"""


def ensure_cleanlab() -> Path:
    python = CLEANLAB_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(CLEANLAB_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"cleanlab=={CLEANLAB_VERSION}"], check=True
        )
    return python


def make_data(n: int, seed: int = 0) -> Path:
    """Noisy labels and out-of-fold probabilities, cached per size."""
    path = OUT / f"label_issues_{n}.npz"
    if path.exists():
        return path
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    X, y = make_classification(
        n_samples=n,
        n_features=20,
        n_informative=10,
        n_classes=N_CLASSES,
        n_clusters_per_class=1,
        class_sep=1.5,
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    planted = np.sort(rng.choice(n, int(NOISE * n), replace=False))
    noisy = y.copy()
    noisy[planted] = (y[planted] + rng.integers(1, N_CLASSES, len(planted))) % N_CLASSES
    t = time.perf_counter()
    proba = cross_val_predict(
        LogisticRegression(max_iter=500),
        X,
        noisy,
        cv=StratifiedKFold(5, shuffle=True, random_state=seed),
        method="predict_proba",
    )
    print(f"  out-of-fold probabilities for {n:,} rows: {time.perf_counter() - t:.1f} s")
    np.savez(path, noisy=noisy, truth=y, planted=planted, proba=proba)
    return path


def run_child(python: str, code: str, data: Path) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(
        [python, "-c", code, str(data)], capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def score(issues: list[int], planted: np.ndarray) -> dict[str, float]:
    idx = np.asarray(issues, dtype=np.int64)
    hit = np.isin(idx, planted)
    top = idx[: len(planted)]
    return {
        "flagged": len(idx),
        "precision": float(hit.mean()) if len(idx) else 0.0,
        "recall": float(hit.sum() / len(planted)),
        "top_precision": float(np.isin(top, planted).mean()) if len(top) else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="label-error finding: labelwise vs cleanlab")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    cleanlab_python = str(ensure_cleanlab())
    rows = []
    for n in args.sizes:
        print(f"{n:,} rows, {N_CLASSES} classes, {NOISE:.0%} planted label errors")
        data = make_data(n)
        planted = np.load(data)["planted"]
        ours = run_child(sys.executable, LABELWISE_CHILD, data)
        base = run_child(cleanlab_python, CLEANLAB_CHILD, data)
        base_s = base["prune_by_noise_rate"]["seconds"]
        for tool, result in (("cleanlab", base), ("labelwise", ours)):
            for filter_by, r in result.items():
                s = score(r["issues"], planted)
                rows.append(
                    {
                        "rows": n,
                        "tool": tool,
                        "filter_by": filter_by,
                        **s,
                        "seconds": r["seconds"],
                        "time_vs_cleanlab": r["seconds"] / base_s,
                    }
                )
    print()
    print(
        "| rows | tool | filter | flagged | precision | recall | top-n precision | seconds | time vs cleanlab |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['rows']:,} | {r['tool']} | {r['filter_by']} | {r['flagged']:,} | "
            f"{r['precision']:.3f} | {r['recall']:.3f} | {r['top_precision']:.3f} | "
            f"{r['seconds']:.3f} | {r['time_vs_cleanlab']:.2f}x |"
        )


if __name__ == "__main__":
    main()
