"""Helpers for the app tests: label configs, a real uvicorn server on 127.0.0.1, users."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from labelwise.app import Store, User, create_app

TEXT_CONFIG = {
    "title": "Sentiment",
    "instructions": "Pick the sentiment of the message.",
    "object": {"type": "text", "field": "text"},
    "controls": [
        {
            "name": "sentiment",
            "type": "choices",
            "labels": ["negative", "neutral", "positive"],
            "required": True,
        }
    ],
}
NER_CONFIG = {
    "object": {"type": "text", "field": "text"},
    "controls": [{"name": "entities", "type": "spans", "labels": ["PER", "ORG", "LOC"]}],
}
BOX_CONFIG = {
    "object": {"type": "image", "field": "image"},
    "controls": [{"name": "objects", "type": "boxes", "labels": ["car", "person"]}],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    """A running server with an admin, a reviewer and two annotators (each with a token)."""

    url: str
    store: Store
    folder: Path
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    #: What Store.open needs to reach the same database (folder or PostgreSQL URL).
    target: str | Path | None = None

    def open_other(self) -> Store:
        """A second store on the same database, as another process would have."""
        target = self.target if self.target is not None else self.folder
        if isinstance(target, Path):
            return Store.open(target)
        return Store.open(target, media_root=self.folder / "media")

    def client(self, who: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Token {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


PASSWORDS = {
    "admin": "admin-pass-1",
    "rita": "reviewer-pass-1",
    "ann": "annotator-pass-1",
    "bob": "annotator-pass-2",
}
ROLES = {"admin": "admin", "rita": "reviewer", "ann": "annotator", "bob": "annotator"}


def start_server(store: Store, **kw: Any) -> tuple[str, Any, threading.Thread]:
    import uvicorn

    port = free_port()
    app = create_app(store, **kw)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


def start(folder: Path, port: int, db: str | None = None) -> subprocess.Popen[bytes]:
    """``labelwise serve`` in its own process group (SQLite: one process; PostgreSQL: 2)."""
    extra = ["--db", db, "--workers", "2"] if db else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "labelwise", "serve", str(folder), "--port", str(port), *extra],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server exited")
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("server did not come up")


def kill_all(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the server and every worker process it started."""
    os.killpg(proc.pid, signal.SIGKILL)


# ---------------------------------------------------------------------- browser helpers
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def watch_console(page: Any, errors: list[str] | None = None) -> list[str]:
    """Collect the page's console errors and uncaught exceptions (assert it stays empty)."""
    errors = [] if errors is None else errors
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    return errors


def login(
    browser: Any,
    url: str,
    who: str,
    errors: list[str] | None = None,
    viewport: tuple[int, int] = (1280, 900),
) -> tuple[Any, Any]:
    """A new browser context logged in as ``who``; console errors go to ``errors`` if given."""
    ctx = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True
    )
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    if errors is not None:
        watch_console(page, errors)
    page.on(
        "dialog", lambda d: (_ for _ in ()).throw(AssertionError(f"unexpected dialog {d.message}"))
    )
    page.goto(url + "/#/login")
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", PASSWORDS[who])
    page.click("button[type=submit]")
    page.wait_for_selector("#whoami:has-text('" + who + "')")
    return ctx, page


def shot(page, out: Path, name: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


def make_images(folder: Path, n: int = 2) -> None:
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        im = Image.new("RGB", (320, 240), (40 + 60 * i, 90, 140))
        d = ImageDraw.Draw(im)
        d.rectangle([60, 50, 180, 150], fill=(230, 200, 40))
        d.ellipse([200, 120, 280, 200], fill=(200, 30, 30))
        im.save(folder / f"frame_{i}.png")
