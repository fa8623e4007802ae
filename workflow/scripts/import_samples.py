"""Glue: store an external data set (a file of 0/1 configurations) as results/samples/<name>.npz."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from rsmi.sampling.external import file_sha256, read_external, spins_of_bits  # noqa: E402
from rsmi.utils.io import save_npz  # noqa: E402

spec = dict(snakemake.params.spec)  # noqa: F821
src = snakemake.input[0]  # noqa: F821
bits = read_external(src, key=spec.get("key"))
configs = spins_of_bits(bits)  # the stored Ising encoding, as rsmi.sampling.ising.sample_ising writes it
meta = dict(spec, dataset=snakemake.wildcards.dataset, L=int(configs.shape[1]), n_samples=int(configs.shape[0]),  # noqa: F821
            sha256=file_sha256(src))
save_npz(snakemake.output[0], meta=meta, configs=configs)  # noqa: F821
log.info("wrote %s: %s configurations of side %s from %s", snakemake.output[0], configs.shape[0], configs.shape[1], src)  # noqa: F821
