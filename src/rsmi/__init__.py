"""rsmi: real-space mutual information coarse-graining (Koch-Janusz & Ringel).

Library behind the Snakemake workflow: Monte Carlo samplers for the critical 2D Ising model
and fully packed dimers with noise, cutting of visible/buffer/environment regions, Θ-RBMs
trained by contrastive divergence, the RSMI (Λ-RBM) network with the paper's proxy A_Λ and a
variational bound, independent I(H:E) estimates, null tests, figure criteria and figures.

Submodules load lazily (``rsmi.sample_ising`` imports ``rsmi.sampling.ising`` on first use), so
importing the package stays cheap and numba compiles only what a job uses.
"""

from importlib import import_module

from rsmi.utils.io import CorruptFileError, load_npz, save_npz

__version__ = "0.1.0"

_LAZY = {
    "sample_ising": "rsmi.sampling.ising",
    "T_C": "rsmi.sampling.ising",
    "energy_per_site": "rsmi.sampling.ising",
    "magnetisation_per_site": "rsmi.sampling.ising",
    "sample_dimers": "rsmi.sampling.dimers",
    "block_field": "rsmi.sampling.dimers",
    "field_filters": "rsmi.sampling.dimers",
    "fat_site_kinds": "rsmi.sampling.dimers",
    "dimer_pattern_log_prob": "rsmi.sampling.exact_dimers",
    "cut_regions": "rsmi.windows.regions",
    "region_masks": "rsmi.windows.regions",
    "RBM": "rsmi.theta.rbm",
    "train_rsmi": "rsmi.coarse.network",
    "evaluate_proxy": "rsmi.coarse.network",
    "train_variational": "rsmi.coarse.variational",
    "score_filter": "rsmi.coarse.variational",
    "estimate_mi": "rsmi.coarse.mi",
    "kadanoff_filter": "rsmi.coarse.mi",
    "random_filters": "rsmi.coarse.mi",
    "run_null_tests": "rsmi.judge.nulltests",
    "criteria_rows": "rsmi.judge.metrics",
    "FilterResult": "rsmi.coarse.results",
}

__all__ = ["CorruptFileError", "load_npz", "save_npz", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rsmi' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
