"""Glue: Fig. 7, the RG flow and the Ising exponents of the block-spin rules."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from _figures import metrics, table, write  # noqa: E402

from rsmi.figures.plotting import plot_fig7  # noqa: E402
from rsmi.utils.formatting import format_value_se  # noqa: E402
from rsmi.figures.report import caption, criteria_table  # noqa: E402

smk = snakemake  # noqa: F821
exponents, flow = table(smk.input.exponents, "exponents"), table(smk.input.flow, "flow")
levels = "; ".join(f"{r.rule} level {r.level}: y_t {format_value_se(r.y_t, r.y_t_se)}, y_h {format_value_se(r.y_h, r.y_h_se)}"
                   for r in exponents.itertuples())
text = caption(
    "Fig. 7", "The learned 2×2 RSMI rule (Ising, N_h 1), reused at every level, and the majority rule as "
    "block-spin transformations of critical 64×64 configurations: (A) the nearest-neighbour correlation of "
    "the block spins per level from T_c(1 − δ), T_c and T_c(1 + δ), δ = 0.03; (B, C) Swendsen's MCRG "
    "exponents per level (4 even, 2 odd couplings; jackknife SE). The rule as learned sends ties to +1 "
    "(README Findings 7); with its bias set to the symmetric value the same weights give the exact exponents.",
    {"samples at T_c": int(exponents["n_samples"].iloc[0]), "jackknife blocks": int(exponents["n_blocks"].iloc[0]),
     "per level": levels},
    criteria_table(metrics(smk.input.metrics), ["rg"], figures=["7"]),
)
write(plot_fig7(exponents, flow), text, smk.output.pdf, smk.output.png, smk.output.caption)
