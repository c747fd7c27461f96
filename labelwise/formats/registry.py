"""One entry point for every format: :func:`export_items` and :func:`import_items`.

Exports are a mapping of relative file name -> bytes (one file for most formats, a folder of
files for YOLO and Pascal VOC); :func:`pack_zip` turns several into one download and
:func:`read_files` reads a file, a folder or a zip back into such a mapping.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from labelwise.formats._common import MAX_IMPORT_BYTES
from labelwise.formats.coco import from_coco, to_coco
from labelwise.formats.conll import from_conll, to_conll
from labelwise.formats.csv import from_csv, to_csv
from labelwise.formats.items import ConversionReport, FormatError, Item
from labelwise.formats.jsonl import from_jsonl, to_jsonl
from labelwise.formats.label_studio import from_label_studio, to_label_studio
from labelwise.formats.schema import LabelConfig
from labelwise.formats.voc import from_voc, to_voc
from labelwise.formats.yolo import from_yolo, to_yolo

__all__ = ["FORMATS", "export_items", "import_items", "pack_zip", "read_files"]

#: Format name -> (default file name or None for a folder, media type, needs).
FORMATS: dict[str, tuple[str | None, str, str]] = {
    "jsonl": ("annotations.jsonl", "application/x-ndjson", "any"),
    "csv": ("annotations.csv", "text/csv", "any"),
    "label_studio": ("label_studio.json", "application/json", "any"),
    "coco": ("coco.json", "application/json", "boxes or polygons"),
    "yolo": (None, "application/zip", "boxes or polygons"),
    "voc": (None, "application/zip", "boxes"),
    "conll": ("annotations.conll", "text/plain", "spans"),
    # video tracks (video_boxes); frame ids are the source video's frame numbers
    "mot": (None, "application/zip", "video_boxes"),
    "cvat_video": (None, "application/zip", "video_boxes"),
    "coco_video": ("coco_video.json", "application/json", "video_boxes"),
    "label_studio_video": ("label_studio_video.json", "application/json", "video_boxes"),
}


def _check_format(fmt: str) -> str:
    key = fmt.lower().replace("-", "_").replace(" ", "_")
    key = {
        "labelstudio": "label_studio",
        "ls": "label_studio",
        "pascal_voc": "voc",
        "ndjson": "jsonl",
        "motchallenge": "mot",
        "mot17": "mot",
        "cvat": "cvat_video",
        "cvat_for_video": "cvat_video",
        "ls_video": "label_studio_video",
    }.get(key, key)
    if key not in FORMATS:
        raise FormatError(f"unknown format {fmt!r}; choose one of {sorted(FORMATS)}")
    return key


def export_items(
    items: Iterable[Item],
    config: LabelConfig,
    fmt: str,
    *,
    report: ConversionReport | None = None,
) -> dict[str, bytes]:
    """Write ``items`` in format ``fmt``; returns ``{relative file name: bytes}``.

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "text"},
    ...     "controls": [{"name": "s", "type": "choices", "labels": ["neg", "pos"]}]})
    >>> sorted(export_items([Item("1", {"text": "hi"})], cfg, "jsonl"))
    ['annotations.jsonl']
    """
    key = _check_format(fmt)
    items = list(items)
    name = FORMATS[key][0]
    if key in _VIDEO_KEYS:
        return _export_video(items, config, key, report=report)
    if key == "jsonl":
        return {str(name): to_jsonl(items).encode()}
    if key == "csv":
        return {str(name): to_csv(items, config).encode()}
    if key == "label_studio":
        text = json.dumps(to_label_studio(items, config), ensure_ascii=False, indent=1)
        return {str(name): text.encode()}
    if key == "coco":
        return {str(name): json.dumps(to_coco(items, config), ensure_ascii=False).encode()}
    if key == "conll":
        return {str(name): to_conll(items, config, report=report).encode()}
    if key == "yolo":
        return {k: v.encode() for k, v in to_yolo(items, config).items()}
    return {k: v.encode() for k, v in to_voc(items, config, report=report).items()}


def import_items(
    files: Mapping[str, bytes | str],
    config: LabelConfig,
    fmt: str,
    *,
    items: Iterable[Item] | None = None,
    strict: bool = False,
    annotator: str | None = None,
    report: ConversionReport | None = None,
) -> list[Item]:
    """Read items from ``files`` (as returned by :func:`export_items` or :func:`read_files`).

    ``items`` (the existing images with their sizes) is needed for YOLO, whose files carry
    no image size, and ``annotator`` names who its boxes are from. Everything is parsed and validated before anything is returned, so a bad
    file never leaves a half import behind.
    """
    key = _check_format(fmt)
    total = sum(len(v) for v in files.values())
    if total > MAX_IMPORT_BYTES:
        raise FormatError(
            f"import of {total / 1e6:.0f} MB exceeds the {MAX_IMPORT_BYTES / 1e6:.0f} MB limit; split it"
        )
    if not files:
        raise FormatError(f"no files given to import as {key}")
    if key in _VIDEO_KEYS:
        return _import_video(files, config, key, items=items, annotator=annotator, report=report)
    if key in ("yolo", "voc"):
        if key == "yolo":
            if items is None:
                raise FormatError(
                    "YOLO import needs the items (images with width/height) to attach to"
                )
            return from_yolo(
                files, items, config, strict=strict, annotator=annotator, report=report
            )
        return from_voc(files, config)
    if len(files) != 1:
        raise FormatError(f"{key} import takes one file, got {len(files)}: {sorted(files)[:5]}")
    ((name, data),) = files.items()
    if key == "jsonl":
        return from_jsonl(data, config=config, name=name)
    if key == "csv":
        return from_csv(data, config, name=name)
    if key == "label_studio":
        return from_label_studio(data, config, name=name)
    if key == "coco":
        return from_coco(data, config, name=name)
    return from_conll(data, config, name=name)


_VIDEO_KEYS = ("mot", "cvat_video", "coco_video", "label_studio_video")


def _export_video(
    items: list[Item], config: LabelConfig, key: str, *, report: ConversionReport | None
) -> dict[str, bytes]:
    from labelwise.formats.coco_video import to_coco_video
    from labelwise.formats.cvat_video import to_cvat_video
    from labelwise.formats.label_studio_video import to_label_studio_video
    from labelwise.formats.mot import to_mot

    if key == "mot":
        return {k: v.encode() for k, v in to_mot(items, config, report=report).items()}
    if key == "cvat_video":
        return {k: v.encode() for k, v in to_cvat_video(items, config, report=report).items()}
    if key == "coco_video":
        return {str(FORMATS[key][0]): json.dumps(to_coco_video(items, config)).encode()}
    text = json.dumps(to_label_studio_video(items, config), ensure_ascii=False, indent=1)
    return {str(FORMATS[key][0]): text.encode()}


def _import_video(
    files: Mapping[str, bytes | str],
    config: LabelConfig,
    key: str,
    *,
    items: Iterable[Item] | None,
    annotator: str | None,
    report: ConversionReport | None,
) -> list[Item]:
    from labelwise.formats.coco_video import from_coco_video
    from labelwise.formats.cvat_video import from_cvat_video
    from labelwise.formats.label_studio_video import from_label_studio_video
    from labelwise.formats.mot import from_mot

    if key == "mot":
        return from_mot(files, config, items=items, annotator=annotator, report=report)
    if key == "cvat_video":
        return from_cvat_video(files, config, items=items, annotator=annotator)
    if len(files) != 1:
        raise FormatError(f"{key} import takes one file, got {len(files)}: {sorted(files)[:5]}")
    ((name, data),) = files.items()
    if key == "coco_video":
        return from_coco_video(data, config, name=name)
    return from_label_studio_video(data, config, name=name)


def pack_zip(files: Mapping[str, bytes]) -> bytes:
    """Zip ``{relative name: bytes}`` into one archive (deflated)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            zf.writestr(name, files[name])
    return buf.getvalue()


def read_files(path: str | Path, *, max_bytes: int = MAX_IMPORT_BYTES) -> dict[str, bytes]:
    """A file, a folder (recursively) or a ``.zip`` -> ``{relative name: bytes}``.

    Raises
    ------
    FormatError
        When the path is missing, or the content is larger than ``max_bytes``.
    """
    p = Path(path)
    if not p.exists():
        raise FormatError(f"{str(p)!r} does not exist; give an export file, folder or zip")
    out: dict[str, bytes] = {}
    total = 0
    if p.is_dir():
        for f in sorted(p.rglob("*")):
            if f.is_file() and not f.is_symlink():
                total += f.stat().st_size
                if total > max_bytes:
                    raise FormatError(
                        f"{p} holds more than {max_bytes / 1e6:.0f} MB; split the import"
                    )
                out[f.relative_to(p).as_posix()] = f.read_bytes()
        return out
    if p.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(p) as zf:
                for info in zf.infolist():
                    if info.is_dir():
                        continue
                    total += info.file_size
                    if total > max_bytes:
                        raise FormatError(
                            f"{p} unpacks to more than {max_bytes / 1e6:.0f} MB; split it"
                        )
                    name = PurePosixPath(info.filename)
                    if name.is_absolute() or ".." in name.parts:
                        raise FormatError(f"{p} holds an unsafe path {info.filename!r}")
                    out[str(name)] = zf.read(info)
        except zipfile.BadZipFile:
            raise FormatError(f"{p} is not a valid zip file") from None
        return out
    if p.stat().st_size > max_bytes:
        raise FormatError(f"{p} is larger than {max_bytes / 1e6:.0f} MB; split the import")
    return {p.name: p.read_bytes()}
