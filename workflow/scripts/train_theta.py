"""Glue: train one Θ-RBM (Θ^V on v, or Θ^VE on [v, e]) and record its held-out quality."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import csv  # noqa: E402
import io  # noqa: E402

import numpy as np  # noqa: E402

from rsmi.windows.data import N_EVAL_WINDOWS, load_windows  # noqa: E402
from rsmi.utils.io import atomic_write_text  # noqa: E402
from rsmi.theta.rbm import RBM, theta_settings  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402

smk = snakemake  # noqa: F821
wc = smk.wildcards
geom = dict(model=smk.params.model, L_V=int(wc.L_V), L_B=int(wc.L_B), L_E=int(wc.L_E))
n_hidden, max_train, hp = theta_settings(smk.params.rbm, wc.part)
win = load_windows(
    smk.input.samples, stride=smk.params.stride, validation_fraction=smk.params.validation_fraction,
    master_seed=smk.params.seed, dataset=wc.dataset, max_train=max_train,
    max_val=N_EVAL_WINDOWS, **geom,
)
if wc.part == "ve":
    X, X_val = np.hstack([win.V_train, win.E_train]), np.hstack([win.V_val, win.E_val])
else:
    X, X_val = win.V_train, win.V_val
seed_seq = derive_seed(smk.params.seed, "theta", wc.dataset, *geom.values(), wc.part)
log.info("training Θ^%s on %d windows of %d units (%d held out), %d hidden units",
         wc.part.upper(), len(X), X.shape[1], len(X_val), n_hidden)
rbm = RBM(n_hidden=n_hidden, seed=seed_seq, **hp).fit(X, X_val=X_val)
rbm.save(smk.output.model)
# the history as CSV with the csv module: pandas' import alone is ~0.4 s of each of 26 jobs
cols = list(rbm.history_)
buf = io.StringIO()
writer = csv.writer(buf, lineterminator="\n")
writer.writerow(cols)
for row in zip(*(np.asarray(rbm.history_[c], dtype=np.float64).tolist() for c in cols)):
    writer.writerow(["" if v != v else v for v in row])  # NaN (not monitored) as an empty field
atomic_write_text(smk.output.curve, buf.getvalue())
log.info("final held-out log-likelihood per window: %s", {c: float(rbm.history_[c][-1]) for c in cols})
