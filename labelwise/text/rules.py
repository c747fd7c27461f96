"""Rule helpers for text: keywords, regexes, named patterns, lengths, shouting and VADER.

Every helper returns a :class:`~labelwise.labeling.VectorizedLabelingFunction` that votes on
a whole column at once and also knows how to vote on one row, so all appliers agree.
Missing, empty and non-string cells abstain (a number in a text column is read as its
string form only by the length and pattern rules, which say so).

``keyword`` and ``regex`` are the core helpers from :mod:`labelwise.labeling`, re-exported
here so text rules live in one namespace.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"text": ["WIN a FREE prize, call 08001234567!", "ok see you"]})
>>> pattern("text", "phone", 1).apply_frame(df).tolist()
[1, -1]
>>> length("text", 1, min_words=5).apply_frame(df).tolist()
[1, -1]
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from labelwise._deprecation import renamed_kwarg
from labelwise.errors import RuleError
from labelwise.labeling.lf import VectorizedLabelingFunction, keyword, regex
from labelwise.labeling.space import ABSTAIN
from labelwise.progress import progress as progress_bar

__all__ = [
    "PATTERNS",
    "keyword",
    "length",
    "pattern",
    "regex",
    "uppercase_ratio",
    "vader_scores",
    "vader_sentiment",
]

#: Named regular expressions for :func:`pattern` (all matched case-insensitively).
PATTERNS: dict[str, str] = {
    "url": r"(?:https?://|www\.)\S+|(?<![@\w.-])[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|co\.uk|info|biz)\b",
    "email": r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b",
    # Long digit runs (phone numbers, possibly with spaces or dashes inside).
    "phone": r"(?<!\w)(?:\+?\d[\d -]{8,}\d)(?!\w)",
    # 4-6 digit numbers standing alone, as used for premium SMS short codes.
    "short_code": r"(?<![\w£$€])(?<!\d[.,])\d{4,6}(?![\w%])(?![.,]\d)",
    "money": r"[£$€]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:pounds|dollars|euros|usd|gbp|eur)\b|\b\d+p\b",
    "percent": r"\b\d+(?:\.\d+)?\s?%",
    "number": r"\b\d+(?:[.,]\d+)*\b",
    "exclamations": r"!{2,}",
    "question": r"\?",
    "all_caps_word": r"\b[A-Z]{3,}\b",
    "emoji": r"[\U0001F300-\U0001FAFF\u2600-\u27BF]",
    "repeated_chars": r"(\w)\1{3,}",
}


def _texts(df: Any, column: str) -> tuple[list[str], np.ndarray]:
    """Cells of ``column`` as strings plus a mask of real (non-missing, non-blank) texts."""
    from labelwise.text.clean import prepare_texts

    p = prepare_texts(df[column], name=f"column {column!r}", non_string="coerce")
    return p.texts, p.valid


def _one(x: Any, column: str) -> str | None:
    from labelwise.text.clean import prepare_texts

    p = prepare_texts([x[column]], non_string="coerce")
    return p.texts[0] if p.valid[0] else None


def pattern(
    column: str,
    kind: str,
    label: int,
    *,
    min_count: int = 1,
    case: bool = False,
    name: str | None = None,
) -> VectorizedLabelingFunction:
    """Vote ``label`` where the text holds at least ``min_count`` matches of a pattern.

    Parameters
    ----------
    column : str
        Text column.
    kind : str
        A key of :data:`PATTERNS` (``url``, ``email``, ``phone``, ``short_code``,
        ``money``, ``percent``, ``number``, ``exclamations``, ``question``,
        ``all_caps_word``, ``emoji``, ``repeated_chars``) or a regular expression.
    label : int
        The class to vote.
    min_count : int
        Matches needed (e.g. 3 all-caps words).
    case : bool
        Case-sensitive matching for a custom regex (``all_caps_word`` is always
        case-sensitive; the other named patterns never are).

    Examples
    --------
    >>> import pandas as pd
    >>> lf = pattern("t", "all_caps_word", 1, min_count=2)
    >>> lf.apply_frame(pd.DataFrame({"t": ["URGENT! You WON", "Ok LOL"]})).tolist()
    [1, -1]
    """
    if min_count < 1:
        raise RuleError(f"min_count must be at least 1, got {min_count}")
    if kind in PATTERNS:
        expr = PATTERNS[kind]
        flags = 0 if kind == "all_caps_word" else re.IGNORECASE
        default_name = f"{column}_{kind}" + (f"_x{min_count}" if min_count > 1 else "")
    else:
        expr = kind
        flags = 0 if case else re.IGNORECASE
        default_name = f"{column}_pattern_{kind[:20]}"
    try:
        compiled = re.compile(expr, flags)
    except re.error as exc:
        raise RuleError(
            f"pattern {kind!r} is neither a named pattern ({', '.join(PATTERNS)}) nor a valid "
            f"regular expression: {exc}"
        ) from None

    def hits(t: str) -> bool:
        if min_count == 1:
            return compiled.search(t) is not None
        return any(n >= min_count for n, _ in enumerate(compiled.finditer(t), start=1))

    def vec(df: Any) -> np.ndarray:
        texts, valid = _texts(df, column)
        mask = np.fromiter(
            (ok and hits(t) for t, ok in zip(texts, valid, strict=True)),
            dtype=bool,
            count=len(texts),
        )
        return np.where(mask, label, ABSTAIN).astype(np.int32)

    def row(x: Any) -> int:
        t = _one(x, column)
        return label if t is not None and hits(t) else ABSTAIN

    return VectorizedLabelingFunction(name or default_name, vec, columns=[column], row_f=row)


def length(
    column: str,
    label: int,
    *,
    min_chars: int | None = None,
    max_chars: int | None = None,
    min_words: int | None = None,
    max_words: int | None = None,
    name: str | None = None,
) -> VectorizedLabelingFunction:
    """Vote ``label`` where the text's length lies within the given bounds (inclusive).

    Examples
    --------
    >>> import pandas as pd
    >>> length("t", 0, max_words=2).apply_frame(pd.DataFrame({"t": ["ok", "a b c", None]})).tolist()
    [0, -1, -1]
    """
    from labelwise.text.tokenize import WORD_RE

    bounds = {
        "min_chars": min_chars,
        "max_chars": max_chars,
        "min_words": min_words,
        "max_words": max_words,
    }
    if all(v is None for v in bounds.values()):
        raise RuleError("length() needs at least one of min_chars, max_chars, min_words, max_words")
    for k, v in bounds.items():
        if v is not None and v < 0:
            raise RuleError(f"{k} must be non-negative, got {v}")
    need_words = min_words is not None or max_words is not None

    def ok(t: str) -> bool:
        n = len(t)
        if min_chars is not None and n < min_chars:
            return False
        if max_chars is not None and n > max_chars:
            return False
        if need_words:
            w = len(WORD_RE.findall(t))
            if min_words is not None and w < min_words:
                return False
            if max_words is not None and w > max_words:
                return False
        return True

    def vec(df: Any) -> np.ndarray:
        texts, valid = _texts(df, column)
        mask = np.fromiter(
            (v and ok(t) for t, v in zip(texts, valid, strict=True)), dtype=bool, count=len(texts)
        )
        return np.where(mask, label, ABSTAIN).astype(np.int32)

    def row(x: Any) -> int:
        t = _one(x, column)
        return label if t is not None and ok(t) else ABSTAIN

    desc = "_".join(f"{k}{v}" for k, v in bounds.items() if v is not None)
    return VectorizedLabelingFunction(
        name or f"{column}_len_{desc}", vec, columns=[column], row_f=row
    )


def uppercase_ratio(
    column: str,
    label: int,
    *,
    min_ratio: float = 0.5,
    min_letters: int = 10,
    name: str | None = None,
) -> VectorizedLabelingFunction:
    """Vote ``label`` where at least ``min_ratio`` of the letters are upper case ("shouting").

    Texts with fewer than ``min_letters`` letters abstain (``"OK"`` is not shouting).

    Examples
    --------
    >>> import pandas as pd
    >>> uppercase_ratio("t", 1).apply_frame(pd.DataFrame({"t": ["CALL NOW TO CLAIM", "Call me"]})).tolist()
    [1, -1]
    """
    if not 0 < min_ratio <= 1:
        raise RuleError(f"min_ratio must be in (0, 1], got {min_ratio}")

    def ok(t: str) -> bool:
        letters = [c for c in t if c.isalpha()]
        if len(letters) < min_letters:
            return False
        return sum(c.isupper() for c in letters) / len(letters) >= min_ratio

    def vec(df: Any) -> np.ndarray:
        texts, valid = _texts(df, column)
        mask = np.fromiter(
            (v and ok(t) for t, v in zip(texts, valid, strict=True)), dtype=bool, count=len(texts)
        )
        return np.where(mask, label, ABSTAIN).astype(np.int32)

    def row(x: Any) -> int:
        t = _one(x, column)
        return label if t is not None and ok(t) else ABSTAIN

    return VectorizedLabelingFunction(
        name or f"{column}_upper_{min_ratio}", vec, columns=[column], row_f=row
    )


_ANALYZER: Any = None


def _vader() -> Any:
    global _ANALYZER
    if _ANALYZER is None:
        from labelwise.errors import require

        mod = require("vaderSentiment.vaderSentiment", "text")
        _ANALYZER = mod.SentimentIntensityAnalyzer()
    return _ANALYZER


def vader_scores(
    texts: Any, *, progress: bool | None = None, show_progress: bool | None = None
) -> np.ndarray:
    """VADER compound sentiment of each text in ``[-1, 1]``; ``NaN`` for missing/blank cells.

    VADER is a lexicon and rule-based scorer tuned for short social-media text; it needs
    no model download.

    Returns
    -------
    ndarray of float, shape (n,)

    Examples
    --------
    >>> s = vader_scores(["I love this!", "This is awful", None])
    >>> bool(s[0] > 0.5), bool(s[1] < -0.3), bool(np.isnan(s[2]))
    (True, True, True)
    """
    progress = renamed_kwarg(
        progress, show_progress, old="show_progress", new="progress", where="vader_scores()"
    )
    from labelwise.text.clean import prepare_texts

    p = prepare_texts(texts, non_string="coerce")
    analyzer = _vader()
    out = np.full(len(p), np.nan)
    idx = np.flatnonzero(p.valid)
    for i in progress_bar(idx, total=len(idx), desc="VADER sentiment", enabled=progress):
        out[i] = analyzer.polarity_scores(p.texts[i])["compound"]
    return out


def vader_sentiment(
    column: str,
    *,
    positive: int | None = None,
    negative: int | None = None,
    threshold: float = 0.5,
    name: str | None = None,
) -> VectorizedLabelingFunction:
    """Vote by VADER compound sentiment: ``positive`` where ``>= threshold``, ``negative``
    where ``<= -threshold``; abstain in between and on missing/blank text.

    Parameters
    ----------
    column : str
        Text column.
    positive, negative : int, optional
        Classes to vote for clearly positive / negative texts (at least one).
    threshold : float
        Absolute compound score needed, in (0, 1]. VADER's own convention for "positive"
        is 0.05; labeling functions usually want to be surer.

    Examples
    --------
    >>> import pandas as pd
    >>> lf = vader_sentiment("t", positive=1, negative=0)
    >>> lf.apply_frame(pd.DataFrame({"t": ["Great, I love it!", "Terrible and sad.", "ok"]})).tolist()
    [1, 0, -1]
    """
    if positive is None and negative is None:
        raise RuleError("vader_sentiment() needs positive= and/or negative= classes to vote")
    if not 0 < threshold <= 1:
        raise RuleError(f"threshold must be in (0, 1], got {threshold}")

    def decide(scores: np.ndarray) -> np.ndarray:
        votes = np.full(scores.shape[0], ABSTAIN, dtype=np.int32)
        if positive is not None:
            votes[scores >= threshold] = positive
        if negative is not None:
            votes[scores <= -threshold] = negative
        return votes

    def vec(df: Any) -> np.ndarray:
        return decide(vader_scores(df[column]))

    def row(x: Any) -> int:
        return int(decide(vader_scores([x[column]]))[0])

    return VectorizedLabelingFunction(
        name or f"{column}_vader_{threshold}", vec, columns=[column], row_f=row
    )
