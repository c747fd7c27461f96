"""Agreement between annotators, per task, per annotator and per project, for every control type.

* single choice: Cohen's kappa per annotator pair, Fleiss' kappa and Krippendorff's alpha
  over the project (from :mod:`labelwise.learn.agreement`), exact match per task;
* multiple choice: Jaccard overlap of the chosen sets;
* spans: F1 of exactly matching ``(start, end, label)`` spans;
* boxes, polygons (their bounding boxes) and video tracks: F1 of boxes matched one-to-one at
  IoU >= 0.5 with the same label, and the mean IoU of the matches;
* audio segments: the same on time intervals;
* free text: exact match after trimming and case-folding.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labelwise.formats.schema import Control, LabelConfig
from labelwise.geometry import (
    box_iou,
    convert_boxes,
    interpolate_track,
    match_boxes,
    polygon_to_box,
)

__all__ = [
    "box_f1",
    "pair_agreement",
    "project_agreement",
    "span_f1",
    "task_agreement",
]


def span_f1(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> float:
    """F1 of exactly matching spans between two annotators (1.0 when both have none).

    Examples
    --------
    >>> span_f1([{"start": 0, "end": 3, "label": "PER"}], [{"start": 0, "end": 3, "label": "PER"},
    ...                                                     {"start": 5, "end": 8, "label": "ORG"}])
    0.6666666666666666
    """
    sa = {(s["start"], s["end"], s["label"]) for s in a}
    sb = {(s["start"], s["end"], s["label"]) for s in b}
    if not sa and not sb:
        return 1.0
    return 2 * len(sa & sb) / (len(sa) + len(sb))


def _boxes_of(control: Control, value: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, list[str]]:
    """Corner (xyxy) boxes of the regions of one answer, and their labels."""
    if control.type == "polygons":
        arr = np.array([polygon_to_box(r["points"]) for r in value]).reshape(-1, 4)
    elif control.type == "segments":
        # Time intervals as boxes of unit height, so the same IoU applies.
        arr = np.array([[r["start"], 0.0, r["end"], 1.0] for r in value]).reshape(-1, 4)
    else:
        arr = convert_boxes([[r["x"], r["y"], r["w"], r["h"]] for r in value], "xywh", "xyxy")
    return arr, [str(r["label"]) for r in value]


def box_f1(
    control: Control,
    a: Sequence[Mapping[str, Any]],
    b: Sequence[Mapping[str, Any]],
    *,
    iou_threshold: float = 0.5,
) -> tuple[float, float | None]:
    """``(F1, mean IoU of matches)`` between two annotators' boxes (or polygons, segments).

    Examples
    --------
    >>> c = Control("b", "boxes", ("car",))
    >>> box_f1(c, [{"x": 0, "y": 0, "w": 10, "h": 10, "label": "car"}],
    ...           [{"x": 1, "y": 0, "w": 10, "h": 10, "label": "car"}])
    (1.0, 0.8181818181818182)
    """
    if not a and not b:
        return 1.0, None
    if not a or not b:
        return 0.0, None
    A, la = _boxes_of(control, a)
    B, lb = _boxes_of(control, b)
    matches = match_boxes(A, B, labels_a=la, labels_b=lb, iou_threshold=iou_threshold)
    f1 = 2 * len(matches) / (len(A) + len(B))
    return f1, (float(np.mean([m[2] for m in matches])) if matches else None)


def _track_iou(ta: Mapping[str, Any], tb: Mapping[str, Any]) -> float:
    frames = sorted({k["frame"] for k in ta["keyframes"]} | {k["frame"] for k in tb["keyframes"]})
    ious = []
    for f in frames:
        ba, bb = interpolate_track(ta["keyframes"], f), interpolate_track(tb["keyframes"], f)
        if ba is None and bb is None:
            continue
        if ba is None or bb is None:
            ious.append(0.0)
            continue
        xyxy = convert_boxes(
            [[ba["x"], ba["y"], ba["w"], ba["h"]], [bb["x"], bb["y"], bb["w"], bb["h"]]],
            "xywh",
            "xyxy",
        )
        ious.append(box_iou(xyxy[0], xyxy[1]))
    return float(np.mean(ious)) if ious else 0.0


def _track_f1(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> float:
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    from scipy.optimize import linear_sum_assignment

    m = np.array([[_track_iou(x, y) if x["label"] == y["label"] else 0.0 for y in b] for x in a])
    rows, cols = linear_sum_assignment(-m)
    hits = sum(1 for i, j in zip(rows, cols, strict=True) if m[i, j] >= 0.5)
    return 2 * hits / (len(a) + len(b))


def pair_agreement(control: Control, a: Any, b: Any) -> float:
    """Agreement in ``[0, 1]`` between two answers to one control (missing = empty answer)."""
    if control.type == "choices":
        if control.multiple:
            sa, sb = set(a or []), set(b or [])
            return 1.0 if not sa and not sb else len(sa & sb) / len(sa | sb)
        return float(a == b)
    if control.type == "text":
        return float((a or "").strip().casefold() == (b or "").strip().casefold())
    if control.type == "spans":
        return span_f1(a or [], b or [])
    if control.type == "video_boxes":
        return _track_f1(a or [], b or [])
    return box_f1(control, a or [], b or [])[0]


def task_agreement(
    config: LabelConfig, results: Sequence[Mapping[str, Any]]
) -> dict[str, float | None]:
    """Mean pairwise agreement per control over one task's annotations (``None`` if < 2).

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "text"},
    ...     "controls": [{"name": "s", "type": "choices", "labels": ["a", "b"]}]})
    >>> task_agreement(cfg, [{"s": "a"}, {"s": "a"}, {"s": "b"}])
    {'s': 0.3333333333333333}
    """
    out: dict[str, float | None] = {}
    for c in config.controls:
        answered = (
            [r for r in results if c.name in r] if c.type in ("choices", "text") else list(results)
        )
        if len(answered) < 2:
            out[c.name] = None
            continue
        pairs = [
            pair_agreement(c, x.get(c.name), y.get(c.name))
            for x, y in itertools.combinations(answered, 2)
        ]
        out[c.name] = float(np.mean(pairs))
    return out


def project_agreement(config: LabelConfig, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Agreement over a project from annotation rows (``task_id``, ``username``, ``result``).

    Returns
    -------
    dict
        ``controls``: per control, the mean per-task agreement and number of tasks with 2+
        answers (plus Fleiss' kappa, Krippendorff's alpha and the pairwise Cohen's kappa table
        for single-choice controls); ``annotators``: per annotator, the mean agreement with
        the others on shared tasks.
    """
    from labelwise.learn.agreement import cohens_kappa, fleiss_kappa, krippendorff_alpha

    by_task: dict[Any, list[Mapping[str, Any]]] = {}
    for r in rows:
        by_task.setdefault(r["task_id"], []).append(r)
    users = sorted({str(r["username"]) for r in rows})
    controls: dict[str, Any] = {}
    per_user: dict[str, list[float]] = {u: [] for u in users}
    for c in config.controls:
        task_scores = []
        for anns in by_task.values():
            answered = (
                [a for a in anns if c.name in a["result"]]
                if c.type in ("choices", "text")
                else anns
            )
            if len(answered) < 2:
                continue
            pairs = []
            for x, y in itertools.combinations(answered, 2):
                s = pair_agreement(c, x["result"].get(c.name), y["result"].get(c.name))
                pairs.append(s)
                per_user[str(x["username"])].append(s)
                per_user[str(y["username"])].append(s)
            task_scores.append(float(np.mean(pairs)))
        entry: dict[str, Any] = {
            "type": c.type,
            "tasks_compared": len(task_scores),
            "mean_agreement": float(np.mean(task_scores)) if task_scores else None,
        }
        if c.type == "choices" and not c.multiple and task_scores:
            tasks = list(by_task)
            tindex = {t: i for i, t in enumerate(tasks)}
            uindex = {u: j for j, u in enumerate(users)}
            L = np.full((len(tasks), len(users)), -1, dtype=np.int64)
            for r in rows:
                v = r["result"].get(c.name)
                if v in c.labels:
                    L[tindex[r["task_id"]], uindex[str(r["username"])]] = c.labels.index(v)
            entry["fleiss_kappa"] = _finite(fleiss_kappa(L, cardinality=len(c.labels)))
            entry["krippendorff_alpha"] = _finite(krippendorff_alpha(L))
            kappas: dict[str, float | None] = {}
            for i, j in itertools.combinations(range(len(users)), 2):
                shared = (L[:, i] >= 0) & (L[:, j] >= 0)
                if shared.sum() >= 2:
                    kappas[f"{users[i]} / {users[j]}"] = _finite(
                        cohens_kappa(L[:, i], L[:, j], cardinality=len(c.labels))
                    )
            entry["cohen_kappa"] = kappas
        controls[c.name] = entry
    annotators = {
        u: {"mean_agreement": float(np.mean(v)) if v else None, "comparisons": len(v)}
        for u, v in per_user.items()
    }
    return {"controls": controls, "annotators": annotators}


def _finite(v: float) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)
