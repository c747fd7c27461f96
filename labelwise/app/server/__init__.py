"""The HTTP layer: a FastAPI app whose thin routes call :class:`~labelwise.app.store.Store`.

One router per resource: :mod:`.auth`, :mod:`.users`, :mod:`.projects`, :mod:`.data`,
:mod:`.work`, :mod:`.review`, :mod:`.export` and :mod:`.ui`; shared dependencies in
:mod:`.deps`, request bodies in :mod:`.bodies`, the size/header middleware in :mod:`.guard`.

Authentication: an API token (``Authorization: Token <t>`` or ``Bearer <t>``) or a session
cookie (``HttpOnly``, ``SameSite=Strict``). Cookie-authenticated writes must carry the
session's CSRF token in ``X-CSRF-Token`` (a cross-site form cannot set that header) and a
same-origin ``Origin`` when the browser sends one; the login form uses a double-submit
cookie. Every ``/api`` route needs authentication except ``/api/health``, ``/api/csrf`` and
``/api/login``. Errors from the store are :class:`~labelwise.app.errors.AppError` s, turned
into JSON responses in one handler. The UI (``/``) uses this same API; OpenAPI docs are at
``/docs``.
"""

from __future__ import annotations

import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from labelwise.errors import LabelwiseError, require

require("fastapi", "app")

import fastapi  # noqa: E402
from fastapi import Request  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402
from fastapi.staticfiles import StaticFiles  # noqa: E402

from labelwise.app.errors import AppError, TooManyRequests, scrub_paths  # noqa: E402
from labelwise.app.server import (  # noqa: E402
    auth,
    data,
    export,
    projects,
    review,
    ui,
    users,
    work,
)
from labelwise.app.server.deps import Settings  # noqa: E402
from labelwise.app.server.guard import BodyTooLarge, Wrap, guard  # noqa: E402
from labelwise.app.server.ui import STATIC  # noqa: E402
from labelwise.app.store import Store  # noqa: E402

__all__ = ["ROUTERS", "app_from_env", "create_app", "serve"]

#: The API routers in the order they are mounted (the UI router comes after them).
ROUTERS = (
    auth.router,
    users.router,
    projects.router,
    data.router,
    work.router,
    review.router,
    export.router,
)


def create_app(
    store: Store | str | Path,
    *,
    max_upload_bytes: int = 200 * 1024 * 1024,
    secure_cookies: bool = False,
    worker_threads: int | None = None,
    session_idle_minutes: float | None = None,
) -> Any:
    """Build the FastAPI application.

    Parameters
    ----------
    store : Store or path or URL
        An open store, a project folder, or a SQLAlchemy URL.
    max_upload_bytes : int
        Largest request body accepted (imports, media uploads); bigger ones get 413.
    secure_cookies : bool
        Mark cookies ``Secure`` (serve behind HTTPS).
    worker_threads : int, optional
        Threads running the (synchronous) route handlers (default: 32 on SQLite, where a
        submit waits for the group commit; on PostgreSQL as many as the connection pool
        holds, since more would only queue for a connection).
    session_idle_minutes : float, optional
        Log a browser session out after this long without a request (default 8 hours).

    Examples
    --------
    >>> import tempfile
    >>> app = create_app(tempfile.mkdtemp())
    >>> "/api/health" in {r.path for r in app.routes}
    True
    """
    own_store = not isinstance(store, Store)
    st: Store = Store.open(store) if not isinstance(store, Store) else store

    @asynccontextmanager
    async def lifespan(_app: Any) -> Any:
        import anyio.to_thread

        # Routes are sync (SQLAlchemy) and run in worker threads. A submit holds its thread
        # while it waits for the group commit (fsync), so too few threads would queue quick
        # reads behind slow disk waits; waiting threads do not hold the GIL.
        threads = worker_threads or (32 if st.db.is_sqlite else st.db.pool_capacity)
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        st.db.warm_pool(min(threads, 16))
        yield
        if own_store:
            st.close()

    app = fastapi.FastAPI(
        title="labelwise annotation API",
        version="1",
        description="Projects, work queue, annotations, review, agreement and export. "
        "Authenticate with a session cookie (the web UI) or `Authorization: Token <api token>`.",
        lifespan=lifespan,
        docs_url=None,  # the stock docs page loads assets from a CDN; ours works offline
        redoc_url=None,
    )
    app.state.store = st
    if session_idle_minutes is not None:
        if not session_idle_minutes > 0:
            raise ValueError(f"session_idle_minutes must be positive, got {session_idle_minutes!r}")
        st.session_idle_seconds = float(session_idle_minutes) * 60.0
    app.state.settings = Settings(max_upload_bytes=max_upload_bytes, secure_cookies=secure_cookies)

    @app.exception_handler(AppError)
    async def _app_error(_req: Request, exc: AppError) -> Any:
        headers = {}
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse(
            {"error": exc.code, "detail": _scrub(str(exc))},
            status_code=exc.status,
            headers=headers,
        )

    @app.exception_handler(LabelwiseError)
    async def _lw_error(_req: Request, exc: LabelwiseError) -> Any:
        return JSONResponse({"error": "bad_request", "detail": _scrub(str(exc))}, status_code=400)

    def _scrub(message: str) -> str:
        roots = [str(st.media_root.resolve())] if st.media_root is not None else []
        return scrub_paths(message, *roots)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_req: Request, exc: BodyTooLarge) -> Any:
        return JSONResponse({"error": "payload_too_large", "detail": exc.detail}, status_code=413)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> Any:
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{where or 'body'}: {e.get('msg')}")
        return JSONResponse(
            {"error": "invalid_request", "detail": "; ".join(parts)}, status_code=422
        )

    # The routers' routes go straight into the app's flat route list (not include_router,
    # which in recent FastAPI nests them): app.routes then lists every endpoint.
    for router in ROUTERS:
        app.router.routes.extend(router.routes)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.router.routes.extend(ui.router.routes)
    app.add_middleware(Wrap, wrap=guard(max_upload_bytes))
    return app


def serve(
    project_dir: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    db_url: str | None = None,
    synchronous: str = "FULL",
    log_level: str = "warning",
    max_upload_mb: int = 200,
    secure_cookies: bool = False,
    session_idle_minutes: float | None = None,
    workers: int = 1,
) -> None:
    """Run the app with uvicorn on ``project_dir`` (SQLite inside it, or ``db_url``).

    ``workers`` > 1 starts that many server processes on one port (PostgreSQL only: SQLite
    has one writer per file, which lives in one process).
    """
    uvicorn = require("uvicorn", "app")
    folder = Path(project_dir)
    options = {
        "max_upload_bytes": max_upload_mb * 1024 * 1024,
        "secure_cookies": secure_cookies,
        "session_idle_minutes": session_idle_minutes,
    }
    # Hand the GIL over more often than every 5 ms: request threads, the writer thread and the
    # event loop each hold it briefly, and a long switch interval shows up as tail latency.
    sys.setswitchinterval(0.001)
    if workers > 1:
        if not db_url or db_url.startswith("sqlite"):
            raise ValueError(
                "several worker processes need a PostgreSQL database (--db postgresql://...); "
                "SQLite serves from one process"
            )
        import json
        import os

        (folder / "media").mkdir(parents=True, exist_ok=True)
        Store.open(db_url, media_root=folder / "media").close()  # create/migrate once
        spec = json.dumps({"db_url": db_url, "media_root": str(folder / "media"), **options})
        from labelwise.app.server.processes import reuse_port_supported, run_processes

        if reuse_port_supported():
            run_processes(workers, spec, host=host, port=port, log_level=log_level)
            return
        os.environ["LABELWISE_APP_SPEC"] = spec
        uvicorn.run(
            "labelwise.app.server:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            access_log=False,
        )
        return
    if db_url:
        (folder / "media").mkdir(parents=True, exist_ok=True)
        store = Store.open(db_url, synchronous=synchronous, media_root=folder / "media")
    else:
        store = Store.open(folder, synchronous=synchronous)
    app = create_app(store, **options)  # type: ignore[arg-type]
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
    finally:
        store.close()


def app_from_env() -> Any:
    """The app for one worker process of :func:`serve` (settings in ``LABELWISE_APP_SPEC``)."""
    import json
    import os

    spec = json.loads(os.environ["LABELWISE_APP_SPEC"])
    sys.setswitchinterval(0.001)
    store = Store.open(spec.pop("db_url"), media_root=spec.pop("media_root"))
    return create_app(store, **spec)
