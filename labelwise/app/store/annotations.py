"""Annotations and their review: submit, change, list, accept/reject/fix, gold."""

from __future__ import annotations

import json
import math
import time
import uuid
from typing import Any

from labelwise.app.errors import BadRequest, Conflict, Forbidden, NotFound
from labelwise.app.store.core import (
    COUNTED_STATUSES,
    REVIEW_ACTIONS,
    STATUSES,
    StoreCore,
    User,
    _dumps,
)

__all__ = ["AnnotationsStore"]


class AnnotationsStore(StoreCore):
    """Annotations and their review: submit, change, list, accept/reject/fix, gold."""

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
        read_at = time.time()
        clean: dict[str, Any] | None = None
        if self.db.is_sqlite:
            # Fail fast outside the one writer thread; the write re-checks what can change.
            with self.db.read() as conn:
                prev = self._prior(conn, sid, user, task_id)
                if prev is not None:
                    return self._replay(prev, user, task_id), False
                row = self._task_row(conn, p.id, task_id)
            self._check_open(row, task_id)
            if not self.reservations.holds(p.id, user.id, task_id):
                # Submitting without being handed the task: fine while a slot is free, but
                # not into a slot someone else is working on.
                others = self.reservations.others(p.id, task_id, user.id, read_at=read_at)
                if int(row.n_done) + others >= int(row.overlap):
                    raise Conflict(
                        f"task {task_id} is being annotated by others (overlap {row.overlap}); "
                        "ask for your next task instead"
                    )
            clean = self._validate(p, result, json.loads(row.data))
        now = time.time()

        def op(conn: Any) -> tuple[dict[str, Any], bool]:
            prev = self._prior(conn, sid, user, task_id)
            if prev is not None:
                return self._replay(prev, user, task_id), False
            # The check that keeps a task at exactly ``overlap`` annotations: it runs in the
            # write transaction (SQLite: the one writer; PostgreSQL: the task row is locked).
            task = self._lock_task(conn, p.id, task_id)
            self._check_open(task, task_id)
            valid = clean
            if not self.db.is_sqlite:
                # PostgreSQL: one transaction does it all (each round trip costs more here
                # than a fast failure saves).
                self._check_shared_slot(conn, user, task)
                valid = self._validate(p, result, json.loads(task.data))
                conn.execute(
                    self._text("DELETE FROM reservations WHERE task_id = :t AND user_id = :u"),
                    {"t": task_id, "u": user.id},
                )
            stored = conn.execute(
                self._text(
                    "INSERT INTO annotations (task_id, project_id, user_id, submission_id, result, status, lead_time, "
                    "created_at, updated_at) VALUES (:t, :p, :u, :s, :r, 'submitted', :l, :n, :n) RETURNING *"
                ),
                {
                    "t": task_id,
                    "p": p.id,
                    "u": user.id,
                    "s": sid,
                    "r": _dumps(valid),
                    "l": lead_time,
                    "n": now,
                },
            ).first()
            self._count(conn, task_id, +1)
            return self._ann_dict(stored, user.username), True

        out = self.db.write(op)
        if out[1]:
            self.reservations.completed(p.id, user.id, task_id)
        return out

    def _check_shared_slot(self, conn: Any, user: User, task: Any) -> None:
        """PostgreSQL: the database-held reservations decide whether a slot is free."""
        row = conn.execute(
            self._text(
                "SELECT COALESCE(SUM(CASE WHEN user_id = :u THEN 1 ELSE 0 END), 0) AS mine, "
                "COALESCE(SUM(CASE WHEN user_id != :u THEN 1 ELSE 0 END), 0) AS others "
                "FROM reservations WHERE task_id = :t AND expires_at > :now"
            ),
            {"u": user.id, "t": int(task.id), "now": time.time()},
        ).one()
        if not row.mine and int(task.n_done) + int(row.others) >= int(task.overlap):
            raise Conflict(
                f"task {task.id} is being annotated by others (overlap {task.overlap}); "
                "ask for your next task instead"
            )

    def _prior(self, conn: Any, sid: str, user: User, task_id: int) -> Any:
        """The annotation stored under ``sid`` (a resent submit: replay it), or ``None``.

        Raises :class:`Conflict` when the user already annotated the task under another
        submission id. One query answers both.
        """
        rows = conn.execute(
            self._text(
                "SELECT * FROM annotations WHERE submission_id = :s "
                "OR (task_id = :t AND user_id = :u)"
            ),
            {"s": sid, "t": task_id, "u": user.id},
        ).all()
        for r in rows:
            if r.submission_id == sid:
                return r
        if rows:
            raise Conflict(
                f"you already annotated task {task_id} (annotation {rows[0].id}); change it "
                f"with PUT /api/annotations/{rows[0].id}"
            )
        return None

    @staticmethod
    def _check_editable(row: Any) -> None:
        if row.status in ("accepted", "fixed"):
            raise Conflict(
                f"annotation {row.id} was already {row.status} by a reviewer and is final; "
                "ask a reviewer to change it (review 'fix')"
            )

    @staticmethod
    def _check_open(row: Any, task_id: int) -> None:
        if int(row.n_done) >= int(row.overlap):
            raise Conflict(
                f"task {task_id} already has its {row.overlap} annotation(s) (overlap); "
                "ask for your next task instead"
            )

    def _replay(self, prev: Any, user: User, task_id: int) -> dict[str, Any]:
        if prev.user_id != user.id or prev.task_id != task_id:
            raise Conflict(
                "submission_id was already used for another annotation; make a new one per submit"
            )
        return self._ann_dict(prev, user.username)

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
        """The author changes their annotation (a rejected one goes back to ``submitted``).

        An accepted or fixed annotation is final: the author cannot change it (a reviewer
        can, with review 'fix'), so a reviewed answer never silently turns back into an
        unreviewed one.
        """
        with self.db.read() as conn:
            row = self._ann_row(conn, ann_id)
            if row.user_id != user.id:
                self._check_annotation_access(user, row)
                raise Forbidden(
                    "only the author can change an annotation; reviewers use review 'fix'"
                )
            self._check_editable(row)
            p = self.check_access(user, row.project_id)
            data = json.loads(self._task_row(conn, p.id, row.task_id).data)
        clean = self._validate(p, result, data)

        def op(conn: Any) -> dict[str, Any]:
            cur = self._ann_row(conn, ann_id)
            self._check_editable(cur)
            if cur.status == "rejected":
                task = self._lock_task(conn, int(cur.project_id), int(cur.task_id))
                if int(task.n_done) >= int(task.overlap):
                    raise Conflict(
                        f"task {cur.task_id} got its {task.overlap} annotation(s) from others after "
                        "yours was rejected; your annotation stays rejected"
                    )
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

    def delete_annotation(self, user: User, ann_id: int) -> dict[str, Any]:
        """Delete an annotation: its author while it is not reviewed as final, or an admin.

        A counted annotation frees its slot: the task goes back to the queue.
        """
        with self.db.read() as conn:
            row = self._ann_row(conn, ann_id)
        self._check_annotation_access(user, row)
        if not user.is_admin:
            if row.user_id != user.id:
                raise Forbidden("only the author or an admin can delete an annotation")
            self._check_editable(row)

        def op(conn: Any) -> None:
            cur = self._ann_row(conn, ann_id)
            conn.execute(self._text("DELETE FROM annotations WHERE id = :i"), {"i": ann_id})
            if cur.status in COUNTED_STATUSES:
                self._count(conn, int(cur.task_id), -1)

        self.db.write(op)
        return {"deleted": ann_id, "task_id": int(row.task_id)}

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
            if not was_counted and new_status != "rejected":
                task = self._lock_task(conn, int(cur.project_id), int(cur.task_id))
                if int(task.n_done) >= int(task.overlap):
                    raise Conflict(
                        f"task {cur.task_id} already has its {task.overlap} annotation(s) from others; "
                        "this rejected annotation cannot be counted again (reject or fix one of those)"
                    )
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
