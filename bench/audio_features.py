"""Audio features: labelwise vs a plain librosa loop, and peak memory on a 1-hour file.

* Throughput: ``extract_features`` (one STFT per block feeding every spectral feature,
  files in parallel worker processes) against the loop people write first: ``librosa.load``
  then each feature called on ``y`` (each recomputing its own STFT), one file after another.
  Both compute the same groups (RMS, ZCR, centroid, bandwidth, roll-off, flatness, contrast,
  13 MFCC, chroma, tempo, YIN pitch) at 22,050 Hz on the same files.
* Memory: the peak resident memory of ``extract_features`` on a 1-hour WAV, measured in a
  fresh subprocess (``ru_maxrss``), next to the file size and a whole-file decode's size.

Usage::

    .venv/bin/python bench/audio_features.py [--files 40] [--seconds 10] [--hour-minutes 60]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 22050


def make_files(root: Path, n: int, seconds: float) -> list[Path]:
    rng = np.random.default_rng(0)
    out = []
    t = np.arange(int(seconds * 16000)) / 16000
    for i in range(n):
        f0 = rng.uniform(100, 900)
        env = 0.5 * (1 + np.sin(2 * np.pi * rng.uniform(0.5, 3) * t))
        y = 0.3 * env * np.sin(2 * np.pi * f0 * t * (1 + 0.02 * np.sin(2 * np.pi * 4 * t)))
        y += 0.02 * rng.standard_normal(len(t))
        p = root / f"c{i % 2}" / f"{i:03d}.wav"
        p.parent.mkdir(exist_ok=True)
        sf.write(p, y.astype(np.float32), 16000, subtype="PCM_16")
        out.append(p)
    return out


def plain_librosa(paths: list[Path]) -> list[dict[str, float]]:
    import librosa

    rows = []
    for p in paths:
        y, sr = librosa.load(p, sr=SR)
        row = {
            "rms": float(librosa.feature.rms(y=y).mean()),
            "zcr": float(librosa.feature.zero_crossing_rate(y).mean()),
            "centroid": float(librosa.feature.spectral_centroid(y=y, sr=sr).mean()),
            "bandwidth": float(librosa.feature.spectral_bandwidth(y=y, sr=sr).mean()),
            "rolloff": float(librosa.feature.spectral_rolloff(y=y, sr=sr).mean()),
            "flatness": float(librosa.feature.spectral_flatness(y=y).mean()),
        }
        contrast = librosa.feature.spectral_contrast(y=y, sr=sr)
        mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)
        chroma = librosa.feature.chroma_stft(y=y, sr=sr)
        tempo, _ = librosa.beat.beat_track(y=y, sr=sr)
        f0 = librosa.yin(y, fmin=60, fmax=1000, sr=sr)
        row.update(
            contrast=float(contrast.mean()), mfcc=float(mfcc.mean()), chroma=float(chroma.mean()),
            tempo=float(np.atleast_1d(tempo)[0]), pitch=float(np.median(f0)),
        )  # fmt: skip
        rows.append(row)
    return rows


def peak_memory_child(path: str) -> None:
    from labelwise.audio import extract_features

    t0 = time.perf_counter()
    df = extract_features(path, n_jobs=1, pitch="yin", progress=False)
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_mb": peak_mb, "seconds": secs, "duration": float(df["duration"][0])}))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--hour-minutes", type=float, default=60.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        peak_memory_child(args.child)
        return 0
    from labelwise.audio import extract_features

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "files"
        root.mkdir()
        paths = make_files(root, args.files, args.seconds)
        plain_librosa(paths[:2])  # warm both paths (numba JIT, imports)
        extract_features(root / "c0", n_jobs=1, pitch="yin", progress=False)
        t0 = time.perf_counter()
        plain_librosa(paths)
        base = time.perf_counter() - t0
        t0 = time.perf_counter()
        df = extract_features(root, n_jobs=args.jobs, pitch="yin", progress=False)
        ours = time.perf_counter() - t0
        assert df["error"].isna().all() and len(df) == len(paths)
        t0 = time.perf_counter()
        extract_features(root, n_jobs=1, pitch="yin", progress=False)
        ours1 = time.perf_counter() - t0
        print(f"{len(paths)} files x {args.seconds:g} s, {os.cpu_count()} CPUs")
        print(f"plain librosa loop (baseline): {base:.1f} s = {len(paths) / base:.2f} files/s")
        print(f"labelwise, 1 process:          {ours1:.1f} s = {len(paths) / ours1:.2f} files/s "
              f"({base / ours1:.2f}x)")  # fmt: skip
        print(f"labelwise, {args.jobs} processes:        {ours:.1f} s = {len(paths) / ours:.2f} "
              f"files/s ({base / ours:.2f}x)")  # fmt: skip

        hour = Path(tmp) / "hour.wav"
        n = int(args.hour_minutes * 60 * 16000)
        with sf.SoundFile(hour, "w", 16000, 1, subtype="PCM_16") as fh:
            rng = np.random.default_rng(1)
            for a in range(0, n, 16000 * 60):
                m = min(16000 * 60, n - a)
                t = np.arange(a, a + m) / 16000
                fh.write(
                    (0.2 * np.sin(2 * np.pi * 220 * t) + 0.02 * rng.standard_normal(m)).astype(
                        np.float32
                    )
                )
        res = subprocess.run(
            [sys.executable, __file__, "--child", str(hour)],
            capture_output=True,
            text=True,
            check=True,
        )
        info = json.loads(res.stdout.strip().splitlines()[-1])
        size_mb = hour.stat().st_size / 2**20
        whole = n / 16000 * SR * 4 / 2**20
        print(
            f"{args.hour_minutes:g}-minute file ({size_mb:.0f} MB PCM_16): peak RSS "
            f"{info['peak_mb']:.0f} MB (target < 500 MB) in {info['seconds']:.0f} s; "
            f"a whole-file decode at {SR} Hz alone would be {whole:.0f} MB of float32 "
            f"(+ {whole * 1025 / 512 * 2:.0f} MB for its complex STFT)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
