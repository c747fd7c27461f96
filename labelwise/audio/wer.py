"""Word error rate: machine transcripts against corrected (reference) transcripts.

``WER = (substitutions + deletions + insertions) / reference words``, from a word-level
Levenshtein alignment. Texts are normalized first (lower case, punctuation dropped,
whitespace collapsed) unless ``normalize=False``.

Examples
--------
>>> r = word_error_rate("the cat sat on the mat", "the cat sat on a mat")
>>> r.wer, r.substitutions, r.deletions, r.insertions
(0.16666666666666666, 1, 0, 0)
>>> word_error_rate(["Hello, world!"], ["hello world"]).wer
0.0
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from labelwise.errors import DataError

__all__ = ["WERResult", "normalize_text", "wer_report", "word_error_rate"]

_PUNCT = re.compile(r"[^\w\s']|(?<!\w)'|'(?!\w)")


def normalize_text(text: str) -> str:
    """Lower case, Unicode NFKC, punctuation removed (apostrophes inside words kept).

    >>> normalize_text("  Don't   STOP -- now! ")
    "don't stop now"
    """
    t = unicodedata.normalize("NFKC", text or "").lower()
    t = _PUNCT.sub(" ", t)
    return " ".join(t.split())


@dataclass(frozen=True)
class WERResult:
    """Counts of one alignment (or summed over many); ``wer`` is their rate."""

    substitutions: int
    deletions: int
    insertions: int
    hits: int
    reference_words: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float:
        if self.reference_words == 0:
            return 0.0 if self.insertions == 0 else float("inf")
        return self.errors / self.reference_words

    def __add__(self, other: WERResult) -> WERResult:
        return WERResult(
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.hits + other.hits,
            self.reference_words + other.reference_words,
        )


def _align(ref: list[str], hyp: list[str]) -> WERResult:
    n, m = len(ref), len(hyp)
    # dp[i][j] = (cost, subs, dels, ins) for ref[:i] vs hyp[:j]; ties prefer fewer edits of
    # any kind in a fixed order so the counts are deterministic.
    prev = [(j, 0, 0, j) for j in range(m + 1)]
    for i in range(1, n + 1):
        cur = [(i, 0, i, 0)]
        for j in range(1, m + 1):
            if ref[i - 1] == hyp[j - 1]:
                best = prev[j - 1]
            else:
                c, s, d, ins = prev[j - 1]
                sub = (c + 1, s + 1, d, ins)
                c, s, d, ins = prev[j]
                dele = (c + 1, s, d + 1, ins)
                c, s, d, ins = cur[j - 1]
                insert = (c + 1, s, d, ins + 1)
                best = min(sub, dele, insert)
            cur.append(best)
        prev = cur
    _, s, d, ins = prev[m]
    return WERResult(s, d, ins, n - s - d, n)


def word_error_rate(
    reference: str | Sequence[str], hypothesis: str | Sequence[str], *, normalize: bool = True
) -> WERResult:
    """WER of one pair of texts, or summed over aligned lists (corpus WER)."""
    refs = [reference] if isinstance(reference, str) else list(reference)
    hyps = [hypothesis] if isinstance(hypothesis, str) else list(hypothesis)
    if len(refs) != len(hyps):
        raise DataError(
            f"{len(refs)} reference texts but {len(hyps)} hypotheses; pass one per item"
        )
    total = WERResult(0, 0, 0, 0, 0)
    for r, h in zip(refs, hyps, strict=True):
        rr = normalize_text(r) if normalize else (r or "")
        hh = normalize_text(h) if normalize else (h or "")
        total = total + _align(rr.split(), hh.split())
    return total


def wer_report(
    machine: dict[str, str], corrected: dict[str, str], *, normalize: bool = True
) -> Any:
    """Per-item WER of machine vs corrected transcripts (keyed by item id), worst first.

    Items present on one side only are listed with ``missing`` set. The corpus WER is in
    ``df.attrs["wer"]``.
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    total = WERResult(0, 0, 0, 0, 0)
    for key in sorted(set(machine) | set(corrected)):
        if key not in machine or key not in corrected:
            rows.append({"id": key, "missing": "machine" if key not in machine else "corrected"})
            continue
        r = word_error_rate(corrected[key], machine[key], normalize=normalize)
        total = total + r
        rows.append(
            {
                "id": key,
                "wer": r.wer,
                "substitutions": r.substitutions,
                "deletions": r.deletions,
                "insertions": r.insertions,
                "reference_words": r.reference_words,
                "machine": machine[key],
                "corrected": corrected[key],
                "missing": None,
            }
        )
    df = pd.DataFrame(rows)
    if "wer" in df:
        df = df.sort_values("wer", ascending=False, na_position="last").reset_index(drop=True)
    df.attrs["wer"] = total.wer
    df.attrs["reference_words"] = total.reference_words
    return df


def _segments_text(result: dict[str, Any]) -> str | None:
    for value in result.values():
        if isinstance(value, list) and value and isinstance(value[0], dict) and "start" in value[0]:
            texts = [
                str(s.get("text", "")).strip() for s in sorted(value, key=lambda s: s["start"])
            ]
            return " ".join(t for t in texts if t)
        if isinstance(value, str) and value.strip():
            return value
    return None


def read_corrected_texts(path: Any) -> dict[str, str]:
    """``id -> text`` from corrected transcripts.

    Accepts a transcripts JSONL (``id``, ``text``), a labelwise JSONL export whose items
    carry segments with ``text`` (the last annotation wins; segment texts are joined in time
    order), or a table (CSV/TSV/Parquet) with an id column (``id``/``item_id``/``path``) and
    a text column (``text``/``transcript``/``transcription``).
    """
    import json
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise DataError(f"corrected transcripts {str(p)!r} do not exist")
    out: dict[str, str] = {}
    if p.suffix.lower() in (".jsonl", ".ndjson"):
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{p}:{n} is not JSON: {exc}") from None
            if "annotations" in row:
                anns = row.get("annotations") or []
                if anns:
                    text = _segments_text(anns[-1].get("result") or {})
                    if text is not None:
                        out[str(row["id"])] = text
            elif "text" in row and row.get("error") is None:
                out[str(row["id"])] = str(row["text"] or "")
        return out
    from labelwise.io import read_table

    df = read_table(p)
    idc = next((c for c in ("id", "item_id", "path") if c in df.columns), None)
    tc = next((c for c in ("text", "transcript", "transcription") if c in df.columns), None)
    if idc is None or tc is None:
        raise DataError(
            f"{p} needs an id column (id/item_id/path) and a text column "
            f"(text/transcript/transcription); it has {list(df.columns)[:20]}"
        )
    for k, v in zip(df[idc], df[tc], strict=True):
        out[str(k)] = "" if v is None or v != v else str(v)
    return out
