"""Limits that protect the server: streamed (chunked) bodies and login throttling."""

from __future__ import annotations

import uuid

import httpx
from app_testkit import PASSWORDS, TEXT_CONFIG


def _chunks(total: int, size: int = 64 * 1024):
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b"x" * n


def test_chunked_bodies_are_cut_off_at_the_limit(live) -> None:
    c = httpx.Client(base_url=live.url, timeout=60)
    # no login: a chunked body (no Content-Length) to the login route stops at 64 KiB
    r = c.post(
        "/api/login", content=_chunks(5_000_000), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    # logged in: a chunked multipart import over the 2 MB limit of this server
    p = live.store.create_project("big", TEXT_CONFIG)
    boundary = uuid.uuid4().hex

    def multipart():
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.csv"\r\n'
            "Content-Type: text/csv\r\n\r\nid,text\r\n"
        ).encode()
        for i in range(60_000):  # ~5 MB of rows
            yield f"{i},message number {i} padded to make it longer......\r\n".encode()
        yield f"\r\n--{boundary}--\r\n".encode()

    r = httpx.post(
        f"{live.url}/api/projects/{p.id}/import",
        content=multipart(),
        headers={
            "Authorization": f"Token {live.tokens['admin']}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
        timeout=60,
    )
    assert r.status_code == 413, r.text
    assert live.store.task_count(p.id) == 0
    # a small chunked import still works
    small = [b"id,text\n1,hello\n2,world\n"]
    files = {"file": ("t.csv", b"".join(small), "text/csv")}
    r = live.client("admin").post(f"/api/projects/{p.id}/import", files=files)
    assert r.status_code == 200 and live.store.task_count(p.id) == 2
    assert c.get("/api/health").status_code == 200


def test_wrong_passwords_are_throttled_with_retry_after(live) -> None:
    c = httpx.Client(base_url=live.url)
    pre = c.get("/api/csrf").json()["csrf"]

    def login(who: str, password: str) -> httpx.Response:
        return c.post(
            "/api/login",
            json={"username": who, "password": password},
            headers={"X-CSRF-Token": pre},
        )

    codes = [login("ann", f"wrong-{i}").status_code for i in range(5)]
    assert codes == [401] * 5
    r = login("ann", "wrong-again")
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    # the right password waits too (no oracle while locked); other users are not affected
    assert login("ann", PASSWORDS["ann"]).status_code == 429
    assert login("bob", PASSWORDS["bob"]).status_code == 200
