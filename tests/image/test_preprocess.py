from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labelwise.errors import DataError
from labelwise.image import (
    center_crop,
    equalize_histogram,
    letterbox,
    load_images,
    normalize_minmax,
    normalize_zscore,
    pad_to_square,
    preprocess_images,
    resize,
    to_grayscale,
)


@pytest.fixture
def img() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(50, 150, (30, 60, 3), dtype=np.uint8)


def test_functions_return_new_arrays_and_never_modify_input(img: np.ndarray) -> None:
    before = img.copy()
    outs = [
        resize(img, (20, 10)),
        letterbox(img, 40)[0],
        pad_to_square(img),
        center_crop(img, 20),
        normalize_minmax(img),
        normalize_zscore(img),
        equalize_histogram(img),
        equalize_histogram(img, method="clahe"),
        to_grayscale(img),
    ]
    np.testing.assert_array_equal(img, before)
    for o in outs:
        assert not np.shares_memory(o, img)


def test_resize_and_interpolations(img: np.ndarray) -> None:
    assert resize(img, (20, 10)).shape == (10, 20, 3)
    assert resize(img, 16).shape == (16, 16, 3)
    assert resize(img, (20, 20), keep_aspect=True).shape == (10, 20, 3)
    checker = np.indices((8, 8)).sum(axis=0) % 2 * 255
    near = resize(checker.astype(np.uint8), (16, 16), interpolation="nearest")
    assert set(np.unique(near).tolist()) == {0, 255}  # nearest never invents values
    area = resize(checker.astype(np.uint8), (4, 4), interpolation="area")
    assert np.all(np.abs(area.astype(int) - 128) <= 1)  # area averages the pairs
    with pytest.raises(DataError, match="interpolation"):
        resize(img, 10, interpolation="fancy")
    with pytest.raises(DataError, match="positive"):
        resize(img, (0, 10))


def test_letterbox_maps_boxes_back(img: np.ndarray) -> None:
    out, scale, (left, top) = letterbox(img, 120, color=114)
    assert out.shape == (120, 120, 3) and scale == 2.0 and (left, top) == (0, 30)
    assert (out[:30] == 114).all() and (out[-30:] == 114).all()
    # a point at (x=10, y=5) in the original lands at (20, 40) and maps back
    assert ((10 * scale + left), (5 * scale + top)) == (20.0, 40.0)


def test_crop_pad_normalize_equalize(img: np.ndarray) -> None:
    c = center_crop(img, (20, 10))
    np.testing.assert_array_equal(c, img[10:20, 20:40])
    assert center_crop(img, 80).shape == (80, 80, 3)  # padded when larger
    sq = pad_to_square(img)
    assert sq.shape == (60, 60, 3) and (sq[:15] == 0).all()
    mm = normalize_minmax(img)
    assert mm.dtype == np.float32 and mm.min() == 0 and mm.max() == 1
    assert normalize_minmax(np.full((4, 4), 7, np.uint8)).max() == 0  # constant image
    z = normalize_zscore(img)
    np.testing.assert_allclose(z.mean(axis=(0, 1)), 0, atol=1e-4)
    np.testing.assert_allclose(z.std(axis=(0, 1)), 1, atol=1e-3)
    zi = normalize_zscore(img, mean=[0.5] * 3, std=[0.25] * 3)
    assert zi[0, 0, 0] == pytest.approx((img[0, 0, 0] - 0.5) / 0.25)
    eq = equalize_histogram(to_grayscale(img))
    assert eq.min() == 0 and eq.max() == 255  # the narrow 50-150 range is stretched
    with pytest.raises(DataError, match="uint8"):
        equalize_histogram(img.astype(np.float32))


def test_preprocess_images_never_overwrites(shapes_dir: Path, tmp_path: Path) -> None:
    col = load_images(shapes_dir)
    before = {p: p.read_bytes() for p in col.paths}
    with pytest.raises(DataError, match="never overwrites"):
        preprocess_images(col, shapes_dir, [to_grayscale])
    out = tmp_path / "out"
    written, failures = preprocess_images(
        col, out, [lambda im: resize(im, 32), to_grayscale, normalize_minmax]
    )
    assert failures == [] and len(written) == 16
    assert {p.relative_to(out).parts[0] for p in written} == {"circle", "square"}
    again = load_images(out)
    assert set(again.table["mode"]) == {"L"} and set(again.table["width"]) == {32}
    assert {p: p.read_bytes() for p in col.paths} == before
