"""One per-item fault record for every batch in labelwise.

Every place that tolerates the failure of one item (a rule raising on a row, an unreadable
image, a corrupt audio file, an LLM call that timed out, a bad line in an import file)
records a :class:`Fault` in a :class:`FaultLog` and goes on with the next item. A batch ends
with a :class:`BatchSummary`, whose counts add up (``done + failed + skipped + cached ==
total``) and whose :meth:`BatchSummary.exit_code` is what every CLI command returns:

- ``0``: every item succeeded (or fewer failed than ``--allow-failures`` permits);
- ``2``: usage or input error before any item ran (:data:`EXIT_USAGE`);
- ``3``: the batch finished but some items failed (:data:`EXIT_FAILED_ITEMS`);
- ``130``: interrupted (Ctrl-C); finished items were written and the run can resume
  (:data:`EXIT_INTERRUPTED`).

Examples
--------
>>> log = FaultLog()
>>> ok, value = call_safely(int, "12", item=0, faults=log, source="parse")
>>> ok, value
(True, 12)
>>> ok, value = call_safely(int, "x", item=1, faults=log, source="parse")
>>> ok, value, len(log)
(False, None, 1)
>>> print(log[0])
item 1 [parse]: ValueError: invalid literal for int() with base 10: 'x'
>>> BatchSummary(total=2, done=1, failed=1, faults=log).exit_code()
3
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

__all__ = [
    "EXIT_FAILED_ITEMS",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "BatchSummary",
    "Fault",
    "FaultLog",
    "PartialMarker",
    "call_safely",
    "faults_from_issues",
]

T = TypeVar("T")

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FAILED_ITEMS = 3
EXIT_INTERRUPTED = 130

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Fault:
    """One item that failed (or needs a warning) in a batch.

    Attributes
    ----------
    item : object
        What failed: a row index, an item id, a file path.
    error : str
        The exception's type name (``"ValueError"``) or a short code (``"out_of_range"``).
    message : str
        What went wrong, in words a user can act on.
    source : str
        Who ran into it: a labeler or rule name, a stage (``"decode"``), a file.
    line : int, optional
        Line (1-based) in ``source`` when the fault comes from a text file.
    severity : {"error", "warning"}
        A warning keeps the item (e.g. a clipped box); an error drops it.
    """

    item: Any
    error: str
    message: str
    source: str = ""
    line: int | None = None
    severity: Severity = "error"

    @classmethod
    def from_exception(
        cls,
        exc: BaseException,
        *,
        item: Any,
        source: str = "",
        line: int | None = None,
        severity: Severity = "error",
    ) -> Fault:
        """A fault describing ``exc`` raised on ``item``."""
        return cls(item, type(exc).__name__, str(exc) or repr(exc), source, line, severity)

    def __str__(self) -> str:
        where = f"item {self.item!r}" if not isinstance(self.item, int) else f"item {self.item}"
        if self.line is not None:
            where += f" (line {self.line})"
        src = f" [{self.source}]" if self.source else ""
        return f"{where}{src}: {self.error}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item if isinstance(self.item, (int, float, str)) else str(self.item),
            "error": self.error,
            "message": self.message,
            "source": self.source,
            "line": self.line,
            "severity": self.severity,
        }


class FaultLog:
    """An ordered collection of :class:`Fault` records, with counts and a summary.

    Examples
    --------
    >>> log = FaultLog()
    >>> _ = log.record(ValueError("bad"), item="a.wav", source="decode")
    >>> log.warn("b.wav", "clipped", "3% of samples are clipped", source="check")
    >>> len(log), len(log.errors), len(log.warnings), log.count_by_source()
    (2, 1, 1, {'decode': 1, 'check': 1})
    """

    def __init__(self, faults: Iterable[Fault] | None = None) -> None:
        self._faults: list[Fault] = list(faults or [])

    # ------------------------------------------------------------------ adding
    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def record(
        self,
        exc: BaseException,
        *,
        item: Any,
        source: str = "",
        line: int | None = None,
        severity: Severity = "error",
    ) -> Fault:
        """Record ``exc`` as a fault on ``item`` and return it."""
        fault = Fault.from_exception(exc, item=item, source=source, line=line, severity=severity)
        self._faults.append(fault)
        return fault

    def error(
        self, item: Any, error: str, message: str, *, source: str = "", line: int | None = None
    ) -> None:
        """Record an error that is not an exception (a check that failed)."""
        self._faults.append(Fault(item, error, message, source, line, "error"))

    def warn(
        self, item: Any, error: str, message: str, *, source: str = "", line: int | None = None
    ) -> None:
        """Record a warning: the item was kept, but a user should know."""
        self._faults.append(Fault(item, error, message, source, line, "warning"))

    def extend(self, other: Iterable[Fault]) -> None:
        self._faults.extend(other)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self._faults)

    def __iter__(self) -> Iterator[Fault]:
        return iter(self._faults)

    def __getitem__(self, i: int) -> Fault:
        return self._faults[i]

    def __repr__(self) -> str:
        return f"FaultLog({len(self.errors)} errors, {len(self.warnings)} warnings)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FaultLog) and other._faults == self._faults

    __hash__ = None  # type: ignore[assignment]

    @property
    def errors(self) -> list[Fault]:
        return [f for f in self._faults if f.severity == "error"]

    @property
    def warnings(self) -> list[Fault]:
        return [f for f in self._faults if f.severity == "warning"]

    def failed_items(self) -> list[Any]:
        """Items with at least one error, in first-seen order."""
        seen: dict[Any, None] = {}
        for f in self.errors:
            key = f.item if isinstance(f.item, (int, str, float, tuple)) else str(f.item)
            seen.setdefault(key, None)
        return list(seen)

    def for_source(self, source: str) -> FaultLog:
        """Only the faults of one labeler, rule or stage."""
        return FaultLog(f for f in self._faults if f.source == source)

    def count_by_source(self) -> dict[str, int]:
        return dict(Counter(f.source for f in self._faults))

    def summary(self, *, total: int | None = None, what: str = "items", first: int = 3) -> str:
        """One paragraph: how many failed, and the first few faults.

        Examples
        --------
        >>> log = FaultLog()
        >>> _ = log.record(KeyError("txt"), item=4, source="has_link")
        >>> print(log.summary(total=10, what="rows"))
        1 of 10 rows failed
          item 4 [has_link]: KeyError: 'txt'
        """
        errors, warns = self.errors, self.warnings
        if not errors and not warns:
            return f"no failed {what}"
        n_failed = len(self.failed_items())
        head = (
            f"{n_failed} of {total} {what} failed"
            if total is not None
            else f"{n_failed} {what} failed"
        )
        if warns:
            head += f"; {len(warns)} warning{'s' if len(warns) != 1 else ''}"
        lines = [head]
        shown = (errors + warns)[:first]
        lines += [f"  {f}" for f in shown]
        rest = len(self._faults) - len(shown)
        if rest > 0:
            lines.append(f"  ... and {rest} more")
        return "\n".join(lines)

    def to_records(self) -> list[dict[str, Any]]:
        return [f.to_dict() for f in self._faults]

    def to_frame(self) -> Any:
        """A DataFrame with one row per fault (columns of :meth:`Fault.to_dict`)."""
        import pandas as pd

        cols = ["item", "error", "message", "source", "line", "severity"]
        return pd.DataFrame(self.to_records(), columns=cols)


def call_safely(
    fn: Callable[..., T],
    *args: Any,
    item: Any,
    faults: FaultLog,
    source: str = "",
    catch: tuple[type[BaseException], ...] = (Exception,),
    default: Any = None,
    **kwargs: Any,
) -> tuple[bool, Any]:
    """Call ``fn(*args, **kwargs)``; on an exception in ``catch`` record a fault on ``item``.

    Returns ``(True, result)`` or ``(False, default)``. ``KeyboardInterrupt`` and
    ``SystemExit`` are never caught, so Ctrl-C always stops a batch.
    """
    try:
        return True, fn(*args, **kwargs)
    except catch as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        faults.record(exc, item=item, source=source)
        return False, default


@dataclass
class BatchSummary:
    """What a batch did: counts that add up to ``total``, and the faults behind ``failed``.

    Examples
    --------
    >>> s = BatchSummary(total=5, done=3, cached=1, skipped=1)
    >>> s.exit_code(), s.render()
    (0, '5 items: 3 done, 1 cached, 1 skipped, 0 failed')
    """

    total: int
    done: int = 0
    failed: int = 0
    skipped: int = 0
    cached: int = 0
    what: str = "items"
    faults: FaultLog = field(default_factory=FaultLog)
    interrupted: bool = False

    def __post_init__(self) -> None:
        counted = self.done + self.failed + self.skipped + self.cached
        if not self.interrupted and counted != self.total:
            raise ValueError(
                f"batch counts do not add up: done {self.done} + failed {self.failed} + "
                f"skipped {self.skipped} + cached {self.cached} = {counted}, total {self.total}"
            )

    def exit_code(self, allow_failures: int = 0) -> int:
        """``130`` if interrupted, ``3`` if more than ``allow_failures`` items failed, else 0."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_FAILED_ITEMS if self.failed > allow_failures else EXIT_OK

    def render(self, *, first: int = 3) -> str:
        """One line of counts, then the first faults when any item failed."""
        head = (
            f"{self.total} {self.what}: {self.done} done, {self.cached} cached, "
            f"{self.skipped} skipped, {self.failed} failed"
        )
        if self.interrupted:
            not_run = self.total - (self.done + self.failed + self.skipped + self.cached)
            if not_run > 0:
                head += f", {not_run} not run"
            head += " (interrupted: finished items were written; run again to resume)"
        if len(self.faults):
            body = self.faults.summary(total=self.total, what=self.what, first=first)
            return head + "\n" + "\n".join(body.splitlines()[1:])
        return head


def faults_from_issues(issues: Iterable[Any], *, source: str = "") -> FaultLog:
    """A :class:`FaultLog` from objects with ``path``/``item``, ``level`` and ``message``
    (such as image :class:`~labelwise.image.io.LoadIssue`): ``level == "error"`` becomes an
    error, anything else a warning.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> log = faults_from_issues([NS(path="a.jpg", level="error", message="truncated")], source="load")
    >>> print(log[0])
    item 'a.jpg' [load]: error: truncated
    """
    log = FaultLog()
    for issue in issues:
        item = getattr(issue, "path", None) or getattr(issue, "item", None)
        level = str(getattr(issue, "level", "error"))
        message = str(getattr(issue, "message", issue))
        if level == "error":
            log.error(item, "error", message, source=source)
        else:
            log.warn(item, level, message, source=source)
    return log


class PartialMarker:
    """``<output>.partial.json``: the marker an interrupted batch leaves beside its output.

    An interrupted command writes what it finished, then :meth:`write` records how far it
    got; the next run of the same command sees the marker (:meth:`read`), resumes (finished
    items are not redone) and :meth:`clear` removes it once the batch completes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "labels.csv"
    >>> marker = PartialMarker(out)
    >>> marker.write(BatchSummary(total=10, done=4, interrupted=True), done_items=[0, 1, 2, 3])
    >>> marker.exists, marker.read()["done"], marker.read()["done_items"]
    (True, 4, [0, 1, 2, 3])
    >>> marker.clear(); marker.exists
    False
    """

    def __init__(self, output: Any) -> None:
        from pathlib import Path

        out = Path(output)
        self.output = out
        self.path = out.with_name(out.name + ".partial.json")

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    def write(
        self,
        summary: BatchSummary,
        *,
        done_items: Iterable[Any] = (),
        reason: str = "interrupted",
        **extra: Any,
    ) -> None:
        import json
        import time

        payload = {
            "partial": True,
            "reason": reason,
            "output": str(self.output),
            "total": summary.total,
            "done": summary.done + summary.cached,
            "failed": summary.failed,
            "done_items": [i if isinstance(i, (int, str)) else str(i) for i in done_items],
            "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **extra,
        }
        self.path.write_text(json.dumps(payload, indent=1, default=str))

    def read(self) -> dict[str, Any] | None:
        """The marker's contents, or None when there is none (or it is unreadable)."""
        import json

        if not self.exists:
            return None
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def clear(self) -> None:
        import contextlib

        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
