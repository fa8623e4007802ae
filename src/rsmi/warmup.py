"""Compile every numba kernel of the library once, on tiny inputs.

The workflow's ``numba_warmup`` rule calls :func:`warm_up` before any other job, so the
kernels land in the shared on-disk cache (``NUMBA_CACHE_DIR``) once instead of being compiled
by many concurrent jobs at the same time.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator

import numpy as np

__all__ = ["warm_up"]


def _ising() -> None:
    from rsmi.ising import sample_ising

    sample_ising(4, 2.5, 2, seed=0, burn_in=1, gap=1)


def _dimers() -> None:
    from rsmi.dimers import sample_dimers

    sample_dimers(4, 2, seed=0, burn_in=1, gap=1)


def _rbm() -> None:
    from rsmi.rbm import RBM

    X = np.random.default_rng(0).integers(0, 2, size=(64, 6))
    rbm = RBM(n_hidden=3, n_epochs=1, batch_size=16, seed=0).fit(X, X_val=X[:8])
    rbm.sample(2, gibbs_steps=1, seed=0)


STEPS: list[tuple[str, Callable[[], None]]] = [
    ("Ising Wolff sampler", _ising),
    ("dimer worm sampler", _dimers),
    ("RBM contrastive divergence", _rbm),
]


def warm_up() -> Iterator[tuple[str, float]]:
    """Run every step; yield (name, seconds) as each finishes."""
    for name, step in STEPS:
        t0 = time.perf_counter()
        step()
        yield name, time.perf_counter() - t0
