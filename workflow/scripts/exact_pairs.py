"""Glue: the windows of one dimer geometry paired with pool blocks, and their exact g (rsmi.coarse.exact_proxy)."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from rsmi.windows.data import N_EVAL_WINDOWS, load_samples, load_windows  # noqa: E402
from rsmi.coarse.exact_proxy import build_pairs, save_pairs  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402

smk = snakemake  # noqa: F821
wc, par = smk.wildcards, smk.params
geom = dict(L_V=int(wc.L_V), L_B=int(wc.L_B), L_E=int(wc.L_E))
settings = dict(par.pairs)
win = load_windows(smk.input.samples, model="dimer", stride=par.windows["stride"],
                   validation_fraction=par.validation_fraction, master_seed=par.seed, dataset=wc.dataset,
                   max_train=settings["train_windows"], max_val=min(settings["eval_windows"], N_EVAL_WINDOWS), **geom)
pool, _ = load_samples(smk.input.pool)
train, ev = build_pairs(win, pool, stride=par.windows["stride"], seed=derive_seed(par.seed, "exact_pairs", wc.dataset, *geom.values()),
                        log=log.info, **geom, **settings)
frac, se = ev.incompatible_fraction()
log.info("incompatible (block, environment) pairs: %.4f +- %.4f; windows without a compatible pair: %d, %d",
         frac, se, train.n_dropped, ev.n_dropped)
save_pairs(smk.output[0], train, ev, meta=dict(dataset=wc.dataset, **geom, **settings, seed=par.seed))
