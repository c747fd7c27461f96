"""Features, rule primitives, clustering, the explore report and the CLI (through the
installed `labelwise` entry point, checking exit codes)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from labelwise.labeling import LFApplier
from labelwise.video.cluster import FrameDeduplicator, cluster_frames
from labelwise.video.explore import explore_videos
from labelwise.video.features import (
    clip_features,
    high_motion,
    is_dark,
    is_static,
    scene_count_at_least,
    video_frame_features,
)
from labelwise.video.io import iter_frames
from labelwise.video.synth import MovingBox, make_video

LABELWISE = str(Path(sys.executable).with_name("labelwise"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    env["LABELWISE_PROGRESS"] = "0"
    return subprocess.run([LABELWISE, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def collection(video_dir, moving, broken) -> Path:
    d = video_dir / "collection"
    (d / "moving").mkdir(parents=True)
    (d / "still").mkdir()
    shutil.copy(moving.path, d / "moving" / "a.mp4")
    shutil.copy(moving.path, d / "moving" / "a_copy.mp4")
    make_video(d / "still" / "dark.mp4", n_frames=40, objects=[
        MovingBox(1, (40, 40), (0, 0), (20, 20), colour=(30, 30, 30))])  # fmt: skip
    shutil.copy(broken["garbage"], d / "still" / "bad.mp4")
    return d


def test_frame_and_clip_features(moving, collection):
    df = video_frame_features(moving.path, every=5)
    assert df["frame"].tolist() == list(range(0, 60, 5))
    assert (
        df["scene_cut"].tolist().count(True) == 1 and df.loc[df["scene_cut"], "frame"].item() == 30
    )
    assert (df["flow_mag"].dropna() > 0).all()
    from labelwise.faults import FaultLog

    faults = FaultLog()
    vids = sorted(collection.rglob("*.mp4"))
    clips = clip_features(vids, every_seconds=0.2, faults=faults)
    assert len(clips) == 3 and [Path(str(f.item)).name for f in faults.errors] == ["bad.mp4"]
    by = clips.set_index("video")
    assert by.loc["a.mp4", "scene_count"] == 2 and by.loc["dark.mp4", "scene_count"] == 1
    assert by.loc["a.mp4", "motion_energy_mean"] > by.loc["dark.mp4", "motion_energy_mean"]
    assert by.loc["dark.mp4", "static_share"] == 1.0
    lfs = [
        is_static(0),
        high_motion(1, min_energy=0.002),
        scene_count_at_least(2, 1),
        is_dark(0, max_brightness=0.05),
    ]
    L = LFApplier(lfs).apply(clips)
    votes = dict(zip(clips["video"], L.values.tolist(), strict=True))
    assert votes["dark.mp4"][:3] == [0, -1, -1] and votes["a.mp4"][:3] == [-1, 1, 1]


def test_dedup_keeps_one_frame_per_shot(moving):
    dd = FrameDeduplicator(max_distance=6)
    kept = [f.index for f in iter_frames(moving.path) if dd.is_new(f.image)]
    assert kept[0] == 0 and 30 in kept  # the cut starts a new shot
    assert len(kept) < 20 and dd.dropped == 60 - len(kept)


def test_cluster_frames_separates_scenes(moving, tmp_path):
    res = cluster_frames([moving.path], every_seconds=0.2, dedup=None, seed=0)
    t = res.table
    first = set(t.loc[t["frame"] < 30, "cluster"])
    second = set(t.loc[t["frame"] >= 30, "cluster"])
    assert res.k >= 2 and not (first & second)
    names = res.name_clusters({("moving.mp4", 0): "intro", ("moving.mp4", 35): "main"})
    assert sorted(names.values()) == ["intro", "main"]
    html = res.report(tmp_path / "c.html").read_text()
    assert "Cluster" in html and "intro" in html


def test_explore_report(collection, tmp_path):
    res = explore_videos(
        sorted(collection.rglob("*.mp4")), out=tmp_path / "r.html", every_seconds=0.2
    )
    assert len(res.table) == 3 and len(res.faults.errors) == 1
    assert {frozenset(d[:2]) for d in res.duplicates} == {
        frozenset({str(collection / "moving" / "a.mp4"), str(collection / "moving" / "a_copy.mp4")})
    }
    html = (tmp_path / "r.html").read_text()
    for part in ("Per class", "Frame strips", "Near-duplicate", "bad.mp4", "not a readable video"):
        assert part in html


def test_cli_probe_frames_and_exit_codes(collection, tmp_path):
    r = run("video", "probe", str(collection), "--json")
    assert r.returncode == 3, r.stderr
    assert "bad.mp4" in r.stderr + r.stdout and "1 failed" in r.stderr + r.stdout
    r = run(
        "video", "probe", str(collection), "--allow-failures", "1", "-o", str(tmp_path / "p.csv")
    )
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(tmp_path / "p.csv")) == 3
    r = run("video", "probe", str(tmp_path / "missing"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    r = run(
        "video",
        "frames",
        str(collection / "moving" / "a.mp4"),
        "-o",
        str(tmp_path / "fr"),
        "--every",
        "25",
    )
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "fr" / "a").iterdir()) == [
        "000000.jpg", "000025.jpg", "000050.jpg",
    ]  # fmt: skip


def test_cli_track_and_export(moving, tmp_path):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(json.dumps({"object": {"type": "video", "field": "video"},
        "controls": [{"name": "people", "type": "video_boxes", "labels": ["person"]}]}))  # fmt: skip
    out = tmp_path / "pre.jsonl"
    r = run("video", "track", str(moving.path), "-c", str(cfg), "-o", str(out),
            "--detector", "people", "--every", "10", "--mot", str(tmp_path / "mot"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    row = json.loads(out.read_text().splitlines()[0])
    assert row["data"]["frame_step"] == 10 and row["data"]["frames"] == 60
    assert row["predictions"][0]["annotator"] == "tracker:people"
    assert (tmp_path / "mot" / "seqinfo.ini").exists()
    r = run(
        "video",
        "export",
        str(out),
        "-c",
        str(cfg),
        "-f",
        "cvat_video",
        "-o",
        str(tmp_path / "cv"),
        "--predictions",
    )
    assert r.returncode == 0, r.stderr
    xml = (tmp_path / "cv" / "annotations.xml").read_text()
    assert "<frame_filter>step=10</frame_filter>" in xml and "<stop_frame>59</stop_frame>" in xml


def test_cli_train_saves_a_labeler(tmp_path):
    import pickle

    for cls, colour, v in (("red", (230, 40, 40), 1), ("blue", (40, 40, 230), -1)):
        for i in range(3):
            make_video(tmp_path / "data" / cls / f"{i}.mp4", n_frames=8, width=32, height=32,
                       objects=[MovingBox(1, (10 + i, 8), (v, 0), (10, 10), colour=colour)])  # fmt: skip
    out = tmp_path / "clf.pkl"
    r = run("video", "train", str(tmp_path / "data"), "-o", str(out), "--arch", "pool",
            "--epochs", "3", "--frames", "4", "--size", "32", "--no-augment")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "held-out accuracy" in r.stdout and "test: red" in r.stdout
    clf = pickle.loads(out.read_bytes())
    votes = clf.label([str(tmp_path / "data" / "red" / "0.mp4")])
    assert votes.name == "video_pool" and len(votes) == 1
    r = run("video", "train", str(tmp_path / "data" / "red"), "-o", str(out))
    assert r.returncode == 2 and "two class sub-folders" in r.stderr


def test_decoder_motion_vectors(moving, video_dir):
    from labelwise.video.features import decoder_motion

    df = decoder_motion(moving.path)
    assert df["frame"].tolist() == list(range(60))
    moving_frames = df[(df["mv_count"] > 0)]
    assert len(moving_frames) > 30 and (moving_frames["mv_max"] > 0).any()
    # track 1 moves right at 2 px/frame: some vector is about 2 px long
    assert ((moving_frames["mv_max"] >= 1.5) & (moving_frames["mv_max"] <= 40)).any()
    still = make_video(video_dir / "still.mp4", n_frames=20)
    s = decoder_motion(still.path)
    assert s.get("mv_max", pd.Series([0.0])).fillna(0).max() == 0


def test_cluster_frames_on_autoencoder_codes(moving):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        res = cluster_frames(
            [moving.path], k=2, every_seconds=0.2, dedup=None, features="autoencoder"
        )
    finally:
        torch.set_num_threads(before)
    t = res.table
    a = set(t.loc[t["frame"] < 30, "cluster"])
    b = set(t.loc[t["frame"] >= 30, "cluster"])
    assert len(a) == 1 and len(b) == 1 and a != b
