"""Glue: Fig. 2, RSMI filters of the critical Ising model."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from _figures import metrics, write  # noqa: E402

from rsmi.figures.plotting import plot_fig2  # noqa: E402
from rsmi.figures.report import caption, criteria_table, null_summary  # noqa: E402
from rsmi.coarse.results import FilterResult  # noqa: E402

smk = snakemake  # noqa: F821
r2x2_1, r2x2_4, r4_1, r4_4, r6_1 = (FilterResult.load(p) for p in smk.input.runs)


fig = plot_fig2(r2x2_1.weights, r2x2_4.weights, r4_1.weights, r4_4.weights, r6_1.weights)
runs = list(smk.params.runs)
r = r6_1.meta
m = metrics(smk.input.metrics)
text = caption(
    "Fig. 2", "RSMI filters λ of the critical 2D Ising model (each normalised by its max|λ|): "
    "(A) 2×2 block, N_h 1 — Kadanoff's block spin; (B) 2×2, N_h 4; (C) 4×4, N_h 1; (D) 4×4, N_h 4; "
    "(E) 6×6, N_h 1: with A and C above it, N_h 1 for 2×2, 4×4 and 6×6 — the boundary coupling.",
    {"runs": ", ".join(runs), "estimator": "jensen (the paper's A_Λ)", "epochs (6×6)": len(r6_1.history) - 1,
     "training windows (6×6)": r.get("n_train_windows")},
    criteria_table(m, runs, figures=["2A", "2B", "2C-E"]) + null_summary(m, runs),
)
write(fig, text, smk.output.pdf, smk.output.png, smk.output.caption)
