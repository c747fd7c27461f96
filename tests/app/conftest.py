"""Fixtures for the app tests: a real uvicorn server on 127.0.0.1 over a real SQLite file."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Cheap Argon2 parameters: the suite creates many users (never set this in production).
os.environ.setdefault("LABELWISE_ARGON2_FAST", "1")

from app_testkit import ARGS, CHROMIUM, PASSWORDS, ROLES, Live, start_server

from labelwise.app import Store


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    store = Store.open(tmp_path / "proj")
    url, server, thread = start_server(store, max_upload_bytes=2_000_000)
    live = Live(url, store, tmp_path / "proj")
    for name, role in ROLES.items():
        live.users[name] = store.create_user(name, PASSWORDS[name], role=role)
        live.tokens[name] = store.create_token(live.users[name])
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium per test module (Playwright, no downloaded browser).

    Not per session: Playwright's sync API keeps an event loop running while it is open, and
    other test modules call ``asyncio.run``.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()
