"""Multi-label votes and hierarchical (taxonomy) votes in the label models."""

from __future__ import annotations

import numpy as np
import pytest

from labelwise.errors import LabelMatrixError, LabelSpaceError, LabelwiseError
from labelwise.labeling import ABSTAIN, LabelMatrix
from labelwise.models.hierarchy import ClassHierarchy, HierarchicalLabelModel
from labelwise.models.multilabel import (
    MultiLabelModel,
    check_multilabel_votes,
    multilabel_from_label_matrix,
    multilabel_votes,
)

LABELS = ["sports", "politics", "tech"]


def _simulate_multilabel(n: int = 500, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Items with independent labels; annotators tick every label that applies, with
    per-annotator error rates, and skip some items."""
    rng = np.random.default_rng(seed)
    truth = rng.random((n, 3)) < np.array([0.3, 0.5, 0.2])
    accs = [0.95, 0.9, 0.85, 0.6]
    V = np.full((n, len(accs), 3), ABSTAIN, dtype=np.int8)
    for j, acc in enumerate(accs):
        flip = rng.random((n, 3)) > acc
        said = np.where(flip, ~truth, truth).astype(np.int8)
        looked = rng.random(n) < 0.8
        V[looked, j, :] = said[looked]
    return V, truth.astype(int), accs


def test_votes_from_sets_and_from_a_label_matrix() -> None:
    V = multilabel_votes([[{"sports"}, None], [{"politics", "tech"}, "tech"]], LABELS)
    assert V.shape == (2, 2, 3)
    assert V[0, 0].tolist() == [1, 0, 0] and V[0, 1].tolist() == [-1, -1, -1]
    assert V[1, 1].tolist() == [0, 0, 1]
    rules = multilabel_votes([[{"sports"}], [set()]], LABELS, unlisted="abstain")
    assert rules[0, 0].tolist() == [1, -1, -1] and rules[1, 0].tolist() == [-1, -1, -1]
    L = LabelMatrix([[0, 2], [-1, 1]], cardinality=3)
    M = multilabel_from_label_matrix(L)
    assert M[0, 1].tolist() == [-1, -1, 1]
    assert multilabel_from_label_matrix(L, others="absent")[0, 1].tolist() == [0, 0, 1]
    with pytest.raises(LabelwiseError, match="'weather', which is not one of"):
        multilabel_votes([[{"weather"}]], LABELS)
    with pytest.raises(LabelMatrixError, match="3-D"):
        check_multilabel_votes(np.zeros((2, 3)))
    with pytest.raises(LabelMatrixError, match=r"V\[0, 0, 1\] = 2"):
        check_multilabel_votes(np.array([[[0, 2]]]))


@pytest.mark.parametrize("base", ["dawid_skene", "majority"])
def test_multilabel_model_recovers_labels(base: str) -> None:
    V, truth, _ = _simulate_multilabel()
    model = MultiLabelModel(base=base, label_names=LABELS).fit(V)
    pred = model.predict(V)
    voted = pred != ABSTAIN
    acc = np.mean(pred[voted] == truth[voted])
    # a tie between two annotators sits exactly at the 0.5 threshold for majority vote
    assert acc > (0.93 if base == "dawid_skene" else 0.88), f"{base}: per-label accuracy {acc:.3f}"
    proba = model.predict_proba(V)
    assert proba.shape == (500, 3) and np.all((proba >= 0) & (proba <= 1))
    if base == "dawid_skene":  # vote shares are pulled towards 0.5 by noisy annotators
        assert np.allclose(model.label_prior_, truth.mean(axis=0), atol=0.06)
    sets = model.predict_sets(V)
    assert all(set(s) <= set(LABELS) for s in sets)


def test_multilabel_accuracies_find_the_weak_annotator() -> None:
    V, _, accs = _simulate_multilabel(seed=1)
    model = MultiLabelModel(base="dawid_skene").fit(V)
    assert model.accuracies_.shape == (3, 4)
    assert np.all(np.argmin(model.accuracies_, axis=1) == 3)
    assert np.allclose(model.accuracies_.mean(axis=0), accs, atol=0.07)


def test_positive_only_rules() -> None:
    """Rules that only ever say "present": evidence counts, silence means absent."""
    L = np.array([[0, 0], [0, -1], [-1, -1], [1, 1]])
    V = multilabel_from_label_matrix(L, n_labels=3)
    model = MultiLabelModel().fit(V)
    assert model.modes_ == ["positive_only", "positive_only", "no_votes"]
    assert model.predict_proba(V)[:, 0].tolist() == [1.0, 1.0, 0.0, 0.0]
    pred = model.predict(V)
    assert pred[2].tolist() == [ABSTAIN, ABSTAIN, ABSTAIN]
    with pytest.raises(LabelMatrixError, match="fitted on 2"):
        model.predict(V[:, :1])


def test_custom_base_factory() -> None:
    from labelwise.models.majority import WeightedVote

    V, truth, _ = _simulate_multilabel(seed=2)
    model = MultiLabelModel(base=lambda: WeightedVote(cardinality=2)).fit(V)
    pred = model.predict(V)
    voted = pred != ABSTAIN
    assert np.mean(pred[voted] == truth[voted]) > 0.9
    with pytest.raises(LabelwiseError, match="base='snorkel2'"):
        MultiLabelModel(base="snorkel2").fit(V)


# ---------------------------------------------------------------------- hierarchy
@pytest.fixture
def taxonomy() -> ClassHierarchy:
    return ClassHierarchy.from_paths(
        ["animal/mammal/cat", "animal/mammal/dog", "animal/bird", "vehicle/car", "vehicle/bike"]
    )


def test_taxonomy_structure(taxonomy: ClassHierarchy) -> None:
    assert taxonomy.leaves == ["cat", "dog", "bird", "car", "bike"]
    assert set(taxonomy.internal) == {"animal", "mammal", "vehicle"}
    assert taxonomy.ancestors("cat") == ["mammal", "animal"]
    assert taxonomy.leaf_sets[taxonomy.index("mammal")].tolist() == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert taxonomy.label_space.k == 8
    same = ClassHierarchy(
        {
            "cat": "mammal",
            "dog": "mammal",
            "mammal": "animal",
            "bird": "animal",
            "car": "vehicle",
            "bike": "vehicle",
        }
    )
    assert sorted(same.nodes) == sorted(taxonomy.nodes)
    with pytest.raises(LabelSpaceError, match="cycle"):
        ClassHierarchy({"a": "b", "b": "a", "c": None})
    with pytest.raises(LabelSpaceError, match="two parents"):
        ClassHierarchy.from_paths(["x/a", "y/a"])
    with pytest.raises(LabelSpaceError, match="unknown class 'fish'"):
        taxonomy.index("fish")


def _simulate_hierarchy(
    tax: ClassHierarchy, n: int = 600, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A fine labeler (leaves, 85% right), two coarse labelers (top level only, 90% right)
    and a mid-level labeler (mammal/bird/car/bike level, 80% right)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, tax.k, n)
    top = {leaf: tax.ancestors(leaf)[-1] for leaf in tax.leaves}
    mid = {
        leaf: (tax.ancestors(leaf)[0] if len(tax.ancestors(leaf)) > 1 else leaf)
        for leaf in tax.leaves
    }

    def noisy(mapping: dict[str, str] | None, acc: float) -> np.ndarray:
        out = []
        for t in truth:
            leaf = tax.leaves[t] if rng.random() < acc else tax.leaves[rng.integers(0, tax.k)]
            out.append(tax.index(leaf if mapping is None else mapping[leaf]))
        return np.array(out)

    L = np.column_stack([noisy(None, 0.85), noisy(top, 0.9), noisy(top, 0.9), noisy(mid, 0.8)])
    L[rng.random(L.shape) < 0.2] = ABSTAIN
    return L, truth


def test_hierarchical_model_combines_fine_and_coarse_votes(taxonomy: ClassHierarchy) -> None:
    L, truth = _simulate_hierarchy(taxonomy)
    model = HierarchicalLabelModel(taxonomy=taxonomy).fit(L)
    proba = model.predict_proba(L)
    assert proba.shape == (len(truth), taxonomy.k)
    pred = model.predict(L)
    voted = pred != ABSTAIN
    fine = L[:, 0] != ABSTAIN
    fine_acc = np.mean(L[fine, 0] == truth[fine])
    # where the fine labeler voted, coarse votes fix some of its mistakes ...
    assert np.mean(pred[fine] == truth[fine]) > fine_acc
    # ... most of those that put the item under the wrong top-level class
    animal = taxonomy.leaf_sets[taxonomy.index("animal")]
    crossed = fine & (animal[np.maximum(L[:, 0], 0) % taxonomy.k] != animal[truth])
    crossed &= L[:, 0] < taxonomy.k  # the fine labeler only votes leaves
    assert crossed.sum() >= 10
    assert np.mean(animal[pred[crossed]] == animal[truth[crossed]]) > 0.6
    # coarse evidence alone: items without a fine vote still land in the right top class
    coarse_only = (L[:, 0] == ABSTAIN) & (L[:, 3] == ABSTAIN) & voted
    top_of = np.array([taxonomy.leaf_sets[taxonomy.index("animal")][c] for c in range(taxonomy.k)])
    assert np.mean(top_of[pred[coarse_only]] == top_of[truth[coarse_only]]) > 0.9
    assert model.accuracies_.shape == (4,) and np.all(model.accuracies_ > 0.6)


def test_predict_node_backs_off_to_the_parent(taxonomy: ClassHierarchy) -> None:
    L, _ = _simulate_hierarchy(taxonomy, seed=1)
    model = HierarchicalLabelModel(taxonomy=taxonomy).fit(L)
    votes_only_coarse = np.full((1, 4), ABSTAIN)
    votes_only_coarse[0, 1] = votes_only_coarse[0, 2] = taxonomy.index("animal")
    node = model.predict_node(votes_only_coarse, min_confidence=0.8)
    assert taxonomy.nodes[int(node[0])] == "animal"
    sure = np.array(
        [
            [
                taxonomy.index("cat"),
                taxonomy.index("animal"),
                taxonomy.index("animal"),
                taxonomy.index("mammal"),
            ]
        ]
    )
    assert taxonomy.nodes[int(model.predict_node(sure)[0])] == "cat"
    nothing = np.full((1, 4), ABSTAIN)
    assert model.predict_node(nothing).tolist() == [ABSTAIN]
    assert model.predict(nothing).tolist() == [ABSTAIN]


def test_hierarchical_model_is_a_label_model(taxonomy: ClassHierarchy) -> None:
    L, truth = _simulate_hierarchy(taxonomy, seed=2)
    model = HierarchicalLabelModel(taxonomy=taxonomy, prior_accuracy=0.6)
    again = model.clone()
    assert again.taxonomy is taxonomy and again.prior_accuracy == 0.6
    assert model.fit(L).score(L, truth) > 0.7
    with pytest.raises(LabelwiseError, match="taxonomy must be a ClassHierarchy"):
        HierarchicalLabelModel(taxonomy={"a": "b"})  # type: ignore[arg-type]
    with pytest.raises(LabelMatrixError):
        HierarchicalLabelModel(taxonomy=taxonomy).fit(np.array([[9]]))  # node 9 does not exist


def test_old_taxonomy_name_is_a_deprecated_alias() -> None:
    import labelwise.models

    with pytest.warns(DeprecationWarning, match="ClassHierarchy"):
        old = labelwise.models.Taxonomy
    assert old is ClassHierarchy
