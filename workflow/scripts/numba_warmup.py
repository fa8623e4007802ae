"""Glue: compile one group of numba kernels (rsmi.warmup.GROUPS) into the shared on-disk cache."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from rsmi.warmup import warm_up  # noqa: E402

for name, seconds in warm_up(snakemake.wildcards.group):  # noqa: F821
    log.info("compiled %s in %.2f s", name, seconds)
