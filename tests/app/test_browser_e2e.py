"""End-to-end: real Chromium (headless, Debian's build) driving the UI against a real server.

Covers: creating a project and importing tasks through the UI, labeling a text
classification, a span and a box task with the keyboard and the mouse (with undo), an XSS
payload shown as text, review (accept/reject), adjudication view, and export; screenshots of
each screen go to ``test-output/app/``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from app_testkit import (
    BOX_CONFIG,
    CHROMIUM,
    NER_CONFIG,
    TEXT_CONFIG,
    login,
    make_images,
    shot,
)

from labelwise.app import import_path

XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"
    ),
]


def test_annotate_review_export(live, browser, test_output, tmp_path) -> None:
    out = test_output / "app"
    for old in out.glob("0*.png"):
        old.unlink()
    store = live.store

    # ---- admin: create a project and import tasks through the UI
    errors: list[str] = []  # console errors of every page: none expected
    actx, admin = login(browser, live.url, "admin", errors)
    admin.goto(live.url + "/#/")
    admin.fill("#new-project input[name=name]", "Sentiment e2e")
    admin.fill("#new-project input[name=overlap]", "2")
    admin.fill("#new-project textarea[name=config]", json.dumps(TEXT_CONFIG))
    admin.click("#new-project button[type=submit]")
    admin.wait_for_selector("#import")
    shot(admin, out, "01_new_project_dashboard")
    pid = store.get_project("Sentiment e2e").id
    csv = tmp_path / "tasks.csv"
    csv.write_text(
        'id,text\nt1,I love this phone\nt2,Terrible battery life\nt3,"'
        + XSS.replace('"', '""')
        + '"\n'
    )
    admin.set_input_files("#import-file", str(csv))
    admin.click("#import button[type=submit]")
    admin.wait_for_selector("#import p:has-text('Imported 3 tasks')")
    admin.fill("#member-name", "ann")
    admin.click("#members button[type=submit]")
    admin.wait_for_selector("#members li:has-text('ann')")
    for who in ("bob", "rita"):
        store.add_member(pid, who)

    # ---- annotator: keyboard, mouse, undo, XSS shown as text
    nctx, ann = login(browser, live.url, "ann", errors)
    ann.goto(f"{live.url}/#/projects/{pid}/label")
    ann.wait_for_selector(".choices")
    assert "love" in ann.inner_text(".text-view")
    ann.keyboard.press("1")
    ann.keyboard.press("3")
    ann.keyboard.press("z")  # undo: back to "negative"
    assert ann.get_attribute(".choice[data-label=negative]", "aria-pressed") == "true"
    shot(ann, out, "02_text_keyboard")
    ann.keyboard.press("Enter")
    ann.wait_for_selector(".text-view:has-text('Terrible')")
    ann.click(".choice[data-label=positive]")  # mouse
    ann.click("#submit")
    ann.wait_for_selector(".item-id:has-text('t3')")
    view = ann.locator(".text-view")
    assert view.inner_text().strip() == XSS  # the payload is text
    assert ann.locator(".text-view img, .text-view script").count() == 0
    assert ann.evaluate("window.__xss === undefined")
    shot(ann, out, "03_xss_as_text")
    ann.keyboard.press("2")
    ann.keyboard.press("Enter")
    ann.wait_for_selector("#all-done")
    shot(ann, out, "04_all_done")
    mine = {a["item_id"]: a["result"]["sentiment"] for a in store.annotation_rows(pid)}
    assert mine == {"t1": "negative", "t2": "positive", "t3": "neutral"}
    # arrow back to the last answer, change it, submit: the same annotation is updated
    ann.keyboard.press("ArrowLeft")
    ann.wait_for_selector(".badge:has-text('editing your submitted answer')")
    assert ann.get_attribute(".choice[data-label=neutral]", "aria-pressed") == "true"
    ann.keyboard.press("1")
    ann.keyboard.press("Enter")
    ann.wait_for_selector("#all-done")
    mine = {a["item_id"]: a["result"]["sentiment"] for a in store.annotation_rows(pid)}
    assert mine == {"t1": "negative", "t2": "positive", "t3": "negative"}

    # bob disagrees on t1, so the adjudication view has work
    bob = live.users["bob"]
    for task in store.next_tasks(bob, pid, count=3):
        store.submit(bob, pid, task["id"], {"sentiment": "positive"})

    # ---- spans (NER) with keyboard and mouse
    ner = store.create_project("NER e2e", NER_CONFIG)
    store.add_tasks(
        ner.id,
        [
            __import__("labelwise.formats", fromlist=["Item"]).Item(
                "n1", {"text": "Ada Lovelace met Charles Babbage in London"}
            )
        ],
    )
    store.add_member(ner.id, "ann")
    ann.goto(f"{live.url}/#/projects/{ner.id}/label")
    ann.wait_for_selector(".text-view .seg")
    ann.keyboard.press(">")  # select tokens 0..1 ("Ada Lovelace")
    ann.keyboard.press("1")  # PER
    # mouse: select "London" and click the LOC label
    ann.evaluate(
        """() => {
        const view = document.querySelector('.text-view');
        const walker = document.createTreeWalker(view, NodeFilter.SHOW_TEXT);
        let node; while ((node = walker.nextNode())) { const i = node.data.indexOf('London');
          if (i >= 0) { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 6);
            const s = window.getSelection(); s.removeAllRanges(); s.addRange(r); break; } }
        view.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
    }"""
    )
    ann.click(".label-pill:has-text('LOC')")
    ann.wait_for_selector(".region-list li:has-text('London')")
    shot(ann, out, "05_spans")
    ann.keyboard.press("Enter")
    ann.wait_for_selector("#all-done")
    spans = store.annotation_rows(ner.id)[0]["result"]["entities"]
    assert {(s["start"], s["end"], s["label"]) for s in spans} == {(0, 12, "PER"), (36, 42, "LOC")}

    # ---- boxes with the mouse, relabel and nudge with the keyboard
    boxes = store.create_project("Boxes e2e", BOX_CONFIG)
    make_images(tmp_path / "imgs")
    import_path(store, boxes.id, tmp_path / "imgs")
    store.add_member(boxes.id, "ann")
    ann.goto(f"{live.url}/#/projects/{boxes.id}/label")
    ann.wait_for_selector(".stage-img")
    ann.locator(".stage-img").evaluate(
        "img => img.complete || new Promise(r => img.addEventListener('load', r))"
    )
    bb = ann.locator(".stage-svg").bounding_box()
    sx, sy = bb["width"] / 320, bb["height"] / 240
    ann.mouse.move(bb["x"] + 60 * sx, bb["y"] + 50 * sy)
    ann.mouse.down()
    ann.mouse.move(bb["x"] + 120 * sx, bb["y"] + 100 * sy, steps=4)
    ann.mouse.move(bb["x"] + 180 * sx, bb["y"] + 150 * sy, steps=4)
    ann.mouse.up()
    ann.wait_for_selector(".region-list li")
    ann.keyboard.press("2")  # relabel the selected box as "person"
    ann.keyboard.press("ArrowRight")  # nudge 1 px
    shot(ann, out, "06_box")
    ann.keyboard.press("Enter")
    ann.wait_for_selector(".item-id:has-text('frame_1')")
    box = store.annotation_rows(boxes.id)[0]["result"]["objects"][0]
    assert box["label"] == "person"
    assert abs(box["x"] - 61) < 3 and abs(box["y"] - 50) < 3
    assert abs(box["w"] - 120) < 3 and abs(box["h"] - 100) < 3

    # ---- reviewer: accept with the keyboard, reject with a comment
    rctx, rita = login(browser, live.url, "rita", errors)
    rita.goto(f"{live.url}/#/projects/{pid}/review")
    rita.wait_for_selector(".task-head .item-id")
    shot(rita, out, "07_review")

    def review_statuses() -> list[str]:
        return sorted(
            a["status"]
            for a in store.annotation_rows(
                pid, statuses=("submitted", "accepted", "rejected", "fixed")
            )
        )

    def wait_until(condition: Callable[[], bool]) -> None:
        # The UI answers a key press with a request; poll the store rather than sleep.
        for _ in range(100):
            if condition():
                return
            rita.wait_for_timeout(50)

    first = rita.locator(".task-head .item-id").inner_text()
    rita.keyboard.press("a")
    wait_until(lambda: review_statuses().count("accepted") == 1)
    rita.wait_for_function(
        "t => { const e = document.querySelector('.task-head .item-id');"
        " return e && e.textContent !== t; }",
        arg=first,
    )
    rita.keyboard.press("r")
    rita.keyboard.type("label is wrong")
    rita.keyboard.press("Enter")
    wait_until(lambda: review_statuses().count("rejected") == 1)
    statuses = review_statuses()
    assert statuses.count("accepted") == 1 and statuses.count("rejected") == 1
    rita.goto(f"{live.url}/#/projects/{pid}/adjudicate")
    rita.wait_for_selector("text=adjudicate")
    rita.click("button:has-text('adjudicate')")
    rita.wait_for_selector("#save-gold")
    shot(rita, out, "08_adjudicate")
    rita.click("#save-gold")
    rita.wait_for_timeout(300)
    assert any(t[3] is not None for t in store.task_items(pid))

    # ---- admin: dashboard and export download
    admin.goto(f"{live.url}/#/projects/{pid}")
    admin.reload()
    admin.wait_for_selector("#progress p:has-text('3 tasks complete')")
    shot(admin, out, "09_dashboard")
    admin.click("#open-export")  # the dialog offers only the formats that fit
    admin.click("#export-dialog li[data-format=csv] input")
    with admin.expect_download() as dl:
        admin.click("#export-download")
    text = Path(dl.value.path()).read_text()
    assert text.splitlines()[0].startswith("id,annotator,text,sentiment")
    assert "ann" in text and "Terrible battery life" in text
    # ---- the same dashboard as a self-contained HTML report
    from labelwise.app import project_report

    html = project_report(store, pid, out / "report.html").read_text()
    assert "Cohen kappa" in html and "Disagreements" in html

    # ---- the API reference renders offline from /openapi.json
    admin.goto(f"{live.url}/docs")
    admin.wait_for_selector("code:has-text('/api/projects/{pid}/next')")
    shot(admin, out, "10_api_docs")
    for c in (actx, nctx, rctx):
        c.close()
    assert errors == []
    assert len(list(out.glob("0*.png"))) == 9 and (out / "10_api_docs.png").exists()
