"""Benchmark: `labelwise explore` vs ydata-profiling (minimal mode) on wide, long tables.

Generates a mixed table (numeric and categorical columns, some missing values, a constant,
a near-copy, a high-cardinality column, a 3-class imbalanced target) once per size, then
runs each tool in a fresh subprocess under the same limits (address-space cap via
``RLIMIT_AS``, wall-clock timeout) and measures wall time and peak RSS of the child
(``os.wait4``). A run that hits the memory cap or the timeout is recorded as such.

ydata-profiling pins pandas<3 and numpy<2.4, which conflict with labelwise's environment,
so it lives in its own venv (``bench/out/.venv-ydata``), created here on first use with
``pip install ydata-profiling`` (no torch involved).

Run::

    .venv/bin/python bench/explore_tabular.py                 # 100k and 1M rows
    .venv/bin/python bench/explore_tabular.py --sizes 100000  # quick
    .venv/bin/python bench/explore_tabular.py --skip-ydata    # labelwise only
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
YDATA_VENV = OUT / ".venv-ydata"
YDATA_VERSION = "4.18.4"
N_COLUMNS = 20


def make_table(n: int, *, seed: int = 0):  # type: ignore[no-untyped-def]
    """A ``(n, 20)`` mixed table with planted quirks; column ``label`` is the target."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    score = rng.normal(0, 1, n)
    color = rng.choice(["red", "green", "blue", "black", "white", "grey"], n)
    logits = np.stack([np.zeros(n), score - 1.5, 0.8 * score - 2.5 + (color == "red")], axis=1)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    label = np.array(["common", "rare", "very_rare"])[
        (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(1).clip(0, 2)
    ]

    def with_missing(x, share):  # type: ignore[no-untyped-def]
        x = pd.Series(x)
        return x.mask(rng.random(n) < share)

    balance = rng.normal(1_000, 300, n)
    balance[rng.random(n) < 0.01] *= 50
    zero_inflated = np.where(rng.random(n) < 0.9, 0.0, rng.exponential(500, n))
    cities = np.array([f"city_{i:03d}" for i in range(500)])
    city = cities[np.minimum(rng.zipf(1.3, n) - 1, 499)]
    countries = np.array([f"country_{i:02d}" for i in range(30)])
    country = np.where(rng.random(n) < 0.96, "country_00", rng.choice(countries, n))
    days = pd.date_range("2024-01-01", periods=366, freq="D").strftime("%Y-%m-%d").to_numpy()
    return pd.DataFrame(
        {
            "age": rng.integers(18, 91, n),
            "income": with_missing(np.round(rng.lognormal(10, 0.7, n), 2), 0.03),
            "score": np.round(score, 5),
            "score_scaled": np.round(2 * score + rng.normal(0, 0.01, n), 5),
            "balance": np.round(balance, 2),
            "visits": rng.poisson(3, n),
            "rate": with_missing(np.round(rng.random(n), 5), 0.05),
            "temperature": np.round(rng.normal(20, 5, n), 3),
            "refund": np.round(zero_inflated, 2),
            "version": np.ones(n, dtype=int),
            "flag": rng.integers(0, 2, n),
            "user": np.char.add("user_", rng.integers(0, 200_000, n).astype(str)),
            "city": city,
            "color": color,
            "segment": with_missing(rng.choice(["a", "b", "c", "d"], n), 0.08),
            "country": country,
            "channel": rng.choice(["web", "app", "store"], n, p=[0.6, 0.3, 0.1]),
            "day": rng.choice(days, n),
            "product": rng.choice([f"p{i}" for i in range(50)], n),
            "label": label,
        }
    )


def data_file(n: int) -> Path:
    path = OUT / f"explore_{n}x{N_COLUMNS}_v1.csv"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        df = make_table(n)
        tmp = path.with_suffix(".tmp")
        df.to_csv(tmp, index=False)
        tmp.rename(path)
        print(
            f"  generated {path.name} ({path.stat().st_size / 2**20:.0f} MiB) in "
            f"{time.perf_counter() - t:.1f} s",
            flush=True,
        )
    return path


def ydata_python() -> Path | None:
    """Python of the ydata-profiling venv, creating it on first use; None if that fails."""
    py = YDATA_VENV / "bin" / "python"
    check = [str(py), "-c", "import ydata_profiling"]
    if py.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return py
    print(f"  creating {YDATA_VENV} with ydata-profiling=={YDATA_VERSION} ...", flush=True)
    base = getattr(sys, "_base_executable", sys.executable)
    steps = [
        [base, "-m", "venv", str(YDATA_VENV)],
        [str(py), "-m", "pip", "install", "-q", f"ydata-profiling=={YDATA_VERSION}", "setuptools"],
    ]
    for cmd in steps:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"  could not set up ydata-profiling: {r.stderr.strip()[-400:]}")
            return None
    return py if subprocess.run(check, capture_output=True).returncode == 0 else None


LABELWISE_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
from labelwise.tabular import explore_table, profile_table
df = pd.read_csv(sys.argv[1])
t1 = time.perf_counter()
prof = profile_table(df, target="label", progress=False)
t2 = time.perf_counter()
explore_table(df, target="label", profile=prof, progress=False).save(sys.argv[2])
t3 = time.perf_counter()
print(json.dumps({"read_s": t1 - t0, "profile_s": t2 - t1, "report_s": t3 - t2,
                  "alerts": len(prof["alerts"])}))
"""

YDATA_CHILD = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
t0 = time.perf_counter()
import pandas as pd
from ydata_profiling import ProfileReport
df = pd.read_csv(sys.argv[1])
t1 = time.perf_counter()
minimal = sys.argv[3] == "minimal"
ProfileReport(df, minimal=minimal, progress_bar=False).to_file(sys.argv[2])
t3 = time.perf_counter()
print(json.dumps({"read_s": t1 - t0, "report_s": t3 - t1}))
"""


def run_child(
    python: Path | str, code: str, args: list[str], *, mem_gb: float, timeout: float, env=None
) -> dict:  # type: ignore[no-untyped-def]
    """Run ``python -c code args`` capped at ``mem_gb`` of address space and ``timeout`` s."""
    limit = int(mem_gb * 2**30)

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    OUT.mkdir(parents=True, exist_ok=True)
    log_out = OUT / "explore_child.stdout"
    log_err = OUT / "explore_child.stderr"
    with open(log_out, "w") as fo, open(log_err, "w") as fe:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [str(python), "-c", code, *args],
            stdout=fo,
            stderr=fe,
            preexec_fn=limits,
            start_new_session=True,
            cwd=ROOT,
            env=env,
        )
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.2)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from waiting again
    stdout, stderr = log_out.read_text(), log_err.read_text()
    result = {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "rc": proc.returncode}
    if timed_out:
        result["status"] = f"timeout ({timeout:.0f} s)"
    elif proc.returncode != 0:
        oom = any(
            s in stderr
            for s in ("MemoryError", "Cannot allocate", "bad_alloc", "Unable to allocate")
        )
        result["status"] = (
            f"out of memory ({mem_gb:g} GB cap)" if oom else f"failed (rc {proc.returncode})"
        )
        result["error"] = stderr.strip().splitlines()[-1][:300] if stderr.strip() else ""
    else:
        result["status"] = "ok"
        with contextlib.suppress(ValueError, IndexError):
            result.update(json.loads(stdout.strip().splitlines()[-1]))
    return result


def fmt(r: dict) -> str:  # type: ignore[type-arg]
    if r["status"] != "ok":
        return f"{r['status']} after {r['wall_s']:.1f} s, peak RSS {r['peak_rss_mb']:,.0f} MB"
    return f"{r['wall_s']:.1f} s, peak RSS {r['peak_rss_mb']:,.0f} MB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="comma-separated row counts")
    ap.add_argument("--mem-gb", type=float, default=6.0, help="address-space cap per child")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per child")
    ap.add_argument("--skip-ydata", action="store_true", help="measure labelwise only")
    ap.add_argument(
        "--ydata-full",
        action="store_true",
        help="also run ydata-profiling's default (full) mode, not only minimal=True",
    )
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print(
        f"labelwise explore vs ydata-profiling {YDATA_VERSION}; {os.cpu_count()} cores, "
        f"cap {args.mem_gb:g} GB address space and {args.timeout:.0f} s per run, "
        "each run in a fresh process",
        flush=True,
    )
    ypy = None if args.skip_ydata else ydata_python()
    modes = ["minimal", "full"] if args.ydata_full else ["minimal"]
    env = dict(os.environ, PYTHONPATH=str(ROOT), LABELWISE_PROGRESS="0")
    table: list[tuple[int, str, dict]] = []  # type: ignore[type-arg]
    for n in sizes:
        print(f"\n{n:,} rows x {N_COLUMNS} columns", flush=True)
        path = data_file(n)
        lw = run_child(
            sys.executable,
            LABELWISE_CHILD,
            [str(path), str(OUT / f"labelwise_{n}.html")],
            mem_gb=args.mem_gb,
            timeout=args.timeout,
            env=env,
        )
        detail = (
            f"  (read {lw['read_s']:.1f} s, statistics {lw['profile_s']:.1f} s, "
            f"plots+HTML {lw['report_s']:.1f} s)"
            if lw["status"] == "ok"
            else f"  {lw.get('error', '')}"
        )
        print(f"  {'labelwise explore':<26}: {fmt(lw)}{detail}", flush=True)
        table.append((n, "labelwise explore", lw))
        for mode in modes if ypy is not None else []:
            name = f"ydata-profiling {mode}"
            yd = run_child(
                ypy,  # type: ignore[arg-type]
                YDATA_CHILD,
                [str(path), str(OUT / f"ydata_{mode}_{n}.html"), mode],
                mem_gb=args.mem_gb,
                timeout=args.timeout,
            )
            print(f"  {name:<26}: {fmt(yd)}", flush=True)
            if yd.get("error"):
                print(f"    last error line: {yd['error']}")
            if yd["status"] == "ok" and lw["status"] == "ok":
                print(
                    f"    ratio {name} / labelwise: time {yd['wall_s'] / lw['wall_s']:.1f}x, "
                    f"peak memory {yd['peak_rss_mb'] / lw['peak_rss_mb']:.1f}x",
                    flush=True,
                )
            table.append((n, name, yd))

    print("\n| rows x cols | tool | result | time vs labelwise | peak RSS vs labelwise |")
    print("| --- | --- | --- | --- | --- |")
    base = {n: r for n, tool, r in table if tool == "labelwise explore"}
    for n, tool, r in table:
        lw = base[n]
        both = r["status"] == "ok" and lw["status"] == "ok"
        tr = f"{r['wall_s'] / lw['wall_s']:.2f}x" if both else "n/a"
        mr = f"{r['peak_rss_mb'] / lw['peak_rss_mb']:.2f}x" if both else "n/a"
        print(f"| {n:,} x {N_COLUMNS} | {tool} | {fmt(r)} | {tr} | {mr} |")
    for n, lw in base.items():
        if n >= 1_000_000:
            ok = lw["status"] == "ok" and lw["wall_s"] < 60 and lw["peak_rss_mb"] < 2048
            verdict = "met" if ok else "NOT met"
            print(f"\ntarget ({n:,} rows in < 60 s and < 2 GB peak RSS): {verdict}: {fmt(lw)}")


if __name__ == "__main__":
    main()
