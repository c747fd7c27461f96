"""Real audio written by the tests: tones, noise, espeak-ng speech, ffmpeg-encoded formats."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")

SR = 16000


def tone(freq: float, seconds: float = 1.0, sr: int = SR, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def noise(seconds: float = 1.0, sr: int = SR, amp: float = 0.2, seed: int = 0) -> np.ndarray:
    return (amp * np.random.default_rng(seed).standard_normal(int(seconds * sr))).astype(np.float32)


def speak(text: str, path: Path, *, speed: int = 150) -> Path:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    subprocess.run(["espeak-ng", "-s", str(speed), "-w", str(path), text], check=True)
    return path


def ffmpeg_encode(src: Path, dest: Path, *extra: str) -> Path:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *extra, str(dest)], check=True)
    return dest


def labelwise_exe() -> str:
    return str(Path(sys.executable).with_name("labelwise"))


@pytest.fixture(scope="session")
def mixed_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Class folders with tones (high/low), plus broken, empty, silent and odd-format files."""
    root = tmp_path_factory.mktemp("audio_mixed")
    (root / "high").mkdir()
    (root / "low").mkdir()
    (root / "bad").mkdir()
    for i, f in enumerate((660.0, 880.0)):
        sf.write(root / "high" / f"h{i}.wav", tone(f), SR, subtype="PCM_16")
    sf.write(root / "low" / "l0.flac", tone(110.0), SR)
    stereo = np.stack([tone(150.0), noise(seed=1)], axis=1)
    sf.write(root / "low" / "l1_stereo.ogg", stereo, SR)
    ffmpeg_encode(root / "high" / "h0.wav", root / "high" / "h2.mp3")
    ffmpeg_encode(root / "low" / "l0.flac", root / "low" / "l2.m4a", "-c:a", "aac")
    (root / "bad" / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk" * 3)
    (root / "bad" / "empty.wav").write_bytes(b"")
    sf.write(root / "bad" / "zero.wav", np.zeros(0, dtype=np.float32), SR)
    sf.write(root / "bad" / "silent.wav", np.zeros(SR, dtype=np.float32), SR)
    sf.write(root / "bad" / "clipped.wav", np.clip(tone(200.0, amp=3.0), -1, 1), SR)
    (root / "bad" / "notes.txt").write_text("not audio")
    return root


@pytest.fixture(scope="session")
def speech_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Two espeak-ng sentences, with their reference texts."""
    root = tmp_path_factory.mktemp("speech")
    refs = {
        "s1.wav": "the quick brown fox jumps over the lazy dog",
        "s2.wav": "please call me back tomorrow morning about the invoice",
    }
    for name, text in refs.items():
        speak(text, root / name)
    return root, refs


@pytest.fixture(scope="session")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> Any:
    pytest.importorskip("faster_whisper")
    from labelwise.audio.transcribe import WhisperTranscriber

    os.environ.setdefault("LABELWISE_CACHE_DIR", str(tmp_path_factory.mktemp("lwcache")))
    w = WhisperTranscriber("base", beam_size=1)
    w.model  # noqa: B018 - load once for the session
    return w
