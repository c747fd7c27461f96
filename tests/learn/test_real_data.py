"""The worked examples on ../shared/datasets, run small enough for the test suite."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from labelwise.errors import DataError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_heart_failure_pseudo_labels_with_30_percent(
    shared_datasets: Path, test_output: Path
) -> None:
    ex = _example("heart_failure_pseudo_labels")
    summary = ex.run(
        shared_datasets / "tabular" / "heart_failure.csv",
        repeats=2,
        models=["logistic"],
        report=test_output / "learn_heart_failure_pseudo.html",
    ).set_index("setting")
    assert summary.loc["labeled only", "accuracy"] > 0.65
    assert summary.loc["all labels", "accuracy"] > 0.7
    # the pseudo-labels on hidden rows are mostly right, and training on them does not
    # collapse the model
    assert summary.loc["pseudo-labeled", "n_pseudo"] > 50
    assert summary.loc["pseudo-labeled", "pseudo_label_accuracy"] > 0.7
    assert (
        summary.loc["pseudo-labeled", "accuracy"] > summary.loc["labeled only", "accuracy"] - 0.08
    )
    assert (test_output / "learn_heart_failure_pseudo.html").stat().st_size > 10_000


def test_california_housing_regression_labels(shared_datasets: Path) -> None:
    ex = _example("california_housing_regression_labels")
    table = ex.run(
        shared_datasets / "tabular" / "california_housing.csv", sample=2000, pseudo_rounds=1
    ).set_index("labeler")
    r2 = table["r2_test"]
    assert r2["class statistics (10 bins, Mahalanobis)"] > 0.4
    assert r2["nearest labeled (k=10)"] > 0.4
    assert r2["k-means, k by elbow"] > 0.15
    assert r2["pseudo-labeling (HGB, ensemble spread)"] > 0.5
    assert r2["HGB on all training prices"] > r2["HGB on labeled rows only"]
    # clusters with fewer than 2 labeled rows abstain (k=100 leaves ~2 per cluster)
    clusters = table.index.str.startswith("k-means")
    assert (table.loc[~clusters, "coverage_test"] > 0.99).all()
    assert (table.loc[clusters, "coverage_test"] > 0.5).all()


def test_real_table_bad_input(shared_datasets: Path) -> None:
    import pandas as pd

    from labelwise.learn import NearestLabeledRegressor, PseudoLabeler, split_target

    df = pd.read_csv(shared_datasets / "tabular" / "california_housing.csv", nrows=300)
    with pytest.raises(DataError, match="target column 'price' does not exist"):
        split_target(df, "price")
    X, y = split_target(df, "median_house_value")
    with pytest.raises(DataError, match=r"\['ocean_proximity'\].*categorical="):
        NearestLabeledRegressor().fit(X, y)
    hf = pd.read_csv(shared_datasets / "tabular" / "heart_failure.csv")
    Xh, yh = split_target(hf, "DEATH_EVENT")
    with pytest.warns(UserWarning, match="nothing to pseudo-label"):
        labeler: Any = PseudoLabeler(seed=0).fit(Xh, yh)
    assert labeler.n_pseudo_ == 0 and np.isfinite(labeler.rounds_[0]["accuracy"])
