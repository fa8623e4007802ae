"""Glue: results/metrics.csv — every run's criteria and null tests, the Fig. 4 verdicts and the
claims on the MI estimates of results/mi.csv."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from rsmi.judge.metrics import figure4_verdict, mi_rows  # noqa: E402
from rsmi.judge.tables import MI_COLUMNS, TableError, classify, read_csv, read_metrics, write_table  # noqa: E402

smk = snakemake  # noqa: F821
sources = [*smk.input.runs, *smk.input.cd, *smk.input.torus, *smk.input.rg]
for p in sources:
    # columns, types, the run it claims to be, every claim that run must have (rsmi.judge.claims)
    run, claims = smk.params.sources[p]
    read_metrics(p, run=run, claims=[tuple(c) for c in claims])
tables = [pd.read_csv(p, keep_default_na=False, dtype=str) for p in sources]
mi_check = read_csv(smk.input.mi, MI_COLUMNS, ints=("L_V", "N_h", "L_B", "L_E"), finite=("mi", "stderr"))
if [r["run"] for r in mi_check] != list(smk.params.mi_runs):
    raise TableError(f"{smk.input.mi}: holds {len(mi_check)} estimates, not the {len(smk.params.mi_runs)} of the "
                     "configuration's runs, baselines and CD-RBMs (rsmi.judge.claims.mi_runs)")
rows = pd.concat(tables, ignore_index=True).to_dict("records")
for n_h, runs in sorted(smk.params.fig4_panels.items()):
    panel = [r for r in rows if r["run"] in runs]
    rows.append(figure4_verdict(panel, f"fig4/N_h~{n_h}"))
rows += mi_rows(pd.read_csv(smk.input.mi).to_dict("records"))
write_table(classify(rows), smk.output[0])
log.info("wrote %d rows", len(rows))
