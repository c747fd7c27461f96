"""Progress bars for long work (tqdm), switched off when not wanted."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["progress", "progress_enabled"]


def progress_enabled(requested: bool | None = None) -> bool:
    """``requested`` if given; else on when stderr is a terminal and LABELWISE_PROGRESS != 0."""
    if requested is not None:
        return requested
    if os.environ.get("LABELWISE_PROGRESS") == "0":
        return False
    if os.environ.get("LABELWISE_PROGRESS") == "1":
        return True
    return sys.stderr.isatty()


def progress(
    iterable: Iterable[T],
    *,
    total: int | None = None,
    desc: str = "",
    unit: str = "it",
    enabled: bool | None = None,
    **kwargs: Any,
) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm bar when enabled, else return it unchanged."""
    if not progress_enabled(enabled):
        return iter(iterable)
    from tqdm.auto import tqdm

    return iter(tqdm(iterable, total=total, desc=desc, unit=unit, leave=False, **kwargs))
