"""Dask applier: the same engine, one task per partition, on a cluster."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable
from typing import Any

import numpy as np

from labelwise.errors import DataError, require
from labelwise.faults import FaultLog
from labelwise.labeling.apply.core import ApplyResult, apply_to_frame
from labelwise.labeling.apply.pandas import (
    _check_frame,
    _is_default_index,
    build_label_matrix,
    report_faults,
)
from labelwise.labeling.lf import as_labeling_functions
from labelwise.labeling.matrix import LabelMatrix
from labelwise.labeling.space import LabelSpace

__all__ = ["DaskLFApplier"]


def _apply_partition(part: Any, lfs: Any, cardinality: Any, strict: bool) -> ApplyResult:
    result = apply_to_frame(lfs, part, cardinality=cardinality, strict=strict, show_progress=False)
    result.values = result.values.astype(np.int16)  # a quarter of the bytes back
    return result


class DaskLFApplier:
    """Apply labeling functions partition by partition on a Dask cluster.

    Parameters
    ----------
    lfs : iterable of labeling functions
        As for :class:`~labelwise.labeling.LFApplier`; they are shipped to the workers with
        cloudpickle, so functions from a rules file work too.
    scheduler : str or distributed.Client, optional
        A scheduler address (``"tcp://host:8786"``) or an existing client. Default: a
        ``LocalCluster`` with ``n_workers`` single-threaded worker processes, started for
        the call and closed after it.
    n_workers : int
        Workers of the default local cluster.
    npartitions : int, optional
        Partitions for a pandas input (default ``4 * n_workers``).

    Examples
    --------
    >>> applier = DaskLFApplier(lfs, n_workers=2)  # doctest: +SKIP
    >>> L = applier.apply(df)                       # doctest: +SKIP
    """

    backend = "dask"

    def __init__(
        self,
        lfs: Iterable[Any],
        *,
        cardinality: int | None = None,
        label_space: LabelSpace | None = None,
        scheduler: Any = None,
        n_workers: int = 2,
        npartitions: int | None = None,
    ) -> None:
        self.lfs = as_labeling_functions(lfs)
        self.label_space = label_space
        self.cardinality = label_space.k if label_space is not None else cardinality
        self.scheduler = scheduler
        self.n_workers = n_workers
        self.npartitions = npartitions
        self.faults_: dict[str, int] = {}
        self.fault_log_ = FaultLog()
        self.fault_report_: list[str] = []

    def _client(self) -> tuple[Any, list[Any]]:
        distributed = require("distributed", "dask")
        if isinstance(self.scheduler, distributed.Client):
            return self.scheduler, []
        if isinstance(self.scheduler, str):
            client = distributed.Client(self.scheduler)
            return client, [client]
        cluster = distributed.LocalCluster(
            n_workers=self.n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        )
        client = distributed.Client(cluster)
        return client, [client, cluster]

    def apply(self, data: Any, *, strict: bool = False) -> LabelMatrix:
        """Votes of every labeling function on every row of ``data``.

        Parameters
        ----------
        data : pandas.DataFrame or dask.dataframe.DataFrame
            The items. Row order is kept (partitions are concatenated in order).
        strict : bool
            Re-raise the first exception (with the item's index label) instead of abstaining.
        """
        import pandas as pd

        _prepare_for_workers(self.lfs)
        _register_rule_modules(self.lfs)
        index = None
        client, to_close = self._client()
        try:
            if isinstance(data, pd.DataFrame):
                _check_frame(data)
                index = None if _is_default_index(data) else data.index
                nparts = self.npartitions or max(1, min(len(data), 4 * self.n_workers))
                bounds = np.linspace(0, len(data), nparts + 1).astype(int)
                # Scatter each slice once, straight to a worker (a task graph built from
                # the whole frame would ship it to every task).
                parts = client.scatter(
                    [data.iloc[a:b] for a, b in itertools.pairwise(bounds) if b > a]
                )
                futures = client.map(
                    _apply_partition,
                    parts,
                    lfs=self.lfs,
                    cardinality=self.cardinality,
                    strict=strict,
                    pure=False,
                )
                results = client.gather(futures)
            elif hasattr(data, "to_delayed"):
                dask = require("dask", "dask")
                tasks = [
                    dask.delayed(_apply_partition)(part, self.lfs, self.cardinality, strict)
                    for part in data.to_delayed()
                ]
                results = client.gather(client.compute(tasks))
            else:
                raise DataError(f"expected a pandas or dask DataFrame, got {type(data).__name__}")
        finally:
            for obj in to_close:
                obj.close()
        values = (
            np.vstack([r.values for r in results])
            if results
            else np.empty((0, len(self.lfs)), np.int32)
        )
        if len(values) == 0:
            raise DataError("the dataset is empty (0 rows); there is nothing to label")
        merged = ApplyResult(values=values, faults={lf.name: 0 for lf in self.lfs})
        for r in results:
            merged.merge(r)
        if results:  # the first partition holds the table's first rows
            merged.first_rows_faulted = dict(results[0].first_rows_faulted)
        report_faults(self, merged, len(values))
        return build_label_matrix(
            self.lfs,
            merged,
            cardinality=self.cardinality,
            label_space=self.label_space,
            index=index,
            backend=self.backend,
        )


def _prepare_for_workers(lfs: Any) -> None:
    """Read each row-wise rule's source here, where it is available: whether it needs a
    full ``pandas.Series`` row and its compiled form travel to the workers with it (a
    function shipped by value has no readable source there)."""
    from labelwise.labeling.compile import compile_rule
    from labelwise.labeling.lf import LabelingFunction

    for lf in lfs:
        if isinstance(lf, LabelingFunction):
            _ = lf.needs_full_row
            if "_compiled" not in lf.__dict__:
                lf.__dict__["_compiled"] = compile_rule(lf)


def _register_rule_modules(lfs: Any) -> None:
    """Ship functions from rules files by value: workers cannot import those modules."""
    import sys

    try:
        import cloudpickle
    except ImportError:  # pragma: no cover - distributed depends on cloudpickle
        return
    for lf in lfs:
        f = getattr(lf, "_f", None)
        module = sys.modules.get(getattr(f, "__module__", "") or "")
        if module is not None and getattr(module, "__labelwise_rules__", False):
            # ValueError/TypeError: already registered, or not a real module.
            with contextlib.suppress(ValueError, TypeError):
                cloudpickle.register_pickle_by_value(module)
