"""The main job end to end: rules over a table -> label matrix -> label model -> labels.

The CLI's ``labelwise label`` and ``labelwise demo`` are thin wrappers over
:func:`label_table`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelwise.errors import DataError
from labelwise.labeling import ABSTAIN, DaskLFApplier, LabelMatrix, LabelSpace, LFApplier
from labelwise.labeling.analysis import check_gold, lf_summary
from labelwise.models.calibration import (
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
)

__all__ = [
    "LabelingRun",
    "accuracy_summary",
    "label_table",
    "labeled_frame",
    "output_columns",
    "stratified_dev_index",
]


@dataclass
class LabelingRun:
    """Everything :func:`label_table` produced."""

    L: LabelMatrix
    summary: Any  # DataFrame, one row per labeling function
    model: Any  # the fitted label model
    model_name: str
    proba: np.ndarray  # (n, k)
    labels: np.ndarray  # (n,) ABSTAIN where no rule voted
    label_space: LabelSpace | None
    dev_index: np.ndarray  # rows used to choose/fit the model with gold
    evaluation: list[dict[str, Any]] = field(default_factory=list)
    selection: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The fitted model's guard report (:mod:`labelwise.models.guards`).
    guards: Any = None
    #: Rules that raised on many rows (one plain-words line each; see ``loud_faults``).
    rule_faults: list[str] = field(default_factory=list)
    #: Rule name -> number of rows it raised on (only rules that raised at all).
    fault_counts: dict[str, int] = field(default_factory=dict)


def _class_names(run_space: LabelSpace | None, k: int) -> list[str]:
    return run_space.names if run_space is not None else [str(c) for c in range(k)]


def accuracy_summary(name: str, pred: Any, y: Any) -> dict[str, Any]:
    """Coverage and accuracy of predictions ``pred`` against gold ``y`` (same length).

    ``accuracy_on_covered`` scores the items with a prediction; ``accuracy_all`` counts an
    abstention (no vote, or a tie left unbroken) as wrong.

    >>> accuracy_summary("mv", np.array([0, 1, -1]), np.array([0, 0, 1]))["accuracy_all"]
    0.3333333333333333
    """
    pred, y = np.asarray(pred), np.asarray(y)
    covered = pred != ABSTAIN
    n = len(y)
    acc_cov = float(np.mean(pred[covered] == y[covered])) if covered.any() else float("nan")
    return {
        "method": name,
        "items": n,
        "coverage": float(covered.mean()) if n else float("nan"),
        "accuracy_on_covered": acc_cov,
        "accuracy_all": float(np.mean(pred == y)) if n else float("nan"),
    }


def label_table(
    df: Any,
    lfs: list[Any],
    *,
    label_space: LabelSpace | None = None,
    cardinality: int | None = None,
    model: str = "auto",
    gold: Any = None,
    dev_size: int = 200,
    backend: str = "pandas",
    scheduler: str | None = None,
    strict: bool = False,
    seed: int = 0,
    progress_bar: bool | None = None,
) -> LabelingRun:
    """Apply ``lfs`` to ``df``, fit a label model and return probabilistic labels.

    Parameters
    ----------
    df : pandas.DataFrame
        The items.
    lfs : list of labeling functions
    label_space / cardinality :
        The classes (a label space names them).
    model : str
        ``"auto"`` chooses on a gold dev set (majority vote unless a label model beats it),
        or one of the registered names (``mv``, ``wv``, ``ds``, ``snorkel``, ``triplet``).
    gold : array-like of shape (n,), optional
        Gold classes (names when ``label_space`` is given); ``None``/``-1`` where unknown.
        ``dev_size`` random gold rows choose the model; the other gold rows only measure.
    backend : ``"pandas"`` or ``"dask"``
        Where the rules run.
    """
    from labelwise.labeling.apply import RuleFaultWarning
    from labelwise.models import MajorityVote

    applier: Any
    with warnings.catch_warnings():
        # The run reports rule faults itself (``rule_faults``), once.
        warnings.simplefilter("ignore", RuleFaultWarning)
        if backend == "pandas":
            applier = LFApplier(lfs, cardinality=cardinality, label_space=label_space)
            L = applier.apply(df, strict=strict, progress_bar=progress_bar)
        elif backend == "dask":
            applier = DaskLFApplier(
                lfs, cardinality=cardinality, label_space=label_space, scheduler=scheduler
            )
            L = applier.apply(df, strict=strict)
        else:
            raise DataError(f"unknown backend {backend!r}; use 'pandas' or 'dask'")
    k = L.cardinality
    notes: list[str] = []
    y = None
    if gold is not None:
        y = check_gold(gold, L.n_items, cardinality=k, label_space=label_space)
    summary = lf_summary(L, y)
    never = [n for n, c in zip(L.names, summary["coverage"], strict=True) if c == 0]
    if never:
        notes.append(f"rules that never voted: {', '.join(never)}")

    rng = np.random.default_rng(seed)
    dev_index = np.empty(0, dtype=np.int64)
    if y is not None:
        dev_index = stratified_dev_index(y, dev_size, k, rng)
    V = L.values
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted, model_name, selection = _fit_model(model, V, y, dev_index, k, seed, notes)
    for w in caught:
        if str(w.message) not in notes:
            notes.append(str(w.message))
    proba = np.asarray(fitted.predict_proba(V), dtype=np.float64)
    labels = np.asarray(fitted.predict(V)).astype(np.int64)
    if y is not None and len(dev_index) >= 20:
        # With gold, calibrate on it: one temperature fitted on the dev rows' votes
        # (decisions unchanged).
        covered_dev = dev_index[(V[dev_index] != ABSTAIN).any(axis=1)]
        temperature = fit_temperature(proba[covered_dev], y[covered_dev])
        if temperature != 1.0:
            proba = apply_temperature(proba, temperature)
            notes.append(
                f"confidences calibrated on the {len(covered_dev)} gold dev rows "
                f"(temperature {temperature:.2f})"
            )
    labels[(V == ABSTAIN).all(axis=1)] = ABSTAIN

    guards = getattr(fitted, "guards_", None)
    evaluation: list[dict[str, Any]] = []
    if y is not None:
        held_out = np.ones(len(y), dtype=bool)
        held_out[dev_index] = False
        held_out &= y != ABSTAIN
        if held_out.any():
            mv = MajorityVote(cardinality=k).fit(V)
            mv_pred = np.asarray(mv.predict(V)).astype(np.int64)
            mv_row = accuracy_summary("majority vote", mv_pred[held_out], y[held_out])
            mv_row["ece"] = expected_calibration_error(mv.predict_proba(V)[held_out], y[held_out])
            evaluation.append(mv_row)
            row = accuracy_summary(f"{model_name} (chosen)", labels[held_out], y[held_out])
            row["ece"] = expected_calibration_error(proba[held_out], y[held_out])
            evaluation.append(row)
    return LabelingRun(
        L=L,
        summary=summary,
        model=fitted,
        model_name=model_name,
        proba=proba,
        labels=labels,
        label_space=label_space,
        dev_index=dev_index,
        evaluation=evaluation,
        selection=selection,
        notes=notes,
        guards=guards,
        rule_faults=list(applier.fault_report_),
        fault_counts={k_: v for k_, v in applier.faults_.items() if v},
    )


def _fit_model(
    model: str,
    V: np.ndarray,
    y: np.ndarray | None,
    dev_index: np.ndarray,
    k: int,
    seed: int,
    notes: list[str],
) -> tuple[Any, str, list[dict[str, Any]]]:
    """Choose (``"auto"``) or build the named label model and fit it on ``V``."""
    from labelwise.models import DevSetError, MajorityVote, make_label_model, select_label_model

    selection: list[dict[str, Any]] = []
    if model == "auto":
        if y is not None and len(dev_index) >= 2 * k:
            try:
                fitted = select_label_model(V[dev_index], y[dev_index], L_train=V, seed=seed)
            except DevSetError as exc:
                notes.append(f"{exc}; majority vote is used")
                return MajorityVote(cardinality=k).fit(V), "MajorityVote", selection
            selection = list(getattr(fitted, "selection_report_", None) or [])
            return fitted, type(fitted).__name__, selection
        notes.append(
            "no gold dev set: cannot check that a label model beats majority vote, so "
            "majority vote is used (pass gold labels to let labelwise choose)"
        )
        return MajorityVote(cardinality=k).fit(V), "MajorityVote", selection
    estimator = make_label_model(model, cardinality=k, seed=seed)
    if y is not None and len(dev_index):
        # The dev gold gives the class balance, which one-sided rules cannot reveal.
        fitted = estimator.fit(V, y_dev=y[dev_index], L_dev=V[dev_index])
    else:
        fitted = estimator.fit(V)
    return fitted, type(fitted).__name__, selection


def stratified_dev_index(y: np.ndarray, size: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` gold rows drawn stratified by class (every class present gets at least
    two rows when it has them), sorted.

    >>> y = np.array([0] * 95 + [1] * 5)
    >>> idx = stratified_dev_index(y, 10, 2, np.random.default_rng(0))
    >>> np.bincount(y[idx]).tolist()
    [8, 2]
    """
    known = np.flatnonzero(y != ABSTAIN)
    size = min(size, len(known))
    if size == 0:
        return np.empty(0, dtype=np.int64)
    by_class = [known[y[known] == c] for c in range(k)]
    share = np.array([len(b) for b in by_class], dtype=np.float64) / len(known)
    want = np.floor(share * size).astype(np.int64)
    want = np.maximum(want, np.minimum(2, [len(b) for b in by_class]))
    while want.sum() > size:
        want[int(np.argmax(want))] -= 1
    rest = size - int(want.sum())
    order = np.argsort(-(share * size - want))
    for c in order[:rest]:
        want[c] += 1
    picked = [
        rng.choice(b, size=min(int(n), len(b)), replace=False)
        for b, n in zip(by_class, want, strict=True)
        if len(b) and n > 0
    ]
    return np.sort(np.concatenate(picked)).astype(np.int64)


def output_columns(df: Any, class_names: list[str]) -> dict[str, str]:
    """Names of the columns :func:`labeled_frame` adds: ``label``, ``confidence``,
    ``prob_<class>``, ``n_votes``; suffixed with ``_pred`` when the input already has a
    column of that name (the input is never overwritten)."""
    base = ["label", "confidence", *[f"prob_{c}" for c in class_names], "n_votes"]
    clash = any(name in df.columns for name in base)
    return {name: f"{name}_pred" if clash else name for name in base}


def labeled_frame(df: Any, run: LabelingRun) -> Any:
    """``df`` plus ``label`` (class name; empty where no rule voted), ``confidence``, one
    ``prob_<class>`` column per class and ``n_votes`` (see :func:`output_columns`)."""
    out = df.copy()
    names = _class_names(run.label_space, run.L.cardinality)
    cols = output_columns(df, names)
    out[cols["label"]] = [None if v == ABSTAIN else names[int(v)] for v in run.labels]
    conf = run.proba.max(axis=1)
    out[cols["confidence"]] = np.where(run.labels == ABSTAIN, np.nan, conf)
    for c, name in enumerate(names):
        out[cols[f"prob_{name}"]] = run.proba[:, c]
    out[cols["n_votes"]] = (run.L.values != ABSTAIN).sum(axis=1)
    return out
