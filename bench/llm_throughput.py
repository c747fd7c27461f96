"""LLM labeling throughput: concurrency, the response cache and single flight.

A local OpenAI-protocol server (labelwise's ``LocalChatServer``) answers every request after
a fixed delay that stands in for model latency (``--latency``, default 50 ms). Over the same
``--n`` SMS-like texts (a share ``--dup`` of them repeats of earlier texts) it times:

* **baseline**: ``concurrency=1``, a fresh cache (every distinct text paid once, in order);
* **concurrent**: ``concurrency=--workers``, a fresh cache;
* **warm rerun**: the concurrent run again on its cache (as after a crash or a resume);

and prints wall time, HTTP requests, and ratios against the baseline measured in the same
run. Requests saved by the cache and by single flight (identical prompts in flight at once
are paid once) show in the request counts. Usage::

    .venv/bin/python bench/llm_throughput.py [--n 400] [--latency 0.05] [--workers 8] [--dup 0.3]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    from labelwise.llm import ClassifyTask, LLMClient, LocalChatServer, OpenAIProvider, run_task

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument(
        "--dup", type=float, default=0.3, help="share of texts that repeat earlier ones"
    )
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    n_unique = max(1, int(args.n * (1 - args.dup)))
    unique = [
        f"message {i}: " + ("win a free prize" if i % 4 == 0 else "see you at six")
        for i in range(n_unique)
    ]
    texts = unique + [unique[int(j)] for j in rng.integers(0, n_unique, args.n - n_unique)]
    rng.shuffle(texts)

    def respond(req: object) -> str:
        time.sleep(args.latency)
        item = req.item  # type: ignore[attr-defined]
        return json.dumps({"label": "spam" if "free" in item else "ham"})

    task = ClassifyTask(["ham", "spam"])
    print(
        f"load average at start: {os.getloadavg()[0]:.2f}; n={args.n} ({n_unique} distinct), "
        f"latency={args.latency * 1000:.0f} ms, workers={args.workers}"
    )
    rows = []
    with LocalChatServer(respond) as server, tempfile.TemporaryDirectory() as tmp:

        def timed(name: str, concurrency: int, cache: Path) -> None:
            before = len(server.requests)
            client = LLMClient(
                OpenAIProvider.compatible(server.base_url),
                model="bench",
                cache=cache,
                concurrency=concurrency,
            )
            t0 = time.perf_counter()
            run = run_task(task, texts, client=client, progress=False)
            wall = time.perf_counter() - t0
            assert run.stats["n_ok"] == args.n, run.stats
            rows.append((name, wall, len(server.requests) - before, run.stats["n_cache_hits"]))
            client.close()

        timed("baseline (concurrency 1)", 1, Path(tmp) / "a.sqlite")
        timed(f"concurrent ({args.workers} workers)", args.workers, Path(tmp) / "b.sqlite")
        timed("warm rerun (same cache)", args.workers, Path(tmp) / "b.sqlite")
    base = rows[0][1]
    print(f"{'run':<28}{'wall s':>9}{'requests':>10}{'cache hits':>12}{'speed vs baseline':>20}")
    for name, wall, reqs, hits in rows:
        print(f"{name:<28}{wall:>9.2f}{reqs:>10}{hits:>12}{base / wall:>19.1f}x")
    print(
        f"requests per item: baseline {rows[0][2] / args.n:.2f} (duplicates served from the cache), "
        f"warm rerun {rows[2][2] / args.n:.2f}"
    )


if __name__ == "__main__":
    main()
