"""Routes: user administration (admins only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from labelwise.app.server.bodies import UserCreate, UserPatch
from labelwise.app.server.deps import admin_user, store_of
from labelwise.app.store import Store, User

__all__ = ["router"]

router = APIRouter(tags=["users"])


@router.get("/api/users", summary="All users (admin)")
def users(
    _admin: User = Depends(admin_user), st: Store = Depends(store_of)
) -> list[dict[str, Any]]:
    return [u.to_dict() for u in st.list_users()]


@router.post("/api/users", status_code=201, summary="Add a user (admin)")
def add_user(
    body: UserCreate, _admin: User = Depends(admin_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return st.create_user(body.username, body.password, role=body.role).to_dict()


@router.patch("/api/users/{user_id}", summary="Change role, password or active (admin)")
def patch_user(
    user_id: int,
    body: UserPatch,
    _admin: User = Depends(admin_user),
    st: Store = Depends(store_of),
) -> dict[str, Any]:
    return st.update_user(
        user_id, role=body.role, password=body.password, active=body.active
    ).to_dict()


@router.delete(
    "/api/users/{user_id}",
    summary="Delete a user without annotations or reviews (admin; else deactivate)",
)
def delete_user(
    user_id: int, admin: User = Depends(admin_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return st.delete_user(admin, user_id)


@router.get("/api/users/{user_id}/tokens", summary="A user's API tokens (admin)")
def user_tokens(
    user_id: int, _admin: User = Depends(admin_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    return {"tokens": st.list_tokens(user_id)}


@router.delete(
    "/api/users/{user_id}/tokens/{token_id}", summary="Revoke a user's API token (admin)"
)
def revoke_user_token(
    user_id: int, token_id: int, _admin: User = Depends(admin_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    st.revoke_token(user_id, token_id)
    return {"ok": True}
