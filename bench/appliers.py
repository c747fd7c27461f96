"""Applier benchmark: 10 rules over a 1M-row DataFrame, labelwise vs Snorkel 0.10.0.

    .venv/bin/python bench/appliers.py [--rows 1000000] [--skip-snorkel]

Rules: 6 numeric thresholds and 4 substring tests. Measured, each in its own process on
the same Parquet file (loading is not timed):

* Snorkel ``PandasLFApplier`` with ``@labeling_function`` rules (the baseline);
* labelwise ``LFApplier`` with the *same* row-wise Python rules (compiled to vectorized
  code where their body allows it; the compiled rules are listed);
* the same with ``compile_rules=False`` (plain row-wise execution);
* labelwise ``LFApplier`` with vectorized helper rules (``threshold``, ``keyword``);
* labelwise ``DaskLFApplier`` on a 2-worker ``LocalCluster`` with the row-wise rules
  (cluster started and warmed up on 2,000 rows before the clock starts).

Every run's label matrix is hashed and must equal Snorkel's. Targets: vectorized >= 100x
Snorkel, row-wise >= 5x Snorkel, Dask (2 workers) >= 1.6x in-process row-wise.
Snorkel lives in ``.venv-bench`` (created by ``bench/label_models.py``; see there).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
LW_PY = ROOT / ".venv" / "bin" / "python"
BENCH_PY = ROOT / ".venv-bench" / "bin" / "python"

WORDS = ["free", "prize", "call", "meeting", "lunch", "win", "urgent", "cash", "hello", "see"]

# Row-wise rules, written once; `labeling_function` comes from Snorkel or labelwise.
ROWWISE_RULES = """
ABSTAIN = -1

@labeling_function()
def a_high(x):
    return 1 if x.a > 0.8 else ABSTAIN

@labeling_function()
def a_low(x):
    return 0 if x.a < 0.1 else ABSTAIN

@labeling_function()
def b_big(x):
    return 1 if x.b >= 90 else ABSTAIN

@labeling_function()
def b_small(x):
    return 0 if x.b <= 5 else ABSTAIN

@labeling_function()
def c_pos(x):
    return 1 if x.c > 1.5 else ABSTAIN

@labeling_function()
def c_neg(x):
    return 0 if x.c < -1.5 else ABSTAIN

@labeling_function()
def has_free(x):
    return 1 if "free" in x.text else ABSTAIN

@labeling_function()
def has_cash(x):
    return 1 if "cash" in x.text else ABSTAIN

@labeling_function()
def has_meeting(x):
    return 0 if "meeting" in x.text else ABSTAIN

@labeling_function()
def has_lunch(x):
    return 0 if "lunch" in x.text else ABSTAIN

LFS = [a_high, a_low, b_big, b_small, c_pos, c_neg, has_free, has_cash, has_meeting, has_lunch]
"""


def vectorized_rules():  # type: ignore[no-untyped-def]
    from labelwise.labeling import keyword, threshold

    return [
        threshold("a", ">", 0.8, 1, name="a_high"),
        threshold("a", "<", 0.1, 0, name="a_low"),
        threshold("b", ">=", 90, 1, name="b_big"),
        threshold("b", "<=", 5, 0, name="b_small"),
        threshold("c", ">", 1.5, 1, name="c_pos"),
        threshold("c", "<", -1.5, 0, name="c_neg"),
        keyword("text", "free", 1, word_boundary=False, case=True, name="has_free"),
        keyword("text", "cash", 1, word_boundary=False, case=True, name="has_cash"),
        keyword("text", "meeting", 0, word_boundary=False, case=True, name="has_meeting"),
        keyword("text", "lunch", 0, word_boundary=False, case=True, name="has_lunch"),
    ]


def make_data(rows: int, path: Path) -> None:
    import pandas as pd

    rng = np.random.default_rng(0)
    words = np.array(WORDS)
    text = [" ".join(words[rng.integers(0, len(words), 3)]) for _ in range(rows)]
    df = pd.DataFrame(
        {
            "a": rng.random(rows),
            "b": rng.integers(0, 100, rows),
            "c": rng.normal(size=rows),
            "text": text,
            "cat": rng.choice(["x", "y", "z"], rows),
        }
    )
    df.to_parquet(path)


def digest(values: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(values.astype(np.int8)).tobytes()).hexdigest()[:16]


def load_rules(lib: str) -> dict[str, Any]:
    """The row-wise rules as a module imported from a file (as a rules file is): the
    source is readable, so labelwise can see which rules only read fields and compile."""
    import importlib.util

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"applier_rules_{lib}.py"
    header = (
        "from snorkel.labeling import labeling_function\n"
        if lib == "snorkel"
        else "from labelwise.labeling import labeling_function\n"
    )
    path.write_text(header + ROWWISE_RULES)
    spec = importlib.util.spec_from_file_location(f"applier_rules_{lib}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


def worker(kind: str, data: str) -> None:
    """Run one measurement in this (fresh) process and print a JSON line."""
    import pandas as pd

    df = pd.read_parquet(data)
    compiled: list[str] = []
    if kind == "snorkel":
        import warnings

        warnings.filterwarnings("ignore")
        from snorkel.labeling import PandasLFApplier

        ns = load_rules("snorkel")
        t0 = time.perf_counter()
        L = PandasLFApplier(ns["LFS"]).apply(df, progress_bar=False)
        seconds = time.perf_counter() - t0
    else:
        from labelwise.labeling import DaskLFApplier, LFApplier

        ns = load_rules("labelwise")
        if kind == "labelwise-vectorized":
            applier = LFApplier(vectorized_rules(), cardinality=2)
            t0 = time.perf_counter()
            L = applier.apply(df, progress_bar=False).values
        elif kind == "labelwise-rowwise":
            applier = LFApplier(ns["LFS"], cardinality=2)
            t0 = time.perf_counter()
            M = applier.apply(df, progress_bar=False)
            L = M.values
            compiled = [n for n in M.names if M.provenance[n].get("compiled")]
        elif kind == "labelwise-rowwise-uncompiled":
            applier = LFApplier(ns["LFS"], cardinality=2)
            t0 = time.perf_counter()
            L = applier.apply(df, progress_bar=False, compile_rules=False).values
        elif kind == "labelwise-dask":
            import distributed

            cluster = distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=40
            )
            client = distributed.Client(cluster)
            applier = DaskLFApplier(ns["LFS"], cardinality=2, scheduler=client, npartitions=8)
            # A long-lived cluster has its workers warm (imports, rules unpickled once);
            # measure that steady state, as the in-process run has its imports done too.
            applier.apply(df.iloc[:2000])
            t0 = time.perf_counter()
            L = applier.apply(df).values
            client.close()
            cluster.close()
        else:
            raise SystemExit(f"unknown kind {kind}")
        seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {"kind": kind, "seconds": seconds, "peak_mb": rss, "digest": digest(L)}
    if kind == "labelwise-rowwise":
        report["compiled"] = compiled
    print(json.dumps(report))


def run(kind: str, data: Path) -> dict[str, object]:
    py = BENCH_PY if kind == "snorkel" else LW_PY
    env = dict(os.environ, LABELWISE_PROGRESS="0", PYTHONWARNINGS="ignore")
    proc = subprocess.run(
        [str(py), __file__, "--worker", kind, "--data", str(data)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--skip-snorkel", action="store_true")
    ap.add_argument("--worker")
    ap.add_argument("--data")
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.data)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    data = OUT / f"applier_{args.rows}.parquet"
    if not data.exists():
        make_data(args.rows, data)
    kinds = [
        "labelwise-vectorized",
        "labelwise-rowwise",
        "labelwise-rowwise-uncompiled",
        "labelwise-dask",
    ]
    if not args.skip_snorkel:
        if not BENCH_PY.exists():
            raise SystemExit("missing .venv-bench: run bench/label_models.py once to create it")
        kinds.insert(0, "snorkel")
    results = {k: run(k, data) for k in kinds}
    base = results.get("snorkel")
    rowwise = results["labelwise-rowwise"]
    print(f"\n10 rules x {args.rows:,} rows (apply time only; each in a fresh process)\n")
    print("| applier | seconds | rows/s | peak MB | vs Snorkel | same L as Snorkel |")
    print("|---|---:|---:|---:|---:|---|")
    for k, r in results.items():
        secs = float(r["seconds"])  # type: ignore[arg-type]
        ratio = f"{float(base['seconds']) / secs:.1f}x" if base else "-"  # type: ignore[arg-type]
        same = "yes" if not base or r["digest"] == base["digest"] else "NO"
        print(
            f"| {k} | {secs:.2f} | {args.rows / secs:,.0f} | {float(r['peak_mb']):.0f} | {ratio} | {same} |"  # type: ignore[arg-type]
        )
    dask_speedup = float(rowwise["seconds"]) / float(results["labelwise-dask"]["seconds"])  # type: ignore[arg-type]
    print(f"\nDask (2 workers) vs in-process row-wise: {dask_speedup:.2f}x (target >= 1.6x)")
    print(f"row-wise rules compiled to vectorized code: {rowwise.get('compiled')}")
    digests = {r["digest"] for r in results.values()}
    print("all label matrices identical:", len(digests) == 1)


if __name__ == "__main__":
    main()
