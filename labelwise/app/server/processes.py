"""Several server processes on one port, each with its own listening socket (``SO_REUSEPORT``).

With one shared listening socket (uvicorn's ``workers=N``) whichever process wakes first
accepts a whole burst of connections: 50 annotators opening the app together ended up 25/9/10/6
on four processes, and the busiest one's interpreter lock set everybody's tail latency. With
``SO_REUSEPORT`` every process listens on its own socket and the kernel spreads new
connections over them by address hash.

The parent only supervises: it starts the processes, restarts one that dies (a crash must not
take a quarter of the team offline), and stops them all on SIGTERM/SIGINT.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import sys
import time
from typing import Any

from labelwise.errors import LabelwiseError

__all__ = ["reuse_port_supported", "run_processes"]


def reuse_port_supported() -> bool:
    """Whether the kernel spreads connections over ``SO_REUSEPORT`` sockets (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _listen(host: str, port: int, *, share: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if share:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _child(spec: str, host: str, port: int, log_level: str) -> None:
    """One server process: its own socket, the app from ``spec``, uvicorn until stopped."""
    import uvicorn

    from labelwise.app.server import app_from_env

    os.environ["LABELWISE_APP_SPEC"] = spec
    sock = _listen(host, port)
    config = uvicorn.Config(app_from_env(), log_level=log_level, access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def run_processes(n: int, spec: str, *, host: str, port: int, log_level: str = "warning") -> None:
    """Run ``n`` server processes on ``host:port`` until SIGTERM/SIGINT; restart any that die.

    ``spec`` is the JSON of :func:`labelwise.app.server.app_from_env`'s settings.
    """
    # Fail here, with the reason, when the port is taken (the children would only log it).
    # The probe does not share the port: a second labelwise server started on the same
    # port must fail, not silently take half of the first one's connections.
    try:
        _listen(host, port, share=False).close()
    except OSError as exc:
        raise LabelwiseError(
            f"cannot listen on {host}:{port} ({exc.strerror}); stop what uses it or pick "
            "another --port"
        ) from None
    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> Any:
        p = ctx.Process(target=_child, args=(spec, host, port, log_level), daemon=False)
        p.start()
        return p

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    # Handlers first: a SIGTERM while the processes start must still stop them all.
    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    procs: list[Any] = []
    try:
        for _ in range(n):
            procs.append(start())
        restarts: list[float] = []
        while not stopping:
            time.sleep(0.2)
            for i, p in enumerate(procs):
                if p.is_alive() or stopping:
                    continue
                now = time.monotonic()
                restarts = [t for t in restarts if t > now - 60] + [now]
                if len(restarts) > 5 * n:
                    raise LabelwiseError(
                        f"server processes keep exiting ({len(restarts)} restarts in a "
                        f"minute, last exit code {p.exitcode}); see the messages above"
                    )
                print(
                    f"labelwise serve: server process {p.pid} exited with code {p.exitcode}; "
                    "starting a new one",
                    file=sys.stderr,
                )
                procs[i] = start()
    finally:
        for p in procs:
            if p.is_alive() and p.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for p in procs:
            p.join(timeout=max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
        for s, h in old.items():
            signal.signal(s, h)
