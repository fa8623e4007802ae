"""Glue: every run's own plot (objective against epoch, filters at the end), one PNG per run."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import matplotlib.pyplot as plt  # noqa: E402

from rsmi.coarse.results import FilterResult  # noqa: E402
from rsmi.figures.files import savefig  # noqa: E402
from rsmi.figures.plotting import plot_run_filters, run_title  # noqa: E402

DIAGNOSTIC_DPI = 120  # per-run diagnostics, not paper figures

for run, src, dst in zip(snakemake.params.runs, snakemake.input, snakemake.output, strict=True):  # noqa: F821
    res = FilterResult.load(src)
    fig = plot_run_filters(res.weights, res.history, model=res.meta["model"], val_history=res.val_history,
                           title=run_title(run), ylabel=f"objective ({res.meta['estimator']})")
    savefig(fig, dst, dpi=DIAGNOSTIC_DPI)
    plt.close(fig)
    log.info("wrote %s", dst)
