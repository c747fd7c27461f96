"""Loading images: from a folder (optionally class sub-folders), a manifest, or a list.

Every file is checked when it is loaded; an empty, truncated or undecodable file becomes a
:class:`LoadIssue` naming it and is skipped, so one bad file never stops a batch. Legal but
unusual files (an alpha channel, 16-bit depth, a 1x1 image, grayscale among colour images)
are kept and reported as warnings.

Pixels are returned as ``uint8`` arrays in **RGB** order (not OpenCV's BGR): shape
``(h, w, 3)`` for ``mode="rgb"``, ``(h, w)`` for ``mode="gray"``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError
from labelwise.faults import Fault, FaultLog
from labelwise.image.errors import ImageReadError
from labelwise.labeling.space import LabelSpace

__all__ = [
    "IMAGE_SUFFIXES",
    "ImageCollection",
    "LoadIssue",
    "inspect_image",
    "load_images",
    "pixel_limit",
    "read_image",
]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm")
_MODES = ("rgb", "gray", "unchanged")
#: Images with a side below this are reported (kept, but most features mean little).
TINY_SIDE = 8


class LoadIssue(Fault):
    """A problem with one file: a :class:`~labelwise.faults.Fault` of :func:`load_images`.

    ``path`` is the fault's ``item`` and ``level`` its ``severity``: ``"error"`` (the file
    was skipped) or ``"warning"`` (kept). Collections keep them in a
    :class:`~labelwise.faults.FaultLog` (:attr:`ImageCollection.issues`).

    Examples
    --------
    >>> issue = LoadIssue("a.png", "error", "not a readable image")
    >>> str(issue), issue.severity, issue.item
    ('error: a.png: not a readable image', 'error', 'a.png')
    """

    def __init__(self, path: str, level: str, message: str, error: str | None = None) -> None:
        if level not in ("error", "warning"):
            raise DataError(f"level must be 'error' or 'warning', got {level!r}")
        code = error or ("unreadable" if level == "error" else "check")
        super().__init__(path, code, message, "load_images", None, level)  # type: ignore[arg-type]

    @property
    def path(self) -> str:
        return str(self.item)

    @property
    def level(self) -> str:
        return self.severity

    def __str__(self) -> str:
        return f"{self.level}: {self.path}: {self.message}"

    def __reduce__(self) -> Any:
        return (LoadIssue, (self.item, self.severity, self.message, self.error))


@contextlib.contextmanager
def pixel_limit(max_pixels: int | None) -> Iterator[None]:
    """Raise (or with ``0``, lift) Pillow's decompression-bomb limit inside the block.

    Pillow refuses images above ``Image.MAX_IMAGE_PIXELS`` (about 179 million pixels by
    default); labelwise reports such a file as a per-file error naming this override.

    Examples
    --------
    >>> from PIL import Image
    >>> before = Image.MAX_IMAGE_PIXELS
    >>> with pixel_limit(1000):
    ...     Image.MAX_IMAGE_PIXELS
    1000
    >>> Image.MAX_IMAGE_PIXELS == before
    True
    """
    from PIL import Image

    if max_pixels is None:
        yield
        return
    before = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None if max_pixels <= 0 else int(max_pixels)
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = before


def _bomb_error(path: Path, exc: BaseException) -> ImageReadError:
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    return ImageReadError(
        f"image {path.name!r} is larger than the decompression-bomb limit of {limit:,} pixels "
        f"({exc}); if you trust the file, raise the limit with --max-pixels N "
        "(max_pixels= in Python; 0 lifts it)"
    )


def _truncation_warning(path: Path, fmt: str | None) -> str | None:
    """A warning when a decodable file lacks its end marker (JPEG EOI, PNG IEND)."""
    try:
        with path.open("rb") as fh:
            # The end marker may be followed by a trailer (camera metadata): look back far.
            fh.seek(max(0, path.stat().st_size - 1_048_576))
            tail = fh.read()
    except OSError:
        return None
    fmt = (fmt or "").upper()
    if fmt in ("JPEG", "MPO") and b"\xff\xd9" not in tail:
        return (
            "the JPEG file is truncated (no end-of-image marker); it decoded, but the bottom "
            "of the image may be grey or missing: re-download or re-export it"
        )
    if fmt == "PNG" and b"IEND" not in tail[-64:]:
        return (
            "the PNG file is truncated (no IEND chunk); it decoded, but data may be missing: "
            "re-download or re-export it"
        )
    return None


def _open_checked(path: Path, *, decode: bool = True) -> Any:
    """Open with PIL, decode fully, apply EXIF orientation; raise ImageReadError if unusable."""
    import warnings

    from PIL import Image, ImageOps, UnidentifiedImageError

    if not path.exists():
        raise ImageReadError(f"image {str(path)!r} does not exist; check the path")
    if path.is_dir():
        raise ImageReadError(f"{str(path)!r} is a folder, not an image file")
    size = path.stat().st_size
    if size == 0:
        raise ImageReadError(
            f"image {path.name!r} is an empty file (0 bytes); re-export or delete it"
        )
    try:
        with warnings.catch_warnings():
            # Above the limit (but below twice it) Pillow only warns: treat it as the error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb_error(path, exc) from None
    except UnidentifiedImageError:
        raise ImageReadError(
            f"{path.name!r} is not a readable image ({size} bytes, unknown format); "
            "check that it is a JPEG, PNG, BMP, TIFF or WebP file"
        ) from None
    except OSError as exc:
        raise ImageReadError(f"cannot open image {path.name!r}: {exc}") from None
    if decode:
        try:
            im.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb_error(path, exc) from None
        except OSError as exc:
            msg = str(exc)
            hint = (
                "the file is truncated (it ends before the image data does); re-download or re-export it"
                if "truncated" in msg.lower()
                else "the image data is corrupt"
            )
            raise ImageReadError(f"image {path.name!r} cannot be decoded: {msg}; {hint}") from None
        except Exception as exc:  # decoders raise assorted errors on garbage
            raise ImageReadError(
                f"image {path.name!r} cannot be decoded ({type(exc).__name__}: {exc})"
            ) from None
        fmt = im.format
        out: Any = im
        # A broken EXIF block should not lose the pixels.
        with contextlib.suppress(Exception):
            out = ImageOps.exif_transpose(im)
        out.format = fmt
        return out
    return im


def _bit_depth(im: Any) -> int:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return 16
    if mode in ("I", "F"):
        return 32
    if mode == "1":
        return 1
    return 8


def _pil_to_array(im: Any, mode: str, background: tuple[int, int, int]) -> np.ndarray:
    from PIL import Image

    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if mode == "unchanged":
        return np.asarray(im)
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(im).astype(np.float64)
        if im.mode.startswith("I;16"):
            arr = arr / 65535.0 * 255.0
        else:
            lo, hi = float(arr.min()), float(arr.max())
            arr = (arr - lo) / (hi - lo or 1.0) * 255.0
        gray = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
        if mode == "rgb":
            return np.repeat(gray[:, :, None], 3, axis=2)
        return gray
    if im.mode in ("RGBA", "LA", "PA"):
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (*background, 255))
        im = Image.alpha_composite(bg, rgba).convert("RGB")
    if mode == "gray":
        return np.asarray(im.convert("L"), dtype=np.uint8)
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def read_image(
    path: str | Path,
    *,
    mode: str = "rgb",
    background: tuple[int, int, int] = (255, 255, 255),
) -> np.ndarray:
    """Read one image as an array (``uint8`` unless ``mode="unchanged"``).

    Parameters
    ----------
    path : path
    mode : {"rgb", "gray", "unchanged"}
        ``rgb`` gives ``(h, w, 3)`` RGB uint8; ``gray`` gives ``(h, w)`` uint8;
        ``unchanged`` keeps the file's own mode and dtype (RGBA, 16-bit).
    background : (r, g, b)
        Colour that transparent pixels are composited on.

    Raises
    ------
    ImageReadError
        Missing, empty, truncated or undecodable files, naming the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.png"
    >>> Image.new("RGBA", (4, 2), (255, 0, 0, 0)).save(p)
    >>> read_image(p).shape, read_image(p)[0, 0].tolist()
    ((2, 4, 3), [255, 255, 255])
    """
    if mode not in _MODES:
        raise DataError(f"mode={mode!r} is not one of {_MODES}")
    im = _open_checked(Path(path))
    return _pil_to_array(im, mode, background)


def inspect_image(path: str | Path) -> tuple[dict[str, Any], list[str]]:
    """Decode one file fully and return its metadata and warnings.

    Returns
    -------
    meta : dict
        ``width, height, mode, channels, bit_depth, format, file_size, has_alpha``.
    warnings : list of str
        Legal but unusual properties (alpha channel, 16-bit, tiny size, animation).

    Raises
    ------
    ImageReadError
        When the file cannot be used at all.
    """
    p = Path(path)
    im = _open_checked(p)
    bands = im.getbands()
    has_alpha = "A" in bands or (im.mode == "P" and "transparency" in im.info)
    meta = {
        "width": int(im.width),
        "height": int(im.height),
        "mode": im.mode,
        "channels": len(bands),
        "bit_depth": _bit_depth(im),
        "format": (getattr(im, "format", None) or p.suffix.lstrip(".")).upper(),
        "file_size": int(p.stat().st_size),
        "has_alpha": bool(has_alpha),
    }
    warns: list[str] = []
    if has_alpha:
        warns.append(
            f"has an alpha channel ({im.mode}); transparent pixels are composited on white "
            "when read as RGB"
        )
    if meta["bit_depth"] > 8:
        warns.append(f"{meta['bit_depth']}-bit pixels (mode {im.mode}); scaled to 8 bits when read")
    if min(im.width, im.height) < TINY_SIDE:
        warns.append(
            f"image is only {im.width}x{im.height} pixels; most features mean little at this size"
        )
    if getattr(im, "n_frames", 1) > 1:
        warns.append(f"has {im.n_frames} frames; only the first is used")
    truncated = _truncation_warning(p, meta["format"])
    if truncated:
        warns.append(truncated)
    return meta, warns


_COLUMNS = [
    "item_id",
    "path",
    "label",
    "width",
    "height",
    "mode",
    "channels",
    "bit_depth",
    "format",
    "file_size",
    "has_alpha",
]


class ImageCollection:
    """Images that loaded, one row each in :attr:`table`, plus the issues met loading them.

    Attributes
    ----------
    table : DataFrame
        ``item_id, path, label, width, height, mode, channels, bit_depth, format,
        file_size, has_alpha`` (``label`` is missing when no class is known).
    issues : list of LoadIssue
        Errors (file skipped) and warnings (file kept), each naming the file; each is a
        :class:`~labelwise.faults.Fault` (:attr:`faults` gives them as a FaultLog).
    root : Path or None
        The folder loaded from, when there was one.
    """

    def __init__(self, table: Any, issues: Sequence[LoadIssue] = (), *, root: Path | None = None):
        self.table = table.reset_index(drop=True)
        self.issues: list[LoadIssue] = list(issues)
        self.root = root
        #: Pillow's pixel limit used when reading (None: Pillow's default).
        self.max_pixels: int | None = None

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        n_err = len(self.errors)
        return f"ImageCollection({len(self)} images, {n_err} skipped, root={str(self.root)!r})"

    @property
    def paths(self) -> list[Path]:
        return [Path(p) for p in self.table["path"]]

    @property
    def item_ids(self) -> list[str]:
        return [str(i) for i in self.table["item_id"]]

    @property
    def labels(self) -> list[str | None]:
        return [None if not isinstance(v, str) else v for v in self.table["label"].astype(object)]

    @property
    def label_space(self) -> LabelSpace | None:
        names = sorted({v for v in self.labels if v is not None})
        return LabelSpace(names) if names else None

    @property
    def faults(self) -> FaultLog:
        """The load issues as one :class:`~labelwise.faults.FaultLog`."""
        return FaultLog(self.issues)

    @property
    def errors(self) -> list[LoadIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[LoadIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    def encoded_labels(self) -> np.ndarray:
        """Labels as class indices of :attr:`label_space` (``-1`` where unknown)."""
        space = self.label_space
        if space is None:
            return np.full(len(self), -1, dtype=np.int64)
        return np.array([-1 if v is None else space.index(v) for v in self.labels], dtype=np.int64)

    def read(self, i: int, *, mode: str = "rgb") -> np.ndarray:
        """Pixels of the ``i``-th image (see :func:`read_image`)."""
        with pixel_limit(getattr(self, "max_pixels", None)):
            return read_image(self.table["path"].iloc[i], mode=mode)

    def iter_images(
        self, *, mode: str = "rgb", desc: str = "reading images", progress: bool | None = None
    ) -> Iterator[tuple[int, np.ndarray | None, str | None]]:
        """Yield ``(i, pixels, None)``, or ``(i, None, error message)`` for a file that
        stopped being readable since it was loaded."""
        from labelwise.progress import progress as _progress

        for i in _progress(range(len(self)), total=len(self), desc=desc, enabled=progress):
            try:
                yield i, self.read(i, mode=mode), None
            except ImageReadError as exc:
                yield i, None, str(exc)

    def issues_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            [(str(i.item), i.severity, i.message) for i in self.issues],
            columns=["path", "level", "message"],
        )

    def subset(self, mask: Any) -> ImageCollection:
        """A collection with the selected rows (boolean mask or integer positions)."""
        idx = np.asarray(mask)
        rows = self.table[idx] if idx.dtype == bool else self.table.iloc[idx]
        out = ImageCollection(rows, self.issues, root=self.root)
        out.max_pixels = self.max_pixels
        return out


def _scan_folder(root: Path, recursive: bool) -> list[Path]:
    it = root.rglob("*") if recursive else root.glob("*")
    return sorted(
        p
        for p in it
        if p.is_file()
        and (p.suffix.lower() in IMAGE_SUFFIXES)
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _class_folders_auto(root: Path, files: list[Path]) -> bool:
    tops = {f.relative_to(root).parts[0] for f in files if len(f.relative_to(root).parts) > 1}
    return len(tops) >= 2


def load_images(
    source: str | Path | Sequence[str | Path],
    *,
    class_folders: bool | str = "auto",
    recursive: bool = True,
    path_column: str = "path",
    label_column: str | None = "label",
    base_dir: str | Path | None = None,
    verify: bool = True,
    progress: bool | None = None,
    max_pixels: int | None = None,
) -> ImageCollection:
    """Load images from a folder, a manifest table, or a list of paths.

    Parameters
    ----------
    source : path or sequence of paths
        A folder; a CSV/TSV/Parquet/JSONL manifest with a ``path_column`` (and optional
        ``label_column``); or a list of image paths. Files with other extensions found
        explicitly (in a list or manifest) are still tried.
    class_folders : bool or "auto"
        Folder only: name each image's class after its first sub-folder. ``"auto"`` does so
        when at least two sub-folders hold images; images at the top level get no class.
    recursive : bool
        Folder only: also look in sub-folders.
    path_column, label_column : str
        Manifest columns; relative paths are resolved against ``base_dir`` or else the
        manifest's folder.
    verify : bool
        Decode every file to catch truncation (slower, safer). With ``False`` only headers
        are read.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    max_pixels : int, optional
        Pillow's decompression-bomb limit while loading (``0`` lifts it). Files above the
        limit are per-file errors naming this option; the rest of the folder loads.

    Returns
    -------
    ImageCollection
        The images that loaded; ``issues`` lists each file that did not, and warnings.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for c in ("cat", "dog"):
    ...     (d / c).mkdir()
    ...     Image.new("RGB", (16, 12)).save(d / c / "a.png")
    >>> _ = (d / "cat" / "broken.jpg").write_bytes(b"")
    >>> col = load_images(d)
    >>> len(col), col.labels, [i.path for i in col.errors]
    (2, ['cat', 'dog'], ['cat/broken.jpg'])
    """
    import pandas as pd

    from labelwise.progress import progress as _progress

    root: Path | None = None
    entries: list[tuple[Path, str, str | None]] = []  # (path, item_id, label)
    if isinstance(source, (str, Path)) and Path(source).is_dir():
        root = Path(source)
        files = _scan_folder(root, recursive)
        use_classes = (
            _class_folders_auto(root, files) if class_folders == "auto" else bool(class_folders)
        )
        for f in files:
            rel = f.relative_to(root)
            label = rel.parts[0] if use_classes and len(rel.parts) > 1 else None
            entries.append((f, rel.as_posix(), label))
        if not files:
            raise DataError(
                f"folder {str(root)!r} holds no image files ({', '.join(IMAGE_SUFFIXES)}); "
                "check the path"
            )
    elif isinstance(source, (str, Path)):
        p = Path(source)
        if not p.exists():
            raise DataError(f"{str(p)!r} does not exist; give a folder, a manifest or image paths")
        if p.suffix.lower() in IMAGE_SUFFIXES:
            entries.append((p, p.name, None))
        else:
            from labelwise.io import read_table

            df = read_table(p)
            if path_column not in df.columns:
                raise DataError(
                    f"manifest {str(p)!r} has no {path_column!r} column; columns: "
                    f"{list(df.columns)[:20]}. Pass path_column= to name the image path column"
                )
            base = Path(base_dir) if base_dir is not None else p.parent
            has_label = label_column is not None and label_column in df.columns
            for _, row in df.iterrows():
                raw = row[path_column]
                if not isinstance(raw, str) or not raw.strip():
                    continue
                fp = Path(raw)
                full = fp if fp.is_absolute() else base / fp
                lab = row[label_column] if has_label else None
                lab = None if lab is None or (isinstance(lab, float) and lab != lab) else str(lab)
                entries.append((full, raw, lab))
            root = base
    else:
        for s in source:
            fp = Path(s)
            entries.append((fp, str(s), None))
        if not entries:
            raise DataError("no image paths were given; pass a folder, a manifest or a list")

    rows: list[dict[str, Any]] = []
    issues: list[LoadIssue] = []
    for path, item_id, label in _progress(
        entries, total=len(entries), desc="loading images", enabled=progress
    ):
        try:
            with pixel_limit(max_pixels):
                if verify:
                    meta, warns = inspect_image(path)
                else:
                    meta, warns = _header_only(path)
        except ImageReadError as exc:
            issues.append(LoadIssue(item_id, "error", str(exc)))
            continue
        issues.extend(LoadIssue(item_id, "warning", w) for w in warns)
        rows.append({"item_id": item_id, "path": str(path), "label": label, **meta})
    table = pd.DataFrame(rows, columns=_COLUMNS)
    if len(table):
        gray = table["channels"].isin([1, 2])
        if gray.any() and not gray.all():
            n_gray, n_col = int(gray.sum()), int((~gray).sum())
            for item in table.loc[gray, "item_id"]:
                issues.append(
                    LoadIssue(
                        str(item),
                        "warning",
                        f"grayscale image among colour ones ({n_gray} grayscale, {n_col} colour); "
                        "converted to RGB when read",
                    )
                )
    dup_ids: Any = table["item_id"][table["item_id"].duplicated(keep="first")] if len(table) else []
    for item in dup_ids:
        issues.append(LoadIssue(str(item), "warning", "listed more than once; every copy kept"))
    if len(table) == 0:
        detail = "; ".join(str(i) for i in issues[:5])
        raise DataError(f"none of the {len(entries)} image files could be read: {detail}")
    col = ImageCollection(table, issues, root=root)
    col.max_pixels = max_pixels
    return col


def _header_only(path: Path) -> tuple[dict[str, Any], list[str]]:
    im = _open_checked(path, decode=False)
    bands = im.getbands()
    meta = {
        "width": int(im.width),
        "height": int(im.height),
        "mode": im.mode,
        "channels": len(bands),
        "bit_depth": _bit_depth(im),
        "format": (im.format or path.suffix.lstrip(".")).upper(),
        "file_size": int(path.stat().st_size),
        "has_alpha": "A" in bands,
    }
    return meta, []
