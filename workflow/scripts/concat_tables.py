"""Glue: concatenate tidy CSV tables (same columns) into one."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from rsmi.utils.io import atomic_write_text  # noqa: E402

frames = [pd.read_csv(p) for p in snakemake.input if open(p).read().strip()]  # noqa: F821
table = pd.concat(frames, ignore_index=True)
atomic_write_text(snakemake.output[0], table.to_csv(index=False))  # noqa: F821
log.info("wrote %d rows from %d files", len(table), len(frames))
