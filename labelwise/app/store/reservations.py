"""Who has been handed which task: in-memory reservations with expiry (a courtesy; the database is the truth)."""

from __future__ import annotations

import threading
import time

__all__ = ["RESERVATION_SECONDS", "Reservations"]

RESERVATION_SECONDS = 600.0
#: How long a committed submission is remembered for queue reads that started before it.
RECENT_SECONDS = 120.0


class Reservations:
    """Who has been handed which task, in memory, with expiry."""

    def __init__(self, ttl: float = RESERVATION_SECONDS) -> None:
        self.ttl = ttl
        self.lock = threading.Lock()
        self.by_task: dict[int, dict[int, float]] = {}
        self.by_user: dict[tuple[int, int], list[int]] = {}
        self.by_project: dict[int, set[int]] = {}
        self.project_locks: dict[int, threading.Lock] = {}
        # Submissions committed lately, per task: a task list read before such a commit
        # still shows the old count, so the queue adds these to it (see ``others``).
        self.recent: dict[int, list[float]] = {}

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

    def others(
        self, project_id: int, task_id: int, user_id: int, *, read_at: float | None = None
    ) -> int:
        """People other than ``user_id`` holding the task, plus submissions to it committed
        at or after ``read_at`` (a count read at ``read_at`` may not include them yet)."""
        with self.lock:
            holders = self._purge_task(project_id, task_id, time.time())
            n = sum(1 for u in holders if u != user_id)
            if read_at is not None:
                n += sum(1 for t in self.recent.get(task_id, ()) if t >= read_at)
            return n

    def holds(self, project_id: int, user_id: int, task_id: int) -> bool:
        with self.lock:
            return user_id in self._purge_task(project_id, task_id, time.time())

    def completed(self, project_id: int, user_id: int, task_id: int) -> None:
        """``user_id`` submitted to ``task_id`` (committed): swap the hold for a recent mark."""
        now = time.time()
        with self.lock:
            marks = [t for t in self.recent.get(task_id, ()) if t > now - RECENT_SECONDS]
            marks.append(now)
            self.recent[task_id] = marks
            if len(self.recent) > 10_000:
                for tid in [k for k, v in self.recent.items() if v[-1] < now - RECENT_SECONDS]:
                    del self.recent[tid]
        self.release(project_id, user_id, task_id)

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

    def drop_task(self, project_id: int, task_id: int) -> None:
        """Forget every hold on a deleted task."""
        with self.lock:
            for uid in list(self.by_task.pop(task_id, {})):
                lst = self.by_user.get((project_id, uid))
                if lst and task_id in lst:
                    lst.remove(task_id)
            self.by_project.get(project_id, set()).discard(task_id)
            self.recent.pop(task_id, None)
