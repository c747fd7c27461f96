"""Fixtures for the app tests: a real uvicorn server on 127.0.0.1 over a real database.

Every test that uses ``live`` or ``store`` runs twice: on a SQLite file (the embedded
default) and on a real PostgreSQL server started from the system's binaries (one server per
test session, a fresh schema per test). The PostgreSQL runs are skipped, with the reason,
only when no server can be started here.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Cheap Argon2 parameters: the suite creates many users (never set this in production).
os.environ.setdefault("LABELWISE_ARGON2_FAST", "1")

from app_testkit import ARGS, CHROMIUM, PASSWORDS, ROLES, Live, start_server

from labelwise.app import Store
from labelwise.errors import LabelwiseError

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """One throwaway PostgreSQL server for the session."""
    from labelwise.app.pglocal import LocalPostgres

    try:
        pg = LocalPostgres.start()
    except LabelwiseError as exc:
        pytest.skip(f"PostgreSQL cannot run here: {exc}")
    yield pg
    pg.stop()


def open_target(request: pytest.FixtureRequest, backend: str, folder: Path) -> str | Path:
    """Where a test's store lives: the folder (SQLite) or a fresh PostgreSQL database URL."""
    if backend == "sqlite":
        return folder
    pg = request.getfixturevalue("postgres")
    return pg.create_schema(f"t_{uuid.uuid4().hex[:12]}")  # type: ignore[attr-defined]


def open_store(target: str | Path, folder: Path) -> Store:
    if isinstance(target, Path):
        return Store.open(target)
    return Store.open(target, media_root=folder / "media")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run store/live tests on both backends (browser tests: SQLite only, they test the UI)."""
    if "backend" in metafunc.fixturenames:
        browser = metafunc.definition.get_closest_marker("browser") is not None
        metafunc.parametrize("backend", ["sqlite"] if browser else BACKENDS)


@pytest.fixture
def store(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[Store]:
    folder = tmp_path / "p"
    s = open_store(open_target(request, backend, folder), folder)
    yield s
    s.close()


@pytest.fixture
def live(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[Live]:
    folder = tmp_path / "proj"
    target = open_target(request, backend, folder)
    store = open_store(target, folder)
    url, server, thread = start_server(store, max_upload_bytes=2_000_000)
    live = Live(url, store, folder, target=target)
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
