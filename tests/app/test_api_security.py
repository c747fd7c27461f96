"""Security over real HTTP: authentication everywhere, project and annotation isolation, media
paths, CSRF and cookies, and imports that are too big or malformed."""

from __future__ import annotations

import re

import httpx
import pytest
from app_testkit import BOX_CONFIG, PASSWORDS, TEXT_CONFIG

from labelwise.app import create_app
from labelwise.formats import Item

PUBLIC = {"/api/health", "/api/csrf", "/api/login"}


def _setup(live):
    s = live.store
    a = s.create_project("A", TEXT_CONFIG)
    b = s.create_project("B", TEXT_CONFIG)
    s.add_tasks(a.id, [Item(f"a{i}", {"text": f"alpha {i}"}) for i in range(4)])
    s.add_tasks(b.id, [Item(f"b{i}", {"text": f"beta {i}"}) for i in range(4)])
    s.add_member(a.id, "ann")
    s.add_member(a.id, "bob")
    s.add_member(b.id, "bob")
    return a, b


def test_every_api_route_needs_authentication(live) -> None:
    app = create_app(live.store)
    anon = live.client()
    checked = 0
    for route in app.routes:
        path = getattr(route, "path", "")
        if not path.startswith("/api/") or path in PUBLIC:
            continue
        url = re.sub(r"\{[^}:]+(:path)?\}", "1", path)
        for method in sorted(getattr(route, "methods", ()) - {"HEAD", "OPTIONS"}):
            r = anon.request(method, url, json={})
            assert r.status_code == 401, f"{method} {path} answered {r.status_code} without login"
            checked += 1
    assert checked >= 30
    assert anon.get("/api/health").status_code == 200
    bad = httpx.get(live.url + "/api/projects", headers={"Authorization": "Token nope"})
    assert bad.status_code == 401 and "token" in bad.json()["detail"]


def test_annotator_sees_only_their_projects_and_annotations(live) -> None:
    a, b = _setup(live)
    ann, bob = live.client("ann"), live.client("bob")
    assert [p["name"] for p in ann.get("/api/projects").json()] == ["A"]
    # another project's tasks: invisible (404), for reading and writing
    task_b = live.store.next_tasks(live.users["bob"], b.id)[0]
    assert ann.get(f"/api/projects/{b.id}").status_code == 404
    assert ann.get(f"/api/projects/{b.id}/next").status_code == 404
    assert ann.get(f"/api/projects/{b.id}/tasks/{task_b['id']}").status_code == 404
    r = ann.post(
        f"/api/projects/{b.id}/tasks/{task_b['id']}/annotations",
        json={"result": {"sentiment": "positive"}},
    )
    assert r.status_code == 404
    # a task id of project B through project A's URL is not found either
    assert ann.get(f"/api/projects/{a.id}/tasks/{task_b['id']}").status_code == 404
    # another user's annotation: not readable, not writable
    t = bob.get(f"/api/projects/{a.id}/next").json()["tasks"][0]
    r = bob.post(
        f"/api/projects/{a.id}/tasks/{t['id']}/annotations",
        json={"result": {"sentiment": "negative"}},
    )
    assert r.status_code == 201
    aid = r.json()["id"]
    assert ann.get(f"/api/annotations/{aid}").status_code == 404
    assert ann.put(
        f"/api/annotations/{aid}", json={"result": {"sentiment": "positive"}}
    ).status_code in (403, 404)
    assert ann.post(f"/api/annotations/{aid}/review", json={"action": "accept"}).status_code in (
        403,
        404,
    )
    listed = ann.get(f"/api/projects/{a.id}/annotations").json()
    assert listed["total"] == 0  # annotators list only their own
    assert live.store.get_annotation(live.users["bob"], aid)["result"] == {"sentiment": "negative"}
    # annotators cannot export, see the dashboard or manage
    assert ann.get(f"/api/projects/{a.id}/export").status_code == 403
    assert ann.get(f"/api/projects/{a.id}/dashboard").status_code == 403
    assert ann.post("/api/projects", json={"name": "x", "config": TEXT_CONFIG}).status_code == 403
    assert ann.get("/api/users").status_code == 403


def test_media_paths_cannot_escape_the_project(live, tmp_path) -> None:
    from PIL import Image

    s = live.store
    p1 = s.create_project("imgs1", BOX_CONFIG)
    p2 = s.create_project("imgs2", BOX_CONFIG)
    src = tmp_path / "src"
    src.mkdir()
    Image.new("RGB", (8, 8)).save(src / "ok.png")
    from labelwise.app import import_path

    import_path(s, p1.id, src)
    import_path(s, p2.id, src)
    s.add_member(p1.id, "ann")
    secret = tmp_path / "secret.png"
    Image.new("RGB", (4, 4), (255, 0, 0)).save(secret)
    (live.folder / "media" / str(p1.id) / "link.png").symlink_to(secret)
    ann = live.client("ann")
    assert ann.get(f"/api/projects/{p1.id}/media/ok.png").status_code == 200
    assert ann.get(f"/api/projects/{p1.id}/media/ok.png").headers["content-type"] == "image/png"
    for bad in (
        "../../labelwise.db",
        "..%2F..%2Flabelwise.db",
        "%2e%2e/%2e%2e/labelwise.db",
        f"../{p2.id}/ok.png",
        "%2Fetc%2Fpasswd",
        "/etc/passwd",
        "link.png",
        "nope.png",
    ):
        r = ann.get(f"/api/projects/{p1.id}/media/{bad}")
        assert r.status_code in (400, 404, 422), f"{bad!r} answered {r.status_code}"
        assert b"SQLite" not in r.content
    # not a member of project 2 at all
    assert ann.get(f"/api/projects/{p2.id}/media/ok.png").status_code == 404
    admin = live.client("admin")
    r = admin.post(
        f"/api/projects/{p1.id}/media",
        files={"file": ("x.png", b"\x89PNG")},
        data={"path": "../../evil.png"},
    )
    assert r.status_code == 400 and "'..'" in r.json()["detail"]


def test_cookies_and_csrf(live) -> None:
    c = httpx.Client(base_url=live.url)
    # login without the double-submit token is refused
    r = c.post("/api/login", json={"username": "ann", "password": PASSWORDS["ann"]})
    assert r.status_code == 403
    pre = c.get("/api/csrf").json()["csrf"]
    r = c.post(
        "/api/login",
        json={"username": "ann", "password": "wrong-password"},
        headers={"X-CSRF-Token": pre},
    )
    assert r.status_code == 401
    r = c.post(
        "/api/login",
        json={"username": "ann", "password": PASSWORDS["ann"]},
        headers={"X-CSRF-Token": pre},
    )
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    csrf = r.json()["csrf"]
    assert c.get("/api/me").json()["user"]["username"] == "ann"
    # a write with the session cookie but without the CSRF header is refused
    assert c.post("/api/me/tokens", json={"name": "t"}).status_code == 403
    assert (
        c.post("/api/me/tokens", json={"name": "t"}, headers={"X-CSRF-Token": "forged"}).status_code
        == 403
    )
    r = c.post(
        "/api/me/tokens",
        json={"name": "t"},
        headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"},
    )
    assert r.status_code == 403
    assert (
        c.post("/api/me/tokens", json={"name": "t"}, headers={"X-CSRF-Token": csrf}).status_code
        == 200
    )
    stored = (
        live.store.db.read_engine.connect()
        .exec_driver_sql("SELECT password_hash FROM users WHERE username='ann'")
        .scalar()
    )
    assert stored.startswith("$argon2id$")
    r = c.post("/api/logout", json={}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert c.get("/api/me").status_code == 401
    page = httpx.get(live.url + "/")
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_oversized_and_malformed_imports_are_rejected_whole(live) -> None:
    s = live.store
    p = s.create_project("imports", TEXT_CONFIG)
    admin = live.client("admin")
    big = b"id,text\n" + b"1," + b"x" * 2_100_000 + b"\n"
    r = admin.post(f"/api/projects/{p.id}/import", files={"file": ("big.csv", big)})
    assert r.status_code == 413 and "limit" in r.json()["detail"]
    bad_jsonl = b'{"id": "1", "data": {"text": "ok"}}\n{"id": "2", "data": {"text": "broken"\n'
    r = admin.post(f"/api/projects/{p.id}/import", files={"file": ("tasks.jsonl", bad_jsonl)})
    assert r.status_code == 400 and "line 2" in r.json()["detail"]
    bad_label = (
        b'{"id": "1", "data": {"text": "ok"}}\n'
        b'{"id": "2", "data": {"text": "x"}, "annotations": [{"annotator": "z", "result": {"sentiment": "angry"}}]}\n'
    )
    r = admin.post(f"/api/projects/{p.id}/import", files={"file": ("tasks.jsonl", bad_label)})
    assert r.status_code == 400 and "angry" in r.json()["detail"]
    dup = b"id,text\n1,a\n2,b\n1,c\n"
    r = admin.post(f"/api/projects/{p.id}/import", files={"file": ("dup.csv", dup)})
    assert r.status_code == 409 and "repeats" in r.json()["detail"]
    assert s.list_tasks(live.users["admin"], p.id)["total"] == 0  # nothing half-imported
    r = admin.post(
        f"/api/projects/{p.id}/import", files={"file": ("ok.csv", b"id,text\n1,a\n2,b\n")}
    )
    assert r.status_code == 200 and r.json()["tasks"] == 2
    r = admin.post(
        f"/api/projects/{p.id}/import", files={"file": ("ok.csv", b"id,text\n2,b\n3,c\n")}
    )
    assert r.status_code == 409 and "already exist" in r.json()["detail"]
    assert s.list_tasks(live.users["admin"], p.id)["total"] == 2
    r = admin.post(f"/api/projects/{p.id}/tasks", json=[{"id": "9", "data": {"text": "t"}}] * 2)
    assert r.status_code == 409
    r = admin.post(
        "/api/projects",
        json={
            "name": "bad",
            "config": {
                "object": {"type": "text"},
                "controls": [{"name": "x", "type": "boxes", "labels": ["a"]}],
            },
        },
    )
    assert r.status_code == 400 and "cannot annotate a text object" in r.json()["detail"]


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
def test_user_content_is_returned_as_data_not_markup(live, payload) -> None:
    p = live.store.create_project("xss", TEXT_CONFIG)
    live.store.add_tasks(p.id, [Item("1", {"text": payload})])
    r = live.client("admin").get(f"/api/projects/{p.id}/next")
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["tasks"][0]["data"]["text"] == payload
    js = (
        httpx.get(live.url + "/static/js/main.js").text
        + httpx.get(live.url + "/static/js/controls/spans.js").text
    )
    assert "innerHTML" not in js
