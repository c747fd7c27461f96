"""Label-preserving tabular augmentation and the with/without comparison."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from threadpoolctl import threadpool_limits

from labelwise.errors import DataError, LabelwiseError
from labelwise.tabular.augment import (
    AugmentationComparison,
    compare_augmentation,
    gaussian_noise,
    interpolate_same_class,
    jitter,
    mixup,
    random_scaling,
)


@pytest.fixture(autouse=True)
def _one_thread():  # type: ignore[no-untyped-def]
    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    return pd.DataFrame(
        {
            "age": rng.integers(20, 80, n),
            "income": rng.normal(50_000, 10_000, n),
            "smoker": rng.integers(0, 2, n),
            "city": rng.choice(["Oslo", "Lima", "Pune"], n),
        }
    )


def test_gaussian_noise_preserves_labels_types_and_ranges(table: pd.DataFrame) -> None:
    y = pd.Series(np.arange(60) % 2, name="label")
    Xa, ya = gaussian_noise(table, y, scale=0.1, n_copies=2, seed=0)
    assert isinstance(Xa, pd.DataFrame) and isinstance(ya, pd.Series)
    assert len(Xa) == len(ya) == 180 and ya.name == "label"
    new = Xa.iloc[60:].reset_index(drop=True)
    src = pd.concat([table, table], ignore_index=True)
    assert ya.iloc[60:].tolist() == y.tolist() * 2  # same label as the source row
    assert new["city"].tolist() == src["city"].tolist()  # text copied
    assert new["smoker"].tolist() == src["smoker"].tolist()  # binary flag untouched
    assert pd.api.types.is_integer_dtype(new["age"])
    assert new["age"].between(table["age"].min(), table["age"].max()).all()  # clipped
    assert not np.allclose(new["income"], src["income"])
    # the noise is ~0.1 of the column's standard deviation
    diff = (new["income"] - src["income"]).std()
    assert 0.05 * table["income"].std() < diff < 0.2 * table["income"].std()


def test_per_column_scale_and_reproducibility(table: pd.DataFrame) -> None:
    Xa, _ = gaussian_noise(table, scale={"income": 0.2}, include_original=False, seed=1)
    assert Xa["age"].tolist() == table["age"].tolist()  # scale 0 for unnamed columns
    Xb, _ = gaussian_noise(table, scale={"income": 0.2}, include_original=False, seed=1)
    assert Xa.equals(Xb)
    with pytest.raises(DataError, match=r"scale names columns \['height'\]"):
        gaussian_noise(table, scale={"height": 0.1})
    with pytest.raises(DataError, match=r"columns \['city'\] are not numeric"):
        gaussian_noise(table, columns=["city"])
    with pytest.raises(DataError, match=r"y has shape \(3,\) but X has 60 rows"):
        gaussian_noise(table, [0, 1, 0])


def test_random_scaling_keeps_row_ratios() -> None:
    X = np.array([[1.0, 10.0], [2.0, 40.0], [3.0, 90.0], [4.0, 160.0]])
    Xa, _ = random_scaling(X, low=0.8, high=1.2, clip=False, include_original=False, seed=0)
    assert np.allclose(Xa[:, 1] / Xa[:, 0], X[:, 1] / X[:, 0])
    assert not np.allclose(Xa, X)
    Xc, _ = random_scaling(X, per="cell", clip=False, include_original=False, seed=0)
    assert not np.allclose(Xc[:, 1] / Xc[:, 0], X[:, 1] / X[:, 0])
    with pytest.raises(LabelwiseError, match="0 < low <= high"):
        random_scaling(X, low=1.2, high=1.1)


def test_jitter_bounds() -> None:
    X = np.column_stack([np.linspace(0, 100, 50), np.linspace(-1, 1, 50)])
    Xa, _ = jitter(X, amount=0.02, include_original=False, clip=False, seed=3)
    assert np.all(np.abs(Xa[:, 0] - X[:, 0]) <= 2.0 + 1e-9)
    assert np.all(np.abs(Xa[:, 1] - X[:, 1]) <= 0.04 + 1e-9)
    with pytest.raises(LabelwiseError, match="amount=-1"):
        jitter(X, amount=-1)


def test_interpolation_stays_between_same_class_rows() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal([0, 0], 0.5, (30, 2))
    b = rng.normal([10, 10], 0.5, (8, 2))
    X = np.vstack([a, b])
    y = np.array(["a"] * 30 + ["b"] * 8)
    Xa, ya = interpolate_same_class(X, y, balance=True, k_neighbors=3, seed=0)
    assert (ya == "a").sum() == (ya == "b").sum() == 30
    new_b = Xa[38:][ya[38:] == "b"]
    lo, hi = b.min(axis=0), b.max(axis=0)
    assert np.all((new_b >= lo - 1e-9) & (new_b <= hi + 1e-9))  # inside class b's box
    Xn, yn = interpolate_same_class(X, y, n_new=19, include_original=False, seed=0)
    assert len(Xn) == 19 and (yn == "a").sum() == 15  # proportional to class size
    with pytest.raises(DataError, match="needs a class for every row"):
        interpolate_same_class(X, np.r_[y[:-1], [None]].astype(object))


def test_interpolation_keeps_categories_of_a_parent(table: pd.DataFrame) -> None:
    y = np.where(table["city"] == "Oslo", "north", "south")
    Xa, ya = interpolate_same_class(table, y, n_new=40, include_original=False, seed=0)
    assert set(Xa["city"]) <= {"Oslo", "Lima", "Pune"}
    assert (Xa.loc[ya == "north", "city"] == "Oslo").all()  # a parent's category
    assert pd.api.types.is_integer_dtype(Xa["age"])


def test_mixup_mixes_targets_consistently() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 10, (40, 2))
    y = X @ np.array([2.0, -1.0]) + 3.0
    Xa, ya = mixup(X, y, n_new=100, alpha=0.4, include_original=False, seed=0)
    assert np.allclose(ya, Xa @ np.array([2.0, -1.0]) + 3.0)  # linear target is preserved
    Xl, yl = mixup(X, y, n_new=50, k_neighbors=3, include_original=False, seed=0)
    assert len(Xl) == 50 and np.allclose(yl, Xl @ np.array([2.0, -1.0]) + 3.0)
    with pytest.raises(DataError, match="y must be numeric"):
        mixup(X, np.array(["a"] * 40))
    with pytest.raises(LabelwiseError, match="alpha=0"):
        mixup(X, y, alpha=0)


def test_compare_augmentation_reports_the_difference() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    res = compare_augmentation(
        LogisticRegression(),
        X[:100],
        y[:100],
        X[100:],
        y[100:],
        augment=partial(gaussian_noise, scale=0.05),
        n_repeats=2,
        seed=0,
    )
    assert isinstance(res, AugmentationComparison)
    assert res.metric == "accuracy" and res.n_train == 100 and res.n_train_augmented == 200
    assert res.difference == pytest.approx(res.augmented.mean() - res.baseline.mean())
    assert abs(res.difference) < 0.05  # mild noise on separable data changes little
    frame = res.to_frame()
    assert frame["setting"].tolist() == ["without augmentation", "with augmentation"]
    assert "accuracy" in str(res)


def test_compare_augmentation_detects_a_harmful_augmentation() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    y = X[:, 0] * 3 + rng.normal(0, 0.1, 300)

    def shuffled_targets(Xt: Any, yt: Any, random_state: int) -> tuple[Any, Any]:
        r = np.random.default_rng(random_state)
        extra = np.tile(Xt, (3, 1))
        return np.vstack([Xt, extra]), np.r_[yt, r.permutation(np.tile(yt, 3))]

    res = compare_augmentation(
        LinearRegression(),
        X[:150],
        y[:150],
        X[150:],
        y[150:],
        augment=shuffled_targets,
        n_repeats=2,
    )
    assert res.metric == "r2"
    assert res.baseline.mean() > 0.95
    assert res.difference < -0.3
    with pytest.raises(LabelwiseError, match="metric='auc'"):
        compare_augmentation(LinearRegression(), X, y, X, y, augment=shuffled_targets, metric="auc")


def test_augmentation_on_heart_failure(shared_datasets: Path) -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split

    df = pd.read_csv(shared_datasets / "tabular" / "heart_failure.csv")
    X, y = df.drop(columns="DEATH_EVENT"), df["DEATH_EVENT"]
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    res = compare_augmentation(
        RandomForestClassifier(n_estimators=50, random_state=0),
        Xtr,
        ytr,
        Xte,
        yte,
        augment=partial(interpolate_same_class, balance=True),
        metric="macro_f1",
        n_repeats=2,
        seed=0,
    )
    assert res.n_train_augmented > res.n_train  # the minority class was filled up
    assert 0.5 < res.baseline.mean() <= 1.0 and 0.5 < res.augmented.mean() <= 1.0
