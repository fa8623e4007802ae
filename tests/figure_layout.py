"""Layout checks of a drawn figure (used by test_figure_layout): what a reader sees, not pixels.

After ``fig.canvas.draw()`` every text artist that was actually drawn is collected (by recording
``Text.draw``) and the figure is checked for

* overlapping texts: two drawn texts whose window extents intersect by more than ``tol`` pixels
  in both directions (within an axes and across the figure; every pair is checked, no overlap
  is intended anywhere, so nothing is excluded);
* anything outside the canvas: a drawn text or a visible axes extending beyond the figure;
* literal underscores: an ``_`` in a text as rendered (outside ``$…$`` math, which renders
  ``N_h`` as a subscript; an escaped ``\\_`` inside math renders one too);
* data cut by its axes: an image, collection, patch or marker line whose extent leaves its axes
  (a lattice cut at the right and bottom edges, a half-drawn marker);
* legends over data: a legend box that a drawn data line or marker passes through.
"""

from __future__ import annotations

import contextlib
import re

import numpy as np
from matplotlib.collections import Collection, PathCollection
from matplotlib.image import AxesImage
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

_MATH = re.compile(r"(?<!\\)\$(.*?)(?<!\\)\$")


@contextlib.contextmanager
def _recording_texts(drawn: list):
    original = Text.draw

    def draw(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        return original(self, renderer)

    Text.draw = draw
    try:
        yield
    finally:
        Text.draw = original


def drawn_texts(fig) -> list[Text]:
    """Every non-empty text the figure draws (titles, labels, tick labels, legends, annotations)."""
    drawn: list[Text] = []
    with _recording_texts(drawn):
        fig.canvas.draw()
    return list(dict.fromkeys(drawn))


def rendered(text: str) -> str:
    """The characters a text shows outside math mode, plus ``_`` for every escaped ``\\_`` in math."""
    out = _MATH.sub(lambda m: "_" if r"\_" in m.group(1) else "", text)
    return out.replace(r"\$", "$")


def _overlap(a, b, tol: float) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tol and min(a.y1, b.y1) - max(a.y0, b.y0) > tol


def text_overlaps(fig, texts=None, tol: float = 1.0) -> list[str]:
    """Pairs of drawn texts whose window extents overlap by more than ``tol`` px both ways."""
    r = fig.canvas.get_renderer()
    texts = drawn_texts(fig) if texts is None else texts
    boxes = [(t, t.get_window_extent(r)) for t in texts]
    out = []
    for i, (t, a) in enumerate(boxes):
        for u, b in boxes[i + 1:]:
            if _overlap(a, b, tol):
                out.append(f"{t.get_text()!r} overlaps {u.get_text()!r}")
    return out


def outside_canvas(fig, texts=None, tol: float = 1.0) -> list[str]:
    """Drawn texts and visible axes that extend beyond the figure canvas."""
    r = fig.canvas.get_renderer()
    fb = fig.bbox
    texts = drawn_texts(fig) if texts is None else texts
    out = []
    items = [(f"text {t.get_text()!r}", t.get_window_extent(r)) for t in texts]
    items += [(f"axes {ax.get_label() or ax.get_title()!r}", ax.get_window_extent(r)) for ax in fig.axes if ax.get_visible()]
    for name, b in items:
        if b.x0 < fb.x0 - tol or b.y0 < fb.y0 - tol or b.x1 > fb.x1 + tol or b.y1 > fb.y1 + tol:
            out.append(f"{name} at {tuple(round(v) for v in b.extents)} outside the canvas {tuple(round(v) for v in fb.extents)}")
    return out


def underscores(fig, texts=None) -> list[str]:
    """Drawn texts that show a literal underscore."""
    texts = drawn_texts(fig) if texts is None else texts
    return [t.get_text() for t in texts if "_" in rendered(t.get_text())]


def _data_artists(ax):
    for a in ax.get_children():
        if not a.get_visible() or a is ax.patch or isinstance(a, Legend):
            continue
        if isinstance(a, (AxesImage, Collection)):
            yield a
        elif isinstance(a, Patch) and a.get_clip_on() and a.axes is ax and type(a).__name__ not in ("Spine",):
            yield a
        elif isinstance(a, Line2D) and a.get_marker() not in (None, "None", "", " ") and len(a.get_xdata()):
            yield a


def _display_extent(a, ax, renderer):
    """The display extent of a data artist as drawn without clipping (None: nothing to check)."""
    from matplotlib.transforms import Bbox

    if isinstance(a, Collection):
        offs = np.asarray(a.get_offsets(), dtype=float)
        if isinstance(a, PathCollection) and len(offs) and len(a.get_sizes()):  # markers (scatter)
            xy = a.get_offset_transform().transform(offs)
            xy = xy[np.all(np.isfinite(xy), axis=1)]
            if not len(xy):
                return None
            rad = np.sqrt(float(np.max(a.get_sizes()))) / 2 * ax.figure.dpi / 72
            return Bbox([xy.min(axis=0) - rad, xy.max(axis=0) + rad])
        pts = [a.get_transform().transform(p.vertices) for p in a.get_paths() if len(p.vertices)]
        if not pts:
            return None
        xy = np.concatenate(pts)
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        return Bbox([xy.min(axis=0), xy.max(axis=0)]) if len(xy) else None
    try:
        return a.get_window_extent(renderer)
    except Exception:  # noqa: BLE001 (an artist without an extent is not checked)
        return None


def clipped_data(fig, tol: float = 1.5) -> list[str]:
    """Data artists (images, collections, patches, marker lines) whose extent leaves their axes:
    drawn with clipping, the reader sees a cut glyph."""
    r = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        if not ax.get_visible() or getattr(ax, "_colorbar", None) is not None:
            continue
        ab = ax.get_window_extent(r)
        for a in _data_artists(ax):
            b = _display_extent(a, ax, r)
            if b is None:
                continue
            if not np.all(np.isfinite(b.extents)) or b.width == 0 and b.height == 0:
                continue
            if b.x0 < ab.x0 - tol or b.y0 < ab.y0 - tol or b.x1 > ab.x1 + tol or b.y1 > ab.y1 + tol:
                out.append(f"{type(a).__name__} {a.get_label()!r} of axes {ax.get_title()!r} extends to "
                           f"{tuple(round(v) for v in b.extents)} beyond {tuple(round(v) for v in ab.extents)}")
    return out


def _display_points(artist, step: float = 2.0) -> np.ndarray:
    """Points (display px) along a line or the offsets/paths of a collection, every ``step`` px."""
    if isinstance(artist, Line2D):
        xy = artist.get_transform().transform(np.column_stack([artist.get_xdata(orig=False), artist.get_ydata(orig=False)]).astype(float))
        paths = [xy]
    else:
        paths = []
        offs = artist.get_offsets()
        if len(offs):
            paths.append(artist.get_offset_transform().transform(np.asarray(offs, dtype=float)))
        for p in artist.get_paths():
            paths.append(artist.get_transform().transform(p.vertices))
    pts = []
    for xy in paths:
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if len(xy) == 1:
            pts.append(xy)
        for p0, p1 in zip(xy[:-1], xy[1:]):
            n = max(2, int(np.hypot(*(p1 - p0)) / step) + 1)
            pts.append(p0 + np.linspace(0, 1, n)[:, None] * (p1 - p0))
    return np.concatenate(pts) if pts else np.zeros((0, 2))


def legends_over_data(fig, shrink: float = 2.0) -> list[str]:
    """Legends whose box a data line, marker or error bar of the same axes (a figure legend:
    of any axes) passes through. Reference lines spanning the axes (axhline) count too."""
    r = fig.canvas.get_renderer()
    out = []
    legends = [(ax.get_legend(), [ax]) for ax in fig.axes if ax.get_legend() is not None]
    legends += [(lg, fig.axes) for lg in fig.legends]
    for lg, axes in legends:
        if not lg.get_visible():
            continue
        b = lg.get_window_extent(r).padded(-shrink)
        for ax in axes:
            for a in ax.get_children():
                if not a.get_visible() or not isinstance(a, (Line2D, Collection)) or isinstance(a, AxesImage):
                    continue
                if isinstance(a, Collection) and type(a).__name__ in ("PolyCollection", "FillBetweenPolyCollection"):
                    continue  # shaded bands may run under a legend
                pts = _display_points(a)
                if len(pts) and np.any((pts[:, 0] > b.x0) & (pts[:, 0] < b.x1) & (pts[:, 1] > b.y0) & (pts[:, 1] < b.y1)):
                    out.append(f"legend {[t.get_text() for t in lg.get_texts()][:2]} lies over {type(a).__name__} {a.get_label()!r}")
    return out


def layout_problems(fig, *, legend_data: bool = True) -> list[str]:
    """Every problem above, as readable lines (empty: the layout is clean)."""
    texts = drawn_texts(fig)
    problems = text_overlaps(fig, texts) + outside_canvas(fig, texts) + [f"literal underscore in {t!r}" for t in underscores(fig, texts)]
    problems += clipped_data(fig)
    if legend_data:
        problems += legends_over_data(fig)
    return problems
