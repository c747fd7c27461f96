"""Passwords (Argon2id), API tokens, session ids and CSRF tokens.

Secrets are random 256-bit strings; the database stores only their SHA-256 (they are
high-entropy, so a fast hash is enough), and passwords only as Argon2id hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from typing import Any

from labelwise.errors import require

__all__ = ["check_password", "hash_password", "hash_secret", "new_secret", "same_secret"]

_hasher = None


def _ph() -> Any:
    """Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, m=64 MiB, p=4).

    ``LABELWISE_ARGON2_FAST=1`` swaps in a cheap profile (t=1, m=1 MiB) for test suites and
    benchmark set-up that create many users; never set it for a real deployment. Verifying
    always uses the parameters stored in the hash, so hashes made either way keep working.
    """
    global _hasher
    if _hasher is None:
        argon2 = require("argon2", "app")
        if os.environ.get("LABELWISE_ARGON2_FAST") == "1":
            _hasher = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        else:
            _hasher = argon2.PasswordHasher()
    return _hasher


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (with its own random salt).

    Examples
    --------
    >>> check_password(hash_password("s3cret-pass"), "s3cret-pass")
    True
    """
    return str(_ph().hash(password))


def check_password(stored: str, password: str) -> bool:
    """True when ``password`` matches the stored Argon2 hash."""
    argon2 = require("argon2", "app")
    try:
        return bool(_ph().verify(stored, password))
    except (argon2.exceptions.VerifyMismatchError, argon2.exceptions.InvalidHashError):
        return False


def new_secret() -> str:
    """A URL-safe random secret with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """SHA-256 hex digest of a token or session id (what the database keeps)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(a: str, b: str) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a.encode(), b.encode())
