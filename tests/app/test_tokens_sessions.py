"""API tokens (expiry, listing, revocation: API and CLI), session idle timeout, Secure
cookies, fast deactivation across processes, and opening a database from an older version."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from app_testkit import PASSWORDS, TEXT_CONFIG, start_server

from labelwise.app import Store
from labelwise.formats import Item

LABELWISE = str(Path(sys.executable).with_name("labelwise"))


def _login(url: str, who: str) -> tuple[httpx.Client, httpx.Response]:
    c = httpx.Client(base_url=url)
    pre = c.get("/api/csrf").json()["csrf"]
    r = c.post(
        "/api/login",
        json={"username": who, "password": PASSWORDS[who]},
        # sent by hand: a client keeps Secure cookies for https only
        headers={"X-CSRF-Token": pre, "Cookie": f"lw_csrf={pre}"},
    )
    assert r.status_code == 200
    return c, r


def test_tokens_expire_list_and_revoke(live) -> None:
    ann, admin = live.client("ann"), live.client("admin")
    r = ann.post("/api/me/tokens", json={"name": "script", "expires_days": 30})
    secret = r.json()["token"]
    listed = ann.get("/api/me/tokens").json()["tokens"]
    assert [t["name"] for t in listed] == ["api", "script"]
    assert secret not in json.dumps(listed)
    script = listed[1]
    assert 29 * 86400 < script["expires_at"] - script["created_at"] <= 30 * 86400
    mine = httpx.Client(base_url=live.url, headers={"Authorization": f"Token {secret}"})
    assert mine.get("/api/me").status_code == 200
    assert ann.get("/api/me/tokens").json()["tokens"][1]["last_used_at"] is not None
    # revoked: refused at once
    assert ann.delete(f"/api/me/tokens/{script['id']}").status_code == 200
    assert mine.get("/api/me").status_code == 401
    assert ann.delete(f"/api/me/tokens/{script['id']}").status_code == 404
    # an admin sees and revokes other people's tokens; others cannot
    uid = live.users["ann"].id
    (api_token,) = admin.get(f"/api/users/{uid}/tokens").json()["tokens"]
    assert live.client("bob").get(f"/api/users/{uid}/tokens").status_code == 403
    # an expired token is refused
    live.store.db.write(
        lambda conn: conn.execute(
            live.store.sa.text("UPDATE tokens SET expires_at = 1 WHERE id = :i"),
            {"i": api_token["id"]},
        )
    )
    live.store.forget_auth()
    assert ann.get("/api/me").status_code == 401
    assert admin.get(f"/api/users/{uid}/tokens").json()["tokens"][0]["expired"] is True
    assert admin.delete(f"/api/users/{uid}/tokens/{api_token['id']}").status_code == 200
    assert admin.get(f"/api/users/{uid}/tokens").json()["tokens"] == []


def test_idle_session_is_logged_out(live) -> None:
    c, r = _login(live.url, "ann")
    assert c.get("/api/me").status_code == 200
    # make the session look idle for longer than the timeout
    live.store.db.write(
        lambda conn: conn.execute(
            live.store.sa.text("UPDATE sessions SET last_seen = :t"),
            {"t": time.time() - live.store.session_idle_seconds - 5},
        )
    )
    live.store.forget_auth()
    r = c.get("/api/me")
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_secure_cookie_option(tmp_path: Path) -> None:
    with Store.open(tmp_path / "p") as store:
        store.create_user("ann", PASSWORDS["ann"])
        url, server, thread = start_server(store, secure_cookies=True, session_idle_minutes=30)
        try:
            assert store.session_idle_seconds == 1800
            _c, r = _login(url, "ann")
            assert "secure" in r.headers["set-cookie"].lower()
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def test_deactivation_from_another_process_applies_quickly(live) -> None:
    ann = live.client("ann")
    assert ann.get("/api/projects").status_code == 200  # now cached in the server
    # another process (here: a second store on the same database file) deactivates ann
    with live.open_other() as other:
        other.update_user("ann", active=False)
    deadline = time.time() + 5
    while ann.get("/api/projects").status_code == 200:
        assert time.time() < deadline, "deactivation did not reach the server"
        time.sleep(0.1)
    assert ann.get("/api/projects").status_code == 401


def test_old_database_opens_after_upgrade(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    con = sqlite3.connect(folder / "labelwise.db")
    con.executescript((Path(__file__).parent / "data" / "schema_v1.sql").read_text())
    con.execute(
        "INSERT INTO tokens (user_id, token_hash, name, created_at) SELECT 1, 'x', 'old', 0 "
        "WHERE 0"  # no users yet; tokens are added below through the new code
    )
    con.commit()
    con.close()
    with Store.open(folder) as store:
        assert store.db.schema_version == 2
        u = store.create_user("ann", PASSWORDS["ann"], role="admin")
        token = store.create_token(u)
        assert store.user_for_token(token) == u
        p = store.create_project("p", TEXT_CONFIG)
        store.add_tasks(p.id, [Item("1", {"text": "x"})])
        sid, _csrf = store.create_session(u)
        assert store.session_user(sid) is not None
    assert oct(os.stat(folder / "labelwise.db").st_mode & 0o777) == "0o600"
    with Store.open(folder) as again:  # opening twice is a no-op
        assert again.task_count(p.id) == 1


def test_cli_tokens_and_export_errors(tmp_path: Path) -> None:
    folder = tmp_path / "proj"
    with Store.open(folder) as store:
        store.create_user("ann", PASSWORDS["ann"])
        p = store.create_project("words", TEXT_CONFIG)
        store.add_tasks(p.id, [Item("1", {"text": "x"})])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [LABELWISE, "project", *args], capture_output=True, text=True, env=env, timeout=120
        )

    r = run("users", "token", str(folder), "ann", "--name", "ci", "--expires-days", "7")
    assert r.returncode == 0
    secret = r.stdout.strip()
    r = run("users", "tokens", str(folder), "ann")
    assert r.returncode == 0 and "ci" in r.stdout and secret not in r.stdout
    token_id = r.stdout.split()[0]
    with Store.open(folder) as store:
        assert store.user_for_token(secret) is not None
    r = run("users", "revoke-token", str(folder), "ann", token_id)
    assert r.returncode == 0, r.stderr
    with Store.open(folder) as store:
        assert store.user_for_token(secret) is None
    r = run("users", "revoke-token", str(folder), "ann", token_id)
    assert r.returncode == 2 and "no token" in r.stderr and "Traceback" not in r.stderr
    # a format that does not fit the project: one line naming those that do, exit 2
    r = run("export", str(folder), "words", str(tmp_path / "out"), "--format", "yolo")
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "jsonl" in r.stderr and "COCO" not in r.stderr
