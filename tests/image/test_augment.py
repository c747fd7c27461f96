from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labelwise.errors import DataError
from labelwise.formats import ItemSet, box_config, box_item, item_boxes, read_annotations
from labelwise.image import (
    PRESETS,
    augment_image,
    augment_images,
    build_augmentation,
    load_images,
)


def square_image(x1: int = 20, y1: int = 30, x2: int = 50, y2: int = 60) -> np.ndarray:
    img = np.zeros((100, 120, 3), np.uint8)
    img[y1:y2, x1:x2] = 255
    return img


def white_bbox(img: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(img[..., 0] > 127)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def test_classic_preset_matches_the_recipe() -> None:
    assert PRESETS["classic"] == {
        "rotate": 20,
        "shift": 0.1,
        "shear": 0.2,
        "zoom": 0.2,
        "hflip": True,
    }
    pipe = build_augmentation("classic")
    affine = pipe.transforms[0]
    assert affine.rotate == (-20, 20)
    assert affine.scale == {"x": (0.8, 1.2), "y": (0.8, 1.2)}
    assert affine.translate_percent == {"x": (-0.1, 0.1), "y": (-0.1, 0.1)}
    assert affine.shear["x"] == pytest.approx(
        (-math.degrees(math.atan(0.2)), math.degrees(math.atan(0.2)))
    )
    assert type(pipe.transforms[1]).__name__ == "HorizontalFlip"
    with pytest.raises(DataError, match="unknown augmentation preset"):
        build_augmentation("wild")
    with pytest.raises(DataError, match="unknown augmentation options"):
        build_augmentation({"spin": 3})


def test_seeded_and_reproducible() -> None:
    img = square_image()
    a = augment_image(img, preset="classic", seed=7)[0]
    b = augment_image(img, preset="classic", seed=7)[0]
    c = augment_image(img, preset="classic", seed=8)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    "preset",
    ["flips", "light", "detection", {"shift": 0.2, "zoom": 0.3}, {"rotate": 0, "shear": 0.2}],
)
def test_boxes_follow_the_pixels(preset: object) -> None:
    """Axis-aligned transforms: the box must equal the white square's new extent."""
    img = square_image()
    pipe = build_augmentation(preset, boxes=True, seed=3)  # type: ignore[arg-type]
    for _ in range(8):
        out, boxes, labels = augment_image(
            img, boxes=[[20, 30, 50, 60]], labels=["sq"], pipeline=pipe
        )
        assert out.shape[2] == 3
        h, w = out.shape[:2]
        if len(boxes) == 0:
            continue  # pushed out of view: dropped, not kept as a bad box
        assert labels == ["sq"]
        x1, y1, x2, y2 = boxes[0]
        assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
        if isinstance(preset, dict) and preset.get("shear"):
            # a sheared square's box is the box of the parallelogram
            tx1, ty1, tx2, ty2 = white_bbox(out)
            assert x1 <= tx1 + 2 and y1 <= ty1 + 2 and x2 >= tx2 - 2 and y2 >= ty2 - 2
        else:
            assert np.allclose(boxes[0], white_bbox(out), atol=2.5), (boxes[0], white_bbox(out))


def test_rotation_keeps_box_around_object() -> None:
    img = square_image(50, 40, 70, 60)
    pipe = build_augmentation({"rotate": 30}, boxes=True, seed=0)
    for _ in range(5):
        out, boxes, _ = augment_image(img, boxes=[[50, 40, 70, 60]], labels=[0], pipeline=pipe)
        tx1, ty1, tx2, ty2 = white_bbox(out)
        x1, y1, x2, y2 = boxes[0]
        assert x1 <= tx1 + 1.5 and y1 <= ty1 + 1.5 and x2 >= tx2 - 1.5 and y2 >= ty2 - 1.5


def test_augment_images_writes_files_and_labels(shapes_dir: Path, tmp_path: Path) -> None:
    col = load_images(shapes_dir)
    out = tmp_path / "aug"
    res = augment_images(col, out, preset="classic", n_per_image=2, seed=1)
    assert res.failures == []
    assert len(res.manifest) == 16 * 3 and res.manifest["augmented"].sum() == 32
    again = load_images(out)
    assert len(again) == 48 and again.label_space.names == ["circle", "square"]  # type: ignore[union-attr]
    assert (out / "manifest.csv").is_file()
    with pytest.raises(DataError, match="source folder"):
        augment_images(col, shapes_dir)
    # same seed, same bytes
    res2 = augment_images(col, tmp_path / "aug2", preset="classic", n_per_image=2, seed=1)
    a = np.asarray(Image.open(out / "circle" / "circle_0_aug1.png"))
    b = np.asarray(Image.open(tmp_path / "aug2" / "circle" / "circle_0_aug1.png"))
    np.testing.assert_array_equal(a, b)
    assert len(res2.manifest) == 48


def test_augment_images_with_yolo_boxes(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    imgs = {"a": square_image(), "b": square_image(70, 10, 110, 40)}
    for k, v in imgs.items():
        Image.fromarray(v).save(src / f"{k}.png")
    Image.fromarray(square_image()).save(src / "unlabelled.png")
    ann = ItemSet(
        [
            box_item("a.png", 120, 100, [[20, 30, 50, 60]], ["box"]),
            box_item("b.png", 120, 100, [[70, 10, 110, 40]], ["box"]),
        ],
        box_config(["box"]),
    )
    res = augment_images(
        src, tmp_path / "out", preset="detection", n_per_image=3, annotations=ann, seed=2
    )
    assert res.failures == []
    assert [w[0] for w in res.warnings if "no annotation" in w[1]] == ["unlabelled.png"]
    m = res.manifest
    assert (m["boxes_in"] - m["boxes_out"] == m["boxes_dropped"]).all()
    assert res.n_boxes_dropped == int(m["boxes_dropped"].sum())
    back = read_annotations("yolo", tmp_path / "out" / "labels", images_dir=tmp_path / "out")
    assert back.errors == []
    assert back.n_boxes >= 6
    for it in back.items:
        xyxy = item_boxes(it)[0]
        if not len(xyxy):
            continue
        pix = np.asarray(Image.open(tmp_path / "out" / it.data["image"]))
        tx1, ty1, tx2, ty2 = white_bbox(pix)
        x1, y1, x2, y2 = xyxy[0]
        assert abs(x1 - tx1) <= 3 and abs(x2 - tx2) <= 3
        assert abs(y1 - ty1) <= 3 and abs(y2 - ty2) <= 3
