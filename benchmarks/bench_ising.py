"""Throughput of the Wolff sampler at T_c: fast kernel vs. its plain reference twin.

Spin flips per second = (sum of Wolff cluster sizes) / wall time, single thread, measured
after a warm-up call (compilation and equilibration excluded), on an equilibrated chain.
Both kernels run the same number of cluster updates from equilibrated states, interleaved
over several repeats; the best repeat of each is reported, and the ratio of the two.

    python benchmarks/bench_ising.py
"""

from __future__ import annotations

import time

import numba
import numpy as np

from rsmi.sampling import ising

from rsmi.sampling import ising_reference
from rsmi.utils.xoshiro import seed_words

SIZES = (64, 128)
SWEEPS = 200  # timed sweep-equivalents per repeat
REPEATS = 5


def _equilibrated(L: int, seed: int) -> np.ndarray:
    return ising.sample_ising(L, ising.T_C, 1, seed=seed, burn_in=100, gap=1)[0].reshape(-1).copy()


def _time_fast(L: int, spins: np.ndarray, n_updates: int, seed: int) -> tuple[int, float]:
    nbr, log2L = ising._geometry(L)
    thr = ising._threshold(ising.T_C)
    state = seed_words(np.random.default_rng(seed))
    stack = np.empty(L * L, dtype=np.int32)
    t0 = time.perf_counter()
    flipped = ising._wolff_updates(spins, nbr, log2L, n_updates, thr, state, stack)
    return int(flipped), time.perf_counter() - t0


def _time_reference(L: int, spins: np.ndarray, n_updates: int, seed: int) -> tuple[int, float]:
    p = ising.p_add(ising.T_C)
    ising_reference._seed_numba(seed)
    s2 = spins.reshape(L, L)
    t0 = time.perf_counter()
    flipped = ising_reference._reference_updates(s2, L, n_updates, p)
    return int(flipped), time.perf_counter() - t0


def rows() -> list[dict]:
    """One row per L: spin flips/s of the fast kernel and the reference twin, and their ratio."""
    numba.set_num_threads(1)
    out = []
    for L in SIZES:
        k = ising.updates_per_sweep(L, ising.T_C, seed=0)
        n_updates = int(SWEEPS * k)
        fast_spins = _equilibrated(L, 1)
        ref_spins = fast_spins.copy()
        # Warm-up: compile (or load from cache) and touch memory.
        _time_fast(L, fast_spins, 10, 0)
        _time_reference(L, ref_spins, 10, 0)
        best_fast = best_ref = 0.0
        for r in range(REPEATS):
            f, t = _time_fast(L, fast_spins, n_updates, 100 + r)
            best_fast = max(best_fast, f / t)
            f, t = _time_reference(L, ref_spins, n_updates, 200 + r)
            best_ref = max(best_ref, f / t)
        out.append({"L": L, "T": ising.T_C, "cluster_updates": n_updates,
                    "fast_flips_per_s": best_fast, "reference_flips_per_s": best_ref,
                    "speedup": best_fast / best_ref})
    return out


def main() -> None:
    print(f"Wolff at T_c = {ising.T_C:.6f}, one thread, best of {REPEATS} x {SWEEPS} sweep-equivalents")
    print(f"{'L':>5} {'fast (M flips/s)':>17} {'reference (M flips/s)':>22} {'speed-up':>9}")
    for r in rows():
        print(f"{r['L']:>5} {r['fast_flips_per_s'] / 1e6:>17.1f} "
              f"{r['reference_flips_per_s'] / 1e6:>22.1f} {r['speedup']:>9.2f}")


if __name__ == "__main__":
    main()
