"""Simulated annotators over HTTP, for load benchmarks and crash (durability) checks.

Each simulated annotator loops: ``GET next`` task, think, ``POST`` an answer with a fresh
``submission_id``. Latencies of both calls are recorded, and every submission is classed as
*acknowledged* (the server answered 200/201) or *unacknowledged* (connection error, e.g. the
server was killed), each as ``(submission id, project id, task id, body, token)``, so a checker can verify afterwards that every acknowledged one is stored
exactly once and that retrying the unacknowledged ones does not duplicate anything.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["LoadResult", "percentiles", "simulate_annotators"]


@dataclass
class LoadResult:
    """What happened during a simulated session."""

    next_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    acknowledged: list[tuple[str, int, int, dict[str, Any], str]] = field(default_factory=list)
    unacknowledged: list[tuple[str, int, int, dict[str, Any], str]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "next_p50_ms": percentiles(self.next_ms, 50),
            "next_p99_ms": percentiles(self.next_ms, 99),
            "submit_p50_ms": percentiles(self.submit_ms, 50),
            "submit_p99_ms": percentiles(self.submit_ms, 99),
            "submits": len(self.acknowledged),
            "submits_per_s": len(self.acknowledged) / self.elapsed if self.elapsed else 0.0,
            "requests_per_s": (len(self.next_ms) + len(self.submit_ms)) / self.elapsed
            if self.elapsed
            else 0.0,
            "unacknowledged": len(self.unacknowledged),
            "errors": dict(self.errors),
        }


def percentiles(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile of ``values`` (``None`` when empty)."""
    return None if not values else float(np.percentile(np.asarray(values), q))


class _Conn:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams.

    General clients (httpx) spend more CPU per request than the server under test once dozens
    of requests are in flight, which would measure the client; this one does just enough HTTP
    for the JSON API (Content-Length bodies) and reconnects after any error.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, token: str, body: bytes | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Token {token}\r\nAccept: application/json\r\n"
        )
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        try:
            self.writer.write(head.encode() + b"\r\n" + (body or b""))
            await self.writer.drain()
            raw = await self.reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            length = 0
            close = False
            for line in lines[1:]:
                k, _, v = line.partition(":")
                if k.lower() == "content-length":
                    length = int(v)
                elif k.lower() == "connection" and v.strip().lower() == "close":
                    close = True
            data = await self.reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            self.close()
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _one(
    conn: _Conn,
    token: str,
    project_id: int,
    control: str,
    labels: Sequence[str],
    stop_at: float,
    think: tuple[float, float],
    rng: np.random.Generator,
    out: LoadResult,
) -> None:
    def err(key: str) -> None:
        out.errors[key] = out.errors.get(key, 0) + 1

    if think[1] > 0:
        # People do not all open the app in the same millisecond: spread the first requests
        # over one think time instead of measuring an artificial thundering herd.
        await asyncio.sleep(float(rng.uniform(0, think[1])))
    while time.perf_counter() < stop_at:
        try:
            t0 = time.perf_counter()
            status, data = await conn.request(
                "GET", f"/api/projects/{project_id}/next?count=1", token
            )
            out.next_ms.append((time.perf_counter() - t0) * 1000)
        except ConnectionError:
            err("connection")
            await asyncio.sleep(0.2)
            continue
        if status != 200:
            err(f"next {status}")
            await asyncio.sleep(0.2)
            continue
        tasks = json.loads(data)["tasks"]
        if not tasks:
            return
        task_id = int(tasks[0]["id"])
        if think[1] > 0:
            await asyncio.sleep(float(rng.uniform(*think)))
        result = {control: labels[int(rng.integers(len(labels)))]}
        sid = uuid.uuid4().hex
        body = {"result": result, "submission_id": sid, "lead_time": 1.0}
        path = f"/api/projects/{project_id}/tasks/{task_id}/annotations"
        try:
            t0 = time.perf_counter()
            status, data = await conn.request("POST", path, token, json.dumps(body).encode())
            out.submit_ms.append((time.perf_counter() - t0) * 1000)
        except ConnectionError:
            out.unacknowledged.append((sid, project_id, task_id, body, token))
            err("connection")
            await asyncio.sleep(0.2)
            continue
        if status in (200, 201):
            out.acknowledged.append((sid, project_id, task_id, body, token))
        else:
            err(f"submit {status}")


async def _run(
    base_url: str,
    tokens: Sequence[str],
    project_id: int,
    control: str,
    labels: Sequence[str],
    duration: float,
    think: tuple[float, float],
    seed: int,
) -> LoadResult:
    from urllib.parse import urlsplit

    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    out = LoadResult()
    conns = [_Conn(host, port) for _ in tokens]
    start = time.perf_counter()
    stop_at = start + duration
    rngs = np.random.default_rng(seed).spawn(len(tokens))
    try:
        await asyncio.gather(
            *(
                _one(c, t, project_id, control, labels, stop_at, think, g, out)
                for c, t, g in zip(conns, tokens, rngs, strict=True)
            )
        )
    finally:
        for c in conns:
            c.close()
    out.elapsed = time.perf_counter() - start
    return out


def simulate_annotators(
    base_url: str,
    tokens: Sequence[str],
    project_id: int,
    *,
    control: str,
    labels: Sequence[str],
    duration: float = 10.0,
    think: tuple[float, float] = (0.0, 0.0),
    seed: int = 0,
) -> LoadResult:
    """Run one simulated annotator per API token for ``duration`` seconds.

    Parameters
    ----------
    tokens : sequence of str
        One API token per simulated annotator (each must be a project member).
    control, labels : str, sequence of str
        The single-choice control answered and its classes (picked at random).
    think : (float, float)
        Seconds of "thinking" between getting a task and submitting, drawn uniformly. With
        thinking on, each annotator also starts after a random delay of up to ``think[1]``.

    Returns
    -------
    LoadResult
    """
    return asyncio.run(_run(base_url, tokens, project_id, control, labels, duration, think, seed))
