"""Pseudo-labeling (self-training) around any scikit-learn estimator.

Classification (:class:`PseudoLabeler`): each round the model, trained on the labeled rows
plus the pseudo-labels so far, predicts the unlabeled rows; rows above a confidence
``threshold`` (or the ``top_k`` most confident per class) join the training set with the
predicted class. Regression (:class:`PseudoRegressor`): rows are chosen by an uncertainty
estimate (spread of a bootstrap ensemble, or the width of a quantile interval), never at
random. A held-out part of the labeled rows scores every round and never enters training.
Both stop after ``max_rounds`` or when nothing changes, and keep a per-round log
(``rounds_``) and an HTML report.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np

from labelwise._deprecation import renamed_kwarg
from labelwise.errors import LabelwiseError, NotFittedError
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.labeling.votes import BaseLabeler, Votes, register_labeler
from labelwise.learn._base import (
    FeatureLabelerBase,
    LabeledRows,
    abstain_on,
    check_labeled_rows,
    class_targets,
    crossfit_folds,
    fill_labeled_targets,
    numeric_targets,
    tiny_example_data,
)
from labelwise.learn.features import Categorical, Scale
from labelwise.learn.result import RegressionResult
from labelwise.progress import progress as progress_bar

__all__ = [
    "PseudoLabeler",
    "PseudoRegressor",
    "find_confident_rows",
    "find_least_uncertain_rows",
]


def find_confident_rows(
    proba: np.ndarray, *, threshold: float | None = 0.9, top_k: int | None = None
) -> np.ndarray:
    """Rows whose top class probability is at least ``threshold`` and/or the ``top_k`` most
    confident rows predicted as each class.

    Parameters
    ----------
    proba : ndarray of shape (n, k)
    threshold : float, optional
    top_k : int, optional
        With both set, a row must pass the threshold and be among its class's top ``k``.

    Returns
    -------
    ndarray of int
        Row indices, sorted.

    Examples
    --------
    >>> p = np.array([[0.95, 0.05], [0.6, 0.4], [0.1, 0.9], [0.2, 0.8]])
    >>> find_confident_rows(p, threshold=0.85).tolist()
    [0, 2]
    >>> find_confident_rows(p, threshold=None, top_k=1).tolist()
    [0, 2]
    """
    proba = np.asarray(proba, dtype=np.float64)
    if threshold is None and top_k is None:
        raise LabelwiseError("give a confidence threshold, top_k per class, or both")
    if proba.size == 0:
        return np.zeros(0, dtype=np.int64)
    best = proba.argmax(axis=1)
    conf = proba.max(axis=1)
    ok = np.ones(len(proba), dtype=bool) if threshold is None else conf >= threshold
    if top_k is not None:
        if int(top_k) < 1:
            raise LabelwiseError(f"top_k={top_k} must be at least 1")
        keep = np.zeros(len(proba), dtype=bool)
        for c in range(proba.shape[1]):
            rows = np.flatnonzero((best == c) & ok)
            keep[rows[np.argsort(-conf[rows], kind="stable")[: int(top_k)]]] = True
        ok = keep
    return np.flatnonzero(ok)


def find_least_uncertain_rows(
    uncertainty: np.ndarray, *, n: int, max_uncertainty: float | None = None
) -> np.ndarray:
    """The ``n`` rows with the smallest uncertainty (and below ``max_uncertainty``).

    Examples
    --------
    >>> find_least_uncertain_rows(np.array([0.5, 0.1, 0.9, 0.2]), n=2).tolist()
    [1, 3]
    """
    u = np.asarray(uncertainty, dtype=np.float64)
    order = np.argsort(u, kind="stable")
    if max_uncertainty is not None:
        order = order[u[order] <= max_uncertainty]
    return np.sort(order[: max(0, int(n))])


def _holdout_split(
    labeled: np.ndarray, codes: np.ndarray | None, holdout: Any, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split labeled row indices into (train, eval); stratified for classes, and every class
    keeps at least one training row."""
    n_rows = len(codes) if codes is not None else None
    if isinstance(holdout, (np.ndarray, list, tuple)):
        mask = np.asarray(holdout, dtype=bool)
        if n_rows is not None and len(mask) != n_rows:
            raise LabelwiseError(f"the holdout mask has {len(mask)} entries for {n_rows} rows")
        eval_idx = np.intersect1d(labeled, np.flatnonzero(mask))
        return np.setdiff1d(labeled, eval_idx), eval_idx
    frac = float(holdout)
    if not 0.0 <= frac < 1.0:
        raise LabelwiseError(f"holdout={holdout} must be a fraction in [0, 1) or a row mask")
    if frac == 0.0:
        return labeled, np.zeros(0, dtype=np.int64)
    eval_parts = []
    groups = (
        [labeled]
        if codes is None
        else [labeled[codes[labeled] == c] for c in np.unique(codes[labeled])]
    )
    for g in groups:
        n_eval = int(np.rint(frac * len(g)))
        n_eval = min(n_eval, len(g) - 1) if codes is not None else min(n_eval, len(g) - 2)
        if n_eval > 0:
            eval_parts.append(rng.choice(g, size=n_eval, replace=False))
    eval_idx = np.sort(np.concatenate(eval_parts)) if eval_parts else np.zeros(0, dtype=np.int64)
    return np.setdiff1d(labeled, eval_idx), eval_idx


def _default_classifier() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=2000)


def _default_regressor() -> Any:
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(n_estimators=100, min_samples_leaf=2, n_jobs=1, random_state=0)


def _round_plot(rows: list[dict[str, Any]], score_key: str) -> Any:
    from labelwise.errors import require

    require("matplotlib", "report").use("Agg")
    import matplotlib.pyplot as plt

    r = [d["round"] for d in rows]
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    ax.bar(r, [d["n_added"] for d in rows], color="#8c959f", label="rows added")
    ax.set_xlabel("round")
    ax.set_ylabel("rows added")
    ax.set_xticks(r)
    scores = [float(d.get(score_key, float("nan"))) for d in rows]
    if any(s == s for s in scores):
        ax2 = ax.twinx()
        ax2.plot(r, scores, marker="o", color="#0969da", label=f"held-out {score_key}")
        ax2.set_ylabel(f"held-out {score_key}")
        ax2.legend(loc="lower right", fontsize=8)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


class _SelfTrainingBase(FeatureLabelerBase):
    estimator: Any
    max_rounds: int
    holdout: Any
    progress: bool | None
    rounds_: list[dict[str, Any]]
    estimator_: Any
    n_train_: int
    n_eval_: int
    n_pseudo_: int
    stop_reason_: str
    _score_key = "score"

    def report_frame(self) -> Any:
        """The per-round log as a DataFrame (round 0 = labeled rows only)."""
        import pandas as pd

        if not hasattr(self, "rounds_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit first")
        return pd.DataFrame(self.rounds_)

    def report(self, path: str | Path | None = None) -> Any:
        """An HTML report: rows added and held-out score per round; saved to ``path``."""
        from labelwise.reports import Report

        df = self.report_frame()
        r = Report(f"Pseudo-labeling: {self.name}", subtitle=type(self.estimator_).__name__)
        s = r.section("Rounds")
        s.kv(
            {
                "labeled rows used for training": self.n_train_,
                "held-out labeled rows (never trained on)": self.n_eval_,
                "rounds": len(df) - 1,
                "pseudo-labeled rows": self.n_pseudo_,
                "stopped because": self.stop_reason_,
            }
        )
        s.figure(
            _round_plot(self.rounds_, self._score_key), caption="rows added and held-out score"
        )
        s.table(df, index=False)
        alerts = []
        if len(df) > 1 and self._score_key in df and df[self._score_key].notna().all():
            first, last = float(df[self._score_key].iloc[0]), float(df[self._score_key].iloc[-1])
            if last < first:
                alerts.append(
                    (
                        "warning",
                        f"held-out {self._score_key} fell from {first:.4g} to {last:.4g}: "
                        "pseudo-labels hurt here; raise the threshold or use fewer rounds",
                    )
                )
        s.alerts(alerts)
        if path is not None:
            r.save(path)
        return r


class PseudoLabeler(_SelfTrainingBase, BaseLabeler):
    """Self-training for classification around any estimator with ``predict_proba``.

    Parameters
    ----------
    estimator : scikit-learn classifier, optional
        Cloned before every fit; default ``LogisticRegression``.
    threshold : float or None, default 0.9
        Add unlabeled rows whose top class probability reaches this.
    top_k : int, optional
        Add at most this many rows per predicted class per round (the most confident).
    max_rounds : int, default 10
    relabel : bool, default False
        Re-predict earlier pseudo-labels every round (they may change or drop out) and stop
        when the pseudo-labeled set is unchanged; by default pseudo-labels are fixed once
        added and training stops when a round adds nothing.
    holdout : float or bool mask, default 0.2
        Share of the labeled rows (stratified) kept out of training to score every round,
        or a mask of rows to use that way. These rows never enter training.
    min_confidence : float, optional
        Abstain below this in the emitted column; defaults to ``threshold`` (or 0).
    scale, categorical : see :class:`~labelwise.learn.FeaturePrep`
    labeled_rows : {"abstain", "given", "crossfit"}, default "abstain"
        What ``fit_label`` emits for rows that already had a label; ``"crossfit"`` reruns
        self-training once per fold (``cv`` times the cost).
    cv : int, default 5
    name : str, default "pseudo_label"
    seed : int or Generator, optional
    progress : bool, optional

    Attributes
    ----------
    estimator_ : fitted estimator (labeled + pseudo-labeled rows)
    rounds_ : list of dict
        Per round: ``n_added``, ``n_pseudo``, ``added_per_class``, ``accuracy`` and
        ``macro_f1`` on the held-out rows, ...
    pseudo_labels_ : ndarray of shape (n,)
        The pseudo-label used for training (``ABSTAIN`` where none).
    stop_reason_ : str

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-2, 1, (100, 2)), rng.normal(2, 1, (100, 2))])
    >>> y = np.full(200, -1); y[:10] = 0; y[100:110] = 1
    >>> r = PseudoLabeler(threshold=0.9, holdout=0.0, seed=0).fit_label(X, y)
    >>> float(np.mean(r.votes[10:100] == 0)) > 0.9
    True
    """

    kind = "pseudo_label"
    _score_key = "accuracy"

    def __init__(
        self,
        estimator: Any = None,
        *,
        threshold: float | None = 0.9,
        top_k: int | None = None,
        max_rounds: int = 10,
        relabel: bool = False,
        holdout: Any = 0.2,
        min_confidence: float | None = None,
        scale: Scale = "standard",
        categorical: Categorical = "error",
        labeled_rows: LabeledRows = "abstain",
        cv: int = 5,
        name: str = "pseudo_label",
        seed: Any = None,
        random_state: Any = None,
        progress: bool | None = None,
        show_progress: bool | None = None,
    ) -> None:
        seed = renamed_kwarg(
            seed, random_state, old="random_state", new="seed", where="PseudoLabeler()"
        )
        progress = renamed_kwarg(
            progress, show_progress, old="show_progress", new="progress", where="PseudoLabeler()"
        )
        self.estimator = estimator
        self.threshold = threshold
        self.top_k = top_k
        self.max_rounds = max_rounds
        self.relabel = relabel
        self.holdout = holdout
        self.min_confidence = min_confidence
        self.scale = scale
        self.categorical = categorical
        self.labeled_rows = labeled_rows
        self.cv = cv
        self.name = name
        self.seed = seed
        self.progress = progress

    # ---------------------------------------------------------------- core loop
    def _self_train(
        self, Xf: np.ndarray, codes: np.ndarray, train: np.ndarray, eval_idx: np.ndarray, k: int
    ) -> tuple[Any, np.ndarray, list[dict[str, Any]], str]:
        from sklearn.base import clone
        from sklearn.metrics import accuracy_score, f1_score

        if self.threshold is None and self.top_k is None:
            raise LabelwiseError("give a confidence threshold, top_k per class, or both")
        base = self.estimator if self.estimator is not None else _default_classifier()
        if not hasattr(base, "predict_proba"):
            raise LabelwiseError(
                f"{type(base).__name__} has no predict_proba; pseudo-labeling needs class "
                "probabilities (e.g. LogisticRegression, RandomForestClassifier, or "
                "SVC(probability=True))"
            )
        pool = np.setdiff1d(np.flatnonzero(codes == ABSTAIN), eval_idx)
        pseudo = np.full(len(codes), ABSTAIN, dtype=np.int64)
        rounds: list[dict[str, Any]] = []

        def fit_model() -> Any:
            rows = np.concatenate([train, np.flatnonzero(pseudo != ABSTAIN)])
            labels = np.where(pseudo[rows] != ABSTAIN, pseudo[rows], codes[rows])
            model = clone(base).fit(Xf[rows], labels)
            return model, rows

        def full_proba(model: Any, rows: np.ndarray) -> np.ndarray:
            out = np.zeros((len(rows), k))
            if len(rows):
                out[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(Xf[rows])
            return out

        def log(
            round_no: int, model: Any, added: np.ndarray, changed: int, train_size: int
        ) -> None:
            entry: dict[str, Any] = {
                "round": round_no,
                "n_added": len(added),
                "n_changed": changed,
                "n_pseudo": int((pseudo != ABSTAIN).sum()),
                "n_unlabeled_left": int(np.sum(pseudo[pool] == ABSTAIN)),
                "train_size": train_size,
                "added_per_class": dict(
                    zip(
                        self.label_space_.names,
                        np.bincount(pseudo[added], minlength=k).tolist() if len(added) else [0] * k,
                        strict=True,
                    )
                ),
            }
            if len(eval_idx):
                pred = full_proba(model, eval_idx).argmax(axis=1)
                entry["accuracy"] = float(accuracy_score(codes[eval_idx], pred))
                entry["macro_f1"] = float(
                    f1_score(
                        codes[eval_idx],
                        pred,
                        average="macro",
                        labels=list(range(k)),
                        zero_division=0,
                    )
                )
            else:
                entry["accuracy"] = entry["macro_f1"] = float("nan")
            rounds.append(entry)

        model, rows = fit_model()
        log(0, model, np.zeros(0, dtype=np.int64), 0, len(rows))
        reason = "max_rounds reached"
        if len(pool) == 0:
            return model, pseudo, rounds, "no unlabeled rows"
        for rnd in progress_bar(
            range(1, int(self.max_rounds) + 1),
            total=int(self.max_rounds),
            desc=f"{self.name} rounds",
            enabled=self.progress,
        ):
            candidates = pool if self.relabel else pool[pseudo[pool] == ABSTAIN]
            if len(candidates) == 0:
                reason = "every unlabeled row is pseudo-labeled"
                break
            proba = full_proba(model, candidates)
            chosen = candidates[
                find_confident_rows(proba, threshold=self.threshold, top_k=self.top_k)
            ]
            new_labels = (
                full_proba(model, chosen).argmax(axis=1)
                if len(chosen)
                else np.zeros(0, dtype=np.int64)
            )
            if self.relabel:
                before = pseudo.copy()
                pseudo[pool] = ABSTAIN
                pseudo[chosen] = new_labels
                changed = int(np.sum(before != pseudo))
                added = np.flatnonzero((before == ABSTAIN) & (pseudo != ABSTAIN))
                if changed == 0:
                    reason = "pseudo-labels unchanged"
                    log(rnd, model, added, changed, len(rows))
                    break
            else:
                pseudo[chosen] = new_labels
                added, changed = chosen, len(chosen)
                if len(chosen) == 0:
                    reason = "no unlabeled row passed the threshold"
                    log(rnd, model, added, 0, len(rows))
                    break
            model, rows = fit_model()
            log(rnd, model, added, changed, len(rows))
        return model, pseudo, rounds, reason

    # ---------------------------------------------------------------- public API
    def fit(  # type: ignore[override]  # gold y is required
        self, X: Any, y: Any, *, label_space: LabelSpace | None = None
    ) -> PseudoLabeler:
        """Self-train on features ``X`` (shape (n, p)) and partly labeled ``y`` (shape (n,)).

        Warns and fits on the labeled rows only when nothing is unlabeled.
        """
        Xf = self._prep(X)
        codes, self.label_space_ = class_targets(y, len(Xf), label_space=label_space)
        self._Xf, self._codes = Xf, codes
        labeled = np.flatnonzero(codes != ABSTAIN)
        if len(labeled) == len(codes):
            warnings.warn(
                "every row is labeled: nothing to pseudo-label; fitting on the labeled rows only",
                UserWarning,
                stacklevel=2,
            )
        rng = np.random.default_rng(self.seed)
        train, self.eval_index_ = _holdout_split(labeled, codes, self.holdout, rng)
        missing = sorted(set(range(self.label_space_.k)) - set(codes[train].tolist()))
        if missing:
            raise LabelwiseError(
                f"classes {[self.label_space_.name(c) for c in missing]} have no labeled "
                "training rows; label at least one row of every class"
            )
        self.n_train_, self.n_eval_ = len(train), len(self.eval_index_)
        self.estimator_, self.pseudo_labels_, self.rounds_, self.stop_reason_ = self._self_train(
            Xf, codes, train, self.eval_index_, self.label_space_.k
        )
        self.n_pseudo_ = int((self.pseudo_labels_ != ABSTAIN).sum())
        self._fitted = True
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of shape (n, k) from the final model."""
        self.check_fitted()
        return self._proba(self.estimator_, self.prep_.transform(X))

    def _proba(self, model: Any, Xf: np.ndarray) -> np.ndarray:
        out = np.zeros((len(Xf), self.label_space_.k))
        out[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(Xf)
        return out

    def _min_conf(self) -> float:
        if self.min_confidence is not None:
            return float(self.min_confidence)
        return float(self.threshold) if self.threshold is not None else 0.0

    def label(self, X: Any) -> Votes:
        """Votes of the final model for the rows of ``X``."""
        proba = self.predict_proba(X)
        return self._result(proba)

    def _result(self, proba: np.ndarray) -> Votes:
        conf = proba.max(axis=1)
        votes = np.where(conf >= self._min_conf(), proba.argmax(axis=1), ABSTAIN)
        prov = {
            "kind": self.kind,
            "estimator": type(self.estimator_).__name__,
            "threshold": self.threshold,
            "top_k": self.top_k,
            "rounds": len(self.rounds_) - 1,
            "n_pseudo": self.n_pseudo_,
            "heldout_accuracy": self.rounds_[-1].get("accuracy"),
            "labeled_rows": self.labeled_rows,
            "stop_reason": self.stop_reason_,
        }
        return Votes(
            self.name,
            votes,
            label_space=self.label_space_,
            confidence=conf,
            proba=proba,
            provenance=prov,
            candidates=proba.argmax(axis=1),
        )

    def fit_label(self, X: Any, y: Any, *, label_space: LabelSpace | None = None) -> Votes:
        """Fit, then vote on every row of ``X``; labeled rows per ``labeled_rows``."""
        check_labeled_rows(self.labeled_rows)
        self.fit(X, y, label_space=label_space)
        Xf, codes = self._Xf, self._codes
        proba = self._proba(self.estimator_, Xf)
        labeled = np.flatnonzero(codes != ABSTAIN)
        if self.labeled_rows == "given":
            proba[labeled] = np.eye(self.label_space_.k)[codes[labeled]]
        elif self.labeled_rows == "crossfit":
            for fold in crossfit_folds(codes, labeled, self.cv, self.seed):
                masked = codes.copy()
                masked[fold] = ABSTAIN
                train = np.flatnonzero(masked != ABSTAIN)
                if len(np.unique(masked[train])) < self.label_space_.k:
                    continue
                model, *_ = self._self_train(
                    Xf, masked, train, np.zeros(0, dtype=np.int64), self.label_space_.k
                )
                proba[fold] = self._proba(model, Xf[fold])
        result = self._result(proba)
        return abstain_on(result, labeled) if self.labeled_rows == "abstain" else result


class PseudoRegressor(_SelfTrainingBase):
    """Self-training for regression; rows are added by smallest uncertainty.

    Parameters
    ----------
    estimator : scikit-learn regressor, optional
        Cloned before every fit; default ``RandomForestRegressor(n_estimators=100)``.
    uncertainty : {"ensemble", "quantile"}, default "ensemble"
        ``"ensemble"``: standard deviation of ``n_members`` copies of ``estimator`` fitted
        on bootstrap samples. ``"quantile"``: half-width of the 10-90% interval of two
        quantile gradient-boosting models, divided by 1.28 (a Gaussian standard deviation).
    n_members : int, default 5
    per_round : float or int, default 0.1
        Rows added per round: a share of the remaining unlabeled rows or a count.
    max_uncertainty : float, optional
        Never add rows whose uncertainty exceeds this (target units).
    max_rounds : int, default 5
    holdout : float or bool mask, default 0.2
        Labeled rows kept out of training to score each round (R^2, MAE).
    min_confidence : float, default 0.0
        ``NaN`` (abstain) below this in the emitted values.
    scale, categorical, labeled_rows, cv, name, seed, progress
        As in :class:`PseudoLabeler`.

    Attributes
    ----------
    estimator_, rounds_, pseudo_targets_ (NaN where none), stop_reason_

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 10, size=(200, 1))
    >>> y = 3 * X[:, 0] + rng.normal(0, 0.5, 200)
    >>> y[40:] = np.nan
    >>> from sklearn.linear_model import LinearRegression
    >>> pr = PseudoRegressor(LinearRegression(), max_rounds=2, seed=0).fit(X, y)
    >>> pr.rounds_[-1]["r2"] > 0.9
    True
    """

    kind = "pseudo_label_regression"
    _score_key = "r2"

    def __init__(
        self,
        estimator: Any = None,
        *,
        uncertainty: Literal["ensemble", "quantile"] = "ensemble",
        n_members: int = 5,
        per_round: float | int = 0.1,
        max_uncertainty: float | None = None,
        max_rounds: int = 5,
        holdout: Any = 0.2,
        min_confidence: float = 0.0,
        scale: Scale = "standard",
        categorical: Categorical = "error",
        labeled_rows: LabeledRows = "abstain",
        cv: int = 5,
        name: str = "pseudo_label",
        seed: Any = None,
        random_state: Any = None,
        progress: bool | None = None,
        show_progress: bool | None = None,
    ) -> None:
        seed = renamed_kwarg(
            seed, random_state, old="random_state", new="seed", where="PseudoRegressor()"
        )
        progress = renamed_kwarg(
            progress, show_progress, old="show_progress", new="progress", where="PseudoRegressor()"
        )
        self.estimator = estimator
        self.uncertainty = uncertainty
        self.n_members = n_members
        self.per_round = per_round
        self.max_uncertainty = max_uncertainty
        self.max_rounds = max_rounds
        self.holdout = holdout
        self.min_confidence = min_confidence
        self.scale = scale
        self.categorical = categorical
        self.labeled_rows = labeled_rows
        self.cv = cv
        self.name = name
        self.seed = seed
        self.progress = progress

    def _fit_uncertainty(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> list[Any]:
        from sklearn.base import clone

        if self.uncertainty == "ensemble":
            if int(self.n_members) < 2:
                raise LabelwiseError(f"n_members={self.n_members} must be at least 2")
            base = self.estimator if self.estimator is not None else _default_regressor()
            members = []
            for _ in range(int(self.n_members)):
                boot = rng.integers(0, len(X), size=len(X))
                members.append(clone(base).fit(X[boot], y[boot]))
            return members
        if self.uncertainty == "quantile":
            from sklearn.ensemble import HistGradientBoostingRegressor

            seed = int(rng.integers(2**31 - 1))
            return [
                HistGradientBoostingRegressor(loss="quantile", quantile=q, random_state=seed).fit(
                    X, y
                )
                for q in (0.1, 0.9)
            ]
        raise LabelwiseError(
            f"uncertainty={self.uncertainty!r} is not supported; use 'ensemble' or 'quantile'"
        )

    def _spread(self, members: list[Any], X: np.ndarray) -> np.ndarray:
        if len(X) == 0:
            return np.zeros(0)
        preds = np.column_stack([m.predict(X) for m in members])
        if self.uncertainty == "quantile":
            return np.abs(preds[:, 1] - preds[:, 0]) / (2 * 1.2816)
        return preds.std(axis=1)

    def _self_train(
        self, Xf: np.ndarray, t: np.ndarray, train: np.ndarray, eval_idx: np.ndarray
    ) -> tuple[Any, list[Any], np.ndarray, list[dict[str, Any]], str]:
        from sklearn.base import clone
        from sklearn.metrics import mean_absolute_error, r2_score

        rng = np.random.default_rng(self.seed)
        base = self.estimator if self.estimator is not None else _default_regressor()
        pool = np.setdiff1d(np.flatnonzero(np.isnan(t)), eval_idx)
        pseudo = np.full(len(t), np.nan)
        rounds: list[dict[str, Any]] = []

        def fit_all() -> tuple[Any, list[Any], np.ndarray]:
            rows = np.concatenate([train, np.flatnonzero(~np.isnan(pseudo))])
            target = np.where(np.isnan(pseudo[rows]), t[rows], pseudo[rows])
            return (
                clone(base).fit(Xf[rows], target),
                self._fit_uncertainty(Xf[rows], target, rng),
                rows,
            )

        def log(rnd: int, model: Any, added: np.ndarray, unc_added: float, n_train: int) -> None:
            entry: dict[str, Any] = {
                "round": rnd,
                "n_added": len(added),
                "n_pseudo": int((~np.isnan(pseudo)).sum()),
                "n_unlabeled_left": int(np.isnan(pseudo[pool]).sum()),
                "train_size": n_train,
                "mean_uncertainty_added": unc_added,
            }
            if len(eval_idx) >= 2:
                pred = model.predict(Xf[eval_idx])
                entry["r2"] = float(r2_score(t[eval_idx], pred))
                entry["mae"] = float(mean_absolute_error(t[eval_idx], pred))
            else:
                entry["r2"] = entry["mae"] = float("nan")
            rounds.append(entry)

        model, members, rows = fit_all()
        log(0, model, np.zeros(0, dtype=np.int64), float("nan"), len(rows))
        if len(pool) == 0:
            return model, members, pseudo, rounds, "no unlabeled rows"
        reason = "max_rounds reached"
        for rnd in progress_bar(
            range(1, int(self.max_rounds) + 1),
            total=int(self.max_rounds),
            desc=f"{self.name} rounds",
            enabled=self.progress,
        ):
            candidates = pool[np.isnan(pseudo[pool])]
            if len(candidates) == 0:
                reason = "every unlabeled row is pseudo-labeled"
                break
            n_add = (
                int(np.ceil(float(self.per_round) * len(candidates)))
                if isinstance(self.per_round, float)
                else int(self.per_round)
            )
            unc = self._spread(members, Xf[candidates])
            pick = find_least_uncertain_rows(unc, n=n_add, max_uncertainty=self.max_uncertainty)
            if len(pick) == 0:
                reason = "no unlabeled row is below max_uncertainty"
                log(rnd, model, pick, float("nan"), len(rows))
                break
            chosen = candidates[pick]
            pseudo[chosen] = model.predict(Xf[chosen])
            model, members, rows = fit_all()
            log(rnd, model, chosen, float(np.mean(unc[pick])), len(rows))
        return model, members, pseudo, rounds, reason

    def fit(self, X: Any, y: Any) -> PseudoRegressor:
        """Self-train on ``X`` (shape (n, p)) and ``y`` (shape (n,), ``NaN`` = unlabeled)."""
        Xf = self._prep(X)
        t = numeric_targets(y, len(Xf))
        labeled = np.flatnonzero(~np.isnan(t))
        if len(labeled) < 3:
            raise LabelwiseError(
                f"only {len(labeled)} labeled rows; label at least 3 (better: dozens)"
            )
        if len(labeled) == len(t):
            warnings.warn(
                "every row is labeled: nothing to pseudo-label; fitting on the labeled rows only",
                UserWarning,
                stacklevel=2,
            )
        self._Xf, self._t = Xf, t
        self.target_scale_ = float(np.std(t[labeled])) or 1.0
        rng = np.random.default_rng(self.seed)
        train, self.eval_index_ = _holdout_split(labeled, None, self.holdout, rng)
        self.n_train_, self.n_eval_ = len(train), len(self.eval_index_)
        (
            self.estimator_,
            self.members_,
            self.pseudo_targets_,
            self.rounds_,
            self.stop_reason_,
        ) = self._self_train(Xf, t, train, self.eval_index_)
        self.n_pseudo_ = int((~np.isnan(self.pseudo_targets_)).sum())
        self._fitted = True
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted target of shape (n,) from the final model."""
        self.check_fitted()
        return np.asarray(self.estimator_.predict(self.prep_.transform(X)), dtype=np.float64)

    def label(self, X: Any) -> RegressionResult:
        """Values and confidences for the rows of ``X``."""
        self.check_fitted()
        Xf = self.prep_.transform(X)
        return self._result(self.estimator_.predict(Xf), self._spread(self.members_, Xf))

    def _result(self, value: np.ndarray, unc: np.ndarray) -> RegressionResult:
        prov = {
            "kind": self.kind,
            "estimator": type(self.estimator_).__name__,
            "uncertainty": self.uncertainty,
            "rounds": len(self.rounds_) - 1,
            "n_pseudo": self.n_pseudo_,
            "heldout_r2": self.rounds_[-1].get("r2"),
            "labeled_rows": self.labeled_rows,
            "stop_reason": self.stop_reason_,
        }
        return self._regression_result(value, unc, prov)

    def fit_label(self, X: Any, y: Any) -> RegressionResult:
        """Fit, then give a value for every row; labeled rows per ``labeled_rows``."""
        check_labeled_rows(self.labeled_rows)
        self.fit(X, y)
        Xf, t = self._Xf, self._t
        value = np.asarray(self.estimator_.predict(Xf), dtype=np.float64)
        unc = self._spread(self.members_, Xf)
        labeled = np.flatnonzero(~np.isnan(t))
        if fill_labeled_targets(self.labeled_rows, value, unc, t, labeled):
            for fold in crossfit_folds(None, labeled, self.cv, self.seed):
                masked = t.copy()
                masked[fold] = np.nan
                model, members, *_ = self._self_train(
                    Xf, masked, np.flatnonzero(~np.isnan(masked)), np.zeros(0, dtype=np.int64)
                )
                value[fold] = model.predict(Xf[fold])
                unc[fold] = self._spread(members, Xf[fold])
        return self._result(value, unc)


def _pseudo_example() -> tuple[Any, Any, Any]:
    X, y = tiny_example_data()
    return PseudoLabeler(holdout=0.0, max_rounds=2, seed=0), X, y


register_labeler(example=_pseudo_example)(PseudoLabeler)
