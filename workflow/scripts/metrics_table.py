"""Glue: results/metrics.csv — every run's criteria and null tests, the Fig. 4 verdicts and the
claims on the MI estimates of results/mi.csv."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from rsmi.judge.metrics import figure4_verdict, mi_rows  # noqa: E402
from rsmi.judge.tables import classify, write_table  # noqa: E402

smk = snakemake  # noqa: F821
tables = [pd.read_csv(p, keep_default_na=False, dtype=str) for p in [*smk.input.runs, *smk.input.cd, *smk.input.torus, *smk.input.rg]]
rows = pd.concat(tables, ignore_index=True).to_dict("records")
for n_h, runs in sorted(smk.params.fig4_panels.items()):
    panel = [r for r in rows if r["run"] in runs]
    rows.append(figure4_verdict(panel, f"fig4/N_h~{n_h}"))
rows += mi_rows(pd.read_csv(smk.input.mi).to_dict("records"))
write_table(classify(rows), smk.output[0])
log.info("wrote %d rows", len(rows))
