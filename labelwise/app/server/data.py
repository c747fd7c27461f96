"""Routes: data in (tasks, file imports, media, pre-labels) and media out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, File, Form, Query, UploadFile
from fastapi.responses import FileResponse

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
    _attach_media(items, None, p, None, ConversionReport())
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


@router.post("/api/projects/{pid}/media", status_code=201, summary="Upload one media file (admin)")
def upload_media(
    pid: int,
    file: UploadFile = File(...),
    path: str | None = Form(None),
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
    return {"path": rel, **probe(dest, kind)}


@router.get("/api/projects/{pid}/media/{path:path}", summary="A media file of the project")
def media(
    pid: int, path: str, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> Any:
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


@router.post("/api/projects/{pid}/predictions", summary="Attach pre-labels (admin)")
def predictions(
    pid: int,
    rows: list[PredictionIn] = Body(..., max_length=500_000),
    source: str = Query("model"),
    _admin: User = Depends(admin_user),
    st: Store = Depends(store_of),
) -> dict[str, Any]:
    return st.add_predictions(pid, [r.model_dump() for r in rows], source=source)
