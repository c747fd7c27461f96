"""Choose a label model on a gold dev set, keeping majority vote unless another clearly wins."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from labelwise.errors import LabelwiseError
from labelwise.labeling.space import ABSTAIN
from labelwise.models.base import LabelModel, check_gold_labels, check_label_matrix
from labelwise.models.majority import MajorityVote
from labelwise.models.registry import MODELS, make_label_model

__all__ = [
    "DEFAULT_CANDIDATES",
    "DevSetError",
    "expected_accuracy",
    "macro_f1",
    "select_label_model",
]


class DevSetError(LabelwiseError):
    """The gold dev set cannot score label models (e.g. a class is missing)."""


DEFAULT_CANDIDATES: tuple[str, ...] = ("mv", "wv", "ds", "snorkel")

# Probabilities this close to the row maximum count as tied.
_TIE_TOL = 1e-9


def expected_accuracy(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-item accuracy of the top class when ties are broken uniformly at random.

    ``1 / (number of tied top classes)`` if ``y`` is among them, else 0. This scores
    models that tie often (majority vote) and models that rarely tie on equal terms,
    without the noise of an actual coin flip.

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> expected_accuracy(np.array([[0.5, 0.5], [0.9, 0.1]]), np.array([1, 1])).tolist()
    [0.5, 0.0]
    """
    top = proba.max(axis=1, keepdims=True)
    is_top = proba >= top - _TIE_TOL
    n_top = is_top.sum(axis=1)
    return np.asarray(is_top[np.arange(y.shape[0]), y] / n_top, dtype=np.float64)


def macro_f1(pred: np.ndarray, y: np.ndarray, k: int) -> float:
    """Unweighted mean of per-class F1 (an abstained prediction is wrong for every class).

    Examples
    --------
    >>> round(macro_f1(np.array([0, 1, 1, -1]), np.array([0, 1, 0, 1]), 2), 4)
    0.5833
    """
    scores = []
    for c in range(k):
        tp = float(np.sum((pred == c) & (y == c)))
        fp = float(np.sum((pred == c) & (y != c)))
        fn = float(np.sum((pred != c) & (y == c)))
        denom = 2 * tp + fp + fn
        if denom > 0:
            scores.append(2 * tp / denom)
    return float(np.mean(scores)) if scores else 0.0


def _candidate_models(
    candidates: Sequence[str | LabelModel] | None, k: int, seed: int | None
) -> list[LabelModel]:
    models: list[LabelModel] = []
    for cand in DEFAULT_CANDIDATES if candidates is None else candidates:
        if isinstance(cand, LabelModel):
            models.append(cand.clone())
        elif isinstance(cand, str):
            models.append(make_label_model(cand, cardinality=k, seed=seed))
        else:
            raise LabelwiseError(
                f"candidates must be registry names {sorted(MODELS)} or LabelModel "
                f"instances, got {cand!r}"
            )
    if not any(type(m) is MajorityVote for m in models):
        models.insert(0, MajorityVote(cardinality=k, seed=seed))
    return models


def _out_of_fold_proba(
    model: LabelModel,
    L_fit: np.ndarray,
    L_dev: np.ndarray,
    y_dev: np.ndarray,
    k: int,
    folds: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Dev-set probabilities from models that never saw the gold label of that item."""
    n_dev = y_dev.shape[0]
    order = rng.permutation(n_dev)
    out = np.empty((n_dev, k))
    for part in np.array_split(order, folds):
        train = np.setdiff1d(order, part, assume_unique=True)
        fold_model = model.clone().fit(L_fit, L_dev=L_dev[train], y_dev=y_dev[train])
        out[part] = fold_model.predict_proba(L_dev[part])
    return out


def select_label_model(
    L_dev: Any,
    y_dev: Any,
    *,
    L_train: Any = None,
    candidates: Sequence[str | LabelModel] | None = None,
    cardinality: int | None = None,
    cv: int = 5,
    margin: float = 0.005,
    seed: int | None = None,
) -> LabelModel:
    """Fit candidate label models and return the best on the gold dev set.

    Majority vote is the default: another model is chosen only if its guards passed
    (:mod:`labelwise.models.guards`: it does not contradict majority vote where the votes
    are clear) and it beats majority vote's dev accuracy by more than ``margin`` *and* by more than the noise of a dev
    set that size (the lower end of a one-sided 95% paired z-interval on the per-item
    difference must be above zero). Accuracy is the expected accuracy under random
    tie-breaking on dev items with at least one vote; macro F1 breaks exact ties.

    Parameters
    ----------
    L_dev : array-like or LabelMatrix of shape (n_dev, m)
        Votes on the gold-labelled items.
    y_dev : array-like of shape (n_dev,)
        Gold classes in ``0..k-1``. Every class must occur (else :class:`DevSetError`).
    L_train : array-like or LabelMatrix of shape (n, m), optional
        Unlabelled votes to fit the models on (default: ``L_dev``).
    candidates : sequence of registry names or LabelModel, optional
        Default ``("mv", "wv", "ds", "snorkel")``; majority vote is always added.
    cardinality : int, optional
    cv : int, default 5
        Folds for candidates that learn from gold labels (weighted vote): they are
        scored out of fold so the dev set does not grade its own answers.
    margin : float, default 0.005
        Minimum accuracy gain over majority vote (0.005 = half a percentage point).
    seed : int, optional

    Returns
    -------
    LabelModel
        Fitted on ``L_train`` (or ``L_dev``). Models that learn from gold labels also
        learn from ``y_dev``; the others take only the class balance from it. It has
        ``selection_report_``: a list of dicts, one per candidate, with ``model``,
        ``accuracy``, ``macro_f1``, ``delta_vs_mv``, ``delta_lower_bound``,
        ``fit_seconds`` and ``selected``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 300)
    >>> L = np.where(rng.random((300, 5)) < 0.75, y[:, None], 1 - y[:, None])
    >>> best = select_label_model(L, y, seed=0)
    >>> [row["model"] for row in best.selection_report_][:2]
    ['mv', 'wv']
    """
    dev_votes, k = check_label_matrix(L_dev, cardinality=cardinality, name="L_dev")
    m = dev_votes.shape[1]
    y = check_gold_labels(y_dev, n_items=dev_votes.shape[0], cardinality=k)
    if L_train is None:
        fit_votes = dev_votes
    else:
        fit_votes, _ = check_label_matrix(L_train, cardinality=k, n_labelers=m, name="L_train")
    if not cv >= 2:
        raise LabelwiseError(f"cv must be at least 2 folds, got {cv}")
    if margin < 0:
        raise LabelwiseError(f"margin must be >= 0, got {margin}")
    missing = sorted(set(range(k)) - {int(c) for c in np.unique(y)})
    if missing:
        raise DevSetError(
            f"the gold dev set ({y.shape[0]} items) has no item of class(es) {missing}, so "
            "it cannot tell whether a model gets those classes right (a model that never "
            "predicts them would score perfectly); label dev items of every class (draw "
            "them stratified) or choose the model by name"
        )
    rng = np.random.default_rng(seed)
    covered = dev_votes.max(axis=1) > ABSTAIN
    if not covered.any():
        raise LabelwiseError(
            "no dev item has a vote, so label models cannot be compared; "
            "label more dev items or add labelers that cover them"
        )
    y_cov = y[covered]
    rows: list[dict[str, Any]] = []
    fitted: list[LabelModel] = []
    credits: list[np.ndarray] = []
    for model in _candidate_models(candidates, k, seed):
        start = time.perf_counter()
        if model.uses_gold_labels:
            folds = min(cv, y.shape[0])
            if folds >= 2:
                proba = _out_of_fold_proba(model, fit_votes, dev_votes, y, k, folds, rng)
            else:
                proba = model.clone().fit(fit_votes).predict_proba(dev_votes)
            model.fit(fit_votes, L_dev=dev_votes, y_dev=y)
        else:
            # Unsupervised models take only the class balance from the gold labels: it is
            # poorly identified from votes alone when rules are correlated or one-sided.
            model.fit(fit_votes, L_dev=dev_votes, y_dev=y)
            proba = model.predict_proba(dev_votes)
        seconds = time.perf_counter() - start
        credit = expected_accuracy(proba[covered], y_cov)
        pred = model.predict(dev_votes[covered], tie_policy="random")
        rows.append(
            {
                "model": model.name,
                "class": type(model).__name__,
                "accuracy": float(credit.mean()),
                "macro_f1": macro_f1(pred, y_cov, k),
                "dev_items": int(covered.sum()),
                "fit_seconds": round(seconds, 4),
            }
        )
        guards = getattr(model, "guards_", None)
        rows[-1]["guards_ok"] = True if guards is None else bool(guards.ok)
        if guards is not None and not guards.ok:
            rows[-1]["guard_message"] = guards.message()
        fitted.append(model)
        credits.append(credit)

    base = next(i for i, mdl in enumerate(fitted) if type(mdl) is MajorityVote)
    n = credits[base].shape[0]
    for row, credit in zip(rows, credits, strict=True):
        diff = credit - credits[base]
        se = float(diff.std(ddof=1)) / np.sqrt(n) if n > 1 else float("inf")
        row["delta_vs_mv"] = float(diff.mean())
        row["delta_lower_bound"] = float(diff.mean() - 1.645 * se)
    ranked = sorted(
        range(len(rows)), key=lambda i: (rows[i]["accuracy"], rows[i]["macro_f1"]), reverse=True
    )
    choice = base
    for i in ranked:
        if i == base:
            break
        if not rows[i]["guards_ok"]:
            continue  # a model whose guards tripped is never chosen over majority vote
        if rows[i]["delta_vs_mv"] > margin and rows[i]["delta_lower_bound"] > 0:
            choice = i
            break
    for i, row in enumerate(rows):
        row["selected"] = i == choice
    best = fitted[choice]
    best.selection_report_ = rows
    return best
