"""The closed-form triplet model: accuracies, class balance, copies, edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from labelwise.models import MajorityVote, TripletModel, VoteTable, agreement_stats


def test_agreement_stats_literal():
    L = np.array([[0, 0, -1], [1, 0, 1], [1, 1, 1], [-1, 1, 0]])
    stats = agreement_stats(VoteTable.from_votes(L, 2))
    assert stats.covotes.astype(int).tolist() == [[3, 3, 2], [3, 4, 3], [2, 3, 3]]
    assert stats.agreements.astype(int).tolist() == [[3, 2, 2], [2, 4, 1], [2, 1, 3]]
    assert stats.class_votes.astype(int).tolist() == [[1, 2], [2, 2], [1, 2]]
    stats3 = agreement_stats(VoteTable.from_votes(L, 3))
    np.testing.assert_array_equal(stats3.agreements, stats.agreements)


def test_recovers_class_balance(votes_factory):
    data = votes_factory(30_000, [0.9, 0.8, 0.75, 0.7, 0.65], k=3, prior=[0.6, 0.3, 0.1], seed=4)
    model = TripletModel().fit(data.L)
    np.testing.assert_allclose(model.class_prior_, [0.6, 0.3, 0.1], atol=0.03)
    np.testing.assert_allclose(model.accuracies_, data.accuracies, atol=0.03)
    np.testing.assert_allclose(model.confusion_matrices_.sum(axis=2), 1.0)


def test_adversarial_labeler_gets_a_negative_weight(votes_factory):
    data = votes_factory(20_000, [0.85, 0.8, 0.75, 0.2], k=2, seed=5)
    model = TripletModel().fit(data.L)
    assert model.accuracies_[3] < 0.35 and model.weights_[3] < 0
    assert np.all(model.weights_[:3] > 0)


def test_detects_and_discounts_copied_labelers(votes_factory):
    data = votes_factory(20_000, [0.6, 0.62, 0.65, 0.7, 0.85], k=2, seed=6)
    # Two more columns that copy the weakest labeler on 95% of the items.
    rng = np.random.default_rng(0)
    copies = []
    for _ in range(2):
        col = data.L[:, 0].copy()
        own = rng.random(len(col)) >= 0.95
        col[own] = data.L[own, 1]
        copies.append(col)
    L = np.column_stack([data.L, *copies])
    model = TripletModel().fit(L)
    assert model.dependency_[0, 5] > 0.5 and model.dependency_[5, 6] > 0.5
    assert model.dependency_[2, 3] == 0
    # The three near-identical columns together weigh about one labeler, not three.
    naive_model = TripletModel(correct_dependencies=False).fit(L)
    assert np.all(naive_model.dependency_ == 0)
    one_labeler = naive_model.weights_[0]
    assert model.weights_[[0, 5, 6]].sum() < 1.5 * one_labeler
    np.testing.assert_allclose(model.accuracies_[1:5], data.accuracies[1:5], atol=0.05)
    covered = (L != -1).any(axis=1)
    fixed = np.mean(model.predict(L)[covered] == data.y[covered])
    naive = naive_model.predict(L)
    mv = MajorityVote(tie_policy="random", seed=0).fit(L).predict(L)
    assert fixed > np.mean(naive[covered] == data.y[covered])
    assert fixed > np.mean(mv[covered] == data.y[covered])


def test_too_few_labelers_warns_but_works():
    L = np.array([[0, 0], [1, 1], [0, 1], [1, 1]] * 10)
    with pytest.warns(UserWarning, match="at least 3"):
        model = TripletModel().fit(L)
    assert np.all(np.isfinite(model.predict_proba(L)))


def test_no_overlap_falls_back_to_default_accuracy():
    # Labelers never vote on the same item: nothing to compare.
    L = np.full((90, 3), -1)
    for j in range(3):
        L[j * 30 : (j + 1) * 30, j] = np.arange(30) % 2
    model = TripletModel(default_accuracy=0.8).fit(L)
    np.testing.assert_allclose(model.accuracies_, 0.8)
    assert np.all(np.isfinite(model.predict_proba(L)))
