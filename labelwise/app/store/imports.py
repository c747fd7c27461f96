"""Data in: tasks (with their annotations and predictions) and pre-labels."""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from labelwise.app.auth import hash_password, new_secret
from labelwise.app.errors import BadRequest, Conflict
from labelwise.app.store.core import (
    _USERNAME,
    MAX_TASK_BYTES,
    STATUSES,
    StoreCore,
    _chunks,
    _dumps,
)
from labelwise.formats import Item

__all__ = ["ImportStore"]


class ImportStore(StoreCore):
    """Data in: tasks (with their annotations and predictions) and pre-labels."""

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

        out = self.db.write(op)
        if out["tasks"] >= 1000 or out["annotations"] >= 1000:
            self.db.refresh_statistics("tasks", "annotations", "predictions")
        return out

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
