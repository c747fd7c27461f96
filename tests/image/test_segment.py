from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from labelwise.errors import DataError
from labelwise.formats import read_annotations
from labelwise.image import (
    auto_boxes,
    auto_label_images,
    contours_to_polygons,
    load_images,
    polygon_area,
    threshold_image,
    watershed_segments,
)


def test_threshold_methods_and_polarity() -> None:
    img = np.full((40, 40), 200, np.uint8)
    img[10:20, 10:30] = 40
    mask, t = threshold_image(img)
    assert 40 <= t < 200 and mask.sum() == 200  # auto: the smaller side is the object
    assert threshold_image(img, foreground="bright")[0].sum() == 1600 - 200
    m2, t2 = threshold_image(img, method="fixed", value=100, foreground="dark")
    assert t2 == 100 and m2.sum() == 200
    ma, ta = threshold_image(img, method="adaptive", block_size=15)
    assert np.isnan(ta) and ma.dtype == bool
    with pytest.raises(DataError, match="method"):
        threshold_image(img, method="magic")
    with pytest.raises(DataError, match="foreground"):
        threshold_image(img, foreground="middle")


def test_contours_to_polygons_sizes() -> None:
    mask = np.zeros((50, 50), bool)
    mask[5:15, 5:25] = True  # 10 x 20
    mask[30:45, 30:45] = True  # 15 x 15
    mask[0, 49] = True  # a speck
    polys = contours_to_polygons(mask, min_area=5)
    assert len(polys) == 2
    # outlines run through pixel centres: (w - 1) * (h - 1)
    assert polygon_area(polys[0]) == 14 * 14 and polygon_area(polys[1]) == 9 * 19
    simple = contours_to_polygons(mask, min_area=5, epsilon=2.0)
    assert all(len(p) == 4 for p in simple)


def test_watershed_splits_touching_circles() -> None:
    img = np.zeros((80, 120, 3), np.uint8)
    cv2.circle(img, (40, 40), 25, (255, 255, 255), -1)
    cv2.circle(img, (80, 40), 25, (255, 255, 255), -1)
    mask, _ = threshold_image(img, foreground="bright")
    from scipy import ndimage

    assert ndimage.label(mask)[1] == 1  # one blob to plain thresholding
    labels = watershed_segments(img, mask=mask)
    ids = sorted(set(np.unique(labels)) - {0})
    assert len(ids) == 2
    centers = sorted(ndimage.center_of_mass(labels > 0, labels, ids))
    assert abs(centers[0][1] - 40) < 4 and abs(centers[1][1] - 80) < 4
    assert watershed_segments(np.zeros((10, 10, 3), np.uint8)).max() == 0


def test_auto_boxes_and_yolo_files_stay_in_range(tmp_path: Path) -> None:
    from PIL import Image

    img = np.full((60, 100, 3), 240, np.uint8)
    img[0:60, 0:30] = 10  # touches three edges
    img[20:40, 60:90] = 10
    boxes = auto_boxes(img, label=lambda crop, b: "tall" if b.height > 50 else "small")
    assert [n for _, n in boxes] == ["tall", "small"]
    assert boxes[0][0].to_xyxy() == (0, 0, 30, 60)
    assert boxes[1][0].to_xyxy() == (60, 20, 90, 40)
    padded = auto_boxes(img, padding=5)
    assert all(b.x1 >= 0 and b.x2 <= 100 and b.y1 >= 0 and b.y2 <= 60 for b, _ in padded)
    assert auto_boxes(np.full((20, 20, 3), 128, np.uint8)) == []

    d = tmp_path / "imgs"
    (d / "thing").mkdir(parents=True)
    Image.fromarray(img).save(d / "thing" / "a.png")
    Image.fromarray(np.full((30, 30, 3), 128, np.uint8)).save(d / "thing" / "blank.png")
    (d / "other").mkdir()
    Image.fromarray(img[:, ::-1].copy()).save(d / "other" / "b.png")
    col = load_images(d)
    out = auto_label_images(col, tmp_path / "labels")
    assert sorted(out.classes) == ["other", "thing"]
    assert any("no object found" in i.message for i in out.issues)
    for f in (tmp_path / "labels").rglob("*.txt"):
        if f.name == "classes.txt":
            continue
        for line in f.read_text().splitlines():
            assert all(0.0 <= float(v) <= 1.0 for v in line.split()[1:]), (f, line)
    back = read_annotations("yolo", tmp_path / "labels", images_dir=d)
    assert back.errors == [] and back.n_boxes == 4


def test_auto_boxes_on_shared_car_photo(shared_datasets: Path, tmp_path: Path) -> None:
    """The tool that wrote carimage.txt produced heights of 1.0018; ours stay within [0, 1]."""
    col = load_images([shared_datasets / "images" / "rules" / "car.jpeg"])
    out = auto_label_images(col, tmp_path / "labels", label="car")
    assert out.n_boxes >= 1
    text = (tmp_path / "labels" / "car.txt").read_text().split()
    vals = [float(v) for i, v in enumerate(text) if i % 5]
    assert vals and max(vals) <= 1.0 and min(vals) >= 0.0
