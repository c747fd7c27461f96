"""Image embeddings for clustering and active learning.

The default backbone is *classical*: HSV colour histograms, HOG and a few intensity and
shape statistics, standardized; it needs no model and is fast. Any CNN backbone can be
used by path instead:

* ``.onnx``: run by OpenCV DNN (e.g. a torchvision or timm model exported with
  ``torch.onnx.export``);
* ``.pt`` / ``.pth`` / ``.ts``: a TorchScript module (``torch.jit.trace(model, x).save(p)``),
  which needs only torch; a whole pickled torchvision/timm model also works when that
  package is importable (a clear error says which one is missing).

Inputs to CNN backbones are resized to ``input_size`` and normalized with ImageNet's mean
and standard deviation unless told otherwise. Embeddings are L2-normalized rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError, MissingDependencyError, NotFittedError, require

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "ImageEmbedder",
    "classical_embedding",
    "cluster_images",
    "embed_images",
    "select_diverse",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def classical_embedding(image: Any, *, bins: int = 8, hog_size: int = 32) -> np.ndarray:
    """Colour histograms, HOG and intensity/shape statistics of one image, shape (d,)."""
    from labelwise.image.features import image_features

    f = image_features(
        image, groups=("basic", "color", "threshold", "shape", "hog"), bins=bins, hog_size=hog_size
    )
    drop = {"width", "height", "threshold"}
    vals = np.array([v for k, v in f.items() if k not in drop], dtype=np.float64)
    return vals


class ImageEmbedder:
    """Embed images with the classical features or a CNN backbone given by path.

    Parameters
    ----------
    backbone : "classical" or path
        See the module docstring.
    input_size : int
        Side CNN inputs are resized to.
    mean, std : (3,) floats
        Normalization of ``[0, 1]`` RGB inputs for CNN backbones.
    batch_size : int

    Attributes
    ----------
    mean_, scale_ : arrays
        Standardization learned by :meth:`fit` (classical backbone only).

    Examples
    --------
    >>> imgs = [np.full((20, 20, 3), v, np.uint8) for v in (0, 128, 255)]
    >>> ImageEmbedder().fit(imgs).transform(imgs).shape[0]
    3
    """

    def __init__(
        self,
        backbone: str | Path = "classical",
        *,
        input_size: int = 224,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
        batch_size: int = 16,
    ) -> None:
        self.backbone = backbone
        self.input_size = input_size
        self.mean = tuple(mean)
        self.std = tuple(std)
        self.batch_size = batch_size
        self._runner: Any = None

    @property
    def is_classical(self) -> bool:
        return str(self.backbone) == "classical"

    def _load(self) -> Any:
        if self._runner is not None:
            return self._runner
        p = Path(self.backbone)
        if not p.is_file():
            raise DataError(
                f"backbone {str(self.backbone)!r} is neither 'classical' nor an existing model "
                "file (.onnx, or a TorchScript/pickled torch model .pt/.pth/.ts)"
            )
        suffix = p.suffix.lower()
        if suffix == ".onnx":
            cv2 = require("cv2", "image")
            try:
                net = cv2.dnn.readNetFromONNX(str(p))
            except cv2.error as exc:
                raise DataError(
                    f"OpenCV DNN cannot load {str(p)!r}: {' '.join(str(exc).split())[-240:]}"
                ) from None

            def run_onnx(batch: np.ndarray) -> np.ndarray:
                net.setInput(batch)
                return np.asarray(net.forward())

            self._runner = run_onnx
        elif suffix in (".pt", ".pth", ".ts", ".pt2", ".jit"):
            torch = require("torch", "embed")
            model = _load_torch_model(torch, p)
            model.eval()

            def run_torch(batch: np.ndarray) -> np.ndarray:
                with torch.no_grad():
                    out = model(torch.from_numpy(batch))
                if isinstance(out, (tuple, list)):
                    out = out[0]
                if isinstance(out, dict):
                    out = next(iter(out.values()))
                return np.asarray(out.detach().cpu().numpy())

            self._runner = run_torch
        else:
            raise DataError(
                f"unknown backbone file type {suffix!r} for {str(p)!r}; use .onnx or .pt"
            )
        return self._runner

    def _cnn_batch(self, images: Sequence[np.ndarray]) -> np.ndarray:
        from labelwise.image.preprocess import center_crop, resize

        batch = []
        for im in images:
            arr = np.asarray(im)
            if arr.ndim == 2:
                arr = np.repeat(arr[:, :, None], 3, axis=2)
            arr = arr[:, :, :3]
            # Resize the short side then centre-crop, the usual ImageNet evaluation recipe.
            h, w = arr.shape[:2]
            s = self.input_size / min(h, w)
            arr = resize(arr, (max(1, round(w * s)), max(1, round(h * s))), interpolation="area")
            arr = center_crop(arr, self.input_size)
            x = (arr.astype(np.float32) / 255.0 - np.asarray(self.mean, np.float32)) / np.asarray(
                self.std, np.float32
            )
            batch.append(x.transpose(2, 0, 1))
        return np.ascontiguousarray(np.stack(batch), dtype=np.float32)

    def fit(self, images: Sequence[np.ndarray]) -> ImageEmbedder:
        """Learn the standardization of classical features (a no-op for CNN backbones)."""
        if self.is_classical:
            raw = np.stack([classical_embedding(im) for im in images])
            self.mean_ = raw.mean(axis=0)
            sd = raw.std(axis=0)
            self.scale_ = np.where(sd > 1e-12, sd, 1.0)
        else:
            self._load()
        return self

    def transform(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Embeddings, shape (n, d), L2-normalized rows (float32)."""
        if len(images) == 0:
            raise DataError("no images to embed")
        if self.is_classical:
            if not hasattr(self, "mean_"):
                raise NotFittedError("ImageEmbedder is not fitted; call fit() or fit_transform()")
            raw = np.stack([classical_embedding(im) for im in images])
            emb = (raw - self.mean_) / self.scale_
        else:
            run = self._load()
            outs = []
            for s in range(0, len(images), self.batch_size):
                out = run(self._cnn_batch(images[s : s + self.batch_size]))
                outs.append(out.reshape(out.shape[0], -1))
            emb = np.concatenate(outs, axis=0).astype(np.float64)
        norms = np.linalg.norm(emb, axis=1, keepdims=True)
        return (emb / np.where(norms > 0, norms, 1.0)).astype(np.float32)

    def fit_transform(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return self.fit(images).transform(images)


def _load_torch_model(torch: Any, path: Path) -> Any:
    import warnings

    try:
        with warnings.catch_warnings():
            # torch 2.x marks TorchScript as deprecated but it still loads fine
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.load(str(path), map_location="cpu")
    except Exception:  # not TorchScript: try a whole pickled module
        pass
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=False)
    except ModuleNotFoundError as exc:
        missing = exc.name or "a package"
        raise MissingDependencyError(
            f"loading {path.name!r} needs the {missing!r} package that defined the model "
            f"(pip install {missing.split('.')[0]}); or save it as TorchScript with "
            "torch.jit.trace(model, example).save(path), which needs only torch"
        ) from None
    except Exception as exc:
        raise DataError(f"cannot load torch model {str(path)!r}: {exc}") from None
    if isinstance(obj, dict):
        raise DataError(
            f"{path.name!r} holds a state dict (weights without the architecture); save the "
            "whole model or TorchScript: torch.jit.trace(model, example).save(path)"
        )
    if not callable(obj):
        raise DataError(f"{path.name!r} does not hold a callable model ({type(obj).__name__})")
    return obj


def embed_images(
    source: Any,
    *,
    backbone: str | Path = "classical",
    input_size: int = 224,
    progress: bool | None = None,
) -> tuple[np.ndarray, list[str], list[tuple[str, str]]]:
    """Embed every image of a collection, folder, manifest or path list.

    Returns
    -------
    embeddings : float32 array of shape (n_ok, d)
    item_ids : list of str
        The items embedded, in row order.
    failures : list of (item_id, message)
    """
    from labelwise.image.io import ImageCollection, load_images

    col = source if isinstance(source, ImageCollection) else load_images(source, progress=progress)
    images, ids, failures = [], [], []
    all_ids = col.item_ids
    for i, img, err in col.iter_images(desc="reading images", progress=progress):
        if img is None:
            failures.append((all_ids[i], err or "unreadable"))
        else:
            images.append(img)
            ids.append(all_ids[i])
    if not images:
        raise DataError("none of the images could be read; nothing to embed")
    emb = ImageEmbedder(backbone, input_size=input_size).fit_transform(images)
    return emb, ids, failures


def cluster_images(
    embeddings: Any, n_clusters: int, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, float]:
    """k-means on embeddings.

    Returns
    -------
    labels : int array of shape (n,)
    centers : array of shape (n_clusters, d)
    silhouette : float
        Mean silhouette score (-1..1; higher means better separated), NaN if undefined.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    X = np.asarray(embeddings, dtype=np.float64)
    if not 1 <= n_clusters <= len(X):
        raise DataError(f"n_clusters={n_clusters} must be between 1 and the {len(X)} images")
    km = KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit(X)
    sil = (
        float(silhouette_score(X, km.labels_))
        if 1 < n_clusters < len(X) and len(set(km.labels_)) > 1
        else float("nan")
    )
    return km.labels_.astype(np.int64), km.cluster_centers_, sil


def select_diverse(
    embeddings: Any, n: int, *, exclude: Sequence[int] = (), seed: int = 0
) -> np.ndarray:
    """Greedy k-center selection: ``n`` indices that cover the embedding space, for choosing
    which images to annotate next. Starts from the already-labelled ``exclude`` items (or a
    seeded random one).

    Examples
    --------
    >>> X = np.array([[0, 0], [0, 0.1], [5, 5], [10, 0]])
    >>> picked = sorted(select_diverse(X, 3, seed=0).tolist())
    >>> picked[1:], picked[0] in (0, 1)  # one of the two near-identical points, and both far ones
    ([2, 3], True)
    """
    X = np.asarray(embeddings, dtype=np.float64)
    if n < 0 or n > len(X) - len(set(exclude)):
        raise DataError(f"cannot select {n} of {len(X)} items with {len(set(exclude))} excluded")
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    centers = list(exclude)
    if not centers and n:
        first = int(rng.integers(len(X)))
        chosen.append(first)
        centers = [first]
    dist = np.min(np.linalg.norm(X[:, None, :] - X[None, centers, :], axis=2), axis=1)
    while len(chosen) < n:
        dist[list(exclude) + chosen] = -1
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(X - X[nxt], axis=1))
    return np.asarray(chosen, dtype=np.int64)
