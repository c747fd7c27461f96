"""CVAT for video 1.1 XML: ``<track>`` elements of ``<box>`` with key frames and ``outside``.

Layout (one file per video)::

    <annotations>
      <version>1.1</version>
      <meta><task> id, name, size, mode=interpolation, overlap, start_frame, stop_frame,
                   frame_filter (step=N), labels, original_size </task></meta>
      <track id="0" label="car" source="manual">
        <box frame="5" keyframe="1" outside="0" occluded="0"
             xtl="10" ytl="20" xbr="40" ybr="60" z_order="0"/>
        ...
      </track>
    </annotations>

``frame`` is the *source* video's frame number (with a frame step of 5: 0, 5, 10, ...,
never the position in the sample), ``size`` is the number of labeled frames. Like CVAT,
every labeled frame of a track gets a box from its first key frame on (``keyframe="0"``
for interpolated ones, computed here exactly as the app draws them) and an ``outside="1"``
key frame where the object leaves; import keeps only the key frames, so the track comes
back exactly as drawn (frames, key frames and ``outside`` exactly; corner coordinates
exactly, widths as ``xbr - xtl``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from labelwise.formats._common import as_text
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.mot import format_number
from labelwise.formats.report import ConversionReport
from labelwise.formats.schema import LabelConfig
from labelwise.formats.video_tracks import (
    dense_track,
    pick_annotation,
    sampled_frames,
    video_control,
    video_meta,
)

__all__ = ["from_cvat_video", "to_cvat_video"]


def _sub(parent: ET.Element, tag: str, text: Any = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = str(text)
    return el


def _box_el(
    track: ET.Element, frame: int, box: Mapping[str, float], *, key: bool, outside: bool
) -> None:
    x, y, w, h = (float(box[k]) for k in ("x", "y", "w", "h"))
    ET.SubElement(
        track,
        "box",
        {
            "frame": str(frame),
            "keyframe": "1" if key else "0",
            "outside": "1" if outside else "0",
            "occluded": "0",
            "xtl": format_number(x),
            "ytl": format_number(y),
            "xbr": format_number(x + w),
            "ybr": format_number(y + h),
            "z_order": "0",
        },
    )


def _one(
    item: Item, config: LabelConfig, n: int, source: str, report: ConversionReport | None
) -> str:
    control = video_control(config, "CVAT video export")
    ann = pick_annotation(item, source=source)
    n_ans = len(item.annotations if source == "annotations" else item.predictions)
    if report is not None and n_ans > 1:
        report.add(
            f"item {item.id!r}: CVAT video XML holds one answer per video; exported the first"
        )
    tracks = list((ann.result.get(control.name) or []) if ann else [])
    frames = sampled_frames(item, tracks)
    m = video_meta(item)
    root = ET.Element("annotations")
    _sub(root, "version", "1.1")
    task = _sub(_sub(root, "meta"), "task")
    _sub(task, "id", n)
    _sub(task, "name", item.id)
    _sub(task, "size", len(frames))
    _sub(task, "mode", "interpolation")
    _sub(task, "overlap", 0)
    _sub(task, "bugtracker", "")
    _sub(task, "flipped", "False")
    _sub(task, "start_frame", frames[0] if frames else 0)
    # the range's last source frame; labeled frames are start, start + step, ... <= stop
    _sub(task, "stop_frame", max(m["frames"] - 1, frames[-1] if frames else 0))
    _sub(task, "frame_filter", f"step={m['frame_step']}" if m["frame_step"] > 1 else "")
    labels = _sub(task, "labels")
    for lab in control.labels:
        le = _sub(labels, "label")
        _sub(le, "name", lab)
        _sub(le, "type", "rectangle")
        _sub(le, "attributes")
    size = _sub(task, "original_size")
    _sub(size, "width", format_number(float(m["width"] or 0)))
    _sub(size, "height", format_number(float(m["height"] or 0)))
    src = _sub(task, "source", item.data.get(config.object_field, ""))
    del src
    for tid, t in enumerate(tracks):
        el = ET.SubElement(root, "track", {"id": str(tid), "label": t["label"], "source": "manual"})
        _sub(el, "labelwise_track", t["track"])
        kfs = sorted(t["keyframes"], key=lambda k: int(k["frame"]))
        key_at = {int(k["frame"]): k for k in kfs}
        dense = dense_track(kfs, frames)
        for f in sorted(set(dense) | set(key_at)):
            k = key_at.get(f)
            if k is not None:
                _box_el(el, f, k, key=True, outside=bool(k.get("outside")))
            else:
                x, y, w, h = dense[f]
                _box_el(el, f, {"x": x, "y": y, "w": w, "h": h}, key=False, outside=False)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def to_cvat_video(
    items: Iterable[Item],
    config: LabelConfig,
    *,
    source: str = "annotations",
    report: ConversionReport | None = None,
) -> dict[str, str]:
    """Video items -> ``{file name: XML}``: ``annotations.xml`` for one video, else one
    ``<item id>.xml`` each.

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "video"},
    ...     "controls": [{"name": "t", "type": "video_boxes", "labels": ["car"]}]})
    >>> it = Item("v", {"video": "v.mp4", "width": 100, "height": 80, "frames": 4},
    ...     [Annotation({"t": [{"track": "a", "label": "car", "keyframes": [
    ...         {"frame": 0, "x": 0, "y": 0, "w": 10, "h": 10},
    ...         {"frame": 2, "x": 20, "y": 0, "w": 10, "h": 10, "outside": True}]}]})])
    >>> xml = to_cvat_video([it], cfg)["annotations.xml"]
    >>> for line in xml.splitlines():
    ...     if "<box" in line:
    ...         print(line.strip()[:52])
    <box frame="0" keyframe="1" outside="0" occluded="0"
    <box frame="1" keyframe="0" outside="0" occluded="0"
    <box frame="2" keyframe="1" outside="1" occluded="0"
    """
    items = list(items)
    if len(items) == 1:
        return {"annotations.xml": _one(items[0], config, 1, source, report)}
    return {
        f"{PurePosixPath(str(it.id)).name or 'video'}.xml": _one(it, config, n, source, report)
        for n, it in enumerate(items, start=1)
    }


def _f(el: ET.Element, key: str, where: str) -> float:
    v = el.get(key)
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise FormatError(f"{where}: attribute {key}={v!r} must be a number") from None


def from_cvat_video(
    files: Mapping[str, bytes | str],
    config: LabelConfig,
    *,
    items: Iterable[Item] | None = None,
    annotator: str | None = None,
) -> list[Item]:
    """CVAT for video XML file(s) -> one item per file, tracks from their key frames."""
    control = video_control(config, "CVAT video import")
    known = {str(it.id): it for it in items or []}
    out: list[Item] = []
    for fname in sorted(files):
        if not fname.lower().endswith(".xml"):
            continue
        try:
            root = ET.fromstring(as_text(files[fname], fname))
        except ET.ParseError as exc:
            raise FormatError(f"{fname} is not valid XML: {exc}") from None
        if root.tag != "annotations":
            raise FormatError(f"{fname}: root element is <{root.tag}>, expected <annotations>")
        task = root.find("meta/task")
        if task is None:
            task = root.find("meta/job")
        name = (task.findtext("name") if task is not None else None) or PurePosixPath(fname).stem
        tracks = []
        for n, tel in enumerate(root.findall("track")):
            where = f"{fname} track {tel.get('id', n)}"
            label = tel.get("label")
            if label not in control.labels:
                raise FormatError(
                    f"{where}: label {label!r} is not a label of control {control.name!r} "
                    f"({list(control.labels)})"
                )
            kfs = []
            for b in tel.findall("box"):
                if b.get("keyframe", "1") != "1":
                    continue
                fr = int(_f(b, "frame", where))
                x, y = _f(b, "xtl", where), _f(b, "ytl", where)
                kf: dict[str, Any] = {
                    "frame": fr,
                    "x": x,
                    "y": y,
                    "w": _f(b, "xbr", where) - x,
                    "h": _f(b, "ybr", where) - y,
                }
                if b.get("outside") == "1":
                    kf["outside"] = True
                kfs.append(kf)
            if tel.findall("polygon") or tel.findall("points"):
                raise FormatError(f"{where}: only box tracks can be imported into video_boxes")
            if not kfs:
                continue
            kfs.sort(key=lambda k: k["frame"])
            tracks.append(
                {
                    "track": tel.findtext("labelwise_track") or str(tel.get("id", n)),
                    "label": label,
                    "keyframes": kfs,
                }
            )
        item = known.get(name)
        if item is None:
            data: dict[str, Any] = {config.object_field: f"{name}.mp4"}
            if task is not None:
                w, h = task.findtext("original_size/width"), task.findtext("original_size/height")
                if w and h:
                    data["width"], data["height"] = _int_or_float(w), _int_or_float(h)
                filt = task.findtext("frame_filter") or ""
                if filt.startswith("step="):
                    data["frame_step"] = int(filt.split("=", 1)[1])
                start = int(task.findtext("start_frame") or 0)
                if start:
                    data["frame_start"] = start
                stop = task.findtext("stop_frame")
                if stop is not None:
                    data["frames"] = int(stop) + 1
            item = Item(name, data)
        else:
            item = Item(item.id, dict(item.data))
        item.annotations.append(Annotation({control.name: tracks}, annotator))
        out.append(item)
    if not out:
        raise FormatError("no .xml file among the CVAT files")
    return out


def _int_or_float(s: str) -> int | float:
    v = float(s)
    return int(v) if v.is_integer() else v
