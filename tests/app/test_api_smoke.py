from __future__ import annotations

from app_testkit import TEXT_CONFIG


def test_smoke(live) -> None:
    admin = live.client("admin")
    r = admin.post("/api/projects", json={"name": "s", "config": TEXT_CONFIG})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = admin.post(f"/api/projects/{pid}/tasks", json=[{"id": "a", "data": {"text": "hi"}}])
    assert r.status_code == 201, r.text
    r = admin.get(f"/api/projects/{pid}/next")
    assert r.status_code == 200, r.text
    t = r.json()["tasks"][0]
    r = admin.post(
        f"/api/projects/{pid}/tasks/{t['id']}/annotations",
        json={"result": {"sentiment": "positive"}, "submission_id": "sub-00000001"},
    )
    assert r.status_code == 201, r.text
    r = admin.get(f"/api/projects/{pid}/dashboard")
    assert r.status_code == 200, r.text
    print(r.json())
