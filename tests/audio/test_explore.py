"""The exploration report on real files: formats, checks, classes, duplicates, pictures."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from labelwise.audio.explore import explore_audio

from .conftest import SR, ffmpeg_encode, labelwise_exe, noise, sf, tone


def test_explore_report_finds_problems_and_duplicates(
    mixed_folder: Path, tmp_path: Path, test_output: Path
) -> None:
    root = tmp_path / "coll"
    shutil.copytree(mixed_folder, root)
    sig = np.concatenate([tone(300.0, 0.7), noise(0.8, seed=3), tone(500.0, 0.5)])
    sf.write(root / "low" / "orig.wav", sig, SR)
    shutil.copy(root / "low" / "orig.wav", root / "high" / "exact_copy.wav")
    sf.write(root / "high" / "quieter.wav", 0.5 * sig, SR)  # same sound, lower gain
    ffmpeg_encode(root / "low" / "orig.wav", root / "high" / "recoded.mp3")
    _report, df = explore_audio(root, out=tmp_path / "r.html", pictures=3)
    html = (tmp_path / "r.html").read_text()
    shutil.copy(tmp_path / "r.html", test_output / "audio_explore_report.html")
    stats = df.set_index("item_id")
    assert stats.loc["low/l1_stereo.ogg", "channels"] == 2
    assert stats.loc["high/h0.wav", "bit_depth"] == 16
    assert stats.loc["bad/silent.wav", "silence_ratio"] == 1.0
    # A 0.3-amplitude sine: RMS = 0.3/sqrt(2) -> -13.5 dBFS
    assert abs(stats.loc["high/h0.wav", "rms_dbfs"] - (-13.47)) < 0.1
    assert stats.loc["high/h0.wav", "lufs"] > stats.loc["low/l0.flac", "lufs"]  # K-weighting
    exact = [sorted(g) for g in df.attrs["exact_duplicates"]]
    assert ["high/exact_copy.wav", "low/orig.wav"] in exact
    near = {frozenset(p) for p in df.attrs["near_duplicates"]}
    assert frozenset(("low/orig.wav", "high/recoded.mp3")) in near
    assert frozenset(("low/orig.wav", "high/quieter.wav")) in near
    assert frozenset(("high/h0.wav", "low/l0.flac")) not in near
    assert "bad/silent.wav: silent" in html and "bad/clipped.wav: clipped" in html
    assert "bad/corrupt.wav" in html and "Per class" in html
    assert html.count("<audio controls") == 3 and html.count("data:image/png") >= 4


def test_explore_cli_exit_code(mixed_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    cmd = [labelwise_exe(), "audio", "explore", str(mixed_folder), "-o", str(out)]
    r = subprocess.run([*cmd, "--pictures", "1", "--no-progress"], capture_output=True, text=True)
    assert r.returncode == 3 and "3 failed" in r.stderr, r.stderr
    assert out.is_file() and "Clips" in out.read_text()
