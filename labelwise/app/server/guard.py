"""The outermost layer: request-size limit and security headers, as pure ASGI middleware."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse

__all__ = ["CSP", "Wrap", "guard"]

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

    return wrap
