"""Browser tests of issue 14 ("using it for a day"): keyboard focus after a review, label
colours, overlapping and resizable spans, toasts away from the buttons, an expired session
that keeps the work, image zoom/pan with 8 box handles and polygon vertex editing, the audio
waveform with draggable segment edges, and the video key-frame timeline.

Every test asserts the page logged no console error. Screenshots go to
``test-output/app-screens/``.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_testkit import (
    CHROMIUM,
    NER_CONFIG,
    PASSWORDS,
    TEXT_CONFIG,
    login,
    make_images,
    shot,
    watch_console,
)

from labelwise.app import import_path
from labelwise.formats import Item

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"
    ),
]

PALETTE = ["rgb(31, 119, 180)", "rgb(214, 39, 40)", "rgb(44, 160, 44)"]


def wait_until(page: Any, condition: Callable[[], bool], what: str) -> None:
    """Poll the store (the UI answers a key with a request) instead of sleeping."""
    for _ in range(200):
        if condition():
            return
        page.wait_for_timeout(25)
    raise AssertionError(f"timed out waiting for {what}")


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.fixture
def screens(test_output: Path) -> Path:
    return test_output / "app-screens"


def test_review_keyboard_focus_and_toasts(live, browser, screens) -> None:
    """After a reject with Enter the next keys are shortcuts again, not comment text."""
    store = live.store
    p = store.create_project("review focus", TEXT_CONFIG)
    store.add_tasks(p.id, [Item(f"t{i}", {"text": f"message number {i}"}) for i in range(4)])
    for who in ("ann", "rita"):
        store.add_member(p.id, who)
    ann = live.users["ann"]
    for task in store.next_tasks(ann, p.id, count=4):
        store.submit(ann, p.id, task["id"], {"sentiment": "positive"})

    def statuses() -> list[str]:
        rows = store.annotation_rows(p.id, statuses=("submitted", "accepted", "rejected", "fixed"))
        return sorted(a["status"] for a in rows)

    errors: list[str] = []
    # a laptop-sized window: the action row sits at the bottom of the screen
    ctx, page = login(browser, live.url, "rita", errors, viewport=(1280, 420))
    page.goto(f"{live.url}/#/projects/{p.id}/review")
    page.wait_for_selector(".task-head .item-id")
    first = page.inner_text(".task-head .item-id")
    page.keyboard.press("r")
    page.keyboard.type("wrong label")
    page.keyboard.press("Enter")
    wait_until(page, lambda: statuses().count("rejected") == 1, "the reject")
    page.wait_for_function(
        "t => document.querySelector('.task-head .item-id').textContent !== t", arg=first
    )
    # focus left the comment box: "a" accepts the next annotation instead of being typed
    assert page.evaluate("document.activeElement.id") != "review-comment"
    assert page.input_value("#review-comment") == ""
    page.keyboard.press("a")
    wait_until(page, lambda: statuses().count("accepted") == 1, "the accept by key")
    # and Enter does not reject the next one
    page.keyboard.press("Enter")
    page.wait_for_timeout(200)
    assert statuses().count("rejected") == 1

    # a mouse click on Reject (comment empty) asks for a comment; Enter afterwards is not a
    # second click on the focused button
    page.click("#reject")
    assert page.evaluate("document.activeElement.id") == "review-comment"
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    page.wait_for_timeout(200)
    assert statuses().count("rejected") == 1

    # toasts never cover the action buttons, even with the actions at the bottom of the screen
    page.evaluate("document.querySelector('#accept').scrollIntoView({block: 'end'})")
    page.evaluate(
        "() => import('/static/js/dom.js').then(m => {"
        " for (const t of ['saved', 'accepted', 'write why', 'one more', 'saved']) m.toast(t); })"
    )
    page.wait_for_selector(".toast")
    toasts = page.locator(".toast")
    assert toasts.count() == 3  # at most three, a repeated message is not stacked twice
    boxes = [toasts.nth(i).bounding_box() for i in range(toasts.count())]
    for sel in ("#accept", "#reject", "#fix", "#review-comment"):
        button = page.locator(sel).bounding_box()
        assert button is not None
        for box in boxes:
            assert box is not None and not overlaps(box, button), sel
    for a, b in itertools.pairwise(boxes):
        assert a is not None and b is not None and not overlaps(a, b)
    shot(page, screens, "review_toasts")
    page.keyboard.press("a")
    wait_until(page, lambda: statuses().count("accepted") == 2, "the last accept")
    assert errors == []
    ctx.close()


def test_label_colours_overlapping_and_resizable_spans(live, browser, screens) -> None:
    store = live.store
    cls = store.create_project("colours", TEXT_CONFIG)
    store.add_tasks(cls.id, [Item("c1", {"text": "great phone"})])
    ner = store.create_project("overlap", NER_CONFIG)
    text = "Ada Lovelace met Charles Babbage in London"
    store.add_tasks(ner.id, [Item("n1", {"text": text})])
    for pid in (cls.id, ner.id):
        store.add_member(pid, "ann")
    errors: list[str] = []
    ctx, page = login(browser, live.url, "ann", errors)

    # ---- choices carry their label colour; the selected one is plainly different
    page.goto(f"{live.url}/#/projects/{cls.id}/label")
    page.wait_for_selector(".choice")
    page.keyboard.press("3")
    style = page.evaluate(
        """() => [...document.querySelectorAll('.choice')].map(b => {
            const s = getComputedStyle(b);
            return [s.getPropertyValue('--c').trim(), s.borderLeftColor, s.backgroundColor];
        })"""
    )
    assert [s[1] for s in style] == PALETTE
    assert all(s[0] for s in style)
    assert style[2][2] != style[0][2] == style[1][2]  # only the picked one is tinted
    shot(page, screens, "choices_colours")
    page.keyboard.press("Enter")
    page.wait_for_selector("#all-done")

    # ---- spans: legend colours, two overlapping spans both visible, keyboard + drag resizing
    page.goto(f"{live.url}/#/projects/{ner.id}/label")
    page.wait_for_selector(".text-view .seg")
    pills = page.evaluate(
        "[...document.querySelectorAll('.label-pill')].map(b => getComputedStyle(b).borderLeftColor)"
    )
    assert pills == PALETTE
    page.keyboard.press(">")  # "Ada Lovelace"
    page.keyboard.press("1")  # PER
    page.keyboard.press(">")  # anchor on "Lovelace", cursor on "met"
    page.keyboard.press("<")  # back to "Lovelace" alone
    page.keyboard.press("2")  # ORG, overlapping the PER span
    seg = page.locator(".text-view .seg", has_text="Lovelace")
    assert seg.get_attribute("data-labels") == "ORG PER"
    lines = seg.evaluate("e => getComputedStyle(e).boxShadow")
    assert PALETTE[0] in lines and PALETTE[1] in lines  # one underline per label
    assert page.locator(".text-view .seg", has_text="Ada").get_attribute("data-labels") == "PER"
    shot(page, screens, "spans_overlapping")
    # the new ORG span is selected: → grows its end by a token, Shift+← its start
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowLeft")
    page.wait_for_selector(".region-list li:has-text('Ada Lovelace met')")
    # drag its end handle onto "Charles"
    handle = page.locator(".span-handle[data-edge=end]").bounding_box()
    target = page.evaluate(
        """() => { const view = document.querySelector('.text-view');
        const w = document.createTreeWalker(view, NodeFilter.SHOW_TEXT); let n;
        while ((n = w.nextNode())) { const i = n.data.indexOf('Charles');
          if (i >= 0) { const r = document.createRange(); r.setStart(n, i + 5); r.setEnd(n, i + 6);
            const b = r.getBoundingClientRect(); return [b.x + b.width / 2, b.y + b.height / 2]; } } }"""
    )
    assert handle is not None
    page.mouse.move(handle["x"] + 3, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(target[0], target[1], steps=6)
    page.mouse.up()
    page.wait_for_selector(".region-list li:has-text('Ada Lovelace met Charles')")
    shot(page, screens, "spans_resized")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    page.wait_for_selector("#all-done")
    spans = store.annotation_rows(ner.id)[0]["result"]["entities"]
    assert {(s["start"], s["end"], s["label"]) for s in spans} == {(0, 12, "PER"), (0, 24, "ORG")}
    assert errors == []
    ctx.close()


def test_expired_session_asks_to_log_in_and_keeps_the_work(live, browser, screens) -> None:
    store = live.store
    p = store.create_project("expiry", TEXT_CONFIG)
    store.add_tasks(p.id, [Item("e1", {"text": "still here after lunch"})])
    store.add_member(p.id, "ann")
    errors: list[str] = []
    ctx, page = login(browser, live.url, "ann", errors)
    page.goto(f"{live.url}/#/projects/{p.id}/label")
    page.wait_for_selector(".choice")
    page.keyboard.press("2")
    # the session ends on the server (expiry, or an admin reset) while the page is open
    (sid,) = [c["value"] for c in ctx.cookies() if c["name"] == "lw_session"]
    store.delete_session(sid)
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog#relogin[open]")
    assert "expired" in page.inner_text("dialog#relogin")
    assert page.locator(".error-box").count() == 0  # no raw API error
    # the work is still on screen behind the dialog, and keys do not reach the page
    assert page.get_attribute(".choice[data-label=neutral]", "aria-pressed") == "true"
    shot(page, screens, "session_expired")
    page.fill("#relogin-password", "not the password")
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog#relogin .error:not(:empty)")
    page.fill("#relogin-password", PASSWORDS["ann"])
    page.keyboard.press("Enter")
    page.wait_for_selector("#all-done")
    assert page.locator("dialog#relogin").count() == 0
    (row,) = store.annotation_rows(p.id)
    assert row["result"] == {"sentiment": "neutral"} and row["username"] == "ann"
    # the only console errors are the browser's notes on the refused requests (401)
    assert errors and all("401" in e for e in errors), errors
    ctx.close()


def stage_point(page: Any, x: float, y: float, w: int = 320, h: int = 240) -> tuple[float, float]:
    """Screen point of image pixel (x, y), zoom and pan included."""
    bb = page.locator(".stage-svg").bounding_box()
    assert bb is not None
    return bb["x"] + x * bb["width"] / w, bb["y"] + y * bb["height"] / h


def drag(page: Any, a: tuple[float, float], b: tuple[float, float], steps: int = 5) -> None:
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=steps)
    page.mouse.up()


def test_image_zoom_pan_box_handles_and_polygon_vertices(live, browser, screens, tmp_path) -> None:
    store = live.store
    p = store.create_project(
        "regions",
        {
            "object": {"type": "image", "field": "image"},
            "controls": [
                {"name": "objects", "type": "boxes", "labels": ["car", "person"]},
                {"name": "shape", "type": "polygons", "labels": ["blob", "sky"]},
            ],
        },
    )
    make_images(tmp_path / "imgs", n=1)
    import_path(store, p.id, tmp_path / "imgs")
    store.add_member(p.id, "ann")
    errors: list[str] = []
    ctx, page = login(browser, live.url, "ann", errors)
    page.goto(f"{live.url}/#/projects/{p.id}/label")
    page.wait_for_selector(".stage-img")
    page.locator(".stage-img").evaluate(
        "img => img.complete || new Promise(r => img.addEventListener('load', r))"
    )
    # ---- zoom with the keyboard and Ctrl+wheel, pan with Space+drag and Ctrl+arrows
    page.keyboard.press("+")
    page.keyboard.press("+")
    assert page.inner_text(".zoom-level") == "156%"
    wrap = page.locator(".stage").bounding_box()
    assert wrap is not None
    page.mouse.move(wrap["x"] + wrap["width"] / 2, wrap["y"] + wrap["height"] / 2)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -200)
    page.keyboard.up("Control")
    page.wait_for_function(
        "() => parseInt(document.querySelector('.zoom-level').textContent) > 156"
    )
    before = page.locator(".stage-svg").bounding_box()
    page.keyboard.down(" ")
    drag(page, (wrap["x"] + 300, wrap["y"] + 200), (wrap["x"] + 340, wrap["y"] + 230))
    page.keyboard.up(" ")
    after = page.locator(".stage-svg").bounding_box()
    assert before is not None and after is not None
    assert abs(after["x"] - before["x"] - 40) < 2 and abs(after["y"] - before["y"] - 30) < 2
    page.keyboard.press("Control+ArrowRight")
    moved = page.locator(".stage-svg").bounding_box()
    assert moved is not None and moved["x"] < after["x"]
    assert page.locator(".region-list li").count() == 0  # panning drew nothing
    # draw a box while zoomed (in the visible middle): it lands on the right image pixels
    drag(page, stage_point(page, 150, 110), stage_point(page, 180, 130))
    page.wait_for_selector(".region-list li")
    shot(page, screens, "image_zoomed")
    page.keyboard.press("0")
    assert page.inner_text(".zoom-level") == "100%"
    page.keyboard.press("h")  # hide the regions to see the image, then show them again
    assert not page.locator(".stage-svg .layer").first.is_visible()
    page.keyboard.press("h")
    assert page.locator(".stage-svg .layer").first.is_visible()
    # ---- eight handles; drag the top-left one, then the right edge; Alt+→ widens by 1
    page.keyboard.press("Escape")  # let go of the box, then pick it again with the keyboard
    assert page.locator(".stage-svg .handle").count() == 0
    page.keyboard.press(".")
    assert page.locator(".stage-svg .handle").count() == 8
    drag(page, stage_point(page, 150, 110), stage_point(page, 140, 100))
    drag(page, stage_point(page, 180, 115), stage_point(page, 190, 115))
    page.keyboard.press("Alt+ArrowRight")
    shot(page, screens, "box_handles")
    # ---- polygon: draw, drag a vertex, add one from an edge midpoint, Alt+click removes one
    page.keyboard.press("Tab")
    for x, y in [(200, 40), (280, 40), (280, 100), (200, 100), (201, 41)]:
        page.mouse.click(*stage_point(page, x, y))
    page.wait_for_selector(".region-list li:has-text('4 points')")
    assert page.locator(".stage-svg .vertex.edit").count() == 4
    drag(page, stage_point(page, 280, 100), stage_point(page, 300, 120))
    drag(page, stage_point(page, 240, 40), stage_point(page, 240, 20))  # top edge midpoint
    page.wait_for_selector(".region-list li:has-text('5 points')")
    page.keyboard.down("Alt")
    page.mouse.click(*stage_point(page, 200, 100))
    page.keyboard.up("Alt")
    page.wait_for_selector(".region-list li:has-text('4 points')")
    page.keyboard.press("]")  # select vertex 0, nudge it 10 px left
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Escape")  # let go of the vertex: arrows move the whole polygon
    page.keyboard.press("ArrowDown")
    shot(page, screens, "polygon_vertices")
    page.keyboard.press("Enter")
    page.wait_for_selector("#all-done")
    result = store.annotation_rows(p.id)[0]["result"]
    (box,) = result["objects"]
    assert abs(box["x"] - 140) < 2 and abs(box["y"] - 100) < 2
    assert abs(box["w"] - 51) < 2 and abs(box["h"] - 30) < 2
    (poly,) = result["shape"]
    want = [(190, 41), (240, 21), (280, 41), (300, 121)]
    assert len(poly["points"]) == 4
    for (px, py), (wx, wy) in zip(poly["points"], want, strict=True):
        assert abs(px - wx) < 2.5 and abs(py - wy) < 2.5, poly["points"]
    assert errors == []
    ctx.close()


def write_wav(path: Path) -> None:
    """Two seconds at 8 kHz: silence, then a 440 Hz tone in the second half."""
    t = np.arange(16000) / 8000
    signal = np.where(t >= 1.0, np.sin(2 * np.pi * 440 * t) * 12000, 0).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(signal.tobytes())


def test_audio_waveform_and_segment_edges(live, browser, screens, tmp_path) -> None:
    store = live.store
    p = store.create_project(
        "sounds",
        {
            "object": {"type": "audio", "field": "audio"},
            "controls": [{"name": "seg", "type": "segments", "labels": ["tone", "noise"]}],
        },
    )
    (tmp_path / "wavs").mkdir()
    write_wav(tmp_path / "wavs" / "half.wav")
    import_path(store, p.id, tmp_path / "wavs")
    store.add_member(p.id, "ann")
    errors: list[str] = []
    ctx, page = login(browser, live.url, "ann", errors)
    page.goto(f"{live.url}/#/projects/{p.id}/label")
    page.wait_for_selector(".timeline[data-wave=ready]")
    # the waveform is drawn from the decoded audio: ink in the second half only
    ink = page.evaluate(
        """() => { const c = document.querySelector('canvas.wave'); const g = c.getContext('2d');
        const half = Math.floor(c.width / 2), d = g.getImageData(0, 0, c.width, c.height).data;
        let left = 0, right = 0;
        for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) {
          const a = d[4 * (y * c.width + x) + 3]; if (x < half - 2) left += a > 0; else if (x > half + 2) right += a > 0; }
        return [left, right, c.width * c.height]; }"""
    )
    assert ink[1] > 0.3 * ink[2] / 2 and ink[0] < 0.05 * ink[2] / 2, ink
    tb = page.locator(".timeline").bounding_box()
    assert tb is not None

    def at(frac: float) -> tuple[float, float]:
        return tb["x"] + frac * tb["width"], tb["y"] + tb["height"] / 2

    drag(page, at(0.5), at(0.75))
    page.wait_for_selector(".region-list li")
    # drag the right edge of the segment from 75% to 90%, then its left edge from 50% to 40%
    drag(page, (at(0.75)[0] - 2, at(0.75)[1]), at(0.9))
    drag(page, (at(0.5)[0] + 2, at(0.5)[1]), at(0.4))
    page.wait_for_selector(".region-list li:has-text('0.80')")
    # keyboard: → moves the end 0.1 s, Shift+← moves the start 0.1 s
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("w")  # spectrogram
    page.wait_for_selector(".timeline[data-mode=spectrogram]")
    shot(page, screens, "audio_spectrogram")
    page.keyboard.press("w")
    shot(page, screens, "audio_waveform")
    page.keyboard.press("Escape")
    assert page.locator(".seg-block.selected").count() == 0
    page.keyboard.press(",")  # select the (only) segment with the keyboard
    assert page.locator(".seg-block.selected").count() == 1
    page.keyboard.press("Escape")
    # zoom the timeline: it gets wider than its window (and scrolls), 0 resets
    page.keyboard.press("+")
    page.keyboard.press("+")
    ratio = page.evaluate(
        "() => document.querySelector('.timeline .track').clientWidth"
        " / document.querySelector('.timeline').clientWidth"
    )
    assert abs(ratio - 2.25) < 0.05, ratio
    shot(page, screens, "audio_zoomed")
    page.keyboard.press("0")
    page.wait_for_selector(".tl-zoom:has-text('1.0×')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#all-done")
    (seg,) = store.annotation_rows(p.id)[0]["result"]["seg"]
    assert abs(seg["start"] - 0.7) < 0.05 and abs(seg["end"] - 1.9) < 0.05, seg
    assert errors == []
    ctx.close()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg writes the test video")
def test_video_timeline_keyframes_and_frame_count(live, browser, screens) -> None:
    store = live.store
    p = store.create_project(
        "clips",
        {
            "object": {"type": "video", "field": "video"},
            "controls": [{"name": "tracks", "type": "video_boxes", "labels": ["ball", "player"]}],
        },
    )
    media = store.media_root / str(p.id)
    media.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            *("ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi"),
            *("-i", "testsrc=size=160x120:rate=10", "-t", "3"),
            *("-c:v", "libvpx", "-b:v", "200k", str(media / "clip.webm")),
        ],
        check=True,
    )
    store.add_tasks(
        p.id, [Item("v1", {"video": "clip.webm", "width": 160, "height": 120, "fps": 10})]
    )
    store.add_member(p.id, "ann")
    errors: list[str] = []
    ctx, page = login(browser, live.url, "ann", errors)
    page.goto(f"{live.url}/#/projects/{p.id}/label")
    page.wait_for_selector(".frame-info:has-text('frame 0 / 30')")
    vb = page.locator(".stage-svg").bounding_box()
    assert vb is not None
    sx, sy = vb["width"] / 160, vb["height"] / 120
    drag(page, (vb["x"] + 20 * sx, vb["y"] + 20 * sy), (vb["x"] + 60 * sx, vb["y"] + 60 * sy))
    page.wait_for_selector(".vtimeline .kf")
    page.keyboard.press(">")  # 10 frames on
    page.wait_for_selector(".frame-info:has-text('frame 10 / 30')")
    drag(page, (vb["x"] + 40 * sx, vb["y"] + 40 * sy), (vb["x"] + 70 * sx, vb["y"] + 40 * sy))
    page.wait_for_function("() => document.querySelectorAll('.vtimeline .kf').length === 2")
    page.keyboard.press("o")  # the ball leaves at frame 10
    page.wait_for_selector(".vtimeline .kf.outside")
    page.keyboard.press("[")
    page.wait_for_selector(".frame-info:has-text('frame 0 / 30')")
    page.keyboard.press("]")
    page.wait_for_selector(".frame-info:has-text('frame 10 / 30')")
    # click on the timeline near its end: seek to the last frame
    tl = page.locator(".vtimeline").bounding_box()
    assert tl is not None
    page.mouse.click(tl["x"] + tl["width"] - 1, tl["y"] + tl["height"] / 2)
    page.wait_for_selector(".frame-info:has-text('frame 29 / 30')")
    lefts = page.evaluate(
        "[...document.querySelectorAll('.vtimeline .kf')].map(e => parseFloat(e.style.left))"
    )
    assert [round(x) for x in lefts] == [0, 34]  # frames 0 and 10 of 0..29
    page.keyboard.press("+")  # the frame zooms like an image
    assert page.inner_text(".zoom-level") == "125%"
    shot(page, screens, "video_timeline")
    page.keyboard.press("0")
    page.keyboard.press("Enter")
    page.wait_for_selector("#all-done")
    (track,) = store.annotation_rows(p.id)[0]["result"]["tracks"]
    assert [k["frame"] for k in track["keyframes"]] == [0, 10]
    assert track["keyframes"][-1].get("outside") is True
    assert errors == []
    ctx.close()


def test_media_upload_and_task_browser(live, browser, screens, tmp_path) -> None:
    """Admin: upload images from the UI (one task each), then browse tasks with the keyboard."""
    store = live.store
    p = store.create_project(
        "uploads",
        {
            "object": {"type": "image", "field": "image"},
            "controls": [{"name": "objects", "type": "boxes", "labels": ["car", "person"]}],
        },
    )
    make_images(tmp_path / "up", n=3)
    (tmp_path / "up" / "notes.txt").write_text("not an image")
    errors: list[str] = []
    ctx, page = login(browser, live.url, "admin", errors)
    page.goto(f"{live.url}/#/projects/{p.id}")
    page.wait_for_selector("#upload")
    page.set_input_files("#upload-files", sorted(str(f) for f in (tmp_path / "up").iterdir()))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#upload-status:has-text('Uploaded 3 of 4')")
    status = page.inner_text("#upload-status")
    assert "Created 3 task(s)" in status and "1 failed: notes.txt" in status, status
    assert "notes.txt" in page.inner_text("#upload-list .bad")
    shot(page, screens, "media_upload")
    items = {item_id: data for _, item_id, data, *_ in store.task_items(p.id)}
    assert set(items) == {"frame_0.png", "frame_1.png", "frame_2.png"}
    assert items["frame_1.png"]["width"] == 320 and items["frame_1.png"]["height"] == 240
    # the only console error is the browser's note on the refused upload (400)
    assert len(errors) == 1 and "400" in errors[0], errors
    errors.clear()

    # ---- the task browser: 60 tasks, two pages, keyboard moves and opens
    store.add_tasks(
        p.id,
        [
            Item(f"extra{i:02d}", {"image": "frame_0.png", "width": 320, "height": 240})
            for i in range(57)
        ],
    )
    ann = live.users["ann"]
    store.add_member(p.id, "ann")
    (first,) = store.next_tasks(ann, p.id, count=1)
    store.submit(
        ann, p.id, first["id"], {"objects": [{"x": 10, "y": 10, "w": 50, "h": 40, "label": "car"}]}
    )
    page.click("#browse-tasks")
    page.wait_for_selector("#page-info:has-text('1–50 of 60')")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("#page-info:has-text('51–60 of 60')")
    page.keyboard.press("ArrowLeft")
    page.wait_for_selector("#page-info:has-text('1–50 of 60')")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    order = page.eval_on_selector_all(
        "#task-table tr[data-task] td:nth-child(2)", "tds => tds.map(td => td.textContent)"
    )
    assert order[0] == first["item_id"] and len(order) == 50  # uploads finish in any order
    assert page.inner_text("#task-table tr.cursor td:nth-child(2)") == order[1]
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#task-detail h2:has-text('{first['item_id']}')")
    page.wait_for_selector("#task-annotations td:has-text('ann')")
    page.wait_for_selector("#task-detail .stage-svg rect")
    shot(page, screens, "task_browser")
    page.select_option("#f-status", "complete")
    page.wait_for_selector("#page-info:has-text('1–1 of 1')")
    assert errors == []
    ctx.close()


def test_screens_tour(live, browser, screens) -> None:
    """Every main screen once, for the reviewer's eyes, with no console error on any of them."""
    store = live.store
    p = store.create_project("tour", TEXT_CONFIG, overlap=2)
    store.add_tasks(p.id, [Item(f"t{i}", {"text": f"message {i}"}) for i in range(4)])
    for who in ("ann", "bob", "rita"):
        store.add_member(p.id, who)
    for who, label in (("ann", "positive"), ("bob", "negative")):
        user = live.users[who]
        for task in store.next_tasks(user, p.id, count=3):
            store.submit(user, p.id, task["id"], {"sentiment": label})
    store.add_member(p.id, "admin")
    errors: list[str] = []
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    watch_console(page, errors)
    page.goto(live.url + "/#/login")
    page.wait_for_selector("input[name=username]")
    shot(page, screens, "tour_01_login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORDS["admin"])
    page.keyboard.press("Enter")
    page.wait_for_selector(".project-card")
    shot(page, screens, "tour_02_projects")
    page.goto(f"{live.url}/#/projects/{p.id}")
    page.wait_for_selector("#agreement")
    shot(page, screens, "tour_03_dashboard")
    page.goto(f"{live.url}/#/projects/{p.id}/label")
    page.wait_for_selector(".choice")
    page.keyboard.press("?")
    shot(page, screens, "tour_04_label_with_help")
    page.goto(f"{live.url}/#/projects/{p.id}/review")
    page.wait_for_selector(".task-head .item-id")
    shot(page, screens, "tour_05_review")
    page.goto(f"{live.url}/#/projects/{p.id}/adjudicate")
    page.click("button:has-text('adjudicate')")
    page.wait_for_selector("#save-gold")
    shot(page, screens, "tour_06_adjudicate")
    page.goto(f"{live.url}/#/users")
    page.wait_for_selector("#users")
    shot(page, screens, "tour_07_users")
    page.goto(f"{live.url}/#/projects/{p.id}/tasks")
    page.wait_for_selector("#page-info:has-text('of 4')")
    shot(page, screens, "tour_08_tasks")
    assert errors == []
    ctx.close()


def test_filters_deletes_and_export_dialog(live, browser, screens) -> None:
    """Admin: filter tasks by annotator, label and text; delete an annotation, a task, users and
    the project behind confirmations; export only in formats that fit."""
    store = live.store
    p = store.create_project("manage", TEXT_CONFIG, overlap=2)
    store.add_tasks(
        p.id,
        [Item(f"t{i}", {"text": w}) for i, w in enumerate(["red apple", "green pear", "red plum"])],
    )
    for who in ("ann", "bob"):
        store.add_member(p.id, who)
    ann, bob = live.users["ann"], live.users["bob"]
    for task in store.next_tasks(ann, p.id, count=3):
        store.submit(ann, p.id, task["id"], {"sentiment": "positive"})
    (first,) = store.next_tasks(bob, p.id, count=1)
    store.submit(bob, p.id, first["id"], {"sentiment": "negative"})
    store.create_user("temp", "temporary-pass-1", role="annotator")
    errors: list[str] = []
    ctx, page = login(browser, live.url, "admin", errors)

    # ---- filters: annotator, label, text search (and they combine)
    page.goto(f"{live.url}/#/projects/{p.id}/tasks")
    page.wait_for_selector("#page-info:has-text('1–3 of 3')")
    page.select_option("#f-annotator", "bob")
    page.wait_for_selector("#page-info:has-text('1–1 of 1')")
    assert "bob" in page.inner_text("#task-table td.annotators")
    page.select_option("#f-annotator", "")
    page.select_option("#f-label", "negative")
    page.wait_for_selector("#page-info:has-text('1–1 of 1')")
    page.select_option("#f-label", "")
    page.wait_for_selector("#page-info:has-text('1–3 of 3')")
    page.keyboard.press("/")
    page.keyboard.type("red")
    page.keyboard.press("Enter")
    page.wait_for_selector("#page-info:has-text('1–2 of 2')")
    shot(page, screens, "tasks_filtered")
    page.keyboard.press("Escape")  # leave the search box: keys are shortcuts again

    # ---- delete bob's annotation from the task's detail, then the task with the keyboard
    page.fill("#f-q", "")
    page.keyboard.press("Enter")
    page.wait_for_selector("#page-info:has-text('1–3 of 3')")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")  # opens the first task (the one bob answered)
    page.wait_for_selector("#task-annotations td:has-text('bob')")
    page.click("#task-annotations tr:has-text('bob') button:has-text('delete')")
    page.wait_for_selector("dialog#confirm[open]")
    shot(page, screens, "confirm_delete_annotation")
    page.keyboard.press("Enter")  # the confirm button has focus
    page.wait_for_selector("#task-annotations td:has-text('bob')", state="detached")
    assert page.locator("#task-annotations td:has-text('ann')").count() == 1
    assert [r["username"] for r in store.annotation_rows(p.id)].count("bob") == 0
    page.keyboard.press("j")
    page.keyboard.press("Delete")
    page.wait_for_selector("dialog#confirm[open]")
    page.keyboard.press("Escape")  # cancel: nothing happens
    assert page.locator("dialog#confirm").count() == 0 and len(store.task_items(p.id)) == 3
    page.keyboard.press("Delete")
    page.keyboard.press("Enter")
    page.wait_for_selector("#page-info:has-text('1–2 of 2')")
    assert sorted(t[1] for t in store.task_items(p.id)) == ["t0", "t2"]

    # ---- export: only the formats that fit a text classification project
    page.goto(f"{live.url}/#/projects/{p.id}")
    page.click("#open-export")
    page.wait_for_selector("dialog#export-dialog[open]")
    offered = page.eval_on_selector_all(
        "#export-dialog ul[role=radiogroup] li", "ls => ls.map(l => l.dataset.format)"
    )
    assert set(offered) == {"jsonl", "csv", "label_studio"}
    assert page.locator("#export-dialog li.unfit[data-format=coco]").count() == 1
    shot(page, screens, "export_dialog")
    page.keyboard.press("ArrowDown")  # csv
    with page.expect_download() as dl:
        page.keyboard.press("Enter")
    text = Path(dl.value.path()).read_text()
    assert text.splitlines()[0].startswith("id,annotator,text,sentiment") and "red plum" in text

    # ---- users: delete one without work; one with work is deactivated instead
    page.goto(f"{live.url}/#/users")
    page.click("#users tr[data-user=temp] button:has-text('delete')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#users tr[data-user=ann]")
    page.wait_for_selector("#users tr[data-user=temp]", state="detached")
    page.click("#users tr[data-user=ann] button:has-text('delete')")
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog#confirm[open] h2:has-text('Deactivate ann instead?')")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#users tr[data-user=ann] td:nth-child(3)')"
        "?.textContent === 'no'"
    )
    assert not store.get_user("ann").active

    # ---- bulk: choose both remaining tasks with x, delete them in one go
    page.goto(f"{live.url}/#/projects/{p.id}/tasks")
    page.wait_for_selector("#page-info:has-text('1–2 of 2')")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.wait_for_selector("#delete-picked:has-text('Delete 2 chosen')")
    page.keyboard.press("Delete")
    page.wait_for_selector("dialog#confirm[open] h2:has-text('Delete 2 task(s)?')")
    page.keyboard.press("Enter")
    page.wait_for_selector("#page-info:has-text('0 tasks')")
    assert store.task_items(p.id) == []

    # ---- the project: the delete button works only once its name is typed
    page.goto(f"{live.url}/#/projects/{p.id}")
    page.click("#delete-project")
    assert page.is_disabled("#confirm-yes")
    page.keyboard.type("manage")
    shot(page, screens, "confirm_delete_project")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Projects')")
    assert all(x.name != "manage" for x in store.list_projects())
    # the browser's notes on the refused user delete (409) are the only console errors
    assert all("409" in e for e in errors), errors
    ctx.close()
