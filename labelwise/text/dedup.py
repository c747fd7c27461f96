"""Exact and near-duplicate texts: normalized hashing, then MinHash + LSH over character shingles.

Near-duplicates are pairs whose sets of character ``k``-grams (of the lowercased,
whitespace-collapsed text) have Jaccard similarity of at least ``threshold``. Comparing all
pairs is quadratic, so candidates come from locality-sensitive hashing: each text gets a
MinHash signature of ``num_perm`` values, cut into ``bands`` bands; texts sharing any band
become candidates, and every candidate pair is then checked with the exact Jaccard
similarity. The whole pipeline is vectorized (shingles are rolling hashes computed in numpy
over all texts at once), so 100k short texts take seconds, not hours.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np

from labelwise.errors import LabelwiseError

__all__ = [
    "choose_bands",
    "duplicate_groups",
    "exact_duplicate_groups",
    "find_near_duplicates",
    "minhash_signatures",
    "near_duplicate_groups",
    "normalize_for_dedup",
]

_WS = re.compile(r"\s+")
_MAX_BUCKET_PAIRS = 64  # larger LSH buckets are linked through their first member


def normalize_for_dedup(text: str) -> str:
    """Lowercase and collapse whitespace (what "the same text" means here).

    Examples
    --------
    >>> normalize_for_dedup("  Hello   WORLD ")
    'hello world'
    """
    return _WS.sub(" ", text).strip().lower()


def exact_duplicate_groups(texts: Any, *, normalize: bool = True) -> list[list[int]]:
    """Groups of positions holding the same text (size >= 2), largest group first.

    Missing and blank cells are never duplicates of each other. (``find_duplicates`` is
    the deprecated old name: in labelwise a ``find_*duplicates`` function returns a table
    of pairs, a ``*_groups`` function lists groups.)

    Examples
    --------
    >>> exact_duplicate_groups(["a b", "A  b", "c", "a b"])
    [[0, 1, 3]]
    """
    from labelwise.text.clean import prepare_texts

    p = prepare_texts(texts, non_string="coerce")
    groups: dict[str, list[int]] = {}
    for i, (t, ok) in enumerate(zip(p.texts, p.valid, strict=True)):
        if ok:
            groups.setdefault(normalize_for_dedup(t) if normalize else t, []).append(i)
    out = [g for g in groups.values() if len(g) > 1]
    out.sort(key=lambda g: (-len(g), g[0]))
    return out


def _shingle_matrix(texts: list[str], shingle: int) -> Any:
    """Binary CSR matrix (n, n_distinct_shingles) of each text's character ``shingle``-grams.

    Shingles are hashed in numpy, not Python: all texts are laid end to end as UTF-32 code
    points, a polynomial rolling hash (64-bit, wrapping) is computed at every position at
    once, positions whose window crosses into the next text are dropped, and the hashes are
    renumbered ``0..d-1``.
    """
    import scipy.sparse as sp

    n = len(texts)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n)
    codes = np.frombuffer(
        "".join(texts).encode("utf-32-le", errors="replace"), dtype=np.uint32
    ).astype(np.uint64)
    m = codes.shape[0] - shingle + 1
    if m <= 0:
        empty: Any = sp.csr_matrix((n, 1), dtype=np.float32)
        empty.shingle_keys = np.zeros(1, dtype=np.uint64)
        return empty
    h = np.zeros(m, dtype=np.uint64)
    base = np.uint64(1_000_003)
    with np.errstate(over="ignore"):
        for k in range(shingle):
            h = h * base + codes[k : k + m]
    ends = np.cumsum(lengths)
    doc = np.repeat(np.arange(n), lengths)[:m]
    valid = np.arange(m) + shingle <= ends[doc]
    h, doc = h[valid], doc[valid]
    uniq, ids = np.unique(h, return_inverse=True)
    X: Any = sp.csr_matrix(
        (np.ones(ids.shape[0], dtype=np.float32), (doc, ids.ravel())),
        shape=(n, max(int(uniq.shape[0]), 1)),
    )
    X.sum_duplicates()
    X.data[:] = 1.0
    X.sort_indices()
    # MinHash permutes these well-mixed 64-bit keys rather than the column numbers.
    X.shingle_keys = _mix64(uniq)
    return X


def _mix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer: spreads every input bit over every output bit."""
    z = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def choose_bands(num_perm: int, threshold: float, *, recall: float = 0.99) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands * rows == num_perm``: the longest bands (fewest false
    candidates) that still make a pair *at* ``threshold`` a candidate with probability
    ``recall``. Candidates are verified exactly afterwards, so extra ones only cost time.

    Examples
    --------
    >>> choose_bands(64, 0.8)
    (16, 4)
    >>> choose_bands(64, 0.5)
    (32, 2)
    """
    if not 0 < threshold <= 1:
        raise LabelwiseError(f"threshold must be in (0, 1], got {threshold}")
    best = (num_perm, 1)
    for r in range(1, num_perm + 1):
        if num_perm % r:
            continue
        b = num_perm // r
        if 1.0 - (1.0 - threshold**r) ** b >= recall:
            best = (b, r)
    return best


def minhash_signatures(
    texts: Any, *, num_perm: int = 64, shingle: int = 5, seed: int = 0
) -> np.ndarray:
    """MinHash signatures of the character ``shingle``-grams of each text.

    Parameters
    ----------
    texts : sequence of str, length n
        Already normalized texts (see :func:`normalize_for_dedup`).
    num_perm : int
        Signature length.
    shingle : int
        Characters per shingle.
    seed : int
        Seeds the hash permutations.

    Returns
    -------
    ndarray of uint64, shape (n, num_perm)
        Texts shorter than ``shingle`` get all-max rows (they match nothing).

    Examples
    --------
    >>> s = minhash_signatures(["hello world", "hello world", "other text"], num_perm=8)
    >>> bool((s[0] == s[1]).all()), bool((s[0] == s[2]).all())
    (True, False)
    """
    X = _shingle_matrix(list(texts), shingle)
    return _signatures_from_matrix(X, num_perm=num_perm, seed=seed)


def _signatures_from_matrix(X: Any, *, num_perm: int, seed: int) -> np.ndarray:
    n = X.shape[0]
    rng = np.random.default_rng(seed)
    # Multiply-add-shift hashing of the 64-bit shingle keys: ((a * x + b) mod 2**64) >> 32
    # with odd a is a cheap near-universal family; uint64 arithmetic wraps, which is exactly
    # the "mod 2**64".
    a = rng.integers(0, np.iinfo(np.uint64).max, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, np.iinfo(np.uint64).max, size=num_perm, dtype=np.uint64)
    sig = np.full((n, num_perm), np.iinfo(np.uint64).max, dtype=np.uint64)
    indptr = X.indptr
    nonempty = np.flatnonzero(np.diff(indptr) > 0)
    if nonempty.size == 0:
        return sig
    starts = indptr[nonempty]
    ids = X.shingle_keys[X.indices]
    shift = np.uint64(32)
    with np.errstate(over="ignore"):
        for p in range(num_perm):
            h = (a[p] * ids + b[p]) >> shift
            sig[nonempty, p] = np.minimum.reduceat(h, starts)
    return sig


@lru_cache(maxsize=_MAX_BUCKET_PAIRS + 1)
def _triu(n: int) -> tuple[np.ndarray, np.ndarray]:
    ii, jj = np.triu_indices(n, k=1)
    return ii, jj


def _jaccard(X: Any, I: np.ndarray, J: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    out = np.empty(len(I), dtype=np.float64)
    step = 200_000
    for s in range(0, len(I), step):
        i, j = I[s : s + step], J[s : s + step]
        inter = np.asarray(X[i].multiply(X[j]).sum(axis=1)).ravel()
        union = sizes[i] + sizes[j] - inter
        out[s : s + step] = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return out


def find_near_duplicates(
    texts: Any,
    *,
    threshold: float = 0.8,
    num_perm: int = 64,
    shingle: int = 5,
    seed: int = 0,
    include_exact: bool = False,
) -> Any:
    """Pairs of texts whose character-shingle Jaccard similarity is at least ``threshold``.

    Parameters
    ----------
    texts : sequence of str, length n
        Missing, blank and non-string cells are handled by
        :func:`~labelwise.text.prepare_texts` (blank ones never match).
    threshold : float
        Minimum Jaccard similarity, in (0, 1].
    num_perm : int
        MinHash signature length (more = better recall, slower).
    shingle : int
        Characters per shingle.
    seed : int
        Seeds the MinHash permutations.
    include_exact : bool
        Also list pairs that are identical after normalization (by default those are
        reported by :func:`find_duplicates` and only one copy takes part here).

    Returns
    -------
    pandas.DataFrame
        Columns ``i``, ``j`` (positions, ``i < j``) and ``similarity``, sorted by
        similarity (highest first).

    Examples
    --------
    >>> df = find_near_duplicates(["WIN a prize now, call 0800", "win a prize now! call 0800",
    ...                            "see you later"], threshold=0.6)
    >>> df[["i", "j"]].values.tolist()
    [[0, 1]]
    """
    import pandas as pd

    from labelwise.text.clean import prepare_texts

    if num_perm < 2:
        raise LabelwiseError(f"num_perm must be at least 2, got {num_perm}")
    if shingle < 1:
        raise LabelwiseError(f"shingle must be at least 1 character, got {shingle}")
    bands, rows = choose_bands(num_perm, threshold)
    p = prepare_texts(texts, non_string="coerce")
    norm = [normalize_for_dedup(t) if ok else "" for t, ok in zip(p.texts, p.valid, strict=True)]
    # One representative per distinct normalized text.
    first: dict[str, int] = {}
    exact_pairs: list[tuple[int, int]] = []
    reps: list[int] = []
    for i, t in enumerate(norm):
        if not t:
            continue
        if t in first:
            exact_pairs.append((first[t], i))
        else:
            first[t] = i
            reps.append(i)
    empty = pd.DataFrame(
        {
            "i": pd.Series([], dtype="int64"),
            "j": pd.Series([], dtype="int64"),
            "similarity": pd.Series([], dtype="float64"),
        }
    )
    rep_arr = np.asarray(reps, dtype=np.int64)
    frames = []
    if include_exact and exact_pairs:
        ep = np.asarray(exact_pairs, dtype=np.int64)
        frames.append(pd.DataFrame({"i": ep[:, 0], "j": ep[:, 1], "similarity": 1.0}))
    if len(reps) >= 2:
        X = _shingle_matrix([norm[i] for i in reps], shingle)
        sizes = np.diff(X.indptr).astype(np.float64)
        sig = _signatures_from_matrix(X, num_perm=num_perm, seed=seed)
        has = sizes > 0
        cand_i: list[np.ndarray] = []
        cand_j: list[np.ndarray] = []
        for band in range(bands):
            block = np.ascontiguousarray(sig[:, band * rows : (band + 1) * rows])
            keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
            _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
            shared = (counts[inverse] > 1) & has
            if not shared.any():
                continue
            members = np.flatnonzero(shared)
            order = members[np.argsort(inverse[members], kind="stable")]
            bucket_of = inverse[order]
            starts = np.flatnonzero(np.r_[True, bucket_of[1:] != bucket_of[:-1]])
            lens = np.diff(np.r_[starts, order.shape[0]])
            pairs_of_two = starts[lens == 2]  # most buckets: one pair, no Python loop
            cand_i.append(order[pairs_of_two])
            cand_j.append(order[pairs_of_two + 1])
            for st, ln in zip(starts[lens > 2].tolist(), lens[lens > 2].tolist(), strict=True):
                grp = order[st : st + ln]
                if ln <= _MAX_BUCKET_PAIRS:
                    ii, jj = _triu(ln)
                    cand_i.append(grp[ii])
                    cand_j.append(grp[jj])
                else:  # link a huge bucket through its first member: linear, not quadratic
                    cand_i.append(np.full(ln - 1, grp[0]))
                    cand_j.append(grp[1:])
        if cand_i:
            I = np.concatenate(cand_i)
            J = np.concatenate(cand_j)
            lo, hi = np.minimum(I, J), np.maximum(I, J)
            code = np.unique(lo.astype(np.int64) * len(reps) + hi)
            lo, hi = code // len(reps), code % len(reps)
            sim = _jaccard(X, lo, hi, sizes)
            keep = sim >= threshold
            if keep.any():
                frames.append(
                    pd.DataFrame(
                        {"i": rep_arr[lo[keep]], "j": rep_arr[hi[keep]], "similarity": sim[keep]}
                    )
                )
    if not frames:
        return empty
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["similarity", "i", "j"], ascending=[False, True, True]).reset_index(
        drop=True
    )


def duplicate_groups(n: int, pairs: Any) -> list[list[int]]:
    """Connected components (size >= 2) of the graph on ``0..n-1`` with edges ``pairs``.

    Examples
    --------
    >>> duplicate_groups(5, [(0, 1), (1, 3)])
    [[0, 1, 3]]
    """
    parent = np.arange(n)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = int(parent[root])
        while parent[x] != root:
            parent[x], x = root, int(parent[x])
        return root

    for a, b in pairs:
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for x in range(n):
        groups.setdefault(find(x), []).append(x)
    out = [g for g in groups.values() if len(g) > 1]
    out.sort(key=lambda g: (-len(g), g[0]))
    return out


def near_duplicate_groups(
    texts: Any,
    *,
    threshold: float = 0.8,
    num_perm: int = 64,
    shingle: int = 5,
    seed: int = 0,
) -> list[list[int]]:
    """Groups of positions that are exact or near-duplicates of each other (transitively).

    The options are those of :func:`find_near_duplicates`.

    Examples
    --------
    >>> near_duplicate_groups(["free prize call now", "FREE prize, call now", "hi mum"],
    ...                       threshold=0.5)
    [[0, 1]]
    """
    items = texts.tolist() if hasattr(texts, "tolist") else list(texts)
    pairs = find_near_duplicates(
        items,
        threshold=threshold,
        num_perm=num_perm,
        shingle=shingle,
        seed=seed,
        include_exact=True,
    )
    return duplicate_groups(len(items), zip(pairs["i"].tolist(), pairs["j"].tolist(), strict=True))


def __getattr__(name: str) -> Any:
    if name == "find_duplicates":  # deprecated: groups are *_groups, pairs find_*duplicates
        from labelwise._deprecation import deprecated_function

        return deprecated_function(
            exact_duplicate_groups,
            "labelwise.text.find_duplicates",
            "labelwise.text.exact_duplicate_groups",
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
