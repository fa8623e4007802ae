"""Glue: draw one data set of Monte Carlo samples and store it with its parameters and seed."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import numpy as np  # noqa: E402

from rsmi.sampling.dimers import sample_dimers  # noqa: E402
from rsmi.utils.io import save_npz  # noqa: E402
from rsmi.sampling.ising import sample_ising  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402

spec = dict(snakemake.params.spec)  # noqa: F821
dataset = snakemake.wildcards.dataset  # noqa: F821
seed_seq = derive_seed(snakemake.params.seed, "sample", dataset)  # noqa: F821
kw = {k: spec[k] for k in ("burn_in", "gap", "noise") if spec.get(k) is not None}  # else the sampler's default
if spec["model"] == "ising":
    configs = sample_ising(spec["L"], spec["T"], spec["n_samples"], seed=seed_seq, **kw)
else:
    configs = sample_dimers(spec["L"], spec["n_samples"], seed=seed_seq, **kw)
meta = dict(spec, dataset=dataset, master_seed=snakemake.params.seed, seed_spawn_key=list(seed_seq.spawn_key))  # noqa: F821
save_npz(snakemake.output[0], meta=meta, configs=np.asarray(configs))  # noqa: F821
log.info("wrote %s: %s configurations of side %s", snakemake.output[0], configs.shape[0], configs.shape[1])  # noqa: F821
