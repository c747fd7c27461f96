"""Train and compare image classifiers: an SVM on flattened pixels or HOG, and a small CNN.

Each model can be trained with and without augmentation (the training set multiplied by
:mod:`labelwise.image.augment`), and every run is scored the same way: accuracy, per-class
precision/recall/F1 and a confusion matrix (:func:`evaluate_predictions`).
:func:`compare_classifiers` runs the grid and renders an HTML report.

The CNN is written in plain PyTorch (torchvision is not needed): two conv-ReLU-pool blocks,
global pooling to 4x4 and a small classifier head. Its randomness is seeded locally (torch's
global generator is forked and restored).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError, NotFittedError, require
from labelwise.labeling.scoring import votes_from_proba
from labelwise.labeling.space import LabelSpace
from labelwise.labeling.votes import BaseLabeler, Votes, register_labeler

__all__ = [
    "CNNImageClassifier",
    "ClassificationResult",
    "ComparisonResult",
    "SVMImageClassifier",
    "augment_training_set",
    "collection_to_arrays",
    "compare_classifiers",
    "evaluate_predictions",
]


@dataclass
class ClassificationResult:
    """Scores of one model on one test set."""

    model: str
    augmented: bool
    accuracy: float
    per_class: Any  # DataFrame: class, precision, recall, f1, support
    confusion: Any  # DataFrame: rows true class, columns predicted class
    n_train: int = 0
    n_test: int = 0


def evaluate_predictions(
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str],
    *,
    model: str = "model",
    augmented: bool = False,
    n_train: int = 0,
) -> ClassificationResult:
    """Accuracy, per-class precision/recall/F1 and the confusion matrix.

    Examples
    --------
    >>> r = evaluate_predictions([0, 1, 1, 0], [0, 1, 0, 0], ["a", "b"])
    >>> r.accuracy, r.per_class["recall"].tolist(), r.confusion.values.tolist()
    (0.75, [1.0, 0.5], [[2, 0], [1, 1]])
    """
    import pandas as pd
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    yt = np.asarray(y_true, dtype=np.int64)
    yp = np.asarray(y_pred, dtype=np.int64)
    if yt.shape != yp.shape:
        raise DataError(f"y_true has {len(yt)} items but y_pred has {len(yp)}")
    k = len(class_names)
    labels = list(range(k))
    p, r, f, s = precision_recall_fscore_support(yt, yp, labels=labels, zero_division=0)
    per_class = pd.DataFrame(
        {"class": list(class_names), "precision": p, "recall": r, "f1": f, "support": s}
    )
    cm = confusion_matrix(yt, yp, labels=labels)
    confusion = pd.DataFrame(
        cm,
        index=pd.Index(list(class_names), name="true"),
        columns=pd.Index(list(class_names), name="predicted"),
    )
    acc = float(np.mean(yt == yp)) if len(yt) else float("nan")
    return ClassificationResult(model, augmented, acc, per_class, confusion, n_train, len(yt))


def _as_batch(images: Any) -> np.ndarray:
    if isinstance(images, np.ndarray):
        arr = images
    else:
        shapes = {np.asarray(im).shape for im in images}
        if len(shapes) > 1:
            raise DataError(
                f"images have different shapes {sorted(shapes)[:4]}; resize them first "
                "(collection_to_arrays(..., size=(32, 32)))"
            )
        arr = np.stack([np.asarray(im) for im in images])
    if arr.ndim not in (3, 4):
        raise DataError(f"expected images of shape (n, h, w) or (n, h, w, c), got {arr.shape}")
    return arr


def _hog_batch(arr: np.ndarray, hog_size: int) -> np.ndarray:
    from labelwise.image.features import hog_descriptor

    return np.stack([hog_descriptor(im, size=hog_size) for im in arr])


def _class_space(classes: Any) -> LabelSpace:
    """Class indices ``0..k-1`` named ``"0".."k-1"`` (k >= 2)."""
    k = max(2, int(np.max(classes)) + 1 if len(classes) else 2)
    return LabelSpace([str(i) for i in range(k)])


class SVMImageClassifier(BaseLabeler):
    """An RBF SVM on flattened pixels (``features="flat"``) or HOG (``"hog"``).

    A labeler: :meth:`label` returns :class:`~labelwise.labeling.Votes` over a batch of
    same-shape images (classes are the integer labels it was fitted on).

    Attributes
    ----------
    model_ : sklearn pipeline (standardize + SVC)

    Examples
    --------
    >>> from labelwise.image.classify import load_digits_images
    >>> X, y, _ = load_digits_images()
    >>> clf = SVMImageClassifier(features="flat").fit(X[:500], y[:500])
    >>> float((clf.predict(X[500:600]) == y[500:600]).mean()) > 0.75
    True
    >>> clf.label(X[500:503]).provenance["kind"]
    'image_classifier'
    """

    def __init__(
        self,
        *,
        features: str = "hog",
        C: float = 10.0,
        hog_size: int = 32,
        seed: int = 0,
        name: str = "svm_image",
    ) -> None:
        self.name = name
        if features not in ("flat", "hog"):
            raise DataError(f"features must be 'flat' or 'hog', got {features!r}")
        self.features = features
        self.C = C
        self.hog_size = hog_size
        self.seed = seed

    def _x(self, images: Any) -> np.ndarray:
        arr = _as_batch(images)
        if self.features == "hog":
            return _hog_batch(arr, self.hog_size)
        return arr.reshape(len(arr), -1).astype(np.float32) / 255.0

    def fit(self, images: Any, y: Any) -> SVMImageClassifier:  # type: ignore[override]
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        self.model_ = make_pipeline(
            StandardScaler(), SVC(C=self.C, gamma="scale", random_state=self.seed)
        ).fit(self._x(images), np.asarray(y))
        self.label_space_ = _class_space(np.asarray(y, dtype=np.int64))
        self._fitted = True
        return self

    def predict(self, images: Any) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise NotFittedError("the classifier is not fitted; call fit() first")
        return np.asarray(self.model_.predict(self._x(images)), dtype=np.int64)

    def label(self, images: Any) -> Votes:
        """One vote per image (the SVM's class; it never abstains)."""
        self.check_fitted()
        prov = {"kind": "image_classifier", "model": "svm", "features": self.features}
        votes = self.predict(images) if len(images) else np.zeros(0, dtype=np.int64)
        return Votes(self.name, votes, label_space=self.label_space_, provenance=prov)


class CNNImageClassifier(BaseLabeler):
    """A small convolutional network in plain PyTorch.

    A labeler: :meth:`label` returns :class:`~labelwise.labeling.Votes` (with class
    probabilities), abstaining where the top probability is below ``min_confidence``.

    Parameters
    ----------
    epochs, batch_size, lr : training settings (Adam)
    image_size : int, optional
        Images are resized to it (square); ``None`` keeps their size (at least 8).
    seed : int
    n_threads : int, optional
        Torch threads while training and predicting (restored afterwards). One is fastest
        for a network this small, and far faster on a busy machine, where torch's worker
        threads otherwise wait on each other; ``None`` keeps torch's setting.
    progress : bool, optional
    min_confidence : float
        :meth:`label` abstains below it.
    name : str
        Column name of its votes.

    Attributes
    ----------
    net_ : torch.nn.Module
    classes_ : ndarray of the class indices seen in training
    history_ : list of float, mean training loss per epoch
    """

    def __init__(
        self,
        *,
        epochs: int = 10,
        batch_size: int = 64,
        lr: float = 3e-3,
        image_size: int | None = None,
        seed: int = 0,
        n_threads: int | None = 1,
        progress: bool | None = None,
        min_confidence: float = 0.0,
        name: str = "cnn_image",
    ) -> None:
        self.min_confidence = min_confidence
        self.name = name
        self.n_threads = n_threads
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.image_size = image_size
        self.seed = seed
        self.progress = progress

    def _tensor(self, images: Any) -> Any:
        torch = require("torch", "image")
        arr = _as_batch(images)
        if self.image_size is not None and arr.shape[1:3] != (self.image_size,) * 2:
            from labelwise.image.preprocess import resize

            arr = np.stack([resize(im, self.image_size, interpolation="area") for im in arr])
        x = arr.astype(np.float32) / 255.0
        x = x[:, None, :, :] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
        return torch.from_numpy(np.ascontiguousarray(x))

    @staticmethod
    def _build(torch: Any, in_ch: int, n_classes: int) -> Any:
        nn = torch.nn
        return nn.Sequential(
            nn.Conv2d(in_ch, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Dropout(0.25),
            nn.Linear(32 * 16, 64),
            nn.ReLU(),
            nn.Linear(64, n_classes),
        )

    def _threads(self) -> Any:
        torch = require("torch", "image")
        n = self.n_threads

        class _Threads:
            def __enter__(self) -> None:
                self.old = torch.get_num_threads()
                if n is not None:
                    torch.set_num_threads(n)

            def __exit__(self, *exc: object) -> None:
                torch.set_num_threads(self.old)

        return _Threads()

    def fit(self, images: Any, y: Any) -> CNNImageClassifier:  # type: ignore[override]
        with self._threads():
            return self._fit(images, y)

    def _fit(self, images: Any, y: Any) -> CNNImageClassifier:
        torch = require("torch", "image")
        from labelwise.progress import progress

        x = self._tensor(images)
        yy = np.asarray(y, dtype=np.int64)
        if len(yy) != len(x):
            raise DataError(f"{len(x)} images but {len(yy)} labels")
        if len(yy) == 0:
            raise DataError("no training images")
        self.classes_ = np.unique(yy)
        n_classes = int(yy.max()) + 1
        yt = torch.from_numpy(yy)
        # Fork the global RNG so seeding here never changes anyone else's randomness.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            net = self._build(torch, x.shape[1], n_classes)
            opt = torch.optim.Adam(net.parameters(), lr=self.lr)
            loss_fn = torch.nn.CrossEntropyLoss()
            gen = torch.Generator().manual_seed(self.seed)
            self.history_: list[float] = []
            net.train()
            for _ in progress(
                range(self.epochs), total=self.epochs, desc="training CNN", enabled=self.progress
            ):
                perm = torch.randperm(len(x), generator=gen)
                total = 0.0
                for s in range(0, len(x), self.batch_size):
                    idx = perm[s : s + self.batch_size]
                    if len(idx) < 2:
                        continue  # batch norm needs two items
                    opt.zero_grad()
                    loss = loss_fn(net(x[idx]), yt[idx])
                    loss.backward()
                    opt.step()
                    total += float(loss.item()) * len(idx)
                self.history_.append(total / len(x))
        net.eval()
        self.net_ = net
        self.label_space_ = _class_space(self.classes_)
        self._fitted = True
        return self

    def predict_proba(self, images: Any) -> np.ndarray:
        torch = require("torch", "image")
        if not hasattr(self, "net_"):
            raise NotFittedError("the classifier is not fitted; call fit() first")
        x = self._tensor(images)
        outs = []
        with self._threads(), torch.no_grad():
            for s in range(0, len(x), 512):
                outs.append(torch.softmax(self.net_(x[s : s + 512]), dim=1).numpy())
        return np.concatenate(outs) if outs else np.zeros((0, 0))

    def predict(self, images: Any) -> np.ndarray:
        return np.argmax(self.predict_proba(images), axis=1).astype(np.int64)

    def label(self, images: Any) -> Votes:
        """Votes with probabilities; ABSTAIN where the top probability < ``min_confidence``."""
        self.check_fitted()
        k = self.label_space_.k
        proba = np.zeros((len(images), k))
        if len(images):
            p = self.predict_proba(images)
            proba[:, : p.shape[1]] = p
        votes, conf = votes_from_proba(proba, min_confidence=self.min_confidence)
        prov = {"kind": "image_classifier", "model": "cnn", "min_confidence": self.min_confidence}
        return Votes(
            self.name,
            votes,
            label_space=self.label_space_,
            confidence=conf,
            proba=proba,
            provenance=prov,
            candidates=proba.argmax(axis=1) if len(images) else None,
        )


def _svm_example() -> tuple[Any, Any, Any]:
    from labelwise.image.classify import load_digits_images

    X, y, _ = load_digits_images()
    return SVMImageClassifier(features="flat"), X[:80], y[:80]


def _cnn_example() -> tuple[Any, Any, Any]:
    from labelwise.image.classify import load_digits_images

    X, y, _ = load_digits_images()
    return CNNImageClassifier(epochs=1, batch_size=16, min_confidence=0.2), X[:48], y[:48]


register_labeler(example=_svm_example)(SVMImageClassifier)
register_labeler(example=_cnn_example)(CNNImageClassifier)


def collection_to_arrays(
    collection: Any,
    *,
    size: int | tuple[int, int] = 32,
    mode: str = "rgb",
    progress: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Images of a labelled collection resized to one size, with encoded labels.

    Returns
    -------
    images : uint8 array of shape (n, h, w, 3) or (n, h, w)
    y : int array of shape (n,)
    class_names : list of str
    item_ids : list of str
        Only images with a class are included.
    """
    from labelwise.image.io import ImageCollection, load_images
    from labelwise.image.preprocess import resize

    col = collection if isinstance(collection, ImageCollection) else load_images(collection)
    space = col.label_space
    if space is None:
        raise DataError(
            "the images have no classes; use class sub-folders or a manifest label column"
        )
    y_all = col.encoded_labels()
    ids = col.item_ids
    imgs, ys, kept = [], [], []
    for i, img, _err in col.iter_images(mode=mode, desc="reading images", progress=progress):
        if img is None or y_all[i] < 0:
            continue
        imgs.append(resize(img, size, interpolation="area"))
        ys.append(y_all[i])
        kept.append(ids[i])
    if not imgs:
        raise DataError("no labelled image could be read")
    return np.stack(imgs), np.asarray(ys, dtype=np.int64), list(space.names), kept


def augment_training_set(
    images: np.ndarray,
    y: np.ndarray,
    *,
    preset: str | Mapping[str, Any] = "classic",
    n_per_image: int = 2,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The training images plus ``n_per_image`` augmented copies of each (in memory)."""
    from labelwise.image.augment import augment_image, build_augmentation

    pipe = build_augmentation(preset, seed=seed)
    extra = [augment_image(im, pipeline=pipe)[0] for _ in range(n_per_image) for im in images]
    if not extra:
        return images, y
    return np.concatenate([images, np.stack(extra)]), np.concatenate([y] + [y] * n_per_image)


@dataclass
class ComparisonResult:
    """All runs of :func:`compare_classifiers`; ``table`` has one row per run."""

    table: Any
    results: list[ClassificationResult] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)

    def best(self) -> ClassificationResult:
        return max(self.results, key=lambda r: r.accuracy)

    def to_report(self, path: str | Path | None = None, *, title: str = "Image classifiers") -> Any:
        """An HTML report: the comparison table, then per-run metrics and confusion matrices."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from labelwise.reports import Report

        rep = Report(title, subtitle="accuracy, per-class precision/recall, confusion matrices")
        s = rep.section("Comparison")
        s.table(self.table, index=False)
        fig, ax = plt.subplots(figsize=(6, 3))
        names = [f"{r.model}{' +aug' if r.augmented else ''}" for r in self.results]
        ax.barh(names, [r.accuracy for r in self.results], color="#4c78a8")
        ax.set_xlabel("test accuracy")
        ax.set_xlim(0, 1)
        s.figure(fig, caption="Test accuracy per model")
        for r, name in zip(self.results, names, strict=True):
            sec = rep.section(name)
            sec.kv({"accuracy": r.accuracy, "train images": r.n_train, "test images": r.n_test})
            sec.table(r.per_class, index=False)
            fig, ax = plt.subplots(figsize=(4, 3.5))
            ax.imshow(r.confusion.values, cmap="Blues")
            k = len(self.class_names)
            ax.set_xticks(range(k), self.class_names, rotation=90 if k > 6 else 0)
            ax.set_yticks(range(k), self.class_names)
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
            for (i, j), v in np.ndenumerate(r.confusion.values):
                ax.text(j, i, str(v), ha="center", va="center", fontsize=7)
            sec.figure(fig, caption="Confusion matrix")
        if path is not None:
            rep.save(path)
        return rep


def compare_classifiers(
    train_images: np.ndarray,
    y_train: np.ndarray,
    test_images: np.ndarray,
    y_test: np.ndarray,
    *,
    class_names: Sequence[str],
    models: Sequence[str] = ("svm-flat", "svm-hog", "cnn"),
    augment: str | Mapping[str, Any] | None = "classic",
    n_augment: int = 2,
    cnn_epochs: int = 10,
    seed: int = 0,
    progress: bool | None = None,
) -> ComparisonResult:
    """Train every model with and (when ``augment`` is set) without augmentation; score each.

    Parameters
    ----------
    models : subset of ("svm-flat", "svm-hog", "cnn")
    augment : preset name or recipe, or None to skip the augmented runs
        Pick a preset that keeps labels valid (``"digits"`` for digits: no flips).
    n_augment : int
        Augmented copies per training image.
    """
    import pandas as pd

    known = ("svm-flat", "svm-hog", "cnn")
    bad = [m for m in models if m not in known]
    if bad:
        raise DataError(f"unknown models {bad}; choose from {known}")
    variants = [(False, train_images, y_train)]
    if augment is not None:
        xa, ya = augment_training_set(
            train_images, y_train, preset=augment, n_per_image=n_augment, seed=seed
        )
        variants.append((True, xa, ya))
    results = []
    for augmented, xs, ys in variants:
        for m in models:
            clf: Any
            if m == "cnn":
                clf = CNNImageClassifier(epochs=cnn_epochs, seed=seed, progress=progress)
            else:
                clf = SVMImageClassifier(features=m.split("-")[1], seed=seed)
            clf.fit(xs, ys)
            results.append(
                evaluate_predictions(
                    y_test,
                    clf.predict(test_images),
                    class_names,
                    model=m,
                    augmented=augmented,
                    n_train=len(xs),
                )
            )
    table = pd.DataFrame(
        [
            {
                "model": r.model,
                "augmented": r.augmented,
                "train images": r.n_train,
                "accuracy": r.accuracy,
                "macro precision": float(r.per_class["precision"].mean()),
                "macro recall": float(r.per_class["recall"].mean()),
            }
            for r in results
        ]
    )
    return ComparisonResult(table, results, list(class_names))
