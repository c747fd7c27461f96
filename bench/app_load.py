"""Load benchmark of the annotation app: 100,000 tasks, 50 concurrent simulated annotators.

Runs the real server (``labelwise serve`` in its own process, SQLite with synchronous=FULL)
and drives it over HTTP from this process. Reports next-task and submit latency p50/p99 and
throughput for

* ``paced``: annotators who "think" 0.2-1.0 s per task (a fast human is slower), and
* ``flat-out``: no think time at all (saturation: latency is then mostly queueing),

each against a baseline measured in the same run: ``GET /api/health`` (no database, no
auth) under the same concurrency, and the same load on a 10,000-task project (queue
scaling). Afterwards it checks that every acknowledged submission is in the database exactly
once and that the per-task counters agree.

Usage::

    .venv/bin/python bench/app_load.py [--tasks 100000] [--users 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LABELWISE_ARGON2_FAST", "1")  # set-up creates 50 users; not measured

import httpx

from labelwise.app import Store
from labelwise.app.loadsim import percentiles, simulate_annotators
from labelwise.formats import Item

CONFIG = {
    "object": {"type": "text", "field": "text"},
    "controls": [
        {"name": "sentiment", "type": "choices", "labels": ["negative", "neutral", "positive"]}
    ],
}
LABELS = CONFIG["controls"][0]["labels"]
ROOT = Path(__file__).resolve().parents[1]


def build(folder: Path, n_tasks: int, n_users: int) -> tuple[int, list[str], float]:
    with Store.open(folder) as store:
        p = store.create_project(f"load-{n_tasks}", CONFIG)
        t0 = time.perf_counter()
        store.add_tasks(
            p.id,
            [Item(str(i), {"text": f"message number {i} about something"}) for i in range(n_tasks)],
        )
        import_s = time.perf_counter() - t0
        tokens = []
        for i in range(n_users):
            u = store.create_user(f"annotator{i}", "annotator-password", role="annotator")
            store.add_member(p.id, u)
            tokens.append(store.create_token(u))
    return p.id, tokens, import_s


def start_server(
    folder: Path, port: int, synchronous: str = "FULL", nice: int = 0
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LABELWISE_PROGRESS": "0"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "labelwise",
            "serve",
            str(folder),
            "--port",
            str(port),
            "--synchronous",
            synchronous,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=(lambda: os.nice(nice)) if nice else None,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(
        "server did not start: " + (proc.stderr.read().decode() if proc.stderr else "")
    )


async def health_load(url: str, users: int, seconds: float) -> list[float]:
    """The baseline: ``GET /api/health`` (no auth, no database) from ``users`` connections."""
    from urllib.parse import urlsplit

    from labelwise.app.loadsim import _Conn

    u = urlsplit(url)
    lat: list[float] = []
    stop = time.perf_counter() + seconds

    async def one() -> None:
        conn = _Conn(u.hostname or "127.0.0.1", u.port or 80)
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            await conn.request("GET", "/api/health", "none")
            lat.append((time.perf_counter() - t0) * 1000)
        conn.close()

    await asyncio.gather(*(one() for _ in range(users)))
    return lat


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the server process has used so far (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def verify(folder: Path, acked: list[str]) -> dict[str, int]:
    with Store.open(folder) as store, store.db.read() as conn:
        sids = [r[0] for r in conn.execute(store.sa.text("SELECT submission_id FROM annotations"))]
        n_done = conn.execute(
            store.sa.text("SELECT COALESCE(SUM(n_done), 0) FROM tasks")
        ).scalar_one()
    counts: dict[str, int] = {}
    for s in sids:
        counts[s] = counts.get(s, 0) + 1
    missing = [s for s in acked if s not in counts]
    dup = [s for s, n in counts.items() if n > 1]
    return {
        "stored": len(sids),
        "acknowledged": len(acked),
        "missing": len(missing),
        "duplicated": len(dup),
        "n_done": int(n_done),
    }


def fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument(
        "--server-nice",
        type=int,
        default=0,
        help="nice value for the server process (e.g. -10, needs root): approximates a dedicated "
        "machine when the benchmark host is shared with other busy processes",
    )
    ap.add_argument(
        "--synchronous",
        default="FULL",
        choices=["FULL", "NORMAL"],
        help="SQLite durability level of the server",
    )
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="labelwise-load-"))
    rows = []
    try:
        big, small = work / "big", work / "small"
        pid, tokens, import_s = build(big, args.tasks, args.users)
        spid, stokens, _ = build(small, 10_000, args.users)
        print(
            f"set-up: {args.tasks} tasks imported in {import_s:.1f} s ({args.tasks / import_s:,.0f} tasks/s)"
        )
        acked_all: list[str] = []
        cpu_ms: dict[tuple[str, str], float] = {}
        for folder, proj, toks, label in (
            (small, spid, stokens, "10k tasks"),
            (big, pid, tokens, f"{args.tasks // 1000}k tasks"),
        ):
            proc = start_server(folder, args.port, args.synchronous, args.server_nice)
            url = f"http://127.0.0.1:{args.port}"
            try:
                if label != "10k tasks":
                    h = asyncio.run(health_load(url, args.users, min(5.0, args.seconds)))
                    rows.append(
                        (
                            "baseline GET /api/health",
                            "flat-out",
                            percentiles(h, 50),
                            percentiles(h, 99),
                            None,
                            None,
                            len(h) / min(5.0, args.seconds),
                            None,
                        )
                    )
                for mode, think in (("paced", (0.2, 1.0)), ("flat-out", (0.0, 0.0))):
                    cpu0 = server_cpu(proc.pid)
                    res = simulate_annotators(
                        url,
                        toks,
                        proj,
                        control="sentiment",
                        labels=LABELS,
                        duration=args.seconds,
                        think=think,
                        seed=1,
                    )
                    s = res.summary()
                    n_req = len(res.next_ms) + len(res.submit_ms)
                    cpu_ms[(label, mode)] = 1000 * (server_cpu(proc.pid) - cpu0) / max(n_req, 1)
                    if folder == big:
                        acked_all += [a[0] for a in res.acknowledged]
                    rows.append(
                        (
                            f"annotators on {label}",
                            mode,
                            s["next_p50_ms"],
                            s["next_p99_ms"],
                            s["submit_p50_ms"],
                            s["submit_p99_ms"],
                            s["requests_per_s"],
                            s["submits_per_s"],
                        )
                    )
                    if s["errors"]:
                        print(f"  errors in {label}/{mode}: {s['errors']}")
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        check = verify(big, acked_all)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\n{args.users} concurrent annotators, {args.seconds:.0f} s per run, SQLite synchronous={args.synchronous}, server nice {args.server_nice}, {os.cpu_count()} CPUs (server and load generator share them)\n"
    )
    head = f"{'scenario':34} {'mode':9} {'next p50':>9} {'next p99':>9} {'submit p50':>10} {'submit p99':>10} {'req/s':>7} {'submits/s':>9}"
    print(head)
    print("-" * len(head))
    for name, mode, n50, n99, s50, s99, rps, sps in rows:
        print(
            f"{name:34} {mode:9} {fmt(n50):>9} {fmt(n99):>9} {fmt(s50):>10} {fmt(s99):>10} {rps:7.0f} {fmt(sps):>9}"
        )
    base = next((r for r in rows if r[0].startswith("baseline")), None)
    big_paced = [
        r
        for r in rows
        if r[0].startswith("annotators") and "10k tasks" not in r[0] and r[1] == "paced"
    ]
    big_flat = [
        r
        for r in rows
        if r[0].startswith("annotators") and "10k tasks" not in r[0] and r[1] == "flat-out"
    ]
    small_paced = [r for r in rows if "10k tasks" in r[0] and r[1] == "paced"]
    if base and big_flat:
        bf = big_flat[0]
        print(
            f"\nflat-out, vs the health baseline: next-task p50 {bf[2] / base[2]:.2f}x, "
            f"requests/s {bf[6] / base[6]:.2f}x"
        )
    if big_paced and small_paced:
        print(
            f"ratio next-task p50 at {args.tasks} vs 10,000 tasks (paced): {big_paced[0][2] / small_paced[0][2]:.2f}x"
        )
        print(
            f"ratio next-task p99 at {args.tasks} vs 10,000 tasks (paced): {big_paced[0][3] / small_paced[0][3]:.2f}x"
        )
    for (label, mode), ms in cpu_ms.items():
        print(f"server CPU per request, {label} {mode}: {ms:.2f} ms")
    print(f"\nexactly-once check on the {args.tasks}-task database: {check}")
    ok = check["missing"] == 0 and check["duplicated"] == 0 and check["stored"] == check["n_done"]
    print(
        "PASS: every acknowledged submission stored exactly once"
        if ok
        else "FAIL: see counts above"
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
