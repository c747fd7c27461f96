"""End to end on real text: SMS spam and food reviews through the local protocol server.

The server is a deterministic stand-in for a model; what is tested is labelwise's path:
real messages (quotes, unicode, odd spacing) reach the server intact inside the prompt, the
answers come back over HTTP, are validated, calibrated on gold and written as label-matrix
columns next to rule votes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelwise.labeling import ABSTAIN, LabelMatrix
from labelwise.llm import (
    AspectSentimentTask,
    ClassifyTask,
    LLMClient,
    LLMLabeler,
    LocalChatServer,
    run_task,
)
from labelwise.llm.server import ChatRequest, Reply

MakeClient = Callable[..., LLMClient]
SPAM_HINTS = ("free", "win", "prize", "claim", "urgent", "txt", "call now", "cash", "£")


def test_sms_spam_llm_column_calibrated_and_joined_with_a_rule(
    shared_datasets: Path, make_client: MakeClient, test_output: Path
) -> None:
    df = pd.read_csv(shared_datasets / "text" / "sms_spam.tsv", sep="\t").head(300)
    seen: list[str] = []
    lock = threading.Lock()

    def respond(req: ChatRequest) -> Reply:
        text = req.item
        with lock:
            seen.append(text)
        hits = sum(h in text.lower() for h in SPAM_HINTS)
        label = "spam" if hits else "ham"
        return Reply(json.dumps({"label": label}), logprob=-0.01 if hits != 1 else -0.7)

    with LocalChatServer(respond) as srv:
        client = make_client(srv, concurrency=4)
        labeler = LLMLabeler(
            ClassifyTask(["ham", "spam"], instructions="Is this SMS spam?"),
            client=client,
            name="llm",
        )
        labeler.fit(df["SMS"][:100], df["Label"][:100], target_precision=0.9)
        L_llm = labeler.label(df["SMS"][100:]).to_label_matrix()
    # Every message reached the server exactly as written.
    assert set(df["SMS"]) == set(seen)
    assert labeler.threshold_ is not None and labeler.threshold_.reachable
    assert labeler.threshold_.precision >= 0.9
    rule = np.where(df["SMS"][100:].str.contains("http|www", case=False), 1, ABSTAIN)
    L = LabelMatrix(rule.reshape(-1, 1), names=["lf_url"], cardinality=2).hstack(L_llm)
    assert L.shape == (200, 2) and L.names == ["lf_url", "llm"]
    y = (df["Label"][100:] == "spam").astype(int).to_numpy()
    voted = L.values[:, 1] != ABSTAIN
    assert voted.mean() > 0.5
    assert (L.values[voted, 1] == y[voted]).mean() > 0.85
    labeler.run_.report(test_output / "llm_sms_spam_run.html")
    labeler.calibration_report(test_output / "llm_sms_spam_calibration.html")


def test_food_review_sentiment_votes_follow_overall_score(
    shared_datasets: Path, make_client: MakeClient
) -> None:
    df = pd.read_csv(shared_datasets / "text" / "food_reviews.csv")
    score_of = {t.strip(): s for t, s in zip(df["Text"], df["Score"], strict=True)}

    def respond(req: ChatRequest) -> str:
        score = float(score_of[req.item.strip()])
        return json.dumps(
            {
                "aspects": [{"aspect": "taste", "score": score}],
                "overall": score,
                "top_positive": None,
                "top_negative": None,
            }
        )

    with LocalChatServer(respond) as srv:
        run = run_task(
            AspectSentimentTask(aspects=["taste", "price"]), df["Text"], client=make_client(srv)
        )
    assert run.stats["n_ok"] == len(df)
    expected = np.where(df["Score"] >= 4, 1, np.where(df["Score"] <= 2, 0, ABSTAIN))
    assert run.votes.tolist() == expected.tolist()
    frame = run.to_pandas()
    assert frame["aspect_taste"].tolist() == pytest.approx(df["Score"].astype(float).tolist())
    assert frame["aspect_price"].isna().all()
