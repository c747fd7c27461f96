"""Loading (formats, per-file faults, streaming) and the features table with rules."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelwise.audio import (
    AudioError,
    extract_features,
    high_pitched,
    load_audio,
    load_audio_folder,
    mostly_silent,
    probe_audio,
    stream_audio,
)
from labelwise.audio.io import check_signal
from labelwise.labeling import LFApplier

from .conftest import SR, labelwise_exe, noise, sf, tone


def test_folder_loads_formats_and_reports_each_bad_file(mixed_folder: Path) -> None:
    col = load_audio_folder(mixed_folder)
    ids = {c.id for c in col}
    assert {"high/h0.wav", "high/h2.mp3", "low/l0.flac", "low/l1_stereo.ogg", "low/l2.m4a"} <= ids
    by_id = {c.id: c for c in col}
    assert by_id["low/l2.m4a"].info.backend == "ffmpeg"
    assert by_id["low/l2.m4a"].label == "low"
    assert by_id["low/l1_stereo.ogg"].info.channels == 2
    assert by_id["high/h0.wav"].info.bit_depth == 16
    failed = {f.item: f for f in col.faults.errors}
    assert set(failed) == {"bad/corrupt.wav", "bad/empty.wav", "bad/zero.wav"}
    assert "0 bytes" in failed["bad/empty.wav"].message
    assert failed["bad/zero.wav"].error == "zero_length"
    warned = {f.item: f.error for f in col.faults.warnings}
    assert warned == {"bad/notes.txt": "unsupported"}
    assert col.n_failed == 3 and col.n_skipped == 1
    # silent and clipped files load (they are warnings of the checks, not load errors)
    y, _ = by_id["bad/silent.wav"].load()
    assert [c for c, _ in check_signal(y, SR)] == ["silent"]
    y, _ = by_id["bad/clipped.wav"].load()
    assert "clipped" in [c for c, _ in check_signal(y, SR)]


def test_load_resample_channels_and_ffmpeg_offsets(mixed_folder: Path) -> None:
    y, sr = load_audio(mixed_folder / "low" / "l1_stereo.ogg", mono=False, sr=8000)
    assert sr == 8000 and y.shape[0] == 2 and abs(y.shape[1] - 8000) < 50
    y2, _ = load_audio(mixed_folder / "low" / "l2.m4a", offset=0.25, duration=0.5)
    assert abs(len(y2) - SR // 2) < 200
    y3, _ = load_audio(mixed_folder / "high" / "h0.wav", offset=0.5)
    assert len(y3) == SR // 2
    with pytest.raises(AudioError, match="does not exist"):
        probe_audio(mixed_folder / "nope.wav")


def test_streaming_matches_whole_load_and_resamples_seamlessly(tmp_path: Path) -> None:
    sig = np.concatenate([tone(440.0, 2.0), noise(1.3)])
    p = tmp_path / "long.wav"
    sf.write(p, sig, SR, subtype="FLOAT")
    blocks = list(stream_audio(p, block_seconds=1.0, sr=8000))
    assert [round(b.start, 3) for b in blocks] == [0.0, 1.0, 2.0, 3.0]
    joined = np.concatenate([b.samples for b in blocks])
    whole, _ = load_audio(p, sr=8000)
    assert abs(len(joined) - len(whole)) <= 2
    n = min(len(joined), len(whole))
    # One resampler state across blocks: no clicks at block edges.
    assert np.max(np.abs(joined[100 : n - 100] - whole[100 : n - 100])) < 1e-3
    native = list(stream_audio(p, block_seconds=0.5))
    assert np.array_equal(np.concatenate([b.samples for b in native]), sig)
    m4a = tmp_path / "long.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(p), "-c:a", "aac", str(m4a)], check=True)
    fb = list(stream_audio(m4a, block_seconds=1.0, sr=SR))
    assert len(fb) == 4 and abs(sum(b.duration for b in fb) - 3.3) < 0.1


def test_features_table_and_rules(mixed_folder: Path) -> None:
    from labelwise.faults import FaultLog

    faults = FaultLog()
    df = extract_features(mixed_folder, n_jobs=2, pitch="yin", faults=faults)
    rows = df.set_index("item_id")
    assert rows.loc["high/h0.wav", "pitch_median"] == pytest.approx(660, rel=0.03)
    assert rows.loc["low/l0.flac", "pitch_median"] == pytest.approx(110, rel=0.03)
    assert rows.loc["bad/silent.wav", "silence_ratio"] == 1.0
    assert rows.loc["bad/clipped.wav", "clipping_ratio"] > 0.1
    assert rows.loc["high/h0.wav", "voiced_ratio"] > 0.8
    assert rows.loc["high/h0.wav", "spectral_flatness_mean"] < 0.05
    assert df["error"].isna().all()
    assert {f.item for f in faults.errors} == {"bad/corrupt.wav", "bad/empty.wav", "bad/zero.wav"}
    warned = {(f.item, f.error) for f in faults.warnings}
    assert {("bad/silent.wav", "silent"), ("bad/clipped.wav", "clipped")} <= warned
    L = LFApplier([high_pitched(400, 1), mostly_silent(0.9, 0)]).apply(df)
    votes = pd.DataFrame(L.values, index=df["item_id"], columns=L.names)
    assert votes.loc["high/h2.mp3", "pitch>400Hz"] == 1
    assert votes.loc["low/l0.flac", "pitch>400Hz"] == -1
    assert votes.loc["bad/silent.wav", "silent>0.9"] == 0


def test_pyin_gives_voiced_ratio_on_speech(speech_folder: tuple[Path, dict[str, str]]) -> None:
    root, _ = speech_folder
    df = extract_features(root, n_jobs=1, pitch="pyin")
    assert (df["pitch_method"] == "pyin").all()
    assert (df["voiced_ratio"] > 0.2).all() and (df["pitch_median"].between(60, 400)).all()


def test_cli_features_exit_codes(mixed_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "feats.parquet"
    env_cmd = [labelwise_exe(), "audio", "features", str(mixed_folder), "--out", str(out)]
    r = subprocess.run(
        [*env_cmd, "--pitch", "none", "--no-progress", "-j", "1"], capture_output=True, text=True
    )
    assert r.returncode == 3, r.stderr
    assert "3 failed" in r.stderr and "bad/empty.wav" in r.stderr and "bad/silent.wav" in r.stderr
    df = pd.read_parquet(out)
    assert len(df) == 8 and "mfcc_1_mean" in df.columns
    r = subprocess.run(
        [*env_cmd, "--pitch", "none", "--no-progress", "-j", "1", "--allow-failures", "3"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    r = subprocess.run(
        [*env_cmd[:3], str(tmp_path / "missing"), "--out", str(out)], capture_output=True, text=True
    )
    assert r.returncode == 2 and "does not exist" in r.stderr
