"""Glue: Fig. 6 criteria of a CD-trained RBM, compared with the RSMI filters of Fig. 4."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from rsmi.windows.data import N_EVAL_WINDOWS, load_windows  # noqa: E402
from rsmi.utils.io import atomic_write_text  # noqa: E402
from rsmi.judge.metrics import criteria_rows, meeting_runs  # noqa: E402
from rsmi.judge.tables import read_metrics, write_table  # noqa: E402
from rsmi.coarse.mi import MAX_HIDDEN, estimate_mi_with_subcodes, subcode_summary  # noqa: E402
from rsmi.theta.rbm import RBM  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402

smk = snakemake  # noqa: F821
par = smk.params
n_hidden = int(smk.wildcards.n_hidden)
run = f"cd_rbm/n_hidden~{n_hidden}"
L_V = par.cd["L_V"]

# Field R² of the RSMI filters to compare with: those of the runs that meet the Fig. 4 claim
# (every criterion and their own null tests), or, if none does, of every Fig. 4 run (the
# comparison is then noted as such).
for p in smk.input.fig4_metrics:  # checked on read: columns, types, the run of its path
    read_metrics(p, run=p.split("runs/", 1)[1].rsplit("/metrics.csv", 1)[0])
fig4 = pd.concat([pd.read_csv(p, keep_default_na=False) for p in smk.input.fig4_metrics])
fig4["figure"] = fig4.figure.astype(str)
meeting, _, _ = meeting_runs(fig4.to_dict("records"))
fig4 = fig4[fig4.figure == "4"]
chosen = meeting or sorted(fig4.run.unique())
r2 = fig4[fig4.run.isin(chosen) & fig4.criterion.str.startswith("field_r2_h")].value.astype(float).tolist()
log.info("comparing with the field R² of %s (%s)", chosen, "runs meeting Fig. 4" if meeting else "no run meets Fig. 4")

rbm = RBM.load(smk.input.rbm)
geom = dict(model="dimer", L_V=L_V, L_B=L_V // 2, L_E=L_V // 2)  # the Fig. 4 window
win = load_windows(smk.input.samples, dataset=par.windows["samples"], stride=par.windows["stride"],
                   validation_fraction=par.validation_fraction, master_seed=par.seed, max_train=1,
                   max_val=N_EVAL_WINDOWS, **geom)
rows = criteria_rows(run, "cd", rbm, data=win.V_val, rsmi_r2=r2 or None)
write_table(rows, smk.output.metrics)

mi_rows = []
if n_hidden <= MAX_HIDDEN:
    w = rbm.weights_.reshape(L_V, L_V, n_hidden)
    mi, subs = estimate_mi_with_subcodes(w, rbm.hidden_bias_, win.V_val, win.E_val, seed=derive_seed(par.seed, "mi", run),
                                         groups=win.G_val)
    for s in subs:
        log.info("sub-code %s: %.4f +- %.4f; code - sub-code %+.4f +- %.4f", s["units"], s["mi"], s["stderr"],
                 s["diff"], s["diff_se"])
    mi_rows.append(dict(run=run, **geom, N_h=n_hidden, estimator="-", filter="cd-rbm", method="classifier", **mi,
                        **subcode_summary(mi, subs)))
    log.info("I(H:E) of the CD filters >= %.4f +- %.4f nats", mi["mi"], mi["stderr"])
else:
    log.info("N_h=%d > %d: no classifier I(H:E) for this RBM", n_hidden, MAX_HIDDEN)
atomic_write_text(smk.output.mi, pd.DataFrame(mi_rows).to_csv(index=False))
