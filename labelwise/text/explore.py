"""Text exploration: statistics, n-grams, a word cloud, duplicates and label balance, as HTML.

:func:`explore_text` builds a :class:`labelwise.reports.Report` with the sections a person
checks before writing labeling rules: how long the texts are, which words and phrases
dominate (stop words removed), what the vocabulary looks like, which texts are copies or
near-copies of each other (and whether copies disagree on their label), and how the labels
are balanced when there are labels.

The pieces are plain functions (:func:`text_stats`, :func:`top_ngrams`,
:func:`label_balance`) so notebooks can use them without the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelwise._deprecation import renamed_kwarg
from labelwise.errors import DataError
from labelwise.progress import progress as progress_bar
from labelwise.text.clean import prepare_texts
from labelwise.text.tokenize import WORD_RE, english_stop_words

__all__ = [
    "explore_text",
    "label_balance",
    "text_lengths",
    "text_stats",
    "top_ngrams",
    "word_frequencies",
]

#: Texts longer than this many characters usually exceed a 256-word-piece embedding window.
LONG_TEXT_CHARS = 1000


def text_lengths(texts: Any) -> Any:
    """Characters and words per text, as a DataFrame with columns ``chars`` and ``words``.

    Missing cells count as 0 characters and 0 words.

    Examples
    --------
    >>> text_lengths(["hi there", None]).values.tolist()
    [[8, 2], [0, 0]]
    """
    import pandas as pd

    p = prepare_texts(texts, non_string="coerce")
    chars = np.fromiter((len(t) for t in p.texts), dtype=np.int64, count=len(p))
    n_words = np.fromiter((len(WORD_RE.findall(t)) for t in p.texts), dtype=np.int64, count=len(p))
    return pd.DataFrame({"chars": chars, "words": n_words})


def _word_lists(texts: Any, stop_words: bool | Sequence[str], min_len: int) -> list[list[str]]:
    """Lowercased words of each non-blank text, stop words and short words removed."""
    p = prepare_texts(texts, non_string="coerce")
    stops = _stop_set(stop_words)
    return [
        [w for w in (m.lower() for m in WORD_RE.findall(t)) if len(w) >= min_len and w not in stops]
        for t, ok in zip(p.texts, p.valid, strict=True)
        if ok
    ]


def _ngram_table(word_lists: Sequence[Sequence[str]], n: int, k: int) -> Any:
    """Top ``k`` n-grams of pre-tokenized texts: ``term``, ``count``, ``texts``."""
    import pandas as pd

    counts: Counter[str] = Counter()
    docs: Counter[str] = Counter()
    for ws in word_lists:
        grams = ws if n == 1 else [" ".join(ws[i : i + n]) for i in range(len(ws) - n + 1)]
        counts.update(grams)
        docs.update(set(grams))
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return pd.DataFrame(
        {
            "term": pd.Series([t for t, _ in top], dtype=str),
            "count": pd.Series([c for _, c in top], dtype="int64"),
            "texts": pd.Series([docs[t] for t, _ in top], dtype="int64"),
        }
    )


def word_frequencies(
    texts: Any, *, stop_words: bool | Sequence[str] = True, min_len: int = 2
) -> Counter[str]:
    """Counts of lowercased words across ``texts`` (stop words removed by default).

    Examples
    --------
    >>> word_frequencies(["Free prize, free call", "the call"]).most_common(2)
    [('free', 2), ('call', 2)]
    """
    c: Counter[str] = Counter()
    for ws in _word_lists(texts, stop_words, min_len):
        c.update(ws)
    return c


def _stop_set(stop_words: bool | Sequence[str]) -> frozenset[str]:
    if stop_words is True:
        return english_stop_words()
    if stop_words is False:
        return frozenset()
    return frozenset(w.lower() for w in stop_words)


def top_ngrams(
    texts: Any,
    *,
    n: int = 1,
    k: int = 20,
    stop_words: bool | Sequence[str] = True,
    min_len: int = 2,
) -> Any:
    """The ``k`` most frequent word ``n``-grams, stop words removed before joining.

    Parameters
    ----------
    texts : sequence of str
    n : int
        Words per n-gram (1 = words, 2 = bigrams, ...).
    k : int
        How many to return.
    stop_words : bool or sequence of str
        ``True`` for English stop words (plus chat shorthand), ``False`` for none, or a list.
    min_len : int
        Ignore words shorter than this.

    Returns
    -------
    pandas.DataFrame
        Columns ``term``, ``count`` (occurrences) and ``texts`` (texts containing it),
        most frequent first (ties alphabetically).

    Examples
    --------
    >>> top_ngrams(["a free prize inside", "free prize!", "prize draw"], n=2, k=1).values.tolist()
    [['free prize', 2, 2]]
    """
    if n < 1 or k < 1:
        raise DataError(f"n and k must be at least 1, got n={n}, k={k}")
    return _ngram_table(_word_lists(texts, stop_words, min_len), n, k)


def text_stats(texts: Any) -> dict[str, Any]:
    """Headline numbers about a column of texts.

    Returns
    -------
    dict
        ``n_texts``, ``n_missing``, ``n_empty``, ``n_non_string``, ``n_unique``,
        ``n_duplicate_rows`` (rows repeating an earlier text), ``vocabulary`` (distinct
        lowercased words), ``chars_mean/median/p95/max``, ``words_mean/median/p95/max``,
        ``n_long`` (longer than 1,000 characters).

    Examples
    --------
    >>> s = text_stats(["a b", "a b", "c"])
    >>> s["n_unique"], s["n_duplicate_rows"], s["vocabulary"]
    (2, 1, 3)
    """
    p = prepare_texts(texts, non_string="coerce")
    lengths = text_lengths(p.texts)
    valid = p.valid
    vocab: set[str] = set()
    for t in p.texts:
        vocab.update(m.lower() for m in WORD_RE.findall(t))
    seen: set[str] = set()
    dup_rows = 0
    for t, ok in zip(p.texts, valid, strict=True):
        if not ok:
            continue
        if t in seen:
            dup_rows += 1
        else:
            seen.add(t)
    ch = lengths["chars"].to_numpy()[valid] if valid.any() else np.zeros(1)
    wd = lengths["words"].to_numpy()[valid] if valid.any() else np.zeros(1)
    return {
        "n_texts": len(p),
        "n_missing": p.n_missing,
        "n_empty": p.n_empty,
        "n_non_string": p.n_coerced,
        "n_unique": len(seen),
        "n_duplicate_rows": dup_rows,
        "vocabulary": len(vocab),
        "chars_mean": float(ch.mean()),
        "chars_median": float(np.median(ch)),
        "chars_p95": float(np.percentile(ch, 95)),
        "chars_max": int(ch.max()),
        "words_mean": float(wd.mean()),
        "words_median": float(np.median(wd)),
        "words_p95": float(np.percentile(wd, 95)),
        "words_max": int(wd.max()),
        "n_long": int((lengths["chars"].to_numpy() > LONG_TEXT_CHARS).sum()),
    }


def label_balance(labels: Any) -> Any:
    """Count and share of each label value (missing labels counted as ``(missing)``).

    Examples
    --------
    >>> label_balance(["ham", "spam", "ham", None]).values.tolist()
    [['ham', 2, 0.5], ['spam', 1, 0.25], ['(missing)', 1, 0.25]]
    """
    import pandas as pd

    from labelwise.text.clean import is_missing

    values = labels.tolist() if hasattr(labels, "tolist") else list(labels)
    names = ["(missing)" if is_missing(v) else str(v) for v in values]
    c = Counter(names)
    rows = sorted(c.items(), key=lambda kv: (kv[0] == "(missing)", -kv[1], kv[0]))
    total = max(len(names), 1)
    return pd.DataFrame(
        {
            "label": [r[0] for r in rows],
            "count": [r[1] for r in rows],
            "share": [r[1] / total for r in rows],
        }
    )


def _resolve_input(
    data: Any, column: str | None, label: str | Sequence[Any] | None
) -> tuple[list[Any], list[Any] | None, str, str | None]:
    """(texts, labels, description of the source, label column name) from any input."""
    import pandas as pd

    from labelwise.text.io import guess_text_column, read_texts

    source: str | None = None
    if isinstance(data, (str, Path)):
        source = str(data)
        data = read_texts(data, column=column, label=label if isinstance(label, str) else None)
        column = data.attrs["text_column"]
    if isinstance(data, pd.DataFrame):
        col = column or guess_text_column(data)
        if col not in data.columns:
            raise DataError(f"no text column {col!r}; columns: {list(data.columns)[:30]}")
        if isinstance(label, str):
            if label not in data.columns:
                raise DataError(f"no label column {label!r}; columns: {list(data.columns)[:30]}")
            return data[col].tolist(), data[label].tolist(), source or f"column {col!r}", label
        labels = None if label is None else list(label)
        return data[col].tolist(), labels, source or f"column {col!r}", None
    if isinstance(label, str):
        raise DataError(
            f"label={label!r} names a column, but the texts were given as a list; pass a "
            "DataFrame, or one label per text"
        )
    texts = data.tolist() if hasattr(data, "tolist") else list(data)
    return texts, None if label is None else list(label), source or "texts", None


def explore_text(
    data: Any,
    *,
    column: str | None = None,
    label: str | Sequence[Any] | None = None,
    title: str | None = None,
    near_duplicates: bool = True,
    near_duplicate_threshold: float = 0.8,
    top_k: int = 20,
    max_words: int = 100,
    seed: int = 0,
    out: str | Path | None = None,
    progress: bool | None = None,
    show_progress: bool | None = None,
    strip_html: bool | str = "auto",
    sentiment: bool = True,
    sentiment_sample: int = 20_000,
) -> Any:
    """Explore a column of texts and return (and optionally save) an HTML report.

    Parameters
    ----------
    data : DataFrame, path, or sequence of str
        The texts: a table (with ``column``), a file readable by
        :func:`~labelwise.text.read_texts`, or the texts themselves.
    column : str, optional
        Text column (guessed when omitted).
    label : str or sequence, optional
        Label column name, or one label per text.
    title : str, optional
        Report title.
    near_duplicates : bool
        Look for near-duplicates (MinHash; linear time) as well as exact ones.
    near_duplicate_threshold : float
        Jaccard similarity of character 5-grams above which two texts are near-duplicates.
    top_k : int
        Rows in the n-gram tables.
    max_words : int
        Words in the word cloud.
    seed : int
        Word-cloud layout.
    out : str or Path, optional
        Save the report there as well.
    progress : bool, optional
        A progress bar over the report's steps (default: when stderr is a terminal).
    strip_html : bool or "auto"
        Remove HTML tags and entities before counting words (so ``<br />`` is not the top
        "word" of scraped reviews). ``"auto"`` does it when at least 1% of the texts hold
        markup; the report says how many were stripped.
    sentiment : bool
        Add a sentiment section: VADER compound scores (a lexicon, no download), their
        distribution, and the mean per label.
    sentiment_sample : int
        Score at most this many texts (a seeded random sample; noted in the report).

    Returns
    -------
    labelwise.reports.Report

    Examples
    --------
    >>> r = explore_text(["free prize, call now", "see you soon", "free prize, call now"])
    >>> "Duplicates" in r.section_titles
    True
    """
    progress = renamed_kwarg(
        progress, show_progress, old="show_progress", new="progress", where="explore_text()"
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from labelwise.reports import Report
    from labelwise.text.dedup import (
        duplicate_groups,
        exact_duplicate_groups,
        find_near_duplicates,
    )
    from labelwise.text.wordcloud import word_cloud_figure

    texts, labels, source, label_name = _resolve_input(data, column, label)
    if labels is not None and len(labels) != len(texts):
        raise DataError(f"got {len(texts)} texts but {len(labels)} labels; pass one label per text")
    if not texts:
        raise DataError("no texts to explore; the input is empty")
    from labelwise.text.clean import has_markup, strip_markup

    n_markup = sum(1 for t in texts if isinstance(t, str) and has_markup(t))
    do_strip = (
        bool(strip_html) if strip_html != "auto" else n_markup >= max(1, int(0.01 * len(texts)))
    )
    if do_strip and n_markup:
        texts = [strip_markup(t) if isinstance(t, str) else t for t in texts]
    p = prepare_texts(texts, non_string="coerce")
    stats = text_stats(texts)
    lengths = text_lengths(p.texts)
    report = Report(title or "Text exploration", subtitle=f"{source}: {len(texts):,} texts")
    sections = (
        "overview",
        "lengths",
        "vocabulary",
        "word cloud",
        "sentiment",
        "duplicates",
        "labels",
    )
    steps = progress_bar(iter(sections), total=len(sections), desc="text report", enabled=progress)

    # ---------------------------------------------------------------- overview + alerts
    next(steps, None)
    sec = report.section("Overview")
    sec.kv(
        {
            "texts": stats["n_texts"],
            "missing cells": stats["n_missing"],
            "empty / whitespace-only": stats["n_empty"],
            "non-string cells (read as text)": stats["n_non_string"],
            "distinct texts": stats["n_unique"],
            "rows repeating an earlier text": stats["n_duplicate_rows"],
            "vocabulary (distinct words)": stats["vocabulary"],
            "characters: mean / median / 95% / max": f"{stats['chars_mean']:.1f} / "
            f"{stats['chars_median']:.0f} / {stats['chars_p95']:.0f} / {stats['chars_max']}",
            "words: mean / median / 95% / max": f"{stats['words_mean']:.1f} / "
            f"{stats['words_median']:.0f} / {stats['words_p95']:.0f} / {stats['words_max']}",
        }
    )
    # Filled at the end, shown near the top.
    alert_sec = report.section("Alerts")
    alerts: list[tuple[str, str]] = []
    if do_strip and n_markup:
        alerts.append(
            (
                "info",
                f"HTML markup (tags, entities) was stripped from {n_markup:,} texts before "
                "counting words",
            )
        )
    elif n_markup:
        alerts.append(
            (
                "warning",
                f"{n_markup:,} texts hold HTML markup that was counted as words; pass "
                "strip_html=True to remove it",
            )
        )
    if p.n_missing:
        alerts.append(("warning", f"{p.n_missing} missing cells: labelers abstain on them"))
    if p.n_empty:
        alerts.append(
            ("warning", f"{p.n_empty} empty or whitespace-only texts: labelers abstain on them")
        )
    if p.n_coerced:
        kinds = ", ".join(f"{k} x{v}" for k, v in p.coerced_types.items())
        alerts.append(
            ("warning", f"{p.n_coerced} cells are not strings ({kinds}); they are read as text")
        )
    if stats["n_long"]:
        alerts.append(
            (
                "info",
                f"{stats['n_long']} texts are longer than {LONG_TEXT_CHARS:,} characters; the "
                "MiniLM embedding model reads only the first 256 word pieces of each",
            )
        )
    if stats["n_texts"] and stats["n_duplicate_rows"] / stats["n_texts"] > 0.05:
        alerts.append(
            (
                "warning",
                f"{stats['n_duplicate_rows'] / stats['n_texts']:.0%} of rows repeat an earlier "
                "text; deduplicate before splitting train/test to avoid leakage",
            )
        )

    # ---------------------------------------------------------------- lengths
    next(steps, None)
    sec = report.section("Lengths")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    valid = p.valid
    for ax, col, what in ((axes[0], "chars", "characters"), (axes[1], "words", "words")):
        vals = lengths[col].to_numpy()[valid]
        if labels is not None:
            lab = np.array(_label_names(labels))[valid]
            bins = np.histogram_bin_edges(vals, bins=40)
            for name in sorted(set(lab.tolist()))[:8]:
                # Each label normalized on its own, so a small class stays visible.
                ax.hist(
                    vals[lab == name], bins=bins, density=True, histtype="step", lw=1.6, label=name
                )
            ax.legend(fontsize=8)
            ax.set_ylabel("density (per label)")
        else:
            ax.hist(vals, bins=40, color="#0969da")
            ax.set_ylabel("texts")
        ax.set_xlabel(f"{what} per text")
    fig.tight_layout()
    sec.figure(fig, caption="Length distributions (non-empty texts)")
    sec.table(lengths.loc[valid].describe().T.round(1), caption="Length summary (non-empty texts)")
    longest = np.argsort(-lengths["chars"].to_numpy())[:5]
    sec.table(
        pd.DataFrame(
            {
                "row": longest,
                "chars": lengths["chars"].to_numpy()[longest],
                "text": [_clip(p.texts[i]) for i in longest],
            }
        ),
        index=False,
        caption="Longest texts",
    )

    # ---------------------------------------------------------------- vocabulary
    next(steps, None)
    sec = report.section("Vocabulary and n-grams")
    # Tokenize once; every table and cloud below reuses these word lists.
    word_lists = _word_lists(p.texts, True, 2)
    freqs: Counter[str] = Counter()
    for ws in word_lists:
        freqs.update(ws)
    sec.kv(
        {
            "distinct words (all)": stats["vocabulary"],
            "distinct words (stop words removed)": len(freqs),
            "words used once": sum(1 for c in freqs.values() if c == 1),
        }
    )
    uni = _ngram_table(word_lists, 1, top_k)
    if len(uni):
        fig, ax = plt.subplots(figsize=(8, 0.22 * len(uni) + 1))
        ax.barh(uni["term"][::-1], uni["count"][::-1], color="#0969da")
        ax.set_xlabel("occurrences")
        fig.tight_layout()
        sec.figure(fig, caption=f"Top {len(uni)} words (stop words removed)")
    for n, name in ((2, "bigrams"), (3, "trigrams")):
        tbl = _ngram_table(word_lists, n, top_k)
        sec.table(tbl, index=False, caption=f"Top {name} (stop words removed)")
    if freqs:
        counts = np.array(sorted(freqs.values(), reverse=True), dtype=float)
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.loglog(np.arange(1, len(counts) + 1), counts, color="#8250df")
        ax.set_xlabel("word rank")
        ax.set_ylabel("occurrences")
        fig.tight_layout()
        sec.figure(fig, caption="Word frequency by rank (a straight line is Zipf's law)")

    # ---------------------------------------------------------------- word cloud
    next(steps, None)
    sec = report.section("Word cloud")
    sec.figure(
        word_cloud_figure(freqs, max_words=max_words, seed=seed),
        caption=f"The {max_words} most frequent words, sized by frequency",
    )
    # Labels of the non-blank texts, aligned with word_lists.
    lab_valid = (
        [n for n, ok in zip(_label_names(labels), p.valid, strict=True) if ok]
        if labels is not None
        else []
    )

    def label_counter(name: str) -> Counter[str]:
        c: Counter[str] = Counter()
        for ws, lab in zip(word_lists, lab_valid, strict=True):
            if lab == name:
                c.update(ws)
        return c

    if labels is not None:
        for name in [n for n in label_balance(labels)["label"].tolist() if n != "(missing)"][:4]:
            sec.figure(
                word_cloud_figure(
                    label_counter(name),
                    max_words=max(20, max_words // 2),
                    seed=seed,
                    width=7,
                    height=3.2,
                ),
                caption=f"Words in texts labeled {name!r}",
            )

    # ---------------------------------------------------------------- sentiment
    next(steps, None)
    if sentiment:
        _sentiment_section(report, p.texts, p.valid, labels, sentiment_sample, seed, plt)

    # ---------------------------------------------------------------- duplicates
    next(steps, None)
    sec = report.section("Duplicates")
    dups = exact_duplicate_groups(p.texts)
    sec.kv(
        {
            "groups of identical texts (case and spacing ignored)": len(dups),
            "texts in those groups": sum(len(g) for g in dups),
        }
    )
    if dups:
        rows = []
        for g in dups[:15]:
            row: dict[str, Any] = {
                "copies": len(g),
                "first row": g[0],
                "text": _clip(p.texts[g[0]]),
            }
            if labels is not None:
                row["labels"] = _label_mix(labels, g)
            rows.append(row)
        sec.table(pd.DataFrame(rows), index=False, caption="Largest groups of identical texts")
        if labels is not None:
            conflicting = [g for g in dups if len({str(labels[i]) for i in g}) > 1]
            if conflicting:
                alerts.append(
                    (
                        "warning",
                        f"{len(conflicting)} groups of identical texts carry different labels "
                        "(label noise or an ambiguous class)",
                    )
                )
    if near_duplicates:
        pairs = find_near_duplicates(p.texts, threshold=near_duplicate_threshold)
        groups = duplicate_groups(
            len(p), zip(pairs["i"].tolist(), pairs["j"].tolist(), strict=True)
        )
        sec.heading("Near-duplicates")
        sec.text(
            f"{len(pairs):,} pairs of distinct texts share at least {near_duplicate_threshold:.0%} "
            f"of their character 5-grams (Jaccard), forming {len(groups):,} groups.",
            muted=True,
        )
        if len(pairs):
            rows = []
            for _, r in pairs.head(15).iterrows():
                i, j = int(r["i"]), int(r["j"])
                row = {
                    "similarity": round(float(r["similarity"]), 3),
                    "row a": i,
                    "text a": _clip(p.texts[i], 90),
                    "row b": j,
                    "text b": _clip(p.texts[j], 90),
                }
                if labels is not None:
                    row["labels"] = f"{labels[i]} / {labels[j]}"
                rows.append(row)
            sec.table(pd.DataFrame(rows), index=False, caption="Most similar near-duplicate pairs")
        if labels is not None and len(pairs):
            differ = sum(
                str(labels[i]) != str(labels[j])
                for i, j in zip(pairs["i"].tolist(), pairs["j"].tolist(), strict=True)
            )
            if differ:
                alerts.append(("warning", f"{differ} near-duplicate pairs carry different labels"))

    # ---------------------------------------------------------------- labels
    next(steps, None)
    if labels is not None:
        sec = report.section("Labels")
        bal = label_balance(labels)
        sec.table(
            bal, index=False, caption=f"Label balance{f' ({label_name})' if label_name else ''}"
        )
        fig, ax = plt.subplots(figsize=(6, 0.3 * len(bal) + 1.2))
        ax.barh(bal["label"][::-1], bal["count"][::-1], color="#1a7f37")
        ax.set_xlabel("texts")
        fig.tight_layout()
        sec.figure(fig, caption="Texts per label")
        known = bal[bal["label"] != "(missing)"]
        if len(known) >= 2 and known["count"].max() >= 10 * known["count"].min():
            alerts.append(
                (
                    "warning",
                    f"labels are imbalanced: {known['label'].iloc[0]!r} has "
                    f"{known['count'].iloc[0]:,} texts, {known['label'].iloc[-1]!r} only "
                    f"{known['count'].iloc[-1]:,}; report per-class precision/recall, not accuracy",
                )
            )
        if (bal["label"] == "(missing)").any():
            n_miss = int(bal.loc[bal["label"] == "(missing)", "count"].iloc[0])
            alerts.append(("info", f"{n_miss} texts have no label"))
        by_label = pd.DataFrame({"label": _label_names(labels)})
        by_label = pd.concat([by_label, lengths], axis=1)
        sec.table(
            by_label.groupby("label")[["chars", "words"]].mean().round(1),
            caption="Mean length by label",
        )
        rows = []
        for name in known["label"].tolist()[:8]:
            top = [
                w
                for w, _ in sorted(label_counter(name).items(), key=lambda kv: (-kv[1], kv[0]))[:10]
            ]
            rows.append({"label": name, "top words": ", ".join(top)})
        sec.table(pd.DataFrame(rows), index=False, caption="Most frequent words per label")

    for _ in steps:  # close the bar
        pass
    alert_sec.alerts(alerts or [("info", "nothing unusual found")])
    if out is not None:
        report.save(out)
    return report


def _sentiment_section(
    report: Any,
    texts: Sequence[str],
    valid: Any,
    labels: Sequence[Any] | None,
    sample: int,
    seed: int,
    plt: Any,
) -> None:
    """VADER compound scores: distribution, positive/neutral/negative shares, per label."""
    import pandas as pd

    from labelwise.text.rules import vader_scores

    sec = report.section("Sentiment")
    idx = np.flatnonzero(np.asarray(valid, dtype=bool))
    if len(idx) == 0:
        sec.text("No non-blank texts to score.")
        return
    note = ""
    if len(idx) > sample:
        idx = np.sort(np.random.default_rng(seed).choice(idx, size=sample, replace=False))
        note = f" (a random sample of {sample:,} texts)"
    try:
        scores = vader_scores([texts[int(i)] for i in idx], progress=False)
    except ImportError as exc:
        sec.alerts([("warning", f"sentiment skipped: {exc}")])
        return
    pos = float(np.mean(scores >= 0.05))
    neg = float(np.mean(scores <= -0.05))
    sec.text(
        "VADER compound sentiment (a lexicon tuned for short social-media text; -1 very "
        f"negative, +1 very positive){note}."
    )
    sec.kv(
        {
            "positive (>= 0.05)": f"{pos:.1%}",
            "neutral": f"{1 - pos - neg:.1%}",
            "negative (<= -0.05)": f"{neg:.1%}",
            "mean compound score": f"{float(np.mean(scores)):.3f}",
        }
    )
    fig, ax = plt.subplots(figsize=(6, 2.8))
    ax.hist(scores, bins=40, range=(-1, 1), color="#1a7f37")
    ax.set_xlabel("compound score")
    ax.set_ylabel("texts")
    fig.tight_layout()
    sec.figure(fig, caption="Sentiment of the texts")
    if labels is not None:
        names = _label_names(labels)
        labs = [names[int(i)] for i in idx]
        frame = pd.DataFrame({"label": labs, "score": scores})
        table = (
            frame.groupby("label")["score"]
            .agg(texts="size", mean="mean", positive=lambda s: float((s >= 0.05).mean()))
            .round(3)
            .reset_index()
        )
        sec.table(table, index=False, caption="Sentiment per label")


def _label_names(labels: Sequence[Any]) -> list[str]:
    from labelwise.text.clean import is_missing

    return ["(missing)" if is_missing(v) else str(v) for v in labels]


def _clip(text: str, n: int = 140) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 1] + "…"


def _label_mix(labels: Sequence[Any], group: Sequence[int]) -> str:
    c = Counter(str(labels[i]) for i in group)
    return ", ".join(f"{k} x{v}" for k, v in c.most_common())
