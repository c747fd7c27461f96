"""Users, passwords, API tokens and login sessions."""

from __future__ import annotations

import time
from typing import Any

from labelwise.app.auth import check_password, hash_password, hash_secret, new_secret
from labelwise.app.errors import AuthError, BadRequest, Conflict
from labelwise.app.store.core import (
    _USERNAME,
    ROLES,
    SESSION_SECONDS,
    StoreCore,
    User,
)

__all__ = ["UsersStore"]


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

        self.db.write(op)
        self.forget_auth()
        return {"deleted": u.username}

    def authenticate(self, username: str, password: str) -> User:
        """The user for a username and password, or :class:`AuthError`."""
        row = self._first(
            "SELECT id, username, role, active, password_hash FROM users WHERE username = :u",
            {"u": username},
        )
        # Verify against a dummy hash for unknown users too, so timing does not tell.
        stored = row.password_hash if row is not None else _dummy_hash()
        ok = check_password(stored, password)
        if row is None or not ok or not row.active:
            raise AuthError("wrong username or password")
        return self._user(row)

    def create_token(self, user: User | int | str, *, name: str = "api") -> str:
        """A new API token for ``user`` (shown once; only its hash is stored)."""
        u = user if isinstance(user, User) else self.get_user(user)
        secret = new_secret()
        self.db.write(
            lambda conn: conn.execute(
                self._text(
                    "INSERT INTO tokens (user_id, token_hash, name, created_at) VALUES (:u, :h, :n, :t)"
                ),
                {"u": u.id, "h": hash_secret(secret), "n": name[:64], "t": time.time()},
            )
        )
        return secret

    def user_for_token(self, secret: str) -> User | None:
        key = ("token", hash_secret(secret))
        hit, value = self._cached(key)
        if hit:
            return value
        row = self._first(
            "SELECT u.id, u.username, u.role, u.active FROM tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_hash = :h",
            {"h": hash_secret(secret)},
        )
        if row is None or not row.active:
            return self._remember(key, None)
        return self._remember(key, self._user(row))

    def create_session(self, user: User) -> tuple[str, str]:
        """A new login session: ``(session id, CSRF token)``."""
        sid, csrf = new_secret(), new_secret()
        now = time.time()

        def op(conn: Any) -> None:
            conn.execute(self._text("DELETE FROM sessions WHERE expires_at < :t"), {"t": now})
            conn.execute(
                self._text(
                    "INSERT INTO sessions (token_hash, user_id, csrf, expires_at) VALUES (:h, :u, :c, :e)"
                ),
                {"h": hash_secret(sid), "u": user.id, "c": csrf, "e": now + SESSION_SECONDS},
            )

        self.db.write(op)
        return sid, csrf

    def session_user(self, sid: str) -> tuple[User, str] | None:
        key = ("session", hash_secret(sid))
        hit, value = self._cached(key)
        if hit:
            return value
        row = self._first(
            "SELECT u.id, u.username, u.role, u.active, s.csrf, s.expires_at FROM sessions s "
            "JOIN users u ON u.id = s.user_id WHERE s.token_hash = :h",
            {"h": hash_secret(sid)},
        )
        if row is None or row.expires_at < time.time() or not row.active:
            return None
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
