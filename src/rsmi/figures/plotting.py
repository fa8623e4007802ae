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
from collections.abc import Mapping, Sequence
from typing import Any, Callable

import matplotlib
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle

from rsmi.figures.files import new_figure, style_context
from rsmi.judge.metrics import noise_weight_share
from rsmi.registry import FIG5_SNAPSHOT_EPOCHS
from rsmi.sampling.dimers import columnar_covering, staggered_covering
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
    "plot_run_filters",
    "plot_cd_filters",
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


def _grid(rows, trows, draw: Callable, *, row_labels=None, suptitle=None, panel=_PANEL,
          colorbar_label=NORM_LABEL, title_height=0.25) -> Figure:
    nrows = len(rows)
    ncols = max(len(r) for r in rows)
    if row_labels is not None and len(row_labels) != nrows:
        raise ValueError(f"got {len(row_labels)} row labels for {nrows} rows")
    width = min(_PAGE, ncols * panel + 0.9)
    side = (width - 0.9) / ncols
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


def draw_ising_filter(ax, weights, *, annotate: bool | None = None, cmap: str = CMAP):
    """Draw one filter λ (L, L) as a signed colour map of λ/max|λ| on [−1, 1]; return the image.

    ``annotate`` writes the normalised value into each cell (default: for L ≤ 6).
    """
    w = _normalised(_single_filter(weights))
    L = w.shape[0]
    im = ax.imshow(w, cmap=cmap, norm=_norm(), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(True)
        s.set_linewidth(0.5)
    if annotate is None:
        annotate = L <= 6
    if annotate:
        fs = {1: 9, 2: 9, 3: 8, 4: 7, 5: 6, 6: 5.5}.get(L, 5)
        for r in range(L):
            for c in range(L):
                v = w[r, c]
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=fs,
                        color="white" if abs(v) > 0.6 else "black")
    return im


def plot_filter_grid(weights_list, titles=None, *, ncols: int | None = None, row_labels=None,
                     suptitle: str | None = None, annotate: bool | None = None) -> Figure:
    """Ising filters as signed colour maps, each normalised by its own max|λ|, one colour bar.

    ``weights_list`` is a flat list of (L, L) filters (wrapped into rows of ``ncols``) or a list
    of rows (e.g. Fig. 2: ``[[A], [B1..B4], [C], [D1..D4], [E2, E4, E6]]`` with
    ``row_labels="ABCDE"``); blocks of different sizes may share a row. ``titles`` has the same
    shape. Returns the Figure.
    """
    rows, trows = _as_rows(weights_list, titles, ncols)
    rows = [[_single_filter(w) for w in r] for r in rows]
    return _within_style(_grid, rows, trows, lambda ax, w: draw_ising_filter(ax, w, annotate=annotate),
                         row_labels=row_labels, suptitle=suptitle)


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


def _lattice_lines(ax, n: int, lw: float = 0.5) -> None:
    """Thin grey lines along every link of an n×n fat block (vertices at even positions)."""
    segs = []
    for p in range(0, n, 2):
        segs.append([(-1, p), (n - 1, p)])  # rows of horizontal links
        segs.append([(p, -1), (p, n - 1)])  # columns of vertical links
    ax.add_collection(LineCollection(segs, colors=LATTICE_COLOR, linewidths=lw, zorder=0))


def _setup_lattice_axes(ax, n: int) -> None:
    ax.set_xlim(-1, n - 1)
    ax.set_ylim(n - 1, -1)  # row 0 at the top, like the Ising filters
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(True)
        s.set_linewidth(0.5)
        s.set_color("#888888")


def _link_rects(fat_positions, n: int, width: float, periodic: bool, gap: float = 0.0):
    """Rectangles for links at fat positions (r, c), shortened by ``gap`` at each vertex;
    ``periodic`` adds the wrapped copy of links that leave the right/bottom edge."""
    rects = []
    ln = 2.0 - 2 * gap
    for r, c in fat_positions:
        if r % 2 == 0:  # link along axis 1: horizontal bar from column c-1 to c+1, at row r
            boxes = [(c - 1 + gap, r - width / 2, ln, width)]
            if periodic and c == n - 1:
                boxes.append((c - 1 + gap - n, r - width / 2, ln, width))
        else:  # link along axis 0: vertical bar from row r-1 to r+1, at column c
            boxes = [(c - width / 2, r - 1 + gap, width, ln)]
            if periodic and r == n - 1:
                boxes.append((c - width / 2, r - 1 + gap - n, width, ln))
        rects.append([Rectangle((x0, y0), w, h) for x0, y0, w, h in boxes])
    return rects


def _wiggle(x0, y0, x1, y1, n_waves=2.5, amp=0.12, n=40):
    t = np.linspace(0.0, 1.0, n)
    dx, dy = x1 - x0, y1 - y0
    ln = math.hypot(dx, dy)
    px, py = -dy / ln, dx / ln
    off = amp * np.sin(2 * np.pi * n_waves * t) * np.sin(np.pi * t)
    return np.column_stack([x0 + dx * t + px * off, y0 + dy * t + py * off])


def draw_dimer_config(ax, fat, *, noise: bool = True, periodic: bool = True, dimer_color: str = DIMER_COLOR) -> None:
    """Draw a fat dimer configuration (method.md §1): dimers as thick bars on the links, vertices
    as dots, and each noise pair as a wiggly line from its vertex to its face, coloured by the
    pair's bit (grey 0, orange 1; the face bit is drawn as a square).

    ``periodic``: the array is a whole torus, so links leaving the right/bottom edge are drawn
    as half bars on both sides; for a block cut from a larger lattice use ``periodic=False``.
    """
    a = _fat(fat)
    n = a.shape[0]
    _setup_lattice_axes(ax, n)
    _lattice_lines(ax, n)
    links = [(r, c) for r, c in zip(*np.nonzero(a)) if (r + c) % 2 == 1]
    patches = [p for ps in _link_rects(links, n, 0.42, periodic) for p in ps]
    ax.add_collection(PatchCollection(patches, facecolors=dimer_color, edgecolors="none", zorder=2))
    vx = np.arange(0, n, 2)
    X, Y = np.meshgrid(vx, vx)
    ax.scatter(X.ravel(), Y.ravel(), s=4, c="black", zorder=3, linewidths=0)
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
    from rsmi.sampling.dimers import block_field

    E = block_field(np.asarray(fat, dtype=np.uint8)) + 0.0  # + 0.0 turns -0 into 0

    def fmt(x):
        return f"{x:.0f}" if float(x).is_integer() else f"{x:.2f}"

    return rf"$E=(E_0, E_1)=({fmt(E[0])}, {fmt(E[1])})$"


def plot_dimer_configs(fats, titles=None, *, ncols: int | None = None, row_labels=None,
                       noise: bool | Sequence[bool] = True, periodic: bool = True, show_field: bool = True,
                       max_side: int = 16) -> Figure:
    """Dimer configurations side by side, each with its block field E written below.

    ``fats``: a flat list of fat arrays or a list of rows (like :func:`plot_filter_grid`);
    ``noise``: draw the noise pairs (one bool, or one per row).
    Arrays larger than ``max_side`` are cropped to their top-left ``max_side × max_side`` fat
    block (then drawn as a block, not a torus, and E is that block's field).
    """
    rows, trows = _as_rows(fats, titles, ncols)

    def prep(f):
        a = _fat(f)
        return (a[:max_side, :max_side], False) if a.shape[0] > max_side else (a, periodic)

    rows = [[prep(f) for f in r] for r in rows]
    nrows, ncol = len(rows), max(len(r) for r in rows)
    noise_rows = [bool(noise)] * nrows if isinstance(noise, (bool, np.bool_)) else [bool(x) for x in noise]
    if len(noise_rows) != nrows:
        raise ValueError(f"noise must be one bool or one per row ({nrows}), got {len(noise_rows)}")
    with style_context():
        width = min(_PAGE, ncol * 2.1 + 0.2)
        side = (width - 0.2) / ncol
        fig = new_figure(width, nrows * (side + 0.45))
        axes = fig.subplots(nrows, ncol, squeeze=False)

        def draw(ax, item, i):
            a, per = item
            draw_dimer_config(ax, a, noise=noise_rows[i], periodic=per)
            if show_field:
                ax.set_xlabel(_field_text(a), labelpad=3)

        _fill_axes(axes, rows, trows, draw, row_labels)
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=DIMER_COLOR, lw=4, label="dimer")]
        if any(noise_rows):
            handles += [Line2D([], [], color=NOISE_COLORS[b], lw=1.0, marker="o", ms=3, label=f"noise pair, bit {b}")
                        for b in (0, 1)]
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
    return fig


def plot_fig3(samples, *, n_show: int = 2, L_hand: int = 8, max_side: int = 16) -> Figure:
    """Fig. 3: (A) ``n_show`` sampled configurations (with noise), (B) a staggered and a
    columnar covering of the L_hand×L_hand torus built by hand, each with its block field E.

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
    bottom = [staggered_covering(L_hand), columnar_covering(L_hand)]
    bottom_t = ["staggered", "columnar"]
    # the hand-built coverings carry no noise; drawing their zero bits would only add clutter
    return plot_dimer_configs([top, bottom], [top_t, bottom_t], row_labels=["A", "B"], noise=[True, False],
                              max_side=max_side)


# --------------------------------------------------------------------------------------------
# dimer filters (Figs. 4 and 6)


def draw_dimer_filter(ax, weights_fat, *, cmap: str = CMAP, periodic: bool = False) -> ScalarMappable:
    """Draw a filter on a fat dimer block: links as bars coloured by λ/max|λ|, noise sites as
    dots (vertex: circle, face: square) whose area ∝ |λ|/max|λ| and colour = the signed value.
    Noise sites also get a small grey outline so that vanishing noise weights stay visible as
    empty markers. Returns the ScalarMappable for a colour bar.
    """
    w = _normalised(_single_filter(weights_fat, "weights_fat"))
    n = w.shape[0]
    if n % 2:
        raise ValueError(f"weights_fat must be a fat block with an even side, got {n}")
    _setup_lattice_axes(ax, n)
    _lattice_lines(ax, n, lw=0.3)
    norm = _norm()
    cm = matplotlib.colormaps[cmap]
    links = [(r, c) for r in range(n) for c in range(n) if (r + c) % 2 == 1]
    rects = _link_rects(links, n, 0.6, periodic, gap=0.42)
    patches, colors = [], []
    for (r, c), ps in zip(links, rects):
        for p in ps:
            patches.append(p)
            colors.append(cm(norm(w[r, c])))
    ax.add_collection(PatchCollection(patches, facecolors=colors, edgecolors="#999999", linewidths=0.2, zorder=2))
    outline, fill, fill_c = [], [], []
    for r in range(n):
        for c in range(n):
            if (r + c) % 2:
                continue
            rmax = 0.38
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


def plot_dimer_filters(weights_list, titles=None, *, ncols: int | None = None, row_labels=None,
                       suptitle: str | None = None) -> Figure:
    """Dimer filters (fat (L, L) each) drawn with :func:`draw_dimer_filter`, one colour bar.

    Layout as in :func:`plot_filter_grid` (flat list or list of rows; Fig. 4: ``[[N_h 2 filters],
    [N_h 4 filters]]`` with ``row_labels=["A", "B"]``).
    """
    rows, trows = _as_rows(weights_list, titles, ncols)
    rows = [[_single_filter(w) for w in r] for r in rows]
    return _within_style(_grid, rows, trows, lambda ax, w: draw_dimer_filter(ax, w),
                         row_labels=row_labels, suptitle=suptitle, panel=1.6)


def plot_cd_filters(weights, kinds, *, panel_labels: Sequence[str] | None = None, ncols: int = 8,
                    max_filters: int = 32) -> Figure:
    """Fig. 6: the filters of CD-trained RBMs on dimer + noise blocks, drawn on the lattice.

    ``weights``: one RBM's weights ``(n_visible, n_hidden)`` (or ``(L, L, n_hidden)``), or a
    list of them, one panel each (Fig. 6: ``[few units, many units]`` with labels A, B).
    ``kinds``: site kinds of the block (:func:`rsmi.sampling.dimers.fat_site_kinds`); each filter's title
    gives its share of squared weight on noise sites, Σ_noise w_j² / Σ w_j². At most
    ``max_filters`` units per panel are drawn, in the RBM's order.
    """
    ws = [weights] if isinstance(weights, np.ndarray) else list(weights)
    ws = [block_filters(w, rbm=True) for w in ws]
    kinds = np.asarray(kinds)
    if panel_labels is None:
        panel_labels = [None] * len(ws) if len(ws) == 1 else [chr(ord("A") + i) for i in range(len(ws))]
    if len(panel_labels) != len(ws):
        raise ValueError(f"got {len(panel_labels)} panel labels for {len(ws)} panels")
    rows, trows, labels = [], [], []
    for w, lab in zip(ws, panel_labels):
        if w.shape[:2] != kinds.shape:
            raise ValueError(f"weights are for a {w.shape[0]}x{w.shape[1]} block but kinds is {kinds.shape}")
        n_h = w.shape[2]
        units = list(range(min(n_h, max_filters)))
        for start in range(0, len(units), ncols):
            chunk = units[start:start + ncols]
            rows.append([w[:, :, j] for j in chunk])
            trows.append([f"{j}: {noise_weight_share(w[:, :, j], kinds):.0%}" for j in chunk])
            labels.append(f"{lab}" if (lab and start == 0) else "")
    fig = _within_style(_grid, rows, trows, lambda ax, w: draw_dimer_filter(ax, w), row_labels=labels,
                        panel=0.95, title_height=0.2,
                        suptitle=r"panel titles: hidden unit $j$: share of $\sum_i w_{ij}^2$ on noise sites")
    for ax in fig.axes:
        if ax.get_title():
            ax.title.set_fontsize(7)
    return fig


# --------------------------------------------------------------------------------------------
# training curve (Fig. 5)


def plot_history_with_snapshots(history, history_err, snapshots, snapshot_epochs, *,
                                epochs: Sequence[int] = FIG5_SNAPSHOT_EPOCHS, unit: int = 0,
                                val_history=None, ylabel: str = r"$A_\Lambda$ (up to a constant)") -> Figure:
    """Fig. 5: the objective against epoch with a ±1 s.e. band, and the filter at ``epochs``.

    ``history``/``history_err``: ``(n_epochs+1,)`` (index 0 = before training; NaN errors are
    not drawn); ``snapshots``: ``(n_snap, L, L, N_h)`` at ``snapshot_epochs``; the filter of
    hidden ``unit`` is shown. An epoch without a snapshot falls back to the nearest one, and the
    panel title says which epoch is shown.
    """
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
    with style_context():
        fig = new_figure(_PAGE, 3.9)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.25, 1.0])
        ax = top.subplots()
        ok = np.isfinite(err)
        ax.plot(t, h, color="C0", label="training data")
        if ok.any():
            ax.fill_between(t, np.where(ok, h - err, np.nan), np.where(ok, h + err, np.nan), color="C0",
                            alpha=0.25, linewidth=0, label="±1 s.e.")
        if val_history is not None:
            v = np.asarray(val_history, dtype=np.float64)
            if v.shape == h.shape and np.isfinite(v).any():
                m = np.isfinite(v)
                ax.plot(t[m], v[m], color="C1", lw=1.0, ls="--", label="held out")
        for k, i in enumerate(chosen):
            e = int(se[i])
            if 0 <= e < h.size:
                ax.plot([e], [h[e]], "o", color="black", ms=4, zorder=5)
                ax.annotate(f"{e}", (e, h[e]), textcoords="offset points", xytext=(4, 3) if e == 0 else (3, -10),
                            fontsize=7)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.set_xlim(0, max(h.size - 1, 1))
        ax.legend(loc="lower right")
        axs = bottom.subplots(1, len(chosen), squeeze=False)[0]
        for ax_i, i in zip(axs, chosen):
            draw_ising_filter(ax_i, snaps[i, :, :, unit], annotate=False)
            ax_i.set_title(f"epoch {int(se[i])}", pad=3)
        _colorbar(bottom, list(axs))
    return fig


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
            if v.shape == h.shape and np.isfinite(v).any():
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


_MARKERS = "osD^vP*X"
_LINESTYLES = ("-", "--", ":", "-.")


def _mi_panels(df, height: float):
    """The checked I(H:E) table with each row's coarse-graining category (``_cat``), its models
    (sorted, one panel each), and a figure of ``height`` inches with one axes per model."""
    df = _check_mi_df(df).copy()
    df["_cat"] = [_category(f, e) for f, e in zip(df["filter"], df["estimator"])]
    models = sorted(df["model"].astype(str).unique())
    fig = new_figure(min(_PAGE, 3.4 * len(models) + 0.3), height)
    return df, models, fig, fig.subplots(1, len(models), squeeze=False)[0]


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


def plot_mi_vs_buffer(df) -> Figure:
    """Estimated I(H:E) ± s.e. against buffer width L_B, one panel per model.

    ``df``: a tidy pandas DataFrame with columns ``run, model, L_V, N_h, L_B, estimator, filter,
    mi, stderr`` (one row per run and coarse-graining: ``filter`` names the coarse-graining,
    e.g. ``rsmi``, ``kadanoff``, ``random``, ``cd-rbm``; ``estimator`` the objective that
    trained an RSMI filter, ``-`` for the others; ``mi``/``stderr`` in nats). One curve per
    coarse-graining and (L_V, N_h) measured at two or more L_B (single points are in
    :func:`plot_mi_comparison`; a panel without any such curve says so); colour and marker name the coarse-graining (the same in every
    panel), line style the (L_V, N_h) pair, and each panel's legend names every curve it shows.
    Rows with the same key and L_B (e.g. several random filters) are averaged, their standard
    errors combined as √(Σ s²)/n. Points that are the estimator's limit (rsmi.coarse.mi.estimator_limited,
    needs an ``l2`` column) are left out of their curve and drawn as open markers labelled so.
    """
    with style_context():
        df, models, fig, axes = _mi_panels(df, 3.6)
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
            sizes = sorted({(int(lv), int(nh)) for (_, lv, nh), _ in curves})
            for (cat, lv, nh), g in sorted(curves, key=lambda c: (cats.index(c[0][0]), c[0][1], c[0][2])):
                agg = g.groupby("L_B").agg(mi=("mi", "mean"), se=("stderr", lambda x: float(np.sqrt(np.sum(np.square(x)))) / len(x)))
                i, k = cats.index(cat), sizes.index((int(lv), int(nh)))
                n_avg = int(g.groupby("L_B").size().max())
                label = f"{cat}, $L_V$={lv}, $N_h$={nh}" + (f" (mean of {n_avg})" if n_avg > 1 else "")
                lim = _limited_by_lb(g, agg.index)
                ax.errorbar(agg.index.to_numpy(dtype=float)[~lim], agg["mi"].to_numpy()[~lim], yerr=agg["se"].to_numpy()[~lim],
                            color=f"C{i % 8}", marker=_MARKERS[i % len(_MARKERS)], ms=4, lw=1.0,
                            ls=_LINESTYLES[k % len(_LINESTYLES)], label=label)
                if lim.any():
                    ax.errorbar(agg.index.to_numpy(dtype=float)[lim], agg["mi"].to_numpy()[lim], yerr=agg["se"].to_numpy()[lim],
                                color=f"C{i % 8}", marker=_MARKERS[i % len(_MARKERS)], ms=5, lw=0.8, ls="none",
                                mfc="white", label=f"{cat}, $L_V$={lv}, $N_h$={nh}: estimator limit (L2 at the marginal end, Î < 2 s.e.)")
            ax.set_xlabel(r"buffer width $L_B$")
            ax.axhline(0.0, color="#999999", lw=0.5, zorder=0)
            ax.set_xticks(sorted({int(x) for _, g in curves for x in g["L_B"]}))
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=7, frameon=False)
        axes[0].set_ylabel(r"$I(H:E)$ estimate (nats)")
    return fig


def plot_mi_comparison(df, *, L_B: int | Mapping[str, int] | None = None) -> Figure:
    """RSMI filters side by side with Kadanoff, random and CD-RBM filters: I(H:E) ± s.e.

    One panel per model; x = the coarse-graining (``filter``, with the training ``estimator`` in
    brackets for RSMI filters; RSMI first), colour = the (L_V, N_h) pair, dodged sideways.
    ``L_B`` selects the buffer width (an int, or a dict per model); default: the largest L_B
    present for each model. Columns as in :func:`plot_mi_vs_buffer`; every row is drawn (several
    random filters give several points), estimator-limited ones (rsmi.coarse.mi.estimator_limited) as
    open markers labelled so.
    """
    with style_context():
        df, models, fig, axes = _mi_panels(df, 3.2)
        sizes = sorted({(int(a), int(b)) for a, b in zip(df["L_V"], df["N_h"])})
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
            width = 0.6 / max(len(present), 1)
            for i, p in enumerate(present):
                g = d[(d["L_V"] == p[0]) & (d["N_h"] == p[1])]
                x = np.array([cats.index(c) for c in g["_cat"]], dtype=float) + (i - (len(present) - 1) / 2) * width
                k = sizes.index(p)
                lim = _limited_rows(g)
                ax.errorbar(x[~lim], g["mi"].to_numpy()[~lim], yerr=g["stderr"].to_numpy()[~lim],
                            fmt=_MARKERS[k % len(_MARKERS)], ms=4, lw=1.0, color=f"C{k % 8}",
                            label=f"$L_V$={p[0]}, $N_h$={p[1]}")
                if lim.any():
                    ax.errorbar(x[lim], g["mi"].to_numpy()[lim], yerr=g["stderr"].to_numpy()[lim],
                                fmt=_MARKERS[k % len(_MARKERS)], ms=5, lw=0.8, color=f"C{k % 8}", mfc="white",
                                label="_nolegend_")  # open marker: estimator limit (said once, below)
            ax.set_xticks(range(len(cats)))
            ax.set_xticklabels(cats, rotation=25, ha="right")
            ax.set_xlim(-0.6, len(cats) - 0.4)
            ax.axhline(0.0, color="#999999", lw=0.5, zorder=0)
            ax.set_title(f"{model}, $L_B$={lb}")
            if "l2" in d.columns and _limited_rows(d).any():
                ax.text(0.99, 0.98, "open markers: estimator limit\n(L2 at the marginal end, Î < 2 s.e.)",
                        transform=ax.transAxes, ha="right", va="top", fontsize=6)
        axes[0].set_ylabel(r"$I(H:E)$ estimate (nats)")
        _legend_below(fig, axes, ncols=4)
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
        fig = new_figure(_PAGE, 3.0)
        ax, bx, *cx = fig.subplots(1, 3 if has_mb else 2)
        ax.plot(x, exact, color="black", lw=1.0, marker=".", label="exact (transfer matrix)")
        ax.errorbar(x, mi, yerr=se, fmt="o", ms=3.5, color="C0", lw=1.0, label="estimate_mi ± s.e.")
        xs = x[x >= fit["fit_from"]]
        slope = -4 * math.pi * fit["delta_estimate"] / fit["L"]
        ax.plot(xs, np.exp(fit["intercept"] + slope * xs), color="C3", ls="--", lw=1.0,
                label=rf"fit: $\Delta_\sigma$ = {fit['delta_estimate']:.3f} ± {fit['delta_estimate_se']:.3f}"
                      rf" (exact curve {fit['delta_exact']:.3f})")
        ax.set_yscale("log")
        ax.set_xlabel(r"buffer width $L_B$ (rows)")
        ax.set_ylabel(r"$I(H:E)$ (nats)")
        ax.legend(fontsize=7, loc="lower left")
        _panel_label(ax, "A")
        bx.axhspan(-0.05, 0.05, color="#dddddd", zorder=0, label="±5 %")
        bx.errorbar(x, (mi - exact) / exact, yerr=2 * se / exact, fmt="o", ms=3.5, color="C0", lw=1.0,
                    label="(Î − I)/I ± 2 s.e./I")
        bx.axhline(0.0, color="black", lw=0.6)
        bx.set_xlabel(r"buffer width $L_B$ (rows)")
        bx.set_ylabel("relative deviation")
        bx.legend(fontsize=7, loc="upper left")
        _panel_label(bx, "B")
        for a in (ax, bx):
            a.set_xticks(x)
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
            c.set_xlabel(r"buffer width $L_B$ (rows), L = " + str(int(multibit["L"].iloc[0])))
            c.set_ylabel("relative deviation, multi-bit codes")
            c.legend(fontsize=7, loc="lower left")
            _panel_label(c, "C")
    return fig


_FIG7_RULES = {"majority": ("majority rule", "C0", "o"), "rsmi": ("RSMI rule as learned", "C3", "s"),
               "rsmi_symmetric": ("RSMI rule, symmetric bias", "C2", "D")}


def plot_fig7(exponents, flow) -> Figure:
    """Fig. 7 (beyond the paper): the RG flow and the exponents of block-spin rules (rsmi.rg.rgflow).

    ``exponents``: columns ``rule, level, y_t, y_t_se, y_h, y_h_se``; ``flow``: columns
    ``temperature`` ("below", "critical", "above"), ``rule, level, nn, nn_se``.  Deterministic
    rules are drawn (majority, RSMI as learned, RSMI with the symmetric bias).  (A) the
    nearest-neighbour correlation of the block spins per level at T_c(1 − δ), T_c, T_c(1 + δ);
    (B) y_t and (C) y_h per level with the exact values 1 and 15/8.
    """
    for name, df, cols in (("exponents", exponents, ("rule", "level", "y_t", "y_t_se", "y_h", "y_h_se")),
                           ("flow", flow, ("temperature", "rule", "level", "nn", "nn_se"))):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"the {name} table lacks column(s) {missing}")
    rules = [r for r in _FIG7_RULES if r in set(exponents["rule"])]
    if not rules:
        raise ValueError(f"no rule of {list(_FIG7_RULES)} in the exponents table")
    with style_context():
        fig = new_figure(_PAGE, 3.0)
        ax, bx, cx = fig.subplots(1, 3)
        styles = {"below": "-", "critical": "--", "above": ":"}
        for rule in rules:
            label, color, marker = _FIG7_RULES[rule]
            for temp, ls in styles.items():
                d = flow[(flow["rule"] == rule) & (flow["temperature"] == temp)].sort_values("level")
                ax.errorbar(d["level"], d["nn"], yerr=d["nn_se"], color=color, marker=marker, ms=3, lw=1.0, ls=ls)
            d = exponents[exponents["rule"] == rule].sort_values("level")
            for a, key in ((bx, "y_t"), (cx, "y_h")):
                a.errorbar(d["level"], d[key], yerr=d[f"{key}_se"], color=color, marker=marker, ms=4, lw=1.0, label=label)
        from matplotlib.lines import Line2D

        ax.legend([Line2D([], [], color="black", ls=ls, lw=1.0) for ls in styles.values()],
                  [r"$T_c(1-\delta)$", r"$T_c$", r"$T_c(1+\delta)$"], fontsize=7, loc="lower left")
        ax.set_xlabel("level")
        ax.set_ylabel(r"$\langle s_r s_{r+e}\rangle$ of the block spins")
        bx.axhline(1.0, color="black", lw=0.6)
        bx.set_ylabel(r"$y_t$ (exact 1)")
        cx.axhline(15 / 8, color="black", lw=0.6)
        cx.set_ylabel(r"$y_h$ (exact 15/8)")
        for a, lab in ((ax, "A"), (bx, "B"), (cx, "C")):
            a.set_xlabel("level")
            a.set_xticks(sorted(int(x) for x in flow["level"].unique()) if a is ax
                         else sorted(int(x) for x in exponents["level"].unique()))
            _panel_label(a, lab)
        _legend_below(fig, [bx], ncols=3)
    return fig
