"""Exact behaviour of majority and weighted vote on tiny literal matrices."""

from __future__ import annotations

import numpy as np
import pytest

from labelwise.errors import LabelwiseError
from labelwise.models import (
    MajorityVote,
    WeightedVote,
    break_ties,
    majority_vote,
    majority_vote_proba,
)

# 6 items x 3 labelers, binary.
L6 = np.array(
    [
        [0, 0, 1],  # 2-1 for class 0
        [1, 1, -1],  # 2-0 for class 1
        [0, 1, -1],  # tie
        [-1, -1, -1],  # nobody voted
        [1, -1, -1],  # single vote
        [0, 1, -1],  # tie again
    ]
)


def test_majority_vote_labels_and_abstains():
    assert majority_vote(L6).tolist() == [0, 1, -1, -1, 1, -1]


def test_majority_vote_shares():
    proba = majority_vote_proba(L6, cardinality=2)
    np.testing.assert_allclose(
        proba, [[2 / 3, 1 / 3], [0, 1], [0.5, 0.5], [0.5, 0.5], [0, 1], [0.5, 0.5]]
    )
    with_prior = majority_vote_proba(L6, cardinality=2, class_prior=[0.2, 0.8])
    np.testing.assert_allclose(with_prior[3], [0.2, 0.8])


def test_tie_policy_prior_uses_given_or_estimated_prior():
    given = MajorityVote(tie_policy="prior", class_prior=[0.9, 0.1]).fit(L6)
    assert given.predict(L6).tolist() == [0, 1, 0, -1, 1, 0]
    # Estimated from the vote shares: class 1 has 5 of 9 votes.
    estimated = MajorityVote(tie_policy="prior").fit(L6)
    assert estimated.class_prior_[1] > estimated.class_prior_[0]
    assert estimated.predict(L6).tolist() == [0, 1, 1, -1, 1, 1]


def test_tie_policy_random_is_seeded_and_only_touches_ties():
    draws = {
        tuple(MajorityVote(tie_policy="random", seed=s).fit(L6).predict(L6)) for s in range(30)
    }
    assert len(draws) > 1  # the two tied rows vary with the seed
    for draw in draws:
        assert draw[0] == 0 and draw[1] == 1 and draw[3] == -1 and draw[4] == 1
        assert draw[2] in (0, 1) and draw[5] in (0, 1)
    model = MajorityVote(tie_policy="random", seed=3).fit(L6)
    assert model.predict(L6).tolist() == model.predict(L6).tolist()


def test_per_call_tie_policy_override():
    model = MajorityVote().fit(L6)
    assert model.predict(L6, tie_policy="prior")[2] in (0, 1)
    with pytest.raises(LabelwiseError, match="tie_policy"):
        model.predict(L6, tie_policy="coin")


def test_multiclass_tie_between_subset_of_classes():
    L = np.array([[0, 1, 2, 2, 1], [3, 3, 3, -1, -1]])
    model = MajorityVote(cardinality=4, tie_policy="prior", class_prior=[0.1, 0.2, 0.6, 0.1])
    assert model.fit(L).predict(L).tolist() == [2, 3]
    assert MajorityVote(cardinality=4).fit(L).predict(L).tolist() == [-1, 3]


def test_break_ties_random_picks_only_tied_classes():
    proba = np.tile([0.4, 0.0, 0.4, 0.2], (2000, 1))
    picks = break_ties(proba, "random", rng=np.random.default_rng(0))
    assert set(picks.tolist()) == {0, 2}
    assert 0.4 < np.mean(picks == 0) < 0.6


def test_majority_vote_accuracy_estimates_leave_the_labeler_out():
    # Labeler 2 always disagrees with labelers 0 and 1, who always agree.
    L = np.array([[0, 0, 1], [1, 1, 0], [0, 0, 1], [1, 1, 0]])
    acc = MajorityVote().fit(L).accuracies_
    # Labeler 2 never agrees with the others' majority: (0 + 1) / (4 + 2) after smoothing.
    assert acc[2] == pytest.approx(1 / 6)
    # Labelers 0 and 1 each face a 1-1 tie among the others: half credit on 4 items.
    assert acc[0] == pytest.approx((2 + 1) / (4 + 2)) == acc[1]


def test_weighted_vote_with_given_weights():
    L = np.array([[0, 1, 1], [1, 0, 0], [0, 0, 1], [-1, -1, -1]])
    model = WeightedVote(weights=[3.0, 1.0, 1.0]).fit(L)
    assert model.predict(L).tolist() == [0, 1, 0, -1]
    proba = model.predict_proba(L)
    np.testing.assert_allclose(proba[0], [np.exp(3) / (np.exp(3) + np.exp(2)), 1 / (1 + np.e)])
    np.testing.assert_allclose(proba[3], [0.5, 0.5])
    with pytest.raises(LabelwiseError, match="weights has 2 entries but L has 3 labelers"):
        WeightedVote(weights=[1.0, 2.0]).fit(L)


def test_weighted_vote_learns_from_gold_and_outvotes_the_majority():
    # Labeler 0 is always right; labelers 1 and 2 always wrong together.
    y = np.array([0, 1, 0, 1, 0, 1, 1, 0])
    L = np.stack([y, 1 - y, 1 - y], axis=1)
    assert MajorityVote().fit(L).score(L, y) == 0.0
    model = WeightedVote(smoothing=0.5).fit(L, y_dev=y)
    assert model.weights_[0] > 0 > model.weights_[1]
    assert model.score(L, y) == 1.0


def test_weighted_vote_gold_from_separate_dev_matrix():
    L_train = np.array([[0, 0, 1], [1, 1, 0], [0, 1, 1]])
    L_dev = np.array([[0, 1, 1], [1, 0, 0]])
    model = WeightedVote().fit(L_train, L_dev=L_dev, y_dev=[0, 1])
    assert model.accuracies_[0] > model.accuracies_[1]
    with pytest.raises(LabelwiseError, match="L_dev was given without y_dev"):
        WeightedVote().fit(L_train, L_dev=L_dev)


def test_score_counts_abstentions_as_wrong():
    y = np.array([0, 1, 0, 0, 1, 1])
    # Rows 0, 1, 4 right; ties and the empty row abstain.
    assert MajorityVote().fit(L6).score(L6, y) == pytest.approx(3 / 6)
