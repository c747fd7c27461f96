"""``labelwise video ...``: probe, explore, frames, features, clusters, track and export.

Every command works on a video file or a folder of videos; a file that fails is reported
and the batch goes on. Exit codes: 0 ok, 2 bad input, 3 some videos failed (more than
``--allow-failures``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from labelwise.cli.app import app, console, err_console

video_app = typer.Typer(
    help="Video labeling: probe, exploration report, frame extraction, features for rules, "
    "clusters, tracking with pre-labels for the app, exact MOT/CVAT/COCO/Label Studio exports.",
    no_args_is_help=True,
)
app.add_typer(video_app, name="video")

ALLOW = typer.Option(0, "--allow-failures", help="Exit 0 even if up to N videos fail.")
PROGRESS = typer.Option(None, "--progress/--no-progress", help="Progress bars.")


def _finish(summary: Any, allow_failures: int) -> None:
    text = summary.render()
    (err_console if summary.failed else console).print(text, highlight=False)
    code = summary.exit_code(allow_failures)
    if code:
        raise typer.Exit(code)


def _videos(source: Path) -> list[Path]:
    from labelwise.video.io import VideoError, list_videos

    vids = list_videos(source)
    if not vids:
        raise VideoError(
            f"no video files in {str(source)!r} (looked for .mp4, .mov, .mkv, .avi, .webm, ...)"
        )
    return vids


@video_app.command("probe")
def probe_cmd(
    source: Path = typer.Argument(..., help="Video file or folder."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write the table (.csv/.jsonl/.parquet)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table."),
    allow_failures: int = ALLOW,
    progress: bool | None = PROGRESS,
) -> None:
    """Duration, fps (constant/variable), exact frame count, codec, size, rotation, audio."""
    import pandas as pd

    from labelwise.faults import BatchSummary
    from labelwise.video.io import probe_many

    vids = _videos(source)
    infos, faults = probe_many(vids, progress=progress)
    df = pd.DataFrame([i.to_dict() for i in infos])
    if out is not None:
        from labelwise.io import write_table

        write_table(df, out)
    if as_json:
        for i in infos:
            console.print_json(json.dumps(i.to_dict()))
    elif len(df):
        cols = ["path", "duration", "fps", "variable_fps", "frame_count", "codec", "width",
                "height", "rotation", "has_audio"]  # fmt: skip
        console.print(df[cols].to_string(index=False), highlight=False)
    failed = len(faults.failed_items())
    _finish(
        BatchSummary(
            total=len(vids), done=len(vids) - failed, failed=failed, what="videos", faults=faults
        ),
        allow_failures,
    )


@video_app.command("frames")
def frames_cmd(
    source: Path = typer.Argument(..., help="Video file or folder."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Folder for the frames (<video>/<frame>.jpg)."
    ),
    every: int | None = typer.Option(None, help="Every N-th frame."),
    every_seconds: float | None = typer.Option(None, "--every-seconds", help="Every N seconds."),
    keyframes: bool = typer.Option(False, "--keyframes", help="Key frames only."),
    scenes: bool = typer.Option(False, "--scenes", help="First frame of every scene."),
    dedup: float | None = typer.Option(
        None, help="Drop near-duplicate frames: max perceptual-hash distance (e.g. 6)."
    ),
    ext: str = typer.Option("jpg", help="jpg or png."),
    allow_failures: int = ALLOW,
    progress: bool | None = PROGRESS,
) -> None:
    """Extract frames named by their source frame number (never their position)."""
    import cv2

    from labelwise.faults import BatchSummary, FaultLog
    from labelwise.progress import progress as bar
    from labelwise.video.cluster import FrameDeduplicator
    from labelwise.video.io import iter_frames

    vids = _videos(source)
    faults = FaultLog()
    done = written = 0
    for v in bar(vids, total=len(vids), desc="frames", unit="video", enabled=progress):
        dest = out / v.stem
        try:
            dest.mkdir(parents=True, exist_ok=True)
            dd = FrameDeduplicator(max_distance=dedup) if dedup is not None else None
            for fr in iter_frames(
                v, every=every, every_seconds=every_seconds, keyframes=keyframes, scenes=scenes
            ):
                if dd is not None and not dd.is_new(fr.image):
                    continue
                ok = cv2.imwrite(
                    str(dest / f"{fr.index:06d}.{ext}"), cv2.cvtColor(fr.image, cv2.COLOR_RGB2BGR)
                )
                if not ok:
                    raise OSError(f"could not write {dest}; check the folder and --ext")
                written += 1
            done += 1
        except Exception as exc:
            faults.record(exc, item=str(v), source="frames")
    console.print(f"{written} frames written under {out}")
    _finish(
        BatchSummary(
            total=len(vids), done=done, failed=len(vids) - done, what="videos", faults=faults
        ),
        allow_failures,
    )


@video_app.command("features")
def features_cmd(
    source: Path = typer.Argument(
        ..., help="Video file or folder (class sub-folders become 'label')."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Features table (.parquet, .csv, .jsonl)."),
    every_seconds: float = typer.Option(
        0.5, "--every-seconds", help="Sample a frame every N seconds."
    ),
    max_frames: int = typer.Option(400, help="At most this many sampled frames per video."),
    flow: bool = typer.Option(True, "--flow/--no-flow", help="Dense optical flow columns."),
    allow_failures: int = ALLOW,
    progress: bool | None = PROGRESS,
) -> None:
    """One row per video (motion, brightness, flow, scenes, colour) for `labelwise label --rules`."""
    from labelwise.faults import BatchSummary, FaultLog
    from labelwise.io import write_table
    from labelwise.video.features import clip_features

    vids = _videos(source)
    faults = FaultLog()
    df = clip_features(
        vids, every_seconds=every_seconds, max_frames=max_frames, flow=flow, faults=faults,
        progress=progress,
    )  # fmt: skip
    write_table(df, out)
    console.print(f"{len(df)} rows x {df.shape[1]} columns -> {out}")
    _finish(
        BatchSummary(
            total=len(vids), done=len(df), failed=len(vids) - len(df), what="videos", faults=faults
        ),
        allow_failures,
    )


@video_app.command("explore")
def explore_cmd(
    source: Path = typer.Argument(..., help="Video folder (class sub-folders optional)."),
    out: Path = typer.Option(Path("video_report.html"), "--out", "-o", help="HTML report path."),
    title: str = typer.Option("Video collection", help="Report title."),
    every_seconds: float = typer.Option(0.5, "--every-seconds", help="Sampling for the curves."),
    allow_failures: int = ALLOW,
    progress: bool | None = PROGRESS,
) -> None:
    """HTML report: metadata, distributions, per-class aggregates, frame strips, brightness
    and motion curves, scene cuts, near-duplicate videos, failed files."""
    from labelwise.faults import BatchSummary
    from labelwise.video.explore import explore_videos

    vids = _videos(source)
    res = explore_videos(vids, out=out, title=title, every_seconds=every_seconds, progress=progress)
    console.print(f"report: {out}")
    failed = len(res.faults.failed_items())
    _finish(
        BatchSummary(
            total=len(vids),
            done=len(vids) - failed,
            failed=failed,
            what="videos",
            faults=res.faults,
        ),
        allow_failures,
    )


@video_app.command("clusters")
def clusters_cmd(
    source: Path = typer.Argument(..., help="Video file or folder."),
    out: Path = typer.Option(
        Path("video_clusters.html"), "--out", "-o", help="HTML contact sheets."
    ),
    table: Path | None = typer.Option(None, help="Also write frame -> cluster table."),
    k: int | None = typer.Option(None, help="Number of clusters (default: chosen by silhouette)."),
    every_seconds: float = typer.Option(
        1.0, "--every-seconds", help="Sample a frame every N seconds."
    ),
    dedup: float = typer.Option(
        6, help="Near-duplicate frames within this hash distance are dropped first."
    ),
    features: str = typer.Option(
        "classical",
        help="classical (colour + HOG) or autoencoder (codes of a small CNN trained here).",
    ),
    seed: int = typer.Option(0, help="Random seed."),
    allow_failures: int = ALLOW,
    progress: bool | None = PROGRESS,
) -> None:
    """Cluster sampled frames (k by silhouette/inertia/Dunn) and write contact sheets."""
    from labelwise.faults import BatchSummary
    from labelwise.video.cluster import cluster_frames

    vids = _videos(source)
    res = cluster_frames(
        vids, k=k, every_seconds=every_seconds, dedup=dedup, seed=seed, progress=progress
    )
    res.report(out)
    if table is not None:
        from labelwise.io import write_table

        write_table(res.table, table)
    console.print(f"{len(res.table)} frames in {res.k} clusters; report: {out}")
    failed = len(res.faults.failed_items())
    _finish(
        BatchSummary(
            total=len(vids),
            done=len(vids) - failed,
            failed=failed,
            what="videos",
            faults=res.faults,
        ),
        allow_failures,
    )


def _parse_map(pairs: list[str]) -> dict[str, str]:
    from labelwise.errors import DataError

    out = {}
    for p in pairs:
        a, sep, b = p.partition("=")
        if not sep or not a or not b:
            raise DataError(f"--map takes DETECTOR_CLASS=LABEL, got {p!r}")
        out[a] = b
    return out


@video_app.command("track")
def track_cmd(
    source: Path = typer.Argument(..., help="Video file or folder."),
    config: Path = typer.Option(
        ..., "--config", "-c", help="The project's label config (with a video_boxes control)."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Pre-label tasks (JSONL) for `labelwise project import`."
    ),
    detector: str = typer.Option(
        "people", help="people, faces, yolo:MODEL.onnx, haar:FILE.xml, ..."
    ),
    every: int = typer.Option(
        1, help="Detect on every N-th frame (frame ids stay source frame numbers)."
    ),
    iou: float = typer.Option(0.3, help="Smallest IoU to link a detection to a track."),
    max_misses: int = typer.Option(
        3, help="Sampled frames a track may be missed (occluded) and keep its id."
    ),
    min_hits: int = typer.Option(2, help="Drop tracks matched on fewer frames."),
    tolerance: float = typer.Option(
        1.0, help="Key-frame simplification tolerance in pixels (0: exact)."
    ),
    min_confidence: float = typer.Option(0.0, help="Leave out tracks with lower mean score."),
    label_map: list[str] = typer.Option([], "--map", help="DETECTOR_CLASS=LABEL (repeatable)."),
    mot: Path | None = typer.Option(
        None, help="Also write the raw tracks as MOT files into this folder."
    ),
    allow_failures: int = ALLOW,
    progress: bool | None = PROGRESS,
) -> None:
    """Detect objects, link them into tracks, write pre-labels in the app's video_boxes format."""
    from labelwise.faults import BatchSummary, FaultLog
    from labelwise.formats import LabelConfig, to_jsonl
    from labelwise.video.tracks import IoUTracker, detect_and_track, prelabel_items

    cfg = LabelConfig.from_file(config)
    mapping = _parse_map(label_map)
    vids = _videos(source)
    faults = FaultLog()
    results = []
    for v in vids:
        try:
            tr = IoUTracker(iou_threshold=iou, max_misses=max_misses, min_hits=min_hits)
            res = detect_and_track(v, detector, every=every, tracker=tr, progress=progress)
        except Exception as exc:
            faults.record(exc, item=str(v), source="track")
            continue
        faults.extend(res.faults)
        results.append(res)
        console.print(
            f"{v.name}: {len(res.tracks)} tracks over {len(res.frames)} frames ({res.fps:.1f} frames/s)"
        )
    base = out.parent.resolve()
    items = prelabel_items(results, cfg, relative_to=base if all(
        Path(r.path).resolve().is_relative_to(base) for r in results) else None,
        labels=mapping, tolerance=tolerance, min_confidence=min_confidence)  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(to_jsonl(items), encoding="utf-8")
    if mot is not None:
        from labelwise.formats import Item, export_items

        as_answers = [Item(it.id, it.data, list(it.predictions)) for it in items]
        for name, data in export_items(as_answers, cfg, "mot").items():
            p = mot / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
    console.print(f"{len(items)} pre-labeled tasks -> {out}")
    failed = len({str(f.item).split("#")[0] for f in faults.errors if f.source == "track"})
    _finish(
        BatchSummary(
            total=len(vids), done=len(vids) - failed, failed=failed, what="videos", faults=faults
        ),
        allow_failures,
    )


@video_app.command("export")
def export_cmd(
    source: Path = typer.Argument(
        ..., help="labelwise JSONL with video items (an app export or pre-labels)."
    ),
    config: Path = typer.Option(
        ..., "--config", "-c", help="Label config with a video_boxes control."
    ),
    fmt: str = typer.Option(
        ..., "--format", "-f", help="mot, cvat_video, coco_video, label_studio_video, jsonl."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (or file for JSON formats)."),
    predictions: bool = typer.Option(
        False, "--predictions", help="Export the first prediction instead of the first annotation."
    ),
) -> None:
    """Write video tracks in an exact format; frame ids are the source video's frame numbers."""
    from labelwise.formats import ConversionReport, LabelConfig, export_items, from_jsonl
    from labelwise.formats.registry import _check_format

    cfg = LabelConfig.from_file(config)
    items = from_jsonl(source.read_bytes(), config=cfg, name=str(source))
    if predictions:
        for it in items:
            it.annotations = list(it.predictions[:1])
    report = ConversionReport()
    files = export_items(items, cfg, fmt, report=report)
    key = _check_format(fmt)
    if len(files) == 1 and key in ("coco_video", "label_studio_video", "jsonl") and out.suffix:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(next(iter(files.values())))
        written = [out]
    else:
        written = []
        for name, data in files.items():
            p = out / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
            written.append(p)
    for msg in report.problems:
        err_console.print(f"[yellow]{msg}[/yellow]", highlight=False)
    console.print(f"{len(items)} videos -> {len(written)} file(s) under {out}")
    if report.problems:
        raise typer.Exit(3)  # finished, but some tracks or frames could not be exported


@video_app.command("train")
def train_cmd(
    source: Path = typer.Argument(..., help="Folder with one sub-folder of videos per class."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to save the trained labeler (.pkl)."),
    arch: str = typer.Option(
        "c3d", help="c3d (small 3D CNN) or pool (frame CNN + temporal pooling)."
    ),
    epochs: int = typer.Option(15, help="Training epochs."),
    n_frames: int = typer.Option(8, "--frames", help="Frames per clip."),
    size: int = typer.Option(64, help="Frame side in pixels."),
    augment: bool = typer.Option(
        True, "--augment/--no-augment", help="Temporal jitter, flips, crops per clip."
    ),
    compare: bool = typer.Option(
        False, "--compare", help="Also train the other settings and print a side-by-side table."
    ),
    test_share: float = typer.Option(
        0.3, help="Share of each class's videos held out for testing."
    ),
    min_confidence: float = typer.Option(
        0.0, help="The saved labeler abstains below this confidence."
    ),
    seed: int = typer.Option(0, help="Random seed (split and training)."),
) -> None:
    """Train a clip classifier on class sub-folders; report held-out accuracy and the split."""
    import pickle

    import numpy as np

    from labelwise.errors import DataError
    from labelwise.video.classify import ClipAugment, VideoClassifier, compare_augmentation

    classes = sorted(d for d in source.iterdir() if d.is_dir()) if source.is_dir() else []
    if len(classes) < 2:
        raise DataError(f"{str(source)!r} needs at least two class sub-folders of videos")
    rng = np.random.default_rng(seed)
    train, y_train, test, y_test = [], [], [], []
    for c in classes:
        vids = [str(p) for p in _videos(c)]
        rng.shuffle(vids)
        n_test = max(1, round(len(vids) * test_share)) if len(vids) > 1 else 0
        test += vids[:n_test]
        y_test += [c.name] * n_test
        train += vids[n_test:]
        y_train += [c.name] * (len(vids) - n_test)
    console.print(f"split (seed {seed}): train {len(train)} videos, test {len(test)} videos")
    for p, lab in zip(test, y_test, strict=True):
        console.print(f"  test: {lab}: {p}", highlight=False)
    aug = ClipAugment() if augment else None
    kw = {"n_frames": n_frames, "size": size, "epochs": epochs, "seed": seed}
    clf = VideoClassifier(arch=arch, augment=aug, min_confidence=min_confidence, **kw)  # type: ignore[arg-type]
    clf.fit(train, y_train)
    if test:
        v = clf.label(test)
        assert clf.label_space is not None
        gold = np.asarray(clf.label_space.encode(y_test))
        acc = float(np.mean(v.candidates == gold))
        console.print(
            f"held-out accuracy ({arch}, augmentation {'on' if aug else 'off'}): {acc:.3f}"
        )
    if compare and test:
        df = compare_augmentation(train, y_train, test, y_test, **kw)  # type: ignore[arg-type]
        console.print(df.to_string(index=False), highlight=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pickle.dumps(clf))
    console.print(f"labeler saved to {out}")
