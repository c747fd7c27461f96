"""Errors raised by :mod:`labelwise.image` (all :class:`labelwise.errors.LabelwiseError`)."""

from __future__ import annotations

from labelwise.errors import DataError, LabelwiseError

__all__ = ["AnnotationError", "GeometryError", "ImageReadError"]


class GeometryError(LabelwiseError):
    """A malformed box, polygon or conversion request."""


class ImageReadError(DataError):
    """An image file that is missing, empty, truncated or not an image."""


class AnnotationError(DataError):
    """An annotation file (YOLO, COCO, Pascal VOC) that cannot be used."""
