"""Glue: figure criteria, null tests and the independent I(H:E) estimate of one run."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from rsmi.windows.data import N_EVAL_WINDOWS, load_samples, load_windows  # noqa: E402
from rsmi.utils.io import atomic_write_text  # noqa: E402
from rsmi.judge.metrics import criteria_rows  # noqa: E402
from rsmi.judge.tables import record_only, write_table  # noqa: E402
from rsmi.coarse.mi import estimate_mi_with_subcodes, subcode_summary  # noqa: E402
from rsmi.judge.nulltests import run_null_tests, shuffle_environments  # noqa: E402
from rsmi.windows.regions import cut_regions  # noqa: E402
from rsmi.theta.rbm import RBM  # noqa: E402
from rsmi.coarse.results import FilterResult  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402

smk = snakemake  # noqa: F821
wc, inp, par = smk.wildcards, smk.input, smk.params
run = par.run
geom = dict(model=wc.model, L_V=int(wc.L_V), L_B=int(wc.L_B), L_E=int(wc.L_E))
proxy = wc.estimator not in ("variational", "exact")
max_train = par.proxy.get("max_train_windows")
window_kw = dict(stride=par.windows["stride"], validation_fraction=par.validation_fraction,
                 master_seed=par.seed, max_train=max_train, max_val=N_EVAL_WINDOWS, **geom)

result = FilterResult.load(inp.rsmi)
win = load_windows(inp.samples, dataset=par.windows["samples"], **window_kw)
log.info("criteria on %d held-out windows (figure run: %s)", len(win.V_val), par.figure_run)
rows = criteria_rows(run, wc.model, result, data=win.V_val, figures=None if par.figure_run else [])

# Null tests (docs/method.md §4b) under the run's own estimator and under the independent classifier.
own_data = None  # where the run's own estimator scores the null tests, if not on (V, E, G)
pairs = None
if wc.estimator == "exact":
    from rsmi.coarse.exact_proxy import load_pairs
    from rsmi.judge.metrics import exact_measure_rows

    _, pairs, _ = load_pairs(inp.pairs)  # scored on its held-out pairs (the monitor's)
    rows += exact_measure_rows(run, pairs)
if wc.model == "dimer":
    V, E, G = win.V_val, win.E_val, win.G_val
    theta = (RBM.load(inp.theta_v), RBM.load(inp.theta_ve)) if proxy else (None, None)
    if proxy and "null_samples" in inp.keys():
        # the proxy's null tests on an independent data set: every window of every configuration
        configs, _ = load_samples(inp.null_samples)
        Vn, En = cut_regions(configs, stride=par.windows["stride"], **geom)
        own_data = (Vn, En, np.repeat(np.arange(len(configs)), len(Vn) // len(configs)))
elif par.paramagnet:
    pm = load_windows(inp.paramagnet, dataset=par.paramagnet, **window_kw)
    V, E, G = pm.V_val, pm.E_val, pm.G_val
    theta = (RBM.load(inp.paramagnet_theta_v), RBM.load(inp.paramagnet_theta_ve)) if proxy else (None, None)
else:
    # no paramagnet (data of unknown physics): the run's held-out blocks with the environments of
    # other configurations, independent by construction (rsmi.judge.nulltests.shuffle_environments)
    V, G = win.V_val, win.G_val
    E = shuffle_environments(win.E_val, G, derive_seed(par.seed, "shuffle", run))
    theta = (RBM.load(inp.theta_v), RBM.load(inp.theta_ve)) if proxy else (None, None)
ising_null = "paramagnet" if wc.model == "dimer" or par.paramagnet else "shuffled"
# The proxy scores fixed filters with evaluate_proxy's own Monte Carlo effort (256 posterior
# samples per h-state), not the training's per-step K: a null test must not drown in noise.
proxy_kwargs = {"path": par.proxy["path"]} if proxy else {}
for est in (wc.estimator, "classifier"):
    Vx, Ex, Gx = own_data if est == wc.estimator and own_data is not None else (V, E, G)
    log.info("null tests under the %s estimator on %d windows", est, len(Vx))
    null = run_null_tests(Vx, Ex, model=wc.model, estimator=est, theta_v=theta[0], theta_ve=theta[1], groups=Gx,
                          seed=derive_seed(par.seed, "null", run, est), run=run,
                          proxy_kwargs=proxy_kwargs if est == wc.estimator and proxy else None,
                          own_filter=(result.weights, result.biases) if est == wc.estimator else None,
                          L_B=geom["L_B"], pairs=pairs if est == "exact" else None, ising_null=ising_null)
    for r in null:
        r["criterion"] = f"{r['criterion']}[{est}]"
    rows += record_only(null)  # rows of decided findings: recorded, not gated (rsmi.judge.tables.RECORDED)
write_table(rows, smk.output.metrics)

# the code and (N_h > 1) its 1- and 2-unit sub-codes on one split: the data-processing check
mi, subs = estimate_mi_with_subcodes(result.weights, result.biases, win.V_val, win.E_val,
                                     seed=derive_seed(par.seed, "mi", run), groups=win.G_val)
for s in subs:
    log.info("sub-code %s: %.4f +- %.4f; code - sub-code %+.4f +- %.4f", s["units"], s["mi"], s["stderr"],
             s["diff"], s["diff_se"])
table = pd.DataFrame([dict(run=run, model=wc.model, L_V=geom["L_V"], N_h=int(wc.N_h), L_B=geom["L_B"],
                           L_E=geom["L_E"], estimator=wc.estimator, filter="rsmi", method="classifier", **mi,
                           **subcode_summary(mi, subs))])
atomic_write_text(smk.output.mi, table.to_csv(index=False))
log.info("I(H:E) >= %.4f +- %.4f nats; %d criteria rows", mi["mi"], mi["stderr"], len(rows))
