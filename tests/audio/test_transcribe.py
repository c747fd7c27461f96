"""Whisper base on espeak-ng speech: WER bound, resume, timestamps, OpenAI-compatible server."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from pathlib import Path

import pytest

from labelwise.audio import load_audio_folder
from labelwise.audio.transcribe import (
    OpenAITranscriber,
    TranscriptionError,
    WhisperTranscriber,
    read_transcripts,
    resolve_whisper_model,
    transcribe_batch,
)
from labelwise.audio.wer import read_corrected_texts, wer_report, word_error_rate

from .conftest import labelwise_exe

pytest.importorskip("faster_whisper")


def test_wer_matches_jiwer() -> None:
    jiwer = pytest.importorskip("jiwer")
    pairs = [
        ("the cat sat on the mat", "the cat sat on mat today"),
        ("please call me back", "please all me back now"),
        ("one two three", "four five"),
    ]
    for ref, hyp in pairs:
        assert word_error_rate(ref, hyp).wer == pytest.approx(jiwer.wer(ref, hyp))
    refs, hyps = zip(*pairs, strict=True)
    assert word_error_rate(list(refs), list(hyps)).wer == pytest.approx(
        jiwer.wer(list(refs), list(hyps))
    )
    with pytest.raises(ValueError, match="one per item"):
        word_error_rate(["a"], ["a", "b"])


def test_whisper_base_transcribes_speech_within_wer_bound_and_resumes(
    whisper: WhisperTranscriber, speech_folder: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, refs = speech_folder
    out = tmp_path / "t.jsonl"
    col = load_audio_folder(root)
    # An earlier, interrupted run finished s1 and tore the line of s2 mid-write.
    first = transcribe_batch(col.subset([0]), whisper, out, word_timestamps=True)
    assert first.done == 1 and first.exit_code() == 0
    with out.open("a") as fh:
        fh.write('{"id": "s2.wav", "text": "half a li')
    again = transcribe_batch(col, whisper, out, word_timestamps=True)
    assert (again.cached, again.done, again.failed) == (1, 1, 0)
    ts = {t.id: t for t in read_transcripts(out)}
    assert set(ts) == {"s1.wav", "s2.wav"}
    wer = word_error_rate([refs[k] for k in sorted(ts)], [ts[k].text for k in sorted(ts)])
    assert wer.wer <= 0.25, {k: t.text for k, t in ts.items()}
    t1 = ts["s1.wav"]
    assert t1.language == "en" and t1.language_probability is not None
    words = [w for s in t1.segments for w in s.words]
    assert len(words) >= 7
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    assert words[-1].end <= t1.duration + 0.5
    # machine vs corrected report
    corrected = tmp_path / "corrected.csv"
    corrected.write_text("id,text\n" + "".join(f"{k},{v}\n" for k, v in refs.items()))
    df = wer_report({k: t.text for k, t in ts.items()}, read_corrected_texts(corrected))
    assert df.attrs["wer"] == pytest.approx(wer.wer)


def test_long_file_is_streamed_in_blocks_with_offsets(
    whisper: WhisperTranscriber, speech_folder: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    import numpy as np

    from .conftest import sf

    root, refs = speech_folder
    y1, sr = sf.read(root / "s1.wav", dtype="float32")
    y2, _ = sf.read(root / "s2.wav", dtype="float32")
    gap = np.zeros(sr, dtype=np.float32)
    sf.write(tmp_path / "joined.wav", np.concatenate([y1, gap, y2]), sr)
    w = WhisperTranscriber("base", beam_size=1, block_seconds=len(y1) / sr + 0.6)
    w._model = whisper.model  # share the loaded model
    clip = load_audio_folder(tmp_path / "joined.wav")[0]
    tr = w.transcribe(clip)
    assert word_error_rate(refs["s1.wav"] + " " + refs["s2.wav"], tr.text).wer <= 0.25
    starts = [s.start for s in tr.segments]
    assert starts == sorted(starts) and max(starts) > len(y1) / sr - 0.5


def test_unknown_model_name_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TranscriptionError, match="never downloads"):
        resolve_whisper_model("large-v3-that-is-not-here")
    with pytest.raises(TranscriptionError, match="no model.bin"):
        resolve_whisper_model(tmp_path)


def test_openai_compatible_server_roundtrip_and_cli(
    whisper: WhisperTranscriber, speech_folder: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    from labelwise.audio.server import LocalTranscriptionServer

    root, refs = speech_folder
    clip = load_audio_folder(root / "s1.wav")[0]
    with LocalTranscriptionServer(whisper, api_key="sk-test") as srv:
        bad = OpenAITranscriber(base_url=srv.base_url, api_key="wrong")
        with pytest.raises(TranscriptionError, match="401|Incorrect API key"):
            bad.transcribe(clip)
        good = OpenAITranscriber(base_url=srv.base_url, api_key="sk-test")
        tr = good.transcribe(clip, word_timestamps=True, language="en")
        assert word_error_rate(refs["s1.wav"], tr.text).wer <= 0.25
        assert tr.language == "en" and tr.segments and tr.segments[0].words
        req = srv.requests[-1]
        assert req["response_format"] == "verbose_json" and req["model"] == "whisper-1"
        assert req["timestamp_granularities"] == ["segment", "word"]
        # the CLI, through the installed entry point, against the same server
        out = tmp_path / "cli.jsonl"
        env = {**os.environ, "MY_KEY": "sk-test"}
        cmd = [labelwise_exe(), "audio", "transcribe", str(root / "s2.wav"), "--out", str(out)]
        cmd += ["--provider", "openai", "--base-url", srv.base_url, "--api-key-env", "MY_KEY"]
        r = subprocess.run([*cmd, "--no-progress"], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        line = json.loads(out.read_text().splitlines()[0])
        assert word_error_rate(refs["s2.wav"], line["text"]).wer <= 0.25
        r = subprocess.run([*cmd, "--no-progress"], capture_output=True, text=True, env=env)
        assert r.returncode == 0 and "1 cached" in r.stderr
    # server gone: the file fails, the batch reports it and exits 3
    r = subprocess.run(
        [*cmd, "--restart", "--no-progress"], capture_output=True, text=True, env=env
    )
    assert r.returncode == 3 and "1 failed" in r.stderr


def test_ctrl_c_stops_cleanly_and_the_rerun_resumes(
    whisper: WhisperTranscriber, speech_folder: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    import signal
    import time

    from labelwise.audio.server import LocalTranscriptionServer

    root, _ = speech_folder
    out = tmp_path / "t.jsonl"
    with LocalTranscriptionServer(whisper) as srv:
        cmd = [labelwise_exe(), "audio", "transcribe", str(root), "--out", str(out), "--provider",
               "openai", "--base-url", srv.base_url, "--no-progress"]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (out.exists() and out.read_text().count("\n")):
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        if proc.returncode == 0:
            pytest.skip("both files finished before Ctrl-C arrived (machine too fast to interrupt)")
        assert proc.returncode == 130, err
        assert "interrupted" in err
        assert out.read_text().count("\n") == 1
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0 and "1 done, 1 cached" in r.stderr, r.stderr
    assert {t.id for t in read_transcripts(out)} == {"s1.wav", "s2.wav"}


def test_wer_cli_against_corrected_app_export(tmp_path: Path) -> None:
    machine = tmp_path / "t.jsonl"
    rows = [
        {"id": "a.wav", "path": "a.wav", "text": "the cat sat on the mat"},
        {"id": "b.wav", "path": "b.wav", "text": "hello word"},
        {"id": "c.wav", "path": "c.wav", "text": "", "error": "AudioError: broken"},
    ]
    machine.write_text("".join(json.dumps(r) + "\n" for r in rows))
    corrected = tmp_path / "corrected.jsonl"  # a labelwise export of the app's corrections
    segs = [{"start": 0.0, "end": 1.0, "label": "speech", "text": "hello"},
            {"start": 1.0, "end": 2.0, "label": "speech", "text": "world"}]  # fmt: skip
    corrected.write_text(
        json.dumps({"id": "b.wav", "data": {"audio": "b.wav"},
                    "annotations": [{"annotator": "ann", "result": {"segments": segs}}]}) + "\n"
        + json.dumps({"id": "a.wav", "text": "the cat sat on the mat"}) + "\n"
    )  # fmt: skip
    out = tmp_path / "wer.html"
    r = subprocess.run(
        [labelwise_exe(), "audio", "wer", str(machine), str(corrected), "-o", str(out)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "WER 12.50% over 8 reference words, 2 items" in r.stdout
    assert "hello word" in out.read_text()
