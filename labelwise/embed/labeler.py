"""Deprecated home of :class:`ScoringLabeler` (now :mod:`labelwise.text.scoring`).

``NotFittedError`` here is :class:`labelwise.errors.NotFittedError`, the one class every
labeler and label model raises.
"""

from __future__ import annotations

from labelwise.errors import NotFittedError
from labelwise.text.scoring import ScoringLabeler

__all__ = ["NotFittedError", "ScoringLabeler"]
