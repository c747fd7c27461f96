"""LLMs as labelers: an OpenAI-compatible client, labeling tasks, calibration, table questions.

An LLM is one more labeler: it writes a column of the label matrix, abstains when unsure,
is calibrated against a small gold set, costs what the user allowed, and never pays twice
for the same prompt.

* :class:`OpenAIProvider` -- OpenAI, Azure OpenAI, or any OpenAI-compatible server
  (Ollama, vLLM, llama.cpp) behind one small :class:`ChatProvider` interface.
* :class:`LLMClient` / :func:`connect` -- SQLite cache, budget, retries with backoff,
  concurrency limit.
* Tasks -- :class:`ClassifyTask`, :class:`MultiLabelTask`, :class:`TaxonomyTask`,
  :class:`EntityTask`, :class:`SummarizeTask`, :class:`HeadlineTask`,
  :class:`AspectSentimentTask`, :class:`RowClassifyTask`.
* :func:`run_task` -> :class:`LLMRun` (statuses, votes, confidence, report);
  :class:`LLMLabeler` (fit on gold, label with an abstain threshold).
* :func:`ask` -- safe questions over a table (a validated plan, never code).
* :class:`LocalChatServer` -- a local server speaking the protocol, for tests and demos.

Names load lazily, so ``import labelwise.llm`` does not import ``openai`` or ``pydantic``.

Examples
--------
>>> from labelwise.llm import LocalChatServer, connect, ClassifyTask, run_task
>>> with LocalChatServer() as server:
...     client = connect(base_url=server.base_url, model="local", cache=None)
...     run = run_task(ClassifyTask(["ham", "spam"]), ["see you at 6"], client=client)
>>> run.to_label_matrix("llm").shape
(1, 1)
"""

# ruff: noqa: F401  (names imported under TYPE_CHECKING are re-exported lazily)
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from labelwise.llm.ask import AskResult, Plan, ask, describe_table, execute_plan, render_chart
    from labelwise.llm.cache import ResponseCache, cache_key, default_cache_path
    from labelwise.llm.client import DEFAULT_MODEL, LLMClient, connect
    from labelwise.llm.confidence import (
        ConfidenceCalibrator,
        ThresholdChoice,
        agreement_confidence,
        choose_threshold,
        logprob_confidence,
    )
    from labelwise.llm.cost import PRICES, Price, UsageTracker, price_for
    from labelwise.llm.errors import (
        BudgetExhausted,
        CircuitOpen,
        LLMConfigError,
        LLMError,
        LLMProviderError,
        OutputError,
        PlanError,
        ProviderError,
        RequestFailed,
        TaxonomyError,
    )
    from labelwise.llm.labeler import LLMLabeler
    from labelwise.llm.provider import (
        ChatProvider,
        ChatResult,
        OpenAIProvider,
        Usage,
        make_provider,
    )
    from labelwise.llm.run import ItemResult, LLMRun, RunInterrupted, run_task
    from labelwise.llm.server import (
        ChatRequest,
        Delay,
        Drop,
        LocalChatServer,
        Malformed,
        Reply,
        Status,
    )
    from labelwise.llm.tasks import (
        AspectSentimentTask,
        ClassifyTask,
        EntityTask,
        HeadlineTask,
        MultiLabelTask,
        RowClassifyTask,
        SummarizeTask,
        Task,
        TaxonomyTask,
    )
    from labelwise.llm.taxonomy import Taxonomy, load_taxonomy
    from labelwise.llm.text import truncate_text

_WHERE: dict[str, str] = {
    # provider seam
    "ChatProvider": "provider",
    "ChatResult": "provider",
    "OpenAIProvider": "provider",
    "Usage": "provider",
    "make_provider": "provider",
    # client, cache, cost
    "DEFAULT_MODEL": "client",
    "LLMClient": "client",
    "connect": "client",
    "ResponseCache": "cache",
    "cache_key": "cache",
    "default_cache_path": "cache",
    "PRICES": "cost",
    "Price": "cost",
    "UsageTracker": "cost",
    "price_for": "cost",
    # tasks
    "Task": "tasks",
    "ClassifyTask": "tasks",
    "MultiLabelTask": "tasks",
    "TaxonomyTask": "tasks",
    "EntityTask": "tasks",
    "SummarizeTask": "tasks",
    "HeadlineTask": "tasks",
    "AspectSentimentTask": "tasks",
    "RowClassifyTask": "tasks",
    "Taxonomy": "taxonomy",
    "load_taxonomy": "taxonomy",
    "truncate_text": "text",
    # runs, labelers, confidence
    "run_task": "run",
    "LLMRun": "run",
    "ItemResult": "run",
    "RunInterrupted": "run",
    "LLMLabeler": "labeler",
    "ConfidenceCalibrator": "confidence",
    "ThresholdChoice": "confidence",
    "choose_threshold": "confidence",
    "logprob_confidence": "confidence",
    "agreement_confidence": "confidence",
    # table questions
    "ask": "ask",
    "AskResult": "ask",
    "Plan": "ask",
    "execute_plan": "ask",
    "describe_table": "ask",
    "render_chart": "ask",
    # local server
    "LocalChatServer": "server",
    "ChatRequest": "server",
    "Reply": "server",
    "Status": "server",
    "Delay": "server",
    "Drop": "server",
    "Malformed": "server",
    # errors
    "LLMError": "errors",
    "LLMConfigError": "errors",
    "LLMProviderError": "errors",
    "BudgetExhausted": "errors",
    "CircuitOpen": "errors",
    "RequestFailed": "errors",
    "OutputError": "errors",
    "PlanError": "errors",
    "ProviderError": "errors",
    "TaxonomyError": "errors",
}

#: Deprecated names: still importable (with a DeprecationWarning when called), not public.
_DEPRECATED = {"default_cache_path"}

__all__ = sorted(n for n in _WHERE if n not in _DEPRECATED)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'labelwise.llm' has no attribute {name!r}")
    mod = importlib.import_module(f"labelwise.llm.{module}")
    # Bind every public name of that module now: importing a submodule sets the package
    # attribute of the same name (``labelwise.llm.ask`` the module), which must not hide
    # the public function ``ask``.
    for other, where in _WHERE.items():
        if where == module:
            globals()[other] = getattr(mod, other)
    return globals()[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
