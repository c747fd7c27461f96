"""A word cloud drawn with matplotlib alone (no ``wordcloud`` package needed).

Words are placed largest first along an outward spiral from the centre; each word takes the
first spot where its bounding box overlaps no word placed before it. Font size grows with
the square root of the frequency, so one dominant word does not squeeze out the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from labelwise.errors import LabelwiseError

__all__ = ["layout_word_cloud", "word_cloud_figure"]


def layout_word_cloud(
    sizes: Mapping[str, tuple[float, float]],
    *,
    width: float,
    height: float,
    seed: int = 0,
    step: float = 3.0,
    occupied: np.ndarray | None = None,
) -> tuple[dict[str, tuple[float, float]], np.ndarray]:
    """Place boxes of the given ``(w, h)`` sizes without overlap inside ``width x height``.

    Parameters
    ----------
    sizes : mapping word -> (w, h)
        Box sizes, in the order to place them (biggest first works best).
    width, height : float
        The canvas, in the same units (pixels).
    seed : int
        Randomizes the spiral's starting angle per word.
    step : float
        Spiral step in pixels.
    occupied : ndarray of shape (m, 4), optional
        Boxes ``(x0, y0, x1, y1)`` already taken.

    Returns
    -------
    positions : dict word -> (x, y)
        Lower-left corners of the words that fit; words that fit nowhere are left out.
    occupied : ndarray of shape (m', 4)
        All taken boxes, including the new ones.

    Examples
    --------
    >>> pos, boxes = layout_word_cloud({"a": (10, 5), "b": (10, 5)}, width=100, height=50)
    >>> len(pos), boxes.shape
    (2, (2, 4))
    """
    rng = np.random.default_rng(seed)
    placed = (
        np.zeros((0, 4)) if occupied is None else np.asarray(occupied, dtype=float).reshape(-1, 4)
    )
    out: dict[str, tuple[float, float]] = {}
    cx, cy = width / 2.0, height / 2.0
    aspect = (width / height) ** 0.5
    # An Archimedean spiral r = step * t / 2pi sampled every ~step pixels of arc, stretched
    # to the canvas's aspect ratio; all candidate spots of a word are tested at once.
    max_r = float(np.hypot(width, height)) / 2.0
    t_max = 2 * np.pi * max_r / step
    n_pts = int(np.pi * max_r**2 / step**2) + 16
    t = np.sqrt(np.linspace(0.0, 1.0, n_pts)) * t_max  # uniform arc length along the spiral
    r = step * t / (2 * np.pi)
    for word, (w, h) in sizes.items():
        if w > width or h > height:
            continue
        theta = t + rng.uniform(0, 2 * np.pi)
        x = cx + r * np.cos(theta) * aspect - w / 2
        y = cy + r * np.sin(theta) / aspect - h / 2
        inside = (x >= 0) & (y >= 0) & (x + w <= width) & (y + h <= height)
        xs, ys = x[inside], y[inside]
        # Candidates are ordered by distance from the centre: test them a block at a time and
        # stop at the first block holding a free spot.
        found = -1
        for c0 in range(0, xs.shape[0], 2048):
            cx_, cy_ = xs[c0 : c0 + 2048, None], ys[c0 : c0 + 2048, None]
            hit = (
                (placed[None, :, 0] < cx_ + w)
                & (placed[None, :, 2] > cx_)
                & (placed[None, :, 1] < cy_ + h)
                & (placed[None, :, 3] > cy_)
            ).any(axis=1)
            free = np.flatnonzero(~hit)
            if free.size:
                found = c0 + int(free[0])
                break
        if found >= 0:
            box = np.array([xs[found], ys[found], xs[found] + w, ys[found] + h])
            placed = np.vstack([placed, box[None, :]])
            out[word] = (float(xs[found]), float(ys[found]))
    return out, placed


def word_cloud_figure(
    frequencies: Mapping[str, float],
    *,
    max_words: int = 80,
    width: float = 9.0,
    height: float = 4.5,
    min_font: float = 8.0,
    max_font: float = 54.0,
    colormap: str = "viridis",
    seed: int = 0,
    title: str | None = None,
) -> Any:
    """A matplotlib figure of the ``max_words`` most frequent words, sized by frequency.

    Parameters
    ----------
    frequencies : mapping word -> count or weight
        Non-positive weights are ignored.
    max_words : int
        How many of the most frequent words to try to place.
    width, height : float
        Figure size in inches.
    min_font, max_font : float
        Font sizes (points) of the rarest and the most frequent word.
    colormap : str
        Matplotlib colormap to colour the words.
    seed : int
        Layout and colour randomness.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.placed_words`` lists the words that were drawn.

    Examples
    --------
    >>> fig = word_cloud_figure({"free": 30, "call": 20, "txt": 5})
    >>> sorted(fig.placed_words)
    ['call', 'free', 'txt']
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    items = sorted(
        ((str(w), float(c)) for w, c in frequencies.items() if float(c) > 0 and str(w).strip()),
        key=lambda kv: (-kv[1], kv[0]),
    )[:max_words]
    if max_words < 1:
        raise LabelwiseError(f"max_words must be at least 1, got {max_words}")
    fig = plt.figure(figsize=(width, height), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    px_w, px_h = width * fig.dpi, height * fig.dpi
    ax.set_xlim(0, px_w)
    ax.set_ylim(0, px_h)
    if title:
        fig.suptitle(title, fontsize=11)
    if not items:
        ax.text(px_w / 2, px_h / 2, "(no words)", ha="center", va="center", color="#888")
        fig.placed_words = []  # type: ignore[attr-defined]
        return fig
    counts = np.array([c for _, c in items])
    lo, hi = np.sqrt(counts.min()), np.sqrt(counts.max())
    scale = (np.sqrt(counts) - lo) / (hi - lo) if hi > lo else np.ones_like(counts)
    fonts = min_font + scale * (max_font - min_font)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    cmap = plt.get_cmap(colormap)
    rng = np.random.default_rng(seed)
    placed_words: list[str] = []
    # Measure each word once at its font size; words that do not fit are retried smaller.
    pending = [(w, f) for (w, _), f in zip(items, fonts, strict=True)]
    occupied = np.zeros((0, 4))
    for attempt in range(3):
        sizes: dict[str, tuple[float, float]] = {}
        for w, f in pending:
            t = ax.text(0, 0, w, fontsize=f)
            bb = t.get_window_extent(renderer=renderer)
            t.remove()
            # Glyphs such as 'j' reach past their advance box: pad by a share of the size.
            sizes[w] = (bb.width + 0.3 * f, bb.height + 0.1 * f)
        positions, occupied = layout_word_cloud(
            sizes, width=px_w, height=px_h, seed=seed + attempt, occupied=occupied
        )
        for w, f in pending:
            if w in positions:
                x, y = positions[w]
                color = cmap(0.15 + 0.75 * rng.random())
                ax.text(
                    x + 0.15 * f, y + 0.05 * f, w, fontsize=f, color=color, va="bottom", ha="left"
                )
                placed_words.append(w)
        pending = [
            (w, f * 0.7) for w, f in pending if w not in positions and f * 0.7 >= min_font * 0.6
        ]
        if not pending:
            break
    fig.placed_words = placed_words  # type: ignore[attr-defined]
    return fig
