"""Regression labels for California housing from 10% of the prices.

20% of the districts are held out as test rows; of the rest, 10% keep their
``median_house_value`` and the others are treated as unlabeled. Each labeler in
:mod:`labelwise.learn` then predicts a value (with a confidence) for every row, and we report
R^2 on the held-out rows and on the unlabeled training rows (whose true prices were hidden):

* class statistics (prices binned into deciles, each bin summarised by its feature means
  and a pooled covariance),
* nearest labeled neighbours (k = 10, scaled features, one-hot ``ocean_proximity``),
* k-means clusters valued by the mean price of their labeled rows (k by silhouette, by the
  elbow of the inertia curve, and a fixed fine k = 100),
* pseudo-labeling around gradient boosting, adding the least uncertain rows each round
  (bootstrap-ensemble spread, or quantile-interval width),

next to gradient boosting trained on the labeled rows only and on every training price.
Run::

    .venv/bin/python examples/california_housing_regression_labels.py [--report out.html]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DATA = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "datasets"
    / "tabular"
    / "california_housing.csv"
)


def run(
    path: Path = DATA,
    *,
    labeled_share: float = 0.1,
    sample: int | None = None,
    pseudo_rounds: int = 3,
    report: Path | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per labeler: R^2 on held-out rows and on unlabeled training rows."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.metrics import r2_score

    from labelwise.learn import (
        ClassStatisticsRegressor,
        ClusterRegressor,
        NearestLabeledRegressor,
        PseudoRegressor,
        split_target,
    )

    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: this example reads ../shared/datasets/tabular/california_housing.csv"
        )
    df = pd.read_csv(path)
    if sample is not None:
        df = df.sample(sample, random_state=seed).reset_index(drop=True)
    X, target = split_target(df, "median_house_value")
    y = target.to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    test = rng.random(len(y)) < 0.2
    labeled = ~test & (rng.random(len(y)) < labeled_share)
    X_train, X_test = X[~test], X[test]
    y_train = np.where(labeled, y, np.nan)[~test]
    y_train_true, y_test = y[~test], y[test]
    unl = np.isnan(y_train)

    def hgb() -> Any:
        return HistGradientBoostingRegressor(random_state=seed)

    labelers: dict[str, Any] = {
        "class statistics (10 bins, Mahalanobis)": ClassStatisticsRegressor(
            n_bins=10, categorical="auto"
        ),
        "nearest labeled (k=10)": NearestLabeledRegressor(k=10, categorical="auto"),
        "k-means, k by silhouette": ClusterRegressor(
            k_range=range(2, 11), categorical="auto", seed=seed
        ),
        "k-means, k by elbow": ClusterRegressor(
            k_range=range(5, 81, 5), select_by="elbow", categorical="auto", seed=seed
        ),
        "k-means, k=100": ClusterRegressor(k=100, categorical="auto", seed=seed),
        "pseudo-labeling (HGB, ensemble spread)": PseudoRegressor(
            hgb(),
            uncertainty="ensemble",
            n_members=5,
            max_rounds=pseudo_rounds,
            holdout=0.0,
            categorical="auto",
            seed=seed,
        ),
        "pseudo-labeling (HGB, quantile width)": PseudoRegressor(
            hgb(),
            uncertainty="quantile",
            max_rounds=pseudo_rounds,
            holdout=0.0,
            categorical="auto",
            seed=seed,
        ),
    }
    rows = []
    cluster_report = None
    for name, labeler in labelers.items():
        start = time.perf_counter()
        on_train = labeler.fit_label(X_train, y_train)
        on_test = labeler.label(X_test)
        seconds = time.perf_counter() - start
        ok_t = ~np.isnan(on_test.values)
        ok_u = unl & ~np.isnan(on_train.values)
        rows.append(
            {
                "labeler": name,
                "k": getattr(labeler, "k_", None),
                "r2_test": r2_score(y_test[ok_t], on_test.values[ok_t]),
                "r2_unlabeled": r2_score(y_train_true[ok_u], on_train.values[ok_u]),
                "coverage_test": float(ok_t.mean()),
                "mean_confidence": float(on_test.confidence[ok_t].mean()),
                "seconds": seconds,
            }
        )
        if name == "k-means, k by elbow":
            cluster_report = labeler
    prep = labelers["pseudo-labeling (HGB, ensemble spread)"].prep_
    for name, mask in (("HGB on labeled rows only", ~unl), ("HGB on all training prices", None)):
        start = time.perf_counter()
        rows_ = slice(None) if mask is None else mask
        model = hgb().fit(prep.transform(X_train[rows_]), y_train_true[rows_])
        seconds = time.perf_counter() - start
        rows.append(
            {
                "labeler": name,
                "k": None,
                "r2_test": r2_score(y_test, model.predict(prep.transform(X_test))),
                "r2_unlabeled": r2_score(
                    y_train_true[unl], model.predict(prep.transform(X_train[unl]))
                ),
                "coverage_test": 1.0,
                "mean_confidence": np.nan,
                "seconds": seconds,
            }
        )
    table = pd.DataFrame(rows)
    table["k"] = table["k"].astype("Int64")
    if report is not None and cluster_report is not None:
        from labelwise.reports import Report

        r = Report(
            "California housing: regression labels from 10% of prices",
            subtitle=f"{int(labeled.sum())} labeled, {int(unl.sum())} unlabeled, {int(test.sum())} test rows",
        )
        s = r.section("R^2 per labeler")
        s.table(table, index=False)
        k = r.section("k selection for the k-means labeler (elbow)")
        k.figure(cluster_report.plot_k_selection(), caption="k-selection curves")
        assert cluster_report.k_selection_ is not None
        k.table(cluster_report.k_selection_.to_frame(), index=False)
        r.save(report)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labeled-share", type=float, default=0.1)
    parser.add_argument("--sample", type=int, default=None, help="use a random subset of rows")
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args()
    table = run(labeled_share=args.labeled_share, sample=args.sample, report=args.report)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(f"California housing, {args.labeled_share:.0%} of training prices labeled")
        print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
