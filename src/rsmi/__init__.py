"""rsmi: real-space mutual information coarse-graining (Koch-Janusz & Ringel).

Library behind the Snakemake workflow: Monte Carlo samplers for the critical 2D Ising model
and fully packed dimers with noise, cutting of visible/buffer/environment regions, Θ-RBMs
trained by contrastive divergence, and the RSMI (Λ-RBM) network.
"""

from rsmi.io import CorruptFileError, load_npz, save_npz

__version__ = "0.1.0"

__all__ = ["CorruptFileError", "load_npz", "save_npz", "__version__"]
