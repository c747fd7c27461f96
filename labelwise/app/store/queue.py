"""The work queue: task pages, the next tasks for a user, skips."""

from __future__ import annotations

import time
from typing import Any

from labelwise.app.errors import BadRequest
from labelwise.app.store.core import (
    StoreCore,
    User,
)

__all__ = ["QueueStore"]


class QueueStore(StoreCore):
    """The work queue: task pages, the next tasks for a user, skips."""

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
            read_at = time.time()
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
                    others = self.reservations.others(p.id, r.id, user.id, read_at=read_at)
                    if r.n_done + others >= r.overlap:
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
