"""Label Studio JSON: a list of tasks with ``data``, ``annotations`` and ``predictions``.

Regions use Label Studio's result types: ``choices``, ``labels`` (text spans and audio
segments), ``rectanglelabels``, ``polygonlabels``, ``textarea`` and ``videorectangle``, with
image coordinates in percent of ``original_width``/``original_height`` and 1-based video
frames. The item id is kept in ``meta.labelwise_id`` and the annotator name in
``labelwise_annotator`` (Label Studio ignores both), so exports import back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from labelwise.formats._common import item_size, load_json, validated
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.report import ConversionReport
from labelwise.formats.schema import Control, LabelConfig
from labelwise.geometry import convert_boxes

__all__ = ["from_label_studio", "to_label_studio"]


def _pct_box(box: Mapping[str, Any], w: float, h: float) -> dict[str, float]:
    x, y, bw, bh = convert_boxes(
        [box["x"], box["y"], box["w"], box["h"]], "xywh", "xywh_percent", (w, h)
    )[0].tolist()
    return {"x": x, "y": y, "width": bw, "height": bh, "rotation": 0}


def _px_box(v: Mapping[str, Any], w: float, h: float, where: str) -> dict[str, float]:
    try:
        vals = [float(v["x"]), float(v["y"]), float(v["width"]), float(v["height"])]
    except (KeyError, TypeError, ValueError):
        raise FormatError(f"{where}: a box needs numeric x, y, width, height (percent)") from None
    x, y, bw, bh = convert_boxes(vals, "xywh_percent", "xywh", (w, h))[0].tolist()
    return {"x": x, "y": y, "w": bw, "h": bh}


def _regions(item: Item, result: Mapping[str, Any], config: LabelConfig) -> list[dict[str, Any]]:
    obj = config.object_field
    out: list[dict[str, Any]] = []
    for c in config.controls:
        value = result.get(c.name)
        if value is None:
            continue
        base = {"from_name": c.name, "to_name": obj}
        if c.type == "choices":
            choices = value if isinstance(value, list) else [value]
            out.append({**base, "type": "choices", "value": {"choices": list(choices)}})
        elif c.type == "text":
            out.append({**base, "type": "textarea", "value": {"text": [value]}})
        elif c.type == "spans":
            text = item.data.get(obj)
            for i, s in enumerate(value):
                v: dict[str, Any] = {"start": s["start"], "end": s["end"], "labels": [s["label"]]}
                if isinstance(text, str):
                    v["text"] = text[s["start"] : s["end"]]
                out.append({**base, "id": f"{c.name}-{i}", "type": "labels", "value": v})
        elif c.type in ("boxes", "polygons"):
            w, h = item_size(item, f"control {c.name!r}")
            for i, r in enumerate(value):
                if c.type == "boxes":
                    v = {**_pct_box(r, w, h), "rectanglelabels": [r["label"]]}
                    rtype = "rectanglelabels"
                else:
                    pts = [[px * 100.0 / w, py * 100.0 / h] for px, py in r["points"]]
                    v = {"points": pts, "polygonlabels": [r["label"]]}
                    rtype = "polygonlabels"
                out.append(
                    {
                        **base,
                        "id": f"{c.name}-{i}",
                        "type": rtype,
                        "original_width": w,
                        "original_height": h,
                        "image_rotation": 0,
                        "value": v,
                    }
                )
        elif c.type == "segments":
            for i, s in enumerate(value):
                rid = f"{c.name}-{i}"
                out.append(
                    {
                        **base,
                        "id": rid,
                        "type": "labels",
                        "value": {"start": s["start"], "end": s["end"], "labels": [s["label"]]},
                    }
                )
                if s.get("text"):
                    out.append(
                        {
                            **base,
                            "id": rid,
                            "type": "textarea",
                            "value": {"start": s["start"], "end": s["end"], "text": [s["text"]]},
                        }
                    )
        elif c.type == "video_boxes":
            w, h = item_size(item, f"control {c.name!r}")
            fps = item.data.get("fps")
            for t in value:
                seq = []
                for k in t["keyframes"]:
                    kv: dict[str, Any] = {"frame": k["frame"] + 1, **_pct_box(k, w, h)}
                    kv["enabled"] = not k.get("outside", False)
                    if isinstance(fps, (int, float)) and fps > 0:
                        kv["time"] = k["frame"] / fps
                    seq.append(kv)
                out.append(
                    {
                        **base,
                        "id": str(t["track"]),
                        "type": "videorectangle",
                        "original_width": w,
                        "original_height": h,
                        "value": {"sequence": seq, "labels": [t["label"]]},
                    }
                )
    return out


def to_label_studio(items: Iterable[Item], config: LabelConfig) -> list[dict[str, Any]]:
    """Items -> a list of Label Studio tasks (JSON-ready).

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "text"},
    ...     "controls": [{"name": "s", "type": "choices", "labels": ["neg", "pos"]}]})
    >>> t = to_label_studio([Item("a", {"text": "ok"}, [Annotation({"s": "pos"}, "ann")])], cfg)
    >>> t[0]["annotations"][0]["result"][0]["value"]
    {'choices': ['pos']}
    """
    return ls_tasks(items, lambda it, result: _regions(it, result, config))


def _annotator_name(a: Mapping[str, Any]) -> str | None:
    if a.get("labelwise_annotator") is not None:
        return str(a["labelwise_annotator"])
    cb = a.get("completed_by")
    if isinstance(cb, Mapping):
        for key in ("email", "username", "id"):
            if cb.get(key) is not None:
                return str(cb[key])
        return None
    return None if cb is None else str(cb)


def _size_of(region: Mapping[str, Any], data: Mapping[str, Any], where: str) -> tuple[float, float]:
    w = region.get("original_width", data.get("width"))
    h = region.get("original_height", data.get("height"))
    if not isinstance(w, (int, float)) or not isinstance(h, (int, float)) or w <= 0 or h <= 0:
        raise FormatError(
            f"{where}: region has no original_width/original_height and the task data has no "
            "width/height; percent coordinates cannot be turned into pixels"
        )
    return float(w), float(h)


def _label_of(v: Mapping[str, Any], key: str, where: str) -> str:
    labels = v.get(key) or v.get("labels")
    if not isinstance(labels, list) or len(labels) != 1:
        raise FormatError(f"{where}: expected exactly one label in {key!r}, got {labels!r}")
    return str(labels[0])


def _result_from_regions(
    regions: Any, data: Mapping[str, Any], config: LabelConfig, where: str
) -> dict[str, Any]:
    if not isinstance(regions, list):
        raise FormatError(f"{where}: 'result' must be a list of regions")
    result: dict[str, Any] = {}
    seg_text: dict[tuple[str, str], str] = {}
    controls = {c.name: c for c in config.controls}
    for r in regions:
        if not isinstance(r, Mapping) or not isinstance(r.get("value"), Mapping):
            raise FormatError(
                f"{where}: every region needs 'from_name', 'type' and a 'value' object"
            )
        name = r.get("from_name")
        if name not in controls:
            raise FormatError(
                f"{where}: region from_name {name!r} is not a control of this project; "
                f"controls: {sorted(controls)}. Match the label config to the file."
            )
        c: Control = controls[name]
        v, rtype = r["value"], r.get("type")
        if c.type == "choices":
            ch = v.get("choices")
            if not isinstance(ch, list):
                raise FormatError(f"{where}: choices region needs value.choices as a list")
            result[c.name] = (
                [str(x) for x in ch] if c.multiple else (str(ch[0]) if len(ch) == 1 else ch)
            )
        elif c.type == "text":
            t = v.get("text")
            result[c.name] = "\n".join(str(x) for x in t) if isinstance(t, list) else str(t)
        elif c.type == "spans":
            result.setdefault(c.name, []).append(
                {
                    "start": v.get("start"),
                    "end": v.get("end"),
                    "label": _label_of(v, "labels", where),
                }
            )
        elif c.type == "boxes":
            w, h = _size_of(r, data, where)
            box: dict[str, Any] = _px_box(v, w, h, where)
            box["label"] = _label_of(v, "rectanglelabels", where)
            result.setdefault(c.name, []).append(box)
        elif c.type == "polygons":
            w, h = _size_of(r, data, where)
            pts = v.get("points")
            if not isinstance(pts, list):
                raise FormatError(f"{where}: polygon region needs value.points")
            result.setdefault(c.name, []).append(
                {
                    "points": [[float(p[0]) * w / 100.0, float(p[1]) * h / 100.0] for p in pts],
                    "label": _label_of(v, "polygonlabels", where),
                }
            )
        elif c.type == "segments":
            if rtype == "textarea":
                t = v.get("text")
                seg_text[(c.name, str(r.get("id")))] = (
                    "\n".join(str(x) for x in t) if isinstance(t, list) else str(t)
                )
                continue
            seg = {
                "start": v.get("start"),
                "end": v.get("end"),
                "label": _label_of(v, "labels", where),
            }
            seg["_id"] = str(r.get("id"))
            result.setdefault(c.name, []).append(seg)
        elif c.type == "video_boxes":
            w, h = _size_of(r, data, where)
            seq = v.get("sequence")
            if not isinstance(seq, list) or not seq:
                raise FormatError(
                    f"{where}: videorectangle region needs a non-empty value.sequence"
                )
            kfs = []
            for k in seq:
                kf: dict[str, Any] = {"frame": int(k["frame"]) - 1, **_px_box(k, w, h, where)}
                if k.get("enabled") is False:
                    kf["outside"] = True
                kfs.append(kf)
            result.setdefault(c.name, []).append(
                {
                    "track": str(r.get("id")),
                    "label": _label_of(v, "labels", where),
                    "keyframes": kfs,
                }
            )
    for c in config.controls:
        if c.type == "segments" and c.name in result:
            for seg in result[c.name]:
                text = seg_text.get((c.name, seg.pop("_id")))
                if text:
                    seg["text"] = text
    return result


def from_label_studio(
    tasks: str | bytes | list[Any] | dict[str, Any],
    config: LabelConfig,
    *,
    name: str = "Label Studio JSON",
    policy: str = "error",
    report: ConversionReport | None = None,
) -> list[Item]:
    """Label Studio tasks (JSON text or parsed) -> items.

    Cancelled (skipped) annotations are left out. Tasks without annotations import as
    unlabeled items; ``predictions`` become pre-labels.

    Raises
    ------
    FormatError
        Naming the task and region that do not fit ``config``.
    """
    raw = load_json(tasks, name) if isinstance(tasks, (str, bytes)) else tasks
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise FormatError(f"{name} must be a list of tasks (objects with 'data')")
    items: list[Item] = []
    seen: set[str] = set()
    for n, task in enumerate(raw):
        if not isinstance(task, Mapping) or not isinstance(task.get("data"), Mapping):
            raise FormatError(f"{name} task {n} has no 'data' object; each task needs data")
        data = dict(task["data"])
        meta = task.get("meta") if isinstance(task.get("meta"), Mapping) else {}
        item_id = str(meta.get("labelwise_id") or task.get("id") or n + 1)  # type: ignore[union-attr]
        if item_id in seen:
            raise FormatError(f"{name} task {n}: id {item_id!r} appears twice")
        seen.add(item_id)
        anns = []
        for j, a in enumerate(
            list(task.get("annotations") or []) + list(task.get("completions") or [])
        ):
            if not isinstance(a, Mapping):
                raise FormatError(f"{name} task {n} annotation {j} must be an object")
            if a.get("was_cancelled"):
                continue
            where = f"{name} task {n} annotation {j}"
            result = validated(
                config,
                _result_from_regions(a.get("result", []), data, config, where),
                data,
                where,
                policy=policy,
                report=report,
            )
            ann_meta = {"ground_truth": True} if a.get("ground_truth") else {}
            anns.append(Annotation(result, _annotator_name(a), ann_meta))
        preds = []
        for j, p in enumerate(task.get("predictions") or []):
            if not isinstance(p, Mapping):
                raise FormatError(f"{name} task {n} prediction {j} must be an object")
            where = f"{name} task {n} prediction {j}"
            result = validated(
                config,
                _result_from_regions(p.get("result", []), data, config, where),
                data,
                where,
                policy=policy,
                report=report,
            )
            pmeta = {"score": float(p["score"])} if isinstance(p.get("score"), (int, float)) else {}
            preds.append(Annotation(result, str(p.get("model_version") or "") or None, pmeta))
        items.append(Item(item_id, data, anns, preds))
    return items


def ls_tasks(
    items: Iterable[Item], regions: Callable[[Item, dict[str, Any]], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Label Studio tasks (annotations and predictions) with ``regions(item, result)``
    turning one labelwise result into Label Studio result regions."""
    tasks = []
    users: dict[str, int] = {}
    for n, it in enumerate(items, start=1):
        anns = []
        for j, a in enumerate(it.annotations, start=1):
            uid = users.setdefault(a.annotator or "", len(users) + 1)
            anns.append(
                {
                    "id": j,
                    "completed_by": uid,
                    "labelwise_annotator": a.annotator,
                    "was_cancelled": False,
                    "ground_truth": bool(a.meta.get("ground_truth", False)),
                    "result": regions(it, a.result),
                }
            )
        preds = []
        for p in it.predictions:
            pred: dict[str, Any] = {
                "model_version": p.annotator or "",
                "result": regions(it, p.result),
            }
            if "score" in p.meta:
                pred["score"] = p.meta["score"]
            preds.append(pred)
        tasks.append(
            {
                "id": n,
                "data": it.data,
                "meta": {"labelwise_id": it.id},
                "annotations": anns,
                "predictions": preds,
            }
        )
    return tasks
