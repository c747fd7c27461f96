"""Video labeling: probe, stream frames, features, tracks and exact exports.

Frames are decoded one at a time (:func:`iter_frames`), never a whole video in memory;
frame numbers are always the source video's. See :mod:`labelwise.video.io` for probing and
frame sampling, :mod:`labelwise.video.tracks` for tracking and interpolation.
"""

from __future__ import annotations

from labelwise.video.classify import (
    ClipAugment,
    FrameAutoencoder,
    VideoClassifier,
    compare_augmentation,
    frame_region_items,
    load_clip,
)
from labelwise.video.cluster import FrameClusters, FrameDeduplicator, cluster_frames, dhash
from labelwise.video.explore import ExploreResult, explore_videos
from labelwise.video.features import (
    clip_features,
    decoder_motion,
    frame_features,
    high_motion,
    is_dark,
    is_static,
    optical_flow,
    scene_count_at_least,
    video_frame_features,
)
from labelwise.video.io import (
    VIDEO_SUFFIXES,
    Frame,
    FrameReader,
    VideoError,
    VideoInfo,
    iter_frames,
    list_videos,
    probe,
    probe_many,
    read_frame,
)
from labelwise.video.synth import MovingBox, SyntheticVideo, make_video
from labelwise.video.tracks import (
    IoUTracker,
    Track,
    TrackingResult,
    detect_and_track,
    evaluate_tracking,
    interpolate_keyframes,
    prelabel_items,
    simplify_keyframes,
    track_rows,
    tracks_to_prelabels,
)

__all__ = [
    "VIDEO_SUFFIXES",
    "ClipAugment",
    "ExploreResult",
    "Frame",
    "FrameAutoencoder",
    "FrameClusters",
    "FrameDeduplicator",
    "FrameReader",
    "IoUTracker",
    "MovingBox",
    "SyntheticVideo",
    "Track",
    "TrackingResult",
    "VideoClassifier",
    "VideoError",
    "VideoInfo",
    "clip_features",
    "cluster_frames",
    "compare_augmentation",
    "decoder_motion",
    "detect_and_track",
    "dhash",
    "evaluate_tracking",
    "explore_videos",
    "frame_features",
    "frame_region_items",
    "high_motion",
    "interpolate_keyframes",
    "is_dark",
    "is_static",
    "iter_frames",
    "list_videos",
    "load_clip",
    "make_video",
    "optical_flow",
    "prelabel_items",
    "probe",
    "probe_many",
    "read_frame",
    "scene_count_at_least",
    "simplify_keyframes",
    "track_rows",
    "tracks_to_prelabels",
    "video_frame_features",
]
