"""Clip classifiers and a convolutional autoencoder in plain torch; watershed frame masks.

* :func:`load_clip` reads ``n_frames`` evenly spaced frames of a video (or of a window of
  it) as a ``(T, H, W, 3)`` array; :class:`ClipAugment` applies temporal jitter, a
  horizontal flip and a random crop *consistently over the clip* (one draw per clip).
* :class:`VideoClassifier` is a labeler over video paths with two architectures:
  ``"c3d"``, a small 3D CNN over the clip (three Conv3d blocks), and ``"pool"``, a 2D CNN
  frame embedder followed by temporal mean+max pooling. It votes the most probable class
  and abstains below ``min_confidence``; unreadable videos become faults (and abstain).
* :class:`FrameAutoencoder` learns to reconstruct frames: its reconstruction error scores
  anomalies and its codes are frame embeddings for clustering.
* :func:`compare_augmentation` trains with and without augmentation on the same split and
  reports held-out accuracy side by side.
* :func:`frame_region_items` segments frames with the watershed transform
  (:func:`labelwise.image.segment.watershed_segments`) into polygons the formats stack
  exports (COCO, YOLO, Label Studio).

Nothing downloads: the networks are small and trained on the user's clips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.errors import DataError, require
from labelwise.faults import FaultLog
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.labeling.votes import BaseLabeler, Votes, register_labeler

__all__ = [
    "ClipAugment",
    "FrameAutoencoder",
    "VideoClassifier",
    "compare_augmentation",
    "frame_region_items",
    "load_clip",
]


def load_clip(
    path: str | Path,
    *,
    n_frames: int = 8,
    size: int = 64,
    start: float = 0.0,
    end: float = 1.0,
) -> np.ndarray:
    """``n_frames`` evenly spaced frames between fractions ``start`` and ``end`` of the
    video, resized to ``size x size``: uint8 array ``(T, size, size, 3)``."""
    from labelwise.video.io import FrameReader

    with FrameReader(path, size=(size, size)) as r:
        n = r.frame_count
        if n == 0:
            raise DataError(f"{str(path)!r} has no frames")
        lo, hi = int(start * (n - 1)), int(end * (n - 1))
        idx = np.linspace(lo, max(lo, hi), n_frames).round().astype(int)
        frames = []
        last = None
        for i in idx:
            fr = r.read(int(i)) if last is None or int(i) != last[0] else None
            img = fr.image if fr is not None else (last[1] if last is not None else None)
            if img is None:
                raise DataError(f"{str(path)!r}: frame {i} could not be decoded")
            frames.append(img)
            last = (int(i), img)
    return np.stack(frames)


@dataclass
class ClipAugment:
    """Augmentation drawn once per clip and applied to all its frames alike.

    ``jitter`` shifts the sampled window by up to that fraction of the video (temporal
    jitter, applied when loading), ``flip`` mirrors left-right with probability 0.5,
    ``crop`` keeps a random square of that share of the side and resizes back.
    """

    jitter: float = 0.15
    flip: bool = True
    crop: float = 0.8

    def window(self, rng: np.random.Generator) -> tuple[float, float]:
        shift = rng.uniform(0, self.jitter) if self.jitter > 0 else 0.0
        span = 1.0 - self.jitter
        return shift, shift + span

    def __call__(self, clip: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        cv2 = require("cv2", "video")
        out = clip
        if self.flip and rng.random() < 0.5:
            out = out[:, :, ::-1]
        if self.crop < 1.0:
            _t, h, w, _ = out.shape
            ch, cw = max(1, int(h * self.crop)), max(1, int(w * self.crop))
            y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
            out = np.stack(
                [
                    cv2.resize(np.ascontiguousarray(f[y0 : y0 + ch, x0 : x0 + cw]), (w, h))
                    for f in out
                ]
            )
        return np.ascontiguousarray(out)


def _space(y: Sequence[Any]) -> LabelSpace:
    if all(isinstance(v, (int, np.integer)) for v in y):
        return LabelSpace([str(i) for i in range(int(max(y)) + 1)])
    return LabelSpace(sorted({str(v) for v in y}))


def _encode(space: LabelSpace, y: Sequence[Any]) -> np.ndarray:
    if all(isinstance(v, (int, np.integer)) for v in y):
        return np.array([int(v) for v in y])
    return np.asarray(space.encode([str(v) for v in y]))


def _torch() -> Any:
    return require("torch", "video")


def _nets() -> tuple[Any, Any, Any]:
    torch = _torch()
    nn = torch.nn
    Module: Any = nn.Module

    class C3D(Module):
        """The small 3D CNN: three Conv3d blocks, global pooling, a linear head."""

        def __init__(self, k: int) -> None:
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv3d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool3d((1, 2, 2)),
                nn.Conv3d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
                nn.Conv3d(32, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool3d(1),
            )  # fmt: skip
            self.head = nn.Linear(64, k)

        def forward(self, x: Any) -> Any:  # x: (B, 3, T, H, W)
            return self.head(self.features(x).flatten(1))

    class FramePool(Module):
        """2D CNN frame embeddings, mean+max pooled over time, a linear head."""

        def __init__(self, k: int, dim: int = 64) -> None:
            super().__init__()
            self.embed = nn.Sequential(
                nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, dim, 3, padding=1), nn.BatchNorm2d(dim), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
            )  # fmt: skip
            self.head = nn.Linear(2 * dim, k)

        def forward(self, x: Any) -> Any:  # x: (B, 3, T, H, W)
            b, c, t, h, w = x.shape
            e = self.embed(x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)).flatten(1)
            e = e.reshape(b, t, -1)
            return self.head(torch.cat([e.mean(1), e.amax(1)], dim=1))

    class AE(Module):
        """Convolutional autoencoder on 64x64 frames; ``encode`` gives the code."""

        def __init__(self, code: int = 32) -> None:
            super().__init__()
            self.enc = nn.Sequential(
                nn.Conv2d(3, 16, 4, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 4, 2, 1), nn.ReLU(),
                nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 8 * 8, code),
            )  # fmt: skip
            self.dec_in = nn.Linear(code, 32 * 8 * 8)
            self.dec = nn.Sequential(
                nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 16, 4, 2, 1),
                nn.ReLU(), nn.ConvTranspose2d(16, 3, 4, 2, 1), nn.Sigmoid(),
            )  # fmt: skip

        def encode(self, x: Any) -> Any:
            return self.enc(x)

        def forward(self, x: Any) -> Any:
            return self.dec(self.dec_in(self.enc(x)).reshape(-1, 32, 8, 8))

    return C3D, FramePool, AE


def _to_tensor(clips: np.ndarray) -> Any:
    torch = _torch()
    x = torch.from_numpy(np.ascontiguousarray(clips)).float().div(255.0)
    return x.permute(0, 4, 1, 2, 3)  # (B, T, H, W, C) -> (B, C, T, H, W)


def _tiny_example() -> tuple[Any, Any, Any]:  # pragma: no cover - used by the conformance suite
    import tempfile

    from labelwise.video.synth import MovingBox, make_video

    d = Path(tempfile.mkdtemp(prefix="lw_video_clf_"))
    paths, y = [], []
    for i in range(4):
        v = 2 if i % 2 else -2
        make_video(d / f"{i}.mp4", n_frames=8, width=32, height=24, objects=[
            MovingBox(1, (14, 8), (v, 0), (6, 6))])  # fmt: skip
        paths.append(str(d / f"{i}.mp4"))
        y.append(i % 2)
    return VideoClassifier(arch="pool", n_frames=4, size=32, epochs=2, seed=0), paths, y


@register_labeler(example=_tiny_example)
class VideoClassifier(BaseLabeler):
    """Classify whole videos (paths): a small 3D CNN (``arch="c3d"``) or frame embeddings
    with temporal pooling (``arch="pool"``), trained here from the given clips.

    Parameters
    ----------
    arch : {"c3d", "pool"}
    n_frames, size : int
        Frames per clip and their side in pixels.
    clips_per_video : int
        Training windows drawn per video per epoch (with augmentation, each a new draw).
    augment : ClipAugment or None
    min_confidence : float
        Abstain where the top class probability is lower.
    """

    def __init__(
        self,
        *,
        arch: str = "c3d",
        n_frames: int = 8,
        size: int = 64,
        epochs: int = 15,
        lr: float = 3e-3,
        batch_size: int = 8,
        clips_per_video: int = 4,
        augment: ClipAugment | None = None,
        min_confidence: float = 0.0,
        seed: int = 0,
        name: str | None = None,
    ) -> None:
        if arch not in ("c3d", "pool"):
            raise DataError(f"arch must be 'c3d' or 'pool', got {arch!r}")
        self.arch = arch
        self.n_frames, self.size, self.epochs, self.lr = n_frames, size, epochs, lr
        self.batch_size, self.clips_per_video = batch_size, clips_per_video
        self.augment = augment
        self.min_confidence = min_confidence
        self.seed = seed
        self.name = name or f"video_{arch}"
        self.model: Any = None
        self.label_space: LabelSpace | None = None
        self.history: list[float] = []

    def _clip(self, path: str | Path, rng: np.random.Generator | None) -> np.ndarray:
        if rng is None or self.augment is None:
            return load_clip(path, n_frames=self.n_frames, size=self.size)
        a, b = self.augment.window(rng)
        return self.augment(
            load_clip(path, n_frames=self.n_frames, size=self.size, start=a, end=b), rng
        )

    def fit(self, items: Any, y: Any = None) -> VideoClassifier:
        torch = _torch()
        paths = [str(p) for p in items]
        if y is None or len(y) != len(paths):
            raise DataError("VideoClassifier.fit needs one label per video")
        self.label_space = _space(y)
        target = _encode(self.label_space, y)
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.model = self._build(self.label_space.k)
        opt = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        cache = (
            {p: load_clip(p, n_frames=self.n_frames, size=self.size) for p in paths}
            if self.augment is None
            else {}
        )
        self.history = []
        for _ in range(self.epochs):
            self.model.train()
            order = [
                (i, c)
                for i in range(len(paths))
                for c in range(self.clips_per_video if self.augment else 1)
            ]
            rng.shuffle(order)
            total = 0.0
            for s in range(0, len(order), self.batch_size):
                batch = order[s : s + self.batch_size]
                clips = np.stack(
                    [
                        cache[paths[i]] if self.augment is None else self._clip(paths[i], rng)
                        for i, _ in batch
                    ]
                )
                yb = torch.tensor(target[[i for i, _ in batch]], dtype=torch.long)
                opt.zero_grad()
                loss = loss_fn(self.model(_to_tensor(clips)), yb)
                loss.backward()
                opt.step()
                total += loss.item() * len(batch)
            self.history.append(total / max(1, len(order)))
        self.model.eval()
        self._fitted = True
        return self

    def _build(self, k: int) -> Any:
        C3D, FramePool, _ = _nets()
        return C3D(k) if self.arch == "c3d" else FramePool(k)

    def __getstate__(self) -> dict[str, Any]:
        # the networks are defined inside a function (torch is imported lazily): pickle
        # the weights and rebuild the network on load
        state = dict(self.__dict__)
        model = state.pop("model", None)
        state["_weights"] = None if model is None else model.state_dict()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        weights = state.pop("_weights", None)
        self.__dict__.update(state)
        self.model = None
        if weights is not None and self.label_space is not None:
            self.model = self._build(self.label_space.k)
            self.model.load_state_dict(weights)
            self.model.eval()

    def predict_proba(self, items: Any, faults: FaultLog | None = None) -> np.ndarray:
        """Class probabilities per video (NaN rows for videos that fail)."""
        torch = _torch()
        self.check_fitted()
        assert self.label_space is not None
        paths = [str(p) for p in items]
        out = np.full((len(paths), self.label_space.k), np.nan)
        with torch.no_grad():
            for i, p in enumerate(paths):
                try:
                    clip = self._clip(p, None)
                except Exception as exc:
                    if faults is not None:
                        faults.record(exc, item=i, source=self.name)
                    continue
                out[i] = torch.softmax(self.model(_to_tensor(clip[None])), dim=1).numpy()[0]
        return out

    def label(self, items: Any) -> Votes:
        faults = FaultLog()
        proba = self.predict_proba(items, faults)
        ok = ~np.isnan(proba).any(axis=1)
        cand = np.where(ok, np.nan_to_num(proba).argmax(axis=1), ABSTAIN)
        conf = np.where(ok, np.nan_to_num(proba).max(axis=1), 0.0)
        votes = np.where(ok & (conf >= self.min_confidence), cand, ABSTAIN)
        return Votes(
            self.name,
            votes,
            label_space=self.label_space,
            confidence=conf,
            proba=np.nan_to_num(proba, nan=0.0) if ok.all() else None,
            provenance={
                "kind": "video_classifier",
                "arch": self.arch,
                "n_frames": self.n_frames,
                "size": self.size,
                "epochs": self.epochs,
                "augment": None if self.augment is None else vars(self.augment),
                "min_confidence": self.min_confidence,
            },
            faults=faults,
            candidates=cand,
        )


class FrameAutoencoder:
    """A convolutional autoencoder on 64x64 frames (see the module docstring)."""

    def __init__(
        self, *, code: int = 32, epochs: int = 20, lr: float = 2e-3, seed: int = 0
    ) -> None:
        self.code, self.epochs, self.lr, self.seed = code, epochs, lr, seed
        self.model: Any = None

    def _x(self, frames: np.ndarray) -> Any:
        torch = _torch()
        cv2 = require("cv2", "video")
        arr = np.stack([cv2.resize(f, (64, 64), interpolation=cv2.INTER_AREA) for f in frames])
        return torch.from_numpy(arr).float().div(255.0).permute(0, 3, 1, 2)

    def fit(self, frames: np.ndarray) -> FrameAutoencoder:
        torch = _torch()
        torch.manual_seed(self.seed)
        _, _, AE = _nets()
        self.model = AE(self.code)
        x = self._x(frames)
        opt = torch.optim.Adam(self.model.parameters(), lr=self.lr)
        for _ in range(self.epochs):
            perm = torch.randperm(len(x))
            for s in range(0, len(x), 32):
                b = x[perm[s : s + 32]]
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(self.model(b), b)
                loss.backward()
                opt.step()
        self.model.eval()
        return self

    def _check(self) -> None:
        if self.model is None:
            from labelwise.errors import NotFittedError

            raise NotFittedError("FrameAutoencoder is not fitted; call fit(frames) first")

    def reconstruction_error(self, frames: np.ndarray) -> np.ndarray:
        """Mean squared error per frame (higher = more unusual)."""
        torch = _torch()
        self._check()
        with torch.no_grad():
            x = self._x(frames)
            return ((self.model(x) - x) ** 2).mean(dim=(1, 2, 3)).numpy()

    def codes(self, frames: np.ndarray) -> np.ndarray:
        """Frame embeddings (``code`` dimensions) for clustering."""
        torch = _torch()
        self._check()
        with torch.no_grad():
            return self.model.encode(self._x(frames)).numpy()


def compare_augmentation(
    train: Sequence[str | Path],
    y_train: Sequence[Any],
    test: Sequence[str | Path],
    y_test: Sequence[Any],
    *,
    archs: Sequence[str] = ("c3d", "pool"),
    augment: ClipAugment | None = None,
    **kwargs: Any,
) -> Any:
    """Held-out accuracy of each architecture trained with and without augmentation."""
    import pandas as pd

    rows = []
    for arch in archs:
        for aug in (None, augment or ClipAugment()):
            clf = VideoClassifier(arch=arch, augment=aug, **kwargs).fit(train, y_train)
            v = clf.label(test)
            assert clf.label_space is not None
            gold = _encode(clf.label_space, y_test)
            rows.append(
                {
                    "arch": arch,
                    "augmentation": "yes" if aug else "no",
                    "accuracy": float(np.mean(v.candidates == gold)),
                    "coverage": v.coverage,
                    "final_loss": clf.history[-1] if clf.history else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def frame_region_items(
    path: str | Path,
    *,
    frames: Sequence[int],
    label: str = "region",
    min_area: float = 20.0,
    out_dir: str | Path | None = None,
) -> list[Any]:
    """Watershed regions of chosen frames as image items with ``polygons`` answers
    (control ``regions``), frame images written to ``out_dir`` when given."""
    cv2 = require("cv2", "video")
    from labelwise.formats import Annotation, Item
    from labelwise.image.segment import watershed_segments
    from labelwise.video.io import iter_frames

    items = []
    for fr in iter_frames(path, indices=list(frames)):
        labels = watershed_segments(fr.image)
        polys = []
        for r in range(1, int(labels.max()) + 1):
            mask = (labels == r).astype(np.uint8)
            contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            for c in contours:
                if cv2.contourArea(c) >= min_area and len(c) >= 3:
                    polys.append(
                        {"points": c.reshape(-1, 2).astype(float).tolist(), "label": label}
                    )
        name = f"{Path(path).stem}/{fr.index:06d}.png"
        if out_dir is not None:
            dest = Path(out_dir) / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(dest), cv2.cvtColor(fr.image, cv2.COLOR_RGB2BGR))
        h, w = fr.image.shape[:2]
        items.append(Item(name, {"image": name, "width": w, "height": h, "frame": fr.index},
                          [Annotation({"regions": polys}, "watershed")]))  # fmt: skip
    return items
