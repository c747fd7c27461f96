"""Clustering labelers: k-means clusters named by the labeled rows they contain.

:func:`score_k_range` fits k-means for a range of ``k`` and reports inertia, silhouette,
Davies-Bouldin and Dunn's index; :class:`KSelection` picks ``k`` (elbow, silhouette, Dunn or
Davies-Bouldin) and plots the curves. :class:`ClusterLabeler` then labels each cluster with
the majority class of its labeled rows (with a confidence that shrinks for thin evidence)
and abstains for clusters with no or conflicting evidence; :class:`ClusterRegressor` gives
the cluster's mean target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from labelwise._deprecation import renamed_kwarg
from labelwise.errors import LabelwiseError
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.labeling.votes import BaseLabeler, Votes, register_labeler
from labelwise.learn._base import (
    FeatureLabelerBase,
    LabeledRows,
    check_labeled_rows,
    class_targets,
    fill_labeled_targets,
    numeric_targets,
    tiny_example_data,
)
from labelwise.learn.features import Categorical, Scale
from labelwise.learn.result import RegressionResult
from labelwise.progress import progress as progress_bar

__all__ = [
    "ClusterLabeler",
    "ClusterRegressor",
    "KSelection",
    "dunn_index",
    "find_elbow",
    "score_k_range",
]

SelectBy = Literal["silhouette", "elbow", "dunn", "davies_bouldin"]

#: Above this many rows, ``minibatch="auto"`` switches to MiniBatchKMeans.
MINIBATCH_ROWS = 10_000


def dunn_index(
    X: np.ndarray,
    labels: np.ndarray,
    *,
    sample_size: int | None = 2000,
    seed: Any = None,
    random_state: Any = None,
) -> float:
    """Dunn's index: smallest distance between clusters / largest cluster diameter.

    Higher is better (compact, well separated clusters). Distances are Euclidean between
    points (single linkage between clusters, complete diameter within); on more than
    ``sample_size`` rows a random sample is used, since the cost is quadratic.

    Parameters
    ----------
    X : ndarray of shape (n, p)
    labels : ndarray of shape (n,)
        Cluster ids.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> dunn_index(X, np.array([0, 0, 1, 1]))
    9.0
    """
    seed = renamed_kwarg(seed, random_state, old="random_state", new="seed", where="dunn_index()")
    from scipy.spatial.distance import cdist

    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if sample_size is not None and len(X) > sample_size:
        rng = np.random.default_rng(seed)
        pick = rng.choice(len(X), size=sample_size, replace=False)
        X, labels = X[pick], labels[pick]
    ids = np.unique(labels)
    if len(ids) < 2:
        return float("nan")
    groups = [X[labels == c] for c in ids]
    diameter = max(float(cdist(g, g).max()) if len(g) > 1 else 0.0 for g in groups)
    separation = min(
        float(cdist(groups[a], groups[b]).min())
        for a in range(len(groups))
        for b in range(a + 1, len(groups))
    )
    if diameter == 0:
        return float("inf")
    return separation / diameter


def find_elbow(ks: Sequence[int], inertia: Sequence[float]) -> int:
    """The ``k`` where the inertia curve bends most (farthest below the chord).

    Both axes are scaled to ``[0, 1]``; the elbow is the point with the largest distance
    below the straight line from the first to the last point.

    Examples
    --------
    >>> find_elbow([1, 2, 3, 4, 5, 6], [100, 40, 10, 8, 7, 6])
    3
    """
    k = np.asarray(ks, dtype=np.float64)
    w = np.asarray(inertia, dtype=np.float64)
    if len(k) < 3:
        return int(k[int(np.argmin(w))]) if len(k) else 0
    kx = (k - k[0]) / (k[-1] - k[0])
    span = w.max() - w.min()
    wy = (w - w.min()) / span if span > 0 else np.zeros_like(w)
    chord = wy[0] + (wy[-1] - wy[0]) * kx
    return int(k[int(np.argmax(chord - wy))])


@dataclass
class KSelection:
    """Cluster quality for each candidate ``k``.

    Attributes
    ----------
    ks : ndarray of shape (r,)
    inertia, silhouette, davies_bouldin, dunn : ndarray of shape (r,)
        Within-cluster sum of squares (lower is tighter), silhouette (higher), Davies-Bouldin
        (lower) and Dunn's index (higher).
    minibatch : bool
        Whether MiniBatchKMeans was used.
    """

    ks: np.ndarray
    inertia: np.ndarray
    silhouette: np.ndarray
    davies_bouldin: np.ndarray
    dunn: np.ndarray
    minibatch: bool = False
    models: list[Any] = field(default_factory=list, repr=False)

    def best_k(self, method: SelectBy = "silhouette") -> int:
        """The ``k`` chosen by ``method`` (``"elbow"``, ``"silhouette"``, ``"dunn"``,
        ``"davies_bouldin"``)."""
        if method == "elbow":
            return find_elbow(self.ks.tolist(), self.inertia.tolist())
        if method == "silhouette":
            return int(self.ks[int(np.nanargmax(self.silhouette))])
        if method == "dunn":
            return int(self.ks[int(np.nanargmax(self.dunn))])
        if method == "davies_bouldin":
            return int(self.ks[int(np.nanargmin(self.davies_bouldin))])
        raise LabelwiseError(
            f"select_by={method!r} is not supported; use 'elbow', 'silhouette', 'dunn' or "
            "'davies_bouldin'"
        )

    def to_frame(self) -> Any:
        """One row per ``k`` with every score and which methods chose it."""
        import pandas as pd

        df = pd.DataFrame(
            {
                "k": self.ks,
                "inertia": self.inertia,
                "silhouette": self.silhouette,
                "davies_bouldin": self.davies_bouldin,
                "dunn": self.dunn,
            }
        )
        chosen = {m: self.best_k(m) for m in ("elbow", "silhouette", "dunn", "davies_bouldin")}
        df["chosen_by"] = [", ".join(m for m, k in chosen.items() if k == kk) for kk in self.ks]
        return df

    def plot(self, *, chosen: int | None = None) -> Any:
        """A matplotlib figure with the four curves against ``k``."""
        from labelwise.errors import require

        require("matplotlib", "report").use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 4, figsize=(14, 3.2))
        curves = [
            ("inertia (elbow)", self.inertia, self.best_k("elbow")),
            ("silhouette (max)", self.silhouette, self.best_k("silhouette")),
            ("Davies-Bouldin (min)", self.davies_bouldin, self.best_k("davies_bouldin")),
            ("Dunn's index (max)", self.dunn, self.best_k("dunn")),
        ]
        for ax, (title, values, best) in zip(axes, curves, strict=True):
            ax.plot(self.ks, values, marker="o", color="#0969da")
            ax.axvline(best, color="#cf222e", linestyle="--", linewidth=1, label=f"best k={best}")
            if chosen is not None and chosen != best:
                ax.axvline(chosen, color="#1a7f37", linewidth=1, label=f"used k={chosen}")
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("k")
            ax.legend(fontsize=8)
        fig.tight_layout()
        return fig


def _kmeans(k: int, *, minibatch: bool, seed: int) -> Any:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if minibatch:
        return MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=2048, random_state=seed)
    return KMeans(n_clusters=k, n_init=4, random_state=seed)


def _use_minibatch(minibatch: bool | Literal["auto"], n: int) -> bool:
    if minibatch == "auto":
        return n > MINIBATCH_ROWS
    return bool(minibatch)


def _check_cluster_k(k: int, n: int) -> None:
    if int(k) < 2:
        raise LabelwiseError(f"k={k} clusters is too few; use k >= 2")
    if int(k) > n:
        raise LabelwiseError(
            f"k={k} clusters is larger than the number of rows ({n}); use k <= {n}"
        )


def score_k_range(
    X: np.ndarray,
    ks: Sequence[int] = range(2, 11),
    *,
    minibatch: bool | Literal["auto"] = "auto",
    sample_size: int = 2000,
    seed: Any = None,
    random_state: Any = None,
    progress: bool | None = None,
    show_progress: bool | None = None,
) -> KSelection:
    """Fit k-means for each ``k`` in ``ks`` and score the clusterings.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Prepared (numeric, scaled) features, e.g. from :func:`~labelwise.learn.prepare_features`.
    ks : sequence of int, default range(2, 11)
    minibatch : bool or "auto", default "auto"
        MiniBatchKMeans above :data:`MINIBATCH_ROWS` rows.
    sample_size : int, default 2000
        Rows sampled for silhouette and Dunn's index (both quadratic in ``n``).

    Returns
    -------
    KSelection

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.2, size=(30, 2)) for c in (0, 5, 10)])
    >>> score_k_range(X, range(2, 6), seed=0).best_k("silhouette")
    3
    """
    seed = renamed_kwarg(
        seed, random_state, old="random_state", new="seed", where="score_k_range()"
    )
    progress = renamed_kwarg(
        progress, show_progress, old="show_progress", new="progress", where="score_k_range()"
    )
    from sklearn.metrics import davies_bouldin_score, silhouette_score

    X = np.asarray(X, dtype=np.float64)
    ks = [int(k) for k in ks]
    if not ks:
        raise LabelwiseError("ks is empty; give candidate cluster counts, e.g. range(2, 11)")
    for k in ks:
        _check_cluster_k(k, len(X))
    mb = _use_minibatch(minibatch, len(X))
    rng = np.random.default_rng(seed)
    seed = int(rng.integers(2**31 - 1))
    sample = rng.choice(len(X), size=min(sample_size, len(X)), replace=False)
    inertia, sil, db, dunn, models = [], [], [], [], []
    for k in progress_bar(ks, total=len(ks), desc="k-means over k", enabled=progress):
        model = _kmeans(k, minibatch=mb, seed=seed).fit(X)
        labels = model.labels_
        models.append(model)
        inertia.append(float(model.inertia_))
        n_distinct = len(np.unique(labels[sample]))
        sil.append(
            float(silhouette_score(X[sample], labels[sample]))
            if 1 < n_distinct < len(sample)
            else np.nan
        )
        db.append(float(davies_bouldin_score(X, labels)) if len(np.unique(labels)) > 1 else np.nan)
        dunn.append(dunn_index(X[sample], labels[sample], sample_size=None))
    return KSelection(
        np.asarray(ks),
        np.asarray(inertia),
        np.asarray(sil),
        np.asarray(db),
        np.asarray(dunn),
        minibatch=mb,
        models=models,
    )


class _ClusterBase(FeatureLabelerBase):
    k: int | Literal["auto"]
    k_range: Sequence[int]
    select_by: SelectBy
    minibatch: bool | Literal["auto"]
    sample_size: int
    progress: bool | None

    def _cluster(self, X: Any) -> np.ndarray:
        """Prepare features, choose ``k``, fit k-means; returns the prepared features."""
        Xf = self._prep(X)
        if self.k == "auto":
            ks = [k for k in self.k_range if k <= len(Xf)]
            if not ks:
                raise LabelwiseError(
                    f"every k in k_range={list(self.k_range)} is larger than the number of "
                    f"rows ({len(Xf)}); use smaller k"
                )
            self.k_selection_: KSelection | None = score_k_range(
                Xf,
                ks,
                minibatch=self.minibatch,
                sample_size=self.sample_size,
                seed=self.seed,
                progress=self.progress,
            )
            self.k_ = self.k_selection_.best_k(self.select_by)
            self.kmeans_ = self.k_selection_.models[ks.index(self.k_)]
        else:
            _check_cluster_k(int(self.k), len(Xf))
            self.k_selection_ = None
            self.k_ = int(self.k)
            seed = int(np.random.default_rng(self.seed).integers(2**31 - 1))
            self.kmeans_ = _kmeans(
                self.k_, minibatch=_use_minibatch(self.minibatch, len(Xf)), seed=seed
            ).fit(Xf)
        self.clusters_ = np.asarray(self.kmeans_.labels_, dtype=np.int64)
        return Xf

    def predict_clusters(self, X: Any) -> np.ndarray:
        """Cluster id of each row of ``X`` (shape (n,))."""
        self.check_fitted()
        return np.asarray(self.kmeans_.predict(self.prep_.transform(X)), dtype=np.int64)

    def plot_k_selection(self) -> Any:
        """The k-selection curves (needs ``k="auto"``)."""
        if getattr(self, "k_selection_", None) is None:
            raise LabelwiseError("no k selection was run; fit with k='auto' to compare k values")
        assert self.k_selection_ is not None
        return self.k_selection_.plot(chosen=self.k_)


class ClusterLabeler(_ClusterBase, BaseLabeler):
    """k-means clusters, each labeled by the majority class of its labeled rows.

    Parameters
    ----------
    k : int or "auto", default "auto"
        Number of clusters; ``"auto"`` tries ``k_range`` and picks by ``select_by``.
    k_range : sequence of int, default range(2, 11)
    select_by : {"silhouette", "elbow", "dunn", "davies_bouldin"}, default "silhouette"
    minibatch : bool or "auto", default "auto"
        MiniBatchKMeans for large data (more than 10,000 rows with ``"auto"``).
    min_labeled : int, default 1
        A cluster with fewer labeled rows abstains.
    min_purity : float, default 0.6
        A cluster whose majority class holds less than this share of its labeled rows
        (conflicting evidence) abstains; so does a tie.
    min_confidence : float, default 0.0
        Also abstain where the smoothed confidence ``(n_majority + 1) / (n_labeled + k)``
        is below this.
    scale, categorical : see :class:`~labelwise.learn.FeaturePrep`
    labeled_rows : {"crossfit", "given", "abstain"}, default "crossfit"
        ``"crossfit"`` names a labeled row's cluster without that row's own label.
    sample_size : int, default 2000
        Rows sampled for silhouette and Dunn's index.
    name : str, default "kmeans"
    seed : int or Generator, optional
    progress : bool, optional

    Attributes
    ----------
    k_ : int
    clusters_ : ndarray of shape (n,)
    cluster_counts_ : ndarray of shape (k_, n_classes)
        Labeled rows per cluster and class.
    cluster_votes_, cluster_confidence_ : ndarray of shape (k_,)
    k_selection_ : KSelection or None

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.3, size=(20, 2)) for c in (0, 6)])
    >>> y = np.full(40, -1); y[:3] = 0; y[20:23] = 1
    >>> r = ClusterLabeler(k=2, seed=0).fit_label(X, y)
    >>> (r.votes[:20] == 0).all() and (r.votes[20:] == 1).all()
    np.True_
    """

    kind = "cluster"

    def __init__(
        self,
        *,
        k: int | Literal["auto"] = "auto",
        k_range: Sequence[int] = range(2, 11),
        select_by: SelectBy = "silhouette",
        minibatch: bool | Literal["auto"] = "auto",
        min_labeled: int = 1,
        min_purity: float = 0.6,
        min_confidence: float = 0.0,
        scale: Scale = "standard",
        categorical: Categorical = "error",
        labeled_rows: LabeledRows = "crossfit",
        sample_size: int = 2000,
        name: str = "kmeans",
        seed: Any = None,
        random_state: Any = None,
        progress: bool | None = None,
        show_progress: bool | None = None,
    ) -> None:
        seed = renamed_kwarg(
            seed, random_state, old="random_state", new="seed", where="ClusterLabeler()"
        )
        progress = renamed_kwarg(
            progress, show_progress, old="show_progress", new="progress", where="ClusterLabeler()"
        )
        self.k = k
        self.k_range = k_range
        self.select_by = select_by
        self.minibatch = minibatch
        self.min_labeled = min_labeled
        self.min_purity = min_purity
        self.min_confidence = min_confidence
        self.scale = scale
        self.categorical = categorical
        self.labeled_rows = labeled_rows
        self.sample_size = sample_size
        self.name = name
        self.seed = seed
        self.progress = progress

    def _name_clusters(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vote and confidence per row of ``counts`` (shape (r, k))."""
        n = counts.sum(axis=1)
        best = counts.argmax(axis=1)
        top = counts.max(axis=1)
        second = np.sort(counts, axis=1)[:, -2] if counts.shape[1] > 1 else np.zeros(len(counts))
        k = counts.shape[1]
        with np.errstate(invalid="ignore", divide="ignore"):
            purity = np.where(n > 0, top / np.maximum(n, 1), 0.0)
        # Laplace-smoothed share: one labeled row is weak evidence, twenty agreeing are strong
        conf = (top + 1.0) / (n + k)
        ok = (n >= max(1, self.min_labeled)) & (purity >= self.min_purity) & (top > second)
        return np.where(ok, best, ABSTAIN), np.where(n > 0, conf, 0.0)

    def fit(  # type: ignore[override]  # gold y is required
        self, X: Any, y: Any, *, label_space: LabelSpace | None = None
    ) -> ClusterLabeler:
        """Cluster all rows of ``X`` (shape (n, p)) and name clusters from labeled ``y``."""
        Xf = self._cluster(X)
        codes, self.label_space_ = class_targets(y, len(Xf), label_space=label_space)
        self._codes = codes
        lab = codes != ABSTAIN
        counts = np.zeros((self.k_, self.label_space_.k))
        np.add.at(counts, (self.clusters_[lab], codes[lab]), 1.0)
        self.cluster_counts_ = counts
        self.cluster_votes_, self.cluster_confidence_ = self._name_clusters(counts)
        self._fitted = True
        return self

    def label(self, X: Any) -> Votes:
        """Votes for the rows of ``X`` from the cluster each falls in."""
        return self._result(self.predict_clusters(X))

    def _result(self, clusters: np.ndarray, votes: Any = None, conf: Any = None) -> Votes:
        votes = self.cluster_votes_[clusters] if votes is None else votes
        conf = self.cluster_confidence_[clusters] if conf is None else conf
        candidates = np.asarray(votes).copy()
        votes = np.where(conf >= self.min_confidence, votes, ABSTAIN)
        proba = (self.cluster_counts_[clusters] + 1.0) / (
            self.cluster_counts_[clusters].sum(axis=1, keepdims=True) + self.label_space_.k
        )
        prov = {
            "kind": self.kind,
            "k": self.k_,
            "select_by": self.select_by if self.k == "auto" else "fixed",
            "min_purity": self.min_purity,
            "min_labeled": self.min_labeled,
            "min_confidence": self.min_confidence,
            "labeled_rows": self.labeled_rows,
            "clusters_abstaining": int((self.cluster_votes_ == ABSTAIN).sum()),
        }
        return Votes(
            self.name,
            votes,
            label_space=self.label_space_,
            confidence=conf,
            proba=proba,
            provenance=prov,
            candidates=candidates,
        )

    def fit_label(self, X: Any, y: Any, *, label_space: LabelSpace | None = None) -> Votes:
        """Fit and vote on every row; labeled rows per ``labeled_rows``."""
        check_labeled_rows(self.labeled_rows)
        self.fit(X, y, label_space=label_space)
        cl = self.clusters_
        votes = self.cluster_votes_[cl].copy()
        conf = self.cluster_confidence_[cl].copy()
        lab = np.flatnonzero(self._codes != ABSTAIN)
        if self.labeled_rows == "given":
            votes[lab], conf[lab] = self._codes[lab], 1.0
        elif self.labeled_rows == "abstain":
            votes[lab], conf[lab] = ABSTAIN, 0.0
        else:
            # leave-one-out naming: the row's own label is removed from its cluster's counts
            loo = self.cluster_counts_[cl[lab]].copy()
            loo[np.arange(len(lab)), self._codes[lab]] -= 1.0
            v, c = self._name_clusters(loo)
            votes[lab], conf[lab] = v, c
        return self._result(cl, votes, conf)

    def cluster_table(self) -> Any:
        """A DataFrame: per cluster, size, labeled rows per class, vote and confidence."""
        import pandas as pd

        df = pd.DataFrame(
            self.cluster_counts_.astype(int),
            columns=[f"n_{c}" for c in self.label_space_.names],
        )
        df.insert(0, "size", np.bincount(self.clusters_, minlength=self.k_))
        df["vote"] = [
            "(abstain)" if v == ABSTAIN else self.label_space_.name(int(v))
            for v in self.cluster_votes_
        ]
        df["confidence"] = self.cluster_confidence_
        df.index.name = "cluster"
        return df

    def report(self, path: str | Path | None = None) -> Any:
        """An HTML :class:`~labelwise.reports.Report` with the k-selection curves and the
        cluster naming table; saved to ``path`` when given."""
        from labelwise.reports import Report

        r = Report("Cluster labeler", subtitle=f"k-means, k = {self.k_}")
        s = r.section("Choice of k")
        if self.k_selection_ is not None:
            s.text(
                f"k = {self.k_} chosen by {self.select_by} over k in {list(self.k_selection_.ks)}."
            )
            s.figure(self.plot_k_selection(), caption="k-selection curves")
            s.table(self.k_selection_.to_frame(), index=False)
        else:
            s.text(f"k = {self.k_} was fixed by the caller.")
        c = r.section("Clusters and their labels")
        c.table(self.cluster_table(), max_rows=100)
        n_abst = int((self.cluster_votes_ == ABSTAIN).sum())
        c.alerts(
            [
                (
                    "warning",
                    f"{n_abst} of {self.k_} clusters abstain (no or conflicting labeled rows)",
                )
            ]
            if n_abst
            else []
        )
        if path is not None:
            r.save(path)
        return r


class ClusterRegressor(_ClusterBase):
    """k-means clusters, each valued by the mean target of its labeled rows.

    Parameters
    ----------
    k, k_range, select_by, minibatch, scale, categorical, labeled_rows, sample_size, name,
    seed, progress
        As in :class:`ClusterLabeler`.
    min_labeled : int, default 2
        Clusters with fewer labeled rows give ``NaN`` (abstain).
    min_confidence : float, default 0.0

    Notes
    -----
    The uncertainty is the standard deviation of the cluster's labeled targets (how much a
    row may differ from the cluster mean); the confidence is
    ``1 / (1 + uncertainty / std(labeled targets))``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.3, size=(20, 2)) for c in (0, 6)])
    >>> y = np.full(40, np.nan); y[:4] = 1.0; y[20:24] = 5.0
    >>> r = ClusterRegressor(k=2, seed=0).fit_label(X, y)
    >>> float(r.values[10]), float(r.values[30])
    (1.0, 5.0)
    """

    kind = "cluster_regression"

    def __init__(
        self,
        *,
        k: int | Literal["auto"] = "auto",
        k_range: Sequence[int] = range(2, 11),
        select_by: SelectBy = "silhouette",
        minibatch: bool | Literal["auto"] = "auto",
        min_labeled: int = 2,
        min_confidence: float = 0.0,
        scale: Scale = "standard",
        categorical: Categorical = "error",
        labeled_rows: LabeledRows = "crossfit",
        sample_size: int = 2000,
        name: str = "kmeans",
        seed: Any = None,
        random_state: Any = None,
        progress: bool | None = None,
        show_progress: bool | None = None,
    ) -> None:
        seed = renamed_kwarg(
            seed, random_state, old="random_state", new="seed", where="ClusterRegressor()"
        )
        progress = renamed_kwarg(
            progress, show_progress, old="show_progress", new="progress", where="ClusterRegressor()"
        )
        self.k = k
        self.k_range = k_range
        self.select_by = select_by
        self.minibatch = minibatch
        self.min_labeled = min_labeled
        self.min_confidence = min_confidence
        self.scale = scale
        self.categorical = categorical
        self.labeled_rows = labeled_rows
        self.sample_size = sample_size
        self.name = name
        self.seed = seed
        self.progress = progress

    def fit(self, X: Any, y: Any) -> ClusterRegressor:
        """Cluster all rows of ``X`` and summarise the labeled targets per cluster."""
        Xf = self._cluster(X)
        t = numeric_targets(y, len(Xf))
        lab = ~np.isnan(t)
        if lab.sum() < 2:
            raise LabelwiseError(f"only {int(lab.sum())} labeled rows; label at least 2")
        self._t = t
        self.target_scale_ = float(np.std(t[lab])) or 1.0
        k = self.k_
        self.cluster_n_ = np.bincount(self.clusters_[lab], minlength=k).astype(float)
        sums = np.bincount(self.clusters_[lab], weights=t[lab], minlength=k)
        sq = np.bincount(self.clusters_[lab], weights=t[lab] ** 2, minlength=k)
        self._sums, self._sq = sums, sq
        self.cluster_means_, self.cluster_stds_ = self._summaries(self.cluster_n_, sums, sq)
        self._fitted = True
        return self

    def _summaries(
        self, n: np.ndarray, sums: np.ndarray, sq: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        enough = n >= max(1, self.min_labeled)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(enough, sums / np.maximum(n, 1), np.nan)
            var = np.where(enough, sq / np.maximum(n, 1) - mean**2, np.nan)
        std = np.sqrt(np.maximum(var, 0.0))
        # a cluster valued from a single row has unknown spread: use the overall spread
        std = np.where(enough & (n < 2), self.target_scale_, std)
        return mean, std

    def _result(self, value: np.ndarray, unc: np.ndarray) -> RegressionResult:
        prov = {
            "kind": self.kind,
            "k": self.k_,
            "select_by": self.select_by if self.k == "auto" else "fixed",
            "min_labeled": self.min_labeled,
            "labeled_rows": self.labeled_rows,
            "target_scale": self.target_scale_,
        }
        return self._regression_result(value, unc, prov)

    def label(self, X: Any) -> RegressionResult:
        """Cluster mean target for the rows of ``X``."""
        cl = self.predict_clusters(X)
        return self._result(self.cluster_means_[cl], self.cluster_stds_[cl])

    def fit_label(self, X: Any, y: Any) -> RegressionResult:
        """Fit and give a value for every row; labeled rows per ``labeled_rows``."""
        check_labeled_rows(self.labeled_rows)
        self.fit(X, y)
        cl = self.clusters_
        value = self.cluster_means_[cl].copy()
        unc = self.cluster_stds_[cl].copy()
        lab = np.flatnonzero(~np.isnan(self._t))
        if fill_labeled_targets(self.labeled_rows, value, unc, self._t, lab):
            c, t = cl[lab], self._t[lab]
            m, s = self._summaries(self.cluster_n_[c] - 1, self._sums[c] - t, self._sq[c] - t**2)
            value[lab], unc[lab] = m, s
        return self._result(value, unc)


def _cluster_example() -> tuple[Any, Any, Any]:
    X, y = tiny_example_data()
    return ClusterLabeler(k=2, seed=0), X, y


register_labeler(example=_cluster_example)(ClusterLabeler)
