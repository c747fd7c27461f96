"""Media at scale: a 100,000-frame video project, created and served.

CVAT issue #8602 reports 21-145 minutes to create a task from one long video (it decodes
and re-encodes every frame into chunks). labelwise keeps the video as it is: creating the
project copies the file into the project's media folder and probes it (frame count, fps,
size), and the browser seeks in it through HTTP range requests. This script measures

* project creation (``import_path`` of a folder holding the video) against the baseline of
  plainly copying the same file (same run, same disk), and
* serving: random-seek range requests (256 KiB each, like a video element seeking) and
  cache revalidation (``If-None-Match`` -> 304), p50/p99, over real HTTP.

The 100k-frame input video is made first with ffmpeg (not timed as project creation).

Usage::

    .venv/bin/python bench/app_video.py [--frames 100000] [--fps 50] [--seeks 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("LABELWISE_ARGON2_FAST", "1")

import httpx
import numpy as np

from labelwise.app import Store, create_app, import_path
from labelwise.app.loadsim import percentiles

CONFIG = {
    "object": {"type": "video", "field": "video"},
    "controls": [{"name": "tracks", "type": "video_boxes", "labels": ["car", "person"]}],
}


def make_video(path: Path, frames: int, fps: int) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=size=160x120:rate={fps}",
            "-frames:v",
            str(frames),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            str(fps * 5),
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        check=True,
    )
    return time.perf_counter() - t0


def serve(store: Store) -> tuple[str, object, threading.Thread]:
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(store), host="127.0.0.1", port=port, log_level="error", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--fps", type=int, default=50)
    ap.add_argument("--seeks", type=int, default=300)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="labelwise-video-"))
    try:
        src = work / "input"
        src.mkdir()
        video = src / "long.mp4"
        made = make_video(video, args.frames, args.fps)
        size = video.stat().st_size
        print(
            f"input: {args.frames} frames at {args.fps} fps, {size / 1e6:.1f} MB (made in {made:.0f} s)"
        )

        t0 = time.perf_counter()
        shutil.copyfile(video, work / "copy.mp4")
        os.sync()
        copy_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        store = Store.open(work / "project")
        p = store.create_project("long video", CONFIG)
        out = import_path(store, p.id, src)
        os.sync()
        create_s = time.perf_counter() - t0
        admin = store.create_user("admin", "admin-pass-1", role="admin")
        task = store.list_tasks(admin, p.id)["tasks"][0]
        data = store.get_task(admin, p.id, task["id"])["data"]
        print(
            f"project created: {out['tasks']} task, probed {data.get('frames')} frames, "
            f"{data.get('fps')} fps, {data.get('width')}x{data.get('height')}"
        )
        if data.get("frames") != args.frames:
            raise SystemExit(f"FAIL: probed {data.get('frames')} frames, expected {args.frames}")

        token = store.create_token(admin)
        url, server, thread = serve(store)
        rng = np.random.default_rng(0)
        seek_ms, reval_ms = [], []
        media = f"/api/projects/{p.id}/media/{data['video']}"
        with httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}) as c:
            first = c.get(media, headers={"Range": "bytes=0-1023"})
            assert first.status_code == 206, first.status_code
            etag = first.headers["etag"]
            for _ in range(args.seeks):
                start = int(rng.integers(0, max(1, size - 262_144)))
                t1 = time.perf_counter()
                r = c.get(media, headers={"Range": f"bytes={start}-{start + 262_143}"})
                seek_ms.append((time.perf_counter() - t1) * 1000)
                assert r.status_code == 206 and len(r.content) == min(262_144, size - start)
                t1 = time.perf_counter()
                r = c.get(media, headers={"If-None-Match": etag})
                reval_ms.append((time.perf_counter() - t1) * 1000)
                assert r.status_code == 304
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=10)
        store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{'step':46} {'value':>12}")
    print(f"{'create project + import 100k-frame video':46} {create_s:10.2f} s")
    print(f"{'baseline: copy the file (same disk)':46} {copy_s:10.2f} s")
    print(f"{'ratio create / copy':46} {create_s / max(copy_s, 1e-6):10.2f} x")
    print(f"{'range request 256 KiB, p50':46} {percentiles(seek_ms, 50):10.2f} ms")
    print(f"{'range request 256 KiB, p99':46} {percentiles(seek_ms, 99):10.2f} ms")
    print(f"{'revalidation (If-None-Match -> 304), p50':46} {percentiles(reval_ms, 50):10.2f} ms")
    print(f"{'revalidation (If-None-Match -> 304), p99':46} {percentiles(reval_ms, 99):10.2f} ms")
    print(f"CVAT #8602 reports 21-145 minutes for this step; here {create_s / 60:.2f} minutes")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
