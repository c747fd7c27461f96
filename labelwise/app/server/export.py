"""Routes: export a project's annotations in a format."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from labelwise.app.server.deps import current_user, store_of
from labelwise.app.store import Store, User

__all__ = ["router"]

router = APIRouter(tags=["export"])


@router.get("/api/projects/{pid}/export", summary="Download annotations in a format")
def export(
    pid: int,
    format: str = Query("jsonl", description="jsonl, csv, label_studio, coco, yolo, voc, conll"),
    which: str = Query("all", description="all annotations, or the final one per task"),
    user: User = Depends(current_user),
    st: Store = Depends(store_of),
) -> Any:
    from labelwise.formats import FORMATS, pack_zip

    p = st.check_access(user, pid, review=True)
    files, problems = st.export_files(pid, format, which=which)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in p.name)[:60] or "project"
    headers = {"X-Labelwise-Problems": str(len(problems))}
    if len(files) == 1 and FORMATS[format][0] is not None:
        ((name, data),) = files.items()
        headers["Content-Disposition"] = f'attachment; filename="{safe}-{name}"'
        return Response(data, media_type=FORMATS[format][1], headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{safe}-{format}.zip"'
    return Response(pack_zip(files), media_type="application/zip", headers=headers)


@router.get(
    "/api/projects/{pid}/export/formats",
    summary="Export formats, each with whether it fits this project (and why not)",
)
def export_formats(
    pid: int, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return {"formats": st.export_formats(user, pid)}
