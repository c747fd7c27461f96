"""Label-preserving augmentation with box-aware transforms (albumentations), seeded.

A recipe is a small dict of strengths; :data:`PRESETS` holds common ones. ``"classic"``
is the widely used recipe of rotation up to 20 degrees, shifts of 0.1, shear 0.2, zoom 0.2
and horizontal flips. Shear 0.2 is read as a shear *factor* (the tangent of the angle), so
it is about 11.3 degrees.

:func:`augment_image` transforms one image and its boxes; :func:`augment_images` multiplies
a labelled collection into a new folder (originals are never modified), with a manifest and,
when boxes are given, updated YOLO label files. Boxes that leave the image are clipped, and
boxes with less than ``min_visibility`` of their area left are dropped.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError, require

__all__ = [
    "PRESETS",
    "AugmentResult",
    "augment_image",
    "augment_images",
    "build_augmentation",
]

#: Named recipes; keys are the options of :func:`build_augmentation`.
PRESETS: dict[str, dict[str, Any]] = {
    "classic": {"rotate": 20, "shift": 0.1, "shear": 0.2, "zoom": 0.2, "hflip": True},
    "classic-noflip": {"rotate": 20, "shift": 0.1, "shear": 0.2, "zoom": 0.2},
    "digits": {"rotate": 12, "shift": 0.08, "shear": 0.15, "zoom": 0.1},
    "light": {"rotate": 10, "shift": 0.05, "zoom": 0.1, "hflip": True, "color": 0.1},
    "flips": {"hflip": True, "vflip": True},
    "color": {"color": 0.3},
    "detection": {
        "rotate": 5,
        "shift": 0.05,
        "zoom": 0.1,
        "hflip": True,
        "color": 0.2,
        "crop": 0.3,
    },
}

_OPTIONS = ("rotate", "shift", "shear", "zoom", "hflip", "vflip", "color", "crop")


def _albumentations() -> Any:
    # albumentations checks PyPI for a newer version on import unless told not to; this
    # machine has no general internet, and the check would only slow imports down.
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    return require("albumentations", "image")


def _recipe(preset: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(preset, str):
        if preset not in PRESETS:
            raise DataError(
                f"unknown augmentation preset {preset!r}; choose from {sorted(PRESETS)}"
            )
        return dict(PRESETS[preset])
    recipe = dict(preset)
    unknown = sorted(set(recipe) - set(_OPTIONS))
    if unknown:
        raise DataError(f"unknown augmentation options {unknown}; use {list(_OPTIONS)}")
    return recipe


def build_augmentation(
    preset: str | Mapping[str, Any] = "classic",
    *,
    boxes: bool = False,
    min_visibility: float = 0.3,
    seed: int | None = 0,
    fill: int = 0,
) -> Any:
    """An ``albumentations.Compose`` for a named preset or a recipe dict.

    Parameters
    ----------
    preset : str or dict
        A key of :data:`PRESETS`, or a dict with any of ``rotate`` (max degrees), ``shift``
        (max fraction of the size), ``shear`` (max shear factor), ``zoom`` (max relative
        scale change), ``hflip``/``vflip`` (bool), ``color`` (brightness/contrast/saturation
        jitter strength), ``crop`` (probability of a random crop that keeps every box).
    boxes : bool
        Make the pipeline box-aware (pixel ``xyxy`` boxes with ``class_labels``).
    min_visibility : float
        Drop a box when less than this share of it stays in the image.
    seed : int, optional
        Seed of the pipeline's own random generator (global state is never touched).
    fill : int
        Value for pixels brought in from outside the image.
    """
    A = _albumentations()
    cv2 = require("cv2", "image")
    r = _recipe(preset)
    ts: list[Any] = []
    rot, shift = float(r.get("rotate", 0)), float(r.get("shift", 0))
    shear, zoom = float(r.get("shear", 0)), float(r.get("zoom", 0))
    if rot or shift or shear or zoom:
        shear_deg = math.degrees(math.atan(shear))
        ts.append(
            A.Affine(
                rotate=(-rot, rot),
                translate_percent={"x": (-shift, shift), "y": (-shift, shift)},
                shear={"x": (-shear_deg, shear_deg), "y": (0.0, 0.0)},
                scale=(1.0 - zoom, 1.0 + zoom),
                border_mode=cv2.BORDER_CONSTANT,
                fill=fill,
                p=1.0,
            )
        )
    if r.get("hflip"):
        ts.append(A.HorizontalFlip(p=0.5))
    if r.get("vflip"):
        ts.append(A.VerticalFlip(p=0.5))
    c = float(r.get("color", 0))
    if c:
        ts.append(
            A.ColorJitter(
                brightness=(1 - c, 1 + c),
                contrast=(1 - c, 1 + c),
                saturation=(1 - c, 1 + c),
                hue=(-c / 6, c / 6),
                p=0.8,
            )
        )
    crop = float(r.get("crop", 0))
    if crop:
        ts.append(A.BBoxSafeRandomCrop(erosion_rate=0.0, p=crop))
    bbox_params = (
        A.BboxParams(
            format="pascal_voc",
            label_fields=["class_labels"],
            min_visibility=min_visibility,
            clip=True,
            filter_invalid_bboxes=True,
        )
        if boxes
        else None
    )
    return A.Compose(ts, bbox_params=bbox_params, seed=seed)


def augment_image(
    image: Any,
    *,
    boxes: Any = None,
    labels: Sequence[Any] | None = None,
    preset: str | Mapping[str, Any] = "classic",
    pipeline: Any = None,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Augment one image and its pixel ``xyxy`` boxes.

    Returns
    -------
    image : array like the input
    boxes : float array of shape (m, 4), inside the image (m <= number of input boxes)
    labels : list, the labels of the boxes kept

    Examples
    --------
    >>> img = np.zeros((64, 64, 3), np.uint8)
    >>> out, b, l = augment_image(img, boxes=[[10, 10, 30, 30]], labels=["cat"],
    ...                           preset="flips", seed=1)
    >>> out.shape, b.shape, l
    ((64, 64, 3), (1, 4), ['cat'])
    """
    arr = np.asarray(image)
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise DataError(f"image must be (h, w) or (h, w, c), got shape {arr.shape}")
    has_boxes = boxes is not None
    box_arr = (
        np.zeros((0, 4)) if boxes is None else np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    )
    labs = list(labels) if labels is not None else [0] * len(box_arr)
    if len(labs) != len(box_arr):
        raise DataError(f"{len(box_arr)} boxes but {len(labs)} labels; pass one label per box")
    if has_boxes:
        h, w = arr.shape[:2]
        box_arr = np.clip(box_arr, 0, [w, h, w, h])
    pipe = (
        pipeline if pipeline is not None else build_augmentation(preset, boxes=has_boxes, seed=seed)
    )
    if has_boxes:
        # Carry indices as labels so each output box maps back to its own label.
        res = pipe(image=arr, bboxes=box_arr, class_labels=list(range(len(labs))))
        kept = [labs[int(i)] for i in res["class_labels"]]
        out_boxes = np.asarray(res["bboxes"], dtype=np.float64).reshape(-1, 4)
        return res["image"], out_boxes, kept
    res = pipe(image=arr)
    return res["image"], np.zeros((0, 4)), []


@dataclass
class AugmentResult:
    """What :func:`augment_images` wrote.

    ``manifest`` has columns ``path, label, source, augmented, boxes_in, boxes_out,
    boxes_dropped`` for every written image (originals included when copied);
    ``annotations`` the boxes of the written images (when boxes were given); ``failures``
    ``(item_id, message)`` for images that were skipped; ``warnings`` ``(item_id, message)``
    for images written with a caveat (no annotation found, boxes dropped because less than
    ``min_visibility`` of them stayed in the frame).
    """

    manifest: Any
    annotations: Any = None
    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def n_boxes_dropped(self) -> int:
        """Boxes lost by the transforms (out of frame, or below ``min_visibility``)."""
        if "boxes_dropped" not in self.manifest:
            return 0
        return int(self.manifest["boxes_dropped"].sum())


def augment_images(
    collection: Any,
    out_dir: str | Path,
    *,
    preset: str | Mapping[str, Any] = "classic",
    n_per_image: int = 2,
    annotations: Any = None,
    copy_originals: bool = True,
    seed: int = 0,
    min_visibility: float = 0.3,
    progress: bool | None = None,
) -> AugmentResult:
    """Write ``n_per_image`` augmented copies of every image into ``out_dir``.

    Class sub-folders are kept (so the output loads as a folder dataset), a
    ``manifest.csv`` lists every file with its label and source, and with ``annotations``
    (a :class:`labelwise.formats.ItemSet`) the boxes are transformed too and written as
    YOLO files under ``out_dir/labels``.

    Parameters
    ----------
    collection : ImageCollection, folder, manifest or list of paths
    out_dir : path
        Must differ from the source folder; originals are never modified.
    preset : str or dict
        See :func:`build_augmentation`.
    n_per_image : int
    annotations : labelwise.formats.ItemSet, optional
        Boxes, matched to images by file stem.
    copy_originals : bool
        Also copy each original, so ``out_dir`` holds the whole enlarged set.
    seed : int
        Same seed, same outputs.
    min_visibility : float
        A transformed box keeps its label only when at least this share of its area stays
        in the frame; dropped boxes are counted per image (``boxes_dropped``) and reported
        in ``warnings``.
    """
    import pandas as pd
    from PIL import Image

    from labelwise.formats import ItemSet, box_item, item_boxes, write_annotations
    from labelwise.image.io import ImageCollection, load_images

    if n_per_image < 0:
        raise DataError(f"n_per_image must be >= 0, got {n_per_image}")
    col = (
        collection
        if isinstance(collection, ImageCollection)
        else load_images(collection, progress=progress)
    )
    out = Path(out_dir)
    if col.root is not None and out.resolve() == Path(col.root).resolve():
        raise DataError(
            f"out_dir {str(out)!r} is the source folder; augmentation writes new files "
            "elsewhere so originals are never modified"
        )
    sources = {p.resolve() for p in col.paths}
    by_stem: dict[str, Any] = {}
    if annotations is not None:
        by_stem = {Path(str(it.data["image"])).stem: it for it in annotations.items}
    with_boxes = annotations is not None
    pipe = build_augmentation(preset, boxes=with_boxes, seed=seed, min_visibility=min_visibility)
    rows: list[dict[str, Any]] = []
    ann_out: list[Any] = []
    failures: list[tuple[str, str]] = []
    warns: list[tuple[str, str]] = []
    ids, labels = col.item_ids, col.labels
    for i, img, err in col.iter_images(desc="augmenting", progress=progress):
        item = ids[i]
        if img is None:
            failures.append((item, err or "unreadable"))
            continue
        rel = Path(item) if not Path(item).is_absolute() else Path(Path(item).name)
        stem = rel.stem
        ann = by_stem.get(stem)
        if with_boxes and ann is None:
            warns.append((item, "no annotation for this image; augmented without boxes"))
        boxes, box_labels = item_boxes(ann)[:2] if ann is not None else (np.zeros((0, 4)), [])
        suffix = (
            rel.suffix.lower()
            if rel.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp")
            else ".png"
        )
        try:
            outputs: list[tuple[Path, np.ndarray, np.ndarray, list[Any], bool]] = []
            if copy_originals:
                outputs.append((rel.with_suffix(suffix), img, boxes, box_labels, False))
            for j in range(n_per_image):
                if with_boxes:
                    a_img, a_boxes, a_labels = augment_image(
                        img, boxes=boxes, labels=box_labels, pipeline=pipe
                    )
                else:
                    a_img, a_boxes, a_labels = augment_image(img, pipeline=pipe)
                outputs.append(
                    (rel.with_name(f"{stem}_aug{j}{suffix}"), a_img, a_boxes, a_labels, True)
                )
            for relpath, arr, bxs, blabs, is_aug in outputs:
                target = out / relpath
                if target.resolve() in sources:
                    raise DataError(f"refusing to overwrite the original {str(target)!r}")
                target.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(np.ascontiguousarray(arr)).save(target)
                rows.append(
                    {
                        "path": relpath.as_posix(),
                        "label": labels[i],
                        "source": item,
                        "augmented": is_aug,
                        "boxes_in": len(boxes),
                        "boxes_out": len(bxs),
                        "boxes_dropped": len(boxes) - len(bxs),
                    }
                )
                if with_boxes:
                    h, w = arr.shape[:2]
                    ann_out.append(
                        box_item(relpath.as_posix(), int(w), int(h), bxs, [str(b) for b in blabs])
                    )
            dropped = sum(len(boxes) - len(o[2]) for o in outputs)
            if with_boxes and dropped:
                warns.append(
                    (
                        item,
                        f"{dropped} of {len(boxes) * n_per_image} boxes dropped in its "
                        f"{n_per_image} augmented copies (less than min_visibility="
                        f"{min_visibility} of the box stayed in the frame)",
                    )
                )
        except Exception as exc:
            failures.append((item, f"{type(exc).__name__}: {exc}"))
    out.mkdir(parents=True, exist_ok=True)
    manifest = pd.DataFrame(
        rows,
        columns=[
            "path",
            "label",
            "source",
            "augmented",
            "boxes_in",
            "boxes_out",
            "boxes_dropped",
        ],
    )
    manifest.to_csv(out / "manifest.csv", index=False)
    result_ann = None
    if with_boxes:
        result_ann = ItemSet(ann_out, annotations.config)
        write_annotations(result_ann, "yolo", out / "labels")
    return AugmentResult(manifest, result_ann, failures, warns)
