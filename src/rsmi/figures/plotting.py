"""Every figure's drawing: Ising and dimer filters, dimer configurations, training curves, I(H:E).

All figures use the one style file ``rsmi.mplstyle`` shipped with the package and are built as
:class:`matplotlib.figure.Figure` objects on the Agg canvas, without ``pyplot``; the style and
the atomic, reproducible file writing are in :mod:`rsmi.figures.files`, the example dimer
coverings of Fig. 3 in :mod:`rsmi.sampling.dimers`.

Geometry conventions. Ising filters are drawn like an image of the block: row 0 at the top,
column 0 at the left. Dimer (fat) arrays are drawn in the same orientation: fat site (r, c) is
at horizontal position c and vertical position r (downwards), so vertex (x, y) at fat (2x, 2y)
sits at (2y, 2x), a link along axis 1 is a horizontal bar and a link along axis 0 a vertical
bar, and the face paired with vertex (x, y) is the centre of the plaquette to its lower right.
Filters are shown normalised, λ / max|λ|, on a symmetric diverging colour scale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Callable

import matplotlib
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Rectangle

from rsmi.figures.files import new_figure, style_context
from rsmi.judge.metrics import noise_weight_share
from rsmi.registry import FIG5_SNAPSHOT_EPOCHS, run_wildcards
from rsmi.sampling.dimers import columnar_covering, staggered_covering
from rsmi.utils.formatting import format_value_se
from rsmi.utils.validation import block_filters

__all__ = [
    "plot_training_curve",
    "draw_ising_filter",
    "plot_filter_grid",
    "draw_dimer_config",
    "plot_dimer_configs",
    "plot_fig3",
    "draw_dimer_filter",
    "plot_dimer_filters",
    "plot_history_with_snapshots",
    "fig6_panels",
    "plot_run_filters",
    "run_title",
    "plot_cd_filters",
    "plot_fig2",
    "plot_fig4",
    "plot_mi_vs_buffer",
    "plot_mi_comparison",
    "plot_exact_torus",
    "plot_fig7",
    "MI_COLUMNS",
]

CMAP = "RdBu_r"
NORM_LABEL = r"$\lambda\,/\,\max|\lambda|$"
DIMER_COLOR = "#1f4e9c"
LATTICE_COLOR = "#c8c8c8"
NOISE_COLORS = ("#7f7f7f", "#e69f00")  # bit 0, bit 1
MI_COLUMNS = ("run", "model", "L_V", "N_h", "L_B", "estimator", "filter", "mi", "stderr")

# Width of one panel (inches) in grids of filters; figures are at most a page (7 in) wide.
_PANEL = 1.25
_PAGE = 7.0


def _normalised(w: np.ndarray) -> np.ndarray:
    top = float(np.max(np.abs(w))) if w.size else 0.0
    return w / top if top > 0 else np.zeros_like(w)


def _norm() -> Normalize:
    return Normalize(vmin=-1.0, vmax=1.0)


def _colorbar(fig, axes, label: str = NORM_LABEL, cmap: str = CMAP, shrink: float = 0.9):
    sm = ScalarMappable(norm=_norm(), cmap=cmap)
    cb = fig.colorbar(sm, ax=axes, shrink=shrink, aspect=20 * shrink / 0.9, pad=0.02, ticks=[-1, -0.5, 0, 0.5, 1])
    cb.set_label(label)
    cb.outline.set_linewidth(0.5)
    return cb


def _horizontal_colorbar(fig, cax, label: str = NORM_LABEL, cmap: str = CMAP):
    """A horizontal colour bar of λ/max|λ| in ``cax`` (e.g. an inset of an empty axes)."""
    cb = fig.colorbar(ScalarMappable(norm=_norm(), cmap=cmap), cax=cax, orientation="horizontal",
                      ticks=[-1, -0.5, 0, 0.5, 1])
    cb.set_label(label)
    cb.outline.set_linewidth(0.5)
    return cb


def _panel_label(ax, label: str) -> None:
    ax.text(-0.12, 1.02, label, transform=ax.transAxes, fontsize=11, fontweight="bold", va="bottom", ha="right")


def _as_rows(items, titles, ncols):
    """Normalise a flat list (wrapped into rows of ``ncols``) or a list of rows."""
    items = list(items)
    if not items:
        raise ValueError("nothing to draw: the list of filters is empty")
    nested = isinstance(items[0], (list, tuple))
    if titles is None:
        titles = [[None] * len(r) for r in items] if nested else [None] * len(items)
    titles = list(titles)
    if nested:
        rows = [list(r) for r in items]
        trows = [list(t) for t in titles]
        if len(trows) != len(rows) or any(len(a) != len(b) for a, b in zip(rows, trows)):
            raise ValueError("titles must have the same nested shape as the filters")
        return rows, trows
    if len(titles) != len(items):
        raise ValueError(f"got {len(items)} filters but {len(titles)} titles")
    ncols = len(items) if ncols is None else int(ncols)
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    rows = [items[i:i + ncols] for i in range(0, len(items), ncols)]
    trows = [titles[i:i + ncols] for i in range(0, len(titles), ncols)]
    return rows, trows


def _fill_axes(axes, rows, trows, draw: Callable, row_labels) -> None:
    """Draw ``rows[i][j]`` into ``axes[i, j]`` with ``draw(ax, item, i)`` (axes beyond a short
    row are switched off), title it ``trows[i][j]`` and label each row's first panel."""
    for i, (r, t) in enumerate(zip(rows, trows)):
        for j in range(axes.shape[1]):
            ax = axes[i, j]
            if j >= len(r):
                ax.set_axis_off()
                continue
            draw(ax, r[j], i)
            if t[j]:
                ax.set_title(t[j], pad=3)
        if row_labels is not None and row_labels[i]:
            _panel_label(axes[i, 0], row_labels[i])


def _grid_side(ncols: int, panel: float) -> float:
    """Side (inches) of one panel of a grid of ``ncols`` panels of ``panel`` inches, at most a page wide."""
    return (min(_PAGE, ncols * panel + 0.9) - 0.9) / ncols


def _grid(rows, trows, draw: Callable, *, row_labels=None, suptitle=None, panel=_PANEL,
          colorbar_label=NORM_LABEL, title_height=0.25) -> Figure:
    nrows = len(rows)
    ncols = max(len(r) for r in rows)
    if row_labels is not None and len(row_labels) != nrows:
        raise ValueError(f"got {len(row_labels)} row labels for {nrows} rows")
    side = _grid_side(ncols, panel)
    width = ncols * side + 0.9
    height = nrows * (side + title_height) + (0.3 if suptitle else 0.0) + 0.1
    fig = new_figure(width, height)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    _fill_axes(axes, rows, trows, lambda ax, item, i: draw(ax, item), row_labels)
    _colorbar(fig, axes, colorbar_label, shrink=0.9 if nrows <= 2 else max(0.45, 1.6 / nrows))
    if suptitle:
        fig.suptitle(suptitle)
    return fig


# --------------------------------------------------------------------------------------------
# Ising filters (Fig. 2)


def _single_filter(w, name="weights") -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if w.ndim == 3 and w.shape[2] == 1:
        w = w[:, :, 0]
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"{name} must be one filter of shape (L, L) or (L, L, 1), got {np.shape(w)}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} contains non-finite values")
    return w


# Width in em of the longest annotation of a filter cell ("-0.55" / "-0.5" in DejaVu Sans: a minus
# sign 0.36 em, digits 0.64 em, a point 0.32 em), and the smallest font written into a cell.
_CELL_EM = {2: 2.6, 1: 1.95}
_MIN_CELL_FONT = 6.0


def _cell_annotation(L: int, cell_pt: float | None) -> tuple[int, float] | None:
    """(decimals, font size) of the values written into the cells of an L×L filter whose cells
    are ``cell_pt`` points wide, or None when they would not fit at a readable size: two decimals
    for L ≤ 2, one otherwise; the text fills at most 80 % of the cell."""
    if cell_pt is None:
        return None
    decimals = 2 if L <= 2 else 1
    fs = min(9.0, 0.8 * cell_pt / _CELL_EM[decimals])
    return (decimals, fs) if fs >= _MIN_CELL_FONT else None


def draw_ising_filter(ax, weights, *, annotate: bool | None = None, cell_pt: float | None = None, cmap: str = CMAP):
    """Draw one filter λ (L, L) as a signed colour map of λ/max|λ| on [−1, 1]; return the image.

    ``cell_pt``: the width of one cell in points as drawn. The normalised values are written into
    the cells when they fit at a readable size (≥ 6 pt, two decimals for L ≤ 2, one otherwise);
    ``annotate=False`` never writes them, ``annotate=True`` writes them whenever ``cell_pt`` allows.
    """
    w = _normalised(_single_filter(weights))
    L = w.shape[0]
    im = ax.imshow(w, cmap=cmap, norm=_norm(), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(True)
        s.set_linewidth(0.5)
    fit = _cell_annotation(L, cell_pt) if annotate is not False else None
    if fit is not None:
        decimals, fs = fit
        for r in range(L):
            for c in range(L):
                v = w[r, c]
                txt = f"{v:.{decimals}f}"
                if float(txt) == 0:  # no "-0.0"
                    txt = txt.lstrip("-")
                ax.text(c, r, txt, ha="center", va="center", fontsize=fs,
                        color="white" if abs(v) > 0.6 else "black")
    return im


def plot_filter_grid(weights_list, titles=None, *, ncols: int | None = None, row_labels=None,
                     suptitle: str | None = None, annotate: bool | None = None) -> Figure:
    """Ising filters as signed colour maps, each normalised by its own max|λ|, one colour bar.

    ``weights_list`` is a flat list of (L, L) filters (wrapped into rows of ``ncols``) or a list
    of rows; blocks of different sizes may share a row. ``titles`` has the same shape;
    ``row_labels`` one panel letter per row. Values are written into the cells where they fit
    (:func:`draw_ising_filter`). Returns the Figure (Fig. 2's layout: :func:`plot_fig2`).
    """
    rows, trows = _as_rows(weights_list, titles, ncols)
    rows = [[_single_filter(w) for w in r] for r in rows]
    side = _grid_side(max(len(r) for r in rows), _PANEL)
    return _within_style(_grid, rows, trows,
                         lambda ax, w: draw_ising_filter(ax, w, annotate=annotate, cell_pt=0.85 * side * 72 / w.shape[0]),
                         row_labels=row_labels, suptitle=suptitle)


def plot_fig2(a, b, c, d, e) -> Figure:
    """Fig. 2: RSMI filters of the critical Ising model, laid out like the paper's.

    ``a``: 2×2 block, N_h 1; ``b``: 2×2, N_h 4; ``c``: 4×4, N_h 1; ``d``: 4×4, N_h 4; ``e``:
    6×6, N_h 1 (each (L, L, N_h) or, for N_h 1, (L, L)). Rows: A | B, C | D, and E under A and C,
    so that the N_h 1 filters of 2×2, 4×4 and 6×6 (the paper's panel E, the boundary coupling)
    are read down the first column without drawing A and C twice; E is drawn at twice the size,
    so that its 36 values stay legible. One colour bar (λ / max|λ|) beside E.
    """
    def units(w, name, L, n):
        w = np.asarray(w, dtype=np.float64)
        if w.ndim == 2:
            w = w[:, :, None]
        if w.shape != (L, L, n):
            raise ValueError(f"{name} must be a {L}×{L} filter with {n} hidden unit(s), got shape {w.shape}")
        return [_single_filter(w[:, :, j], name) for j in range(n)]

    A, B, C, D, E = (units(a, "a", 2, 1), units(b, "b", 2, 4), units(c, "c", 4, 1), units(d, "d", 4, 4),
                     units(e, "e", 6, 1))
    with style_context():
        panel = 1.12
        fig = new_figure(_PAGE, 4 * (panel + 0.22) + 0.35)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1])
        gs = top.add_gridspec(2, 6, width_ratios=[1, 0.08, 1, 1, 1, 1])
        cell = 0.85 * panel * 72

        def draw(sub, spec, w, title, label=None, scale=1):
            ax = sub.add_subplot(spec)
            draw_ising_filter(ax, w, cell_pt=scale * cell / w.shape[0])
            ax.set_title(title, pad=3)
            if label:
                _panel_label(ax, label)
            return ax

        draw(top, gs[0, 0], A[0], r"2×2, $N_h = 1$", "A")
        for j, w in enumerate(B):
            draw(top, gs[0, 2 + j], w, rf"2×2, $h_{j + 1}$", "B" if j == 0 else None)
        draw(top, gs[1, 0], C[0], r"4×4, $N_h = 1$", "C")
        for j, w in enumerate(D):
            draw(top, gs[1, 2 + j], w, rf"4×4, $h_{j + 1}$", "D" if j == 0 else None)
        gb = bottom.add_gridspec(1, 2, width_ratios=[2.08, 3])
        draw(bottom, gb[0, 0], E[0], r"6×6, $N_h = 1$", "E", scale=2)
        host = bottom.add_subplot(gb[0, 1])  # carries only the colour bar, in the space beside E
        host.set_axis_off()
        _horizontal_colorbar(bottom, host.inset_axes([0.08, 0.55, 0.84, 0.07]))
        fig.suptitle(r"RSMI filters, critical Ising ($T = T_c$)")
    return fig


def _within_style(fn, *args, **kwargs):
    with style_context():
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# dimer configurations (Fig. 3)


def _fat(fat, name="fat") -> np.ndarray:
    a = np.asarray(fat)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 2 or a.shape[0] % 2:
        raise ValueError(f"{name} must be a square fat array with an even side, got shape {a.shape}")
    if not np.isin(a, (0, 1)).all():
        raise ValueError(f"{name} must hold bits 0/1")
    return a.astype(np.uint8)


# The drawn extent of an n×n fat block: the block's links that leave it at the right and bottom
# edges end on the next block's (or, on a torus, the periodic image's) vertices at n, so the
# axes reach past n − 1; the left and top margins hold the first column's and row's glyphs.
_LATTICE_LO = -0.6


def _lattice_hi(n: int, reach: float) -> float:
    return n - 1 + reach


def _lattice_lines(ax, n: int, hi: float, lw: float = 0.5) -> None:
    """Thin grey lines along every link of an n×n fat block (vertices at even positions)."""
    segs = []
    for p in range(0, n, 2):
        segs.append([(_LATTICE_LO, p), (hi, p)])  # rows of horizontal links
        segs.append([(p, _LATTICE_LO), (p, hi)])  # columns of vertical links
    ax.add_collection(LineCollection(segs, colors=LATTICE_COLOR, linewidths=lw, zorder=0))


def _setup_lattice_axes(ax, n: int, hi: float) -> None:
    ax.set_xlim(_LATTICE_LO, hi)
    ax.set_ylim(hi, _LATTICE_LO)  # row 0 at the top, like the Ising filters
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(True)
        s.set_linewidth(0.5)
        s.set_color("#888888")


def _link_rects(fat_positions, width: float, gap: float = 0.0) -> list[Rectangle]:
    """Rectangles for links at fat positions (r, c), shortened by ``gap`` at each vertex. A link
    at the last column (row) ends on the vertex at n, outside the block."""
    ln = 2.0 - 2 * gap
    rects = []
    for r, c in fat_positions:
        if r % 2 == 0:  # link along axis 1: horizontal bar from column c-1 to c+1, at row r
            rects.append(Rectangle((c - 1 + gap, r - width / 2), ln, width))
        else:  # link along axis 0: vertical bar from row r-1 to r+1, at column c
            rects.append(Rectangle((c - width / 2, r - 1 + gap), width, ln))
    return rects


def _wiggle(x0, y0, x1, y1, n_waves=2.5, amp=0.12, n=40):
    t = np.linspace(0.0, 1.0, n)
    dx, dy = x1 - x0, y1 - y0
    ln = math.hypot(dx, dy)
    px, py = -dy / ln, dx / ln
    off = amp * np.sin(2 * np.pi * n_waves * t) * np.sin(np.pi * t)
    return np.column_stack([x0 + dx * t + px * off, y0 + dy * t + py * off])


def draw_dimer_config(ax, fat, *, noise: bool = True, dimer_color: str = DIMER_COLOR) -> None:
    """Draw a fat dimer configuration (docs/method.md §1): dimers as thick bars on the links, vertices
    as dots, and each noise pair as a wiggly line from its vertex to its face, coloured by the
    pair's bit (grey 0, orange 1; the face bit is drawn as a square).

    A dimer on a link that leaves the block at the right or bottom edge is drawn whole, up to
    the vertex beyond the edge (drawn grey: the next block's, or on a torus the periodic image
    of the first column's or row's), so nothing is cut at the edges.
    """
    a = _fat(fat)
    n = a.shape[0]
    hi = _lattice_hi(n, 1.6)
    _setup_lattice_axes(ax, n, hi)
    _lattice_lines(ax, n, hi)
    links = [(r, c) for r, c in zip(*np.nonzero(a)) if (r + c) % 2 == 1]
    ax.add_collection(PatchCollection(_link_rects(links, 0.42), facecolors=dimer_color, edgecolors="none", zorder=2))
    vx = np.arange(0, n + 1, 2)
    X, Y = np.meshgrid(vx, vx)
    beyond = (X.ravel() == n) | (Y.ravel() == n)
    ax.scatter(X.ravel(), Y.ravel(), s=4, c=np.where(beyond, "#aaaaaa", "black"), zorder=3, linewidths=0)
    if noise:
        r, c = np.meshgrid(np.arange(0, n, 2), np.arange(0, n, 2), indexing="ij")
        r, c = r.ravel(), c.ravel()
        bit_v = a[r, c].astype(int)
        bit_f = a[r + 1, c + 1].astype(int)
        pal = np.array(NOISE_COLORS)
        # a pair whose bits differ violates the encoding: draw its connector red
        line_c = np.where(bit_v == bit_f, pal[bit_v], "red")
        segs = [_wiggle(ci + 0.15, ri + 0.15, ci + 1, ri + 1) for ri, ci in zip(r, c)]
        ax.add_collection(LineCollection(segs, colors=list(line_c), linewidths=0.8, zorder=1))
        ax.scatter(c + 1, r + 1, s=9, marker="s", c=list(pal[bit_f]), zorder=3, linewidths=0)
        ax.scatter(c, r, s=9, c=list(pal[bit_v]), zorder=3.5, linewidths=0)


def _field_text(fat) -> str:
    """The block field as the paper writes it: E_x along the horizontal links (axis 1, E₁ of
    rsmi.sampling.dimers.block_field), E_y along the vertical ones (axis 0, E₀)."""
    from rsmi.sampling.dimers import block_field

    E = block_field(np.asarray(fat, dtype=np.uint8)) + 0.0  # + 0.0 turns -0 into 0

    def fmt(x):
        return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"

    return rf"$(E_x, E_y) = ({fmt(E[1])}, {fmt(E[0])})$"


def plot_dimer_configs(fats, titles=None, *, ncols: int | None = None, row_labels=None,
                       noise: bool | Sequence[bool] = True, show_field: bool = True,
                       max_side: int = 16) -> Figure:
    """Dimer configurations side by side, each with its block field (E_x, E_y) written below.

    ``fats``: a flat list of fat arrays or a list of rows (like :func:`plot_filter_grid`);
    ``noise``: draw the noise pairs (one bool, or one per row).
    Arrays larger than ``max_side`` are cropped to their top-left ``max_side × max_side`` fat
    block (E is then that block's field).
    """
    rows, trows = _as_rows(fats, titles, ncols)
    rows = [[_fat(f)[:max_side, :max_side] for f in r] for r in rows]
    nrows, ncol = len(rows), max(len(r) for r in rows)
    noise_rows = [bool(noise)] * nrows if isinstance(noise, (bool, np.bool_)) else [bool(x) for x in noise]
    if len(noise_rows) != nrows:
        raise ValueError(f"noise must be one bool or one per row ({nrows}), got {len(noise_rows)}")
    with style_context():
        width = min(_PAGE, ncol * 2.1 + 0.2)
        side = (width - 0.2) / ncol
        fig = new_figure(width, nrows * (side + 0.45))
        axes = fig.subplots(nrows, ncol, squeeze=False)

        def draw(ax, a, i):
            draw_dimer_config(ax, a, noise=noise_rows[i])
            if show_field:
                ax.set_xlabel(_field_text(a), labelpad=3)

        _fill_axes(axes, rows, trows, draw, row_labels)
        handles = [Line2D([], [], color=DIMER_COLOR, lw=4, label="dimer")]
        if any(noise_rows):
            handles += [Line2D([], [], color=NOISE_COLORS[b], lw=1.0, marker="o", ms=3, label=f"noise pair, bit {b}")
                        for b in (0, 1)]
        handles.append(Line2D([], [], color="#aaaaaa", marker="o", ms=2, ls="none", label="vertex beyond the block"))
        fig.legend(handles=handles, loc="outside lower center", ncols=2)
    return fig


def plot_fig3(samples, *, n_show: int = 2, L_hand: int = 8, max_side: int = 16) -> Figure:
    """Fig. 3: (A) ``n_show`` sampled configurations (with noise), (B) a staggered and a
    columnar covering of the L_hand×L_hand torus built by hand, each with its block field
    (E_x, E_y). As in the paper, the staggered covering has a vertical field, E_y ≠ 0.

    ``samples``: fat arrays ``(n, 2L, 2L)`` from :func:`rsmi.sampling.dimers.sample_dimers` (a small L,
    e.g. 8, draws best; larger ones are cropped to ``max_side``).
    """
    samples = np.asarray(samples)
    if samples.ndim != 3 or samples.shape[0] < n_show:
        raise ValueError(f"samples must have shape (n >= {n_show}, 2L, 2L), got {samples.shape}")
    n = samples.shape[1]
    crop = ", top-left block" if n > max_side else ""
    top = [samples[i] for i in range(n_show)]
    # two lines: one line per title overlapped its neighbour's at the page width
    top_t = [f"sample {i + 1}\n{n // 2}×{n // 2} torus{crop}" for i in range(n_show)]
    bottom = [staggered_covering(L_hand, axis=0), columnar_covering(L_hand, axis=0)]
    bottom_t = [f"staggered, {L_hand}×{L_hand} torus", f"columnar, {L_hand}×{L_hand} torus"]
    # the hand-built coverings carry no noise; drawing their zero bits would only add clutter
    return plot_dimer_configs([top, bottom], [top_t, bottom_t], row_labels=["A", "B"], noise=[True, False],
                              max_side=max_side)


# --------------------------------------------------------------------------------------------
# dimer filters (Figs. 4 and 6)


_NOISE_R = 0.38  # radius of a noise site's glyph at |λ| = max|λ| (lattice units)


def draw_dimer_filter(ax, weights_fat, *, cmap: str = CMAP) -> ScalarMappable:
    """Draw a filter on a fat dimer block: links as bars coloured by λ/max|λ|, noise sites as
    glyphs (vertex: circle, face: square) whose area ∝ |λ|/max|λ| and colour = the signed value.
    Noise sites also get a small grey outline (the glyph at |λ| = max|λ|), so that vanishing
    noise weights stay visible as empty outlines. Links leaving the block at the right and
    bottom edges are drawn whole (see :func:`draw_dimer_config`). Returns the ScalarMappable
    for a colour bar; :func:`_dimer_key` explains the glyphs.
    """
    w = _normalised(_single_filter(weights_fat, "weights_fat"))
    n = w.shape[0]
    if n % 2:
        raise ValueError(f"weights_fat must be a fat block with an even side, got {n}")
    hi = _lattice_hi(n, 0.6)
    _setup_lattice_axes(ax, n, hi)
    _lattice_lines(ax, n, hi, lw=0.3)
    norm = _norm()
    cm = matplotlib.colormaps[cmap]
    links = [(r, c) for r in range(n) for c in range(n) if (r + c) % 2 == 1]
    colors = [cm(norm(w[r, c])) for r, c in links]
    ax.add_collection(PatchCollection(_link_rects(links, 0.6, gap=0.42), facecolors=colors, edgecolors="#999999",
                                      linewidths=0.2, zorder=2))
    outline, fill, fill_c = [], [], []
    for r in range(n):
        for c in range(n):
            if (r + c) % 2:
                continue
            rmax = _NOISE_R
            face = r % 2 == 1
            size = rmax * math.sqrt(abs(w[r, c]))  # area ∝ |w|
            if face:
                outline.append(Rectangle((c - rmax * 0.89, r - rmax * 0.89), 2 * rmax * 0.89, 2 * rmax * 0.89))
                if size > 0:
                    fill.append(Rectangle((c - size * 0.89, r - size * 0.89), 2 * size * 0.89, 2 * size * 0.89))
                    fill_c.append(cm(norm(w[r, c])))
            else:
                outline.append(Circle((c, r), rmax))
                if size > 0:
                    fill.append(Circle((c, r), size))
                    fill_c.append(cm(norm(w[r, c])))
    ax.add_collection(PatchCollection(outline, facecolors="none", edgecolors="#777777", linewidths=0.3, zorder=3))
    ax.add_collection(PatchCollection(fill, facecolors=fill_c, edgecolors="#555555", linewidths=0.2, zorder=4))
    return ScalarMappable(norm=norm, cmap=cmap)


def _dimer_key(sub, *, note: str | None = None) -> None:
    """The key of the dimer filters in ``sub`` (a subfigure strip): a horizontal colour bar of
    λ/max|λ| and a legend of the glyphs (link bar, vertex circle, face square), with an
    optional ``note`` (e.g. what the panel titles say) under the legend."""
    cm = matplotlib.colormaps[CMAP]
    host_cb, host_lg = sub.subplots(1, 2, width_ratios=[1, 1.25])
    for h in (host_cb, host_lg):
        h.set_axis_off()
    _horizontal_colorbar(sub, host_cb.inset_axes([0.06, 0.62, 0.88, 0.16]))
    handles = [
        Rectangle((0, 0), 1, 1, facecolor=cm(0.9), edgecolor="#999999", lw=0.3, label="link: bar, colour = λ"),
        Line2D([], [], ls="none", marker="o", ms=7, mfc=cm(0.9), mec="#555555", mew=0.3,
               label="vertex noise spin: ○, area ∝ |λ|"),
        Line2D([], [], ls="none", marker="s", ms=6.5, mfc=cm(0.1), mec="#555555", mew=0.3,
               label="face noise spin: □, area ∝ |λ|"),
        Line2D([], [], ls="none", marker="o", ms=7, mfc="none", mec="#777777", mew=0.5,
               label="grey outline: |λ| = max|λ|"),
    ]
    host_lg.legend(handles=handles, loc="upper center" if note else "center", ncols=2, fontsize=7,
                   handlelength=1.2, columnspacing=1.0, borderaxespad=0.0)
    if note:
        host_lg.text(0.5, 0.0, note, transform=host_lg.transAxes, ha="center", va="bottom", fontsize=7)


def plot_dimer_filters(weights_list, titles=None, *, ncols: int | None = None, row_labels=None,
                       suptitle: str | None = None) -> Figure:
    """Dimer filters (fat (L, L) each) drawn with :func:`draw_dimer_filter`, one colour bar.

    Layout as in :func:`plot_filter_grid` (flat list or list of rows, one panel letter per row);
    Fig. 4's layout: :func:`plot_fig4`.
    """
    rows, trows = _as_rows(weights_list, titles, ncols)
    rows = [[_single_filter(w) for w in r] for r in rows]
    return _within_style(_grid, rows, trows, lambda ax, w: draw_dimer_filter(ax, w),
                         row_labels=row_labels, suptitle=suptitle, panel=1.6)


def plot_fig4(rows: Sequence[Mapping[str, Any]], *, title: str | None = None) -> Figure:
    """Fig. 4: RSMI filters of dimers with noise, laid out like the paper's: (A) N_h 2 and
    (B) N_h 4 side by side, one row per estimator, filters large, and a key of the glyphs.

    ``rows``: one mapping per run with ``n_h`` (2 or 4 … : one column block per value, lettered
    A, B, … in increasing order), ``estimator`` (the row), ``weights`` (fat (L, L, n_h)) and
    optionally ``null_failed``, ``null_total`` (the run's null tests not passed, of all; a row
    with failures says so under its estimator, as a recorded fact, not a verdict on the figure).
    """
    if not rows:
        raise ValueError("nothing to draw: no Fig. 4 runs")
    n_hs = sorted({int(r["n_h"]) for r in rows})
    ests = list(dict.fromkeys(str(r["estimator"]) for r in rows))
    by = {}
    for r in rows:
        key = (int(r["n_h"]), str(r["estimator"]))
        if key in by:
            raise ValueError(f"two Fig. 4 runs for N_h {key[0]} and estimator {key[1]!r}")
        w = np.asarray(r["weights"], dtype=np.float64)
        if w.ndim != 3 or w.shape[2] != key[0]:
            raise ValueError(f"weights of N_h {key[0]} must be (L, L, {key[0]}), got {w.shape}")
        by[key] = r
    notes: dict[str, list[str]] = {}
    for r in sorted(rows, key=lambda r: int(r["n_h"])):
        bad, total = int(r.get("null_failed", 0) or 0), int(r.get("null_total", 0) or 0)
        if bad:
            notes.setdefault(str(r["estimator"]), []).append(f"{bad} of {total} ($N_h = {int(r['n_h'])}$)")
    marks = {est: "*" * (k + 1) for k, est in enumerate(notes)}
    footnote = "\n".join(f"{marks[est]} {est}: null tests not passed, " + ", ".join(v) for est, v in notes.items())
    with style_context():
        ncol = sum(n_hs)
        panel = min(1.25, (_PAGE - 0.45 - 0.15 * (len(n_hs) - 1)) / ncol)
        height = len(ests) * (panel + 0.25) + 0.35 + 0.75 + (0.25 if title else 0.0)
        fig = new_figure(_PAGE, height)
        main, key = fig.subfigures(2, 1, height_ratios=[height - 0.75, 0.75])
        blocks = main.subfigures(1, len(n_hs), width_ratios=[n + (0.45 / panel if i == 0 else 0.15 / panel)
                                                                for i, n in enumerate(n_hs)])
        blocks = np.atleast_1d(blocks)
        for b, (block, n_h) in enumerate(zip(blocks, n_hs)):
            axes = block.subplots(len(ests), n_h, squeeze=False)
            block.suptitle(rf"$\mathbf{{{chr(ord('A') + b)}}}$   $N_h = {n_h}$", x=0.02, ha="left", fontsize=10)
            for i, est in enumerate(ests):
                for j in range(n_h):
                    ax = axes[i, j]
                    run = by.get((n_h, est))
                    if run is None:
                        ax.set_axis_off()
                        continue
                    draw_dimer_filter(ax, np.asarray(run["weights"], dtype=np.float64)[:, :, j])
                    ax.set_title(rf"$h_{j + 1}$", pad=2)
                    if b == 0 and j == 0:  # the row's estimator, marked when the key lists null tests it does not pass
                        ax.set_ylabel(est + marks.get(est, ""), labelpad=4)
        _dimer_key(key, note=footnote or None)
        if title:
            fig.suptitle(title)
    return fig


def fig6_panels(rows: Iterable[Mapping[str, Any]], runs: Sequence[str]) -> list[tuple[str, str]]:
    """Fig. 6's panels: the CD runs ``runs`` ordered and headed by what they carry, from their
    figure-6 rows of the metrics table (``run, figure, criterion, value, se, op, threshold,
    kind``; values may be strings, as read back).

    Returns ``[(run, header)]``: first the run whose ``noise_weight_share`` is a claim (panel A,
    claim 6A: few units lock onto the noise pairs), then the run whose ``max_field_r2`` is a
    claim (panel B, claim 6B: with a unit per noise pair, no dimer field), then runs that carry
    a finding (README "Findings"), then any other run, each header quoting its measured value.
    """
    by_run: dict[str, dict[str, Mapping[str, Any]]] = {r: {} for r in runs}
    for r in rows:
        if str(r["figure"]) == "6" and str(r["run"]) in by_run:
            by_run[str(r["run"])][str(r["criterion"])] = r

    def n_hidden(run):
        return int(str(run).rsplit("~", 1)[-1])

    def share(r):
        return rf"{float(r['value']):.0%} of $\Sigma_i\, w_{{ij}}^2$ on noise sites"

    ranked = []
    for run in runs:
        crit = by_run[run]
        nw, r2 = crit.get("noise_weight_share"), crit.get("max_field_r2")
        nh = rf"$N_h = {n_hidden(run)}$"
        if nw is not None and str(nw.get("kind")) == "claim":
            ranked.append((0, run, rf"$\mathbf{{A}}$  claim 6A, {nh}: few units lock onto the noise pairs, "
                                   rf"{share(nw)} (claim: ≥ {float(nw['threshold']):.0%})"))
        elif r2 is not None and str(r2.get("kind")) == "claim":
            ranked.append((1, run, rf"$\mathbf{{B}}$  claim 6B, {nh}: a unit per noise pair; best $R^2(E)$ "
                                   rf"{format_value_se(float(r2['value']), float(r2['se']))} (claim: below every "
                                   rf"Fig. 4 RSMI filter's, {float(r2['threshold']):.2f})"))
        elif any(str(r.get("kind")) == "finding" for r in crit.values()):
            f = next(r for r in crit.values() if str(r.get("kind")) == "finding")
            what = share(f) if str(f["criterion"]) == "noise_weight_share" else f"{f['criterion']} {float(f['value']):.2f}"
            ranked.append((2, run, rf"finding (README Findings), {nh}: {what}, recorded"))
        else:
            ranked.append((3, run, nh))
    return [(run, head) for _, run, head in sorted(ranked, key=lambda t: (t[0], n_hidden(t[1])))]


def plot_cd_filters(weights, kinds, *, panel_labels: Sequence[str] | None = None, ncols: int = 8,
                    max_filters: int = 32) -> Figure:
    """Fig. 6: the filters of CD-trained RBMs on dimer + noise blocks, drawn on the lattice.

    ``weights``: one RBM's weights ``(n_visible, n_hidden)`` (or ``(L, L, n_hidden)``), or a
    list of them, one panel each, headed by ``panel_labels`` (Fig. 6: :func:`fig6_panels`;
    default A, B, …). ``kinds``: site kinds of the block (:func:`rsmi.sampling.dimers.fat_site_kinds`);
    each filter's title gives its share of squared weight on noise sites, Σ_noise w_j² / Σ w_j².
    At most ``max_filters`` units per panel are drawn, in the RBM's order, ``ncols`` per row.
    A key under the panels explains the glyphs and the titles.
    """
    ws = [weights] if isinstance(weights, np.ndarray) else list(weights)
    ws = [block_filters(w, rbm=True) for w in ws]
    kinds = np.asarray(kinds)
    if panel_labels is None:
        panel_labels = [None] * len(ws) if len(ws) == 1 else [rf"$\mathbf{{{chr(ord('A') + i)}}}$" for i in range(len(ws))]
    if len(panel_labels) != len(ws):
        raise ValueError(f"got {len(panel_labels)} panel labels for {len(ws)} panels")
    for w in ws:
        if w.shape[:2] != kinds.shape:
            raise ValueError(f"weights are for a {w.shape[0]}x{w.shape[1]} block but kinds is {kinds.shape}")
    ncols = max(1, min(int(ncols), max(min(w.shape[2], max_filters) for w in ws)))
    nrows = [math.ceil(min(w.shape[2], max_filters) / ncols) for w in ws]
    with style_context():
        side = (_PAGE - 0.15) / ncols - 0.06
        head = [0.3 if lab else 0.05 for lab in panel_labels]
        heights = [nr * (side + 0.2) + h for nr, h in zip(nrows, head)] + [0.8]
        fig = new_figure(_PAGE, sum(heights))
        subs = fig.subfigures(len(heights), 1, height_ratios=heights)
        for sub, w, lab, nr in zip(subs, ws, panel_labels, nrows):
            axes = sub.subplots(nr, ncols, squeeze=False)
            units = list(range(min(w.shape[2], max_filters)))
            for k, ax in enumerate(axes.ravel()):
                if k >= len(units):
                    ax.set_axis_off()
                    continue
                j = units[k]
                draw_dimer_filter(ax, w[:, :, j])
                ax.set_title(rf"$h_{{{j + 1}}}$ {noise_weight_share(w[:, :, j], kinds):.0%}", pad=2, fontsize=7)
            if lab:
                sub.suptitle(lab, x=0.01, ha="left", fontsize=8)
        _dimer_key(subs[-1], note=r"panel titles: hidden unit $h_j$ and its share of $\Sigma_i\, w_{ij}^2$ on noise sites")
    return fig


# --------------------------------------------------------------------------------------------
# training curve (Fig. 5)


# The y label of Fig. 5 per monitored quantity (FilterResult.meta["history_quantity"]): the
# pooled monitor records ΔA_Λ = A_Λ − A_0 (the trivial filter's value subtracted), the exact and
# Monte Carlo paths A_Λ itself, up to a constant.
HISTORY_LABELS = {"A_Lambda - A_0": r"$\Delta A_\Lambda = A_\Lambda - A_0$ (nats)",
                  None: r"$A_\Lambda$ (nats, up to a constant)"}


def plot_history_with_snapshots(history, history_err, snapshots, snapshot_epochs, *,
                                epochs: Sequence[int] = FIG5_SNAPSHOT_EPOCHS, unit: int = 0,
                                val_history=None, quantity: str | None = None, tail: float = 0.5) -> Figure:
    """Fig. 5: the objective against epoch with a ±1 s.e. band, and the filter at ``epochs``.

    ``history``/``history_err``: ``(n_epochs+1,)`` (index 0 = before training; NaN errors are
    not drawn); ``snapshots``: ``(n_snap, L, L, N_h)`` at ``snapshot_epochs``; the filter of
    hidden ``unit`` is shown. An epoch without a snapshot falls back to the nearest one, and the
    panel title says which epoch is shown. ``quantity``: the monitored quantity (a key of
    :data:`HISTORY_LABELS`). Beside the whole curve, (B) zooms into its last ``tail`` share of
    epochs, where the saturation and the ±1 s.e. band (a few per cent of the rise, invisible on
    the whole curve) can be read.
    """
    if quantity not in HISTORY_LABELS:
        raise ValueError(f"quantity must be one of {list(HISTORY_LABELS)}, got {quantity!r}")
    if not 0 < tail < 1:
        raise ValueError(f"tail must be in (0, 1), got {tail}")
    h = np.asarray(history, dtype=np.float64)
    err = np.asarray(history_err, dtype=np.float64)
    snaps = np.asarray(snapshots, dtype=np.float64)
    se = np.asarray(snapshot_epochs).astype(int)
    if h.ndim != 1 or err.shape != h.shape:
        raise ValueError(f"history and history_err must be 1-D of equal length, got {h.shape} and {err.shape}")
    if snaps.ndim != 4 or snaps.shape[0] != se.size or se.size == 0:
        raise ValueError(f"snapshots must be (n_snap, L, L, N_h) matching snapshot_epochs, got {snaps.shape}, {se.shape}")
    if not 0 <= unit < snaps.shape[3]:
        raise ValueError(f"unit must be in [0, {snaps.shape[3]}), got {unit}")
    t = np.arange(h.size)
    chosen = [int(np.argmin(np.abs(se - e))) for e in epochs]
    v = None if val_history is None else np.asarray(val_history, dtype=np.float64)
    if v is not None and (v.shape != h.shape or not np.isfinite(v).any()):
        v = None
    ok = np.isfinite(err)
    with style_context():
        fig = new_figure(_PAGE, 4.3)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.35, 1.0])
        ax, zx = top.subplots(1, 2, width_ratios=[2.2, 1])

        def curve(a, m):
            a.plot(t[m], h[m], color="C0", lw=1.2, label="training data", zorder=3)
            band = m & ok
            if band.any():
                a.fill_between(t, np.where(band, h - err, np.nan), np.where(band, h + err, np.nan), color="C0",
                               alpha=0.3, linewidth=0, label="±1 s.e.", zorder=2)
            if v is not None:
                mv = m & np.isfinite(v)
                a.plot(t[mv], v[mv], color="C1", lw=1.0, ls="--", label="held out", zorder=3)

        curve(ax, np.ones(h.size, dtype=bool))
        for i in chosen:
            e = int(se[i])
            if 0 <= e < h.size:
                ax.plot([e], [h[e]], "o", color="black", ms=4, zorder=5)
                ax.annotate(f"{e}", (e, h[e]), textcoords="offset points", xytext=(5, -4) if e == 0 else (3, -11),
                            fontsize=7)
        ax.set_xlabel("epoch")
        ax.set_ylabel(HISTORY_LABELS[quantity])
        ax.set_xlim(-0.02 * max(h.size - 1, 1), 1.02 * max(h.size - 1, 1))
        ax.legend(loc="lower right")
        _panel_label(ax, "A")
        start = int(math.floor((1 - tail) * (h.size - 1)))
        zoom = t >= start
        curve(zx, zoom)
        lo = np.nanmin(np.where(zoom & ok, h - err, np.where(zoom, h, np.nan)))
        hi = np.nanmax(np.where(zoom & ok, h + err, np.where(zoom, h, np.nan)))
        if v is not None:
            lo, hi = min(lo, np.nanmin(v[zoom])), max(hi, np.nanmax(v[zoom]))
        pad = 0.08 * (hi - lo) if hi > lo else 1e-3
        zx.set_ylim(lo - pad, hi + pad)
        zx.set_xlim(start, h.size - 1)
        zx.set_xlabel(f"epoch (last {tail:.0%})")
        zx.set_title("zoom: saturation, ±1 s.e.", fontsize=8)
        _panel_label(zx, "B")
        axs = bottom.subplots(1, len(chosen), squeeze=False)[0]
        for ax_i, i in zip(axs, chosen):
            draw_ising_filter(ax_i, snaps[i, :, :, unit], annotate=False)
            ax_i.set_title(f"epoch {int(se[i])}", pad=3)
        _colorbar(bottom, list(axs))
    return fig


#: Wildcards of a run id drawn as math text in :func:`run_title`.
_MATH_KEYS = ("L_V", "N_h", "L_B", "L_E")


def run_title(run: str) -> str:
    """A run id ``model~ising/L_V~2/N_h~1/L_B~1/L_E~1/estimator~jensen`` as a title in math text:
    ``ising, $L_V = 2$, $N_h = 1$, $L_B = 1$, $L_E = 1$, jensen`` (the wildcards' values in order)."""
    parts = run_wildcards(run)
    if parts is None:
        raise ValueError(f"not a run id of key~value parts: {run!r}")
    return ", ".join(f"${k} = {v}$" if k in _MATH_KEYS else v for k, v in parts.items())


def plot_run_filters(weights, history, *, model: str = "ising", val_history=None, title: str | None = None,
                     ylabel: str = "objective") -> Figure:
    """One run at a glance (the per-run plot of a grid): its objective against epoch and the
    filter λ_j of every hidden unit at the end of training, each normalised by its own max|λ|.

    ``weights``: (L_V, L_V, N_h); ``history``: (n_epochs+1,) (index 0 = before training), with an
    optional held-out ``val_history`` of the same length (NaN where not evaluated); ``model``
    ``"ising"`` draws colour maps (:func:`draw_ising_filter`), ``"dimer"`` the fat block
    (:func:`draw_dimer_filter`).
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 3 or w.shape[0] != w.shape[1]:
        raise ValueError(f"weights must have shape (L_V, L_V, N_h), got {w.shape}")
    if model not in ("ising", "dimer"):
        raise ValueError(f"model must be 'ising' or 'dimer', got {model!r}")
    h = np.asarray(history, dtype=np.float64)
    if h.ndim != 1 or h.size < 1:
        raise ValueError(f"history must be a non-empty 1-D array, got shape {h.shape}")
    n_h = w.shape[2]
    with style_context():
        fig = new_figure(min(_PAGE, max(3.4, 1.3 * n_h + 0.8)), 3.9)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.0])
        ax = top.subplots()
        t = np.arange(h.size)
        m = np.isfinite(h)
        ax.plot(t[m], h[m], color="C0", label="training data")
        if val_history is not None:
            v = np.asarray(val_history, dtype=np.float64)
            if v.shape != h.shape:
                raise ValueError(f"val_history must have the shape of history {h.shape}, got {v.shape}")
            if np.isfinite(v).any():
                mv = np.isfinite(v)
                ax.plot(t[mv], v[mv], color="C1", lw=1.0, ls="--", marker="o", ms=2, label="held out")
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.set_xlim(0, max(h.size - 1, 1))
        ax.legend(loc="lower right", fontsize=7)
        if title:
            top.suptitle(title, fontsize=7)
        axs = bottom.subplots(1, n_h, squeeze=False)[0]
        draw = draw_ising_filter if model == "ising" else draw_dimer_filter
        for j, ax_j in enumerate(axs):
            draw(ax_j, w[:, :, j], **({"annotate": False} if model == "ising" else {}))
            ax_j.set_title(f"unit {j + 1}", pad=3)
        _colorbar(bottom, list(axs))
    return fig


# --------------------------------------------------------------------------------------------
# Θ-RBM training curve


def plot_training_curve(curve) -> Figure:
    """A Θ-RBM's training curve: held-out log-likelihood per window (± its error) and the
    training pseudo-log-likelihood against epoch.

    ``curve``: a DataFrame (or dict of arrays) with the columns of ``rsmi.theta.rbm.RBM.history_``:
    ``epoch``, ``val_loglik``, ``val_loglik_err`` (NaN where not estimated),
    ``train_pseudo_loglik``. Panels whose column is absent or all NaN are left out.
    """
    cols = {k: np.asarray(curve[k], dtype=np.float64) for k in
            ("epoch", "val_loglik", "val_loglik_err", "train_pseudo_loglik") if k in curve}
    if "epoch" not in cols:
        raise ValueError("the training curve needs an 'epoch' column")
    ep = cols["epoch"]
    panels = [(k, lab) for k, lab in (("val_loglik", "held-out log-likelihood\nper window (nats)"),
                                      ("train_pseudo_loglik", "training pseudo-log-likelihood\nper window (nats)"))
              if k in cols and np.isfinite(cols[k]).any()]
    if not panels:
        raise ValueError("the training curve has neither val_loglik nor train_pseudo_loglik values")
    with style_context():
        fig = new_figure(3.4 * len(panels), 2.6)
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, (k, lab) in zip(axes, panels):
            y = cols[k]
            m = np.isfinite(y)
            ax.plot(ep[m], y[m], marker="o", ms=3, color="C0")
            if k == "val_loglik" and "val_loglik_err" in cols:
                e = cols["val_loglik_err"]
                ok = m & np.isfinite(e)
                if ok.any():
                    ax.fill_between(ep[ok], y[ok] - e[ok], y[ok] + e[ok], color="C0", alpha=0.25, linewidth=0)
            ax.set_xlabel("epoch")
            ax.set_ylabel(lab)
    return fig


# --------------------------------------------------------------------------------------------
# beyond the paper: I(H:E) of each coarse-graining


def _check_mi_df(df) -> Any:
    missing = [c for c in MI_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"the I(H:E) table lacks column(s) {missing}; expected {list(MI_COLUMNS)}")
    if len(df) == 0:
        raise ValueError("the I(H:E) table is empty")
    return df


def _category(filter_name, estimator) -> str:
    """The coarse-graining as shown: RSMI filters are told apart by the objective that trained them."""
    e = str(estimator)
    if e in ("", "-", "nan", "None"):
        return str(filter_name)
    return f"{filter_name} ({e})"


def _category_order(names) -> list[str]:
    pri = {"rsmi": 0, "kadanoff": 1, "random": 2, "cd": 3}

    def key(n):
        s = str(n).lower()
        for p, k in pri.items():
            if s.startswith(p):
                return (k, s)
        return (9, s)

    return sorted({str(n) for n in names}, key=key)


def _legend_below(fig, axes, ncols: int = 3) -> None:
    handles, labels = [], []
    for ax in axes:
        for h_, l_ in zip(*ax.get_legend_handles_labels()):
            if l_ not in labels:
                handles.append(h_)
                labels.append(l_)
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(ncols, len(labels)))


_MARKERS = "osD^v<>p"  # filled shapes of similar ink (no thin "*" or "x")
_LINESTYLES = ("-", "--", ":", "-.")

# One colour per coarse-graining, the same in every I(H:E) figure (the paper's palette without its
# light yellow, orange and sky blue: each colour has a contrast of at least 3 against white).
CATEGORY_COLORS = {"rsmi (jensen)": "#0072B2", "rsmi (variational)": "#D55E00", "rsmi (exact)": "#009E73",
                   "kadanoff": "#000000", "random": "#8C510A", "cd-rbm": "#CC79A7"}
_EXTRA_COLORS = ("#882255", "#332288", "#117733", "#666666")


def category_color(cat: str, order: Sequence[str] = ()) -> str:
    """The colour of a coarse-graining (CATEGORY_COLORS; any other takes the next of a fixed list
    by its place in ``order``)."""
    if cat in CATEGORY_COLORS:
        return CATEGORY_COLORS[cat]
    others = [c for c in order if c not in CATEGORY_COLORS]
    return _EXTRA_COLORS[(others.index(cat) if cat in others else 0) % len(_EXTRA_COLORS)]


def _size_key(lv, nh) -> str:
    return f"$L_V = {int(lv)}$, $N_h = {int(nh)}$"


def _mi_panels(df, height: float, width_per_model: float = 3.4):
    """The checked I(H:E) table with each row's coarse-graining category (``_cat``), its models
    (sorted, one panel each), the (L_V, N_h) pairs of the whole table (sorted: marker and line
    style by place), and a figure of ``height`` inches with one axes per model."""
    df = _check_mi_df(df).copy()
    df["_cat"] = [_category(f, e) for f, e in zip(df["filter"], df["estimator"])]
    models = sorted(df["model"].astype(str).unique())
    sizes = sorted({(int(a), int(b)) for a, b in zip(df["L_V"], df["N_h"])})
    fig = new_figure(min(_PAGE, width_per_model * len(models) + 0.3), height)
    return df, models, sizes, fig, fig.subplots(1, len(models), squeeze=False)[0]


def _limited_rows(g) -> np.ndarray:
    """rsmi.coarse.mi.estimator_limited per row of ``g`` (all False without an ``l2`` column)."""
    from rsmi.coarse.mi import estimator_limited

    if "l2" not in g.columns:
        return np.zeros(len(g), dtype=bool)
    return estimator_limited(g["mi"], g["stderr"], g["l2"])


def _limited_by_lb(g, lbs) -> np.ndarray:
    """Per L_B in ``lbs``: every row of ``g`` at that L_B is estimator-limited (rsmi.coarse.mi.estimator_limited);
    False where the table has no ``l2`` column."""
    from rsmi.coarse.mi import estimator_limited

    if "l2" not in g.columns:
        return np.zeros(len(lbs), dtype=bool)
    flag = estimator_limited(g["mi"], g["stderr"], g["l2"])
    return np.array([bool(flag[(g["L_B"] == lb).to_numpy()].all()) for lb in lbs])


_LIMIT_LABEL = "estimator limit (L2 at the marginal end,\n" r"$\hat I < 2$ s.e.; left out of the curve)"


def plot_mi_vs_buffer(df) -> Figure:
    """Estimated I(H:E) ± s.e. against buffer width L_B, one panel per model.

    ``df``: a tidy pandas DataFrame with columns ``run, model, L_V, N_h, L_B, estimator, filter,
    mi, stderr`` (one row per run and coarse-graining: ``filter`` names the coarse-graining,
    e.g. ``rsmi``, ``kadanoff``, ``random``, ``cd-rbm``; ``estimator`` the objective that
    trained an RSMI filter, ``-`` for the others; ``mi``/``stderr`` in nats). One curve per
    coarse-graining and (L_V, N_h) measured at two or more L_B (single points are in
    :func:`plot_mi_comparison`; a panel without any such curve says so). Colour names the
    coarse-graining (:data:`CATEGORY_COLORS`, as in :func:`plot_mi_comparison`), marker and line
    style the (L_V, N_h) pair; each panel's legend, under it, names every curve it shows.
    Rows with the same key and L_B (e.g. several random filters) are averaged, their standard
    errors combined as √(Σ s²)/n. Points that are the estimator's limit (rsmi.coarse.mi.estimator_limited,
    needs an ``l2`` column) are left out of their curve and drawn as open markers.
    """
    with style_context():
        df, models, sizes, fig, axes = _mi_panels(df, 3.8)
        cats = _category_order(df["_cat"])
        for ax, model in zip(axes, models):
            d = df[df["model"].astype(str) == model]
            curves = [(key, g) for key, g in d.groupby(["_cat", "L_V", "N_h"], sort=False) if g["L_B"].nunique() >= 2]
            ax.set_title(model)
            if not curves:  # e.g. a grid without a buffer scan for this model: say so, draw nothing
                ax.text(0.5, 0.5, "no coarse-graining measured\nat two or more $L_B$", transform=ax.transAxes,
                        ha="center", va="center", fontsize=8)
                ax.set_xlabel(r"buffer width $L_B$")
                continue
            panel_sizes = sorted({(int(lv), int(nh)) for (_, lv, nh), _ in curves})
            limited_here = False
            for (cat, lv, nh), g in sorted(curves, key=lambda c: (cats.index(c[0][0]), c[0][1], c[0][2])):
                agg = g.groupby("L_B").agg(mi=("mi", "mean"), se=("stderr", lambda x: float(np.sqrt(np.sum(np.square(x)))) / len(x)))
                k = sizes.index((int(lv), int(nh)))
                color, marker = category_color(cat, cats), _MARKERS[k % len(_MARKERS)]
                n_avg = int(g.groupby("L_B").size().max())
                label = f"{cat}, {_size_key(lv, nh)}" + (f" (mean of {n_avg})" if n_avg > 1 else "")
                lim = _limited_by_lb(g, agg.index)
                x = agg.index.to_numpy(dtype=float)
                ax.errorbar(x[~lim], agg["mi"].to_numpy()[~lim], yerr=agg["se"].to_numpy()[~lim],
                            color=color, marker=marker, ms=4, lw=1.0,
                            ls=_LINESTYLES[panel_sizes.index((int(lv), int(nh))) % len(_LINESTYLES)], label=label)
                if lim.any():
                    limited_here = True
                    ax.errorbar(x[lim], agg["mi"].to_numpy()[lim], yerr=agg["se"].to_numpy()[lim],
                                color=color, marker=marker, ms=5, lw=0.8, ls="none", mfc="white", label="_nolegend_")
            ax.set_xlabel(r"buffer width $L_B$")
            ax.axhline(0.0, color="#999999", lw=0.5, zorder=0)
            ax.set_xticks(sorted({int(x) for _, g in curves for x in g["L_B"]}))
            handles, labels = ax.get_legend_handles_labels()
            if limited_here:
                handles.append(Line2D([], [], ls="none", marker="o", ms=4.5, color="#444444", mfc="white"))
                labels.append(_LIMIT_LABEL)
            ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=7, frameon=False)
        axes[0].set_ylabel(r"$I(H:E)$ estimate (nats)")
    return fig


def plot_mi_comparison(df, *, L_B: int | Mapping[str, int] | None = None) -> Figure:
    """RSMI filters side by side with Kadanoff, random and CD-RBM filters: I(H:E) ± s.e.

    One panel per model; the coarse-graining (``filter``, with the training ``estimator`` in
    brackets for RSMI filters; RSMI first) is a row, read from the top, with I(H:E) along the
    horizontal axis; colour names the coarse-graining (:data:`CATEGORY_COLORS`, as in
    :func:`plot_mi_vs_buffer`), marker the (L_V, N_h) pair, dodged vertically. ``L_B`` selects
    the buffer width (an int, or a dict per model); default: the largest L_B present for each
    model. Columns as in :func:`plot_mi_vs_buffer`; every row is drawn (several random filters
    give several points), estimator-limited ones (rsmi.coarse.mi.estimator_limited) as open markers.
    """
    with style_context():
        full = _check_mi_df(df)
        n_rows = max(len(_category_order([_category(f, e) for f, e in zip(g["filter"], g["estimator"])]))
                     for _, g in full.groupby("model"))
        df, models, sizes, fig, axes = _mi_panels(df, 1.3 + 0.42 * n_rows)
        cats_all = _category_order(df["_cat"])
        used, any_limited = [], False
        for ax, model in zip(axes, models):
            d = df[df["model"].astype(str) == model]
            if isinstance(L_B, Mapping):
                lb = L_B[model]
            elif L_B is None:
                lb = d["L_B"].max()
            else:
                lb = L_B
            d = d[d["L_B"] == lb]
            if d.empty:
                raise ValueError(f"no rows for model {model!r} at L_B = {lb}")
            cats = _category_order(d["_cat"])
            present = [p for p in sizes if ((d["L_V"] == p[0]) & (d["N_h"] == p[1])).any()]
            step = 0.6 / max(len(present), 1)
            for i, p in enumerate(present):
                g = d[(d["L_V"] == p[0]) & (d["N_h"] == p[1])]
                y = np.array([cats.index(c) for c in g["_cat"]], dtype=float) + (i - (len(present) - 1) / 2) * step
                k = sizes.index(p)
                if p not in used:
                    used.append(p)
                lim = _limited_rows(g)
                any_limited |= bool(lim.any())
                for yy, mi, se, cat, open_ in zip(y, g["mi"].to_numpy(), g["stderr"].to_numpy(), g["_cat"], lim):
                    ax.errorbar([mi], [yy], xerr=[se], fmt=_MARKERS[k % len(_MARKERS)], ms=5.5 if open_ else 5,
                                lw=1.2, color=category_color(cat, cats_all), mfc="white" if open_ else None)
            ax.set_yticks(range(len(cats)))
            ax.set_yticklabels(cats)
            ax.set_ylim(len(cats) - 0.5, -0.5)
            ax.axvline(0.0, color="#999999", lw=0.5, zorder=0)
            ax.set_title(f"{model}, $L_B = {lb}$")
            ax.set_xlabel(r"$I(H:E)$ estimate (nats)")
        handles = [Line2D([], [], ls="none", marker=_MARKERS[sizes.index(p) % len(_MARKERS)], ms=4, color="#444444",
                          label=_size_key(*p)) for p in sorted(used)]
        if any_limited:
            handles.append(Line2D([], [], ls="none", marker="o", ms=4.5, color="#444444", mfc="white",
                                  label="estimator limit (L2 at the marginal end, $\\hat I < 2$ s.e.)"))
        fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)), fontsize=7)
    return fig


def plot_exact_torus(df, fit: Mapping[str, float], multibit=None) -> Figure:
    """The MI estimator against the exact I(H:E) of the critical torus (rsmi.judge.torus).

    ``df``: columns ``L_B, exact, mi, stderr`` (one row per buffer width, nats); ``fit``: keys
    ``L``, ``fit_from``, ``delta_estimate``, ``delta_estimate_se``, ``intercept`` (of ln Î's
    weighted fit, drawn over L_B ≥ fit_from) and ``delta_exact``.  (A) I and Î ± s.e. on a log
    axis with the fitted decay; (B) (Î − I)/I ± 2 s.e./I against the ±5 % band; with
    ``multibit`` (columns ``L_B, bits, code, exact, mi, stderr``, rsmi.torus's part codes) a
    panel (C): (Î − I)/I ± 2 s.e./I of every multi-bit code per L_B against the same band.
    """
    d = df.sort_values("L_B")
    x = d["L_B"].to_numpy(dtype=float)
    exact, mi, se = (d[c].to_numpy(dtype=float) for c in ("exact", "mi", "stderr"))
    if x.size < 2 or np.any(exact <= 0):
        raise ValueError("need at least two buffer widths with a positive exact I")
    has_mb = multibit is not None and len(multibit) > 0
    with style_context():
        fig = new_figure(_PAGE, 3.6)
        ax, bx, *cx = fig.subplots(1, 3 if has_mb else 2)
        ax.plot(x, exact, color="black", lw=1.0, marker=".", label="exact (transfer matrix)")
        ax.errorbar(x, mi, yerr=se, fmt="o", ms=3.5, color="C0", lw=1.0, label=r"classifier estimate $\hat I$ ± s.e.")
        xs = x[x >= fit["fit_from"]]
        slope = -4 * math.pi * fit["delta_estimate"] / fit["L"]
        ax.plot(xs, np.exp(fit["intercept"] + slope * xs), color="C3", ls="--", lw=1.0,
                label=rf"fit of $\hat I$: $\Delta_\sigma$ = {format_value_se(fit['delta_estimate'], fit['delta_estimate_se'])}"
                      "\n" rf"(exact curve: {fit['delta_exact']:.3f})")
        ax.set_yscale("log")
        ax.set_xlabel(r"buffer width $L_B$ (rows)")
        ax.set_ylabel(r"$I(H:E)$ (nats)")
        # legends under the panels: inside, at a third of the page, they ran into the curves
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), borderaxespad=0.2)
        _panel_label(ax, "A")
        bx.axhspan(-0.05, 0.05, color="#dddddd", zorder=0, label="±5 %")
        bx.errorbar(x, (mi - exact) / exact, yerr=2 * se / exact, fmt="o", ms=3.5, color="C0", lw=1.0,
                    label=r"$(\hat I - I)/I$ ± 2 s.e.$/I$")
        bx.axhline(0.0, color="black", lw=0.6)
        bx.set_xlabel(r"buffer width $L_B$ (rows)")
        bx.set_ylabel("relative deviation")
        bx.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), borderaxespad=0.2)
        _panel_label(bx, "B")
        for a in (ax, bx):  # every other buffer width labelled when there are many (3 panels on a page)
            a.set_xticks(x if x.size <= 7 else x[::2])
        if has_mb:
            c = cx[0]
            c.axhspan(-0.05, 0.05, color="#dddddd", zorder=0, label="±5 %")
            c.axhline(0.0, color="black", lw=0.6)
            bits = sorted(set(int(b) for b in multibit["bits"]))
            for k, nb in enumerate(bits):
                g = multibit[multibit["bits"] == nb].sort_values("L_B")
                xb = g["L_B"].to_numpy(dtype=float) + 0.12 * (k - (len(bits) - 1) / 2)
                ex = g["exact"].to_numpy(dtype=float)
                c.errorbar(xb, (g["mi"].to_numpy(dtype=float) - ex) / ex, yerr=2 * g["stderr"].to_numpy(dtype=float) / ex,
                           fmt=_MARKERS[k % len(_MARKERS)], ms=3.5, lw=1.0, color=f"C{k + 1}",
                           label=f"{g['code'].iloc[0]} ({nb} bits)")
            c.set_xticks(sorted(set(multibit["L_B"].astype(int))))
            c.set_xlabel(rf"$L_B$ (rows), row of $L = {int(multibit['L'].iloc[0])}$")
            c.set_ylabel("relative deviation, multi-bit codes")
            c.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), borderaxespad=0.2)
            _panel_label(c, "C")
    return fig


_FIG7_RULES = {"majority": ("majority rule", "C0", "o"), "rsmi": ("RSMI rule as learned", "C3", "s"),
               "rsmi_symmetric": ("RSMI rule, symmetric bias", "C2", "D")}


def _deviation_panel(ax, d, key, exact, tol, color, marker, label, dx, span) -> None:
    """y − exact per level ± s.e. on a scale of ±``span``; points beyond it are drawn at the edge
    as open triangles with their value written beside them."""
    x = d["level"].to_numpy(dtype=float) + dx
    y = d[key].to_numpy(dtype=float) - exact
    e = d[f"{key}_se"].to_numpy(dtype=float)
    inside = np.abs(y) <= span
    ax.errorbar(x[inside], y[inside], yerr=e[inside], color=color, marker=marker, ms=3.5, lw=1.0, ls="none",
                elinewidth=1.0, capsize=2.5, label=label)
    for xi, yi in zip(x[~inside], y[~inside]):
        edge = 0.93 * span * np.sign(yi)
        ax.plot([xi], [edge], marker="^" if yi > 0 else "v", ms=5, mfc="white", color=color, ls="none")
        ax.annotate(f"{yi:+.2f}", (xi, edge), textcoords="offset points", xytext=(0, -9 if yi > 0 else 4),
                    ha="center", va="top" if yi > 0 else "bottom", fontsize=6.5, color=color)


def plot_fig7(exponents, flow) -> Figure:
    """Fig. 7 (beyond the paper): the RG flow and the exponents of block-spin rules (rsmi.rg.rgflow).

    ``exponents``: columns ``rule, level, y_t, y_t_se, y_h, y_h_se``; ``flow``: columns
    ``temperature`` ("below", "critical", "above"), ``rule, level, nn, nn_se``.  Deterministic
    rules are drawn (majority, RSMI as learned, RSMI with the symmetric bias).  (A) the
    nearest-neighbour correlation of the block spins per level at T_c(1 − δ), T_c, T_c(1 + δ)
    (its ±1 s.e. bars are smaller than the markers; the legend gives their largest value);
    (B) y_t − 1 and (C) y_h − 15/8 per level ± 1 s.e., against the criteria's tolerance band
    (rsmi.judge.thresholds), on a scale of 2.5 times the tolerance so that the error bars can be
    read (where every s.e. is below 10 % of the tolerance, the panel writes its largest value
    instead); values beyond the scale are drawn at the edge with their value written beside them.
    """
    from rsmi.judge.thresholds import TH_7_Y_H, TH_7_Y_T

    for name, df, cols in (("exponents", exponents, ("rule", "level", "y_t", "y_t_se", "y_h", "y_h_se")),
                           ("flow", flow, ("temperature", "rule", "level", "nn", "nn_se"))):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"the {name} table lacks column(s) {missing}")
    rules = [r for r in _FIG7_RULES if r in set(exponents["rule"])]
    if not rules:
        raise ValueError(f"no rule of {list(_FIG7_RULES)} in the exponents table")
    with style_context():
        fig = new_figure(_PAGE, 3.2)
        ax, bx, cx = fig.subplots(1, 3)
        styles = {"below": "-", "critical": "--", "above": ":"}
        shown = flow[flow["rule"].isin(rules)]
        for k, rule in enumerate(rules):
            label, color, marker = _FIG7_RULES[rule]
            for temp, ls in styles.items():
                d = flow[(flow["rule"] == rule) & (flow["temperature"] == temp)].sort_values("level")
                ax.errorbar(d["level"], d["nn"], yerr=d["nn_se"], color=color, marker=marker, ms=3, lw=1.0, ls=ls)
            d = exponents[exponents["rule"] == rule].sort_values("level")
            dx = 0.12 * (k - (len(rules) - 1) / 2)  # dodged: the rules' points at one level do not hide each other
            _deviation_panel(bx, d, "y_t", 1.0, TH_7_Y_T, color, marker, label, dx, 2.5 * TH_7_Y_T)
            _deviation_panel(cx, d, "y_h", 15 / 8, TH_7_Y_H, color, marker, label, dx, 2.5 * TH_7_Y_H)
        ax.legend([Line2D([], [], color="black", ls=ls, lw=1.0) for ls in styles.values()],
                  [r"$T_c(1-\delta)$", r"$T_c$", r"$T_c(1+\delta)$"], fontsize=7, loc="upper left",
                  title=f"±1 s.e. ≤ {float(shown['nn_se'].max()):.3f}", title_fontsize=7)
        ax.set_ylabel(r"$\langle s_r s_{r+e}\rangle$ of the block spins")
        shown_exp = exponents[exponents["rule"].isin(rules)]
        for a, tol, lab, key in ((bx, TH_7_Y_T, r"$y_t - 1$", "y_t"), (cx, TH_7_Y_H, r"$y_h - 15/8$", "y_h")):
            top_se = float(shown_exp[f"{key}_se"].max())
            if top_se < 0.1 * tol:  # bars hardly longer than the markers: say how small they are
                a.text(0.97, 0.03, f"±1 s.e. ≤ {top_se:.1g}\n(within the markers)", transform=a.transAxes,
                       ha="right", va="bottom", fontsize=6.5)
            a.axhspan(-tol, tol, color="#e3e3e3", zorder=0, lw=0)
            a.axhline(0.0, color="black", lw=0.6, zorder=1)
            a.set_ylim(-2.5 * tol, 2.5 * tol)
            a.set_ylabel(lab + rf" (grey: $\pm{tol:g}$)")
        for a, lab in ((ax, "A"), (bx, "B"), (cx, "C")):
            a.set_xlabel("level")
            a.set_xticks(sorted(int(x) for x in flow["level"].unique()) if a is ax
                         else sorted(int(x) for x in exponents["level"].unique()))
            _panel_label(a, lab)
        ax.set_ylim(ax.get_ylim()[0], ax.get_ylim()[1] + 0.25 * np.ptp(ax.get_ylim()))  # room for the legend
        for a in (bx, cx):
            lo, hi = a.get_xlim()
            a.set_xlim(lo - 0.15, hi + 0.15)
        _legend_below(fig, [bx], ncols=3)
    return fig
