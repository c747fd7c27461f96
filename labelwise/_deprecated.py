"""One way for a package to keep moved names importable for one release, with a warning."""

from __future__ import annotations

import importlib
import warnings
from typing import Any


def moved_attribute(package: str, name: str, old_module: str, hint: str) -> Any:
    """``name`` from the deprecated ``old_module``, for ``package``'s module ``__getattr__``.

    Warns (:class:`DeprecationWarning`, naming ``hint``: where the name lives now); raises
    :class:`AttributeError` when ``old_module.__all__`` does not list ``name``.
    """
    if name.startswith("__"):
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = importlib.import_module(old_module)
    if name not in getattr(old, "__all__", ()):
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    warnings.warn(f"{package}.{name} is deprecated; {hint}", DeprecationWarning, stacklevel=3)
    return getattr(old, name)
