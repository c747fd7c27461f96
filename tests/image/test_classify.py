from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from labelwise.errors import DataError, NotFittedError
from labelwise.image import (
    DigitClassifier,
    classifier_labeling_function,
    classifier_votes,
    digit_input,
    load_digits_images,
)
from labelwise.labeling import ABSTAIN
from labelwise.labeling.apply import LFApplier


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    X, y, names = load_digits_images()
    assert X.shape == (1797, 8, 8) and X.dtype == np.uint8 and names[3] == "3"
    return X, y


@pytest.fixture(scope="module")
def clf(digits: tuple[np.ndarray, np.ndarray]) -> DigitClassifier:
    X, y = digits
    return DigitClassifier().fit(X[:1200], y[:1200])


def as_scan(img8: np.ndarray, side: int = 96) -> np.ndarray:
    """An 8x8 digit rendered like a scan: dark ink on white paper, large, off-centre."""
    big = cv2.resize(img8, (side // 2, side // 2), interpolation=cv2.INTER_CUBIC)
    page = np.zeros((side, side), np.uint8)
    page[10 : 10 + side // 2, 20 : 20 + side // 2] = big
    return np.repeat((255 - page)[:, :, None], 3, axis=2)


def test_classifier_accuracy_and_abstain(clf: DigitClassifier, digits: tuple) -> None:
    X, y = digits
    pred = clf.predict(X[1200:])
    assert np.mean(pred == y[1200:]) > 0.95
    strict = clf.predict(X[1200:], min_confidence=0.999)
    assert (strict == ABSTAIN).sum() > (pred == ABSTAIN).sum()
    kept = strict != ABSTAIN
    # abstaining on unsure items makes the votes that remain more accurate
    assert np.mean(strict[kept] == y[1200:][kept]) >= np.mean(pred == y[1200:])
    assert clf.predict_proba(X[:3]).shape == (3, 10)


def test_digit_input_handles_real_looking_scans(clf: DigitClassifier, digits: tuple) -> None:
    X, y = digits
    scans = [as_scan(X[i]) for i in range(1200, 1300)]
    assert digit_input(scans[0]).shape == (64,)
    pred = clf.predict(scans)
    assert np.mean(pred == y[1200:1300]) > 0.8
    with pytest.raises(DataError, match="2-D or RGB"):
        digit_input(np.zeros((2, 2, 2, 2)))


def test_classifier_votes_mapping() -> None:
    p = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.4, 0.35, 0.25]]
    assert classifier_votes(p, min_confidence=0.5).tolist() == [0, 2, ABSTAIN]
    assert classifier_votes(p, class_map={0: 1, 2: ABSTAIN}).tolist() == [1, ABSTAIN, 1]
    assert classifier_votes(p, class_map=[5, 6, 7]).tolist() == [5, 7, 5]
    with pytest.raises(DataError, match="class_map"):
        classifier_votes(p, class_map=[1])
    with pytest.raises(NotFittedError, match="not fitted"):
        DigitClassifier().predict(np.zeros((1, 8, 8), np.uint8))


def test_classifier_labeling_function_over_files(
    clf: DigitClassifier, digits: tuple, tmp_path: Path
) -> None:
    X, y = digits
    import pandas as pd

    paths = []
    for i in range(1300, 1320):
        p = tmp_path / f"d{i}.png"
        Image.fromarray(as_scan(X[i])).save(p)
        paths.append(str(p))
    paths.append(str(tmp_path / "missing.png"))
    table = pd.DataFrame({"path": paths})
    # task: is the digit odd (1) or even (0)? map the classifier's ten classes onto two
    lf = classifier_labeling_function(
        clf, min_confidence=0.5, class_map=[i % 2 for i in range(10)], name="digit_parity"
    )
    L = LFApplier([lf]).apply(table)
    votes = L.values[:, 0]
    assert votes[-1] == ABSTAIN
    voted = votes[:-1] != ABSTAIN
    assert voted.sum() >= 12
    assert np.mean(votes[:-1][voted] == (y[1300:1320] % 2)[voted]) > 0.8
    row_vote = lf({"path": paths[0]})
    assert row_vote == votes[0]
