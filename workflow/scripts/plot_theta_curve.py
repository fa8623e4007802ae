"""Glue: draw a Θ-RBM's training curve (held-out log-likelihood per epoch)."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from rsmi.plotting import plot_training_curve, savefig  # noqa: E402

curve = pd.read_csv(snakemake.input[0])  # noqa: F821
fig = plot_training_curve(curve)
savefig(fig, snakemake.output[0])  # noqa: F821
