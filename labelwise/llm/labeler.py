"""An LLM as one more labeler: calibrated on gold labels, abstaining below a threshold.

:class:`LLMLabeler` is the estimator shell around :func:`~labelwise.llm.run.run_task`:
``fit`` runs the task on a small gold set, fits a
:class:`~labelwise.llm.confidence.ConfidenceCalibrator` and (given a target precision)
chooses the abstain threshold; ``label`` runs it on new items and returns
:class:`~labelwise.labeling.Votes` (one column of the label matrix, with the items whose
request failed as faults), to stack with rules and other labelers before a label model.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from labelwise._deprecation import warn_deprecated
from labelwise.errors import require
from labelwise.labeling import ABSTAIN
from labelwise.labeling.votes import BaseLabeler, Votes, register_labeler
from labelwise.llm.client import LLMClient
from labelwise.llm.confidence import ConfidenceCalibrator, ThresholdChoice, choose_threshold
from labelwise.llm.errors import LLMConfigError
from labelwise.llm.run import LLMRun, run_task
from labelwise.llm.tasks import Task

__all__ = ["LLMLabeler"]


def _example() -> tuple[Any, Any, Any]:
    """A conformance example against a local OpenAI-compatible server (no network)."""
    from labelwise.llm.provider import OpenAIProvider
    from labelwise.llm.server import LocalChatServer, Reply
    from labelwise.llm.tasks import ClassifyTask

    def responder(request: Any) -> Reply:
        return Reply('{"label": "spam"}' if "win" in request.user.lower() else '{"label": "ham"}')

    if not _EXAMPLE_SERVERS:  # one daemon server per process, shared by every example
        _EXAMPLE_SERVERS.append(LocalChatServer(responder).start())
    server = _EXAMPLE_SERVERS[0]
    client = LLMClient(OpenAIProvider.compatible(server.base_url), model="m", cache=None)
    labeler = LLMLabeler(ClassifyTask(["ham", "spam"]), client=client, name="llm_spam")
    items = ["win cash now", "see you at lunch", "you win a prize", "call me later"]
    return labeler, items, ["spam", "ham", "spam", "ham"]


_EXAMPLE_SERVERS: list[Any] = []


@register_labeler(example=_example)
class LLMLabeler(BaseLabeler):
    """Label items with an LLM task; calibrate on gold; abstain when unsure.

    Parameters
    ----------
    task : Task
        A task with classes (classify, row classify, taxonomy, headline with topics,
        aspect sentiment).
    client : LLMClient
    name : str, default "llm"
        Column name in the label matrix.
    confidence : {"auto", "logprobs", "samples", "none"}, default "auto"
        See :func:`~labelwise.llm.run.run_task`.
    calibration : {"isotonic", "platt"}, default "isotonic"
    target_precision : float, optional
        Choose the abstain threshold in :meth:`fit` to reach this precision on gold.
    threshold : float, optional
        A fixed threshold on calibrated (or, before ``fit``, raw) confidence.

    Attributes
    ----------
    calibrator_ : ConfidenceCalibrator or None
    threshold_ : ThresholdChoice or None
    gold_accuracy_, gold_coverage_ : float
        Accuracy of the votes and share of gold items voted on, before the threshold.
    run_ : LLMRun
        The most recent run.

    Examples
    --------
    >>> from labelwise.llm import LocalChatServer, OpenAIProvider, ClassifyTask
    >>> with LocalChatServer() as server:
    ...     client = LLMClient(OpenAIProvider.compatible(server.base_url), model="m", cache=None)
    ...     labeler = LLMLabeler(ClassifyTask(["ham", "spam"]), client=client, name="llm_spam")
    ...     v = labeler.label(["hello", "win cash"])
    >>> v.name, len(v), v.provenance["kind"]
    ('llm_spam', 2, 'llm')
    """

    requires_fit = False  # calibration is optional: it labels (uncalibrated) before fit

    def __init__(
        self,
        task: Task,
        *,
        client: LLMClient,
        name: str = "llm",
        confidence: str = "auto",
        n_samples: int = 5,
        sample_temperature: float = 0.7,
        calibration: str = "isotonic",
        target_precision: float | None = None,
        threshold: float | None = None,
        progress: bool | None = None,
    ) -> None:
        from labelwise.llm.tasks import MultiLabelTask

        if isinstance(task, MultiLabelTask):
            raise LLMConfigError(
                "a multi-label task votes 0/1 per class, not one class per item; use run_task "
                "and LLMRun.to_multi_label_matrix() for its columns"
            )
        if task.label_space is None:
            raise LLMConfigError(
                f"a {task.kind} task has no classes, so it cannot be a labeler; use run_task "
                "for its outputs (give HeadlineTask topics to vote on)"
            )
        self.task = task
        self.client = client
        self.name = name
        self.confidence = confidence
        self.n_samples = n_samples
        self.sample_temperature = sample_temperature
        self.calibration = calibration
        self.target_precision = target_precision
        self.threshold = threshold
        self.progress = progress
        self.calibrator_: ConfidenceCalibrator | None = None
        self.threshold_: ThresholdChoice | None = None

    def run(self, items: Any, *, desc: str | None = None) -> LLMRun:
        """Run the task on ``items`` (kept as ``run_``)."""
        self.run_ = run_task(
            self.task,
            items,
            client=self.client,
            confidence=self.confidence,
            n_samples=self.n_samples,
            sample_temperature=self.sample_temperature,
            progress=self.progress,
            desc=desc or f"LLM {self.name}",
        )
        return self.run_

    def fit(
        self, items: Any, y: Any = None, *, target_precision: float | None = None
    ) -> LLMLabeler:
        """Calibrate on gold items ``items`` with labels ``y`` (class names or indices).

        Gold labels that are ``None``/NaN (or ``ABSTAIN``) are ignored.
        """
        if y is None:
            raise LLMConfigError(
                f"LLMLabeler {self.name!r}.fit needs gold labels y to calibrate on; it labels "
                "without fit (uncalibrated), so skip fit when there is no gold"
            )
        assert self.task.label_space is not None
        gold = self.task.label_space.encode(list(y), what="y")
        run = self.run(items, desc=f"LLM {self.name} (gold)")
        if len(gold) != len(run):
            raise LLMConfigError(
                f"got {len(run)} gold items but {len(gold)} labels; pass one per item"
            )
        self.gold_run_ = run
        known = gold != ABSTAIN
        votes = run.votes
        voted = known & (votes != ABSTAIN)
        correct = (votes == gold) & voted
        self.gold_coverage_ = float(voted.sum() / max(known.sum(), 1))
        self.gold_accuracy_ = float(correct.sum() / voted.sum()) if voted.any() else math.nan
        conf = np.where(voted, run.confidence, np.nan)[known]
        ok = correct[known].astype(float)
        target = target_precision if target_precision is not None else self.target_precision
        if np.isfinite(conf).sum() < 2:
            warnings.warn(
                f"only {int(np.isfinite(conf).sum())} gold answers have a confidence (the "
                "provider returned no log-probabilities?); cannot calibrate. Use "
                "confidence='samples' to score agreement across samples instead.",
                stacklevel=2,
            )
            self.calibrator_ = None
            self.threshold_ = None
            self._fitted = True
            return self
        self.calibrator_ = ConfidenceCalibrator(self.calibration).fit(conf, ok)
        if target is not None:
            self.threshold_ = choose_threshold(
                self.calibrator_.transform(conf), ok, target_precision=target
            )
        self.gold_conf_ = conf
        self.gold_correct_ = ok
        self._fitted = True
        return self

    def label(self, items: Any) -> Votes:
        """Votes for ``items``, abstaining below the threshold; failed requests are faults."""
        run = self.run(items)
        threshold = self.threshold_.threshold if self.threshold_ is not None else self.threshold
        return run.to_votes(self.name, threshold=threshold, calibrator=self.calibrator_)

    def as_labeling_function(self, column: str) -> Any:
        """Deprecated: use :meth:`as_lf` (the one adapter every labeler offers).

        Examples
        --------
        >>> from labelwise.llm import LocalChatServer, OpenAIProvider, ClassifyTask
        >>> from labelwise.labeling.apply import LFApplier
        >>> import pandas as pd
        >>> with LocalChatServer() as server:
        ...     client = LLMClient(OpenAIProvider.compatible(server.base_url), model="m", cache=None)
        ...     lf = LLMLabeler(ClassifyTask(["ham", "spam"]), client=client).as_lf("text")
        ...     L = LFApplier([lf]).apply(pd.DataFrame({"text": ["hi", "win"]}))
        >>> L.names, L.shape
        (['llm'], (2, 1))
        """
        warn_deprecated("LLMLabeler.as_labeling_function", "LLMLabeler.as_lf")
        return self.as_lf(column)

    def calibration_report(self, path: str | Path | None = None) -> Any:
        """Reliability diagram and threshold table for the gold set (after :meth:`fit`)."""
        if not hasattr(self, "gold_correct_"):
            raise LLMConfigError("call fit(gold_items, gold_labels) before calibration_report")
        matplotlib = require("matplotlib", "llm")
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import pandas as pd

        from labelwise.reports import Report

        r = Report(f"Calibration of {self.name}", subtitle=f"{self.client.model}, {self.task.kind}")
        sec = r.section("Gold set")
        sec.kv(
            {
                "gold items": len(self.gold_correct_),
                "accuracy of votes": f"{self.gold_accuracy_:.3f}",
                "coverage": f"{self.gold_coverage_:.3f}",
                "calibration": self.calibration,
                "threshold (calibrated confidence)": "none"
                if self.threshold_ is None
                else f"{self.threshold_.threshold:.3f} for precision >= "
                f"{self.threshold_.target_precision} (gold precision "
                f"{self.threshold_.precision:.3f}, coverage {self.threshold_.coverage:.3f})",
            }
        )
        if self.threshold_ is not None and not self.threshold_.reachable:
            sec.alerts(
                [
                    (
                        "warning",
                        f"target precision {self.threshold_.target_precision} is not reachable",
                    )
                ]
            )
        conf = self.gold_conf_
        ok = np.isfinite(conf)
        cal = self.calibrator_.transform(conf) if self.calibrator_ is not None else conf
        bins = np.linspace(0, 1, 11)
        which = np.clip(np.digitize(conf[ok], bins) - 1, 0, 9)
        rows = []
        for b in range(10):
            m = which == b
            if m.any():
                rows.append(
                    {
                        "bin": f"{bins[b]:.1f}-{bins[b + 1]:.1f}",
                        "items": int(m.sum()),
                        "mean raw confidence": float(conf[ok][m].mean()),
                        "accuracy": float(self.gold_correct_[ok][m].mean()),
                    }
                )
        table = pd.DataFrame(rows)
        sec = r.section("Reliability")
        fig, ax = plt.subplots(figsize=(4.5, 4))
        ax.plot([0, 1], [0, 1], ls="--", color="#888")
        if len(table):
            ax.plot(table["mean raw confidence"], table["accuracy"], "o-", label="raw")
        order = np.argsort(conf[ok])
        ax.plot(conf[ok][order], cal[ok][order], "-", label="calibrated")
        ax.set_xlabel("raw confidence")
        ax.set_ylabel("accuracy on gold")
        ax.legend()
        sec.figure(fig, caption="reliability diagram")
        sec.table(table, index=False)
        if path is not None:
            r.save(path)
        return r
