"""Errors raised by :mod:`labelwise.image` (all :class:`labelwise.errors.DataError`)."""

from __future__ import annotations

from labelwise.errors import DataError, GeometryError

__all__ = ["AnnotationError", "GeometryError", "ImageReadError"]


class ImageReadError(DataError):
    """An image file that is missing, empty, truncated or not an image."""


class AnnotationError(DataError):
    """An annotation file (YOLO, COCO, Pascal VOC) that cannot be used."""
