"""Shared by the figure glue scripts: read the metrics table, write figure and caption."""

from __future__ import annotations

import pandas as pd

from rsmi.utils.io import atomic_write_text
from rsmi.figures.files import savefig_pair
from rsmi.judge.tables import MI_COLUMNS, read_csv, read_metrics, read_other


def metrics(path) -> pd.DataFrame:
    """results/metrics.csv, checked on read (rsmi.tables.read_metrics), as strings."""
    read_metrics(path)
    return pd.read_csv(path, keep_default_na=False, dtype=str)


def table(path, kind: str) -> pd.DataFrame:
    """A table of rsmi.tables.OTHER_TABLES or ``"mi"``, checked on read."""
    if kind == "mi":
        read_csv(path, MI_COLUMNS, ints=("L_V", "N_h", "L_B", "L_E"), finite=("mi", "stderr"))
    else:
        read_other(path, kind)
    return pd.read_csv(path)


def write(fig, caption_text, out_pdf, out_png, out_caption) -> None:
    savefig_pair(fig, out_pdf, out_png)
    atomic_write_text(out_caption, caption_text)
