"""Generated image fixtures: clean class folders, a batch of bad files, a drawn face."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
Image = pytest.importorskip("PIL.Image")


def draw_face(size: int = 160) -> np.ndarray:
    """A simple drawn face (RGB) that OpenCV's frontal-face cascade finds."""
    img = np.full((size, size, 3), 60, np.uint8)
    c = size // 2
    cv2.ellipse(img, (c, c), (int(size * 0.32), int(size * 0.42)), 0, 0, 360, (200, 170, 150), -1)
    for dx in (-1, 1):
        ex, ey = c + dx * int(size * 0.14), c - int(size * 0.08)
        cv2.ellipse(
            img, (ex, ey), (int(size * 0.07), int(size * 0.035)), 0, 0, 360, (40, 30, 30), -1
        )
        cv2.line(
            img,
            (ex - int(size * 0.08), ey - int(size * 0.08)),
            (ex + int(size * 0.08), ey - int(size * 0.08)),
            (50, 40, 40),
            max(2, size // 50),
        )
    cv2.line(
        img,
        (c, c - int(size * 0.02)),
        (c, c + int(size * 0.12)),
        (170, 140, 120),
        max(2, size // 60),
    )
    cv2.ellipse(
        img,
        (c, c + int(size * 0.22)),
        (int(size * 0.12), int(size * 0.04)),
        0,
        0,
        360,
        (120, 50, 50),
        -1,
    )
    return cv2.GaussianBlur(img, (0, 0), size / 100)


def draw_person(h: int = 256) -> np.ndarray:
    """A blurred dark silhouette (head, torso, arms, legs) standing on a light background,
    with a margin; OpenCV's HOG people detector finds it."""
    w = int(h * 0.6)
    img = np.full((h, w, 3), 215, np.uint8)
    cx, s = w // 2, h / 256
    col = (40, 40, 50)
    cv2.circle(img, (cx, int(40 * s)), int(17 * s), col, -1)
    cv2.ellipse(img, (cx, int(100 * s)), (int(26 * s), int(45 * s)), 0, 0, 360, col, -1)
    for side in (-1, 1):
        cv2.line(
            img,
            (cx + side * int(24 * s), int(70 * s)),
            (cx + side * int(34 * s), int(140 * s)),
            col,
            int(11 * s),
        )
        cv2.line(
            img,
            (cx + side * int(10 * s), int(135 * s)),
            (cx + side * int(16 * s), int(235 * s)),
            col,
            int(15 * s),
        )
    page = np.full((h + 80, w + 160, 3), 215, np.uint8)
    page[40 : 40 + h, 80 : 80 + w] = img
    return cv2.GaussianBlur(page, (0, 0), 1.5)


def shape_image(kind: str, rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """A dark circle or square on a light noisy background."""
    img = np.clip(rng.normal(225, 8, (size, size, 3)), 0, 255).astype(np.uint8)
    r = int(rng.integers(size // 5, size // 3))
    cx, cy = (int(v) for v in rng.integers(r + 2, size - r - 2, 2))
    color = tuple(int(v) for v in rng.integers(10, 60, 3))
    if kind == "circle":
        cv2.circle(img, (cx, cy), r, color, -1)
    else:
        cv2.rectangle(img, (cx - r, cy - r), (cx + r, cy + r), color, -1)
    return img


@pytest.fixture
def face_image() -> np.ndarray:
    return draw_face(160)


@pytest.fixture
def person_image() -> np.ndarray:
    return draw_person(256)


@pytest.fixture
def shapes_dir(tmp_path: Path) -> Path:
    """``circle/`` and ``square/`` sub-folders, 8 PNGs each."""
    rng = np.random.default_rng(0)
    root = tmp_path / "shapes"
    for kind in ("circle", "square"):
        (root / kind).mkdir(parents=True)
        for i in range(8):
            Image.fromarray(shape_image(kind, rng)).save(root / kind / f"{kind}_{i}.png")
    return root


@pytest.fixture
def bad_images_dir(tmp_path: Path) -> Path:
    """Good files mixed with every kind of bad or unusual file the issue lists."""
    rng = np.random.default_rng(1)
    d = tmp_path / "bad"
    d.mkdir()
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(d / f"good_{i}.jpg")
    # truncated JPEG: the first half of a valid file
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buf, format="JPEG")
    (d / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    (d / "empty.jpg").write_bytes(b"")
    (d / "not_an_image.png").write_bytes(b"this is text, not pixels")
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:10, :, 3] = 255  # top half opaque red, bottom half transparent
    Image.fromarray(rgba, "RGBA").save(d / "alpha.png")
    Image.new("RGB", (1, 1), (10, 20, 30)).save(d / "one_pixel.png")
    arr16 = (np.arange(30 * 40, dtype=np.uint16).reshape(30, 40) * 50).astype(np.uint16)
    Image.fromarray(arr16).save(d / "deep16.tif")
    Image.fromarray(rng.integers(0, 255, (30, 30), dtype=np.uint8), "L").save(d / "gray.png")
    return d
