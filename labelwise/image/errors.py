"""Errors raised by :mod:`labelwise.image` (all :class:`labelwise.errors.DataError`)."""

from __future__ import annotations

from labelwise.errors import DataError, GeometryError
from labelwise.formats.items import FormatError

__all__ = ["AnnotationError", "GeometryError", "ImageReadError"]


class ImageReadError(DataError):
    """An image file that is missing, empty, truncated or not an image."""


#: An annotation file (YOLO, COCO, Pascal VOC) that cannot be used: the formats' one error
#: (:class:`labelwise.formats.FormatError`), under its old name.
AnnotationError = FormatError
