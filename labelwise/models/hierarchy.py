"""Hierarchical classes: votes may name a parent class of a class hierarchy.

A :class:`ClassHierarchy` (a tree of class names; ``Taxonomy`` is its deprecated old name
here, kept for one release; :class:`labelwise.llm.Taxonomy` is the LLM prompt taxonomy)
orders its nodes leaves first (``0..k-1``, the classes a final label
can take) and then the internal nodes (``k..K-1``). A label matrix for it holds node
indices, so a labeler that can only tell "animal" from "vehicle" votes the node
``animal`` and one that knows breeds votes ``cat``.

:class:`HierarchicalLabelModel` treats a vote for node ``v`` as the statement "the true
class is one of the leaves under ``v``". Each labeler ``j`` has an accuracy ``a_j``: the
chance that the true leaf is under the node it votes. Fitted by EM (a one-coin Dawid-Skene
model with set-valued votes), so a coarse vote raises all the leaves under it together,
a vote for the root says nothing, and fine and coarse labelers combine. Besides leaf
probabilities it can answer at the deepest node it is sure of (:meth:`predict_node`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labelwise.errors import LabelSpaceError, LabelwiseError
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.models.base import LabelModel, check_label_matrix, softmax_rows
from labelwise.models.patterns import VoteTable

__all__ = ["ClassHierarchy", "HierarchicalLabelModel"]


class ClassHierarchy:
    """A tree (or forest) of class names.

    Parameters
    ----------
    parents : mapping child -> parent (or None for a top-level node)
        Every node that is nobody's parent is a leaf (a final class).

    Attributes
    ----------
    leaves : list of str
        Final classes, in first-appearance order; indices ``0..k-1``.
    nodes : list of str
        Leaves, then internal nodes; indices ``0..K-1`` (the votes of a label matrix).
    leaf_sets : ndarray of shape (K, k), bool
        ``leaf_sets[v, c]``: leaf ``c`` is under (or is) node ``v``.

    Examples
    --------
    >>> tax = ClassHierarchy.from_paths(["animal/cat", "animal/dog", "vehicle/car"])
    >>> tax.leaves, tax.nodes[3:]
    (['cat', 'dog', 'car'], ['animal', 'vehicle'])
    >>> tax.leaf_sets[tax.index("animal")].tolist()
    [True, True, False]
    """

    def __init__(self, parents: Mapping[str, str | None]) -> None:
        parent: dict[str, str | None] = {}
        order: list[str] = []
        for child, par in parents.items():
            child = str(child)
            if child not in parent:
                order.append(child)
            parent[child] = None if par is None else str(par)
            if par is not None and str(par) not in parent:
                parent.setdefault(str(par), None)
                order.append(str(par))
        for child, par in parents.items():
            parent[str(child)] = None if par is None else str(par)
        if not parent:
            raise LabelSpaceError("a taxonomy needs at least two leaf classes")
        for start in parent:  # cycle check
            seen = {start}
            cur = parent[start]
            while cur is not None:
                if cur in seen:
                    raise LabelSpaceError(
                        f"the taxonomy has a cycle through {cur!r}; it must be a tree"
                    )
                seen.add(cur)
                cur = parent[cur]
        has_child = {p for p in parent.values() if p is not None}
        self.parent = parent
        self.leaves: list[str] = [n for n in order if n not in has_child]
        self.internal: list[str] = [n for n in order if n in has_child]
        if len(self.leaves) < 2:
            raise LabelSpaceError(f"a taxonomy needs at least two leaf classes, got {self.leaves}")
        self.nodes: list[str] = self.leaves + self.internal
        self._index = {n: i for i, n in enumerate(self.nodes)}
        K, k = len(self.nodes), len(self.leaves)
        sets = np.zeros((K, k), dtype=bool)
        for c, leaf in enumerate(self.leaves):
            node: str | None = leaf
            while node is not None:
                sets[self._index[node], c] = True
                node = parent[node]
        self.leaf_sets = sets
        self.depth = np.array([len(self.ancestors(n)) for n in self.nodes], dtype=np.int64)

    @classmethod
    def from_paths(cls, paths: Sequence[str], *, sep: str = "/") -> ClassHierarchy:
        """From leaf paths such as ``"animal/cat"`` (top level first)."""
        parents: dict[str, str | None] = {}
        for path in paths:
            parts = [p for p in str(path).split(sep) if p]
            if not parts:
                raise LabelSpaceError(f"empty taxonomy path {path!r}")
            for i, node in enumerate(parts):
                par = parts[i - 1] if i else None
                if node in parents and parents[node] != par:
                    raise LabelSpaceError(
                        f"node {node!r} has two parents ({parents[node]!r} and {par!r}); "
                        "node names must be unique across the taxonomy"
                    )
                parents[node] = par
        return cls(parents)

    @property
    def k(self) -> int:
        """Number of leaf classes."""
        return len(self.leaves)

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def label_space(self) -> LabelSpace:
        """All nodes as a label space (the votes of a hierarchical label matrix)."""
        return LabelSpace(self.nodes)

    @property
    def leaf_space(self) -> LabelSpace:
        """The leaf classes as a label space (the predictions)."""
        return LabelSpace(self.leaves)

    def index(self, name: str) -> int:
        try:
            return self._index[str(name)]
        except KeyError:
            raise LabelSpaceError(
                f"unknown class {name!r}; the taxonomy has nodes {self.nodes}"
            ) from None

    def ancestors(self, name: str) -> list[str]:
        """Parent, grandparent, ... of ``name`` (nearest first)."""
        out = []
        cur = self.parent[self.nodes[self.index(name)]]
        while cur is not None:
            out.append(cur)
            cur = self.parent[cur]
        return out

    def encode(self, names: Sequence[Any]) -> np.ndarray:
        """Node names (``None`` = abstain) to node indices: a list gives shape (n,), a list
        of rows (one per item, one name per labeler) gives shape (n, m)."""
        rows = list(names)
        if rows and all(isinstance(r, (list, tuple, np.ndarray)) for r in rows):
            widths = {len(r) for r in rows}
            if len(widths) != 1:
                raise LabelSpaceError(f"rows of votes have different lengths {sorted(widths)}")
            space = self.label_space
            return np.vstack([space.encode(r, what=f"votes[{i}]") for i, r in enumerate(rows)])
        return self.label_space.encode(rows, what="votes")

    def __repr__(self) -> str:
        return f"ClassHierarchy(leaves={self.leaves}, internal={self.internal})"


class HierarchicalLabelModel(LabelModel):
    """Label model over a taxonomy: votes may name any node, predictions are leaves.

    Parameters
    ----------
    taxonomy : ClassHierarchy
    max_iter : int, default 100
    tol : float, default 1e-6
        Stop when the mean log-likelihood improves by less than this.
    prior_accuracy : float, default 0.7
        Starting accuracy of every labeler, and the value the estimate is shrunk towards.
    prior_strength : float, default 2.0
        Pseudo-votes behind ``prior_accuracy``.
    tie_policy : {"abstain", "random", "prior"}, default "abstain"
    seed : int, optional

    Attributes
    ----------
    accuracies_ : ndarray of shape (m,)
        Chance that the true leaf is under the node a labeler votes (votes for nodes that
        cover every leaf do not count).
    class_prior_ : ndarray of shape (k,)
    n_iter_ : int

    Examples
    --------
    >>> tax = ClassHierarchy.from_paths(["animal/cat", "animal/dog", "vehicle/car"])
    >>> L = tax.encode([["cat", "animal"], ["dog", "animal"], [None, "vehicle"]])
    >>> m = HierarchicalLabelModel(taxonomy=tax).fit(L)
    >>> [tax.leaves[c] for c in m.predict(L)]
    ['cat', 'dog', 'car']
    """

    name = "hierarchical"

    def __init__(
        self,
        *,
        taxonomy: ClassHierarchy,
        max_iter: int = 100,
        tol: float = 1e-6,
        prior_accuracy: float = 0.7,
        prior_strength: float = 2.0,
        tie_policy: str = "abstain",
        seed: int | None = None,
    ) -> None:
        if not isinstance(taxonomy, ClassHierarchy):
            raise LabelwiseError(
                f"taxonomy must be a ClassHierarchy, got {type(taxonomy).__name__}; build one with "
                "ClassHierarchy({'cat': 'animal', ...}) or ClassHierarchy.from_paths(['animal/cat', ...])"
            )
        self.taxonomy = taxonomy
        self.max_iter = max_iter
        self.tol = tol
        self.prior_accuracy = prior_accuracy
        self.prior_strength = prior_strength
        self.tie_policy = tie_policy
        self.seed = seed
        self.cardinality = taxonomy.n_nodes

    def _weights(self, acc: np.ndarray) -> np.ndarray:
        """``(m*K, k)`` log-likelihood of each (labeler, vote) for each true leaf."""
        S = self.taxonomy.leaf_sets.astype(np.float64)
        k = self.taxonomy.k
        a = np.clip(acc, 1e-4, 1 - 1e-4)
        right = np.log(a)[:, None, None] * S[None]
        wrong = np.log((1 - a) / max(k - 1, 1))[:, None, None] * (1 - S[None])
        W = right + wrong
        # a vote covering every leaf carries no information
        W[:, S.all(axis=1), :] = 0.0
        return W.reshape(-1, k)

    def _posterior(
        self, table: VoteTable, acc: np.ndarray, prior: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        scores = table.scores(self._weights(acc)) + np.log(prior)[None, :]
        top = scores.max(axis=1, keepdims=True)
        e = np.exp(scores - top)
        total = e.sum(axis=1, keepdims=True)
        return e / total, (np.log(total) + top).reshape(-1)

    def _fit(self, table: VoteTable, gold: tuple[np.ndarray, np.ndarray] | None) -> None:
        if not 0 < self.prior_accuracy < 1 or self.prior_strength < 0 or self.max_iter < 1:
            raise LabelwiseError(
                "need 0 < prior_accuracy < 1, prior_strength >= 0 and max_iter >= 1; got "
                f"{self.prior_accuracy}, {self.prior_strength}, {self.max_iter}"
            )
        tax = self.taxonomy
        K, k, m = tax.n_nodes, tax.k, table.n_labelers
        S = tax.leaf_sets.astype(np.float64)
        informative = ~S.all(axis=1)
        has_vote = table.has_vote()
        w = table.weights * has_vote
        # start from a soft vote: each vote spreads one unit over its leaves
        share = (S / S.sum(axis=1, keepdims=True))[None].repeat(m, axis=0).reshape(-1, k)
        R = table.scores(share)
        tot = R.sum(axis=1, keepdims=True)
        R = np.divide(R, tot, out=np.full_like(R, 1.0 / k), where=tot > 0)
        acc = np.full(m, float(self.prior_accuracy))
        prior = np.full(k, 1.0 / k)
        ll_prev = -np.inf
        n_iter = 0
        for _ in range(int(self.max_iter)):
            n_iter += 1
            moments = table.moments(R).reshape(m, K, k)  # [j, v, c]
            consistent = np.einsum("jvc,vc->j", moments[:, informative], S[informative])
            total = moments[:, informative].sum(axis=(1, 2))
            acc = (consistent + self.prior_strength * self.prior_accuracy) / (
                total + self.prior_strength
            )
            if gold is not None:
                counts = np.bincount(gold[1][gold[1] < k], minlength=k) + 1.0
                prior = counts / counts.sum()
            else:
                mass = w @ R + 1.0
                prior = mass / mass.sum()
            R, log_norm = self._posterior(table, acc, prior)
            ll = float(w @ log_norm) / max(float(w.sum()), 1.0)
            if ll - ll_prev < self.tol:
                break
            ll_prev = ll
        self.accuracies_ = acc
        self.class_prior_ = prior
        self.n_iter_ = n_iter

    def _predict_proba(self, table: VoteTable) -> np.ndarray:
        proba, _ = self._posterior(table, self.accuracies_, self.class_prior_)
        proba[~table.has_vote()] = self.class_prior_
        return softmax_rows(np.log(np.maximum(proba, 1e-300)))

    def predict_node(self, L: Any, *, min_confidence: float = 0.8) -> np.ndarray:
        """The deepest node whose leaves together hold at least ``min_confidence``.

        A sure "cat" returns ``cat``; torn between cat and dog but sure it is an animal,
        returns ``animal``; ``ABSTAIN`` where nobody voted or no node is that sure.

        Returns
        -------
        ndarray of shape (n,)
            Node indices (``taxonomy.nodes``).
        """
        votes, _ = check_label_matrix(
            L, cardinality=self.cardinality_, n_labelers=self.n_labelers_, allow_empty=True
        )
        proba = self.predict_proba(votes)
        mass = proba @ self.taxonomy.leaf_sets.T.astype(np.float64)  # (n, K)
        ok = mass >= min_confidence - 1e-12
        depth = self.taxonomy.depth.astype(np.float64)
        key = np.where(ok, depth[None, :] * 2.0 + mass, -np.inf)
        out = np.where(ok.any(axis=1), key.argmax(axis=1), ABSTAIN)
        out[~(votes != ABSTAIN).any(axis=1)] = ABSTAIN
        return out.astype(np.int64)


def __getattr__(name: str) -> Any:
    if name == "Taxonomy":  # deprecated: one Taxonomy in labelwise (labelwise.llm.Taxonomy)
        from labelwise._deprecation import warn_deprecated

        warn_deprecated("labelwise.models.Taxonomy", "labelwise.models.ClassHierarchy")
        return ClassHierarchy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
