"""Media files: kinds by extension, size/duration probing, and safe resolution for serving.

Media live under ``<media root>/<project id>/``; :func:`resolve_media` is the one gate every
served file passes: no absolute paths, no ``..``, no symlink that leads outside the
project's folder, regular files only.
"""

from __future__ import annotations

import os
import shutil
import wave
from pathlib import Path, PurePosixPath
from typing import Any

from labelwise.app.errors import BadRequest, NotFound

__all__ = ["MEDIA_SUFFIXES", "copy_into", "media_kind", "probe", "resolve_media"]

MEDIA_SUFFIXES: dict[str, tuple[str, ...]] = {
    "image": (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp"),
    "audio": (".wav", ".mp3", ".ogg", ".oga", ".flac", ".m4a", ".webm"),
    "video": (".mp4", ".webm", ".ogv", ".mov", ".m4v"),
    "text": (".txt", ".md"),
}


def media_kind(path: str | Path) -> str | None:
    """``image``/``audio``/``video``/``text`` by extension, else ``None`` (``.webm`` is video)."""
    suffix = Path(str(path)).suffix.lower()
    for kind in ("image", "video", "audio", "text"):
        if suffix in MEDIA_SUFFIXES[kind]:
            return kind
    return None


def safe_relative(path: str) -> str:
    """Normalize a media path given by a user; raises on absolute paths and ``..``."""
    p = str(path).replace("\\", "/")
    pp = PurePosixPath(p)
    if not p or pp.is_absolute() or p.startswith("~") or ":" in pp.parts[0]:
        raise BadRequest(f"media path {path!r} must be relative to the project's media folder")
    if any(part in ("..", "") for part in p.split("/")) or "\x00" in p:
        raise BadRequest(f"media path {path!r} may not contain '..' or empty parts")
    return str(pp)


def resolve_media(root: Path, project_id: int, path: str) -> Path:
    """The file to serve for ``path`` in a project, or an error; never outside its folder."""
    rel = safe_relative(path)
    base = (root / str(project_id)).resolve()
    target = (base / rel).resolve()  # follows symlinks
    if not target.is_relative_to(base):
        raise NotFound(f"no media file {path!r} in this project")
    if not target.is_file():
        raise NotFound(f"no media file {path!r} in this project")
    return target


def copy_into(src: Path, dest_root: Path, rel: str) -> tuple[Path, bool]:
    """Hard-link (or copy) ``src`` to ``dest_root/rel``; returns ``(path, created)``.

    An identical existing file is reused; a different one with the same name is an error.
    """
    dest = dest_root / safe_relative(rel)
    if dest.exists():
        if dest.stat().st_size == src.stat().st_size and os.path.samefile(dest, src):
            return dest, False
        if dest.stat().st_size == src.stat().st_size and dest.read_bytes() == src.read_bytes():
            return dest, False
        raise BadRequest(
            f"media file {rel!r} already exists in the project with other content; rename it"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)
    return dest, True


def probe(path: Path, kind: str) -> dict[str, Any]:
    """Size/duration facts the UI and the box exports need (best effort, never raises)."""
    try:
        if kind == "image":
            from PIL import Image

            with Image.open(path) as im:
                return {"width": int(im.width), "height": int(im.height)}
        if kind == "audio" and path.suffix.lower() == ".wav":
            with wave.open(str(path), "rb") as w:
                return {"duration": round(w.getnframes() / float(w.getframerate()), 4)}
        if kind == "video":
            import cv2

            cap = cv2.VideoCapture(str(path))
            try:
                if not cap.isOpened():
                    return {}
                fps = float(cap.get(cv2.CAP_PROP_FPS) or 0)
                frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
                out: dict[str, Any] = {
                    "width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                    "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                }
                if fps > 0:
                    out["fps"] = round(fps, 4)
                    out["frames"] = frames
                    out["duration"] = round(frames / fps, 4) if frames else None
                return {k: v for k, v in out.items() if v}
            finally:
                cap.release()
    except Exception:  # a file we cannot probe is still served; the UI measures it
        return {}
    return {}
