"""Nearest-labeled and class-statistics labelers: scaling, categoricals, distances, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from labelwise.errors import DataError, LabelwiseError
from labelwise.labeling import ABSTAIN
from labelwise.learn import (
    ClassStatisticsLabeler,
    ClassStatisticsRegressor,
    FeaturePrep,
    NearestLabeledLabeler,
    NearestLabeledRegressor,
)


def test_scaling_matters_for_distance() -> None:
    """Class is decided by column a (small units); column b (huge units) is noise."""
    rng = np.random.default_rng(0)
    a = np.r_[rng.normal(0, 0.1, 100), rng.normal(1, 0.1, 100)]
    b = rng.normal(0, 1000, 200)
    X = pd.DataFrame({"a": a, "b": b})
    y = np.full(200, -1)
    y[:10], y[100:110] = 0, 1
    truth = np.r_[np.zeros(100), np.ones(100)]
    scaled = NearestLabeledLabeler(k=1).fit_label(X, y)
    raw = NearestLabeledLabeler(k=1, scale="none").fit_label(X, y)
    unl = y == -1
    assert np.mean(scaled.votes[unl] == truth[unl]) > np.mean(raw.votes[unl] == truth[unl]) + 0.2


def test_categorical_column_handling() -> None:
    """Rows differ only by a text category: categorical='auto' one-hot encodes it."""
    X = pd.DataFrame({"shape": ["round", "square"] * 10, "size": np.ones(20)})
    y = np.full(20, -1)
    y[:4] = [0, 1, 0, 1]
    with pytest.raises(DataError, match=r"\['shape'\].*categorical=\['shape'\]"):
        NearestLabeledLabeler(k=1).fit_label(X, y)
    result = NearestLabeledLabeler(k=2, categorical="auto").fit_label(X, y)
    assert result.votes.tolist() == [0, 1] * 10
    listed = NearestLabeledLabeler(k=2, categorical=["shape"]).fit_label(X, y)
    assert listed.votes.tolist() == [0, 1] * 10
    with pytest.raises(DataError, match=r"categorical columns \['colour'\] are not in the data"):
        NearestLabeledLabeler(categorical=["colour"]).fit_label(X, y)


def test_feature_prep_imputes_and_reports() -> None:
    X = pd.DataFrame(
        {"a": [1.0, np.nan, 3.0, 5.0], "c": pd.array(["x", None, "y", "x"], dtype="str")}
    )
    prep = FeaturePrep(categorical="auto").fit(X)
    out = prep.transform(X)
    assert prep.imputed_ == {"a": 1}
    assert prep.feature_names_ == ["a", "c=x", "c=y"]
    assert not np.isnan(out).any()
    assert out[1, 1:].tolist() == [0.0, 0.0]  # missing category: no one-hot bit
    with pytest.raises(DataError, match=r"\['a'\] have missing values"):
        FeaturePrep(impute="error").fit(X[["a"]])
    with pytest.raises(DataError, match="entirely missing"):
        FeaturePrep().fit(pd.DataFrame({"z": [np.nan, np.nan]}))
    with pytest.raises(LabelwiseError, match="not fitted"):
        FeaturePrep().transform(X)


def test_k_larger_than_labeled_rows(blobs: Any) -> None:
    with pytest.raises(
        LabelwiseError, match=r"k=30 is larger than the number of labeled rows \(24\)"
    ):
        NearestLabeledLabeler(k=30).fit_label(blobs.X, blobs.y)
    with pytest.raises(LabelwiseError, match=r"k=30 is larger"):
        NearestLabeledRegressor(k=30).fit(blobs.X, np.where(blobs.y >= 0, 1.0 * blobs.y, np.nan))
    with pytest.raises(LabelwiseError, match="metric='chebyshev'"):
        NearestLabeledLabeler(metric="chebyshev").fit_label(blobs.X, blobs.y)  # type: ignore[arg-type]
    with pytest.raises(LabelwiseError, match="weights='gaussian'"):
        NearestLabeledLabeler(weights="gaussian").fit_label(blobs.X, blobs.y)  # type: ignore[arg-type]


def test_max_distance_abstains_far_rows() -> None:
    X = np.array([[0.0], [0.1], [10.0], [10.1], [0.05], [5.0]])
    y = [0, 0, 1, 1, None, None]
    r = NearestLabeledLabeler(k=1, max_distance=0.5).fit_label(X, y)
    assert r.votes[4] == 0
    assert r.votes[5] == ABSTAIN


def test_nearest_regressor_uncertainty_from_neighbour_spread() -> None:
    X = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2], [0.15], [10.15]])
    y = np.array([1.0, 1.0, 1.0, 0.0, 10.0, 20.0, np.nan, np.nan])
    r = NearestLabeledRegressor(k=3, weights="uniform").fit_label(X, y)
    assert r.values[6] == pytest.approx(1.0)
    assert r.values[7] == pytest.approx(10.0)
    assert r.uncertainty[6] == pytest.approx(0.0)
    assert r.confidence[6] > r.confidence[7]


def test_class_statistics_mahalanobis_handles_correlated_features() -> None:
    """Two elongated, correlated classes: Euclidean distance to the means misleads,
    Mahalanobis with the pooled covariance does not."""
    rng = np.random.default_rng(1)
    cov = np.array([[1.0, 0.95], [0.95, 1.0]])
    a = rng.multivariate_normal([0, 0], cov, 300)
    b = rng.multivariate_normal([1.5, 0.0], cov, 300)
    X = np.vstack([a, b])
    truth = np.r_[np.zeros(300, int), np.ones(300, int)]
    y = np.full(600, -1)
    y[:40], y[300:340] = 0, 1
    unl = y == -1
    maha = ClassStatisticsLabeler(distance="mahalanobis").fit_label(X, y)
    eucl = ClassStatisticsLabeler(distance="euclidean").fit_label(X, y)
    acc_m = np.mean(maha.votes[unl] == truth[unl])
    acc_e = np.mean(eucl.votes[unl] == truth[unl])
    assert acc_m > 0.97 and acc_m > acc_e + 0.15


def test_class_statistics_confidence_is_lower_between_classes() -> None:
    X = np.r_[np.zeros(10), np.ones(10) * 4, [2.0], [0.1]].reshape(-1, 1)
    y = np.r_[np.zeros(10), np.ones(10), [np.nan, np.nan]]
    r = ClassStatisticsLabeler(distance="diagonal").fit_label(X, y)
    assert r.confidence[20] < 0.7 < r.confidence[21]
    assert r.proba is not None and np.allclose(r.proba.sum(axis=1), 1.0)


def test_class_statistics_use_priors_shifts_ties() -> None:
    X = np.r_[np.zeros(30), np.ones(5) * 2, [1.0]].reshape(-1, 1)
    y = np.r_[np.zeros(30), np.ones(5), [np.nan]]
    no_prior = ClassStatisticsLabeler(distance="euclidean").fit_label(X, y)
    prior = ClassStatisticsLabeler(distance="euclidean", use_priors=True).fit_label(X, y)
    assert prior.proba is not None and no_prior.proba is not None
    assert prior.proba[35, 0] > no_prior.proba[35, 0]


def test_class_statistics_regressor_bins() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 10, 300)
    X = x.reshape(-1, 1)
    y = 3 * x + rng.normal(0, 0.5, 300)
    lab = rng.random(300) < 0.3
    r = ClassStatisticsRegressor(n_bins=6, distance="diagonal").fit_label(
        X, np.where(lab, y, np.nan)
    )
    corr = np.corrcoef(r.values[~lab], y[~lab])[0, 1]
    assert corr > 0.95
    with pytest.raises(LabelwiseError, match="n_bins=60 needs at least 120 labeled rows"):
        ClassStatisticsRegressor(n_bins=60).fit(X, np.where(lab, y, np.nan))
    with pytest.raises(LabelwiseError, match="distance='cosine'"):
        ClassStatisticsLabeler(distance="cosine").fit_label(X, (y > 15).astype(int))  # type: ignore[arg-type]
