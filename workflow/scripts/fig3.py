"""Glue: Fig. 3, dimer configurations with noise pairs; staggered and columnar fields."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from _figures import write  # noqa: E402

from rsmi.windows.data import load_samples  # noqa: E402
from rsmi.figures.plotting import plot_fig3  # noqa: E402
from rsmi.figures.report import caption  # noqa: E402

smk = snakemake  # noqa: F821
configs, meta = load_samples(smk.input.samples)
fig = plot_fig3(configs[:2])
text = caption(
    "Fig. 3", "(A) Two configurations from the project's worm sampler (top-left corner of the "
    "torus): dimers as bars, the noise pairs (vertex and face bits, always equal) as linked dots. "
    "(B) A staggered covering (uniform field E) and a columnar one (E = 0) with their block fields.",
    {"data set": meta.get("dataset"), "vertices per side": meta.get("L"), "noise": meta.get("noise"),
     "seed": meta.get("master_seed")},
)
write(fig, text, smk.output.pdf, smk.output.png, smk.output.caption)
