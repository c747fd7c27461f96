"""TF-IDF labelers: k-means clusters named by their top terms, and logistic regression.

* :class:`TfidfKMeansLabeler` clusters all texts (TF-IDF, unit rows, k-means), names each
  cluster by the terms that weigh most in its centroid, and maps clusters to classes from a
  few seed labels: a cluster votes the majority class of its seeds when that class holds at
  least ``min_purity`` of them. Its confidence is the (smoothed) seed purity.
* :class:`TfidfLogisticLabeler` is a class-balanced logistic regression on TF-IDF features,
  trained on the few labeled texts there are; it votes where its probability is high.

Both are :class:`~labelwise.text.scoring.ScoringLabeler` subclasses, so they share the abstain
thresholds, :meth:`label` (votes + confidences) and :meth:`as_lf` of the embedding labelers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labelwise._deprecation import renamed_kwarg
from labelwise.errors import LabelwiseError, NotFittedError
from labelwise.labeling.scoring import label_names_to_ints
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.labeling.votes import register_labeler
from labelwise.text.scoring import ScoringLabeler, infer_label_space, labeled_training_set

__all__ = ["TfidfKMeansLabeler", "TfidfLogisticLabeler", "cluster_top_terms", "make_tfidf"]


def make_tfidf(
    *,
    max_features: int | None = 50_000,
    ngram_range: tuple[int, int] = (1, 2),
    analyzer: str = "word",
    stop_words: bool = True,
    min_df: int | float = 1,
    sublinear_tf: bool = True,
) -> Any:
    """A scikit-learn ``TfidfVectorizer`` with labelwise's defaults for short texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from labelwise.text.tokenize import english_stop_words

    if analyzer not in ("word", "char_wb", "char"):
        raise LabelwiseError(f"analyzer must be 'word', 'char_wb' or 'char', got {analyzer!r}")
    kw: dict[str, Any] = {}
    if analyzer == "word":
        kw["token_pattern"] = r"(?u)\b\w\w+\b"
        if stop_words:
            # Only whole-word stop words: apostrophe forms would split inconsistently.
            kw["stop_words"] = sorted(w for w in english_stop_words() if "'" not in w)
    return TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=ngram_range,
        max_features=max_features,
        min_df=min_df,
        sublinear_tf=sublinear_tf,
        lowercase=True,
        dtype=np.float32,
        **kw,
    )


def cluster_top_terms(centers: np.ndarray, terms: Sequence[str], *, k: int = 5) -> list[list[str]]:
    """The ``k`` heaviest terms of each cluster centre, shape (c, d) -> c lists.

    Examples
    --------
    >>> cluster_top_terms(np.array([[0.1, 0.9, 0.5]]), ["a", "b", "c"], k=2)
    [['b', 'c']]
    """
    terms_arr = np.asarray(terms)
    out = []
    for row in np.asarray(centers):
        top = np.argsort(-row, kind="stable")[:k]
        out.append([str(terms_arr[i]) for i in top if row[i] > 0])
    return out


class TfidfKMeansLabeler(ScoringLabeler):
    """Cluster texts on TF-IDF, name clusters by top terms, map them to classes via seeds.

    Parameters
    ----------
    n_clusters : int
        Number of k-means clusters (more clusters = purer but fewer seeds each).
    label_space : LabelSpace or sequence of str, optional
        Classes; default inferred from the seed labels.
    min_purity : float
        A cluster votes only when its top seed class holds at least this share of its
        seeds. (Its confidence is the smoothed purity, so ``min_confidence`` can tighten
        this further, e.g. through :meth:`fit_threshold`.)
    min_seeds : int
        Seeds a cluster needs before it votes.
    top_terms : int
        Terms in each cluster's name.
    max_features, ngram_range, analyzer, stop_words :
        TF-IDF settings (see :func:`make_tfidf`).
    seed : int, optional
        Seeds k-means.
    name : str
        Column name in the label matrix.

    Attributes
    ----------
    vectorizer_, kmeans_ :
        Fitted scikit-learn objects.
    clusters_ : ndarray of int, shape (n,)
        Cluster of each fitted text (``-1`` for blank texts).
    cluster_terms_ : list of list of str
        Words and word pairs most over-represented in each cluster (by mean TF-IDF against
        the corpus mean); ``cluster_names_`` joins them with ``" | "``.
    cluster_sizes_ : ndarray of int, shape (n_clusters,)
    cluster_class_ : ndarray of int, shape (n_clusters,)
        Class each cluster votes, ``ABSTAIN`` if unmapped.
    seed_counts_ : ndarray of int, shape (n_clusters, k)
        Seeds of each class per cluster.

    Examples
    --------
    >>> km = TfidfKMeansLabeler(2, seed=0).fit(
    ...     ["free prize call", "free cash prize", "lunch at noon?", "lunch today?"],
    ...     ["spam", None, "ham", None])
    >>> km.predict(["win a free prize", "lunch tomorrow?"]).tolist()
    [1, 0]
    """

    kind = "tfidf_kmeans"

    def __init__(
        self,
        n_clusters: int = 20,
        *,
        label_space: LabelSpace | Sequence[str] | None = None,
        min_purity: float = 0.7,
        min_seeds: int = 1,
        top_terms: int = 5,
        max_features: int | None = 50_000,
        ngram_range: tuple[int, int] = (1, 2),
        analyzer: str = "word",
        stop_words: bool = True,
        seed: int | None = 0,
        random_state: int | None = None,
        name: str = "tfidf_kmeans",
    ) -> None:
        seed = renamed_kwarg(
            seed,
            random_state,
            old="random_state",
            new="seed",
            where="TfidfKMeansLabeler()",
            default=0,
        )
        if n_clusters < 2:
            raise LabelwiseError(f"n_clusters must be at least 2, got {n_clusters}")
        if not 0 < min_purity <= 1:
            raise LabelwiseError(f"min_purity must be in (0, 1], got {min_purity}")
        self.n_clusters = n_clusters
        self.label_space = label_space
        self.min_purity = float(min_purity)
        self.min_seeds = int(min_seeds)
        self.top_terms = top_terms
        self.max_features = max_features
        self.ngram_range = ngram_range
        self.analyzer = analyzer
        self.stop_words = stop_words
        self.seed = seed
        self.name = name
        self.min_confidence = 0.0
        self.min_margin = 0.0

    def fit(self, texts: Any, y: Any = None) -> TfidfKMeansLabeler:
        """Cluster ``texts``; with seed labels ``y`` (``None``/NaN = unlabeled), map clusters.

        Parameters
        ----------
        texts : sequence of str, length n
        y : sequence of length n, optional
            A few class names or indices; the rest ``None``. Without seeds, clusters are
            found and named but vote nothing until :meth:`map_clusters` is called.

        Returns
        -------
        self
        """
        from sklearn.cluster import KMeans, MiniBatchKMeans

        from labelwise.text.clean import prepare_texts

        p = prepare_texts(texts, name="texts", non_string="coerce")
        idx = np.flatnonzero(p.valid)
        if idx.size < self.n_clusters:
            raise LabelwiseError(
                f"{idx.size} non-blank texts cannot form {self.n_clusters} clusters; "
                "lower n_clusters or add texts"
            )
        vec = make_tfidf(
            max_features=self.max_features,
            ngram_range=self.ngram_range,
            analyzer=self.analyzer,
            stop_words=self.stop_words,
        )
        try:
            X = vec.fit_transform([p.texts[i] for i in idx])
        except ValueError as exc:
            raise LabelwiseError(
                f"no usable terms in the texts ({exc}); check the text column"
            ) from None
        if idx.size > 20_000:
            km: Any = MiniBatchKMeans(
                n_clusters=self.n_clusters,
                random_state=self.seed,
                n_init=3,
                batch_size=2048,
            )
        else:
            km = KMeans(n_clusters=self.n_clusters, random_state=self.seed, n_init=3)
        assigned = km.fit_predict(X)
        clusters = np.full(len(p), -1, dtype=np.int64)
        clusters[idx] = assigned
        self.vectorizer_ = vec
        self.kmeans_ = km
        self.clusters_ = clusters
        self.cluster_sizes_ = np.bincount(assigned, minlength=self.n_clusters)
        self.cluster_terms_ = self._name_clusters([p.texts[i] for i in idx], assigned)
        self.cluster_names_ = [" | ".join(t) for t in self.cluster_terms_]
        if y is not None:
            self.map_clusters(y)
        return self

    def _name_clusters(self, texts: list[str], assigned: np.ndarray) -> list[list[str]]:
        """Words (and word pairs) that weigh more in a cluster than in the whole corpus.

        Names always use words, even when clustering on character n-grams, so people can
        read them.
        """
        import scipy.sparse as sp

        words = make_tfidf(max_features=self.max_features, ngram_range=(1, 2), stop_words=True)
        try:
            W = words.fit_transform(texts)
        except ValueError:  # nothing but stop words
            return [[] for _ in range(self.n_clusters)]
        member = sp.csr_matrix(
            (np.ones(len(assigned)), (assigned, np.arange(len(assigned)))),
            shape=(self.n_clusters, len(assigned)),
        )
        sizes = np.maximum(np.asarray(member.sum(axis=1)).ravel(), 1)
        means = np.asarray((member @ W).todense()) / sizes[:, None]
        distinct = means - np.asarray(W.mean(axis=0)).ravel()[None, :]
        return cluster_top_terms(
            np.clip(distinct, 0, None), words.get_feature_names_out(), k=self.top_terms
        )

    def map_clusters(self, y: Any) -> TfidfKMeansLabeler:
        """(Re)map clusters to classes from seed labels aligned with the fitted texts."""
        if not hasattr(self, "clusters_"):
            raise LabelwiseError("call fit(texts) before map_clusters(y)")
        y_list = y.tolist() if hasattr(y, "tolist") else list(y)
        if len(y_list) != len(self.clusters_):
            raise LabelwiseError(
                f"got {len(y_list)} seed labels for {len(self.clusters_)} fitted texts; "
                "pass one per text (None where unlabeled)"
            )
        if self.label_space is None:
            space = infer_label_space(y_list)
        elif isinstance(self.label_space, LabelSpace):
            space = self.label_space
        else:
            space = LabelSpace(list(self.label_space))
        gold = label_names_to_ints(y_list, space, what="y")
        seeds = (gold != ABSTAIN) & (self.clusters_ >= 0)
        if not seeds.any():
            raise LabelwiseError("no seed labels among the fitted texts; label a few texts")
        k = space.k
        counts = np.zeros((self.n_clusters, k), dtype=np.int64)
        np.add.at(counts, (self.clusters_[seeds], gold[seeds]), 1)
        totals = counts.sum(axis=1)
        top = counts.argmax(axis=1)
        purity = np.where(totals > 0, counts.max(axis=1) / np.maximum(totals, 1), 0.0)
        mapped = (totals >= self.min_seeds) & (purity >= self.min_purity)
        self.seed_counts_ = counts
        self.cluster_class_ = np.where(mapped, top, ABSTAIN)
        self.label_space_ = space
        self.class_columns_ = np.arange(k, dtype=np.int64)
        # Laplace-smoothed seed distribution per cluster: one seed is not certainty.
        smooth = (counts + 1.0 / k) / (totals[:, None] + 1.0)
        self._cluster_proba = smooth
        self.min_confidence = 0.0
        return self

    def summary(self) -> Any:
        """One row per cluster: size, name (top terms), seeds per class, voted class."""
        import pandas as pd

        if not hasattr(self, "clusters_"):
            raise LabelwiseError("fit the labeler first")
        rows = []
        for c in range(self.n_clusters):
            row: dict[str, Any] = {
                "cluster": c,
                "size": int(self.cluster_sizes_[c]),
                "top terms": self.cluster_names_[c],
            }
            if hasattr(self, "seed_counts_"):
                for j, n in enumerate(self.label_space_.names):
                    row[f"seeds {n}"] = int(self.seed_counts_[c, j])
                cc = int(self.cluster_class_[c])
                row["votes"] = "" if cc == ABSTAIN else self.label_space_.name(cc)
            rows.append(row)
        return pd.DataFrame(rows)

    def check_fitted(self) -> None:
        if not hasattr(self, "_cluster_proba"):
            raise NotFittedError(
                f"TfidfKMeansLabeler {self.name!r} has no cluster-to-class mapping yet; call "
                "fit(texts, y_seeds) or map_clusters(y_seeds)"
            )

    def _assign(self, texts: list[str]) -> np.ndarray:
        X = self.vectorizer_.transform(texts)
        return np.asarray(self.kmeans_.predict(X), dtype=np.int64)

    def _score(self, texts: list[str]) -> np.ndarray:
        self._last_clusters = self._assign(texts)
        return self._cluster_proba[self._last_clusters]

    def _extra_vote_mask(self, texts: list[str], proba: np.ndarray) -> np.ndarray | None:
        return self.cluster_class_[self._last_clusters] != ABSTAIN

    def _provenance(self) -> dict[str, Any]:
        return {
            "n_clusters": self.n_clusters,
            "min_purity": self.min_purity,
            "mapped_clusters": int((self.cluster_class_ != ABSTAIN).sum()),
        }


class TfidfLogisticLabeler(ScoringLabeler):
    """Class-balanced logistic regression on TF-IDF features, trained on few labels.

    Parameters
    ----------
    label_space : LabelSpace or sequence of str, optional
        Classes; default inferred from ``y``.
    C : float
        Inverse regularization strength.
    min_confidence, min_margin : float
        Vote only when the top probability and its lead reach these.
    max_features, ngram_range, analyzer, stop_words :
        TF-IDF settings (see :func:`make_tfidf`); ``analyzer="char_wb"`` suits short,
        misspelled texts.
    fit_vocabulary_on : sequence of str, optional
        Unlabeled texts to learn the vocabulary and IDF from (the labeled set is usually
        too small to know the language); default: the training texts.
    seed : int, optional
    name : str

    Attributes
    ----------
    vectorizer_, model_ :
        Fitted scikit-learn objects.
    n_examples_ : dict
        Training examples per class.

    Examples
    --------
    >>> lr = TfidfLogisticLabeler().fit(
    ...     ["free prize call now", "win cash prize", "lunch at noon?", "see you at lunch"],
    ...     ["spam", "spam", "ham", "ham"])
    >>> lr.predict(["claim your free cash prize", "lunch later?"]).tolist()
    [1, 0]
    """

    kind = "tfidf_logistic"

    def __init__(
        self,
        *,
        label_space: LabelSpace | Sequence[str] | None = None,
        C: float = 10.0,
        min_confidence: float = 0.0,
        min_margin: float = 0.0,
        max_features: int | None = 50_000,
        ngram_range: tuple[int, int] = (1, 2),
        analyzer: str = "word",
        stop_words: bool = False,
        fit_vocabulary_on: Any = None,
        seed: int | None = 0,
        random_state: int | None = None,
        name: str = "tfidf_logreg",
    ) -> None:
        seed = renamed_kwarg(
            seed,
            random_state,
            old="random_state",
            new="seed",
            where="TfidfLogisticLabeler()",
            default=0,
        )
        self.label_space = label_space
        self.C = float(C)
        self.min_confidence = float(min_confidence)
        self.min_margin = float(min_margin)
        self.max_features = max_features
        self.ngram_range = ngram_range
        self.analyzer = analyzer
        self.stop_words = stop_words
        self.fit_vocabulary_on = fit_vocabulary_on
        self.seed = seed
        self.name = name

    def fit(self, texts: Any, y: Any) -> TfidfLogisticLabeler:  # type: ignore[override]
        """Train on labeled texts (rows with ``None``/NaN/``ABSTAIN`` labels are skipped).

        Returns
        -------
        self
        """
        from sklearn.linear_model import LogisticRegression

        from labelwise.text.clean import prepare_texts

        p, space, gold, keep, classes = labeled_training_set(
            texts, y, self.label_space, purpose="training"
        )
        train = [p.texts[i] for i in np.flatnonzero(keep)]
        vec = make_tfidf(
            max_features=self.max_features,
            ngram_range=self.ngram_range,
            analyzer=self.analyzer,
            stop_words=self.stop_words,
        )
        corpus = train
        if self.fit_vocabulary_on is not None:
            extra = prepare_texts(
                self.fit_vocabulary_on, name="fit_vocabulary_on", non_string="coerce"
            )
            corpus = train + [t for t, ok in zip(extra.texts, extra.valid, strict=True) if ok]
        try:
            vec.fit(corpus)
        except ValueError as exc:
            raise LabelwiseError(f"no usable terms in the training texts ({exc})") from None
        model = LogisticRegression(
            C=self.C, class_weight="balanced", max_iter=2000, random_state=self.seed
        )
        yk = gold[keep]
        model.fit(vec.transform(train), yk)
        self.vectorizer_ = vec
        self.model_ = model
        self.label_space_ = space
        self.class_columns_ = classes.astype(np.int64)
        self.n_examples_ = {space.name(int(c)): int((yk == c).sum()) for c in classes}
        return self

    def _score(self, texts: list[str]) -> np.ndarray:
        proba = self.model_.predict_proba(self.vectorizer_.transform(texts))
        order = [int(np.flatnonzero(self.model_.classes_ == c)[0]) for c in self.class_columns_]
        return np.asarray(proba[:, order])

    def _provenance(self) -> dict[str, Any]:
        return {"n_examples": self.n_examples_, "C": self.C, "analyzer": self.analyzer}


_EXAMPLE_TEXTS = [
    "win a free prize now",
    "claim your free cash prize",
    "see you at lunch tomorrow",
    "running late, see you soon",
    "free prize waiting, claim now",
    "lunch tomorrow at noon?",
]
_EXAMPLE_Y = ["spam", "spam", "ham", "ham", None, None]


def _kmeans_example() -> tuple[Any, Any, Any]:
    lab = TfidfKMeansLabeler(n_clusters=2, min_purity=0.5, stop_words=False, seed=0)
    return lab, list(_EXAMPLE_TEXTS), list(_EXAMPLE_Y)


def _logistic_example() -> tuple[Any, Any, Any]:
    return TfidfLogisticLabeler(stop_words=False), list(_EXAMPLE_TEXTS), list(_EXAMPLE_Y)


register_labeler(example=_kmeans_example)(TfidfKMeansLabeler)
register_labeler(example=_logistic_example)(TfidfLogisticLabeler)
