"""Glue: concatenate the mi.csv tables (same columns) into results/mi.csv; each one is checked on
read (columns, types, exactly the runs it must hold: rsmi.judge.claims.mi_runs)."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from rsmi.utils.io import atomic_write_text  # noqa: E402
from rsmi.judge.tables import read_mi  # noqa: E402

expected = snakemake.params.expected  # noqa: F821
frames = []
for p in snakemake.input:  # noqa: F821
    if p not in expected:
        raise ValueError(f"{p}: no expectation for this table (rsmi.judge.claims.mi_runs)")
    if read_mi(p, expected[p]):  # a CD-RBM without an estimate writes an empty file
        frames.append(pd.read_csv(p))
table = pd.concat(frames, ignore_index=True)
atomic_write_text(snakemake.output[0], table.to_csv(index=False))  # noqa: F821
log.info("wrote %d rows from %d files", len(table), len(frames))
