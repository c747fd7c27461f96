"""``labelwise audio ...``: explore, featurize, transcribe, segment, augment and train on audio."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from labelwise.cli.app import app, console, err_console

audio_app = typer.Typer(
    help="Audio labeling: exploration reports, feature tables for rules, offline Whisper "
    "transcription, voice activity segments, augmentation, classifier training.",
    no_args_is_help=True,
)
app.add_typer(audio_app, name="audio")

ALLOW_FAILURES = typer.Option(
    0, "--allow-failures", help="Exit 0 even if up to N files fail (they are still reported)."
)
PROGRESS = typer.Option(True, "--progress/--no-progress", help="Show a progress bar.")


def _finish(summary: object, allow_failures: int) -> None:
    from labelwise.faults import BatchSummary

    assert isinstance(summary, BatchSummary)
    err_console.print(summary.render(first=5), highlight=False, markup=False)
    warns = summary.faults.warnings
    if warns:
        err_console.print(f"{len(warns)} warning(s):", highlight=False, markup=False)
        for f in warns[:10]:
            err_console.print(f"  {f}", style="yellow", highlight=False, markup=False)
        if len(warns) > 10:
            err_console.print(f"  ... and {len(warns) - 10} more", highlight=False, markup=False)
    code = summary.exit_code(allow_failures)
    if code:
        raise typer.Exit(code)


@audio_app.command("features")
def features_cmd(
    source: Path = typer.Argument(
        ..., help="Audio folder (class sub-folders optional) or manifest."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Features table (.parquet, .csv, .jsonl)."),
    sr: int = typer.Option(22050, help="Analysis sample rate (files are resampled)."),
    pitch: str = typer.Option(
        "auto", help="Pitch tracker: auto (pyin on short clips, yin on long), pyin, yin, none."
    ),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Worker processes (default: CPUs)."),
    block_seconds: float = typer.Option(30.0, help="Stream long files in blocks of this length."),
    allow_failures: int = ALLOW_FAILURES,
    show_progress: bool = PROGRESS,
) -> None:
    """One row per clip of features for `labelwise label --rules` and audio rule primitives."""
    from labelwise.audio.features import extract_features
    from labelwise.audio.io import load_audio_folder
    from labelwise.faults import BatchSummary, FaultLog
    from labelwise.io import write_table

    col = load_audio_folder(source)
    faults = FaultLog()
    df = extract_features(
        col, sr=sr, pitch=pitch, n_jobs=jobs, block_seconds=block_seconds,
        progress=show_progress, faults=faults,
    )  # fmt: skip
    write_table(df, out)
    n_bad = int(df["error"].notna().sum())
    summary = BatchSummary(
        total=len(df) + col.n_failed + col.n_skipped,
        done=len(df) - n_bad,
        failed=n_bad + col.n_failed,
        skipped=col.n_skipped,
        what="files",
        faults=faults,
    )
    console.print(f"{len(df)} clips x {df.shape[1] - 6} features -> {out}")
    _finish(summary, allow_failures)


@audio_app.command("transcribe")
def transcribe_cmd(
    source: Path = typer.Argument(..., help="Audio folder, manifest or file."),
    out: Path = typer.Option(
        Path("transcripts.jsonl"), "--out", "-o", help="Transcripts (JSONL, one clip a line)."
    ),
    model: str = typer.Option(
        "base", help="Whisper model: 'base' (packaged), a model folder, or a cached name."
    ),
    provider: str = typer.Option(
        "whisper", help="whisper (local faster-whisper) or openai (an /audio/transcriptions API)."
    ),
    base_url: str | None = typer.Option(
        None, help="OpenAI-compatible server root, e.g. http://127.0.0.1:8000/v1 (openai)."
    ),
    api_key_env: str = typer.Option(
        "OPENAI_API_KEY", help="Environment variable holding the API key (openai)."
    ),
    language: str | None = typer.Option(None, help="Language code; default: detect per file."),
    task: str = typer.Option("transcribe", help="transcribe, or translate (to English)."),
    words: bool = typer.Option(False, "--words/--no-words", help="Word timestamps."),
    vad: bool = typer.Option(False, "--vad/--no-vad", help="Skip non-speech (Silero VAD)."),
    beam_size: int = typer.Option(5, help="Beam width (1 = greedy, faster)."),
    compute_type: str = typer.Option("int8", help="int8, int8_float32 or float32."),
    block_seconds: float = typer.Option(600.0, help="Decode long files in blocks this long."),
    restart: bool = typer.Option(
        False, "--restart", help="Start over instead of resuming from --out."
    ),
    allow_failures: int = ALLOW_FAILURES,
    show_progress: bool = PROGRESS,
) -> None:
    """Transcribe audio offline (resumable: run again to continue an interrupted batch)."""
    import os

    from labelwise.audio.io import load_audio_folder
    from labelwise.audio.transcribe import (
        OpenAITranscriber,
        Transcriber,
        WhisperTranscriber,
        transcribe_batch,
    )
    from labelwise.errors import DataError

    if task not in ("transcribe", "translate"):
        raise DataError(f"--task must be transcribe or translate, got {task!r}")
    tr: Transcriber
    if provider == "whisper":
        tr = WhisperTranscriber(
            model, compute_type=compute_type, beam_size=beam_size, block_seconds=block_seconds
        )
        tr.model  # noqa: B018 - load (and join the packaged weights) before the batch starts
    elif provider == "openai":
        tr = OpenAITranscriber(
            model if model != "base" else "whisper-1",
            base_url=base_url,
            api_key=os.environ.get(api_key_env),
            block_seconds=block_seconds,
        )
    else:
        raise DataError(f"--provider must be whisper or openai, got {provider!r}")
    col = load_audio_folder(source)
    summary = transcribe_batch(
        col, tr, out, language=language, task=task, word_timestamps=words, vad_filter=vad,
        resume=not restart, progress=show_progress,
    )  # fmt: skip
    console.print(f"transcripts -> {out}")
    _finish(summary, allow_failures)


@audio_app.command("wer")
def wer_cmd(
    machine: Path = typer.Argument(..., help="Machine transcripts (JSONL from transcribe)."),
    corrected: Path = typer.Argument(
        ..., help="Corrected transcripts: JSONL/CSV with id + text, or a labelwise export."
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Per-item table (.csv/.html)."),
) -> None:
    """Word error rate of machine transcripts against human-corrected ones."""
    from labelwise.audio.transcribe import read_transcripts
    from labelwise.audio.wer import read_corrected_texts, wer_report
    from labelwise.errors import DataError

    transcripts = read_transcripts(machine)
    mach = {t.id: t.text for t in transcripts if t.ok}
    corr = read_corrected_texts(corrected)
    n_failed = len(transcripts) - len(mach)
    only_machine, only_corrected = len(set(mach) - set(corr)), len(set(corr) - set(mach))
    if n_failed or only_machine or only_corrected:
        err_console.print(
            f"warning: {n_failed} machine transcripts failed and are left out; "
            f"{only_machine} ids only in {machine}, {only_corrected} only in {corrected}",
            highlight=False,
        )
    df = wer_report(mach, corr)
    if not df.attrs.get("reference_words"):
        raise DataError(
            f"no transcript id of {str(machine)!r} has a corrected text in {str(corrected)!r}, "
            "so there is nothing to compare; check that both files use the same ids"
        )
    console.print(
        f"WER {100 * df.attrs['wer']:.2f}% over {df.attrs['reference_words']} reference words, "
        f"{int(df['wer'].notna().sum()) if 'wer' in df else 0} items"
    )
    if out is not None:
        if out.suffix == ".html":
            from labelwise.reports import Report

            r = Report("Word error rate", subtitle=f"{machine} vs {corrected}")
            s = r.section("Summary")
            s.kv({"WER": df.attrs["wer"], "reference words": df.attrs["reference_words"]})
            r.section("Items, worst first").table(df, index=False, max_rows=500)
            r.save(out)
        else:
            from labelwise.io import write_table

            write_table(df, out)
        console.print(f"per-item table -> {out}")


@audio_app.command("explore")
def explore_cmd(
    source: Path = typer.Argument(
        ..., help="Audio folder (class sub-folders optional) or manifest."
    ),
    out: Path = typer.Option(Path("audio_report.html"), "--out", "-o", help="HTML report path."),
    pictures: int = typer.Option(12, help="Clips drawn with waveform/spectrograms and a player."),
    k: float = typer.Option(1.5, help="Outlier fences: beyond Q1 - K*IQR or Q3 + K*IQR."),
    similarity: float = typer.Option(
        0.97, help="Fingerprint cosine similarity at which two clips are near duplicates."
    ),
    title: str = typer.Option("Audio collection", help="Report title."),
    allow_failures: int = ALLOW_FAILURES,
    show_progress: bool = PROGRESS,
) -> None:
    """Write an exploration report: formats, loudness, silence, clipping, classes, duplicates."""
    from labelwise.audio.explore import explore_audio
    from labelwise.audio.io import load_audio_folder
    from labelwise.faults import BatchSummary, FaultLog

    col = load_audio_folder(source)
    faults = FaultLog()
    _, df = explore_audio(
        col, out=out, title=title, pictures=pictures, outlier_k=k,
        near_duplicate_similarity=similarity, progress=show_progress, faults=faults,
    )  # fmt: skip
    n_failed = len(faults.failed_items())
    summary = BatchSummary(
        total=len(df) + n_failed + col.n_skipped,
        done=len(df),
        failed=n_failed,
        skipped=col.n_skipped,
        what="files",
        faults=faults,
    )
    console.print(f"{len(df)} clips; report: {out}")
    _finish(summary, allow_failures)


@audio_app.command("segment")
def segment_cmd(
    source: Path = typer.Argument(..., help="Audio folder, manifest or file."),
    out: Path = typer.Option(
        Path("prelabels.jsonl"), "--out", "-o", help="App tasks with segment pre-labels (JSONL)."
    ),
    vad: str = typer.Option(
        "auto", help="Voice activity: auto (silero, else energy), silero, energy."
    ),
    transcripts: Path | None = typer.Option(
        None, help="Use the Whisper segments (with text) of this transcripts JSONL instead of VAD."
    ),
    regions_out: Path | None = typer.Option(None, help="Also write every region as a table."),
    allow_failures: int = ALLOW_FAILURES,
    show_progress: bool = PROGRESS,
) -> None:
    """Pre-segment audio for humans: VAD regions or Whisper segments -> app pre-labels."""
    from labelwise.audio.io import load_audio_folder
    from labelwise.audio.segments import regions_from_transcript, write_prelabels
    from labelwise.audio.transcribe import read_transcripts
    from labelwise.audio.vad import Region, detect_speech
    from labelwise.faults import BatchSummary, FaultLog
    from labelwise.progress import progress

    col = load_audio_folder(source)
    faults = FaultLog(col.faults)
    by_id = {t.id: t for t in read_transcripts(transcripts)} if transcripts else {}
    results = []
    methods: set[str] = set()
    rows = []
    for clip in progress(
        col.clips, total=len(col), desc="segment", unit="file", enabled=show_progress
    ):
        regions: list[Region]
        if transcripts is not None:
            tr = by_id.get(clip.id)
            if tr is None or not tr.ok:
                faults.error(
                    clip.id, "no_transcript",
                    f"no successful transcript for {clip.id!r} in {transcripts}; run "
                    "`labelwise audio transcribe` on it first", source="segment",
                )  # fmt: skip
                continue
            regions, method = regions_from_transcript(tr), tr.model
        else:
            try:
                regions, method = detect_speech(clip, method=vad)
            except Exception as exc:
                faults.record(exc, item=clip.id, source="segment")
                continue
        methods.add(method)
        results.append((clip, regions))
        rows += [{"item_id": clip.id, **r.to_dict()} for r in regions]
    write_prelabels(results, out, source="+".join(sorted(methods)) or "labelwise-audio")
    if regions_out is not None:
        import pandas as pd

        from labelwise.io import write_table

        write_table(
            pd.DataFrame(rows, columns=["item_id", "start", "end", "label", "text", "score"]),
            regions_out,
        )
    n_failed = len(faults.failed_items())
    console.print(
        f"{len(results)} files, {len(rows)} segments ({', '.join(sorted(methods)) or '-'}) -> {out}; "
        "import it into an 'Audio segments + transcription' project"
    )
    _finish(
        BatchSummary(
            total=len(results) + n_failed + col.n_skipped,
            done=len(results),
            failed=n_failed,
            skipped=col.n_skipped,
            what="files",
            faults=faults,
        ),
        allow_failures,
    )


@audio_app.command("export")
def export_cmd(
    source: Path = typer.Argument(
        ..., help="Corrected tasks: a labelwise JSONL export of the app."
    ),
    fmt: str = typer.Option(
        ..., "--format", "-f", help="jsonl, csv, label_studio, rttm or hf (Hugging Face datasets)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output file (a folder for hf)."),
    media_root: Path | None = typer.Option(
        None, help="Folder the audio paths are relative to (default: the export's folder)."
    ),
    predictions: bool = typer.Option(
        False, "--predictions", help="Export the machine pre-labels instead of the annotations."
    ),
) -> None:
    """Export human-corrected audio segments (with their transcriptions)."""
    from labelwise.audio.segments import export_segments
    from labelwise.formats import from_jsonl

    items = from_jsonl(source.read_bytes(), name=str(source))
    path, report = export_segments(
        items, fmt, out, media_root=media_root or source.parent,
        which="predictions" if predictions else "annotations",
    )  # fmt: skip
    for p in report.problems[:20]:
        err_console.print(f"[yellow]{p}[/yellow]", highlight=False)
    console.print(f"{len(items)} items -> {path} ({fmt})")
    if report.problems:
        raise typer.Exit(3)


@audio_app.command("augment")
def augment_cmd(
    source: Path = typer.Argument(..., help="Audio folder or manifest."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the augmented WAV files."),
    preset: str = typer.Option(
        "standard", help="none, noise, shift, pitch, stretch, gain or standard (all of them)."
    ),
    copies: int = typer.Option(1, help="Augmented copies per clip."),
    seed: int = typer.Option(0, help="Random seed."),
    originals: bool = typer.Option(True, "--originals/--no-originals", help="Copy originals too."),
    allow_failures: int = ALLOW_FAILURES,
    show_progress: bool = PROGRESS,
) -> None:
    """Write augmented copies of every clip (class folders and a manifest.csv kept)."""
    from labelwise.audio.augment import augment_folder

    summary = augment_folder(
        source, out, preset=preset, copies=copies, seed=seed, keep_originals=originals,
        progress=show_progress,
    )  # fmt: skip
    console.print(f"augmented clips -> {out} (manifest.csv)")
    _finish(summary, allow_failures)


@audio_app.command("train")
def train_cmd(
    source: Path = typer.Argument(
        ..., help="Labeled audio: class sub-folders or a manifest with label."
    ),
    model: str = typer.Option(
        "rf",
        help="rf, svm, logistic (MFCC features), voice (voice/non-voice RF on 0.5 s windows, "
        "for `labelwise audio stream`) or cnn (mel CNN).",
    ),
    augment: str = typer.Option(
        "compare",
        help="Augmentation preset, or 'compare' to train with none and noise side by side.",
    ),
    test_size: float = typer.Option(0.25, help="Held-out share (stratified)."),
    seed: int = typer.Option(0, help="Random seed (split, models)."),
    epochs: int = typer.Option(30, help="CNN epochs."),
    min_confidence: float = typer.Option(0.0, help="The saved labeler abstains below this."),
    save: Path | None = typer.Option(None, help="Pickle the labeler trained on all clips here."),
    report: Path | None = typer.Option(None, help="HTML report of the comparison."),
) -> None:
    """Train a classifier; report held-out accuracy with and without augmentation."""
    import pickle

    from sklearn.model_selection import train_test_split

    from labelwise.audio.classify import (
        AudioFeatureClassifier,
        MelCNNClassifier,
        VoiceActivityClassifier,
        compare_augmentation,
    )
    from labelwise.audio.io import load_audio_folder
    from labelwise.errors import DataError

    col = load_audio_folder(source)
    for f in col.faults:
        err_console.print(f"[yellow]{f}[/yellow]", highlight=False)
    labeled = [i for i, c in enumerate(col.clips) if c.label is not None]
    if len(labeled) < 4:
        raise DataError(f"{source}: need labeled clips (class folders or a 'label' column)")
    col = col.subset(labeled)

    def make(preset: str) -> Any:
        if model == "cnn":
            return MelCNNClassifier(epochs=epochs, augment=preset, seed=seed,
                                    min_confidence=min_confidence)  # fmt: skip
        if model == "voice":
            return VoiceActivityClassifier(augment=preset, seed=seed, min_confidence=min_confidence)
        return AudioFeatureClassifier(
            model, augment=preset, seed=seed, min_confidence=min_confidence
        )

    idx = list(range(len(col)))
    tr, te = train_test_split(idx, test_size=test_size, random_state=seed, stratify=col.labels)
    train, test = col.subset(tr), col.subset(te)
    presets = ["none", "noise"] if augment == "compare" else [augment]
    df = compare_augmentation(make, train, train.labels, test, test.labels, presets=presets)
    console.print(
        f"{len(train)} train / {len(test)} held out (stratified, seed {seed})\n"
        + df.to_string(index=False)
    )
    if report is not None:
        from labelwise.reports import Report

        r = Report(f"Audio classifier: {model}", subtitle=str(source))
        s = r.section("Held-out results")
        s.kv({"train clips": len(train), "held-out clips": len(test), "seed": seed})
        s.table(df.round(4), index=False)
        r.save(report)
        console.print(f"report -> {report}")
    if save is not None:
        best = df.sort_values("accuracy", ascending=False)["augment"].iloc[0]
        lab = make(str(best)).fit(col, col.labels)
        save.write_bytes(pickle.dumps(lab))
        console.print(
            f"labeler ({model}, augment={best}) trained on all {len(col)} clips -> {save}"
        )


@audio_app.command("stream")
def stream_cmd(
    model: Path = typer.Argument(
        ..., help="A labeler saved by `labelwise audio train --model voice --save`."
    ),
    source: Path | None = typer.Argument(None, help="Audio file read in real time (or use --mic)."),
    mic: bool = typer.Option(False, "--mic", help="Listen to the microphone (needs sounddevice)."),
    seconds: float | None = typer.Option(None, help="Stop after this many seconds (microphone)."),
    speed: float = typer.Option(1.0, help="Feed the file at this multiple of real time."),
    block: float = typer.Option(0.1, help="Block length in seconds (what a sound card delivers)."),
    quiet: bool = typer.Option(False, "--quiet", help="Only print the latency summary."),
) -> None:
    """Voice / non-voice decisions on a live stream, with the latency of each decision."""
    import pickle

    import numpy as np

    from labelwise.audio.classify import microphone_blocks, realtime_blocks
    from labelwise.errors import DataError

    lab = pickle.loads(model.read_bytes())
    if not hasattr(lab, "stream"):
        raise DataError(f"{model} holds a {type(lab).__name__}; train one with --model voice")
    if mic:
        blocks = microphone_blocks(block_seconds=block, sr=lab.sr, seconds=seconds)
    elif source is not None:
        blocks = realtime_blocks(source, block_seconds=block, sr=lab.sr, speed=speed)
    else:
        raise DataError("give an audio file to stream, or --mic")
    lat = []
    for d in lab.stream(blocks):
        lat.append(d.latency_ms)
        if not quiet:
            console.print(
                f"{d.start:8.2f}-{d.end:8.2f} s  {d.label:<12} p={d.probability:.2f}  "
                f"latency {d.latency_ms:.1f} ms",
                highlight=False,
            )
    if lat:
        a = np.asarray(lat)
        console.print(
            f"{len(a)} decisions; latency p50 {np.percentile(a, 50):.1f} ms, "
            f"p95 {np.percentile(a, 95):.1f} ms, max {a.max():.1f} ms "
            f"(after the window's last sample arrived)"
        )
