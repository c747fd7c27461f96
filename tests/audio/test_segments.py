"""VAD on real speech, pre-labels imported by the real app store, corrected segments exported."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from labelwise.audio import load_audio_folder
from labelwise.audio.segments import (
    AUDIO_SEGMENTS_CONFIG,
    export_segments,
    regions_from_transcript,
    write_prelabels,
)
from labelwise.audio.transcribe import Segment, Transcript
from labelwise.audio.vad import EnergyVAD, SileroVAD, detect_speech
from labelwise.formats import Annotation, Item, from_jsonl
from labelwise.formats.rttm import from_rttm

from .conftest import SR, labelwise_exe, noise, sf


@pytest.fixture(scope="module")
def call_folder(tmp_path_factory: pytest.TempPathFactory, speech_folder) -> Path:  # type: ignore[no-untyped-def]
    """A 'call': 1 s of quiet noise, a sentence, 1.5 s quiet, a sentence, 0.5 s quiet."""
    root, _ = speech_folder
    out = tmp_path_factory.mktemp("calls")
    y1, sr = sf.read(root / "s1.wav", dtype="float32")
    y2, _ = sf.read(root / "s2.wav", dtype="float32")
    assert sr == 22050
    q = lambda s, seed: noise(s, sr=sr, amp=0.002, seed=seed)  # noqa: E731
    sf.write(out / "call.wav", np.concatenate([q(1.0, 1), y1, q(1.5, 2), y2, q(0.5, 3)]), sr)
    (out / "sub").mkdir()
    sf.write(out / "sub" / "quiet.wav", q(2.0, 4), sr)
    return out


def test_silero_and_energy_find_the_two_sentences(call_folder: Path, speech_folder) -> None:  # type: ignore[no-untyped-def]
    root, _ = speech_folder
    d1 = sf.info(root / "s1.wav").duration
    clip = next(c for c in load_audio_folder(call_folder) if c.id == "call.wav")
    silero = SileroVAD().regions(clip)
    energy = EnergyVAD().regions(clip)
    for regions in (silero, energy):
        assert len(regions) == 2, regions
        assert abs(regions[0].start - 1.0) < 0.3
        assert abs(regions[1].start - (1.0 + d1 + 1.5)) < 0.3
        assert regions[0].end < regions[1].start
    quiet = next(c for c in load_audio_folder(call_folder) if c.id == "sub/quiet.wav")
    regions, method = detect_speech(quiet)
    assert method == "silero" and regions == []


def test_prelabels_import_into_the_app_and_corrected_segments_export(
    call_folder: Path, tmp_path: Path
) -> None:
    from labelwise.app import Store, import_path

    clip = next(c for c in load_audio_folder(call_folder) if c.id == "call.wav")
    # Whisper-like segments (as a transcriber writes them) become regions with text.
    tr = Transcript(
        "call.wav", clip.path,
        segments=[Segment(1.0, 3.4, " the quick brown fox", no_speech_prob=0.1),
                  Segment(4.9, 8.0, "please call me back", no_speech_prob=0.3),
                  Segment(8.0, 8.0, "")],
    )  # fmt: skip
    regions = regions_from_transcript(tr)
    assert [r.text for r in regions] == ["the quick brown fox", "please call me back"]
    out = tmp_path / "pre" / "prelabels.jsonl"
    items = write_prelabels([(clip, regions)], out, source="whisper-base")
    line = json.loads(out.read_text().splitlines()[0])
    assert line["data"]["audio"] == str(Path(clip.path).resolve())  # outside the JSONL's folder
    segs = line["predictions"][0]["result"]["segments"]
    assert segs[0] == {"start": 1.0, "end": 3.4, "label": "speech", "text": "the quick brown fox"}
    assert line["predictions"][0]["meta"]["score"] == pytest.approx(0.8)

    with Store.open(tmp_path / "app") as store:
        project = store.create_project("calls", AUDIO_SEGMENTS_CONFIG)
        res = import_path(store, project.id, out)
        assert res["tasks"] == 1 and res["predictions"] == 1
        exported = store.export_items(project.id)
        assert exported[0].predictions[0].result["segments"] == segs
        assert exported[0].data["audio"] == "call.wav"
        assert (tmp_path / "app" / "media" / str(project.id) / "call.wav").is_file()

    # A human corrects the text and the boundaries: the export carries the corrections.
    fixed = [{**segs[0], "text": "the quick brown fox jumps"}, {**segs[1], "end": 7.5}]
    corrected = [Item("call 1", items[0].data, [Annotation({"segments": fixed}, "ann")])]
    base = out.parent
    p, _ = export_segments(corrected, "rttm", tmp_path / "x.rttm")
    assert from_rttm(p.read_text()) == {
        "call_1": [{k: s[k] for k in ("start", "end", "label")} for s in fixed]
    }
    p, _ = export_segments(corrected, "csv", tmp_path / "x.csv")
    assert "the quick brown fox jumps" in p.read_text()
    p, _ = export_segments(corrected, "label_studio", tmp_path / "x.json")
    ls = json.loads(p.read_text())
    texts = [
        r["value"].get("text") for r in ls[0]["annotations"][0]["result"] if "text" in r["value"]
    ]
    assert ["the quick brown fox jumps"] in texts
    p, _ = export_segments(corrected, "jsonl", tmp_path / "x.jsonl")
    assert from_jsonl(p.read_bytes())[0].annotations[0].result["segments"][1]["end"] == 7.5
    datasets = pytest.importorskip("datasets")
    p, report = export_segments(corrected, "hf", tmp_path / "hf", media_root=base)
    assert not report.problems
    ds = datasets.load_from_disk(str(p / "dataset"))
    assert ds["text"] == ["the quick brown fox jumps", "please call me back"]
    import io

    y, sr = sf.read(io.BytesIO(ds[1]["audio"]["bytes"]))
    assert sr == SR and abs(len(y) / sr - 2.6) < 0.02


def test_cli_segment_and_export(call_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "pre.jsonl"
    cmd = [labelwise_exe(), "audio", "segment", str(call_folder), "-o", str(out), "--no-progress"]
    r = subprocess.run([*cmd, "--vad", "energy", "--regions-out", str(tmp_path / "r.csv")],
                       capture_output=True, text=True)  # fmt: skip
    assert r.returncode == 0, r.stderr
    items = from_jsonl(out.read_bytes())
    by = {it.id: it for it in items}
    assert len(by["call.wav"].predictions[0].result["segments"]) == 2
    assert by["sub/quiet.wav"].predictions[0].result["segments"] == []
    r = subprocess.run(
        [labelwise_exe(), "audio", "export", str(out), "-f", "rttm", "-o", str(tmp_path / "m.rttm"),
         "--predictions"], capture_output=True, text=True,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert len(from_rttm((tmp_path / "m.rttm").read_text())["call.wav"]) == 2
    # transcripts missing for the files: each file is a failure, exit 3
    tj = tmp_path / "t.jsonl"
    tj.write_text(json.dumps({"id": "call.wav", "path": "x", "text": "hi", "segments": []}) + "\n")
    r = subprocess.run([*cmd, "--transcripts", str(tj)], capture_output=True, text=True)
    assert r.returncode == 3 and "sub/quiet.wav" in r.stderr
