"""Routes: the annotator's work: task pages, the next tasks, submit, skip, my annotations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from labelwise.app.errors import NotFound
from labelwise.app.server.bodies import SubmitBody, TaskIds, UpdateBody
from labelwise.app.server.deps import admin_user, current_user, store_of
from labelwise.app.store import Store, User

__all__ = ["router"]

router = APIRouter(tags=["work"])


@router.get("/api/projects/{pid}/tasks", summary="A page of tasks (reviewer)")
def tasks(
    pid: int,
    offset: int = 0,
    limit: int = 50,
    status: str | None = Query(
        None, description="open, complete, gold, no_gold, unannotated or skipped"
    ),
    annotator: str | None = Query(None, description="only tasks this username annotated"),
    label: str | None = Query(None, description="only tasks with an annotation using this label"),
    q: str | None = Query(None, max_length=200, description="text search in item id and data"),
    user: User = Depends(current_user),
    st: Store = Depends(store_of),
) -> dict[str, Any]:
    return st.list_tasks(
        user,
        pid,
        offset=offset,
        limit=limit,
        status=status,
        annotator=annotator,
        label=label,
        q=q,
    )


@router.get("/api/projects/{pid}/tasks/{tid}", summary="One task")
def task(
    pid: int, tid: int, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return st.get_task(user, pid, tid)


@router.delete(
    "/api/projects/{pid}/tasks/{tid}", summary="Delete a task and its annotations (admin)"
)
def delete_task(
    pid: int, tid: int, _admin: User = Depends(admin_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    if not st.delete_tasks(pid, [tid]):
        raise NotFound(f"no task {tid} in project {pid}")
    return {"deleted": 1}


@router.post(
    "/api/projects/{pid}/tasks/delete",
    summary="Delete many tasks with their annotations (admin)",
)
def delete_tasks(
    pid: int, body: TaskIds, _admin: User = Depends(admin_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return {"deleted": st.delete_tasks(pid, body.ids)}


@router.get(
    "/api/projects/{pid}/next",
    summary="My next tasks: the current one, then prefetched ones",
    response_model=None,
)
def next_tasks(
    pid: int,
    count: int = Query(2, ge=1, le=5),
    user: User = Depends(current_user),
    st: Store = Depends(store_of),
) -> Any:
    return JSONResponse({"tasks": st.next_tasks(user, pid, count=count)})


@router.post(
    "/api/projects/{pid}/tasks/{tid}/annotations",
    summary="Submit an annotation (idempotent by submission_id)",
    response_model=None,
)
def submit(
    pid: int,
    tid: int,
    body: SubmitBody,
    user: User = Depends(current_user),
    st: Store = Depends(store_of),
) -> Any:
    ann, created = st.submit(
        user, pid, tid, body.result, submission_id=body.submission_id, lead_time=body.lead_time
    )
    return JSONResponse(ann, status_code=201 if created else 200)


@router.post("/api/projects/{pid}/tasks/{tid}/skip", summary="Skip a task")
def skip(
    pid: int, tid: int, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    st.skip_task(user, pid, tid)
    return {"ok": True}


@router.get(
    "/api/projects/{pid}/annotations",
    summary="Annotations (annotators: only their own)",
    name="annotations",
)
def list_annotations(
    pid: int,
    mine: bool = False,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
    user: User = Depends(current_user),
    st: Store = Depends(store_of),
) -> dict[str, Any]:
    return st.list_annotations(user, pid, mine=mine, status=status, offset=offset, limit=limit)


@router.get("/api/annotations/{aid}", summary="One annotation (author or reviewer)")
def annotation(
    aid: int, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return st.get_annotation(user, aid)


@router.delete(
    "/api/annotations/{aid}", summary="Delete an annotation (its author before review, or admin)"
)
def delete_annotation(
    aid: int, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return st.delete_annotation(user, aid)


@router.put("/api/annotations/{aid}", summary="Change my annotation")
def update(
    aid: int, body: UpdateBody, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return st.update_annotation(user, aid, body.result, lead_time=body.lead_time)
