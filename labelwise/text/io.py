"""Loading texts: a column of a CSV/TSV/JSONL/Parquet file, or a folder of ``.txt`` files.

Errors say where the problem is: the file, the line (for CSV/TSV/JSONL) or the byte offset
(for undecodable text), and what to do about it.

TSV files are read *without* quote processing: a text cell such as ``"Hi" she said`` is
taken literally, as in the SMS Spam Collection, where quote handling would silently glue
lines together. CSV files use standard quoting.
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from labelwise._deprecation import renamed_kwarg
from labelwise.errors import DataError
from labelwise.progress import progress as _progress

__all__ = ["detect_encoding", "guess_text_column", "read_text_folder", "read_texts"]

_TEXT_SUFFIXES = (".csv", ".tsv", ".tab", ".jsonl", ".ndjson", ".json", ".parquet", ".pq", ".txt")


def guess_text_column(df: Any) -> str:
    """The column most likely to hold free text: the string column with the longest mean.

    Examples
    --------
    >>> import pandas as pd
    >>> guess_text_column(pd.DataFrame({"label": ["a", "b"], "body": ["a long text", "another"]}))
    'body'
    """
    import pandas as pd

    best, best_len = None, -1.0
    for col in df.columns:
        s = df[col]
        if not (pd.api.types.is_string_dtype(s) or s.dtype == object):
            continue
        lengths = s.map(lambda v: len(v) if isinstance(v, str) else 0)
        mean = float(lengths.mean()) if len(lengths) else 0.0
        if mean > best_len:
            best, best_len = col, mean
    if best is None:
        raise DataError(
            f"no column holds text (columns: {list(df.columns)[:30]}); name it with column="
        )
    return str(best)


def detect_encoding(path: str | Path, encoding: str = "utf-8") -> str:
    """``encoding``, corrected by the file's byte-order mark: a UTF-8 BOM gives
    ``"utf-8-sig"`` (so the first column name does not start with ``\\ufeff``), a UTF-16
    BOM ``"utf-16"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbftext\\nhi\\n")
    >>> detect_encoding(p)
    'utf-8-sig'
    """
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(4)
    except OSError:
        return encoding
    if head.startswith(b"\xef\xbb\xbf") and encoding.lower().replace("_", "-") in (
        "utf-8",
        "utf8",
    ):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and encoding.lower().replace("_", "-") in (
        "utf-8",
        "utf8",
        "utf-16",
    ):
        return "utf-16"
    return encoding


def _read_jsonl(path: Path, encoding: str) -> Any:
    import pandas as pd

    records: list[dict[str, Any]] = []
    with path.open("r", encoding=encoding, errors="strict") as fh:
        lineno = 0
        try:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(
                        f"{str(path)!r} line {lineno}, column {exc.colno}: not valid JSON "
                        f"({exc.msg}); each line must be one JSON object. The line starts "
                        f"{line.strip()[:60]!r}"
                    ) from None
                if not isinstance(obj, dict):
                    raise DataError(
                        f"{str(path)!r} line {lineno}: expected a JSON object like "
                        f'{{"text": "..."}}, got {type(obj).__name__}'
                    )
                records.append(obj)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{str(path)!r} is not valid {encoding} (after line {lineno}, {exc.reason}); "
                "re-save it as UTF-8 or pass encoding="
            ) from None
    return pd.DataFrame.from_records(records)


def _read_delimited(path: Path, sep: str, quoted: bool, encoding: str) -> Any:
    import pandas as pd

    try:
        return pd.read_csv(
            path,
            sep=sep,
            quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE,
            encoding=encoding,
            keep_default_na=False,
            na_values=[""],
        )
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{str(path)!r} is not valid {encoding} at byte {exc.start} ({exc.reason}); "
            "re-save it as UTF-8 or pass encoding="
        ) from None
    except pd.errors.ParserError as exc:
        msg = str(exc).strip()
        m = re.search(r"line (\d+)", msg)
        where = f" at line {m.group(1)}" if m else ""
        raise DataError(
            f"{str(path)!r} is malformed{where}: {msg}. Check that row for a stray "
            f"{'tab' if sep == chr(9) else 'separator or unbalanced quote'}"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{str(path)!r} is empty; nothing to label") from None


def read_texts(
    path: str | Path,
    *,
    column: str | None = None,
    label: str | None = None,
    id_column: str | None = None,
    sep: str | None = None,
    quoted: bool | None = None,
    encoding: str = "utf-8",
) -> Any:
    """Read a table of texts and check the text (and label) columns.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.tsv``/``.tab``, ``.jsonl``/``.ndjson``, ``.json`` (records),
        ``.parquet``; a ``.txt`` file is read as one text per line.
    column : str, optional
        The text column; guessed (longest string column) when omitted.
    label : str, optional
        A label column that must exist.
    id_column : str, optional
        An id column that must exist and be unique.
    sep : str, optional
        Field separator for delimited files (default by extension).
    quoted : bool, optional
        Honour quotes in delimited files (default: yes for CSV, no for TSV).
    encoding : str
        Text encoding; a byte-order mark in the file overrides UTF-8 (see
        :func:`detect_encoding`).

    Returns
    -------
    pandas.DataFrame
        The table, with ``df.attrs["text_column"]`` (and ``"label_column"``) set.

    Raises
    ------
    DataError
        Missing file, unknown extension, malformed row (with its line), missing column.

    Examples
    --------
    >>> df = read_texts("sms.tsv", column="SMS", label="Label")   # doctest: +SKIP
    >>> df.attrs["text_column"]                                     # doctest: +SKIP
    'SMS'
    """
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise DataError(f"text file {str(p)!r} does not exist; check the path")
    if p.is_dir():
        raise DataError(f"{str(p)!r} is a folder; use read_text_folder() for folders of .txt files")
    try:
        "".encode(encoding)
    except LookupError:
        raise DataError(
            f"unknown text encoding {encoding!r}; use e.g. utf-8, latin-1, cp1252"
        ) from None
    encoding = detect_encoding(p, encoding)
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv", ".tab") or (sep is not None and suffix not in (".txt",)):
        separator = sep or ("," if suffix == ".csv" else "\t")
        use_quotes = quoted if quoted is not None else separator == ","
        df = _read_delimited(p, separator, use_quotes, encoding)
    elif suffix in (".jsonl", ".ndjson"):
        df = _read_jsonl(p, encoding)
    elif suffix == ".json":
        try:
            df = pd.read_json(p, encoding=encoding)
        except ValueError as exc:
            raise DataError(f"could not read {str(p)!r} as a JSON list of records: {exc}") from None
    elif suffix in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(p)
        except ImportError as exc:
            raise DataError(
                f"reading {str(p)!r} needs pyarrow; install it with: pip install 'labelwise[parquet]'"
            ) from exc
        except Exception as exc:
            raise DataError(f"{str(p)!r} is not a readable Parquet file: {exc}") from None
    elif suffix == ".txt":
        try:
            lines = p.read_text(encoding=encoding).splitlines()
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{str(p)!r} is not valid {encoding} at byte {exc.start} ({exc.reason}); "
                "re-save it as UTF-8 or pass encoding="
            ) from None
        df = pd.DataFrame({column or "text": lines})
    else:
        raise DataError(
            f"cannot read texts from {str(p)!r}: unknown extension {suffix!r}; use one of "
            f"{', '.join(_TEXT_SUFFIXES)} (or a folder of .txt files with read_text_folder)"
        )
    if len(df) == 0:
        raise DataError(f"{str(p)!r} has no rows; nothing to label")
    df.columns = [str(c) for c in df.columns]
    text_col = column or guess_text_column(df)
    _require_columns(df, p, [text_col] + [c for c in (label, id_column) if c])
    if id_column and df[id_column].duplicated().any():
        dup = df[id_column][df[id_column].duplicated()].iloc[0]
        raise DataError(
            f"id column {id_column!r} in {str(p)!r} repeats the id {dup!r}; ids must be unique"
        )
    df.attrs["text_column"] = text_col
    if label:
        df.attrs["label_column"] = label
    df.attrs["source"] = str(p)
    return df


def _require_columns(df: Any, path: Path, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(
            f"{str(path)!r} has no column {missing[0]!r}; its columns are {list(df.columns)[:30]}"
        )


def read_text_folder(
    folder: str | Path,
    *,
    pattern: str = "*.txt",
    recursive: bool = True,
    label_from_folder: bool = False,
    encoding: str = "utf-8",
    errors: str = "report",
    progress: bool | None = None,
    progress_bar: bool | None = None,
) -> Any:
    """Read every text file under ``folder`` into a table, one row per file.

    Parameters
    ----------
    folder : str or Path
    pattern : str
        Glob pattern of files to read.
    recursive : bool
        Also read sub-folders.
    label_from_folder : bool
        Add a ``label`` column holding each file's parent folder name
        (``reviews/pos/1.txt`` -> ``pos``).
    encoding : str
        Text encoding of the files.
    errors : {"report", "replace", "raise"}
        A file that cannot be read or decoded: ``"report"`` keeps a row with a missing
        ``text`` and the reason in an ``error`` column (and warns once with the count);
        ``"replace"`` decodes with U+FFFD replacement characters; ``"raise"`` stops with a
        :class:`DataError` naming the file and byte offset.
    progress : bool, optional
        Progress bar over files (``progress_bar=`` is its deprecated old name).

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` (path relative to ``folder``), ``path``, ``text`` and optionally
        ``label`` and ``error``; sorted by ``id``.

    Examples
    --------
    >>> df = read_text_folder("reviews", label_from_folder=True)   # doctest: +SKIP
    >>> list(df.columns)                                             # doctest: +SKIP
    ['id', 'path', 'text', 'label']
    """
    import pandas as pd

    progress = renamed_kwarg(
        progress, progress_bar, old="progress_bar", new="progress", where="read_text_folder()"
    )
    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"{str(root)!r} is not a folder; give a folder of .txt files")
    if errors not in ("report", "replace", "raise"):
        raise DataError(f"errors must be 'report', 'replace' or 'raise', got {errors!r}")
    files = sorted(
        f for f in (root.rglob(pattern) if recursive else root.glob(pattern)) if f.is_file()
    )
    if not files:
        raise DataError(
            f"no files matching {pattern!r} under {str(root)!r}"
            f"{' (recursive)' if recursive else ''}; check the folder or pattern="
        )
    rows: list[dict[str, Any]] = []
    failures: list[tuple[str, str]] = []
    for f in _progress(files, total=len(files), desc="reading text files", enabled=progress):
        rel = f.relative_to(root).as_posix()
        row: dict[str, Any] = {"id": rel, "path": str(f), "text": None}
        if label_from_folder:
            row["label"] = f.parent.name if f.parent != root else None
        try:
            raw = f.read_bytes()
            row["text"] = raw.decode(
                encoding, errors="replace" if errors == "replace" else "strict"
            )
        except UnicodeDecodeError as exc:
            reason = f"not valid {encoding} at byte {exc.start} ({exc.reason})"
            if errors == "raise":
                raise DataError(
                    f"{str(f)!r} is {reason}; re-save it as UTF-8, pass encoding=, or "
                    "errors='replace'"
                ) from None
            failures.append((rel, reason))
            row["error"] = reason
        except OSError as exc:
            reason = f"cannot be read ({exc.strerror or exc})"
            if errors == "raise":
                raise DataError(f"{str(f)!r} {reason}") from None
            failures.append((rel, reason))
            row["error"] = reason
        rows.append(row)
    df = pd.DataFrame(rows)
    if failures:
        df["error"] = df.get("error")
        shown = "; ".join(f"{r}: {why}" for r, why in failures[:3])
        warnings.warn(
            f"{len(failures)} of {len(files)} files under {str(root)!r} could not be read and have "
            f"no text ({shown}{'; ...' if len(failures) > 3 else ''}); see the 'error' column",
            UserWarning,
            stacklevel=2,
        )
    df.attrs["text_column"] = "text"
    if label_from_folder:
        df.attrs["label_column"] = "label"
    df.attrs["source"] = str(root)
    return df
