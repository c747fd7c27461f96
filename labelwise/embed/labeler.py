"""The shell shared by labelers that score texts: cleaning, thresholds, votes, LF adapter.

A subclass says how to score a list of clean, non-empty strings against the classes it
knows (:meth:`ScoringLabeler._score`); this class does everything else the same way for
embedding zero-shot and few-shot labelers and for the TF-IDF labelers in
:mod:`labelwise.text`:

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
from typing import Any

import numpy as np

from labelwise.embed.votes import (
    ScoredVotes,
    full_proba,
    label_names_to_ints,
    threshold_for_accuracy,
    votes_from_proba,
)
from labelwise.errors import LabelwiseError
from labelwise.labeling.lf import VectorizedLabelingFunction
from labelwise.labeling.space import ABSTAIN, LabelSpace

__all__ = ["NotFittedError", "ScoringLabeler"]


class NotFittedError(LabelwiseError):
    """A labeler was used before :meth:`fit` gave it what it needs."""


class ScoringLabeler:
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

    def _ensure_ready(self) -> None:
        if not hasattr(self, "label_space_"):
            raise NotFittedError(
                f"{type(self).__name__} {self.name!r} is not fitted yet; call .fit(...) first"
            )

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

    def label(self, texts: Any) -> ScoredVotes:
        """Votes, confidences and probabilities for ``texts`` (length n).

        Returns
        -------
        ScoredVotes
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
        return ScoredVotes(
            name=self.name,
            votes=votes,
            confidence=conf,
            proba=full_proba(proba, self.class_columns_, self.label_space_.k),
            cardinality=self.label_space_.k,
            label_space=self.label_space_,
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

    def as_lf(self, column: str, *, name: str | None = None) -> VectorizedLabelingFunction:
        """This labeler as a vectorized labeling function over ``df[column]``.

        Examples
        --------
        >>> lf = labeler.as_lf("text")                       # doctest: +SKIP
        >>> L = LFApplier([lf, *rules]).apply(df)            # doctest: +SKIP
        """
        self._ensure_ready()

        def vec(df: Any) -> np.ndarray:
            return self.label(df[column]).votes

        def row(x: Any) -> int:
            return int(self.label([x[column]]).votes[0])

        return VectorizedLabelingFunction(name or self.name, vec, columns=[column], row_f=row)


def _jsonable(v: float | np.ndarray) -> Any:
    if isinstance(v, np.ndarray):
        return [_jsonable(float(x)) for x in v]
    return float(v) if np.isfinite(v) else "inf"
