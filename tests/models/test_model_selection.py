"""select_label_model, the registry and the public surface of labelwise.models."""

from __future__ import annotations

import numpy as np
import pytest

import labelwise.models
from labelwise.errors import LabelwiseError
from labelwise.models import (
    MODELS,
    DawidSkene,
    MajorityVote,
    MetalModel,
    TripletModel,
    make_label_model,
    select_label_model,
)
from labelwise.models.selection import expected_accuracy, macro_f1


def test_falls_back_to_majority_vote_when_labelers_are_equally_accurate(votes_factory):
    data = votes_factory(3000, [0.7] * 7, k=2, seed=8)
    best = select_label_model(data.L[:600], data.y[:600], L_train=data.L, seed=0)
    assert isinstance(best, MajorityVote)
    report = best.selection_report_
    assert [row["model"] for row in report] == ["mv", "wv", "ds", "snorkel"]
    assert sum(row["selected"] for row in report) == 1 and report[0]["selected"]
    for row in report:
        assert {"accuracy", "macro_f1", "delta_vs_mv", "delta_lower_bound", "fit_seconds"} <= set(
            row
        )
        assert 0.5 < row["accuracy"] <= 1
        assert row["delta_vs_mv"] < 0.02  # nobody is clearly better


def test_picks_a_learned_model_when_accuracies_differ(hetero_binary):
    best = select_label_model(
        hetero_binary.L[:2000], hetero_binary.y[:2000], L_train=hetero_binary.L, seed=0
    )
    assert not isinstance(best, MajorityVote)
    chosen = next(row for row in best.selection_report_ if row["selected"])
    assert chosen["delta_vs_mv"] > 0.005 and chosen["delta_lower_bound"] > 0
    # The returned model is fitted and usable.
    assert best.predict(hetero_binary.L).shape == (len(hetero_binary.y),)


def test_candidates_accept_instances_and_always_include_majority_vote(hetero_binary):
    best = select_label_model(
        hetero_binary.L[:1000],
        hetero_binary.y[:1000],
        candidates=[DawidSkene(max_iter=5)],
        seed=0,
    )
    names = [row["model"] for row in best.selection_report_]
    assert names == ["mv", "ds"]
    assert isinstance(best, (DawidSkene, MajorityVote))


def test_bad_dev_sets_are_reported():
    L = np.array([[0, 1, 1], [1, 1, 0], [0, 0, 1]])
    with pytest.raises(LabelwiseError, match="2 labels but its label matrix has 3 rows"):
        select_label_model(L, [0, 1])
    with pytest.raises(LabelwiseError, match="not a class"):
        select_label_model(L, [0, 1, 2], cardinality=2)
    with pytest.raises(LabelwiseError, match="drop the rows without a gold label"):
        select_label_model(L, [0, -1, 1])
    with pytest.raises(LabelwiseError, match="no dev item has a vote"):
        select_label_model(np.full((3, 3), -1), [0, 1, 1], cardinality=2)
    with pytest.raises(LabelwiseError, match="candidates must be"):
        select_label_model(L, [0, 1, 1], candidates=[42])  # type: ignore[list-item]


def test_scoring_helpers():
    proba = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(expected_accuracy(proba, np.array([0, 2, 1])), [0.5, 1, 1 / 3])
    assert macro_f1(np.array([0, 1, 2]), np.array([0, 1, 2]), 3) == 1.0


def test_registry_and_factory():
    assert set(MODELS) == {"mv", "wv", "ds", "snorkel", "triplet"}
    assert MODELS["snorkel"] is MetalModel
    assert MODELS["triplet"] is TripletModel
    assert {name: cls.name for name, cls in MODELS.items()} == {n: n for n in MODELS}
    model = make_label_model("DS", cardinality=4, seed=1)
    assert isinstance(model, DawidSkene) and model.cardinality == 4 and model.seed == 1
    with pytest.raises(LabelwiseError, match="select_label_model"):
        make_label_model("auto")
    with pytest.raises(LabelwiseError, match="unknown label model 'xgb'"):
        make_label_model("xgb")


def test_public_names_are_exported():
    exported = set(labelwise.models.__all__)
    assert {
        "LabelModel",
        "MajorityVote",
        "WeightedVote",
        "DawidSkene",
        "TripletModel",
        "select_label_model",
        "make_label_model",
        "MODELS",
        "unique_vote_patterns",
        "onehot_votes",
    } <= exported
    for name in exported:
        assert hasattr(labelwise.models, name), name
