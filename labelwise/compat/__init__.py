"""Drop-in compatibility layers for code written against other libraries.

:mod:`labelwise.compat.snorkel` mirrors Snorkel 0.10's labeling API, so a Snorkel
pipeline runs on labelwise by changing only its import lines.
"""

from __future__ import annotations

__all__: list[str] = []
