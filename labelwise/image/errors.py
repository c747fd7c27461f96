"""Errors raised by :mod:`labelwise.image` (all :class:`labelwise.errors.DataError`)."""

from __future__ import annotations

from labelwise.errors import DataError

__all__ = ["AnnotationError", "GeometryError", "ImageReadError"]


class GeometryError(DataError):
    """A malformed box, polygon or conversion request.

    A :class:`~labelwise.errors.DataError`, so the box helpers of :mod:`labelwise.formats`
    (built on :mod:`labelwise.image.geometry`) raise one kind of error for bad boxes.
    """


class ImageReadError(DataError):
    """An image file that is missing, empty, truncated or not an image."""


class AnnotationError(DataError):
    """An annotation file (YOLO, COCO, Pascal VOC) that cannot be used."""
