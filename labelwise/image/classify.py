"""Labeling with a pretrained image classifier, abstaining below a confidence.

The worked example is :class:`DigitClassifier`: an SVM trained on scikit-learn's bundled
8x8 digits (no download), which turns a picture of a handwritten digit into a vote for
``0``-``9``, or ABSTAIN when its top probability is below ``min_confidence``. The same
pattern, :func:`classifier_votes` plus :func:`classifier_labeling_function`, wraps any
model with a ``predict_proba(images)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError, require
from labelwise.faults import FaultLog, call_safely
from labelwise.labeling.lf import VectorizedLabelingFunction
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.labeling.votes import BaseLabeler, Votes, register_labeler

__all__ = [
    "DigitClassifier",
    "classifier_labeling_function",
    "classifier_votes",
    "digit_input",
    "load_digits_images",
]


def load_digits_images() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """scikit-learn's bundled handwritten digits as images.

    Returns
    -------
    images : uint8 array of shape (1797, 8, 8), ink bright on black (0-255)
    y : int array of shape (1797,)
    class_names : ["0", ..., "9"]
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    images = np.clip(np.rint(d.images * (255.0 / 16.0)), 0, 255).astype(np.uint8)
    return images, d.target.astype(np.int64), [str(i) for i in range(10)]


def digit_input(image: Any) -> np.ndarray:
    """Turn any picture of one digit into the 64 features the digits model expects.

    The image is made grayscale, inverted when the ink is dark on a light background,
    cropped to the ink, padded (centred) to a square, shrunk to 8x8 and scaled to 0-16
    (the digits data set's convention).

    Returns
    -------
    float array of shape (64,)
    """
    cv2 = require("cv2", "image")
    from labelwise.image.preprocess import to_grayscale

    arr = np.asarray(image)
    if arr.ndim == 3:
        arr = to_grayscale(arr)
    if arr.ndim != 2 or arr.size == 0:
        raise DataError(f"a digit image must be 2-D or RGB, got shape {np.asarray(image).shape}")
    g = arr.astype(np.float64)
    if g.max() > g.min():
        g = (g - g.min()) / (g.max() - g.min()) * 255.0
    if arr.shape == (8, 8):
        return np.clip(g / 255.0 * 16.0, 0, 16).reshape(-1)
    # The border tells the background: light background means dark ink.
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    if border.mean() > 127:
        g = 255.0 - g
    g8 = g.astype(np.uint8)
    _, mask = cv2.threshold(g8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ys, xs = np.nonzero(mask)
    if len(xs):
        g8 = g8[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = g8.shape
    # The digits data set's digits fill the grid's height (columns 1-6 hold most ink), so
    # the ink's bounding box is scaled to fill the 8x8 grid without extra margin.
    side = max(h, w)
    canvas = np.zeros((side, side), np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    canvas[top : top + h, left : left + w] = g8
    small = cv2.resize(canvas, (8, 8), interpolation=cv2.INTER_AREA).astype(np.float64)
    if small.max() > 0:
        small = small / small.max() * 16.0
    return small.reshape(-1)


def classifier_votes(
    proba: Any,
    *,
    min_confidence: float = 0.0,
    class_map: Mapping[int, int] | Sequence[int] | None = None,
) -> np.ndarray:
    """Votes from class probabilities: the top class, or ABSTAIN below ``min_confidence``.

    Parameters
    ----------
    proba : array of shape (n, k)
    min_confidence : float
    class_map : mapping or sequence, optional
        Maps the model's class index to the task's class (``-1`` to abstain on a class the
        task does not have).

    Examples
    --------
    >>> classifier_votes([[0.9, 0.1], [0.55, 0.45]], min_confidence=0.8).tolist()
    [0, -1]
    """
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2:
        raise DataError(f"proba must have shape (n, k), got {p.shape}")
    top = np.argmax(p, axis=1)
    conf = p[np.arange(len(p)), top] if len(p) else np.zeros(0)
    votes = top.astype(np.int64)
    if class_map is not None:
        lut = (
            np.array([class_map.get(i, ABSTAIN) for i in range(p.shape[1])])
            if isinstance(class_map, Mapping)
            else np.asarray(class_map, dtype=np.int64)
        )
        if len(lut) != p.shape[1]:
            raise DataError(f"class_map has {len(lut)} entries for {p.shape[1]} model classes")
        votes = lut[votes]
    return np.where(conf >= min_confidence, votes, ABSTAIN).astype(np.int64)


class DigitClassifier(BaseLabeler):
    """An SVM on scikit-learn's digits, applied to any image of a single digit.

    A labeler: :meth:`label` returns :class:`~labelwise.labeling.Votes` (digit classes
    ``"0".."9"``, confidences and probabilities; an unreadable image is a fault and
    abstains); :meth:`predict` returns the votes alone.

    Parameters
    ----------
    min_confidence : float
        :meth:`label` and :meth:`predict` abstain below it.
    C, gamma : float
        SVM parameters (tuned for the 0-16 digit scale).
    seed : int
        Seeds the probability calibration.

    Attributes
    ----------
    model_ : sklearn.calibration.CalibratedClassifierCV over an RBF SVC
    classes_ : list of str

    Examples
    --------
    >>> images, y, _ = load_digits_images()
    >>> clf = DigitClassifier(min_confidence=0.5).fit(images[:1000], y[:1000])
    >>> float((clf.predict(images[1000:1100]) == y[1000:1100]).mean()) > 0.9
    True
    >>> clf.label(images[1000:1003]).provenance["kind"]
    'image_classifier'
    """

    def __init__(
        self,
        *,
        min_confidence: float = 0.0,
        C: float = 10.0,
        gamma: float = 0.001,
        seed: int = 0,
        name: str = "digit_classifier",
    ) -> None:
        self.name = name
        self.min_confidence = min_confidence
        self.C = C
        self.gamma = gamma
        self.seed = seed

    def fit(self, images: Any = None, y: Any = None) -> DigitClassifier:
        """Train on ``images``/``y``, or on the whole bundled digits set when omitted."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import SVC

        if images is None:
            images, y, _ = load_digits_images()
        if y is None:
            raise DataError("fit(images, y) needs labels y when images are given")
        X = self._features(images)
        # Probabilities from Platt scaling fitted on held-out folds of the training set.
        self.model_ = CalibratedClassifierCV(
            SVC(C=self.C, gamma=self.gamma, random_state=self.seed),
            method="sigmoid",
            cv=3,
            ensemble=False,
        ).fit(X, np.asarray(y))
        self.classes_ = [str(c) for c in self.model_.classes_]
        self._fitted = True
        return self

    @staticmethod
    def _features(images: Any) -> np.ndarray:
        if isinstance(images, np.ndarray) and images.ndim == 3 and images.shape[1:] == (8, 8):
            return images.reshape(len(images), -1).astype(np.float64) * (16.0 / 255.0)
        return np.stack([digit_input(im) for im in images]) if len(images) else np.zeros((0, 64))

    def _check(self) -> None:
        self.check_fitted()

    def _one(self, image: Any) -> np.ndarray:
        """Features of one image (an array or a path)."""
        if isinstance(image, (str, Path)):
            from labelwise.image.io import read_image

            image = read_image(str(image))
        img = np.asarray(image)
        return self._features(img[None] if img.shape == (8, 8) else [img])[0]

    def predict_proba(self, images: Any) -> np.ndarray:
        """Class probabilities, shape (n, 10)."""
        self._check()
        return np.asarray(self.model_.predict_proba(self._features(images)))

    def predict(self, images: Any, *, min_confidence: float | None = None) -> np.ndarray:
        """Digits, ABSTAIN where the top probability is below the confidence."""
        t = self.min_confidence if min_confidence is None else min_confidence
        return classifier_votes(self.predict_proba(images), min_confidence=t)

    def label(self, images: Any) -> Votes:
        """Votes over ``images`` (arrays or paths); unreadable ones abstain as faults."""
        self._check()
        items = list(images) if not isinstance(images, np.ndarray) else images
        faults = FaultLog()
        k = len(self.classes_)
        proba = np.zeros((len(items), k))
        feats, rows = [], []
        for i, im in enumerate(items):
            ok, x = call_safely(self._one, im, item=i, faults=faults, source=self.name)
            if ok:
                feats.append(x)
                rows.append(i)
        if rows:
            proba[rows] = self.model_.predict_proba(np.stack(feats))
        conf = proba.max(axis=1) if k else np.zeros(len(items))
        usable = np.zeros(len(items), dtype=bool)
        usable[rows] = True
        candidates = np.where(usable, proba.argmax(axis=1), ABSTAIN)
        votes = np.where(usable & (conf >= self.min_confidence), candidates, ABSTAIN)
        prov = {
            "kind": "image_classifier",
            "model": "svm_digits",
            "min_confidence": self.min_confidence,
        }
        return Votes(
            self.name,
            votes,
            label_space=LabelSpace(self.classes_),
            confidence=conf,
            proba=proba,
            provenance=prov,
            faults=faults,
            candidates=candidates,
        )


def _digit_example() -> tuple[Any, Any, Any]:
    images, y, _ = load_digits_images()
    return DigitClassifier(min_confidence=0.3), images[:90], y[:90]


register_labeler(example=_digit_example)(DigitClassifier)


def classifier_labeling_function(
    predict_proba: Callable[[list[np.ndarray]], Any] | Any,
    *,
    min_confidence: float = 0.0,
    class_map: Mapping[int, int] | Sequence[int] | None = None,
    path_column: str = "path",
    mode: str = "rgb",
    batch_size: int = 64,
    name: str = "image_classifier",
) -> VectorizedLabelingFunction:
    """A labeling function that reads each row's image and votes the classifier's class.

    Parameters
    ----------
    predict_proba : callable or object with ``predict_proba``
        Takes a list of images, returns ``(n, k)`` probabilities.
    min_confidence : float
        Abstain below it.
    class_map : optional
        Model class index -> task class (see :func:`classifier_votes`).

    Unreadable images abstain.
    """
    from labelwise.image.io import read_image

    fn = getattr(predict_proba, "predict_proba", predict_proba)
    if not callable(fn):
        raise DataError("predict_proba must be callable or have a .predict_proba method")

    def vec(df: Any) -> np.ndarray:
        from labelwise.progress import progress

        paths = df[path_column].tolist()
        votes = np.full(len(paths), ABSTAIN, dtype=np.int64)
        starts = range(0, len(paths), batch_size)
        for s in progress(starts, total=len(starts), desc=f"classifying ({name})"):
            idx, imgs = [], []
            for i in range(s, min(s + batch_size, len(paths))):
                try:
                    imgs.append(read_image(str(paths[i]), mode=mode))
                    idx.append(i)
                except DataError:
                    continue
            if imgs:
                votes[idx] = classifier_votes(
                    fn(imgs), min_confidence=min_confidence, class_map=class_map
                )
        return votes

    def row(x: Any) -> int:
        img = read_image(str(x[path_column]), mode=mode)
        return int(
            classifier_votes(fn([img]), min_confidence=min_confidence, class_map=class_map)[0]
        )

    return VectorizedLabelingFunction(name, vec, columns=[path_column], row_f=row)
