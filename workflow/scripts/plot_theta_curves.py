"""Glue: draw every Θ-RBM's training curve (held-out log-likelihood per epoch), one PNG per CSV."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from rsmi.figures.files import savefig  # noqa: E402
from rsmi.figures.plotting import plot_training_curve  # noqa: E402
from rsmi.judge.tables import read_other  # noqa: E402

DIAGNOSTIC_DPI = 120  # diagnostics, not paper figures: 0.7 s per figure instead of 0.83 s at 300 dpi

for src, dst in zip(snakemake.input, snakemake.output, strict=True):  # noqa: F821
    read_other(src, "theta_curve")
    fig = plot_training_curve(pd.read_csv(src))
    savefig(fig, dst, dpi=DIAGNOSTIC_DPI)
    plt.close(fig)
    log.info("wrote %s", dst)
