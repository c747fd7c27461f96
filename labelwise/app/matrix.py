"""Human answers into the label matrix, gold labels out, model pre-labels in.

* :func:`annotations_to_label_matrix`: one column per annotator (``human:<name>``), votes
  from the project's single-choice control; ready to ``hstack`` onto rule and model columns.
* :func:`gold_labels`: adjudicated / reviewed answers as ``y`` (``ABSTAIN`` elsewhere), for
  label-model selection (``select_label_model(L_dev, y_dev)``) and calibration.
* :func:`attach_predictions`: a label model's ``predict_proba`` output (or any votes) as
  pre-labels with confidence, shown to annotators and used by "least confident first".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labelwise.app.errors import BadRequest
from labelwise.app.store import Store
from labelwise.formats.schema import Control
from labelwise.labeling import ABSTAIN, LabelMatrix, LabelSpace

__all__ = ["annotations_to_label_matrix", "attach_predictions", "gold_labels"]


def _control(store: Store, project: int | str, control: str | None) -> tuple[int, Control]:
    p = store.get_project(project)
    c = p.config.control(control) if control else p.config.matrix_control
    if c is None or c.type != "choices" or c.multiple:
        raise BadRequest(
            f"project {p.name!r} has no single-choice control to turn into votes; "
            "name one with control=... (a choices control without multiple: true)"
        )
    return p.id, c


def _rows(
    store: Store, pid: int, item_ids: Sequence[Any] | None
) -> tuple[list[str], dict[int, int]]:
    tasks = store.task_items(pid)
    ids = [t[1] for t in tasks] if item_ids is None else [str(i) for i in item_ids]
    pos = {item: i for i, item in enumerate(ids)}
    return ids, {t[0]: pos[t[1]] for t in tasks if t[1] in pos}


def annotations_to_label_matrix(
    store: Store,
    project: int | str,
    *,
    control: str | None = None,
    item_ids: Sequence[Any] | None = None,
    statuses: Sequence[str] = ("submitted", "accepted", "fixed"),
    prefix: str = "human:",
) -> LabelMatrix:
    """Human votes as a :class:`~labelwise.labeling.LabelMatrix`, one column per annotator.

    Parameters
    ----------
    store : Store
    project : int or str
        Project id or name.
    control : str, optional
        The single-choice control to read (default: the config's ``label_matrix`` or its
        first single-choice control).
    item_ids : sequence, optional
        Row order (e.g. your DataFrame's ids); default: every task in import order. Items
        the project lacks are all-``ABSTAIN`` rows.
    statuses : sequence of str
        Which annotations count (rejected ones do not by default).

    Returns
    -------
    LabelMatrix of shape (n_items, n_annotators)
        Classes follow the control's labels; provenance records ``kind="human"``.

    Examples
    --------
    >>> import tempfile
    >>> from labelwise.formats import Item
    >>> s = Store.open(tempfile.mkdtemp())
    >>> ann = s.create_user("ann", "password-123")
    >>> p = s.create_project("p", {"object": {"type": "text"},
    ...     "controls": [{"name": "y", "type": "choices", "labels": ["no", "yes"]}]})
    >>> _ = s.add_tasks(p.id, [Item("a", {"text": "x"}), Item("b", {"text": "z"})])
    >>> s.add_member(p.id, ann)
    >>> t = s.next_tasks(ann, p.id)[0]
    >>> _ = s.submit(ann, p.id, t["id"], {"y": "yes"})
    >>> L = annotations_to_label_matrix(s, p.id)
    >>> L.names, L.values.tolist()
    (['human:ann'], [[1], [-1]])
    >>> s.close()
    """
    pid, c = _control(store, project, control)
    ids, row_of = _rows(store, pid, item_ids)
    rows = [r for r in store.annotation_rows(pid, statuses=statuses) if r["task_id"] in row_of]
    users = sorted({r["username"] for r in rows})
    col = {u: j for j, u in enumerate(users)}
    values = np.full((len(ids), len(users)), ABSTAIN, dtype=np.int64)
    counts = dict.fromkeys(users, 0)
    for r in rows:
        v = r["result"].get(c.name)
        if v is None:
            continue
        values[row_of[r["task_id"]], col[r["username"]]] = c.labels.index(v)
        counts[r["username"]] += 1
    return LabelMatrix(
        values,
        names=[f"{prefix}{u}" for u in users],
        label_space=LabelSpace(list(c.labels)),
        index=ids,
        provenance={
            f"{prefix}{u}": {
                "kind": "human",
                "annotator": u,
                "project": pid,
                "control": c.name,
                "n_votes": counts[u],
            }
            for u in users
        },
    )


def gold_labels(
    store: Store,
    project: int | str,
    *,
    control: str | None = None,
    item_ids: Sequence[Any] | None = None,
    policy: str = "reviewed",
    min_agreeing: int = 2,
) -> np.ndarray:
    """Trusted labels ``y`` of shape (n_items,), ``ABSTAIN`` where there is none.

    Parameters
    ----------
    policy : {"gold", "reviewed", "consensus"}
        ``gold``: adjudicated answers only. ``reviewed``: also annotations a reviewer
        accepted or fixed (a fix wins over an accept). ``consensus``: also tasks where at
        least ``min_agreeing`` annotators all gave the same answer.
    """
    if policy not in ("gold", "reviewed", "consensus"):
        raise BadRequest(f"policy must be 'gold', 'reviewed' or 'consensus', got {policy!r}")
    pid, c = _control(store, project, control)
    ids, row_of = _rows(store, pid, item_ids)
    y = np.full(len(ids), ABSTAIN, dtype=np.int64)
    fixed: set[int] = set()
    if policy != "gold":
        by_task: dict[int, list[dict[str, Any]]] = {}
        for r in store.annotation_rows(pid):
            if r["task_id"] in row_of:
                by_task.setdefault(r["task_id"], []).append(r)
        for tid, anns in by_task.items():
            reviewed = [
                a for a in anns if a["status"] in ("fixed", "accepted") and c.name in a["result"]
            ]
            reviewed.sort(key=lambda a: a["status"] != "fixed")
            if reviewed:
                y[row_of[tid]] = c.labels.index(reviewed[0]["result"][c.name])
                fixed.add(tid)
            elif policy == "consensus":
                votes = [a["result"].get(c.name) for a in anns if c.name in a["result"]]
                if len(votes) >= min_agreeing and len(set(votes)) == 1:
                    y[row_of[tid]] = c.labels.index(votes[0])
    for tid, _item, _data, gold in store.task_items(pid):
        if gold is not None and tid in row_of and gold.get(c.name) is not None:
            y[row_of[tid]] = c.labels.index(gold[c.name])
    return y


def attach_predictions(
    store: Store,
    project: int | str,
    item_ids: Sequence[Any],
    predictions: Any,
    *,
    source: str = "label_model",
    control: str | None = None,
) -> dict[str, Any]:
    """Attach model pre-labels to tasks.

    Parameters
    ----------
    item_ids : sequence of length n
    predictions : array of shape (n, k) or (n,)
        Class probabilities (``predict_proba``; the confidence is the top probability) or
        class indices (``predict``; ``ABSTAIN`` rows are skipped, no confidence).
    source : str
        Name shown to annotators (one prediction per task and source; re-attaching replaces).

    Returns
    -------
    dict
        ``stored`` count and ``missing`` item ids.
    """
    pid, c = _control(store, project, control)
    arr = np.asarray(predictions)
    if len(arr) != len(item_ids):
        raise BadRequest(f"{len(item_ids)} item ids but {len(arr)} predictions; give one per item")
    rows = []
    if arr.ndim == 2:
        if arr.shape[1] != len(c.labels):
            raise BadRequest(
                f"predictions have {arr.shape[1]} columns but control {c.name!r} has {len(c.labels)} classes"
            )
        for item, p in zip(item_ids, arr, strict=True):
            if not np.all(np.isfinite(p)):
                continue
            k = int(np.argmax(p))
            rows.append(
                {"item_id": str(item), "result": {c.name: c.labels[k]}, "score": float(p[k])}
            )
    elif arr.ndim == 1:
        for item, k in zip(item_ids, arr, strict=True):
            if int(k) == ABSTAIN:
                continue
            if not 0 <= int(k) < len(c.labels):
                raise BadRequest(
                    f"prediction {int(k)} for item {item!r} is outside 0..{len(c.labels) - 1}"
                )
            rows.append({"item_id": str(item), "result": {c.name: c.labels[int(k)]}, "score": None})
    else:
        raise BadRequest(
            f"predictions must be 1-D classes or 2-D probabilities, got shape {arr.shape}"
        )
    return store.add_predictions(pid, rows, source=source)
