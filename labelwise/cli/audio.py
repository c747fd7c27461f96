"""``labelwise audio ...``: explore, featurize, transcribe, segment, augment and train on audio."""

from __future__ import annotations

from pathlib import Path

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
    err_console.print(summary.render(), highlight=False, markup=False)
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
    block_seconds: float = typer.Option(60.0, help="Stream long files in blocks of this length."),
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

    mach = {t.id: t.text for t in read_transcripts(machine) if t.ok}
    corr = read_corrected_texts(corrected)
    df = wer_report(mach, corr)
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
