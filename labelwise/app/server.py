"""The HTTP layer: a FastAPI app whose thin routes call :class:`~labelwise.app.store.Store`.

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
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from labelwise.errors import LabelwiseError, require

require("fastapi", "app")

import fastapi  # noqa: E402
from fastapi import Body, Depends, File, Form, Query, Request, UploadFile  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.responses import FileResponse, JSONResponse, Response  # noqa: E402
from fastapi.staticfiles import StaticFiles  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402

from labelwise.app.auth import new_secret, same_secret  # noqa: E402
from labelwise.app.errors import (  # noqa: E402
    AppError,
    AuthError,
    BadRequest,
    Forbidden,
    NotFound,
    PayloadTooLarge,
)
from labelwise.app.store import Store, User  # noqa: E402

__all__ = ["create_app", "serve"]

STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "lw_session"
PRELOGIN_COOKIE = "lw_csrf"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PUBLIC_API = ("/api/health", "/api/csrf", "/api/login")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https: http:; "
    "media-src 'self' blob: https: http:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)


# ---------------------------------------------------------------------- request bodies
class LoginBody(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class TokenBody(BaseModel):
    name: str = Field("api", max_length=64)


class UserCreate(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(min_length=8, max_length=1024)
    role: str = "annotator"


class UserPatch(BaseModel):
    role: str | None = None
    password: str | None = Field(None, min_length=8, max_length=1024)
    active: bool | None = None


class ProjectCreate(BaseModel):
    name: str = Field(max_length=200)
    config: dict[str, Any] | str
    description: str = ""
    overlap: int = 1
    queue_order: str = "sequential"
    seed: int = 0


class ProjectPatch(BaseModel):
    overlap: int | None = None
    queue_order: str | None = None
    description: str | None = None
    seed: int | None = None


class MemberBody(BaseModel):
    username: str


class TaskIn(BaseModel):
    id: str | int | None = None
    data: dict[str, Any]


class SubmitBody(BaseModel):
    result: dict[str, Any]
    submission_id: str | None = Field(None, min_length=8, max_length=64)
    lead_time: float | None = None


class UpdateBody(BaseModel):
    result: dict[str, Any]
    lead_time: float | None = None


class ReviewBody(BaseModel):
    action: str
    comment: str = Field("", max_length=10_000)
    result: dict[str, Any] | None = None


class GoldBody(BaseModel):
    result: dict[str, Any] | None


class PredictionIn(BaseModel):
    item_id: str | int
    result: dict[str, Any]
    score: float | None = None
    source: str | None = None


class _Wrap:
    """Adapter so a plain ASGI wrapper function can be added with ``app.add_middleware``."""

    def __init__(self, app: Any, wrap: Callable[[Any], Any]) -> None:
        self._asgi = wrap(app)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._asgi(scope, receive, send)


def create_app(
    store: Store | str | Path,
    *,
    max_upload_bytes: int = 200 * 1024 * 1024,
    secure_cookies: bool = False,
    worker_threads: int = 32,
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
    worker_threads : int
        Threads running the (synchronous) route handlers.

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
        anyio.to_thread.current_default_thread_limiter().total_tokens = worker_threads
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

    # ------------------------------------------------------------------ plumbing
    @app.exception_handler(AppError)
    async def _app_error(_req: Request, exc: AppError) -> Any:
        return JSONResponse({"error": exc.code, "detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(LabelwiseError)
    async def _lw_error(_req: Request, exc: LabelwiseError) -> Any:
        return JSONResponse({"error": "bad_request", "detail": str(exc)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> Any:
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
            parts.append(f"{where or 'body'}: {e.get('msg')}")
        return JSONResponse(
            {"error": "invalid_request", "detail": "; ".join(parts)}, status_code=422
        )

    def _guard(inner: Any) -> Any:
        """Pure ASGI middleware: body-size limit from Content-Length, security headers."""
        extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
        ]

        async def asgi(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await inner(scope, receive, send)
                return
            path = scope.get("path", "")
            for k, v in scope.get("headers", ()):
                if k == b"content-length":
                    try:
                        n = int(v)
                    except ValueError:
                        n = -1
                    if n < 0 or n > max_upload_bytes:
                        detail = (
                            f"request of {n} bytes exceeds the {max_upload_bytes} byte limit; split the upload"
                            if n > 0
                            else "bad Content-Length"
                        )
                        resp = JSONResponse(
                            {
                                "error": "payload_too_large" if n > 0 else "bad_request",
                                "detail": detail,
                            },
                            status_code=413 if n > 0 else 400,
                        )
                        await resp(scope, receive, send)
                        return
            headers = list(extra)
            headers.append((b"content-security-policy", CSP.encode()))
            if path.startswith("/api/"):
                headers.append((b"cache-control", b"no-store"))

            async def send_with_headers(message: Any) -> None:
                if message["type"] == "http.response.start":
                    have = {k.lower() for k, _ in message.get("headers", [])}
                    message["headers"] = list(message.get("headers", [])) + [
                        (k, v) for k, v in headers if k not in have
                    ]
                await send(message)

            await inner(scope, receive, send_with_headers)

        return asgi

    def _cookie(
        resp: Any, name: str, value: str, *, http_only: bool, max_age: int | None = None
    ) -> None:
        resp.set_cookie(
            name,
            value,
            httponly=http_only,
            samesite="strict",
            secure=secure_cookies,
            path="/",
            max_age=max_age,
        )

    def current_user(request: Request) -> User:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() in ("token", "bearer") and token.strip():
            user = st.user_for_token(token.strip())
            if user is None:
                raise AuthError("unknown or revoked API token")
            return user
        sid = request.cookies.get(SESSION_COOKIE)
        if not sid:
            raise AuthError(
                "log in first (session cookie) or send 'Authorization: Token <api token>'"
            )
        found = st.session_user(sid)
        if found is None:
            raise AuthError("your session has expired; log in again")
        user, csrf = found
        if request.method not in SAFE_METHODS:
            _check_origin(request)
            sent = request.headers.get("x-csrf-token", "")
            if not sent or not same_secret(sent, csrf):
                raise Forbidden("missing or wrong CSRF token; reload the page")
        return user

    def _check_origin(request: Request) -> None:
        origin = request.headers.get("origin")
        if origin and origin != "null":
            host = request.headers.get("host", "")
            if origin.split("://", 1)[-1] != host:
                raise Forbidden(f"cross-origin request from {origin!r} refused")
        elif origin == "null":
            raise Forbidden("requests from an opaque origin are refused")

    def admin_user(user: User = Depends(current_user)) -> User:
        if not user.is_admin:
            raise Forbidden("this needs the admin role")
        return user

    # ------------------------------------------------------------------ public
    @app.get("/api/health", tags=["auth"], summary="Liveness check (no login needed)")
    async def health() -> dict[str, Any]:
        return {"ok": True, "time": time.time()}

    @app.get(
        "/api/csrf", tags=["auth"], summary="A CSRF token for the login form (double-submit cookie)"
    )
    def csrf_token(request: Request) -> Any:
        token = request.cookies.get(PRELOGIN_COOKIE) or new_secret()
        resp = JSONResponse({"csrf": token})
        _cookie(resp, PRELOGIN_COOKIE, token, http_only=False)
        return resp

    @app.post("/api/login", tags=["auth"], summary="Log in; sets an HttpOnly session cookie")
    def login(body: LoginBody, request: Request) -> Any:
        _check_origin(request)
        pre = request.cookies.get(PRELOGIN_COOKIE, "")
        sent = request.headers.get("x-csrf-token", "")
        if not pre or not sent or not same_secret(pre, sent):
            raise Forbidden("missing or wrong CSRF token; load the login page again")
        user = st.authenticate(body.username, body.password)
        sid, csrf = st.create_session(user)
        resp = JSONResponse({"user": user.to_dict(), "csrf": csrf})
        _cookie(resp, SESSION_COOKIE, sid, http_only=True, max_age=14 * 24 * 3600)
        return resp

    # ------------------------------------------------------------------ me & users
    @app.post("/api/logout", tags=["auth"], summary="End this session")
    def logout(request: Request, user: User = Depends(current_user)) -> Any:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            st.delete_session(sid)
        resp = JSONResponse({"ok": True})
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    @app.get("/api/me", tags=["auth"], summary="Who am I (and the CSRF token for this session)")
    def me(request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
        found = (
            st.session_user(request.cookies.get(SESSION_COOKIE, ""))
            if request.cookies.get(SESSION_COOKIE)
            else None
        )
        return {"user": user.to_dict(), "csrf": found[1] if found else None}

    @app.post("/api/me/tokens", tags=["auth"], summary="Create an API token (shown once)")
    def new_token(body: TokenBody, user: User = Depends(current_user)) -> dict[str, Any]:
        return {"token": st.create_token(user, name=body.name)}

    @app.get("/api/users", tags=["users"], summary="All users (admin)")
    def users(_admin: User = Depends(admin_user)) -> list[dict[str, Any]]:
        return [u.to_dict() for u in st.list_users()]

    @app.post("/api/users", tags=["users"], status_code=201, summary="Add a user (admin)")
    def add_user(body: UserCreate, _admin: User = Depends(admin_user)) -> dict[str, Any]:
        return st.create_user(body.username, body.password, role=body.role).to_dict()

    @app.patch(
        "/api/users/{user_id}", tags=["users"], summary="Change role, password or active (admin)"
    )
    def patch_user(
        user_id: int, body: UserPatch, _admin: User = Depends(admin_user)
    ) -> dict[str, Any]:
        return st.update_user(
            user_id, role=body.role, password=body.password, active=body.active
        ).to_dict()

    # ------------------------------------------------------------------ projects
    @app.get("/api/projects", tags=["projects"], summary="Projects visible to me")
    def projects(user: User = Depends(current_user)) -> list[dict[str, Any]]:
        return [p.to_dict() for p in st.list_projects(user)]

    @app.post(
        "/api/projects", tags=["projects"], status_code=201, summary="Create a project (admin)"
    )
    def create_project(body: ProjectCreate, _admin: User = Depends(admin_user)) -> dict[str, Any]:
        p = st.create_project(
            body.name,
            body.config,
            description=body.description,
            overlap=body.overlap,
            queue_order=body.queue_order,
            seed=body.seed,
        )
        return p.to_dict()

    @app.get("/api/projects/{pid}", tags=["projects"], summary="One project")
    def project(pid: int, user: User = Depends(current_user)) -> dict[str, Any]:
        out = st.check_access(user, pid).to_dict()
        out["can_review"] = user.can_review
        return out

    @app.patch("/api/projects/{pid}", tags=["projects"], summary="Queue settings (admin)")
    def patch_project(
        pid: int, body: ProjectPatch, _admin: User = Depends(admin_user)
    ) -> dict[str, Any]:
        return st.update_project(
            pid,
            overlap=body.overlap,
            queue_order=body.queue_order,
            description=body.description,
            seed=body.seed,
        ).to_dict()

    @app.get("/api/projects/{pid}/members", tags=["projects"], summary="Members of a project")
    def members(pid: int, user: User = Depends(current_user)) -> list[dict[str, Any]]:
        st.check_access(user, pid, review=True)
        return [u.to_dict() for u in st.members(pid)]

    @app.post("/api/projects/{pid}/members", tags=["projects"], summary="Add a member (admin)")
    def add_member(
        pid: int, body: MemberBody, _admin: User = Depends(admin_user)
    ) -> dict[str, Any]:
        st.add_member(pid, body.username)
        return {"ok": True}

    @app.delete(
        "/api/projects/{pid}/members/{username}",
        tags=["projects"],
        summary="Remove a member (admin)",
    )
    def remove_member(
        pid: int, username: str, _admin: User = Depends(admin_user)
    ) -> dict[str, Any]:
        st.remove_member(pid, username)
        return {"ok": True}

    # ------------------------------------------------------------------ data in
    @app.post(
        "/api/projects/{pid}/tasks",
        tags=["data"],
        status_code=201,
        summary="Add tasks as JSON (admin)",
    )
    def add_tasks(
        pid: int,
        tasks: list[TaskIn] = Body(..., max_length=100_000),
        on_duplicate: str = Query("error"),
        _admin: User = Depends(admin_user),
    ) -> dict[str, Any]:
        from labelwise.app.importers import _attach_media
        from labelwise.formats import ConversionReport, Item

        p = st.get_project(pid)
        items = [
            Item(str(t.id) if t.id is not None else str(n + 1), dict(t.data))
            for n, t in enumerate(tasks)
        ]
        _attach_media(items, None, p, None, ConversionReport())
        return st.add_tasks(pid, items, on_duplicate=on_duplicate)

    @app.post(
        "/api/projects/{pid}/import",
        tags=["data"],
        summary="Import a file: table, JSONL, Label Studio, COCO, YOLO/VOC zip, CoNLL (admin)",
    )
    def import_file(
        pid: int,
        file: UploadFile = File(...),
        fmt: str | None = Form(None),
        on_duplicate: str = Form("error"),
        _admin: User = Depends(admin_user),
    ) -> dict[str, Any]:
        from labelwise.app.importers import import_bytes

        st.get_project(pid)
        data = file.file.read(max_upload_bytes + 1)
        return import_bytes(
            st,
            pid,
            file.filename or "upload",
            data,
            fmt=fmt or None,
            on_duplicate=on_duplicate,
            max_bytes=max_upload_bytes,
        )

    @app.post(
        "/api/projects/{pid}/media",
        tags=["data"],
        status_code=201,
        summary="Upload one media file (admin)",
    )
    def upload_media(
        pid: int,
        file: UploadFile = File(...),
        path: str | None = Form(None),
        _admin: User = Depends(admin_user),
    ) -> dict[str, Any]:
        from labelwise.app.media import media_kind, probe, safe_relative

        st.get_project(pid)
        if st.media_root is None:
            raise BadRequest("this server has no media folder")
        rel = safe_relative(path or file.filename or "")
        kind = media_kind(rel)
        if kind is None or kind == "text":
            raise BadRequest(f"{rel!r} is not an image, audio or video file by its extension")
        data = file.file.read(max_upload_bytes + 1)
        if len(data) > max_upload_bytes:
            raise PayloadTooLarge(f"{rel!r} exceeds the {max_upload_bytes} byte limit")
        dest = st.media_root / str(pid) / rel
        base = (st.media_root / str(pid)).resolve()
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.parent.resolve().is_relative_to(base) or dest.is_symlink():
            raise BadRequest(f"media path {rel!r} leaves the project's media folder")
        tmp = dest.with_name(dest.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(dest)
        return {"path": rel, **probe(dest, kind)}

    @app.get(
        "/api/projects/{pid}/media/{path:path}",
        tags=["data"],
        summary="A media file of the project",
    )
    def media(pid: int, path: str, user: User = Depends(current_user)) -> Any:
        from labelwise.app.media import media_kind, resolve_media

        st.check_access(user, pid)
        if st.media_root is None:
            raise NotFound("this server has no media folder")
        target = resolve_media(st.media_root, pid, path)
        if media_kind(target) in (None, "text"):
            raise NotFound(f"no media file {path!r} in this project")
        return FileResponse(
            target,
            headers={
                "Cache-Control": "private, max-age=3600",
                "Content-Security-Policy": "sandbox",
            },
        )

    @app.post("/api/projects/{pid}/predictions", tags=["data"], summary="Attach pre-labels (admin)")
    def predictions(
        pid: int,
        rows: list[PredictionIn] = Body(..., max_length=500_000),
        source: str = Query("model"),
        _admin: User = Depends(admin_user),
    ) -> dict[str, Any]:
        return st.add_predictions(pid, [r.model_dump() for r in rows], source=source)

    # ------------------------------------------------------------------ work
    @app.get("/api/projects/{pid}/tasks", tags=["work"], summary="A page of tasks (reviewer)")
    def tasks(
        pid: int,
        offset: int = 0,
        limit: int = 50,
        status: str | None = None,
        user: User = Depends(current_user),
    ) -> dict[str, Any]:
        return st.list_tasks(user, pid, offset=offset, limit=limit, status=status)

    @app.get("/api/projects/{pid}/tasks/{tid}", tags=["work"], summary="One task")
    def task(pid: int, tid: int, user: User = Depends(current_user)) -> dict[str, Any]:
        return st.get_task(user, pid, tid)

    @app.get(
        "/api/projects/{pid}/next",
        tags=["work"],
        summary="My next tasks: the current one, then prefetched ones",
        response_model=None,
    )
    def next_tasks(
        pid: int, count: int = Query(2, ge=1, le=5), user: User = Depends(current_user)
    ) -> Any:
        return JSONResponse({"tasks": st.next_tasks(user, pid, count=count)})

    @app.post(
        "/api/projects/{pid}/tasks/{tid}/annotations",
        tags=["work"],
        summary="Submit an annotation (idempotent by submission_id)",
        response_model=None,
    )
    def submit(pid: int, tid: int, body: SubmitBody, user: User = Depends(current_user)) -> Any:
        ann, created = st.submit(
            user, pid, tid, body.result, submission_id=body.submission_id, lead_time=body.lead_time
        )
        return JSONResponse(ann, status_code=201 if created else 200)

    @app.post("/api/projects/{pid}/tasks/{tid}/skip", tags=["work"], summary="Skip a task")
    def skip(pid: int, tid: int, user: User = Depends(current_user)) -> dict[str, Any]:
        st.skip_task(user, pid, tid)
        return {"ok": True}

    @app.get(
        "/api/projects/{pid}/annotations",
        tags=["work"],
        summary="Annotations (annotators: only their own)",
    )
    def annotations(
        pid: int,
        mine: bool = False,
        status: str | None = None,
        offset: int = 0,
        limit: int = 50,
        user: User = Depends(current_user),
    ) -> dict[str, Any]:
        return st.list_annotations(user, pid, mine=mine, status=status, offset=offset, limit=limit)

    @app.get("/api/annotations/{aid}", tags=["work"], summary="One annotation (author or reviewer)")
    def annotation(aid: int, user: User = Depends(current_user)) -> dict[str, Any]:
        return st.get_annotation(user, aid)

    @app.put("/api/annotations/{aid}", tags=["work"], summary="Change my annotation")
    def update(aid: int, body: UpdateBody, user: User = Depends(current_user)) -> dict[str, Any]:
        return st.update_annotation(user, aid, body.result, lead_time=body.lead_time)

    # ------------------------------------------------------------------ review
    @app.get(
        "/api/projects/{pid}/review-queue",
        tags=["review"],
        summary="Submitted annotations to review",
    )
    def review_queue(
        pid: int, limit: int = 20, user: User = Depends(current_user)
    ) -> dict[str, Any]:
        return {"annotations": st.review_queue(user, pid, limit=limit)}

    @app.post(
        "/api/annotations/{aid}/review",
        tags=["review"],
        summary="Accept, reject (with comment) or fix",
    )
    def review(aid: int, body: ReviewBody, user: User = Depends(current_user)) -> dict[str, Any]:
        return st.review(user, aid, body.action, comment=body.comment, result=body.result)

    @app.get(
        "/api/projects/{pid}/disagreements",
        tags=["review"],
        summary="Tasks whose annotators disagree",
    )
    def disagreements(
        pid: int, limit: int = 50, user: User = Depends(current_user)
    ) -> dict[str, Any]:
        return {"tasks": st.disagreements(user, pid, limit=limit)}

    @app.put(
        "/api/projects/{pid}/tasks/{tid}/gold",
        tags=["review"],
        summary="Adjudicate: set the final answer",
    )
    def gold(
        pid: int, tid: int, body: GoldBody, user: User = Depends(current_user)
    ) -> dict[str, Any]:
        return st.set_gold(user, pid, tid, body.result)

    @app.get(
        "/api/projects/{pid}/dashboard",
        tags=["review"],
        summary="Progress, throughput, labels, agreement",
    )
    def dashboard(pid: int, user: User = Depends(current_user)) -> dict[str, Any]:
        return st.dashboard(user, pid)

    # ------------------------------------------------------------------ export
    @app.get(
        "/api/projects/{pid}/export", tags=["export"], summary="Download annotations in a format"
    )
    def export(
        pid: int,
        format: str = Query(
            "jsonl", description="jsonl, csv, label_studio, coco, yolo, voc, conll"
        ),
        which: str = Query("all", description="all annotations, or the final one per task"),
        user: User = Depends(current_user),
    ) -> Any:
        from labelwise.formats import FORMATS, ConversionReport, FormatError, export_items, pack_zip

        p = st.check_access(user, pid, review=True)
        if format not in FORMATS:
            raise BadRequest(f"unknown format {format!r}; choose one of {sorted(FORMATS)}")
        default_which = "final" if format in ("yolo", "voc") else which
        report = ConversionReport()
        try:
            files = export_items(
                st.export_items(pid, which=default_which), p.config, format, report=report
            )
        except FormatError as exc:
            raise BadRequest(str(exc)) from None
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in p.name)[:60] or "project"
        headers = {"X-Labelwise-Problems": str(len(report.problems))}
        if len(files) == 1 and FORMATS[format][0] is not None:
            ((name, data),) = files.items()
            headers["Content-Disposition"] = f'attachment; filename="{safe}-{name}"'
            return Response(data, media_type=FORMATS[format][1], headers=headers)
        headers["Content-Disposition"] = f'attachment; filename="{safe}-{format}.zip"'
        return Response(pack_zip(files), media_type="application/zip", headers=headers)

    # ------------------------------------------------------------------ UI
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> Any:
        return FileResponse(STATIC / "docs.html", headers={"Cache-Control": "no-cache"})

    @app.get("/", include_in_schema=False)
    def index() -> Any:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.add_middleware(_Wrap, wrap=_guard)
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
) -> None:
    """Run the app with uvicorn on ``project_dir`` (SQLite inside it, or ``db_url``)."""
    uvicorn = require("uvicorn", "app")
    folder = Path(project_dir)
    if db_url:
        (folder / "media").mkdir(parents=True, exist_ok=True)
        store = Store.open(db_url, synchronous=synchronous, media_root=folder / "media")
    else:
        store = Store.open(folder, synchronous=synchronous)
    app = create_app(store, max_upload_bytes=max_upload_mb * 1024 * 1024)
    # Hand the GIL over more often than every 5 ms: request threads, the writer thread and the
    # event loop each hold it briefly, and a long switch interval shows up as tail latency.
    sys.setswitchinterval(0.001)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
    finally:
        store.close()
