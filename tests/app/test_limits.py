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


def test_password_checks_run_in_a_few_slots_only() -> None:
    """Concurrent logins beyond the slots wait, then get 429: Argon2 memory stays bounded."""
    import threading

    import pytest

    from labelwise.app import TooManyRequests
    from labelwise.app.throttle import LoginThrottle

    t = LoginThrottle(slots=1, slot_wait=0.05)
    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with t.slot():
            inside.set()
            release.wait(5)

    th = threading.Thread(target=hold)
    th.start()
    inside.wait(5)
    with pytest.raises(TooManyRequests) as err, t.slot():
        pass
    assert err.value.retry_after >= 1
    release.set()
    th.join()
    with t.slot():  # free again
        pass


def test_login_failures_are_shared_by_server_processes_and_survive_a_restart(store) -> None:
    """Two stores on one database stand for two server processes: a name locked out on one
    is locked out on the other, and after a restart (a new store) it still is."""
    import pytest

    from labelwise.app import Store, TooManyRequests

    store.create_user("ann", "ann-password-1")
    other = Store.open(store.db.url)
    try:
        for i in range(5):
            with pytest.raises(Exception, match="wrong username or password"):
                store.authenticate("ann", f"wrong-{i}", client="10.0.0.1")
        with pytest.raises(TooManyRequests) as err:
            other.authenticate("ann", "ann-password-1", client="10.0.0.2")
        assert err.value.retry_after > 0
    finally:
        other.close()
    restarted = Store.open(store.db.url)
    try:
        with pytest.raises(TooManyRequests):
            restarted.authenticate("ann", "ann-password-1")
        # the lock-out is per name: another user still logs in
        restarted.create_user("bob", "bob-password-1")
        assert restarted.authenticate("bob", "bob-password-1").username == "bob"
    finally:
        restarted.close()


def test_wrong_logins_are_throttled_across_real_server_processes(
    request, backend: str, tmp_path
) -> None:
    """The real ``labelwise serve`` (two worker processes on PostgreSQL): every attempt after
    the fifth failure gets 429, whichever process takes the connection."""
    from app_testkit import free_port, kill_all, start
    from conftest import open_store, open_target

    folder = tmp_path / "proj"
    target = open_target(request, backend, folder)
    with open_store(target, folder) as s:
        s.create_user("ann", "ann-password-1")
    port = free_port()
    proc = start(folder, port, None if backend == "sqlite" else str(target))
    url = f"http://127.0.0.1:{port}"

    def attempt(password: str) -> int:
        with httpx.Client(base_url=url, timeout=30) as c:  # a new connection each time
            pre = c.get("/api/csrf").json()["csrf"]
            r = c.post(
                "/api/login",
                json={"username": "ann", "password": password},
                headers={"X-CSRF-Token": pre},
            )
            return r.status_code

    try:
        first = [attempt(f"wrong-{i}") for i in range(5)]
        after = [attempt(f"wrong-again-{i}") for i in range(8)] + [attempt("ann-password-1")]
    finally:
        kill_all(proc)
        proc.wait(timeout=30)
    assert first == [401] * 5
    assert after == [429] * 9


def test_a_very_long_user_name_is_throttled_too(store) -> None:
    """Names longer than the failure table's key column still count (keys are cut alike)."""
    import pytest

    from labelwise.app import TooManyRequests

    name = "x" * 400
    for _ in range(5):
        with pytest.raises(Exception, match="wrong username or password"):
            store.authenticate(name, "whatever-password")
    with pytest.raises(TooManyRequests):
        store.authenticate(name, "whatever-password")
