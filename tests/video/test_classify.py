"""Clip classifiers, autoencoder, augmentation and watershed masks on real videos."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from labelwise.formats import LabelConfig, export_items
from labelwise.labeling.conformance import check_labeler
from labelwise.video.classify import (
    ClipAugment,
    FrameAutoencoder,
    VideoClassifier,
    compare_augmentation,
    frame_region_items,
    load_clip,
)
from labelwise.video.synth import MovingBox, make_video


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks: threads only add overhead on a shared machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def left_right(video_dir):
    """Red boxes moving right vs blue boxes moving left, at varied places."""
    paths, y = [], []
    for i in range(8):
        right = i % 2 == 0
        colour = (230, 40, 40) if right else (40, 40, 230)
        v = make_video(video_dir / f"lr{i}.mp4", n_frames=12, width=32, height=32, objects=[
            MovingBox(1, (4 + i if right else 20 - i, 4 + 3 * i % 16), (1 if right else -1, 0),
                      (10, 10), colour=colour)])  # fmt: skip
        paths.append(str(v.path))
        y.append("right" if right else "left")
    return paths, y


def test_load_clip_and_consistent_augmentation(moving):
    clip = load_clip(moving.path, n_frames=6, size=32)
    assert clip.shape == (6, 32, 32, 3) and clip.dtype == np.uint8
    aug = ClipAugment(jitter=0.0, flip=True, crop=1.0)
    rng = np.random.default_rng(1)
    flipped = None
    for _ in range(10):
        out = aug(clip, rng)
        if not np.array_equal(out, clip):
            flipped = out
            break
    assert flipped is not None and np.array_equal(flipped, clip[:, :, ::-1])  # all frames alike


@pytest.mark.parametrize("arch", ["c3d", "pool"])
def test_classifier_learns_and_abstains(arch, left_right, broken):
    paths, y = left_right
    clf = VideoClassifier(arch=arch, n_frames=4, size=32, epochs=12, seed=0).fit(paths[:6], y[:6])
    v = clf.label(paths)
    assert v.label_space is not None
    gold = v.label_space.encode(y)
    assert np.mean(v.votes == gold) == 1.0  # incl. the 2 held-out videos
    strict = VideoClassifier(arch=arch, n_frames=4, size=32, epochs=1, min_confidence=0.999)
    strict.fit(paths[:2], y[:2])
    assert (strict.label(paths).votes == -1).mean() > 0.5
    bad = clf.label([paths[0], str(broken["garbage"])])
    assert bad.votes[1] == -1 and len(bad.faults) == 1


def test_conformance_and_augmentation_table(left_right):
    paths, y = left_right
    clf = VideoClassifier(arch="pool", n_frames=4, size=32, epochs=2)
    passed = check_labeler(clf, paths[:4], y[:4])  # raises on the first failed check
    assert "pickle" in passed and "not_fitted" in passed
    df = compare_augmentation(
        paths[:6], y[:6], paths[6:], y[6:], archs=["pool"], n_frames=4, size=32, epochs=2
    )
    assert df["augmentation"].tolist() == ["no", "yes"] and df["accuracy"].between(0, 1).all()


def test_autoencoder_scores_unusual_frames(moving):
    from labelwise.video.io import iter_frames

    frames = np.stack([f.image for f in iter_frames(moving.path, every=2)])
    normal = frames[:15]  # first scene only
    ae = FrameAutoencoder(epochs=30).fit(normal)
    err = ae.reconstruction_error(frames)
    assert err[20:].mean() > 2 * err[:15].mean()  # the second scene is unusual
    assert ae.codes(frames[:3]).shape == (3, 32)


def test_watershed_regions_export_as_polygons(moving, tmp_path):
    items = frame_region_items(moving.path, frames=[0, 30], out_dir=tmp_path)
    assert [it.data["frame"] for it in items] == [0, 30]
    assert all(it.annotations[0].result["regions"] for it in items)
    cfg = LabelConfig.from_dict({"object": {"type": "image"},
        "controls": [{"name": "regions", "type": "polygons", "labels": ["region"]}]})  # fmt: skip
    coco = export_items(items, cfg, "coco")
    assert b"segmentation" in coco["coco.json"] and (tmp_path / "moving" / "000030.png").exists()
