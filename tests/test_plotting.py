"""Figures: every drawing function writes non-empty PDF + PNG with coloured data; reruns are byte-identical."""

from __future__ import annotations

import numpy as np
import pytest

from rsmi.figures import files as F
from rsmi.figures import plotting as P
from rsmi.sampling import dimers as D
from rsmi.sampling.dimers import block_field, fat_site_kinds, field_filters, is_perfect_covering


def _write_runs(tmp_path, make, name, runs=2, pdf=True):
    """Build and save the figure `runs` times from scratch; return the first figure and the bytes
    of each run ((pdf, png), or (None, png) without ``pdf``)."""
    out, figs = [], []
    for k in range(runs):
        figs.append(make())
        if pdf:
            pdf_path, png = F.savefig_both(figs[-1], tmp_path / f"run{k}" / name)
            out.append((pdf_path.read_bytes(), png.read_bytes()))
        else:
            out.append((None, F.savefig(figs[-1], tmp_path / f"run{k}" / f"{name}.png").read_bytes()))
    return figs[0], out


def _data_artists(fig) -> int:
    """Number of artists in the figure's axes that carry data: images, non-empty collections,
    lines of at least two points, patches (bars)."""
    n = 0
    for ax in fig.axes:
        n += sum(np.asarray(im.get_array()).size > 0 for im in ax.images)
        n += sum(len(c.get_paths()) > 0 or len(c.get_offsets()) > 0 for c in ax.collections)
        n += sum(len(ln.get_xdata()) >= 2 for ln in ax.lines)
        n += len(ax.patches)
    return n


def _coloured_fraction(fig) -> float:
    """Share of the rendered figure's pixels that are coloured (not white, grey or black),
    with colour bars and legends hidden: the colour must come from the drawn data."""
    for ax in fig.axes:
        if getattr(ax, "_colorbar", None) is not None:
            ax.set_visible(False)
        elif ax.get_legend() is not None:
            ax.get_legend().set_visible(False)
    for legend in fig.legends:
        legend.set_visible(False)
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    return float(((rgb.max(axis=2) - rgb.min(axis=2)) > 40).mean())


def _check(tmp_path, make, name, twice=False):
    """Write the figure's PNG, and when `twice` its PDF and PNG twice, comparing the bytes: every
    figure is saved by the same ``savefig``/``savefig_both``, so two figures checked twice guard
    the PDF writer and the reproducibility of all (a PDF costs ~1-2 s of font subsetting)."""
    fig, runs = _write_runs(tmp_path, make, name, runs=2 if twice else 1, pdf=twice)
    pdf1, png1 = runs[0]
    assert png1.startswith(b"\x89PNG") and len(png1) > 1000
    assert b"Software" not in png1
    if twice:
        assert pdf1.startswith(b"%PDF") and len(pdf1) > 1000
        assert all(r == runs[0] for r in runs[1:])
        assert b"CreationDate" not in pdf1 and b"ModDate" not in pdf1
    # Something is drawn: data artists, and coloured ink (every figure of the package draws
    # its data in colour; a blank figure or bare axes has none). The sparsest figure
    # (mi_comparison) is about 0.4 % coloured. Checked last: it hides colour bars and legends.
    assert _data_artists(fig) > 0, f"{name}: no data drawn"
    frac = _coloured_fraction(fig)
    assert frac > 0.002, f"{name}: only {frac:.2%} of the figure is coloured data"
    return pdf1, png1


@pytest.mark.parametrize("content,match", [(None, "no data drawn"), pytest.param("grey line", "coloured data", marks=pytest.mark.slow)])
def test_check_rejects_blank_figures(tmp_path, content, match):
    def blank():
        with F.style_context():
            fig = F.new_figure(3, 2)
            ax = fig.subplots()
            ax.set_title("nothing here")
            if content == "grey line":
                ax.plot([0, 1], [0, 1], color="0.5")
        return fig

    with pytest.raises(AssertionError, match=match):
        _check(tmp_path, blank, "blank")


def test_style_file_ships_with_the_package():
    assert F.style_path().is_file()
    with F.style_context():
        import matplotlib

        assert matplotlib.rcParams["pdf.fonttype"] == 42
        assert matplotlib.rcParams["savefig.dpi"] == 300


def test_savefig_both_is_atomic_and_keeps_dots(tmp_path):
    with F.style_context():
        fig = F.new_figure(2, 2)
        fig.subplots().plot([0, 1], [0, 1])
    pdf, png = F.savefig_both(fig, tmp_path / "sub" / "fig~Lv.2")
    assert pdf.name == "fig~Lv.2.pdf" and png.name == "fig~Lv.2.png"
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["fig~Lv.2.pdf", "fig~Lv.2.png"]  # no temp files
    assert (pdf.stat().st_mode & 0o777) == 0o644


def test_savefig_pair_keeps_the_constrained_layout(tmp_path):
    """The PDF is drawn with the positions the PNG's constrained layout computed: re-saving the PNG
    after the pair gives the same bytes, and they differ from a draw without the layout pass."""
    def build(layout=True):
        with F.style_context():
            fig = F.new_figure(3, 2)
            ax = fig.subplots()
            ax.imshow(np.arange(12.0).reshape(3, 4))
            ax.set_ylabel("a long label\non two lines")
            if not layout:
                fig.set_layout_engine("none")
        return fig

    fig = build()
    pdf, png = F.savefig_pair(fig, tmp_path / "a.pdf", tmp_path / "a.png")
    assert pdf.exists()
    assert F.savefig(fig, tmp_path / "b.png").read_bytes() == png.read_bytes()
    assert F.savefig(build(layout=False), tmp_path / "c.png").read_bytes() != png.read_bytes()


def test_ising_filter_grid(tmp_path):
    rng = np.random.default_rng(0)
    rows = [[np.ones((2, 2))], [rng.normal(size=(2, 2)) for _ in range(4)], [rng.normal(size=(6, 6, 1))]]
    titles = [["A"], ["h0", "h1", "h2", "h3"], ["6x6"]]
    _check(tmp_path, lambda: P.plot_filter_grid(rows, titles, row_labels="ABC"), "fig2")
    fig = P.plot_filter_grid([np.ones((2, 2)), -np.ones((4, 4))], ["a", "b"], ncols=1)
    assert len([ax for ax in fig.axes if ax.images]) == 2
    with pytest.raises(ValueError, match="titles"):
        P.plot_filter_grid([np.ones((2, 2))], ["a", "b"])
    with pytest.raises(ValueError, match="one filter"):
        P.plot_filter_grid([np.ones((2, 2, 3))])


def test_filter_is_normalised_per_panel():
    with F.style_context():
        fig = F.new_figure(2, 2)
        ax = fig.subplots()
        im = P.draw_ising_filter(ax, np.array([[2.0, -4.0], [1.0, 0.0]]))
    np.testing.assert_allclose(im.get_array(), [[0.5, -1.0], [0.25, 0.0]])
    assert im.norm.vmin == -1 and im.norm.vmax == 1


def test_hand_built_coverings():
    for L in (2, 4, 8):
        st, co = D.staggered_covering(L), D.columnar_covering(L)
        assert is_perfect_covering(st) and is_perfect_covering(co)
        np.testing.assert_allclose(block_field(st), [0.0, L * L / 2])
        np.testing.assert_allclose(block_field(co), [0.0, 0.0])
        np.testing.assert_allclose(block_field(D.staggered_covering(L, axis=0)), [L * L / 2, 0.0])
        assert is_perfect_covering(D.columnar_covering(L, axis=0))
    with pytest.raises(ValueError, match="even"):
        D.staggered_covering(3)


def test_fig3(tmp_path):
    from rsmi.sampling.dimers import sample_dimers

    samples = sample_dimers(4, 2, seed=3)
    _check(tmp_path, lambda: P.plot_fig3(samples, L_hand=4), "fig3")
    # the workflow's samples (32×32, cropped): the two top titles must not overlap
    big = sample_dimers(32, 2, seed=3)
    fig = P.plot_fig3(big)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    boxes = [ax.title.get_window_extent(r) for ax in fig.axes if ax.get_title().startswith("sample")]
    assert len(boxes) == 2 and boxes[0].x1 < boxes[1].x0, [b.bounds for b in boxes]
    # a broken noise pair is drawn (in red) rather than hidden
    bad = samples[0].copy()
    bad[1, 1] = 1 - bad[0, 0]
    for fat, n_red in ((samples[0], 0), (bad, 1)):
        fig = P.plot_dimer_configs([fat], ["broken pair"])
        # the wiggly noise-pair connectors (the lattice lines are straight two-point segments)
        (connectors,) = [c for c in fig.axes[0].collections
                         if type(c).__name__ == "LineCollection" and len(c.get_segments()[0]) > 2]
        assert len(connectors.get_segments()) == 16  # one per vertex of the 8x8 fat (4x4) lattice
        red = np.all(connectors.get_colors() == (1.0, 0.0, 0.0, 1.0), axis=1)
        assert red.sum() == n_red and red[0] == (n_red == 1)  # the pair at vertex (0, 0)
    with pytest.raises(ValueError, match="bits"):
        P.plot_dimer_configs([np.full((8, 8), 2)])


def test_dimer_filters(tmp_path):
    ff = field_filters(8)
    rows = [[ff[:, :, 0], ff[:, :, 1]], [ff[:, :, 0] + ff[:, :, 1], -ff[:, :, 1], ff[:, :, 0], 0.1 * ff[:, :, 1]]]
    _check(tmp_path, lambda: P.plot_dimer_filters(rows, row_labels=["A", "B"]), "fig4")


def test_history_with_snapshots(tmp_path):
    t = np.arange(201)
    h = 1 - np.exp(-t / 30.0)
    err = np.full(201, 0.01)
    err[::2] = np.nan
    snaps = np.stack([np.full((6, 6, 1), e + 1.0) for e in (0, 10, 100, 190)])
    _check(tmp_path, lambda: P.plot_history_with_snapshots(h, err, snaps, [0, 10, 100, 190], val_history=h - 0.01), "fig5", twice=True)
    fig = P.plot_history_with_snapshots(h, err, snaps[:3], [0, 10, 100])  # 190 missing: nearest (100) shown
    assert [ax.get_title() for ax in fig.axes if ax.images] == ["epoch 0", "epoch 10", "epoch 100", "epoch 100"]
    with pytest.raises(ValueError, match="snapshots"):
        P.plot_history_with_snapshots(h, err, snaps, [0, 10])


def test_cd_filters(tmp_path):
    rng = np.random.default_rng(1)
    few = rng.normal(size=(16, 2))
    many = rng.normal(size=(16, 5))
    kinds = fat_site_kinds(4)
    _check(tmp_path, lambda: P.plot_cd_filters([few, many], kinds, ncols=4), "fig6")
    fig = P.plot_cd_filters(few, kinds)
    w0 = few[:, 0].reshape(4, 4)
    share = (w0[np.isin(kinds, (0, 1))] ** 2).sum() / (w0**2).sum()
    assert f"$h_{{1}}$ {share:.0%}" in [ax.get_title() for ax in fig.axes]
    with pytest.raises(ValueError, match="block"):
        P.plot_cd_filters(rng.normal(size=(64, 2)), kinds)


def _mi_df():
    pd = pytest.importorskip("pandas")
    rows = []
    for model, lv in (("ising", 4), ("dimer", 8)):
        for lb in (1, 2):
            for filt, est, mi in (("rsmi", "variational", 0.3), ("kadanoff", "-", 0.2), ("random", "-", 0.05),
                                  ("random", "-", 0.07), ("cd-rbm", "-", 0.01)):
                if model == "dimer" and filt == "kadanoff":
                    continue
                rows.append(dict(run=f"{model}/{lb}", model=model, L_V=lv, N_h=1, L_B=lb, estimator=est,
                                 filter=filt, mi=mi / lb, stderr=0.01))
    return pd.DataFrame(rows)


def test_mi_figures(tmp_path):
    df = _mi_df()
    _check(tmp_path, lambda: P.plot_mi_vs_buffer(df), "mi_vs_buffer")
    _check(tmp_path, lambda: P.plot_mi_comparison(df, L_B={"ising": 1, "dimer": 2}), "mi_comparison")
    with pytest.raises(ValueError, match="stderr"):
        P.plot_mi_vs_buffer(df.drop(columns="stderr"))
    with pytest.raises(ValueError, match="no rows"):
        P.plot_mi_comparison(df, L_B=7)


def test_mi_vs_buffer_legend_names_every_curve_and_leaves_out_single_points():
    pd = pytest.importorskip("pandas")
    df = _mi_df()
    single = dict(run="x", model="ising", L_V=2, N_h=4, L_B=1, estimator="jensen", filter="rsmi", mi=0.4, stderr=0.01)
    fig = P.plot_mi_vs_buffer(pd.concat([df, pd.DataFrame([single])], ignore_index=True))
    axes = {ax.get_title(): ax for ax in fig.axes}
    texts = [t.get_text() for t in axes["ising"].get_legend().get_texts()]
    assert texts == ["rsmi (variational), $L_V = 4$, $N_h = 1$", "kadanoff, $L_V = 4$, $N_h = 1$",
                     "random, $L_V = 4$, $N_h = 1$ (mean of 2)", "cd-rbm, $L_V = 4$, $N_h = 1$"]
    assert len(axes["ising"].get_legend().get_texts()) == len(axes["ising"].containers)
    # a grid without a buffer scan (the small test config): the panel says so instead of failing
    empty = P.plot_mi_vs_buffer(pd.DataFrame([single]))
    assert "two or more" in " ".join(t.get_text() for t in empty.axes[0].texts)
    assert not empty.axes[0].containers


def test_training_curve(tmp_path):
    pd = pytest.importorskip("pandas")
    curve = pd.DataFrame({"epoch": np.arange(6.0), "val_loglik": -10 + np.log1p(np.arange(6.0)),
                          "val_loglik_err": np.full(6, 0.1), "train_pseudo_loglik": -9 + 0.1 * np.arange(6.0),
                          "weight_rms": np.ones(6), "lr": np.ones(6), "seconds": np.arange(6.0)})
    _check(tmp_path, lambda: P.plot_training_curve(curve), "curve", twice=True)
    p = F.savefig(P.plot_training_curve(curve.assign(val_loglik=np.nan)), tmp_path / "one.png")
    assert p.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="suffix|end in"):
        F.savefig(P.plot_training_curve(curve), tmp_path / "x.svg")


def test_savefig_dpi_sets_the_raster_size(tmp_path):
    """``dpi`` scales a PNG's pixels (tight bbox: about linearly); None keeps the style's 300."""
    import struct

    def size(p):
        return struct.unpack(">II", p.read_bytes()[16:24])  # IHDR width, height

    curve = {"epoch": np.arange(4.0), "val_loglik": -np.arange(4.0)}
    w300, h300 = size(F.savefig(P.plot_training_curve(curve), tmp_path / "a.png"))
    w120, h120 = size(F.savefig(P.plot_training_curve(curve), tmp_path / "b.png", dpi=120))
    assert w120 / w300 == pytest.approx(0.4, abs=0.02) and h120 / h300 == pytest.approx(0.4, abs=0.02)
    for bad in (0, -1, True, "300"):
        with pytest.raises(ValueError, match="dpi"):
            F.savefig(P.plot_training_curve(curve), tmp_path / "c.png", dpi=bad)
