"""The one validation report of every importer and exporter, and the bad-annotation policy.

A :class:`ConversionReport` is a :class:`labelwise.faults.FaultLog` whose faults name the
file (``item``), the format (``source``) and the line (``line``, 1-based, when the file is
text). Every importer takes the same ``policy`` for annotations it cannot use as they are:

``"error"``
    Raise :class:`~labelwise.formats.items.FormatError` naming the file and line; nothing
    is imported.
``"clip"``
    Clip boxes reaching outside the image to it (a warning); drop what cannot be repaired
    (malformed lines, unknown classes, empty boxes) with an error fault.
``"drop"``
    Drop every bad annotation with an error fault.
``"keep"``
    Keep boxes reaching outside the image as they are (a warning); drop what cannot be
    repaired, with an error fault.

Examples
--------
>>> r = ConversionReport()
>>> fixed = check_box([-5.0, 2.0, 50.0, 20.0], (40, 30), "clip", r, file="a.txt", line=3)
>>> fixed, len(r.warnings)
([0.0, 2.0, 40.0, 20.0], 1)
>>> print(r[0])
item 'a.txt' (line 3) [formats]: out_of_range: box (-5, 2, 50, 20) reaches outside the 40x30 image; clipped to (0, 2, 40, 20)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from labelwise.faults import Fault, FaultLog
from labelwise.formats.items import FormatError

__all__ = ["POLICIES", "ConversionReport", "Policy", "check_box", "check_policy", "round_px"]

Policy = Literal["error", "clip", "drop", "keep"]
POLICIES: tuple[str, ...] = ("error", "clip", "drop", "keep")

#: Pixel coordinates are kept to this many decimals (a ten-thousandth of a pixel) by every
#: reader and writer: float noise (``409.5999984741211``) never reaches a file, and any
#: value with at most 4 decimals survives a round trip exactly.
PIXEL_DECIMALS = 4


def round_px(v: float, decimals: int = PIXEL_DECIMALS) -> float | int:
    """A pixel coordinate rounded to ``decimals`` places; an int when whole.

    Examples
    --------
    >>> round_px(409.5999984741211), round_px(64.00000000000001), round_px(0.125)
    (409.6, 64, 0.125)
    """
    r = round(float(v), decimals)
    return int(r) if r.is_integer() else r


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise FormatError(f"policy {policy!r} is not one of {POLICIES}")
    return policy


class ConversionReport(FaultLog):
    """Problems met while converting, one fault per file and line (nothing is dropped silently).

    A :class:`~labelwise.faults.FaultLog`: ``errors`` were dropped, ``warnings`` kept (maybe
    clipped). :attr:`problems` lists them as text.
    """

    def issue(
        self,
        file: str,
        code: str,
        message: str,
        *,
        line: int | None = None,
        severity: Literal["error", "warning"] = "error",
        source: str = "formats",
    ) -> None:
        """Record a problem in ``file`` (at ``line``)."""
        self.add(Fault(file, code, message, source, line, severity))

    def bad(
        self, policy: str, file: str, code: str, message: str, *, line: int | None = None
    ) -> None:
        """An annotation that cannot be used: raise under ``"error"``, else record and go on."""
        if policy == "error":
            where = f"{file} line {line}" if line is not None else file
            raise FormatError(f"{where}: {message}")
        self.issue(file, code, message + "; dropped", line=line)

    def add(self, fault: Fault | str) -> None:
        if isinstance(fault, str):
            fault = Fault("", "note", fault, "formats", None, "warning")
        super().add(fault)

    @property
    def problems(self) -> list[str]:
        """Every fault as one line of text (``file line N: message``)."""
        out = []
        for f in self:
            where = (
                f"{f.item} line {f.line}: "
                if f.line is not None
                else (f"{f.item}: " if f.item else "")
            )
            out.append(where + f.message)
        return out

    def __bool__(self) -> bool:
        return len(self) > 0


def _fmt_box(b: Sequence[float]) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in b) + ")"


def check_box(
    xyxy: Sequence[float] | Any,
    size: tuple[float, float] | None,
    policy: str,
    report: ConversionReport,
    *,
    file: str,
    line: int | None = None,
    check_area: bool = True,
) -> list[float] | None:
    """Apply ``policy`` to one corner box in pixels; the box to keep, or ``None`` to drop it.

    Boxes with no area are always bad (dropped, or raised under ``"error"``; pass
    ``check_area=False`` for the bounds of a polygon or polyline); boxes reaching
    outside ``size = (width, height)`` are clipped, dropped, kept or raised as the policy says.
    """
    x1, y1, x2, y2 = (float(v) for v in xyxy)
    if check_area and (x2 - x1 <= 0 or y2 - y1 <= 0):
        report.bad(policy, file, "degenerate", f"box {_fmt_box(xyxy)} has no area", line=line)
        return None
    if size is None:
        return [x1, y1, x2, y2]
    w, h = float(size[0]), float(size[1])
    tol = 1e-6 * max(w, h, 1.0)
    if x1 >= -tol and y1 >= -tol and x2 <= w + tol and y2 <= h + tol:
        return [max(x1, 0.0), max(y1, 0.0), min(x2, w), min(y2, h)]
    what = f"box {_fmt_box(xyxy)} reaches outside the {w:g}x{h:g} image"
    if policy in ("error", "drop"):
        report.bad(policy, file, "out_of_range", what, line=line)
        return None
    if policy == "keep":
        report.issue(file, "out_of_range", what + "; kept as is", line=line, severity="warning")
        return [x1, y1, x2, y2]
    c = [min(max(x1, 0.0), w), min(max(y1, 0.0), h), min(max(x2, 0.0), w), min(max(y2, 0.0), h)]
    if check_area and (c[2] - c[0] <= 0 or c[3] - c[1] <= 0):
        report.issue(file, "out_of_range", what + "; nothing is left inside it, dropped", line=line)
        return None
    report.issue(
        file,
        "out_of_range",
        f"{what}; clipped to {_fmt_box(c)}",
        line=line,
        severity="warning",
    )
    return c
