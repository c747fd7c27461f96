"""The shell shared by labelers that score texts: cleaning, thresholds, votes, LF adapter.

A subclass says how to score a list of clean, non-empty strings against the classes it
knows (:meth:`ScoringLabeler._score`); this class does everything else the same way for
the TF-IDF labelers in :mod:`labelwise.text` and the embedding zero-shot and few-shot
labelers in :mod:`labelwise.embed` (which build on this module, never the other way round):

* cells are cleaned with :func:`labelwise.text.prepare_texts` (missing, empty and
  whitespace-only texts abstain; numbers are read as their string form);
* the top class is voted only when its probability reaches ``min_confidence`` (a number, or
  one threshold per class) and leads the runner-up by ``min_margin``; the thresholds can be
  chosen on a small gold set with :meth:`ScoringLabeler.fit_threshold`;
* :meth:`ScoringLabeler.as_lf` wraps the labeler as a vectorized labeling function for
  :class:`labelwise.labeling.LFApplier`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from labelwise.errors import LabelwiseError
from labelwise.labeling.scoring import (
    full_proba,
    label_names_to_ints,
    threshold_for_accuracy,
    votes_from_proba,
)
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.labeling.votes import BaseLabeler, Votes

__all__ = ["ScoringLabeler", "infer_label_space", "labeled_training_set"]


def infer_label_space(y: Sequence[Any]) -> LabelSpace:
    """A label space from gold labels: sorted names, or ``"0".."k-1"`` for integers."""
    values = [v for v in y if v is not None and v == v and v != ABSTAIN]
    if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        k = max(2, int(max(values)) + 1)
        return LabelSpace([str(i) for i in range(k)])
    return LabelSpace.from_values(values)


def labeled_training_set(
    texts: Any, y: Any, label_space: Any, *, purpose: str
) -> tuple[Any, LabelSpace, np.ndarray, np.ndarray, np.ndarray]:
    """Prepare labeled texts for training a text labeler.

    Returns ``(prepared_texts, space, gold, keep, classes)``: ``gold`` holds class indices
    (ABSTAIN for unlabeled rows), ``keep`` marks non-blank labeled rows and ``classes``
    the distinct classes among them (at least two, else a clear error naming ``purpose``).
    """
    from labelwise.text.clean import prepare_texts

    p = prepare_texts(texts, name="texts", non_string="coerce")
    y_list = y.tolist() if hasattr(y, "tolist") else list(y)
    if len(y_list) != len(p):
        raise LabelwiseError(f"got {len(p)} texts but {len(y_list)} labels; pass one per text")
    if label_space is None:
        space = infer_label_space(y_list)
    elif isinstance(label_space, LabelSpace):
        space = label_space
    else:
        space = LabelSpace(list(label_space))
    gold = label_names_to_ints(y_list, space, what="y")
    keep = p.valid & (gold != ABSTAIN)
    classes = np.unique(gold[keep])
    if classes.size < 2:
        seen = [space.name(int(c)) for c in classes]
        raise LabelwiseError(
            f"{purpose} needs examples of at least 2 classes; the usable examples "
            f"({int(keep.sum())} non-blank, labeled) cover {seen or 'none'}"
        )
    return p, space, gold, keep, classes


class ScoringLabeler(BaseLabeler):
    """Base class: turn per-class probabilities into thresholded votes with confidences.

    Subclasses set ``name``, ``min_confidence``, ``min_margin`` and, once fitted,
    ``label_space_`` and ``class_columns_`` (the label-space index of each scored class),
    and implement :meth:`_score`.
    """

    kind = "scoring"
    name: str
    min_confidence: float | np.ndarray
    min_margin: float
    label_space_: LabelSpace
    class_columns_: np.ndarray

    # -- to implement ------------------------------------------------------------------
    def _score(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        """Probabilities ``(len(texts), c)`` over the known classes for clean texts."""
        raise NotImplementedError

    def _extra_vote_mask(self, texts: list[str], proba: np.ndarray) -> np.ndarray | None:
        """Optional further gate on voting (shape (n,)); ``None`` means no gate."""
        return None

    def _provenance(self) -> dict[str, Any]:
        return {}

    @property
    def is_fitted(self) -> bool:
        """Ready to label: the label space and the scored classes are known."""
        return hasattr(self, "label_space_")

    def _ensure_ready(self) -> None:
        self.check_fitted()

    # -- public ------------------------------------------------------------------------
    @property
    def cardinality(self) -> int:
        self._ensure_ready()
        return self.label_space_.k

    def _proba_known(self, texts: Any) -> tuple[np.ndarray, Any, np.ndarray]:
        from labelwise.text.clean import prepare_texts

        self._ensure_ready()
        prepared = prepare_texts(texts, name=f"texts for {self.name!r}", non_string="coerce")
        n = len(prepared)
        c = len(self.class_columns_)
        proba = np.zeros((n, c), dtype=np.float64)
        idx = np.flatnonzero(prepared.valid)
        gate = prepared.valid.copy()
        if idx.size:
            sub = [prepared.texts[i] for i in idx]
            part = np.asarray(self._score(sub), dtype=np.float64)
            if part.shape != (idx.size, c):
                raise LabelwiseError(
                    f"{type(self).__name__} scored shape {part.shape}, expected {(idx.size, c)}"
                )
            proba[idx] = part
            extra = self._extra_vote_mask(sub, part)
            if extra is not None:
                gate[idx] &= np.asarray(extra, dtype=bool)
        return proba, prepared, gate

    def predict_proba(self, texts: Any) -> np.ndarray:
        """Class probabilities over the label space, shape (n, k).

        Rows of unusable items (missing or blank text) are all zero.
        """
        proba, _, _ = self._proba_known(texts)
        return full_proba(proba, self.class_columns_, self.label_space_.k)

    def label(self, texts: Any) -> Votes:
        """Votes, confidences and probabilities for ``texts`` (length n).

        Returns
        -------
        Votes
            ``votes`` (n,) with ``ABSTAIN`` where unsure or where the text is missing or
            blank, ``confidence`` (n,), ``proba`` (n, k).
        """
        proba, prepared, gate = self._proba_known(texts)
        votes, conf = votes_from_proba(
            proba,
            min_confidence=self.min_confidence,
            min_margin=self.min_margin,
            valid=gate,
            classes=self.class_columns_,
        )
        conf = np.where(prepared.valid, conf, 0.0).astype(np.float32)
        prov = {
            "kind": self.kind,
            "min_confidence": _jsonable(self.min_confidence),
            "min_margin": _jsonable(self.min_margin),
            "classes": [self.label_space_.name(int(i)) for i in self.class_columns_],
            "inputs": prepared.summary(),
            **self._provenance(),
        }
        return Votes(
            self.name,
            votes,
            label_space=self.label_space_,
            confidence=conf,
            proba=full_proba(proba, self.class_columns_, self.label_space_.k),
            provenance=prov,
        )

    def predict(self, texts: Any) -> np.ndarray:
        """Votes only, shape (n,), ``ABSTAIN`` where the labeler abstains."""
        return self.label(texts).votes

    def fit_threshold(
        self,
        texts: Any,
        y: Any,
        *,
        target_accuracy: float = 0.9,
        min_coverage: float = 0.0,
        per_class: bool = False,
    ) -> ScoringLabeler:
        """Choose ``min_confidence`` on a small gold set: the lowest cut reaching ``target_accuracy``.

        Parameters
        ----------
        texts : sequence of str, length n
            A small labeled (dev) set.
        y : sequence, length n
            Gold classes as names or indices (``None`` / ``ABSTAIN`` are skipped).
        target_accuracy : float
            Accuracy wanted on the items the labeler keeps voting on.
        min_coverage : float
            Never choose a cut that keeps fewer than this share of the gold items.
        per_class : bool
            One threshold per class instead: the votes *for* each class must reach
            ``target_accuracy`` (its precision). Use it when classes are imbalanced, where
            one global cut lets the rare class's votes be mostly wrong. A class never
            predicted on the gold items gets an infinite threshold (it is never voted).

        Returns
        -------
        self
        """
        proba, prepared, gate = self._proba_known(texts)
        gold = label_names_to_ints(y, self.label_space_, what="y")
        if len(gold) != len(prepared):
            raise LabelwiseError(f"got {len(prepared)} texts but {len(gold)} gold labels")
        votes, _ = votes_from_proba(
            proba, min_confidence=0.0, min_margin=0.0, valid=gate, classes=self.class_columns_
        )
        # Full precision: the threshold is compared with these same float64 values later.
        conf = proba.max(axis=1)
        usable = gate & (gold != ABSTAIN)
        if not usable.any():
            raise LabelwiseError(
                f"none of the {len(gold)} gold items is usable (all missing, blank or unlabeled)"
            )
        if per_class:
            cuts = []
            for c in self.class_columns_:
                mine = usable & (votes == c)
                if not mine.any():
                    cuts.append(float("inf"))
                    continue
                cuts.append(
                    threshold_for_accuracy(
                        conf[mine], votes[mine], gold[mine], target=target_accuracy
                    )
                )
            thresholds = np.asarray(cuts, dtype=np.float64)
            never = [
                self.label_space_.name(int(c))
                for c, t in zip(self.class_columns_, thresholds, strict=True)
                if not np.isfinite(t)
            ]
            if never:
                warnings.warn(
                    f"{self.name!r} will never vote {never}: no confidence reaches precision "
                    f"{target_accuracy} for them on the {int(usable.sum())} gold items",
                    UserWarning,
                    stacklevel=2,
                )
            self.min_confidence = thresholds
            return self
        t = threshold_for_accuracy(
            conf[usable],
            votes[usable],
            gold[usable],
            target=target_accuracy,
            min_coverage=min_coverage,
        )
        if not np.isfinite(t):
            warnings.warn(
                f"{self.name!r} cannot reach accuracy {target_accuracy} on the "
                f"{int(usable.sum())} gold items at any confidence; it will abstain everywhere. "
                "Lower target_accuracy or improve the label descriptions/examples",
                UserWarning,
                stacklevel=2,
            )
        self.min_confidence = t
        return self


def _jsonable(v: float | np.ndarray) -> Any:
    if isinstance(v, np.ndarray):
        return [_jsonable(float(x)) for x in v]
    return float(v) if np.isfinite(v) else "inf"
