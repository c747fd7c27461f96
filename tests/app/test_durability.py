"""Durability: SIGKILL the real ``labelwise serve`` process during load, restart, check exactly-once."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from app_testkit import TEXT_CONFIG, free_port, kill_all, start

from labelwise.app.loadsim import simulate_annotators
from labelwise.formats import Item

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_sigkill_during_load_loses_and_duplicates_nothing(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> None:
    from conftest import open_store, open_target

    folder = tmp_path / "proj"
    target = open_target(request, backend, folder)
    db = None if isinstance(target, Path) else target
    with open_store(target, folder) as store:
        p = store.create_project("durable", TEXT_CONFIG)
        store.add_tasks(p.id, [Item(str(i), {"text": f"message {i}"}) for i in range(3000)])
        tokens = []
        for i in range(8):
            u = store.create_user(f"sim{i}", "simulated-pass", role="annotator")
            store.add_member(p.id, u)
            tokens.append(store.create_token(u))
    port = free_port()
    proc = start(folder, port, db)
    url = f"http://127.0.0.1:{port}"
    killed = {}

    def killer() -> None:
        time.sleep(1.5)
        killed["at"] = time.time()
        kill_all(proc)

    t = threading.Thread(target=killer)
    t.start()
    labels = TEXT_CONFIG["controls"][0]["labels"]
    first = simulate_annotators(url, tokens, p.id, control="sentiment", labels=labels, duration=3.0)
    t.join()
    proc.wait(timeout=10)
    assert first.acknowledged, "no submission was acknowledged before the kill"
    assert first.errors, "the kill should have broken some requests"

    proc = start(folder, port, db)
    try:
        # Retry everything: acknowledged ones must come back as already stored (200), the
        # unacknowledged ones are stored now (201) or were already committed (200).
        acked = {a[0] for a in first.acknowledged}
        with httpx.Client(base_url=url, timeout=30) as client:
            for sid, pid, task_id, body, tok in first.acknowledged + first.unacknowledged:
                r = client.post(
                    f"/api/projects/{pid}/tasks/{task_id}/annotations",
                    json=body,
                    headers={"Authorization": f"Token {tok}"},
                )
                assert r.status_code in (200, 201), (
                    f"retry of {sid} failed: {r.status_code} {r.text}"
                )
                if sid in acked:
                    assert r.status_code == 200, (
                        f"acknowledged {sid} was not stored before the kill"
                    )
        second = simulate_annotators(
            url, tokens, p.id, control="sentiment", labels=labels, duration=1.0
        )
        assert second.acknowledged
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)

    with open_store(target, folder) as store:
        rows = store.annotation_rows(p.id)
        with store.db.read() as conn:
            sids = [
                r[0] for r in conn.execute(store.sa.text("SELECT submission_id FROM annotations"))
            ]
            n_done = conn.execute(store.sa.text("SELECT SUM(n_done) FROM tasks")).scalar_one()
    expected = {a[0] for a in first.acknowledged + first.unacknowledged + second.acknowledged}
    assert len(sids) == len(set(sids)), "a submission is stored twice"
    assert expected <= set(sids), f"lost {len(expected - set(sids))} acknowledged submissions"
    assert len(rows) == len(sids) == n_done


def _children(pid: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.add(int(entry))
            except OSError:
                continue
    return out


def _is_server(pid: int) -> bool:
    """A uvicorn server process (not multiprocessing's resource tracker)."""
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            return "spawn_main" in f.read()
    except OSError:
        return False


def test_server_processes_are_restarted_and_stopped_together(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """``serve --workers 2`` on PostgreSQL: a killed server process is replaced, the port keeps
    answering, and SIGTERM to the parent stops every process (no orphans)."""
    from conftest import open_target

    from labelwise.app.server.processes import reuse_port_supported

    if not reuse_port_supported():
        pytest.skip("SO_REUSEPORT process spreading is Linux-only")
    folder = tmp_path / "proj"
    target = open_target(request, "postgresql", folder)
    proc = start(folder, free_port(), str(target))
    try:
        workers = set()
        for _ in range(100):
            workers = {c for c in _children(proc.pid) if _is_server(c)}
            if len(workers) == 2:
                break
            time.sleep(0.1)
        assert len(workers) == 2, workers
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        replaced: set[int] = set()
        for _ in range(200):
            alive = {c for c in _children(proc.pid) if c != victim}
            replaced = {c for c in alive if _is_server(c)} - workers
            if replaced:
                break
            time.sleep(0.1)
        assert replaced, "the killed server process was not replaced"
        port = int(proc.args[proc.args.index("--port") + 1])  # type: ignore[union-attr]
        for _ in range(100):
            try:
                ok = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code
            except httpx.HTTPError:
                ok = 0
            if ok == 200:
                break
            time.sleep(0.1)
        assert ok == 200
        everyone = _children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) == 0
        left = everyone
        for _ in range(100):  # helpers (multiprocessing's resource tracker) exit just after
            left = {p for p in left if Path(f"/proc/{p}").exists()}
            if not left:
                break
            time.sleep(0.1)
        assert not left, f"processes left running: {left}"
    finally:
        if proc.poll() is None:
            kill_all(proc)


def test_server_processes_refuse_a_taken_port_with_a_message(tmp_path: Path) -> None:
    """The supervisor checks the port before it starts any process and says what to do."""
    import socket

    from labelwise.app.server.processes import reuse_port_supported, run_processes
    from labelwise.errors import LabelwiseError

    if not reuse_port_supported():
        pytest.skip("SO_REUSEPORT process spreading is Linux-only")

    for share in (False, True):  # True: another labelwise server (its sockets share)
        with socket.socket() as taken:
            if share:
                taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            with pytest.raises(LabelwiseError, match=f"127.0.0.1:{port}.*another --port"):
                run_processes(2, "{}", host="127.0.0.1", port=port)
