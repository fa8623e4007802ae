"""Benchmark of the RSMI network: seconds per epoch per default grid point, and the Monte Carlo
path's cost per posterior sample.

Θ-RBMs here have random parameters of the grid point's sizes (the cost does not depend on their
values) and the windows are random bits of the grid point's shape, so the benchmark needs no
sampler or CD training.  Per epoch = ``windows`` windows in batches of ``batch``; A_Λ is
evaluated once per epoch on ``n_eval`` windows (included in the time, reported separately).

Run:  python benchmarks/bench_rsmi.py [--windows 10000] [--epochs 2]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from rsmi.coarse import terms
from rsmi.coarse.kernels import heat_bath_kernel
from rsmi.coarse.network import train_rsmi
from rsmi.windows.regions import region_masks


@dataclass
class _Theta:
    weights_: np.ndarray
    visible_bias_: np.ndarray
    hidden_bias_: np.ndarray


def _theta(rng, n_visible, n_hidden, scale=0.1):
    return _Theta(scale * rng.standard_normal((n_visible, n_hidden)), 0.1 * rng.standard_normal(n_visible),
                  0.1 * rng.standard_normal(n_hidden))


# (label, L_V, N_h, L_B, L_E, M_V, M_VE)
GRID = [
    ("ising 2x2", 2, 1, 1, 1, 32, 64),
    ("ising 2x2", 2, 4, 1, 1, 32, 64),
    ("ising 4x4", 4, 1, 2, 2, 32, 64),
    ("ising 4x4", 4, 4, 2, 2, 32, 64),
    ("ising 6x6", 6, 1, 3, 3, 32, 64),
    ("dimer 8x8", 8, 2, 4, 4, 32, 64),
    ("dimer 8x8", 8, 4, 4, 4, 32, 64),
]


def time_grid_point(L_V, N_h, L_B, L_E, M_V, M_VE, *, windows, epochs, batch, n_mc, sweeps, n_eval, seed=0):
    rng = np.random.default_rng(seed)
    n_e = int(region_masks(L_V, L_B, L_E)["E"].sum())
    n_v = L_V * L_V
    V = rng.integers(0, 2, (windows, n_v)).astype(np.uint8)
    E = rng.integers(0, 2, (windows, n_e)).astype(np.uint8)
    tv, tve = _theta(rng, n_v, M_V), _theta(rng, n_v + n_e, M_VE)
    kw = dict(n_epochs=epochs, batch_size=batch, n_mc=n_mc, mc_sweeps_between=sweeps, mc_burn_in=100,
              n_eval=n_eval, eval_every=1, seed=seed)
    # warm the numba caches
    train_rsmi(V[:200], E[:200], tv, tve, N_h, **dict(kw, n_epochs=1, n_eval=50))
    t0 = time.perf_counter()
    res = train_rsmi(V, E, tv, tve, N_h, **kw)
    total = time.perf_counter() - t0
    t0 = time.perf_counter()
    train_rsmi(V, E, tv, tve, N_h, **dict(kw, n_epochs=0))  # set-up + one evaluation
    setup_eval = time.perf_counter() - t0
    return res.meta["path_used"], n_e, (total - setup_eval) / epochs, setup_eval


def time_sampler(L_V, N_h, M_V, *, chains=64, sweeps=50, seed=0):
    """µs per sweep of one chain (= cost of one posterior sample at one sweep of thinning)."""
    rng = np.random.default_rng(seed)
    n_v = L_V * L_V
    th = _theta(rng, n_v, M_V)
    lam, b = 0.3 * rng.standard_normal((n_v, N_h)), np.zeros(N_h)
    states = rng.integers(0, 2, (chains, n_v)).astype(np.uint8)
    signs = 2.0 * rng.integers(0, 2, (chains, N_h)) - 1
    u = rng.random((chains, sweeps, n_v))
    heat_bath_kernel(states, signs, th.weights_, th.visible_bias_, th.hidden_bias_, lam, b, u[:, :1])
    t0 = time.perf_counter()
    heat_bath_kernel(states, signs, th.weights_, th.visible_bias_, th.hidden_bias_, lam, b, u)
    return (time.perf_counter() - t0) / (chains * sweeps) * 1e6


def time_g(K, B, M, seed=0):
    """ns per (sample, window, Θ^VE hidden unit) of the g-matrix kernel."""
    rng = np.random.default_rng(seed)
    X, Y = 3 * rng.standard_normal((K, M)), 3 * rng.standard_normal((B, M))
    f, a = np.zeros(K), np.zeros(B)
    terms.g_matrix(f, X, a, Y)
    t0 = time.perf_counter()
    terms.g_matrix(f, X, a, Y)
    return (time.perf_counter() - t0) / (K * B * M) * 1e9


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--windows", type=int, default=10000)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--n-mc", type=int, default=32)
    p.add_argument("--sweeps", type=int, default=2)
    p.add_argument("--n-eval", type=int, default=1000)
    args = p.parse_args(argv)
    print(f"windows/epoch={args.windows} batch={args.batch} K={args.n_mc} sweeps/step={args.sweeps} "
          f"n_eval={args.n_eval}  (Θ^V / Θ^VE hidden units as listed)")
    print(f"{'grid point':<12}{'N_h':>4}{'L_B':>4}{'|E|':>5}{'M_V':>5}{'M_VE':>5}{'path':>7}"
          f"{'s/epoch':>10}{'setup+eval s':>14}")
    for label, L_V, N_h, L_B, L_E, M_V, M_VE in GRID:
        path, n_e, per_epoch, setup = time_grid_point(
            L_V, N_h, L_B, L_E, M_V, M_VE, windows=args.windows, epochs=args.epochs, batch=args.batch,
            n_mc=args.n_mc, sweeps=args.sweeps, n_eval=args.n_eval)
        print(f"{label:<12}{N_h:>4}{L_B:>4}{n_e:>5}{M_V:>5}{M_VE:>5}{path:>7}{per_epoch:>10.3f}{setup:>14.3f}", flush=True)
    print()
    print(f"{'block':<8}{'N_h':>4}{'M_V':>5}{'µs/sweep-sample':>17}{'ns/site':>9}")
    for L_V, N_h, M_V in ((2, 1, 32), (4, 1, 32), (6, 1, 32), (8, 4, 32), (8, 4, 64)):
        us = time_sampler(L_V, N_h, M_V)
        print(f"{L_V}x{L_V:<6}{N_h:>4}{M_V:>5}{us:>17.2f}{us * 1e3 / L_V**2:>9.1f}")
    print(f"\ng-matrix kernel: {time_g(64, 100, 64):.2f} ns per (sample, window, hidden unit)")


if __name__ == "__main__":
    main()
