"""The shared core of the store: the database handle, caches, records and the checks every resource uses."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np

from labelwise.app.db import Database
from labelwise.app.errors import BadRequest, Forbidden, NotFound
from labelwise.app.store.reservations import Reservations
from labelwise.app.throttle import DatabaseFailureLog, LoginThrottle
from labelwise.formats import LabelConfig
from labelwise.formats.schema import ResultError

__all__ = ["COUNTED_STATUSES", "QUEUE_ORDERS", "ROLES", "Project", "StoreCore", "User"]

ROLES = ("admin", "reviewer", "annotator")
QUEUE_ORDERS = ("sequential", "random", "uncertainty")
COUNTED_STATUSES = ("submitted", "accepted", "fixed")
STATUSES = (*COUNTED_STATUSES, "rejected")
REVIEW_ACTIONS = ("accept", "reject", "fix")
MAX_TASK_BYTES = 1_000_000
SESSION_SECONDS = 14 * 24 * 3600
#: Default idle timeout of a login session (seconds without a request).
SESSION_IDLE_SECONDS = 8 * 3600
#: How often cached logins check whether another process changed users or tokens.
EPOCH_CHECK_SECONDS = 0.5
#: How long a token, session or membership lookup is reused in memory. Changes made through
#: this process drop the cache at once; changes from another process apply within this time.
AUTH_CACHE_SECONDS = 10.0
_USERNAME = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
_NO_PREDICTION_KEY = 2.0


def _dumps(obj: Any) -> str:
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _chunks(seq: Sequence[Any], n: int) -> Iterable[list[Any]]:
    for i in range(0, len(seq), n):
        yield list(seq[i : i + n])


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


class StoreCore:
    """Database access, caches and the checks shared by every resource of :class:`~labelwise.app.store.Store`.

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
        self.reservations = Reservations()
        self.login_throttle = LoginThrottle(failures=DatabaseFailureLog(db))
        self._projects: dict[int, Project] = {}
        self._projects_lock = threading.Lock()
        self._auth_cache: dict[Any, tuple[float, Any]] = {}
        self._epoch: str | None = None
        self._epoch_checked = -1e18
        #: A login session ends after this long without use (seconds).
        self.session_idle_seconds: float = SESSION_IDLE_SECONDS
        self._clauses: dict[str, Any] = {}

    def _cached(self, key: Any) -> tuple[bool, Any]:
        now = time.monotonic()
        if now >= self._epoch_checked + EPOCH_CHECK_SECONDS:
            # Another process changed users, tokens or members: drop what we cached.
            self._epoch_checked = now
            row = self._first("SELECT value FROM meta WHERE key = 'auth_epoch'")
            epoch = None if row is None else str(row[0])
            if epoch != self._epoch:
                self._epoch = epoch
                self._auth_cache.clear()
        hit = self._auth_cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def _remember(self, key: Any, value: Any) -> Any:
        if len(self._auth_cache) > 100_000:
            self._auth_cache.clear()
        self._auth_cache[key] = (time.monotonic() + AUTH_CACHE_SECONDS, value)
        return value

    def _bump_auth(self, conn: Any) -> None:
        """Inside a write: tell every process to drop its cached logins and memberships."""
        conn.execute(
            self._text("UPDATE meta SET value = :v WHERE key = 'auth_epoch'"),
            {"v": uuid.uuid4().hex},
        )

    def forget_auth(self) -> None:
        """Drop cached token, session and membership lookups (after users or members change)."""
        self._auth_cache.clear()

    @classmethod
    def open(
        cls, target: str | Path, *, synchronous: str = "FULL", media_root: str | Path | None = None
    ) -> Self:
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

    def __enter__(self) -> Self:
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

    @staticmethod
    def _user(row: Any) -> User:
        return User(int(row.id), str(row.username), str(row.role), bool(row.active))

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

    def _lock_task(self, conn: Any, project_id: int, task_id: int) -> Any:
        """The task row inside a write, locked against other writers until commit."""
        lock = "" if self.db.is_sqlite else " FOR UPDATE"
        row = conn.execute(
            self._text(f"SELECT * FROM tasks WHERE id = :t AND project_id = :p{lock}"),
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
        # Pre-labels and reviewers' reject comments in one round trip (kind 0 and 1).
        extra = conn.execute(
            self._text(
                "SELECT 0 AS kind, p.id AS id, p.source AS source, p.result AS body, "
                "p.score AS score FROM predictions p WHERE p.task_id = :t "
                "UNION ALL SELECT 1, r.id, NULL, r.comment, NULL FROM reviews r "
                "JOIN annotations a ON a.id = r.annotation_id WHERE a.task_id = :t "
                "AND r.action = 'reject' AND r.comment != ''"
            ),
            {"t": row.id},
        ).all()
        preds = sorted(
            (r for r in extra if r.kind == 0),
            key=lambda r: (r.score is None, -(r.score or 0.0), r.id),
        )
        out["predictions"] = [
            {"source": r.source, "result": json.loads(r.body), "score": r.score} for r in preds
        ]
        out["review_comments"] = [r.body for r in sorted(extra, key=lambda r: r.id) if r.kind == 1]
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

    def _count(self, conn: Any, task_id: int, delta: int) -> None:
        conn.execute(
            self._text(
                "UPDATE tasks SET n_done = n_done + :d, open = CASE WHEN n_done + :d < overlap THEN 1 ELSE 0 END "
                "WHERE id = :t"
            ),
            {"d": delta, "t": task_id},
        )

    def get_task(self, user: User, project_id: int, task_id: int) -> dict[str, Any]:
        """One task; reviewers and admins also see every annotation on it."""
        self.check_access(user, project_id)
        with self.db.read() as conn:
            row = self._task_row(conn, project_id, task_id)
            return self._task_dict(conn, row, user, full=user.can_review)

    def get_user(self, user: int | str) -> User:
        col = "id" if isinstance(user, int) else "username"
        row = self._first(
            f"SELECT id, username, role, active FROM users WHERE {col} = :v", {"v": user}
        )
        if row is None:
            raise NotFound(f"no user {user!r}")
        return self._user(row)
