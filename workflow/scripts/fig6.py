"""Glue: Fig. 6, filters of CD-trained RBMs on dimer + noise blocks."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from _figures import metrics, write  # noqa: E402

from rsmi.sampling.dimers import fat_site_kinds  # noqa: E402
from rsmi.figures.plotting import fig6_panels, plot_cd_filters  # noqa: E402
from rsmi.theta.rbm import RBM  # noqa: E402
from rsmi.figures.report import caption, criteria_table  # noqa: E402

smk = snakemake  # noqa: F821
rbms = [RBM.load(p) for p in smk.input.rbms]
L_V = smk.config["cd_rbm"]["L_V"]  # noqa: F821
weights = {f"cd_rbm/n_hidden~{rbm.weights_.shape[1]}": rbm.weights_.reshape(L_V, L_V, -1) for rbm in rbms}
m = metrics(smk.input.metrics)
panels = fig6_panels(m.to_dict("records"), list(weights))  # ordered and headed by the claims they carry
fig = plot_cd_filters([weights[run] for run, _ in panels], fat_site_kinds(L_V), panel_labels=[h for _, h in panels])
runs = [run for run, _ in panels]
text = caption(
    "Fig. 6", "Filters of RBMs trained by contrastive divergence on 8×8 (fat) dimer + noise blocks: "
    "(A) with few hidden units they lock onto the noise pairs; (B) with enough to cover every pair "
    "the others learn dimer textures rather than the staggered field RSMI finds. Each panel is headed by "
    "the claim it carries; the N_h 4 panel (last) is a recorded finding (README Findings 3).",
    {"hidden units": [w.shape[2] for w in weights.values()], "epochs": smk.config["cd_rbm"]["n_epochs"]},  # noqa: F821
    criteria_table(m, runs, figures=["6"]),
)
write(fig, text, smk.output.pdf, smk.output.png, smk.output.caption)
