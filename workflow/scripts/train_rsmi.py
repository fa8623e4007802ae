"""Glue: train the RSMI filter of one grid point with its estimator and store the result."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from rsmi.windows.data import N_EVAL_WINDOWS, load_windows  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402

smk = snakemake  # noqa: F821
wc = smk.wildcards
geom = dict(model=wc.model, L_V=int(wc.L_V), L_B=int(wc.L_B), L_E=int(wc.L_E))
n_hidden, estimator = int(wc.N_h), wc.estimator
settings = dict(smk.params.settings)
if estimator == "exact":
    # the exact dimer measure: the windows and their pool pairs come from rule exact_pairs
    from rsmi.coarse.exact_proxy import load_pairs, train_exact

    train, ev, pmeta = load_pairs(smk.input.pairs)
    log.info("training exact filter, N_h=%d, on %d windows x %d pairs (%d held out)", n_hidden, train.n_windows,
             train.idx.shape[1], ev.n_windows)
    result = train_exact(train, ev, n_hidden, block_shape=(geom["L_V"], geom["L_V"]), log=log.info,
                         seed=derive_seed(smk.params.seed, "rsmi", *geom.values(), n_hidden, estimator), **settings)
    result.meta.update(geom, N_h=n_hidden, estimator=estimator, master_seed=smk.params.seed)
    result.save(smk.output[0])
    log.info("wrote %s; held-out I = %.4f", smk.output[0], result.val_history[-1])
    sys.exit(0)
max_train = settings.pop("max_train_windows")
win = load_windows(
    smk.input.samples, stride=smk.params.windows["stride"], validation_fraction=smk.params.validation_fraction,
    master_seed=smk.params.seed, dataset=smk.params.windows["samples"], max_train=max_train,
    max_val=N_EVAL_WINDOWS, **geom,
)
seed_seq = derive_seed(smk.params.seed, "rsmi", *geom.values(), n_hidden, estimator)
common = dict(block_shape=(geom["L_V"], geom["L_V"]), V_val=win.V_val, E_val=win.E_val, seed=seed_seq)
log.info("training %s filter, N_h=%d, on %d windows (%d held out)", estimator, n_hidden, len(win.V_train), len(win.V_val))
if estimator == "variational":
    from rsmi.coarse.variational import train_variational

    result = train_variational(win.V_train, win.E_train, n_hidden, **common, **settings)
else:
    from rsmi.coarse.network import train_rsmi
    from rsmi.theta.rbm import RBM

    theta_v, theta_ve = RBM.load(smk.input.theta_v), RBM.load(smk.input.theta_ve)
    result = train_rsmi(win.V_train, win.E_train, theta_v, theta_ve, n_hidden, objective=estimator, **common, **settings)
result.meta.update(geom, N_h=n_hidden, estimator=estimator, master_seed=smk.params.seed,
                   n_train_windows=len(win.V_train), n_val_windows=len(win.V_val))
result.save(smk.output[0])
log.info("wrote %s; final objective %.5g", smk.output[0], result.history[-1])
