"""Classifiers (conformance, augmentation side by side, thresholds), the voice RF on a live
stream, augmentation presets and folders, and the shared cats/dogs clips."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelwise.audio import load_audio_folder
from labelwise.audio.augment import AUGMENT_PRESETS, augment_array
from labelwise.audio.classify import (
    AudioFeatureClassifier,
    MelCNNClassifier,
    VoiceActivityClassifier,
    compare_augmentation,
    realtime_blocks,
)
from labelwise.labeling.conformance import check_labeler
from labelwise.labeling.votes import registered_labelers

from .conftest import SR, labelwise_exe, noise, sf, speak, tone


@pytest.mark.parametrize("qualname", [
    "labelwise.audio.classify.AudioFeatureClassifier",
    "labelwise.audio.classify.VoiceActivityClassifier",
    "labelwise.audio.classify.MelCNNClassifier",
])  # fmt: skip
def test_registered_audio_labelers_pass_the_contract(qualname: str) -> None:
    _cls, example = registered_labelers()[qualname]
    assert example is not None
    labeler, items, y = example()
    assert len(check_labeler(labeler, items, y)) == 8
    v = labeler.fit(items, y).label(items)
    assert v.votes[-1] == -1 and v.faults[0].item == len(items) - 1  # the missing file


@pytest.fixture(scope="module")
def tones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tones")
    rng = np.random.default_rng(1)
    for cls, base in (("high", 1200.0), ("low", 180.0)):
        (root / cls).mkdir()
        for i in range(8):
            y = tone(base * (1 + 0.1 * rng.standard_normal()), 0.6) + noise(0.6, amp=0.01, seed=i)
            sf.write(root / cls / f"{i}.wav", y, SR)
    return root


def test_feature_models_with_and_without_augmentation_and_thresholds(tones: Path) -> None:
    col = load_audio_folder(tones)
    train, test = col.subset(range(0, 16, 2)), col.subset(range(1, 16, 2))
    df = compare_augmentation(
        lambda p: AudioFeatureClassifier("logistic", augment=p), train, train.labels,
        test, test.labels, presets=("none", "noise"),
    )  # fmt: skip
    assert list(df["augment"]) == ["none", "noise"]
    assert (df["accuracy"] == 1.0).all()
    clf = AudioFeatureClassifier("rf", min_confidence=0.99).fit(train, train.labels)
    v = clf.label(test)
    assert v.provenance["kind"] == "audio_feature_classifier"
    assert set(v.label_space.names) == {"high", "low"}
    strict = (v.votes == -1).sum()
    assert (v.with_min_confidence(0.0).votes != -1).all() and strict >= 0
    assert np.allclose(v.proba.sum(axis=1), 1.0)


def test_voice_rf_streams_a_file_in_real_time(
    tmp_path: Path, speech_folder: tuple[Path, dict[str, str]]
) -> None:
    root, _ = speech_folder
    # training clips: espeak speech (voice) vs noise, hum and silence (non-voice)
    (tmp_path / "voice").mkdir()
    (tmp_path / "non-voice").mkdir()
    for i, text in enumerate(["good morning everyone", "the meeting starts at nine", "thank you"]):
        speak(text, tmp_path / "voice" / f"v{i}.wav", speed=140 + 20 * i)
    for i in range(3):
        sf.write(tmp_path / "non-voice" / f"n{i}.wav", noise(1.5, amp=0.05 * (i + 1), seed=i), SR)
    sf.write(tmp_path / "non-voice" / "hum.wav", tone(60.0, 1.5, amp=0.2), SR)
    sf.write(tmp_path / "non-voice" / "quiet.wav", noise(1.5, amp=0.001, seed=9), SR)
    col = load_audio_folder(tmp_path)
    vad = VoiceActivityClassifier().fit(col, col.labels)
    y1, sr = sf.read(root / "s1.wav", dtype="float32")
    live = np.concatenate(
        [noise(1.0, sr=sr, amp=0.03, seed=5), y1, noise(1.0, sr=sr, amp=0.03, seed=6)]
    )
    sf.write(tmp_path / "live.wav", live, sr)
    decisions = list(vad.stream(realtime_blocks(tmp_path / "live.wav", speed=8.0)))
    assert decisions and all(d.latency_ms >= 0 for d in decisions)
    speech_end = 1.0 + len(y1) / sr
    inside = [d.label for d in decisions if d.start >= 1.2 and d.end <= speech_end - 0.2]
    outside = [d.label for d in decisions if d.end <= 0.9 or d.start >= speech_end + 0.2]
    assert np.mean([lab == "voice" for lab in inside]) >= 0.7
    assert np.mean([lab == "non-voice" for lab in outside]) >= 0.7
    assert decisions[1].start - decisions[0].start == pytest.approx(0.25)
    # the same through the CLI, with the latency summary
    import pickle

    (tmp_path / "vad.pkl").write_bytes(pickle.dumps(vad))
    r = subprocess.run(
        [labelwise_exe(), "audio", "stream", str(tmp_path / "vad.pkl"), str(tmp_path / "live.wav"),
         "--speed", "8"], capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert f"{len(decisions)} decisions; latency p50" in r.stdout and "voice" in r.stdout


def test_augment_presets_and_cli(mixed_folder: Path, tmp_path: Path) -> None:
    y = tone(440.0, 1.0)
    for p in AUGMENT_PRESETS:
        out = augment_array(y, SR, p, seed=3)
        assert out.shape == y.shape and out.dtype == np.float32
        assert np.array_equal(out, augment_array(y, SR, p, seed=3))  # reproducible
        assert np.array_equal(out, y) == (p == "none")
    with pytest.raises(ValueError, match="unknown augmentation preset"):
        augment_array(y, SR, "reverb")
    out = tmp_path / "aug"
    r = subprocess.run(
        [labelwise_exe(), "audio", "augment", str(mixed_folder / "high"), "-o", str(out),
         "--preset", "noise", "--copies", "2", "--no-progress"], capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    m = pd.read_csv(out / "manifest.csv")
    assert len(m) == 9 and set(m["preset"]) == {"none", "noise"}
    assert (out / "h0.aug2.wav").is_file()


def test_cats_dogs_tiny_subset(shared_datasets: Path) -> None:
    root = shared_datasets / "audio" / "cats_dogs"
    if not (root / "cat").is_dir():
        pytest.skip(f"shared clips folder {root} (cat/, dog/) is absent")
    col = load_audio_folder(root)
    cats = [i for i, c in enumerate(col) if c.label == "cat"][:14]
    dogs = [i for i, c in enumerate(col) if c.label == "dog"][:14]
    train = col.subset(cats[:10] + dogs[:10])
    test = col.subset(cats[10:] + dogs[10:])
    clf = AudioFeatureClassifier("rf", max_seconds=5.0).fit(train, train.labels)
    v = clf.label(test)
    pred = [v.label_space.names[i] for i in v.votes]
    assert np.mean([p == g for p, g in zip(pred, test.labels, strict=True)]) >= 0.75
    cnn = MelCNNClassifier(epochs=3, duration=1.0, max_seconds=3.0).fit(train, train.labels)
    assert cnn.label(test).proba.shape == (8, 2) and len(cnn.history_) == 3


def test_train_cli_reports_both_runs_and_saves_a_labeler(tones: Path, tmp_path: Path) -> None:
    import pickle

    save = tmp_path / "clf.pkl"
    r = subprocess.run(
        [labelwise_exe(), "audio", "train", str(tones), "--model", "logistic", "--test-size",
         "0.5", "--save", str(save), "--report", str(tmp_path / "r.html")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "none" in r.stdout and "noise" in r.stdout and "8 train / 8 held out" in r.stdout
    clf = pickle.loads(save.read_bytes())
    v = clf.label(load_audio_folder(tones))
    assert (v.votes >= 0).all() and v.label_space.names == ["high", "low"]
