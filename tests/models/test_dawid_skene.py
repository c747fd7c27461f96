"""Dawid-Skene recovers class-conditional confusion matrices and class balance."""

from __future__ import annotations

import numpy as np
import pytest

from labelwise.models import DawidSkene, MajorityVote, TripletModel


def asymmetric_votes(n=20_000, seed=3):
    """Binary, 70/30 classes; labelers good on one class and poor on the other."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    # confusion[j, c, v] = P(vote v | class c)
    recalls = [(0.95, 0.6), (0.6, 0.95), (0.9, 0.9), (0.8, 0.7), (0.7, 0.8)]
    L = np.full((n, len(recalls)), -1)
    for j, (r0, r1) in enumerate(recalls):
        voted = rng.random(n) < 0.7
        right = rng.random(n) < np.where(y == 0, r0, r1)
        L[voted, j] = np.where(right, y, 1 - y)[voted]
    confusion = np.array([[[r0, 1 - r0], [1 - r1, r1]] for r0, r1 in recalls])
    return L, y, confusion


def test_recovers_confusion_matrices_and_prior():
    L, y, confusion = asymmetric_votes()
    model = DawidSkene().fit(L)
    np.testing.assert_allclose(model.confusion_matrices_, confusion, atol=0.03)
    np.testing.assert_allclose(model.class_prior_, [0.7, 0.3], atol=0.02)
    np.testing.assert_allclose(model.confusion_matrices_.sum(axis=2), 1.0)
    assert model.converged_ and model.n_iter_ < 100
    covered = (L != -1).any(axis=1)
    ds_acc = np.mean(model.predict(L)[covered] == y[covered])
    mv_acc = np.mean(
        MajorityVote(tie_policy="random", seed=0).fit(L).predict(L)[covered] == y[covered]
    )
    # Class-conditional confusions matter here; a one-coin model cannot express them.
    one_coin = np.mean(TripletModel().fit(L).predict(L)[covered] == y[covered])
    assert ds_acc > mv_acc + 0.01 and ds_acc >= one_coin


def test_gold_labels_fix_the_class_prior():
    L, y, _ = asymmetric_votes(n=5000)
    model = DawidSkene().fit(L, y_dev=y)
    np.testing.assert_allclose(model.class_prior_, np.bincount(y) / len(y), atol=1e-3)


def test_accuracies_are_expected_share_correct(hetero_four):
    model = DawidSkene().fit(hetero_four.L)
    np.testing.assert_allclose(model.accuracies_, hetero_four.accuracies, atol=0.03)


def test_invalid_options_are_reported():
    L = np.array([[0, 1], [1, 1]])
    with pytest.raises(ValueError, match="max_iter >= 1"):
        DawidSkene(max_iter=0).fit(L)
    with pytest.raises(ValueError, match="init must be 'majority'"):
        DawidSkene(init="random").fit(L)
