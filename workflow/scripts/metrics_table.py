"""Glue: results/metrics.csv — every run's criteria and null tests, plus the Fig. 4 verdicts."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from rsmi.metrics import figure4_verdict  # noqa: E402
from rsmi.tables import classify, write_table  # noqa: E402

smk = snakemake  # noqa: F821
tables = [pd.read_csv(p, keep_default_na=False, dtype=str) for p in [*smk.input.runs, *smk.input.cd]]
rows = pd.concat(tables, ignore_index=True).to_dict("records")
for n_h, runs in sorted(smk.params.fig4_panels.items()):
    panel = [r for r in rows if r["run"] in runs]
    rows.append(figure4_verdict(panel, f"fig4/N_h~{n_h}"))
write_table(classify(rows), smk.output[0])
log.info("wrote %d rows", len(rows))
