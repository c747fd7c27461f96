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
