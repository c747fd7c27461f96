"""Confidence of LLM answers, its calibration against gold labels, and abstain thresholds.

Two raw confidences:

* :func:`logprob_confidence` -- the probability the model gave the tokens of the deciding
  JSON values (``"label"``, ``"category"`` + ``"subcategory"``, ...): ``exp`` of the sum of
  their log-probabilities. Used when the provider returns log-probabilities.
* :func:`agreement_confidence` -- the share of ``n`` sampled answers (temperature > 0) that
  agree with the most common one. Used when it does not.

Neither is a probability of being right. :class:`ConfidenceCalibrator` maps raw confidence
to the empirical accuracy on a small gold set (isotonic regression or Platt scaling) and
:func:`choose_threshold` picks the lowest threshold whose precision on the gold set reaches a
target, so the labeler abstains below it.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelwise.llm.errors import LLMConfigError

__all__ = [
    "ConfidenceCalibrator",
    "ThresholdChoice",
    "agreement_confidence",
    "choose_threshold",
    "logprob_confidence",
    "value_spans",
]

_DECODER = json.JSONDecoder()


def value_spans(text: str, keys: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of the JSON values of ``keys`` in ``text`` (string quotes excluded).

    Examples
    --------
    >>> value_spans('{"label": "spam", "n": [1, 2]}', ["label", "n"])
    [(11, 15), (23, 29)]
    """
    spans = []
    for key in keys:
        m = re.search(r'"' + re.escape(key) + r'"\s*:\s*', text)
        if m is None:
            continue
        try:
            _, end = _DECODER.raw_decode(text, m.end())
        except json.JSONDecodeError:
            continue
        start = m.end()
        if text[start] == '"' and end - start > 2:
            start, end = start + 1, end - 1
        spans.append((start, end))
    return spans


def logprob_confidence(
    token_logprobs: Sequence[tuple[str, float]] | None, keys: Sequence[str]
) -> float:
    """Probability of the tokens that spell the values of ``keys``; NaN when unknown.

    Parameters
    ----------
    token_logprobs : sequence of (token, logprob)
        The answer's tokens as the provider returned them.
    keys : sequence of str
        JSON keys whose values decide the label.

    Examples
    --------
    >>> toks = [('{"', 0.0), ('label', 0.0), ('":"', 0.0), ('sp', -0.1), ('am', -0.2), ('"}', 0.0)]
    >>> round(logprob_confidence(toks, ["label"]), 4)
    0.7408
    """
    if not token_logprobs or not keys:
        return math.nan
    text = "".join(t for t, _ in token_logprobs)
    spans = value_spans(text, keys)
    if not spans:
        return math.nan
    total = 0.0
    pos = 0
    used = False
    for tok, lp in token_logprobs:
        a, b = pos, pos + len(tok)
        pos = b
        if any(a < e and s < b for s, e in spans):
            total += float(lp)
            used = True
    return math.exp(total) if used else math.nan


def agreement_confidence(keys: Sequence[Hashable], n_samples: int) -> tuple[int, float]:
    """``(index of a majority answer, share of samples that agree with it)``.

    ``keys`` hold one agreement key per *valid* sample; invalid samples count as
    disagreeing, so the share is over ``n_samples``.

    Examples
    --------
    >>> agreement_confidence(["spam", "spam", "ham", "spam"], 5)
    (0, 0.6)
    """
    if not keys:
        return -1, math.nan
    counts = Counter(keys)
    top, count = counts.most_common(1)[0]
    return list(keys).index(top), count / max(n_samples, len(keys))


class ConfidenceCalibrator:
    """Map raw confidences to the probability of being correct, fitted on gold labels.

    Parameters
    ----------
    method : {"isotonic", "platt"}, default "isotonic"
        Isotonic regression (monotone, no shape assumed; needs a few dozen gold items) or
        Platt scaling (logistic on the log-odds; steadier on very small gold sets).

    Attributes
    ----------
    n_fit_ : int
        Gold items with a finite confidence used to fit.

    Examples
    --------
    >>> conf = np.array([0.2, 0.4, 0.6, 0.8, 0.9, 0.95])
    >>> correct = np.array([0, 0, 1, 1, 1, 1])
    >>> cal = ConfidenceCalibrator().fit(conf, correct)
    >>> cal.transform([0.3, 0.85]).round(2).tolist()
    [0.0, 1.0]
    """

    def __init__(self, method: str = "isotonic") -> None:
        if method not in ("isotonic", "platt"):
            raise LLMConfigError(f"method must be 'isotonic' or 'platt', got {method!r}")
        self.method = method

    def fit(self, confidence: Any, correct: Any) -> ConfidenceCalibrator:
        """Fit on raw confidences (n,) and 0/1 correctness (n,); NaN confidences are skipped."""
        conf = np.asarray(confidence, dtype=float).ravel()
        y = np.asarray(correct, dtype=float).ravel()
        if conf.shape != y.shape:
            raise LLMConfigError(
                f"confidence has {conf.size} values but correct has {y.size}; pass one per item"
            )
        keep = np.isfinite(conf)
        conf, y = conf[keep], y[keep]
        if conf.size < 2:
            raise LLMConfigError(
                f"calibration needs at least 2 gold items with a confidence, got {conf.size}; "
                "label more gold items or use a provider that returns log-probabilities"
            )
        if conf.size < 20:
            warnings.warn(
                f"calibrating on only {conf.size} gold items; the mapping will be coarse",
                stacklevel=2,
            )
        self.n_fit_ = int(conf.size)
        if self.method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            self.model_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
                conf, y
            )
        else:
            if len(np.unique(y)) < 2:
                self.model_ = float(y[0])  # every gold answer right (or wrong): constant
            else:
                from sklearn.linear_model import LogisticRegression

                self.model_ = LogisticRegression(C=1e4).fit(_logit(conf)[:, None], y)
        return self

    def transform(self, confidence: Any) -> np.ndarray:
        """Calibrated probabilities of being correct, shape (n,); NaN stays NaN."""
        if not hasattr(self, "model_"):
            raise LLMConfigError(
                "the calibrator is not fitted; call fit(confidence, correct) first"
            )
        conf = np.asarray(confidence, dtype=float).ravel()
        out = np.full(conf.shape, np.nan)
        ok = np.isfinite(conf)
        if ok.any():
            if isinstance(self.model_, float):
                out[ok] = self.model_
            elif self.method == "isotonic":
                out[ok] = self.model_.predict(conf[ok])
            else:
                out[ok] = self.model_.predict_proba(_logit(conf[ok])[:, None])[:, 1]
        return out


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class ThresholdChoice:
    """The abstain threshold chosen on a gold set.

    ``threshold`` is ``inf`` when no threshold reaches the target (the labeler would abstain
    everywhere); ``precision`` and ``coverage`` are measured on the gold set at the
    threshold; ``best_precision`` is the highest precision any threshold reached.
    """

    threshold: float
    precision: float
    coverage: float
    n_kept: int
    target_precision: float
    reachable: bool
    best_precision: float


def choose_threshold(
    confidence: Any, correct: Any, *, target_precision: float, min_kept: int = 1
) -> ThresholdChoice:
    """The lowest confidence threshold whose gold precision reaches ``target_precision``.

    Items with confidence ``>= threshold`` keep their vote; the rest abstain. Among
    thresholds that reach the target, the lowest keeps the most items.

    Parameters
    ----------
    confidence : array-like of shape (n,)
        (Calibrated) confidence per gold item; NaN for items without a vote.
    correct : array-like of shape (n,)
        1 where the vote was right, 0 otherwise.
    target_precision : float
        In (0, 1].
    min_kept : int, default 1
        A threshold must keep at least this many gold items to count.

    Examples
    --------
    >>> conf = [0.95, 0.9, 0.8, 0.7, 0.6, float("nan")]
    >>> correct = [1, 1, 1, 0, 1, 0]
    >>> c = choose_threshold(conf, correct, target_precision=0.8)
    >>> c.threshold, round(c.precision, 2), round(c.coverage, 2)
    (0.6, 0.8, 0.83)
    >>> choose_threshold(conf, correct, target_precision=1.0).threshold
    0.8
    """
    if not 0 < target_precision <= 1:
        raise LLMConfigError(f"target_precision must be in (0, 1], got {target_precision}")
    conf = np.asarray(confidence, dtype=float).ravel()
    y = np.asarray(correct, dtype=float).ravel()
    if conf.shape != y.shape:
        raise LLMConfigError(
            f"confidence has {conf.size} values but correct has {y.size}; pass one per item"
        )
    n = conf.size
    ok = np.isfinite(conf)
    order = np.argsort(-conf[ok], kind="stable")
    c_sorted, y_sorted = conf[ok][order], y[ok][order]
    cum_correct = np.cumsum(y_sorted)
    best_prec = -1.0
    choice: tuple[float, float, int] | None = None
    i = 0
    m = c_sorted.size
    while i < m:
        j = i
        while j + 1 < m and c_sorted[j + 1] == c_sorted[i]:
            j += 1
        kept = j + 1
        prec = float(cum_correct[j] / kept)
        if kept >= min_kept:
            best_prec = max(best_prec, prec)
            if prec >= target_precision - 1e-12:
                choice = (float(c_sorted[i]), prec, kept)
        i = j + 1
    if choice is None:
        warnings.warn(
            f"no threshold reaches precision {target_precision} on the {n} gold items (best "
            f"{max(best_prec, 0.0):.3f}); the labeler will abstain everywhere. Lower "
            "target_precision, improve the prompt, or add gold items.",
            stacklevel=2,
        )
        return ThresholdChoice(
            math.inf,
            math.nan,
            0.0,
            0,
            target_precision,
            False,
            best_prec if best_prec >= 0 else math.nan,
        )
    t, prec, kept = choice
    return ThresholdChoice(t, prec, kept / n if n else 0.0, kept, target_precision, True, best_prec)
