"""Glue: write results/runs.csv, one row per grid point (parameters and paths)."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from rsmi.utils.io import atomic_write_text  # noqa: E402

table = pd.DataFrame(snakemake.params.rows)  # noqa: F821
atomic_write_text(snakemake.output[0], table.to_csv(index=False))  # noqa: F821
log.info("wrote %d runs", len(table))
