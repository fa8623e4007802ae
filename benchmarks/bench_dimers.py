"""Throughput and autocorrelation of the worm dimer sampler: fast kernel vs. its plain twin.

Throughput (``rows``): loop updates per second and links changed per second (two per head
move), single thread, on chains burned in for 100 sweeps from the columnar start; compilation
excluded (a warm-up call first). Both kernels run the same number of loop updates, interleaved
over several repeats; the best repeat of each and their ratio are reported.

Autocorrelation (``autocorrelation_rows``): integrated autocorrelation times, in sweeps
(``rsmi.sampling.dimers.loops_per_sweep(L)`` loop updates), of the winding numbers W₀, W₁ and W₀²+W₁²,
the column order parameters Ψ₀ = (2/N) Σ (−1)^x n((x,y)–(x+1,y)), Ψ₁ likewise, |Ψ|², the
fraction of axis-1 dimers, and the field (E₀, E₁) of an 8×8 fat block, measured on one chain
per L after 1000 burn-in sweeps, with Sokal's automatic window (``rsmi.judge.stats``).

Equilibration (``equilibration_rows``): |Ψ|² averaged over independent chains started from
the columnar covering (|Ψ|² = 1), against its equilibrium value, after a few numbers of sweeps.

    python benchmarks/bench_dimers.py            # all three tables
    python benchmarks/bench_dimers.py --throughput
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np

from rsmi.sampling import dimers

from rsmi.sampling import dimers_reference
from rsmi.judge.stats import integrated_autocorrelation_time

SIZES = (32, 64)
SWEEPS = 2000  # timed sweeps per repeat
REPEATS = 5

AC_SIZES = (4, 8, 16, 32, 64)
AC_SWEEPS = 50_000
EQ_SIZES = (16, 32, 64)
EQ_CHAINS = 200
EQ_CHECKPOINTS = (0, 1, 2, 3, 5, 10, 20, 50)


def _burned_in_links(L: int, seed: int) -> np.ndarray:
    """A covering after 100 sweeps as the reference's links[x, y, a] array (a = axis)."""
    fat = dimers.sample_dimers(L, 1, seed=seed, noise=False, burn_in=100, gap=1)[0]
    links = np.zeros((L, L, 2), dtype=np.uint8)
    links[:, :, 0] = fat[1::2, 0::2]
    links[:, :, 1] = fat[0::2, 1::2]
    return links


def _dirs_from_links(links: np.ndarray) -> np.ndarray:
    """The fast kernel's direction codes (0 +x, 1 −x, 2 +y, 3 −y) of a links array."""
    L = links.shape[0]
    dirs = np.full((L, L), -1, dtype=np.int8)
    dirs[links[:, :, 0] == 1] = 0
    dirs[np.roll(links[:, :, 0], 1, axis=0) == 1] = 1
    dirs[links[:, :, 1] == 1] = 2
    dirs[np.roll(links[:, :, 1], 1, axis=1) == 1] = 3
    assert (dirs >= 0).all()
    return dirs.reshape(-1)


def _time_fast(L: int, dirs: np.ndarray, n_loops: int, seed: int) -> tuple[int, float]:
    nbr = dimers._neighbour_table(L)
    state = dimers._seed_state(np.random.default_rng(seed))
    t0 = time.perf_counter()
    moves = dimers._worm_loops(dirs, nbr, state, n_loops)
    return int(moves), time.perf_counter() - t0


def _time_reference(L: int, links: np.ndarray, n_loops: int, seed: int) -> tuple[int, float]:
    dimers_reference._seed_numba(seed)
    t0 = time.perf_counter()
    moves = dimers_reference._loop_updates(links, L, n_loops, dimers_reference._UNIFORM)
    return int(moves), time.perf_counter() - t0


def rows() -> list[dict]:
    """One row per L: loop updates/s and links changed/s of both kernels, and the ratio."""
    numba.set_num_threads(1)
    out = []
    for L in SIZES:
        k = dimers.loops_per_sweep(L)
        n_loops = SWEEPS * k
        ref_links = _burned_in_links(L, 1)
        fast_dirs = _dirs_from_links(ref_links)
        _time_fast(L, fast_dirs, 10, 0)  # warm-up: compile or load from cache
        _time_reference(L, ref_links, 10, 0)
        best = {"fast": (0.0, 0.0), "reference": (0.0, 0.0)}
        for r in range(REPEATS):
            for name, timer, state in (("fast", _time_fast, fast_dirs), ("reference", _time_reference, ref_links)):
                moves, dt = timer(L, state, n_loops, 100 + r)
                if n_loops / dt > best[name][0]:
                    best[name] = (n_loops / dt, 2 * moves / dt)
        out.append({"L": L, "loops_per_sweep": k, "timed_loop_updates": n_loops,
                    "fast_loops_per_s": best["fast"][0], "fast_links_per_s": best["fast"][1],
                    "reference_loops_per_s": best["reference"][0],
                    "reference_links_per_s": best["reference"][1],
                    "speedup": best["fast"][0] / best["reference"][0]})
    return out


def _observables(fat: np.ndarray) -> dict[str, float]:
    L = fat.shape[0] // 2
    a0 = fat[1::2, 0::2].astype(np.float64)
    a1 = fat[0::2, 1::2].astype(np.float64)
    sign = np.where(np.arange(L) % 2 == 0, 1.0, -1.0)
    psi0 = 2.0 / L**2 * (a0 * sign[:, None]).sum()
    psi1 = 2.0 / L**2 * (a1 * sign[None, :]).sum()
    W = dimers.winding_numbers(fat)
    E = dimers.block_field(fat[:8, :8]) if L >= 4 else np.zeros(2)
    return {"W0": W[0], "W1": W[1], "W^2": W[0] ** 2 + W[1] ** 2, "Psi0": psi0, "Psi1": psi1,
            "|Psi|^2": psi0**2 + psi1**2, "n_axis1": 2.0 / L**2 * a1.sum(),
            "E0(8x8)": E[0], "E1(8x8)": E[1]}


def autocorrelation_rows(sizes=AC_SIZES, n_sweeps: int = AC_SWEEPS, seed: int = 2024) -> list[dict]:
    """τ_int (in sweeps) of each observable on one chain per L; one row per (L, observable)."""
    out = []
    for L in sizes:
        chain = dimers._WormChain(L, np.random.default_rng([seed, L]))
        k = dimers.loops_per_sweep(L)
        chain.run_loops(1000 * k)
        series: dict[str, list[float]] = {}
        for _ in range(n_sweeps):
            chain.run_loops(k)
            for name, val in _observables(chain.fat()).items():
                series.setdefault(name, []).append(val)
        for name, vals in series.items():
            x = np.asarray(vals)
            tau = integrated_autocorrelation_time(x) if x.std() > 0 else 0.5
            out.append({"L": L, "observable": name, "sweeps": n_sweeps, "mean": x.mean(),
                        "std": x.std(), "tau_int_sweeps": tau})
    return out


def equilibration_rows(sizes=EQ_SIZES, n_chains: int = EQ_CHAINS, seed: int = 7) -> list[dict]:
    """Chain-averaged |Ψ|² after t sweeps from the columnar start, and its equilibrium value."""
    out = []
    for L in sizes:
        k = dimers.loops_per_sweep(L)
        curves = np.zeros((n_chains, len(EQ_CHECKPOINTS)))
        eq = np.zeros(n_chains)
        for c in range(n_chains):
            chain = dimers._WormChain(L, np.random.default_rng([seed, L, c]))
            done = 0
            for j, t in enumerate(EQ_CHECKPOINTS):
                chain.run_loops((t - done) * k)
                done = t
                curves[c, j] = _observables(chain.fat())["|Psi|^2"]
            chain.run_loops(500 * k)
            eq[c] = _observables(chain.fat())["|Psi|^2"]
        row = {"L": L, "chains": n_chains, "equilibrium": eq.mean(),
               "equilibrium_err": eq.std() / np.sqrt(n_chains)}
        for j, t in enumerate(EQ_CHECKPOINTS):
            row[f"t={t}"] = curves[:, j].mean()
        out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--throughput", action="store_true", help="only the throughput table")
    args = parser.parse_args()

    print(f"Worm loop updates, one thread, best of {REPEATS} x {SWEEPS} sweeps")
    print(f"{'L':>4} {'loops/sweep':>11} {'fast (k loops/s)':>17} {'fast (M links/s)':>17} "
          f"{'ref (k loops/s)':>16} {'ref (M links/s)':>16} {'speed-up':>9}")
    for r in rows():
        print(f"{r['L']:>4} {r['loops_per_sweep']:>11} {r['fast_loops_per_s'] / 1e3:>17.1f} "
              f"{r['fast_links_per_s'] / 1e6:>17.1f} {r['reference_loops_per_s'] / 1e3:>16.1f} "
              f"{r['reference_links_per_s'] / 1e6:>16.1f} {r['speedup']:>9.2f}")
    if args.throughput:
        return

    print(f"\nIntegrated autocorrelation times in sweeps ({AC_SWEEPS} sweeps per L, Sokal window c=5)")
    ac = autocorrelation_rows()
    names = list(dict.fromkeys(r["observable"] for r in ac))
    print(f"{'L':>4} " + " ".join(f"{n:>9}" for n in names))
    for L in AC_SIZES:
        taus = {r["observable"]: r["tau_int_sweeps"] for r in ac if r["L"] == L}
        print(f"{L:>4} " + " ".join(f"{taus[n]:>9.2f}" for n in names))

    print(f"\n<|Psi|^2> after t sweeps from the columnar start ({EQ_CHAINS} chains), vs equilibrium")
    eqr = equilibration_rows()
    print(f"{'L':>4} " + " ".join(f"{'t=' + str(t):>8}" for t in EQ_CHECKPOINTS) + f" {'equil.':>16}")
    for r in eqr:
        print(f"{r['L']:>4} " + " ".join(f"{r[f't={t}']:>8.4f}" for t in EQ_CHECKPOINTS)
              + f" {r['equilibrium']:>8.4f}±{r['equilibrium_err']:.4f}")


if __name__ == "__main__":
    main()
