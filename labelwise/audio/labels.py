"""Transcripts become labels: a customer call -> transcript -> sentiment, topic, summary.

:func:`label_transcripts` turns transcripts into text units (one per Whisper segment, or one
per file) and runs the existing text labelers on them, in one pipeline:

- labeling functions over a text column (``labelwise.text.vader_sentiment``, keyword and
  regex rules, ``LLMLabeler.as_labeling_function``);
- labelers with ``label(texts)`` returning :class:`~labelwise.labeling.Votes`,
  ``ScoredVotes`` (embedding zero-shot / few-shot) or a ``LabelMatrix`` (``LLMLabeler``);
- ``summarize``: a function ``texts -> summaries`` (see :func:`llm_summarizer`) whose output
  is a text column beside the votes (a summary is not a vote).

Every column becomes a :class:`~labelwise.labeling.Votes` whose provenance names the
transcripts and the unit level; the label matrix index is ``<audio id>@<start>-<end>``, so
every vote points back to the audio file and the segment's start and end (also in
``units``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.audio.transcribe import Transcript, read_transcripts
from labelwise.errors import DataError
from labelwise.labeling.votes import Votes

__all__ = ["TranscriptLabels", "label_transcripts", "llm_summarizer", "transcript_units"]


def transcript_units(
    transcripts: Sequence[Transcript] | str | Path, *, level: str = "segment"
) -> Any:
    """A DataFrame of text units: ``unit_id, audio_id, path, start, end, text, language, model``.

    ``level="segment"``: one row per Whisper segment; ``"file"``: one per transcript.
    Failed transcripts are left out.
    """
    import pandas as pd

    if level not in ("segment", "file"):
        raise DataError(f"level must be 'segment' or 'file', got {level!r}")
    trs = read_transcripts(transcripts) if isinstance(transcripts, (str, Path)) else transcripts
    rows = []
    for t in trs:
        if not t.ok:
            continue
        if level == "file":
            end = t.end if t.end is not None else t.start + t.duration
            parts = [(t.start, end, t.text)]
        else:
            parts = [(s.start, s.end, s.text) for s in t.segments if s.text.strip()]
        for a, b, text in parts:
            rows.append(
                {
                    "unit_id": f"{t.id}@{a:.2f}-{b:.2f}",
                    "audio_id": t.id,
                    "path": t.path,
                    "start": float(a),
                    "end": float(b),
                    "text": text,
                    "language": t.language,
                    "model": t.model,
                }
            )
    cols = ["unit_id", "audio_id", "path", "start", "end", "text", "language", "model"]
    return pd.DataFrame(rows, columns=cols)


@dataclass
class TranscriptLabels:
    """The units, one :class:`Votes` per labeler column, and (optionally) summaries."""

    units: Any
    votes: list[Votes]

    def label_matrix(self) -> Any:
        """All columns as one label matrix indexed by ``<audio id>@<start>-<end>``."""
        from labelwise.labeling.matrix import LabelMatrix

        if not self.votes:
            raise DataError("no labeler produced a column")
        spaces = {
            tuple(v.label_space.names) if v.label_space is not None else v.k for v in self.votes
        }
        if len(spaces) > 1:
            raise DataError(
                "the columns have different label spaces; build one matrix per task "
                "(e.g. sentiment and topic separately) with LabelMatrix.from_votes"
            )
        return LabelMatrix.from_votes(self.votes, index=self.units["unit_id"].tolist())

    def to_frame(self) -> Any:
        """Units with one ``<column>`` (class name) and ``<column>_confidence`` per labeler."""
        df = self.units.copy()
        for v in self.votes:
            f = v.to_frame()
            df[v.name] = f["label"].to_numpy()
            df[f"{v.name}_confidence"] = f["confidence"].to_numpy()
        return df


def _to_votes(labeler: Any, units: Any, text_column: str) -> list[Votes]:
    from labelwise.labeling.matrix import LabelMatrix

    texts = units[text_column].tolist()
    if hasattr(labeler, "apply_frame"):  # a labeling function over the units table
        votes = np.asarray(labeler.apply_frame(units), dtype=np.int64)
        space = getattr(labeler, "label_space", None)
        return [Votes(labeler.name, votes, label_space=space, provenance={"kind": "rule"})]
    if not hasattr(labeler, "label"):
        raise DataError(
            f"{labeler!r} is neither a labeling function nor a labeler with label(texts)"
        )
    out = labeler.label(texts)
    if isinstance(out, Votes):
        return [out]
    if isinstance(out, LabelMatrix):
        res = []
        for j, name in enumerate(out.names):
            prov = dict(out.provenance.get(name, {}))
            prov.setdefault("kind", "llm")
            res.append(
                Votes(
                    name,
                    out.values[:, j],
                    label_space=out.label_space,
                    cardinality=None if out.label_space is not None else out.cardinality,
                    provenance=prov,
                )
            )
        return res
    if hasattr(out, "votes") and hasattr(out, "proba"):  # embed ScoredVotes
        prov = dict(getattr(out, "provenance", {}) or {})
        prov.setdefault("kind", "embedding")
        space = getattr(out, "label_space", None)
        return [
            Votes(
                out.name,
                out.votes,
                label_space=space,
                cardinality=None if space is not None else out.cardinality,
                confidence=out.confidence,
                proba=out.proba,
                provenance=prov,
            )
        ]
    raise DataError(f"labeler {getattr(labeler, 'name', labeler)!r} returned {type(out).__name__}")


def label_transcripts(
    transcripts: Sequence[Transcript] | str | Path,
    labelers: Sequence[Any],
    *,
    level: str = "segment",
    summarize: Callable[[list[str]], list[str]] | None = None,
) -> TranscriptLabels:
    """Run text labelers (and an optional summarizer) on transcript units.

    Examples
    --------
    >>> from labelwise.audio.transcribe import Segment, Transcript
    >>> from labelwise.text import vader_sentiment
    >>> tr = Transcript("call1.wav", "calls/call1.wav", segments=[
    ...     Segment(0.0, 2.5, "I love how quickly you fixed it, thank you!"),
    ...     Segment(2.5, 5.0, "But the bill is wrong and I am very angry.")])
    >>> out = label_transcripts([tr], [vader_sentiment("text", positive=1, negative=0)])
    >>> out.units["unit_id"].tolist(), out.votes[0].votes.tolist()
    (['call1.wav@0.00-2.50', 'call1.wav@2.50-5.00'], [1, 0])
    """
    units = transcript_units(transcripts, level=level)
    source = str(transcripts) if isinstance(transcripts, (str, Path)) else "transcripts"
    models = sorted({str(m) for m in units["model"].dropna()})
    votes = []
    for lab in labelers:
        for v in _to_votes(lab, units, "text"):
            v.provenance.update(
                {
                    "source": "audio_transcript",
                    "transcripts": source,
                    "transcriber": ",".join(models),
                    "unit_level": level,
                    "item_index": "<audio id>@<start>-<end> seconds (see units)",
                }
            )
            votes.append(v)
    if summarize is not None:
        summaries = list(summarize(units["text"].tolist()))
        if len(summaries) != len(units):
            raise DataError(f"summarize returned {len(summaries)} texts for {len(units)} units")
        units = units.assign(summary=summaries)
    return TranscriptLabels(units, votes)


def llm_summarizer(
    client: Any, *, max_words: int = 25, **task_options: Any
) -> Callable[[list[str]], list[str]]:
    """``texts -> summaries`` with labelwise's LLM ``SummarizeTask`` (cached, budgeted)."""
    from labelwise.llm.run import run_task
    from labelwise.llm.tasks import SummarizeTask

    task = SummarizeTask(max_words=max_words, **task_options)

    def summarize(texts: list[str]) -> list[str]:
        run = run_task(task, texts, client=client, confidence="none")
        return [getattr(o, "summary", "") if o is not None else "" for o in run.outputs]

    return summarize
