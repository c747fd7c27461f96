"""Load labeling functions (and optionally a label space) from a Python rules file."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from labelwise.errors import RuleError
from labelwise.labeling.lf import LabelingFunction, LFLike, VectorizedLabelingFunction
from labelwise.labeling.space import LabelSpace

__all__ = ["RulesModule", "load_rules"]


class RulesModule:
    """What a rules file defines: its labeling functions, label space and gold column."""

    def __init__(
        self,
        path: Path,
        lfs: list[LFLike],
        label_space: LabelSpace | None,
        gold_column: str | None,
        na_values: Any,
    ) -> None:
        self.path = path
        self.lfs = lfs
        self.label_space = label_space
        self.gold_column = gold_column
        self.na_values = na_values


def load_rules(path: str | Path) -> RulesModule:
    """Import ``path`` and collect its labeling functions.

    A rules file defines labeling functions at module level (decorated with
    ``@labeling_function``, vectorized helpers such as ``threshold(...)``, or Snorkel
    ``LabelingFunction`` objects), or a list ``LFS = [...]`` that fixes which rules and in
    what order. Optional names: ``LABELS = ["neg", "pos"]`` (the label space),
    ``GOLD = "column"`` (gold labels for diagnostics and model selection) and
    ``NA_VALUES = ["?"]`` (extra missing-value markers for CSV input).

    Raises
    ------
    RuleError
        If the file does not exist, fails to import, or defines no labeling functions.
    """
    p = Path(path)
    if not p.is_file():
        raise RuleError(
            f"rules file {str(p)!r} does not exist; give the path of a .py file that "
            "defines @labeling_function rules"
        )
    mod_name = f"labelwise_rules_{abs(hash(str(p.resolve())))}"
    spec = importlib.util.spec_from_file_location(mod_name, p)
    if spec is None or spec.loader is None:
        raise RuleError(f"cannot import rules file {str(p)!r}; is it a Python file?")
    module = importlib.util.module_from_spec(spec)
    module.__labelwise_rules__ = True  # type: ignore[attr-defined]
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[mod_name]
        raise RuleError(
            f"rules file {str(p)!r} failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    explicit = getattr(module, "LFS", None)
    if explicit is not None:
        lfs = list(explicit)
    else:
        lfs = [v for k, v in vars(module).items() if not k.startswith("_") and _looks_like_lf(v)]
    if not lfs:
        raise RuleError(
            f"rules file {str(p)!r} defines no labeling functions; decorate functions with "
            "@labeling_function() or list them in LFS = [...]"
        )
    labels = getattr(module, "LABELS", None)
    space = LabelSpace(labels) if labels is not None else None
    return RulesModule(
        p, lfs, space, getattr(module, "GOLD", None), getattr(module, "NA_VALUES", None)
    )


def _looks_like_lf(v: Any) -> bool:
    if isinstance(v, (LabelingFunction, VectorizedLabelingFunction)):
        return True
    # Snorkel's LabelingFunction, duck-typed without importing snorkel.
    return type(v).__name__ == "LabelingFunction" and callable(v) and hasattr(v, "name")
