"""Compile every numba kernel of the library once, on tiny inputs.

The workflow's ``numba_warmup`` jobs (one per group of :data:`GROUPS`) call :func:`warm_up`
before the jobs that use the kernels, so the kernels land in the shared on-disk cache
(``NUMBA_CACHE_DIR``) once instead of being compiled by many concurrent jobs at the same time.

Each step goes through the public entry point the workflow uses (so the kernels are compiled
for the argument types the workflow passes). Covered: every ``@njit`` dispatcher of the
library modules except

* ``inline="always"`` helpers (``utils.xoshiro.rotl``/``next_u64``, ``coarse.kernels._softplus``):
  numba inlines them into their callers and never compiles them on their own;
* ``rsmi.sampling.ising_reference`` and ``rsmi.sampling.dimers_reference``: plain twins only the tests call.

``tests/test_warmup.py`` checks this in a fresh interpreter.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator

import numpy as np

__all__ = ["warm_up"]


def _ising() -> None:
    from rsmi.sampling.ising import sample_ising

    sample_ising(4, 2.5, 2, seed=0, burn_in=1, gap=1)


def _dimers() -> None:
    from rsmi.sampling.dimers import sample_dimers

    sample_dimers(4, 2, seed=0, burn_in=1, gap=1)


def _torus_rows() -> None:
    from rsmi.sampling.exact_mi import sample_torus_rows

    sample_torus_rows(2, 3, 2.5, 2, seed=0)


def _rbm() -> None:
    from rsmi.theta.rbm import RBM

    X = np.random.default_rng(0).integers(0, 2, size=(64, 6))
    rbm = RBM(n_hidden=3, n_epochs=1, batch_size=16, seed=0).fit(X, X_val=X[:8])
    rbm.sample(2, gibbs_steps=1, seed=0)


def _ais() -> None:
    from rsmi.theta.rbm import RBM

    # The fit's monitor uses AIS only for RBMs too large to enumerate; force it here.
    X = np.random.default_rng(0).integers(0, 2, size=(64, 6))
    rbm = RBM(n_hidden=3, n_epochs=1, batch_size=16, seed=0).fit(X)
    rbm.log_partition(method="ais", n_ais_runs=2, n_ais_betas=4, seed=0)


def _pooled() -> None:
    from rsmi.coarse.network import train_rsmi
    from rsmi.theta.rbm import RBM

    # The pooled path: the pool's Gibbs chains (RBM kernels) and the pair kernels.
    rng = np.random.default_rng(0)
    V = rng.integers(0, 2, size=(32, 4)).astype(np.uint8)
    E = rng.integers(0, 2, size=(32, 4)).astype(np.uint8)
    kw = dict(n_hidden=2, n_epochs=1, batch_size=16, seed=0)
    theta_v = RBM(**kw).fit(V)
    theta_ve = RBM(**kw).fit(np.concatenate([V, E], axis=1))
    train_rsmi(V, E, theta_v, theta_ve, 1, path="pooled", n_epochs=1, batch_size=16, n_pool=64, pairs=4,
               pool_chains=16, pool_burn_in=1, pool_thin=1, n_eval=16, seed=0)


def _network_mc() -> None:
    from rsmi.coarse.network import train_rsmi
    from rsmi.theta.rbm import RBM

    # Θ-RBMs built from parameters, not fitted: this group compiles no RBM kernel, so it can run
    # beside the "rbm" group without compiling the same kernel twice.
    rng = np.random.default_rng(0)
    V = rng.integers(0, 2, size=(32, 4)).astype(np.uint8)
    E = rng.integers(0, 2, size=(32, 4)).astype(np.uint8)
    theta_v = RBM.from_parameters(0.1 * rng.standard_normal((4, 2)), np.zeros(4), np.zeros(2))
    theta_ve = RBM.from_parameters(0.1 * rng.standard_normal((8, 2)), np.zeros(8), np.zeros(2))
    # The Monte Carlo path runs the heat-bath kernel and, for A_Λ, the G-matrix kernel that is
    # all the exact path compiles (same argument types).
    train_rsmi(V, E, theta_v, theta_ve, 1, path="mc", n_epochs=1, batch_size=16, n_mc=2, mc_burn_in=1,
               eval_rounds=1, n_eval=16, seed=0)


def _variational() -> None:
    from rsmi.coarse.variational import train_variational

    # the softmax critic with the exact entropy (the default for N_h <= 6) and the Adam step
    rng = np.random.default_rng(0)
    V = rng.integers(0, 2, size=(32, 4)).astype(np.uint8)
    E = rng.integers(0, 2, size=(32, 4)).astype(np.uint8)
    train_variational(V, E, 1, n_epochs=1, batch_size=16, seed=0)


#: Steps by group. Groups compile disjoint sets of kernels, so the workflow's warm-up jobs run
#: in parallel without compiling one kernel twice; "samplers" is all the sampling jobs wait for.
GROUPS: dict[str, list[tuple[str, Callable[[], None]]]] = {
    "samplers": [("Ising Wolff sampler", _ising), ("dimer worm sampler", _dimers),
                 ("exact torus row sampler", _torus_rows)],
    "rbm": [("RBM contrastive divergence", _rbm), ("RBM annealed importance sampling", _ais),
            ("RSMI pooled path", _pooled)],
    "network": [("RSMI Monte Carlo path", _network_mc), ("variational bound", _variational)],
}
def warm_up(groups=None) -> Iterator[tuple[str, float]]:
    """Run the steps of ``groups`` (default: every group); yield (name, seconds) as each finishes."""
    names = list(GROUPS) if groups is None else [groups] if isinstance(groups, str) else list(groups)
    unknown = [g for g in names if g not in GROUPS]
    if unknown:
        raise ValueError(f"unknown warm-up group(s) {unknown}; known: {sorted(GROUPS)}")
    for name, step in (step for g in names for step in GROUPS[g]):
        t0 = time.perf_counter()
        step()
        yield name, time.perf_counter() - t0
