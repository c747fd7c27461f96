"""Fast representations of a label matrix for label-model arithmetic.

Label models only ever need two kinds of sums over the items of ``L``:

* ``scores``: for each item, ``sum_j W[j*k + L[i, j]]`` over the labelers that voted
  (a weighted vote, or a naive-Bayes log-likelihood), and
* ``moments``: for each (labeler, vote) pair, a sum of per-item quantities over the items
  where that labeler cast that vote (the M-step of EM, agreement statistics).

Both are products with the *one-hot vote matrix* ``X`` of shape ``(n, m*k)``, where column
``j*k + v`` is 1 when labeler ``j`` voted ``v``. This module never materialises ``X`` as a
dense float64 ``n x (m*k)`` matrix. Instead:

* with few labelers most items share a vote pattern, so :func:`unique_vote_patterns`
  collapses ``L`` to its distinct rows with counts (a 1M x 10 matrix has at most
  ``3**10 = 59049`` binary patterns) and the model runs on the patterns;
* with many labelers patterns rarely repeat, so :func:`onehot_votes` builds ``X`` as a
  ``scipy.sparse`` matrix holding only the non-abstain votes, and one-off sums stream over
  row chunks of a small dense one-hot block (:func:`vote_scores`, :func:`vote_gram`).

:class:`VoteTable` picks between the two automatically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from labelwise.labeling.space import ABSTAIN

__all__ = [
    "VoteTable",
    "onehot_votes",
    "unique_vote_patterns",
    "vote_counts",
    "vote_gram",
    "vote_scores",
    "weighted_vote_scores",
]

Strategy = Literal["auto", "patterns", "sparse"]

# Dense one-hot blocks are kept near this many cells (16 MB of float32).
_BLOCK_CELLS = 1 << 22
# A bincount lookup table is used for pattern codes below this range (else a sort).
_BINCOUNT_RANGE = 1 << 22
# Pattern compression pays when the distinct rows are at most this share of all rows.
_COMPRESS_RATIO = 0.25
# A dense design matrix is used for up to this many cells (else scipy.sparse).
_DENSE_DESIGN_CELLS = 1 << 22


def _block_rows(width: int) -> int:
    return max(1024, _BLOCK_CELLS // max(1, width))


def _cardinality_of(votes: np.ndarray, cardinality: int | None) -> int:
    if cardinality is not None:
        return int(cardinality)
    return max(2, int(votes.max()) + 1 if votes.size else 2)


def _pattern_codes(votes: np.ndarray, base: int) -> np.ndarray:
    """Exact int64 code of each row: the votes shifted by one, read as base-``base`` digits.

    The caller guarantees ``base ** m`` fits in an int64. Rows are processed in blocks so
    the per-column strided reads stay in cache.
    """
    n, m = votes.shape
    codes = np.empty(n, dtype=np.int64)
    step = _block_rows(m) * 4
    for start in range(0, n, step):
        block = votes[start : start + step]
        acc = np.zeros(block.shape[0], dtype=np.int64)
        for j in range(m):
            acc *= base
            acc += block[:, j]
            acc += 1
        codes[start : start + step] = acc
    return codes


def _decode_codes(codes: np.ndarray, base: int, m: int, dtype: np.dtype[Any]) -> np.ndarray:
    out = np.empty((codes.shape[0], m), dtype=dtype)
    rest = codes.copy()
    for j in range(m - 1, -1, -1):
        out[:, j] = rest % base - 1
        rest //= base
    return out


def _max_digits(base: int, bits: float) -> int:
    return max(1, int(bits / math.log2(base)))


def unique_vote_patterns(
    L: Any, *, cardinality: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of a label matrix, how often each occurs, and where.

    Rows are encoded as exact integer codes (each vote is a base-``k+1`` digit), so no
    hashing collisions are possible; wide matrices are encoded a block of columns at a
    time, re-numbering the distinct prefixes between blocks.

    Parameters
    ----------
    L : array-like of shape (n, m)
        Integer votes in ``-1..k-1``.
    cardinality : int, optional
        ``k``; inferred as ``max vote + 1`` when omitted.

    Returns
    -------
    patterns : ndarray of shape (u, m)
        The distinct rows, in a deterministic order, with the dtype of ``L``.
    counts : ndarray of shape (u,), int64
        How many rows of ``L`` equal each pattern.
    inverse : ndarray of shape (n,), intp
        ``patterns[inverse]`` reproduces ``L``.

    Examples
    --------
    >>> L = np.array([[0, -1], [1, 1], [0, -1]])
    >>> patterns, counts, inverse = unique_vote_patterns(L)
    >>> patterns.tolist(), counts.tolist(), inverse.tolist()
    ([[0, -1], [1, 1]], [2, 1], [0, 1, 0])
    """
    votes = np.asarray(getattr(L, "values", L))
    n, m = votes.shape
    k = _cardinality_of(votes, cardinality)
    base = k + 1
    if n == 0:
        return votes[:0].copy(), np.zeros(0, np.int64), np.zeros(0, np.intp)
    if m == 0:
        return votes[:1].copy(), np.array([n], np.int64), np.zeros(n, np.intp)
    width = _max_digits(base, 62)
    if m <= width:
        codes = _pattern_codes(votes, base)
        code_range = base**m
        if code_range <= _BINCOUNT_RANGE:
            # Counting sort: O(n) instead of an O(n log n) argsort.
            all_counts = np.bincount(codes, minlength=code_range)
            present = np.flatnonzero(all_counts)
            lookup = np.zeros(code_range, dtype=np.intp)
            lookup[present] = np.arange(present.shape[0])
            return (
                _decode_codes(present, base, m, votes.dtype),
                all_counts[present].astype(np.int64),
                lookup[codes],
            )
        uniq, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
        return (
            _decode_codes(uniq, base, m, votes.dtype),
            counts.astype(np.int64),
            inverse.reshape(-1).astype(np.intp, copy=False),
        )
    # Wide rows: number the distinct prefixes, then append as many columns as fit.
    ids = np.zeros(n, dtype=np.int64)
    n_ids = 1
    first = np.zeros(1, dtype=np.intp)
    start = 0
    while start < m:
        digits = _max_digits(base, 62 - math.log2(max(n_ids, 1)))
        stop = min(m, start + digits)
        codes = ids * base ** (stop - start) + _pattern_codes(votes[:, start:stop], base)
        _, first, inverse, counts = np.unique(
            codes, return_index=True, return_inverse=True, return_counts=True
        )
        ids = inverse.reshape(-1).astype(np.int64)
        n_ids = first.shape[0]
        start = stop
    return votes[first].copy(), counts.astype(np.int64), ids.astype(np.intp)


def _count_distinct_sample(votes: np.ndarray, base: int, size: int) -> float:
    """Share of distinct rows among ``size`` evenly spaced rows (a cheap compressibility probe)."""
    n = votes.shape[0]
    rows = votes[np.linspace(0, n - 1, num=min(size, n)).astype(np.intp)]
    distinct = np.unique(rows, axis=0).shape[0]
    return distinct / rows.shape[0]


def onehot_chunks(
    votes: np.ndarray, k: int, *, dtype: Any = np.float32, rows: int | None = None
) -> Any:
    """Yield ``(start, X_block)`` with ``X_block`` the dense one-hot votes of a row block.

    ``X_block`` has shape ``(block_rows, m*k)``; column ``j*k + v`` is 1 where labeler
    ``j`` voted ``v``. Blocks are ~16 MB so the whole matrix is never held at once.
    """
    n, m = votes.shape
    step = rows or _block_rows(m * k)
    classes = np.arange(k, dtype=votes.dtype)
    for start in range(0, n, step):
        block = votes[start : start + step]
        hot = np.empty((block.shape[0], m, k), dtype=np.bool_)
        np.equal(block[:, :, None], classes, out=hot)
        yield start, hot.reshape(block.shape[0], m * k).astype(dtype)


def vote_scores(votes: np.ndarray, k: int, W: np.ndarray) -> np.ndarray:
    """Per-row sums ``sum_j W[j*k + votes[i, j]]`` over non-abstain votes.

    Parameters
    ----------
    votes : ndarray of shape (r, m)
        Integer votes in ``-1..k-1``.
    k : int
        Number of classes.
    W : ndarray of shape (m*k, d)
        A row of weights per (labeler, vote).

    Returns
    -------
    ndarray of shape (r, d), float64

    Examples
    --------
    >>> W = np.eye(2)[[0, 1, 0, 1]]  # plain vote counting for 2 labelers, 2 classes
    >>> vote_scores(np.array([[0, 1], [1, -1]]), 2, W).tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    r, m = votes.shape
    W = np.asarray(W, dtype=np.float32)
    out = np.zeros((r, W.shape[1]), dtype=np.float64)
    # One (rows x m) product per class: far cheaper than a (rows x m*k) one-hot product.
    per_class = [np.ascontiguousarray(W[v::k]) for v in range(k)]
    step = _block_rows(m) * 2
    for start in range(0, r, step):
        block = votes[start : start + step]
        acc = np.zeros((block.shape[0], W.shape[1]), dtype=np.float32)
        for v in range(k):
            acc += (block == v).astype(np.float32) @ per_class[v]
        out[start : start + step] = acc
    return out


def weighted_vote_scores(
    votes: np.ndarray, k: int, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row weighted votes per class, and the number of votes per row.

    ``scores[i, c] = sum_j weights[j] * (votes[i, j] == c)``. For ``k = 2`` the one-hot
    indicators are quadratics of the raw vote ``x`` in ``{-1, 0, 1}`` --
    ``[x = 1] = (x^2 + x) / 2`` and ``[x = 0] = 1 - x^2`` -- so two skinny products of
    ``x`` and ``x^2`` replace the one-hot expansion entirely.

    Returns
    -------
    scores : ndarray of shape (r, k), float64
    n_votes : ndarray of shape (r,), int64

    Examples
    --------
    >>> s, nv = weighted_vote_scores(np.array([[0, 1, 1], [-1, -1, 0]]), 2, np.ones(3))
    >>> s.tolist(), nv.tolist()
    ([[1.0, 2.0], [1.0, 0.0]], [3, 1])
    """
    r, m = votes.shape
    w2 = np.stack([np.asarray(weights, np.float32), np.ones(m, np.float32)], axis=1)
    scores = np.empty((r, k), dtype=np.float64)
    n_votes = np.empty(r, dtype=np.int64)
    step = _block_rows(m) * 2
    for start in range(0, r, step):
        stop = min(start + step, r)
        x = votes[start:stop].astype(np.float32)
        if k == 2:
            lin = x @ w2  # (sum_j w_j x_j, sum_j x_j)
            x *= x
            quad = x @ w2  # (sum_j w_j x_j^2, sum_j x_j^2)
            total_w = float(w2[:, 0].sum())
            scores[start:stop, 1] = (quad[:, 0] + lin[:, 0]) / 2
            scores[start:stop, 0] = total_w - quad[:, 0]
            n_votes[start:stop] = np.rint(m - quad[:, 1] + (quad[:, 1] + lin[:, 1]) / 2)
        else:
            count = np.zeros(stop - start, dtype=np.float32)
            for v in range(k):
                both = np.asarray(x == v, dtype=np.float32) @ w2
                scores[start:stop, v] = both[:, 0]
                count += both[:, 1]
            n_votes[start:stop] = np.rint(count)
    return scores, n_votes


def vote_counts(votes: np.ndarray, k: int) -> np.ndarray:
    """Exact number of votes per class for each row.

    Returns
    -------
    ndarray of shape (r, k), int32

    Examples
    --------
    >>> vote_counts(np.array([[0, 1, 1], [-1, -1, 0]]), 2).tolist()
    [[1, 2], [1, 0]]
    """
    r, m = votes.shape
    out = np.empty((r, k), dtype=np.int32)
    step = _block_rows(m) * 2
    for start in range(0, r, step):
        block = votes[start : start + step]
        for v in range(k):
            # Summing the bytes of the boolean mask is ~2x faster than count_nonzero(axis=1).
            out[start : start + step, v] = (block == v).view(np.uint8).sum(axis=1, dtype=np.int32)
    return out


def vote_gram(votes: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Weighted co-vote counts ``X.T @ diag(weights) @ X`` of the one-hot votes.

    Entry ``[i*k + v, j*k + w]`` counts the (weighted) rows where labeler ``i`` voted ``v``
    and labeler ``j`` voted ``w``. Computed with dense BLAS on ~16 MB row blocks, which is
    much faster than a sparse ``X.T @ X``.

    Returns
    -------
    ndarray of shape (m*k, m*k), float64

    Examples
    --------
    >>> G = vote_gram(np.array([[0, 0], [1, -1]]), 2)
    >>> G[0].tolist()  # labeler 0 voted 0 once, alongside labeler 1 voting 0
    [1.0, 0.0, 1.0, 0.0]
    """
    m = votes.shape[1]
    gram = np.zeros((m * k, m * k), dtype=np.float64)
    # float32 sums of 0/1 products are exact per block; weights need float64.
    dtype = np.float32 if weights is None else np.float64
    for start, X in onehot_chunks(votes, k, dtype=dtype):
        if weights is None:
            gram += X.T @ X
        else:
            gram += X.T @ (X * weights[start : start + X.shape[0], None])
    return gram


def onehot_votes(L: Any, *, cardinality: int | None = None, dtype: Any = np.float32) -> Any:
    """The one-hot vote matrix as a ``scipy.sparse`` CSR matrix (non-abstain votes only).

    Parameters
    ----------
    L : array-like of shape (n, m)
        Integer votes in ``-1..k-1``.
    cardinality : int, optional
        ``k``; inferred as ``max vote + 1`` when omitted.
    dtype : dtype, default float32
        Dtype of the stored ones.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n, m*k)
        Column ``j*k + v`` holds 1 where labeler ``j`` voted ``v``.

    Examples
    --------
    >>> X = onehot_votes(np.array([[0, -1], [1, 1]]), cardinality=2)
    >>> X.toarray().astype(int).tolist()
    [[1, 0, 0, 0], [0, 1, 0, 1]]
    """
    import scipy.sparse  # lazily: it costs ~0.1 s at import time

    votes = np.asarray(getattr(L, "values", L))
    n, m = votes.shape
    k = _cardinality_of(votes, cardinality)
    idx_dtype = np.int16 if m * k < np.iinfo(np.int16).max else np.int32
    offsets = (np.arange(m) * k).astype(idx_dtype)
    step = _block_rows(m) * 2
    per_row = np.empty(n, dtype=np.int64)
    for start in range(0, n, step):
        voted = votes[start : start + step] != ABSTAIN
        per_row[start : start + step] = voted.view(np.uint8).sum(axis=1, dtype=np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per_row, out=indptr[1:])
    nnz = int(indptr[-1])
    index_dtype = np.int32 if max(nnz, m * k) < np.iinfo(np.int32).max else np.int64
    indices = np.empty(nnz, dtype=index_dtype)
    for start in range(0, n, step):
        block = votes[start : start + step]
        cols = np.add(block, offsets, dtype=idx_dtype)
        lo, hi = indptr[start], indptr[min(start + step, n)]
        indices[lo:hi] = cols[block != ABSTAIN]
    data = np.ones(nnz, dtype=dtype)
    return scipy.sparse.csr_matrix(
        (data, indices, indptr.astype(index_dtype)), shape=(n, m * k), copy=False
    )


@dataclass
class VoteTable:
    """A label matrix prepared for label-model arithmetic (see the module docstring).

    ``rows`` are either the distinct vote patterns (``strategy == "patterns"``, with
    ``weights`` the number of items per pattern and ``inverse`` mapping items to patterns)
    or the items themselves (``strategy == "sparse"``, unit weights, no ``inverse``).
    Models compute on ``rows`` and call :meth:`expand` to get one result per item.

    Examples
    --------
    >>> table = VoteTable.from_votes(np.array([[0, 1], [0, 1], [1, -1]]), 2)
    >>> table.strategy, table.votes.tolist(), table.weights.tolist()
    ('patterns', [[0, 1], [1, -1]], [2.0, 1.0])
    """

    votes: np.ndarray
    k: int
    weights: np.ndarray
    inverse: np.ndarray | None
    strategy: Literal["patterns", "sparse"]
    n_items: int
    _design: Any = field(default=None, repr=False)
    _has_vote: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def from_votes(cls, votes: np.ndarray, k: int, *, strategy: Strategy = "auto") -> VoteTable:
        """Compress ``votes`` to patterns when that pays, else keep the items.

        ``"auto"`` compresses when the distinct rows number at most a quarter of the rows:
        always checked exactly when a row code fits in 62 bits, else probed on a sample.
        """
        n, m = votes.shape
        if strategy not in ("auto", "patterns", "sparse"):
            raise ValueError(f"strategy must be 'auto', 'patterns' or 'sparse', got {strategy!r}")
        if strategy == "auto":
            if n < 64:
                strategy = "patterns"
            elif m > _max_digits(k + 1, 62):
                ratio = _count_distinct_sample(votes, k + 1, 4096)
                strategy = "patterns" if ratio <= _COMPRESS_RATIO else "sparse"
        if strategy == "sparse":
            return cls(votes, k, np.ones(n), None, "sparse", n)
        patterns, counts, inverse = unique_vote_patterns(votes, cardinality=k)
        if strategy == "auto" and patterns.shape[0] > _COMPRESS_RATIO * n:
            return cls(votes, k, np.ones(n), None, "sparse", n)
        return cls(patterns, k, counts.astype(np.float64), inverse, "patterns", n)

    @property
    def n_rows(self) -> int:
        return int(self.votes.shape[0])

    @property
    def n_labelers(self) -> int:
        return int(self.votes.shape[1])

    def has_vote(self) -> np.ndarray:
        """``(r,)`` bool: rows with at least one non-abstain vote."""
        if self._has_vote is None:
            self._has_vote = np.asarray(self.votes.max(axis=1) > ABSTAIN)
        return self._has_vote

    def coverage(self) -> np.ndarray:
        """``(m,)`` share of items on which each labeler voted."""
        if self.strategy == "patterns":
            per_labeler = self.weights @ (self.votes != ABSTAIN)
        else:
            per_labeler = np.zeros(self.n_labelers)
            step = _block_rows(self.n_labelers) * 2
            for start in range(0, self.n_rows, step):
                voted = self.votes[start : start + step] != ABSTAIN
                per_labeler += voted.view(np.uint8).sum(axis=0, dtype=np.int64)
        return np.asarray(per_labeler, dtype=np.float64) / max(self.n_items, 1)

    def design(self) -> Any:
        """The one-hot matrix of the rows, built once: dense when small, else sparse CSR."""
        if self._design is None:
            r, m = self.votes.shape
            if r * m * self.k <= _DENSE_DESIGN_CELLS:
                self._design = next(
                    onehot_chunks(self.votes, self.k, dtype=np.float64, rows=max(r, 1))
                )[1]
            else:
                self._design = onehot_votes(self.votes, cardinality=self.k)
        return self._design

    def scores(self, W: np.ndarray) -> np.ndarray:
        """``(r, d)`` per-row sums of ``W`` rows (see :func:`vote_scores`)."""
        if self._design is None:
            return vote_scores(self.votes, self.k, W)
        X = self._design
        return np.asarray(X @ np.asarray(W, dtype=X.dtype), dtype=np.float64)

    def weighted_scores(self, weights: np.ndarray) -> np.ndarray:
        """``(r, k)`` weighted votes per class (see :func:`weighted_vote_scores`)."""
        scores, n_votes = weighted_vote_scores(self.votes, self.k, weights)
        self._has_vote = n_votes > 0
        return scores

    def moments(self, R: np.ndarray) -> np.ndarray:
        """``(m*k, d)``: ``sum_rows weight * R[row]`` over the rows where each vote was cast."""
        X = self.design()
        weighted = R * self.weights[:, None] if self.strategy == "patterns" else R
        return np.asarray(X.T @ np.asarray(weighted, dtype=X.dtype), dtype=np.float64)

    def gram(self) -> np.ndarray:
        """``(m*k, m*k)`` weighted co-vote counts (see :func:`vote_gram`)."""
        weights = self.weights if self.strategy == "patterns" else None
        return vote_gram(self.votes, self.k, weights)

    def counts(self) -> np.ndarray:
        """``(r, k)`` exact votes per class for each row."""
        return vote_counts(self.votes, self.k)

    def expand(self, values: np.ndarray) -> np.ndarray:
        """Per-row results -> per-item results."""
        if self.inverse is None:
            return values
        return values[self.inverse]

    def __repr__(self) -> str:
        return (
            f"VoteTable(strategy={self.strategy!r}, n_items={self.n_items}, "
            f"rows={self.n_rows}, labelers={self.n_labelers}, k={self.k})"
        )
