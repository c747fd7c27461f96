"""The service layer on a real SQLite file: queue, overlap, review, gold, matrices, import."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from app_testkit import NER_CONFIG, TEXT_CONFIG

from labelwise.app import (
    BadRequest,
    Conflict,
    Store,
    annotations_to_label_matrix,
    attach_predictions,
    gold_labels,
    import_path,
)
from labelwise.formats import Item
from labelwise.labeling import ABSTAIN, LabelMatrix

os.environ.setdefault("LABELWISE_ARGON2_FAST", "1")


def users(store: Store, n: int, pid: int, role: str = "annotator", prefix: str = "u"):
    out = []
    for i in range(n):
        u = store.create_user(f"{prefix}{i}", "password-123", role=role)
        store.add_member(pid, u)
        out.append(u)
    return out


def test_queue_never_repeats_and_respects_overlap(store: Store) -> None:
    p = store.create_project("q", TEXT_CONFIG, overlap=2)
    store.add_tasks(p.id, [Item(str(i), {"text": f"t{i}"}) for i in range(5)])
    a, b, c = users(store, 3, p.id)
    seen: dict[str, list[int]] = {u.username: [] for u in (a, b, c)}
    # Round-robin until nobody gets work; each user sees each task at most once.
    for _ in range(10):
        for u in (a, b, c):
            tasks = store.next_tasks(u, p.id, count=2)
            if not tasks:
                continue
            t = tasks[0]
            assert not t["complete"]
            seen[u.username].append(t["id"])
            store.submit(u, p.id, t["id"], {"sentiment": "positive"})
    for ids in seen.values():
        assert len(ids) == len(set(ids))
    totals = [
        sum(ids.count(t) for ids in seen.values())
        for t in {i for ids in seen.values() for i in ids}
    ]
    assert totals == [2] * 5  # every task got exactly its overlap
    assert all(store.next_tasks(u, p.id) == [] for u in (a, b, c))


def test_reservations_split_work_and_prefetch_is_stable(store: Store) -> None:
    p = store.create_project("r", TEXT_CONFIG)
    store.add_tasks(p.id, [Item(str(i), {"text": str(i)}) for i in range(6)])
    a, b = users(store, 2, p.id)
    ta = [t["id"] for t in store.next_tasks(a, p.id, count=2)]
    tb = [t["id"] for t in store.next_tasks(b, p.id, count=2)]
    assert not set(ta) & set(tb)  # overlap 1: reserved tasks are not handed to others
    assert [t["id"] for t in store.next_tasks(a, p.id, count=2)] == ta  # same current + prefetched
    store.skip_task(a, p.id, ta[0])
    after = [t["id"] for t in store.next_tasks(a, p.id, count=2)]
    assert ta[0] not in after and after[0] == ta[1]
    assert len(set(after)) == len(after) == 2  # the prefetched task is a new one
    # one held task, then a longer prefetch: the held one comes first, never twice
    (c,) = users(store, 1, p.id, prefix="c")
    first = [t["id"] for t in store.next_tasks(c, p.id, count=1)]
    more = [t["id"] for t in store.next_tasks(c, p.id, count=2)]
    assert more[0] == first[0] and len(set(more)) == len(more) == 2, more


def test_pre_labels_come_highest_score_first_and_unscored_last(store: Store) -> None:
    p = store.create_project("pl", TEXT_CONFIG)
    store.add_tasks(p.id, [Item("x", {"text": "x"})])
    store.add_predictions(
        p.id,
        [
            {"item_id": "x", "result": {"sentiment": "neutral"}, "score": None, "source": "s0"},
            {"item_id": "x", "result": {"sentiment": "positive"}, "score": 0.9, "source": "s1"},
            {"item_id": "x", "result": {"sentiment": "negative"}, "score": 0.5, "source": "s2"},
        ],
    )
    (a,) = users(store, 1, p.id)
    task = store.next_tasks(a, p.id)[0]
    assert [pr["source"] for pr in task["predictions"]] == ["s1", "s2", "s0"]


def test_idempotent_submit_and_conflicts(store: Store) -> None:
    p = store.create_project("i", TEXT_CONFIG)
    store.add_tasks(p.id, [Item("x", {"text": "x"})])
    (a,) = users(store, 1, p.id)
    t = store.next_tasks(a, p.id)[0]
    first, created = store.submit(
        a, p.id, t["id"], {"sentiment": "neutral"}, submission_id="sub-abcdef01"
    )
    again, created2 = store.submit(
        a, p.id, t["id"], {"sentiment": "neutral"}, submission_id="sub-abcdef01"
    )
    assert created and not created2 and first["id"] == again["id"]
    with pytest.raises(Conflict, match="already annotated"):
        store.submit(a, p.id, t["id"], {"sentiment": "positive"}, submission_id="sub-abcdef02")
    with pytest.raises(BadRequest, match="is not one of"):
        store.update_annotation(a, first["id"], {"sentiment": "angry"})
    with pytest.raises(BadRequest, match="required"):
        store.update_annotation(a, first["id"], {})
    assert len(store.annotation_rows(p.id)) == 1


def test_reject_returns_task_to_queue_with_comment(store: Store) -> None:
    p = store.create_project("rev", TEXT_CONFIG)
    store.add_tasks(p.id, [Item("x", {"text": "x"})])
    a, b = users(store, 2, p.id)
    (r,) = [store.create_user("rev", "password-123", role="reviewer")]
    store.add_member(p.id, r)
    t = store.next_tasks(a, p.id)[0]
    ann, _ = store.submit(a, p.id, t["id"], {"sentiment": "negative"})
    assert store.next_tasks(b, p.id) == []  # complete
    with pytest.raises(BadRequest, match="comment"):
        store.review(r, ann["id"], "reject")
    store.review(r, ann["id"], "reject", comment="it is clearly positive")
    again = store.next_tasks(b, p.id)
    assert [x["id"] for x in again] == [t["id"]]
    assert again[0]["review_comments"] == ["it is clearly positive"]
    assert store.next_tasks(a, p.id) == []  # never the same task twice for its author
    ann_b, _ = store.submit(b, p.id, t["id"], {"sentiment": "positive"})
    fixed = store.review(r, ann_b["id"], "fix", result={"sentiment": "neutral"})
    assert fixed["status"] == "fixed" and fixed["result"] == {"sentiment": "neutral"}
    assert store.review_queue(r, p.id) == []


def test_label_matrix_gold_and_predictions(store: Store) -> None:
    p = store.create_project("lm", TEXT_CONFIG, overlap=2, queue_order="uncertainty")
    store.add_tasks(p.id, [Item(str(i), {"text": str(i)}) for i in range(4)])
    proba = np.array([[0.9, 0.05, 0.05], [0.34, 0.33, 0.33], [0.1, 0.1, 0.8], [0.5, 0.5, 0.0]])
    assert attach_predictions(store, p.id, ["0", "1", "2", "3"], proba)["stored"] == 4
    a, b = users(store, 2, p.id)
    order = [t["item_id"] for t in store.next_tasks(a, p.id, count=4)]
    assert order == ["1", "3", "2", "0"]  # least confident first
    assert store.next_tasks(a, p.id)[0]["predictions"][0]["source"] == "label_model"
    for u, labels in (
        (a, ["negative", "neutral", "positive", "negative"]),
        (b, ["negative", "positive", "positive", None]),
    ):
        for t in store.next_tasks(u, p.id, count=4):
            lab = labels[int(t["item_id"])]
            if lab:
                store.submit(u, p.id, t["id"], {"sentiment": lab})
            else:
                store.skip_task(u, p.id, t["id"])
    L = annotations_to_label_matrix(store, p.id, item_ids=["3", "2", "1", "0", "missing"])
    assert isinstance(L, LabelMatrix)
    assert L.names == ["human:u0", "human:u1"] and L.label_space.names == [
        "negative",
        "neutral",
        "positive",
    ]
    assert L.values.tolist() == [[0, -1], [2, 2], [1, 2], [0, 0], [-1, -1]]
    assert L.provenance["human:u0"]["kind"] == "human"
    y = gold_labels(store, p.id, item_ids=["0", "1", "2", "3"], policy="consensus")
    assert y.tolist() == [0, ABSTAIN, 2, ABSTAIN]
    assert gold_labels(store, p.id, policy="gold").tolist() == [ABSTAIN] * 4
    rev = store.create_user("boss", "password-123", role="reviewer")
    store.add_member(p.id, rev)
    tid = store.task_items(p.id)[1][0]
    store.set_gold(rev, p.id, tid, {"sentiment": "neutral"})
    assert gold_labels(store, p.id, policy="gold").tolist() == [ABSTAIN, 1, ABSTAIN, ABSTAIN]
    dis = store.disagreements(rev, p.id)
    assert [d["item_id"] for d in dis] == ["1"] and dis[0]["adjudicated"]
    dash = store.dashboard(rev, p.id)
    ag = dash["agreement"]["controls"]["sentiment"]
    assert ag["tasks_compared"] == 3 and ag["cohen_kappa"]
    assert dash["distribution"]["sentiment"] == {"negative": 3, "neutral": 1, "positive": 3}
    assert dash["progress"]["complete"] == 3


def test_span_agreement_and_export_final(store: Store) -> None:
    p = store.create_project("ner", NER_CONFIG, overlap=2)
    store.add_tasks(p.id, [Item("s", {"text": "Ada met Bob in Paris"})])
    a, b = users(store, 2, p.id)
    t = store.next_tasks(a, p.id)[0]
    store.submit(
        a,
        p.id,
        t["id"],
        {
            "entities": [
                {"start": 0, "end": 3, "label": "PER"},
                {"start": 15, "end": 20, "label": "LOC"},
            ]
        },
    )
    store.submit(b, p.id, t["id"], {"entities": [{"start": 0, "end": 3, "label": "PER"}]})
    rows = store.annotation_rows(p.id)
    from labelwise.app import project_agreement

    ag = project_agreement(p.config, rows)
    assert ag["controls"]["entities"]["mean_agreement"] == pytest.approx(2 / 3)
    items = store.export_items(p.id, which="final")
    assert len(items) == 1 and len(items[0].annotations) == 1
    assert items[0].annotations[0].result["entities"][0]["text"] == "Ada"


def test_import_folder_table_and_rollback(store: Store, tmp_path: Path) -> None:
    p = store.create_project("t", TEXT_CONFIG)
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("first")
    (folder / "b.txt").write_text("second")
    (folder / "c.bin").write_bytes(b"\x00")
    out = import_path(store, p.id, folder)
    assert out["tasks"] == 2 and any("c.bin" in x for x in out["problems"])
    table = tmp_path / "more.jsonl"
    table.write_text("\n".join(json.dumps({"key": f"k{i}", "text": f"row {i}"}) for i in range(3)))
    assert import_path(store, p.id, table, id_column="key")["tasks"] == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\nz1,ok\nk1,clash\n")
    with pytest.raises(Conflict):
        import_path(store, p.id, bad)
    assert sorted(t[1] for t in store.task_items(p.id)) == ["a.txt", "b.txt", "k0", "k1", "k2"]


def test_image_folder_media_rollback(store: Store, tmp_path: Path) -> None:
    from app_testkit import BOX_CONFIG
    from PIL import Image

    p = store.create_project("img", BOX_CONFIG)
    src = tmp_path / "imgs"
    src.mkdir()
    Image.new("RGB", (30, 20)).save(src / "a.png")
    out = import_path(store, p.id, src)
    assert out["tasks"] == 1
    data = store.task_items(p.id)[0][2]
    assert data == {"image": "a.png", "width": 30, "height": 20}
    media = store.media_root / str(p.id)
    Image.new("RGB", (5, 5)).save(src / "b.png")
    with pytest.raises(Conflict):
        import_path(store, p.id, src)  # a.png again: nothing imported, b.png not left behind
    assert not (media / "b.png").exists()


def test_human_columns_and_gold_feed_label_model_selection(store: Store) -> None:
    """Human votes join rule votes in one matrix; reviewed answers are the dev gold."""
    from labelwise.models import select_label_model

    rng = np.random.default_rng(0)
    n = 60
    truth = rng.integers(0, 3, size=n)
    p = store.create_project("joint", TEXT_CONFIG, overlap=2)
    store.add_tasks(p.id, [Item(f"i{i}", {"text": f"item {i}"}) for i in range(n)])
    anns = users(store, 2, p.id)
    rev = store.create_user("chief", "password-123", role="reviewer")
    store.add_member(p.id, rev)
    labels = ["negative", "neutral", "positive"]
    for u, acc in zip(anns, (0.9, 0.7), strict=True):
        for _ in range(n):
            t = store.next_tasks(u, p.id)
            if not t:
                break
            i = int(t[0]["item_id"][1:])
            y = truth[i] if rng.random() < acc else (truth[i] + 1) % 3
            store.submit(u, p.id, t[0]["id"], {"sentiment": labels[y]})
    for a in store.review_queue(rev, p.id, limit=200)[:30]:
        i = int(a["task"]["item_id"][1:])
        if a["result"]["sentiment"] == labels[truth[i]]:
            store.review(rev, a["id"], "accept")
        else:
            store.review(rev, a["id"], "fix", result={"sentiment": labels[truth[i]]})
    ids = [f"i{i}" for i in range(n)]
    rules = LabelMatrix(
        np.where(rng.random(n) < 0.5, truth, -1).reshape(-1, 1),
        names=["rule"],
        cardinality=3,
        index=ids,
    )
    L = rules.hstack(annotations_to_label_matrix(store, p.id, item_ids=ids))
    y = gold_labels(store, p.id, item_ids=ids)
    dev = y != ABSTAIN
    assert L.shape == (n, 3) and dev.sum() >= 20
    assert np.all(y[dev] == truth[dev])  # reviewed answers are the truth here
    model = select_label_model(L.values[dev], y[dev], L_train=L.values, cardinality=3, seed=0)
    assert model.predict(L.values).shape == (n,)
    assert model.selection_report_
