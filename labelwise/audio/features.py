"""A features table for rules and models: one row per clip, computed block by block.

Every clip is streamed in blocks (:func:`~labelwise.audio.io.stream_audio`), one STFT per
block feeds every spectral feature (RMS, centroid, bandwidth, roll-off, flatness, contrast,
mel, MFCC, chroma, onset strength), and per-frame values are folded into running sums, so a
one-hour file costs the memory of one block. Files run in parallel worker processes.

Pitch: ``pitch="pyin"`` (probabilistic YIN, with a voiced flag per frame) is accurate but
slow (about a third of real time); ``"yin"`` is ~100x faster and decides voicing from
energy and periodicity; ``"auto"`` (default) uses pYIN on clips up to ``pyin_max_seconds``
and YIN beyond. The ``pitch_method`` column says which one ran.

Examples
--------
>>> import numpy as np, soundfile as sf, tempfile, os
>>> d = tempfile.mkdtemp()
>>> t = np.arange(22050) / 22050
>>> sf.write(os.path.join(d, "a.wav"), 0.3 * np.sin(2 * np.pi * 440 * t), 22050)
>>> df = extract_features(d, n_jobs=1, pitch="yin")
>>> round(float(df.loc[0, "pitch_median"]))
440
>>> bool(df.loc[0, "silence_ratio"] < 0.1), round(float(df.loc[0, "duration"]), 2)
(True, 1.0)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.audio.io import AudioClip, AudioCollection, load_audio_folder
from labelwise.errors import DataError, require
from labelwise.faults import FaultLog
from labelwise.progress import progress as _progress

__all__ = ["FEATURE_COLUMNS", "clip_features", "extract_features"]

CHROMA_NAMES = ("C", "Cs", "D", "Ds", "E", "F", "Fs", "G", "Gs", "A", "As", "B")
N_MFCC = 13
N_CONTRAST = 7
_FRAME_FEATURES = (
    "rms",
    "zcr",
    "spectral_centroid",
    "spectral_bandwidth",
    "spectral_rolloff",
    "spectral_flatness",
)
ID_COLUMNS = ("item_id", "path", "label", "start", "end", "error")


def _feature_columns() -> list[str]:
    cols = ["duration", "sample_rate", "channels", "peak", "clipping_ratio", "loudness_db"]
    for f in _FRAME_FEATURES:
        cols += [f"{f}_mean", f"{f}_std"]
    cols += [f"spectral_contrast_{i}_mean" for i in range(N_CONTRAST)]
    for i in range(1, N_MFCC + 1):
        cols += [f"mfcc_{i}_mean", f"mfcc_{i}_std"]
    cols += [f"chroma_{n}_mean" for n in CHROMA_NAMES]
    cols += ["tempo", "pitch_mean", "pitch_median", "pitch_std", "pitch_min", "pitch_max"]
    cols += ["voiced_ratio", "silence_ratio", "pitch_method"]
    return cols


#: The feature columns of :func:`extract_features`, in order (after the id columns).
FEATURE_COLUMNS: tuple[str, ...] = tuple(_feature_columns())


class _Running:
    """Running sum / sum of squares / count of per-frame rows (k values per frame)."""

    def __init__(self, k: int) -> None:
        self.s = np.zeros(k)
        self.ss = np.zeros(k)
        self.n = 0

    def add(self, x: np.ndarray) -> None:  # x: (k, frames)
        if x.shape[-1] == 0:
            return
        x = np.asarray(x, dtype=np.float64).reshape(len(self.s), -1)
        self.s += x.sum(axis=1)
        self.ss += np.square(x).sum(axis=1)
        self.n += x.shape[1]

    def mean(self) -> np.ndarray:
        return self.s / self.n if self.n else np.full(len(self.s), np.nan)

    def std(self) -> np.ndarray:
        if not self.n:
            return np.full(len(self.s), np.nan)
        return np.sqrt(np.maximum(self.ss / self.n - np.square(self.s / self.n), 0.0))


def clip_features(
    clip: AudioClip,
    *,
    sr: int = 22050,
    block_seconds: float = 30.0,
    pitch: str = "auto",
    pyin_max_seconds: float = 60.0,
    fmin: float = 60.0,
    fmax: float = 1000.0,
    silence_db: float = -45.0,
    n_fft: int = 2048,
    hop_length: int = 512,
) -> dict[str, Any]:
    """The features of one clip (see :data:`FEATURE_COLUMNS`), streamed block by block."""
    librosa = require("librosa", "audio")
    if pitch not in ("auto", "pyin", "yin", "none"):
        raise DataError(f"pitch must be auto, pyin, yin or none, got {pitch!r}")
    dur = clip.duration
    method = pitch
    if pitch == "auto":
        method = "pyin" if dur is not None and dur <= pyin_max_seconds else "yin"
    run = {f: _Running(1) for f in _FRAME_FEATURES}
    contrast = _Running(N_CONTRAST)
    mfcc = _Running(N_MFCC)
    chroma = _Running(12)
    tg_sum: np.ndarray | None = None  # running sum of tempogram columns (not the whole tempogram)
    tg_n = 0
    f0_parts: list[np.ndarray] = []
    n_frames = n_voiced = n_silent = 0
    n_samples = 0
    peak = 0.0
    n_clip = 0
    sumsq = 0.0
    # Blocks are whole multiples of the hop so frames line up across block edges.
    block = max(hop_length, round(block_seconds * sr / hop_length) * hop_length)
    for b in clip.stream(block_seconds=block / sr, sr=sr):
        y = np.asarray(b.samples, dtype=np.float32)
        if y.size == 0:
            continue
        n_samples += y.size
        peak = max(peak, float(np.max(np.abs(y))))
        n_clip += int(np.count_nonzero(np.abs(y) >= 0.999))
        sumsq += float(np.sum(np.square(y, dtype=np.float64)))
        nfft = n_fft if y.size >= n_fft else max(32, 1 << int(math.log2(max(y.size, 32))))
        S = np.abs(librosa.stft(y, n_fft=nfft, hop_length=hop_length))
        P = S**2
        rms = librosa.feature.rms(S=S, frame_length=nfft, hop_length=hop_length)
        run["rms"].add(rms)
        run["zcr"].add(
            librosa.feature.zero_crossing_rate(y, frame_length=nfft, hop_length=hop_length)
        )
        run["spectral_centroid"].add(librosa.feature.spectral_centroid(S=S, sr=sr))
        run["spectral_bandwidth"].add(librosa.feature.spectral_bandwidth(S=S, sr=sr))
        run["spectral_rolloff"].add(librosa.feature.spectral_rolloff(S=S, sr=sr))
        run["spectral_flatness"].add(librosa.feature.spectral_flatness(S=S))
        contrast.add(librosa.feature.spectral_contrast(S=S, sr=sr, n_bands=N_CONTRAST - 1))
        mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=P, sr=sr, n_mels=64))
        mfcc.add(librosa.feature.mfcc(S=mel_db, n_mfcc=N_MFCC))
        chroma.add(librosa.feature.chroma_stft(S=P, sr=sr, tuning=0.0))
        oenv = librosa.onset.onset_strength(S=mel_db, sr=sr)
        if oenv.size >= 16:
            tg = librosa.feature.tempogram(onset_envelope=oenv, sr=sr, hop_length=hop_length)
            tg_sum = tg.sum(axis=1) if tg_sum is None else tg_sum + tg.sum(axis=1)
            tg_n += tg.shape[1]
        rms_db = 20 * np.log10(np.maximum(rms[0], 1e-10))
        silent = rms_db < silence_db
        n_frames += rms.shape[1]
        n_silent += int(silent.sum())
        if method == "none":
            continue
        if method == "pyin":
            y16 = librosa.resample(y, orig_sr=sr, target_sr=16000) if sr != 16000 else y
            if y16.size < 1024:
                continue
            f0, voiced, _ = librosa.pyin(
                y16, fmin=fmin, fmax=fmax, sr=16000, frame_length=1024, hop_length=256
            )
            voiced = voiced & np.isfinite(f0)
            n_voiced_block = int(voiced.sum())
            # pYIN frames (hop 256 @ 16 kHz) -> share of this block's frames.
            n_voiced += round(n_voiced_block / max(len(voiced), 1) * rms.shape[1])
            f0_parts.append(f0[voiced])
        else:
            if y.size < 2048:
                continue
            f0 = librosa.yin(
                y, fmin=fmin, fmax=fmax, sr=sr, frame_length=2048, hop_length=hop_length
            )
            m = min(len(f0), rms.shape[1])
            zcr_b = librosa.feature.zero_crossing_rate(y, frame_length=2048, hop_length=hop_length)[
                0
            ]
            m = min(m, len(zcr_b))
            voiced = (
                (~silent[:m])
                & (f0[:m] > fmin * 1.05)
                & (f0[:m] < fmax * 0.95)
                & (zcr_b[:m] < 0.2)
                & (librosa.feature.spectral_flatness(S=S)[0, :m] < 0.3)
            )
            n_voiced += int(voiced.sum())
            f0_parts.append(f0[:m][voiced])
    if n_samples == 0:
        raise DataError(f"{clip.path}: no samples to compute features from (0 s of audio)")
    tempo = float("nan")
    if tg_sum is not None and tg_n:
        t = librosa.feature.tempo(tg=(tg_sum / tg_n)[:, None], sr=sr, hop_length=hop_length)
        tempo = float(np.atleast_1d(t)[0])
    f0_all = np.concatenate(f0_parts) if f0_parts else np.zeros(0)
    info = clip.info
    rms_all = math.sqrt(sumsq / n_samples)
    row: dict[str, Any] = {
        "duration": n_samples / sr,
        "sample_rate": info.sample_rate if info else sr,
        "channels": info.channels if info else 1,
        "peak": peak,
        "clipping_ratio": n_clip / n_samples,
        "loudness_db": 20 * math.log10(rms_all) if rms_all > 0 else -120.0,
    }
    for f in _FRAME_FEATURES:
        row[f"{f}_mean"] = float(run[f].mean()[0])
        row[f"{f}_std"] = float(run[f].std()[0])
    for i, v in enumerate(contrast.mean()):
        row[f"spectral_contrast_{i}_mean"] = float(v)
    for i, (m_, s_) in enumerate(zip(mfcc.mean(), mfcc.std(), strict=True), start=1):
        row[f"mfcc_{i}_mean"] = float(m_)
        row[f"mfcc_{i}_std"] = float(s_)
    for n, v in zip(CHROMA_NAMES, chroma.mean(), strict=True):
        row[f"chroma_{n}_mean"] = float(v)
    row["tempo"] = tempo
    if f0_all.size:
        row.update(
            pitch_mean=float(np.mean(f0_all)),
            pitch_median=float(np.median(f0_all)),
            pitch_std=float(np.std(f0_all)),
            pitch_min=float(np.min(f0_all)),
            pitch_max=float(np.max(f0_all)),
        )
    else:
        row.update({k: float("nan") for k in ("pitch_mean", "pitch_median", "pitch_std")})
        row.update(pitch_min=float("nan"), pitch_max=float("nan"))
    row["voiced_ratio"] = float("nan") if method == "none" else n_voiced / max(n_frames, 1)
    row["silence_ratio"] = n_silent / max(n_frames, 1)
    row["pitch_method"] = method
    return row


def _work(clip: AudioClip, kwargs: dict[str, Any]) -> dict[str, Any]:
    return clip_features(clip, **kwargs)


def extract_features(
    source: str | Path | AudioCollection | Sequence[AudioClip],
    *,
    sr: int = 22050,
    n_jobs: int | None = None,
    pitch: str = "auto",
    block_seconds: float = 30.0,
    silence_db: float = -45.0,
    progress: bool | None = None,
    faults: FaultLog | None = None,
) -> Any:
    """One row per clip: id columns (``item_id, path, label, start, end, error``) + features.

    A clip that fails gets its ``error`` filled, missing features, and a fault in
    ``faults`` (the batch goes on). ``n_jobs`` worker processes (default: CPU count; 1
    runs in this process).
    """
    import pandas as pd

    col: AudioCollection | None
    if isinstance(source, AudioCollection):
        col = source
    elif isinstance(source, (str, Path)):
        col = load_audio_folder(source)
    else:
        col = None
    clips: list[AudioClip] = list(col.clips) if col is not None else list(source)  # type: ignore[arg-type]
    if faults is not None and col is not None:
        faults.extend(col.faults)
    kwargs: dict[str, Any] = {
        "sr": sr,
        "pitch": pitch,
        "block_seconds": block_seconds,
        "silence_db": silence_db,
    }
    results: list[dict[str, Any] | BaseException] = [RuntimeError("not run")] * len(clips)
    jobs = n_jobs if n_jobs is not None else (os.cpu_count() or 1)
    jobs = max(1, min(jobs, len(clips) or 1))
    bar_total = len(clips)
    if jobs == 1:
        for i, clip in enumerate(
            _progress(clips, total=bar_total, desc="audio features", unit="file", enabled=progress)
        ):
            try:
                results[i] = clip_features(clip, **kwargs)
            except Exception as exc:
                results[i] = exc
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futs = {pool.submit(_work, c, kwargs): i for i, c in enumerate(clips)}
            done_iter = as_completed(futs)
            for fut in _progress(
                done_iter, total=bar_total, desc="audio features", unit="file", enabled=progress
            ):
                i = futs[fut]
                try:
                    results[i] = fut.result()
                except Exception as exc:
                    results[i] = exc
    rows = []
    for clip, res in zip(clips, results, strict=True):
        base = {
            "item_id": clip.id,
            "path": clip.path,
            "label": clip.label,
            "start": clip.start,
            "end": clip.end,
            "error": None,
        }
        if isinstance(res, BaseException):
            base["error"] = f"{type(res).__name__}: {res}"
            if faults is not None:
                faults.record(res, item=clip.id, source="features")
            rows.append(base)
        else:
            rows.append({**base, **res})
            if faults is not None:
                if res["silence_ratio"] >= 0.999:
                    faults.warn(
                        clip.id, "silent",
                        f"{clip.path} is silent (every frame below {silence_db:g} dBFS); "
                        "check the recording or drop it",
                        source="features",
                    )  # fmt: skip
                if res["clipping_ratio"] > 0.001:
                    faults.warn(
                        clip.id, "clipped",
                        f"{clip.path} is clipped ({100 * res['clipping_ratio']:.2f}% of samples "
                        "at full scale); features of distorted audio are unreliable",
                        source="features",
                    )  # fmt: skip
    df = pd.DataFrame(rows, columns=[*ID_COLUMNS, *FEATURE_COLUMNS])
    return df
