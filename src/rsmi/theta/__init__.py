"""Stage 3, Θ-RBMs: the Bernoulli–Bernoulli RBM trained by contrastive divergence (``rbm``),
its numba kernels (``kernels``), and its free energy and partition function (``partition``)."""
