"""Audio labeling: loading, exploration, features and rules, voice activity, offline
transcription, classifiers with augmentation, and segments for humans.

Heavy dependencies (librosa, soundfile, faster-whisper, torch) are imported only when a
function needs them; ``pip install 'labelwise[audio]'`` brings them in. Samples are float32
in ``[-1, 1]``; times are seconds.
"""

from __future__ import annotations

from labelwise.audio.augment import AUGMENT_PRESETS, augment_array, augment_folder
from labelwise.audio.classify import (
    AudioFeatureClassifier,
    MelCNNClassifier,
    StreamDecision,
    VoiceActivityClassifier,
    compare_augmentation,
    microphone_blocks,
    realtime_blocks,
)
from labelwise.audio.explore import explore_audio
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
from labelwise.audio.labels import TranscriptLabels, label_transcripts, transcript_units
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
from labelwise.audio.segments import (
    AUDIO_SEGMENTS_CONFIG,
    export_segments,
    regions_from_transcript,
    write_prelabels,
)
from labelwise.audio.transcribe import (
    OpenAITranscriber,
    Segment,
    Transcriber,
    Transcript,
    TranscriptionError,
    WhisperTranscriber,
    Word,
    read_transcripts,
    resolve_whisper_model,
    transcribe_batch,
)
from labelwise.audio.vad import EnergyVAD, Region, SileroVAD, detect_speech
from labelwise.audio.wer import WERResult, wer_report, word_error_rate

__all__ = [
    "AUDIO_SEGMENTS_CONFIG",
    "AUDIO_SUFFIXES",
    "AUGMENT_PRESETS",
    "FEATURE_COLUMNS",
    "AudioBlock",
    "AudioClip",
    "AudioCollection",
    "AudioError",
    "AudioFeatureClassifier",
    "AudioInfo",
    "EnergyVAD",
    "MelCNNClassifier",
    "OpenAITranscriber",
    "Region",
    "Segment",
    "SileroVAD",
    "StreamDecision",
    "Transcriber",
    "Transcript",
    "TranscriptLabels",
    "TranscriptionError",
    "VoiceActivityClassifier",
    "WERResult",
    "WhisperTranscriber",
    "Word",
    "audio_rule",
    "augment_array",
    "augment_folder",
    "check_signal",
    "clip_features",
    "compare_augmentation",
    "detect_speech",
    "duration_between",
    "explore_audio",
    "export_segments",
    "extract_features",
    "high_pitched",
    "label_transcripts",
    "load_audio",
    "load_audio_folder",
    "loud",
    "low_pitched",
    "microphone_blocks",
    "mostly_silent",
    "noisy",
    "probe_audio",
    "quiet",
    "read_transcripts",
    "realtime_blocks",
    "regions_from_transcript",
    "resolve_whisper_model",
    "stream_audio",
    "transcribe_batch",
    "transcript_units",
    "voiced",
    "wer_report",
    "word_error_rate",
    "write_prelabels",
]
