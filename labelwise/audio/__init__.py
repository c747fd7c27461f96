"""Audio labeling: loading, exploration, features and rules, voice activity, offline
transcription, classifiers with augmentation, and segments for humans.

Heavy dependencies (librosa, soundfile, faster-whisper, torch) are imported only when a
function needs them; ``pip install 'labelwise[audio]'`` brings them in. Samples are float32
in ``[-1, 1]``; times are seconds.
"""

from __future__ import annotations

from labelwise.audio.features import FEATURE_COLUMNS, clip_features, extract_features
from labelwise.audio.io import (
    AUDIO_SUFFIXES,
    AudioBlock,
    AudioClip,
    AudioCollection,
    AudioError,
    AudioInfo,
    check_signal,
    load_audio,
    load_audio_folder,
    probe_audio,
    stream_audio,
)
from labelwise.audio.rules import (
    audio_rule,
    duration_between,
    high_pitched,
    loud,
    low_pitched,
    mostly_silent,
    noisy,
    quiet,
    voiced,
)

__all__ = [
    "AUDIO_SUFFIXES",
    "FEATURE_COLUMNS",
    "AudioBlock",
    "AudioClip",
    "AudioCollection",
    "AudioError",
    "AudioInfo",
    "audio_rule",
    "check_signal",
    "clip_features",
    "duration_between",
    "extract_features",
    "high_pitched",
    "load_audio",
    "load_audio_folder",
    "loud",
    "low_pitched",
    "mostly_silent",
    "noisy",
    "probe_audio",
    "quiet",
    "stream_audio",
    "voiced",
]
