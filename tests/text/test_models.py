"""TF-IDF k-means with named clusters mapped from seeds, and TF-IDF logistic regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelwise.embed import NotFittedError
from labelwise.errors import LabelwiseError
from labelwise.labeling import ABSTAIN
from labelwise.labeling.apply import LFApplier
from labelwise.text import TfidfKMeansLabeler, TfidfLogisticLabeler, cluster_top_terms

SPORT = [f"the team won the football match {i} with a late goal" for i in range(12)]
FOOD = [f"this pasta recipe needs garlic tomato and basil {i}" for i in range(12)]
TECH = [f"update the laptop software driver and reboot {i}" for i in range(12)]
TEXTS = SPORT + FOOD + TECH


def test_kmeans_finds_named_clusters_and_maps_seeds():
    seeds: list[str | None] = [None] * len(TEXTS)
    seeds[0], seeds[1] = "sport", "sport"
    seeds[12] = "food"  # one seed is enough when the cluster is pure
    km = TfidfKMeansLabeler(3, seed=0, min_purity=0.6).fit(TEXTS, seeds)
    assert sorted(km.cluster_sizes_.tolist()) == [12, 12, 12]
    names = " / ".join(km.cluster_names_)
    assert "football" in names and "garlic" in names and "laptop" in names
    sv = km.label(TEXTS)
    space = km.label_space_
    assert space.names == ["food", "sport"]
    assert (sv.votes[:12] == space.index("sport")).all()
    assert (sv.votes[12:24] == space.index("food")).all()
    assert (sv.votes[24:] == ABSTAIN).all()  # no seed in the tech cluster: it abstains
    summary = km.summary()
    assert summary["size"].sum() == 36 and set(summary["votes"]) == {"sport", "food", ""}
    # Smoothed purity: 2 sport seeds -> (2 + 1/2) / 3 confidence.
    assert sv.confidence[0] == pytest.approx((2 + 0.5) / 3, abs=1e-6)
    assert km.predict(["a goal in the football match"]).tolist() == [space.index("sport")]


def test_kmeans_purity_threshold_and_errors():
    seeds: list[str | None] = [None] * len(TEXTS)
    seeds[0], seeds[1] = "sport", "food"  # a mixed cluster
    km = TfidfKMeansLabeler(3, seed=0, min_purity=0.9).fit(TEXTS, seeds)
    assert (km.label(TEXTS).votes == ABSTAIN).all()
    unmapped = TfidfKMeansLabeler(3, seed=0).fit(TEXTS)
    with pytest.raises(NotFittedError, match="map_clusters"):
        unmapped.label(TEXTS)
    with pytest.raises(LabelwiseError, match="one per text"):
        unmapped.map_clusters(["sport"])
    with pytest.raises(LabelwiseError, match="cannot form"):
        TfidfKMeansLabeler(5).fit(["a b", "c d", None])
    with pytest.raises(LabelwiseError, match="n_clusters"):
        TfidfKMeansLabeler(1)


def test_cluster_top_terms_skips_zero_weights():
    assert cluster_top_terms(np.array([[0.0, 0.3, 0.0]]), ["a", "b", "c"], k=3) == [["b"]]


def test_logistic_on_few_labels_and_in_the_applier():
    train = [SPORT[0], SPORT[1], FOOD[0], FOOD[1], TECH[0], None]
    y = ["sport", "sport", "food", "food", "tech", "tech"]
    lr = TfidfLogisticLabeler(fit_vocabulary_on=TEXTS).fit(train, y)
    assert lr.n_examples_ == {"food": 2, "sport": 2, "tech": 1}
    pred = lr.predict(TEXTS)
    truth = np.repeat([lr.label_space_.index(c) for c in ("sport", "food", "tech")], 12)
    assert (pred == truth).mean() > 0.95
    df = pd.DataFrame({"t": [*TEXTS, ""]})
    L = LFApplier([lr.as_lf("t")], label_space=lr.label_space_).apply(df)
    assert L.names == ["tfidf_logreg"] and L.values[-1, 0] == ABSTAIN
    lr.fit_threshold(
        TEXTS, [c for c in ("sport", "food", "tech") for _ in range(12)], target_accuracy=1.0
    )
    assert (
        lr.label(TEXTS).votes[lr.label(TEXTS).votes != ABSTAIN]
        == truth[lr.label(TEXTS).votes != ABSTAIN]
    ).all()
    with pytest.raises(LabelwiseError, match="at least 2 classes"):
        TfidfLogisticLabeler().fit(SPORT[:3], ["sport"] * 3)
    with pytest.raises(LabelwiseError, match="analyzer"):
        TfidfLogisticLabeler(analyzer="bytes").fit(SPORT[:2] + FOOD[:2], ["a", "a", "b", "b"])


def test_char_ngrams_handle_misspellings():
    lr = TfidfLogisticLabeler(analyzer="char_wb", ngram_range=(2, 4)).fit(
        ["free prize winner", "claim free cash", "see you at lunch", "lunch at noon ok"],
        ["spam", "spam", "ham", "ham"],
    )
    assert lr.predict(["fr33 priiize winnr", "lnch at noon?"]).tolist() == [1, 0]


def test_real_sms_tfidf_labelers(shared_datasets):
    from labelwise.text import read_texts

    df = read_texts(shared_datasets / "text" / "sms_spam.tsv", column="SMS", label="Label")
    df = df.sample(1500, random_state=0).reset_index(drop=True)
    rng = np.random.default_rng(0)
    seed_idx = np.concatenate(
        [rng.choice(np.flatnonzero(df["Label"] == c), 20, replace=False) for c in ("ham", "spam")]
    )
    y = (df["Label"] == "spam").astype(int).to_numpy()
    lr = TfidfLogisticLabeler(analyzer="char_wb", ngram_range=(2, 5), fit_vocabulary_on=df["SMS"])
    lr.fit(df["SMS"].iloc[seed_idx], df["Label"].iloc[seed_idx])
    acc = (lr.predict(df["SMS"]) == y).mean()
    assert acc > 0.85  # 40 labels, 1,500 texts
    seeds = pd.Series([None] * len(df), dtype=object)
    seeds.iloc[seed_idx] = df["Label"].iloc[seed_idx]
    km = TfidfKMeansLabeler(10, seed=0, min_seeds=2, analyzer="char_wb", ngram_range=(3, 5))
    km.fit(df["SMS"], seeds)
    v = km.predict(df["SMS"])
    covered = v != ABSTAIN
    # Better than the 87% of the majority class on what it covers.
    assert covered.mean() > 0.2 and (v[covered] == y[covered]).mean() > 0.9
    spam_cluster = int(np.flatnonzero(km.cluster_class_ == km.label_space_.index("spam"))[0])
    assert {
        "free",
        "txt",
        "prize",
        "claim",
        "mobile",
        "text",
        "stop",
        "reply",
        "nokia",
        "cash",
    } & set(km.cluster_terms_[spam_cluster])
