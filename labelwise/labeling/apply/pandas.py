"""In-process applier over a pandas ``DataFrame``."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

from labelwise.errors import DataError
from labelwise.faults import FaultLog
from labelwise.labeling.apply.core import ApplyResult, RuleFaultWarning, apply_to_frame, loud_faults
from labelwise.labeling.lf import LFLike, VectorizedLabelingFunction, as_labeling_functions
from labelwise.labeling.matrix import LabelMatrix
from labelwise.labeling.space import LabelSpace

__all__ = ["LFApplier", "PandasLFApplier", "build_label_matrix", "report_faults"]


def report_faults(applier: Any, result: ApplyResult, n_rows: int) -> list[str]:
    """Store the faults on ``applier`` (``faults_``, ``fault_log_``, ``fault_report_``) and
    warn loudly (:class:`RuleFaultWarning`) about rules that raised on many rows.

    Returns the report lines (empty when no rule faulted much).
    """
    applier.faults_ = dict(result.faults)
    applier.fault_log_ = result.fault_log
    lines = loud_faults(result.faults, result.fault_examples, n_rows, result.first_rows_faulted)
    applier.fault_report_ = lines
    if lines:
        warnings.warn(
            "some rules failed and abstained instead of voting (fix them, or pass "
            "strict=True / --strict to stop at the first failure):\n  " + "\n  ".join(lines),
            RuleFaultWarning,
            stacklevel=3,
        )
    return lines


def _provenance(lf: LFLike, result: ApplyResult, backend: str) -> dict[str, Any]:
    f = getattr(lf, "_f", None)
    prov: dict[str, Any] = {
        "kind": "labeling_function",
        "vectorized": isinstance(lf, VectorizedLabelingFunction),
        "backend": backend,
        "faults": int(result.faults.get(lf.name, 0)),
    }
    if f is not None and getattr(f, "__module__", None):
        prov["source"] = f"{f.__module__}.{getattr(f, '__qualname__', lf.name)}"
    if lf.name in result.compiled:
        prov["compiled"] = result.compiled[lf.name]
    if lf.name in result.fault_examples:
        prov["first_fault"] = result.fault_examples[lf.name]
    return prov


def build_label_matrix(
    lfs: list[LFLike],
    result: ApplyResult,
    *,
    cardinality: int | None,
    label_space: LabelSpace | None,
    index: Any,
    backend: str,
) -> LabelMatrix:
    """Wrap applier output in a :class:`LabelMatrix` with per-rule provenance."""
    return LabelMatrix(
        result.values,
        names=[lf.name for lf in lfs],
        cardinality=cardinality,
        label_space=label_space,
        provenance={lf.name: _provenance(lf, result, backend) for lf in lfs},
        index=None if index is None else list(index),
    )


class LFApplier:
    """Apply labeling functions to a ``DataFrame`` in this process.

    Vectorized functions run once over the whole frame; row-wise functions run per row on
    a light row object (``x.col`` and ``x["col"]``). A function that raises on an item
    abstains there and the fault is counted (``faults_``, ``fault_log_`` and the matrix's
    provenance); a rule that raises on more than 1% of the rows or on all of the first 20
    is reported at the end of :meth:`apply` (a :class:`RuleFaultWarning` naming the rule,
    its share and the first exception with its row; ``fault_report_``). ``strict=True``
    re-raises the first exception with the item's index instead.

    Parameters
    ----------
    lfs : iterable of labeling functions
        ``@labeling_function`` objects, vectorized functions, Snorkel ``LabelingFunction``
        objects or plain named callables.
    cardinality : int, optional
        Number of classes ``k``; votes outside ``-1..k-1`` raise.
    label_space : LabelSpace, optional
        Class names (sets ``cardinality``).

    Examples
    --------
    >>> import pandas as pd
    >>> from labelwise.labeling import threshold, labeling_function
    >>> @labeling_function()
    ... def short(x):
    ...     return 0 if len(x.text) < 5 else -1
    >>> df = pd.DataFrame({"text": ["hi", "hello there"], "n": [1, 9]})
    >>> L = LFApplier([short, threshold("n", ">", 5, 1)], cardinality=2).apply(df)
    >>> L.values.tolist()
    [[0, -1], [-1, 1]]
    """

    backend = "pandas"

    def __init__(
        self,
        lfs: Iterable[Any],
        *,
        cardinality: int | None = None,
        label_space: LabelSpace | None = None,
    ) -> None:
        self.lfs = as_labeling_functions(lfs)
        self.label_space = label_space
        self.cardinality = label_space.k if label_space is not None else cardinality
        self.faults_: dict[str, int] = {}
        self.fault_log_ = FaultLog()
        self.fault_report_: list[str] = []

    def apply(
        self,
        df: Any,
        *,
        strict: bool = False,
        rowwise: bool = False,
        progress_bar: bool | None = None,
        keep_index: bool = True,
        compile_rules: bool = True,
    ) -> LabelMatrix:
        """Votes of every labeling function on every row of ``df``.

        Parameters
        ----------
        df : pandas.DataFrame
            The items, one per row.
        strict : bool
            Re-raise the first exception (with the item index) instead of abstaining.
        rowwise : bool
            Also run vectorized helpers per row (slower; used to cross-check).
        progress_bar : bool, optional
            Show a progress bar (default: when attached to a terminal).
        compile_rules : bool, default True
            Run row-wise rules as vectorized code where their body allows it
            (:mod:`labelwise.labeling.compile`); ``provenance[name]["compiled"]`` says
            which ran. The matrix is the same either way.

        Returns
        -------
        LabelMatrix
            Shape ``(len(df), n_lfs)``.
        """
        _check_frame(df)
        result = apply_to_frame(
            self.lfs,
            df,
            cardinality=self.cardinality,
            strict=strict,
            rowwise=rowwise,
            show_progress=progress_bar,
            compile_rules=compile_rules,
        )
        report_faults(self, result, len(df))
        index = None
        if keep_index and not _is_default_index(df):
            index = df.index
        return build_label_matrix(
            self.lfs,
            result,
            cardinality=self.cardinality,
            label_space=self.label_space,
            index=index,
            backend=self.backend,
        )


class PandasLFApplier(LFApplier):
    """Snorkel-style name: ``PandasLFApplier(lfs).apply(df)`` returns the label matrix."""


def _check_frame(df: Any) -> None:
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise DataError(
            f"expected a pandas DataFrame of items, got {type(df).__name__}; "
            "wrap records with pandas.DataFrame(...)"
        )
    if len(df) == 0:
        raise DataError("the dataset is empty (0 rows); there is nothing to label")
    if df.columns.has_duplicates:
        dups = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise DataError(f"the data has duplicate column names {dups}; rename them first")


def _is_default_index(df: Any) -> bool:
    import pandas as pd

    idx = df.index
    return isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1
