"""Critical 2D Ising model: a fast single-cluster (Wolff) sampler.

Model: an L×L square lattice with periodic boundaries, spins s = ±1,

    H(s) = -J Σ_<ij> s_i s_j,   J = 1, k_B = 1,

sampled from the Boltzmann distribution p(s) ∝ exp(-H(s)/T). The critical temperature is
T_c = 2 / ln(1 + √2) (Onsager).

Algorithm (Wolff 1989). Pick a seed site i; grow a cluster of spins aligned with s_i by
adding each aligned neighbour of a cluster site with probability

    p_add = 1 - exp(-2β),   β = 1/T,

then flip the whole cluster. Each bond between a cluster site and an aligned neighbour is
tested exactly once, which gives detailed balance with respect to the Boltzmann weight for
any seed-site distribution that does not depend on the spins.

Time unit. A single Wolff update flips ⟨|C|⟩ spins on average, which at T_c is a fraction of
the lattice that shrinks with L. Chains are therefore measured in *sweep-equivalents*: one
unit is k = L² / ⟨|C|⟩ cluster updates (so it flips about L² spins on average), and n units
are ⌈n·k⌉ updates. ⟨|C|⟩ is estimated once per call on a separate, discarded pilot chain;
the main chain then samples at deterministic times (fixed numbers of updates). Ending a unit
when the flipped-spin count first reaches L² would sample at a state-dependent time and bias
the samples toward ordered states (large clusters are more likely to end a unit), so it is
not done.

Global flip. Before each sample is stored the whole lattice is flipped with probability 1/2,
an exact Monte Carlo move (symmetric proposal, H(-s) = H(s)). Below T_c almost every Wolff
cluster is the whole lattice, so without it the sign of m would follow the parity of the
number of updates: measured at L = 4, T = 1.2 the sign of m of stored samples had τ_int ≈ 11
samples at the default gap, and the chi-square test of the (E, M) histogram failed.

The defaults ``burn_in=None``/``gap=None`` come from the measured integrated autocorrelation
times at T_c (see the repository's ``docs/ising_autocorrelation.md`` and
``experiments/ising_autocorrelation.py``).

Fast kernel. xoshiro256** random numbers kept in registers, bond tests as one unsigned 64-bit
integer comparison against ⌊p_add·2⁶⁴⌋, evaluated without branches (alignment and acceptance
are coin flips a branch predictor cannot learn), spins flipped when pushed (no visited
array), an int32 stack preallocated once, neighbours by bit masks when L is a power of two
and by precomputed tables otherwise. ``rsmi.sampling.ising_reference`` holds the plain twin the tests
compare against and the benchmark measures against.
"""

from __future__ import annotations

import logging
import math
import numbers
import time
from typing import Callable

import numpy as np
from numba import njit

from rsmi.utils.xoshiro import make_rng, next_u64, seed_words
from rsmi.utils.validation import check_int_strict

__all__ = [
    "T_C",
    "DEFAULT_BURN_IN",
    "DEFAULT_GAP",
    "sample_ising",
    "energy_per_site",
    "magnetisation_per_site",
    "updates_per_sweep",
    "default_schedule",
    "check_sampler_args",
    "run_sampler",
]

logger = logging.getLogger("rsmi.sampling.ising")

#: Onsager's critical temperature of the square-lattice Ising model, 2 / ln(1 + √2).
T_C: float = 2.0 / math.log1p(math.sqrt(2.0))

#: Default burn-in in sweep-equivalents for L ≤ 128 (docs/ising_autocorrelation.md: ≥ 70 × the
#: largest τ_int measured at T_c for L = 32 … 128, τ_int(E, L=128) = 2.8).
DEFAULT_BURN_IN: int = 200

#: Default gap between stored samples in sweep-equivalents for L ≤ 128 (≥ 5 × the largest
#: τ_int measured at T_c for L = 32 … 128, so successive samples are effectively independent).
DEFAULT_GAP: int = 15

# τ_int(E) at T_c grows about as L^0.52 in sweep-equivalents between L = 32 and 128; beyond
# the measured range the defaults grow as L^0.6 to keep a margin.
_DEFAULT_SCALING_EXPONENT = 0.6
_DEFAULT_MEASURED_L = 128


def default_schedule(L: int) -> tuple[int, int]:
    """(burn_in, gap) in sweep-equivalents used when ``sample_ising`` gets ``None``.

    ``(DEFAULT_BURN_IN, DEFAULT_GAP)`` for L ≤ 128 (the measured range); for larger L both are
    scaled by (L/128)^0.6, rounded up.
    """
    f = max(1.0, L / _DEFAULT_MEASURED_L) ** _DEFAULT_SCALING_EXPONENT
    return int(math.ceil(DEFAULT_BURN_IN * f)), int(math.ceil(DEFAULT_GAP * f))

# Pilot chain that fixes k (cluster updates per sweep-equivalent): warm up for this many
# sweeps' worth of flipped spins, then average cluster sizes over the next so many.
_PILOT_WARMUP_SWEEPS = 20
_PILOT_MEASURE_SWEEPS = 200

# Samples are produced in chunks between which progress is reported (and the GIL is free to
# handle signals); a chunk is sized to about this many sweep-equivalent spin flips.
_CHUNK_SPIN_FLIPS = 50_000_000
_LOG_INTERVAL_S = 10.0


# ----------------------------------------------------------------------------------------------
# Input validation and seeding (shared with rsmi.sampling.ising_reference)


def check_sampler_args(L, T, n_samples, seed, burn_in, gap) -> tuple[int, float, int, np.random.Generator, int, int]:
    """Validate sampler arguments; return (L, T, n_samples, rng, burn_in, gap)."""
    L = check_int_strict("L", L, 2)
    if isinstance(T, (bool, np.bool_)) or not isinstance(T, numbers.Real):
        raise TypeError(f"T must be a real number, got {type(T).__name__} {T!r}")
    T = float(T)
    if not math.isfinite(T) or T <= 0.0:
        raise ValueError(f"T must be a finite temperature > 0, got {T}")
    n_samples = check_int_strict("n_samples", n_samples, 1)
    default_burn_in, default_gap = default_schedule(L)
    burn_in = default_burn_in if burn_in is None else check_int_strict("burn_in", burn_in, 0)
    # gap = 0 would return copies of one configuration, never what a caller wants.
    gap = default_gap if gap is None else check_int_strict("gap", gap, 1)
    rng = make_rng(seed)
    return L, T, n_samples, rng, burn_in, gap


def p_add(T: float) -> float:
    """Wolff bond probability p_add = 1 - exp(-2J/T)."""
    return -math.expm1(-2.0 / T)


def _threshold(T: float) -> np.uint64:
    """Integer threshold t with P(r < t) = t / 2⁶⁴ ≈ p_add for r uniform on [0, 2⁶⁴)."""
    t = int(p_add(T) * 2.0**64)  # exact: p·2⁶⁴ is a float with ≤ 53 significant bits
    return np.uint64(min(t, 2**64 - 1))


def _neighbour_table(L: int) -> np.ndarray:
    """(L², 4) int32 periodic neighbours of flat site i = x·L + y: right, left, down, up."""
    idx = np.arange(L * L, dtype=np.int64).reshape(L, L)
    nbr = np.stack([np.roll(idx, -1, axis=1), np.roll(idx, 1, axis=1),
                    np.roll(idx, -1, axis=0), np.roll(idx, 1, axis=0)], axis=-1)
    return nbr.reshape(L * L, 4).astype(np.int32)


# ----------------------------------------------------------------------------------------------
# Fast kernel


@njit(cache=True)
def _wolff_updates(spins, nbr, log2L, n_updates, thr, state, stack):
    """Run ``n_updates`` Wolff cluster updates in place; return the number of spins flipped.

    spins: flat int8 (L²,); nbr: (L², 4) int32 table, used only when ``log2L < 0``;
    thr: uint64 bond threshold; state: uint64[4] xoshiro256** state (advanced in place);
    stack: int32 (L²,) work space.
    """
    N = spins.shape[0]
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
    nN = np.uint64(N)
    sh32 = np.uint64(32)
    pow2 = log2L >= 0
    Lm = 0
    Nm = N - 1
    L = 0
    if pow2:
        L = 1 << log2L
        Lm = L - 1
    flipped = 0
    for _u in range(n_updates):
        # xoshiro256** step; the seed site by multiply-shift of the top 32 bits. Its tiny
        # non-uniformity (≤ L²/2³²) is harmless: Wolff satisfies detailed balance for any
        # seed distribution that does not depend on the spins.
        r, s0, s1, s2, s3 = next_u64(s0, s1, s2, s3)
        i = np.int32(((r >> sh32) * nN) >> sh32)
        sc = spins[i]
        spins[i] = -sc  # flip on push: a flipped site no longer matches sc, so is never re-added
        stack[0] = i
        sp = 1
        size = 1
        while sp > 0:
            sp -= 1
            j = stack[sp]
            for d in range(4):
                if pow2:
                    # Neighbours by masks: no division, no table load.
                    if d == 0:
                        k = (j & ~Lm) | ((j + 1) & Lm)
                    elif d == 1:
                        k = (j & ~Lm) | ((j - 1) & Lm)
                    elif d == 2:
                        k = (j + L) & Nm
                    else:
                        k = (j - L) & Nm
                else:
                    k = nbr[j, d]
                # Branch-free bond test: a random number is drawn for every neighbour (unused
                # when it is anti-aligned), because the outcomes of both tests are
                # unpredictable and mispredicted branches cost more than the draw.
                r, s0, s1, s2, s3 = next_u64(s0, s1, s2, s3)
                sk = spins[k]
                acc = np.int32((sk == sc) & (r < thr))
                spins[k] = sk * np.int8(1 - 2 * acc)
                # Always write, advance only on acceptance. In bounds: the sp pending sites
                # are distinct flipped sites other than j, so sp ≤ L² - 1.
                stack[sp] = k
                sp += acc
                size += acc
        flipped += size
    state[0] = s0
    state[1] = s1
    state[2] = s2
    state[3] = s3
    return flipped


@njit(cache=True)
def _next_u64(state):
    """One xoshiro256** output from the state array (advanced in place)."""
    r, state[0], state[1], state[2], state[3] = next_u64(state[0], state[1], state[2], state[3])
    return r


@njit(cache=True)
def _wolff_chain(spins, nbr, log2L, thr, state, n_burn, n_gap, out):
    """Run ``n_burn`` cluster updates, then store the spins every ``n_gap`` updates into ``out``,
    each time after a global spin flip with probability 1/2 (see the module docstring).

    ``out``: int8 (n, L²). Returns the number of spins flipped by cluster updates.
    """
    stack = np.empty(spins.shape[0], dtype=np.int32)
    flipped = _wolff_updates(spins, nbr, log2L, n_burn, thr, state, stack)
    for n in range(out.shape[0]):
        flipped += _wolff_updates(spins, nbr, log2L, n_gap, thr, state, stack)
        if _next_u64(state) >> np.uint64(63):
            for i in range(spins.shape[0]):
                spins[i] = -spins[i]
        out[n, :] = spins
    return flipped


def _geometry(L: int) -> tuple[np.ndarray, int]:
    log2L = L.bit_length() - 1 if L & (L - 1) == 0 else -1
    nbr = _neighbour_table(L) if log2L < 0 else np.zeros((1, 4), dtype=np.int32)
    return nbr, log2L


def _pilot_updates_per_sweep(L: int, T: float, rng: np.random.Generator, run_updates) -> float:
    """k = L² / ⟨|C|⟩ with ⟨|C|⟩ measured on a discarded pilot chain.

    ``run_updates(spins, n_updates) -> flipped`` advances the pilot chain.
    """
    N = L * L
    spins = np.ones(N, dtype=np.int8)  # cold start, see run_sampler
    done = 0
    while done < _PILOT_WARMUP_SWEEPS * N:
        done += run_updates(spins, max(1, N // 64))
    flipped = 0
    count = 0
    while flipped < _PILOT_MEASURE_SWEEPS * N:
        n = max(1, N // 64)
        flipped += run_updates(spins, n)
        count += n
    return N * count / flipped


def _n_updates(units: int, k: float) -> int:
    """Cluster updates in ``units`` sweep-equivalents of k updates each: ⌈units·k⌉."""
    return int(math.ceil(units * k - 1e-9))


def updates_per_sweep(L: int, T: float, *, seed) -> float:
    """Cluster updates per sweep-equivalent, k = L² / ⟨|C|⟩, as sample_ising uses.

    ⟨|C|⟩ (mean Wolff cluster size at temperature T) is measured on a pilot chain seeded from
    ``seed``; ``sample_ising(L, T, n, seed=seed)`` uses the same k.
    """
    L, T, _, rng, _, _ = check_sampler_args(L, T, 1, seed, None, None)
    return _pilot_updates_per_sweep(L, T, rng, _fast_runner(L, T, rng))


def _fast_runner(L: int, T: float, rng: np.random.Generator):
    nbr, log2L = _geometry(L)
    thr = _threshold(T)
    state = seed_words(rng)
    stack = np.empty(L * L, dtype=np.int32)

    def run(spins, n_updates):
        return int(_wolff_updates(spins, nbr, log2L, n_updates, thr, state, stack))

    return run


def run_sampler(L, T, n_samples, rng, burn_in, gap, *, make_runner, chain, progress, name):
    """Shared driver of the fast sampler and its reference twin.

    Random draws from ``rng``, in order: the pilot chain's generator state, the main chain's.
    ``chain(spins, n_burn, n_gap, out) -> flipped`` (numbers of cluster updates).

    Both chains start cold (all spins +1). From a random (infinite-temperature) start Wolff
    clusters at T_c stay tiny for thousands of updates while domains coarsen (measured: at
    L = 128 the energy per site is still -0.25 after 300 updates, vs. -1.42 in equilibrium),
    so a burn-in counted in updates would be far too short; from the ordered state the first
    clusters span the lattice and the energy reaches its equilibrium range within ~10 updates.
    """
    N = L * L
    k = _pilot_updates_per_sweep(L, T, rng, make_runner(L, T, rng))
    n_burn, n_gap = _n_updates(burn_in, k), _n_updates(gap, k)
    spins = np.ones(N, dtype=np.int8)
    run_chain = chain(L, T, rng)
    out = np.empty((n_samples, N), dtype=np.int8)
    per_sample = max(1, gap * N)
    chunk = max(1, _CHUNK_SPIN_FLIPS // per_sample)
    t0 = last = time.perf_counter()
    logger.debug("%s: L=%d T=%.6g k=%.3f cluster updates per sweep, burn_in=%d (%d updates), "
                 "gap=%d (%d updates), n=%d", name, L, T, k, burn_in, n_burn, gap, n_gap, n_samples)
    start = 0
    while start < n_samples:
        stop = min(n_samples, start + chunk)
        run_chain(spins, n_burn if start == 0 else 0, n_gap, out[start:stop])
        start = stop
        now = time.perf_counter()
        if progress is not None:
            progress(start, n_samples)
        if now - last >= _LOG_INTERVAL_S and start < n_samples:
            logger.info("%s L=%d T=%.6g: %d/%d samples (%.0f s)", name, L, T, start, n_samples, now - t0)
            last = now
    return out.reshape(n_samples, L, L)


def _fast_chain(L, T, rng):
    nbr, log2L = _geometry(L)
    thr = _threshold(T)
    state = seed_words(rng)

    def run(spins, n_burn, n_gap, out):
        return _wolff_chain(spins, nbr, log2L, thr, state, n_burn, n_gap, out)

    return run


def sample_ising(L: int, T: float, n_samples: int, *, seed, burn_in: int | None = None,
                 gap: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Sample the periodic L×L Ising model, p(s) ∝ exp(Σ_<ij> s_i s_j / T), with Wolff updates.

    Parameters
    ----------
    L : int ≥ 2
        Linear lattice size.
    T : float > 0
        Temperature (J = k_B = 1); ``T_C`` is critical.
    n_samples : int ≥ 1
        Number of configurations returned.
    seed : int ≥ 0, numpy.random.SeedSequence or numpy.random.Generator
        All randomness derives from it; the same seed gives byte-identical output.
    burn_in : int ≥ 0, optional
        Sweep-equivalents discarded before the first sample (default: ``DEFAULT_BURN_IN``
        for L ≤ 128, see :func:`default_schedule`).
    gap : int ≥ 1, optional
        Sweep-equivalents between stored samples (default: ``DEFAULT_GAP`` for L ≤ 128). One
        sweep-equivalent is k = L²/⟨|C|⟩ Wolff cluster updates, ⟨|C|⟩ the mean cluster size
        at (L, T) from a pilot chain (see :func:`updates_per_sweep`); n sweep-equivalents are
        ⌈n·k⌉ updates.
    progress : callable(done, total), optional
        Called after each chunk of samples. Independently, runs longer than ~10 s log
        progress at INFO level on the ``rsmi.sampling.ising`` logger.

    Returns
    -------
    numpy.ndarray of int8, shape (n_samples, L, L), entries ±1; s[n, x, y] with periodic
    neighbours (x±1, y) and (x, y±1).
    """
    L, T, n_samples, rng, burn_in, gap = check_sampler_args(L, T, n_samples, seed, burn_in, gap)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable(done, total) or None, got {type(progress).__name__}")
    return run_sampler(L, T, n_samples, rng, burn_in, gap, make_runner=_fast_runner,
                       chain=_fast_chain, progress=progress, name="sample_ising")


# ----------------------------------------------------------------------------------------------
# Observables


def _as_spins(s) -> np.ndarray:
    s = np.asarray(s)
    if s.ndim < 2 or s.shape[-1] != s.shape[-2]:
        raise ValueError(f"spins must have shape (..., L, L), got {s.shape}")
    return s


def energy_per_site(s) -> np.ndarray:
    """Energy per site e = H/L² = -(1/L²) Σ_x,y s_xy (s_x+1,y + s_x,y+1), periodic; over (..., L, L)."""
    s = _as_spins(s)
    L2 = s.shape[-1] * s.shape[-2]
    flat = s.reshape(-1, s.shape[-2], s.shape[-1])
    out = np.empty(flat.shape[0], dtype=np.float64)
    # Chunks of samples bound the temporaries (int8 products: each bond is ±1, sums in int64).
    step = max(1, (1 << 22) // L2)
    for a in range(0, flat.shape[0], step):
        c = flat[a:a + step].astype(np.int8, copy=False)
        bonds = c * np.roll(c, -1, axis=-1) + c * np.roll(c, -1, axis=-2)
        out[a:a + step] = -bonds.sum(axis=(-2, -1), dtype=np.int64) / L2
    return out.reshape(s.shape[:-2]) if s.ndim > 2 else out[0]


def magnetisation_per_site(s) -> np.ndarray:
    """Magnetisation per site m = (1/L²) Σ_x,y s_xy over the last two axes (signed; use |m|)."""
    s = _as_spins(s)
    return s.sum(axis=(-2, -1), dtype=np.int64) / (s.shape[-1] * s.shape[-2])
