"""Glue: Fig. 6, filters of CD-trained RBMs on dimer + noise blocks."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from _figures import metrics, write  # noqa: E402

from rsmi.sampling.dimers import fat_site_kinds  # noqa: E402
from rsmi.figures.plotting import plot_cd_filters  # noqa: E402
from rsmi.theta.rbm import RBM  # noqa: E402
from rsmi.figures.report import caption, criteria_table  # noqa: E402

smk = snakemake  # noqa: F821
rbms = [RBM.load(p) for p in smk.input.rbms]
L_V = smk.config["cd_rbm"]["L_V"]  # noqa: F821
weights = [rbm.weights_.reshape(L_V, L_V, -1) for rbm in rbms]
labels = [f"{'AB'[i] if i < 2 else i}: N_h={w.shape[2]}" for i, w in enumerate(weights)]
fig = plot_cd_filters(weights, fat_site_kinds(L_V), panel_labels=labels)
runs = [f"cd_rbm/n_hidden~{w.shape[2]}" for w in weights]
text = caption(
    "Fig. 6", "Filters of RBMs trained by contrastive divergence on 8×8 (fat) dimer + noise blocks: "
    "(A) with few hidden units they lock onto the noise pairs; (B) with enough to cover every pair "
    "the others learn dimer textures rather than the staggered field RSMI finds.",
    {"hidden units": [w.shape[2] for w in weights], "epochs": smk.config["cd_rbm"]["n_epochs"]},  # noqa: F821
    criteria_table(metrics(smk.input.metrics), runs, figures=["6"]),
)
write(fig, text, smk.output.pdf, smk.output.png, smk.output.caption)
