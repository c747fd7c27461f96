"""Multi-label classes: several non-exclusive labels per item.

Votes live in a 3-D array ``V`` of shape ``(n, m, q)``: item ``i``, labeler ``j``, label
``l`` holds ``1`` (present), ``0`` (absent) or ``ABSTAIN`` (no opinion on that label).
Build it from per-item label sets (:func:`multilabel_votes`) or from an ordinary label
matrix whose votes each name one of the labels (:func:`multilabel_from_label_matrix`).

:class:`MultiLabelModel` fits one binary label model per label (Dawid-Skene by default,
any ``labelwise.models`` label model by factory) and returns, per item, the probability
that each label is present.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

from labelwise.errors import LabelMatrixError, LabelwiseError
from labelwise.labeling.space import ABSTAIN, check_votes

__all__ = [
    "MultiLabelModel",
    "check_multilabel_votes",
    "multilabel_from_label_matrix",
    "multilabel_votes",
]


def check_multilabel_votes(V: Any, *, n_labels: int | None = None) -> np.ndarray:
    """Validate a multi-label vote array of shape (n, m, q) with values in {-1, 0, 1}.

    Examples
    --------
    >>> check_multilabel_votes([[[1, -1], [0, 1]]]).shape
    (1, 2, 2)
    """
    arr = np.asarray(V)
    if arr.ndim != 3:
        raise LabelMatrixError(
            f"multi-label votes must be 3-D (items, labelers, labels), got shape {arr.shape}; "
            "build them with multilabel_votes or multilabel_from_label_matrix"
        )
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr) & (arr == np.round(arr))):
            raise LabelMatrixError("multi-label votes must be integers -1, 0 or 1")
        arr = arr.astype(np.int8)
    elif arr.dtype.kind not in "iu":
        raise LabelMatrixError(
            f"multi-label votes have dtype {arr.dtype}; expected integers -1, 0, 1"
        )
    bad = ~np.isin(arr, (ABSTAIN, 0, 1))
    if bad.any():
        i, j, lab = np.argwhere(bad)[0]
        raise LabelMatrixError(
            f"V[{i}, {j}, {lab}] = {arr[i, j, lab]}; multi-label votes are 1 (present), "
            "0 (absent) or -1 (abstain)"
        )
    if n_labels is not None and arr.shape[2] != n_labels:
        raise LabelMatrixError(f"votes cover {arr.shape[2]} labels but {n_labels} were expected")
    return arr.astype(np.int8)


def multilabel_votes(
    label_sets: Sequence[Sequence[Any]],
    labels: Sequence[str],
    *,
    unlisted: Literal["absent", "abstain"] = "absent",
) -> np.ndarray:
    """Votes from per-item, per-labeler sets of label names.

    Parameters
    ----------
    label_sets : sequence (n) of sequences (m) of iterable-or-None
        ``label_sets[i][j]`` is the set of labels labeler ``j`` gave item ``i``; ``None``
        means the labeler did not look at the item (abstain on every label).
    labels : sequence of str
        The ``q`` label names.
    unlisted : {"absent", "abstain"}, default "absent"
        What a label missing from a given set means: an annotator who ticks every label
        that applies says "absent" for the rest; a rule that only detects some labels
        should use ``"abstain"``.

    Returns
    -------
    ndarray of shape (n, m, q), int8

    Examples
    --------
    >>> V = multilabel_votes([[{"a"}, None], [{"a", "b"}, {"b"}]], ["a", "b"])
    >>> V[:, :, 1].tolist()
    [[0, -1], [1, 1]]
    """
    names = [str(x) for x in labels]
    if len(set(names)) != len(names) or not names:
        raise LabelwiseError(f"labels must be unique, non-empty names, got {names}")
    pos = {n: i for i, n in enumerate(names)}
    rows = list(label_sets)
    if not rows:
        raise LabelwiseError("label_sets is empty; give one row per item")
    m = len(rows[0])
    out = np.full((len(rows), m, len(names)), ABSTAIN, dtype=np.int8)
    fill = 0 if unlisted == "absent" else ABSTAIN
    if unlisted not in ("absent", "abstain"):
        raise LabelwiseError(f"unlisted={unlisted!r} must be 'absent' or 'abstain'")
    for i, row in enumerate(rows):
        if len(row) != m:
            raise LabelwiseError(f"item {i} has {len(row)} labeler entries, expected {m}")
        for j, given in enumerate(row):
            if given is None:
                continue
            out[i, j, :] = fill
            for name in [given] if isinstance(given, str) else given:
                if str(name) not in pos:
                    raise LabelwiseError(
                        f"label_sets[{i}][{j}] names {name!r}, which is not one of {names}"
                    )
                out[i, j, pos[str(name)]] = 1
    return out


def multilabel_from_label_matrix(
    L: Any, *, n_labels: int | None = None, others: Literal["abstain", "absent"] = "abstain"
) -> np.ndarray:
    """Turn single-label votes (each naming one of the labels) into multi-label votes.

    Parameters
    ----------
    L : array-like or LabelMatrix of shape (n, m)
        Votes ``0..q-1`` or ``ABSTAIN``; a vote ``l`` means "label ``l`` is present".
    n_labels : int, optional
        ``q``; from ``L.cardinality`` or the largest vote when omitted.
    others : {"abstain", "absent"}, default "abstain"
        Whether a vote for one label also says the other labels are absent.

    Returns
    -------
    ndarray of shape (n, m, q), int8

    Examples
    --------
    >>> multilabel_from_label_matrix([[0, 2]], n_labels=3)[0].tolist()
    [[1, -1, -1], [-1, -1, 1]]
    """
    arr = check_votes(L).astype(np.int64)
    q = n_labels or getattr(L, "cardinality", None) or max(2, int(arr.max()) + 1)
    if arr.size and arr.max() >= q:
        raise LabelMatrixError(f"L has a vote {arr.max()} but only {q} labels")
    if others not in ("abstain", "absent"):
        raise LabelwiseError(f"others={others!r} must be 'abstain' or 'absent'")
    voted = arr != ABSTAIN
    out = np.full((*arr.shape, q), ABSTAIN, dtype=np.int8)
    if others == "absent":
        out[voted] = 0
    i, j = np.nonzero(voted)
    out[i, j, arr[i, j]] = 1
    return out


def _make_base(base: str | Callable[[], Any]) -> Any:
    if callable(base):
        return base()
    if base == "dawid_skene":
        from labelwise.models.dawid_skene import DawidSkene

        return DawidSkene(cardinality=2)
    if base == "majority":
        from labelwise.models.majority import MajorityVote

        return MajorityVote(cardinality=2)
    raise LabelwiseError(
        f"base={base!r} is not supported; use 'dawid_skene', 'majority' or a function "
        "returning an unfitted label model"
    )


class MultiLabelModel:
    """One binary label model per label, over multi-label votes.

    Parameters
    ----------
    base : {"dawid_skene", "majority"} or callable, default "dawid_skene"
        The binary label model fitted per label; a callable returns a fresh, unfitted
        model with ``fit(L)`` and ``predict_proba(L)`` (e.g.
        ``lambda: WeightedVote(cardinality=2)``).
    threshold : float, default 0.5
        :meth:`predict` marks a label present at or above this probability.
    positive_only : {"prior", "evidence"}, default "evidence"
        For a label on which every labeler only ever says "present" (rules that detect a
        label but never rule it out), a binary label model has nothing to contrast. With
        ``"evidence"`` such a label is present with the share of its voters' agreement
        (all voters say present = 1.0) and absent with probability 1 where no one voted;
        ``"prior"`` leaves it to the base model.
    label_names : sequence of str, optional

    Attributes
    ----------
    models_ : list
        The fitted binary model per label (``None`` where a label had no votes).
    accuracies_ : ndarray of shape (q, m)
        Per label, each labeler's estimated accuracy (``NaN`` where unknown).
    label_prior_ : ndarray of shape (q,)
        Estimated share of items with each label.

    Examples
    --------
    >>> V = multilabel_votes(
    ...     [[{"a"}, {"a"}, {"a"}], [{"a", "b"}, {"b"}, {"a", "b"}], [{"b"}, {"b"}, None]],
    ...     ["a", "b"])
    >>> MultiLabelModel(base="majority").fit(V).predict_sets(V)
    [['0'], ['0', '1'], ['1']]
    """

    def __init__(
        self,
        *,
        base: str | Callable[[], Any] = "dawid_skene",
        threshold: float = 0.5,
        positive_only: Literal["prior", "evidence"] = "evidence",
        label_names: Sequence[str] | None = None,
    ) -> None:
        self.base = base
        self.threshold = threshold
        self.positive_only = positive_only
        self.label_names = label_names

    def fit(self, V: Any) -> MultiLabelModel:
        """Fit one binary model per label on ``V`` of shape (n, m, q)."""
        if self.positive_only not in ("prior", "evidence"):
            raise LabelwiseError(
                f"positive_only={self.positive_only!r} must be 'prior' or 'evidence'"
            )
        votes = check_multilabel_votes(V)
        _, m, q = votes.shape
        if self.label_names is not None and len(self.label_names) != q:
            raise LabelwiseError(f"{len(self.label_names)} label_names for {q} labels")
        self.n_labels_, self.n_labelers_ = q, m
        self.models_: list[Any] = []
        self.modes_: list[str] = []
        acc = np.full((q, m), np.nan)
        prior = np.zeros(q)
        for lab in range(q):
            Lq = votes[:, :, lab]
            cast = Lq[Lq != ABSTAIN]
            if cast.size == 0:
                self.models_.append(None)
                self.modes_.append("no_votes")
                continue
            if self.positive_only == "evidence" and not (cast == 0).any():
                self.models_.append(None)
                self.modes_.append("positive_only")
                prior[lab] = float(np.mean((Lq == 1).any(axis=1)))
                continue
            model = _make_base(self.base).fit(Lq)
            self.models_.append(model)
            self.modes_.append("model")
            if hasattr(model, "accuracies_"):
                acc[lab] = np.asarray(model.accuracies_, dtype=np.float64)
            p = model.predict_proba(Lq)[:, 1]
            prior[lab] = float(p[(Lq != ABSTAIN).any(axis=1)].mean())
        self.accuracies_ = acc
        self.label_prior_ = prior
        return self

    def _check(self, V: Any) -> np.ndarray:
        if not hasattr(self, "models_"):
            raise LabelwiseError("MultiLabelModel is not fitted; call fit(V) first")
        votes = check_multilabel_votes(V, n_labels=self.n_labels_)
        if votes.shape[1] != self.n_labelers_:
            raise LabelMatrixError(
                f"V has {votes.shape[1]} labelers but the model was fitted on {self.n_labelers_}"
            )
        return votes

    def predict_proba(self, V: Any) -> np.ndarray:
        """Probability that each label is present: shape (n, q).

        Items without any vote on a label get the label's prior (``label_prior_``), or
        0 for ``positive_only="evidence"`` labels.
        """
        votes = self._check(V)
        n, _, q = votes.shape
        out = np.zeros((n, q))
        for lab in range(q):
            Lq = votes[:, :, lab]
            voted = (Lq != ABSTAIN).any(axis=1)
            mode = self.modes_[lab]
            if mode == "no_votes":
                out[:, lab] = 0.0
            elif mode == "positive_only":
                # every vote on this label says "present"
                out[:, lab] = np.where(voted, 1.0, 0.0)
            else:
                p = self.models_[lab].predict_proba(Lq)[:, 1]
                out[:, lab] = np.where(voted, p, self.label_prior_[lab])
        return out

    def predict(self, V: Any, *, threshold: float | None = None) -> np.ndarray:
        """1 (present) / 0 (absent) per item and label; ``ABSTAIN`` where nobody voted on
        that label for that item. Shape (n, q)."""
        votes = self._check(V)
        thr = self.threshold if threshold is None else threshold
        p = self.predict_proba(votes)
        out = (p >= thr).astype(np.int64)
        out[~(votes != ABSTAIN).any(axis=1)] = ABSTAIN
        return out

    def predict_sets(self, V: Any, *, threshold: float | None = None) -> list[list[str]]:
        """The present labels of each item, by name."""
        names = list(self.label_names or [str(i) for i in range(self.n_labels_)])
        pred = self.predict(V, threshold=threshold)
        return [[names[j] for j in np.flatnonzero(row == 1)] for row in pred]
