"""Transcription: labelwise's Whisper base (int8, CPU) vs faster-whisper called directly.

Both use one loaded ``WhisperModel`` (the packaged Whisper base, int8) on the same
espeak-ng speech files, beam 5, language detection on; the baseline is
``model.transcribe(path)`` with its segments consumed, labelwise is
``WhisperTranscriber.transcribe(clip)`` (block streaming, timestamps, the Transcript record).
Rounds alternate the order; the best round of each counts. Prints the real-time factor
(processing seconds per audio second), labelwise's overhead, and the batch throughput in
audio-hours per hour (``transcribe_batch`` to JSONL, all files).

Usage::

    .venv/bin/python bench/audio_transcribe.py [--files 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

SENTENCES = [
    "Thank you for calling, how can I help you today?",
    "My order arrived late and the box was damaged.",
    "I would like a refund or a replacement as soon as possible.",
    "Let me check the status of your delivery in our system.",
    "The invoice shows two charges for the same item.",
    "We will send a new package tomorrow morning.",
]


def make_files(root: Path, n: int) -> list[Path]:
    out = []
    for i in range(n):
        parts = []
        for j, s in enumerate(SENTENCES):
            p = root / f"tmp_{i}_{j}.wav"
            subprocess.run(
                ["espeak-ng", "-s", str(140 + 10 * (i % 3)), "-w", str(p), s], check=True
            )
            y, sr = sf.read(p, dtype="float32")
            parts += [y, np.zeros(int(0.6 * sr), dtype=np.float32)]
            p.unlink()
        f = root / f"call_{i}.wav"
        sf.write(f, np.concatenate(parts), sr)
        out.append(f)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    from labelwise.audio import load_audio_folder
    from labelwise.audio.transcribe import WhisperTranscriber, transcribe_batch

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "calls"
        root.mkdir()
        files = make_files(root, args.files)
        audio_s = sum(sf.info(f).duration for f in files)
        ours = WhisperTranscriber("base", beam_size=5)
        model = ours.model
        clips = load_audio_folder(root).clips

        def direct() -> float:
            t0 = time.perf_counter()
            for f in files:
                segs, _ = model.transcribe(str(f), beam_size=5)
                list(segs)
            return time.perf_counter() - t0

        def labelwise() -> float:
            t0 = time.perf_counter()
            for c in clips:
                ours.transcribe(c)
            return time.perf_counter() - t0

        direct(), labelwise()  # warm-up
        base_t, ours_t = [], []
        for r in range(args.rounds):
            if r % 2:
                ours_t.append(labelwise())
                base_t.append(direct())
            else:
                base_t.append(direct())
                ours_t.append(labelwise())
        b, o = min(base_t), min(ours_t)
        t0 = time.perf_counter()
        s = transcribe_batch(clips, ours, Path(tmp) / "t.jsonl", progress=False)
        batch = time.perf_counter() - t0
        assert s.done == len(clips)
        print(f"{len(files)} files, {audio_s:.1f} s of speech, Whisper base int8, beam 5")
        print(f"faster-whisper direct (baseline): {b:.2f} s, RTF {b / audio_s:.3f}")
        print(f"labelwise WhisperTranscriber:      {o:.2f} s, RTF {o / audio_s:.3f}, "
              f"overhead {100 * (o / b - 1):+.1f}% (target <= 10%)")  # fmt: skip
        print(f"transcribe_batch (JSONL, resumable): {batch:.2f} s = "
              f"{audio_s / batch:.1f} audio-hours per hour")  # fmt: skip
        print(
            f"rounds: direct {[round(x, 2) for x in base_t]}, labelwise {[round(x, 2) for x in ours_t]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
