"""Voice activity: where is speech? Silero VAD (model shipped in the ``silero-vad`` wheel,
run through ONNX Runtime) or an energy detector that needs nothing but numpy.

Both stream a clip in blocks (a long file is never loaded whole) and return
:class:`Region` lists in seconds from the start of the file; :func:`detect_speech` picks
Silero and falls back to energy (saying so) when Silero cannot be loaded.

Examples
--------
>>> import numpy as np
>>> y = np.zeros(48000, dtype=np.float32)
>>> y[16000:32000] = 0.3 * np.sin(np.arange(16000) / 3)
>>> [(r.start, r.end) for r in EnergyVAD().regions_of_array(y, 16000)]
[(0.94, 2.06)]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelwise.audio.io import AudioClip
from labelwise.errors import DataError

__all__ = ["EnergyVAD", "Region", "SileroVAD", "detect_speech", "merge_regions"]

VAD_SR = 16000


@dataclass
class Region:
    """``start``..``end`` seconds labeled ``label`` (with an optional score and text)."""

    start: float
    end: float
    label: str = "speech"
    score: float | None = None
    text: str | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start": self.start, "end": self.end, "label": self.label}
        if self.text is not None:
            d["text"] = self.text
        if self.score is not None:
            d["score"] = self.score
        return d


def merge_regions(
    regions: Iterable[Region], *, min_gap: float = 0.1, min_duration: float = 0.0
) -> list[Region]:
    """Join regions of the same label closer than ``min_gap``; drop ones shorter than
    ``min_duration``.

    >>> [(r.start, r.end) for r in merge_regions([Region(0, 1), Region(1.05, 2), Region(3, 3.01)],
    ...                                          min_duration=0.05)]
    [(0, 2)]
    """
    out: list[Region] = []
    for r in sorted(regions, key=lambda r: r.start):
        if out and r.label == out[-1].label and r.start - out[-1].end <= min_gap:
            out[-1].end = max(out[-1].end, r.end)
        else:
            out.append(Region(r.start, r.end, r.label, r.score, r.text))
    return [r for r in out if r.duration >= min_duration]


class EnergyVAD:
    """Speech where short-time energy stands above the noise floor (with hysteresis).

    Parameters
    ----------
    threshold_db : float, optional
        Absolute threshold in dBFS. Default: ``max(noise floor + margin_db, floor_db)``,
        the noise floor being the 10th percentile of frame energies.
    """

    name = "energy"

    def __init__(
        self,
        *,
        threshold_db: float | None = None,
        margin_db: float = 12.0,
        floor_db: float = -55.0,
        frame_seconds: float = 0.03,
        min_speech: float = 0.2,
        min_silence: float = 0.3,
        pad: float = 0.05,
    ) -> None:
        self.threshold_db = threshold_db
        self.margin_db = margin_db
        self.floor_db = floor_db
        self.frame_seconds = frame_seconds
        self.min_speech = min_speech
        self.min_silence = min_silence
        self.pad = pad

    def frame_db(self, y: np.ndarray, sr: int) -> np.ndarray:
        fl = max(1, int(self.frame_seconds * sr))
        m = len(y) // fl
        if m == 0:
            return np.zeros(0)
        fr = np.sqrt(np.mean(np.square(y[: m * fl].astype(np.float64)).reshape(m, fl), axis=1))
        return np.asarray(20 * np.log10(np.maximum(fr, 1e-10)))

    def regions_of_array(self, y: np.ndarray, sr: int, *, offset: float = 0.0) -> list[Region]:
        db = self.frame_db(y, sr)
        if db.size == 0:
            return []
        thr = self.threshold_db
        if thr is None:
            thr = max(float(np.percentile(db, 10)) + self.margin_db, self.floor_db)
        on = db > thr
        off = db > thr - 6.0  # hysteresis: stay on until energy drops 6 dB below
        regions = []
        i = 0
        n = len(db)
        while i < n:
            if on[i]:
                j = i
                while j < n and off[j]:
                    j += 1
                a = max(0.0, i * self.frame_seconds - self.pad)
                b = min(len(y) / sr, j * self.frame_seconds + self.pad)
                score = float(np.clip((db[i:j].mean() - thr) / 20 + 0.5, 0, 1))
                regions.append(Region(round(offset + a, 3), round(offset + b, 3), score=score))
                i = j
            else:
                i += 1
        return merge_regions(regions, min_gap=self.min_silence, min_duration=self.min_speech)

    def regions(self, clip: AudioClip, *, block_seconds: float = 300.0) -> list[Region]:
        out: list[Region] = []
        for b in clip.stream(block_seconds=block_seconds, sr=VAD_SR):
            out += self.regions_of_array(b.samples, VAD_SR, offset=b.start)
        return merge_regions(out, min_gap=self.min_silence, min_duration=self.min_speech)


class SileroVAD:
    """Silero VAD, from the ONNX model inside the installed ``silero-vad`` package."""

    name = "silero"

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        min_speech: float = 0.25,
        min_silence: float = 0.3,
        pad: float = 0.05,
    ) -> None:
        self.threshold = threshold
        self.min_speech = min_speech
        self.min_silence = min_silence
        self.pad = pad
        self._model: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_model": None}

    @property
    def model(self) -> Any:
        if self._model is None:
            try:
                from silero_vad import load_silero_vad
            except ImportError as exc:
                raise DataError(
                    "Silero VAD is not installed: pip install silero-vad (or use method='energy')"
                ) from exc
            self._model = load_silero_vad(onnx=True)
        return self._model

    def regions_of_array(self, y: np.ndarray, sr: int, *, offset: float = 0.0) -> list[Region]:
        import torch
        from silero_vad import get_speech_timestamps

        if sr != VAD_SR:
            raise DataError(f"Silero VAD needs 16 kHz audio here, got {sr} Hz")
        if len(y) < 512:
            return []
        ts = get_speech_timestamps(
            torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)),
            self.model,
            sampling_rate=VAD_SR,
            threshold=self.threshold,
            min_speech_duration_ms=int(self.min_speech * 1000),
            min_silence_duration_ms=int(self.min_silence * 1000),
            speech_pad_ms=int(self.pad * 1000),
        )
        return [
            Region(round(offset + t["start"] / VAD_SR, 3), round(offset + t["end"] / VAD_SR, 3))
            for t in ts
        ]

    def regions(self, clip: AudioClip, *, block_seconds: float = 300.0) -> list[Region]:
        out: list[Region] = []
        self.model.reset_states()
        for b in clip.stream(block_seconds=block_seconds, sr=VAD_SR):
            out += self.regions_of_array(b.samples, VAD_SR, offset=b.start)
        return merge_regions(out, min_gap=self.min_silence)


def detect_speech(
    clip: AudioClip, *, method: str = "auto", block_seconds: float = 300.0, **options: Any
) -> tuple[list[Region], str]:
    """Speech regions of one clip and the method that found them.

    ``method``: ``silero``, ``energy``, or ``auto`` (Silero, else energy with a warning).
    """
    if method not in ("auto", "silero", "energy"):
        raise DataError(f"VAD method must be auto, silero or energy, got {method!r}")
    if method in ("auto", "silero"):
        vad = SileroVAD(**options)
        try:
            vad.model  # noqa: B018 - load now to fall back cleanly
        except Exception as exc:
            if method == "silero":
                raise
            warnings.warn(
                f"Silero VAD could not be loaded ({exc}); using the energy detector instead. "
                "Install silero-vad and onnxruntime for better speech detection.",
                stacklevel=2,
            )
        else:
            return vad.regions(clip, block_seconds=block_seconds), "silero"
    return EnergyVAD(**options).regions(clip, block_seconds=block_seconds), "energy"


def speech_ratio(regions: list[Region], duration: float) -> float:
    """Share of ``duration`` covered by ``regions``."""
    if duration <= 0 or math.isnan(duration):
        return 0.0
    return min(1.0, sum(r.duration for r in regions) / duration)
