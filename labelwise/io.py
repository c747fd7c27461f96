"""Reading and writing tables (CSV, TSV, Parquet, JSONL) with clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelwise.errors import DataError

__all__ = ["TABLE_SUFFIXES", "read_table", "write_table"]

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".jsonl", ".ndjson", ".json")


def read_table(path: str | Path, *, na_values: Any = None) -> Any:
    """Read a table into a ``pandas.DataFrame`` by file extension.

    Raises
    ------
    DataError
        When the file does not exist, has an unknown extension, cannot be parsed, or is empty.
    """
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise DataError(f"data file {str(p)!r} does not exist; check the path")
    if p.is_dir():
        raise DataError(f"{str(p)!r} is a folder; give a CSV, TSV, Parquet or JSONL file")
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":
            df = pd.read_csv(p, na_values=na_values)
        elif suffix in (".tsv", ".txt"):
            df = pd.read_csv(p, sep="\t", na_values=na_values)
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(p)
        elif suffix in (".jsonl", ".ndjson"):
            df = pd.read_json(p, lines=True)
        elif suffix == ".json":
            df = pd.read_json(p)
        else:
            raise DataError(
                f"cannot read {str(p)!r}: unknown extension {suffix!r}; "
                f"use one of {', '.join(TABLE_SUFFIXES)}"
            )
    except DataError:
        raise
    except ImportError as exc:
        raise DataError(
            f"reading {str(p)!r} needs an optional package ({exc}); "
            "install it with: pip install 'labelwise[parquet]'"
        ) from exc
    except Exception as exc:
        raise DataError(
            f"could not read {str(p)!r} as {suffix.lstrip('.').upper()}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if len(df) == 0:
        raise DataError(f"data file {str(p)!r} has no rows; nothing to label")
    return df


def write_table(df: Any, path: str | Path) -> Path:
    """Write ``df`` as Parquet, CSV, TSV or JSONL by the extension of ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    suffix = p.suffix.lower()
    if suffix in (".parquet", ".pq"):
        df.to_parquet(p, index=False)
    elif suffix == ".csv":
        df.to_csv(p, index=False)
    elif suffix == ".tsv":
        df.to_csv(p, sep="\t", index=False)
    elif suffix in (".jsonl", ".ndjson"):
        df.to_json(p, orient="records", lines=True)
    else:
        raise DataError(
            f"cannot write {str(p)!r}: unknown extension {suffix!r}; "
            "use .parquet, .csv, .tsv or .jsonl"
        )
    return p
