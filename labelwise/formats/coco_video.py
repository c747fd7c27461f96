"""COCO-style per-frame boxes of video tracks (the layout of COCO video datasets).

``videos`` lists each video (``id``, ``name``, ``width``, ``height``, ``fps``, ``frames``,
``frame_step``, ``frame_start``); ``images`` has one entry per labeled frame with
``video_id`` and ``frame_id`` (the *source* frame number, 0-based) and a ``file_name`` of the
form ``<video>/<frame:06d>.jpg``; each annotation is a COCO box (``bbox`` ``[x, y, w, h]``
in pixels, ``area``, ``iscrowd``) plus ``track_id``, ``instance_id`` (the same) and
``keyframe`` (true where a person set the box, false where it was interpolated).
Track names that are not integers are kept in ``videos[].track_names``.

Boxes are written as floats that read back exactly; tracks come back in canonical form (a
key frame per labeled frame, ``outside`` after each visible run).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from labelwise.formats._common import load_json
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.schema import LabelConfig
from labelwise.formats.video_tracks import (
    canonical_keyframes,
    dense_track,
    pick_annotation,
    sampled_frames,
    video_control,
    video_meta,
)

__all__ = ["from_coco_video", "to_coco_video"]


def to_coco_video(
    items: Iterable[Item],
    config: LabelConfig,
    *,
    source: str = "annotations",
    all_frames: bool = False,
) -> dict[str, Any]:
    """Video items -> a COCO dict with ``videos``, ``images`` and per-frame boxes.

    ``images`` lists the labeled frames that hold a box; ``all_frames=True`` lists every
    labeled frame (empty ones too, as negatives; large for long videos).

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "video"},
    ...     "controls": [{"name": "t", "type": "video_boxes", "labels": ["car"]}]})
    >>> it = Item("v", {"video": "v.mp4", "width": 100, "height": 80, "frames": 9,
    ...     "frame_step": 4}, [Annotation({"t": [{"track": "1", "label": "car", "keyframes": [
    ...         {"frame": 0, "x": 0, "y": 0, "w": 10, "h": 10},
    ...         {"frame": 8, "x": 16, "y": 0, "w": 10, "h": 10}]}]})])
    >>> d = to_coco_video([it], cfg, all_frames=True)
    >>> [(i["frame_id"], i["file_name"]) for i in d["images"]]
    [(0, 'v/000000.jpg'), (4, 'v/000004.jpg'), (8, 'v/000008.jpg')]
    >>> [(a["image_id"], a["bbox"][0], a["keyframe"]) for a in d["annotations"]]
    [(1, 0.0, True), (2, 8.0, False), (3, 16.0, True)]
    """
    control = video_control(config, "COCO video export")
    cat_id = {n: i + 1 for i, n in enumerate(control.labels)}
    videos: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    anns: list[dict[str, Any]] = []
    for vid, it in enumerate(items, start=1):
        ann = pick_annotation(it, source=source)
        tracks = list((ann.result.get(control.name) or []) if ann else [])
        frames = sampled_frames(it, tracks)
        m = video_meta(it)
        vpath = it.data.get(config.object_field)
        stem = PurePosixPath(str(vpath)).stem if isinstance(vpath, str) and vpath else str(it.id)
        names = [str(t["track"]) for t in tracks]
        numeric = all(n.isdigit() and str(int(n)) == n for n in names)
        tid = {n: (int(n) if numeric else i) for i, n in enumerate(names, start=1)}
        video: dict[str, Any] = {
            "id": vid,
            "name": stem,
            "labelwise_id": it.id,
            "file_name": vpath,
            "width": m["width"],
            "height": m["height"],
            "fps": m["fps"],
            "frames": m["frames"],
            "frame_step": m["frame_step"],
            "frame_start": m["frame_start"],
        }
        if not numeric:
            video["track_names"] = {str(v): k for k, v in tid.items()}
        if ann is not None and ann.annotator:
            video["annotator"] = ann.annotator
        videos.append(video)
        denses = [dense_track(t["keyframes"], frames) for t in tracks]
        shown = frames if all_frames else sorted(set().union(*denses)) if denses else []
        image_of: dict[int, int] = {}
        for f in shown:
            image_of[f] = len(images) + 1
            images.append(
                {
                    "id": len(images) + 1,
                    "video_id": vid,
                    "frame_id": f,
                    "file_name": f"{stem}/{f:06d}.jpg",
                    "width": m["width"],
                    "height": m["height"],
                }
            )
        rows = []
        for t, dense in zip(tracks, denses, strict=True):
            keys = {int(k["frame"]) for k in t["keyframes"] if not k.get("outside")}
            for f, (x, y, w, h) in dense.items():
                rows.append(
                    (
                        image_of[f],
                        {
                            "image_id": image_of[f],
                            "category_id": cat_id[t["label"]],
                            "bbox": [x, y, w, h],
                            "area": w * h,
                            "iscrowd": 0,
                            "track_id": tid[str(t["track"])],
                            "instance_id": tid[str(t["track"])],
                            "keyframe": f in keys,
                        },
                    )
                )
        rows.sort(key=lambda r: (r[0], r[1]["track_id"]))
        for _, a in rows:
            a["id"] = len(anns) + 1
            anns.append(a)
    return {
        "info": {"description": "labelwise video export (COCO-style boxes per frame)"},
        "videos": videos,
        "images": images,
        "categories": [{"id": i, "name": n} for n, i in cat_id.items()],
        "annotations": anns,
    }


def from_coco_video(
    data: str | bytes | Mapping[str, Any], config: LabelConfig, *, name: str = "COCO video JSON"
) -> list[Item]:
    """A COCO video dict -> one item per video, tracks in canonical form."""
    control = video_control(config, "COCO video import")
    raw = load_json(data, name) if isinstance(data, (str, bytes)) else data
    if not isinstance(raw, Mapping) or not isinstance(raw.get("videos"), list):
        raise FormatError(f"{name} needs 'videos', 'images' and 'annotations' lists")
    cats = {int(c["id"]): str(c["name"]) for c in raw.get("categories") or []}
    for cname in cats.values():
        if cname not in control.labels:
            raise FormatError(
                f"{name}: category {cname!r} is not a label of control {control.name!r} "
                f"({list(control.labels)})"
            )
    images = {int(i["id"]): i for i in raw.get("images") or []}
    per_video: dict[int, dict[int, dict[int, tuple[float, float, float, float]]]] = {}
    labels: dict[tuple[int, int], str] = {}
    for n, a in enumerate(raw.get("annotations") or []):
        where = f"{name} annotation {n}"
        img = images.get(int(a.get("image_id", -1)))
        if img is None:
            raise FormatError(f"{where}: image_id {a.get('image_id')!r} is not in images")
        if "track_id" not in a:
            raise FormatError(f"{where}: no track_id; per-frame boxes need a track id")
        bbox = a.get("bbox")
        if not isinstance(bbox, list) or len(bbox) != 4:
            raise FormatError(f"{where}: bbox must be [x, y, w, h]")
        vid, tid, f = int(img["video_id"]), int(a["track_id"]), int(img["frame_id"])
        label = cats.get(int(a.get("category_id", -1)))
        if label is None:
            raise FormatError(f"{where}: category_id {a.get('category_id')!r} is unknown")
        if labels.setdefault((vid, tid), label) != label:
            raise FormatError(f"{where}: track {tid} changes category")
        boxes = per_video.setdefault(vid, {}).setdefault(tid, {})
        if f in boxes:
            raise FormatError(f"{where}: track {tid} has two boxes on frame {f}")
        boxes[f] = (float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3]))
    out = []
    for v in raw["videos"]:
        vid = int(v["id"])
        item_data = {
            config.object_field: v.get("file_name") or f"{v.get('name', vid)}.mp4",
            "width": v.get("width"),
            "height": v.get("height"),
            "fps": v.get("fps"),
            "frames": v.get("frames"),
        }
        step, start = int(v.get("frame_step") or 1), int(v.get("frame_start") or 0)
        if step != 1:
            item_data["frame_step"] = step
        if start:
            item_data["frame_start"] = start
        item_data = {k: val for k, val in item_data.items() if val is not None}
        item = Item(str(v.get("labelwise_id") or v.get("name") or vid), item_data)
        tracks_raw = per_video.get(vid, {})
        last = max((f for b in tracks_raw.values() for f in b), default=-1)
        n_frames = max(int(v.get("frames") or 0), last + 1)
        frames = range(start, n_frames, step)
        names = v.get("track_names") or {}
        tracks = [
            {
                "track": str(names.get(str(tid), tid)),
                "label": labels[(vid, tid)],
                "keyframes": canonical_keyframes(tracks_raw[tid], frames),
            }
            for tid in sorted(tracks_raw)
        ]
        item.annotations.append(Annotation({control.name: tracks}, v.get("annotator")))
        out.append(item)
    return out
