"""RTTM-style segment lists: one ``SPEAKER`` line per time segment (NIST Rich Transcription).

Each line is ``SPEAKER <file> <channel> <onset> <duration> <NA> <NA> <label> <NA> <NA>``:
the label (speaker, or class such as ``speech``) goes in the name field; times are seconds.
Works for any ``segments`` control (audio or video). Transcriptions are not part of RTTM;
export JSONL, CSV or Label Studio JSON to keep them.

Examples
--------
>>> from labelwise.formats import Annotation, Item, LabelConfig
>>> cfg = LabelConfig.from_dict({"object": {"type": "audio", "field": "audio"},
...     "controls": [{"name": "seg", "type": "segments", "labels": ["speech", "noise"]}]})
>>> items = [Item("call 1", {"audio": "a/call1.wav"},
...                [Annotation({"seg": [{"start": 0.5, "end": 1.25, "label": "speech"}]}, "ann")])]
>>> text = to_rttm(items, cfg)
>>> text
'SPEAKER call_1 1 0.500 0.750 <NA> <NA> speech <NA> <NA>\\n'
>>> from_rttm(text)
{'call_1': [{'start': 0.5, 'end': 1.25, 'label': 'speech'}]}
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from labelwise.formats.items import FormatError, Item
from labelwise.formats.schema import LabelConfig

__all__ = ["from_rttm", "rttm_file_id", "to_rttm"]

_BAD = re.compile(r"\s+")


def rttm_file_id(item_id: str) -> str:
    """RTTM fields are space-separated: whitespace in ids becomes ``_``."""
    return _BAD.sub("_", str(item_id).strip()) or "item"


def _segments_control(config: LabelConfig, control: str | None) -> str:
    names = [c.name for c in config.controls if c.type == "segments"]
    if control is not None:
        if control not in names:
            raise FormatError(f"control {control!r} is not a segments control; have {names}")
        return control
    if not names:
        raise FormatError("RTTM needs a 'segments' control in the label configuration")
    return names[0]


def to_rttm(
    items: Iterable[Item],
    config: LabelConfig,
    *,
    control: str | None = None,
    which: str = "annotations",
) -> str:
    """RTTM text for the last annotation (or prediction: ``which="predictions"``) per item."""
    name = _segments_control(config, control)
    lines = []
    for it in items:
        pool = it.annotations if which == "annotations" else it.predictions
        if not pool:
            continue
        segs = pool[-1].result.get(name) or []
        fid = rttm_file_id(it.id)
        for s in sorted(segs, key=lambda s: (s["start"], s["end"])):
            dur = float(s["end"]) - float(s["start"])
            label = rttm_file_id(s.get("label") or "speech")
            lines.append(
                f"SPEAKER {fid} 1 {float(s['start']):.3f} {dur:.3f} <NA> <NA> {label} <NA> <NA>"
            )
    return "".join(line + "\n" for line in lines)


def from_rttm(text: str | bytes) -> dict[str, list[dict[str, Any]]]:
    """``file id -> [{"start", "end", "label"}]`` from RTTM text (``SPEAKER`` lines only)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    out: dict[str, list[dict[str, Any]]] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0].startswith((";", "#")) or parts[0] != "SPEAKER":
            continue
        if len(parts) < 8:
            raise FormatError(f"RTTM line {n} has {len(parts)} fields; SPEAKER lines need 10")
        try:
            onset, dur = float(parts[3]), float(parts[4])
        except ValueError:
            raise FormatError(f"RTTM line {n}: onset/duration must be numbers") from None
        if dur < 0:
            raise FormatError(f"RTTM line {n}: negative duration {dur}")
        out.setdefault(parts[1], []).append(
            {"start": onset, "end": round(onset + dur, 6), "label": parts[7]}
        )
    return out
