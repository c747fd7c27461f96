"""One self-contained HTML report builder shared by every modality.

A :class:`Report` is a list of sections; each section holds blocks (text, key/value
tables, DataFrames, matplotlib figures, images, audio, alerts). Everything is embedded
(figures and images as base64 PNG/JPEG, audio as data URIs), so the file can be mailed or
opened offline. All user content is HTML-escaped.

Examples
--------
>>> r = Report("Demo")
>>> s = r.section("Overview")
>>> s.kv({"rows": 3, "columns": 2})
>>> s.text("Looks fine.")
>>> "Overview" in r.to_html()
True
"""

from __future__ import annotations

import base64
import html
import io
import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["Report", "Section", "figure_to_png", "image_to_data_uri"]

_CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c9d1d9;font-size:13px}
nav{padding:8px 28px;background:#fff;border-bottom:1px solid #d0d7de;font-size:13px}
nav a{margin-right:14px;color:#0969da;text-decoration:none}
main{padding:10px 28px 40px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:14px 18px;margin:16px 0}
section h2{margin:0 0 10px;font-size:18px}h3{font-size:15px;margin:14px 0 6px}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:right}
th{background:#f6f8fa}td.l,th.l{text-align:left}
.alert{padding:6px 10px;border-radius:4px;margin:4px 0;font-size:13px}
.alert.warning{background:#fff8c5;border:1px solid #d4a72c}
.alert.info{background:#ddf4ff;border:1px solid #54aeff}
.alert.error{background:#ffebe9;border:1px solid #ff8182}
figure{display:inline-block;margin:6px 10px 6px 0;vertical-align:top}
figcaption{font-size:12px;color:#57606a;text-align:center}
.grid img{border:1px solid #d0d7de}
figure img{max-width:100%;height:auto}figure{max-width:100%}
.scroll{overflow-x:auto;max-width:100%}
caption{font-size:12px;color:#57606a;text-align:left;padding:2px 0}
.muted{color:#57606a;font-size:12px}
"""


def figure_to_png(fig: Any, *, dpi: int = 90) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def image_to_data_uri(image: Any, *, max_side: int | None = None, fmt: str = "png") -> str:
    """A ``data:`` URI for raw bytes, a file path, a PIL image, or an ``(h, w[, c])`` array."""
    if isinstance(image, (str, Path)):
        path = Path(image)
        if max_side is None:
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"
        from PIL import Image

        image = Image.open(path)
    if isinstance(image, (bytes, bytearray)):
        return f"data:image/{fmt};base64,{base64.b64encode(bytes(image)).decode()}"
    from PIL import Image

    if not isinstance(image, Image.Image):
        import numpy as np

        arr = np.asarray(image)
        if arr.dtype != np.uint8:
            lo, hi = float(arr.min()), float(arr.max())
            arr = ((arr - lo) / (hi - lo or 1.0) * 255).astype(np.uint8)
        image = Image.fromarray(arr)
    if max_side is not None:
        image = image.copy()
        image.thumbnail((max_side, max_side))
    if image.mode not in ("RGB", "L", "RGBA"):
        image = image.convert("RGB")
    buf = io.BytesIO()
    image.save(buf, format=fmt.upper() if fmt != "jpg" else "JPEG")
    return f"data:image/{fmt};base64,{base64.b64encode(buf.getvalue()).decode()}"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if v != v:
            return ""
        if v in (float("inf"), float("-inf")):
            return str(v)
        # Whole numbers and large values read best in full ("32,561", not "3.256e+04").
        if abs(v) >= 1e4 or (v.is_integer() and abs(v) < 1e15):
            return f"{v:,.0f}"
        return f"{v:,.4g}"
    return str(v)


class Section:
    """A titled part of a report; add blocks with the methods below."""

    def __init__(self, title: str, anchor: str) -> None:
        self.title = title
        self.anchor = anchor
        self.blocks: list[str] = []

    def text(self, text: str, *, muted: bool = False) -> None:
        cls = ' class="muted"' if muted else ""
        self.blocks.append(f"<p{cls}>{html.escape(str(text))}</p>")

    def heading(self, text: str) -> None:
        self.blocks.append(f"<h3>{html.escape(str(text))}</h3>")

    def kv(self, items: Mapping[str, Any]) -> None:
        rows = "".join(
            f'<tr><th class="l">{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>'
            for k, v in items.items()
        )
        self.blocks.append(f"<table>{rows}</table>")

    def table(
        self, data: Any, *, max_rows: int = 50, index: bool = True, caption: str | None = None
    ) -> None:
        """A pandas DataFrame/Series, or a list of dicts, as an HTML table."""
        import pandas as pd

        df = data.to_frame() if isinstance(data, pd.Series) else pd.DataFrame(data)
        shown = df.head(max_rows)
        head = "".join(
            f'<th class="l">{html.escape(str(c))}</th>'
            if not pd.api.types.is_numeric_dtype(shown[c])
            else f"<th>{html.escape(str(c))}</th>"
            for c in shown.columns
        )
        if index:
            head = '<th class="l"></th>' + head
        body = []
        # itertuples keeps each column's own type (iterrows would turn ints into floats).
        for idx, *values in shown.itertuples(index=True, name=None):
            cells = "".join(
                f'<td class="{"" if isinstance(v, (int, float)) and not isinstance(v, bool) else "l"}">'
                f"{html.escape(_fmt(v))}</td>"
                for v in values
            )
            if index:
                cells = f'<th class="l">{html.escape(str(idx))}</th>' + cells
            body.append(f"<tr>{cells}</tr>")
        more = (
            f'<p class="muted">showing {max_rows} of {len(df)} rows</p>'
            if len(df) > max_rows
            else ""
        )
        cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        self.blocks.append(
            f'<div class="scroll"><table>{cap}<tr>{head}</tr>{"".join(body)}</table></div>{more}'
        )

    def figure(self, fig: Any, *, caption: str | None = None) -> None:
        """Embed a matplotlib figure (closed after rendering)."""
        self.image(figure_to_png(fig), caption=caption)

    def image(
        self,
        image: Any,
        *,
        caption: str | None = None,
        width: int | None = None,
        max_side: int | None = None,
    ) -> None:
        uri = image_to_data_uri(image, max_side=max_side)
        w = f' width="{int(width)}"' if width else ""
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self.blocks.append(
            f'<figure><img src="{uri}"{w} alt="{html.escape(caption or "")}">{cap}</figure>'
        )

    def image_grid(self, images: Iterable[tuple[Any, str]], *, thumb: int = 96) -> None:
        """Thumbnails with captions: ``[(image, caption), ...]``."""
        figs = []
        for img, cap in images:
            uri = image_to_data_uri(img, max_side=thumb)
            figs.append(
                f'<figure><img src="{uri}" alt="{html.escape(cap)}"><figcaption>{html.escape(cap)}</figcaption></figure>'
            )
        self.blocks.append(f'<div class="grid">{"".join(figs)}</div>')

    def audio(
        self, audio: bytes | str | Path, *, caption: str | None = None, mime: str = "audio/wav"
    ) -> None:
        data = Path(audio).read_bytes() if isinstance(audio, (str, Path)) else audio
        uri = f"data:{mime};base64,{base64.b64encode(data).decode()}"
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self.blocks.append(f'<figure><audio controls src="{uri}"></audio>{cap}</figure>')

    def alerts(self, alerts: Sequence[tuple[str, str]]) -> None:
        """``[(level, message)]`` with level ``info``, ``warning`` or ``error``."""
        if not alerts:
            self.blocks.append('<p class="muted">No alerts.</p>')
        for level, message in alerts:
            lvl = level if level in ("info", "warning", "error") else "info"
            self.blocks.append(f'<div class="alert {lvl}">{html.escape(str(message))}</div>')

    def raw_html(self, markup: str) -> None:
        """Trusted markup produced by labelwise itself (never user content)."""
        self.blocks.append(markup)

    def to_html(self) -> str:
        return (
            f'<section id="{self.anchor}"><h2>{html.escape(self.title)}</h2>'
            + "".join(self.blocks)
            + "</section>"
        )


class Report:
    """A self-contained HTML report made of titled sections."""

    def __init__(self, title: str, *, subtitle: str | None = None) -> None:
        self.title = title
        self.subtitle = subtitle
        self.sections: list[Section] = []

    def section(self, title: str) -> Section:
        s = Section(title, f"s{len(self.sections)}")
        self.sections.append(s)
        return s

    @property
    def section_titles(self) -> list[str]:
        return [s.title for s in self.sections]

    def to_html(self) -> str:
        nav = "".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in self.sections)
        sub = f"<p>{html.escape(self.subtitle)}</p>" if self.subtitle else ""
        body = "".join(s.to_html() for s in self.sections)
        return (
            "<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>"
            f"<header><h1>{html.escape(self.title)}</h1>{sub}</header><nav>{nav}</nav>"
            f"<main>{body}</main></body></html>"
        )

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(), encoding="utf-8")
        return path
