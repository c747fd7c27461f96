"""YOLO text labels: one ``labels/<image path>.txt`` per image, ``class cx cy w h`` normalized.

Polygon lines (``class x1 y1 x2 y2 ...``, YOLO segmentation format) go to a polygons control.
Class ids index ``classes.txt`` (box labels, then new polygon labels). YOLO files carry no
image size, so reading needs the images' width and height (from the items they belong to).

Three things YOLO tools rely on:

* **Never annotated vs. no objects.** Only items with an annotation get a label file; an
  item annotated with no objects gets an *empty* file. On import, an image without a file
  stays unannotated and an empty file becomes an annotation with no boxes.
* **Five columns.** Model scores (pre-labels) go to ``scores/<image path>.txt``, one score
  per line of the label file, because YOLO trainers reject a sixth column; pass
  ``scores="column"`` to write them as a sixth column anyway (both are read back).
* **Bad lines** follow the importer policy (``error | clip | drop | keep``, see
  :mod:`labelwise.formats.report`), each reported with its file and line.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from labelwise.formats._common import as_text, item_size, object_path, sidecar_path, validated
from labelwise.formats.coco import coco_categories
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.report import ConversionReport, check_box, check_policy, round_px
from labelwise.formats.schema import LabelConfig
from labelwise.geometry import convert_boxes, polygon_to_box

__all__ = ["from_yolo", "label_path", "score_path", "to_yolo"]

_SCORE_MODES = ("file", "column", "none")


def label_path(image_path: str) -> str:
    """``imgs/a.jpg`` -> ``labels/imgs/a.txt`` (folders kept so equal stems never collide)."""
    return sidecar_path(image_path, "labels", ".txt")


def score_path(image_path: str) -> str:
    """``imgs/a.jpg`` -> ``scores/imgs/a.txt``: the scores of the label file's lines."""
    return sidecar_path(image_path, "scores", ".txt")


def _fmt(v: float) -> str:
    s = f"{float(v):.10f}".rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def to_yolo(
    items: Iterable[Item],
    config: LabelConfig,
    *,
    predictions: bool = False,
    scores: str = "file",
    policy: str = "keep",
    report: ConversionReport | None = None,
) -> dict[str, str]:
    """Items -> ``{relative path: file text}``: ``classes.txt`` and one label file per image.

    Parameters
    ----------
    items : iterable of Item
        Each should carry one (final) annotation; several are merged into one file. Items
        with no annotation get no label file (never annotated).
    config : LabelConfig
    predictions : bool
        Write the items' predictions (pre-labels) instead of their annotations.
    scores : {"file", "column", "none"}
        Where region scores go: ``scores/<image>.txt`` (default), a sixth column, or nowhere.
    policy : {"keep", "clip", "drop", "error"}
        What to do with boxes reaching outside the image: write them as they are (default,
        reported), clip them, drop them, or raise.
    report : ConversionReport, optional
        Receives one fault per box outside the image.

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "image"},
    ...     "controls": [{"name": "b", "type": "boxes", "labels": ["car"]}]})
    >>> it = Item("1", {"image": "a.jpg", "width": 100, "height": 40},
    ...           [Annotation({"b": [{"x": 0, "y": 0, "w": 50, "h": 20, "label": "car"}]})])
    >>> to_yolo([it], cfg)["labels/a.txt"]
    '0 0.25 0.25 0.5 0.5\\n'
    """
    check_policy(policy)
    if scores not in _SCORE_MODES:
        raise FormatError(f"scores={scores!r} is not one of {_SCORE_MODES}")
    report = report if report is not None else ConversionReport()
    names = coco_categories(config)
    cls = {n: i for i, n in enumerate(names)}
    box_c = next(iter(config.controls_of_type("boxes")), None)
    poly_c = next(iter(config.controls_of_type("polygons")), None)
    files = {"classes.txt": "".join(n + "\n" for n in names)}
    for it in items:
        anns = it.predictions if predictions else it.annotations
        if not anns:
            continue  # never annotated: no file (an empty file means "no objects")
        w, h = item_size(it, "YOLO export")
        image = object_path(it, config)
        path = label_path(image)
        if path in files:
            raise FormatError(f"two items map to the same YOLO label file {path!r}")
        lines: list[str] = []
        line_scores: list[float | None] = []
        for a in anns:
            for b in a.result.get(box_c.name, []) if box_c else []:
                xyxy = convert_boxes([b["x"], b["y"], b["w"], b["h"]], "xywh", "xyxy")[0]
                kept = check_box(xyxy, (w, h), policy, report, file=path, line=len(lines) + 1)
                if kept is None:
                    continue
                norm = convert_boxes(kept, "xyxy", "cxcywh_norm", (w, h))[0]
                lines.append(f"{cls[b['label']]} " + " ".join(_fmt(v) for v in norm))
                line_scores.append(b.get("score"))
            for p in a.result.get(poly_c.name, []) if poly_c else []:
                coords = " ".join(f"{_fmt(x / w)} {_fmt(y / h)}" for x, y in p["points"])
                lines.append(f"{cls[p['label']]} {coords}")
                line_scores.append(p.get("score"))
        if scores == "column":
            lines = [
                ln if s is None else f"{ln} {_fmt(s)}"
                for ln, s in zip(lines, line_scores, strict=True)
            ]
        elif scores == "file" and any(s is not None for s in line_scores):
            files[score_path(image)] = "".join(
                ("-" if s is None else _fmt(s)) + "\n" for s in line_scores
            )
        files[path] = "".join(line + "\n" for line in lines)
    return files


def _match(
    path: str, by_path: Mapping[str, Any], by_stem: Mapping[str, list[str]], item_id: str
) -> str | None:
    if path in by_path:
        return path
    cands = by_stem.get(PurePosixPath(path).stem, [])
    if len(cands) > 1:
        raise FormatError(f"several YOLO files match image {item_id!r}: {cands}; keep folder paths")
    return cands[0] if cands else None


def from_yolo(
    files: Mapping[str, str | bytes],
    items: Iterable[Item],
    config: LabelConfig,
    *,
    names: list[str] | None = None,
    annotator: str | None = None,
    policy: str = "clip",
    strict: bool | None = None,
    report: ConversionReport | None = None,
) -> list[Item]:
    """Attach YOLO label files to ``items`` (which give the image paths and sizes).

    Parameters
    ----------
    files : mapping of relative path -> text
        ``labels/...txt`` files (keys may also be bare ``<stem>.txt``), optionally
        ``classes.txt`` and ``scores/...txt`` (see :func:`to_yolo`).
    items : iterable of Item
        The images, with ``width``/``height`` in their data.
    names : list of str, optional
        Class names by id; defaults to ``classes.txt``, then the config's labels.
    policy : {"clip", "drop", "keep", "error"}
        What to do with bad lines and boxes outside the image (see
        :mod:`labelwise.formats.report`).
    strict : bool, optional
        Deprecated: ``strict=True`` is ``policy="error"``.
    report : ConversionReport, optional
        Receives one fault per bad line (file and line) and per image without a label file.

    Returns
    -------
    list of Item
        Copies of ``items``; those with a label file get one annotation (by ``annotator``),
        those with a score file or sixth column get their scores on the regions.
    """
    if strict is not None:
        warnings.warn(
            "from_yolo(strict=...) is deprecated; pass policy='error' (or 'clip')",
            DeprecationWarning,
            stacklevel=2,
        )
        policy = "error" if strict else policy
    check_policy(policy)
    report = report if report is not None else ConversionReport()
    if names is None:
        classes = files.get("classes.txt")
        names = (
            [n.strip() for n in as_text(classes, "classes.txt").splitlines() if n.strip()]
            if classes is not None
            else coco_categories(config)
        )
    box_c = next(iter(config.controls_of_type("boxes")), None)
    poly_c = next(iter(config.controls_of_type("polygons")), None)
    by_path: dict[str, str | bytes] = {}
    score_files: dict[str, str | bytes] = {}
    for k, v in files.items():
        key = k.replace("\\", "/").removeprefix("./")
        if key.startswith("scores/"):
            score_files[key] = v
        elif key.endswith(".txt") and PurePosixPath(key).name not in ("classes.txt", "names.txt"):
            by_path[key] = v
    by_stem: dict[str, list[str]] = {}
    for k in by_path:
        by_stem.setdefault(PurePosixPath(k).stem, []).append(k)
    used: set[str] = set()
    out = []
    for it in items:
        image = object_path(it, config)
        path = label_path(image)
        found = _match(path, by_path, by_stem, it.id)
        new = Item(it.id, dict(it.data), [], list(it.predictions))
        if found is None:
            report.issue(
                path,
                "no_label_file",
                f"item {it.id!r}: no YOLO label file; left unannotated",
                severity="warning",
            )
            out.append(new)
            continue
        key = found
        used.add(key)
        w, h = item_size(it, f"YOLO file {key}")
        sp = score_path(image)
        side = score_files.get(sp) or score_files.get("scores/" + key.removeprefix("labels/"))
        side_scores = as_text(side, sp).splitlines() if side is not None else []
        result: dict[str, list[Any]] = {}
        for lineno, line in enumerate(as_text(by_path[key], key).splitlines(), start=1):
            region = _parse_line(line, names, w, h, key, lineno, policy, report, box_c, poly_c)
            if region is None:
                continue
            control, value = region
            if lineno <= len(side_scores) and side_scores[lineno - 1].strip() not in ("", "-"):
                try:
                    value["score"] = float(side_scores[lineno - 1])
                except ValueError:
                    report.issue(sp, "bad_score", "not a number; score left out", line=lineno)
            result.setdefault(control, []).append(value)
        new.annotations = [
            Annotation(
                validated(config, result, new.data, f"YOLO file {key}", policy=policy), annotator
            )
        ]
        out.append(new)
    for k in sorted(set(by_path) - used):
        report.issue(k, "no_image", "label file names no known image; skipped")
    return out


def _parse_line(
    line: str,
    names: list[str],
    w: float,
    h: float,
    key: str,
    lineno: int,
    policy: str,
    report: ConversionReport,
    box_c: Any,
    poly_c: Any,
) -> tuple[str, dict[str, Any]] | None:
    """One YOLO line -> (control name, region), or None (reported) when it is unusable."""
    parts = line.split()
    if not parts or parts[0].startswith("#"):
        return None
    try:
        cid = int(parts[0])
        vals = [float(v) for v in parts[1:]]
    except ValueError:
        report.bad(
            policy,
            key,
            "malformed",
            f"expected 'class cx cy w h' numbers, got {line!r:.80}",
            line=lineno,
        )
        return None
    if not 0 <= cid < len(names):
        report.bad(
            policy,
            key,
            "unknown_class",
            f"unknown class id {cid}; classes are 0..{len(names) - 1} ({names})",
            line=lineno,
        )
        return None
    if any(not math.isfinite(v) for v in vals):
        report.bad(policy, key, "malformed", "coordinates must be finite", line=lineno)
        return None
    label = names[cid]
    score: float | None = None
    if len(vals) in (4, 5):
        if box_c is None:
            report.bad(
                policy,
                key,
                "no_control",
                "a box line but the config has no boxes control",
                line=lineno,
            )
            return None
        if len(vals) == 5:
            score = vals.pop()
        xyxy = convert_boxes(vals, "cxcywh_norm", "xyxy", (w, h))[0]
        kept = check_box(xyxy, (w, h), policy, report, file=key, line=lineno)
        if kept is None:
            return None
        x1, y1, x2, y2 = (round_px(v) for v in kept)
        box: dict[str, Any] = {"x": x1, "y": y1, "w": round_px(x2 - x1), "h": round_px(y2 - y1)}
        box["label"] = label
        if score is not None:
            box["score"] = score
        return box_c.name, box
    if len(vals) >= 6:
        if len(vals) % 2:
            score = vals.pop()
        if poly_c is None:
            report.bad(
                policy,
                key,
                "no_control",
                "a polygon line but the config has no polygons control",
                line=lineno,
            )
            return None
        pts = [[vals[i] * w, vals[i + 1] * h] for i in range(0, len(vals), 2)]
        kept = check_box(
            polygon_to_box(pts), (w, h), policy, report, file=key, line=lineno, check_area=False
        )
        if kept is None:
            return None
        if policy == "clip":
            pts = [[min(max(x, 0.0), w), min(max(y, 0.0), h)] for x, y in pts]
        poly: dict[str, Any] = {
            "points": [[round_px(x), round_px(y)] for x, y in pts],
            "label": label,
        }
        if score is not None:
            poly["score"] = score
        return poly_c.name, poly
    report.bad(
        policy,
        key,
        "malformed",
        f"{len(vals)} coordinates; a box has 4 (5 with a score) and a polygon 6 or more",
        line=lineno,
    )
    return None
