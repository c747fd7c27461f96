"""A customer call -> Whisper transcript -> sentiment, topic and summary columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labelwise.audio import load_audio_folder
from labelwise.audio.labels import label_transcripts, llm_summarizer
from labelwise.audio.transcribe import transcribe_batch

from .conftest import noise, sf, speak


def _topic(request: Any) -> str:
    text = request.item.lower()
    if "summar" in request.user.lower():
        return json.dumps({"summary": "Customer praises the fix but disputes the bill."})
    label = "billing" if any(w in text for w in ("bill", "invoice", "charge")) else "delivery"
    return json.dumps({"label": label})


def test_call_transcript_to_sentiment_topic_and_summary(whisper: Any, tmp_path: Path) -> None:
    from labelwise.embed import ZeroShotLabeler
    from labelwise.embed.sentence import default_embedder
    from labelwise.llm import ClassifyTask, LLMClient, LLMLabeler, LocalChatServer, OpenAIProvider
    from labelwise.text import vader_sentiment

    a = speak("Thank you so much, I love how fast you fixed it.", tmp_path / "a.wav")
    b = speak("But my bill is wrong and I am very angry about the charge.", tmp_path / "b.wav")
    ya, sr = sf.read(a, dtype="float32")
    yb, _ = sf.read(b, dtype="float32")
    (tmp_path / "calls").mkdir()
    gap = noise(0.8, sr=sr, amp=0.002)
    sf.write(tmp_path / "calls" / "call1.wav", np.concatenate([ya, gap, yb]), sr)
    out = tmp_path / "t.jsonl"
    summary = transcribe_batch(load_audio_folder(tmp_path / "calls"), whisper, out)
    assert summary.done == 1
    with LocalChatServer(_topic) as server:
        client = LLMClient(OpenAIProvider.compatible(server.base_url), model="m", cache=None)
        res = label_transcripts(
            out,
            [
                vader_sentiment("text", positive=1, negative=0, threshold=0.3),
                ZeroShotLabeler(
                    {"billing": "a bill, invoice or charge", "delivery": "a delivery"},
                    embedder=default_embedder(cache=None),
                    name="topic_embed",
                ),
                LLMLabeler(
                    ClassifyTask(["billing", "delivery"]),
                    client=client,
                    name="topic_llm",
                    confidence="none",
                ),
            ],
            summarize=llm_summarizer(client),
        )
    units = res.units
    assert len(units) >= 2 and (units["audio_id"] == "call1.wav").all()
    assert units["start"].is_monotonic_increasing and units["end"].max() <= 10.0
    names = [v.name for v in res.votes]
    assert names[1:] == ["topic_embed", "topic_llm"]
    sentiment = res.votes[0].votes
    assert sentiment[0] == 1 and sentiment[-1] == 0  # praise first, anger last
    frame = res.to_frame()
    assert frame["topic_llm"].iloc[-1] == "billing" and frame["topic_embed"].iloc[-1] == "billing"
    assert all(v.provenance["source"] == "audio_transcript" for v in res.votes)
    assert res.votes[2].provenance["transcriber"] == "whisper-base"
    assert (units["summary"] == "Customer praises the fix but disputes the bill.").all()
    # one topic matrix: its index points to the audio file and the segment times
    from labelwise.labeling.matrix import LabelMatrix

    L = LabelMatrix.from_votes(res.votes[1:], index=units["unit_id"].tolist())
    assert L.names == ["topic_embed", "topic_llm"] and next(iter(L.index)).startswith(
        "call1.wav@0."
    )
    with pytest.raises(ValueError, match="different label spaces"):
        res.label_matrix()  # sentiment (unnamed 0/1) and topics (billing/delivery) differ
