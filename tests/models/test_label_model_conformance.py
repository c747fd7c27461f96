"""One conformance suite over every registered label model."""

from __future__ import annotations

import numpy as np
import pytest

from labelwise.errors import LabelMatrixError, LabelwiseError
from labelwise.labeling.matrix import LabelMatrix
from labelwise.models import MODELS, LabelModel, MajorityVote, NotFittedError, make_label_model

NAMES = sorted(MODELS)
# Models whose accuracies_ estimate the true accuracies without gold labels.
UNSUPERVISED_ESTIMATORS = ["ds", "snorkel", "triplet"]


@pytest.fixture(params=[2, 4], ids=["k2", "k4"])
def data(request, hetero_binary, hetero_four):
    return hetero_binary if request.param == 2 else hetero_four


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_probabilities(name, data):
    L = data.L[:3000]
    model = make_label_model(name, cardinality=data.k, seed=0).fit(L)
    assert isinstance(model, LabelModel)
    proba = model.predict_proba(L)
    pred = model.predict(L)
    n, m = L.shape
    assert proba.shape == (n, data.k) and proba.dtype == np.float64
    assert np.all(np.isfinite(proba)) and proba.min() >= 0 and proba.max() <= 1
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert pred.shape == (n,) and set(np.unique(pred)) <= set(range(-1, data.k))
    assert model.accuracies_.shape == (m,)
    assert np.all((model.accuracies_ >= 0) & (model.accuracies_ <= 1))
    assert model.class_prior_.shape == (data.k,)
    assert model.class_prior_.sum() == pytest.approx(1.0)
    assert model.coverage_.shape == (m,)
    assert model.cardinality_ == data.k and model.n_labelers_ == m
    # Predictions follow the probabilities wherever they are not tied.
    decided = pred != -1
    assert np.array_equal(pred[decided], proba[decided].argmax(axis=1))


@pytest.mark.parametrize("name", NAMES)
def test_rows_without_votes_abstain(name):
    L = np.array([[0, 0, 1], [-1, -1, -1], [1, 1, 1], [-1, -1, -1], [0, -1, 0], [1, 0, 1]])
    model = make_label_model(name, cardinality=2, seed=0).fit(L)
    pred = model.predict(L, tie_policy="random")
    assert pred[1] == -1 and pred[3] == -1
    assert np.all(pred[[0, 2, 4, 5]] >= 0)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_under_seed(name, hetero_binary):
    L = hetero_binary.L[:2000]
    runs = [
        make_label_model(name, cardinality=2, seed=7).fit(L).predict(L, tie_policy="random")
        for _ in range(2)
    ]
    assert np.array_equal(runs[0], runs[1])
    first = make_label_model(name, cardinality=2, seed=7).fit(L)
    second = make_label_model(name, cardinality=2, seed=7).fit(L)
    np.testing.assert_array_equal(first.predict_proba(L), second.predict_proba(L))


@pytest.mark.parametrize("name", NAMES)
def test_label_matrix_input_matches_array(name, hetero_four):
    L = hetero_four.L[:2000]
    matrix = LabelMatrix(L, cardinality=4)
    from_matrix = make_label_model(name, seed=0).fit(matrix)
    from_array = make_label_model(name, cardinality=4, seed=0).fit(L.astype(np.int64))
    assert from_matrix.cardinality_ == 4
    np.testing.assert_allclose(from_matrix.predict_proba(matrix), from_array.predict_proba(L))


@pytest.mark.parametrize("name", NAMES)
def test_predict_before_fit_raises(name):
    model = make_label_model(name, cardinality=2)
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict(np.zeros((2, 3), dtype=int))
    with pytest.raises(NotFittedError):
        model.predict_proba(np.zeros((2, 3), dtype=int))


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_errors(name):
    L = np.array([[0, 1, -1], [1, 1, 0], [0, -1, -1]])
    model = make_label_model(name, cardinality=2).fit(L)
    with pytest.raises(LabelMatrixError, match="4 columns but the model was fitted on 3"):
        model.predict(np.zeros((2, 4), dtype=int))
    with pytest.raises(LabelMatrixError, match=r"outside \[-1, 1\]"):
        model.predict(np.array([[0, 2, -1]]))
    with pytest.raises(LabelMatrixError, match="outside"):
        make_label_model(name, cardinality=2).fit(np.array([[0, -2, 1]]))
    with pytest.raises(LabelMatrixError, match="no rows"):
        make_label_model(name, cardinality=2).fit(np.zeros((0, 3), dtype=int))
    with pytest.raises(LabelwiseError, match="at least 2"):
        make_label_model(name, cardinality=1).fit(L)
    with pytest.raises(LabelwiseError, match="3 labels but its label matrix has 2 rows"):
        make_label_model(name, cardinality=2).fit(L[:2], y_dev=[0, 1, 1])
    with pytest.raises(LabelwiseError, match="not a class"):
        make_label_model(name, cardinality=2).fit(L, y_dev=[0, 1, 5])
    # Predicting on zero rows is fine and returns nothing.
    assert model.predict(np.zeros((0, 3), dtype=int)).shape == (0,)


@pytest.mark.parametrize("name", NAMES)
def test_clone_and_params(name):
    model = make_label_model(name, cardinality=3, seed=5)
    copy = model.clone()
    assert type(copy) is type(model) and copy.get_params() == model.get_params()
    assert "cardinality=3" in repr(model)


@pytest.mark.parametrize("name", UNSUPERVISED_ESTIMATORS)
def test_recovers_labeler_accuracies(name, data):
    model = make_label_model(name, cardinality=data.k, seed=0).fit(data.L)
    np.testing.assert_allclose(model.accuracies_, data.accuracies, atol=0.05)
    np.testing.assert_allclose(model.class_prior_, np.full(data.k, 1 / data.k), atol=0.03)


def test_weighted_vote_recovers_accuracies_from_gold(data):
    model = make_label_model("wv", cardinality=data.k).fit(data.L, y_dev=data.y)
    np.testing.assert_allclose(model.accuracies_, data.accuracies, atol=0.01)


@pytest.mark.parametrize("name", UNSUPERVISED_ESTIMATORS)
def test_beats_majority_vote_with_heterogeneous_labelers(name, data):
    covered = (data.L != -1).any(axis=1)

    def accuracy(model):
        pred = model.fit(data.L).predict(data.L, tie_policy="random")
        return float(np.mean(pred[covered] == data.y[covered]))

    mv = accuracy(MajorityVote(cardinality=data.k, seed=0))
    learned = accuracy(make_label_model(name, cardinality=data.k, seed=0))
    assert learned > mv + 0.01, (learned, mv)
