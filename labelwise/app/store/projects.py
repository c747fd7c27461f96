"""Projects, their queue settings and their members."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from labelwise.app.errors import BadRequest, Conflict
from labelwise.app.store.core import (
    QUEUE_ORDERS,
    Project,
    StoreCore,
    User,
)
from labelwise.formats import LabelConfig
from labelwise.formats.schema import ConfigError

__all__ = ["ProjectsStore"]


class ProjectsStore(StoreCore):
    """Projects, their queue settings and their members."""

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

    def delete_project(self, project_id: int) -> dict[str, Any]:
        """Delete a project with its tasks, annotations, reviews, predictions, members and media."""
        import shutil

        p = self.get_project(project_id)

        def op(conn: Any) -> dict[str, Any]:
            counts = {
                "tasks": conn.execute(
                    self._text("SELECT COUNT(*) FROM tasks WHERE project_id = :p"), {"p": p.id}
                ).scalar_one(),
                "annotations": conn.execute(
                    self._text("SELECT COUNT(*) FROM annotations WHERE project_id = :p"),
                    {"p": p.id},
                ).scalar_one(),
            }
            conn.execute(self._text("DELETE FROM projects WHERE id = :p"), {"p": p.id})
            self._bump_auth(conn)
            return {k: int(v) for k, v in counts.items()}

        out = self.db.write(op)
        with self._projects_lock:
            self._projects.pop(p.id, None)
        self.forget_auth()
        if self.media_root is not None:
            folder = self.media_root / str(p.id)
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
        return {"deleted": p.name, **out}

    def add_member(self, project_id: int, user: User | int | str) -> None:
        u = user if isinstance(user, User) else self.get_user(user)
        self.get_project(project_id)

        def op(conn: Any) -> None:
            conn.execute(
                self._text(
                    "INSERT INTO members (project_id, user_id) VALUES (:p, :u) ON CONFLICT DO NOTHING"
                ),
                {"p": project_id, "u": u.id},
            )
            self._bump_auth(conn)

        self.db.write(op)
        self.forget_auth()

    def remove_member(self, project_id: int, user: User | int | str) -> None:
        u = user if isinstance(user, User) else self.get_user(user)

        def op(conn: Any) -> None:
            conn.execute(
                self._text("DELETE FROM members WHERE project_id = :p AND user_id = :u"),
                {"p": project_id, "u": u.id},
            )
            self._bump_auth(conn)

        self.db.write(op)
        self.forget_auth()

    def members(self, project_id: int) -> list[User]:
        rows = self._rows(
            "SELECT u.id, u.username, u.role, u.active FROM members m JOIN users u ON u.id = m.user_id "
            "WHERE m.project_id = :p ORDER BY u.username",
            {"p": project_id},
        )
        return [self._user(r) for r in rows]
