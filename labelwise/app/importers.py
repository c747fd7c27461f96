"""Importing tasks and annotations into a project, all or nothing.

Sources: a folder of media or text files, a data table (CSV/TSV/JSONL/Parquet, one task per
row), Label Studio JSON, or any annotation export (:mod:`labelwise.formats`). Everything is
read and validated first; media are linked into the project's media folder; then tasks go in
one transaction. A failure removes the media files this import created, so nothing is left
half-imported.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from labelwise.app.errors import BadRequest, PayloadTooLarge
from labelwise.app.media import copy_into, media_kind, probe, safe_relative
from labelwise.app.store import Project, Store
from labelwise.formats import ConversionReport, FormatError, Item, import_items, read_files
from labelwise.progress import progress

__all__ = ["MAX_IMPORT_TASKS", "import_bytes", "import_path", "items_from_rows"]

MAX_IMPORT_TASKS = 2_000_000
TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson")


def _plain(v: Any) -> Any:
    """numpy/pandas scalars -> JSON-ready Python values (NaN -> None)."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, (list, dict, str, bytes)):
        with contextlib.suppress(ValueError, AttributeError):
            v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (str, int, float, bool, list, dict)):
        return v
    return str(v)


def items_from_rows(rows: list[Mapping[str, Any]], *, id_column: str | None = None) -> list[Item]:
    """One item per row; the id comes from ``id_column`` (default ``id`` if present, else the row number)."""
    if not rows:
        raise BadRequest("the table has no rows; nothing to import")
    if id_column is not None and id_column not in rows[0]:
        raise BadRequest(
            f"id column {id_column!r} is not in the table; columns: {list(rows[0])[:20]}"
        )
    col = id_column or ("id" if "id" in rows[0] else None)
    items = []
    for n, row in enumerate(rows, start=1):
        data = {str(k): _plain(v) for k, v in row.items() if k != col}
        item_id = str(_plain(row[col])) if col is not None and row.get(col) is not None else str(n)
        items.append(Item(item_id, data))
    return items


class _MediaImport:
    """Links media into ``media/<project>/`` and remembers what it created, to undo on failure."""

    def __init__(self, store: Store, project: Project) -> None:
        if store.media_root is None:
            raise BadRequest(
                "this server has no media folder; start it on a project folder to import media"
            )
        self.dest = store.media_root / str(project.id)
        self.dest.mkdir(parents=True, exist_ok=True)
        self.created: list[Path] = []

    def add(self, src: Path, rel: str) -> str:
        dest, created = copy_into(src, self.dest, rel)
        if created:
            self.created.append(dest)
        return safe_relative(rel)

    def undo(self) -> None:
        for p in self.created:
            p.unlink(missing_ok=True)


def _folder_items(
    folder: Path, project: Project, media: _MediaImport, report: ConversionReport
) -> list[Item]:
    otype, field = project.config.object_type, project.config.object_field
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    items = []
    for f in progress(files, total=len(files), desc="import files"):
        if f.is_symlink() and not f.resolve().is_relative_to(folder.resolve()):
            report.add(f"{f}: a symlink leading outside the folder; skipped")
            continue
        rel = f.relative_to(folder).as_posix()
        kind = media_kind(f)
        if kind == "text" and otype == "text":
            try:
                text = f.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                report.add(f"{rel}: not UTF-8 text; skipped")
                continue
            items.append(Item(rel, {field: text, "file": rel}))
        elif kind == otype or (otype == "audio" and f.suffix.lower() == ".webm"):
            stored = media.add(f, rel)
            items.append(Item(rel, {field: stored, **probe(f, otype)}))
        else:
            report.add(f"{rel}: not a {otype} file; skipped")
    if not items:
        raise BadRequest(
            f"folder {str(folder)!r} has no {otype} files to import "
            f"(looked for {', '.join(_suffixes(otype))})"
        )
    return items


def _suffixes(otype: str) -> tuple[str, ...]:
    from labelwise.app.media import MEDIA_SUFFIXES

    return MEDIA_SUFFIXES["text" if otype == "text" else otype]


def _attach_media(
    items: list[Item],
    base: Path | None,
    project: Project,
    media: _MediaImport | None,
    report: ConversionReport,
    *,
    media_root: Path | None = None,
) -> None:
    """Link media referenced by relative paths (next to the data file) into the project.

    Every task must carry its object: text tasks their text field, media tasks a file that
    exists (checked here, so no task ever shows a broken image). ``media_root`` is the
    store's media folder, where API uploads must already have put the files.
    """
    otype, field = project.config.object_type, project.config.object_field
    if otype == "text":
        missing = [it.id for it in items if not isinstance(it.data.get(field), str)]
        if missing:
            raise BadRequest(
                f"{len(missing)} task(s) have no text in field {field!r} (e.g. items "
                f"{missing[:5]}); give each task a {field!r} string or set the project's "
                "object field to the column that holds the text"
            )
        return
    absent: list[str] = []
    for it in items:
        value = it.data.get(field)
        if not isinstance(value, str) or not value:
            raise BadRequest(
                f"item {it.id!r} has no {field!r} value; each task needs its {otype} file"
            )
        if value.startswith(("http://", "https://", "data:")):
            continue
        if media is None or base is None:
            # Uploaded through the API: paths refer to files already in the project's media.
            rel = safe_relative(value)
            if media_root is not None and not (media_root / str(project.id) / rel).is_file():
                absent.append(f"{it.id!r} -> {rel!r}")
            continue
        src = Path(value) if Path(value).is_absolute() else base / value
        if not src.is_file():
            raise BadRequest(f"item {it.id!r}: media file {str(src)!r} does not exist")
        rel = src.name if Path(value).is_absolute() else value
        it.data[field] = media.add(src, rel)
        for k, v in probe(src, otype).items():
            it.data.setdefault(k, v)
    if absent:
        raise BadRequest(
            f"{len(absent)} task(s) point to media files the project does not have (e.g. "
            f"{', '.join(absent[:5])}); upload them first (POST /api/projects/{project.id}/media) "
            "or use http(s) URLs"
        )


def _read_source(
    path: Path,
    project: Project,
    fmt: str | None,
    *,
    strict: bool,
    report: ConversionReport,
    existing: list[Item],
    id_column: str | None = None,
) -> tuple[list[Item], bool]:
    """Parse ``path`` -> (items, is_table). Annotation formats go through labelwise.formats."""
    from labelwise.io import read_table

    cfg = project.config
    suffix = path.suffix.lower()
    if (
        fmt in (None, "table")
        and suffix in TABLE_SUFFIXES
        and not (suffix in (".jsonl", ".ndjson") and fmt is None and _looks_like_items(path))
    ):
        df = read_table(path)
        if len(df) > MAX_IMPORT_TASKS:
            raise PayloadTooLarge(
                f"{path.name} has {len(df)} rows; the limit is {MAX_IMPORT_TASKS} per import"
            )
        rows = df.astype(object).where(df.notna(), None).to_dict(orient="records")
        return items_from_rows(rows, id_column=id_column), True
    if fmt is None:
        if suffix in (".jsonl", ".ndjson"):
            fmt = "jsonl"
        elif suffix == ".json":
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise FormatError(f"{path.name} is not valid UTF-8 JSON: {exc}") from None
            fmt = "coco" if isinstance(raw, dict) and "images" in raw else "label_studio"
        elif suffix in (".conll", ".bio", ".iob"):
            fmt = "conll"
        else:
            raise BadRequest(
                f"cannot tell the format of {path.name!r}; pass fmt= one of table, jsonl, csv, "
                "label_studio, coco, yolo, voc, conll"
            )
    files = read_files(path)
    return import_items(
        files, cfg, fmt, items=existing, strict=strict, annotator=None, report=report
    ), False


def _looks_like_items(path: Path) -> bool:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    return False
                return isinstance(row, dict) and isinstance(row.get("data"), dict)
    return False


def import_path(
    store: Store,
    project_id: int,
    path: str | Path,
    *,
    fmt: str | None = None,
    id_column: str | None = None,
    on_duplicate: str = "error",
    strict: bool = False,
) -> dict[str, Any]:
    """Import a folder, table or export file from the local disk (CLI and library use).

    Parameters
    ----------
    fmt : str, optional
        ``table`` (one task per row), or an annotation format (``jsonl``, ``csv``,
        ``label_studio``, ``coco``, ``yolo``, ``voc``, ``conll``); guessed from the path.
        A folder is imported as media files unless ``fmt`` says ``yolo``/``voc``.
    on_duplicate : {"error", "skip", "merge"}
        ``merge`` adds the annotations of known item ids to the existing tasks (YOLO labels
        onto imported images, say).

    Returns
    -------
    dict
        Counts (``tasks``, ``annotations``, ``predictions``), ``skipped`` ids and ``problems``.
    """
    project = store.get_project(project_id)
    p = Path(path)
    if not p.exists():
        raise BadRequest(f"{str(p)!r} does not exist; give a folder, a table or an export file")
    report = ConversionReport()
    media: _MediaImport | None = None
    try:
        if p.is_dir() and fmt not in ("yolo", "voc"):
            media = _MediaImport(store, project)
            items = _folder_items(p, project, media, report)
        else:
            existing = (
                store.export_items(project.id, which="all", include_predictions=False)
                if fmt == "yolo"
                else []
            )
            try:
                items, _ = _read_source(
                    p,
                    project,
                    fmt,
                    strict=strict,
                    report=report,
                    existing=existing,
                    id_column=id_column,
                )
            except FormatError as exc:
                raise BadRequest(str(exc)) from None
            if fmt == "yolo":
                on_duplicate = "merge"
                items = [it for it in items if it.annotations]
            if project.config.object_type != "text":
                media = _MediaImport(store, project)
                _attach_media(items, p.parent if p.is_file() else p, project, media, report)
            else:
                _attach_media(items, None, project, None, report)
        if len(items) > MAX_IMPORT_TASKS:
            raise PayloadTooLarge(
                f"{len(items)} tasks exceed the limit of {MAX_IMPORT_TASKS} per import"
            )
        out = store.add_tasks(project.id, items, on_duplicate=on_duplicate)
    except BaseException:
        if media is not None:
            media.undo()
        raise
    out["problems"] = report.problems
    return out


def import_bytes(
    store: Store,
    project_id: int,
    filename: str,
    data: bytes,
    *,
    fmt: str | None = None,
    on_duplicate: str = "error",
    max_bytes: int,
) -> dict[str, Any]:
    """Import an uploaded file (REST API). Reads nothing from the server's disk but the upload.

    Media paths inside an uploaded table must point to files already uploaded to the
    project's media (``POST /api/projects/{id}/media``) or be http(s) URLs.
    """
    import tempfile

    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"upload of {len(data)} bytes exceeds the {max_bytes} byte limit; split it"
        )
    if not data.strip():
        raise BadRequest(f"uploaded file {filename!r} is empty")
    name = Path(filename or "upload").name
    project = store.get_project(project_id)
    report = ConversionReport()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        if path.suffix.lower() == ".zip" and fmt is None:
            raise BadRequest("a zip upload needs fmt= (yolo or voc)")
        try:
            existing = (
                store.export_items(project.id, which="all", include_predictions=False)
                if fmt == "yolo"
                else []
            )
            items, _ = _read_source(
                path, project, fmt, strict=False, report=report, existing=existing
            )
        except FormatError as exc:
            raise BadRequest(str(exc)) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequest(f"{name} could not be read: {exc}") from None
        if fmt == "yolo":
            on_duplicate = "merge"
            items = [it for it in items if it.annotations]
    if len(items) > MAX_IMPORT_TASKS:
        raise PayloadTooLarge(
            f"{len(items)} tasks exceed the limit of {MAX_IMPORT_TASKS} per import"
        )
    _attach_media(items, None, project, None, report, media_root=store.media_root)
    out = store.add_tasks(project.id, items, on_duplicate=on_duplicate)
    out["problems"] = report.problems
    return out
