"""Fully packed dimers on the periodic square lattice: a worm sampler and geometry helpers.

Model. An L×L periodic square lattice of vertices (L even ≥ 2); a configuration is a set of
dimers on links such that every vertex touches exactly one dimer (a fully packed covering).
Every covering has the same weight, p(C) = 1/Z.

Fat encoding (docs/method.md §1). A configuration is stored as a binary array of side 2L whose
2×2 unit cell at (2x, 2y) holds

====================  =========================================================
fat position          holds
====================  =========================================================
(2x, 2y)              vertex (x,y): noise bit
(2x+1, 2y+1)          face to the lower right of (x,y): noise bit, equal to the vertex bit
(2x, 2y+1)            link (x,y)–(x,y+1) (along axis 1): 1 if a dimer sits there
(2x+1, 2y)            link (x,y)–(x+1,y) (along axis 0): 1 if a dimer sits there
====================  =========================================================

Noise: every vertex bit is a fair coin, its face partner equals it, and the pairs are
independent of each other, of the dimers and of other samples.

Algorithm (worm / directed loop for non-interacting dimers). One *loop update* of a covering:

1. pick a tail vertex t uniformly among the N = L² vertices and remove its dimer, whose other
   end h becomes the head (t and h are the two unpaired vertices, the "defects");
2. pick one of the 4 links at h uniformly (bounce-back onto the link just vacated included)
   and place a dimer on it; call its other end w;
3. if w = t the covering is complete again: stop. Otherwise w now has two dimers: remove its
   old one, whose other end becomes the new head h, and go to 2.

Detailed balance. A loop update that turns C into C′ is a sequence of choices: t (probability
1/N) and k+1 link choices (probability 1/4 each), so it has probability (1/N)(1/4)^(k+1). Its
time reverse — start at the same t in C′ (whose dimer there is the closing link), then choose
the links that each forward step vacated, in reverse order, closing with the link first
removed from t — is a legal loop update C′ → C with the same number of choices and so the same
probability; none of its intermediate choices hits t (the forward intermediate moves never
did). Reversal is a bijection between the update paths C → C′ and C′ → C, hence
P(C → C′) = P(C′ → C): the transition matrix is symmetric and the uniform distribution is
stationary. Ergodicity: two coverings differ by disjoint alternating cycles (winding ones
included); a loop update started on a cycle that walks along it flips that cycle, so every
covering is reachable with positive probability, across winding sectors. Aperiodicity: with
probability 1/4 the first link choice puts the dimer straight back (C → C). Links are tracked
as links, not as vertex pairs, so the doubled links of the L = 2 torus are handled correctly.
The tests check exactness by chi-square against enumeration (all coverings of the 2×2 and 4×4
tori; winding sectors of the 4×4 and 6×6 tori).

Time unit. Loop lengths depend on the state, so stopping a chain when the summed loop length
first reaches a target would sample at a state-dependent time, which can bias the samples
(the loop that ends a sweep is biased towards long loops, and the state after a long loop is
not distributed like the stationary state). A *sweep* is therefore a fixed,
state-independent number of loop updates, :func:`loops_per_sweep` (L) = round(L² / s̄(L)), where
s̄(L) is a fit to the measured mean number of head moves per loop update; one head move
changes two links, so a sweep changes about 2L² links, the number of links of the lattice.
The defaults ``burn_in``/``gap`` come from measured integrated autocorrelation times (see
``benchmarks/bench_dimers.py``).

Fast kernel: the covering is held as one direction code per vertex (0: +axis 0, 1: −axis 0,
2: +axis 1, 3: −axis 1; the opposite direction is ``d ^ 1``) plus a neighbour table, and
xoshiro256** random numbers give 32 link choices per 64-bit draw. ``rsmi.sampling.dimers_reference``
holds the plain twin that the tests compare against and the benchmark measures against.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from numba import njit

from rsmi.utils.xoshiro import make_rng, next_u64, seed_words
from rsmi.utils.validation import check_int_strict

__all__ = [
    "staggered_covering",
    "columnar_covering",
    "SITE_VERTEX",
    "SITE_FACE",
    "SITE_LINK_AXIS1",
    "SITE_LINK_AXIS0",
    "DEFAULT_BURN_IN",
    "DEFAULT_GAP",
    "sample_dimers",
    "loops_per_sweep",
    "check_lattice_side",
    "check_sampler_args",
    "fat_site_kinds",
    "is_perfect_covering",
    "noise_pairs_equal",
    "block_field",
    "field_filters",
    "winding_numbers",
]

logger = logging.getLogger("rsmi.sampling.dimers")

#: Code of a vertex noise site, fat (2x, 2y).
SITE_VERTEX: int = 0
#: Code of a face noise site, fat (2x+1, 2y+1).
SITE_FACE: int = 1
#: Code of a link along axis 1, (x,y)–(x,y+1), fat (2x, 2y+1).
SITE_LINK_AXIS1: int = 2
#: Code of a link along axis 0, (x,y)–(x+1,y), fat (2x+1, 2y).
SITE_LINK_AXIS0: int = 3

#: Default burn-in in sweeps (see the module docstring for the unit). Measured
#: (benchmarks/bench_dimers.py): from the columnar start, the chain average of the column order
#: parameter |Ψ|² reaches its equilibrium value within ~10 sweeps at L = 32 and ~50 at L = 64
#: (relaxation time ∝ L); 1000 sweeps leave a margin of ≥ 10 up to L = 128 and cost little.
DEFAULT_BURN_IN: int = 1000
#: Default number of sweeps between stored samples. Measured integrated autocorrelation times,
#: in sweeps, of the slowest observable (the column order parameter Ψ₀): 1.0 (L = 4), 2.0 (16),
#: 2.6 (32), 3.7–4.0 (64), 5.1 (128); winding numbers and the 8×8-block field are faster
#: (≤ 2.5 at L ≤ 64). With a gap of 20 sweeps the lag-gap autocorrelation of Ψ₀ is ≤ 0.013 at
#: L = 64 (≤ 0.034 at L = 128) and the subsampled series has τ_int ≈ 0.5: independent samples.
DEFAULT_GAP: int = 20

# Progress is logged at most this often (seconds) on long runs.
_LOG_EVERY_S = 10.0
# The kernel is called in chunks of about this many head moves, so progress can be logged.
_CHUNK_MOVES = 20_000_000


# --------------------------------------------------------------------------------------------
# Validation and seeding (shared with rsmi.sampling.dimers_reference)


def check_lattice_side(L) -> int:
    """L as an int: even and ≥ 2 (an odd torus has no fully packed covering)."""
    L = check_int_strict("L", L, 2)
    if L % 2:
        raise ValueError(f"L must be even (a fully packed covering of an odd torus does not exist), got {L}")
    return L


def check_sampler_args(L, n_samples, seed, noise, burn_in, gap):
    """Check the arguments of ``sample_dimers``; return them normalised (rng as a Generator)."""
    L = check_lattice_side(L)
    n_samples = check_int_strict("n_samples", n_samples, 0)
    if not isinstance(noise, (bool, np.bool_)):
        raise TypeError(f"noise must be a bool, got {type(noise).__name__} {noise!r}")
    burn_in = DEFAULT_BURN_IN if burn_in is None else check_int_strict("burn_in", burn_in, 0)
    gap = DEFAULT_GAP if gap is None else check_int_strict("gap", gap, 1)
    rng = make_rng(seed)
    return L, n_samples, rng, bool(noise), burn_in, gap


def _mean_moves_fit(L: int) -> float:
    """s̄(L) = 0.97·L^(3/2) − 1: mean head moves per loop update.

    Fitted to measurements for L = 4..128 (within 1.3% everywhere; 4 chains of ≥ 2·10⁶ moves
    per L). The L^(3/2) growth is expected: by Kac's lemma the mean loop length is
    4·Σ_h G(t,h), G the monomer–monomer correlation, which decays as r^(−1/2).
    """
    return 0.97 * L**1.5 - 1.0


def loops_per_sweep(L: int) -> int:
    """Loop updates in one sweep: K(L) = round(L² / s̄(L)), s̄(L) = 0.97·L^(3/2) − 1.

    s̄(L) is a fit to the measured mean number of head moves per loop update (2 at L = 2,
    6.8 at L = 4, 61 at 16, 175 at 32, 490 at 64, 1400 at 128), so K = 2, 2, 4, 6, 8, 12 there.

    A head move changes two links, so a sweep changes ≈ 2L² links (the number of links). K is a
    deterministic function of L so that samples are taken at state-independent times.
    """
    L = check_lattice_side(L)
    return max(1, round(L * L / _mean_moves_fit(L)))


def _add_noise(fat: np.ndarray, rng: np.random.Generator) -> None:
    """Fill the vertex/face noise pairs of ``fat`` (n, 2L, 2L) in place with fresh fair coins."""
    n, side = fat.shape[0], fat.shape[1]
    bits = rng.integers(0, 2, size=(n, side // 2, side // 2), dtype=np.uint8)
    fat[:, 0::2, 0::2] = bits
    fat[:, 1::2, 1::2] = bits


# --------------------------------------------------------------------------------------------
# Fast kernel


def _neighbour_table(L: int) -> np.ndarray:
    """nbr[v, d]: neighbour of vertex v = x·L + y in direction d (0 +x, 1 −x, 2 +y, 3 −y)."""
    x, y = np.divmod(np.arange(L * L, dtype=np.int64), L)
    nbr = np.empty((L * L, 4), dtype=np.int32)
    nbr[:, 0] = ((x + 1) % L) * L + y
    nbr[:, 1] = ((x - 1) % L) * L + y
    nbr[:, 2] = x * L + (y + 1) % L
    nbr[:, 3] = x * L + (y - 1) % L
    return nbr


def _columnar_directions(L: int) -> np.ndarray:
    """Columnar start: dimers on links (2i, y)–(2i+1, y); dir[v] is v's dimer direction."""
    x = np.arange(L * L) // L
    return np.where(x % 2 == 0, 0, 1).astype(np.int8)


def _seed_state(rng: np.random.Generator) -> np.ndarray:
    """xoshiro256** state (4 words, not all zero) plus a 2-word buffer of unused random bits."""
    return seed_words(rng, 6)


@njit(cache=True)
def _worm_loops(dirs, nbr, state, n_loops):
    """Run ``n_loops`` loop updates on the covering ``dirs`` in place; return head moves made.

    ``state`` = xoshiro256** words s0..s3, a buffer of unused random bits and their count; it is
    read and written back so that splitting a run into several calls does not change the stream.
    """
    N = dirs.shape[0]
    mask = np.uint64(1)
    while mask < np.uint64(N):
        mask = mask << np.uint64(1)
    mask -= np.uint64(1)
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    buf = state[4]
    nbits = state[5]
    three = np.uint64(3)
    two = np.uint64(2)
    moves = 0
    for _ in range(n_loops):
        # Tail uniform over the N vertices by rejection from the next power of two (exact).
        while True:
            r, s0, s1, s2, s3 = next_u64(s0, s1, s2, s3)
            t = np.int64(r & mask)
            if t < N:
                break
        h = nbr[t, dirs[t]]
        while True:
            if nbits == 0:
                buf, s0, s1, s2, s3 = next_u64(s0, s1, s2, s3)
                nbits = np.uint64(64)
            d = np.int64(buf & three)
            buf >>= two
            nbits -= two
            moves += 1
            w = nbr[h, d]
            dirs[h] = d
            if w == t:
                dirs[t] = d ^ 1
                break
            # w had a dimer in direction dirs[w]; it moves onto the link (h, w), its old other
            # end becomes the new head (dirs of the new head is stale until it gets a dimer).
            hn = nbr[w, dirs[w]]
            dirs[w] = d ^ 1
            h = hn
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    state[4] = buf
    state[5] = nbits
    return moves


@njit(cache=True)
def _write_fat(dirs, L, out):
    """Set the link bits of ``out`` (2L, 2L), assumed zero, from the direction codes."""
    for v in range(L * L):
        x = v // L
        y = v - x * L
        d = dirs[v]
        if d == 0:
            out[2 * x + 1, 2 * y] = 1
        elif d == 2:
            out[2 * x, 2 * y + 1] = 1


@njit(cache=True)
def _sample_chunk(dirs, nbr, state, L, n_loops_gap, out):
    """For each of out.shape[0] samples: ``n_loops_gap`` loop updates, then store the covering."""
    moves = 0
    for i in range(out.shape[0]):
        moves += _worm_loops(dirs, nbr, state, n_loops_gap)
        _write_fat(dirs, L, out[i])
    return moves


class _WormChain:
    """A running worm chain (fast kernel): a covering plus its random-number state."""

    def __init__(self, L: int, rng: np.random.Generator):
        self.L = L
        self.nbr = _neighbour_table(L)
        self.dirs = _columnar_directions(L)
        self.state = _seed_state(rng)
        self.moves = 0
        self.loops = 0

    def run_loops(self, n_loops: int) -> None:
        self.moves += int(_worm_loops(self.dirs, self.nbr, self.state, n_loops))
        self.loops += n_loops

    def sample_into(self, out: np.ndarray, loops_between: int) -> None:
        self.moves += int(_sample_chunk(self.dirs, self.nbr, self.state, self.L, loops_between, out))
        self.loops += loops_between * out.shape[0]

    def fat(self) -> np.ndarray:
        out = np.zeros((2 * self.L, 2 * self.L), dtype=np.uint8)
        _write_fat(self.dirs, self.L, out)
        return out


def _run_sampler(chain, L, n_samples, rng, noise, burn_in, gap, name):
    """Shared driver: burn in, store ``n_samples`` samples ``gap`` sweeps apart, add noise."""
    k = loops_per_sweep(L)
    t0 = time.perf_counter()
    logger.info("%s: L=%d, %d samples, burn_in=%d sweeps, gap=%d sweeps (%d loop updates/sweep)",
                name, L, n_samples, burn_in, gap, k)
    out = np.zeros((n_samples, 2 * L, 2 * L), dtype=np.uint8)
    chain.run_loops(burn_in * k)
    moves_per_sample = gap * k * _mean_moves_fit(L)
    chunk = max(1, int(_CHUNK_MOVES // max(moves_per_sample, 1.0)))
    last_log = t0
    for start in range(0, n_samples, chunk):
        stop = min(n_samples, start + chunk)
        chain.sample_into(out[start:stop], gap * k)
        now = time.perf_counter()
        if now - last_log >= _LOG_EVERY_S:
            logger.info("%s: %d/%d samples, %.1f s", name, stop, n_samples, now - t0)
            last_log = now
    if noise:
        _add_noise(out, rng)
    dt = time.perf_counter() - t0
    logger.info("%s: done, %d loop updates, %d head moves (mean loop %.1f moves) in %.2f s",
                name, chain.loops, chain.moves, chain.moves / max(chain.loops, 1), dt)
    return out


def sample_dimers(L: int, n_samples: int, *, seed, noise: bool = True, burn_in: int | None = None,
                  gap: int | None = None) -> np.ndarray:
    """Uniform fully packed dimer coverings of the L×L torus, in the fat encoding, with noise.

    Parameters
    ----------
    L : even int ≥ 2 — vertices per side.
    n_samples : int ≥ 0 — number of stored samples.
    seed : int ≥ 0, numpy SeedSequence or Generator — the only source of randomness.
    noise : if True, vertex/face noise pairs are fresh fair coins for every sample; else 0.
    burn_in : sweeps discarded from the columnar start (default ``DEFAULT_BURN_IN``).
    gap : sweeps between stored samples (default ``DEFAULT_GAP``).

    Returns
    -------
    uint8 array (n_samples, 2L, 2L): link bits n ∈ {0,1} at (2x, 2y+1) and (2x+1, 2y), noise
    bits at (2x, 2y) = (2x+1, 2y+1). A sweep is ``loops_per_sweep(L)`` worm loop updates
    (about 2L² changed links); see the module docstring for the algorithm and its proof.
    The dimers do not depend on ``noise`` (the noise is drawn from the generator afterwards).
    """
    L, n_samples, rng, noise, burn_in, gap = check_sampler_args(L, n_samples, seed, noise, burn_in, gap)
    chain = _WormChain(L, rng)
    return _run_sampler(chain, L, n_samples, rng, noise, burn_in, gap, "sample_dimers")


# --------------------------------------------------------------------------------------------
# Geometry of the fat encoding


def _check_side(name: str, n) -> int:
    n = check_int_strict(name, n, 2)
    if n % 2:
        raise ValueError(f"{name} must be even (whole 2×2 fat unit cells), got {n}")
    return n


def _as_fat_stack(fat, name: str = "fat") -> tuple[np.ndarray, bool]:
    """View ``fat`` as (n, m, m) with m even; the flag says whether a single 2-D array was given."""
    arr = np.asarray(fat)
    if arr.ndim not in (2, 3):
        raise ValueError(f"{name} must have shape (2L, 2L) or (n, 2L, 2L), got shape {arr.shape}")
    if arr.dtype.kind not in "biu":
        raise TypeError(f"{name} must hold integer bits 0/1, got dtype {arr.dtype}")
    single = arr.ndim == 2
    if single:
        arr = arr[None]
    if arr.shape[1] != arr.shape[2] or arr.shape[1] < 2 or arr.shape[1] % 2:
        raise ValueError(f"{name} must be square with an even side >= 2 (whole fat unit cells), "
                         f"got spatial shape {arr.shape[1:]}")
    return arr, single


def _link_bits(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a0, a1) with a0[.., x, y] = n((x,y)–(x+1,y)) = fat[2x+1, 2y], a1 = n((x,y)–(x,y+1)) = fat[2x, 2y+1]."""
    return arr[:, 1::2, 0::2], arr[:, 0::2, 1::2]


def _eta(k: int) -> np.ndarray:
    """η(x, y) = (−1)^(x+y) on a k×k block of vertices (block-local coordinates)."""
    x = np.arange(k)
    return np.where((x[:, None] + x[None, :]) % 2 == 0, 1.0, -1.0)


def fat_site_kinds(n: int) -> np.ndarray:
    """Kind of every site of an n×n fat block that starts at an even fat coordinate.

    Returns an int8 array (n, n): ``SITE_VERTEX`` (0) at (2x, 2y), ``SITE_FACE`` (1) at
    (2x+1, 2y+1), ``SITE_LINK_AXIS1`` (2) at (2x, 2y+1), ``SITE_LINK_AXIS0`` (3) at (2x+1, 2y).
    """
    n = _check_side("n", n)
    kinds = np.empty((n, n), dtype=np.int8)
    kinds[0::2, 0::2] = SITE_VERTEX
    kinds[1::2, 1::2] = SITE_FACE
    kinds[0::2, 1::2] = SITE_LINK_AXIS1
    kinds[1::2, 0::2] = SITE_LINK_AXIS0
    return kinds


def is_perfect_covering(fat) -> np.ndarray:
    """Per sample: do the link bits form a fully packed covering of the torus?

    True iff every link bit is 0 or 1 and every vertex (x,y) has exactly one dimer among its
    four links: n((x,y)–(x+1,y)) + n((x−1,y)–(x,y)) + n((x,y)–(x,y+1)) + n((x,y−1)–(x,y)) = 1,
    indices mod L. Noise sites are ignored. ``fat``: (n, 2L, 2L) → bool (n,); (2L, 2L) → bool.
    """
    arr, single = _as_fat_stack(fat)
    a0, a1 = (a.astype(np.int64) for a in _link_bits(arr))
    binary = ((a0 >= 0) & (a0 <= 1)).all(axis=(1, 2)) & ((a1 >= 0) & (a1 <= 1)).all(axis=(1, 2))
    count = a0 + np.roll(a0, 1, axis=1) + a1 + np.roll(a1, 1, axis=2)
    ok = binary & (count == 1).all(axis=(1, 2))
    return ok[0] if single else ok


def noise_pairs_equal(fat) -> np.ndarray:
    """Per sample: does every face bit fat[2x+1, 2y+1] equal its vertex bit fat[2x, 2y]?"""
    arr, single = _as_fat_stack(fat)
    ok = (arr[:, 0::2, 0::2] == arr[:, 1::2, 1::2]).all(axis=(1, 2))
    return ok[0] if single else ok


def block_field(blocks) -> np.ndarray:
    """Electric field (E₀, E₁) of fat blocks (n, 2k, 2k) that start at even fat coordinates.

    With block-local vertex coordinates (x, y), 0 ≤ x, y < k, and η(x,y) = (−1)^(x+y):

        E₀ = Σ_{x,y} η(x,y) (n((x,y)–(x+1,y)) − 1/4)   (axis-0 links, fat (2x+1, 2y)),
        E₁ = Σ_{x,y} η(x,y) (n((x,y)–(x,y+1)) − 1/4)   (axis-1 links, fat (2x, 2y+1)).

    Returns float64 (n, 2) (or (2,) for a single (2k, 2k) block). For even k a staggered
    covering gives |E| = k²/2 along its axis (0 along the other), a columnar one E = 0.
    """
    arr, single = _as_fat_stack(blocks, "blocks")
    eta = _eta(arr.shape[1] // 2)
    a0, a1 = _link_bits(arr)
    E = np.stack([((a0 - 0.25) * eta).sum(axis=(1, 2)), ((a1 - 0.25) * eta).sum(axis=(1, 2))], axis=1)
    return E[0] if single else E


def field_filters(n: int) -> np.ndarray:
    """The ideal field filters of an n×n fat block (n even, starting at an even fat coordinate).

    Returns float64 (n, n, 2): [..., 0] is η(x,y) on the axis-0 links (2x+1, 2y) and 0 elsewhere,
    [..., 1] is η(x,y) on the axis-1 links (2x, 2y+1). For a block b,
    Σ b·filters[..., a] = E_a + (1/4) Σ_{x,y} η(x,y) (0 for even n/2, 1 for odd n/2).
    """
    n = _check_side("n", n)
    eta = _eta(n // 2)
    f = np.zeros((n, n, 2))
    f[1::2, 0::2, 0] = eta
    f[0::2, 1::2, 1] = eta
    return f


def winding_numbers(fat) -> np.ndarray:
    """Winding (flux) numbers (W₀, W₁) of coverings of the torus, int64 (n, 2).

    The field E₀ = η(n − 1/4) on the axis-0 links (and E₁ on the axis-1 links) is divergence
    free on a perfect covering, so its flux through a cut is the same for every cut:

        W₀ = Σ_y η(0,y) n((0,y)–(1,y)),   W₁ = Σ_x η(x,0) n((x,0)–(x,1))

    (the −1/4 terms cancel since L is even), equal to (total E₀ or E₁ of the lattice)/L.
    Columnar coverings have W = (0, 0), the staggered ones (±L/2, 0) or (0, ±L/2). Loop updates
    along non-winding loops conserve W; only winding loops change it.
    """
    arr, single = _as_fat_stack(fat)
    L = arr.shape[1] // 2
    sign = np.where(np.arange(L) % 2 == 0, 1, -1)
    a0, a1 = _link_bits(arr)
    W = np.stack([(a0[:, 0, :].astype(np.int64) * sign).sum(axis=1),
                  (a1[:, :, 0].astype(np.int64) * sign).sum(axis=1)], axis=1)
    return W[0] if single else W


def staggered_covering(L: int, axis: int = 1) -> np.ndarray:
    """Staggered dimer covering of the L×L torus as a fat (2L, 2L) array (no noise bits).

    axis 1: vertex row x holds dimers on the links (x, y)–(x, y+1) with y ≡ x (mod 2), so every
    dimer sits on a link with η = +1 and the field is maximal, E₁ = L²/2 (E₀ = 0). axis 0: the
    transpose.
    """
    L = _even_side(L)
    fat = np.zeros((2 * L, 2 * L), np.uint8)
    for x in range(L):
        for y in range(x % 2, L, 2):
            fat[2 * x, 2 * y + 1] = 1
    if axis == 0:
        return np.ascontiguousarray(fat.T)
    if axis != 1:
        raise ValueError(f"axis must be 0 or 1, got {axis}")
    return fat


def columnar_covering(L: int, axis: int = 1) -> np.ndarray:
    """Columnar dimer covering: every vertex row holds dimers on the links (x, y)–(x, y+1), y even.

    Rows alternate in η, so E = (0, 0). axis 0: the transpose.
    """
    L = _even_side(L)
    fat = np.zeros((2 * L, 2 * L), np.uint8)
    fat[0::2, 1::4] = 1
    if axis == 0:
        return np.ascontiguousarray(fat.T)
    if axis != 1:
        raise ValueError(f"axis must be 0 or 1, got {axis}")
    return fat


def _even_side(L) -> int:
    if not isinstance(L, (int, np.integer)) or isinstance(L, bool) or L < 2 or L % 2:
        raise ValueError(f"L must be an even integer >= 2, got {L!r}")
    return int(L)
