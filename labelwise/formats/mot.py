"""MOTChallenge ground truth: ``gt/gt.txt`` with ``seqinfo.ini`` (and CVAT's ``gt/labels.txt``).

``gt.txt`` has one line per visible box per frame::

    <frame>,<id>,<bb_left>,<bb_top>,<bb_width>,<bb_height>,<conf>,<class>,<visibility>

with **1-based** frame numbers of the *source* video (so a video labeled every 5th frame
has lines for frames 1, 6, 11, ...: never positions in the sample), positive integer track
ids, pixel boxes, ``conf`` 1 (0 marks a box to ignore), ``class`` a 1-based index into
``gt/labels.txt`` and ``visibility`` in ``[0, 1]``. ``seqinfo.ini`` holds the ``[Sequence]``
keys ``name``, ``imDir``, ``frameRate``, ``seqLength`` (frames of the source video),
``imWidth``, ``imHeight``, ``imExt``; labelwise adds ``frameStep`` and ``frameStart``
(MOT readers ignore unknown keys) so the labeled frames are known on import.

Numbers are written in the shortest form that reads back to the same float, so boxes round
trip exactly. Several videos export as one folder per video. Track ids that are not
positive integers are numbered 1..n and their names kept in ``gt/track_names.txt``.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from labelwise.formats._common import as_text
from labelwise.formats.items import Annotation, FormatError, Item
from labelwise.formats.report import ConversionReport
from labelwise.formats.schema import LabelConfig
from labelwise.formats.video_tracks import (
    canonical_keyframes,
    dense_track,
    pick_annotation,
    sampled_frames,
    video_control,
    video_meta,
)

__all__ = ["format_number", "from_mot", "to_mot"]


def format_number(v: float) -> str:
    """Shortest text that reads back to exactly ``v`` (integers without ``.0``).

    Examples
    --------
    >>> format_number(3.0), format_number(0.1), format_number(-2.5e-07)
    ('3', '0.1', '-2.5e-07')
    """
    f = float(v)
    if f.is_integer() and abs(f) < 1e15:
        return str(int(f))
    return repr(f)


def _seq_name(item: Item) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(item.id)).strip("._") or "video"
    return name


def _mot_ids(tracks: Sequence[Mapping[str, Any]]) -> tuple[dict[str, int], bool]:
    names = [str(t["track"]) for t in tracks]
    if all(n.isdigit() and int(n) > 0 and str(int(n)) == n for n in names):
        return {n: int(n) for n in names}, False
    return {n: i for i, n in enumerate(names, start=1)}, True


def to_mot(
    items: Iterable[Item],
    config: LabelConfig,
    *,
    source: str = "annotations",
    report: ConversionReport | None = None,
) -> dict[str, str]:
    """Video items -> ``{relative path: text}`` of MOT files (one sequence per item).

    The first annotation of each item is exported (``source="predictions"`` for the first
    prediction); items with several annotations get a note in ``report``.

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "video"},
    ...     "controls": [{"name": "t", "type": "video_boxes", "labels": ["car"]}]})
    >>> it = Item("cam1", {"video": "cam1.mp4", "width": 100, "height": 80, "fps": 25,
    ...     "frames": 20, "frame_step": 5}, [Annotation({"t": [{"track": "7", "label": "car",
    ...     "keyframes": [{"frame": 5, "x": 1, "y": 2, "w": 3, "h": 4},
    ...                   {"frame": 10, "x": 5, "y": 2, "w": 3, "h": 4, "outside": True}]}]})])
    >>> print(to_mot([it], cfg)["gt/gt.txt"], end="")
    6,7,1,2,3,4,1,1,1
    """
    control = video_control(config, "MOT export")
    items = list(items)
    labels = list(control.labels)
    out: dict[str, str] = {}
    for it in items:
        prefix = "" if len(items) == 1 else _seq_name(it) + "/"
        ann = pick_annotation(it, source=source)
        if (
            report is not None
            and len(it.annotations if source == "annotations" else it.predictions) > 1
        ):
            report.add(f"item {it.id!r}: MOT holds one answer per video; exported the first")
        tracks = list((ann.result.get(control.name) or []) if ann else [])
        frames = sampled_frames(it, tracks)
        m = video_meta(it)
        ids, renamed = _mot_ids(tracks)
        rows: list[tuple[int, int, str]] = []
        for t in tracks:
            tid = ids[str(t["track"])]
            cls = labels.index(t["label"]) + 1
            for f, (x, y, w, h) in dense_track(t["keyframes"], frames).items():
                line = ",".join(
                    [
                        str(f + 1),
                        str(tid),
                        *(format_number(v) for v in (x, y, w, h)),
                        "1",
                        str(cls),
                        "1",
                    ]
                )
                rows.append((f, tid, line))
        rows.sort(key=lambda r: (r[0], r[1]))
        out[prefix + "gt/gt.txt"] = "".join(r[2] + "\n" for r in rows)
        out[prefix + "gt/labels.txt"] = "".join(lab + "\n" for lab in labels)
        if renamed:
            out[prefix + "gt/track_names.txt"] = "".join(f"{i},{n}\n" for n, i in ids.items())
        seq = [
            "[Sequence]",
            f"name={_seq_name(it)}",
            "imDir=img1",
            f"frameRate={format_number(float(m['fps']))}" if m["fps"] else "frameRate=0",
            f"seqLength={max(m['frames'], (frames[-1] + 1) if frames else 0)}",
            f"imWidth={format_number(float(m['width'] or 0))}",
            f"imHeight={format_number(float(m['height'] or 0))}",
            "imExt=.jpg",
            f"frameStep={m['frame_step']}",
            f"frameStart={m['frame_start']}",
        ]
        out[prefix + "seqinfo.ini"] = "\n".join(seq) + "\n"
    return out


def _read_ini(text: str, where: str) -> dict[str, str]:
    cp = configparser.ConfigParser()
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        cp.read_string(text)
    except configparser.Error as exc:
        raise FormatError(f"{where} is not a valid ini file: {exc}") from None
    if "Sequence" not in cp:
        raise FormatError(f"{where} has no [Sequence] section")
    return dict(cp["Sequence"])


def _num(s: str, where: str, what: str) -> float:
    try:
        return float(s)
    except ValueError:
        raise FormatError(f"{where}: {what} {s!r} is not a number") from None


def from_mot(
    files: Mapping[str, bytes | str],
    config: LabelConfig,
    *,
    items: Iterable[Item] | None = None,
    annotator: str | None = None,
    report: ConversionReport | None = None,
) -> list[Item]:
    """MOT files (``{relative path: content}``, as :func:`to_mot` writes or a folder/zip
    read by :func:`~labelwise.formats.read_files`) -> one item per sequence.

    Each track comes back in canonical form (a keyframe per labeled frame, ``outside``
    after each visible run): the same box at every labeled frame as what was exported.
    ``items`` (existing videos) are matched by sequence name to item id or video file stem.
    """
    control = video_control(config, "MOT import")
    gts = sorted(k for k in files if PurePosixPath(k).name == "gt.txt")
    if not gts:
        raise FormatError("no gt/gt.txt among the MOT files; give the sequence folder or zip")
    known: dict[str, Item] = {}
    for it in items or []:
        known[str(it.id)] = it
        v = it.data.get(config.object_field)
        if isinstance(v, str):
            known.setdefault(PurePosixPath(v).stem, it)
    out: list[Item] = []
    for gt in gts:
        p = PurePosixPath(gt)
        base = p.parent.parent if p.parent.name == "gt" else p.parent
        pre = "" if str(base) == "." else str(base) + "/"
        ini_text = files.get(pre + "seqinfo.ini")
        seq = (
            _read_ini(as_text(ini_text, pre + "seqinfo.ini"), pre + "seqinfo.ini")
            if ini_text
            else {}
        )
        if not seq and report is not None:
            report.add(
                f"{gt}: no seqinfo.ini; the video length is unknown, so tracks end at their last box"
            )
        labels_text = files.get(pre + "gt/labels.txt")
        names = (
            [x.strip() for x in as_text(labels_text, "labels.txt").splitlines() if x.strip()]
            if labels_text
            else list(control.labels)
        )
        tn_text = files.get(pre + "gt/track_names.txt")
        track_names: dict[int, str] = {}
        if tn_text:
            for line in as_text(tn_text, "track_names.txt").splitlines():
                if line.strip():
                    i, _, n = line.partition(",")
                    track_names[int(i)] = n
        name = seq.get("name") or (base.name if str(base) != "." else "video")
        step = int(_num(seq.get("frameStep", "1"), gt, "frameStep"))
        start = int(_num(seq.get("frameStart", "0"), gt, "frameStart"))
        length = int(_num(seq.get("seqLength", "0"), gt, "seqLength"))
        per_track: dict[int, dict[int, tuple[float, float, float, float]]] = {}
        track_label: dict[int, str] = {}
        ignored = 0
        for lineno, line in enumerate(as_text(files[gt], gt).splitlines(), start=1):
            if not line.strip():
                continue
            cols = [c.strip() for c in line.split(",")]
            where = f"{gt} line {lineno}"
            if len(cols) < 6:
                raise FormatError(
                    f"{where}: needs at least 6 comma-separated columns, got {len(cols)}"
                )
            frame = int(_num(cols[0], where, "frame"))
            if frame < 1:
                raise FormatError(f"{where}: frame {frame} must be >= 1 (MOT frames are 1-based)")
            tid = int(_num(cols[1], where, "id"))
            box = tuple(_num(c, where, "box value") for c in cols[2:6])
            if len(cols) > 6 and _num(cols[6], where, "conf") == 0:
                ignored += 1
                continue
            cls = int(_num(cols[7], where, "class")) if len(cols) > 7 else 1
            if not 1 <= cls <= len(names):
                raise FormatError(f"{where}: class {cls} is not in 1..{len(names)} (labels.txt)")
            label = names[cls - 1]
            if label not in control.labels:
                raise FormatError(
                    f"{where}: class {label!r} is not a label of control {control.name!r} "
                    f"({list(control.labels)}); add it to the config"
                )
            if track_label.setdefault(tid, label) != label:
                raise FormatError(f"{where}: track {tid} changes class to {label!r}")
            if frame - 1 in per_track.setdefault(tid, {}):
                raise FormatError(f"{where}: track {tid} has two boxes on frame {frame}")
            per_track[tid][frame - 1] = box  # type: ignore[assignment]
        if ignored and report is not None:
            report.add(f"{gt}: {ignored} line(s) with conf 0 (ignore) were left out")
        last = max((f for b in per_track.values() for f in b), default=-1)
        n_frames = max(length, last + 1)
        frames = range(start, n_frames, step)
        off = sorted({f for b in per_track.values() for f in b if f < start or (f - start) % step})
        if off:
            raise FormatError(
                f"{gt}: frames {[f + 1 for f in off[:5]]} are off the labeled grid "
                f"(frameStart {start}, frameStep {step}); fix seqinfo.ini"
            )
        tracks = [
            {
                "track": track_names.get(tid, str(tid)),
                "label": track_label[tid],
                "keyframes": canonical_keyframes(per_track[tid], frames),
            }
            for tid in sorted(per_track)
        ]
        item = known.get(name)
        if item is None:
            data: dict[str, Any] = {
                config.object_field: f"{name}.mp4",
                "width": _maybe_int(_num(seq.get("imWidth", "0"), gt, "imWidth")),
                "height": _maybe_int(_num(seq.get("imHeight", "0"), gt, "imHeight")),
                "fps": _maybe_int(_num(seq.get("frameRate", "0"), gt, "frameRate")),
                "frames": n_frames,
            }
            if step != 1:
                data["frame_step"] = step
            if start:
                data["frame_start"] = start
            item = Item(name, data)
        else:
            item = Item(item.id, dict(item.data))
        item.annotations.append(Annotation({control.name: tracks}, annotator))
        out.append(item)
    return out


def _maybe_int(v: float) -> float | int:
    return int(v) if v.is_integer() else v
