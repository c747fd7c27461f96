"""Run an LLM task over many items: concurrency, repair, confidence, per-item accounting.

:func:`run_task` sends every item through the task's prompt on a thread pool limited by
the client's ``concurrency``, validates each answer, makes one repair request for an
invalid answer, and records per item a *status*:

==============  ===============================================================
status          meaning (every status but ``ok``/``repaired`` abstains)
==============  ===============================================================
ok              valid answer
repaired        valid after the one repair request
unsure          the model said it cannot decide
invalid         still invalid after the repair (bad JSON or schema)
unknown_label   still named a class the label space does not hold
failed          the request failed (retries used up, or refused)
budget          not sent: the cost or token budget was exhausted
empty           empty or missing text (no request)
not_text        a non-string cell (no request)
error           the task's own code raised (a bug; strict=True re-raises)
not_run         never attempted: the run stopped on a fatal provider error
==============  ===============================================================

Nothing is lost on the way: each answer is in the cache as soon as it arrives, a budget
stop returns what was done, and a wrong key or model raises
:class:`~labelwise.llm.errors.LLMProviderError` carrying the partial run.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import require
from labelwise.faults import FaultLog
from labelwise.labeling import ABSTAIN, LabelMatrix, LabelSpace, Votes
from labelwise.llm.client import LLMClient
from labelwise.llm.confidence import (
    ConfidenceCalibrator,
    agreement_confidence,
    logprob_confidence,
)
from labelwise.llm.errors import (
    BudgetExhausted,
    LLMConfigError,
    LLMProviderError,
    OutputError,
    RequestFailed,
)
from labelwise.llm.provider import ChatResult
from labelwise.llm.tasks import (
    EntityTask,
    ItemSkipped,
    MultiLabelTask,
    Prepared,
    Task,
    TaxonomyTask,
)
from labelwise.progress import progress as progress_bar

__all__ = [
    "RESPONSE_FORMATS",
    "STATUSES",
    "ItemResult",
    "LLMRun",
    "RunInterrupted",
    "run_task",
]

STATUSES = (
    "ok",
    "repaired",
    "unsure",
    "invalid",
    "unknown_label",
    "failed",
    "budget",
    "empty",
    "not_text",
    "error",
)
_VOTING = ("ok", "repaired")
_FAULT_STATUSES = ("failed", "invalid", "unknown_label", "budget", "error", "not_run")
_CONFIDENCE_MODES = ("auto", "logprobs", "samples", "verbalized", "none")
_FALLBACKS = ("samples", "verbalized", "none")
#: How structured output is requested (``auto`` probes once and falls back).
RESPONSE_FORMATS = ("auto", "json_schema", "json_object", "none")
_VERBAL_KEY = "confidence"
_VERBAL_HINT = (
    ' Also include "confidence": your probability, from 0 to 1, that your answer is right.'
)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`run_task`; :attr:`partial` holds the items finished before it."""

    def __init__(self, partial: Any) -> None:
        super().__init__("interrupted")
        self.partial = partial


_PREVIEW = 300  # characters of each item kept for reports
_BASE_COLUMNS = ("status", "vote", "label", "confidence")
_TAIL_COLUMNS = ("error", "truncated", "cached", "n_retries", "cost_usd")


@dataclass
class ItemResult:
    """What happened to one item."""

    status: str = "pending"
    output: Any = None
    vote: int = ABSTAIN
    confidence: float = math.nan
    error: str | None = None
    raw: str | None = None
    preview: str | None = None
    truncated: bool = False
    n_requests: int = 0
    n_cached: int = 0
    n_retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    retry_kinds: list[str] = field(default_factory=list)

    def account(self, chat: ChatResult) -> None:
        if chat.cached:
            self.n_cached += 1
        else:
            self.n_requests += 1
            self.prompt_tokens += chat.usage.prompt_tokens
            self.completion_tokens += chat.usage.completion_tokens
            self.cost_usd += chat.cost_usd
        self.n_retries += len(chat.retries)
        self.retry_kinds.extend(chat.retries)


def _as_items(items: Any) -> tuple[list[Any], list[Any] | None]:
    import pandas as pd

    if isinstance(items, pd.DataFrame):
        index = None if isinstance(items.index, pd.RangeIndex) else list(items.index)
        return items.to_dict(orient="records"), index
    if isinstance(items, pd.Series):
        index = None if isinstance(items.index, pd.RangeIndex) else list(items.index)
        return [None if (v is pd.NA) else v for v in items.tolist()], index
    if isinstance(items, (str, bytes)):
        raise LLMConfigError("items must be a sequence of texts, not one string; wrap it in a list")
    return list(items), None


class _Runner:
    def __init__(
        self,
        task: Task,
        client: LLMClient,
        *,
        confidence: str,
        n_samples: int,
        sample_temperature: float,
        strict: bool,
        response_format: str | None = None,
    ) -> None:
        self.task = task
        self.client = client
        self.confidence = confidence
        self.n_samples = n_samples
        self.sample_temperature = sample_temperature
        self.strict = strict
        self.want_logprobs = confidence in ("auto", "logprobs")
        self.logprobs_refused = False
        self.logprobs_missing = False
        self.rf_mode = response_format or task.response_mode
        self.seen_answer = False
        self.notes: list[str] = []
        self.abort = threading.Event()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ requests
    def _schema(self) -> dict[str, Any]:
        import copy

        schema = copy.deepcopy(self.task.schema())
        if self.confidence == "verbalized" and isinstance(schema.get("properties"), dict):
            schema["properties"][_VERBAL_KEY] = {"type": "number", "minimum": 0, "maximum": 1}
            req = list(schema.get("required") or [])
            schema["required"] = [*req, _VERBAL_KEY]
        return schema

    def response_format(self, mode: str | None = None) -> dict[str, Any] | None:
        mode = mode or self.rf_mode
        if mode == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {
                    "name": f"labelwise_{self.task.kind}",
                    "schema": self._schema(),
                    "strict": True,
                },
            }
        if mode == "json_object":
            return {"type": "json_object"}
        return None

    def messages(self, prepared: Prepared) -> list[dict[str, str]]:
        msgs = self.task.messages(prepared)
        if self.confidence == "verbalized" and msgs:
            last = dict(msgs[-1])
            last["content"] = str(last["content"]) + _VERBAL_HINT
            msgs = [*msgs[:-1], last]
        return msgs

    def parse(self, text: str, prepared: Prepared, *, strict: bool) -> tuple[Any, float]:
        """Validate an answer locally (always, whatever the server promised); return the
        output and its verbalized confidence (NaN unless asked for)."""
        from labelwise.llm.text import parse_json_output

        data = parse_json_output(text)
        verbal = math.nan
        if self.confidence == "verbalized" and isinstance(data, dict) and _VERBAL_KEY in data:
            data = dict(data)
            raw = data.pop(_VERBAL_KEY)
            try:
                value = float(raw)
            except (TypeError, ValueError):
                value = math.nan
            verbal = value if 0.0 <= value <= 1.0 else math.nan
        return self.task.parse(data, prepared, strict=strict), verbal

    def first_index(self, values: list[Any]) -> int | None:
        """The first item that would be sent (not empty, text)."""
        for i, v in enumerate(values):
            try:
                self.task.prepare(v)
            except ItemSkipped:
                continue
            return i
        return None

    def _negotiate(self, messages: list[dict[str, str]], *, sampling: bool) -> ChatResult:
        """``auto`` response format: try json_schema, json_object, none; keep the first the
        server accepts (called once, before the batch starts)."""
        refused: list[str] = []
        for mode in ("json_schema", "json_object", "none"):
            try:
                chat = self._call(messages, sampling=sampling, mode=mode)
            except RequestFailed as exc:
                if exc.kind not in ("bad_request", "server", "server_deterministic"):
                    self.rf_mode = "json_schema"  # not a format problem: decide later
                    raise
                refused.append(f"{mode}: {exc}")
                continue
            self.rf_mode = mode
            if refused:
                self.note(
                    "the server refused response_format "
                    + ", ".join(r.split(":")[0] for r in refused)
                    + f" ({refused[0][:240]}); using {mode}, with every answer validated "
                    "against the schema locally and one repair request per invalid answer"
                )
            return chat
        self.rf_mode = "none"
        raise RequestFailed(
            "the server refused every response_format: " + "; ".join(refused)[:600],
            kind="bad_request",
        )

    def note(self, message: str) -> None:
        with self._lock:
            if message not in self.notes:
                self.notes.append(message)

    def _call(
        self, messages: list[dict[str, str]], *, sampling: bool, mode: str | None = None
    ) -> ChatResult:
        logprobs = self.want_logprobs and not self.logprobs_refused and not self.logprobs_missing
        kwargs: dict[str, Any] = {
            "response_format": self.response_format(mode),
            "max_tokens": self.task.max_tokens,
        }
        if logprobs:
            kwargs["top_logprobs"] = 5
        if sampling:
            kwargs.update(n=self.n_samples, temperature=self.sample_temperature)
        try:
            return self.client.complete(messages, logprobs=logprobs, **kwargs)
        except RequestFailed as exc:
            # Some deployments refuse log-probabilities (400); ask once more without them
            # and stop asking for the rest of the run.
            if logprobs and exc.kind == "bad_request" and "logprob" in str(exc).lower():
                with self._lock:
                    self.logprobs_refused = True
                kwargs.pop("top_logprobs", None)
                return self.client.complete(messages, logprobs=False, **kwargs)
            raise

    def process(self, item: Any) -> ItemResult:
        if self.abort.is_set():
            return ItemResult(status="not_run")
        res = ItemResult()
        task = self.task
        try:
            prepared = task.prepare(item)
        except ItemSkipped as exc:
            res.status, res.error = exc.status, str(exc)
            res.preview = None if item is None else str(item)[:_PREVIEW]
            return res
        res.preview = prepared.text[:_PREVIEW]
        res.truncated = prepared.truncation is not None
        try:
            self._answer(prepared, res)
        except BudgetExhausted as exc:
            res.status, res.error = "budget", str(exc)
        except RequestFailed as exc:
            res.status, res.error = "failed", str(exc)
            res.n_retries += len(exc.retries)
            res.retry_kinds.extend(exc.retries)
        except (LLMProviderError, LLMConfigError, KeyboardInterrupt):
            # Every further request would fail the same way: stop the other workers.
            self.abort.set()
            raise
        except Exception as exc:
            if self.strict:
                raise
            res.status, res.error = "error", f"{type(exc).__name__}: {exc}"
        return res

    def _answer(self, prepared: Prepared, res: ItemResult) -> None:
        task = self.task
        sampling = self.confidence == "samples" and self.n_samples > 1
        if self.rf_mode == "auto":
            chat = self._negotiate(self.messages(prepared), sampling=sampling)
        else:
            chat = self._call(self.messages(prepared), sampling=sampling)
        if self.want_logprobs and not self.logprobs_refused and not self.seen_answer:
            self.logprobs_missing = not any(lp for lp in chat.logprobs)
        self.seen_answer = True
        res.account(chat)
        outputs: list[tuple[int, Any]] = []
        verbal: dict[int, float] = {}
        first_error: OutputError | None = None
        for i, text in enumerate(chat.texts):
            try:
                out, verbal[i] = self.parse(text, prepared, strict=True)
                outputs.append((i, out))
            except OutputError as exc:
                if i < len(chat.finish_reasons) and chat.finish_reasons[i] == "length":
                    exc = OutputError(
                        f"{exc} (the answer was cut off at max_tokens={task.max_tokens}; "
                        "raise the task's max_tokens)",
                        kind=exc.kind,
                    )
                first_error = first_error or exc
        res.raw = chat.texts[0] if chat.texts else ""
        if not outputs:
            error = first_error or OutputError("the server returned no answer", kind="schema")
            repair_msgs = task.repair_messages(prepared, res.raw, error)
            if self.confidence == "verbalized":
                repair_msgs[-1] = {
                    **repair_msgs[-1],
                    "content": repair_msgs[-1]["content"] + _VERBAL_HINT,
                }
            repair = self._call(repair_msgs, sampling=False)
            res.account(repair)
            res.raw = repair.texts[0] if repair.texts else ""
            try:
                output, verbal[0] = self.parse(res.raw, prepared, strict=False)
            except OutputError as exc:
                res.status = "unknown_label" if exc.kind == "unknown_label" else "invalid"
                res.error = f"{error} -> after repair: {exc}"
                return
            res.status = "repaired"
            res.output = output
            res.confidence = (
                verbal[0]
                if self.confidence == "verbalized"
                else self._logprob_conf(repair, 0, output)
            )
        else:
            if sampling:
                keys = [task.agreement_key(o) for _, o in outputs]
                pick, share = agreement_confidence(keys, len(chat.texts))
                choice, output = outputs[pick]
                res.confidence = share if keys[pick] is not None else math.nan
            elif self.confidence == "verbalized":
                choice, output = outputs[0]
                res.confidence = verbal.get(choice, math.nan)
            else:
                choice, output = outputs[0]
                res.confidence = self._logprob_conf(chat, choice, output)
            res.raw = chat.texts[choice]
            res.status = "ok"
            res.output = output
        res.vote = task.vote(res.output)
        if res.vote == ABSTAIN and getattr(res.output, "label", "x") is None:
            res.status = "unsure"

    def _logprob_conf(self, chat: ChatResult, choice: int, output: Any) -> float:
        if self.confidence not in ("auto", "logprobs") or choice >= len(chat.logprobs):
            return math.nan
        return logprob_confidence(chat.logprobs[choice], self.task.confidence_keys(output))


def run_task(
    task: Task,
    items: Any,
    *,
    client: LLMClient,
    confidence: str = "auto",
    n_samples: int = 5,
    sample_temperature: float = 0.7,
    progress: bool | None = None,
    strict: bool = False,
    desc: str | None = None,
    response_format: str | None = None,
    confidence_fallback: str = "none",
) -> LLMRun:
    """Run ``task`` over ``items`` with ``client``.

    Parameters
    ----------
    task : Task
        What to ask (see :mod:`labelwise.llm.tasks`).
    items : sequence, pandas Series, or DataFrame (for row tasks)
        Texts (or rows). A Series/DataFrame index becomes the label matrix index.
    client : LLMClient
        Provider, cache, budget, retries and concurrency.
    confidence : {"auto", "logprobs", "samples", "verbalized", "none"}, default "auto"
        ``"auto"``/``"logprobs"`` ask for token log-probabilities (``top_logprobs=5``,
        temperature 0); ``"samples"`` asks ``n_samples`` answers at
        ``sample_temperature`` and scores their agreement; ``"verbalized"`` asks the model
        for a ``"confidence"`` between 0 and 1 in its JSON; ``"none"`` skips confidence.
    response_format : {"auto", "json_schema", "json_object", "none"}, optional
        How structured output is requested (default: the task's ``response_mode``).
        ``"auto"`` probes with the first item (json_schema, then json_object, then none)
        and keeps the first the server accepts (llama.cpp's server answers 500 to some
        json_schema payloads). Answers are always validated against the schema locally,
        with one repair request per invalid answer.
    confidence_fallback : {"none", "samples", "verbalized"}, default "none"
        What ``"auto"``/``"logprobs"`` confidence does when the server returns no
        log-probabilities (Ollama): said once in ``run.notes``, then this mode is used.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    strict : bool, default False
        Re-raise exceptions from the task's code instead of marking the item ``error``.

    Returns
    -------
    LLMRun
        Per-item statuses, outputs, votes and confidences, with totals.

    Raises
    ------
    LLMProviderError
        The provider refuses every request (wrong key, unknown model); ``exc.partial``
        holds the run so far.

    Examples
    --------
    >>> from labelwise.llm import LocalChatServer, OpenAIProvider, LLMClient, ClassifyTask
    >>> with LocalChatServer() as server:
    ...     client = LLMClient(OpenAIProvider.compatible(server.base_url), model="m", cache=None)
    ...     run = run_task(ClassifyTask(["ham", "spam"]), ["hi", "", "free prize"], client=client)
    >>> run.statuses.tolist(), run.votes.tolist()
    (['ok', 'empty', 'ok'], [0, -1, 0])
    """
    if confidence not in _CONFIDENCE_MODES:
        raise LLMConfigError(f"confidence must be one of {_CONFIDENCE_MODES}, got {confidence!r}")
    if confidence == "samples" and n_samples < 2:
        raise LLMConfigError(f"confidence='samples' needs n_samples >= 2, got {n_samples}")
    if response_format is not None and response_format not in RESPONSE_FORMATS:
        raise LLMConfigError(
            f"response_format must be one of {RESPONSE_FORMATS}, got {response_format!r}"
        )
    if confidence_fallback not in _FALLBACKS:
        raise LLMConfigError(
            f"confidence_fallback must be one of {_FALLBACKS}, got {confidence_fallback!r}"
        )
    values, index = _as_items(items)
    if not values:
        warnings.warn("run_task got no items; nothing to label", stacklevel=2)
    runner = _Runner(
        task,
        client,
        confidence=confidence,
        n_samples=n_samples,
        sample_temperature=sample_temperature,
        strict=strict,
        response_format=response_format,
    )
    results: list[ItemResult | None] = [None] * len(values)
    start = time.perf_counter()
    fatal: BaseException | None = None
    futures: dict[Any, int] = {}
    # The first item goes alone: it settles the response format (``auto``) and shows
    # whether the server returns log-probabilities before the batch fans out.
    first = (
        runner.first_index(values) if (runner.rf_mode == "auto" or runner.want_logprobs) else None
    )
    if first is not None:
        try:
            results[first] = runner.process(values[first])
        except (LLMProviderError, LLMConfigError, KeyboardInterrupt) as exc:
            fatal = exc
        except BaseException as exc:  # strict=True re-raises task errors
            fatal = exc
    if runner.rf_mode == "auto":  # the first item never got an answer: ask for the schema
        runner.rf_mode = "json_schema"
    if runner.logprobs_missing:
        runner.note(
            "the server returned no log-probabilities"
            + (
                f"; confidence falls back to {confidence_fallback}"
                if confidence_fallback != "none"
                else "; confidence is unknown (NaN). Choose --confidence-fallback samples "
                "(agreement of several answers) or verbalized (the model's own estimate)"
            )
        )
        if confidence_fallback != "none":
            runner.confidence = confidence_fallback
            runner.want_logprobs = False
    pool = ThreadPoolExecutor(max_workers=client.concurrency, thread_name_prefix="labelwise-llm")
    try:
        if fatal is None:
            futures = {
                pool.submit(runner.process, v): i for i, v in enumerate(values) if i != first
            }
        bar: Iterable[Any] = progress_bar(
            as_completed(futures),
            total=len(futures),
            desc=desc or f"LLM {task.kind}",
            unit="item",
            enabled=progress,
        )
        for fut in bar:
            i = futures[fut]
            try:
                results[i] = fut.result()
            except BaseException as exc:
                fatal = exc
                break
    except KeyboardInterrupt as exc:
        fatal = exc
        runner.abort.set()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    # Items finished after the fatal error still count; the rest were never attempted.
    for fut, i in futures.items():
        if results[i] is None and fut.done() and not fut.cancelled() and fut.exception() is None:
            results[i] = fut.result()
    final = [r if r is not None else ItemResult(status="not_run") for r in results]
    run = LLMRun(
        task,
        final,
        index=index,
        provider=getattr(client.provider, "name", type(client.provider).__name__),
        model=client.model,
        elapsed_s=time.perf_counter() - start,
        confidence_mode=runner.confidence,
        logprobs_refused=runner.logprobs_refused,
    )
    run.response_format = runner.rf_mode
    run.notes = list(runner.notes)
    run.logprobs_missing = runner.logprobs_missing
    if fatal is not None:
        if isinstance(fatal, KeyboardInterrupt):
            run.interrupted = True
            raise RunInterrupted(run) from fatal
        if isinstance(fatal, LLMProviderError):
            run.stopped = str(fatal)
            raise type(fatal)(
                f"{fatal} -- {run.stats['n_done']} of {len(final)} items were done before it "
                "(their answers are cached); fix the setting and rerun",
                partial=run,
            ) from fatal
        raise fatal
    return run


class LLMRun:
    """The results of :func:`run_task`: one :class:`ItemResult` per item, plus totals.

    Attributes
    ----------
    results : list of ItemResult
    stats : dict
        Counts per status, requests, cache hits, retries, tokens, cost, coverage,
        ``stopped_reason`` (``"budget"`` or ``None``).
    """

    def __init__(
        self,
        task: Task,
        results: list[ItemResult],
        *,
        index: list[Any] | None = None,
        provider: str = "",
        model: str = "",
        elapsed_s: float = 0.0,
        confidence_mode: str = "auto",
        logprobs_refused: bool = False,
    ) -> None:
        self.task = task
        self.results = results
        self.index = index
        self.provider = provider
        self.model = model
        self.elapsed_s = elapsed_s
        self.confidence_mode = confidence_mode
        self.logprobs_refused = logprobs_refused
        #: The response format the run used (after an ``auto`` probe).
        self.response_format: str | None = None
        #: Things said once about the run (refused formats, missing log-probabilities).
        self.notes: list[str] = []
        self.logprobs_missing = False
        self.interrupted = False
        #: Why the run stopped early (circuit breaker, wrong key), or None.
        self.stopped: str | None = None
        self.stats = self._stats()

    def __len__(self) -> int:
        return len(self.results)

    def __repr__(self) -> str:
        s = self.stats
        return (
            f"LLMRun({self.task.kind}, n={len(self)}, ok={s['n_ok']}, repaired={s['n_repaired']}, "
            f"abstained={s['n_abstained']}, cost=${s['cost_usd']:.4f})"
        )

    def _stats(self) -> dict[str, Any]:
        counts = Counter(r.status for r in self.results)
        retry_kinds = Counter(k for r in self.results for k in r.retry_kinds)
        n = len(self.results)
        voted = sum(1 for r in self.results if r.vote != ABSTAIN)
        conf = self.confidence
        stats: dict[str, Any] = {f"n_{s}": int(counts.get(s, 0)) for s in STATUSES}
        stats["n_not_run"] = int(counts.get("not_run", 0))
        stats.update(
            n_items=n,
            n_done=int(counts.get("ok", 0) + counts.get("repaired", 0) + counts.get("unsure", 0)),
            n_voted=voted,
            n_abstained=n - voted,
            coverage=voted / n if n else 0.0,
            n_truncated=sum(r.truncated for r in self.results),
            n_requests=sum(r.n_requests for r in self.results),
            n_cache_hits=sum(r.n_cached for r in self.results),
            n_retries=sum(r.n_retries for r in self.results),
            retries_by_kind=dict(retry_kinds),
            prompt_tokens=sum(r.prompt_tokens for r in self.results),
            completion_tokens=sum(r.completion_tokens for r in self.results),
            cost_usd=round(sum(r.cost_usd for r in self.results), 8),
            n_with_confidence=int(np.isfinite(conf).sum()) if n else 0,
            stopped_reason="budget" if counts.get("budget", 0) else None,
            elapsed_s=round(self.elapsed_s, 3),
        )
        if isinstance(self.task, EntityTask):
            stats["n_spans"] = sum(len(r.output.entities) for r in self.results if r.output)
            stats["n_spans_fixed"] = sum(r.output.n_fixed for r in self.results if r.output)
            stats["n_spans_dropped"] = sum(r.output.n_dropped for r in self.results if r.output)
        return stats

    # ------------------------------------------------------------------ arrays
    @property
    def statuses(self) -> np.ndarray:
        """Status per item, shape (n,)."""
        return np.array([r.status for r in self.results], dtype=object)

    @property
    def outputs(self) -> list[Any]:
        """Validated answer per item (``None`` where there is none)."""
        return [r.output for r in self.results]

    @property
    def votes(self) -> np.ndarray:
        """Class index per item, ``ABSTAIN`` where there is no vote; shape (n,)."""
        return np.array([r.vote for r in self.results], dtype=np.int64)

    @property
    def confidence(self) -> np.ndarray:
        """Raw confidence per item (NaN when unknown or no vote); shape (n,)."""
        return np.array(
            [r.confidence if r.status in _VOTING else math.nan for r in self.results], dtype=float
        )

    @property
    def label_space(self) -> LabelSpace | None:
        return self.task.label_space

    def provenance(self, **extra: Any) -> dict[str, Any]:
        """Where the column came from, for :class:`~labelwise.labeling.LabelMatrix`."""
        s = self.stats
        return {
            "kind": "llm",
            "task": self.task.kind,
            "provider": self.provider,
            "model": self.model,
            "prompt_hash": self.task.prompt_hash,
            "confidence": self.confidence_mode,
            "cost_usd": s["cost_usd"],
            "prompt_tokens": s["prompt_tokens"],
            "completion_tokens": s["completion_tokens"],
            "n_requests": s["n_requests"],
            "n_cache_hits": s["n_cache_hits"],
            "n_invalid": s["n_invalid"],
            "n_unknown_label": s["n_unknown_label"],
            "n_repaired": s["n_repaired"],
            "n_failed": s["n_failed"],
            "n_budget": s["n_budget"],
            "n_abstained": s["n_abstained"],
            "n_truncated": s["n_truncated"],
            "truncation_max_chars": self.task.max_chars,
            "stopped_reason": s["stopped_reason"],
            **extra,
        }

    def faults(self, source: str = "llm") -> FaultLog:
        """One :class:`~labelwise.faults.Fault` per item that failed (it abstains).

        ``item`` is the position in the run, ``error`` the status (``failed``, ``invalid``,
        ``unknown_label``, ``budget``, ``error``, ``not_run``) and ``message`` what went
        wrong. Skipped items (``empty``, ``not_text``) and ``unsure`` answers are not faults.
        """
        log = FaultLog()
        for i, r in enumerate(self.results):
            if r.status in _FAULT_STATUSES:
                log.error(i, r.status, r.error or r.status, source=source)
        return log

    def to_votes(
        self,
        name: str = "llm",
        *,
        threshold: float | None = None,
        calibrator: ConfidenceCalibrator | None = None,
        level: str | None = None,
    ) -> Votes:
        """This run's votes as :class:`~labelwise.labeling.Votes` (one label-matrix column).

        Parameters
        ----------
        name : str
            Column name.
        threshold : float, optional
            Abstain where the (calibrated) confidence is below it or unknown.
        calibrator : ConfidenceCalibrator, optional
            Maps raw confidence before the threshold applies.
        level : {"leaf", "category"}, optional
            For taxonomy runs: which level to vote on (default: the task's).
        """
        if isinstance(self.task, MultiLabelTask):
            raise LLMConfigError(
                "a multi-label run has one 0/1 column per class; use to_multi_label_matrix()"
            )
        space = self.label_space
        votes = self.votes.copy()
        if isinstance(self.task, TaxonomyTask) and level is not None and level != self.task.level:
            if level == "category":
                space = self.task.taxonomy.category_space
                votes = np.array(
                    [
                        space.index(r.output.category) if r.status in _VOTING else ABSTAIN
                        for r in self.results
                    ]
                )
            elif level == "leaf":
                space = self.task.taxonomy.leaf_space
                votes = np.array(
                    [
                        space.index(self.task.leaf(r.output)) if r.status in _VOTING else ABSTAIN
                        for r in self.results
                    ]
                )
            else:
                raise LLMConfigError(f"level must be 'leaf' or 'category', got {level!r}")
        if space is None:
            raise LLMConfigError(
                f"a {self.task.kind} task has no classes to vote on; use to_pandas() for its "
                "outputs (HeadlineTask votes only when given topics)"
            )
        candidates = votes.copy()
        extra: dict[str, Any] = {}
        conf = self.confidence
        if calibrator is not None:
            conf = calibrator.transform(conf)
            extra["calibrated"] = calibrator.method
        if threshold is not None:
            below = (votes != ABSTAIN) & ~(conf >= threshold)
            votes[below] = ABSTAIN
            extra.update(threshold=float(threshold), n_below_threshold=int(below.sum()))
        prov = self.provenance(**extra)
        prov["n_abstained"] = int((votes == ABSTAIN).sum())
        known = (votes != ABSTAIN) & np.isfinite(conf)
        prov["mean_confidence"] = float(np.mean(conf[known])) if known.any() else None
        return Votes(
            name,
            votes,
            label_space=space,
            confidence=np.clip(conf, 0.0, 1.0),
            provenance=prov,
            faults=self.faults(name),
            candidates=candidates,
        )

    def to_label_matrix(
        self,
        name: str = "llm",
        *,
        threshold: float | None = None,
        calibrator: ConfidenceCalibrator | None = None,
        level: str | None = None,
    ) -> LabelMatrix:
        """One label-matrix column of this run's votes (:meth:`to_votes` as a matrix).

        Returns
        -------
        LabelMatrix
            Shape (n, 1) with the task's label space and provenance.
        """
        v = self.to_votes(name, threshold=threshold, calibrator=calibrator, level=level)
        return v.to_label_matrix(index=self.index)

    def to_multi_label_matrix(self, prefix: str = "llm") -> LabelMatrix:
        """For a :class:`MultiLabelTask`: one 0/1 column per class (``prefix:class``).

        Items without a valid answer abstain in every column.
        """
        if not isinstance(self.task, MultiLabelTask):
            raise LLMConfigError("to_multi_label_matrix needs a MultiLabelTask run")
        k = len(self.task.labels)
        values = np.full((len(self), k), ABSTAIN, dtype=np.int64)
        for i, r in enumerate(self.results):
            if r.status in _VOTING:
                values[i] = self.task.indicators(r.output)
        names = [f"{prefix}:{c}" for c in self.task.labels]
        prov = self.provenance()
        return LabelMatrix(
            values,
            names=names,
            cardinality=2,
            provenance={
                n: {**prov, "class": c} for n, c in zip(names, self.task.labels, strict=True)
            },
            index=self.index,
        )

    def to_pandas(self) -> Any:
        """One row per item: status, vote (class name), confidence, error, truncated, the
        answer's fields, tokens and cost."""
        import pandas as pd

        rows = []
        space = self.label_space
        for r in self.results:
            row: dict[str, Any] = {
                "status": r.status,
                "vote": r.vote,
                "label": (space.name(r.vote) if space is not None and r.vote != ABSTAIN else None),
                "confidence": r.confidence if r.status in _VOTING else math.nan,
            }
            if r.output is not None:
                row.update(self.task.to_record(r.output))
            row.update(
                error=r.error,
                truncated=r.truncated,
                cached=r.n_requests == 0 and r.n_cached > 0,
                n_retries=r.n_retries,
                cost_usd=r.cost_usd,
            )
            rows.append(row)
        if not rows:
            return pd.DataFrame(columns=[*_BASE_COLUMNS, *_TAIL_COLUMNS])
        return pd.DataFrame(rows, index=self.index)

    def spans(self) -> Any:
        """For an :class:`EntityTask`: one row per entity (item, type, text, start, end)."""
        import pandas as pd

        if not isinstance(self.task, EntityTask):
            raise LLMConfigError("spans() needs an EntityTask run")
        ids = self.index if self.index is not None else list(range(len(self)))
        rows = [
            {"item": ids[i], **e}
            for i, r in enumerate(self.results)
            if r.output is not None
            for e in r.output.entities
        ]
        return pd.DataFrame(rows, columns=["item", "type", "text", "start", "end"])

    # ------------------------------------------------------------------ reporting
    def batch_summary(self) -> Any:
        """The run as a :class:`~labelwise.faults.BatchSummary` (what the CLI exits with).

        ``done`` are answered items (ok, repaired, unsure) that cost a request, ``cached``
        those answered from the cache, ``skipped`` empty or non-text items, ``failed`` the
        rest (failed, invalid, unknown label, task error, budget, and items never run
        because the run stopped); after Ctrl-C the items never run are left out.
        """
        from labelwise.faults import BatchSummary, FaultLog

        log = FaultLog()
        ids = self.index if self.index is not None else list(range(len(self.results)))
        done = cached = skipped = failed = 0
        for item, r in zip(ids, self.results, strict=True):
            if r.status in ("ok", "repaired", "unsure"):
                if r.n_requests == 0 and r.n_cached > 0:
                    cached += 1
                else:
                    done += 1
            elif r.status in ("empty", "not_text"):
                skipped += 1
            elif r.status == "not_run" and self.interrupted:
                continue
            else:
                failed += 1
                message = r.error or (
                    "never sent: the run stopped before it" if r.status == "not_run" else r.status
                )
                log.error(item, r.status, message, source=f"llm {self.task.kind}")
        return BatchSummary(
            total=len(self.results),
            done=done,
            cached=cached,
            skipped=skipped,
            failed=failed,
            faults=log,
            interrupted=self.interrupted,
        )

    def alerts(self) -> list[tuple[str, str]]:
        s = self.stats
        out: list[tuple[str, str]] = []
        if s["stopped_reason"] == "budget":
            reason = next((r.error for r in self.results if r.status == "budget"), "")
            out.append(
                (
                    "warning",
                    f"budget exhausted: {s['n_budget']} of {s['n_items']} items were not sent "
                    f"and abstain. {reason}",
                )
            )
        if s["n_not_run"]:
            out.append(("error", f"{s['n_not_run']} items never ran (the run was interrupted)"))
        if s["n_failed"]:
            first = next(r.error for r in self.results if r.status == "failed")
            out.append(("error", f"{s['n_failed']} requests failed for good; first: {first}"))
        if s["n_invalid"] or s["n_unknown_label"]:
            out.append(
                (
                    "warning",
                    f"{s['n_invalid']} invalid and {s['n_unknown_label']} unknown-label answers "
                    "after one repair each (they abstain)",
                )
            )
        if s["n_repaired"]:
            out.append(("info", f"{s['n_repaired']} answers were valid only after a repair"))
        if s["n_truncated"]:
            out.append(
                (
                    "info",
                    f"{s['n_truncated']} texts were longer than {self.task.max_chars} characters "
                    "and were truncated (head 70% + tail 30% kept)",
                )
            )
        if s["n_empty"] or s["n_not_text"]:
            out.append(
                (
                    "warning",
                    f"{s['n_empty']} empty and {s['n_not_text']} non-text items were skipped",
                )
            )
        if s["n_error"]:
            first = next(r.error for r in self.results if r.status == "error")
            out.append(("error", f"{s['n_error']} items raised inside the task; first: {first}"))
        if self.logprobs_refused:
            out.append(("info", "the provider refused log-probabilities; confidence is unknown"))
        for note in self.notes:
            out.append(("warning", note))
        return out

    def summary(self) -> str:
        """One paragraph for the terminal."""
        s = self.stats
        parts = [
            f"{s['n_items']} items: {s['n_ok']} ok, {s['n_repaired']} repaired, "
            f"{s['n_abstained']} abstained (coverage {s['coverage']:.1%})",
            f"{s['n_requests']} requests, {s['n_cache_hits']} cache hits, {s['n_retries']} retries",
            f"{s['prompt_tokens'] + s['completion_tokens']} tokens, ${s['cost_usd']:.4f}",
        ]
        text = "; ".join(parts) + "."
        for level, msg in self.alerts():
            if level != "info":
                text += f"\n{level}: {msg}"
        return text

    def report(self, path: str | Path | None = None, *, title: str | None = None) -> Any:
        """An HTML report: totals, alerts, statuses, confidence, labels and problem items.

        Returns the :class:`~labelwise.reports.Report`; saves it when ``path`` is given.
        """
        matplotlib = require("matplotlib", "llm")
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import pandas as pd

        from labelwise.reports import Report

        s = self.stats
        r = Report(
            title or f"LLM {self.task.kind} run",
            subtitle=f"{self.provider} / {self.model} -- prompt {self.task.prompt_hash}",
        )
        sec = r.section("Overview")
        sec.kv(
            {
                "items": s["n_items"],
                "voted (coverage)": f"{s['n_voted']} ({s['coverage']:.1%})",
                "requests / cache hits / retries": f"{s['n_requests']} / {s['n_cache_hits']} / {s['n_retries']}",
                "tokens (prompt + completion)": f"{s['prompt_tokens']} + {s['completion_tokens']}",
                "cost (USD)": f"{s['cost_usd']:.6f}",
                "confidence": f"{self.confidence_mode} ({s['n_with_confidence']} items with a value)",
                "truncation": f"{s['n_truncated']} items over {self.task.max_chars} characters",
                "elapsed (s)": s["elapsed_s"],
            }
        )
        r.section("Alerts").alerts(self.alerts())
        sec = r.section("Statuses")
        counts = pd.Series(Counter(str(x) for x in self.statuses)).sort_values(ascending=False)
        sec.table(counts.rename("items").to_frame(), max_rows=20)
        fig, ax = plt.subplots(figsize=(6, 2.6))
        ax.barh(counts.index.astype(str), counts.to_numpy(), color="#0969da")
        ax.invert_yaxis()
        ax.set_xlabel("items")
        sec.figure(fig, caption="items per status")
        conf = self.confidence
        if np.isfinite(conf).any():
            sec = r.section("Confidence")
            fig, ax = plt.subplots(figsize=(6, 2.6))
            ax.hist(conf[np.isfinite(conf)], bins=20, range=(0, 1), color="#1a7f37")
            ax.set_xlabel("raw confidence")
            ax.set_ylabel("items")
            sec.figure(fig, caption=f"confidence ({self.confidence_mode})")
        if self.label_space is not None:
            sec = r.section("Votes")
            names = pd.Series(
                [self.label_space.name(v) if v != ABSTAIN else "(abstain)" for v in self.votes]
            )
            sec.table(names.value_counts().rename("items").to_frame(), max_rows=60)
        frame = self.to_pandas()
        # Positional selection: a user index may repeat ids.
        bad = np.flatnonzero(~frame["status"].isin(list(_VOTING)).to_numpy())
        sec = r.section("Problem items")
        if len(bad):
            shown = frame.iloc[bad][["status", "error"]].assign(
                text=[self.results[i].preview for i in bad],
                raw=[self.results[i].raw for i in bad],
            )
            sec.table(shown, max_rows=30)
        else:
            sec.text("Every item got a valid answer.")
        sample = frame.head(30).copy()
        sample.insert(0, "text", [(r.preview or "")[:120] for r in self.results[:30]])
        r.section("Sample of answers").table(sample, max_rows=30)
        if path is not None:
            r.save(path)
        return r
