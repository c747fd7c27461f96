"""The outermost layer: request-size limit and security headers, as pure ASGI middleware."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

__all__ = ["CSP", "PUBLIC_BODY_BYTES", "BodyTooLarge", "Wrap", "body_limit", "guard"]

#: Largest body the routes that need no login accept (the login form is tiny).
PUBLIC_BODY_BYTES = 64 * 1024
_PUBLIC = ("/api/login", "/api/csrf", "/api/health")


class BodyTooLarge(HTTPException):
    """A request body grew past the limit while it streamed in (e.g. chunked, no length)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds the {limit} byte limit; split the upload")
        self.limit = limit


def body_limit(path: str, max_upload_bytes: int) -> int:
    """The body limit for a request path: small before login, ``max_upload_bytes`` after."""
    if path in _PUBLIC or not path.startswith("/api/"):
        return min(PUBLIC_BODY_BYTES, max_upload_bytes)
    return max_upload_bytes


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https: http:; "
    "media-src 'self' blob: https: http:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)


class Wrap:
    """Adapter so a plain ASGI wrapper function can be added with ``app.add_middleware``."""

    def __init__(self, app: Any, wrap: Callable[[Any], Any]) -> None:
        self._asgi = wrap(app)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._asgi(scope, receive, send)


def guard(max_upload_bytes: int) -> Callable[[Any], Any]:
    """Middleware factory: body-size limit from Content-Length, security headers."""

    def wrap(inner: Any) -> Any:
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
            limit = body_limit(path, max_upload_bytes)
            for k, v in scope.get("headers", ()):
                if k == b"content-length":
                    try:
                        n = int(v)
                    except ValueError:
                        n = -1
                    if n < 0 or n > limit:
                        detail = (
                            f"request of {n} bytes exceeds the {limit} byte limit; split the upload"
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

            # Count what actually arrives: a chunked body has no Content-Length to check.
            received = 0
            started = False

            async def counted_receive() -> Any:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise BodyTooLarge(limit)
                return message

            async def tracking_send(message: Any) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                await send_with_headers(message)

            try:
                await inner(scope, counted_receive, tracking_send)
            except BodyTooLarge as exc:
                if started:
                    raise
                resp = JSONResponse(
                    {"error": "payload_too_large", "detail": exc.detail}, status_code=413
                )
                await resp(scope, receive, send_with_headers)

        return asgi

    return wrap
