"""Turning a column of cells into clean Python strings, with a stated policy for bad cells.

Every text tool in labelwise (rules, embeddings, TF-IDF, exploration) receives its input
through :func:`prepare_texts`, so they all treat odd cells the same way:

* missing cells (``None``, ``NaN``, ``pd.NA``) become ``""`` and are marked invalid;
* empty and whitespace-only strings are kept but marked invalid (labelers abstain on them);
* other non-string cells (numbers, bytes, lists) are converted with ``str()`` (bytes are
  decoded as UTF-8 with replacement) and counted, or rejected when ``non_string="raise"``;
* texts longer than ``max_chars`` characters are cut to their first ``max_chars``
  characters and counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from labelwise.errors import DataError

__all__ = ["PreparedTexts", "has_markup", "is_missing", "prepare_texts", "strip_markup"]

_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_SCRIPT_RE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_ENTITY_RE = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]{2,8});")
_SPACES_RE = re.compile(r"[ \t\f\v]+")


def has_markup(text: str) -> bool:
    """True when ``text`` holds HTML tags or character entities.

    Examples
    --------
    >>> has_markup("Great film.<br /><br />Loved it"), has_markup("2 < 3 and 5 > 4")
    (True, False)
    """
    return bool(_TAG_RE.search(text) or _ENTITY_RE.search(text))


def strip_markup(text: str) -> str:
    r"""``text`` without HTML tags, comments, scripts and styles; entities decoded; line
    breaks (``<br>``, ``</p>``) kept as newlines.

    Examples
    --------
    >>> strip_markup("Great film.<br /><br />Loved it &amp; the <i>score</i>")
    'Great film.\nLoved it & the score'
    """
    import html

    out = _SCRIPT_RE.sub(" ", text)
    out = _COMMENT_RE.sub(" ", out)
    out = re.sub(r"<br\s*/?>|</p\s*>|</div\s*>|</li\s*>", "\n", out, flags=re.I)
    out = _TAG_RE.sub(" ", out)
    out = html.unescape(out)
    out = _SPACES_RE.sub(" ", out)
    lines = [line.strip() for line in out.split("\n")]
    return "\n".join(line for line in lines if line)


NonString = Literal["coerce", "raise", "missing"]


def is_missing(value: Any) -> bool:
    """True for ``None``, float ``NaN`` and ``pd.NA``/``NaT``-like scalars."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    try:
        import pandas as pd

        return bool(value is pd.NA or value is pd.NaT)
    except ImportError:  # pragma: no cover - pandas is a core dependency
        return False


@dataclass
class PreparedTexts:
    """Strings ready for a text tool, with a mask of usable items and counts of repairs.

    Attributes
    ----------
    texts : list of str
        One string per input cell (``""`` for missing cells), length ``n``.
    valid : ndarray of bool, shape (n,)
        False for missing, empty and whitespace-only cells.
    missing : ndarray of bool, shape (n,)
        True for missing cells (and for non-strings when ``non_string="missing"``).
    n_missing, n_empty, n_coerced, n_truncated : int
        How many cells were missing, blank, converted from a non-string, or cut.
    """

    texts: list[str]
    valid: np.ndarray
    missing: np.ndarray
    n_missing: int = 0
    n_empty: int = 0
    n_coerced: int = 0
    n_truncated: int = 0
    coerced_types: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.texts)

    def summary(self) -> dict[str, int]:
        """Counts for provenance and reports."""
        return {
            "n_items": len(self.texts),
            "n_missing": self.n_missing,
            "n_empty": self.n_empty,
            "n_coerced": self.n_coerced,
            "n_truncated": self.n_truncated,
        }


def _as_list(values: Any, name: str) -> list[Any]:
    if isinstance(values, str):
        raise DataError(
            f"{name} is a single string ({values[:40]!r}); pass a list or column of texts, "
            "e.g. [text]"
        )
    if hasattr(values, "tolist") and not isinstance(values, list):
        out = values.tolist()
        if not isinstance(out, list):
            raise DataError(f"{name} must be one-dimensional; got a scalar {out!r}")
        return out
    if isinstance(values, Iterable):
        return list(values)
    raise DataError(
        f"{name} must be a list or column of texts, got {type(values).__name__}; "
        "pass e.g. df['text'] or a list of strings"
    )


def prepare_texts(
    values: Any,
    *,
    name: str = "texts",
    non_string: NonString = "coerce",
    max_chars: int | None = None,
) -> PreparedTexts:
    """Normalize a sequence of cells into strings following the module's policy.

    Parameters
    ----------
    values : sequence, Series or array of length n
        The cells.
    name : str
        What to call the input in error messages (e.g. the column name).
    non_string : {"coerce", "raise", "missing"}
        What to do with cells that are neither strings nor missing: convert them with
        ``str()`` (default), raise a :class:`~labelwise.errors.DataError` naming the first
        offending positions, or treat them as missing.
    max_chars : int, optional
        Cut longer texts to their first ``max_chars`` characters.

    Returns
    -------
    PreparedTexts
        ``texts`` (n strings) and ``valid`` (n booleans) plus repair counts.

    Examples
    --------
    >>> p = prepare_texts(["hi", None, "  ", 42])
    >>> p.texts, p.valid.tolist(), p.n_coerced
    (['hi', '', '  ', '42'], [True, False, False, True], 1)
    """
    if non_string not in ("coerce", "raise", "missing"):
        raise DataError(f"non_string must be 'coerce', 'raise' or 'missing', got {non_string!r}")
    if max_chars is not None and max_chars < 1:
        raise DataError(f"max_chars must be a positive number of characters, got {max_chars}")
    cells = _as_list(values, name)
    texts: list[str] = []
    valid = np.ones(len(cells), dtype=bool)
    missing = np.zeros(len(cells), dtype=bool)
    n_missing = n_empty = n_coerced = n_truncated = 0
    coerced_types: dict[str, int] = {}
    bad: list[tuple[int, str]] = []
    for i, v in enumerate(cells):
        if isinstance(v, str):
            s = v
        elif is_missing(v):
            texts.append("")
            valid[i] = False
            missing[i] = True
            n_missing += 1
            continue
        elif non_string == "raise":
            bad.append((i, type(v).__name__))
            texts.append("")
            continue
        elif non_string == "missing":
            texts.append("")
            valid[i] = False
            missing[i] = True
            n_missing += 1
            continue
        else:
            s = (
                bytes(v).decode("utf-8", errors="replace")
                if isinstance(v, (bytes, bytearray))
                else str(v)
            )
            n_coerced += 1
            t = type(v).__name__
            coerced_types[t] = coerced_types.get(t, 0) + 1
        if max_chars is not None and len(s) > max_chars:
            s = s[:max_chars]
            n_truncated += 1
        if not s.strip():
            valid[i] = False
            n_empty += 1
        texts.append(s)
    if bad:
        shown = ", ".join(f"[{i}] is {t}" for i, t in bad[:5])
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        raise DataError(
            f"{name} must hold strings, but {shown}{more}. Convert the column first "
            "(e.g. df[col].astype(str)) or pass non_string='coerce'"
        )
    return PreparedTexts(
        texts=texts,
        valid=valid,
        missing=missing,
        n_missing=n_missing,
        n_empty=n_empty,
        n_coerced=n_coerced,
        n_truncated=n_truncated,
        coerced_types=coerced_types,
    )
