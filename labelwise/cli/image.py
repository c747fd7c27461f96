"""``labelwise image ...``: explore, featurize, detect, augment, convert and train on images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from labelwise.cli._batch import AllowFailures, finish_batch, require_path
from labelwise.cli.app import app, console, err_console

MaxPixels = Annotated[
    int | None,
    typer.Option(
        "--max-pixels",
        help="Pillow's decompression-bomb limit (default about 179 million pixels); larger "
        "images are per-file errors. 0 lifts the limit (only for files you trust).",
    ),
]

image_app = typer.Typer(
    help="Image labeling: exploration reports, feature tables for rules, pretrained "
    "detectors, augmentation, box format conversion, classifier training.",
    no_args_is_help=True,
)
app.add_typer(image_app, name="image")


def _print_issues(issues: Any, *, limit: int = 20) -> None:
    from rich.markup import escape

    issues = list(issues)
    for i in issues[:limit]:
        level = getattr(i, "level", None) or getattr(i, "severity", "")
        color = "red" if level == "error" else "yellow"
        err_console.print(f"[{color}]{escape(str(i))}[/{color}]", highlight=False)
    if len(issues) > limit:
        err_console.print(f"... and {len(issues) - limit} more", highlight=False)


def _load(source: Path, max_pixels: int | None = None) -> Any:
    """Load an image folder/manifest (one-line error when it does not exist)."""
    from labelwise.image.io import load_images

    require_path(source, "image folder or manifest")
    col = load_images(source, max_pixels=max_pixels)
    _print_issues(col.issues)
    return col


def _finish(
    col: Any,
    allow_failures: int,
    failures: list[tuple[Any, str]] = (),  # type: ignore[assignment]
    *,
    source: str = "",
) -> None:
    """Summary over every file found: loaded-and-processed, failed to load, failed later."""
    from labelwise.faults import BatchSummary, faults_from_issues

    log = faults_from_issues(col.issues, source="load")
    for item, msg in failures:
        log.error(item, "error", str(msg), source=source)
    n_load_failed = len(col.errors)
    failed_later = len({str(i) for i, _ in failures})
    total = len(col) + n_load_failed
    summary = BatchSummary(
        total=total,
        done=len(col) - failed_later,
        failed=n_load_failed + failed_later,
        what="images",
        faults=log,
    )
    finish_batch(summary, allow_failures)


@image_app.command("explore")
def explore_cmd(
    source: Path = typer.Argument(
        ..., help="Image folder (class sub-folders optional) or manifest."
    ),
    out: Path = typer.Option(Path("image_report.html"), "--out", "-o", help="HTML report path."),
    k: float = typer.Option(
        1.5, help="Outlier fences: beyond Q1 - K*IQR or Q3 + K*IQR on brightness/contrast/colour."
    ),
    dup_distance: int = typer.Option(
        6, help="Max Hamming distance (of 64 bits) between perceptual hashes of near duplicates."
    ),
    title: str = typer.Option("Image collection", help="Report title."),
    max_pixels: MaxPixels = None,
    allow_failures: AllowFailures = 0,
) -> None:
    """Write an exploration report: sizes, channels, intensity, classes, outliers, duplicates."""
    from labelwise.image.explore import explore_images

    col = _load(source, max_pixels)
    rep = explore_images(col, out=out, title=title, outlier_k=k, duplicate_distance=dup_distance)
    findings = getattr(rep, "findings", {})
    console.print(f"{len(col)} images, {len(col.errors)} could not be read; report: {out}")
    if "outliers" in findings:
        console.print(f"outliers: {findings['outliers']}", highlight=False, markup=False)
    if "cross-split duplicates" in findings:
        err_console.print(
            f"warning: {findings['n_cross_split']} near-duplicate pairs cross dataset splits "
            f"(train/test leakage): {findings['cross-split duplicates']}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    _finish(col, allow_failures)


@image_app.command("features")
def features_cmd(
    source: Path = typer.Argument(..., help="Image folder or manifest."),
    out: Path = typer.Option(..., "--out", "-o", help="Features table (.parquet, .csv, .jsonl)."),
    hog: bool = typer.Option(True, "--hog/--no-hog", help="Include the HOG columns."),
    threshold: str = typer.Option(
        "otsu", help="Threshold for dark/bright shares and contours: 'otsu' or 0-255."
    ),
    foreground: str = typer.Option(
        "auto", help="Object side of the threshold: auto, dark, bright."
    ),
    bins: int = typer.Option(8, help="Histogram bins per colour channel."),
    detect: str = typer.Option(
        "",
        help="Comma-separated detectors whose counts become columns n_<name> "
        "(e.g. 'people,faces').",
    ),
    max_pixels: MaxPixels = None,
    allow_failures: AllowFailures = 0,
) -> None:
    """Turn a folder into a features table (one row per image) for `labelwise label --rules`."""
    from labelwise.image.detect import detection_features
    from labelwise.image.features import FEATURE_GROUPS, extract_features
    from labelwise.io import write_table

    col = _load(source, max_pixels)
    groups = [g for g in FEATURE_GROUPS if hog or g != "hog"]
    thr: str | float = threshold if threshold == "otsu" else float(threshold)
    df = extract_features(col, groups=groups, bins=bins, threshold=thr, foreground=foreground)
    names = [d.strip() for d in detect.split(",") if d.strip()]
    if names:
        det = detection_features(col, names)
        df = df.merge(det, on="item_id", how="left")
    df.attrs = {}
    write_table(df, out)
    failed = int(df["error"].notna().sum())
    console.print(
        f"{len(df)} images x {df.shape[1] - 4} features -> {out}"
        + (f" ({failed} failed, see the 'error' column)" if failed else "")
    )
    bad = df.loc[df["error"].notna(), ["item_id", "error"]]
    _finish(col, allow_failures, list(bad.itertuples(index=False, name=None)), source="features")


@image_app.command("detect")
def detect_cmd(
    source: Path = typer.Argument(..., help="Image folder or manifest."),
    detector: str = typer.Option(
        "people",
        "--detector",
        "-d",
        help="people | faces | fullbody | upperbody | catfaces | haar:XML | yolo:MODEL.onnx | "
        "onnx:MODEL.onnx | darknet:CFG,WEIGHTS",
    ),
    names: Path | None = typer.Option(None, help="Class names file for yolo/onnx/darknet models."),
    conf: float = typer.Option(0.25, help="Confidence threshold (yolo/onnx/darknet)."),
    nms: float = typer.Option(0.45, help="NMS IoU threshold (yolo/onnx/darknet)."),
    input_size: int = typer.Option(640, help="Network input side (yolo/onnx/darknet)."),
    out: Path = typer.Option(
        Path("detections.csv"), "--out", "-o", help="Boxes table, one row per detection."
    ),
    votes: Path | None = typer.Option(
        None, help="Also write image-level votes as a label matrix (.parquet)."
    ),
    label: int = typer.Option(1, help="Class index voted where something is detected."),
    negative_label: int | None = typer.Option(
        None, help="Class index voted where nothing is detected (default: abstain)."
    ),
    export_format: str | None = typer.Option(
        None, help="Also export the boxes as yolo, coco or voc pre-labels."
    ),
    score_column: bool = typer.Option(
        False,
        "--score-column/--score-file",
        help="YOLO pre-labels: scores as a sixth column (most YOLO trainers reject it) "
        "instead of a separate scores/ folder.",
    ),
    export: Path | None = typer.Option(None, help="Where to export (folder, or .json for coco)."),
    max_pixels: MaxPixels = None,
    allow_failures: AllowFailures = 0,
) -> None:
    """Run a pretrained detector; write boxes, and optionally votes and pre-labels."""
    from labelwise.formats import write_annotations
    from labelwise.image.detect import detect_images, detection_votes, load_detector
    from labelwise.io import write_table
    from labelwise.labeling.matrix import LabelMatrix

    if export_format is not None and export is None:
        raise typer.BadParameter("--export is needed with --export-format")
    require_path(source, "image folder or manifest")
    require_path(names, "class names file", kind="file")
    det = load_detector(
        detector,
        class_names=names,
        conf_threshold=conf,
        nms_threshold=nms,
        input_size=input_size,
    )
    col = _load(source, max_pixels)
    res = detect_images(col, det)
    frame = res.to_frame()
    write_table(frame, out)
    n_hit = int((res.counts() > 0).sum())
    console.print(
        f"{det.name}: {len(frame)} boxes in {n_hit} of {len(col)} images -> {out}", highlight=False
    )
    if votes is not None:
        v = detection_votes(res, label, negative_label=negative_label)
        k = max(label, negative_label if negative_label is not None else 0) + 1
        L = LabelMatrix(
            v[:, None],
            names=[f"detect_{det.name}"],
            cardinality=max(2, k),
            index=res.item_ids,
            provenance={
                f"detect_{det.name}": {"kind": "detector", "detector": detector, "label": label}
            },
        )
        L.to_parquet(votes)
        console.print(f"votes -> {votes}")
    if export_format is not None:
        if export is None:
            raise typer.BadParameter("--export is needed with --export-format")
        write_annotations(
            res.to_annotations(),
            export_format,
            export,
            predictions=True,
            scores="column" if score_column else "file",
        )
        console.print(f"{export_format} pre-labels -> {export}")
    _finish(col, allow_failures, list(res.failures), source=f"detect {det.name}")


@image_app.command("augment")
def augment_cmd(
    source: Path = typer.Argument(..., help="Image folder (class sub-folders kept) or manifest."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (never the source)."),
    preset: str = typer.Option(
        "classic",
        help="classic (rot 20, shift 0.1, shear 0.2, zoom 0.2, h-flip), classic-noflip, digits, "
        "light, flips, color, detection.",
    ),
    n: int = typer.Option(2, "--n", help="Augmented copies per image."),
    seed: int = typer.Option(0, help="Random seed (same seed, same output)."),
    labels: Path | None = typer.Option(
        None, help="Box labels to transform along (a YOLO folder, COCO .json or VOC folder)."
    ),
    label_format: str = typer.Option("yolo", help="Format of --labels: yolo, coco or voc."),
    names: Path | None = typer.Option(None, help="Class names file for YOLO labels."),
    copy_originals: bool = typer.Option(
        True, "--copy-originals/--no-copy-originals", help="Also copy the originals to --out."
    ),
    min_visibility: float = typer.Option(
        0.3,
        min=0.0,
        max=1.0,
        help="Keep a transformed box only when at least this share of it stays in the frame "
        "(dropped boxes are counted per image in the manifest and reported).",
    ),
    max_pixels: MaxPixels = None,
    allow_failures: AllowFailures = 0,
) -> None:
    """Multiply a labelled set with label-preserving (and box-aware) augmentation."""
    from rich.markup import escape

    from labelwise.formats import read_annotations
    from labelwise.image.augment import augment_images

    require_path(labels, "box labels")
    require_path(names, "class names file", kind="file")
    col = _load(source, max_pixels)
    ann = None
    if labels is not None:
        ann = read_annotations(label_format, labels, images_dir=source, class_names=names)
        _print_issues(ann.issues)
    res = augment_images(
        col,
        out,
        preset=preset,
        n_per_image=n,
        annotations=ann,
        seed=seed,
        copy_originals=copy_originals,
        min_visibility=min_visibility,
    )
    for item, msg in res.warnings[:20]:
        err_console.print(f"[yellow]warning[/yellow] {escape(f'{item}: {msg}')}", highlight=False)
    if len(res.warnings) > 20:
        err_console.print(f"... and {len(res.warnings) - 20} more warnings", highlight=False)
    n_aug = int(res.manifest["augmented"].sum())
    console.print(f"{n_aug} augmented images (+{len(res.manifest) - n_aug} originals) -> {out}")
    if ann is not None:
        n_in = int(res.manifest.loc[res.manifest["augmented"], "boxes_in"].sum())
        console.print(
            f"boxes: {res.n_boxes_dropped} of {n_in} dropped by the transforms "
            f"(min_visibility {min_visibility}); per image in {out / 'manifest.csv'}",
            highlight=False,
        )
    _finish(col, allow_failures, list(res.failures), source="augment")


@image_app.command("convert")
def convert_cmd(
    src_format: str = typer.Option(..., "--from", help="Source format: yolo, coco or voc."),
    dst_format: str = typer.Option(..., "--to", help="Target format: yolo, coco or voc."),
    input_path: Path = typer.Option(
        ..., "--input", "-i", help="YOLO labels folder, COCO .json, or VOC XML folder."
    ),
    output: Path = typer.Option(
        ..., "--output", "-o", help="YOLO labels folder, COCO .json, or VOC XML folder."
    ),
    images: Path | None = typer.Option(None, help="Images folder (needed for YOLO sizes)."),
    names: Path | None = typer.Option(
        None, help="Class names file (YOLO classes.txt / data.yaml)."
    ),
    out_of_range: str = typer.Option(
        "clip",
        "--out-of-range",
        "--policy",
        help="Bad boxes (outside the image, malformed, unknown class): clip, drop, keep or "
        "error (always reported).",
    ),
    allow_failures: AllowFailures = 0,
) -> None:
    """Convert box annotations between YOLO, COCO and Pascal VOC, reporting bad boxes.

    Exits 3 when any annotation file had errors (see --allow-failures)."""
    from labelwise.formats import convert_annotations

    require_path(input_path, f"{src_format} annotations")
    require_path(images, "images folder", kind="dir")
    require_path(names, "class names file", kind="file")
    s = convert_annotations(
        src_format,
        input_path,
        dst_format,
        output,
        images_dir=images,
        class_names=names,
        policy=out_of_range,
    )
    _print_issues(s.issues, limit=50)
    console.print(
        f"{len(s.items)} images, {s.n_boxes} boxes: {src_format} -> {dst_format} at {output} "
        f"({len(s.errors)} errors, {len(s.issues) - len(s.errors)} warnings)"
    )
    _finish_annotations(s, allow_failures, strict=False)


@image_app.command("validate")
def validate_cmd(
    fmt: str = typer.Option(..., "--format", "-f", help="yolo, coco or voc."),
    input_path: Path = typer.Argument(..., help="YOLO labels folder, COCO .json or VOC folder."),
    images: Path | None = typer.Option(None, help="Images folder."),
    names: Path | None = typer.Option(None, help="Class names file."),
    strict: bool = typer.Option(
        False, help="Also count warnings (clipped boxes, ...) as failures (exit code 3)."
    ),
    allow_failures: AllowFailures = 0,
) -> None:
    """Report out-of-range, degenerate and unknown-class boxes and missing images, per file.

    Exits 3 when any error is found (with --strict: any error or warning), 0 otherwise."""
    from labelwise.formats import read_annotations, validate_annotations

    require_path(input_path, f"{fmt} annotations")
    require_path(images, "images folder", kind="dir")
    require_path(names, "class names file", kind="file")
    s = read_annotations(fmt, input_path, images_dir=images, class_names=names, policy="keep")
    # Boxes outside the image were kept (a warning) on reading; validation makes them errors.
    issues = [f for f in s.issues if f.error != "out_of_range"] + list(validate_annotations(s))
    _print_issues(issues, limit=200)
    errors = [i for i in issues if i.severity == "error"]
    console.print(
        f"{len(s.items)} images, {s.n_boxes} boxes; {len(errors)} errors, "
        f"{len(issues) - len(errors)} warnings"
    )
    _finish_annotations(s, allow_failures, strict=strict, issues=issues)


def _finish_annotations(
    s: Any, allow_failures: int, *, strict: bool, issues: list[Any] | None = None
) -> None:
    """Exit 3 when annotation files had errors (or, with ``strict``, any issue)."""
    from labelwise.faults import BatchSummary, FaultLog

    log = FaultLog()
    bad: set[str] = set()
    for issue in s.issues if issues is None else issues:
        item = str(getattr(issue, "item", None) or issue)
        level = str(getattr(issue, "severity", None) or getattr(issue, "level", "error"))
        message = str(getattr(issue, "message", issue))
        if level == "error" or strict:
            log.error(item, level, message, source="annotations")
            bad.add(item)
        else:
            log.warn(item, level, message, source="annotations")
    files = {str(getattr(it, "id", None) or it) for it in s.items} | bad
    summary = BatchSummary(
        total=len(files), done=len(files) - len(bad), failed=len(bad), what="files", faults=log
    )
    finish_batch(summary, allow_failures)


@image_app.command("autobox")
def autobox_cmd(
    source: Path = typer.Argument(..., help="Image folder of objects on plain backgrounds."),
    out: Path = typer.Option(..., "--out", "-o", help="YOLO labels folder to write."),
    label: str | None = typer.Option(
        None, help="Class of every box (default: the image's class folder, else 'object')."
    ),
    method: str = typer.Option("otsu", help="Threshold method: otsu, fixed or adaptive."),
    min_area: float = typer.Option(0.001, help="Smallest box as a share of the image."),
    max_boxes: int | None = typer.Option(None, help="Keep only the largest N boxes per image."),
    max_pixels: MaxPixels = None,
    allow_failures: AllowFailures = 0,
) -> None:
    """Automatic boxes (threshold + contours) written as YOLO files with in-range coordinates."""
    from labelwise.image.segment import auto_label_images

    col = _load(source, max_pixels)
    s = auto_label_images(
        col, out, label=label, method=method, min_area_fraction=min_area, max_boxes=max_boxes
    )
    _print_issues(s.issues)
    console.print(f"{s.n_boxes} boxes in {len(s.items)} images -> {out} (classes: {s.classes})")
    failed = [
        (str(getattr(i, "item", None) or i), getattr(i, "message", i))
        for i in s.issues
        if (getattr(i, "level", None) or getattr(i, "severity", "")) == "error"
    ]
    _finish(col, allow_failures, failed, source="autobox")


@image_app.command("preprocess")
def preprocess_cmd(
    source: Path = typer.Argument(..., help="Image folder or manifest."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (never the source)."),
    size: int | None = typer.Option(None, help="Resize to SIZE x SIZE."),
    interpolation: str = typer.Option("area", help="nearest, bilinear, bicubic, area or lanczos."),
    letterbox: bool = typer.Option(False, help="Keep the aspect ratio and pad to SIZE."),
    crop: int | None = typer.Option(None, help="Centre-crop to CROP x CROP (after resizing)."),
    grayscale: bool = typer.Option(False, help="Convert to grayscale."),
    equalize: bool = typer.Option(False, help="Histogram equalization of the luminance."),
    max_pixels: MaxPixels = None,
    allow_failures: AllowFailures = 0,
) -> None:
    """Write resized / letterboxed / cropped / equalized copies; originals are never touched."""
    from collections.abc import Callable

    import numpy as np

    from labelwise.image import preprocess as pp

    steps: list[Callable[[np.ndarray], np.ndarray]] = []
    if size is not None:
        if letterbox:
            steps.append(lambda im: pp.letterbox(im, size, interpolation=interpolation)[0])
        else:
            steps.append(lambda im: pp.resize(im, size, interpolation=interpolation))
    if crop is not None:
        steps.append(lambda im: pp.center_crop(im, crop))
    if equalize:
        steps.append(pp.equalize_histogram)
    if grayscale:
        steps.append(pp.to_grayscale)
    col = _load(source, max_pixels)
    written, failures = pp.preprocess_images(col, out, steps)
    console.print(f"{len(written)} images -> {out}")
    _finish(col, allow_failures, list(failures), source="preprocess")


@image_app.command("train")
def train_cmd(
    source: Path | None = typer.Argument(
        None, help="Folder with class sub-folders (omit with --digits)."
    ),
    digits: bool = typer.Option(False, help="Use scikit-learn's bundled digits instead."),
    models: str = typer.Option("svm-flat,svm-hog,cnn", help="Comma-separated models."),
    augment: str = typer.Option(
        "classic-noflip", help="Augmentation preset for the augmented runs, or 'none'."
    ),
    n_augment: int = typer.Option(2, help="Augmented copies per training image."),
    size: int = typer.Option(32, help="Folder images are resized to SIZE x SIZE."),
    test_size: float = typer.Option(0.25, help="Share of images held out for testing."),
    epochs: int = typer.Option(10, help="CNN epochs."),
    seed: int = typer.Option(0, help="Random seed."),
    report: Path = typer.Option(Path("image_training.html"), help="HTML report path."),
) -> None:
    """Train and compare an SVM (pixels / HOG) and a small CNN, with and without augmentation."""
    from sklearn.model_selection import train_test_split

    from labelwise.errors import DataError
    from labelwise.image.classify import load_digits_images
    from labelwise.image.train import collection_to_arrays, compare_classifiers

    if digits:
        X, y, names = load_digits_images()
    elif source is not None:
        X, y, names, _ = collection_to_arrays(source, size=size)
    else:
        raise DataError("give an image folder with class sub-folders, or --digits")
    counts = {int(c): int((y == c).sum()) for c in set(y.tolist())}
    strat = y if min(counts.values()) >= 2 else None
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=strat
    )
    res = compare_classifiers(
        Xtr,
        ytr,
        Xte,
        yte,
        class_names=names,
        models=[m.strip() for m in models.split(",") if m.strip()],
        augment=None if augment == "none" else augment,
        n_augment=n_augment,
        cnn_epochs=epochs,
        seed=seed,
    )
    res.to_report(report)
    console.print(res.table.to_string(index=False))
    console.print(f"report: {report}")


@image_app.command("embed")
def embed_cmd(
    source: Path = typer.Argument(..., help="Image folder or manifest."),
    out: Path = typer.Option(..., "--out", "-o", help="Embeddings table (.parquet/.csv)."),
    backbone: str = typer.Option(
        "classical", help="'classical' features, or a path to an .onnx / TorchScript .pt model."
    ),
    clusters: int | None = typer.Option(None, help="Also k-means into this many clusters."),
    seed: int = typer.Option(0, help="Random seed for clustering."),
    max_pixels: MaxPixels = None,
    allow_failures: AllowFailures = 0,
) -> None:
    """Embed images (for clustering and active learning) and optionally cluster them."""
    import pandas as pd

    from labelwise.image.embed import cluster_images, embed_images
    from labelwise.io import write_table

    col = _load(source, max_pixels)
    emb, ids, failures = embed_images(col, backbone=backbone)
    df = pd.DataFrame(emb, columns=[f"e{i}" for i in range(emb.shape[1])])
    df.insert(0, "item_id", ids)
    if clusters is not None:
        labels, _, sil = cluster_images(emb, clusters, seed=seed)
        df.insert(1, "cluster", labels)
        console.print(f"{clusters} clusters, silhouette {sil:.3f}")
    write_table(df, out)
    console.print(f"{len(ids)} embeddings of dimension {emb.shape[1]} -> {out}")
    _finish(col, allow_failures, list(failures), source="embed")
