"""Pattern compression and one-hot arithmetic agree with brute force."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import labelwise.models.base
import labelwise.models.dawid_skene
import labelwise.models.majority
import labelwise.models.patterns
import labelwise.models.registry
import labelwise.models.selection
import labelwise.models.triplet
from labelwise.models import VoteTable, onehot_votes, unique_vote_patterns
from labelwise.models.dawid_skene import fit_dawid_skene
from labelwise.models.patterns import vote_counts, vote_gram, vote_scores, weighted_vote_scores
from labelwise.models.triplet import agreement_stats


def random_votes(n, m, k, *, coverage=0.4, seed=0):
    rng = np.random.default_rng(seed)
    L = rng.integers(0, k, size=(n, m)).astype(np.int8)
    L[rng.random((n, m)) > coverage] = -1
    return L


def dense_onehot(L, k):
    n, m = L.shape
    X = np.zeros((n, m * k))
    for j in range(m):
        voted = L[:, j] >= 0
        X[np.flatnonzero(voted), j * k + L[voted, j]] = 1
    return X


@pytest.mark.parametrize(
    ("m", "k"),
    [(3, 2), (10, 2), (12, 4), (30, 3), (50, 2)],
    ids=["bincount", "bincount10", "sort", "wide-sort", "multi-block"],
)
def test_unique_vote_patterns_roundtrip(m, k):
    L = random_votes(3000, m, k, coverage=0.1 if m >= 30 else 0.4)
    L = np.vstack([L, L[:500]])  # guaranteed repeats
    patterns, counts, inverse = unique_vote_patterns(L, cardinality=k)
    np.testing.assert_array_equal(patterns[inverse], L)
    assert counts.sum() == L.shape[0]
    assert np.array_equal(np.bincount(inverse, minlength=len(patterns)), counts)
    assert len(np.unique(patterns, axis=0)) == len(patterns)
    assert patterns.dtype == L.dtype


def test_unique_vote_patterns_literal_and_edge_cases():
    patterns, counts, inverse = unique_vote_patterns(np.array([[1, -1], [0, 0], [1, -1]]))
    assert patterns.tolist() == [[0, 0], [1, -1]]
    assert counts.tolist() == [1, 2] and inverse.tolist() == [1, 0, 1]
    p, c, i = unique_vote_patterns(np.zeros((0, 3), dtype=np.int8), cardinality=2)
    assert p.shape == (0, 3) and c.size == 0 and i.size == 0


def test_onehot_votes_matches_dense():
    L = random_votes(500, 7, 3)
    X = onehot_votes(L, cardinality=3)
    assert X.shape == (500, 21) and X.nnz == np.count_nonzero(L >= 0)
    np.testing.assert_array_equal(X.toarray(), dense_onehot(L, 3))


@pytest.mark.parametrize("k", [2, 3])
def test_scores_counts_and_gram_match_dense(k):
    L = random_votes(4000, 9, k)
    X = dense_onehot(L, k)
    rng = np.random.default_rng(1)
    W = rng.normal(size=(9 * k, k))
    np.testing.assert_allclose(vote_scores(L, k, W), X @ W, rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(vote_counts(L, k), X @ np.tile(np.eye(k), (9, 1)))
    np.testing.assert_array_equal(vote_gram(L, k), X.T @ X)
    w = rng.normal(size=9)
    scores, n_votes = weighted_vote_scores(L, k, w)
    np.testing.assert_allclose(scores, X @ np.kron(w[:, None], np.eye(k)), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(n_votes, (L >= 0).sum(axis=1))


def test_vote_table_strategies_agree():
    L = random_votes(3000, 6, 3)
    patterns = VoteTable.from_votes(L, 3, strategy="patterns")
    sparse = VoteTable.from_votes(L, 3, strategy="sparse")
    assert patterns.n_rows < sparse.n_rows == 3000
    np.testing.assert_allclose(patterns.gram(), sparse.gram())
    np.testing.assert_allclose(patterns.coverage(), sparse.coverage())
    R = np.random.default_rng(0).random((3000, 3))
    # moments of per-item values only agree when the values are per pattern; use the
    # E-step posterior of a fitted model instead, which is a function of the pattern.
    fit_p = fit_dawid_skene(patterns)
    fit_s = fit_dawid_skene(sparse)
    np.testing.assert_allclose(fit_p.confusion, fit_s.confusion, atol=1e-5)
    np.testing.assert_allclose(patterns.expand(fit_p.posterior), fit_s.posterior, atol=1e-5)
    stats_p, stats_s = agreement_stats(patterns), agreement_stats(sparse)
    np.testing.assert_allclose(stats_p.agreements, stats_s.agreements)
    np.testing.assert_allclose(stats_p.class_votes, stats_s.class_votes)
    assert R.shape == (3000, 3)


def test_vote_table_auto_choice():
    few = random_votes(20_000, 4, 2)  # at most 3**4 = 81 patterns
    many = random_votes(20_000, 60, 2, coverage=0.5)  # every row distinct
    assert VoteTable.from_votes(few, 2).strategy == "patterns"
    assert VoteTable.from_votes(many, 2).strategy == "sparse"
    table = VoteTable.from_votes(many, 2)
    assert table.design().shape == (20_000, 120)  # sparse one-hot, not dense


@pytest.mark.parametrize(
    "module",
    [
        labelwise.models.base,
        labelwise.models.dawid_skene,
        labelwise.models.majority,
        labelwise.models.patterns,
        labelwise.models.registry,
        labelwise.models.selection,
        labelwise.models.triplet,
    ],
    ids=lambda mod: mod.__name__.rsplit(".", 1)[-1],
)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
