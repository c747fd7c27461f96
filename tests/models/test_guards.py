"""Guards: no label model is silently worse than majority vote (real bundled data)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from labelwise.labeling import LFApplier, in_range, threshold
from labelwise.models import (
    MODELS,
    DevSetError,
    LabelModelWarning,
    MajorityVote,
    WeightedVote,
    make_label_model,
    select_label_model,
)

MALIGNANT, BENIGN = 0, 1


@pytest.fixture(scope="module")
def cancer_one_sided():
    """scikit-learn's bundled breast cancer table with one-sided rules (each votes one
    class), written from the feature descriptions, not tuned on the labels."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    df = bunch.frame.drop(columns=["target"])
    rules = [
        threshold("worst concave points", ">", 0.17, MALIGNANT, name="concave"),
        threshold("worst area", ">", 1100, MALIGNANT, name="large_area"),
        threshold("mean radius", ">", 16, MALIGNANT, name="large_radius"),
        threshold("worst texture", ">", 30, MALIGNANT, name="rough"),
        threshold("worst concave points", "<", 0.09, BENIGN, name="smooth"),
        threshold("worst area", "<", 600, BENIGN, name="small_area"),
        in_range("mean radius", 0, 12, BENIGN, name="small_radius"),
    ]
    L = LFApplier(rules, cardinality=2).apply(df).values
    return L, bunch.target.to_numpy().astype(np.int64)


def test_every_model_matches_majority_vote_or_warns_and_is_not_chosen(cancer_one_sided):
    L, y = cancer_one_sided
    mv = MajorityVote().fit(L).predict(L)
    decided = mv != -1
    mv_acc = float(np.mean(mv[decided] == y[decided]))
    dev = np.random.default_rng(0).choice(len(y), size=150, replace=False)
    for name in MODELS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = make_label_model(name, cardinality=2, seed=0).fit(L)
        pred = np.argmax(model.predict_proba(L), axis=1)
        acc = float(np.mean(pred[decided] == y[decided]))
        warned = any(issubclass(w.category, LabelModelWarning) for w in caught)
        if model.guards_.ok:
            assert not warned
            assert acc >= mv_acc - 0.002, (name, acc, mv_acc)
        else:
            assert warned, name
            best = select_label_model(L[dev], y[dev], L_train=L, candidates=[name], seed=0)
            assert isinstance(best, MajorityVote), name
            row = next(r for r in best.selection_report_ if r["model"] == name)
            assert row["guards_ok"] is False and not row["selected"]
    # The one-sided fix: Dawid-Skene refits with the votes' class balance and then agrees.
    ds = make_label_model("ds", cardinality=2, seed=0).fit(L)
    assert ds.guards_.ok and ds.guards_.resolution.startswith("refitted")


def test_flipped_model_warns_in_plain_words(cancer_one_sided):
    L, _ = cancer_one_sided
    flipped = WeightedVote(weights=[-1.0] * L.shape[1])
    with pytest.warns(LabelModelWarning, match="agrees with majority vote on only 0.0%"):
        flipped.fit(L)
    report = flipped.guards_
    assert not report.ok and report.severe
    names = {c["check"] for c in report.as_records() if not c["ok"]}
    assert "agreement_with_majority" in names
    assert "--model mv" in report.message()


def test_majority_vote_is_the_unguarded_baseline(cancer_one_sided):
    L, _ = cancer_one_sided
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = MajorityVote().fit(L)
    assert model.guards_.ok and model.guards_.resolution == "baseline"


def test_gold_backs_a_model_that_overrules_the_majority(votes_factory):
    data = votes_factory(20_000, [0.95, 0.9, 0.85, 0.75, 0.65, 0.6, 0.58, 0.55], k=2, seed=3)
    with pytest.warns(LabelModelWarning):
        alone = make_label_model("ds", cardinality=2, seed=0).fit(data.L)
    assert not alone.guards_.ok
    backed = make_label_model("ds", cardinality=2, seed=0).fit(
        data.L, y_dev=data.y[:2000], L_dev=data.L[:2000]
    )
    assert backed.guards_.ok
    assert "gold backs the model" in " ".join(c.message for c in backed.guards_.checks)


def test_selection_refuses_a_dev_set_without_every_class(cancer_one_sided):
    L, y = cancer_one_sided
    benign = np.flatnonzero(y == BENIGN)[:50]
    with pytest.raises(DevSetError, match=r"no item of class\(es\) \[0\]"):
        select_label_model(L[benign], y[benign], L_train=L)


def test_pipeline_draws_a_stratified_dev_set_and_reports_ece():
    import pandas as pd

    from labelwise.pipeline import label_table, stratified_dev_index

    y = np.array([0] * 990 + [1] * 10)
    idx = stratified_dev_index(y, 50, 2, np.random.default_rng(1))
    assert len(idx) == 50 and set(np.unique(y[idx])) == {0, 1}
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=400)})
    truth = (df.x > 0).astype(int).to_numpy()
    rules = [threshold("x", ">", 0.2, 1, name="pos"), threshold("x", "<", -0.2, 0, name="neg")]
    run = label_table(df, rules, cardinality=2, gold=truth, dev_size=100, seed=0)
    assert all(0.0 <= row["ece"] <= 1.0 for row in run.evaluation)
    assert set(np.unique(truth[run.dev_index])) == {0, 1}
