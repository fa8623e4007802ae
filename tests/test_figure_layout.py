"""Every figure's layout, as a reader sees it (tests/figure_layout.py): no overlapping texts,
nothing outside the canvas, no literal underscores, no data cut by its axes, no legend over data;
and the figure-specific defects (Fig. 6's row headers, Fig. 3's E_x/E_y, the MI figures' colours,
Fig. 5's s.e. band and Fig. 7's error bars visible). Each figure is drawn from small synthetic
inputs shaped like the default run's; the checks themselves are shown to fail on a defect."""

from __future__ import annotations

import math

import matplotlib.colors as mcolors
import numpy as np
import pytest

from figure_layout import (clipped_data, drawn_texts, layout_problems, legends_over_data, outside_canvas,
                           rendered, text_overlaps, underscores)
from rsmi.figures import files as F
from rsmi.figures import plotting as P
from rsmi.sampling.dimers import fat_site_kinds, field_filters, sample_dimers

pd = pytest.importorskip("pandas")


def _rng(seed=0):
    return np.random.default_rng(seed)


def _fig2():
    r = _rng()
    return P.plot_fig2(r.normal(size=(2, 2, 1)), r.normal(size=(2, 2, 4)), r.normal(size=(4, 4, 1)),
                       r.normal(size=(4, 4, 4)), -np.abs(r.normal(size=(6, 6, 1))))


def _fig3():
    return P.plot_fig3(sample_dimers(32, 2, seed=3))


def _fig4_rows(null_failed=4):
    r, ff = _rng(1), field_filters(8)
    rows = []
    for est in ("jensen", "variational", "exact"):
        for nh in (2, 4):
            w = np.stack([ff[:, :, j % 2] + 0.4 * r.normal(size=(8, 8)) for j in range(nh)], axis=2)
            rows.append(dict(n_h=nh, estimator=est, weights=w, null_failed=null_failed if est == "jensen" else 0,
                             null_total=15))
    return rows


def _fig4():
    return P.plot_fig4(_fig4_rows(), title="RSMI filters, dimers with noise (V 8×8 fat)")


_CD_RUNS = ["cd_rbm/n_hidden~4", "cd_rbm/n_hidden~8", "cd_rbm/n_hidden~32"]


def _fig6_metrics():
    """Figure-6 rows as the metrics table holds them (strings, as read back): N_h 4 a finding,
    N_h 8 carries claim 6A, N_h 32 claim 6B (rsmi.judge.metrics._rows_6, rsmi.judge.tables.FINDINGS)."""
    cols = ("run", "figure", "criterion", "value", "se", "op", "threshold", "kind")
    table = [("cd_rbm/n_hidden~4", "6", "noise_weight_share", "0.157", "0.0", ">=", "0.5", "finding"),
             ("cd_rbm/n_hidden~4", "6", "max_field_r2", "0.04", "0.006", "<", "0.78", "report"),
             ("cd_rbm/n_hidden~8", "6", "noise_weight_share", "0.539", "0.0", ">=", "0.5", "claim"),
             ("cd_rbm/n_hidden~8", "6", "max_field_r2", "0.035", "0.005", "<", "0.78", "report"),
             ("cd_rbm/n_hidden~32", "6", "noise_weight_share", "0.43", "0.0", "", "nan", "report"),
             ("cd_rbm/n_hidden~32", "6", "max_field_r2", "0.2187", "0.0096", "<", "0.783", "claim"),
             ("cd_rbm/n_hidden~8", "mi", "mi_z[classifier]", "0.9", "0", ">=", "-2", "claim")]
    return [dict(zip(cols, r)) for r in table]


def _fig6():
    r = _rng(2)
    ws = {run: r.normal(size=(64, int(run.rsplit("~", 1)[1]))) for run in _CD_RUNS}
    panels = P.fig6_panels(_fig6_metrics(), _CD_RUNS)
    return P.plot_cd_filters([ws[run] for run, _ in panels], fat_site_kinds(8), panel_labels=[h for _, h in panels])


def _fig5(quantity="A_Lambda - A_0"):
    t = np.arange(201)
    h = 2.8 * (1 - np.exp(-t / 3.0)) + 0.004 * np.sin(t / 7.0)
    err = np.full(201, 0.036)  # the default run: SE ≈ 1.3 % of the rise
    snaps = np.stack([_rng(e).normal(size=(6, 6, 1)) for e in (0, 10, 100, 190)])
    return P.plot_history_with_snapshots(h, err, snaps, [0, 10, 100, 190], val_history=h - 0.2, quantity=quantity)


def _fig7_tables():
    rows, flow = [], []
    for rule, dev_t, dev_h in (("majority", (-0.034, -0.001, 0.0), (0.005, 0.0007, -0.0007)),
                               ("rsmi", (-0.36, 0.062, 0.318), (0.0045, 0.05, 0.07)),
                               ("rsmi_symmetric", (-0.017, -0.005, -0.003), (0.0056, -0.0007, -0.0002)),
                               ("rsmi_stochastic", (-0.35, 0.057, 0.31), (0.004, 0.05, 0.07))):
        for lev in (1, 2, 3):
            rows.append(dict(rule=rule, lattice=64 >> (lev - 1), level=lev, y_t=1 + dev_t[lev - 1], y_t_se=0.005 + 0.001 * lev,
                             y_h=15 / 8 + dev_h[lev - 1], y_h_se=0.0002 * lev))
        for temp, slope in (("below", 0.05), ("critical", 0.0), ("above", -0.07)):
            for lev in range(4):
                flow.append(dict(temperature=temp, rule=rule, level=lev, nn=0.71 + slope * lev + (0.06 if temp == "below" else
                                 -0.07 if temp == "above" else 0.0), nn_se=0.001 * (lev + 1)))
    return pd.DataFrame(rows), pd.DataFrame(flow)


def _fig7():
    return P.plot_fig7(*_fig7_tables())


def _torus():
    L, lbs = 6, np.arange(13)
    exact = 0.53 * np.exp(-4 * math.pi * 0.122 * lbs / L)
    se = 0.004 * exact / exact[0] + 0.0008
    mi = exact + se * _rng(3).normal(size=lbs.size)
    df = pd.DataFrame(dict(L=L, M=96, L_B=lbs, exact=exact, mi=mi, stderr=se, n_configs=16000, n_windows=192000))
    from rsmi.judge.torus import torus_fit

    fit = torus_fit(df.to_dict("records"), 4)
    mb = pd.DataFrame([dict(L=8, L_B=lb, bits=b, code=c, exact=0.3 / (lb + 1) * b, mi=0.3 / (lb + 1) * b * (1 + 0.01 * k),
                            stderr=0.002 * b) for lb in (1, 3) for k, (b, c) in enumerate(((2, "halves"), (4, "quarters"), (8, "single spins")))])
    return P.plot_exact_torus(df, fit, mb)


def _mi_table():
    rows = []
    for model, sizes, lbs in (("ising", ((2, 1), (4, 1), (6, 1)), (0, 1, 2, 3)), ("dimer", ((8, 1), (8, 2), (8, 4), (8, 8)), (2, 4, 6))):
        for lv, nh in sizes:
            for lb in lbs:
                if model == "ising" and lv != 4 and lb != lv // 2:
                    continue
                if model == "dimer" and (lv, nh) != (8, 2) and lb != 4:
                    continue
                cats = [("rsmi", "jensen", 0.45), ("kadanoff", "-", 0.42), ("random", "-", 0.2), ("random", "-", 0.25)]
                if model == "dimer":
                    cats = [("rsmi", "jensen", 0.0), ("rsmi", "variational", 0.26), ("rsmi", "exact", 0.2), ("random", "-", 0.0),
                            ("cd-rbm", "-", 0.002)]
                for filt, est, mi in cats:
                    mi = mi / (1 + lb) if model == "dimer" else mi * (1 - 0.05 * lb)
                    rows.append(dict(run=f"{model}/{lv}/{nh}/{lb}/{filt}/{est}", model=model, L_V=lv, N_h=nh, L_B=lb,
                                     estimator=est, filter=filt, mi=mi, stderr=0.01 + 0.005 * (model == "dimer"),
                                     l2=1.0 if mi < 0.02 else 0.01))
    return pd.DataFrame(rows)


def _mi_vs_buffer():
    return P.plot_mi_vs_buffer(_mi_table())


def _mi_comparison():
    return P.plot_mi_comparison(_mi_table(), L_B={"ising": 3, "dimer": 4})


def _theta_curve():
    ep = np.arange(0.0, 101.0, 10.0)
    return P.plot_training_curve(dict(epoch=ep, val_loglik=-30 + np.log1p(ep), val_loglik_err=np.full(ep.size, 0.2),
                                      train_pseudo_loglik=-25 + 0.01 * ep))


def _run_filters(model):
    L, nh = (8, 2) if model == "dimer" else (4, 3)
    h = np.concatenate([[0.0], 0.3 * (1 - np.exp(-np.arange(1, 61) / 15.0))])
    val = np.where(np.arange(61) % 10 == 0, h - 0.01, np.nan)
    run = f"model~{model}/L_V~{L}/N_h~{nh}/L_B~1/L_E~2/estimator~variational"
    return P.plot_run_filters(_rng(7).normal(size=(L, L, nh)), h, model=model, val_history=val,
                              title=P.run_title(run), ylabel="objective (variational)")


FIGURES = {"fig2": _fig2, "fig3": _fig3, "fig4": _fig4, "fig5": _fig5, "fig5_path_monitor": lambda: _fig5(None),
           "fig6": _fig6, "fig7": _fig7, "exact_torus": _torus, "mi_vs_buffer": _mi_vs_buffer,
           "mi_comparison": _mi_comparison, "theta_curve": _theta_curve,
           "run_filters_ising": lambda: _run_filters("ising"), "run_filters_dimer": lambda: _run_filters("dimer")}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_layout_is_clean(name):
    """No two drawn texts overlap, nothing leaves the canvas, no literal underscore, no glyph cut
    by its axes, no legend over data: in every figure the workflow draws."""
    fig = FIGURES[name]()
    assert layout_problems(fig) == []


@pytest.mark.parametrize("name", ["fig2", "fig4", "fig6", "mi_comparison"])
def test_layout_is_clean_as_saved(tmp_path, name):
    """The same after the PNG is written (the saved layout is the constrained layout's first draw)."""
    fig = FIGURES[name]()
    F.savefig(fig, tmp_path / f"{name}.png", dpi=100)
    fig.set_layout_engine("none")
    assert layout_problems(fig) == []


# --------------------------------------------------------------------------------------------
# the checks fail on the defects they guard against


def _canvas(w=3.0, h=2.0):
    with F.style_context():
        fig = F.new_figure(w, h)
        return fig, fig.subplots()


def test_overlap_check_catches_crowded_cell_values():
    """The old Fig. 2E: 6×6 values at 5.5 pt in a 1.1 in panel ran into each other."""
    fig, ax = _canvas(1.3, 1.3)
    w = _rng().normal(size=(6, 6))
    ax.imshow(w)
    for r in range(6):
        for c in range(6):
            ax.text(c, r, f"{w[r, c]:.2f}", ha="center", va="center", fontsize=5.5)
    assert text_overlaps(fig)
    # the drawing function writes them only where they fit
    fig, ax = _canvas(1.3, 1.3)
    P.draw_ising_filter(ax, w, cell_pt=1.1 * 72 / 6)
    assert not ax.texts and text_overlaps(fig) == []


def test_canvas_and_underscore_checks():
    fig, ax = _canvas()
    ax.set_title("2: N_h=32")
    ax.set_xlabel(r"$N_h$ and $\Delta A_\Lambda$")
    fig.text(0.9, 0.5, "a label running off the right edge")
    assert underscores(fig) == ["2: N_h=32"]
    assert any("running off" in p for p in outside_canvas(fig))
    assert rendered(r"$A\_0$") == "_" and rendered("estimate_mi") == "estimate_mi" and rendered("$N_h$=2") == "=2"


def test_clipping_check_catches_a_cut_lattice():
    """The old Fig. 4: the block's right and bottom links ran past the axes limits."""
    fig, ax = _canvas(2, 2)
    P.draw_dimer_filter(ax, field_filters(8)[:, :, 0])
    assert clipped_data(fig) == []
    ax.set_xlim(-1, 7)
    ax.set_ylim(7, -1)
    assert clipped_data(fig)


def test_legend_check_catches_a_legend_over_a_curve():
    """The old exact-torus panel A: the fit's legend ran into the curve."""
    fig, ax = _canvas()
    x = np.linspace(0.0, 1.0, 50)
    ax.plot(x, x, label="exact")
    ax.plot(x, x, ls="--", label="fit")
    ax.legend(loc="center")
    assert legends_over_data(fig)
    ax.legend(loc="lower right")
    assert legends_over_data(fig) == []


# --------------------------------------------------------------------------------------------
# figure-specific defects


def _texts(fig):
    return [t.get_text() for t in drawn_texts(fig)]


def test_fig6_rows_are_the_claims_they_carry():
    """Panel A is the run whose noise share is claim 6A (N_h 8), B the run of claim 6B (N_h 32);
    the N_h 4 run is a finding, shown last and said so; no "2: N_h=32"."""
    panels = P.fig6_panels(_fig6_metrics(), _CD_RUNS)
    assert [run for run, _ in panels] == ["cd_rbm/n_hidden~8", "cd_rbm/n_hidden~32", "cd_rbm/n_hidden~4"]
    heads = [h for _, h in panels]
    assert heads[0].startswith(r"$\mathbf{A}$  claim 6A, $N_h = 8$") and "54%" in heads[0]
    assert heads[1].startswith(r"$\mathbf{B}$  claim 6B, $N_h = 32$") and "0.219 ± 0.010" in heads[1]
    assert heads[2].startswith("finding") and "$N_h = 4$" in heads[2] and "claim" not in heads[2]
    texts = _texts(_fig6())
    assert all(h in texts for h in heads)
    # a run that carries nothing is headed by its N_h only, after the others
    extra = P.fig6_panels(_fig6_metrics(), _CD_RUNS + ["cd_rbm/n_hidden~16"])
    assert extra[-1] == ("cd_rbm/n_hidden~16", "$N_h = 16$")


def test_fig4_layout_like_the_paper():
    """Panels A (N_h 2) and B (N_h 4) side by side, one row per estimator named on its left,
    filters at least an inch wide, a key of the glyphs, and the null tests a row does not pass
    in the key, not in a label that eats the width."""
    fig = _fig4()
    fig.canvas.draw()
    filters = [ax for ax in fig.axes if ax.get_title().startswith("$h_")]
    assert len(filters) == 3 * (2 + 4)
    sizes = [ax.get_window_extent().width / fig.dpi for ax in filters]
    assert min(sizes) >= 0.95, sizes
    ylabels = [ax.get_ylabel() for ax in filters if ax.get_ylabel()]
    assert ylabels == ["jensen*", "variational", "exact"]
    left = min(ax.get_window_extent().x0 for ax in filters) / fig.bbox.width
    assert left < 0.1  # the row labels take less than a tenth of the width
    texts = " ".join(_texts(fig))
    for needed in ("vertex noise spin", "face noise spin", "link", "* jensen: null tests not passed, 4 of 15 ($N_h = 2$)",
                   r"$\mathbf{A}$   $N_h = 2$", r"$\mathbf{B}$   $N_h = 4$"):
        assert needed in texts, needed
    clean = P.plot_fig4(_fig4_rows(null_failed=0))
    assert "null tests" not in " ".join(_texts(clean))


def test_fig2_does_not_repeat_a_and_c():
    """Eleven filters (A, B1–4, C, D1–4, E): E is the 6×6 block alone, larger, its values legible."""
    fig = _fig2()
    fig.canvas.draw()
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 11
    e = [ax for ax in images if ax.get_title() == r"6×6, $N_h = 1$"]
    assert len(e) == 1 and len([t for t in e[0].texts if t.get_text() != "E"]) == 36
    assert min(t.get_fontsize() for t in e[0].texts) >= 6


def test_fig3_names_the_fields_as_the_paper():
    """(E_x, E_y) as the paper writes them; the staggered covering has E_y ≠ 0, the paper's Fig. 3B."""
    texts = _texts(_fig3())
    fields = [t for t in texts if t.startswith("$(E_x, E_y)")]
    assert len(fields) == 4 and r"$(E_x, E_y) = (0, 32)$" in fields and r"$(E_x, E_y) = (0, 0)$" in fields
    assert not any("E_0" in t or "E_1" in t or "E₀" in t for t in texts)


def _colours_of_category(fig, by_row: bool):
    """{category: set of data colours} of the MI figures' error bars: named by the legend label
    (mi_vs_buffer; unlabelled open markers skipped) or by the row's tick label (``by_row``,
    mi_comparison)."""
    out = {}
    for ax in fig.axes:
        ticks = {int(round(t)): lab.get_text() for t, lab in zip(ax.get_yticks(), ax.get_yticklabels())}
        for c in ax.containers:
            line = c.lines[0]
            if by_row:
                cat = ticks[int(round(float(np.mean(line.get_ydata()))))]
            elif c.get_label().startswith("_"):
                continue
            else:
                cat = c.get_label().split(",")[0]
            out.setdefault(cat, set()).add(mcolors.to_hex(line.get_color()))
    return out


def _contrast(colour) -> float:
    def lin(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = mcolors.to_rgb(colour)
    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return 1.05 / (lum + 0.05)


def test_mi_figures_share_colours_that_show_on_white():
    """Colour names the coarse-graining in both MI figures, the same colour for the same one,
    and every colour has a contrast ≥ 3 against white (the old light yellow had 1.3)."""
    a, b = _colours_of_category(_mi_vs_buffer(), False), _colours_of_category(_mi_comparison(), True)
    assert all(len(v) == 1 for v in (*a.values(), *b.values())), (a, b)
    common = set(a) & set(b)
    assert {"rsmi (variational)", "rsmi (jensen)", "kadanoff", "random"} <= common
    assert all(a[c] == b[c] for c in common), (a, b)
    assert min(_contrast(c) for v in (*a.values(), *b.values()) for c in v) >= 3.0


def test_fig5_band_is_visible():
    """The ±1 s.e. band (about 1 % of the rise in the default run) is at least 8 pt high where
    the curve saturates (panel B), so that it shows beyond the 1.2 pt curve on it (the old
    figure's band on the whole curve was about 4.5 pt high: two faint slivers)."""
    fig = _fig5()
    fig.canvas.draw()
    zooms = [ax for ax in fig.axes if ax.get_title().startswith("zoom")]
    assert len(zooms) == 1
    zx = zooms[0]
    band = [c for c in zx.collections if c.get_label() == "±1 s.e."]
    assert band
    lo, hi = zx.get_ylim()
    se_pt = 2 * 0.036 / (hi - lo) * zx.get_window_extent().height * 72 / fig.dpi
    assert se_pt >= 8.0, se_pt
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert r"$\Delta A_\Lambda = A_\Lambda - A_0$ (nats)" in labels


def test_fig7_error_bars_are_visible():
    """Panels B and C show y − exact on a scale of 2.5 tolerances: the y_t error bars of the
    points on scale are longer than their markers; values beyond it are marked at the edge with
    their value; panel A's legend gives the largest s.e."""
    fig = _fig7()
    fig.canvas.draw()
    bx = next(ax for ax in fig.axes if ax.get_ylabel().startswith("$y_t - 1$"))
    long_bars = []
    for c in bx.containers:
        for seg in c.lines[2][0].get_segments():
            disp = bx.transData.transform(seg)
            long_bars.append(np.ptp(disp[:, 1]) * 72 / fig.dpi > c.lines[0].get_markersize())
    assert long_bars and np.mean(long_bars) > 0.8
    assert {"+0.32", "-0.36"} <= {t.get_text() for t in bx.texts}
    ax = next(a for a in fig.axes if a.get_legend() is not None and a.get_legend().get_title().get_text())
    assert ax.get_legend().get_title().get_text().startswith("±1 s.e. ≤")
    cx = next(ax for ax in fig.axes if ax.get_ylabel().startswith("$y_h - 15/8$"))
    assert [t.get_text() for t in cx.texts if t.get_text().startswith("±1 s.e.")] == ["±1 s.e. ≤ 0.0006\n(within the markers)"]


def test_run_title_is_math_text_and_refuses_other_ids():
    assert P.run_title("model~ising/L_V~2/N_h~1/L_B~1/L_E~1/estimator~jensen") == (
        "ising, $L_V = 2$, $N_h = 1$, $L_B = 1$, $L_E = 1$, jensen")
    with pytest.raises(ValueError, match="key~value"):
        P.run_title("results/runs/model~ising")


def test_run_filters_refuse_a_held_out_history_of_another_length():
    with pytest.raises(ValueError, match="val_history"):
        P.plot_run_filters(np.zeros((2, 2, 1)), np.zeros(11), val_history=np.zeros(5))
