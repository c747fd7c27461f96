"""``labelwise audio explore``: one HTML report on an audio collection.

Per file (streamed in blocks, so long files are fine): duration, sample rate, channels, bit
depth, codec, peak, RMS and LUFS-like loudness (K-weighted, ungated), clipping and silence
ratios; per class aggregates; outliers (IQR fences); exact duplicates (same decoded
samples) and near duplicates (same fingerprint after re-encoding, gain or small trims); and,
for a sample of clips, the pictures (waveform, loudness curve, spectrogram, mel
spectrogram, MFCC, chroma) with an embedded player. Built on :class:`labelwise.reports.Report`.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.audio.io import AudioClip, AudioCollection, load_audio_folder
from labelwise.errors import require
from labelwise.faults import FaultLog
from labelwise.progress import progress as _progress

__all__ = ["audio_stats", "explore_audio", "fingerprint", "near_duplicates"]

SR = 16000
FP_BANDS = 16
FP_SLICES = 16


def _k_weighting(sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The two biquads of the ITU-R BS.1770 K-weighting (high shelf + high pass) at ``sr``."""
    # High shelf: +4 dB above ~1.5 kHz; high pass at ~38 Hz (bilinear transform designs).
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sr)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    b1 = np.array([(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0,
                   (vh - vb * k / q + k * k) / a0])  # fmt: skip
    a1 = np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sr)
    b2 = np.array([1.0, -2.0, 1.0])
    a2 = np.array(
        [1.0, 2 * (k * k - 1) / (1 + k / q + k * k), (1 - k / q + k * k) / (1 + k / q + k * k)]
    )
    return b1, a1, b2, a2


def fingerprint(y: np.ndarray, sr: int = SR) -> np.ndarray:
    """A gain-invariant summary vector: log mel-band energies over fixed time slices, z-scored.

    Two encodings of the same recording (WAV vs MP3, louder or quieter) give nearly the
    same vector; compare with cosine similarity (:func:`near_duplicates`).
    """
    librosa = require("librosa", "audio")
    if y.size < 512:
        return np.zeros(FP_BANDS * FP_SLICES)
    mel = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=1024, hop_length=256, n_mels=FP_BANDS, fmax=sr / 2
    )
    logm = np.log(mel + 1e-9)
    edges = np.linspace(0, logm.shape[1], FP_SLICES + 1).astype(int)
    cols = [
        logm[:, a:b].mean(axis=1) if b > a else logm[:, min(a, logm.shape[1] - 1)]
        for a, b in itertools.pairwise(edges)
    ]
    v = np.stack(cols, axis=1).ravel()
    v = v - v.mean()
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def near_duplicates(
    fps: np.ndarray, durations: np.ndarray, *, threshold: float = 0.97, duration_tol: float = 0.1
) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, similarity)`` with cosine similarity >= ``threshold`` and durations
    within ``duration_tol`` (relative) of each other.

    Examples
    --------
    >>> fps = np.array([[1.0, 0.0], [0.999, 0.04], [0.0, 1.0]])
    >>> [(i, j) for i, j, _ in near_duplicates(fps, np.array([2.0, 2.1, 2.0]))]
    [(0, 1)]
    """
    if len(fps) < 2:
        return []
    sims = fps @ fps.T
    out = []
    for i in range(len(fps)):
        for j in range(i + 1, len(fps)):
            d1, d2 = durations[i], durations[j]
            if abs(d1 - d2) > duration_tol * max(d1, d2, 1e-9):
                continue
            if sims[i, j] >= threshold:
                out.append((i, j, float(sims[i, j])))
    return out


def audio_stats(
    clip: AudioClip, *, silence_db: float = -50.0, block_seconds: float = 60.0
) -> dict[str, Any]:
    """Quality numbers of one clip, streamed at 16 kHz mono, plus its fingerprint and hash."""
    from scipy.signal import lfilter

    b1, a1, b2, a2 = _k_weighting(SR)
    z1 = np.zeros(2)
    z2 = np.zeros(2)
    n = 0
    sumsq = 0.0
    ksum = 0.0
    peak = 0.0
    n_clip = 0
    frames = 0
    silent = 0
    sha = hashlib.sha1()
    head: list[np.ndarray] = []
    head_n = 0
    for b in clip.stream(block_seconds=block_seconds, sr=SR):
        y = b.samples.astype(np.float64)
        if y.size == 0:
            continue
        n += y.size
        sumsq += float(np.dot(y, y))
        peak = max(peak, float(np.max(np.abs(y))))
        n_clip += int(np.count_nonzero(np.abs(y) >= 0.999))
        yk, z1 = lfilter(b1, a1, y, zi=z1)
        yk, z2 = lfilter(b2, a2, yk, zi=z2)
        ksum += float(np.dot(yk, yk))
        fl = 400  # 25 ms frames
        m = y.size // fl
        if m:
            fr = np.sqrt(np.mean(np.square(y[: m * fl]).reshape(m, fl), axis=1))
            frames += m
            silent += int(np.count_nonzero(20 * np.log10(np.maximum(fr, 1e-10)) < silence_db))
        sha.update(np.round(y * 32767).astype(np.int16).tobytes())
        if head_n < 60 * SR:
            head.append(b.samples[: 60 * SR - head_n])
            head_n += head[-1].size
    info = clip.info
    rms = math.sqrt(sumsq / n) if n else 0.0
    ms_k = ksum / n if n else 0.0
    h = np.concatenate(head) if head else np.zeros(0, dtype=np.float32)
    return {
        "item_id": clip.id,
        "label": clip.label,
        "duration": n / SR,
        "sample_rate": info.sample_rate if info else None,
        "channels": info.channels if info else None,
        "bit_depth": info.bit_depth if info else None,
        "codec": info.codec if info else None,
        "size_kb": round(info.size_bytes / 1024, 1) if info else None,
        "peak": peak,
        "rms_dbfs": 20 * math.log10(rms) if rms > 0 else -120.0,
        "lufs": -0.691 + 10 * math.log10(ms_k) if ms_k > 0 else -120.0,
        "clipping_ratio": n_clip / n if n else 0.0,
        "silence_ratio": silent / frames if frames else 1.0,
        "_hash": sha.hexdigest(),
        "_fp": fingerprint(h),
    }


def _clip_figure(clip: AudioClip, seconds: float = 30.0) -> Any:
    librosa = require("librosa", "audio")
    specshow = require("librosa.display", "audio").specshow
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y, sr = load_clip_head(clip, seconds)
    fig, axes = plt.subplots(2, 3, figsize=(13, 5.2))
    t = np.arange(y.size) / sr
    ax = axes[0, 0]
    ax.plot(t, y, lw=0.4, color="#0969da")
    ax.set(title="waveform", xlabel="s", ylim=(-1, 1))
    rms = librosa.feature.rms(y=y, frame_length=1024, hop_length=256)[0]
    ax = axes[0, 1]
    ax.plot(librosa.times_like(rms, sr=sr, hop_length=256), 20 * np.log10(rms + 1e-10), lw=0.8)
    ax.set(title="loudness (RMS dBFS)", xlabel="s", ylim=(-80, 0))
    S = librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=1024, hop_length=256)), ref=np.max)
    specshow(S, sr=sr, hop_length=256, x_axis="time", y_axis="hz", ax=axes[0, 2])
    axes[0, 2].set(title="spectrogram (dB)")
    mel = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, n_mels=64), ref=np.max)
    specshow(mel, sr=sr, x_axis="time", y_axis="mel", ax=axes[1, 0])
    axes[1, 0].set(title="mel spectrogram (dB)")
    mfcc = librosa.feature.mfcc(S=mel, n_mfcc=13)
    specshow(mfcc, sr=sr, x_axis="time", ax=axes[1, 1])
    axes[1, 1].set(title="MFCC 1-13")
    chroma = librosa.feature.chroma_stft(y=y, sr=sr, tuning=0.0)
    specshow(chroma, sr=sr, x_axis="time", y_axis="chroma", ax=axes[1, 2])
    axes[1, 2].set(title="chroma")
    fig.tight_layout()
    return fig


def load_clip_head(clip: AudioClip, seconds: float) -> tuple[np.ndarray, int]:
    from labelwise.audio.io import load_audio

    dur = seconds if clip.end is None else min(seconds, clip.end - clip.start)
    return load_audio(clip.path, sr=SR, offset=clip.start, duration=dur)


def _wav_bytes(y: np.ndarray, sr: int) -> bytes:
    sf = require("soundfile", "audio")
    buf = io.BytesIO()
    sf.write(buf, y, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _fences(s: Any, k: float) -> tuple[float, float]:
    q1, q3 = float(s.quantile(0.25)), float(s.quantile(0.75))
    return q1 - k * (q3 - q1), q3 + k * (q3 - q1)


def explore_audio(
    source: str | Path | AudioCollection,
    *,
    out: str | Path | None = "audio_report.html",
    title: str = "Audio collection",
    pictures: int = 12,
    picture_seconds: float = 30.0,
    outlier_k: float = 1.5,
    near_duplicate_similarity: float = 0.97,
    silence_db: float = -50.0,
    progress: bool | None = None,
    faults: FaultLog | None = None,
) -> tuple[Any, Any]:
    """Write the report; return ``(report, stats DataFrame)`` (one row per usable clip).

    Clips whose decoding fails during the statistics get a fault and are left out of the
    tables (listed in the "Files that could not be used" section).
    """
    import pandas as pd

    from labelwise.reports import Report

    col = source if isinstance(source, AudioCollection) else load_audio_folder(source)
    log = faults if faults is not None else FaultLog()
    log.extend(col.faults)
    rows = []
    for clip in _progress(col.clips, total=len(col), desc="explore", unit="file", enabled=progress):
        try:
            rows.append(audio_stats(clip, silence_db=silence_db))
        except Exception as exc:
            log.record(exc, item=clip.id, source="explore")
    cols = ["item_id", "label", "duration", "sample_rate", "channels", "bit_depth", "codec",
            "size_kb", "peak", "rms_dbfs", "lufs", "clipping_ratio", "silence_ratio"]  # fmt: skip
    df = pd.DataFrame(rows, columns=[*cols, "_hash", "_fp"])
    report = Report(title, subtitle=f"{col.root}: {len(df)} clips")
    ov = report.section("Overview")
    total = float(df["duration"].sum()) if len(df) else 0.0
    ov.kv(
        {
            "files found": col.n_files,
            "usable clips": len(df),
            "could not be used": len(log.failed_items()),
            "skipped (not audio)": col.n_skipped,
            "total duration (h)": round(total / 3600, 3),
            "classes": len(col.class_names),
        }
    )
    alerts: list[tuple[str, str]] = []
    for r in rows:
        if r["silence_ratio"] >= 0.999 or r["rms_dbfs"] < -60:
            alerts.append(("warning", f"{r['item_id']}: silent (RMS {r['rms_dbfs']:.0f} dBFS)"))
        if r["clipping_ratio"] > 0.001:
            alerts.append(
                (
                    "warning",
                    f"{r['item_id']}: clipped ({100 * r['clipping_ratio']:.2f}% of samples)",
                )
            )
    if len(df):
        fig_stats = _distribution_figure(df)
        ov.figure(fig_stats, caption="durations, loudness, silence and clipping")
        for c in ("sample_rate", "channels", "bit_depth", "codec"):
            counts = df[c].astype(str).value_counts()
            if len(counts) > 1:
                alerts.append(
                    ("info", f"mixed {c}: " + ", ".join(f"{k} x{v}" for k, v in counts.items()))
                )
    report.section("Checks").alerts(alerts)
    if len(df) and df["label"].notna().any():
        cls = report.section("Per class")
        agg = df.groupby("label", dropna=True).agg(
            clips=("item_id", "count"),
            total_s=("duration", "sum"),
            mean_s=("duration", "mean"),
            mean_lufs=("lufs", "mean"),
            mean_silence=("silence_ratio", "mean"),
            max_clipping=("clipping_ratio", "max"),
        )
        cls.table(agg.round(3))
        share = agg["clips"] / agg["clips"].sum()
        if len(agg) > 1 and share.max() > 3 * share.min():
            cls.alerts([("warning", f"classes are imbalanced: {share.round(3).to_dict()}")])
    if len(df) >= 4:
        outl = report.section("Outliers")
        found = []
        for c in ("duration", "lufs", "silence_ratio", "peak"):
            lo, hi = _fences(df[c], outlier_k)
            for _, o in df[(df[c] < lo) | (df[c] > hi)].iterrows():
                found.append({"item_id": o["item_id"], "feature": c, "value": float(o[c]),
                              "low fence": lo, "high fence": hi})  # fmt: skip
        outl.text(f"Values beyond Q1 - {outlier_k}*IQR or Q3 + {outlier_k}*IQR.", muted=True)
        if found:
            outl.table(pd.DataFrame(found), index=False)
        else:
            outl.text("No outliers.")
    dup = report.section("Duplicates")
    exact = df[df.duplicated("_hash", keep=False)] if len(df) else df
    groups = exact.groupby("_hash")["item_id"].apply(list).tolist() if len(exact) else []
    if groups:
        dup.heading("Exact duplicates (same decoded samples)")
        dup.table(pd.DataFrame({"clips": [", ".join(g) for g in groups]}), index=False)
    fps = np.stack(df["_fp"].to_list()) if len(df) else np.zeros((0, 1))
    near = near_duplicates(fps, df["duration"].to_numpy(), threshold=near_duplicate_similarity)
    exact_pairs = {frozenset(p) for g in groups for p in _pairs(g)}
    near_rows = [
        {"a": df["item_id"].iat[i], "b": df["item_id"].iat[j], "similarity": round(s, 4)}
        for i, j, s in near
        if frozenset((df["item_id"].iat[i], df["item_id"].iat[j])) not in exact_pairs
    ]
    if near_rows:
        dup.heading(f"Near duplicates (fingerprint cosine >= {near_duplicate_similarity})")
        dup.table(pd.DataFrame(near_rows), index=False)
    if not groups and not near_rows:
        dup.text("No exact or near duplicates.")
    df.attrs["exact_duplicates"] = groups
    df.attrs["near_duplicates"] = [(r["a"], r["b"]) for r in near_rows]
    report.section("Files").table(df[cols].round(4), index=False, max_rows=500)
    if pictures > 0 and len(df):
        pic = report.section("Clips")
        chosen = _sample_per_class(col.clips, set(df["item_id"]), pictures)
        for clip in _progress(chosen, total=len(chosen), desc="pictures", enabled=progress):
            try:
                fig = _clip_figure(clip, picture_seconds)
                y, sr = load_clip_head(clip, picture_seconds)
            except Exception as exc:
                log.record(exc, item=clip.id, source="explore.pictures")
                continue
            pic.heading(f"{clip.id}" + (f" [{clip.label}]" if clip.label else ""))
            pic.audio(_wav_bytes(y, sr), caption=f"first {min(picture_seconds, len(y) / sr):.1f} s")
            pic.figure(fig)
    fsec = report.section("Files that could not be used")
    if len(log):
        fsec.table(log.to_frame(), index=False, max_rows=500)
    else:
        fsec.text("Every file was read.")
    if out is not None:
        report.save(out)
    return report, df.drop(columns=["_hash", "_fp"])


def _pairs(g: list[str]) -> list[tuple[str, str]]:
    return [(a, b) for i, a in enumerate(g) for b in g[i + 1 :]]


def _sample_per_class(clips: list[AudioClip], usable: set[str], n: int) -> list[AudioClip]:
    by: dict[Any, list[AudioClip]] = {}
    for c in clips:
        if c.id in usable:
            by.setdefault(c.label, []).append(c)
    out: list[AudioClip] = []
    while len(out) < n and any(by.values()):
        for k in list(by):
            if by[k] and len(out) < n:
                out.append(by[k].pop(0))
    return out


def _distribution_figure(df: Any) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(14, 2.8))
    for ax, (c, label) in zip(
        axes,
        [("duration", "duration (s)"), ("lufs", "loudness (LUFS-like)"),
         ("silence_ratio", "silence ratio"), ("clipping_ratio", "clipping ratio")],
        strict=True,
    ):  # fmt: skip
        ax.hist(df[c].dropna(), bins=min(30, max(5, len(df) // 3)), color="#0969da")
        ax.set(title=label)
    fig.tight_layout()
    return fig
