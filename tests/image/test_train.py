from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labelwise.errors import DataError, NotFittedError
from labelwise.image import (
    CNNImageClassifier,
    SVMImageClassifier,
    augment_training_set,
    collection_to_arrays,
    compare_classifiers,
    evaluate_predictions,
    load_digits_images,
)

pytest.importorskip("torch")


def test_evaluate_predictions_values() -> None:
    r = evaluate_predictions([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], ["a", "b", "c"], model="m")
    assert r.accuracy == pytest.approx(0.6)
    pc = r.per_class.set_index("class")
    assert pc.loc["a", "precision"] == pytest.approx(0.5) and pc.loc[
        "a", "recall"
    ] == pytest.approx(0.5)
    assert pc.loc["b", "precision"] == pytest.approx(2 / 3) and pc.loc["b", "recall"] == 1.0
    assert pc.loc["c", "recall"] == 0.0 and pc.loc["c", "support"] == 1
    assert r.confusion.loc["c", "a"] == 1 and r.confusion.values.sum() == 5
    with pytest.raises(DataError, match="items"):
        evaluate_predictions([0, 1], [0], ["a", "b"])


def test_svm_and_cnn_on_digits_with_and_without_augmentation(test_output: Path) -> None:
    X, y, names = load_digits_images()
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(X))
    tr, te = idx[:400], idx[400:700]
    res = compare_classifiers(
        X[tr],
        y[tr],
        X[te],
        y[te],
        class_names=names,
        augment="digits",
        n_augment=1,
        cnn_epochs=6,
        seed=0,
    )
    t = res.table
    assert len(t) == 6 and set(t["model"]) == {"svm-flat", "svm-hog", "cnn"}
    assert t.loc[t["augmented"], "train images"].eq(800).all()
    acc = dict(zip(zip(t["model"], t["augmented"], strict=True), t["accuracy"], strict=True))
    assert acc[("svm-flat", False)] > 0.9
    assert acc[("cnn", False)] > 0.6
    assert all(a > 0.5 for a in acc.values())
    r = res.results[0]
    assert r.confusion.shape == (10, 10) and r.confusion.values.sum() == 300
    rep = res.to_report(test_output / "image_training_digits.html")
    assert "Comparison" in rep.section_titles and "cnn +aug" in rep.section_titles
    assert res.best().accuracy == t["accuracy"].max()


def test_cnn_is_seeded_locally() -> None:
    import torch

    X, y, _ = load_digits_images()
    before = torch.random.get_rng_state()
    a = CNNImageClassifier(epochs=2, seed=3).fit(X[:200], y[:200]).predict_proba(X[200:220])
    assert torch.equal(before, torch.random.get_rng_state())  # global RNG untouched
    b = CNNImageClassifier(epochs=2, seed=3).fit(X[:200], y[:200]).predict_proba(X[200:220])
    np.testing.assert_allclose(a, b, atol=1e-6)
    clf = CNNImageClassifier(epochs=3, seed=0).fit(X[:200], y[:200])
    assert clf.history_[-1] < clf.history_[0]
    with pytest.raises(NotFittedError, match="not fitted"):
        CNNImageClassifier().predict(X[:2])
    with pytest.raises(DataError, match="different shapes"):
        SVMImageClassifier().fit([np.zeros((8, 8)), np.zeros((9, 9))], [0, 1])


def test_folder_dataset_training(shapes_dir: Path) -> None:
    X, y, names, ids = collection_to_arrays(shapes_dir, size=32)
    assert X.shape == (16, 32, 32, 3) and names == ["circle", "square"] and len(ids) == 16
    Xa, ya = augment_training_set(X, y, preset="flips", n_per_image=2, seed=0)
    assert Xa.shape[0] == 48 and (ya[:16] == y).all() and (ya[16:32] == y).all()
    train = np.r_[0:6, 8:14]
    test = np.r_[6:8, 14:16]
    svm = SVMImageClassifier(features="hog").fit(
        Xa[np.r_[train, train + 16, train + 32]], ya[np.r_[train, train + 16, train + 32]]
    )
    assert (svm.predict(X[test]) == y[test]).mean() >= 0.75
    cnn = CNNImageClassifier(epochs=3, image_size=16).fit(X[train], y[train])
    assert cnn.predict(X[test]).shape == (4,)
    with pytest.raises(DataError, match="no classes"):
        collection_to_arrays([p for p in sorted(shapes_dir.rglob("*.png"))])
