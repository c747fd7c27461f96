"""Audio rules: labeling functions over the features table of :func:`extract_features`.

Each helper returns a :class:`~labelwise.labeling.VectorizedLabelingFunction`, so audio rules
run in the same appliers and label models as every other rule::

    feats = extract_features("calls/")
    lfs = [loud(-20, SHOUT), mostly_silent(0.8, EMPTY), voiced(0.3, SPEECH)]
    L = LFApplier(lfs).apply(feats)

A clip whose features failed (missing values) abstains.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"loudness_db": [-10.0, -40.0], "pitch_median": [600.0, 120.0],
...                    "silence_ratio": [0.1, 0.9], "voiced_ratio": [0.6, 0.0]})
>>> loud(-20, 1).apply_frame(df).tolist(), high_pitched(400, 1).apply_frame(df).tolist()
([1, -1], [1, -1])
>>> mostly_silent(0.8, 0).apply_frame(df).tolist(), voiced(0.3, 2).apply_frame(df).tolist()
([-1, 0], [2, -1])
"""

from __future__ import annotations

from labelwise.errors import RuleError
from labelwise.labeling.lf import VectorizedLabelingFunction, in_range, threshold

__all__ = [
    "audio_rule",
    "duration_between",
    "high_pitched",
    "loud",
    "low_pitched",
    "mostly_silent",
    "noisy",
    "quiet",
    "voiced",
]


def audio_rule(
    feature: str, op: str, value: float, label: int, *, name: str | None = None
) -> VectorizedLabelingFunction:
    """Vote ``label`` where ``feature <op> value`` (op one of > >= < <= == !=)."""
    if not isinstance(feature, str) or not feature:
        raise RuleError(f"feature must be a column name of the features table, got {feature!r}")
    return threshold(feature, op, value, label, name=name or f"{feature}{op}{value:g}")


def _share(v: float, what: str) -> None:
    if not 0.0 <= v <= 1.0:
        raise RuleError(f"{what} is a share of frames and must lie in [0, 1], got {v}")


def loud(db: float, label: int, *, name: str | None = None) -> VectorizedLabelingFunction:
    """``label`` where the clip's RMS loudness exceeds ``db`` dBFS (0 = full scale)."""
    if db > 0:
        raise RuleError(f"loudness is in dBFS (<= 0), got {db}")
    return audio_rule("loudness_db", ">", db, label, name=name or f"loud>{db:g}dB")


def quiet(db: float, label: int, *, name: str | None = None) -> VectorizedLabelingFunction:
    """``label`` where the clip's RMS loudness is below ``db`` dBFS."""
    if db > 0:
        raise RuleError(f"loudness is in dBFS (<= 0), got {db}")
    return audio_rule("loudness_db", "<", db, label, name=name or f"quiet<{db:g}dB")


def high_pitched(hz: float, label: int, *, name: str | None = None) -> VectorizedLabelingFunction:
    """``label`` where the median pitch of voiced frames exceeds ``hz`` (a cat's meow vs a bark)."""
    if hz <= 0:
        raise RuleError(f"pitch threshold must be > 0 Hz, got {hz}")
    return audio_rule("pitch_median", ">", hz, label, name=name or f"pitch>{hz:g}Hz")


def low_pitched(hz: float, label: int, *, name: str | None = None) -> VectorizedLabelingFunction:
    """``label`` where the median pitch of voiced frames is below ``hz``."""
    if hz <= 0:
        raise RuleError(f"pitch threshold must be > 0 Hz, got {hz}")
    return audio_rule("pitch_median", "<", hz, label, name=name or f"pitch<{hz:g}Hz")


def mostly_silent(
    share: float, label: int, *, name: str | None = None
) -> VectorizedLabelingFunction:
    """``label`` where more than ``share`` of the frames are silent."""
    _share(share, "share")
    return audio_rule("silence_ratio", ">", share, label, name=name or f"silent>{share:g}")


def voiced(share: float, label: int, *, name: str | None = None) -> VectorizedLabelingFunction:
    """``label`` where more than ``share`` of the frames are voiced (speech, song, meows)."""
    _share(share, "share")
    return audio_rule("voiced_ratio", ">", share, label, name=name or f"voiced>{share:g}")


def noisy(flatness: float, label: int, *, name: str | None = None) -> VectorizedLabelingFunction:
    """``label`` where mean spectral flatness exceeds ``flatness`` (0 tone .. 1 white noise)."""
    _share(flatness, "flatness")
    return audio_rule(
        "spectral_flatness_mean", ">", flatness, label, name=name or f"noisy>{flatness:g}"
    )


def duration_between(
    low: float, high: float, label: int, *, name: str | None = None
) -> VectorizedLabelingFunction:
    """``label`` where ``low <= duration <= high`` seconds."""
    if low > high:
        raise RuleError(f"duration_between needs low <= high, got {low} > {high}")
    return in_range("duration", low, high, label, name=name or f"duration_{low:g}_{high:g}s")
