"""Trainable audio labelers: MFCC/feature models (random forest, SVM, logistic), the voice /
non-voice random forest over short windows (usable on a live stream), and a small
mel-spectrogram CNN (torch). Each is a :class:`~labelwise.labeling.BaseLabeler`: ``fit(clips,
y)``, ``label(clips) -> Votes`` with class probabilities, abstaining below
``min_confidence``, and one fault per clip that cannot be read.

Items are an :class:`~labelwise.audio.io.AudioCollection`, a list of
:class:`~labelwise.audio.io.AudioClip`, a list of paths, or a DataFrame with a ``path``
column (optionally ``start``/``end``).

Augmentation (:mod:`labelwise.audio.augment`) is applied to training clips only:
``augment="noise"`` adds ``n_augment`` noisy copies per clip to the feature models and
augments every batch of the CNN. :func:`compare_augmentation` trains each model with and
without it and reports both side by side.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labelwise.audio.augment import augment_array, build_augmentation
from labelwise.audio.io import AudioBlock, AudioClip, AudioCollection, load_audio_folder
from labelwise.errors import DataError, require
from labelwise.faults import FaultLog
from labelwise.labeling.space import ABSTAIN, LabelSpace
from labelwise.labeling.votes import BaseLabeler, Votes, register_labeler

__all__ = [
    "AudioFeatureClassifier",
    "MelCNNClassifier",
    "StreamDecision",
    "VoiceActivityClassifier",
    "as_clips",
    "clip_vector",
    "compare_augmentation",
]


# ---------------------------------------------------------------------- items
def as_clips(items: Any) -> list[AudioClip]:
    """Normalize the accepted item kinds to a list of clips."""
    if isinstance(items, AudioCollection):
        return list(items.clips)
    if isinstance(items, (str, Path)):
        return list(load_audio_folder(items).clips)
    try:
        import pandas as pd

        if isinstance(items, pd.DataFrame):
            if "path" not in items.columns:
                raise DataError(
                    f"a DataFrame of clips needs a 'path' column, got {list(items.columns)}"
                )
            out = []
            for i, row in enumerate(items.to_dict(orient="records")):
                end = row.get("end")
                out.append(
                    AudioClip(
                        str(row.get("item_id", row.get("id", i))),
                        str(row["path"]),
                        None,
                        float(row.get("start") or 0.0),
                        None if end is None or end != end else float(end),
                    )
                )
            return out
        if isinstance(items, pd.Series):
            items = items.tolist()
    except ImportError:  # pragma: no cover
        pass
    out = []
    for i, it in enumerate(items):
        if isinstance(it, AudioClip):
            out.append(it)
        elif isinstance(it, (str, Path)):
            out.append(AudioClip(str(it), str(it)))
        else:
            raise DataError(f"item {i} is a {type(it).__name__}; give AudioClips or file paths")
    return out


def _load(clip: AudioClip, sr: int, max_seconds: float | None) -> np.ndarray:
    from labelwise.audio.io import load_audio

    dur = None if clip.end is None else clip.end - clip.start
    if max_seconds is not None:
        dur = max_seconds if dur is None else min(dur, max_seconds)
    y, _ = load_audio(clip.path, sr=sr, offset=clip.start, duration=dur)
    if y.size < int(0.05 * sr):
        raise DataError(f"{clip.id}: shorter than 50 ms ({y.size} samples); nothing to classify")
    return y


def clip_vector(y: np.ndarray, sr: int, *, n_mfcc: int = 20) -> np.ndarray:
    """MFCC mean/std (+ deltas) and a few spectral statistics of one clip: a fixed vector.

    >>> import numpy as np
    >>> clip_vector(np.sin(np.arange(16000) / 4).astype("float32"), 16000).shape
    (68,)
    """
    librosa = require("librosa", "audio")
    n_fft = 1024 if len(y) >= 1024 else 256
    S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=n_fft // 4))
    mel = librosa.power_to_db(librosa.feature.melspectrogram(S=S**2, sr=sr, n_mels=40))
    mfcc = librosa.feature.mfcc(S=mel, n_mfcc=n_mfcc)
    delta = np.diff(mfcc, axis=1) if mfcc.shape[1] > 1 else np.zeros_like(mfcc)
    rms = librosa.feature.rms(S=S, frame_length=n_fft)[0]
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=n_fft, hop_length=n_fft // 4)[0]
    cen = librosa.feature.spectral_centroid(S=S, sr=sr)[0] / (sr / 2)
    bw = librosa.feature.spectral_bandwidth(S=S, sr=sr)[0] / (sr / 2)
    roll = librosa.feature.spectral_rolloff(S=S, sr=sr)[0] / (sr / 2)
    flat = librosa.feature.spectral_flatness(S=S)[0]
    extra = [
        20 * np.log10(rms.mean() + 1e-10) / 100, rms.std(), zcr.mean(), zcr.std(),
        cen.mean(), cen.std(), bw.mean(), roll.mean(),
    ]  # fmt: skip
    del flat
    return np.concatenate(
        [mfcc.mean(axis=1), mfcc.std(axis=1), np.abs(delta).mean(axis=1), np.asarray(extra)]
    ).astype(np.float32)


def _windows(y: np.ndarray, sr: int, window: float, hop: float) -> list[np.ndarray]:
    w, h = int(window * sr), max(1, int(hop * sr))
    if len(y) <= w:
        return [y]
    return [y[a : a + w] for a in range(0, len(y) - w + 1, h)]


def _sk_model(kind: str, seed: int) -> Any:
    require("sklearn", "tabular")
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if kind == "rf":
        est: Any = RandomForestClassifier(n_estimators=300, random_state=seed, n_jobs=1)
    elif kind == "svm":
        from sklearn.calibration import CalibratedClassifierCV

        # Probabilities by cross-validated calibration (SVC(probability=True) is deprecated).
        est = CalibratedClassifierCV(
            SVC(C=10.0, gamma="scale", random_state=seed), cv=3, ensemble=False
        )
    elif kind == "logistic":
        est = LogisticRegression(max_iter=5000, C=1.0)
    else:
        raise DataError(f"model must be rf, svm or logistic, got {kind!r}")
    return make_pipeline(StandardScaler(), est)


def _space(y: Sequence[Any], classes: Sequence[str] | None) -> LabelSpace:
    names = list(classes) if classes is not None else sorted({str(v) for v in y})
    if len(names) < 2:
        raise DataError(f"a classifier needs at least 2 classes in y, got {names}")
    return LabelSpace(names)


def _votes_from_proba(
    name: str,
    proba: np.ndarray,
    ok: np.ndarray,
    space: LabelSpace,
    min_confidence: float,
    provenance: dict[str, Any],
    faults: FaultLog,
) -> Votes:
    cand = np.where(ok, proba.argmax(axis=1), ABSTAIN)
    conf = np.where(ok, proba.max(axis=1), 0.0)
    votes = np.where(ok & (conf >= min_confidence), cand, ABSTAIN)
    return Votes(
        name,
        votes,
        label_space=space,
        confidence=conf,
        proba=proba,
        provenance={**provenance, "min_confidence": min_confidence},
        faults=faults,
        candidates=cand,
    )


# ---------------------------------------------------------------------- feature models
class AudioFeatureClassifier(BaseLabeler):
    """MFCC/spectral feature vector per clip + random forest, SVM or logistic regression.

    Parameters
    ----------
    model : {"rf", "svm", "logistic"}
    min_confidence : float
        Abstain where the top class probability is below this.
    max_seconds : float, optional
        Use only the first ``max_seconds`` of each clip (None: all of it).
    augment : str or audiomentations pipeline, optional
        Add ``n_augment`` augmented copies of every training clip.
    window, hop : float, optional
        Classify ``window``-second windows (every ``hop`` s) and average them per clip.
    """

    kind = "audio_feature_classifier"

    def __init__(
        self,
        model: str = "rf",
        *,
        name: str | None = None,
        classes: Sequence[str] | None = None,
        min_confidence: float = 0.0,
        sr: int = 16000,
        max_seconds: float | None = 30.0,
        augment: str | Any = None,
        n_augment: int = 1,
        window: float | None = None,
        hop: float | None = None,
        seed: int = 0,
    ) -> None:
        _sk_model(model, seed)  # validate early
        self.model = model
        self.name = name or f"audio_{model}"
        self.classes = list(classes) if classes is not None else None
        self.min_confidence = min_confidence
        self.sr = sr
        self.max_seconds = max_seconds
        self.augment = augment
        self.n_augment = n_augment
        self.window = window
        self.hop = hop if hop is not None else (window / 2 if window else None)
        self.seed = seed
        self.fit_faults_ = FaultLog()

    def _vectors(self, y: np.ndarray) -> list[np.ndarray]:
        if self.window is None:
            return [clip_vector(y, self.sr)]
        assert self.hop is not None
        return [clip_vector(w, self.sr) for w in _windows(y, self.sr, self.window, self.hop)]

    def fit(self, items: Any, y: Any = None) -> AudioFeatureClassifier:
        if y is None:
            raise DataError(f"{self.name}: fit needs the class of every clip (y)")
        clips = as_clips(items)
        labels = [str(v) for v in y]
        if len(labels) != len(clips):
            raise DataError(f"{len(clips)} clips but {len(labels)} labels; give one per clip")
        self.space_ = _space(labels, self.classes)
        build_augmentation(self.augment if self.augment is not None else "none")
        X, Y = [], []
        self.fit_faults_ = FaultLog()
        for i, (clip, lab) in enumerate(zip(clips, labels, strict=True)):
            if lab not in self.space_.names:
                raise DataError(f"label {lab!r} of clip {clip.id!r} is not in {self.space_.names}")
            try:
                sig = _load(clip, self.sr, self.max_seconds)
            except Exception as exc:
                self.fit_faults_.record(exc, item=i, source=self.name)
                continue
            k = self.space_.names.index(lab)
            versions = [sig]
            if self.augment not in (None, "none"):
                versions += [
                    augment_array(sig, self.sr, self.augment, seed=self.seed * 7919 + i * 31 + c)
                    for c in range(self.n_augment)
                ]
            for v in versions:
                vecs = self._vectors(v)
                X += vecs
                Y += [k] * len(vecs)
        if len(set(Y)) < 2:
            raise DataError(f"{self.name}: fewer than 2 classes could be read for training")
        self.estimator_ = _sk_model(self.model, self.seed)
        self.estimator_.fit(np.stack(X), np.asarray(Y))
        self._fitted = True
        return self

    def _proba_rows(
        self, clips: list[AudioClip], faults: FaultLog
    ) -> tuple[np.ndarray, np.ndarray]:
        k = self.space_.k
        proba = np.zeros((len(clips), k))
        ok = np.zeros(len(clips), dtype=bool)
        trained = list(self.estimator_.classes_)
        for i, clip in enumerate(clips):
            try:
                sig = _load(clip, self.sr, self.max_seconds)
                p = self.estimator_.predict_proba(np.stack(self._vectors(sig))).mean(axis=0)
            except Exception as exc:
                faults.record(exc, item=i, source=self.name)
                continue
            for j, c in enumerate(trained):
                proba[i, int(c)] = p[j]
            ok[i] = True
        return proba, ok

    def label(self, items: Any) -> Votes:
        self.check_fitted()
        clips = as_clips(items)
        faults = FaultLog()
        proba, ok = self._proba_rows(clips, faults)
        prov = {
            "kind": self.kind,
            "model": self.model,
            "augment": self.augment if isinstance(self.augment, str) else repr(self.augment),
            "window": self.window,
            "features": "mfcc20 mean/std/delta + spectral",
        }
        return _votes_from_proba(
            self.name, proba, ok, self.space_, self.min_confidence, prov, faults
        )


@dataclass
class StreamDecision:
    """One decision on a live stream: the window ``start``..``end`` (stream seconds), the
    label and probability, and the latency (ms) from the window's last sample arriving to the
    decision."""

    start: float
    end: float
    label: str
    probability: float
    latency_ms: float


class VoiceActivityClassifier(AudioFeatureClassifier):
    """The voice / non-voice random forest over 0.5 s MFCC windows; also runs on a stream.

    Train it on clips labeled ``voice`` / ``non-voice`` (any two names; ``voice_label``
    says which one is speech), then :meth:`stream` decisions over blocks from a file read in
    real time (:func:`realtime_blocks`) or a microphone (:func:`microphone_blocks`).
    """

    kind = "voice_activity_classifier"

    def __init__(
        self,
        *,
        name: str = "voice_rf",
        voice_label: str = "voice",
        window: float = 0.5,
        hop: float = 0.25,
        min_confidence: float = 0.0,
        sr: int = 16000,
        seed: int = 0,
        model: str = "rf",
        classes: Sequence[str] | None = None,
        augment: str | Any = None,
        n_augment: int = 1,
        max_seconds: float | None = 30.0,
    ) -> None:
        super().__init__(
            model, name=name, classes=classes, min_confidence=min_confidence, sr=sr,
            max_seconds=max_seconds, augment=augment, n_augment=n_augment, window=window,
            hop=hop, seed=seed,
        )  # fmt: skip
        self.voice_label = voice_label

    def stream(self, blocks: Iterable[AudioBlock]) -> Iterator[StreamDecision]:
        """Decide every ``hop`` seconds over the last ``window`` seconds of the stream."""
        self.check_fitted()
        assert self.window is not None and self.hop is not None
        w, h = int(self.window * self.sr), int(self.hop * self.sr)
        buf = np.zeros(0, dtype=np.float32)
        buf_start = 0.0
        next_end = w
        consumed = 0
        trained = list(self.estimator_.classes_)
        for b in blocks:
            arrived = time.perf_counter()
            if b.sample_rate != self.sr:
                raise DataError(f"stream blocks must be {self.sr} Hz, got {b.sample_rate}")
            if not buf.size:
                buf_start = b.start
            buf = np.concatenate([buf, b.samples])
            total = consumed + len(buf)
            while total >= next_end:
                a = next_end - w - consumed
                win = buf[a : a + w]
                p = self.estimator_.predict_proba(clip_vector(win, self.sr)[None, :])[0]
                j = int(np.argmax(p))
                label = self.space_.names[int(trained[j])]
                start = buf_start + a / self.sr
                yield StreamDecision(
                    round(start, 3),
                    round(start + self.window, 3),
                    label,
                    float(p[j]),
                    (time.perf_counter() - arrived) * 1000,
                )
                next_end += h
            drop = max(0, next_end - w - consumed)
            drop = min(drop, len(buf))
            buf = buf[drop:]
            buf_start += drop / self.sr
            consumed += drop


def realtime_blocks(
    path: str | Path, *, block_seconds: float = 0.1, sr: int = 16000, speed: float = 1.0
) -> Iterator[AudioBlock]:
    """Blocks of a file released at the pace of real time (``speed`` x), like a live feed."""
    from labelwise.audio.io import stream_audio

    t0 = time.perf_counter()
    for b in stream_audio(path, block_seconds=block_seconds, sr=sr):
        due = t0 + b.end / speed
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        yield b


def microphone_blocks(
    *, block_seconds: float = 0.1, sr: int = 16000, seconds: float | None = None
) -> Iterator[AudioBlock]:
    """Blocks from the default microphone (needs the ``sounddevice`` package)."""
    sd = require("sounddevice", "audio")
    import queue

    q: queue.Queue[np.ndarray] = queue.Queue()

    def cb(indata: Any, frames: int, t: Any, status: Any) -> None:
        q.put(indata[:, 0].copy())

    n = int(block_seconds * sr)
    t = 0.0
    with sd.InputStream(samplerate=sr, channels=1, blocksize=n, dtype="float32", callback=cb):
        while seconds is None or t < seconds:
            y = q.get()
            yield AudioBlock(t, y, sr)
            t += len(y) / sr


# ---------------------------------------------------------------------- mel CNN
class MelCNNClassifier(BaseLabeler):
    """A small CNN on log-mel spectrograms (torch, CPU).

    Training crops a random ``duration``-second window of every clip each epoch (padding
    short clips), so the network also learns time shifts; ``augment`` applies a waveform
    preset to each training window. Prediction averages the softmax over windows covering
    the clip.
    """

    kind = "mel_cnn"

    def __init__(
        self,
        *,
        name: str = "mel_cnn",
        classes: Sequence[str] | None = None,
        duration: float = 2.0,
        sr: int = 16000,
        n_mels: int = 64,
        epochs: int = 30,
        batch_size: int = 16,
        lr: float = 2e-3,
        augment: str | Any = None,
        min_confidence: float = 0.0,
        max_seconds: float | None = 30.0,
        seed: int = 0,
        threads: int | None = None,
    ) -> None:
        self.name = name
        self.classes = list(classes) if classes is not None else None
        self.duration = duration
        self.sr = sr
        self.n_mels = n_mels
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.augment = augment
        self.min_confidence = min_confidence
        self.max_seconds = max_seconds
        self.seed = seed
        self.threads = threads
        self.fit_faults_ = FaultLog()
        self.history_: list[dict[str, float]] = []

    # -- torch pieces built on demand (the labeler pickles as plain state) --
    def _net(self, k: int) -> Any:
        torch = require("torch", "audio")
        nn = torch.nn

        def block(i: int, o: int) -> Any:
            return nn.Sequential(
                nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2)
            )

        return nn.Sequential(
            block(1, 16), block(16, 32), block(32, 64),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(64, k),
        )  # fmt: skip

    def _melspec(self, wave: Any) -> Any:
        torch = require("torch", "audio")
        if getattr(self, "_fb", None) is None:
            librosa = require("librosa", "audio")
            fb = librosa.filters.mel(sr=self.sr, n_fft=1024, n_mels=self.n_mels)
            self._fb = torch.from_numpy(fb.astype(np.float32))
            self._win = torch.hann_window(1024)
        spec = torch.stft(wave, n_fft=1024, hop_length=256, window=self._win, return_complex=True)
        mel = self._fb @ spec.abs().pow(2)
        logmel = torch.log(mel + 1e-6)
        m = logmel.mean(dim=(1, 2), keepdim=True)
        s = logmel.std(dim=(1, 2), keepdim=True) + 1e-5
        return ((logmel - m) / s).unsqueeze(1)

    def _crop(self, y: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        n = int(self.duration * self.sr)
        if len(y) < n:
            out = np.zeros(n, dtype=np.float32)
            a = 0 if rng is None else int(rng.integers(0, n - len(y) + 1))
            out[a : a + len(y)] = y
            return out
        a = 0 if rng is None else int(rng.integers(0, len(y) - n + 1))
        return y[a : a + n].astype(np.float32)

    def fit(self, items: Any, y: Any = None, *, progress: bool | None = None) -> MelCNNClassifier:
        torch = require("torch", "audio")
        from labelwise.progress import progress as _progress

        if y is None:
            raise DataError(f"{self.name}: fit needs the class of every clip (y)")
        clips = as_clips(items)
        labels = [str(v) for v in y]
        if len(labels) != len(clips):
            raise DataError(f"{len(clips)} clips but {len(labels)} labels; give one per clip")
        self.space_ = _space(labels, self.classes)
        aug = build_augmentation(self.augment if self.augment is not None else "none")
        waves, ys = [], []
        self.fit_faults_ = FaultLog()
        for i, (clip, lab) in enumerate(zip(clips, labels, strict=True)):
            try:
                waves.append(_load(clip, self.sr, self.max_seconds))
                ys.append(self.space_.names.index(lab))
            except Exception as exc:
                self.fit_faults_.record(exc, item=i, source=self.name)
        if len(set(ys)) < 2:
            raise DataError(f"{self.name}: fewer than 2 classes could be read for training")
        if self.threads:
            torch.set_num_threads(self.threads)
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        net = self._net(self.space_.k)
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=1e-3)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=self.lr, total_steps=self.epochs * max(1, -(-len(waves) // self.batch_size))
        )
        # Balanced classes: weight the loss by inverse class frequency.
        counts = np.bincount(ys, minlength=self.space_.k).astype(np.float32)
        weight = torch.from_numpy(counts.sum() / np.maximum(counts, 1) / self.space_.k)
        loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
        yt = np.asarray(ys)
        self.history_ = []
        for epoch in _progress(range(self.epochs), total=self.epochs, desc="train cnn",
                               unit="epoch", enabled=progress):  # fmt: skip
            net.train()
            order = rng.permutation(len(waves))
            total = 0.0
            for a in range(0, len(order), self.batch_size):
                idx = order[a : a + self.batch_size]
                batch = []
                for j in idx:
                    w = self._crop(waves[j], rng)
                    if aug is not None:
                        w = augment_array(w, self.sr, aug, seed=int(rng.integers(0, 2**31)))
                    batch.append(w)
                xb = self._melspec(torch.from_numpy(np.stack(batch)))
                out = net(xb)
                loss = loss_fn(out, torch.from_numpy(yt[idx]).long())
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(idx)
            self.history_.append({"epoch": epoch + 1, "loss": total / len(waves)})
        net.eval()
        buf = io.BytesIO()
        torch.save(net.state_dict(), buf)
        self.state_ = buf.getvalue()
        self._net_cache = net
        self._fitted = True
        return self

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_net_cache", "_fb", "_win")}

    def _network(self) -> Any:
        torch = require("torch", "audio")
        if getattr(self, "_net_cache", None) is None:
            net = self._net(self.space_.k)
            net.load_state_dict(torch.load(io.BytesIO(self.state_), weights_only=True))
            net.eval()
            self._net_cache = net
        return self._net_cache

    def predict_proba_clip(self, y: np.ndarray) -> np.ndarray:
        torch = require("torch", "audio")
        n = int(self.duration * self.sr)
        if len(y) <= n:
            wins = [self._crop(y, None)]
        else:
            starts = np.linspace(0, len(y) - n, num=min(8, 1 + 2 * (len(y) - n) // n + 1)).astype(
                int
            )
            wins = [y[s : s + n] for s in starts]
        with torch.no_grad():
            out = self._network()(
                self._melspec(torch.from_numpy(np.stack(wins).astype(np.float32)))
            )
            return np.asarray(torch.softmax(out, dim=1).mean(dim=0).numpy(), dtype=np.float64)

    def label(self, items: Any) -> Votes:
        self.check_fitted()
        clips = as_clips(items)
        faults = FaultLog()
        proba = np.zeros((len(clips), self.space_.k))
        ok = np.zeros(len(clips), dtype=bool)
        for i, clip in enumerate(clips):
            try:
                p = self.predict_proba_clip(_load(clip, self.sr, self.max_seconds))
            except Exception as exc:
                faults.record(exc, item=i, source=self.name)
                continue
            proba[i] = p / p.sum()
            ok[i] = True
        prov = {
            "kind": self.kind,
            "model": "mel-cnn-3conv",
            "epochs": self.epochs,
            "duration": self.duration,
            "augment": self.augment if isinstance(self.augment, str) else repr(self.augment),
        }
        return _votes_from_proba(
            self.name, proba, ok, self.space_, self.min_confidence, prov, faults
        )


# ---------------------------------------------------------------------- comparison
def compare_augmentation(
    make: Callable[[str], Any],
    train: Any,
    y_train: Sequence[Any],
    test: Any,
    y_test: Sequence[Any],
    *,
    presets: Sequence[str] = ("none", "noise"),
) -> Any:
    """Train ``make(preset)`` for each preset; accuracy and macro-F1 on the held-out clips.

    Returns a DataFrame with one row per preset: ``augment, accuracy, macro_f1,
    coverage, train_seconds, test_items``.
    """
    import pandas as pd
    from sklearn.metrics import f1_score

    rows = []
    gold = [str(v) for v in y_test]
    for preset in presets:
        model = make(preset)
        t0 = time.perf_counter()
        model.fit(train, y_train)
        secs = time.perf_counter() - t0
        v = model.label(test)
        pred = [v.label_space.names[int(c)] if c != ABSTAIN else None for c in v.candidates]
        ok = [p is not None for p in pred]
        acc = float(np.mean([p == g for p, g in zip(pred, gold, strict=True)]))
        f1 = f1_score(
            [g for g, o in zip(gold, ok, strict=True) if o],
            [p for p in pred if p is not None],
            average="macro",
        )
        rows.append(
            {
                "model": getattr(model, "name", type(model).__name__),
                "augment": preset,
                "accuracy": acc,
                "macro_f1": float(f1),
                "coverage": v.coverage,
                "train_seconds": round(secs, 2),
                "test_items": len(gold),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- conformance examples
def _tone_clips(n: int = 6) -> tuple[list[AudioClip], list[str]]:
    import tempfile

    sf = require("soundfile", "audio")
    d = Path(tempfile.mkdtemp(prefix="lw_audio_example_"))
    clips, ys = [], []
    rng = np.random.default_rng(0)
    t = np.arange(4000) / 16000
    for i in range(n):
        high = i % 2 == 0
        f = (900 if high else 150) * (1 + 0.05 * rng.standard_normal())
        y = 0.3 * np.sin(2 * np.pi * f * t) + 0.01 * rng.standard_normal(len(t))
        p = d / f"{i}.wav"
        sf.write(p, y.astype(np.float32), 16000)
        clips.append(AudioClip(str(i), str(p)))
        ys.append("high" if high else "low")
    clips.append(AudioClip("missing", str(d / "missing.wav")))
    ys.append("low")
    return clips, ys


def _feature_example() -> tuple[Any, Any, Any]:
    clips, ys = _tone_clips()
    return AudioFeatureClassifier("logistic", min_confidence=0.6), clips, ys


def _cnn_example() -> tuple[Any, Any, Any]:
    clips, ys = _tone_clips()
    return MelCNNClassifier(epochs=1, duration=0.25, batch_size=8, n_mels=32), clips, ys


register_labeler(example=_feature_example)(AudioFeatureClassifier)


def _voice_example() -> tuple[Any, Any, Any]:
    clips, ys = _tone_clips()
    return VoiceActivityClassifier(window=0.125, hop=0.125), clips, ys


register_labeler(example=_voice_example)(VoiceActivityClassifier)
register_labeler(example=_cnn_example)(MelCNNClassifier)
