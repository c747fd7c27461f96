"""Exporting labeled text: JSONL, CSV/TSV/Parquet, CoNLL (BIO) for spans, Hugging Face datasets.

Document labels go through :func:`labeled_frame` (one row per text: ``id``, ``text``,
``label`` name, ``label_id`` and optionally ``confidence``), so every format carries the
same columns. Items a label model abstained on keep ``label = null`` and
``label_id = -1`` unless ``include_abstained=False`` drops them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError
from labelwise.labeling.space import ABSTAIN, LabelSpace

__all__ = [
    "export_spans_jsonl",
    "export_texts",
    "labeled_frame",
    "read_conll",
    "spans_to_hf_dataset",
    "to_hf_dataset",
    "write_conll",
]


def _space(label_space: LabelSpace | Sequence[str] | None) -> LabelSpace | None:
    if label_space is None or isinstance(label_space, LabelSpace):
        return label_space
    return LabelSpace(list(label_space))


def labeled_frame(
    texts: Any,
    labels: Any,
    *,
    label_space: LabelSpace | Sequence[str] | None = None,
    proba: np.ndarray | None = None,
    ids: Sequence[Any] | None = None,
    include_abstained: bool = True,
) -> Any:
    """One row per text with its label (name and index) and confidence.

    Parameters
    ----------
    texts : sequence of str, length n
    labels : sequence of length n
        Class indices (``ABSTAIN`` = -1 for none) or class names (``None`` for none).
    label_space : LabelSpace or sequence of str, optional
        Class names; needed when ``labels`` are indices.
    proba : ndarray of shape (n, k), optional
        Class probabilities from a label model; adds ``confidence`` (probability of the
        exported label).
    ids : sequence, optional
        Item ids (default ``0..n-1``).
    include_abstained : bool
        Keep texts without a label.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``text``, ``label``, ``label_id`` [, ``confidence``].

    Examples
    --------
    >>> labeled_frame(["hi", "WIN"], [0, 1], label_space=["ham", "spam"]).values.tolist()
    [[0, 'hi', 'ham', 0], [1, 'WIN', 'spam', 1]]
    """
    import pandas as pd

    from labelwise.text.clean import prepare_texts

    p = prepare_texts(texts, name="texts", non_string="coerce")
    n = len(p)
    lab = labels.tolist() if hasattr(labels, "tolist") else list(labels)
    if len(lab) != n:
        raise DataError(f"got {n} texts but {len(lab)} labels; pass one label per text")
    space = _space(label_space)
    if space is None:
        names = [v for v in lab if isinstance(v, str)]
        if any(isinstance(v, (int, np.integer)) and v != ABSTAIN for v in lab):
            raise DataError(
                "labels are class indices; pass label_space= (the class names) to export them"
            )
        if not names:
            raise DataError("no labels to export: every label is missing")
        space = (
            LabelSpace(sorted(set(names)))
            if len(set(names)) > 1
            else LabelSpace([*set(names), "_other"])
        )
    label_id = space.encode(lab, what="labels").astype(np.int64)
    out = pd.DataFrame(
        {
            "id": list(ids) if ids is not None else list(range(n)),
            "text": [t if not m else None for t, m in zip(p.texts, p.missing, strict=True)],
            "label": [None if v == ABSTAIN else space.name(int(v)) for v in label_id],
            "label_id": label_id,
        }
    )
    if len(out["id"]) != n:
        raise DataError(f"got {len(out['id'])} ids for {n} texts")
    if proba is not None:
        pr = np.asarray(proba, dtype=np.float64)
        if pr.shape != (n, space.k):
            raise DataError(f"proba has shape {pr.shape}; expected {(n, space.k)}")
        conf = np.where(label_id >= 0, pr[np.arange(n), np.maximum(label_id, 0)], np.nan)
        out["confidence"] = conf
    out.attrs["label_space"] = space.names
    if not include_abstained:
        out = out[out["label_id"] != ABSTAIN].reset_index(drop=True)
    return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if math.isnan(f) else f
    if isinstance(v, np.bool_):
        return bool(v)
    if v is None:
        return None
    try:
        import pandas as pd

        if v is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    return v


def _write_jsonl(records: Sequence[dict[str, Any]], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps({k: _jsonable(v) for k, v in r.items()}, ensure_ascii=False))
            fh.write("\n")
    tmp.replace(path)


def export_texts(
    path: str | Path,
    texts: Any,
    labels: Any,
    *,
    label_space: LabelSpace | Sequence[str] | None = None,
    proba: np.ndarray | None = None,
    ids: Sequence[Any] | None = None,
    include_abstained: bool = True,
) -> Path:
    """Write labeled texts by extension: ``.jsonl``/``.ndjson``, ``.csv``, ``.tsv``, ``.parquet``.

    The columns are those of :func:`labeled_frame`. JSONL is written as UTF-8 (not
    ``\\u`` escapes), via a temporary file renamed at the end, so a crash never leaves a
    half-written export.

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import tempfile
    >>> p = export_texts(tempfile.mkdtemp() + "/out.jsonl", ["hi"], ["ham"], label_space=["ham", "spam"])
    >>> p.read_text().strip()
    '{"id": 0, "text": "hi", "label": "ham", "label_id": 0}'
    """
    df = labeled_frame(
        texts,
        labels,
        label_space=label_space,
        proba=proba,
        ids=ids,
        include_abstained=include_abstained,
    )
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        _write_jsonl(df.to_dict(orient="records"), p)
    elif suffix == ".csv":
        df.to_csv(p, index=False)
    elif suffix == ".tsv":
        df.to_csv(p, sep="\t", index=False)
    elif suffix in (".parquet", ".pq"):
        df.to_parquet(p, index=False)
    else:
        raise DataError(
            f"cannot export texts to {str(p)!r}: unknown extension {suffix!r}; use .jsonl, "
            ".csv, .tsv or .parquet (CoNLL for spans: write_conll)"
        )
    return p


def _docs_as_pairs(docs: Sequence[Any]) -> list[tuple[list[str], list[str]]]:
    out = []
    for i, d in enumerate(docs):
        if hasattr(d, "tokens") and hasattr(d, "tags"):
            toks = [t.text if hasattr(t, "text") else str(t) for t in d.tokens]
            tags = list(d.tags)
        else:
            try:
                toks, tags = list(d[0]), list(d[1])
            except (TypeError, IndexError):
                raise DataError(
                    f"docs[{i}] is {type(d).__name__}; give TaggedText objects or "
                    "(tokens, tags) pairs"
                ) from None
            toks = [t.text if hasattr(t, "text") else str(t) for t in toks]
        if len(toks) != len(tags):
            raise DataError(f"docs[{i}] has {len(toks)} tokens but {len(tags)} tags")
        out.append((toks, tags))
    return out


def write_conll(path: str | Path, docs: Sequence[Any], *, sep: str = " ") -> Path:
    """Write token/BIO-tag pairs in CoNLL format: one ``token<sep>tag`` line per token,
    a blank line between texts (through :mod:`labelwise.formats.conll`, the one CoNLL).

    Parameters
    ----------
    path : str or Path
    docs : sequence of TaggedText, or of (tokens, tags) pairs
    sep : str
        Column separator (CoNLL-2003 uses a space, labelwise's app exports a tab; both read).

    Examples
    --------
    >>> import tempfile
    >>> p = write_conll(tempfile.mkdtemp() + "/a.conll", [(["Mr", "Smith"], ["B-PER", "I-PER"])])
    >>> p.read_text()
    'Mr B-PER\\nSmith I-PER\\n\\n'
    """
    from labelwise.formats.conll import format_conll_block

    pairs = _docs_as_pairs(docs)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(format_conll_block(toks, tags, sep=sep) for toks, tags in pairs)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(p)
    return p


def read_conll(path: str | Path, *, sep: str | None = None) -> list[tuple[list[str], list[str]]]:
    """Read a CoNLL file: first column tokens, last column tags; blank lines split texts.

    ``-DOCSTART-`` and ``# comment`` lines are skipped. A malformed line raises
    :class:`DataError` naming the line number.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.conll"
    >>> _ = f.write_text("Mr B-PER\\nSmith I-PER\\n\\nhi O\\n")
    >>> read_conll(f)
    [(['Mr', 'Smith'], ['B-PER', 'I-PER']), (['hi'], ['O'])]
    """
    from labelwise.formats.conll import parse_conll

    p = Path(path)
    if not p.is_file():
        raise DataError(f"CoNLL file {str(p)!r} does not exist")
    docs: list[tuple[list[str], list[str]]] = []
    for block in parse_conll(p.read_bytes(), name=repr(str(p)), sep=sep):
        for lineno, _tok, tag in block.rows:
            if tag != "O" and not (tag[:2] in ("B-", "I-") and len(tag) > 2):
                raise DataError(
                    f"{str(p)!r} line {lineno}: tag {tag!r} is not BIO (O, B-TYPE or I-TYPE)"
                )
        if block.rows:
            docs.append((block.tokens, block.tags))
    return docs


def export_spans_jsonl(path: str | Path, docs: Sequence[Any]) -> Path:
    """Write one JSON object per text: ``{"text", "spans": [{"start","end","label","text"}]}``.

    ``docs`` are :class:`~labelwise.text.spans.TaggedText` objects.
    """
    records = []
    for i, d in enumerate(docs):
        if not hasattr(d, "spans") or not hasattr(d, "text"):
            raise DataError(f"docs[{i}] is {type(d).__name__}; give TaggedText objects")
        records.append(
            {
                "text": d.text,
                "spans": [
                    {
                        "start": s.start,
                        "end": s.end,
                        "label": s.label,
                        "text": d.text[s.start : s.end],
                    }
                    for s in d.spans
                ],
            }
        )
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    _write_jsonl(records, p)
    return p


def to_hf_dataset(
    texts: Any,
    labels: Any,
    *,
    label_space: LabelSpace | Sequence[str] | None = None,
    proba: np.ndarray | None = None,
    ids: Sequence[Any] | None = None,
    include_abstained: bool = True,
) -> Any:
    """A Hugging Face ``datasets.Dataset`` with a ``ClassLabel`` column ``label``.

    Abstained items get ``label = -1`` (the datasets convention for "no label") unless
    ``include_abstained=False`` drops them.

    Examples
    --------
    >>> ds = to_hf_dataset(["hi", "WIN"], [0, 1], label_space=["ham", "spam"])  # doctest: +SKIP
    >>> ds.features["label"].names                                              # doctest: +SKIP
    ['ham', 'spam']
    """
    from labelwise.errors import require

    datasets = require("datasets", "text")
    df = labeled_frame(
        texts,
        labels,
        label_space=label_space,
        proba=proba,
        ids=ids,
        include_abstained=include_abstained,
    )
    names = df.attrs["label_space"]
    data: dict[str, Any] = {
        "id": [str(i) for i in df["id"].tolist()],
        "text": df["text"].tolist(),
        "label": df["label_id"].astype(int).tolist(),
    }
    feats: dict[str, Any] = {
        "id": datasets.Value("string"),
        "text": datasets.Value("string"),
        "label": datasets.ClassLabel(names=list(names)),
    }
    if "confidence" in df.columns:
        data["confidence"] = df["confidence"].astype(float).tolist()
        feats["confidence"] = datasets.Value("float32")
    return datasets.Dataset.from_dict(data, features=datasets.Features(feats))


def spans_to_hf_dataset(docs: Sequence[Any]) -> Any:
    """A token-classification ``datasets.Dataset``: ``tokens`` and ``ner_tags`` (ClassLabel).

    ``docs`` are :class:`~labelwise.text.spans.TaggedText` objects or (tokens, tags)
    pairs; the tag set is ``O`` followed by ``B-``/``I-`` of every type, sorted.
    """
    from labelwise.errors import require

    datasets = require("datasets", "text")
    pairs = _docs_as_pairs(docs)
    types = sorted({t[2:] for _, tags in pairs for t in tags if t != "O"})
    names = ["O"] + [f"{p}-{t}" for t in types for p in ("B", "I")]
    index = {n: i for i, n in enumerate(names)}
    feats = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names)),
        }
    )
    return datasets.Dataset.from_dict(
        {
            "tokens": [t for t, _ in pairs],
            "ner_tags": [[index[g] for g in tags] for _, tags in pairs],
        },
        features=feats,
    )
