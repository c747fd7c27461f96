"""Audio segments as a Hugging Face ``datasets`` dataset: one row per segment.

Each labeled segment is cut out of its file (16 kHz mono WAV, also kept in ``clips/``) and
becomes a row with ``audio`` (a ``datasets.Audio`` column holding the WAV bytes, so the saved
dataset is self-contained), ``text``, ``label``, ``start``, ``end``,
``source_id`` and ``source_path``; the dataset is saved with ``save_to_disk`` and loads back
with ``datasets.load_from_disk``, ready for ASR or audio-classification training.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from labelwise.errors import require
from labelwise.formats.items import FormatError, Item
from labelwise.formats.report import ConversionReport
from labelwise.formats.schema import LabelConfig

__all__ = ["to_hf_audio_dataset"]


def to_hf_audio_dataset(
    items: Iterable[Item],
    config: LabelConfig,
    out: str | Path,
    *,
    media_root: str | Path | None = None,
    control: str | None = None,
    which: str = "annotations",
    sample_rate: int = 16000,
    load: Callable[..., Any] | None = None,
    report: ConversionReport | None = None,
) -> Any:
    """Write the dataset to ``out`` and return it.

    ``media_root`` resolves relative media paths (the app's media folder, or the folder of
    the export). ``load(path, sr=, offset=, duration=) -> (samples, sr)`` decodes audio
    (e.g. :func:`labelwise.audio.io.load_audio`; required). Items whose media cannot be read are
    reported in ``report`` and left out.
    """
    datasets = require("datasets", "audio")
    sf = require("soundfile", "audio")
    if load is None:
        raise FormatError(
            "to_hf_audio_dataset needs load=, a decoder (path, sr=, offset=, duration=) -> "
            "(samples, sr), e.g. labelwise.audio.load_audio (formats imports no modality)"
        )
    loader: Callable[..., Any] = load
    names = [c.name for c in config.controls if c.type == "segments"]
    name = control or (names[0] if names else None)
    if name is None or name not in names:
        raise FormatError(f"a Hugging Face audio export needs a segments control; have {names}")
    field = config.object_field
    outp = Path(out)
    clips = outp / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    rep = report if report is not None else ConversionReport()
    root = Path(media_root) if media_root is not None else None
    cols: dict[str, list[Any]] = {k: [] for k in
            ("audio", "text", "label", "start", "end", "source_id", "source_path")}  # fmt: skip
    for it in items:
        pool = it.annotations if which == "annotations" else it.predictions
        if not pool:
            continue
        raw = str(it.data.get(field) or "")
        src = Path(raw)
        if not src.is_absolute() and root is not None:
            src = root / raw
        for k, s in enumerate(sorted(pool[-1].result.get(name) or [], key=lambda s: s["start"])):
            try:
                y, _ = loader(src, sr=sample_rate, offset=float(s["start"]),
                            duration=float(s["end"]) - float(s["start"]))  # fmt: skip
            except Exception as exc:
                rep.add(f"item {it.id!r} segment {k}: cannot read {str(src)!r}: {exc}")
                continue
            safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in it.id)
            dest = clips / f"{safe}.{k:04d}.wav"
            sf.write(dest, y, sample_rate, subtype="PCM_16")
            cols["audio"].append({"path": dest.name, "bytes": dest.read_bytes()})
            cols["text"].append(s.get("text") or "")
            cols["label"].append(s.get("label"))
            cols["start"].append(float(s["start"]))
            cols["end"].append(float(s["end"]))
            cols["source_id"].append(it.id)
            cols["source_path"].append(raw)
    ds = datasets.Dataset.from_dict(cols)
    ds = ds.cast_column("audio", datasets.Audio(sampling_rate=sample_rate, decode=False))
    ds.save_to_disk(str(outp / "dataset"))
    return ds
