"""What every router shares: the store and settings of the app, cookies, and who is asking.

Authentication: an API token (``Authorization: Token <t>`` or ``Bearer <t>``) or a session
cookie (``HttpOnly``, ``SameSite=Strict``). Cookie-authenticated writes must carry the
session's CSRF token in ``X-CSRF-Token`` and a same-origin ``Origin`` when the browser sends
one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request

from labelwise.app.auth import same_secret
from labelwise.app.errors import AuthError, Forbidden
from labelwise.app.store import Store, User

__all__ = [
    "PRELOGIN_COOKIE",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "Settings",
    "admin_user",
    "check_origin",
    "current_user",
    "set_cookie",
    "settings_of",
    "store_of",
]

SESSION_COOKIE = "lw_session"
PRELOGIN_COOKIE = "lw_csrf"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Settings:
    """Server settings the routes read (see :func:`~labelwise.app.server.create_app`)."""

    max_upload_bytes: int = 200 * 1024 * 1024
    secure_cookies: bool = False


def store_of(request: Request) -> Store:
    """The app's :class:`~labelwise.app.store.Store`."""
    store: Store = request.app.state.store
    return store


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def set_cookie(
    request: Request,
    resp: Any,
    name: str,
    value: str,
    *,
    http_only: bool,
    max_age: int | None = None,
) -> None:
    resp.set_cookie(
        name,
        value,
        httponly=http_only,
        samesite="strict",
        secure=settings_of(request).secure_cookies,
        path="/",
        max_age=max_age,
    )


def check_origin(request: Request) -> None:
    """Refuse a cross-origin (or opaque-origin) request."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            raise Forbidden(f"cross-origin request from {origin!r} refused")
    elif origin == "null":
        raise Forbidden("requests from an opaque origin are refused")


def current_user(request: Request) -> User:
    """The user behind an API token or a session cookie (with CSRF checks on writes)."""
    st = store_of(request)
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() in ("token", "bearer") and token.strip():
        user = st.user_for_token(token.strip())
        if user is None:
            raise AuthError("unknown or revoked API token")
        return user
    sid = request.cookies.get(SESSION_COOKIE)
    if not sid:
        raise AuthError("log in first (session cookie) or send 'Authorization: Token <api token>'")
    found = st.session_user(sid)
    if found is None:
        raise AuthError("your session has expired; log in again")
    user, csrf = found
    if request.method not in SAFE_METHODS:
        check_origin(request)
        sent = request.headers.get("x-csrf-token", "")
        if not sent or not same_secret(sent, csrf):
            raise Forbidden("missing or wrong CSRF token; reload the page")
    return user


def admin_user(user: User = Depends(current_user)) -> User:
    if not user.is_admin:
        raise Forbidden("this needs the admin role")
    return user
