"""One entry point for every format: :func:`export_items` and :func:`import_items`.

Exports are a mapping of relative file name -> bytes (one file for most formats, a folder of
files for YOLO and Pascal VOC); :func:`pack_zip` turns several into one download and
:func:`read_files` reads a file, a folder or a zip back into such a mapping.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from labelwise.formats._common import MAX_IMPORT_BYTES
from labelwise.formats.coco import from_coco, to_coco
from labelwise.formats.conll import from_conll, to_conll
from labelwise.formats.csv import from_csv, to_csv
from labelwise.formats.items import FormatError, Item
from labelwise.formats.jsonl import from_jsonl, to_jsonl
from labelwise.formats.label_studio import from_label_studio, to_label_studio
from labelwise.formats.report import ConversionReport, check_policy
from labelwise.formats.schema import LabelConfig
from labelwise.formats.voc import from_voc, to_voc
from labelwise.formats.yolo import from_yolo, to_yolo

__all__ = [
    "FORMATS",
    "FormatReader",
    "FormatWriter",
    "export_items",
    "import_items",
    "pack_zip",
    "read_files",
    "register_format",
]

#: ``writer(items, config, *, report, predictions, scores, policy) -> {relative name: text}``
FormatWriter = Callable[..., Mapping[str, str | bytes]]
#: ``reader(files, config, *, items, annotator, policy, report) -> list[Item]``; ``files``
#: maps relative names to contents (one entry for single-file formats).
FormatReader = Callable[..., list[Item]]

#: Format name -> (default file name or None for a folder, media type, needs).
FORMATS: dict[str, tuple[str | None, str, str]] = {}
_CODECS: dict[str, tuple[FormatWriter, FormatReader]] = {}
_ALIASES: dict[str, str] = {}


def register_format(
    name: str,
    *,
    write: FormatWriter,
    read: FormatReader,
    file_name: str | None,
    media_type: str,
    needs: str = "any",
    aliases: Iterable[str] = (),
) -> None:
    """Add a format to :func:`export_items` / :func:`import_items` (and the app's exports).

    ``file_name`` is the default name of a single-file format, or ``None`` for a folder of
    files (exported as a zip). Both callables take keyword arguments they may ignore (see
    :data:`FormatWriter` and :data:`FormatReader`); a reader reports bad annotations in
    ``report`` and follows ``policy`` (:mod:`labelwise.formats.report`).
    """
    FORMATS[name] = (file_name, media_type, needs)
    _CODECS[name] = (write, read)
    for a in aliases:
        _ALIASES[a] = name


def _one(files: Mapping[str, bytes | str], key: str) -> tuple[str, bytes | str]:
    if len(files) != 1:
        raise FormatError(f"{key} import takes one file, got {len(files)}: {sorted(files)[:5]}")
    ((name, data),) = files.items()
    return name, data


register_format(
    "jsonl",
    write=lambda items, config, **_: {"annotations.jsonl": to_jsonl(items)},
    read=lambda files, config, policy="error", report=None, **_: from_jsonl(
        _one(files, "jsonl")[1],
        config=config,
        name=_one(files, "jsonl")[0],
        policy=policy,
        report=report,
    ),
    file_name="annotations.jsonl",
    media_type="application/x-ndjson",
    aliases=("ndjson",),
)
register_format(
    "csv",
    write=lambda items, config, **_: {"annotations.csv": to_csv(items, config)},
    read=lambda files, config, policy="error", report=None, **_: from_csv(
        _one(files, "csv")[1], config, name=_one(files, "csv")[0], policy=policy, report=report
    ),
    file_name="annotations.csv",
    media_type="text/csv",
)
register_format(
    "label_studio",
    write=lambda items, config, **_: {
        "label_studio.json": json.dumps(
            to_label_studio(items, config), ensure_ascii=False, indent=1
        )
    },
    read=lambda files, config, policy="error", report=None, **_: from_label_studio(
        _one(files, "label_studio")[1],
        config,
        name=_one(files, "label_studio")[0],
        policy=policy,
        report=report,
    ),
    file_name="label_studio.json",
    media_type="application/json",
    aliases=("labelstudio", "ls"),
)
register_format(
    "coco",
    write=lambda items, config, predictions=False, **_: {
        "coco.json": json.dumps(to_coco(items, config, predictions=predictions), ensure_ascii=False)
    },
    read=lambda files, config, policy="error", report=None, **_: from_coco(
        _one(files, "coco")[1], config, name=_one(files, "coco")[0], policy=policy, report=report
    ),
    file_name="coco.json",
    media_type="application/json",
    needs="boxes or polygons",
)


def _read_yolo(
    files: Mapping[str, bytes | str],
    config: LabelConfig,
    *,
    items: Iterable[Item] | None = None,
    **kw: Any,
) -> list[Item]:
    if items is None:
        raise FormatError("YOLO import needs the items (images with width/height) to attach to")
    return from_yolo(files, items, config, **kw)


register_format(
    "yolo",
    write=lambda items, config, **kw: to_yolo(items, config, **kw),
    read=_read_yolo,
    file_name=None,
    media_type="application/zip",
    needs="boxes or polygons",
)
register_format(
    "voc",
    write=lambda items, config, report=None, predictions=False, **_: to_voc(
        items, config, report=report, predictions=predictions
    ),
    read=lambda files, config, policy="error", report=None, **_: from_voc(
        files, config, policy=policy, report=report
    ),
    file_name=None,
    media_type="application/zip",
    needs="boxes",
    aliases=("pascal_voc",),
)
register_format(
    "conll",
    write=lambda items, config, report=None, **_: {
        "annotations.conll": to_conll(items, config, report=report)
    },
    read=lambda files, config, **_: from_conll(
        _one(files, "conll")[1], config, name=_one(files, "conll")[0]
    ),
    file_name="annotations.conll",
    media_type="text/plain",
    needs="spans",
)


# video tracks (video_boxes); frame ids are the source video's frame numbers
def _write_mot(items: list[Item], config: LabelConfig, report: Any = None, **_: Any) -> Any:
    from labelwise.formats.mot import to_mot

    return to_mot(items, config, report=report)


def _read_mot(files: Mapping[str, bytes | str], config: LabelConfig, **kw: Any) -> list[Item]:
    from labelwise.formats.mot import from_mot

    return from_mot(
        files, config, items=kw.get("items"), annotator=kw.get("annotator"), report=kw.get("report")
    )


def _write_cvat_video(items: list[Item], config: LabelConfig, report: Any = None, **_: Any) -> Any:
    from labelwise.formats.cvat_video import to_cvat_video

    return to_cvat_video(items, config, report=report)


def _read_cvat_video(
    files: Mapping[str, bytes | str], config: LabelConfig, **kw: Any
) -> list[Item]:
    from labelwise.formats.cvat_video import from_cvat_video

    return from_cvat_video(files, config, items=kw.get("items"), annotator=kw.get("annotator"))


def _write_coco_video(items: list[Item], config: LabelConfig, **_: Any) -> Any:
    from labelwise.formats.coco_video import to_coco_video

    return {"coco_video.json": json.dumps(to_coco_video(items, config))}


def _read_coco_video(files: Mapping[str, bytes | str], config: LabelConfig, **_: Any) -> list[Item]:
    from labelwise.formats.coco_video import from_coco_video

    name, data = _one(files, "coco_video")
    return from_coco_video(data, config, name=name)


def _write_ls_video(items: list[Item], config: LabelConfig, **_: Any) -> Any:
    from labelwise.formats.label_studio_video import to_label_studio_video

    text = json.dumps(to_label_studio_video(items, config), ensure_ascii=False, indent=1)
    return {"label_studio_video.json": text}


def _read_ls_video(files: Mapping[str, bytes | str], config: LabelConfig, **_: Any) -> list[Item]:
    from labelwise.formats.label_studio_video import from_label_studio_video

    name, data = _one(files, "label_studio_video")
    return from_label_studio_video(data, config, name=name)


register_format(
    "mot",
    write=_write_mot,
    read=_read_mot,
    file_name=None,
    media_type="application/zip",
    needs="video_boxes",
    aliases=("motchallenge", "mot17"),
)
register_format(
    "cvat_video",
    write=_write_cvat_video,
    read=_read_cvat_video,
    file_name=None,
    media_type="application/zip",
    needs="video_boxes",
    aliases=("cvat", "cvat_for_video"),
)
register_format(
    "coco_video",
    write=_write_coco_video,
    read=_read_coco_video,
    file_name="coco_video.json",
    media_type="application/json",
    needs="video_boxes",
)
register_format(
    "label_studio_video",
    write=_write_ls_video,
    read=_read_ls_video,
    file_name="label_studio_video.json",
    media_type="application/json",
    needs="video_boxes",
    aliases=("ls_video",),
)


def _check_format(fmt: str) -> str:
    key = fmt.lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise FormatError(f"unknown format {fmt!r}; choose one of {sorted(FORMATS)}")
    return key


def export_items(
    items: Iterable[Item],
    config: LabelConfig,
    fmt: str,
    *,
    report: ConversionReport | None = None,
    predictions: bool = False,
    scores: str = "file",
    policy: str = "keep",
) -> dict[str, bytes]:
    """Write ``items`` in format ``fmt``; returns ``{relative file name: bytes}``.

    ``predictions=True`` writes the items' pre-labels instead of their annotations (COCO,
    YOLO, VOC); ``scores`` and ``policy`` are YOLO's (see :func:`~labelwise.formats.to_yolo`).

    Examples
    --------
    >>> cfg = LabelConfig.from_dict({"object": {"type": "text"},
    ...     "controls": [{"name": "s", "type": "choices", "labels": ["neg", "pos"]}]})
    >>> sorted(export_items([Item("1", {"text": "hi"})], cfg, "jsonl"))
    ['annotations.jsonl']
    """
    key = _check_format(fmt)
    write = _CODECS[key][0]
    files = write(
        list(items),
        config,
        report=report if report is not None else ConversionReport(),
        predictions=predictions,
        scores=scores,
        policy=policy,
    )
    return {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}


def import_items(
    files: Mapping[str, bytes | str],
    config: LabelConfig,
    fmt: str,
    *,
    items: Iterable[Item] | None = None,
    strict: bool = False,
    annotator: str | None = None,
    report: ConversionReport | None = None,
    policy: str | None = None,
) -> list[Item]:
    """Read items from ``files`` (as returned by :func:`export_items` or :func:`read_files`).

    ``items`` (the existing images with their sizes) is needed for YOLO, whose files carry
    no image size, and ``annotator`` names who its boxes are from. Everything is parsed and
    validated before anything is returned, so a bad file never leaves a half import behind.

    ``policy`` (``error | clip | drop | keep``, see :mod:`labelwise.formats.report`) says what
    the box importers (YOLO, COCO, VOC) do with bad annotations; every problem goes to
    ``report`` with its file and line. The default is ``"error"`` (``"clip"`` for YOLO, whose
    writers often overshoot the image by a rounding error); ``strict=True`` means ``"error"``.
    """
    key = _check_format(fmt)
    if policy is None:
        policy = "error" if strict or key != "yolo" else "clip"
    check_policy(policy)
    total = sum(len(v) for v in files.values())
    if total > MAX_IMPORT_BYTES:
        raise FormatError(
            f"import of {total / 1e6:.0f} MB exceeds the {MAX_IMPORT_BYTES / 1e6:.0f} MB limit; split it"
        )
    if not files:
        raise FormatError(f"no files given to import as {key}")
    read = _CODECS[key][1]
    return read(
        files,
        config,
        items=items,
        annotator=annotator,
        policy=policy,
        report=report if report is not None else ConversionReport(),
    )


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
