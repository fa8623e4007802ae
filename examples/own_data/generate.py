"""Write a data set the workflow does not sample itself: the 2D Ising model off criticality
(T = 3.0, in the paramagnet above T_c = 2.269), from a plain heat-bath Monte Carlo in NumPy.

This stands for "your own Monte Carlo code": any program that writes an (n, L, L) array of 0/1
to a .npy file (or a .npz archive with an array `configs`) will do (README, "Your own data").

    python examples/own_data/generate.py                 # writes examples/own_data/configs.npy
    python examples/own_data/generate.py --out my.npy --n-chains 32 --per-chain 5

Independent chains, each started at random, equilibrated for `--burn-in` sweeps and then
sampled every `--gap` sweeps (checkerboard heat-bath: one sweep updates every site once).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def heat_bath_sweep(s: np.ndarray, beta: float, rng: np.random.Generator) -> None:
    """One checkerboard heat-bath sweep of chains s (c, L, L) of ±1, periodic, J = 1, in place:
    s_i = +1 with probability 1 / (1 + exp(-2 β h_i)), h_i the sum of the four neighbours."""
    L = s.shape[1]
    parity = np.add.outer(np.arange(L), np.arange(L)) % 2
    for colour in (0, 1):
        h = (np.roll(s, 1, 1) + np.roll(s, -1, 1) + np.roll(s, 1, 2) + np.roll(s, -1, 2)).astype(np.float64)
        up = rng.random(s.shape) < 1.0 / (1.0 + np.exp(-2.0 * beta * h))
        mask = parity == colour
        s[:, mask] = np.where(up[:, mask], 1, -1)


def sample(L: int, T: float, n_chains: int, per_chain: int, burn_in: int, gap: int, seed: int) -> np.ndarray:
    """(n_chains · per_chain, L, L) configurations as 0/1 (uint8), chain-major."""
    rng = np.random.default_rng(seed)
    s = rng.choice(np.array([-1, 1], dtype=np.int8), size=(n_chains, L, L))
    for _ in range(burn_in):
        heat_bath_sweep(s, 1.0 / T, rng)
    out = []
    for _ in range(per_chain):
        for _ in range(gap):
            heat_bath_sweep(s, 1.0 / T, rng)
        out.append(s.copy())
    spins = np.stack(out, axis=1).reshape(n_chains * per_chain, L, L)
    return ((spins + 1) // 2).astype(np.uint8)  # the external format: 0/1


def main() -> None:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=here / "configs.npy")
    p.add_argument("--L", type=int, default=32)
    p.add_argument("--T", type=float, default=3.0)
    p.add_argument("--n-chains", type=int, default=60)
    p.add_argument("--per-chain", type=int, default=5)
    p.add_argument("--burn-in", type=int, default=300)
    p.add_argument("--gap", type=int, default=20)
    p.add_argument("--seed", type=int, default=2026)
    a = p.parse_args()
    x = sample(a.L, a.T, a.n_chains, a.per_chain, a.burn_in, a.gap, a.seed)
    np.save(a.out, x, allow_pickle=False)
    print(f"wrote {a.out}: {x.shape[0]} configurations of {a.L} x {a.L} at T = {a.T}, magnetisation "
          f"per site {np.abs(2.0 * x.mean(axis=(1, 2)) - 1).mean():.3f}")


if __name__ == "__main__":
    main()
