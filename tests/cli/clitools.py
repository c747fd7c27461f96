"""Run the installed ``labelwise`` entry point in a subprocess (shared by the CLI tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ENTRY = Path(sys.executable).parent / "labelwise"


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(LABELWISE_PROGRESS="0", COLUMNS="200", NO_COLOR="1", **extra)
    return env


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 240, **env: str
) -> subprocess.CompletedProcess[str]:
    """``labelwise ARGS`` through the installed entry point; never raises on exit codes."""
    return subprocess.run(
        [str(ENTRY), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=timeout,
        env=cli_env(**env),
    )


def interrupt_cli(
    *args: str,
    ready: Callable[[], bool],
    cwd: Path | None = None,
    timeout: float = 120,
    **env: str,
) -> tuple[int, str, str]:
    """Start ``labelwise ARGS``, send SIGINT once ``ready()`` is true, return (code, out, err)."""
    proc = subprocess.Popen(
        [str(ENTRY), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=cli_env(**env),
    )
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]
