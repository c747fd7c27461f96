"""Agreement between annotators, and how reliable each one is.

All functions read a label matrix whose columns are annotators (``ABSTAIN = -1`` where an
annotator did not label the item):

* :func:`cohens_kappa` (two annotators, optionally weighted for ordered classes) and
  :func:`pairwise_kappa` (every pair);
* :func:`fleiss_kappa` (any number of annotators; items may have different numbers of
  ratings, each item's agreement is averaged over its own rater pairs);
* :func:`krippendorff_alpha` (missing ratings, nominal / ordinal / interval / ratio data);
* :func:`annotator_reliability`: per-annotator confusion matrices and accuracies estimated
  with Dawid-Skene EM over the human votes, plus agreement with the consensus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from labelwise.errors import LabelwiseError
from labelwise.labeling.space import ABSTAIN, check_votes

__all__ = [
    "AnnotatorReliability",
    "agreement_report",
    "annotator_reliability",
    "cohens_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "pairwise_kappa",
    "rating_counts",
]

Level = Literal["nominal", "ordinal", "interval", "ratio"]


def _votes(L: Any, name: str = "L") -> np.ndarray:
    return check_votes(L, name=name).astype(np.int64)


def _k_of(arr: np.ndarray, cardinality: int | None) -> int:
    if cardinality is not None:
        return int(cardinality)
    return max(2, int(arr.max()) + 1 if arr.size else 2)


def cohens_kappa(
    a: Any,
    b: Any,
    *,
    cardinality: int | None = None,
    weights: Literal["linear", "quadratic"] | None = None,
) -> float:
    """Cohen's kappa between two annotators over the items both labeled.

    Parameters
    ----------
    a, b : array-like of shape (n,)
        Classes ``0..k-1``; ``ABSTAIN`` items are skipped.
    cardinality : int, optional
    weights : {"linear", "quadratic"}, optional
        Weighted kappa for ordered classes (disagreements cost ``|i-j|`` or ``(i-j)^2``).

    Returns
    -------
    float
        1 = perfect agreement, 0 = chance level; ``NaN`` with fewer than 2 shared items or
        when chance agreement is already perfect (both annotators used one class).

    Examples
    --------
    >>> cohens_kappa([0, 1, 1, 0, 1], [0, 1, 0, 0, 1])
    0.6153846153846154
    """
    x = _votes(np.asarray(a).reshape(-1), "a").ravel()
    y = _votes(np.asarray(b).reshape(-1), "b").ravel()
    if len(x) != len(y):
        raise LabelwiseError(f"a has {len(x)} items but b has {len(y)}; give one vote per item")
    both = (x != ABSTAIN) & (y != ABSTAIN)
    x, y = x[both], y[both]
    if len(x) < 2:
        return float("nan")
    k = _k_of(np.r_[x, y], cardinality)
    O = np.zeros((k, k))
    np.add.at(O, (x, y), 1.0)
    O /= O.sum()
    E = np.outer(O.sum(axis=1), O.sum(axis=0))
    i, j = np.indices((k, k))
    if weights is None:
        W = (i != j).astype(float)
    elif weights == "linear":
        W = np.abs(i - j).astype(float)
    elif weights == "quadratic":
        W = ((i - j) ** 2).astype(float)
    else:
        raise LabelwiseError(
            f"weights={weights!r} is not supported; use None, 'linear' or 'quadratic'"
        )
    expected = float((W * E).sum())
    if expected == 0:
        return float("nan")
    return 1.0 - float((W * O).sum()) / expected


def pairwise_kappa(
    L: Any,
    *,
    cardinality: int | None = None,
    weights: Literal["linear", "quadratic"] | None = None,
) -> np.ndarray:
    """Cohen's kappa for every pair of annotators (columns of ``L``, shape (n, m)).

    Returns
    -------
    ndarray of shape (m, m)
        Symmetric; the diagonal is 1; ``NaN`` where two annotators share fewer than two
        items.

    Examples
    --------
    >>> pairwise_kappa([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 1, 0]]).round(2).tolist()
    [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    arr = _votes(L)
    k = _k_of(arr, cardinality)
    m = arr.shape[1]
    out = np.eye(m)
    for a in range(m):
        for b in range(a + 1, m):
            out[a, b] = out[b, a] = cohens_kappa(
                arr[:, a], arr[:, b], cardinality=k, weights=weights
            )
    return out


def rating_counts(L: Any, *, cardinality: int | None = None) -> np.ndarray:
    """How many annotators chose each class for each item: shape (n, k).

    Examples
    --------
    >>> rating_counts([[0, 1, -1], [1, 1, 1]]).tolist()
    [[1, 1], [0, 3]]
    """
    arr = _votes(L)
    k = _k_of(arr, cardinality)
    counts = np.zeros((arr.shape[0], k), dtype=np.int64)
    rows, cols = np.nonzero(arr != ABSTAIN)
    np.add.at(counts, (rows, arr[rows, cols]), 1)
    return counts


def fleiss_kappa(
    L: Any | None = None, *, counts: Any = None, cardinality: int | None = None
) -> float:
    """Fleiss' kappa for any number of annotators.

    Parameters
    ----------
    L : array-like of shape (n, m), optional
        Votes (columns = annotators, ``ABSTAIN`` = not rated).
    counts : array-like of shape (n, k), optional
        Ratings per item and class instead of ``L``.

    Notes
    -----
    Items with fewer than two ratings are skipped. When items have different numbers of
    ratings, each item's observed agreement uses its own number of raters and the items
    are averaged with equal weight; with a constant number this is Fleiss (1971) exactly.

    Examples
    --------
    >>> round(fleiss_kappa([[0, 0, 0], [1, 1, 1], [0, 0, 1], [1, 1, 0]]), 3)
    0.333
    """
    if (L is None) == (counts is None):
        raise LabelwiseError("give either the votes L or the rating counts=, not both")
    if counts is None:
        counts = rating_counts(L, cardinality=cardinality)
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 2 or (c < 0).any():
        raise LabelwiseError(f"counts must be a non-negative (n, k) table, got shape {c.shape}")
    n_i = c.sum(axis=1)
    keep = n_i >= 2
    c, n_i = c[keep], n_i[keep]
    if len(c) == 0:
        return float("nan")
    P_i = ((c * (c - 1)).sum(axis=1)) / (n_i * (n_i - 1))
    p_j = c.sum(axis=0) / c.sum()
    P_e = float((p_j**2).sum())
    if P_e >= 1.0:
        return float("nan")
    return (float(P_i.mean()) - P_e) / (1.0 - P_e)


def krippendorff_alpha(L: Any, *, level: Level = "nominal", missing: float | None = None) -> float:
    """Krippendorff's alpha over items (rows) rated by annotators (columns).

    Parameters
    ----------
    L : array-like of shape (n, m)
        Ratings. Integer input treats ``-1`` as missing; float input treats ``NaN`` as
        missing (use floats for interval/ratio values that are not class indices).
    level : {"nominal", "ordinal", "interval", "ratio"}, default "nominal"
        Metric for the difference between two values.
    missing : float, optional
        Another value that marks a missing rating.

    Returns
    -------
    float
        1 = perfect reliability, 0 = chance, negative = systematic disagreement; ``NaN``
        when no item has two ratings or only one value occurs.

    Examples
    --------
    >>> round(krippendorff_alpha([[0, 0], [1, 1], [2, 2], [0, 1]]), 3)
    0.667
    """
    arr = np.asarray(getattr(L, "values", L), dtype=np.float64)
    if arr.ndim != 2:
        raise LabelwiseError(f"L must be 2-D (items, annotators), got shape {arr.shape}")
    miss = np.isnan(arr)
    if np.asarray(getattr(L, "values", L)).dtype.kind in "iu":
        miss |= arr == ABSTAIN
    if missing is not None:
        miss |= arr == missing
    values = np.unique(arr[~miss])
    if len(values) < 2:
        return float("nan")
    V = len(values)
    pos = {v: i for i, v in enumerate(values.tolist())}
    O = np.zeros((V, V))
    for row, mrow in zip(arr, miss, strict=True):
        vals = row[~mrow]
        mu = len(vals)
        if mu < 2:
            continue
        idx = np.array([pos[v] for v in vals.tolist()])
        cnt = np.bincount(idx, minlength=V).astype(float)
        pair = np.outer(cnt, cnt) - np.diag(cnt)  # ordered pairs of different raters
        O += pair / (mu - 1)
    n_c = O.sum(axis=1)
    n = n_c.sum()
    if n <= 1:
        return float("nan")
    i, j = np.indices((V, V))
    if level == "nominal":
        D = (i != j).astype(float)
    elif level == "ordinal":
        cum = np.cumsum(n_c)
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        between = cum[hi] - np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
        D = (between - (n_c[i] + n_c[j]) / 2.0) ** 2
    elif level == "interval":
        D = (values[i] - values[j]) ** 2
    elif level == "ratio":
        s = values[i] + values[j]
        with np.errstate(invalid="ignore", divide="ignore"):
            D = np.where(s != 0, ((values[i] - values[j]) / s) ** 2, 0.0)
    else:
        raise LabelwiseError(
            f"level={level!r} is not supported; use 'nominal', 'ordinal', 'interval' or 'ratio'"
        )
    D_o = float((O * D).sum()) / n
    D_e = float((np.outer(n_c, n_c) * D).sum()) / (n * (n - 1))
    if D_e == 0:
        return float("nan")
    return float(1.0 - D_o / D_e)


@dataclass
class AnnotatorReliability:
    """Per-annotator reliability from Dawid-Skene EM over the human votes.

    Attributes
    ----------
    names : list of str
    accuracy : ndarray of shape (m,)
        Estimated share of each annotator's labels that are correct.
    confusion : ndarray of shape (m, k, k)
        ``confusion[j, c, v]`` = P(annotator ``j`` says ``v`` | true class ``c``).
    n_labeled : ndarray of shape (m,)
        Items each annotator labeled.
    agreement_with_consensus : ndarray of shape (m,)
        Share of each annotator's labels equal to the Dawid-Skene consensus.
    consensus : ndarray of shape (n,)
        Most likely class per item (``ABSTAIN`` where nobody labeled it).
    posterior : ndarray of shape (n, k)
    """

    names: list[str]
    accuracy: np.ndarray
    confusion: np.ndarray
    n_labeled: np.ndarray
    agreement_with_consensus: np.ndarray
    consensus: np.ndarray
    posterior: np.ndarray

    def to_frame(self) -> Any:
        """One row per annotator, least reliable first."""
        import pandas as pd

        df = pd.DataFrame(
            {
                "annotator": self.names,
                "n_labeled": self.n_labeled,
                "estimated_accuracy": self.accuracy,
                "agreement_with_consensus": self.agreement_with_consensus,
            }
        )
        return df.sort_values("estimated_accuracy", kind="stable").reset_index(drop=True)


def annotator_reliability(
    L: Any,
    *,
    cardinality: int | None = None,
    names: Sequence[str] | None = None,
    max_iter: int = 100,
) -> AnnotatorReliability:
    """Estimate each annotator's confusion matrix and accuracy with Dawid-Skene.

    Parameters
    ----------
    L : array-like or LabelMatrix of shape (n, m)
        Human votes, one column per annotator, ``ABSTAIN`` where not labeled.
    cardinality : int, optional
    names : sequence of str, optional
        Annotator names (default: the LabelMatrix names or ``annotator_j``).

    Examples
    --------
    >>> L = np.array([[0, 0, 1], [1, 1, 0], [0, 0, 0], [1, 1, 1], [0, 0, 1], [1, 1, 0]])
    >>> rel = annotator_reliability(L)
    >>> int(np.argmin(rel.accuracy))
    2
    """
    from labelwise.models.dawid_skene import DawidSkene

    arr = _votes(L)
    k = _k_of(arr, cardinality if cardinality is not None else getattr(L, "cardinality", None))
    m = arr.shape[1]
    if names is None:
        names = list(getattr(L, "names", [f"annotator_{j}" for j in range(m)]))
    if len(names) != m:
        raise LabelwiseError(f"{len(names)} names for {m} annotator columns; give one per column")
    if not (arr != ABSTAIN).any():
        raise LabelwiseError("no annotator labeled anything; L holds only ABSTAIN")
    model = DawidSkene(cardinality=k, max_iter=max_iter)
    model.fit(arr)
    post = model.predict_proba(arr)
    consensus = np.where((arr != ABSTAIN).any(axis=1), post.argmax(axis=1), ABSTAIN)
    voted = arr != ABSTAIN
    n_lab = voted.sum(axis=0)
    agree = np.array(
        [
            float(np.mean(arr[voted[:, j], j] == consensus[voted[:, j]])) if n_lab[j] else np.nan
            for j in range(m)
        ]
    )
    return AnnotatorReliability(
        names=[str(n) for n in names],
        accuracy=np.asarray(model.accuracies_, dtype=np.float64),
        confusion=np.asarray(model.confusion_matrices_, dtype=np.float64),
        n_labeled=n_lab,
        agreement_with_consensus=agree,
        consensus=consensus,
        posterior=post,
    )


def agreement_report(
    L: Any,
    *,
    names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    path: str | Path | None = None,
) -> Any:
    """An HTML report: Fleiss' kappa, Krippendorff's alpha, pairwise kappa heat map and
    annotator reliability. Saved to ``path`` when given.

    Examples
    --------
    >>> r = agreement_report(np.array([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 0, 1]]))
    >>> r.section_titles
    ['Overall agreement', 'Pairwise Cohen kappa', 'Annotator reliability (Dawid-Skene)']
    """
    from labelwise.errors import require

    require("matplotlib", "report").use("Agg")
    import matplotlib.pyplot as plt

    from labelwise.reports import Report

    arr = _votes(L)
    m = arr.shape[1]
    names = list(names or getattr(L, "names", None) or [f"annotator_{j}" for j in range(m)])
    r = Report("Annotator agreement", subtitle=f"{arr.shape[0]} items, {m} annotators")
    s = r.section("Overall agreement")
    per_item = (arr != ABSTAIN).sum(axis=1)
    s.kv(
        {
            "items with 2+ labels": int((per_item >= 2).sum()),
            "Fleiss' kappa": fleiss_kappa(arr),
            "Krippendorff's alpha (nominal)": krippendorff_alpha(arr),
            "mean labels per item": float(per_item.mean()) if len(per_item) else 0.0,
        }
    )
    s.text(
        "Kappa and alpha: 1 is perfect agreement, 0 is what chance gives, below 0 is "
        "systematic disagreement. Above 0.8 is usually called strong, below 0.4 weak.",
        muted=True,
    )
    p = r.section("Pairwise Cohen kappa")
    K = pairwise_kappa(arr)
    fig, ax = plt.subplots(figsize=(1.2 + 0.6 * m, 1.0 + 0.55 * m))
    im = ax.imshow(K, vmin=-1, vmax=1, cmap="RdYlGn")
    ax.set_xticks(range(m), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(m), names, fontsize=8)
    for a in range(m):
        for b in range(m):
            ax.text(
                b,
                a,
                "" if np.isnan(K[a, b]) else f"{K[a, b]:.2f}",
                ha="center",
                va="center",
                fontsize=7,
            )
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    p.figure(fig, caption="Cohen's kappa between every pair of annotators")
    rel_section = r.section("Annotator reliability (Dawid-Skene)")
    rel = annotator_reliability(arr, names=names)
    rel_section.table(rel.to_frame(), index=False)
    low = [
        (
            "warning",
            f"{n}: estimated accuracy {a:.2f}; review this annotator's labels or retrain them",
        )
        for n, a in zip(rel.names, rel.accuracy, strict=True)
        if a < 0.7
    ]
    rel_section.alerts(low)
    if class_names is not None:
        rel_section.text(f"Classes: {', '.join(class_names)}", muted=True)
    if path is not None:
        r.save(path)
    return r
