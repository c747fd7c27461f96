"""A small, predictable tokenizer shared by exploration, span rules and CoNLL export.

Words are runs of letters/digits (with inner apostrophes: ``don't``); every other
non-space character is a token of its own. Offsets are character positions in the original
string, so spans found by regexes map onto tokens exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["WORD_RE", "Token", "english_stop_words", "tokenize", "tokens_with_offsets", "words"]

WORD_RE = re.compile(r"\w+(?:'\w+)*", re.UNICODE)
_TOKEN_RE = re.compile(r"\w+(?:'\w+)*|[^\w\s]", re.UNICODE)


@lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words without its content words (``call``, ``bill``,
    ``fire``, ...), plus chat shorthand (``u``, ``ur``, ``im``, ...).

    Examples
    --------
    >>> "the" in english_stop_words() and "call" not in english_stop_words()
    True
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    # Chat shorthand fills the top of every SMS/chat word list without saying anything.
    extra = {"u", "ur", "im", "i'm", "it's", "don't", "i'll", "lt", "gt", "amp"}
    # scikit-learn's list also holds content words that matter for labeling ("call" is one
    # of the best spam cues); keep those.
    content = {
        "call", "bill", "fire", "find", "fill", "empty", "interest", "system", "mill", "thick",
        "thin", "cry", "describe", "detail", "front", "back", "bottom", "top", "side", "full",
        "serious", "sincere", "name", "show", "move", "found", "amount",
    }  # fmt: skip
    return (frozenset(ENGLISH_STOP_WORDS) - content) | extra


@dataclass(frozen=True)
class Token:
    """A token and its ``[start, end)`` character offsets in the text."""

    text: str
    start: int
    end: int


def tokens_with_offsets(text: str) -> list[Token]:
    """Tokens of ``text`` with character offsets.

    Examples
    --------
    >>> [(t.text, t.start, t.end) for t in tokens_with_offsets("Call 0800-1!")]
    [('Call', 0, 4), ('0800', 5, 9), ('-', 9, 10), ('1', 10, 11), ('!', 11, 12)]
    """
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def tokenize(text: str) -> list[str]:
    """Token strings of ``text`` (words and single punctuation marks), case kept.

    Examples
    --------
    >>> tokenize("Hi, Bob!")
    ['Hi', ',', 'Bob', '!']
    """
    return _TOKEN_RE.findall(text)


def words(text: str, *, lower: bool = True) -> list[str]:
    """Word tokens only (no punctuation), lowercased by default.

    Examples
    --------
    >>> words("Don't STOP, me now")
    ["don't", 'stop', 'me', 'now']
    """
    found = WORD_RE.findall(text)
    return [w.lower() for w in found] if lower else found
