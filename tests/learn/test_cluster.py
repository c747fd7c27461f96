"""k selection (inertia, silhouette, Davies-Bouldin, Dunn) and cluster naming."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labelwise.errors import LabelwiseError
from labelwise.labeling import ABSTAIN
from labelwise.learn import (
    ClusterLabeler,
    ClusterRegressor,
    dunn_index,
    find_elbow,
    prepare_features,
    score_k_range,
)


def _four_blobs(n: int = 60, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=float)
    return np.vstack([rng.normal(c, 0.7, size=(n, 2)) for c in centres])


def test_dunn_index_by_hand() -> None:
    X = np.array([[0.0], [2.0], [10.0], [11.0]])
    # diameters 2 and 1, nearest points of different clusters 8 apart
    assert dunn_index(X, np.array([0, 0, 1, 1])) == pytest.approx(4.0)
    assert np.isnan(dunn_index(X, np.zeros(4)))
    # a worse split has a smaller index
    assert dunn_index(X, np.array([0, 1, 1, 1])) < 1


def test_find_elbow() -> None:
    assert find_elbow([2, 3, 4, 5, 6, 7], [900, 500, 100, 90, 85, 80]) == 4
    assert find_elbow([2, 3], [10, 5]) == 3


@pytest.mark.parametrize("method", ["silhouette", "elbow", "dunn", "davies_bouldin"])
def test_every_k_criterion_finds_four_blobs(method: str) -> None:
    sel = score_k_range(_four_blobs(), range(2, 9), seed=0)
    assert sel.best_k(method) == 4  # type: ignore[arg-type]


def test_k_selection_table_and_plot(test_output: Path) -> None:
    sel = score_k_range(_four_blobs(), range(2, 7), seed=0)
    df = sel.to_frame()
    assert df["k"].tolist() == [2, 3, 4, 5, 6]
    assert df["inertia"].is_monotonic_decreasing
    assert "silhouette" in df.loc[df["k"] == 4, "chosen_by"].item()
    fig = sel.plot(chosen=4)
    path = test_output / "learn_k_selection.png"
    fig.savefig(path)
    assert path.stat().st_size > 10_000
    with pytest.raises(LabelwiseError, match="select_by='gap'"):
        sel.best_k("gap")  # type: ignore[arg-type]


def test_minibatch_path_gives_same_structure() -> None:
    sel = score_k_range(_four_blobs(), range(2, 7), minibatch=True, seed=0)
    assert sel.minibatch
    assert sel.best_k("silhouette") == 4


def test_k_larger_than_rows_is_refused() -> None:
    X = _four_blobs(n=2)
    with pytest.raises(
        LabelwiseError, match=r"k=20 clusters is larger than the number of rows \(8\)"
    ):
        score_k_range(X, [20])
    with pytest.raises(LabelwiseError, match=r"k=20 clusters is larger"):
        ClusterLabeler(k=20).fit_label(X, [0, 1] + [-1] * 6)
    with pytest.raises(LabelwiseError, match="every k in k_range"):
        ClusterLabeler(k_range=range(10, 12)).fit_label(X, [0, 1] + [-1] * 6)


def test_clusters_matching_classes_get_those_labels(blob_factory: Any) -> None:
    b = blob_factory(labeled_per_class=3, seed=1)
    labeler = ClusterLabeler(k_range=range(2, 7), seed=0)
    result = labeler.fit_label(b.X, b.y)
    assert labeler.k_ == 3
    assert np.mean(result.votes == b.y_true) > 0.98
    table = labeler.cluster_table()
    assert table["size"].sum() == len(b.y)
    assert (table[["n_0", "n_1", "n_2"]].to_numpy().sum(axis=1) == 3).all()
    # 3 agreeing labeled rows among 3 classes: (3 + 1) / (3 + 3)
    assert np.allclose(labeler.cluster_confidence_, 4 / 6)


def test_cluster_without_labeled_rows_abstains(blob_factory: Any) -> None:
    b = blob_factory(labeled_per_class=3, seed=1)
    y = b.y.copy()
    y[b.y == 2] = -1  # no labels left in the third cluster
    labeler = ClusterLabeler(k=3, seed=0)
    result = labeler.fit_label(b.X, y, label_space=None)
    third = b.y_true == 2
    assert np.all(result.votes[third] == ABSTAIN)
    assert np.mean(result.votes[~third] == b.y_true[~third]) > 0.98


def test_conflicting_cluster_abstains(blob_factory: Any) -> None:
    b = blob_factory(labeled_per_class=4, seed=2)
    y = b.y.copy()
    rows0 = np.flatnonzero(y == 0)
    y[rows0[:2]] = 1  # cluster 0 now has 2 x class 0, 2 x class 1: a tie
    labeler = ClusterLabeler(k=3, seed=0)
    result = labeler.fit_label(b.X, y)
    c0 = b.y_true == 0
    unl = y == -1
    assert np.all(result.votes[c0 & unl] == ABSTAIN)
    lenient = ClusterLabeler(k=3, min_purity=0.0, seed=0).fit_label(b.X, y)
    assert np.all(lenient.votes[c0 & unl] == ABSTAIN)  # a tie abstains whatever the purity
    strict = ClusterLabeler(k=3, min_labeled=5, seed=0).fit_label(b.X, b.y)
    assert np.all(strict.votes == ABSTAIN)  # 4 labeled rows per cluster < 5


def test_cluster_report(blob_factory: Any, test_output: Path) -> None:
    b = blob_factory(labeled_per_class=3, seed=1)
    labeler = ClusterLabeler(k_range=range(2, 6), seed=0)
    labeler.fit_label(b.X, b.y)
    path = test_output / "learn_cluster_report.html"
    r = labeler.report(path)
    assert r.section_titles == ["Choice of k", "Clusters and their labels"]
    html = path.read_text()
    assert html.count("data:image/png;base64") == 1 and "davies_bouldin" in html
    fixed = ClusterLabeler(k=3, seed=0)
    fixed.fit_label(b.X, b.y)
    with pytest.raises(LabelwiseError, match="k='auto'"):
        fixed.plot_k_selection()
    assert "fixed by the caller" in fixed.report().to_html()


def test_cluster_regressor_means_and_loo(regression: Any) -> None:
    reg = ClusterRegressor(k=4, seed=0)
    result = reg.fit_label(regression.X, regression.y)
    # the four target levels are recovered as cluster means
    assert sorted(np.round(reg.cluster_means_, -1).tolist()) == [10.0, 20.0, 30.0, 40.0]
    lab = np.flatnonzero(regression.labeled)
    cl = reg.clusters_[lab[0]]
    others = lab[(reg.clusters_[lab] == cl) & (lab != lab[0])]
    assert result.values[lab[0]] == pytest.approx(regression.y[others].mean())
    sparse = np.full(len(regression.y), np.nan)
    sparse[lab[:3]] = regression.y[lab[:3]]
    thin = ClusterRegressor(k=4, min_labeled=2, seed=0).fit_label(regression.X, sparse)
    assert np.isnan(thin.values).mean() > 0.2  # clusters without 2 labeled rows abstain


def test_prepare_features_then_score() -> None:
    X = prepare_features(_four_blobs() * [1, 1000])
    assert np.allclose(X.std(axis=0), 1.0)
