"""Few-shot labeling from a handful of labeled examples per class, on sentence embeddings.

Two methods:

* ``"centroid"`` — each class is the (unit) mean of its examples' embeddings; a text is
  scored by cosine similarity to each centroid, softmaxed with a temperature. Works from a
  single example per class and has nothing to overfit.
* ``"logistic"`` — a class-balanced logistic regression on the embeddings. Better once
  there are ten or more examples per class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from labelwise._deprecation import renamed_kwarg
from labelwise.embed.base import Embedder
from labelwise.embed.zeroshot import cosine_scores
from labelwise.errors import LabelwiseError
from labelwise.labeling.scoring import softmax
from labelwise.labeling.space import LabelSpace
from labelwise.labeling.votes import register_labeler
from labelwise.text.scoring import ScoringLabeler, infer_label_space, labeled_training_set

__all__ = ["FewShotLabeler", "class_centroids", "infer_label_space"]

Method = Literal["centroid", "logistic"]


def class_centroids(vectors: np.ndarray, y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Unit-length mean vector of each class's (unit-length) examples.

    Parameters
    ----------
    vectors : ndarray of shape (n, d)
    y : ndarray of int, shape (n,)
    classes : ndarray of int, shape (c,)

    Returns
    -------
    ndarray of shape (c, d)

    Examples
    --------
    >>> class_centroids(np.array([[1.0, 0], [0, 2.0]]), np.array([0, 1]), np.array([0, 1]))
    array([[1., 0.],
           [0., 1.]])
    """
    v = np.asarray(vectors, dtype=np.float64)
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    out = np.stack([v[y == c].mean(axis=0) for c in classes])
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


class FewShotLabeler(ScoringLabeler):
    """Label texts from a few labeled examples per class (nearest centroid or logistic).

    Parameters
    ----------
    method : {"centroid", "logistic"}
        How to score texts against the examples (see the module docstring).
    label_space : LabelSpace or sequence of str, optional
        Full label space; default inferred from ``y`` in :meth:`fit`.
    embedder : Embedder, optional
        Default: the bundled all-MiniLM-L6-v2.
    temperature : float
        Softmax temperature for ``"centroid"``.
    C : float
        Inverse regularization strength for ``"logistic"``.
    min_confidence, min_margin : float
        Vote only when the top probability and its lead reach these.
    seed : int, optional
        Seed for the logistic regression solver.
    name : str
        Column name in the label matrix.

    Attributes
    ----------
    label_space_ : LabelSpace
    class_columns_ : ndarray of int, shape (c,)
        Label-space index of each class seen in the examples.
    n_examples_ : dict
        Examples per class name used in fitting.
    centroids_ : ndarray of shape (c, d)
        (``"centroid"``) the class centroids.
    model_ : LogisticRegression
        (``"logistic"``) the fitted model.

    Examples
    --------
    >>> fs = FewShotLabeler().fit(["win cash now", "lunch at 1?"], ["spam", "ham"])  # doctest: +SKIP
    >>> fs.predict(["claim your prize"])                                                # doctest: +SKIP
    array([1])
    """

    kind = "embedding_few_shot"

    def __init__(
        self,
        *,
        method: Method = "centroid",
        label_space: LabelSpace | Sequence[str] | None = None,
        embedder: Embedder | None = None,
        temperature: float = 0.05,
        C: float = 1.0,
        min_confidence: float = 0.0,
        min_margin: float = 0.0,
        seed: int | None = None,
        random_state: int | None = None,
        name: str | None = None,
    ) -> None:
        seed = renamed_kwarg(
            seed, random_state, old="random_state", new="seed", where="FewShotLabeler()"
        )
        if method not in ("centroid", "logistic"):
            raise LabelwiseError(f"method must be 'centroid' or 'logistic', got {method!r}")
        if temperature <= 0:
            raise LabelwiseError(f"temperature must be positive, got {temperature}")
        self.method = method
        self.label_space = label_space
        self.embedder = embedder
        self.temperature = float(temperature)
        self.C = float(C)
        self.min_confidence = float(min_confidence)
        self.min_margin = float(min_margin)
        self.seed = seed
        self.name = name or f"embed_few_shot_{method}"

    def _get_embedder(self) -> Embedder:
        if self.embedder is None:
            from labelwise.embed.sentence import default_embedder

            self.embedder = default_embedder()
        return self.embedder

    def fit(self, texts: Any, y: Any) -> FewShotLabeler:  # type: ignore[override]
        """Learn from labeled examples.

        Parameters
        ----------
        texts : sequence of str, length n
        y : sequence, length n
            Class names or indices; ``None``/NaN/``ABSTAIN`` rows are ignored.

        Returns
        -------
        self
        """
        p, space, gold, keep, classes = labeled_training_set(
            texts, y, self.label_space, purpose="few-shot labeling"
        )
        idx = np.flatnonzero(keep)
        vecs = self._get_embedder().embed([p.texts[i] for i in idx])
        yk = gold[idx]
        if self.method == "centroid":
            self.centroids_ = class_centroids(vecs, yk, classes)
        else:
            from sklearn.linear_model import LogisticRegression

            model = LogisticRegression(
                C=self.C, class_weight="balanced", max_iter=2000, random_state=self.seed
            )
            model.fit(vecs, yk)
            self.model_ = model
        self.label_space_ = space
        self.class_columns_ = classes.astype(np.int64)
        self.n_examples_ = {space.name(int(c)): int((yk == c).sum()) for c in classes}
        return self

    def _score(self, texts: list[str]) -> np.ndarray:
        vecs = self._get_embedder().embed(texts)
        if self.method == "centroid":
            sims = cosine_scores(vecs, [c[None, :] for c in self.centroids_])
            return softmax(sims, temperature=self.temperature)
        proba = self.model_.predict_proba(vecs)
        # sklearn orders columns by model_.classes_, which equals the sorted class_columns_.
        order = [int(np.flatnonzero(self.model_.classes_ == c)[0]) for c in self.class_columns_]
        return np.asarray(proba[:, order])

    def _provenance(self) -> dict[str, Any]:
        emb = self._get_embedder()
        return {
            "model": emb.model_id,
            "method": self.method,
            "n_examples": self.n_examples_,
            "embedding": dict(emb.last_stats_),
        }


def _example_embedder() -> Embedder:
    """The installed MiniLM without a disk cache, loaded once per process."""
    global _EXAMPLE_EMBEDDER
    if _EXAMPLE_EMBEDDER is None:
        from labelwise.embed.sentence import MiniLMEmbedder

        _EXAMPLE_EMBEDDER = MiniLMEmbedder(cache=None, progress=False)
    return _EXAMPLE_EMBEDDER


_EXAMPLE_EMBEDDER: Embedder | None = None
_EXAMPLE_TEXTS = ["win a free prize now", "see you at lunch", "claim your cash", "running late"]


def _fewshot_example() -> tuple[Any, Any, Any]:
    lab = FewShotLabeler(embedder=_example_embedder())
    return lab, list(_EXAMPLE_TEXTS), ["spam", "ham", "spam", None]


register_labeler(example=_fewshot_example)(FewShotLabeler)
