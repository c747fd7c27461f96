"""The applier engine shared by every backend: run labeling functions over one table.

Everything here works on one in-memory ``DataFrame`` (a whole table, or one Dask
partition). Row-wise functions see each row as a :class:`~labelwise.labeling.lf.Row`
built straight from column lists (no ``DataFrame.apply``, no per-row Series); vectorized
functions see the whole frame at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelwise.errors import RuleError
from labelwise.faults import FaultLog
from labelwise.labeling.lf import LabelingFunction, LFLike, Row, VectorizedLabelingFunction
from labelwise.labeling.space import ABSTAIN
from labelwise.progress import progress, progress_enabled

__all__ = [
    "ApplyResult",
    "RuleFaultWarning",
    "apply_to_frame",
    "loud_faults",
    "votes_to_array",
]

#: Rows per chunk of row-wise work (progress updates and strict-mode positions).
CHUNK_ROWS = 20_000


#: Faults kept as :class:`~labelwise.faults.Fault` records per rule (the rest are counted).
FAULTS_KEPT_PER_RULE = 5
#: A rule that faults on more than this share of rows is reported loudly.
LOUD_FAULT_SHARE = 0.01
#: ... or on every one of the first this many rows.
LOUD_FIRST_ROWS = 20


class RuleFaultWarning(UserWarning):
    """A labeling function raised on many items (they abstained)."""


@dataclass
class ApplyResult:
    """Votes of every labeling function on one table, plus the faults behind them.

    ``faults`` counts the items each rule raised on; ``fault_log`` keeps the first
    :data:`FAULTS_KEPT_PER_RULE` of them per rule as :class:`~labelwise.faults.Fault`
    records (item index, exception); ``first_rows_faulted`` counts, per rule, how many of
    the table's first :data:`LOUD_FIRST_ROWS` rows faulted.
    """

    values: np.ndarray  # (n, m) int32
    faults: dict[str, int] = field(default_factory=dict)
    fault_examples: dict[str, str] = field(default_factory=dict)
    fault_log: FaultLog = field(default_factory=FaultLog)
    first_rows_faulted: dict[str, int] = field(default_factory=dict)
    #: Row-wise rule name -> True when it ran compiled to vectorized code.
    compiled: dict[str, bool] = field(default_factory=dict)

    def record(self, name: str, exc: BaseException, item: Any, position: int) -> None:
        """Count a fault of rule ``name`` on ``item`` (at row ``position``)."""
        self.faults[name] = self.faults.get(name, 0) + 1
        if position < LOUD_FIRST_ROWS:
            self.first_rows_faulted[name] = self.first_rows_faulted.get(name, 0) + 1
        if self.faults[name] <= FAULTS_KEPT_PER_RULE:
            self.fault_log.record(exc, item=_plain(item), source=name)
        self.fault_examples.setdefault(name, f"item {item!r}: {type(exc).__name__}: {exc}")

    def merge(self, other: ApplyResult) -> None:
        """Add the fault counts and records of another partition's result."""
        for name, count in other.faults.items():
            self.faults[name] = self.faults.get(name, 0) + count
        for name, example in other.fault_examples.items():
            self.fault_examples.setdefault(name, example)
        kept = self.fault_log.count_by_source()
        for name, flag in other.compiled.items():
            self.compiled[name] = self.compiled.get(name, True) and flag
        for fault in other.fault_log:
            if kept.get(fault.source, 0) < FAULTS_KEPT_PER_RULE:
                self.fault_log.add(fault)
                kept[fault.source] = kept.get(fault.source, 0) + 1


def _plain(item: Any) -> Any:
    return item.item() if isinstance(item, np.generic) else item


def loud_faults(
    faults: dict[str, int],
    fault_examples: dict[str, str],
    n_rows: int,
    first_rows_faulted: dict[str, int] | None = None,
    *,
    share: float = LOUD_FAULT_SHARE,
) -> list[str]:
    """One plain-words line per rule that faulted on more than ``share`` of the rows or
    on all of the first :data:`LOUD_FIRST_ROWS` rows (name, share, first exception).

    Examples
    --------
    >>> loud_faults({"typo": 10, "ok": 0}, {"typo": "item 0: AttributeError: txt"}, 10)
    ["rule 'typo' raised on 10 of 10 rows (100.0%) and abstained there; first: item 0: AttributeError: txt"]
    """
    first = first_rows_faulted or {}
    lines = []
    for name, count in faults.items():
        if count == 0 or n_rows == 0:
            continue
        head = min(LOUD_FIRST_ROWS, n_rows)
        if count / n_rows > share or first.get(name, 0) >= head:
            lines.append(
                f"rule {name!r} raised on {count:,} of {n_rows:,} rows ({count / n_rows:.1%}) "
                f"and abstained there; first: {fault_examples.get(name, '?')}"
            )
    return lines


def _bad_vote_error(name: str, value: Any, position: Any, cardinality: int | None) -> RuleError:
    expected = (
        f"an int in 0..{cardinality - 1} or ABSTAIN (-1)"
        if cardinality is not None
        else "an int class index or ABSTAIN (-1)"
    )
    return RuleError(
        f"labeling function {name!r} returned {value!r} ({type(value).__name__}) for item "
        f"{position!r}; expected {expected}. Return integer classes (use a LabelSpace to map "
        "names) and ABSTAIN when the rule has no opinion."
    )


def votes_to_array(
    name: str, votes: Any, *, cardinality: int | None, positions: Sequence[Any] | None = None
) -> np.ndarray:
    """Validate one labeling function's votes (a list or array) into an int32 array.

    ``None`` counts as ABSTAIN. Floats, bools and strings are rejected with the item.
    """
    if isinstance(votes, np.ndarray) and votes.dtype.kind in "iu":
        arr = votes.astype(np.int32, copy=False)
    else:
        seq = list(votes)
        kinds = set(map(type, seq))
        if type(None) in kinds:
            seq = [ABSTAIN if v is None else v for v in seq]
            kinds.discard(type(None))
            kinds.add(int)
        ok = {int} | {t for t in kinds if issubclass(t, np.integer)}
        bad_types = kinds - ok
        if bad_types:
            i = next(i for i, v in enumerate(seq) if type(v) in bad_types)
            pos = positions[i] if positions is not None else i
            raise _bad_vote_error(name, seq[i], pos, cardinality)
        arr = np.asarray(seq, dtype=np.int64).astype(np.int32) if seq else np.empty(0, np.int32)
    if arr.size:
        bad = (arr < -1) if cardinality is None else ((arr < -1) | (arr >= cardinality))
        if bad.any():
            i = int(np.argmax(bad))
            pos = positions[i] if positions is not None else i
            raise _bad_vote_error(name, int(arr[i]), pos, cardinality)
    return arr


def _vectorized_votes(
    lf: VectorizedLabelingFunction, df: Any, *, cardinality: int | None, strict: bool
) -> tuple[np.ndarray | None, Exception | None]:
    """Votes of a vectorized function, or ``(None, exc)`` when it raised."""
    try:
        raw = lf.apply_frame(df)
    except RuleError:
        raise  # misconfiguration (missing columns, wrong length): never a per-item fault
    except Exception as exc:
        if strict:
            raise RuleError(
                f"labeling function {lf.name!r} raised {type(exc).__name__}: {exc}"
            ) from exc
        return None, exc
    if raw.dtype.kind == "b":
        raise _bad_vote_error(lf.name, bool(raw[0]) if raw.size else raw, 0, cardinality)
    if raw.dtype.kind == "f":
        finite = np.isfinite(raw)
        if not np.array_equal(raw[finite], np.round(raw[finite])):
            i = int(np.argmax(finite & (raw != np.round(raw))))
            raise _bad_vote_error(lf.name, float(raw[i]), df.index[i], cardinality)
        raw = np.where(finite, raw, ABSTAIN).astype(np.int32)
    return votes_to_array(lf.name, raw, cardinality=cardinality, positions=df.index), None


def apply_to_frame(
    lfs: Sequence[LFLike],
    df: Any,
    *,
    cardinality: int | None = None,
    strict: bool = False,
    rowwise: bool = False,
    show_progress: bool | None = None,
    compile_rules: bool = True,
) -> ApplyResult:
    """Apply ``lfs`` to every row of ``df``.

    Parameters
    ----------
    lfs : sequence of labeling functions
        Already normalized (see :func:`~labelwise.labeling.lf.as_labeling_functions`).
    df : pandas.DataFrame
        The items.
    cardinality : int, optional
        ``k``; votes outside ``-1..k-1`` raise :class:`RuleError`.
    strict : bool
        Re-raise the first exception a labeling function throws (with the item index)
        instead of abstaining and counting a fault.
    rowwise : bool
        Run vectorized functions that have a row form per row too (used to check that
        both forms agree; slower).
    compile_rules : bool
        Run row-wise rules whose body allows it as vectorized code
        (:mod:`labelwise.labeling.compile`); the others, and any rule on a table whose
        columns do not allow an identical result, run row by row.

    Returns
    -------
    ApplyResult
        ``values`` of shape ``(len(df), len(lfs))``.
    """
    n, m = len(df), len(lfs)
    values = np.full((n, m), ABSTAIN, dtype=np.int32)
    result = ApplyResult(values=values, faults={lf.name: 0 for lf in lfs})
    row_jobs: list[tuple[int, Any]] = []
    for j, lf in enumerate(lfs):
        if isinstance(lf, VectorizedLabelingFunction) and not (rowwise and lf.has_row_form):
            votes, exc = _vectorized_votes(lf, df, cardinality=cardinality, strict=strict)
            if votes is not None:
                values[:, j] = votes
            elif lf.has_row_form:
                row_jobs.append((j, lf))  # fall back to per-row calls: faults per item
            else:
                assert exc is not None
                result.faults[lf.name] = n
                result.first_rows_faulted[lf.name] = min(n, LOUD_FIRST_ROWS)
                result.fault_log.record(exc, item="all rows", source=lf.name)
                result.fault_examples[lf.name] = f"all rows: {type(exc).__name__}: {exc}"
        elif compile_rules and not rowwise and isinstance(lf, LabelingFunction):
            votes = _compiled_votes(lf, df, cardinality)
            result.compiled[lf.name] = votes is not None
            if votes is not None:
                values[:, j] = votes
            else:
                row_jobs.append((j, lf))
        else:
            row_jobs.append((j, lf))
    if row_jobs and n:
        _apply_rowwise(
            row_jobs,
            df,
            result,
            cardinality=cardinality,
            strict=strict,
            show_progress=show_progress,
        )
    return result


def _compiled_votes(lf: LabelingFunction, df: Any, cardinality: int | None) -> np.ndarray | None:
    """Votes of ``lf`` from its compiled form, or None (then it runs row by row)."""
    from labelwise.labeling.compile import compile_rule

    cache = lf.__dict__
    if "_compiled" not in cache:
        cache["_compiled"] = compile_rule(lf)
    run = cache["_compiled"]
    if run is None:
        return None
    try:
        raw = run(df)
    except Exception:  # NotCompilable on this table, or anything unexpected: row-wise
        return None
    return votes_to_array(lf.name, raw, cardinality=cardinality, positions=df.index)


def _fast_callable(lf: Any, full: bool = False) -> Any:
    """The cheapest callable equivalent to ``lf(x)`` (skips wrappers when there is nothing
    to wrap); functions with preprocessors get a copy of the row, which they may modify."""
    if isinstance(lf, LabelingFunction):
        if lf._pre:
            return (lambda x: lf(x.copy())) if full else (lambda x: lf(Row(x)))
        if not lf._resources:
            return lf._f
    return lf


def _wants_series(lf: Any) -> bool:
    return isinstance(lf, LabelingFunction) and lf.needs_full_row


def _series_rows(df: Any, start: int, stop: int) -> list[Any]:
    """Rows ``start:stop`` as the ``pandas.Series`` Snorkel's applier passes
    (``df.apply(..., axis=1)``): ``x.name`` is the row label, dtypes upcast the same way."""
    return [s for _, s in df.iloc[start:stop].iterrows()]


def _apply_rowwise(
    jobs: Sequence[tuple[int, Any]],
    df: Any,
    result: ApplyResult,
    *,
    cardinality: int | None,
    strict: bool,
    show_progress: bool | None,
) -> None:
    values = result.values
    n = len(df)
    names = [str(c) for c in df.columns]
    index = df.index
    # Column lists once; each row is then a dict built from a zip (fast, no Series).
    columns = (
        [df[c].tolist() for c in df.columns] if not all(_wants_series(lf) for _, lf in jobs) else []
    )
    full = [_wants_series(lf) for _, lf in jobs]
    calls = [(j, lf, _fast_callable(lf, w), w) for (j, lf), w in zip(jobs, full, strict=True)]
    need_rows, need_series = not all(full), any(full)
    starts = range(0, n, CHUNK_ROWS)
    show = progress_enabled(show_progress) and n > CHUNK_ROWS
    for start in progress(starts, total=len(starts), desc="labeling", unit="chunk", enabled=show):
        stop = min(start + CHUNK_ROWS, n)
        light: list[Any] = []
        if need_rows:
            light = [
                Row(zip(names, r, strict=True))
                for r in zip(*(col[start:stop] for col in columns), strict=True)
            ]
        series = _series_rows(df, start, stop) if need_series else []
        for j, lf, f, wants_series in calls:
            rows = series if wants_series else light
            try:
                votes = [f(x) for x in rows]  # fast path: no per-item try
            except Exception:
                votes = _votes_one_by_one(lf, f, rows, index, start, result, strict)
            values[start:stop, j] = votes_to_array(
                lf.name, votes, cardinality=cardinality, positions=index[start:stop]
            )


def _votes_one_by_one(
    lf: Any,
    f: Any,
    rows: list[Any],
    index: Any,
    start: int,
    result: ApplyResult,
    strict: bool,
) -> list[Any]:
    """Re-run a chunk item by item so one raising item abstains instead of the chunk."""
    votes: list[Any] = []
    for offset, x in enumerate(rows):
        try:
            votes.append(f(x))
        except Exception as exc:
            item = index[start + offset]
            if strict:
                raise RuleError(
                    f"labeling function {lf.name!r} raised {type(exc).__name__} on item "
                    f"{item!r}: {exc}"
                ) from exc
            result.record(lf.name, exc, item, start + offset)
            votes.append(ABSTAIN)
    return votes
