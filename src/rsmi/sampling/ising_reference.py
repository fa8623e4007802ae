"""Reference twin of :mod:`rsmi.sampling.ising` and exact enumeration of tiny tori.

:func:`sample_ising_reference` is the plain, obviously correct numba Wolff algorithm: a
boolean cluster-membership array, neighbours by modulo arithmetic, one ``np.random.random()``
per bond test, numba's generator seeded inside the kernel from a draw of the caller's
``numpy.random.Generator``. It has the signature, the time unit and the schedule of
:func:`rsmi.sampling.ising.sample_ising` (only its random numbers differ), is what the tests compare
the fast kernel against, and is the baseline of ``benchmarks/bench_ising.py``.

:func:`enumerate_states`, :func:`exact_distribution` and :func:`exact_energy_histogram`
enumerate all 2^(L²) states of an L×L periodic torus (L ≤ 4) in plain NumPy and give exact
Boltzmann probabilities.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from rsmi.sampling.ising import check_sampler_args, energy_per_site, magnetisation_per_site, run_sampler

__all__ = ["sample_ising_reference", "enumerate_states", "exact_distribution",
           "exact_energy_histogram", "exact_magnetisation_moments"]


@njit(cache=True)
def _seed_numba(seed):
    # numba keeps its own (thread-local) Mersenne Twister; np.random.seed here seeds that one.
    np.random.seed(seed)


@njit(cache=True)
def _reference_updates(spins, L, n_updates, p_add):
    """``n_updates`` textbook Wolff updates on spins (L, L); returns the spins flipped."""
    in_cluster = np.zeros((L, L), dtype=np.bool_)
    stack_x = np.empty(L * L, dtype=np.int64)
    stack_y = np.empty(L * L, dtype=np.int64)
    flipped = 0
    for _u in range(n_updates):
        x0 = np.random.randint(0, L)
        y0 = np.random.randint(0, L)
        s0 = spins[x0, y0]
        in_cluster[x0, y0] = True
        stack_x[0] = x0
        stack_y[0] = y0
        top = 1
        members = 1
        while top > 0:
            top -= 1
            x = stack_x[top]
            y = stack_y[top]
            for d in range(4):
                if d == 0:
                    nx, ny = (x + 1) % L, y
                elif d == 1:
                    nx, ny = (x - 1) % L, y
                elif d == 2:
                    nx, ny = x, (y + 1) % L
                else:
                    nx, ny = x, (y - 1) % L
                if spins[nx, ny] == s0 and not in_cluster[nx, ny]:
                    if np.random.random() < p_add:
                        in_cluster[nx, ny] = True
                        stack_x[top] = nx
                        stack_y[top] = ny
                        top += 1
                        members += 1
        # Flip the cluster and clear the membership marks.
        for x in range(L):
            for y in range(L):
                if in_cluster[x, y]:
                    spins[x, y] = -s0
                    in_cluster[x, y] = False
        flipped += members
    return flipped


@njit(cache=True)
def _reference_chain(spins, L, n_burn, n_gap, p_add, out):
    flipped = _reference_updates(spins, L, n_burn, p_add)
    for n in range(out.shape[0]):
        flipped += _reference_updates(spins, L, n_gap, p_add)
        # Global spin flip with probability 1/2 (exact: H(-s) = H(s)), as in rsmi.sampling.ising.
        if np.random.random() < 0.5:
            spins[:, :] = -spins
        out[n, :, :] = spins
    return flipped


def _numba_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**32 - 1))


def _reference_runner(L, T, rng):
    from rsmi.sampling.ising import p_add

    p = p_add(T)
    seed = _numba_seed(rng)
    seeded = [False]

    def run(spins, n_updates):
        if not seeded[0]:
            _seed_numba(seed)
            seeded[0] = True
        return int(_reference_updates(spins.reshape(L, L), L, n_updates, p))

    return run


def _reference_chain_runner(L, T, rng):
    from rsmi.sampling.ising import p_add

    p = p_add(T)
    seed = _numba_seed(rng)
    seeded = [False]

    def run(spins, n_burn, n_gap, out):
        # Seed once, before the first chunk: numba's generator state carries over between
        # calls on this thread, so chunking does not change the stream.
        if not seeded[0]:
            _seed_numba(seed)
            seeded[0] = True
        return _reference_chain(spins.reshape(L, L), L, n_burn, n_gap, p,
                                out.reshape(out.shape[0], L, L))

    return run


def sample_ising_reference(L: int, T: float, n_samples: int, *, seed, burn_in: int | None = None,
                           gap: int | None = None, progress=None) -> np.ndarray:
    """Reference twin of :func:`rsmi.sampling.ising.sample_ising` (same arguments, unit and schedule).

    Textbook Wolff: seed site uniform, each aligned neighbour of a cluster site not yet in
    the cluster joins with probability p_add = 1 - exp(-2/T) (one ``np.random.random()`` per
    such bond test), then the cluster flips. Before each stored sample the lattice is flipped
    globally with probability 1/2. Returns int8 (n_samples, L, L) of ±1.
    """
    L, T, n_samples, rng, burn_in, gap = check_sampler_args(L, T, n_samples, seed, burn_in, gap)
    return run_sampler(L, T, n_samples, rng, burn_in, gap, make_runner=_reference_runner,
                       chain=_reference_chain_runner, progress=progress,
                       name="sample_ising_reference")


# ----------------------------------------------------------------------------------------------
# Exact enumeration


def enumerate_states(L: int) -> np.ndarray:
    """All 2^(L²) spin states of the L×L torus as int8 (2^(L²), L, L); state n has
    s_site = +1 where bit ``site`` of n is 1 (site = x·L + y), else -1. L ≤ 4."""
    if isinstance(L, bool) or not isinstance(L, (int, np.integer)):
        raise TypeError(f"L must be an integer, got {type(L).__name__}")
    if not 2 <= L <= 4:
        raise ValueError(f"L must be 2, 3 or 4 for exact enumeration (2^(L²) states), got {L}")
    N = L * L
    n = np.arange(2**N, dtype=np.int64)[:, None]
    bits = (n >> np.arange(N, dtype=np.int64)) & 1
    return (2 * bits - 1).astype(np.int8).reshape(-1, L, L)


def exact_distribution(L: int, T: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Boltzmann probabilities p(s) = exp(-H(s)/T) / Z of every state of the L×L torus.

    Returns (probabilities (2^(L²),), energies per site (2^(L²),)) in the order of
    :func:`enumerate_states`.
    """
    T = float(T)
    if not np.isfinite(T) or T <= 0:
        raise ValueError(f"T must be a finite temperature > 0, got {T}")
    states = enumerate_states(L)
    e = energy_per_site(states)
    logw = -e * (L * L) / T
    w = np.exp(logw - logw.max())
    return w / w.sum(), e


def exact_energy_histogram(L: int, T: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact distribution of the total energy E = H(s): (levels E (ascending), P(E))."""
    p, e = exact_distribution(L, T)
    E = np.rint(e * L * L).astype(np.int64)
    levels, inv = np.unique(E, return_inverse=True)
    return levels, np.bincount(inv, weights=p)


def exact_magnetisation_moments(L: int, T: float) -> dict[str, float]:
    """Exact ⟨e⟩, ⟨|m|⟩, ⟨m²⟩ per site on the L×L torus by enumeration."""
    p, e = exact_distribution(L, T)
    m = magnetisation_per_site(enumerate_states(L))
    return {"e": float(p @ e), "abs_m": float(p @ np.abs(m)), "m2": float(p @ m**2)}
