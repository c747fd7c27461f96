"""Span labeling for entities: span rules, token-level votes, and BIO aggregation.

A *span labeler* finds character spans ``[start, end)`` with an entity type in a text:
:class:`RegexSpans` (a regular expression) and :class:`GazetteerSpans` (a list of known
names, longest match first). Several span labelers usually disagree at the edges, so they
are reconciled per token, the same way document labelers are reconciled per item:

1. texts are tokenized (:func:`~labelwise.text.tokenize.tokens_with_offsets`);
2. each labeler votes, for every token it covers, the type of its span there
   (:func:`apply_span_labelers` returns a token-level :class:`LabelMatrix`: one row per
   token of every text, one column per span labeler, classes = entity types, ``ABSTAIN``
   where the labeler found nothing);
3. :func:`aggregate_span_votes` takes the majority type per token (or the prediction of any
   label model from :mod:`labelwise.models`), marks tokens without a winner ``O`` and
   writes BIO tags, splitting two same-type neighbours only where more labelers end a span
   between them than carry one across.

Examples
--------
>>> cities = gazetteer_spans({"LOC": ["New York", "Paris"]}, name="cities")
>>> people = regex_spans(r"\\b(?:Mr|Ms)\\.? [A-Z][a-z]+", "PER", name="titles")
>>> votes = apply_span_labelers(["Mr. Smith flew to New York."], [cities, people])
>>> aggregate_span_votes(votes)[0].tags
['B-PER', 'I-PER', 'I-PER', 'O', 'O', 'B-LOC', 'I-LOC', 'O']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelwise._deprecation import renamed_kwarg
from labelwise.errors import RuleError
from labelwise.faults import FaultLog, call_safely
from labelwise.labeling.matrix import LabelMatrix
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.progress import progress as progress_bar
from labelwise.text.tokenize import Token, tokens_with_offsets

__all__ = [
    "GazetteerSpans",
    "RegexSpans",
    "Span",
    "SpanLabeler",
    "SpanVotes",
    "TaggedText",
    "aggregate_span_votes",
    "apply_span_labelers",
    "bio_tags",
    "bio_to_spans",
    "gazetteer_spans",
    "regex_spans",
]


@dataclass(frozen=True, order=True)
class Span:
    """A typed character span ``[start, end)`` of a text, and who found it."""

    start: int
    end: int
    label: str
    source: str = ""

    def text_of(self, text: str) -> str:
        """The covered substring of ``text``."""
        return text[self.start : self.end]


class SpanLabeler:
    """Base class: ``find(text) -> list[Span]``; subclasses implement :meth:`find`."""

    name: str
    labels: tuple[str, ...]

    def find(self, text: str) -> list[Span]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, text: str) -> list[Span]:
        return self.find(text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, labels={list(self.labels)})"


class RegexSpans(SpanLabeler):
    """Spans matched by a regular expression (``group`` picks a capture group).

    Examples
    --------
    >>> RegexSpans("money", r"£\\d+", "MONEY").find("win £500 now")
    [Span(start=4, end=8, label='MONEY', source='money')]
    """

    def __init__(
        self, name: str, pattern: str, label: str, *, group: int | str = 0, case: bool = False
    ) -> None:
        if not name:
            raise RuleError("a span labeler needs a non-empty name")
        try:
            self.regex = re.compile(pattern, 0 if case else re.IGNORECASE)
        except re.error as exc:
            raise RuleError(f"span regex {pattern!r} of {name!r} does not compile: {exc}") from None
        if isinstance(group, int) and group > self.regex.groups:
            raise RuleError(
                f"span regex {pattern!r} has {self.regex.groups} groups; group={group} does not exist"
            )
        self.name = name
        self.label = str(label)
        self.labels = (self.label,)
        self.group = group

    def find(self, text: str) -> list[Span]:
        out = []
        for m in self.regex.finditer(text):
            s, e = m.span(self.group)
            if s >= 0 and e > s:
                out.append(Span(s, e, self.label, self.name))
        return out


class GazetteerSpans(SpanLabeler):
    """Spans of known names (a gazetteer), longest name first, on word boundaries.

    Parameters
    ----------
    name : str
        Labeler name (a column of the token-level label matrix).
    terms : mapping type -> names, or iterable of names
        Known names per entity type; a plain iterable needs ``label=``.
    label : str, optional
        The type of a plain iterable of names.
    case : bool
        Case-sensitive matching.
    word_boundary : bool
        Only match whole words (``"Paris"`` not inside ``"Parisian"``).

    Examples
    --------
    >>> g = GazetteerSpans("places", {"LOC": ["York", "New York"]})
    >>> [(s.start, s.end) for s in g.find("to New York")]
    [(3, 11)]
    """

    def __init__(
        self,
        name: str,
        terms: Mapping[str, Iterable[str]] | Iterable[str],
        *,
        label: str | None = None,
        case: bool = False,
        word_boundary: bool = True,
    ) -> None:
        if not name:
            raise RuleError("a span labeler needs a non-empty name")
        if isinstance(terms, Mapping):
            by_type = {str(k): [str(t) for t in v] for k, v in terms.items()}
        else:
            if label is None:
                raise RuleError(
                    f"gazetteer {name!r} got a plain list of names; say their type with label="
                )
            by_type = {str(label): [str(t) for t in terms]}
        lookup: dict[str, str] = {}
        for typ, names in by_type.items():
            for t in names:
                t = t.strip()
                if not t:
                    continue
                key = t if case else t.lower()
                if key in lookup and lookup[key] != typ:
                    raise RuleError(
                        f"gazetteer {name!r} lists {t!r} under both {lookup[key]!r} and {typ!r}"
                    )
                lookup[key] = typ
        if not lookup:
            raise RuleError(f"gazetteer {name!r} has no names")
        # Longest alternatives first, so "New York" wins over "York".
        alts = sorted(lookup, key=len, reverse=True)
        body = "|".join(re.escape(a) for a in alts)
        pat = rf"(?<!\w)(?:{body})(?!\w)" if word_boundary else f"(?:{body})"
        self.regex = re.compile(pat, 0 if case else re.IGNORECASE)
        self.lookup = lookup
        self.case = case
        self.name = name
        self.labels = tuple(sorted(set(lookup.values())))

    def find(self, text: str) -> list[Span]:
        out = []
        for m in self.regex.finditer(text):
            key = m.group() if self.case else m.group().lower()
            out.append(Span(m.start(), m.end(), self.lookup[key], self.name))
        return out


def regex_spans(
    pattern: str, label: str, *, name: str | None = None, group: int | str = 0, case: bool = False
) -> RegexSpans:
    """A :class:`RegexSpans` labeler (named ``re_<label>`` by default)."""
    return RegexSpans(name or f"re_{label}", pattern, label, group=group, case=case)


def gazetteer_spans(
    terms: Mapping[str, Iterable[str]] | Iterable[str],
    *,
    label: str | None = None,
    name: str | None = None,
    case: bool = False,
    word_boundary: bool = True,
) -> GazetteerSpans:
    """A :class:`GazetteerSpans` labeler (named ``gaz_<types>`` by default)."""
    if name is None:
        types = sorted(terms) if isinstance(terms, Mapping) else [str(label)]
        name = "gaz_" + "_".join(types)
    return GazetteerSpans(name, terms, label=label, case=case, word_boundary=word_boundary)


@dataclass
class SpanVotes:
    """Token-level votes of several span labelers over several texts.

    The span analogue of :class:`~labelwise.labeling.Votes`: the same ``name``,
    ``label_space``, ``provenance`` and ``faults`` (a :class:`~labelwise.faults.FaultLog`),
    with the span structure kept (tokens, token-level matrix, raw spans).

    Attributes
    ----------
    texts : list of str
    tokens : list of list of Token
        Tokens of each text.
    L : LabelMatrix of shape (n_tokens, m)
        Entity-type index voted by each labeler for each token (``ABSTAIN`` = no span).
    doc_index : ndarray of int, shape (n_tokens,)
        Which text each token row belongs to.
    starts : ndarray of bool, shape (n_tokens, m)
        Whether the labeler's span begins at this token.
    entity_types : list of str
        Class names of ``L`` (``LabelSpace`` order).
    spans : list of list of list of Span
        ``spans[doc][labeler]``: the raw spans.
    faults : FaultLog
        One fault per (text, labeler) that raised: ``item`` is the text's index,
        ``source`` the labeler's name (that labeler abstains on that text).
    name : str
        What produced the votes (default ``"spans"``).
    label_space : LabelSpace, optional
        The entity types as a label space (the classes of ``L``).
    provenance : dict
        ``kind`` (``"span_labelers"``) and the labelers' names.
    """

    texts: list[str]
    tokens: list[list[Token]]
    L: LabelMatrix
    doc_index: np.ndarray
    starts: np.ndarray
    entity_types: list[str]
    spans: list[list[list[Span]]]
    faults: FaultLog = field(default_factory=FaultLog)
    name: str = "spans"
    label_space: LabelSpace | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.faults, FaultLog):
            self.faults = FaultLog(self.faults)
        if self.label_space is None:
            self.label_space = self.L.label_space

    def fault_counts(self) -> dict[str, int]:
        """Texts each labeler raised on (every labeler listed, 0 when none)."""
        counts = dict.fromkeys(self.L.names, 0)
        counts.update(self.faults.count_by_source())
        return counts


@dataclass
class TaggedText:
    """A text with tokens, one BIO tag per token, and the entity spans those tags form."""

    text: str
    tokens: list[Token]
    tags: list[str]
    spans: list[Span]


def _token_bounds(tokens: Sequence[Token]) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.fromiter((t.start for t in tokens), dtype=np.int64, count=len(tokens)),
        np.fromiter((t.end for t in tokens), dtype=np.int64, count=len(tokens)),
    )


def _covered(starts: np.ndarray, ends: np.ndarray, span: Span) -> tuple[int, int]:
    """Token index range ``[a, b)`` overlapping ``span`` (token ends/starts are sorted)."""
    a = int(np.searchsorted(ends, span.start, side="right"))
    b = int(np.searchsorted(starts, span.end, side="left"))
    return a, max(a, b)


def apply_span_labelers(
    texts: Any,
    labelers: Sequence[SpanLabeler],
    *,
    entity_types: Sequence[str] | None = None,
    strict: bool = False,
    progress: bool | None = None,
    show_progress: bool | None = None,
) -> SpanVotes:
    """Run span labelers over texts and collect their token-level votes.

    Parameters
    ----------
    texts : sequence of str, length n
        Missing and blank cells get no tokens.
    labelers : sequence of SpanLabeler
        Unique names.
    entity_types : sequence of str, optional
        The entity types (class order of ``L``); default: every type the labelers know,
        sorted. Spans of other types raise :class:`RuleError`.
    strict : bool
        Re-raise a labeler's exception instead of recording a fault and abstaining on
        that text.
    progress : bool, optional
        Progress bar over texts (``show_progress=`` is its deprecated old name).

    Returns
    -------
    SpanVotes

    Raises
    ------
    RuleError
        Duplicate labeler names, fewer than 2 entity types overall, or an unknown type.
    """
    from labelwise.text.clean import prepare_texts

    progress = renamed_kwarg(
        progress, show_progress, old="show_progress", new="progress", where="apply_span_labelers()"
    )
    labelers = list(labelers)
    if not labelers:
        raise RuleError("no span labelers were given; pass at least one")
    names = [lf.name for lf in labelers]
    if len(set(names)) != len(names):
        dups = sorted({n for n in names if names.count(n) > 1})
        raise RuleError(f"span labeler names must be unique; repeated: {dups}")
    types = (
        list(entity_types)
        if entity_types is not None
        else sorted({t for lf in labelers for t in lf.labels})
    )
    if len(types) == 1:
        # A label space needs two classes; a lone type gets a placeholder that is never voted.
        types = [*types, "_unused"]
    space = LabelSpace(types)
    p = prepare_texts(texts, name="texts", non_string="coerce")
    m = len(labelers)
    all_tokens: list[list[Token]] = []
    all_spans: list[list[list[Span]]] = []
    blocks: list[np.ndarray] = []
    start_blocks: list[np.ndarray] = []
    doc_rows: list[np.ndarray] = []
    faults = FaultLog()
    steps = progress_bar(range(len(p)), total=len(p), desc="span labelers", enabled=progress)
    for d in steps:
        text = p.texts[d] if p.valid[d] else ""
        toks = tokens_with_offsets(text) if text else []
        all_tokens.append(toks)
        votes = np.full((len(toks), m), ABSTAIN, dtype=np.int64)
        begins = np.zeros((len(toks), m), dtype=bool)
        t_starts, t_ends = _token_bounds(toks)
        doc_spans: list[list[Span]] = []
        for j, lf in enumerate(labelers):
            if not text:
                doc_spans.append([])
                continue
            if strict:
                found = list(lf.find(text))
            else:
                ok, found = call_safely(lf.find, text, item=d, faults=faults, source=lf.name)
                if not ok:
                    doc_spans.append([])
                    continue
                found = list(found)
            doc_spans.append(found)
            # Longest spans claim their tokens first; a labeler votes one type per token.
            for sp in sorted(found, key=lambda s: (-(s.end - s.start), s.start)):
                if sp.label not in space:
                    raise RuleError(
                        f"span labeler {lf.name!r} produced type {sp.label!r}, not one of {types}; "
                        "add it to entity_types="
                    )
                a, b = _covered(t_starts, t_ends, sp)
                if a >= b:
                    continue
                free = votes[a:b, j] == ABSTAIN
                if not free.any():
                    continue
                votes[a:b, j][free] = space.index(sp.label)
                first_free = a + int(np.argmax(free))
                begins[first_free, j] = True
        all_spans.append(doc_spans)
        blocks.append(votes)
        start_blocks.append(begins)
        doc_rows.append(np.full(len(toks), d, dtype=np.int64))
    values = np.vstack(blocks) if blocks else np.zeros((0, m), dtype=np.int64)
    counts = dict.fromkeys(names, 0) | faults.count_by_source()
    L = LabelMatrix(
        values,
        names=names,
        label_space=space,
        provenance={
            n: {"kind": "span_labeler", "type": type(lf).__name__, "faults": counts[n]}
            for n, lf in zip(names, labelers, strict=True)
        },
    )
    return SpanVotes(
        texts=p.texts,
        tokens=all_tokens,
        L=L,
        doc_index=np.concatenate(doc_rows) if doc_rows else np.zeros(0, dtype=np.int64),
        starts=np.vstack(start_blocks) if start_blocks else np.zeros((0, m), dtype=bool),
        entity_types=space.names,
        spans=all_spans,
        faults=faults,
        label_space=space,
        provenance={"kind": "span_labelers", "labelers": names},
    )


def _majority(values: np.ndarray, k: int, min_votes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-row majority class (``ABSTAIN`` on ties or too few votes) and its vote count."""
    n = values.shape[0]
    counts = np.zeros((n, k), dtype=np.int64)
    for j in range(values.shape[1]):
        col = values[:, j]
        has = col != ABSTAIN
        np.add.at(counts, (np.flatnonzero(has), col[has]), 1)
    best = counts.argmax(axis=1) if k else np.zeros(n, dtype=np.int64)
    top = counts[np.arange(n), best] if n else np.zeros(0, dtype=np.int64)
    tied = (counts == top[:, None]).sum(axis=1) > 1
    winner = np.where((top >= min_votes) & ~tied & (top > 0), best, ABSTAIN)
    return winner, top


def aggregate_span_votes(
    votes: SpanVotes,
    *,
    min_votes: int = 1,
    model: Any = None,
) -> list[TaggedText]:
    """Reconcile span labelers per token into BIO tags and entity spans.

    Parameters
    ----------
    votes : SpanVotes
        From :func:`apply_span_labelers`.
    min_votes : int
        Majority mode: a token needs at least this many votes for its winning type
        (ties between types leave the token ``O``).
    model : label model, optional
        Instead of the majority, any object with ``fit(L)`` and ``predict(L)`` returning a
        class per row or ``ABSTAIN`` (e.g. ``labelwise.models.DawidSkene()``); it is fitted
        on the token-level matrix. Tokens no labeler voted on stay ``O`` either way.

    Returns
    -------
    list of TaggedText
        One per text, in order.
    """
    if min_votes < 1:
        raise RuleError(f"min_votes must be at least 1, got {min_votes}")
    L = votes.L.values.astype(np.int64)
    k = len(votes.entity_types)
    any_vote = (L != ABSTAIN).any(axis=1) if L.size else np.zeros(L.shape[0], dtype=bool)
    if model is not None:
        model.fit(votes.L)
        winner = np.asarray(model.predict(votes.L), dtype=np.int64)
        if winner.shape != (L.shape[0],):
            raise RuleError(
                f"the label model predicted shape {winner.shape} for {L.shape[0]} tokens"
            )
        winner = np.where(any_vote, winner, ABSTAIN)
    else:
        winner, _ = _majority(L, k, min_votes)
    # Two neighbouring tokens of the same winning type are split into two entities only when
    # more labelers end a span between them (they vote the type on both tokens but start a
    # new span on the second) than carry one span across. Labelers that did not vote on the
    # previous token are no evidence either way.
    agree = (winner[:, None] == L) & (winner[:, None] != ABSTAIN)
    prev_same = np.zeros_like(agree)
    if L.shape[0] > 1:
        same_doc = votes.doc_index[1:] == votes.doc_index[:-1]
        prev_same[1:] = (L[:-1] == winner[1:, None]) & same_doc[:, None]
    n_split = (agree & votes.starts & prev_same).sum(axis=1)
    n_carry = (agree & ~votes.starts).sum(axis=1)
    begins = n_split > n_carry
    out: list[TaggedText] = []
    row = 0
    for d, toks in enumerate(votes.tokens):
        tags: list[str] = []
        prev = ABSTAIN
        for _ in toks:
            w = int(winner[row])
            if w == ABSTAIN:
                tags.append("O")
            else:
                typ = votes.entity_types[w]
                tags.append(("B-" if prev != w or begins[row] else "I-") + typ)
            prev = w
            row += 1
        out.append(TaggedText(votes.texts[d], toks, tags, bio_to_spans(toks, tags)))
    return out


def bio_tags(tokens: Sequence[Token], spans: Iterable[Span]) -> list[str]:
    """BIO tags of ``tokens`` for non-overlapping ``spans`` (longest first on overlap).

    Examples
    --------
    >>> toks = tokens_with_offsets("call John Smith now")
    >>> bio_tags(toks, [Span(5, 15, "PER")])
    ['O', 'B-PER', 'I-PER', 'O']
    """
    starts, ends = _token_bounds(tokens)
    tags = ["O"] * len(tokens)
    taken = np.zeros(len(tokens), dtype=bool)
    for sp in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        a, b = _covered(starts, ends, sp)
        if a >= b or taken[a:b].any():
            continue
        taken[a:b] = True
        tags[a] = f"B-{sp.label}"
        for i in range(a + 1, b):
            tags[i] = f"I-{sp.label}"
    return tags


def bio_to_spans(tokens: Sequence[Token], tags: Sequence[str]) -> list[Span]:
    """Character spans formed by BIO ``tags`` over ``tokens`` (a stray ``I-`` starts one).

    Examples
    --------
    >>> toks = tokens_with_offsets("call John Smith now")
    >>> bio_to_spans(toks, ["O", "B-PER", "I-PER", "O"])
    [Span(start=5, end=15, label='PER', source='')]
    """
    if len(tokens) != len(tags):
        raise RuleError(f"{len(tokens)} tokens but {len(tags)} tags; give one tag per token")
    out: list[Span] = []
    cur: list[Any] | None = None
    for tok, tag in zip(tokens, tags, strict=True):
        if tag == "O" or not tag:
            if cur:
                out.append(Span(cur[0], cur[1], cur[2]))
            cur = None
            continue
        prefix, _, typ = tag.partition("-")
        if prefix not in ("B", "I") or not typ:
            raise RuleError(f"tag {tag!r} is not BIO (expected O, B-TYPE or I-TYPE)")
        if prefix == "B" or cur is None or cur[2] != typ:
            if cur:
                out.append(Span(cur[0], cur[1], cur[2]))
            cur = [tok.start, tok.end, typ]
        else:
            cur[1] = tok.end
    if cur:
        out.append(Span(cur[0], cur[1], cur[2]))
    return out
