"""Shared by the figure glue scripts: read the metrics table, write figure and caption."""

from __future__ import annotations

import pandas as pd

from rsmi.utils.io import atomic_write_text
from rsmi.figures.files import savefig_pair


def metrics(path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, dtype=str)


def write(fig, caption_text, out_pdf, out_png, out_caption) -> None:
    savefig_pair(fig, out_pdf, out_png)
    atomic_write_text(out_caption, caption_text)
