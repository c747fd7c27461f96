"""``labelwise text ...``: explore texts, label them zero-/few-shot with local embeddings,
find near-duplicates. Thin wrappers over :mod:`labelwise.text` and :mod:`labelwise.embed`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from labelwise.cli.app import app, console, err_console

Encoding = typer.Option(
    "utf-8",
    "--encoding",
    help="Text encoding of CSV/TSV/TXT/JSONL input (a byte-order mark is detected).",
)

text_app = typer.Typer(
    help="Text tools: exploration reports, zero-/few-shot labeling with the bundled "
    "MiniLM embeddings, near-duplicates.",
    no_args_is_help=True,
)
app.add_typer(text_app, name="text")


def _embedder(model: Path | None, cache: Path | None, no_cache: bool) -> Any:
    from labelwise.embed import SentenceTransformerEmbedder

    spec: Any = None if no_cache else (cache if cache is not None else "default")
    return SentenceTransformerEmbedder(model, cache=spec)


def _write_with_votes(df: Any, sv: Any, out: Path, prefix: str) -> Path:
    from labelwise.io import write_table

    frame = sv.to_frame()
    df = df.copy()
    df[f"{prefix}_label"] = frame["label"].to_numpy()
    df[f"{prefix}_confidence"] = frame["confidence"].round(4).to_numpy()
    return write_table(df, out)


def _print_votes(sv: Any, what: str) -> None:
    import numpy as np
    from rich.markup import escape

    votes = sv.votes
    n = len(votes)
    parts = []
    for k, name in enumerate(sv.label_space.names):
        parts.append(f"{escape(name)} {int((votes == k).sum()):,}")
    console.print(
        f"{what}: {n:,} texts, voted on {int((votes != -1).sum()):,} ({sv.coverage:.1%}); "
        + ", ".join(parts)
        + f"; mean confidence of votes {float(np.mean(sv.confidence[votes != -1])) if (votes != -1).any() else 0.0:.3f}",
        highlight=False,
    )


def _abstain_and_compare(sv: Any, gold: list[Any] | None, *, auto: bool) -> Any:
    """Abstain where the labeler is least sure and compare it with the majority baseline.

    With gold labels the threshold is the lowest confidence at which the kept gold votes
    beat the majority-class accuracy; without, the lower quartile of the top-2 margins."""
    import numpy as np

    from labelwise.embed.zeroshot import choose_abstain_threshold, compare_with_majority

    votes = np.asarray(sv.votes).copy()
    names = list(sv.label_space.names)
    conf = np.asarray(sv.confidence, dtype=float)
    if gold is not None:
        before = compare_with_majority(votes, gold, names)
        if before.get("n_gold"):
            console.print(
                f"on {before['n_gold']} gold rows: accuracy {before['accuracy']:.3f} "
                f"(voted {before['coverage']:.0%}) vs always '{before['majority_class']}' "
                f"{before['majority_accuracy']:.3f}",
                highlight=False,
                markup=False,
            )
            if not before["better_than_majority"]:
                err_console.print(
                    f"warning: the zero-shot labeler ({before['accuracy']:.3f}) is not better "
                    f"than always answering '{before['majority_class']}' "
                    f"({before['majority_accuracy']:.3f}) on the gold rows; improve the "
                    "descriptions, label a few examples per class and use few-shot, or rely "
                    "on its confident votes only",
                    highlight=False,
                    markup=False,
                    soft_wrap=True,
                )
    if not auto:
        return sv
    threshold = None
    why = ""
    if gold is not None:
        base = compare_with_majority(votes, gold, names)
        if not base.get("n_gold"):
            err_console.print(
                "warning: the --gold column holds no usable labels (all empty or not among "
                "the labels); the abstain threshold falls back to score margins",
                highlight=False,
                markup=False,
            )
        if base.get("n_gold"):
            threshold = choose_abstain_threshold(
                conf, votes, gold, names, target=float(base["majority_accuracy"])
            )
            why = (
                f"lowest confidence where its gold votes beat the majority baseline "
                f"({base['majority_accuracy']:.3f})"
                if threshold is not None
                else "no confidence level beats the majority baseline on the gold rows"
            )
            if threshold is None:
                threshold = float("inf")
    if threshold is None:
        proba = getattr(sv, "proba", None)
        if proba is not None and np.asarray(proba).ndim == 2 and np.asarray(proba).shape[1] > 1:
            top2 = np.sort(np.asarray(proba, dtype=float), axis=1)[:, -2:]
            margin = top2[:, 1] - top2[:, 0]
            ok = (votes >= 0) & np.isfinite(margin)
            if ok.sum() >= 4:
                cut = float(np.quantile(margin[ok], 0.25))
                low = ok & (margin < cut)
                votes[low] = -1
                console.print(
                    f"abstained on {int(low.sum())} texts with the smallest score margins "
                    f"(< {cut:.3f}, the lower quartile; no --gold to learn a threshold)",
                    highlight=False,
                    markup=False,
                )
                return _with_votes(sv, votes)
        return sv
    low = (votes >= 0) & ~(conf >= threshold)
    votes[low] = -1
    console.print(
        f"abstained on {int(low.sum())} texts below confidence {threshold:.3f} ({why})",
        highlight=False,
        markup=False,
    )
    if gold is not None:
        after = compare_with_majority(votes, gold, names)
        if after.get("n_gold") and after["coverage"] > 0:
            console.print(
                f"after abstaining: accuracy of votes {after['accuracy_voted']:.3f} on "
                f"{after['coverage']:.0%} of the gold rows",
                highlight=False,
                markup=False,
            )
    return _with_votes(sv, votes)


def _with_votes(sv: Any, votes: Any) -> Any:
    import copy

    out = copy.copy(sv)
    try:
        out.votes = votes
    except AttributeError:  # a frozen Votes: rebuild with the new votes
        import dataclasses

        out = dataclasses.replace(sv, votes=votes)
    return out


@text_app.command("explore")
def explore_command(
    data: Path = typer.Argument(
        ..., help="CSV, TSV, JSONL, Parquet file, or a folder of .txt files."
    ),
    column: str | None = typer.Option(
        None,
        "--column",
        "-c",
        help="Text column (default: the string column with the longest texts).",
    ),
    label: str | None = typer.Option(
        None, "--label", "-l", help="Label column: adds label balance, per-label words and lengths."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="HTML report path (default: <data stem>.text.html here)."
    ),
    near_duplicates: bool = typer.Option(
        True, "--near-duplicates/--no-near-duplicates", help="Also look for near-duplicate texts."
    ),
    threshold: float = typer.Option(
        0.8, help="Jaccard similarity of character 5-grams that makes two texts near-duplicates."
    ),
    label_from_folder: bool = typer.Option(
        False, help="For a folder of .txt files: use each file's parent folder name as its label."
    ),
    encoding: str = Encoding,
    strip_html: str = typer.Option(
        "auto",
        "--strip-html",
        help="Remove HTML tags/entities before counting words: auto (when 1%+ of texts hold "
        "markup), yes or no.",
    ),
    sentiment: bool = typer.Option(
        True, "--sentiment/--no-sentiment", help="Add the VADER sentiment section."
    ),
) -> None:
    """Write an HTML report on the texts in DATA: lengths, vocabulary, top words and n-grams,
    a word cloud, duplicates and near-duplicates, label balance."""
    from rich.markup import escape

    from labelwise.errors import DataError
    from labelwise.text import explore_text, read_text_folder, read_texts, text_stats

    modes = {"auto": "auto", "yes": True, "no": False}
    if strip_html not in modes:
        raise DataError(f"--strip-html must be auto, yes or no, not {strip_html!r}")
    if data.is_dir():
        df = read_text_folder(data, label_from_folder=label_from_folder, encoding=encoding)
        if label_from_folder:
            label = "label"
    else:
        df = read_texts(data, column=column, label=label, encoding=encoding)
    col = df.attrs["text_column"]
    target = out or Path(f"{data.stem}.text.html")
    report = explore_text(
        df,
        column=col,
        label=label,
        near_duplicates=near_duplicates,
        near_duplicate_threshold=threshold,
        title=f"Text exploration: {data.name}",
        out=target,
        strip_html=modes[strip_html],  # type: ignore[arg-type]
        sentiment=sentiment,
    )
    s = text_stats(df[col])
    console.print(
        f"{s['n_texts']:,} texts, {s['n_unique']:,} distinct, vocabulary {s['vocabulary']:,} "
        f"words, median {s['words_median']:.0f} words, {s['n_missing'] + s['n_empty']:,} "
        "missing or blank",
        highlight=False,
    )
    console.print(f"Sections: {', '.join(report.section_titles)}", highlight=False)
    console.print(f"[bold]Report:[/bold] {escape(str(target))}", highlight=False)


@text_app.command("zero-shot")
def zero_shot_command(
    data: Path = typer.Argument(..., help="CSV, TSV, JSONL or Parquet file with a text column."),
    labels: str | None = typer.Option(
        None,
        "--labels",
        help="Classes and descriptions: 'spam:promotional offer|you won a prize,ham:personal "
        "message' (',' between classes, '|' between descriptions of one class).",
    ),
    label: list[str] | None = typer.Option(
        None,
        "--label",
        help="One class per option, commas allowed: --label 'Sci, Tech: science news | "
        "gadgets' (repeat for every class).",
    ),
    labels_file: Path | None = typer.Option(
        None,
        "--labels-file",
        help="Classes from a file: one 'name: desc | desc' per line, or a JSON/YAML mapping.",
    ),
    gold: str | None = typer.Option(
        None,
        "--gold",
        help="Column of known labels (may be mostly empty): compares the labeler with the "
        "majority-class baseline and learns the abstain threshold from those rows.",
    ),
    auto_abstain: bool = typer.Option(
        True,
        "--auto-abstain/--no-auto-abstain",
        help="Without --min-confidence/--min-margin: abstain where the labeler is least sure "
        "(threshold from --gold rows, else the 25% smallest score margins).",
    ),
    calibrate: bool = typer.Option(
        False,
        "--calibrate/--no-calibrate",
        help="Subtract each class's mean similarity over the data (can correct a class that "
        "attracts every text; on SMS spam it lowers accuracy, see bench/RESULTS.md).",
    ),
    encoding: str = Encoding,
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Output table (.csv, .tsv, .jsonl, .parquet): DATA plus vote columns.",
    ),
    column: str | None = typer.Option(
        None, "--column", "-c", help="Text column (default: guessed)."
    ),
    min_confidence: float = typer.Option(
        0.0, help="Abstain where the top class probability is below this."
    ),
    min_margin: float = typer.Option(0.0, help="Abstain where top minus runner-up is below this."),
    template: str = typer.Option(
        "{}", help="Template around each description, e.g. 'a message about {}'."
    ),
    temperature: float = typer.Option(0.05, help="Softmax temperature over cosine similarities."),
    model: Path | None = typer.Option(
        None, help="A local sentence-transformers model folder (default: bundled all-MiniLM-L6-v2)."
    ),
    cache: Path | None = typer.Option(None, help="Embedding cache file (default: the user cache)."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Do not read or write the embedding cache."
    ),
    prefix: str = typer.Option(
        "zero_shot", help="Prefix of the added columns <prefix>_label/_confidence."
    ),
) -> None:
    """Label texts by embedding similarity to class descriptions (no API key, no download).

    Zero-shot similarity is often worse than always answering the most common class: give
    a few known labels with --gold and the command compares with that baseline (and says
    so when it is not better) and learns where to abstain."""
    from rich.markup import escape

    from labelwise.embed import ZeroShotLabeler
    from labelwise.embed.zeroshot import label_descriptions
    from labelwise.text import read_texts

    classes = label_descriptions(labels, label, labels_file)
    df = read_texts(data, column=column, label=gold, encoding=encoding)
    col = df.attrs["text_column"]
    zs = ZeroShotLabeler(
        classes,
        embedder=_embedder(model, cache, no_cache),
        template=template,
        temperature=temperature,
        min_confidence=min_confidence,
        min_margin=min_margin,
        calibrate=calibrate,
    )
    zs.fit(df[col])
    sv = zs.label(df[col])
    sv = _abstain_and_compare(
        sv,
        df[gold].tolist() if gold else None,
        auto=auto_abstain and min_confidence == 0.0 and min_margin == 0.0,
    )
    path = _write_with_votes(df, sv, out, prefix)
    _print_votes(sv, "zero-shot")
    console.print(f"[bold]Wrote:[/bold] {escape(str(path))}", highlight=False)


@text_app.command("few-shot")
def few_shot_command(
    data: Path = typer.Argument(
        ..., help="Table with a text column and a partly filled label column."
    ),
    label: str = typer.Option(
        ..., "--label", "-l", help="Label column; empty cells are the texts to label."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Output table: DATA plus vote columns."),
    column: str | None = typer.Option(
        None, "--column", "-c", help="Text column (default: guessed)."
    ),
    method: str = typer.Option(
        "centroid", help="centroid (any number of examples) or logistic (10+ per class)."
    ),
    min_confidence: float = typer.Option(
        0.0, help="Abstain where the top class probability is below this."
    ),
    model: Path | None = typer.Option(None, help="A local sentence-transformers model folder."),
    cache: Path | None = typer.Option(None, help="Embedding cache file (default: the user cache)."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Do not read or write the embedding cache."
    ),
    prefix: str = typer.Option("few_shot", help="Prefix of the added columns."),
    encoding: str = Encoding,
) -> None:
    """Learn from the labeled rows of DATA (a few per class) and label every row."""
    from rich.markup import escape

    from labelwise.embed import FewShotLabeler
    from labelwise.errors import DataError
    from labelwise.text import read_texts

    if method not in ("centroid", "logistic"):
        raise DataError(f"--method must be centroid or logistic, not {method!r}")
    df = read_texts(data, column=column, label=label, encoding=encoding)
    col = df.attrs["text_column"]
    fs = FewShotLabeler(
        method=method,  # type: ignore[arg-type]
        embedder=_embedder(model, cache, no_cache),
        min_confidence=min_confidence,
    ).fit(df[col], df[label])
    console.print(f"examples per class: {fs.n_examples_}", highlight=False)
    sv = fs.label(df[col])
    path = _write_with_votes(df, sv, out, prefix)
    _print_votes(sv, "few-shot")
    console.print(f"[bold]Wrote:[/bold] {escape(str(path))}", highlight=False)


@text_app.command("near-duplicates")
def near_duplicates_command(
    data: Path = typer.Argument(..., help="CSV, TSV, JSONL or Parquet file with a text column."),
    column: str | None = typer.Option(
        None, "--column", "-c", help="Text column (default: guessed)."
    ),
    threshold: float = typer.Option(0.8, help="Minimum Jaccard similarity of character 5-grams."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write the pairs (i, j, similarity, text_i, text_j) to this table.",
    ),
    encoding: str = Encoding,
) -> None:
    """List pairs of near-duplicate texts (MinHash + LSH, verified exactly)."""
    from rich.markup import escape

    from labelwise.io import write_table
    from labelwise.text import exact_duplicate_groups, find_near_duplicates, read_texts

    df = read_texts(data, column=column, encoding=encoding)
    texts = df[df.attrs["text_column"]].tolist()
    pairs = find_near_duplicates(texts, threshold=threshold)
    dups = exact_duplicate_groups(texts)
    console.print(
        f"{len(texts):,} texts: {len(dups):,} groups of identical texts, {len(pairs):,} "
        f"near-duplicate pairs (Jaccard >= {threshold})",
        highlight=False,
    )
    pairs["text_i"] = [texts[i] for i in pairs["i"]]
    pairs["text_j"] = [texts[j] for j in pairs["j"]]
    for _, r in pairs.head(10).iterrows():
        console.print(
            f"  {r['similarity']:.3f}  [{r['i']}] {escape(str(r['text_i'])[:60])!s}  ~  "
            f"[{r['j']}] {escape(str(r['text_j'])[:60])}",
            highlight=False,
        )
    if out is not None:
        write_table(pairs, out)
        console.print(f"[bold]Wrote:[/bold] {escape(str(out))}", highlight=False)
