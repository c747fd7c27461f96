"""Moved to :mod:`labelwise.geometry` (one geometry module for every modality and format).

This alias keeps ``from labelwise.geometry import ...`` working for one release.
"""

from __future__ import annotations

from labelwise.geometry import *  # noqa: F403
from labelwise.geometry import __all__ as __all__
