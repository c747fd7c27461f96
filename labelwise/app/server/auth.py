"""Routes: health, login/logout, who am I, API tokens."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from labelwise.app.auth import new_secret, same_secret
from labelwise.app.errors import Forbidden
from labelwise.app.server.bodies import LoginBody, TokenBody
from labelwise.app.server.deps import (
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    check_origin,
    current_user,
    set_cookie,
    store_of,
)
from labelwise.app.store import Store, User
from labelwise.app.store.core import SESSION_SECONDS

__all__ = ["router"]

router = APIRouter(tags=["auth"])


@router.get("/api/health", summary="Liveness check (no login needed)")
async def health() -> dict[str, Any]:
    return {"ok": True, "time": time.time()}


@router.get("/api/csrf", summary="A CSRF token for the login form (double-submit cookie)")
def csrf_token(request: Request) -> Any:
    token = request.cookies.get(PRELOGIN_COOKIE) or new_secret()
    resp = JSONResponse({"csrf": token})
    set_cookie(request, resp, PRELOGIN_COOKIE, token, http_only=False)
    return resp


@router.post("/api/login", summary="Log in; sets an HttpOnly session cookie")
def login(body: LoginBody, request: Request, st: Store = Depends(store_of)) -> Any:
    check_origin(request)
    pre = request.cookies.get(PRELOGIN_COOKIE, "")
    sent = request.headers.get("x-csrf-token", "")
    if not pre or not sent or not same_secret(pre, sent):
        raise Forbidden("missing or wrong CSRF token; load the login page again")
    user = st.authenticate(
        body.username, body.password, client=request.client.host if request.client else None
    )
    sid, csrf = st.create_session(user)
    resp = JSONResponse({"user": user.to_dict(), "csrf": csrf})
    set_cookie(request, resp, SESSION_COOKIE, sid, http_only=True, max_age=SESSION_SECONDS)
    return resp


@router.post("/api/logout", summary="End this session")
def logout(
    request: Request, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> Any:
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        st.delete_session(sid)
    resp = JSONResponse({"ok": True})
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/api/me", summary="Who am I (and the CSRF token for this session)")
def me(
    request: Request, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    sid = request.cookies.get(SESSION_COOKIE)
    found = st.session_user(sid) if sid else None
    return {"user": user.to_dict(), "csrf": found[1] if found else None}


@router.post("/api/me/tokens", summary="Create an API token (shown once; expires in 90 days)")
def new_token(
    body: TokenBody, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    token = st.create_token(user, name=body.name, expires_days=body.expires_days)
    return {"token": token, "tokens": st.list_tokens(user)}


@router.get("/api/me/tokens", summary="My API tokens (names and dates, never the secrets)")
def my_tokens(user: User = Depends(current_user), st: Store = Depends(store_of)) -> dict[str, Any]:
    return {"tokens": st.list_tokens(user)}


@router.delete("/api/me/tokens/{token_id}", summary="Revoke one of my API tokens")
def revoke_my_token(
    token_id: int, user: User = Depends(current_user), st: Store = Depends(store_of)
) -> dict[str, Any]:
    st.revoke_token(user, token_id)
    return {"ok": True}
