"""Exceptions raised by labelwise.

Every error says what was given, what was expected and how to fix it. They subclass
``ValueError`` (or ``TypeError``) so code that already catches those keeps working; the CLI
catches :class:`LabelwiseError` and prints the message without a traceback.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DataError",
    "GeometryError",
    "LabelMatrixError",
    "LabelSpaceError",
    "LabelwiseError",
    "MissingDependencyError",
    "NotFittedError",
    "RuleError",
]


class LabelwiseError(ValueError):
    """Base class of labelwise's input errors."""


class LabelSpaceError(LabelwiseError):
    """A class name or class index that the label space does not hold."""


class RuleError(LabelwiseError):
    """A labeling function that is malformed, misnamed, or returned an invalid vote."""


class LabelMatrixError(LabelwiseError):
    """A label matrix with the wrong shape or values outside ``[-1, k-1]``."""


class DataError(LabelwiseError):
    """A data file or table that cannot be read or is unusable (empty, missing column)."""


class NotFittedError(LabelwiseError, AttributeError):
    """A labeler or label model was asked to label/predict before ``fit`` was called."""


class GeometryError(DataError):
    """A malformed box, polygon or conversion request.

    A :class:`~labelwise.errors.DataError`, so the box helpers of :mod:`labelwise.formats`
    (built on :mod:`labelwise.geometry`) raise one kind of error for bad boxes.
    """


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the install command."""


def require(module: str, extra: str) -> Any:
    """Import ``module`` or raise :class:`MissingDependencyError` naming ``labelwise[extra]``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            f"{module!r} is needed for this feature but is not installed. "
            f"Install it with: pip install 'labelwise[{extra}]'"
        ) from exc
