"""Browser tests of the remaining controls: multiple choice + free text, polygons, audio
segments with transcription, and video boxes on keyframes (real WAV and WebM files)."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from app_testkit import CHROMIUM, login, make_images, shot

from labelwise.app import import_path
from labelwise.formats import Item

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"
    ),
]


def test_multichoice_text_polygons_audio_video(live, browser, test_output, tmp_path) -> None:
    out = test_output / "app"
    store = live.store
    errors: list[str] = []
    ctx, page = login(browser, live.url, "ann", errors)

    # ---- multiple choice + free text: number keys toggle, Tab moves, Ctrl+Enter submits
    mc = store.create_project(
        "topics",
        {
            "object": {"type": "text", "field": "text"},
            "show": ["source"],
            "controls": [
                {
                    "name": "topics",
                    "type": "choices",
                    "labels": ["sport", "politics", "tech"],
                    "multiple": True,
                },
                {"name": "note", "type": "text"},
            ],
        },
    )
    store.add_tasks(
        mc.id, [Item("m1", {"text": "The minister opened a stadium", "source": "<b>wire</b>"})]
    )
    store.add_member(mc.id, "ann")
    page.goto(f"{live.url}/#/projects/{mc.id}/label")
    page.wait_for_selector(".choices")
    assert page.inner_text("dl.extra dd") == "<b>wire</b>"
    page.keyboard.press("1")
    page.keyboard.press("2")
    page.keyboard.press("Tab")  # the text control is active and focused
    page.keyboard.type("stadium opening")
    shot(page, out, "11_multichoice_text")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#all-done")
    r = store.annotation_rows(mc.id)[0]["result"]
    assert r == {"topics": ["sport", "politics"], "note": "stadium opening"}

    # ---- polygons: click points, click the first point to close
    poly = store.create_project(
        "polys",
        {
            "object": {"type": "image", "field": "image"},
            "controls": [{"name": "shape", "type": "polygons", "labels": ["blob", "sky"]}],
        },
    )
    make_images(tmp_path / "pimgs", n=1)
    import_path(store, poly.id, tmp_path / "pimgs")
    store.add_member(poly.id, "ann")
    page.goto(f"{live.url}/#/projects/{poly.id}/label")
    page.wait_for_selector(".stage-img")
    page.locator(".stage-img").evaluate(
        "img => img.complete || new Promise(r => img.addEventListener('load', r))"
    )
    bb = page.locator(".stage-svg").bounding_box()
    sx, sy = bb["width"] / 320, bb["height"] / 240
    page.keyboard.press("2")  # label "sky" for the next polygon
    for x, y in [(60, 50), (180, 50), (180, 150), (60, 150), (61, 51)]:
        page.mouse.click(bb["x"] + x * sx, bb["y"] + y * sy)
    page.wait_for_selector(".region-list li:has-text('4 points')")
    shot(page, out, "12_polygon")
    # two more triangles: one removed with its list button, one with Delete (it is selected)
    triangle = [(200, 160), (260, 160), (230, 210), (201, 161)]
    for remove in ("li:has-text('3 points') button.x", "Delete"):
        for x, y in triangle:
            page.mouse.click(bb["x"] + x * sx, bb["y"] + y * sy)
        page.wait_for_selector(".region-list li:has-text('3 points')")
        if remove == "Delete":
            page.keyboard.press("Delete")
        else:
            page.click(f".region-list {remove}")
        page.wait_for_selector(".region-list li:has-text('3 points')", state="detached")
    page.keyboard.press("Enter")
    page.wait_for_selector("#all-done")
    (shape,) = store.annotation_rows(poly.id)[0]["result"]["shape"]
    assert shape["label"] == "sky" and len(shape["points"]) == 4
    assert abs(shape["points"][2][0] - 180) < 3 and abs(shape["points"][2][1] - 150) < 3

    # ---- audio: drag a segment on the timeline, type its transcription
    audio = store.create_project(
        "sounds",
        {
            "object": {"type": "audio", "field": "audio"},
            "controls": [
                {
                    "name": "seg",
                    "type": "segments",
                    "labels": ["bark", "meow"],
                    "transcription": True,
                }
            ],
        },
    )
    wav_dir = tmp_path / "wavs"
    wav_dir.mkdir()
    with wave.open(str(wav_dir / "tone.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        t = np.arange(16000) / 8000
        w.writeframes((np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2").tobytes())
    import_path(store, audio.id, wav_dir)
    assert store.task_items(audio.id)[0][2]["duration"] == 2.0
    store.add_member(audio.id, "ann")
    page.goto(f"{live.url}/#/projects/{audio.id}/label")
    page.wait_for_selector(".timeline")
    page.keyboard.press("2")  # meow
    tb = page.locator(".timeline").bounding_box()
    page.mouse.move(tb["x"] + 0.25 * tb["width"], tb["y"] + tb["height"] / 2)
    page.mouse.down()
    page.mouse.move(tb["x"] + 0.75 * tb["width"], tb["y"] + tb["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_selector(".seg-text")
    page.fill(".seg-text", "a cat says hello")
    # a second, early segment removed with its list button
    page.mouse.move(tb["x"] + 0.05 * tb["width"], tb["y"] + tb["height"] / 2)
    page.mouse.down()
    page.mouse.move(tb["x"] + 0.15 * tb["width"], tb["y"] + tb["height"] / 2, steps=3)
    page.mouse.up()
    page.wait_for_function("document.querySelectorAll('.region-list li').length === 2")
    page.locator(".region-list li").first.locator("button.x").click()
    page.wait_for_function("document.querySelectorAll('.region-list li').length === 1")
    page.keyboard.press("Escape")
    shot(page, out, "13_audio_segments")
    page.keyboard.press("Enter")
    page.wait_for_selector("#all-done")
    (seg,) = store.annotation_rows(audio.id)[0]["result"]["seg"]
    assert seg["label"] == "meow" and seg["text"] == "a cat says hello"
    assert abs(seg["start"] - 0.5) < 0.1 and abs(seg["end"] - 1.5) < 0.1

    # ---- video: a box at frame 0, moved at frame 5 -> two keyframes, interpolated between
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg (Debian package) is needed to write the test video")
    video = store.create_project(
        "clips",
        {
            "object": {"type": "video", "field": "video"},
            "controls": [{"name": "tracks", "type": "video_boxes", "labels": ["ball", "player"]}],
        },
    )
    media = store.media_root / str(video.id)
    media.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=10",
            "-t",
            "3",
            "-c:v",
            "libvpx",
            "-b:v",
            "200k",
            str(media / "clip.webm"),
        ],
        check=True,
    )
    store.add_tasks(
        video.id, [Item("v1", {"video": "clip.webm", "width": 160, "height": 120, "fps": 10})]
    )
    store.add_member(video.id, "ann")
    page.goto(f"{live.url}/#/projects/{video.id}/label")
    page.wait_for_selector(".stage-video")
    page.locator(".stage-video").evaluate(
        "v => v.readyState >= 1 || new Promise(r => v.addEventListener('loadedmetadata', r))"
    )
    vb = page.locator(".stage-svg").bounding_box()
    vx, vy = vb["width"] / 160, vb["height"] / 120
    page.mouse.move(vb["x"] + 20 * vx, vb["y"] + 20 * vy)
    page.mouse.down()
    page.mouse.move(vb["x"] + 60 * vx, vb["y"] + 60 * vy, steps=4)
    page.mouse.up()
    page.wait_for_selector(".region-list li:has-text('1 keyframes')")
    for _ in range(5):
        page.keyboard.press(".")
    page.wait_for_selector(".frame-info:has-text('frame 5')")
    page.mouse.move(vb["x"] + 40 * vx, vb["y"] + 40 * vy)
    page.mouse.down()
    page.mouse.move(vb["x"] + 80 * vx, vb["y"] + 50 * vy, steps=4)
    page.mouse.up()
    page.wait_for_selector(".region-list li:has-text('2 keyframes')")
    shot(page, out, "14_video_keyframes")
    # a second track, drawn elsewhere and removed with Delete (the new track is selected)
    page.mouse.move(vb["x"] + 110 * vx, vb["y"] + 80 * vy)
    page.mouse.down()
    page.mouse.move(vb["x"] + 150 * vx, vb["y"] + 110 * vy, steps=4)
    page.mouse.up()
    page.wait_for_function("document.querySelectorAll('.region-list li').length === 2")
    page.keyboard.press("Delete")
    page.wait_for_function("document.querySelectorAll('.region-list li').length === 1")
    page.keyboard.press("Enter")
    page.wait_for_selector("#all-done")
    (track,) = store.annotation_rows(video.id)[0]["result"]["tracks"]
    frames = [k["frame"] for k in track["keyframes"]]
    assert frames == [0, 5] and track["label"] == "ball"
    k0, k5 = track["keyframes"]
    assert abs(k5["x"] - k0["x"] - 40) < 3 and abs(k5["y"] - k0["y"] - 10) < 3
    assert errors == []
    ctx.close()
