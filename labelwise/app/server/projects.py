"""Routes: projects, their queue settings and members."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from labelwise.app.server.bodies import MemberBody, ProjectCreate, ProjectPatch
from labelwise.app.server.deps import admin_user, current_user, store_of
from labelwise.app.store import Store, User

__all__ = ["router"]

router = APIRouter(tags=["projects"])


@router.get("/api/projects", summary="Projects visible to me")
def projects(
    user: User = Depends(current_user), st: Store = Depends(store_of)
) -> list[dict[str, Any]]:
    return [p.to_dict() for p in st.list_projects(user)]


@router.post("/api/projects", status_code=201, summary="Create a project (admin)")
def create_project(
    body: ProjectCreate, _admin: User = Depends(admin_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    p = st.create_project(
        body.name,
        body.config,
        description=body.description,
        overlap=body.overlap,
        queue_order=body.queue_order,
        seed=body.seed,
    )
    return p.to_dict()


@router.get("/api/projects/{pid}", summary="One project")
def project(
    pid: int, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    out = st.check_access(user, pid).to_dict()
    out["can_review"] = user.can_review
    return out


@router.patch("/api/projects/{pid}", summary="Queue settings (admin)")
def patch_project(
    pid: int,
    body: ProjectPatch,
    _admin: User = Depends(admin_user),
    st: Store = Depends(store_of),
) -> dict[str, Any]:
    return st.update_project(
        pid,
        overlap=body.overlap,
        queue_order=body.queue_order,
        description=body.description,
        seed=body.seed,
    ).to_dict()


@router.delete(
    "/api/projects/{pid}", summary="Delete a project with its tasks, annotations and media (admin)"
)
def delete_project(
    pid: int, _admin: User = Depends(admin_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return st.delete_project(pid)


@router.get("/api/projects/{pid}/members", summary="Members of a project")
def members(
    pid: int, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> list[dict[str, Any]]:
    st.check_access(user, pid, review=True)
    return [u.to_dict() for u in st.members(pid)]


@router.post("/api/projects/{pid}/members", summary="Add a member (admin)")
def add_member(
    pid: int, body: MemberBody, _admin: User = Depends(admin_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    st.add_member(pid, body.username)
    return {"ok": True}


@router.delete("/api/projects/{pid}/members/{username}", summary="Remove a member (admin)")
def remove_member(
    pid: int, username: str, _admin: User = Depends(admin_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    st.remove_member(pid, username)
    return {"ok": True}
