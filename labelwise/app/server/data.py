"""Routes: data in (tasks, file imports, media, pre-labels) and media out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response

from labelwise.app.errors import BadRequest, NotFound, PayloadTooLarge
from labelwise.app.server.bodies import PredictionIn, TaskIn
from labelwise.app.server.deps import Settings, admin_user, current_user, settings_of, store_of
from labelwise.app.store import Store, User

__all__ = ["router"]

router = APIRouter(tags=["data"])


@router.post("/api/projects/{pid}/tasks", status_code=201, summary="Add tasks as JSON (admin)")
def add_tasks(
    pid: int,
    tasks: list[TaskIn] = Body(..., max_length=100_000),
    on_duplicate: str = Query("error"),
    _admin: User = Depends(admin_user),
    st: Store = Depends(store_of),
) -> dict[str, Any]:
    from labelwise.app.importers import _attach_media
    from labelwise.formats import ConversionReport, Item

    p = st.get_project(pid)
    items = [
        Item(str(t.id) if t.id is not None else str(n + 1), dict(t.data))
        for n, t in enumerate(tasks)
    ]
    _attach_media(items, None, p, None, ConversionReport(), media_root=st.media_root)
    return st.add_tasks(pid, items, on_duplicate=on_duplicate)


@router.post(
    "/api/projects/{pid}/import",
    summary="Import a file: table, JSONL, Label Studio, COCO, YOLO/VOC zip, CoNLL (admin)",
)
def import_file(
    pid: int,
    file: UploadFile = File(...),
    fmt: str | None = Form(None),
    on_duplicate: str = Form("error"),
    _admin: User = Depends(admin_user),
    st: Store = Depends(store_of),
    settings: Settings = Depends(settings_of),
) -> dict[str, Any]:
    from labelwise.app.importers import import_bytes

    st.get_project(pid)
    data = file.file.read(settings.max_upload_bytes + 1)
    return import_bytes(
        st,
        pid,
        file.filename or "upload",
        data,
        fmt=fmt or None,
        on_duplicate=on_duplicate,
        max_bytes=settings.max_upload_bytes,
    )


@router.post(
    "/api/projects/{pid}/media",
    status_code=201,
    summary="Upload one media file (admin); add_task=true also makes it a task",
)
def upload_media(
    pid: int,
    file: UploadFile = File(...),
    path: str | None = Form(None),
    add_task: bool = Form(False),
    _admin: User = Depends(admin_user),
    st: Store = Depends(store_of),
    settings: Settings = Depends(settings_of),
) -> dict[str, Any]:
    from labelwise.app.media import media_kind, probe, safe_relative

    max_upload_bytes = settings.max_upload_bytes
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
    out: dict[str, Any] = {"path": rel, **probe(dest, kind)}
    if add_task:
        out["task"] = _task_for_upload(st, pid, rel, kind, out)
    return out


def _task_for_upload(st: Store, pid: int, rel: str, kind: str, info: dict[str, Any]) -> Any:
    """Add a task for an uploaded media file (item id = its path); skip if it exists."""
    from labelwise.formats import Item

    p = st.get_project(pid)
    if p.config.object_type != kind:
        raise BadRequest(
            f"{rel!r} is {kind}, but project {p.name!r} labels {p.config.object_type}; "
            "upload without add_task, or to a project of that kind"
        )
    data = {p.config.object_field: rel, **{k: v for k, v in info.items() if k != "path"}}
    return st.add_tasks(pid, [Item(rel, data)], on_duplicate="skip")


@router.get(
    "/api/projects/{pid}/media/{path:path}",
    summary="A media file of the project (range requests, ETag, Last-Modified, 304)",
)
def media(
    pid: int,
    path: str,
    request: Request,
    user: User = Depends(current_user),
    st: Store = Depends(store_of),
) -> Any:
    from email.utils import formatdate, parsedate_to_datetime

    from labelwise.app.media import media_kind, resolve_media

    st.check_access(user, pid)
    if st.media_root is None:
        raise NotFound("this server has no media folder")
    target = resolve_media(st.media_root, pid, path)
    if media_kind(target) in (None, "text"):
        raise NotFound(f"no media file {path!r} in this project")
    stat = target.stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    headers = {
        "Cache-Control": "private, max-age=3600",
        "Content-Security-Policy": "sandbox",
        "ETag": etag,
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
        "Accept-Ranges": "bytes",
    }
    inm = request.headers.get("if-none-match")
    ims = request.headers.get("if-modified-since")
    fresh = False
    if inm is not None:
        fresh = etag in [t.strip().removeprefix("W/") for t in inm.split(",")] or inm.strip() == "*"
    elif ims is not None:
        try:
            fresh = int(stat.st_mtime) <= parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            fresh = False
    if fresh:
        headers.pop("Accept-Ranges")
        return Response(status_code=304, headers=headers)
    # Starlette's FileResponse answers Range (206, multipart for several ranges, 416).
    return FileResponse(target, headers=headers, stat_result=stat)


@router.post("/api/projects/{pid}/predictions", summary="Attach pre-labels (admin)")
def predictions(
    pid: int,
    rows: list[PredictionIn] = Body(..., max_length=500_000),
    source: str = Query("model"),
    _admin: User = Depends(admin_user),
    st: Store = Depends(store_of),
) -> dict[str, Any]:
    return st.add_predictions(pid, [r.model_dump() for r in rows], source=source)
