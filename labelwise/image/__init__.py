"""Image labeling: loading, exploration, features and rules, pretrained labelers,
geometry and box formats, augmentation and small trainable models.

Heavy dependencies (OpenCV, Pillow, albumentations, torch) are imported only when a
function needs them; ``pip install 'labelwise[image]'`` brings them in.

Pixels are ``uint8`` RGB arrays of shape ``(h, w, 3)`` throughout; boxes are pixel
``xyxy`` unless a function says otherwise.
"""

from __future__ import annotations

import typing as _typing

from labelwise.formats import (
    ANNOTATION_FORMATS,
    convert_annotations,
    read_annotations,
    read_class_names,
    validate_annotations,
    write_annotations,
)
from labelwise.geometry import (
    BOX_FORMATS,
    Box,
    Polygon,
    box_area,
    box_contains,
    box_iou,
    box_iou_matrix,
    box_to_polygon,
    clip_boxes,
    convert_boxes,
    find_degenerate_boxes,
    find_out_of_range_boxes,
    non_max_suppression,
    point_in_polygon,
    polygon_area,
    polygon_contains,
    polygon_iou,
    polygon_perimeter,
    polygon_to_box,
    polyline_length,
)
from labelwise.image.augment import (
    PRESETS,
    AugmentResult,
    augment_image,
    augment_images,
    build_augmentation,
)
from labelwise.image.classify import (
    DigitClassifier,
    classifier_labeling_function,
    classifier_votes,
    digit_input,
    load_digits_images,
)
from labelwise.image.detect import (
    HAAR_CASCADES,
    Detection,
    DetectionResult,
    Detector,
    DNNDetector,
    HaarDetector,
    HOGPeopleDetector,
    UltralyticsDetector,
    decode_yolo_output,
    detect_images,
    detection_features,
    detection_votes,
    detector_labeling_function,
    draw_detections,
    load_detector,
)
from labelwise.image.embed import (
    ImageEmbedder,
    classical_embedding,
    cluster_images,
    embed_images,
    select_diverse,
)
from labelwise.image.errors import AnnotationError, GeometryError, ImageReadError
from labelwise.image.explore import (
    difference_hash,
    explore_images,
    find_duplicates,
    find_outliers,
    hamming_distance,
    image_statistics,
    perceptual_hash,
)
from labelwise.image.features import (
    FEATURE_GROUPS,
    extract_features,
    feature_names,
    hog_descriptor,
    image_features,
)
from labelwise.image.io import (
    IMAGE_SUFFIXES,
    ImageCollection,
    LoadIssue,
    inspect_image,
    load_images,
    read_image,
)
from labelwise.image.preprocess import (
    INTERPOLATIONS,
    center_crop,
    equalize_histogram,
    letterbox,
    normalize_minmax,
    normalize_zscore,
    pad_to_square,
    preprocess_images,
    resize,
    to_grayscale,
)
from labelwise.image.rules import (
    aspect_ratio_between,
    bright_share_above,
    dark_share_above,
    dominant_channel,
    edge_density_above,
    feature_rule,
    image_labeling_function,
    largest_contour_area_above,
    symmetry_above,
    tallest_contour_above,
)
from labelwise.image.segment import (
    auto_boxes,
    auto_label_images,
    contours_to_polygons,
    threshold_image,
    watershed_segments,
)
from labelwise.image.train import (
    ClassificationResult,
    CNNImageClassifier,
    ComparisonResult,
    SVMImageClassifier,
    augment_training_set,
    collection_to_arrays,
    compare_classifiers,
    evaluate_predictions,
)

__all__ = [
    "ANNOTATION_FORMATS",
    "BOX_FORMATS",
    "FEATURE_GROUPS",
    "HAAR_CASCADES",
    "IMAGE_SUFFIXES",
    "INTERPOLATIONS",
    "PRESETS",
    "AnnotationError",
    "AugmentResult",
    "Box",
    "CNNImageClassifier",
    "ClassificationResult",
    "ComparisonResult",
    "DNNDetector",
    "Detection",
    "DetectionResult",
    "Detector",
    "DigitClassifier",
    "GeometryError",
    "HOGPeopleDetector",
    "HaarDetector",
    "ImageCollection",
    "ImageEmbedder",
    "ImageReadError",
    "LoadIssue",
    "Polygon",
    "SVMImageClassifier",
    "UltralyticsDetector",
    "aspect_ratio_between",
    "augment_image",
    "augment_images",
    "augment_training_set",
    "auto_boxes",
    "auto_label_images",
    "box_area",
    "box_contains",
    "box_iou",
    "box_iou_matrix",
    "box_to_polygon",
    "bright_share_above",
    "build_augmentation",
    "center_crop",
    "classical_embedding",
    "classifier_labeling_function",
    "classifier_votes",
    "clip_boxes",
    "cluster_images",
    "collection_to_arrays",
    "compare_classifiers",
    "contours_to_polygons",
    "convert_annotations",
    "convert_boxes",
    "dark_share_above",
    "decode_yolo_output",
    "detect_images",
    "detection_features",
    "detection_votes",
    "detector_labeling_function",
    "difference_hash",
    "digit_input",
    "dominant_channel",
    "draw_detections",
    "edge_density_above",
    "embed_images",
    "equalize_histogram",
    "evaluate_predictions",
    "explore_images",
    "extract_features",
    "feature_names",
    "feature_rule",
    "find_degenerate_boxes",
    "find_duplicates",
    "find_out_of_range_boxes",
    "find_outliers",
    "hamming_distance",
    "hog_descriptor",
    "image_features",
    "image_labeling_function",
    "image_statistics",
    "inspect_image",
    "largest_contour_area_above",
    "letterbox",
    "load_detector",
    "load_digits_images",
    "load_images",
    "non_max_suppression",
    "normalize_minmax",
    "normalize_zscore",
    "pad_to_square",
    "perceptual_hash",
    "point_in_polygon",
    "polygon_area",
    "polygon_contains",
    "polygon_iou",
    "polygon_perimeter",
    "polygon_to_box",
    "polyline_length",
    "preprocess_images",
    "read_annotations",
    "read_class_names",
    "read_image",
    "resize",
    "select_diverse",
    "symmetry_above",
    "tallest_contour_above",
    "threshold_image",
    "to_grayscale",
    "validate_annotations",
    "watershed_segments",
    "write_annotations",
]


#: Old box-format names, now in :mod:`labelwise.formats`; importable from here for one
#: release (with a DeprecationWarning).
_DEPRECATED_FORMATS = frozenset(
    {
        "AnnotationSet",
        "BoxAnnotation",
        "FormatIssue",
        "ImageAnnotation",
        "from_coco",
        "read_coco",
        "read_voc",
        "read_yolo",
        "to_coco",
        "write_coco",
        "write_voc",
        "write_yolo",
    }
)


def __getattr__(name: str) -> _typing.Any:
    if name in _DEPRECATED_FORMATS:
        import importlib
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old = importlib.import_module("labelwise.image.formats")
        warnings.warn(
            f"labelwise.image.{name} is deprecated; use labelwise.formats",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(old, name)
    raise AttributeError(f"module 'labelwise.image' has no attribute {name!r}")
