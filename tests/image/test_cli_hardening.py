"""Image commands never report success while skipping work: decompression bombs, truncated
files, skipped outlier checks, train/test leakage, dropped boxes (real subprocesses)."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from labelwise.image.io import load_images

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from clitools import error_lines, run_cli


def _noise(seed: int, size: int = 48) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8))


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims ``width x height`` (Pillow refuses it before decoding)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )  # fmt: skip


def test_decompression_bomb_is_a_per_file_error_and_the_folder_continues(tmp_path: Path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        _noise(i).save(folder / f"ok{i}.png")
    _png_header_only(folder / "bomb.png", 30_000, 30_000)  # 900 million pixels
    res = run_cli("image", "explore", str(folder), "-o", str(tmp_path / "r.html"), cwd=tmp_path)
    assert res.returncode == 3, res.stderr
    assert "Traceback" not in res.stderr
    assert "bomb.png" in res.stderr and "--max-pixels" in res.stderr
    assert "4 images: 3 done, 0 cached, 0 skipped, 1 failed" in res.stderr
    assert (tmp_path / "r.html").is_file()


def test_max_pixels_override(tmp_path: Path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    _noise(0, 100).save(folder / "big.png")  # 10,000 pixels
    _noise(1, 20).save(folder / "small.png")  # 400 pixels
    res = run_cli(
        "image", "features", str(folder), "-o", str(tmp_path / "f.csv"), "--no-hog",
        "--max-pixels", "2000", cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 3 and "big.png" in res.stderr and "2,000 pixels" in res.stderr
    res = run_cli(
        "image", "features", str(folder), "-o", str(tmp_path / "f.csv"), "--no-hog",
        "--max-pixels", "20000", cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert len(pd.read_csv(tmp_path / "f.csv")) == 2


def test_truncated_but_decodable_file_is_a_warning(tmp_path: Path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    buf = io.BytesIO()
    _noise(0).save(buf, "PNG")
    (folder / "cut.png").write_bytes(buf.getvalue()[:-12])  # no IEND: Pillow still decodes
    _noise(1).save(folder / "fine.png")
    col = load_images(folder)
    assert len(col) == 2
    warns = [w for w in col.warnings if w.path == "cut.png"]
    assert warns and "truncated" in warns[0].message
    buf = io.BytesIO()
    _noise(2).save(buf, "JPEG")
    (folder / "trailer.jpg").write_bytes(buf.getvalue() + b"camera trailer" * 50)
    assert not [w for w in load_images(folder).warnings if w.path == "trailer.jpg"]


def test_explore_says_when_the_outlier_check_was_skipped(tmp_path: Path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        _noise(i).save(folder / f"{i}.png")
    res = run_cli("image", "explore", str(folder), "-o", str(tmp_path / "r.html"), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = " ".join(res.stdout.split())
    assert "outliers: skipped (only 3 images; the check needs at least 5)" in out
    assert "No image lies beyond" not in (tmp_path / "r.html").read_text()


def test_near_duplicates_across_train_and_test_are_warned(tmp_path: Path):
    root = tmp_path / "data"
    for split in ("train", "test"):
        (root / split / "cat").mkdir(parents=True)
    for i in range(4):
        _noise(i, 64).save(root / "train" / "cat" / f"{i}.png")
    leaked = np.asarray(_noise(2, 64)).copy()
    leaked[0, 0] = 0  # a near copy, not the same bytes
    Image.fromarray(leaked).save(root / "test" / "cat" / "copy.png")
    _noise(9, 64).save(root / "test" / "cat" / "new.png")
    res = run_cli("image", "explore", str(root), "-o", str(tmp_path / "r.html"), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    err = " ".join(res.stderr.split())
    assert "1 near-duplicate pairs cross dataset splits" in err
    assert "test/cat/copy.png" in err and "train/cat/2.png" in err
    assert "cross dataset splits" in (tmp_path / "r.html").read_text()


def test_augment_reports_dropped_boxes(tmp_path: Path):
    src = tmp_path / "src"
    (src / "labels").mkdir(parents=True)
    img = np.zeros((100, 100, 3), np.uint8)
    img[2:12, 2:12] = 255
    Image.fromarray(img).save(src / "a.png")
    # a small box in the corner: rotations and shifts push it out of the frame
    (src / "labels" / "a.txt").write_text("0 0.07 0.07 0.1 0.1\n")
    (src / "classes.txt").write_text("thing\n")
    res = run_cli(
        "image", "augment", str(src), "-o", str(tmp_path / "out"), "--labels",
        str(src / "labels"), "--names", str(src / "classes.txt"), "--preset", "classic",
        "--n", "12", "--min-visibility", "0.9", cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    manifest = pd.read_csv(tmp_path / "out" / "manifest.csv")
    dropped = int(manifest["boxes_dropped"].sum())
    assert dropped > 0
    assert f"boxes: {dropped} of 12 dropped" in " ".join(res.stdout.split())
    assert "boxes dropped" in res.stderr
    assert len(error_lines(res.stderr)) >= 1


def test_detection_preset_pads_with_a_constant_not_a_mirror():
    import cv2

    from labelwise.image.augment import build_augmentation

    pipe = build_augmentation("detection", boxes=True)
    padded = [t for t in pipe.transforms if hasattr(t, "border_mode")]
    assert padded and all(t.border_mode == cv2.BORDER_CONSTANT for t in padded)
    # a bright object at the edge is never mirrored into the frame
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, :8] = 255
    for seed in range(5):
        out = build_augmentation({"shift": 0.3}, seed=seed)(image=img)["image"]
        bright_cols = np.flatnonzero(out.max(axis=(0, 2)) > 200)
        assert len(bright_cols) == 0 or bright_cols.max() - bright_cols.min() < 12
