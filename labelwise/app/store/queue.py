"""The work queue: task pages, the next tasks for a user, skips."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from labelwise.app.errors import BadRequest
from labelwise.app.store.core import (
    StoreCore,
    User,
    _chunks,
)

#: Task filters of :meth:`QueueStore.list_tasks` -> SQL condition on ``tasks t``.
TASK_FILTERS = {
    "open": "t.open = 1",
    "complete": "t.open = 0",
    "gold": "t.gold IS NOT NULL",
    "no_gold": "t.gold IS NULL",
    "unannotated": "NOT EXISTS (SELECT 1 FROM annotations a WHERE a.task_id = t.id)",
    "skipped": "EXISTS (SELECT 1 FROM skips s WHERE s.task_id = t.id)",
}


def _like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


__all__ = ["TASK_FILTERS", "QueueStore"]


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
        annotator: str | None = None,
        label: str | None = None,
        q: str | None = None,
    ) -> dict[str, Any]:
        """A page of tasks (reviewers/admins), newest filters first, in import order.

        Parameters
        ----------
        status : {"open", "complete", "gold", "no_gold", "unannotated", "skipped"}, optional
        annotator : str, optional
            Only tasks this user annotated (any status).
        label : str, optional
            Only tasks with an annotation that uses this label (any control).
        q : str, optional
            Text search in the item id and the task data (case-insensitive substring).

        Each task lists its annotators (``annotators``: username and status).
        """
        self.check_access(user, project_id, review=True)
        limit = max(1, min(int(limit), 500))
        where = "t.project_id = :p"
        params: dict[str, Any] = {"p": project_id}
        if status is not None and status not in TASK_FILTERS:
            raise BadRequest(f"status filter {status!r} must be one of {list(TASK_FILTERS)}")
        if status is not None:
            where += " AND " + TASK_FILTERS[status]
        if annotator:
            where += (
                " AND EXISTS (SELECT 1 FROM annotations a JOIN users u ON u.id = a.user_id "
                "WHERE a.task_id = t.id AND u.username = :who)"
            )
            params["who"] = annotator
        if label:
            # Labels are JSON strings inside the stored result: match the quoted label.
            where += (
                " AND EXISTS (SELECT 1 FROM annotations a WHERE a.task_id = t.id "
                "AND a.result LIKE :lab ESCAPE '\\')"
            )
            params["lab"] = "%" + _like(json.dumps(label, ensure_ascii=False)) + "%"
        if q:
            where += (
                " AND (LOWER(t.item_id) LIKE :q ESCAPE '\\' OR LOWER(t.data) LIKE :q ESCAPE '\\')"
            )
            params["q"] = "%" + _like(q.lower()) + "%"
        with self.db.read() as conn:
            total = conn.execute(
                self._text(f"SELECT COUNT(*) FROM tasks t WHERE {where}"), params
            ).scalar_one()
            rows = conn.execute(
                self._text(
                    "SELECT t.id, t.item_id, t.n_done, t.overlap, t.open, "
                    f"CASE WHEN t.gold IS NULL THEN 0 ELSE 1 END AS has_gold FROM tasks t "
                    f"WHERE {where} ORDER BY t.id LIMIT :l OFFSET :o"
                ),
                {**params, "l": limit, "o": max(0, int(offset))},
            ).all()
            who: dict[int, list[dict[str, Any]]] = {}
            ids = [int(r.id) for r in rows]
            if ids:
                qa = self.sa.text(
                    "SELECT a.task_id, a.id, u.username, a.status FROM annotations a "
                    "JOIN users u ON u.id = a.user_id WHERE a.task_id IN :ids ORDER BY a.id"
                ).bindparams(self.sa.bindparam("ids", expanding=True))
                for a in conn.execute(qa, {"ids": ids}):
                    who.setdefault(int(a.task_id), []).append(
                        {"annotation_id": int(a.id), "username": a.username, "status": a.status}
                    )
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
                    "annotators": who.get(int(r.id), []),
                }
                for r in rows
            ],
        }

    def delete_tasks(self, project_id: int, task_ids: Sequence[int]) -> int:
        """Delete tasks with their annotations, reviews, predictions and skips; returns how many."""
        p = self.get_project(project_id)
        ids = sorted({int(t) for t in task_ids})
        if not ids:
            return 0

        def op(conn: Any) -> int:
            n = 0
            for chunk in _chunks(ids, 500):
                q = self.sa.text(
                    "DELETE FROM tasks WHERE project_id = :p AND id IN :ids"
                ).bindparams(self.sa.bindparam("ids", expanding=True))
                n += int(conn.execute(q, {"p": p.id, "ids": chunk}).rowcount or 0)
            return n

        n = self.db.write(op)
        for t in ids:
            self.reservations.drop_task(p.id, t)
        return n

    def next_tasks(self, user: User, project_id: int, *, count: int = 1) -> list[dict[str, Any]]:
        """The user's next ``count`` tasks (the current one, then prefetched ones).

        Never a task this user annotated or skipped, never a complete one, and (with
        reservations) never more people at once than the task's remaining overlap.
        """
        p = self.check_access(user, project_id)
        count = max(1, min(int(count), 5))
        if not self.db.is_sqlite:
            return self._next_tasks_shared(user, p.id, count)
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

    def _next_tasks_shared(self, user: User, project_id: int, count: int) -> list[dict[str, Any]]:
        """:meth:`next_tasks` for several server processes (PostgreSQL): reservations live
        in the database; the candidate scan locks rows with ``SKIP LOCKED`` (rows another
        process is handing out are passed over) and a second statement reserves them while
        counting reservations again, so two processes never hand out the same free slot."""
        ttl = self.reservations.ttl

        def op(conn: Any) -> list[dict[str, Any]]:
            now = time.time()
            params = {"p": project_id, "u": user.id, "now": now}
            held = [
                int(r[0])
                for r in conn.execute(
                    # Start from the user's few reservations (MATERIALIZED: the planner must
                    # not start from the project's tasks, whatever its statistics say).
                    self._text(
                        "WITH mine AS MATERIALIZED (SELECT task_id FROM reservations "
                        "WHERE user_id = :u AND expires_at > :now) "
                        "SELECT t.id FROM mine JOIN tasks t ON t.id = mine.task_id "
                        "WHERE t.project_id = :p AND t.open = 1 AND NOT EXISTS (SELECT 1 FROM annotations a "
                        "WHERE a.task_id = t.id AND a.user_id = :u) AND NOT EXISTS "
                        "(SELECT 1 FROM skips s WHERE s.task_id = t.id AND s.user_id = :u) "
                        "ORDER BY t.queue_key, t.id"
                    ),
                    params,
                )
            ][:count]
            need = count - len(held)
            fresh: list[int] = []
            if held:  # still theirs: keep them a while longer
                conn.execute(
                    self._text(
                        "UPDATE reservations SET expires_at = :e WHERE user_id = :u "
                        "AND task_id = ANY(CAST(:ids AS INTEGER[]))"
                    ),
                    {"u": user.id, "e": now + ttl, "ids": held},
                )
            free_slot = (
                "t.open = 1 AND t.n_done + (SELECT COUNT(*) FROM reservations r "
                "WHERE r.task_id = t.id AND r.user_id != :u AND r.expires_at > :now) < t.overlap"
            )

            scan = (
                "SELECT t.id FROM tasks t WHERE t.project_id = :p AND NOT EXISTS "
                "(SELECT 1 FROM annotations a WHERE a.task_id = t.id AND a.user_id = :u) "
                "AND NOT EXISTS (SELECT 1 FROM skips s WHERE s.task_id = t.id "
                f"AND s.user_id = :u) AND {free_slot} "
                "AND t.id <> ALL(CAST(:skip AS INTEGER[])) ORDER BY t.queue_key, t.id LIMIT :l"
            )

            def reserve(ids: list[int], need: int) -> list[int]:
                """Reserve up to ``need`` of the (locked) ``ids``; the reserved ones.

                Reservations are counted once more, in a new statement: its snapshot is
                newer than our locks, so it sees what whoever held a lock before us reserved
                (the locking statement's snapshot may predate that commit).
                """
                got = {
                    int(r[0])
                    for r in conn.execute(
                        self._text(
                            "INSERT INTO reservations (task_id, user_id, expires_at) "
                            "SELECT t.id, :u, :e FROM tasks t WHERE t.id = ANY(CAST(:ids AS INTEGER[])) "
                            f"AND {free_slot} ORDER BY t.queue_key, t.id LIMIT :n "
                            "ON CONFLICT (task_id, user_id) DO UPDATE SET expires_at = excluded.expires_at "
                            "RETURNING task_id"
                        ),
                        {**params, "ids": ids, "n": need, "e": now + ttl},
                    )
                }
                return [t for t in ids if t in got]

            # Rows this call locked and looked at; the scan also passes over the held ones
            # (free_slot counts only other people's reservations).
            seen: list[int] = []
            # The scan returned fewer rows than asked: nothing more is free for this user
            # right now, apart from rows others are handing out at this moment.
            exhausted = False
            for attempt in range(4):
                if need <= 0:
                    break
                limit = need + 2 + 16 * attempt
                # SKIP LOCKED: rows another process is handing out right now are passed over.
                locked = [
                    int(r[0])
                    for r in conn.execute(
                        self._text(scan + " FOR UPDATE OF t SKIP LOCKED"),
                        {**params, "l": limit, "skip": held + seen},
                    )
                ]
                seen += locked
                if locked:
                    mine = reserve(locked, need)
                    fresh += mine
                    need -= len(mine)
                if len(locked) < limit:
                    exhausted = True
                    break
            if need > 0 and exhausted and not seen:
                # Free slots that others were handing out at that moment (the last tasks of
                # a project): wait for those instead of saying there is no work left. Only
                # while we hold no task row lock, so two such waits never deadlock (the
                # held reservations we touched are ours: no one else waits on them).
                waiting = [
                    int(r[0])
                    for r in conn.execute(
                        self._text(scan + " FOR UPDATE OF t"),
                        {**params, "l": need + 2, "skip": held},
                    )
                ]
                if waiting:
                    fresh += reserve(waiting, need)
            chosen = held + fresh
            # Read them in the same transaction: one round of connection checkout less.
            return [
                self._task_dict(conn, self._task_row(conn, project_id, t), user, mine=False)
                for t in chosen
            ]

        # A reservation is a courtesy (submit re-checks the slot): no need to wait for its
        # commit to reach the disk.
        return self.db.write(op, durable=False)

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
            if not self.db.is_sqlite:
                conn.execute(
                    self._text("DELETE FROM reservations WHERE task_id = :t AND user_id = :u"),
                    {"t": task_id, "u": user.id},
                )

        self.db.write(op)
        self.reservations.release(p.id, user.id, task_id)
