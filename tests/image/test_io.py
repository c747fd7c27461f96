from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelwise.errors import DataError, LabelwiseError
from labelwise.image import ImageReadError, inspect_image, load_images, read_image


def test_bad_files_reported_per_file_rest_loaded(bad_images_dir: Path) -> None:
    col = load_images(bad_images_dir)
    errors = {i.path: i.message for i in col.errors}
    assert set(errors) == {"truncated.jpg", "empty.jpg", "not_an_image.png"}
    assert "truncated" in errors["truncated.jpg"]
    assert "0 bytes" in errors["empty.jpg"]
    assert "not a readable image" in errors["not_an_image.png"]
    loaded = set(col.item_ids)
    assert {
        "good_0.jpg",
        "good_1.jpg",
        "good_2.jpg",
        "alpha.png",
        "one_pixel.png",
        "deep16.tif",
        "gray.png",
    } == loaded
    warn = {}
    for w in col.warnings:
        warn.setdefault(w.path, []).append(w.message)
    assert any("alpha channel" in m for m in warn["alpha.png"])
    assert any("1x1" in m for m in warn["one_pixel.png"])
    assert any("16-bit" in m for m in warn["deep16.tif"])
    assert any("grayscale image among colour" in m for m in warn["gray.png"])
    row = col.table.set_index("item_id").loc["deep16.tif"]
    assert row["bit_depth"] == 16 and row["format"] == "TIFF"


def test_read_image_conversions(bad_images_dir: Path) -> None:
    rgba = read_image(bad_images_dir / "alpha.png")
    assert rgba.shape == (20, 20, 3) and rgba.dtype == np.uint8
    assert rgba[0, 0].tolist() == [255, 0, 0]  # opaque red stays red
    assert rgba[-1, 0].tolist() == [255, 255, 255]  # transparent becomes the white background
    assert read_image(bad_images_dir / "alpha.png", mode="unchanged").shape == (20, 20, 4)
    deep = read_image(bad_images_dir / "deep16.tif", mode="gray")
    assert deep.dtype == np.uint8 and deep.shape == (30, 40)
    assert deep.max() > deep.min()  # scaled, not clipped to one value
    gray = read_image(bad_images_dir / "gray.png")
    assert gray.shape == (30, 30, 3) and (gray[..., 0] == gray[..., 2]).all()
    assert read_image(bad_images_dir / "one_pixel.png").shape == (1, 1, 3)
    with pytest.raises(ImageReadError, match="truncated"):
        read_image(bad_images_dir / "truncated.jpg")
    with pytest.raises(ImageReadError, match="does not exist"):
        read_image(bad_images_dir / "nope.jpg")
    with pytest.raises(DataError, match="mode"):
        read_image(bad_images_dir / "gray.png", mode="bgr")
    meta, warns = inspect_image(bad_images_dir / "good_0.jpg")
    assert meta["width"] == 50 and meta["height"] == 40 and meta["format"] == "JPEG" and warns == []


def test_class_folders_manifest_and_list(shapes_dir: Path, tmp_path: Path) -> None:
    col = load_images(shapes_dir)
    assert len(col) == 16 and col.label_space is not None
    assert col.label_space.names == ["circle", "square"]
    assert sorted(set(col.labels)) == ["circle", "square"]  # type: ignore[type-var]
    assert col.encoded_labels().tolist() == [0] * 8 + [1] * 8
    flat = load_images(shapes_dir, class_folders=False)
    assert set(flat.labels) == {None}
    # manifest with relative paths, a missing file and a label column
    rows = [{"path": f"shapes/circle/circle_{i}.png", "label": "round"} for i in range(3)]
    rows.append({"path": "shapes/missing.png", "label": "round"})
    man = tmp_path / "manifest.csv"
    pd.DataFrame(rows).to_csv(man, index=False)
    mcol = load_images(man)
    assert len(mcol) == 3 and set(mcol.labels) == {"round"}
    assert [i.path for i in mcol.errors] == ["shapes/missing.png"]
    jl = tmp_path / "m.jsonl"
    pd.DataFrame({"file": [str(p) for p in sorted(shapes_dir.rglob("*.png"))[:2]]}).to_json(
        jl, orient="records", lines=True
    )
    assert len(load_images(jl, path_column="file")) == 2
    with pytest.raises(LabelwiseError, match="no 'path' column"):
        load_images(jl)
    paths = sorted(shapes_dir.rglob("*.png"))[:4]
    lcol = load_images([*paths, tmp_path / "nope.png"])
    assert len(lcol) == 4 and len(lcol.errors) == 1
    sub = lcol.subset(np.array([True, False, True, False]))
    assert len(sub) == 2


def test_empty_or_all_bad_inputs_fail_clearly(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no image files"):
        load_images(tmp_path / "empty")
    with pytest.raises(DataError, match="does not exist"):
        load_images(tmp_path / "missing_folder")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.jpg").write_bytes(b"")
    with pytest.raises(DataError, match="none of the 1 image files"):
        load_images(tmp_path / "bad")


def test_iter_images_reports_files_that_vanish(shapes_dir: Path) -> None:
    col = load_images(shapes_dir)
    col.paths[0].unlink()
    results = list(col.iter_images())
    assert results[0][1] is None and "does not exist" in (results[0][2] or "")
    assert all(img is not None for _, img, _ in results[1:])


def test_shared_rules_photos_load(shared_datasets: Path) -> None:
    col = load_images(shared_datasets / "images" / "rules")
    assert len(col) == 7 and col.errors == []
    assert set(col.table["format"]) == {"JPEG"}
