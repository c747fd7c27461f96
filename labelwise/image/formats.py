"""Box annotation formats: YOLO (txt + class names), COCO JSON and Pascal VOC XML.

Everything is read into one in-memory form, :class:`AnnotationSet` (images with pixel
``xyxy`` boxes and class names), validated, and written out again. Readers never stop at the
first bad file: each problem becomes a :class:`FormatIssue` naming the file (and line), the
bad box is clipped or dropped as the policy says, and the rest is read.

Conventions
-----------
* YOLO: one ``<stem>.txt`` per image, lines ``class cx cy w h`` normalized to ``[0, 1]``
  (an optional sixth value is a confidence; ``class x1 y1 x2 y2 ...`` polygons from YOLO
  segmentation files are reduced to their bounding box). An image without a label file
  has no objects. Class names come from a ``classes.txt`` (one per line) or a ``data.yaml``
  (``names:``).
* COCO: ``bbox = [x, y, w, h]`` in pixels, category ids from 1.
* Pascal VOC: one XML per image with ``xmin ymin xmax ymax`` in pixels. Coordinates are
  written and read as given (0-based, continuous), with no +1 offset, so a round trip is
  exact.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.geometry import Box, polygon_to_box
from labelwise.image.errors import AnnotationError
from labelwise.image.io import IMAGE_SUFFIXES

__all__ = [
    "ANNOTATION_FORMATS",
    "IMAGE_SUFFIXES",
    "AnnotationSet",
    "BoxAnnotation",
    "FormatIssue",
    "ImageAnnotation",
    "convert_annotations",
    "from_coco",
    "read_annotations",
    "read_class_names",
    "read_coco",
    "read_voc",
    "read_yolo",
    "to_coco",
    "validate_annotations",
    "write_annotations",
    "write_coco",
    "write_voc",
    "write_yolo",
]

ANNOTATION_FORMATS = ("yolo", "coco", "voc")

_POLICIES = ("clip", "drop", "keep")


@dataclass(frozen=True)
class BoxAnnotation:
    """One labelled box in pixel corner form; ``score`` for model predictions."""

    box: Box
    label: str
    score: float | None = None


@dataclass
class ImageAnnotation:
    """The boxes of one image. ``image`` is the file name relative to the images folder."""

    image: str
    width: int
    height: int
    boxes: list[BoxAnnotation] = field(default_factory=list)

    @property
    def stem(self) -> str:
        return Path(self.image).stem


@dataclass(frozen=True)
class FormatIssue:
    """A problem found while reading or validating annotations.

    ``level`` is ``"error"`` (the box or file was skipped) or ``"warning"`` (it was kept,
    possibly clipped).
    """

    file: str
    level: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{self.level}: {where}: {self.message}"


@dataclass
class AnnotationSet:
    """Images with boxes, the ordered class names, and the issues met while reading.

    Examples
    --------
    >>> a = AnnotationSet([ImageAnnotation("a.jpg", 100, 50,
    ...     [BoxAnnotation(Box(10, 10, 30, 40), "cat")])], classes=["cat"])
    >>> a.n_boxes, a.to_frame()[["image", "label", "x1", "y2"]].values.tolist()
    (1, [['a.jpg', 'cat', 10, 40]])
    """

    images: list[ImageAnnotation]
    classes: list[str] = field(default_factory=list)
    issues: list[FormatIssue] = field(default_factory=list)

    @property
    def n_boxes(self) -> int:
        return sum(len(im.boxes) for im in self.images)

    @property
    def errors(self) -> list[FormatIssue]:
        return [i for i in self.issues if i.level == "error"]

    def class_index(self, name: str) -> int:
        try:
            return self.classes.index(name)
        except ValueError:
            raise AnnotationError(
                f"class {name!r} is not in the class list {self.classes}; add it to the class names"
            ) from None

    def to_frame(self) -> Any:
        """One row per box: image, width, height, label, x1, y1, x2, y2, score."""
        import pandas as pd

        rows = [
            {
                "image": im.image,
                "width": im.width,
                "height": im.height,
                "label": b.label,
                "x1": b.box.x1,
                "y1": b.box.y1,
                "x2": b.box.x2,
                "y2": b.box.y2,
                "score": b.score,
            }
            for im in self.images
            for b in im.boxes
        ]
        cols = ["image", "width", "height", "label", "x1", "y1", "x2", "y2", "score"]
        return pd.DataFrame(rows, columns=cols)

    def issues_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            [(i.file, i.line, i.level, i.message) for i in self.issues],
            columns=["file", "line", "level", "message"],
        )


# ----------------------------------------------------------------------------- helpers


def read_class_names(path: str | Path) -> list[str]:
    """Class names from a text file (one per line) or a YOLO ``data.yaml`` (``names:``)."""
    p = Path(path)
    if not p.is_file():
        raise AnnotationError(f"class names file {str(p)!r} does not exist; check the path")
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        names = data.get("names") if isinstance(data, dict) else None
        if isinstance(names, dict):
            return [str(names[k]) for k in sorted(names, key=int)]
        if isinstance(names, list):
            return [str(n) for n in names]
        raise AnnotationError(f"{str(p)!r} has no 'names:' list or mapping of class names")
    names = [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if not names:
        raise AnnotationError(f"class names file {str(p)!r} is empty; list one class per line")
    return names


def _image_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        return int(im.width), int(im.height)


def _find_images(images_dir: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for p in sorted(images_dir.rglob("*")):
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
            found.setdefault(p.stem, p)
    return found


def _checked_box(
    box: Box,
    width: float,
    height: float,
    *,
    file: str,
    line: int | None,
    policy: str,
    issues: list[FormatIssue],
) -> Box | None:
    """Apply the out-of-range policy and drop degenerate boxes, recording issues."""
    if box.is_degenerate:
        issues.append(
            FormatIssue(
                file,
                "error",
                f"degenerate box {_fmt_box(box)} (width or height <= 0); dropped",
                line,
            )
        )
        return None
    tol = 1e-6 * max(width, height, 1.0)
    out = box.x1 < -tol or box.y1 < -tol or box.x2 > width + tol or box.y2 > height + tol
    if out:
        if policy == "drop":
            issues.append(
                FormatIssue(
                    file,
                    "error",
                    f"box {_fmt_box(box)} reaches outside the {width:g}x{height:g} image; dropped",
                    line,
                )
            )
            return None
        if policy == "clip":
            clipped = box.clip(width, height)
            if clipped.is_degenerate:
                issues.append(
                    FormatIssue(
                        file,
                        "error",
                        f"box {_fmt_box(box)} lies outside the {width:g}x{height:g} image; dropped",
                        line,
                    )
                )
                return None
            issues.append(
                FormatIssue(
                    file,
                    "warning",
                    f"box {_fmt_box(box)} reaches outside the {width:g}x{height:g} image; "
                    f"clipped to {_fmt_box(clipped)}",
                    line,
                )
            )
            return clipped
        issues.append(
            FormatIssue(
                file,
                "warning",
                f"box {_fmt_box(box)} reaches outside the {width:g}x{height:g} image; kept as is",
                line,
            )
        )
    return box


def _fmt_box(b: Box) -> str:
    return f"({b.x1:.4g}, {b.y1:.4g}, {b.x2:.4g}, {b.y2:.4g})"


def _check_policy(policy: str) -> None:
    if policy not in _POLICIES:
        raise AnnotationError(f"out_of_range={policy!r} is not one of {_POLICIES}")


def validate_annotations(annotations: AnnotationSet) -> list[FormatIssue]:
    """Report out-of-range, degenerate and unknown-class boxes, one issue per box.

    Nothing is changed; use the readers' ``out_of_range=`` policy to clip or drop.
    """
    issues: list[FormatIssue] = []
    known = set(annotations.classes)
    for im in annotations.images:
        for j, b in enumerate(im.boxes):
            where = f"box {j}"
            if b.box.is_degenerate:
                issues.append(
                    FormatIssue(im.image, "error", f"{where}: degenerate box {_fmt_box(b.box)}")
                )
            elif (
                b.box.x1 < 0
                or b.box.y1 < 0
                or b.box.x2 > im.width + 1e-6
                or b.box.y2 > im.height + 1e-6
            ):
                issues.append(
                    FormatIssue(
                        im.image,
                        "error",
                        f"{where}: box {_fmt_box(b.box)} reaches outside the "
                        f"{im.width}x{im.height} image",
                    )
                )
            if known and b.label not in known:
                issues.append(
                    FormatIssue(
                        im.image,
                        "error",
                        f"{where}: unknown class {b.label!r}; classes are {annotations.classes}",
                    )
                )
    return issues


# ----------------------------------------------------------------------------- YOLO


def read_yolo(
    labels_dir: str | Path,
    *,
    images_dir: str | Path | None = None,
    class_names: Sequence[str] | str | Path | None = None,
    image_sizes: Mapping[str, tuple[int, int]] | None = None,
    out_of_range: str = "clip",
    include_unlabeled: bool = True,
) -> AnnotationSet:
    """Read YOLO label files into pixel boxes.

    Parameters
    ----------
    labels_dir : path
        Folder of ``<stem>.txt`` files (searched recursively; ``classes.txt`` is skipped).
    images_dir : path, optional
        Folder of the images, for their sizes. A label file without an image is reported
        as an error and skipped (unless ``image_sizes`` gives its size).
    class_names : list of str or path, optional
        Class names by index, or a names file. Without them classes are named by their id
        (``"0"``, ``"1"``, ...) and no id is unknown.
    image_sizes : mapping stem -> (width, height), optional
        Sizes for images that are not on disk.
    out_of_range : {"clip", "drop", "keep"}
        What to do with boxes reaching outside the image (always reported).
    include_unlabeled : bool
        Also list images that have no label file (no objects).

    Returns
    -------
    AnnotationSet

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.txt").write_text("0 0.5 0.5 0.2 1.2\\n")
    >>> s = read_yolo(d, class_names=["car"], image_sizes={"a": (100, 100)})
    >>> s.images[0].boxes[0].box, s.issues[0].level
    (Box(x1=40.0, y1=0.0, x2=60.0, y2=100.0), 'warning')
    """
    _check_policy(out_of_range)
    ldir = Path(labels_dir)
    if not ldir.is_dir():
        raise AnnotationError(f"YOLO labels folder {str(ldir)!r} does not exist or is not a folder")
    names: list[str] | None
    if isinstance(class_names, (str, Path)):
        names = read_class_names(class_names)
    elif class_names is not None:
        names = [str(n) for n in class_names]
    else:
        cand = ldir / "classes.txt"
        names = read_class_names(cand) if cand.is_file() else None
    images = _find_images(Path(images_dir)) if images_dir is not None else {}
    if images_dir is not None and not Path(images_dir).is_dir():
        raise AnnotationError(f"images folder {str(images_dir)!r} does not exist")
    sizes = dict(image_sizes or {})
    issues: list[FormatIssue] = []
    out: list[ImageAnnotation] = []
    seen_ids: set[int] = set()
    label_files = sorted(
        p for p in ldir.rglob("*.txt") if p.name not in ("classes.txt", "names.txt")
    )
    labelled_stems = set()
    for lf in label_files:
        fname = str(lf.relative_to(ldir))
        stem = lf.stem
        labelled_stems.add(stem)
        if stem in sizes:
            w, h = sizes[stem]
            image_name = images[stem].name if stem in images else f"{stem}.jpg"
        elif stem in images:
            try:
                w, h = _image_size(images[stem])
            except Exception as exc:
                issues.append(
                    FormatIssue(
                        fname,
                        "error",
                        f"image {images[stem].name!r} for this label file cannot be read "
                        f"({type(exc).__name__}: {exc}); skipped",
                    )
                )
                continue
            image_name = str(images[stem].relative_to(Path(images_dir)))  # type: ignore[arg-type]
        else:
            where = f" in {str(images_dir)!r}" if images_dir is not None else ""
            issues.append(
                FormatIssue(
                    fname,
                    "error",
                    f"label file names image {stem!r} but no such image was found{where}; "
                    "skipped (add the image or pass image_sizes)",
                )
            )
            continue
        try:
            text = lf.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(FormatIssue(fname, "error", f"cannot read: {exc}; skipped"))
            continue
        boxes: list[BoxAnnotation] = []
        for ln_no, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            try:
                vals = [float(v) for v in parts]
            except ValueError:
                issues.append(
                    FormatIssue(fname, "error", f"not numbers: {line[:60]!r}; line skipped", ln_no)
                )
                continue
            if not all(math.isfinite(v) for v in vals):
                issues.append(
                    FormatIssue(
                        fname,
                        "error",
                        f"NaN or infinite values: {line[:60]!r}; line skipped",
                        ln_no,
                    )
                )
                continue
            if len(vals) < 5:
                issues.append(
                    FormatIssue(
                        fname,
                        "error",
                        f"expected 'class cx cy w h', got {len(vals)} values; line skipped",
                        ln_no,
                    )
                )
                continue
            cls_f = vals[0]
            if cls_f != int(cls_f) or cls_f < 0:
                issues.append(
                    FormatIssue(
                        fname,
                        "error",
                        f"class id {parts[0]!r} is not a non-negative integer; line skipped",
                        ln_no,
                    )
                )
                continue
            cls = int(cls_f)
            if names is not None and cls >= len(names):
                issues.append(
                    FormatIssue(
                        fname,
                        "error",
                        f"unknown class id {cls}; there are {len(names)} class names "
                        f"({names[:10]}); line skipped",
                        ln_no,
                    )
                )
                continue
            score = None
            if len(vals) in (5, 6):
                cx, cy, bw, bh = vals[1:5]
                if len(vals) == 6:
                    score = vals[5]
                box = Box.from_cxcywh(cx, cy, bw, bh, image_size=(w, h))
            elif len(vals) % 2 == 1:
                pts = np.asarray(vals[1:]).reshape(-1, 2) * np.array([w, h])
                box = Box(*polygon_to_box(pts))
            else:
                issues.append(
                    FormatIssue(
                        fname,
                        "error",
                        f"{len(vals)} values is neither a box nor a polygon; line skipped",
                        ln_no,
                    )
                )
                continue
            checked = _checked_box(
                box, w, h, file=fname, line=ln_no, policy=out_of_range, issues=issues
            )
            if checked is None:
                continue
            seen_ids.add(cls)
            label = names[cls] if names is not None else str(cls)
            boxes.append(BoxAnnotation(checked, label, score))
        out.append(ImageAnnotation(image_name, int(w), int(h), boxes))
    if include_unlabeled and images_dir is not None:
        for stem, p in images.items():
            if stem in labelled_stems:
                continue
            try:
                w, h = _image_size(p)
            except Exception as exc:
                issues.append(
                    FormatIssue(
                        p.name, "error", f"cannot read image ({type(exc).__name__}); skipped"
                    )
                )
                continue
            out.append(ImageAnnotation(str(p.relative_to(Path(images_dir))), w, h, []))
    if names is None:
        top = max(seen_ids) if seen_ids else -1
        names = [str(i) for i in range(top + 1)]
    return AnnotationSet(out, classes=list(names), issues=issues)


def _fmt_num(v: float) -> str:
    s = f"{v:.8f}".rstrip("0").rstrip(".")
    return s if s not in ("-0", "") else "0"


def write_yolo(
    annotations: AnnotationSet,
    labels_dir: str | Path,
    *,
    clip: bool = True,
    write_empty: bool = True,
    names_file: str | None = "classes.txt",
) -> list[FormatIssue]:
    """Write YOLO label files (and ``classes.txt``) for every image.

    Coordinates are clipped to ``[0, 1]`` (reported) unless ``clip=False``; boxes that are
    degenerate after clipping are skipped and reported. Returns those issues.
    """
    ldir = Path(labels_dir)
    ldir.mkdir(parents=True, exist_ok=True)
    issues: list[FormatIssue] = []
    classes = list(annotations.classes)
    for im in annotations.images:
        lines = []
        for b in im.boxes:
            if b.label not in classes:
                issues.append(
                    FormatIssue(
                        im.image,
                        "error",
                        f"unknown class {b.label!r} (classes: {classes}); box skipped",
                    )
                )
                continue
            box: Box | None = b.box
            if clip:
                box = _checked_box(
                    b.box,
                    im.width,
                    im.height,
                    file=im.image,
                    line=None,
                    policy="clip",
                    issues=issues,
                )
                if box is None:
                    continue
            assert box is not None
            cx, cy, bw, bh = box.to_cxcywh(image_size=(im.width, im.height))
            nums = " ".join(_fmt_num(v) for v in (cx, cy, bw, bh))
            extra = f" {_fmt_num(b.score)}" if b.score is not None else ""
            lines.append(f"{classes.index(b.label)} {nums}{extra}")
        if lines or write_empty:
            target = ldir / (Path(im.image).with_suffix(".txt"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    if names_file:
        (ldir / names_file).write_text("\n".join(classes) + "\n", encoding="utf-8")
    return issues


# ----------------------------------------------------------------------------- COCO


def to_coco(annotations: AnnotationSet, *, info: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A COCO detection dictionary (``images``, ``annotations``, ``categories``)."""
    classes = list(annotations.classes)
    for im in annotations.images:
        for b in im.boxes:
            if b.label not in classes:
                classes.append(b.label)
    cat_id = {c: i + 1 for i, c in enumerate(classes)}
    images, anns = [], []
    ann_id = 1
    for img_id, im in enumerate(annotations.images, start=1):
        images.append(
            {"id": img_id, "file_name": im.image, "width": int(im.width), "height": int(im.height)}
        )
        for b in im.boxes:
            x, y, w, h = b.box.to_xywh()
            a: dict[str, Any] = {
                "id": ann_id,
                "image_id": img_id,
                "category_id": cat_id[b.label],
                "bbox": [x, y, w, h],
                "area": b.box.area,
                "iscrowd": 0,
            }
            if b.score is not None:
                a["score"] = b.score
            anns.append(a)
            ann_id += 1
    return {
        "info": dict(info or {"description": "exported by labelwise"}),
        "images": images,
        "annotations": anns,
        "categories": [{"id": cat_id[c], "name": c, "supercategory": ""} for c in classes],
    }


def write_coco(annotations: AnnotationSet, path: str | Path) -> Path:
    """Write :func:`to_coco` as JSON to ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(to_coco(annotations), indent=1), encoding="utf-8")
    return p


def read_coco(
    path: str | Path,
    *,
    images_dir: str | Path | None = None,
    out_of_range: str = "clip",
) -> AnnotationSet:
    """Read a COCO detection JSON file (see :func:`from_coco`)."""
    p = Path(path)
    if not p.is_file():
        raise AnnotationError(f"COCO file {str(p)!r} does not exist; check the path")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(f"{str(p)!r} is not valid JSON: {exc}") from exc
    return from_coco(data, images_dir=images_dir, out_of_range=out_of_range, source=p.name)


def from_coco(
    data: Mapping[str, Any],
    *,
    images_dir: str | Path | None = None,
    out_of_range: str = "clip",
    source: str = "coco.json",
) -> AnnotationSet:
    """Read a COCO detection dictionary, reporting bad annotations per image.

    Annotations naming an unknown image or category, malformed ``bbox`` values, and (when
    ``images_dir`` is given) images missing on disk are reported as errors and skipped.
    """
    _check_policy(out_of_range)
    if not isinstance(data, Mapping) or "images" not in data:
        raise AnnotationError(
            f"{source}: not a COCO detection file (no 'images' list); "
            "expected keys images, annotations, categories"
        )
    issues: list[FormatIssue] = []
    cats = {}
    for c in data.get("categories", []) or []:
        try:
            cats[int(c["id"])] = str(c["name"])
        except (KeyError, TypeError, ValueError):
            issues.append(FormatIssue(source, "error", f"malformed category {c!r}; skipped"))
    by_id: dict[int, ImageAnnotation] = {}
    order: list[int] = []
    on_disk = _find_images(Path(images_dir)) if images_dir is not None else None
    for im in data.get("images", []) or []:
        try:
            iid, fname = int(im["id"]), str(im["file_name"])
            w, h = int(im["width"]), int(im["height"])
        except (KeyError, TypeError, ValueError):
            issues.append(FormatIssue(source, "error", f"malformed image entry {im!r}; skipped"))
            continue
        if on_disk is not None and Path(fname).stem not in on_disk:
            issues.append(
                FormatIssue(
                    fname,
                    "error",
                    f"image listed in {source} is missing from {str(images_dir)!r}; skipped",
                )
            )
            continue
        by_id[iid] = ImageAnnotation(fname, w, h, [])
        order.append(iid)
    for a in data.get("annotations", []) or []:
        try:
            iid = int(a["image_id"])
            cid = int(a["category_id"])
            x, y, bw, bh = (float(v) for v in a["bbox"])
        except (KeyError, TypeError, ValueError):
            issues.append(
                FormatIssue(source, "error", f"malformed annotation {str(a)[:80]}; skipped")
            )
            continue
        if iid not in by_id:
            issues.append(
                FormatIssue(
                    source,
                    "error",
                    f"annotation {a.get('id')} names image id {iid}, which is not listed "
                    "(or was skipped); skipped",
                )
            )
            continue
        im_ann = by_id[iid]
        if cid not in cats:
            issues.append(
                FormatIssue(
                    im_ann.image,
                    "error",
                    f"annotation {a.get('id')} has unknown category id {cid}; "
                    f"categories are {sorted(cats)}; skipped",
                )
            )
            continue
        if not all(math.isfinite(v) for v in (x, y, bw, bh)):
            issues.append(FormatIssue(im_ann.image, "error", "bbox has non-finite values; skipped"))
            continue
        box = Box(x, y, x + bw, y + bh)
        checked = _checked_box(
            box,
            im_ann.width,
            im_ann.height,
            file=im_ann.image,
            line=None,
            policy=out_of_range,
            issues=issues,
        )
        if checked is None:
            continue
        score = a.get("score")
        im_ann.boxes.append(
            BoxAnnotation(checked, cats[cid], None if score is None else float(score))
        )
    classes = [cats[k] for k in sorted(cats)]
    return AnnotationSet([by_id[i] for i in order], classes=classes, issues=issues)


# ----------------------------------------------------------------------------- Pascal VOC


def _voc_xml(im: ImageAnnotation, *, depth: int = 3) -> str:
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = (
        str(Path(im.image).parent) if Path(im.image).parent != Path(".") else ""
    )
    ET.SubElement(root, "filename").text = Path(im.image).name
    ET.SubElement(root, "path").text = im.image
    size = ET.SubElement(root, "size")
    ET.SubElement(size, "width").text = str(int(im.width))
    ET.SubElement(size, "height").text = str(int(im.height))
    ET.SubElement(size, "depth").text = str(depth)
    ET.SubElement(root, "segmented").text = "0"
    for b in im.boxes:
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = b.label
        ET.SubElement(obj, "pose").text = "Unspecified"
        ET.SubElement(obj, "truncated").text = "0"
        ET.SubElement(obj, "difficult").text = "0"
        if b.score is not None:
            ET.SubElement(obj, "score").text = repr(float(b.score))
        bb = ET.SubElement(obj, "bndbox")
        for tag, v in zip(("xmin", "ymin", "xmax", "ymax"), b.box.to_xyxy(), strict=True):
            ET.SubElement(bb, tag).text = _fmt_num(v) if v != int(v) else str(int(v))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def write_voc(annotations: AnnotationSet, xml_dir: str | Path) -> list[Path]:
    """Write one Pascal VOC XML per image into ``xml_dir``; returns the paths."""
    d = Path(xml_dir)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for im in annotations.images:
        target = d / Path(im.image).with_suffix(".xml")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_voc_xml(im), encoding="utf-8")
        paths.append(target)
    return paths


def read_voc(
    xml_dir: str | Path,
    *,
    class_names: Sequence[str] | str | Path | None = None,
    images_dir: str | Path | None = None,
    out_of_range: str = "clip",
) -> AnnotationSet:
    """Read a folder of Pascal VOC XML files.

    With ``class_names``, objects of other classes are reported as unknown and skipped;
    with ``images_dir``, XML files whose image is missing are reported and skipped.
    """
    _check_policy(out_of_range)
    d = Path(xml_dir)
    if not d.is_dir():
        raise AnnotationError(f"VOC folder {str(d)!r} does not exist or is not a folder")
    names: list[str] | None
    if isinstance(class_names, (str, Path)):
        names = read_class_names(class_names)
    else:
        names = None if class_names is None else [str(n) for n in class_names]
    on_disk = _find_images(Path(images_dir)) if images_dir is not None else None
    issues: list[FormatIssue] = []
    out: list[ImageAnnotation] = []
    seen: list[str] = []
    for xf in sorted(d.rglob("*.xml")):
        fname = str(xf.relative_to(d))
        try:
            root = ET.parse(xf).getroot()
        except ET.ParseError as exc:
            issues.append(FormatIssue(fname, "error", f"not valid XML ({exc}); skipped"))
            continue
        if root.tag != "annotation":
            issues.append(FormatIssue(fname, "error", f"root is <{root.tag}>, not <annotation>"))
            continue
        image = (root.findtext("path") or "").strip() or (root.findtext("filename") or "").strip()
        if not image:
            image = xf.with_suffix(".jpg").name
        try:
            w = int(float(root.findtext("size/width") or "nan"))
            h = int(float(root.findtext("size/height") or "nan"))
        except ValueError:
            w = h = 0
        if on_disk is not None and Path(image).stem not in on_disk:
            issues.append(
                FormatIssue(
                    fname,
                    "error",
                    f"names image {image!r}, which is missing from {str(images_dir)!r}; skipped",
                )
            )
            continue
        if (w <= 0 or h <= 0) and on_disk is not None:
            w, h = _image_size(on_disk[Path(image).stem])
        if w <= 0 or h <= 0:
            issues.append(
                FormatIssue(fname, "error", "missing or invalid <size>; pass images_dir; skipped")
            )
            continue
        boxes: list[BoxAnnotation] = []
        for k, obj in enumerate(root.findall("object")):
            label = (obj.findtext("name") or "").strip()
            if names is not None and label not in names:
                issues.append(
                    FormatIssue(
                        fname,
                        "error",
                        f"object {k}: unknown class {label!r}; classes are {names}; skipped",
                    )
                )
                continue
            try:
                coords = [
                    float(obj.findtext(f"bndbox/{t}") or "nan")
                    for t in ("xmin", "ymin", "xmax", "ymax")
                ]
            except ValueError:
                coords = [math.nan]
            if not all(math.isfinite(c) for c in coords):
                issues.append(
                    FormatIssue(fname, "error", f"object {k}: missing or bad <bndbox>; skipped")
                )
                continue
            score_t = obj.findtext("score")
            checked = _checked_box(
                Box(*coords), w, h, file=fname, line=None, policy=out_of_range, issues=issues
            )
            if checked is None:
                continue
            if label not in seen:
                seen.append(label)
            boxes.append(BoxAnnotation(checked, label, float(score_t) if score_t else None))
        out.append(ImageAnnotation(image, w, h, boxes))
    return AnnotationSet(out, classes=list(names) if names is not None else seen, issues=issues)


# ----------------------------------------------------------------------------- dispatch


def read_annotations(
    fmt: str,
    source: str | Path,
    *,
    images_dir: str | Path | None = None,
    class_names: Sequence[str] | str | Path | None = None,
    out_of_range: str = "clip",
) -> AnnotationSet:
    """Read annotations in ``fmt`` (yolo: labels folder, coco: JSON file, voc: XML folder)."""
    if fmt == "yolo":
        return read_yolo(
            source, images_dir=images_dir, class_names=class_names, out_of_range=out_of_range
        )
    if fmt == "coco":
        s = read_coco(source, images_dir=images_dir, out_of_range=out_of_range)
        if class_names is not None:
            names = (
                read_class_names(class_names)
                if isinstance(class_names, (str, Path))
                else [str(n) for n in class_names]
            )
            for im in s.images:
                unknown = [b for b in im.boxes if b.label not in names]
                for b in unknown:
                    s.issues.append(
                        FormatIssue(
                            im.image,
                            "error",
                            f"unknown class {b.label!r}; classes are {names}; box skipped",
                        )
                    )
                im.boxes = [b for b in im.boxes if b.label in names]
            s.classes = names
        return s
    if fmt == "voc":
        return read_voc(
            source, class_names=class_names, images_dir=images_dir, out_of_range=out_of_range
        )
    raise AnnotationError(f"unknown annotation format {fmt!r}; use one of {ANNOTATION_FORMATS}")


def write_annotations(
    annotations: AnnotationSet, fmt: str, target: str | Path
) -> list[FormatIssue]:
    """Write annotations in ``fmt`` (yolo: labels folder, coco: JSON file, voc: XML folder)."""
    if fmt == "yolo":
        return write_yolo(annotations, target)
    if fmt == "coco":
        write_coco(annotations, target)
        return []
    if fmt == "voc":
        write_voc(annotations, target)
        return []
    raise AnnotationError(f"unknown annotation format {fmt!r}; use one of {ANNOTATION_FORMATS}")


def convert_annotations(
    src_format: str,
    source: str | Path,
    dst_format: str,
    target: str | Path,
    *,
    images_dir: str | Path | None = None,
    class_names: Sequence[str] | str | Path | None = None,
    out_of_range: str = "clip",
) -> AnnotationSet:
    """Read ``source`` in one format and write ``target`` in another.

    Returns the annotation set that was written; its ``issues`` hold everything reported
    while reading and writing.

    Examples
    --------
    >>> # convert_annotations("yolo", "labels/", "coco", "train.json", images_dir="images/")
    """
    for f in (src_format, dst_format):
        if f not in ANNOTATION_FORMATS:
            raise AnnotationError(
                f"unknown annotation format {f!r}; use one of {ANNOTATION_FORMATS}"
            )
    s = read_annotations(
        src_format,
        source,
        images_dir=images_dir,
        class_names=class_names,
        out_of_range=out_of_range,
    )
    s.issues.extend(write_annotations(s, dst_format, target))
    return s
