"""Find likely label errors with confident learning over out-of-fold probabilities.

The recipe (Northcutt et al., "Confident Learning", 2021), written from the paper:

1. Get out-of-fold predicted probabilities ``P`` (shape (n, k)) so no row is scored by a
   model that saw its own label (:func:`out_of_fold_proba`).
2. Per class ``j``, the threshold ``t_j`` is the mean ``P[:, j]`` over rows labeled ``j``
   (the model's average self-confidence for that class).
3. The *confident joint* ``C[i, j]`` counts rows labeled ``i`` whose most likely class among
   those with ``P[:, j] >= t_j`` is ``j`` (:func:`confident_joint`). Calibrated so each row
   sums to the number of rows labeled ``i``, ``C / n`` estimates the joint of given and
   true labels.
4. Off-diagonal cells say how many rows of each (given, true) pair are wrong; the rows
   most likely to be wrong are those the cell's count selects by margin
   (``prune_by_noise_rate``) and/or those that land off the diagonal themselves
   (``confident_joint``). They are ranked by a label-quality score (self-confidence or
   normalized margin), lowest first (:func:`find_label_issues`).

The labels can be given ones or those aggregated by a label model: the method only needs
a label per row and probabilities from a model trained on features.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from labelwise._deprecation import renamed_kwarg
from labelwise.errors import DataError, LabelwiseError, NotFittedError
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.learn.features import Categorical, FeaturePrep, encode_targets

__all__ = [
    "LabelIssueFinder",
    "confident_joint",
    "estimate_noise_matrix",
    "find_label_issues",
    "label_quality_scores",
    "out_of_fold_proba",
]

RankBy = Literal["self_confidence", "normalized_margin"]
FilterBy = Literal["prune_by_noise_rate", "confident_joint", "both"]


def _check(labels: Any, proba: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels)
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2:
        raise LabelwiseError(f"proba must be 2-D (n, k), got shape {p.shape}")
    if y.ndim != 1 or len(y) != len(p):
        raise LabelwiseError(
            f"labels has shape {y.shape} but proba has {len(p)} rows; give one label per row"
        )
    if y.dtype.kind not in "iu":
        raise LabelwiseError(
            f"labels must be integer classes 0..k-1 (ABSTAIN = -1), got dtype {y.dtype}; "
            "encode class names with encode_targets or LabelSpace.encode"
        )
    if y.size and (y.min() < ABSTAIN or y.max() >= p.shape[1]):
        raise LabelwiseError(
            f"labels must lie in -1..{p.shape[1] - 1} for {p.shape[1]} probability columns, "
            f"got {y.min()}..{y.max()}"
        )
    if p.size and (np.isnan(p).any() or p.min() < 0 or p.max() > 1 + 1e-6):
        raise LabelwiseError("proba must hold probabilities in [0, 1] without NaN")
    return y.astype(np.int64), p


def out_of_fold_proba(
    X: Any,
    y: Any,
    *,
    estimator: Any = None,
    cv: int = 5,
    label_space: LabelSpace | None = None,
    categorical: Categorical = "error",
    seed: Any = None,
    random_state: Any = None,
) -> np.ndarray:
    """Cross-validated class probabilities: each row is scored by a model that never saw it.

    Parameters
    ----------
    X : DataFrame or array of shape (n, p)
    y : array-like of shape (n,)
        Labels (names or integers); rows with missing labels get ``NaN`` probabilities.
    estimator : scikit-learn classifier, optional
        Default ``LogisticRegression``; must have ``predict_proba``.
    cv : int, default 5
        Stratified folds; lowered to the size of the smallest class (at least 2).

    Returns
    -------
    ndarray of shape (n, k)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-2, 1, 50), rng.normal(2, 1, 50)].reshape(-1, 1)
    >>> y = np.r_[np.zeros(50, int), np.ones(50, int)]
    >>> P = out_of_fold_proba(X, y, seed=0)
    >>> P.shape, bool((P.argmax(1) == y).mean() > 0.9)
    ((100, 2), True)
    """
    seed = renamed_kwarg(
        seed, random_state, old="random_state", new="seed", where="out_of_fold_proba()"
    )
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    codes, space = encode_targets(y, label_space=label_space)
    Xf = FeaturePrep(categorical=categorical).fit_transform(X)
    if len(Xf) != len(codes):
        raise LabelwiseError(f"X has {len(Xf)} rows but y has {len(codes)}; pass one label per row")
    lab = np.flatnonzero(codes != ABSTAIN)
    counts = np.bincount(codes[lab], minlength=space.k)
    present = counts[counts > 0]
    if len(present) < 2:
        raise LabelwiseError("out-of-fold probabilities need labeled rows of at least 2 classes")
    folds = min(int(cv), int(present.min()))
    if folds < 2:
        thin = [space.names[j] for j in np.flatnonzero((counts > 0) & (counts < 2))]
        raise DataError(
            f"classes {thin} have a single labeled row; cross-validation needs at least 2 "
            "rows per class. Label more rows of those classes or drop them"
        )
    if estimator is None:
        from sklearn.linear_model import LogisticRegression

        estimator = LogisticRegression(max_iter=2000)
    if not hasattr(estimator, "predict_proba"):
        raise LabelwiseError(f"{type(estimator).__name__} has no predict_proba")
    seed = int(np.random.default_rng(seed).integers(2**31 - 1))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    p = cross_val_predict(
        clone(estimator), Xf[lab], codes[lab], cv=splitter, method="predict_proba"
    )
    out = np.full((len(codes), space.k), np.nan)
    present_classes = np.flatnonzero(counts > 0)
    full = np.zeros((len(lab), space.k))
    full[:, present_classes] = p
    out[lab] = full
    return out


def _thresholds(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    k = p.shape[1]
    t = np.full(k, np.inf)
    for j in range(k):
        rows = y == j
        if rows.any():
            t[j] = p[rows, j].mean()
    return t


def _confident_assignment(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """For each row, the class it confidently belongs to (or ABSTAIN if none passes)."""
    t = _thresholds(y, p)
    above = p >= (t - 1e-9)
    masked = np.where(above, p, -np.inf)
    best = masked.argmax(axis=1)
    return np.where(above.any(axis=1), best, ABSTAIN)


def confident_joint(labels: Any, proba: Any, *, calibrate: bool = True) -> np.ndarray:
    """The confident joint ``C`` of shape (k, k): given label (rows) by likely true label.

    Rows with ``ABSTAIN`` labels are ignored. With ``calibrate`` the counts are rescaled so
    row ``i`` sums to the number of rows labeled ``i``.

    Examples
    --------
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> P = np.array([[.9, .1], [.8, .2], [.1, .9], [.2, .8], [.1, .9], [.3, .7]])
    >>> confident_joint(y, P).astype(int).tolist()
    [[2, 1], [0, 3]]
    """
    y, p = _check(labels, proba)
    keep = y != ABSTAIN
    y, p = y[keep], p[keep]
    k = p.shape[1]
    assigned = _confident_assignment(y, p)
    C = np.zeros((k, k))
    ok = assigned != ABSTAIN
    np.add.at(C, (y[ok], assigned[ok]), 1.0)
    if calibrate:
        counts = np.bincount(y, minlength=k).astype(float)
        sums = C.sum(axis=1)
        scale = np.divide(counts, sums, out=np.zeros(k), where=sums > 0)
        C = C * scale[:, None]
    return C


def estimate_noise_matrix(labels: Any, proba: Any) -> np.ndarray:
    """``P(given label = i | true label = j)`` of shape (k, k), from the confident joint.

    Columns sum to 1 (for classes with confident evidence).

    Examples
    --------
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> P = np.array([[.9, .1], [.8, .2], [.1, .9], [.2, .8], [.1, .9], [.3, .7]])
    >>> np.round(estimate_noise_matrix(y, P), 2).tolist()
    [[1.0, 0.25], [0.0, 0.75]]
    """
    C = confident_joint(labels, proba)
    col = C.sum(axis=0)
    return np.divide(C, col[None, :], out=np.zeros_like(C), where=col[None, :] > 0)


def label_quality_scores(
    labels: Any, proba: Any, *, method: RankBy = "self_confidence"
) -> np.ndarray:
    """Per-row quality of the given label in ``[0, 1]``; low means likely wrong.

    Parameters
    ----------
    labels : ndarray of shape (n,)
        Integer classes; ``ABSTAIN`` rows get ``NaN``.
    proba : ndarray of shape (n, k)
    method : {"self_confidence", "normalized_margin"}
        ``self_confidence`` = ``P[i, y_i]``; ``normalized_margin`` =
        ``(P[i, y_i] - max_{j != y_i} P[i, j] + 1) / 2``.

    Examples
    --------
    >>> label_quality_scores(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]])).tolist()
    [0.9, 0.2]
    """
    y, p = _check(labels, proba)
    out = np.full(len(y), np.nan)
    keep = y != ABSTAIN
    rows = np.flatnonzero(keep)
    own = p[rows, y[rows]]
    if method == "self_confidence":
        out[rows] = own
    elif method == "normalized_margin":
        others = p[rows].copy()
        others[np.arange(len(rows)), y[rows]] = -np.inf
        out[rows] = (own - others.max(axis=1) + 1.0) / 2.0
    else:
        raise LabelwiseError(
            f"method={method!r} is not supported; use 'self_confidence' or 'normalized_margin'"
        )
    return out


def find_label_issues(
    labels: Any,
    proba: Any,
    *,
    filter_by: FilterBy = "prune_by_noise_rate",
    rank_by: RankBy = "self_confidence",
) -> np.ndarray:
    """Indices of rows whose label is probably wrong, most likely first.

    Parameters
    ----------
    labels : ndarray of shape (n,)
        Given or aggregated integer labels (``ABSTAIN`` rows are never flagged).
    proba : ndarray of shape (n, k)
        Out-of-fold probabilities (see :func:`out_of_fold_proba`).
    filter_by : {"prune_by_noise_rate", "confident_joint", "both"}, default "prune_by_noise_rate"
        ``"prune_by_noise_rate"`` flags, for each off-diagonal cell ``(i, j)`` of the
        calibrated confident joint, the ``C[i, j]`` rows labeled ``i`` with the largest
        margin ``P[:, j] - P[:, i]`` (best recall); ``"confident_joint"`` flags rows that
        themselves land off the diagonal (they must pass a class threshold, so a model
        made unsure by the noise misses some); ``"both"`` flags rows chosen by both rules
        (fewest false alarms).
    rank_by : {"self_confidence", "normalized_margin"}, default "self_confidence"
        Order of the returned rows (lowest label quality first).

    Returns
    -------
    ndarray of int

    Examples
    --------
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> P = np.array([[.9, .1], [.8, .2], [.1, .9], [.2, .8], [.1, .9], [.3, .7]])
    >>> find_label_issues(y, P).tolist()
    [2]
    """
    if filter_by not in ("both", "prune_by_noise_rate", "confident_joint"):
        raise LabelwiseError(
            f"filter_by={filter_by!r} is not supported; use 'both', "
            "'prune_by_noise_rate' or 'confident_joint'"
        )
    y, p = _check(labels, proba)
    n, k = p.shape
    valid = np.flatnonzero(y != ABSTAIN)
    flagged_cj = np.zeros(n, dtype=bool)
    assigned = np.full(n, ABSTAIN)
    assigned[valid] = _confident_assignment(y[valid], p[valid])
    flagged_cj[valid] = (assigned[valid] != ABSTAIN) & (assigned[valid] != y[valid])

    flagged_nr = np.zeros(n, dtype=bool)
    C = confident_joint(y, p)
    for i in range(k):
        rows_i = valid[y[valid] == i]
        if len(rows_i) == 0:
            continue
        # a row may be picked for at most one (i, j) cell: the class it leans to most
        taken = np.zeros(len(rows_i), dtype=bool)
        for j in np.argsort(-C[i]):
            if j == i:
                continue
            count = int(np.rint(C[i, j]))
            if count <= 0:
                continue
            margin = p[rows_i, j] - p[rows_i, i]
            margin = np.where(taken, -np.inf, margin)
            order = np.argsort(-margin, kind="stable")[:count]
            order = order[np.isfinite(margin[order]) & (margin[order] > 0)]
            taken[order] = True
            flagged_nr[rows_i[order]] = True

    if filter_by == "confident_joint":
        flagged = flagged_cj
    elif filter_by == "prune_by_noise_rate":
        flagged = flagged_nr
    else:
        flagged = flagged_cj & flagged_nr
    idx = np.flatnonzero(flagged)
    score = label_quality_scores(y, p, method=rank_by)[idx]
    return idx[np.argsort(score, kind="stable")]


class LabelIssueFinder:
    """Out-of-fold probabilities + confident learning in one estimator.

    Parameters
    ----------
    estimator : scikit-learn classifier, optional
        Default ``LogisticRegression``.
    cv : int, default 5
    filter_by, rank_by : see :func:`find_label_issues`
    categorical : see :class:`~labelwise.learn.FeaturePrep`
    seed : int or Generator, optional

    Attributes
    ----------
    proba_ : ndarray of shape (n, k)
        Out-of-fold probabilities.
    issues_ : ndarray of int
        Likely wrong rows, most likely first.
    quality_ : ndarray of shape (n,)
        Label-quality score per row (low = likely wrong).
    confident_joint_, noise_matrix_ : ndarray of shape (k, k)
    label_space_ : LabelSpace

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-3, 1, 60), rng.normal(3, 1, 60)].reshape(-1, 1)
    >>> y = np.r_[np.zeros(60, int), np.ones(60, int)]
    >>> y[[5, 70]] = 1 - y[[5, 70]]
    >>> sorted(LabelIssueFinder(seed=0).fit(X, y).issues_[:2].tolist())
    [5, 70]
    """

    def __init__(
        self,
        estimator: Any = None,
        *,
        cv: int = 5,
        filter_by: FilterBy = "prune_by_noise_rate",
        rank_by: RankBy = "self_confidence",
        categorical: Categorical = "error",
        seed: Any = None,
        random_state: Any = None,
    ) -> None:
        seed = renamed_kwarg(
            seed, random_state, old="random_state", new="seed", where="LabelIssueFinder()"
        )
        self.estimator = estimator
        self.cv = cv
        self.filter_by = filter_by
        self.rank_by = rank_by
        self.categorical = categorical
        self.seed = seed

    def fit(self, X: Any, y: Any, *, label_space: LabelSpace | None = None) -> LabelIssueFinder:
        """Score the labels ``y`` (shape (n,)) of the rows of ``X`` (shape (n, p))."""
        codes, self.label_space_ = encode_targets(y, label_space=label_space)
        self.labels_ = codes
        self.proba_ = out_of_fold_proba(
            X,
            codes,
            estimator=self.estimator,
            cv=self.cv,
            label_space=self.label_space_,
            categorical=self.categorical,
            seed=self.seed,
        )
        p = np.nan_to_num(self.proba_)
        self.issues_ = find_label_issues(codes, p, filter_by=self.filter_by, rank_by=self.rank_by)
        self.quality_ = label_quality_scores(codes, p, method=self.rank_by)
        self.confident_joint_ = confident_joint(codes, p)
        self.noise_matrix_ = estimate_noise_matrix(codes, p)
        return self

    def issues_frame(self, *, index: Any = None) -> Any:
        """A DataFrame of the flagged rows: given label, suggested label, score, rank."""
        import pandas as pd

        if not hasattr(self, "issues_"):
            raise NotFittedError("LabelIssueFinder is not fitted; call fit(X, y) first")
        idx = self.issues_
        names = self.label_space_.names
        p = np.nan_to_num(self.proba_[idx])
        row_ids = np.asarray(index)[idx] if index is not None else idx
        return pd.DataFrame(
            {
                "row": row_ids,
                "given_label": [names[c] for c in self.labels_[idx]],
                "suggested_label": [names[c] for c in p.argmax(axis=1)],
                "label_quality": self.quality_[idx],
                "suggested_proba": p.max(axis=1) if len(idx) else np.zeros(0),
            }
        )
