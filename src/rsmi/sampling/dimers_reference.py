"""Plain, obviously correct twin of the worm sampler in :mod:`rsmi.sampling.dimers`, and enumeration.

The twin runs the same algorithm as :func:`rsmi.sampling.dimers.sample_dimers` (same loop update, same
sweep = ``loops_per_sweep(L)`` loop updates, same columnar start, same defaults) written for
readability: the covering is an array ``links[x, y, a]`` of link occupations (a = 0 for the
link (x,y)–(x+1,y), a = 1 for (x,y)–(x,y+1)), a vertex's dimer is found by scanning its four
links, and random numbers come from numba's ``np.random`` seeded inside the kernel from a
Generator draw. The tests compare the fast sampler against it and both against exact
enumeration; ``benchmarks/bench_dimers.py`` uses it as the baseline.

:func:`enumerate_coverings` lists every fully packed covering of a small torus by
backtracking (8 for L = 2, 272 for L = 4).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from rsmi.sampling.dimers import check_lattice_side, check_sampler_args, loops_per_sweep

__all__ = ["sample_dimers", "enumerate_coverings"]

_UNIFORM = np.array([0.25, 0.5, 0.75, 1.0])


@njit(cache=True)
def _step(L, x, y, d):
    """The link from (x,y) in direction d (0 +x, 1 −x, 2 +y, 3 −y) as (lx, ly, axis), and the
    vertex at its other end (nx, ny)."""
    if d == 0:
        return x, y, 0, (x + 1) % L, y
    if d == 1:
        xm = (x - 1) % L
        return xm, y, 0, xm, y
    if d == 2:
        return x, y, 1, x, (y + 1) % L
    ym = (y - 1) % L
    return x, ym, 1, x, ym


@njit(cache=True)
def _dimer_direction(links, L, x, y):
    """Direction of the (single) dimer at vertex (x,y)."""
    for d in range(4):
        lx, ly, a, nx, ny = _step(L, x, y, d)
        if links[lx, ly, a] == 1:
            return d
    return -1


@njit(cache=True)
def _random_direction(cum):
    """Direction d with probability cum[d] − cum[d−1] (uniform: cum = [1/4, 1/2, 3/4, 1])."""
    u = np.random.random()
    d = 0
    while u >= cum[d]:
        d += 1
    return d


@njit(cache=True)
def _loop_updates(links, L, n_loops, cum):
    """Run n_loops worm loop updates on ``links`` in place; return the number of head moves."""
    moves = 0
    for _ in range(n_loops):
        # Remove the dimer of a uniformly chosen tail vertex t; its other end is the head.
        tx = np.random.randint(0, L)
        ty = np.random.randint(0, L)
        lx, ly, a, hx, hy = _step(L, tx, ty, _dimer_direction(links, L, tx, ty))
        links[lx, ly, a] = 0
        while True:
            # Put a dimer on a random link (h, w) of the head.
            d = _random_direction(cum)
            lx, ly, a, wx, wy = _step(L, hx, hy, d)
            moves += 1
            if wx == tx and wy == ty:
                links[lx, ly, a] = 1
                break
            # w had a dimer already: remove it; its other end is the new head.
            mx, my, ma, nx, ny = _step(L, wx, wy, _dimer_direction(links, L, wx, wy))
            links[mx, my, ma] = 0
            links[lx, ly, a] = 1
            hx, hy = nx, ny
    return moves


@njit(cache=True)
def _seed_numba(seed):
    np.random.seed(seed)


@njit(cache=True)
def _columnar(L):
    links = np.zeros((L, L, 2), dtype=np.uint8)
    for x in range(0, L, 2):
        for y in range(L):
            links[x, y, 0] = 1
    return links


@njit(cache=True)
def _chain(L, n_samples, burn_loops, gap_loops, seed, cum):
    """Columnar start, burn_loops loop updates, then n_samples samples gap_loops apart."""
    _seed_numba(seed)
    links = _columnar(L)
    out = np.zeros((n_samples, 2 * L, 2 * L), dtype=np.uint8)
    moves = _loop_updates(links, L, burn_loops, cum)
    for i in range(n_samples):
        moves += _loop_updates(links, L, gap_loops, cum)
        for x in range(L):
            for y in range(L):
                out[i, 2 * x + 1, 2 * y] = links[x, y, 0]
                out[i, 2 * x, 2 * y + 1] = links[x, y, 1]
    return out, moves


def _sample(L, n_samples, *, seed, noise=True, burn_in=None, gap=None, direction_probs=None):
    L, n_samples, rng, noise, burn_in, gap = check_sampler_args(L, n_samples, seed, noise, burn_in, gap)
    # direction_probs exists only so the tests can break detailed balance on purpose.
    cum = _UNIFORM if direction_probs is None else np.cumsum(np.asarray(direction_probs, float))
    cum[-1] = 1.0
    k = loops_per_sweep(L)
    numba_seed = int(rng.integers(0, 2**32))
    out, _ = _chain(L, n_samples, burn_in * k, gap * k, numba_seed, cum)
    if noise:
        bits = rng.integers(0, 2, size=(n_samples, L, L), dtype=np.uint8)
        out[:, 0::2, 0::2] = bits
        out[:, 1::2, 1::2] = bits
    return out


def sample_dimers(L: int, n_samples: int, *, seed, noise: bool = True, burn_in: int | None = None,
                  gap: int | None = None) -> np.ndarray:
    """Reference twin of :func:`rsmi.sampling.dimers.sample_dimers` (same signature, same distribution)."""
    return _sample(L, n_samples, seed=seed, noise=noise, burn_in=burn_in, gap=gap)


def enumerate_coverings(L: int) -> np.ndarray:
    """Every fully packed dimer covering of the L×L torus, fat-encoded, noise bits 0.

    Backtracking: take the first vertex not yet covered and try each of its four links whose
    other end is free (on the L = 2 torus the two links between a pair of vertices are
    distinct). Returns uint8 (count, 2L, 2L) sorted by their bytes; count = 8 for L = 2,
    272 for L = 4, 90176 for L = 6 (L ≤ 6 only: the count grows like e^{0.29 L²}).
    """
    L = check_lattice_side(L)
    if L > 6:
        raise ValueError(f"L must be <= 6 for brute-force enumeration, got {L}")
    covered = np.zeros((L, L), dtype=bool)
    links = np.zeros((L, L, 2), dtype=np.uint8)
    found: list[bytes] = []

    def other_end(x, y, d):
        return [((x, y, 0), ((x + 1) % L, y)), (((x - 1) % L, y, 0), ((x - 1) % L, y)),
                ((x, y, 1), (x, (y + 1) % L)), ((x, (y - 1) % L, 1), (x, (y - 1) % L))][d]

    def recurse(v):
        while v < L * L and covered[divmod(v, L)]:
            v += 1
        if v == L * L:
            fat = np.zeros((2 * L, 2 * L), dtype=np.uint8)
            fat[1::2, 0::2] = links[:, :, 0]
            fat[0::2, 1::2] = links[:, :, 1]
            found.append(fat.tobytes())
            return
        x, y = divmod(v, L)
        for d in range(4):
            link, (nx, ny) = other_end(x, y, d)
            if covered[nx, ny] or (nx, ny) == (x, y):
                continue
            covered[x, y] = covered[nx, ny] = True
            links[link] = 1
            recurse(v + 1)
            links[link] = 0
            covered[x, y] = covered[nx, ny] = False

    recurse(0)
    found.sort()
    return np.frombuffer(b"".join(found), dtype=np.uint8).reshape(len(found), 2 * L, 2 * L).copy()
