"""rsmi: real-space mutual information coarse-graining (Koch-Janusz & Ringel).

Library behind the Snakemake workflow: Monte Carlo samplers for the critical 2D Ising model
and fully packed dimers with noise, cutting of visible/buffer/environment regions, Θ-RBMs
trained by contrastive divergence, the RSMI (Λ-RBM) network with the paper's proxy A_Λ and a
variational bound, independent I(H:E) estimates, null tests, figure criteria and figures.

Submodules load lazily (``rsmi.sample_ising`` imports ``rsmi.ising`` on first use), so
importing the package stays cheap and numba compiles only what a job uses.
"""

from importlib import import_module

from rsmi.io import CorruptFileError, load_npz, save_npz

__version__ = "0.1.0"

_LAZY = {
    "sample_ising": "rsmi.ising",
    "T_C": "rsmi.ising",
    "energy_per_site": "rsmi.ising",
    "magnetisation_per_site": "rsmi.ising",
    "sample_dimers": "rsmi.dimers",
    "block_field": "rsmi.dimers",
    "field_filters": "rsmi.dimers",
    "fat_site_kinds": "rsmi.dimers",
    "dimer_pattern_log_prob": "rsmi.exact_dimers",
    "cut_regions": "rsmi.regions",
    "region_masks": "rsmi.regions",
    "RBM": "rsmi.rbm",
    "train_rsmi": "rsmi.network",
    "evaluate_proxy": "rsmi.network",
    "train_variational": "rsmi.variational",
    "score_filter": "rsmi.variational",
    "estimate_mi": "rsmi.mi",
    "kadanoff_filter": "rsmi.mi",
    "random_filters": "rsmi.mi",
    "run_null_tests": "rsmi.nulltests",
    "criteria_rows": "rsmi.metrics",
    "FilterResult": "rsmi.results",
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
