"""Overlap is exact: N annotators flat out against a real server, every task ends with k."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest
from app_testkit import TEXT_CONFIG

from labelwise.app import Conflict
from labelwise.formats import Item


def _team(live, pid: int, n: int) -> list[str]:
    tokens = []
    for i in range(n):
        u = live.store.create_user(f"worker{i}", "worker-pass-1", role="annotator")
        live.store.add_member(pid, u)
        tokens.append(live.store.create_token(u))
    return tokens


@pytest.mark.parametrize("overlap", [1, 2])
def test_concurrent_annotators_give_every_task_exactly_k(live, overlap: int) -> None:
    s = live.store
    p = s.create_project(f"race{overlap}", TEXT_CONFIG, overlap=overlap)
    n_tasks = 60
    s.add_tasks(p.id, [Item(str(i), {"text": f"message {i}"}) for i in range(n_tasks)])
    tokens = _team(live, p.id, 8)
    conflicts = Counter()
    errors: list[str] = []

    def work(token: str) -> None:
        with httpx.Client(
            base_url=live.url, headers={"Authorization": f"Token {token}"}, timeout=60
        ) as c:
            for _ in range(n_tasks * 2):
                tasks = c.get(f"/api/projects/{p.id}/next", params={"count": 2}).json()["tasks"]
                if not tasks:
                    return
                r = c.post(
                    f"/api/projects/{p.id}/tasks/{tasks[0]['id']}/annotations",
                    json={"result": {"sentiment": "neutral"}},
                )
                if r.status_code == 409:
                    conflicts[token] += 1
                elif r.status_code != 201:
                    errors.append(f"{r.status_code} {r.text}")

    threads = [threading.Thread(target=work, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    # the queue never hands one free slot to two people: nobody's work is refused
    assert not conflicts, f"submits refused with 409: {dict(conflicts)}"
    per_task = Counter(a["task_id"] for a in s.annotation_rows(p.id))
    assert len(per_task) == n_tasks
    assert set(per_task.values()) == {overlap}, per_task
    assert s.dashboard(live.users["admin"], p.id)["progress"]["complete"] == n_tasks


def test_submit_refuses_complete_and_others_tasks(live) -> None:
    s = live.store
    p = s.create_project("strict", TEXT_CONFIG, overlap=1)
    s.add_tasks(p.id, [Item(str(i), {"text": f"m{i}"}) for i in range(3)])
    s.add_member(p.id, "ann")
    s.add_member(p.id, "bob")
    ann, bob = live.client("ann"), live.client("bob")
    t0 = ann.get(f"/api/projects/{p.id}/next", params={"count": 1}).json()["tasks"][0]["id"]
    # bob was never handed t0 and ann holds it: his submit would take her slot
    r = bob.post(
        f"/api/projects/{p.id}/tasks/{t0}/annotations", json={"result": {"sentiment": "positive"}}
    )
    assert r.status_code == 409 and "others" in r.json()["detail"]
    assert (
        ann.post(
            f"/api/projects/{p.id}/tasks/{t0}/annotations",
            json={"result": {"sentiment": "negative"}},
        ).status_code
        == 201
    )
    # the task is complete now: nobody can add a second annotation
    r = bob.post(
        f"/api/projects/{p.id}/tasks/{t0}/annotations", json={"result": {"sentiment": "positive"}}
    )
    assert r.status_code == 409 and "already has" in r.json()["detail"]
    with pytest.raises(Conflict):
        s.submit(live.users["admin"], p.id, t0, {"sentiment": "positive"})
    assert len(s.annotation_rows(p.id)) == 1
    # a task in another project is not found
    other = s.create_project("other", TEXT_CONFIG)
    s.add_tasks(other.id, [Item("x", {"text": "x"})])
    r = bob.post(
        f"/api/projects/{p.id}/tasks/999999/annotations", json={"result": {"sentiment": "positive"}}
    )
    assert r.status_code == 404


def test_accepted_annotation_is_final_for_its_author(live) -> None:
    s = live.store
    p = s.create_project("final", TEXT_CONFIG)
    s.add_tasks(p.id, [Item("1", {"text": "fine"})])
    s.add_member(p.id, "ann")
    s.add_member(p.id, "rita")
    ann, rita = live.client("ann"), live.client("rita")
    tid = ann.get(f"/api/projects/{p.id}/next").json()["tasks"][0]["id"]
    aid = ann.post(
        f"/api/projects/{p.id}/tasks/{tid}/annotations", json={"result": {"sentiment": "positive"}}
    ).json()["id"]
    assert rita.post(f"/api/annotations/{aid}/review", json={"action": "accept"}).status_code == 200
    r = ann.put(f"/api/annotations/{aid}", json={"result": {"sentiment": "negative"}})
    assert r.status_code == 409 and "final" in r.json()["detail"]
    got = ann.get(f"/api/annotations/{aid}").json()
    assert got["status"] == "accepted" and got["result"] == {"sentiment": "positive"}


@pytest.mark.slow
def test_exactly_k_across_server_processes(
    request: pytest.FixtureRequest, backend: str, tmp_path
) -> None:
    """The real ``labelwise serve``: one process on SQLite, two workers on PostgreSQL."""
    from app_testkit import free_port, kill_all, start
    from conftest import open_store, open_target

    folder = tmp_path / "proj"
    target = open_target(request, backend, folder)
    n_tasks, overlap = 40, 2
    with open_store(target, folder) as s:
        p = s.create_project("procs", TEXT_CONFIG, overlap=overlap)
        s.add_tasks(p.id, [Item(str(i), {"text": f"m{i}"}) for i in range(n_tasks)])
        tokens = []
        for i in range(6):
            u = s.create_user(f"w{i}", "worker-pass-1")
            s.add_member(p.id, u)
            tokens.append(s.create_token(u))
    port = free_port()
    proc = start(folder, port, None if backend == "sqlite" else str(target))
    url = f"http://127.0.0.1:{port}"
    errors: list[str] = []

    def work(token: str) -> None:
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Token {token}"}, timeout=60
        ) as c:
            for _ in range(n_tasks * 3):
                tasks = c.get(f"/api/projects/{p.id}/next", params={"count": 1}).json()["tasks"]
                if not tasks:
                    return
                r = c.post(
                    f"/api/projects/{p.id}/tasks/{tasks[0]['id']}/annotations",
                    json={"result": {"sentiment": "positive"}},
                )
                if r.status_code != 201:  # 409 included: a slot was handed out twice
                    errors.append(f"{r.status_code} {r.text}")

    try:
        threads = [threading.Thread(target=work, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    finally:
        kill_all(proc)
        proc.wait(timeout=30)
    assert not errors
    with open_store(target, folder) as s:
        per_task = Counter(a["task_id"] for a in s.annotation_rows(p.id))
    assert len(per_task) == n_tasks and set(per_task.values()) == {overlap}, per_task
