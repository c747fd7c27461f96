"""Waveform augmentation (audiomentations): noise, time shift, pitch shift, time stretch, gain.

Presets name the pipelines used by the classifiers and by ``labelwise audio augment``:

========== ================================================================
``none``   no change
``noise``  Gaussian noise (amplitude 0.001-0.015), always
``shift``  circular time shift of up to 20% of the clip
``pitch``  pitch shift of -2..+2 semitones
``stretch``time stretch 0.85-1.15 (length kept)
``gain``   gain -6..+6 dB
``standard`` each of the above with probability 0.5 (pitch and stretch 0.3)
========== ================================================================

Examples
--------
>>> import numpy as np
>>> y = np.zeros(16000, dtype=np.float32)
>>> out = augment_array(y, 16000, "noise", seed=0)
>>> out.shape, bool(np.abs(out).max() > 0)
((16000,), True)
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.audio.io import AudioCollection, load_audio_folder
from labelwise.errors import DataError, require
from labelwise.faults import BatchSummary, FaultLog
from labelwise.progress import progress as _progress

__all__ = ["AUGMENT_PRESETS", "augment_array", "augment_folder", "build_augmentation"]

AUGMENT_PRESETS = ("none", "noise", "shift", "pitch", "stretch", "gain", "standard")


def build_augmentation(preset: str | Any) -> Any:
    """An audiomentations pipeline for a preset name (an object is passed through), or None."""
    if not isinstance(preset, str):
        return preset
    if preset not in AUGMENT_PRESETS:
        raise DataError(f"unknown augmentation preset {preset!r}; choose one of {AUGMENT_PRESETS}")
    if preset == "none":
        return None
    A = require("audiomentations", "audio")
    noise = A.AddGaussianNoise(min_amplitude=0.001, max_amplitude=0.015, p=1.0)
    shift = A.Shift(min_shift=-0.2, max_shift=0.2, p=1.0)
    pitch = A.PitchShift(min_semitones=-2, max_semitones=2, p=1.0)
    stretch = A.TimeStretch(min_rate=0.85, max_rate=1.15, leave_length_unchanged=True, p=1.0)
    gain = A.Gain(min_gain_db=-6, max_gain_db=6, p=1.0)
    single = {"noise": noise, "shift": shift, "pitch": pitch, "stretch": stretch, "gain": gain}
    if preset in single:
        return A.Compose([single[preset]])
    return A.Compose(
        [
            A.AddGaussianNoise(min_amplitude=0.001, max_amplitude=0.015, p=0.5),
            A.Shift(min_shift=-0.2, max_shift=0.2, p=0.5),
            A.PitchShift(min_semitones=-2, max_semitones=2, p=0.3),
            A.TimeStretch(min_rate=0.85, max_rate=1.15, leave_length_unchanged=True, p=0.3),
            A.Gain(min_gain_db=-6, max_gain_db=6, p=0.5),
        ]
    )


def augment_array(
    y: np.ndarray, sr: int, preset: str | Any, *, seed: int | None = None
) -> np.ndarray:
    """One augmented copy of mono float32 samples (same length), reproducible with ``seed``."""
    aug = build_augmentation(preset)
    if aug is None:
        return np.asarray(y, dtype=np.float32).copy()
    if seed is not None:
        # audiomentations draws from numpy's and Python's global generators.
        np.random.seed(seed % (2**32))
        random.seed(seed)
    out = aug(samples=np.asarray(y, dtype=np.float32), sample_rate=sr)
    return np.clip(np.asarray(out, dtype=np.float32), -1.0, 1.0)


def augment_folder(
    source: str | Path | AudioCollection,
    out: str | Path,
    *,
    preset: str = "standard",
    copies: int = 1,
    sr: int | None = None,
    seed: int = 0,
    keep_originals: bool = True,
    progress: bool | None = None,
) -> BatchSummary:
    """Write ``copies`` augmented WAV copies of every clip into ``out`` (class folders kept),
    plus ``manifest.csv`` (path, label, source, preset, copy). Unreadable clips are faults."""
    sf = require("soundfile", "audio")
    import pandas as pd

    if copies < 1:
        raise DataError(f"copies must be >= 1, got {copies}")
    col = source if isinstance(source, AudioCollection) else load_audio_folder(source)
    build_augmentation(preset)  # validate before any work
    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True)
    faults = FaultLog(col.faults)
    rows = []
    done = failed = 0
    for n, clip in enumerate(
        _progress(col.clips, total=len(col), desc="augment", unit="file", enabled=progress)
    ):
        try:
            y, rate = clip.load(sr=sr)
        except Exception as exc:
            faults.record(exc, item=clip.id, source="augment")
            failed += 1
            continue
        stem = Path(clip.id).with_suffix("")
        sub = outp / stem.parent
        sub.mkdir(parents=True, exist_ok=True)
        if keep_originals:
            dest = sub / f"{stem.name}.wav"
            sf.write(dest, y, rate)
            rows.append((dest.relative_to(outp).as_posix(), clip.label, clip.id, "none", 0))
        for c in range(1, copies + 1):
            aug = augment_array(y, rate, preset, seed=seed * 1_000_003 + n * 101 + c)
            dest = sub / f"{stem.name}.aug{c}.wav"
            sf.write(dest, aug, rate)
            rows.append((dest.relative_to(outp).as_posix(), clip.label, clip.id, preset, c))
        done += 1
    pd.DataFrame(rows, columns=["path", "label", "source", "preset", "copy"]).to_csv(
        outp / "manifest.csv", index=False
    )
    return BatchSummary(
        total=len(col) + col.n_failed + col.n_skipped,
        done=done,
        failed=failed + col.n_failed,
        skipped=col.n_skipped,
        what="files",
        faults=faults,
    )
