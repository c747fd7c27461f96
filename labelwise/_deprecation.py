"""Keeping renamed public names working for one release, with a DeprecationWarning.

Three shapes of rename occur in labelwise:

- a renamed keyword (``random_state=`` -> ``seed=``): :func:`renamed_kwarg`;
- a renamed function or method: :func:`deprecated_function`;
- a class merged into another (``LabelerResult`` -> :class:`~labelwise.labeling.Votes`):
  :func:`deprecated_class`, which keeps ``isinstance`` checks and construction working.

Examples
--------
>>> import warnings
>>> def new(seed=None):
...     return seed
>>> old = deprecated_function(new, "old_name", "new")
>>> with warnings.catch_warnings(record=True) as w:
...     warnings.simplefilter("always")
...     old(seed=3), w[0].category.__name__
(3, 'DeprecationWarning')
>>> with warnings.catch_warnings(record=True) as w:
...     warnings.simplefilter("always")
...     renamed_kwarg(None, 7, old="random_state", new="seed", where="f()")
7
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["deprecated_class", "deprecated_function", "renamed_kwarg", "warn_deprecated"]

F = TypeVar("F", bound=Callable[..., Any])

_UNSET: Any = object()


def warn_deprecated(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn that ``old`` is deprecated in favour of ``new`` and goes away next release."""
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release; use {new} instead",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def renamed_kwarg(
    value: Any, old_value: Any, *, old: str, new: str, where: str, default: Any = None
) -> Any:
    """Resolve a keyword renamed from ``old`` to ``new``.

    ``value`` is what the caller passed as ``new`` (``default`` when not given) and
    ``old_value`` what it passed as ``old`` (``None`` when not given). Passing the old name
    warns; passing both raises :class:`TypeError`.
    """
    if old_value is None:
        return value
    if value is not default and value is not None:
        raise TypeError(f"{where}: pass {new}= only ({old}= is its deprecated old name)")
    warn_deprecated(f"{where}: {old}=", f"{new}=", stacklevel=4)
    return old_value


def deprecated_function(fn: F, old: str, new: str, *, doc: str | None = None) -> F:
    """``fn`` under its old name ``old``: calls it after a DeprecationWarning naming ``new``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        warn_deprecated(old, new)
        return fn(*args, **kwargs)

    wrapper.__name__ = old.rsplit(".", 1)[-1]
    wrapper.__qualname__ = wrapper.__name__
    wrapper.__doc__ = doc or f"Deprecated alias of :func:`{new}` (removed in the next release)."
    return wrapper  # type: ignore[return-value]


class _DeprecatedClassMeta(type):
    _target: type
    _factory: Callable[..., Any]
    _old: str
    _new: str

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls._target)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls._target)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        warn_deprecated(cls._old, cls._new)
        return cls._factory(*args, **kwargs)


def deprecated_class(
    old: str,
    target: type,
    *,
    new: str,
    factory: Callable[..., Any] | None = None,
    doc: str | None = None,
) -> Any:
    """A stand-in for a class merged into ``target``.

    Calling it warns and returns ``factory(*args, **kwargs)`` (default: ``target(...)``);
    ``isinstance(x, Old)`` is ``isinstance(x, target)``, so old type checks keep passing.
    """
    ns = {
        "_target": target,
        "_factory": factory or target,
        "_old": old,
        "_new": new,
        "__doc__": doc or f"Deprecated: use :class:`{new}` (removed in the next release).",
        "__module__": target.__module__,
    }
    return _DeprecatedClassMeta(old.rsplit(".", 1)[-1], (), ns)


def moved_out_of_root(package: str, moved: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for names moved out of ``package``'s root into submodules.

    ``moved`` maps each old root name to the module that now holds it. Reading the name
    from the root still works for one release, with a DeprecationWarning naming the new
    import.
    """
    import importlib

    def __getattr__(name: str) -> Any:
        where = moved.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        warn_deprecated(f"{package}.{name}", f"{where}.{name}")
        return getattr(importlib.import_module(where), name)

    return __getattr__


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
