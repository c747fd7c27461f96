"""Users, passwords, API tokens and login sessions."""

from __future__ import annotations

import time
from typing import Any

from labelwise.app.auth import check_password, hash_password, hash_secret, new_secret
from labelwise.app.errors import AuthError, BadRequest, Conflict, NotFound
from labelwise.app.store.core import (
    _USERNAME,
    ROLES,
    SESSION_SECONDS,
    StoreCore,
    User,
)

__all__ = ["TOKEN_DAYS", "UsersStore"]

#: Default lifetime of a new API token, in days.
TOKEN_DAYS = 90.0
#: How often a token's ``last_used_at`` and a session's ``last_seen`` are written (seconds).
USE_STAMP_SECONDS = 60.0


class UsersStore(StoreCore):
    """Users, passwords, API tokens and login sessions."""

    def create_user(
        self, username: str, password: str, *, role: str = "annotator", active: bool = True
    ) -> User:
        """Add a user; passwords need at least 8 characters."""
        if not isinstance(username, str) or not _USERNAME.match(username):
            raise BadRequest(
                f"username {username!r} is not allowed; use 1-64 letters, digits, '.', '_', '-' or '@'"
            )
        if role not in ROLES:
            raise BadRequest(f"role {role!r} is not one of {list(ROLES)}")
        if not isinstance(password, str) or len(password) < 8:
            raise BadRequest("password must have at least 8 characters")
        pw = hash_password(password)

        def op(conn: Any) -> int:
            if conn.execute(
                self._text("SELECT 1 FROM users WHERE username = :u"), {"u": username}
            ).first():
                raise Conflict(f"user {username!r} already exists; pick another name")
            return int(
                conn.execute(
                    self._text(
                        "INSERT INTO users (username, password_hash, role, active, created_at) "
                        "VALUES (:u, :p, :r, :a, :t) RETURNING id"
                    ),
                    {"u": username, "p": pw, "r": role, "a": int(active), "t": time.time()},
                ).scalar_one()
            )

        return User(self.db.write(op), username, role, active)

    def list_users(self) -> list[User]:
        rows = self._rows("SELECT id, username, role, active FROM users ORDER BY id")
        return [self._user(r) for r in rows]

    def update_user(
        self,
        user: int | str,
        *,
        role: str | None = None,
        password: str | None = None,
        active: bool | None = None,
    ) -> User:
        u = self.get_user(user)
        if role is not None and role not in ROLES:
            raise BadRequest(f"role {role!r} is not one of {list(ROLES)}")
        if password is not None and len(password) < 8:
            raise BadRequest("password must have at least 8 characters")
        pw = None if password is None else hash_password(password)

        def op(conn: Any) -> None:
            if role is not None:
                conn.execute(
                    self._text("UPDATE users SET role = :r WHERE id = :i"), {"r": role, "i": u.id}
                )
            if pw is not None:
                conn.execute(
                    self._text("UPDATE users SET password_hash = :p WHERE id = :i"),
                    {"p": pw, "i": u.id},
                )
                conn.execute(self._text("DELETE FROM sessions WHERE user_id = :i"), {"i": u.id})
            if active is not None:
                conn.execute(
                    self._text("UPDATE users SET active = :a WHERE id = :i"),
                    {"a": int(active), "i": u.id},
                )
                if not active:
                    conn.execute(self._text("DELETE FROM sessions WHERE user_id = :i"), {"i": u.id})
            self._bump_auth(conn)

        self.db.write(op)
        self.forget_auth()
        return self.get_user(u.id)

    def delete_user(self, admin: User, user: int | str) -> dict[str, Any]:
        """Delete a user who has no annotations, reviews or gold (else deactivate them).

        Their tokens, sessions, memberships and skips go with them.
        """
        u = self.get_user(user)
        if u.id == admin.id:
            raise BadRequest("you cannot delete yourself; ask another admin")

        def op(conn: Any) -> None:
            work = conn.execute(
                self._text(
                    "SELECT (SELECT COUNT(*) FROM annotations WHERE user_id = :u) + "
                    "(SELECT COUNT(*) FROM reviews WHERE reviewer_id = :u) + "
                    "(SELECT COUNT(*) FROM tasks WHERE gold_by = :u)"
                ),
                {"u": u.id},
            ).scalar_one()
            if work:
                raise Conflict(
                    f"{u.username} has {work} annotation(s), review(s) or gold answer(s), which "
                    "would lose their author; deactivate the user instead (PATCH active=false)"
                )
            conn.execute(self._text("DELETE FROM skips WHERE user_id = :u"), {"u": u.id})
            conn.execute(self._text("DELETE FROM users WHERE id = :u"), {"u": u.id})
            self._bump_auth(conn)

        self.db.write(op)
        self.forget_auth()
        return {"deleted": u.username}

    def authenticate(self, username: str, password: str, *, client: str | None = None) -> User:
        """The user for a username and password, or :class:`AuthError`.

        Wrong passwords are throttled (see :mod:`labelwise.app.throttle`): after repeated
        failures on a name or from a ``client`` address, attempts get
        :class:`~labelwise.app.errors.TooManyRequests` until the wait is over.
        """
        self.login_throttle.check(username, client)
        row = self._first(
            "SELECT id, username, role, active, password_hash FROM users WHERE username = :u",
            {"u": username},
        )
        # Verify against a dummy hash for unknown users too, so timing does not tell.
        stored = row.password_hash if row is not None else _dummy_hash()
        with self.login_throttle.slot():
            ok = check_password(stored, password)
        if row is None or not ok or not row.active:
            self.login_throttle.failed(username, client)
            raise AuthError("wrong username or password")
        self.login_throttle.succeeded(username)
        return self._user(row)

    def create_token(
        self,
        user: User | int | str,
        *,
        name: str = "api",
        expires_days: float | None = TOKEN_DAYS,
    ) -> str:
        """A new API token for ``user`` (shown once; only its hash is stored).

        ``expires_days``: lifetime in days (default 90); ``None`` for a token that never
        expires (revoke it when it is no longer needed).
        """
        u = user if isinstance(user, User) else self.get_user(user)
        if expires_days is not None and not (
            isinstance(expires_days, (int, float)) and 0 < expires_days <= 3650
        ):
            raise BadRequest(f"expires_days must be from 0 to 3650 (or none), got {expires_days!r}")
        secret = new_secret()
        now = time.time()
        expires = None if expires_days is None else now + float(expires_days) * 86400
        self.db.write(
            lambda conn: conn.execute(
                self._text(
                    "INSERT INTO tokens (user_id, token_hash, name, created_at, expires_at) "
                    "VALUES (:u, :h, :n, :t, :e)"
                ),
                {"u": u.id, "h": hash_secret(secret), "n": name[:64], "t": now, "e": expires},
            )
        )
        return secret

    def list_tokens(self, user: User | int | str) -> list[dict[str, Any]]:
        """``user``'s API tokens (never the secrets): id, name, created, expires, last used."""
        u = user if isinstance(user, User) else self.get_user(user)
        rows = self._rows(
            "SELECT id, name, created_at, expires_at, last_used_at FROM tokens WHERE user_id = :u "
            "ORDER BY id",
            {"u": u.id},
        )
        now = time.time()
        return [
            {
                "id": int(r.id),
                "name": r.name,
                "created_at": r.created_at,
                "expires_at": r.expires_at,
                "last_used_at": r.last_used_at,
                "expired": r.expires_at is not None and r.expires_at < now,
            }
            for r in rows
        ]

    def revoke_token(self, user: User | int | str, token_id: int) -> None:
        """Delete one of ``user``'s tokens; it stops working at once (other processes: < 1 s)."""
        u = user if isinstance(user, User) else self.get_user(user)

        def op(conn: Any) -> int:
            n = conn.execute(
                self._text("DELETE FROM tokens WHERE id = :i AND user_id = :u"),
                {"i": int(token_id), "u": u.id},
            ).rowcount
            if n:
                self._bump_auth(conn)
            return int(n or 0)

        if not self.db.write(op):
            raise NotFound(f"{u.username} has no token {token_id}")
        self.forget_auth()

    def user_for_token(self, secret: str) -> User | None:
        h = hash_secret(secret)
        key = ("token", h)
        hit, value = self._cached(key)
        if hit:
            return value
        row = self._first(
            "SELECT t.id AS token_id, t.expires_at, t.last_used_at, u.id, u.username, u.role, u.active "
            "FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = :h",
            {"h": h},
        )
        now = time.time()
        if row is None or not row.active or (row.expires_at is not None and row.expires_at < now):
            return self._remember(key, None)
        if row.last_used_at is None or row.last_used_at < now - USE_STAMP_SECONDS:
            self.db.write(
                lambda conn: conn.execute(
                    self._text("UPDATE tokens SET last_used_at = :n WHERE id = :i"),
                    {"n": now, "i": row.token_id},
                ),
                durable=False,  # a last-used stamp: not worth a disk flush per token
            )
        return self._remember(key, self._user(row))

    def create_session(self, user: User) -> tuple[str, str]:
        """A new login session: ``(session id, CSRF token)``."""
        sid, csrf = new_secret(), new_secret()
        now = time.time()

        def op(conn: Any) -> None:
            conn.execute(
                self._text("DELETE FROM sessions WHERE expires_at < :t OR last_seen < :idle"),
                {"t": now, "idle": now - self.session_idle_seconds},
            )
            conn.execute(
                self._text(
                    "INSERT INTO sessions (token_hash, user_id, csrf, expires_at, last_seen) "
                    "VALUES (:h, :u, :c, :e, :n)"
                ),
                {
                    "h": hash_secret(sid),
                    "u": user.id,
                    "c": csrf,
                    "e": now + SESSION_SECONDS,
                    "n": now,
                },
            )

        self.db.write(op)
        return sid, csrf

    def session_user(self, sid: str) -> tuple[User, str] | None:
        """The user and CSRF token of a live session; ``None`` once it expired or sat idle
        longer than ``session_idle_seconds``. Use keeps it alive (stamped once a minute)."""
        h = hash_secret(sid)
        key = ("session", h)
        hit, value = self._cached(key)
        if hit:
            return value
        row = self._first(
            "SELECT u.id, u.username, u.role, u.active, s.csrf, s.expires_at, s.last_seen "
            "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = :h",
            {"h": h},
        )
        now = time.time()
        if row is None or row.expires_at < now or not row.active:
            return None
        seen = row.last_seen if row.last_seen is not None else now
        if seen < now - self.session_idle_seconds:
            self.db.write(
                lambda conn: conn.execute(
                    self._text("DELETE FROM sessions WHERE token_hash = :h"), {"h": h}
                )
            )
            return None
        if row.last_seen is None or row.last_seen < now - USE_STAMP_SECONDS:
            self.db.write(
                lambda conn: conn.execute(
                    self._text("UPDATE sessions SET last_seen = :n WHERE token_hash = :h"),
                    {"n": now, "h": h},
                ),
                durable=False,
            )
        # Cached for at most the stamp interval, so idleness is judged within a minute.
        return self._remember(key, (self._user(row), str(row.csrf)))

    def delete_session(self, sid: str) -> None:
        self._auth_cache.pop(("session", hash_secret(sid)), None)
        self.db.write(
            lambda conn: conn.execute(
                self._text("DELETE FROM sessions WHERE token_hash = :h"), {"h": hash_secret(sid)}
            )
        )


_DUMMY: str | None = None


def _dummy_hash() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password("labelwise-dummy-password")
    return _DUMMY
