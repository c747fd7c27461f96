"""Segments for humans: VAD regions and Whisper segments as pre-labels for the annotation
app, and human-corrected segments back out to JSONL, CSV, Label Studio JSON, RTTM and a
Hugging Face ``datasets`` audio dataset.

The pre-labels use the app's "Audio segments + transcription" configuration
(:data:`AUDIO_SEGMENTS_CONFIG`): the object is ``{"type": "audio", "field": "audio"}`` and one
``segments`` control with ``transcription: true``; each region becomes one segment carrying
its text, stored as a *prediction* that annotators accept or correct. Write them with
:func:`write_prelabels` and import the JSONL into a project (``labelwise project import``
or :func:`labelwise.app.import_path`). Media paths are relative to the JSONL file when the
audio lies under its folder (write it at the top of the audio folder to keep sub-folders),
else absolute (the app then stores each file under its own name).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from labelwise.audio.io import AudioClip
from labelwise.audio.transcribe import Transcript
from labelwise.audio.vad import Region
from labelwise.errors import DataError
from labelwise.formats import Annotation, ConversionReport, Item, LabelConfig, export_items

__all__ = [
    "AUDIO_SEGMENTS_CONFIG",
    "EXPORT_FORMATS",
    "export_segments",
    "prelabel_item",
    "regions_from_transcript",
    "write_prelabels",
]

#: The app's "Audio segments + transcription" configuration (labelwise/app/static/js/main.js).
AUDIO_SEGMENTS_CONFIG: dict[str, Any] = {
    "title": "Audio segments + transcription",
    "object": {"type": "audio", "field": "audio"},
    "controls": [
        {
            "name": "segments",
            "type": "segments",
            "labels": ["speech", "noise"],
            "transcription": True,
        }
    ],
}

EXPORT_FORMATS = ("jsonl", "csv", "label_studio", "rttm", "hf")


def regions_from_transcript(tr: Transcript, *, label: str = "speech") -> list[Region]:
    """One region per Whisper segment, carrying its text (empty segments dropped)."""
    out = []
    for s in tr.segments:
        if s.end > s.start and s.text.strip():
            score = None if s.no_speech_prob is None else round(1.0 - float(s.no_speech_prob), 4)
            out.append(Region(float(s.start), float(s.end), label, score, s.text.strip()))
    return out


def _relative(path: str, base: Path) -> str:
    """``path`` relative to ``base`` when it lies inside it, else absolute.

    The app links media named by a relative path under the same relative name, and media
    given by an absolute path under their file name.
    """
    p = Path(path).resolve()
    try:
        return p.relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(p)


def prelabel_item(
    clip: AudioClip,
    regions: Sequence[Region],
    *,
    base: Path,
    source: str,
    config: LabelConfig,
    duration: float | None = None,
) -> Item:
    """One app task: the clip's audio (path relative to ``base``) and its regions as a prediction."""
    control = next(c for c in config.controls if c.type == "segments")
    dur = duration if duration is not None else clip.duration
    segs = []
    for r in regions:
        start = max(0.0, r.start - clip.start)
        end = r.end - clip.start
        if dur is not None:
            end = min(end, float(dur))
        if end - start < 0.01:
            continue
        label = r.label if r.label in control.labels else control.labels[0]
        seg: dict[str, Any] = {"start": round(start, 3), "end": round(end, 3), "label": label}
        if control.transcription and r.text:
            seg["text"] = r.text
        segs.append(seg)
    scores = [r.score for r in regions if r.score is not None]
    meta: dict[str, Any] = {}
    if scores:
        meta["score"] = round(float(sum(scores) / len(scores)), 4)
    data: dict[str, Any] = {config.object_field: _relative(clip.path, base)}
    if dur is not None:
        data["duration"] = round(float(dur), 3)
    if clip.label is not None:
        data["class"] = clip.label
    return Item(clip.id, data, [], [Annotation({control.name: segs}, source, meta)])


def write_prelabels(
    results: Iterable[tuple[AudioClip, Sequence[Region]]],
    out: str | Path,
    *,
    source: str = "labelwise-audio",
    config: LabelConfig | dict[str, Any] | None = None,
) -> list[Item]:
    """Write app tasks with segment pre-labels to ``out`` (labelwise JSONL); return the items.

    Clips must be whole files (the app plays the file; segment times are relative to it).
    """
    from labelwise.formats import to_jsonl

    cfg = LabelConfig.coerce(config if config is not None else AUDIO_SEGMENTS_CONFIG)
    if not any(c.type == "segments" for c in cfg.controls):
        raise DataError("the label configuration needs a 'segments' control for audio pre-labels")
    outp = Path(out)
    outp.parent.mkdir(parents=True, exist_ok=True)
    items = []
    for clip, regions in results:
        if clip.start or clip.end is not None:
            raise DataError(
                f"clip {clip.id!r} is a part of {clip.path!r}; pre-label whole files "
                "(the app plays the whole file)"
            )
        items.append(prelabel_item(clip, regions, base=outp.parent, source=source, config=cfg))
    tmp = outp.with_name(f".{outp.name}.tmp")
    tmp.write_text(to_jsonl(items), encoding="utf-8")
    os.replace(tmp, outp)
    return items


def export_segments(
    items: Sequence[Item],
    fmt: str,
    out: str | Path,
    *,
    config: LabelConfig | dict[str, Any] | None = None,
    media_root: str | Path | None = None,
    which: str = "annotations",
) -> tuple[Path, ConversionReport]:
    """Export (human-corrected) segments: ``jsonl``, ``csv``, ``label_studio``, ``rttm`` or
    ``hf`` (a ``datasets`` folder). Returns the written path and the conversion problems."""
    cfg = LabelConfig.coerce(config if config is not None else AUDIO_SEGMENTS_CONFIG)
    outp = Path(out)
    report = ConversionReport()
    if fmt not in EXPORT_FORMATS:
        raise DataError(f"unknown segment export format {fmt!r}; choose one of {EXPORT_FORMATS}")
    if fmt == "hf":
        from labelwise.audio.io import load_audio
        from labelwise.formats.hf_audio import to_hf_audio_dataset

        to_hf_audio_dataset(
            items, cfg, outp, media_root=media_root, which=which, report=report, load=load_audio
        )
        return outp, report
    outp.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "rttm":
        from labelwise.formats.rttm import to_rttm

        outp.write_text(to_rttm(items, cfg, which=which), encoding="utf-8")
        return outp, report
    if which == "predictions":
        items = [Item(it.id, it.data, list(it.predictions)) for it in items]
    files = export_items(items, cfg, fmt, report=report)
    if len(files) != 1:
        raise DataError(f"{fmt} export produced {len(files)} files; expected one")
    outp.write_bytes(next(iter(files.values())))
    return outp, report
