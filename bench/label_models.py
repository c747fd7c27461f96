"""Label models: labelwise vs Snorkel 0.10.0, each fit+predict in a fresh process.

Usage (from the repository root)::

    python bench/label_models.py                      # 1M rows, all cases, 3 runs each
    python bench/label_models.py --rows 50000 --repeat 1   # quick smoke test
    python bench/label_models.py --cases bin10 bin50 --systems lw-snorkel snorkel-lm

Snorkel lives in its own virtualenv, ``.venv-bench`` (created on first use: ``torch==2.13.0``
then ``snorkel==0.10.0`` and this repository, editable), so it never touches ``.venv``. All
systems run under that interpreter for a like-for-like comparison.

For every case the parent generates a synthetic label matrix with known truth
(``bench/synthetic.py``) and saves it to a temporary ``.npy``; generation is not timed. Each
system then runs in a fresh child process that imports its library, loads the matrix, fits,
predicts hard labels (ties broken at random) and saves them. Reported per system:

* **wall**: seconds from spawning the child to its exit (interpreter start, imports, load,
  fit, predict, save) -- the median over ``--repeat`` runs;
* **peak RSS**: the child's peak resident memory, ``VmHWM`` (max over runs);
* **accuracy**: on items with at least one vote, against the generator's truth;
* ratios against Snorkel's ``LabelModel`` (``n_epochs=100``, defaults otherwise).

The machine is shared, so the load average at the start of each case is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_VENV = ROOT / ".venv-bench"
BENCH_PYTHON = BENCH_VENV / "bin" / "python"

SYSTEMS = {
    "snorkel-lm": "Snorkel LabelModel",
    "snorkel-mv": "Snorkel MajorityLabelVoter",
    "lw-snorkel": "labelwise TripletModel",
    "lw-metal": "labelwise MetalModel",
    "lw-ds": "labelwise DawidSkene",
    "lw-mv": "labelwise MajorityVote",
}
# name: (m, k, correlated)
CASES = {
    "bin10": (10, 2, False),
    "bin50": (50, 2, False),
    "corr10": (10, 2, True),
    "corr50": (50, 2, True),
    "four10": (10, 4, False),
    "four50": (50, 4, False),
    "one10": (10, 2, False),
    "one50": (50, 2, False),
    "onefour10": (10, 4, False),
}
# One-sided cases (each labeler votes only one class, how often depends on the class):
# name -> class balance.
ONE_SIDED = {
    "one10": (0.7, 0.3),
    "one50": (0.7, 0.3),
    "onefour10": (0.4, 0.3, 0.2, 0.1),
}


# ---------------------------------------------------------------------------- worker
def peak_rss_mb() -> float:
    """Peak resident memory of this process image, in MB.

    ``VmHWM`` belongs to the address space created by ``exec``, whereas Linux's
    ``ru_maxrss`` is inherited across fork and exec, so a child would report the
    parent's peak (which holds the generated matrices) whenever that is larger.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(system: str, votes_path: str, out_path: str, k: int, seed: int) -> None:
    """Fit and predict with one system; print timings and peak memory as JSON."""
    t0 = time.perf_counter()
    import numpy as np

    if system.startswith("snorkel"):
        from snorkel.labeling.model import LabelModel, MajorityLabelVoter
    else:
        from labelwise.models import DawidSkene, MajorityVote, MetalModel, TripletModel
    t_import = time.perf_counter()
    L = np.load(votes_path)
    t_load = time.perf_counter()
    if system == "snorkel-lm":
        model = LabelModel(cardinality=k, verbose=False)
        model.fit(L, n_epochs=100, seed=seed, progress_bar=False)
        t_fit = time.perf_counter()
        pred = model.predict(L, tie_break_policy="random")
    elif system == "snorkel-mv":
        t_fit = time.perf_counter()
        pred = MajorityLabelVoter(cardinality=k).predict(L, tie_break_policy="random")
    else:
        cls = {
            "lw-snorkel": TripletModel,
            "lw-metal": MetalModel,
            "lw-ds": DawidSkene,
            "lw-mv": MajorityVote,
        }[system]
        lw_model = cls(cardinality=k, tie_policy="random", seed=seed).fit(L)
        t_fit = time.perf_counter()
        pred = lw_model.predict(L)
    t_pred = time.perf_counter()
    np.save(out_path, np.asarray(pred, dtype=np.int8))
    print(
        json.dumps(
            {
                "import_s": t_import - t0,
                "load_s": t_load - t_import,
                "fit_s": t_fit - t_load,
                "predict_s": t_pred - t_fit,
                "maxrss_mb": peak_rss_mb(),
            }
        )
    )


# ---------------------------------------------------------------------------- parent
def ensure_bench_venv() -> Path:
    """Create ``.venv-bench`` with Snorkel 0.10.0 (and torch pinned) if it is missing."""
    check = [str(BENCH_PYTHON), "-c", "import snorkel, labelwise"]
    if BENCH_PYTHON.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return BENCH_PYTHON
    print(f"creating {BENCH_VENV} (torch 2.13.0 CPU, snorkel 0.10.0) ...", flush=True)
    steps = [
        ["python3", "-m", "venv", str(BENCH_VENV)],
        # torch first and pinned: the CPU build on local disk, not a multi-GB download.
        [str(BENCH_PYTHON), "-m", "pip", "install", "-q", "torch==2.13.0"],
        [
            str(BENCH_PYTHON),
            "-m",
            "pip",
            "install",
            "-q",
            "snorkel==0.10.0",
            "pyarrow",
            "-e",
            str(ROOT),
        ],
    ]
    for step in steps:
        subprocess.run(step, check=True)
    return BENCH_PYTHON


def run_child(python: Path, system: str, votes: Path, out: Path, k: int, seed: int) -> dict:
    cmd = [str(python), str(Path(__file__).resolve()), "--worker", system, str(votes), str(out)]
    cmd += ["--k", str(k), "--seed", str(seed)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{system} failed:\n{proc.stderr[-3000:]}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["wall_s"] = wall
    return report


def run_case(
    name: str, rows: int, systems: list[str], repeat: int, seed: int, python: Path, tmp: Path
) -> list[dict]:
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from bench.synthetic import make_label_matrix

    m, k, correlated = CASES[name]
    data = make_label_matrix(
        n=rows,
        m=m,
        k=k,
        correlated=correlated,
        one_sided=name in ONE_SIDED,
        class_prior=ONE_SIDED.get(name),
        seed=seed,
    )
    votes = tmp / f"{name}.npy"
    np.save(votes, data.L)
    covered = (data.L != -1).any(axis=1)
    load = os.getloadavg()[0]
    results = []
    for system in systems:
        runs = []
        for r in range(repeat):
            out = tmp / f"{name}-{system}-{r}.npy"
            runs.append(run_child(python, system, votes, out, k, seed))
            pred = np.load(out)
        acc = float(np.mean(pred[covered] == data.y[covered]))
        results.append(
            {
                "case": name,
                "system": system,
                "wall_s": statistics.median(r["wall_s"] for r in runs),
                "fit_s": statistics.median(r["fit_s"] for r in runs),
                "predict_s": statistics.median(r["predict_s"] for r in runs),
                "import_s": statistics.median(r["import_s"] for r in runs),
                "maxrss_mb": max(r["maxrss_mb"] for r in runs),
                "accuracy": acc,
                "load": load,
                "m": m,
                "k": k,
                "correlated": correlated,
                "one_sided": name in ONE_SIDED,
            }
        )
        print(
            f"  {name:7} {system:11} wall {results[-1]['wall_s']:6.2f}s "
            f"rss {results[-1]['maxrss_mb']:7.0f}MB acc {acc:.4f}",
            file=sys.stderr,
            flush=True,
        )
    return results


def markdown(results: list[dict], rows: int) -> str:
    lines = [
        f"Rows: {rows:,}. Wall = fresh process incl. interpreter start and imports "
        "(median of runs); accuracy on items with >= 1 vote; ratios vs Snorkel LabelModel.",
        "",
        "| case | system | wall s | fit s | predict s | peak RSS MB | accuracy "
        "| time ratio | memory ratio | accuracy diff | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    by_case: dict[str, list[dict]] = {}
    for r in results:
        by_case.setdefault(r["case"], []).append(r)
    for case, rs in by_case.items():
        ref = next((r for r in rs if r["system"] == "snorkel-lm"), None)
        m, k, corr = rs[0]["m"], rs[0]["k"], rs[0]["correlated"]
        label = f"{case} (m={m}, k={k}{', correlated' if corr else ''})"
        if rs[0].get("one_sided"):
            label = f"{case} (m={m}, k={k}, one-sided, prior {list(ONE_SIDED[case])})"
        for r in rs:
            if ref is not None:
                ratios = (
                    f"{r['wall_s'] / ref['wall_s']:.3f} | {r['maxrss_mb'] / ref['maxrss_mb']:.3f} "
                    f"| {r['accuracy'] - ref['accuracy']:+.4f}"
                )
            else:
                ratios = "- | - | -"
            lines.append(
                f"| {label} | {SYSTEMS[r['system']]} | {r['wall_s']:.2f} | {r['fit_s']:.2f} "
                f"| {r['predict_s']:.2f} | {r['maxrss_mb']:.0f} | {r['accuracy']:.4f} "
                f"| {ratios} | {r['load']:.1f} |"
            )
    return "\n".join(lines)


def targets(results: list[dict]) -> str:
    """Check labelwise's Snorkel-style models against the targets, case by case."""
    lines: list[str] = []
    by_case: dict[str, dict[str, dict]] = {}
    for r in results:
        by_case.setdefault(r["case"], {})[r["system"]] = r
    for system in ("lw-snorkel", "lw-metal"):
        lines += ["", f"Targets for {SYSTEMS[system]} vs Snorkel LabelModel:"]
        lines += _target_lines(by_case, system)
    return "\n".join(lines)


def _target_lines(by_case: dict[str, dict[str, dict]], system: str) -> list[str]:
    lines = []
    for case, rs in by_case.items():
        if "snorkel-lm" not in rs or system not in rs:
            continue
        ref, ours = rs["snorkel-lm"], rs[system]
        time_ok = ours["wall_s"] <= ref["wall_s"] / 10
        mem_ok = ours["maxrss_mb"] <= ref["maxrss_mb"] / 4
        diff = ours["accuracy"] - ref["accuracy"]
        acc_ok = diff >= 0 if ours["correlated"] else diff >= -0.002
        lines.append(
            f"- {case}: time {ours['wall_s'] / ref['wall_s']:.3f} (<= 0.1: {'yes' if time_ok else 'NO'}), "
            f"memory {ours['maxrss_mb'] / ref['maxrss_mb']:.3f} (<= 0.25: {'yes' if mem_ok else 'NO'}), "
            f"accuracy {diff:+.4f} ({'ok' if acc_ok else 'NO'})"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    parser.add_argument("--systems", nargs="+", choices=list(SYSTEMS), default=list(SYSTEMS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write raw results here")
    parser.add_argument("--worker", nargs=3, metavar=("SYSTEM", "VOTES", "OUT"))
    parser.add_argument("--k", type=int, default=2)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], args.worker[1], args.worker[2], args.k, args.seed)
        return 0
    python = ensure_bench_venv()
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="lw-bench-") as tmp:
        for case in args.cases:
            print(f"case {case} ...", file=sys.stderr, flush=True)
            results += run_case(
                case, args.rows, args.systems, args.repeat, args.seed, python, Path(tmp)
            )
    print(markdown(results, args.rows))
    print(targets(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
