"""Glue: the measured tables of the run (results/verdict.md, results/verdict.html and the report
caption results/verdict.rst): every compared row with its value ± SE and verdict. Written whatever
the verdicts are, so the report shows a failing run's verdict too (rsmi.judge.verdict)."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from rsmi.judge.tables import read_metrics  # noqa: E402
from rsmi.judge.verdict import headline, measured_html, measured_markdown, verdict_caption  # noqa: E402
from rsmi.utils.io import atomic_write_text  # noqa: E402

smk = snakemake  # noqa: F821
rows = read_metrics(smk.input.metrics)
atomic_write_text(smk.output.markdown, measured_markdown(rows))
atomic_write_text(smk.output.html, measured_html(rows))
atomic_write_text(smk.output.caption, verdict_caption(rows))
log.info("%s", headline(rows))
