"""The app's errors: a small hierarchy, each with its HTTP status, mapped to responses in one place.

They subclass :class:`labelwise.errors.LabelwiseError`, so the CLI prints them as one line
and library callers can catch ``ValueError``.
"""

from __future__ import annotations

import re
import tempfile

from labelwise.errors import LabelwiseError

__all__ = [
    "AppError",
    "AuthError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "TooManyRequests",
    "scrub_paths",
]


class AppError(LabelwiseError):
    """Base class; ``status`` is the HTTP status the server answers with."""

    status = 400
    code = "bad_request"


class BadRequest(AppError):
    """Malformed input (names the field and the fix)."""


class AuthError(AppError):
    """Not logged in, a wrong password, or an unknown token."""

    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    """Logged in but not allowed (role or project membership)."""

    status = 403
    code = "forbidden"


class NotFound(AppError):
    """No such project, task, annotation, user or file (or not visible to this user)."""

    status = 404
    code = "not_found"


class Conflict(AppError):
    """The request clashes with what is stored (duplicate name, annotation already given)."""

    status = 409
    code = "conflict"


class PayloadTooLarge(AppError):
    """An upload or import over the size limit."""

    status = 413
    code = "payload_too_large"


class TooManyRequests(AppError):
    """Too many attempts (wrong passwords) or too busy: try again after ``retry_after`` s."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after + 0.999))


def scrub_paths(message: str, *roots: str) -> str:
    """``message`` without server file paths: temp files (and ``roots``) become their names.

    Error texts go back to API clients; where the server keeps its files is not theirs.

    >>> import os, tempfile
    >>> scrub_paths(f"cannot read {os.path.join(tempfile.gettempdir(), 'tmpab12', 'tasks.csv')}: bad")
    'cannot read tasks.csv: bad'
    """
    for root in (tempfile.gettempdir(), "/tmp", "/var/tmp", *roots):
        if root:
            pattern = re.escape(root.rstrip("/")) + r"/[^\s'\"]*[^\s'\".,;:)]"
            message = re.sub(pattern, lambda m: m.group(0).rsplit("/", 1)[-1], message)
    return message
