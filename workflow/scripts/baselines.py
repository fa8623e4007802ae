"""Glue: the independent I(H:E) of Kadanoff's majority rule (Ising) and random filters."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from rsmi.windows.data import N_EVAL_WINDOWS, load_windows  # noqa: E402
from rsmi.utils.io import atomic_write_text  # noqa: E402
from rsmi.coarse.mi import estimate_mi, kadanoff_filter, random_filters, subcode_summary  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402

smk = snakemake  # noqa: F821
wc, par = smk.wildcards, smk.params
geom = dict(model=wc.model, L_V=int(wc.L_V), L_B=int(wc.L_B), L_E=int(wc.L_E))
win = load_windows(smk.input.samples, dataset=par.windows["samples"], stride=par.windows["stride"],
                   validation_fraction=par.validation_fraction, master_seed=par.seed, max_train=1,
                   max_val=N_EVAL_WINDOWS, **geom)
tag = "/".join(f"{k}~{v}" for k, v in geom.items())
filters = []
if wc.model == "ising":
    filters.append(("kadanoff", *kadanoff_filter(geom["L_V"])))
for k in range(par.n_random):
    filters.append((f"random{k}", *random_filters(geom["L_V"], 1, derive_seed(par.seed, "random filter", tag, k))))
rows = []
for name, w, b in filters:
    mi = estimate_mi(w, b, win.V_val, win.E_val, seed=derive_seed(par.seed, "mi", tag, name), groups=win.G_val)
    log.info("%s: I(H:E) >= %.4f +- %.4f nats", name, mi["mi"], mi["stderr"])
    rows.append(dict(run=f"baseline/{tag}/{name}", **geom, N_h=1, estimator="-",
                     filter="kadanoff" if name == "kadanoff" else "random", method="classifier", **mi,
                     **subcode_summary(mi, [])))  # one unit: no sub-codes, the columns every mi.csv has
atomic_write_text(smk.output[0], pd.DataFrame(rows).to_csv(index=False))
