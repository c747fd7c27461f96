"""The app's service layer: users, projects, tasks, the work queue, annotations, review, gold.

Routes and CLI commands call :class:`Store` and hold no logic of their own. Every write goes
through the database's single writer (see :mod:`labelwise.app.db`) and is committed before
the method returns.

The work queue
--------------
A task is *open* while fewer than ``overlap`` counted annotations (submitted, accepted or
fixed) exist. Open tasks sit in a partial index ordered by ``queue_key`` (import order,
a seeded random key, or the pre-label confidence for "least confident first"), so finding
the next task walks only the head of that index: O(log n) at 100k tasks. Handing a task out
*reserves* it for that user (in memory, 10 minutes) so that with ``overlap = 1`` two people
never get the same task; reservations are only a courtesy, the database is the truth.

Examples
--------
>>> import tempfile
>>> from labelwise.formats import Item
>>> store = Store.open(tempfile.mkdtemp())
>>> admin = store.create_user("admin", "correct-horse-9", role="admin")
>>> p = store.create_project("demo", {"object": {"type": "text"},
...     "controls": [{"name": "s", "type": "choices", "labels": ["neg", "pos"]}]})
>>> store.add_tasks(p.id, [Item("1", {"text": "great"})])["tasks"]
1
>>> task = store.next_tasks(admin, p.id)[0]
>>> ann, created = store.submit(admin, p.id, task["id"], {"s": "pos"}, submission_id="first-submit")
>>> created, store.next_tasks(admin, p.id)
(True, [])
>>> store.close()
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.app.auth import check_password, hash_password, hash_secret, new_secret
from labelwise.app.db import Database
from labelwise.app.errors import AuthError, BadRequest, Conflict, Forbidden, NotFound
from labelwise.formats import Annotation, Item, LabelConfig
from labelwise.formats.schema import ConfigError, ResultError

__all__ = [
    "COUNTED_STATUSES",
    "QUEUE_ORDERS",
    "ROLES",
    "Project",
    "Store",
    "User",
]

ROLES = ("admin", "reviewer", "annotator")
QUEUE_ORDERS = ("sequential", "random", "uncertainty")
COUNTED_STATUSES = ("submitted", "accepted", "fixed")
STATUSES = (*COUNTED_STATUSES, "rejected")
REVIEW_ACTIONS = ("accept", "reject", "fix")
MAX_TASK_BYTES = 1_000_000
SESSION_SECONDS = 14 * 24 * 3600
RESERVATION_SECONDS = 600.0
#: How long a token, session or membership lookup is reused in memory. Changes made through
#: this process drop the cache at once; changes from another process apply within this time.
AUTH_CACHE_SECONDS = 10.0
_USERNAME = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
_NO_PREDICTION_KEY = 2.0


def _dumps(obj: Any) -> str:
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


@dataclass(frozen=True)
class User:
    """A person (or a bot holding an API token)."""

    id: int
    username: str
    role: str
    active: bool = True

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_review(self) -> bool:
        return self.role in ("admin", "reviewer")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "role": self.role, "active": self.active}


@dataclass(frozen=True)
class Project:
    """A labeling project: its config and queue settings."""

    id: int
    name: str
    description: str
    config: LabelConfig
    overlap: int
    queue_order: str
    seed: int
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "config": self.config.to_dict(),
            "overlap": self.overlap,
            "queue_order": self.queue_order,
            "seed": self.seed,
            "created_at": self.created_at,
        }


class _Reservations:
    """Who has been handed which task, in memory, with expiry."""

    def __init__(self, ttl: float = RESERVATION_SECONDS) -> None:
        self.ttl = ttl
        self.lock = threading.Lock()
        self.by_task: dict[int, dict[int, float]] = {}
        self.by_user: dict[tuple[int, int], list[int]] = {}
        self.by_project: dict[int, set[int]] = {}
        self.project_locks: dict[int, threading.Lock] = {}

    def project_lock(self, project_id: int) -> threading.Lock:
        with self.lock:
            return self.project_locks.setdefault(project_id, threading.Lock())

    def _purge_task(self, project_id: int, task_id: int, now: float) -> dict[int, float]:
        holders = self.by_task.get(task_id, {})
        for uid in [u for u, exp in holders.items() if exp < now]:
            del holders[uid]
            lst = self.by_user.get((project_id, uid))
            if lst and task_id in lst:
                lst.remove(task_id)
        if not holders:
            self.by_task.pop(task_id, None)
            self.by_project.get(project_id, set()).discard(task_id)
        return holders

    def held_by(self, project_id: int, user_id: int) -> list[int]:
        now = time.time()
        with self.lock:
            out = []
            for t in list(self.by_user.get((project_id, user_id), [])):
                if user_id in self._purge_task(project_id, t, now):
                    out.append(t)
            return out

    def reserved_in(self, project_id: int) -> set[int]:
        now = time.time()
        with self.lock:
            for t in list(self.by_project.get(project_id, ())):
                self._purge_task(project_id, t, now)
            return set(self.by_project.get(project_id, ()))

    def others(self, project_id: int, task_id: int, user_id: int) -> int:
        with self.lock:
            holders = self._purge_task(project_id, task_id, time.time())
            return sum(1 for u in holders if u != user_id)

    def reserve(self, project_id: int, user_id: int, task_id: int) -> None:
        with self.lock:
            self.by_task.setdefault(task_id, {})[user_id] = time.time() + self.ttl
            lst = self.by_user.setdefault((project_id, user_id), [])
            if task_id not in lst:
                lst.append(task_id)
            self.by_project.setdefault(project_id, set()).add(task_id)

    def release(self, project_id: int, user_id: int, task_id: int) -> None:
        with self.lock:
            holders = self.by_task.get(task_id)
            if holders is not None:
                holders.pop(user_id, None)
                if not holders:
                    del self.by_task[task_id]
                    self.by_project.get(project_id, set()).discard(task_id)
            lst = self.by_user.get((project_id, user_id))
            if lst and task_id in lst:
                lst.remove(task_id)


class Store:
    """Everything the app stores, behind methods that check permissions and inputs.

    Parameters
    ----------
    db : Database
    media_root : Path, optional
        Folder holding ``<project id>/...`` media; media are served from there only.
    """

    def __init__(self, db: Database, *, media_root: Path | None = None) -> None:
        import sqlalchemy as sa

        self.sa = sa
        self.db = db
        self.media_root = None if media_root is None else Path(media_root)
        self.reservations = _Reservations()
        self._projects: dict[int, Project] = {}
        self._projects_lock = threading.Lock()
        self._auth_cache: dict[Any, tuple[float, Any]] = {}
        self._clauses: dict[str, Any] = {}

    def _cached(self, key: Any) -> tuple[bool, Any]:
        hit = self._auth_cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def _remember(self, key: Any, value: Any) -> Any:
        if len(self._auth_cache) > 100_000:
            self._auth_cache.clear()
        self._auth_cache[key] = (time.monotonic() + AUTH_CACHE_SECONDS, value)
        return value

    def forget_auth(self) -> None:
        """Drop cached token, session and membership lookups (after users or members change)."""
        self._auth_cache.clear()

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(
        cls, target: str | Path, *, synchronous: str = "FULL", media_root: str | Path | None = None
    ) -> Store:
        """A store for a project folder (SQLite inside it) or a SQLAlchemy URL.

        With a URL, ``media_root`` says where media live (default: no media serving).
        """
        s = str(target)
        if "://" in s:
            db = Database(s, synchronous=synchronous)
            return cls(db, media_root=None if media_root is None else Path(media_root))
        folder = Path(target)
        if folder.exists() and not folder.is_dir():
            raise BadRequest(f"{str(folder)!r} is a file; give a project folder")
        db = Database.for_folder(folder, synchronous=synchronous)
        root = Path(media_root) if media_root is not None else folder / "media"
        root.mkdir(parents=True, exist_ok=True)
        return cls(db, media_root=root)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _text(self, sql: str) -> Any:
        # One TextClause per SQL string: SQLAlchemy then reuses its compiled form.
        clause = self._clauses.get(sql)
        if clause is None:
            clause = self._clauses[sql] = self.sa.text(sql)
        return clause

    def _first(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """The first row of one read query (``None`` when there is none)."""
        with self.db.read() as conn:
            return conn.execute(self._text(sql), dict(params or {})).first()

    def _rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every row of one read query."""
        with self.db.read() as conn:
            return list(conn.execute(self._text(sql), dict(params or {})).all())

    # ------------------------------------------------------------------ users
    @staticmethod
    def _user(row: Any) -> User:
        return User(int(row.id), str(row.username), str(row.role), bool(row.active))

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

    def get_user(self, user: int | str) -> User:
        col = "id" if isinstance(user, int) else "username"
        row = self._first(
            f"SELECT id, username, role, active FROM users WHERE {col} = :v", {"v": user}
        )
        if row is None:
            raise NotFound(f"no user {user!r}")
        return self._user(row)

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

    # ------------------------------------------------------------------ projects
    def _project_from_row(self, row: Any) -> Project:
        return Project(
            id=int(row.id),
            name=str(row.name),
            description=str(row.description or ""),
            config=LabelConfig.from_dict(json.loads(row.config)),
            overlap=int(row.overlap),
            queue_order=str(row.queue_order),
            seed=int(row.seed),
            created_at=float(row.created_at),
        )

    def create_project(
        self,
        name: str,
        config: LabelConfig | Mapping[str, Any] | str | Path,
        *,
        description: str = "",
        overlap: int = 1,
        queue_order: str = "sequential",
        seed: int = 0,
    ) -> Project:
        """Create a project from a label configuration (object, YAML/JSON text or file)."""
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise BadRequest("project name must be 1-200 characters")
        try:
            cfg = LabelConfig.coerce(config)
        except ConfigError as exc:
            raise BadRequest(str(exc)) from None
        self._check_settings(overlap, queue_order)

        def op(conn: Any) -> int:
            if conn.execute(
                self._text("SELECT 1 FROM projects WHERE name = :n"), {"n": name}
            ).first():
                raise Conflict(f"a project named {name!r} already exists")
            return int(
                conn.execute(
                    self._text(
                        "INSERT INTO projects (name, description, config, overlap, queue_order, seed, created_at) "
                        "VALUES (:n, :d, :c, :o, :q, :s, :t) RETURNING id"
                    ),
                    {
                        "n": name.strip(),
                        "d": description,
                        "c": cfg.to_json(),
                        "o": int(overlap),
                        "q": queue_order,
                        "s": int(seed),
                        "t": time.time(),
                    },
                ).scalar_one()
            )

        pid = self.db.write(op)
        if self.media_root is not None:
            (self.media_root / str(pid)).mkdir(parents=True, exist_ok=True)
        return self.get_project(pid)

    @staticmethod
    def _check_settings(overlap: int, queue_order: str) -> None:
        if not isinstance(overlap, int) or isinstance(overlap, bool) or not 1 <= overlap <= 100:
            raise BadRequest(f"overlap must be an integer from 1 to 100, got {overlap!r}")
        if queue_order not in QUEUE_ORDERS:
            raise BadRequest(f"queue order {queue_order!r} is not one of {list(QUEUE_ORDERS)}")

    def get_project(self, project: int | str) -> Project:
        if isinstance(project, int):
            cached = self._projects.get(project)
            if cached is not None:
                return cached
        col = "id" if isinstance(project, int) else "name"
        row = self._first(f"SELECT * FROM projects WHERE {col} = :v", {"v": project})
        if row is None:
            raise NotFound(f"no project {project!r}")
        p = self._project_from_row(row)
        with self._projects_lock:
            self._projects[p.id] = p
        return p

    def list_projects(self, user: User | None = None) -> list[Project]:
        """Every project (admins, or ``user=None``) or the projects ``user`` is a member of."""
        if user is None or user.is_admin:
            rows = self._rows("SELECT * FROM projects ORDER BY id")
        else:
            rows = self._rows(
                "SELECT p.* FROM projects p JOIN members m ON m.project_id = p.id "
                "WHERE m.user_id = :u ORDER BY p.id",
                {"u": user.id},
            )
        return [self._project_from_row(r) for r in rows]

    def update_project(
        self,
        project_id: int,
        *,
        overlap: int | None = None,
        queue_order: str | None = None,
        description: str | None = None,
        seed: int | None = None,
    ) -> Project:
        """Change queue settings; a new order re-keys every task, a new overlap re-opens or closes tasks."""
        p = self.get_project(project_id)
        new_overlap = p.overlap if overlap is None else overlap
        new_order = p.queue_order if queue_order is None else queue_order
        new_seed = p.seed if seed is None else int(seed)
        self._check_settings(new_overlap, new_order)

        def op(conn: Any) -> None:
            conn.execute(
                self._text(
                    "UPDATE projects SET overlap = :o, queue_order = :q, seed = :s, description = :d WHERE id = :i"
                ),
                {
                    "o": new_overlap,
                    "q": new_order,
                    "s": new_seed,
                    "d": p.description if description is None else description,
                    "i": p.id,
                },
            )
            if new_overlap != p.overlap:
                conn.execute(
                    self._text(
                        "UPDATE tasks SET overlap = :o, open = CASE WHEN n_done < :o THEN 1 ELSE 0 END "
                        "WHERE project_id = :p"
                    ),
                    {"o": new_overlap, "p": p.id},
                )
            if new_order != p.queue_order or new_seed != p.seed:
                self._rekey(conn, p.id, new_order, new_seed)

        self.db.write(op)
        with self._projects_lock:
            self._projects.pop(p.id, None)
        return self.get_project(p.id)

    def _rekey(self, conn: Any, project_id: int, order: str, seed: int, *, min_id: int = 0) -> None:
        """Set ``queue_key`` for the project's tasks with id > ``min_id``."""
        params = {"p": project_id, "m": min_id}
        if order == "sequential":
            conn.execute(
                self._text("UPDATE tasks SET queue_key = id WHERE project_id = :p AND id > :m"),
                params,
            )
        elif order == "uncertainty":
            conn.execute(
                self._text(
                    "UPDATE tasks SET queue_key = COALESCE((SELECT MIN(score) FROM predictions pr "
                    f"WHERE pr.task_id = tasks.id AND pr.score IS NOT NULL), {_NO_PREDICTION_KEY}) "
                    "WHERE project_id = :p AND id > :m"
                ),
                params,
            )
        else:
            ids = [
                r[0]
                for r in conn.execute(
                    self._text("SELECT id FROM tasks WHERE project_id = :p AND id > :m"), params
                )
            ]
            # The key depends on (seed, task id) only, so re-keying is reproducible.
            keys = [float(np.random.default_rng([seed, project_id, i]).random()) for i in ids]
            if ids:
                conn.execute(
                    self._text("UPDATE tasks SET queue_key = :k WHERE id = :i"),
                    [{"k": k, "i": i} for k, i in zip(keys, ids, strict=True)],
                )

    def add_member(self, project_id: int, user: User | int | str) -> None:
        u = user if isinstance(user, User) else self.get_user(user)
        self.get_project(project_id)
        self.db.write(
            lambda conn: conn.execute(
                self._text(
                    "INSERT INTO members (project_id, user_id) VALUES (:p, :u) ON CONFLICT DO NOTHING"
                ),
                {"p": project_id, "u": u.id},
            )
        )
        self.forget_auth()

    def remove_member(self, project_id: int, user: User | int | str) -> None:
        u = user if isinstance(user, User) else self.get_user(user)
        self.db.write(
            lambda conn: conn.execute(
                self._text("DELETE FROM members WHERE project_id = :p AND user_id = :u"),
                {"p": project_id, "u": u.id},
            )
        )
        self.forget_auth()

    def members(self, project_id: int) -> list[User]:
        rows = self._rows(
            "SELECT u.id, u.username, u.role, u.active FROM members m JOIN users u ON u.id = m.user_id "
            "WHERE m.project_id = :p ORDER BY u.username",
            {"p": project_id},
        )
        return [self._user(r) for r in rows]

    def check_access(
        self, user: User, project_id: int, *, review: bool = False, admin: bool = False
    ) -> Project:
        """The project if ``user`` may use it (``review``: also review; ``admin``: manage).

        Non-members get :class:`NotFound` (no hint the project exists).
        """
        p = self.get_project(project_id)
        if user.is_admin:
            return p
        key = ("member", p.id, user.id)
        hit, member = self._cached(key)
        if not hit:
            found = self._first(
                "SELECT 1 FROM members WHERE project_id = :p AND user_id = :u",
                {"p": p.id, "u": user.id},
            )
            member = self._remember(key, found is not None)
        if not member:
            raise NotFound(f"no project {project_id!r}")
        if admin:
            raise Forbidden("only admins can manage projects")
        if review and not user.can_review:
            raise Forbidden(
                f"{user.username} is an annotator; reviewing needs the reviewer or admin role"
            )
        return p

    # ------------------------------------------------------------------ tasks
    def add_tasks(
        self,
        project_id: int,
        items: Sequence[Item],
        *,
        on_duplicate: str = "error",
    ) -> dict[str, Any]:
        """Add items as tasks, with any annotations and predictions they carry, in one transaction.

        Parameters
        ----------
        items : sequence of Item
        on_duplicate : {"error", "skip", "merge"}
            What to do with item ids the project already has: fail, leave them alone, or
            add the new annotations and predictions to the existing tasks.

        Returns
        -------
        dict
            Counts of ``tasks``, ``annotations``, ``predictions`` added and ``skipped`` ids.

        Raises
        ------
        BadRequest, Conflict
            Before anything is written: nothing is half-imported.
        """
        p = self.get_project(project_id)
        if on_duplicate not in ("error", "skip", "merge"):
            raise BadRequest(
                f"on_duplicate must be 'error', 'skip' or 'merge', got {on_duplicate!r}"
            )
        ids = [str(it.id) for it in items]
        seen: set[str] = set()
        dups = [i for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]
        if dups:
            raise Conflict(
                f"the import repeats item ids {sorted(set(dups))[:10]}; ids must be unique"
            )
        rows, anns, preds = [], [], []
        annotators: set[str] = set()
        for n, it in enumerate(items):
            if not it.id or len(str(it.id)) > 200:
                raise BadRequest(f"item {n}: id must be 1-200 characters, got {it.id!r}")
            try:
                data_json = _dumps(it.data)
            except (TypeError, ValueError) as exc:
                raise BadRequest(f"item {it.id!r}: data is not JSON-serializable ({exc})") from None
            if len(data_json) > MAX_TASK_BYTES:
                raise BadRequest(
                    f"item {it.id!r}: data is {len(data_json)} bytes; the limit is {MAX_TASK_BYTES} per task"
                )
            rows.append((str(it.id), data_json))
            for a in it.annotations:
                result = self._validate(p, a.result, it.data, where=f"item {it.id!r} annotation")
                status = str(a.meta.get("status", "submitted"))
                if status not in STATUSES:
                    status = "submitted"
                who = a.annotator or "imported"
                annotators.add(who)
                anns.append((str(it.id), who, _dumps(result), status))
            for pr in it.predictions:
                result = self._validate(
                    p, pr.result, it.data, where=f"item {it.id!r} prediction", partial=True
                )
                score = pr.meta.get("score")
                if score is not None and not (
                    isinstance(score, (int, float)) and math.isfinite(score)
                ):
                    raise BadRequest(
                        f"item {it.id!r}: prediction score must be a number, got {score!r}"
                    )
                preds.append((str(it.id), pr.annotator or "prediction", _dumps(result), score))
        bad_names = [a for a in annotators if not _USERNAME.match(a)]
        if bad_names:
            raise BadRequest(f"annotator names {bad_names[:5]} cannot be user names; rename them")
        placeholder_pw = hash_password(new_secret()) if annotators else ""

        def op(conn: Any) -> dict[str, Any]:
            existing: set[str] = set()
            for chunk in _chunks(ids, 500):
                q = self.sa.text(
                    "SELECT item_id FROM tasks WHERE project_id = :p AND item_id IN :ids"
                ).bindparams(self.sa.bindparam("ids", expanding=True))
                existing.update(r[0] for r in conn.execute(q, {"p": p.id, "ids": chunk}))
            if existing and on_duplicate == "error":
                raise Conflict(
                    f"{len(existing)} item ids already exist in project {p.name!r} (e.g. {sorted(existing)[:5]}); "
                    "import with on_duplicate='skip' to add only new items"
                )
            max_before = conn.execute(
                self._text("SELECT COALESCE(MAX(id), 0) FROM tasks")
            ).scalar_one()
            now = time.time()
            new_rows = [r for r in rows if r[0] not in existing]
            if new_rows:
                conn.execute(
                    self._text(
                        "INSERT INTO tasks (project_id, item_id, data, queue_key, overlap, n_done, open, created_at) "
                        "VALUES (:p, :i, :d, 0, :o, 0, 1, :t)"
                    ),
                    [{"p": p.id, "i": i, "d": d, "o": p.overlap, "t": now} for i, d in new_rows],
                )
            task_ids = {
                r.item_id: int(r.id)
                for r in conn.execute(
                    self._text("SELECT id, item_id FROM tasks WHERE project_id = :p AND id > :m"),
                    {"p": p.id, "m": max_before},
                )
            }
            if on_duplicate == "merge" and existing:
                for chunk in _chunks(sorted(existing), 500):
                    q = self.sa.text(
                        "SELECT id, item_id FROM tasks WHERE project_id = :p AND item_id IN :ids"
                    ).bindparams(self.sa.bindparam("ids", expanding=True))
                    task_ids.update(
                        {r.item_id: int(r.id) for r in conn.execute(q, {"p": p.id, "ids": chunk})}
                    )
            user_ids: dict[str, int] = {}
            for who in sorted(annotators):
                row = conn.execute(
                    self._text("SELECT id FROM users WHERE username = :u"), {"u": who}
                ).first()
                if row is None:
                    row = conn.execute(
                        self._text(
                            "INSERT INTO users (username, password_hash, role, active, created_at) "
                            "VALUES (:u, :p, 'annotator', 0, :t) RETURNING id"
                        ),
                        {"u": who, "p": placeholder_pw, "t": now},
                    ).first()
                user_ids[who] = int(row[0])
            ann_rows: list[dict[str, Any]] = []
            seen_pairs: set[tuple[int, int]] = set()
            for item_id, who, result, status in anns:
                tid = task_ids.get(item_id)
                if tid is None:
                    continue
                pair = (tid, user_ids[who])
                if pair in seen_pairs:
                    raise Conflict(
                        f"item {item_id!r} has two annotations by {who!r}; keep one per annotator"
                    )
                seen_pairs.add(pair)
                if (
                    tid <= max_before
                    and conn.execute(
                        self._text("SELECT 1 FROM annotations WHERE task_id = :t AND user_id = :u"),
                        {"t": tid, "u": user_ids[who]},
                    ).first()
                ):
                    raise Conflict(
                        f"item {item_id!r} already has an annotation by {who!r}; nothing was imported"
                    )
                ann_rows.append(
                    {
                        "t": tid,
                        "p": p.id,
                        "u": user_ids[who],
                        "s": f"import-{uuid.uuid4().hex}",
                        "r": result,
                        "st": status,
                        "now": now,
                    }
                )
            if ann_rows:
                conn.execute(
                    self._text(
                        "INSERT INTO annotations (task_id, project_id, user_id, submission_id, result, status, "
                        "created_at, updated_at) VALUES (:t, :p, :u, :s, :r, :st, :now, :now)"
                    ),
                    ann_rows,
                )
                touched = sorted({int(r["t"]) for r in ann_rows})
                for chunk in _chunks(touched, 500):
                    q = self.sa.text(
                        "UPDATE tasks SET n_done = (SELECT COUNT(*) FROM annotations a WHERE a.task_id = tasks.id "
                        "AND a.status != 'rejected') WHERE id IN :ids"
                    ).bindparams(self.sa.bindparam("ids", expanding=True))
                    conn.execute(q, {"ids": chunk})
                    q = self.sa.text(
                        "UPDATE tasks SET open = CASE WHEN n_done < overlap THEN 1 ELSE 0 END WHERE id IN :ids"
                    ).bindparams(self.sa.bindparam("ids", expanding=True))
                    conn.execute(q, {"ids": chunk})
            pred_rows = [
                {"t": task_ids[i], "s": src, "r": r, "sc": sc, "now": now}
                for i, src, r, sc in preds
                if i in task_ids
            ]
            if pred_rows:
                conn.execute(
                    self._text(
                        "INSERT INTO predictions (task_id, source, result, score, created_at) "
                        "VALUES (:t, :s, :r, :sc, :now)"
                    ),
                    pred_rows,
                )
            self._rekey(conn, p.id, p.queue_order, p.seed, min_id=max_before)
            return {
                "tasks": len(new_rows),
                "annotations": len(ann_rows),
                "predictions": len(pred_rows),
                "skipped": sorted(existing),
            }

        return self.db.write(op)

    def _validate(
        self,
        p: Project,
        result: Any,
        data: Mapping[str, Any],
        *,
        where: str = "result",
        partial: bool = False,
    ) -> dict[str, Any]:
        try:
            return p.config.validate_result(result, data, partial=partial)
        except ResultError as exc:
            raise BadRequest(f"{where}: {exc}") from None

    def _task_row(self, conn: Any, project_id: int, task_id: int) -> Any:
        row = conn.execute(
            self._text("SELECT * FROM tasks WHERE id = :t AND project_id = :p"),
            {"t": task_id, "p": project_id},
        ).first()
        if row is None:
            raise NotFound(f"no task {task_id} in project {project_id}")
        return row

    def _task_dict(
        self, conn: Any, row: Any, user: User | None, *, full: bool = False, mine: bool = True
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": int(row.id),
            "project_id": int(row.project_id),
            "item_id": row.item_id,
            "data": json.loads(row.data),
            "n_done": int(row.n_done),
            "overlap": int(row.overlap),
            "complete": not row.open,
            "gold": None if row.gold is None else json.loads(row.gold),
        }
        preds = conn.execute(
            self._text(
                "SELECT source, result, score FROM predictions WHERE task_id = :t ORDER BY score DESC, id"
            ),
            {"t": row.id},
        ).all()
        out["predictions"] = [
            {"source": r.source, "result": json.loads(r.result), "score": r.score} for r in preds
        ]
        notes = conn.execute(
            self._text(
                "SELECT r.comment, r.created_at FROM reviews r JOIN annotations a ON a.id = r.annotation_id "
                "WHERE a.task_id = :t AND r.action = 'reject' AND r.comment != '' ORDER BY r.id"
            ),
            {"t": row.id},
        ).all()
        out["review_comments"] = [n.comment for n in notes]
        if user is not None and not mine:
            out["my_annotation"] = None  # the queue only hands out tasks the user has not done
        elif user is not None:
            found = conn.execute(
                self._text("SELECT * FROM annotations WHERE task_id = :t AND user_id = :u"),
                {"t": row.id, "u": user.id},
            ).first()
            out["my_annotation"] = None if found is None else self._ann_dict(found, user.username)
        if full:
            rows = conn.execute(
                self._text(
                    "SELECT a.*, u.username FROM annotations a JOIN users u ON u.id = a.user_id "
                    "WHERE a.task_id = :t ORDER BY a.id"
                ),
                {"t": row.id},
            ).all()
            out["annotations"] = [self._ann_dict(r, r.username) for r in rows]
        return out

    @staticmethod
    def _ann_dict(row: Any, username: str | None = None) -> dict[str, Any]:
        return {
            "id": int(row.id),
            "task_id": int(row.task_id),
            "project_id": int(row.project_id),
            "user_id": int(row.user_id),
            "username": username,
            "submission_id": row.submission_id,
            "result": json.loads(row.result),
            "status": row.status,
            "lead_time": row.lead_time,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }

    def get_task(self, user: User, project_id: int, task_id: int) -> dict[str, Any]:
        """One task; reviewers and admins also see every annotation on it."""
        self.check_access(user, project_id)
        with self.db.read() as conn:
            row = self._task_row(conn, project_id, task_id)
            return self._task_dict(conn, row, user, full=user.can_review)

    def list_tasks(
        self,
        user: User,
        project_id: int,
        *,
        offset: int = 0,
        limit: int = 50,
        status: str | None = None,
    ) -> dict[str, Any]:
        """A page of tasks (reviewers/admins), filtered by ``open``/``complete``."""
        self.check_access(user, project_id, review=True)
        limit = max(1, min(int(limit), 500))
        where = "project_id = :p"
        if status == "open":
            where += " AND open = 1"
        elif status == "complete":
            where += " AND open = 0"
        elif status is not None:
            raise BadRequest(f"status filter {status!r} must be 'open' or 'complete'")
        with self.db.read() as conn:
            total = conn.execute(
                self._text(f"SELECT COUNT(*) FROM tasks WHERE {where}"), {"p": project_id}
            ).scalar_one()
            rows = conn.execute(
                self._text(
                    f"SELECT id, item_id, n_done, overlap, open, gold IS NOT NULL AS has_gold FROM tasks "
                    f"WHERE {where} ORDER BY id LIMIT :l OFFSET :o"
                ),
                {"p": project_id, "l": limit, "o": max(0, int(offset))},
            ).all()
        return {
            "total": int(total),
            "tasks": [
                {
                    "id": r.id,
                    "item_id": r.item_id,
                    "n_done": r.n_done,
                    "overlap": r.overlap,
                    "complete": not r.open,
                    "has_gold": bool(r.has_gold),
                }
                for r in rows
            ],
        }

    # ------------------------------------------------------------------ queue
    def next_tasks(self, user: User, project_id: int, *, count: int = 1) -> list[dict[str, Any]]:
        """The user's next ``count`` tasks (the current one, then prefetched ones).

        Never a task this user annotated or skipped, never a complete one, and (with
        reservations) never more people at once than the task's remaining overlap.
        """
        p = self.check_access(user, project_id)
        count = max(1, min(int(count), 5))
        chosen: list[int] = []
        held = self.reservations.held_by(p.id, user.id)
        if held:
            q = self.sa.text(
                "SELECT t.id FROM tasks t WHERE t.id IN :ids AND t.open = 1 AND NOT EXISTS "
                "(SELECT 1 FROM annotations a WHERE a.task_id = t.id AND a.user_id = :u) AND NOT EXISTS "
                "(SELECT 1 FROM skips s WHERE s.task_id = t.id AND s.user_id = :u)"
            ).bindparams(self.sa.bindparam("ids", expanding=True))
            with self.db.read() as conn:
                still = {r[0] for r in conn.execute(q, {"ids": held, "u": user.id})}
            for t in held:
                if t in still:
                    chosen.append(t)
                else:
                    self.reservations.release(p.id, user.id, t)
        chosen = chosen[:count]
        need = count - len(chosen)
        # The candidate query runs without the project lock; only the in-memory check and
        # reservation are serialized, so a slow query never holds other annotators up. When
        # others reserved our candidates meanwhile, ask again for a longer list.
        for attempt in range(5):
            if need <= 0:
                break
            limit = len(self.reservations.reserved_in(p.id)) + need + 4 + 32 * attempt
            rows = self._rows(
                "SELECT t.id, t.n_done, t.overlap FROM tasks t "
                "WHERE t.project_id = :p AND t.open = 1 "
                "AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.task_id = t.id AND a.user_id = :u) "
                "AND NOT EXISTS (SELECT 1 FROM skips s WHERE s.task_id = t.id AND s.user_id = :u) "
                "ORDER BY t.queue_key, t.id LIMIT :l",
                {"p": p.id, "u": user.id, "l": limit},
            )
            with self.reservations.project_lock(p.id):
                for r in rows:
                    if need == 0:
                        break
                    if r.id in chosen:
                        continue
                    if r.n_done + self.reservations.others(p.id, r.id, user.id) >= r.overlap:
                        continue
                    self.reservations.reserve(p.id, user.id, int(r.id))
                    chosen.append(int(r.id))
                    need -= 1
            if len(rows) < limit:
                break  # no more open tasks for this user
        for t in chosen:
            self.reservations.reserve(p.id, user.id, t)  # refresh the expiry of held ones
        # Reading the chosen tasks needs no lock: they are reserved for this user now.
        with self.db.read() as conn:
            return [
                self._task_dict(conn, self._task_row(conn, p.id, t), user, mine=False)
                for t in chosen
            ]

    def skip_task(self, user: User, project_id: int, task_id: int) -> None:
        """The user passes on a task; it never comes back to them."""
        p = self.check_access(user, project_id)

        def op(conn: Any) -> None:
            self._task_row(conn, p.id, task_id)
            conn.execute(
                self._text(
                    "INSERT INTO skips (task_id, user_id, created_at) VALUES (:t, :u, :n) ON CONFLICT DO NOTHING"
                ),
                {"t": task_id, "u": user.id, "n": time.time()},
            )

        self.db.write(op)
        self.reservations.release(p.id, user.id, task_id)

    # ------------------------------------------------------------------ annotations
    def submit(
        self,
        user: User,
        project_id: int,
        task_id: int,
        result: Any,
        *,
        submission_id: str | None = None,
        lead_time: float | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Store an annotation; returns ``(annotation, created)``.

        ``submission_id`` (client-made) makes the call idempotent: resending the same id
        returns the stored annotation with ``created=False`` instead of a duplicate.
        """
        p = self.check_access(user, project_id)
        sid = submission_id or uuid.uuid4().hex
        if not isinstance(sid, str) or not 8 <= len(sid) <= 64:
            raise BadRequest("submission_id must be a string of 8-64 characters (e.g. a UUID)")
        if lead_time is not None and (
            not isinstance(lead_time, (int, float)) or not math.isfinite(lead_time) or lead_time < 0
        ):
            raise BadRequest("lead_time must be a non-negative number of seconds")
        with self.db.read() as conn:
            prev = conn.execute(
                self._text("SELECT * FROM annotations WHERE submission_id = :s"), {"s": sid}
            ).first()
            if prev is not None:
                return self._replay(prev, user, task_id), False
            row = self._task_row(conn, p.id, task_id)
            data = json.loads(row.data)
        clean = self._validate(p, result, data)
        now = time.time()

        def op(conn: Any) -> tuple[dict[str, Any], bool]:
            prev = conn.execute(
                self._text("SELECT * FROM annotations WHERE submission_id = :s"), {"s": sid}
            ).first()
            if prev is not None:
                return self._replay(prev, user, task_id), False
            mine = conn.execute(
                self._text("SELECT id FROM annotations WHERE task_id = :t AND user_id = :u"),
                {"t": task_id, "u": user.id},
            ).first()
            if mine is not None:
                raise Conflict(
                    f"you already annotated task {task_id} (annotation {mine.id}); change it with "
                    f"PUT /api/annotations/{mine.id}"
                )
            ann_id = conn.execute(
                self._text(
                    "INSERT INTO annotations (task_id, project_id, user_id, submission_id, result, status, lead_time, "
                    "created_at, updated_at) VALUES (:t, :p, :u, :s, :r, 'submitted', :l, :n, :n) RETURNING id"
                ),
                {
                    "t": task_id,
                    "p": p.id,
                    "u": user.id,
                    "s": sid,
                    "r": _dumps(clean),
                    "l": lead_time,
                    "n": now,
                },
            ).scalar_one()
            self._count(conn, task_id, +1)
            stored = conn.execute(
                self._text("SELECT * FROM annotations WHERE id = :i"), {"i": ann_id}
            ).first()
            return self._ann_dict(stored, user.username), True

        out = self.db.write(op)
        self.reservations.release(p.id, user.id, task_id)
        return out

    def _replay(self, prev: Any, user: User, task_id: int) -> dict[str, Any]:
        if prev.user_id != user.id or prev.task_id != task_id:
            raise Conflict(
                "submission_id was already used for another annotation; make a new one per submit"
            )
        return self._ann_dict(prev, user.username)

    def _count(self, conn: Any, task_id: int, delta: int) -> None:
        conn.execute(
            self._text(
                "UPDATE tasks SET n_done = n_done + :d, open = CASE WHEN n_done + :d < overlap THEN 1 ELSE 0 END "
                "WHERE id = :t"
            ),
            {"d": delta, "t": task_id},
        )

    def _ann_row(self, conn: Any, ann_id: int) -> Any:
        row = conn.execute(
            self._text(
                "SELECT a.*, u.username FROM annotations a JOIN users u ON u.id = a.user_id WHERE a.id = :i"
            ),
            {"i": ann_id},
        ).first()
        if row is None:
            raise NotFound(f"no annotation {ann_id}")
        return row

    def get_annotation(self, user: User, ann_id: int) -> dict[str, Any]:
        """An annotation: its author, or a reviewer/admin of its project."""
        with self.db.read() as conn:
            row = self._ann_row(conn, ann_id)
        self._check_annotation_access(user, row)
        return self._ann_dict(row, row.username)

    def _check_annotation_access(self, user: User, row: Any, *, review: bool = False) -> None:
        if row.user_id == user.id and not review:
            self.check_access(user, row.project_id)
            return
        try:
            self.check_access(user, row.project_id, review=True)
        except Forbidden:
            raise NotFound(f"no annotation {row.id}") from None

    def update_annotation(
        self, user: User, ann_id: int, result: Any, *, lead_time: float | None = None
    ) -> dict[str, Any]:
        """The author changes their annotation (a rejected one goes back to ``submitted``)."""
        with self.db.read() as conn:
            row = self._ann_row(conn, ann_id)
            if row.user_id != user.id:
                self._check_annotation_access(user, row)
                raise Forbidden(
                    "only the author can change an annotation; reviewers use review 'fix'"
                )
            p = self.check_access(user, row.project_id)
            data = json.loads(self._task_row(conn, p.id, row.task_id).data)
        clean = self._validate(p, result, data)

        def op(conn: Any) -> dict[str, Any]:
            cur = self._ann_row(conn, ann_id)
            conn.execute(
                self._text(
                    "UPDATE annotations SET result = :r, status = 'submitted', updated_at = :n, "
                    "lead_time = COALESCE(:l, lead_time) WHERE id = :i"
                ),
                {"r": _dumps(clean), "n": time.time(), "l": lead_time, "i": ann_id},
            )
            if cur.status == "rejected":
                self._count(conn, cur.task_id, +1)
            return self._ann_dict(self._ann_row(conn, ann_id), user.username)

        return self.db.write(op)

    def list_annotations(
        self,
        user: User,
        project_id: int,
        *,
        mine: bool = False,
        status: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> dict[str, Any]:
        """Annotations of a project: annotators see only their own."""
        p = self.check_access(user, project_id)
        if not user.can_review:
            mine = True
        if status is not None and status not in STATUSES:
            raise BadRequest(f"status must be one of {list(STATUSES)}")
        where = "a.project_id = :p"
        params: dict[str, Any] = {
            "p": p.id,
            "l": max(1, min(int(limit), 500)),
            "o": max(0, int(offset)),
        }
        if mine:
            where += " AND a.user_id = :u"
            params["u"] = user.id
        if status:
            where += " AND a.status = :s"
            params["s"] = status
        with self.db.read() as conn:
            total = conn.execute(
                self._text(f"SELECT COUNT(*) FROM annotations a WHERE {where}"), params
            ).scalar_one()
            rows = conn.execute(
                self._text(
                    f"SELECT a.*, u.username, t.item_id FROM annotations a JOIN users u ON u.id = a.user_id "
                    f"JOIN tasks t ON t.id = a.task_id WHERE {where} ORDER BY a.id DESC LIMIT :l OFFSET :o"
                ),
                params,
            ).all()
            out = []
            for r in rows:
                d = self._ann_dict(r, r.username)
                d["item_id"] = r.item_id
                rev = conn.execute(
                    self._text(
                        "SELECT action, comment FROM reviews WHERE annotation_id = :a ORDER BY id DESC LIMIT 1"
                    ),
                    {"a": r.id},
                ).first()
                d["review"] = (
                    None if rev is None else {"action": rev.action, "comment": rev.comment}
                )
                out.append(d)
        return {"total": int(total), "annotations": out}

    # ------------------------------------------------------------------ review
    def review_queue(
        self, reviewer: User, project_id: int, *, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Submitted annotations waiting for review (oldest first), not the reviewer's own."""
        p = self.check_access(reviewer, project_id, review=True)
        with self.db.read() as conn:
            rows = conn.execute(
                self._text(
                    "SELECT a.*, u.username FROM annotations a JOIN users u ON u.id = a.user_id "
                    "WHERE a.project_id = :p AND a.status = 'submitted' AND a.user_id != :u "
                    "ORDER BY a.updated_at, a.id LIMIT :l"
                ),
                {"p": p.id, "u": reviewer.id, "l": max(1, min(int(limit), 200))},
            ).all()
            out = []
            for r in rows:
                d = self._ann_dict(r, r.username)
                d["task"] = self._task_dict(conn, self._task_row(conn, p.id, r.task_id), None)
                out.append(d)
        return out

    def review(
        self,
        reviewer: User,
        ann_id: int,
        action: str,
        *,
        comment: str = "",
        result: Any = None,
    ) -> dict[str, Any]:
        """Accept, reject (the task goes back to the queue, with the comment) or fix an annotation."""
        if action not in REVIEW_ACTIONS:
            raise BadRequest(f"review action {action!r} is not one of {list(REVIEW_ACTIONS)}")
        if not isinstance(comment, str) or len(comment) > 10_000:
            raise BadRequest("comment must be text of at most 10000 characters")
        with self.db.read() as conn:
            row = self._ann_row(conn, ann_id)
            self._check_annotation_access(reviewer, row, review=True)
            p = self.get_project(int(row.project_id))
            data = json.loads(self._task_row(conn, p.id, row.task_id).data)
        if row.user_id == reviewer.id and not reviewer.is_admin:
            raise Forbidden("reviewers cannot review their own annotations")
        clean = None
        if action == "fix":
            if result is None:
                raise BadRequest("a 'fix' review needs the corrected result")
            clean = self._validate(p, result, data)
        if action == "reject" and not comment.strip():
            raise BadRequest("say why in a comment when rejecting, so the next annotator knows")

        def op(conn: Any) -> dict[str, Any]:
            cur = self._ann_row(conn, ann_id)
            was_counted = cur.status in COUNTED_STATUSES
            new_status = {"accept": "accepted", "reject": "rejected", "fix": "fixed"}[action]
            conn.execute(
                self._text(
                    "INSERT INTO reviews (annotation_id, reviewer_id, action, comment, before, created_at) "
                    "VALUES (:a, :r, :ac, :c, :b, :n)"
                ),
                {
                    "a": ann_id,
                    "r": reviewer.id,
                    "ac": action,
                    "c": comment,
                    "b": cur.result,
                    "n": time.time(),
                },
            )
            conn.execute(
                self._text(
                    "UPDATE annotations SET status = :s, result = :r, updated_at = :n WHERE id = :i"
                ),
                {
                    "s": new_status,
                    "r": cur.result if clean is None else _dumps(clean),
                    "n": time.time(),
                    "i": ann_id,
                },
            )
            if was_counted and new_status == "rejected":
                self._count(conn, cur.task_id, -1)
            elif not was_counted and new_status != "rejected":
                self._count(conn, cur.task_id, +1)
            return self._ann_dict(self._ann_row(conn, ann_id), cur.username)

        return self.db.write(op)

    def set_gold(
        self, reviewer: User, project_id: int, task_id: int, result: Any
    ) -> dict[str, Any]:
        """Adjudicate: store the final answer for a task (``None`` clears it)."""
        p = self.check_access(reviewer, project_id, review=True)
        with self.db.read() as conn:
            data = json.loads(self._task_row(conn, p.id, task_id).data)
        gold = None if result is None else _dumps(self._validate(p, result, data))

        def op(conn: Any) -> None:
            conn.execute(
                self._text("UPDATE tasks SET gold = :g, gold_by = :u WHERE id = :t"),
                {"g": gold, "u": None if gold is None else reviewer.id, "t": task_id},
            )

        self.db.write(op)
        return self.get_task(reviewer, project_id, task_id)

    # ------------------------------------------------------------------ predictions
    def add_predictions(
        self, project_id: int, rows: Iterable[Mapping[str, Any]], *, source: str = "model"
    ) -> dict[str, Any]:
        """Attach pre-labels: rows of ``{"item_id", "result", "score"?, "source"?}``.

        A prediction from the same source on the same task replaces the old one. Item ids the
        project does not have are listed in ``missing`` (the rest are stored).
        """
        p = self.get_project(project_id)
        rows = list(rows)
        with self.db.read() as conn:
            idmap: dict[str, tuple[int, dict[str, Any]]] = {}
            for chunk in _chunks([str(r.get("item_id")) for r in rows], 500):
                q = self.sa.text(
                    "SELECT id, item_id, data FROM tasks WHERE project_id = :p AND item_id IN :ids"
                ).bindparams(self.sa.bindparam("ids", expanding=True))
                for r in conn.execute(q, {"p": p.id, "ids": chunk}):
                    idmap[r.item_id] = (int(r.id), json.loads(r.data))
        clean, missing = [], []
        for n, r in enumerate(rows):
            item_id = str(r.get("item_id"))
            if item_id not in idmap:
                missing.append(item_id)
                continue
            tid, data = idmap[item_id]
            score = r.get("score")
            if score is not None and (
                not isinstance(score, (int, float)) or not math.isfinite(score)
            ):
                raise BadRequest(f"prediction {n}: score must be a number, got {score!r}")
            src = str(r.get("source") or source)[:100]
            res = self._validate(
                p, r.get("result"), data, where=f"prediction {n} (item {item_id!r})", partial=True
            )
            clean.append({"t": tid, "s": src, "r": _dumps(res), "sc": score, "n": time.time()})

        def op(conn: Any) -> None:
            if clean:
                conn.execute(
                    self._text(
                        "INSERT INTO predictions (task_id, source, result, score, created_at) VALUES (:t, :s, :r, :sc, :n) "
                        "ON CONFLICT (task_id, source) DO UPDATE SET result = excluded.result, score = excluded.score, "
                        "created_at = excluded.created_at"
                    ),
                    clean,
                )
            if p.queue_order == "uncertainty":
                self._rekey(conn, p.id, "uncertainty", p.seed)

        self.db.write(op)
        return {"stored": len(clean), "missing": missing}

    # ------------------------------------------------------------------ reading out
    def annotation_rows(
        self, project_id: int, *, statuses: Sequence[str] = COUNTED_STATUSES
    ) -> list[dict[str, Any]]:
        """Every annotation of a project with its task and author (for agreement and matrices)."""
        q = self.sa.text(
            "SELECT a.id, a.task_id, a.user_id, u.username, a.result, a.status, a.lead_time, a.created_at, "
            "t.item_id FROM annotations a JOIN users u ON u.id = a.user_id JOIN tasks t ON t.id = a.task_id "
            "WHERE a.project_id = :p AND a.status IN :st ORDER BY a.task_id, a.id"
        ).bindparams(self.sa.bindparam("st", expanding=True))
        with self.db.read() as conn:
            rows = conn.execute(q, {"p": project_id, "st": list(statuses)}).all()
        return [
            {
                "id": r.id,
                "task_id": r.task_id,
                "item_id": r.item_id,
                "user_id": r.user_id,
                "username": r.username,
                "result": json.loads(r.result),
                "status": r.status,
                "lead_time": r.lead_time,
                "created_at": r.created_at,
            }
            for r in rows
        ]

    def task_items(self, project_id: int) -> list[tuple[int, str, dict[str, Any], Any]]:
        """``(task id, item id, data, gold)`` for every task, in import order."""
        rows = self._rows(
            "SELECT id, item_id, data, gold FROM tasks WHERE project_id = :p ORDER BY id",
            {"p": project_id},
        )
        return [
            (
                int(r.id),
                r.item_id,
                json.loads(r.data),
                None if r.gold is None else json.loads(r.gold),
            )
            for r in rows
        ]

    def export_items(
        self, project_id: int, *, which: str = "all", include_predictions: bool = True
    ) -> list[Item]:
        """The project as :class:`~labelwise.formats.Item` s for the format writers.

        Parameters
        ----------
        which : {"all", "final"}
            ``all``: every counted annotation (one per annotator). ``final``: one per task:
            the adjudicated gold, else a fixed/accepted one, else the latest submitted.
        """
        if which not in ("all", "final"):
            raise BadRequest(f"which must be 'all' or 'final', got {which!r}")
        tasks = self.task_items(project_id)
        by_task: dict[int, list[dict[str, Any]]] = {}
        for a in self.annotation_rows(project_id):
            by_task.setdefault(a["task_id"], []).append(a)
        preds: dict[int, list[Annotation]] = {}
        if include_predictions:
            with self.db.read() as conn:
                for r in conn.execute(
                    self._text(
                        "SELECT pr.task_id, pr.source, pr.result, pr.score FROM predictions pr JOIN tasks t "
                        "ON t.id = pr.task_id WHERE t.project_id = :p ORDER BY pr.id"
                    ),
                    {"p": project_id},
                ):
                    meta = {} if r.score is None else {"score": r.score}
                    preds.setdefault(r.task_id, []).append(
                        Annotation(json.loads(r.result), r.source, meta)
                    )
        items = []
        for tid, item_id, data, gold in tasks:
            anns = by_task.get(tid, [])
            if which == "all":
                out = [
                    Annotation(a["result"], a["username"], {"status": a["status"]}) for a in anns
                ]
            else:
                out = []
                if gold is not None:
                    out = [Annotation(gold, "gold", {"status": "gold", "ground_truth": True})]
                elif anns:
                    rank = {"fixed": 0, "accepted": 1, "submitted": 2}
                    best = sorted(anns, key=lambda a: (rank.get(a["status"], 3), -a["created_at"]))[
                        0
                    ]
                    out = [Annotation(best["result"], best["username"], {"status": best["status"]})]
            items.append(Item(item_id, data, out, preds.get(tid, [])))
        return items

    def dashboard(self, user: User, project_id: int) -> dict[str, Any]:
        """Progress, throughput per annotator, label distribution and agreement."""
        from labelwise.app.agreement import project_agreement

        p = self.check_access(user, project_id, review=True)
        now = time.time()
        with self.db.read() as conn:
            totals = conn.execute(
                self._text(
                    "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN open = 0 THEN 1 ELSE 0 END), 0) AS done, "
                    "COALESCE(SUM(CASE WHEN gold IS NOT NULL THEN 1 ELSE 0 END), 0) AS gold "
                    "FROM tasks WHERE project_id = :p"
                ),
                {"p": p.id},
            ).first()
            status_rows = conn.execute(
                self._text(
                    "SELECT status, COUNT(*) AS n FROM annotations WHERE project_id = :p GROUP BY status"
                ),
                {"p": p.id},
            ).all()
            per_user = conn.execute(
                self._text(
                    "SELECT u.username, COUNT(*) AS n, "
                    "SUM(CASE WHEN a.created_at > :h THEN 1 ELSE 0 END) AS last_hour, "
                    "SUM(CASE WHEN a.created_at > :d THEN 1 ELSE 0 END) AS last_day, "
                    "AVG(a.lead_time) AS mean_lead_time, MIN(a.created_at) AS first, MAX(a.created_at) AS last, "
                    "SUM(CASE WHEN a.status = 'rejected' THEN 1 ELSE 0 END) AS rejected, "
                    "SUM(CASE WHEN a.status IN ('accepted') THEN 1 ELSE 0 END) AS accepted "
                    "FROM annotations a JOIN users u ON u.id = a.user_id WHERE a.project_id = :p "
                    "GROUP BY u.username ORDER BY n DESC"
                ),
                {"p": p.id, "h": now - 3600, "d": now - 86400},
            ).all()
            skipped = conn.execute(
                self._text(
                    "SELECT COUNT(*) FROM skips s JOIN tasks t ON t.id = s.task_id WHERE t.project_id = :p"
                ),
                {"p": p.id},
            ).scalar_one()
        rows = self.annotation_rows(p.id)
        distribution: dict[str, dict[str, int]] = {}
        for c in p.config.controls:
            if c.type not in ("choices", "spans", "boxes", "polygons", "segments", "video_boxes"):
                continue
            counts = dict.fromkeys(c.labels, 0)
            for a in rows:
                v = a["result"].get(c.name)
                if v is None:
                    continue
                if c.type == "choices":
                    for lab in v if isinstance(v, list) else [v]:
                        counts[lab] = counts.get(lab, 0) + 1
                else:
                    for region in v:
                        counts[region["label"]] = counts.get(region["label"], 0) + 1
            distribution[c.name] = counts
        throughput = []
        for r in per_user:
            span_h = max((r.last - r.first) / 3600.0, 1 / 60) if r.n > 1 else None
            throughput.append(
                {
                    "username": r.username,
                    "annotations": int(r.n),
                    "last_hour": int(r.last_hour or 0),
                    "last_day": int(r.last_day or 0),
                    "per_hour": None if span_h is None else round(r.n / span_h, 1),
                    "mean_seconds": None
                    if r.mean_lead_time is None
                    else round(float(r.mean_lead_time), 2),
                    "accepted": int(r.accepted or 0),
                    "rejected": int(r.rejected or 0),
                }
            )
        return {
            "project": {
                "id": p.id,
                "name": p.name,
                "overlap": p.overlap,
                "queue_order": p.queue_order,
            },
            "progress": {
                "tasks": int(totals.n),
                "complete": int(totals.done),
                "gold": int(totals.gold),
                "skipped": int(skipped),
                "annotations": {r.status: int(r.n) for r in status_rows},
            },
            "throughput": throughput,
            "distribution": distribution,
            "agreement": project_agreement(p.config, rows),
        }

    def disagreements(
        self, user: User, project_id: int, *, limit: int = 50, threshold: float = 0.999
    ) -> list[dict[str, Any]]:
        """Tasks whose annotators disagree (agreement below ``threshold``), worst first."""
        from labelwise.app.agreement import task_agreement

        p = self.check_access(user, project_id, review=True)
        by_task: dict[int, list[dict[str, Any]]] = {}
        for a in self.annotation_rows(p.id):
            by_task.setdefault(a["task_id"], []).append(a)
        out = []
        for tid, anns in by_task.items():
            if len(anns) < 2:
                continue
            scores = task_agreement(p.config, [a["result"] for a in anns])
            finite = [v for v in scores.values() if v is not None]
            overall = float(np.mean(finite)) if finite else 1.0
            if overall < threshold:
                out.append(
                    {
                        "task_id": tid,
                        "item_id": anns[0]["item_id"],
                        "agreement": overall,
                        "by_control": scores,
                        "n": len(anns),
                    }
                )
        out.sort(key=lambda d: (d["agreement"], d["task_id"]))
        with self.db.read() as conn:
            gold = {
                r.id
                for r in conn.execute(
                    self._text("SELECT id FROM tasks WHERE project_id = :p AND gold IS NOT NULL"),
                    {"p": p.id},
                )
            }
        for d in out:
            d["adjudicated"] = d["task_id"] in gold
        return out[: max(1, min(int(limit), 1000))]


def _chunks(seq: Sequence[Any], n: int) -> Iterable[list[Any]]:
    for i in range(0, len(seq), n):
        yield list(seq[i : i + n])


_DUMMY: str | None = None


def _dummy_hash() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_password("labelwise-dummy-password")
    return _DUMMY
