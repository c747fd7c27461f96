"""Reading out: annotation rows, export items, the dashboard and disagreements."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from labelwise.app.errors import BadRequest
from labelwise.app.store.core import (
    COUNTED_STATUSES,
    StoreCore,
    User,
)
from labelwise.formats import Annotation, Item

__all__ = ["ExportStore", "export_formats"]

#: What each format needs from the label config: control types (any one of them).
_DESCRIPTIONS = {
    "jsonl": "labelwise JSON lines: every task with its annotations (re-importable)",
    "csv": "one row per task and annotator, one column per control (spreadsheet-safe)",
    "label_studio": "Label Studio JSON tasks with annotations and predictions",
    "coco": "COCO detection/segmentation JSON (boxes, polygons)",
    "yolo": "YOLO txt labels per image + classes.txt, zipped",
    "voc": "Pascal VOC XML per image, zipped",
    "conll": "CoNLL 2003-style BIO tags per token (spans)",
    "mot": "MOTChallenge gt.txt + seqinfo.ini per video (source frame numbers), zipped",
    "cvat_video": "CVAT for video 1.1 XML tracks with key frames and outside, zipped",
    "coco_video": "COCO-style boxes per source frame of each video",
    "label_studio_video": "Label Studio video rectangles (percent, 1-based frames)",
}


def export_formats(config: Any) -> list[dict[str, Any]]:
    """Every export format, whether it fits ``config`` and, if not, why.

    Examples
    --------
    >>> from labelwise.formats import LabelConfig
    >>> cfg = LabelConfig.from_dict({"object": {"type": "text"},
    ...     "controls": [{"name": "s", "type": "choices", "labels": ["a", "b"]}]})
    >>> [f["name"] for f in export_formats(cfg) if f["fits"]]
    ['jsonl', 'csv', 'label_studio']
    """
    from labelwise.formats import FORMATS

    have = {c.type for c in config.controls}
    out = []
    for name, (filename, media_type, needs) in FORMATS.items():
        # the registry says which controls a format needs: "any", "boxes or polygons", ...
        want = None if needs == "any" else tuple(needs.split(" or "))
        fits = want is None or bool(have & set(want))
        out.append(
            {
                "name": name,
                "description": _DESCRIPTIONS.get(name, name),
                "fits": fits,
                "needs": needs,
                "reason": None
                if fits
                else f"{name} needs a {' or '.join(want or ())} control; this project has "
                f"{', '.join(sorted(have)) or 'no'} controls",
                "zip": filename is None,
                "media_type": media_type,
            }
        )
    return out


class ExportStore(StoreCore):
    """Reading out: annotation rows, export items, the dashboard and disagreements."""

    def export_formats(self, user: User, project_id: int) -> list[dict[str, Any]]:
        """The export formats with ``fits`` for this project's label config."""
        p = self.check_access(user, project_id, review=True)
        return export_formats(p.config)

    def export_files(
        self, project_id: int, fmt: str, *, which: str = "all"
    ) -> tuple[dict[str, bytes], list[str]]:
        """The project exported as ``fmt``: ``({file name: bytes}, problems)``.

        Raises :class:`BadRequest` naming the formats that fit when ``fmt`` does not.
        """
        from labelwise.formats import FORMATS, ConversionReport, FormatError, export_items

        p = self.get_project(project_id)
        if fmt not in FORMATS:
            raise BadRequest(f"unknown format {fmt!r}; choose one of {sorted(FORMATS)}")
        formats = export_formats(p.config)
        entry = next(f for f in formats if f["name"] == fmt)
        if not entry["fits"]:
            fitting = ", ".join(f["name"] for f in formats if f["fits"])
            raise BadRequest(
                f"format {fmt!r} does not fit project {p.name!r}: {entry['reason']}; "
                f"formats that fit: {fitting}"
            )
        report = ConversionReport()
        items = self.export_items(p.id, which="final" if fmt in ("yolo", "voc") else which)
        try:
            files = export_items(items, p.config, fmt, report=report)
        except FormatError as exc:
            raise BadRequest(str(exc)) from None
        return files, list(report.problems)

    def task_count(self, project_id: int) -> int:
        """How many tasks the project has."""
        row = self._first("SELECT COUNT(*) FROM tasks WHERE project_id = :p", {"p": project_id})
        return int(row[0])

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
