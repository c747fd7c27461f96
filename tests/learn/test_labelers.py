"""One conformance suite over every classification and regression labeler in labelwise.learn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import r2_score

from labelwise.errors import DataError, LabelwiseError
from labelwise.labeling import ABSTAIN, LabelMatrix, LabelSpace, Votes
from labelwise.learn import (
    ClassStatisticsLabeler,
    ClassStatisticsRegressor,
    ClusterLabeler,
    ClusterRegressor,
    NearestLabeledLabeler,
    NearestLabeledRegressor,
    PseudoLabeler,
    PseudoRegressor,
    RegressionResult,
)

CLASSIFIERS: dict[str, Callable[..., Any]] = {
    "nearest": lambda **kw: NearestLabeledLabeler(k=3, **kw),
    "nearest_cosine": lambda **kw: NearestLabeledLabeler(k=3, metric="cosine", **kw),
    "stats_mahalanobis": lambda **kw: ClassStatisticsLabeler(**kw),
    "stats_diagonal": lambda **kw: ClassStatisticsLabeler(distance="diagonal", **kw),
    "stats_euclidean": lambda **kw: ClassStatisticsLabeler(distance="euclidean", **kw),
    "cluster": lambda **kw: ClusterLabeler(k_range=range(2, 6), seed=0, **kw),
    "pseudo": lambda **kw: PseudoLabeler(LogisticRegression(max_iter=500), seed=0, **kw),
}

REGRESSORS: dict[str, Callable[..., Any]] = {
    "nearest": lambda **kw: NearestLabeledRegressor(k=5, **kw),
    "stats": lambda **kw: ClassStatisticsRegressor(n_bins=4, distance="diagonal", **kw),
    "cluster": lambda **kw: ClusterRegressor(k_range=range(2, 7), seed=0, **kw),
    "pseudo": lambda **kw: PseudoRegressor(
        RandomForestRegressor(n_estimators=20, min_samples_leaf=2, random_state=0),
        max_rounds=2,
        n_members=3,
        seed=0,
        **kw,
    ),
}


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classifier_contract_and_accuracy_on_separable_clusters(name: str, blobs: Any) -> None:
    labeler = CLASSIFIERS[name]()
    result = labeler.fit_label(blobs.X, blobs.y)
    assert isinstance(result, Votes)
    n = len(blobs.y)
    assert result.votes.shape == (n,) and result.confidence.shape == (n,)
    assert result.votes.min() >= ABSTAIN and result.votes.max() <= 2
    assert np.all((result.confidence >= 0) & (result.confidence <= 1))
    unl = ~blobs.labeled
    voted = unl & (result.votes != ABSTAIN)
    assert voted.sum() > 0.9 * unl.sum(), f"{name} abstained on too many rows"
    acc = np.mean(result.votes[voted] == blobs.y_true[voted])
    assert acc > 0.95, f"{name}: accuracy {acc:.3f} on unlabeled rows of separable clusters"
    L = result.to_label_matrix()
    assert isinstance(L, LabelMatrix) and L.shape == (n, 1)
    assert L.provenance[result.name]["kind"] == labeler.kind
    assert 0 < L.provenance[result.name]["coverage"] <= 1
    # a fitted labeler labels new rows too
    again = labeler.label(blobs.X.iloc[:10])
    assert again.votes.shape == (10,)


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_labeled_rows_modes(name: str, blobs: Any) -> None:
    y = blobs.y.copy()
    labeled = np.flatnonzero(blobs.labeled)
    wrong = labeled[0]
    y[wrong] = (blobs.y_true[wrong] + 1) % 3  # a planted wrong label
    given = CLASSIFIERS[name](labeled_rows="given").fit_label(blobs.X, y)
    assert np.array_equal(given.votes[labeled], y[labeled])
    abstain = CLASSIFIERS[name](labeled_rows="abstain").fit_label(blobs.X, y)
    assert np.all(abstain.votes[labeled] == ABSTAIN)
    if name == "pseudo":
        return  # cross-fitting a self-trained model is covered in test_pseudo.py
    crossfit = CLASSIFIERS[name](labeled_rows="crossfit").fit_label(blobs.X, y)
    # predicted without its own label, the planted row gets its true class back
    assert crossfit.votes[wrong] == blobs.y_true[wrong]
    ok = labeled[labeled != wrong]
    assert np.mean(crossfit.votes[ok] == y[ok]) > 0.9


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_class_names_round_trip(name: str, blobs: Any) -> None:
    names = np.array(["red", "green", "blue"], dtype=object)
    y = np.where(blobs.y >= 0, names[np.maximum(blobs.y, 0)], None)
    result = CLASSIFIERS[name]().fit_label(blobs.X, y)
    assert result.label_space.names == ["blue", "green", "red"]
    frame = result.to_frame()
    unl = ~blobs.labeled & (result.votes != ABSTAIN)
    assert np.mean(frame["label"].to_numpy()[unl] == names[blobs.y_true[unl]]) > 0.95


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classifier_bad_input(name: str, blobs: Any) -> None:
    X = blobs.X.copy()
    X["city"] = "Paris"
    with pytest.raises(DataError, match=r"non-numeric feature columns \['city'\].*categorical"):
        CLASSIFIERS[name]().fit_label(X, blobs.y)
    y = np.full(len(blobs.y), -1)
    y[0], y[150] = 0, 1  # two labeled rows for three declared classes
    with pytest.raises(DataError, match="only 2 labeled rows for 3 classes"):
        CLASSIFIERS[name]().fit_label(blobs.X, y, label_space=LabelSpace(["a", "b", "c"]))
    with pytest.raises(LabelwiseError, match="rows but y has"):
        CLASSIFIERS[name]().fit_label(blobs.X, blobs.y[:-1])


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_min_confidence_abstains(name: str, blobs_overlap: Any) -> None:
    low = CLASSIFIERS[name]().fit_label(blobs_overlap.X, blobs_overlap.y)
    high = CLASSIFIERS[name](min_confidence=0.99).fit_label(blobs_overlap.X, blobs_overlap.y)
    assert (high.votes == ABSTAIN).sum() > (low.votes == ABSTAIN).sum()
    kept = high.votes != ABSTAIN
    assert np.all(high.confidence[kept] >= 0.99)
    relaxed = high.with_min_confidence(0.0)
    assert (relaxed.votes == ABSTAIN).sum() <= (high.votes == ABSTAIN).sum()


@pytest.fixture
def blobs_overlap(blob_factory: Any) -> Any:
    return blob_factory(spread=3.0, labeled_per_class=15, seed=3)


def test_results_stack_into_one_label_matrix(blobs: Any) -> None:
    results = [
        CLASSIFIERS[n]().fit_label(blobs.X, blobs.y)
        for n in ("nearest", "stats_mahalanobis", "cluster")
    ]
    L = LabelMatrix.from_votes(results)
    assert L.names == ["nearest_labeled", "class_statistics", "kmeans"]
    assert L.shape == (len(blobs.y), 3)
    from labelwise.models.majority import MajorityVote

    pred = MajorityVote(cardinality=3).fit(L).predict(L)
    unl = ~blobs.labeled
    assert np.mean(pred[unl] == blobs.y_true[unl]) > 0.95


def test_votes_reject_mixed_label_spaces() -> None:
    a = Votes("a", np.array([0, 1]), label_space=LabelSpace(["x", "y"]), confidence=np.ones(2))
    b = Votes("b", np.array([0, 1]), label_space=LabelSpace(["p", "q"]), confidence=np.ones(2))
    with pytest.raises(LabelwiseError, match="one label space"):
        LabelMatrix.from_votes([a, b])
    with pytest.raises(LabelwiseError, match="must lie in"):
        Votes("c", np.array([0, 5]), label_space=LabelSpace(["x", "y"]))


def test_deprecated_labeler_result_and_stack_results_still_work() -> None:
    from labelwise.learn import LabelerResult, stack_results

    space = LabelSpace(["x", "y"])
    with pytest.warns(DeprecationWarning, match="LabelerResult"):
        a = LabelerResult(np.array([0, -1]), np.array([0.9, 0.2]), "a", space)
    assert isinstance(a, Votes) and isinstance(a, LabelerResult)
    assert a.name == "a" and a.confidence is not None and a.confidence.tolist() == [0.9, 0.2]
    b = Votes("b", np.array([1, 1]), label_space=space)
    with pytest.warns(DeprecationWarning, match="stack_results"):
        L = stack_results([a, b])
    assert L.names == ["a", "b"] and L.values.tolist() == [[0, 1], [-1, 1]]
    with pytest.warns(DeprecationWarning), pytest.raises(LabelwiseError, match="one label space"):
        stack_results([a, Votes("c", [0, 1], label_space=LabelSpace(["p", "q"]))])


# ---------------------------------------------------------------------- regression
@pytest.mark.parametrize("name", sorted(REGRESSORS))
def test_regressor_contract_and_r2(name: str, regression: Any) -> None:
    labeler = REGRESSORS[name]()
    result = labeler.fit_label(regression.X, regression.y)
    assert isinstance(result, RegressionResult)
    n = len(regression.y)
    assert result.values.shape == result.confidence.shape == result.uncertainty.shape == (n,)
    assert np.all((result.confidence >= 0) & (result.confidence <= 1))
    unl = ~regression.labeled & ~np.isnan(result.values)
    assert unl.sum() > 0.9 * (~regression.labeled).sum()
    r2 = r2_score(regression.y_true[unl], result.values[unl])
    assert r2 > 0.8, f"{name}: R^2 {r2:.3f} on unlabeled rows"
    frame = result.to_frame()
    assert list(frame.columns) == ["value", "confidence", "uncertainty"]
    assert result.provenance["kind"] == labeler.kind


@pytest.mark.parametrize("name", sorted(REGRESSORS))
def test_regressor_confidence_tracks_error(name: str, regression: Any) -> None:
    """Rows the labeler is more confident about should have smaller errors on average."""
    result = REGRESSORS[name]().fit_label(regression.X, regression.y)
    unl = ~regression.labeled & ~np.isnan(result.values)
    err = np.abs(result.values[unl] - regression.y_true[unl])
    conf = result.confidence[unl]
    if np.ptp(conf) == 0:
        pytest.skip("constant confidence")
    hi = conf >= np.median(conf)
    assert err[hi].mean() <= err[~hi].mean() * 1.25


@pytest.mark.parametrize("name", sorted(REGRESSORS))
def test_regressor_labeled_rows_modes(name: str, regression: Any) -> None:
    lab = np.flatnonzero(regression.labeled)
    given = REGRESSORS[name](labeled_rows="given").fit_label(regression.X, regression.y)
    assert np.allclose(given.values[lab], regression.y[lab])
    abstain = REGRESSORS[name](labeled_rows="abstain").fit_label(regression.X, regression.y)
    assert np.all(np.isnan(abstain.values[lab]))
    if name == "pseudo":
        return
    y = regression.y.copy()
    y[lab[0]] = 1000.0  # a planted absurd target: cross-fitting must not echo it
    crossfit = REGRESSORS[name](labeled_rows="crossfit").fit_label(regression.X, y)
    assert abs(crossfit.values[lab[0]] - regression.y_true[lab[0]]) < 15


@pytest.mark.parametrize("name", sorted(REGRESSORS))
def test_regressor_bad_input(name: str, regression: Any) -> None:
    y = regression.y.astype(object)
    y[np.flatnonzero(regression.labeled)[0]] = "high"
    with pytest.raises(DataError, match="non-numeric values"):
        REGRESSORS[name]().fit_label(regression.X, y)
    X = regression.X.assign(zone="north")
    with pytest.raises(DataError, match=r"\['zone'\]"):
        REGRESSORS[name]().fit_label(X, regression.y)


def test_pseudo_regressor_with_linear_model_and_quantile(regression: Any) -> None:
    lin = PseudoRegressor(LinearRegression(), uncertainty="quantile", max_rounds=1, seed=0)
    result = lin.fit_label(regression.X, regression.y)
    assert result.provenance["uncertainty"] == "quantile"
    assert np.isfinite(result.uncertainty[~regression.labeled]).all()


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_lowering_the_threshold_never_invents_votes(name: str, blobs: Any) -> None:
    """Rows a labeler has no opinion on (a cluster without labeled rows, labeled rows in
    'abstain' mode) stay abstained whatever threshold is applied afterwards."""
    y = blobs.y.copy()
    y[blobs.y == 2] = -1  # no labeled rows of class 2 any more
    space = LabelSpace(["0", "1", "2"])
    if name == "pseudo":  # self-training needs a labeled row of every class
        with pytest.raises(LabelwiseError, match=r"classes \['2'\] have no labeled training rows"):
            CLASSIFIERS[name]().fit_label(blobs.X, y, label_space=space)
        return
    result = CLASSIFIERS[name](labeled_rows="abstain").fit_label(blobs.X, y, label_space=space)
    relaxed = result.with_min_confidence(0.0)
    assert np.all(relaxed.votes[blobs.labeled & (blobs.y != 2)] == ABSTAIN)
    assert np.all(relaxed.votes[result.candidates == ABSTAIN] == ABSTAIN)
    strict = result.with_min_confidence(1.01)
    assert np.all(strict.votes == ABSTAIN)


def test_old_option_names_still_work_with_a_deprecation_warning(blobs: Any) -> None:
    with pytest.warns(DeprecationWarning) as rec:
        old = ClusterLabeler(k=3, random_state=0, show_progress=False)
    messages = " | ".join(str(w.message) for w in rec)
    assert "random_state=" in messages and "use seed=" in messages
    assert "show_progress=" in messages and "use progress=" in messages
    new = ClusterLabeler(k=3, seed=0, progress=False)
    assert old.seed == 0 and old.progress is False
    np.testing.assert_array_equal(
        old.fit_label(blobs.X, blobs.y).votes, new.fit_label(blobs.X, blobs.y).votes
    )
    with pytest.raises(TypeError, match="seed= only"):
        ClusterLabeler(k=3, seed=1, random_state=2)
