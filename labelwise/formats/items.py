"""The neutral record every format reads and writes: an item with its annotations.

Formats convert between files and a list of :class:`Item`. An item's ``data`` holds what is
being labeled (``{"text": ...}``, ``{"image": "imgs/a.jpg", "width": 640, "height": 480}``);
each :class:`Annotation` holds one person's (or one model's) ``result``: a dict from
control name to value, in the value shapes documented in :mod:`labelwise.formats.schema`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labelwise.errors import DataError

__all__ = ["Annotation", "FormatError", "Item"]


class FormatError(DataError):
    """A file that does not follow the format it claims to be (names the file and the fix)."""


@dataclass
class Annotation:
    """One person's answer on one item.

    Parameters
    ----------
    result : dict
        Control name -> value (see :mod:`labelwise.formats.schema`).
    annotator : str, optional
        Who gave it (a user name, or a model name for predictions).
    meta : dict
        Anything else worth keeping (status, review, timing, score).
    """

    result: dict[str, Any]
    annotator: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Item:
    """One task: an id, the data shown to the annotator, and its annotations.

    Examples
    --------
    >>> Item("1", {"text": "great"}, [Annotation({"sentiment": "positive"}, "ann")]).id
    '1'
    """

    id: str
    data: dict[str, Any]
    annotations: list[Annotation] = field(default_factory=list)
    predictions: list[Annotation] = field(default_factory=list)
