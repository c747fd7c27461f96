"""Label Studio video rectangles (``videorectangle``) with Label Studio's own visibility rules.

A Label Studio track is a ``sequence`` of key frames ``{frame, time, x, y, width, height,
rotation, enabled}`` with **1-based** frames and coordinates in percent of the video size.
Label Studio shows the box *on* a key frame whose ``enabled`` is false and hides it only
after that frame, until the next key frame. labelwise's ``outside`` key frame hides the
object from that frame on. So an object that leaves at frame ``b`` is written as a key
frame at ``b - 1`` (1-based ``b``) with ``enabled: false``, and read back as an ``outside``
key frame one frame after each disabled one: every frame shows the same box in both tools.

Use :func:`to_label_studio_video` / :func:`from_label_studio_video` for video items; they
write and read tasks of the same shape as :mod:`labelwise.formats.label_studio`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from labelwise.formats._common import item_size, load_json
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.label_studio import ls_tasks
from labelwise.formats.schema import Control, LabelConfig
from labelwise.formats.video_tracks import video_control
from labelwise.geometry import convert_boxes, interpolate_track

__all__ = ["from_label_studio_video", "ls_sequence", "to_label_studio_video", "track_from_sequence"]


def _pct(box: Mapping[str, Any], w: float, h: float) -> dict[str, float]:
    x, y, bw, bh = convert_boxes(
        [box["x"], box["y"], box["w"], box["h"]], "xywh", "xywh_percent", (w, h)
    )[0].tolist()
    return {"x": x, "y": y, "width": bw, "height": bh, "rotation": 0}


def ls_sequence(
    keyframes: list[Mapping[str, Any]], width: float, height: float, fps: float | None
) -> list[dict[str, Any]]:
    """labelwise key frames -> a Label Studio ``sequence`` (see the module docstring).

    Examples
    --------
    >>> seq = ls_sequence([{"frame": 0, "x": 0, "y": 0, "w": 10, "h": 10},
    ...     {"frame": 4, "x": 40, "y": 0, "w": 10, "h": 10, "outside": True}], 100, 100, 25)
    >>> [(s["frame"], s["x"], s["enabled"]) for s in seq]
    [(1, 0.0, True), (4, 30.0, False)]
    """
    kfs = sorted(keyframes, key=lambda k: int(k["frame"]))
    seq: list[dict[str, Any]] = []

    def add(frame: int, box: Mapping[str, Any], enabled: bool) -> None:
        s: dict[str, Any] = {"frame": frame + 1, **_pct(box, width, height), "enabled": enabled}
        if fps:
            s["time"] = frame / fps
        seq.append(s)

    for i, k in enumerate(kfs):
        if k.get("outside"):
            continue
        f = int(k["frame"])
        nxt = kfs[i + 1] if i + 1 < len(kfs) else None
        if nxt is not None and nxt.get("outside"):
            b = int(nxt["frame"])
            if b - 1 == f:
                add(f, k, False)
            else:
                add(f, k, True)
                box = interpolate_track(kfs, b - 1)
                assert box is not None
                add(b - 1, box, False)
        else:
            add(f, k, True)
    return seq


def track_from_sequence(
    seq: list[Mapping[str, Any]], width: float, height: float, where: str
) -> list[dict[str, Any]]:
    """A Label Studio ``sequence`` -> labelwise key frames (``outside`` after disabled ones)."""
    parsed = []
    for j, s in enumerate(seq):
        try:
            frame = int(s["frame"]) - 1
            vals = [float(s["x"]), float(s["y"]), float(s["width"]), float(s["height"])]
        except (KeyError, TypeError, ValueError):
            raise FormatError(
                f"{where}: sequence entry {j} needs frame, x, y, width, height (percent)"
            ) from None
        if frame < 0:
            raise FormatError(
                f"{where}: sequence entry {j} has frame {frame + 1}; frames start at 1"
            )
        x, y, w, h = convert_boxes(vals, "xywh_percent", "xywh", (width, height))[0].tolist()
        parsed.append(
            (frame, {"x": x, "y": y, "w": w, "h": h}, s.get("enabled", True) is not False)
        )
    parsed.sort(key=lambda p: p[0])
    out: list[dict[str, Any]] = []
    for j, (frame, box, enabled) in enumerate(parsed):
        out.append({"frame": frame, **box})
        nxt = parsed[j + 1][0] if j + 1 < len(parsed) else None
        if not enabled and nxt != frame + 1:
            out.append({"frame": frame + 1, **box, "outside": True})
    return out


def _regions(
    item: Item, control: Control, tracks: list[Mapping[str, Any]], obj: str
) -> list[dict[str, Any]]:
    w, h = item_size(item, f"control {control.name!r}")
    fps = item.data.get("fps")
    fps_f = float(fps) if isinstance(fps, (int, float)) and fps > 0 else None
    out = []
    for t in tracks:
        value: dict[str, Any] = {
            "sequence": ls_sequence(list(t["keyframes"]), w, h, fps_f),
            "labels": [t["label"]],
        }
        frames = item.data.get("frames")
        if isinstance(frames, int) and frames > 0:
            value["framesCount"] = frames
            if fps_f:
                value["duration"] = frames / fps_f
        out.append(
            {
                "from_name": control.name,
                "to_name": obj,
                "id": str(t["track"]),
                "type": "videorectangle",
                "origin": "manual",
                "original_width": w,
                "original_height": h,
                "value": value,
            }
        )
    return out


def to_label_studio_video(items: Iterable[Item], config: LabelConfig) -> list[dict[str, Any]]:
    """Video items -> Label Studio tasks (annotations and predictions)."""
    control = video_control(config, "Label Studio video export")
    obj = config.object_field
    return ls_tasks(
        items, lambda it, result: _regions(it, control, result.get(control.name) or [], obj)
    )


def _tracks(
    result: Any, data: Mapping[str, Any], control: Control, where: str
) -> list[dict[str, Any]]:
    if not isinstance(result, list):
        raise FormatError(f"{where}: result must be a list of regions")
    tracks = []
    for r in result:
        if not isinstance(r, Mapping) or r.get("type") != "videorectangle":
            continue
        if r.get("from_name") not in (None, control.name):
            continue
        v = r.get("value") or {}
        w = r.get("original_width") or data.get("width")
        h = r.get("original_height") or data.get("height")
        if not isinstance(w, (int, float)) or not isinstance(h, (int, float)) or w <= 0 or h <= 0:
            raise FormatError(f"{where}: videorectangle needs original_width/original_height")
        labels = v.get("labels") or []
        if not labels or labels[0] not in control.labels:
            raise FormatError(
                f"{where}: label {labels[:1]} is not a label of control {control.name!r}"
            )
        seq = v.get("sequence")
        if not isinstance(seq, list) or not seq:
            raise FormatError(f"{where}: videorectangle needs a non-empty value.sequence")
        tracks.append(
            {
                "track": str(r.get("id")),
                "label": labels[0],
                "keyframes": track_from_sequence(seq, float(w), float(h), where),
            }
        )
    return tracks


def from_label_studio_video(
    tasks: str | bytes | list[Any], config: LabelConfig, *, name: str = "Label Studio JSON"
) -> list[Item]:
    """Label Studio tasks with ``videorectangle`` regions -> video items."""
    control = video_control(config, "Label Studio video import")
    raw = load_json(tasks, name) if isinstance(tasks, (str, bytes)) else tasks
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise FormatError(f"{name} must be a list of tasks")
    items = []
    for n, task in enumerate(raw):
        if not isinstance(task, Mapping) or not isinstance(task.get("data"), Mapping):
            raise FormatError(f"{name} task {n} has no 'data' object")
        data = dict(task["data"])
        meta = task.get("meta") if isinstance(task.get("meta"), Mapping) else {}
        item_id = str((meta or {}).get("labelwise_id") or task.get("id") or n + 1)
        anns = [
            Annotation(
                {control.name: _tracks(a.get("result", []), data, control, f"{name} task {n}")},
                a.get("labelwise_annotator"),
            )
            for a in task.get("annotations") or []
            if isinstance(a, Mapping) and not a.get("was_cancelled")
        ]
        preds = [
            Annotation(
                {control.name: _tracks(p.get("result", []), data, control, f"{name} task {n}")},
                str(p.get("model_version") or "") or None,
                {"score": float(p["score"])} if isinstance(p.get("score"), (int, float)) else {},
            )
            for p in task.get("predictions") or []
            if isinstance(p, Mapping)
        ]
        items.append(Item(item_id, data, anns, preds))
    return items
