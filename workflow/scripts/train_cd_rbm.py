"""Glue: train the CD RBM of Fig. 6 on dimer + noise blocks."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from rsmi.windows.data import BLOCKS_ONLY, N_EVAL_WINDOWS, load_windows  # noqa: E402
from rsmi.theta.rbm import RBM  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402

smk = snakemake  # noqa: F821
cd, par = smk.params.cd, smk.params
n_hidden = int(smk.wildcards.n_hidden)
win = load_windows(smk.input.samples, model="dimer", L_V=cd["L_V"], **BLOCKS_ONLY, stride=par.windows["stride"],
                   validation_fraction=par.validation_fraction, master_seed=par.seed,
                   dataset=par.windows["samples"], max_val=N_EVAL_WINDOWS)
log.info("CD RBM with %d hidden units on %d blocks of %d sites", n_hidden, len(win.V_train), win.V_train.shape[1])
rbm = RBM(n_hidden=n_hidden, n_epochs=cd["n_epochs"], learning_rate=cd["learning_rate"], batch_size=cd["batch_size"],
          monitor_every=cd.get("monitor_every", 1), seed=derive_seed(par.seed, "cd_rbm", n_hidden),
          verbose=True).fit(win.V_train, X_val=win.V_val)
rbm.save(smk.output[0])
