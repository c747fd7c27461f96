"""Fixtures for the LLM tests: a real OpenAI-protocol server on 127.0.0.1 and clients."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from labelwise.llm import LLMClient, LocalChatServer, OpenAIProvider
from labelwise.llm.server import ChatRequest

SPAM_WORDS = ("free", "win", "prize", "cash", "claim", "urgent")


def spam_answer(text: str) -> str:
    t = text.lower()
    return "spam" if any(w in t for w in SPAM_WORDS) else "ham"


def keyword_responder(req: ChatRequest) -> str:
    """A deterministic stand-in for a model: answers each task from the item's words."""
    schema = req.schema or {}
    props = schema.get("properties", {})
    text = req.item
    if "label" in props:
        return json.dumps({"label": spam_answer(text)})
    if "labels" in props:
        enum = props["labels"]["items"]["enum"]
        return json.dumps({"labels": [x for x in enum if x.lower() in text.lower()]})
    if "category" in props:
        t = text.lower()
        if "refund" in t:
            return json.dumps({"category": "Order Status", "subcategory": "Refund Status"})
        if "where is" in t or "shipping" in t:
            return json.dumps({"category": "Order Status", "subcategory": "Shipping Status"})
        return json.dumps({"category": "Account", "subcategory": "Password Reset"})
    if "entities" in props:
        ents = []
        for m in re.finditer(r"\b(Alice|Bob Smith)\b", text):
            ents.append({"type": "person", "text": m.group(), "start": m.start(), "end": m.end()})
        for m in re.finditer(r"\b(Acme Corp)\b", text):
            ents.append(
                {"type": "organization", "text": m.group(), "start": m.start(), "end": m.end()}
            )
        for m in re.finditer(r"\+?\d[\d\- ]{7,}\d", text):
            ents.append({"type": "phone", "text": m.group(), "start": m.start(), "end": m.end()})
        return json.dumps({"entities": ents})
    if "summary" in props:
        return json.dumps({"summary": text.split(".")[0].strip()[:200]})
    if "headline" in props:
        topic = None
        if props.get("topic", {}).get("enum"):
            topic = "sports" if "match" in text.lower() else "politics"
        return json.dumps({"headline": " ".join(text.split()[:5]), "topic": topic})
    if "overall" in props:
        t = text.lower()
        aspects: list[dict[str, Any]] = []
        if "taste" in t:
            aspects.append({"aspect": "taste", "score": 5 if "delicious" in t else 1})
        if "price" in t:
            aspects.append({"aspect": "price", "score": 1 if "expensive" in t else 4})
        overall = sum(a["score"] for a in aspects) / len(aspects) if aspects else 2.5
        best = max(aspects, key=lambda a: a["score"])["aspect"] if aspects else None
        worst = min(aspects, key=lambda a: a["score"])["aspect"] if aspects else None
        return json.dumps(
            {"aspects": aspects, "overall": overall, "top_positive": best, "top_negative": worst}
        )
    return "ok"


@pytest.fixture
def server() -> Iterator[LocalChatServer]:
    with LocalChatServer(keyword_responder) as s:
        yield s


@pytest.fixture
def make_client(tmp_path: Path) -> Callable[..., LLMClient]:
    """``make_client(server, **options)``: a client on a cache file in ``tmp_path``."""

    def make(srv: LocalChatServer, **kw: Any) -> LLMClient:
        opts: dict[str, Any] = {
            "model": "test-model",
            "cache": tmp_path / "llm_cache.sqlite",
            "backoff_base": 0.01,
            "backoff_max": 0.2,
            "timeout": 5.0,
            "concurrency": 4,
        }
        opts.update(kw)
        return LLMClient(OpenAIProvider.compatible(srv.base_url), **opts)

    return make


@pytest.fixture
def keyword() -> Callable[[ChatRequest], str]:
    """The keyword responder, for tests that build their own server."""
    return keyword_responder
