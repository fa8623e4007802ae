"""Block-spin transformations and Swendsen's Monte Carlo renormalization group (MCRG).

Block spins (docs/method.md §7). A rule maps an (n, L, L) array of ±1 spins (L even) to an
(n, L/2, L/2) array; block (I, J) is the non-overlapping 2×2 block of sites
(2I, 2J), (2I, 2J+1), (2I+1, 2J), (2I+1, 2J+1), listed in row-major order as positions
0, 1, 2, 3.

* Majority rule: h = sign(Σ_block s), a tie (Σ = 0, six of the 16 block states) broken by a
  fair coin per block.
* Filter rule (the learned RSMI rule with one hidden unit): with x = (s + 1)/2 ∈ {0, 1},
  weights λ (2×2, block positions row-major) and bias b, a = Σ_i x_i λ_i + b;
  stochastic: h = +1 with probability σ(a) = 1/(1 + e^{−a}), else −1; deterministic:
  h = sign(a), a = 0 broken by a fair coin.

Every rule draws exactly one uniform u ∈ [0, 1) per block, in C order of (n, I, J), from a
``numpy.random.Generator``; "+1 if u < p" decides a coin of probability p. The fast
(vectorised) rules and their loop twins (``_*_reference``) take the same pre-drawn uniforms,
so the tests compare them sample by sample.

Couplings. Per configuration on the periodic L×L lattice (sums over all sites r = (x, y),
e_x = (1, 0), e_y = (0, 1)):

    even:  S_nn   = Σ_r s_r (s_{r+e_x} + s_{r+e_y})                  nearest neighbour
           S_nnn  = Σ_r s_r (s_{r+e_x+e_y} + s_{r+e_x−e_y})          both diagonals
           S_3rd  = Σ_r s_r (s_{r+2e_x} + s_{r+2e_y})                distance 2 along axes
           S_plaq = Σ_r s_r s_{r+e_x} s_{r+e_y} s_{r+e_x+e_y}         plaquette
    odd:   S_m    = Σ_r s_r                                          magnetisation
           S_L    = Σ_plaquettes Σ_{4 L-shapes} s s s                 all 4 three-spin L-shapes
                  = Σ_r P_r (s_r + s_{r+e_x} + s_{r+e_y} + s_{r+e_x+e_y}),  P_r the plaquette

(all four orientations of the L-shape, so S_L is symmetric under the lattice's point group;
on the all-up lattice S_nn = S_nnn = S_3rd = 2L², S_plaq = S_m = L², S_L = 4L²).

Linearisation (Swendsen 1979). With S^(n) the sums at level n and S^(n−1) those of the same
samples one level finer,

    A_ac = ⟨S_a^(n) S_c^(n)⟩ − ⟨S_a^(n)⟩⟨S_c^(n)⟩ = ∂⟨S_a^(n)⟩/∂K_c^(n),
    B_ac = ⟨S_a^(n) S_c^(n−1)⟩ − ⟨S_a^(n)⟩⟨S_c^(n−1)⟩ = ∂⟨S_a^(n)⟩/∂K_c^(n−1),

and the chain rule B = A T gives the linearised RG matrix T_cb = ∂K_c^(n)/∂K_b^(n−1) =
(A⁻¹B)_cb (computed with a linear solve). Its leading eigenvalue λ gives the exponent
y = log_b λ (b = 2): y_t from the even sector, y_h from the odd sector (the sectors decouple
by the spin-flip symmetry). Means are sample means in both sectors: the derivatives are
connected correlators whatever ⟨S⟩ is, which matters for a learned filter whose rule is not
flip-equivariant (⟨h⟩ ≠ 0 possible); for flip-symmetric data (the Wolff sampler flips
globally with probability 1/2) the sample mean of an odd sum is ≈ 0 and changes A and B only
by O(1/n) relative to setting ⟨S_odd⟩ = 0.

Errors: delete-one-block jackknife over m ≥ 10 contiguous blocks of samples; θ_i is the
estimate without block i and SE² = (m−1)/m Σ_i (θ_i − θ̄)², θ̄ the mean of the θ_i. The
estimate itself is the full-sample value (no bias correction).

1D check (:func:`sample_ising_ring`, :func:`decimate`, :func:`ring_coupling_sums`): the
periodic Ising ring at coupling K under decimation s'_i = s_{2i} is exactly a ring at K' with
tanh K' = tanh² K, so the NN eigenvalue is dK'/dK = 2 tanh K/(1 + tanh² K) = tanh 2K; the tests
check the MCRG machinery against it.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit

from rsmi.utils.xoshiro import make_rng
from rsmi.utils.validation import as_columns, check_int_strict

__all__ = [
    "majority_rule",
    "filter_rule",
    "block_levels",
    "coupling_sums",
    "EVEN_COUPLINGS",
    "ODD_COUPLINGS",
    "mcrg_matrices",
    "rg_matrix",
    "leading_eigenvalue",
    "jackknife_se",
    "MCRGEstimate",
    "mcrg_eigenvalue",
    "mcrg_exponents",
    "sample_ising_ring",
    "decimate",
    "ring_coupling_sums",
]

#: Column order of the even and odd sums returned by :func:`coupling_sums`.
EVEN_COUPLINGS: tuple[str, ...] = ("nn", "nnn", "third", "plaquette")
ODD_COUPLINGS: tuple[str, ...] = ("magnetisation", "L3")

# Sums are accumulated over chunks of samples to bound the int8 temporaries.
_CHUNK_SITES = 1 << 22


# ----------------------------------------------------------------------------------------------
# Input validation


def _as_spins(configs, *, ndim: int, name: str = "configs") -> np.ndarray:
    """``configs`` as an int8 array of ±1 with ``ndim`` dimensions; ValueError otherwise."""
    c = np.asarray(configs)
    if c.dtype == np.bool_ or not (np.issubdtype(c.dtype, np.integer) or np.issubdtype(c.dtype, np.floating)):
        raise ValueError(f"{name} must hold numbers ±1, got dtype {c.dtype}")
    if c.ndim != ndim:
        shape = "(n, L, L)" if ndim == 3 else "(n, N)"
        raise ValueError(f"{name} must have shape {shape}, got {c.shape}")
    if c.shape[0] < 1:
        raise ValueError(f"{name} must hold at least one configuration, got shape {c.shape}")
    if ndim == 3 and c.shape[1] != c.shape[2]:
        raise ValueError(f"{name} must be square lattices (n, L, L), got {c.shape}")
    if not np.all((c == 1) | (c == -1)):
        raise ValueError(f"{name} must hold only the values +1 and -1")
    return c.astype(np.int8, copy=False)


def _as_even_lattices(configs) -> np.ndarray:
    c = _as_spins(configs, ndim=3)
    if c.shape[1] % 2:
        raise ValueError(f"2×2 blocking needs an even L, got L = {c.shape[1]}")
    return c


def _check_uniforms(u, shape) -> np.ndarray:
    u = np.asarray(u, dtype=np.float64)
    if u.shape != tuple(shape):
        raise ValueError(f"uniforms must have shape {tuple(shape)}, got {u.shape}")
    return u


def _block_views(c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The four block positions (row-major: (0,0), (0,1), (1,0), (1,1)) as (n, L/2, L/2) views."""
    return c[:, 0::2, 0::2], c[:, 0::2, 1::2], c[:, 1::2, 0::2], c[:, 1::2, 1::2]


def _block_uniforms(c: np.ndarray, seed) -> np.ndarray:
    rng = make_rng(seed)
    n, L, _ = c.shape
    return rng.random((n, L // 2, L // 2))


# ----------------------------------------------------------------------------------------------
# Majority rule


def _majority_from_uniforms(c: np.ndarray, u: np.ndarray) -> np.ndarray:
    """h = sign(Σ_block s); where Σ = 0, h = +1 if u < 1/2 else −1."""
    b00, b01, b10, b11 = _block_views(c)
    total = b00.astype(np.int16) + b01 + b10 + b11
    tie = np.where(u < 0.5, 1, -1)
    return np.where(total == 0, tie, np.sign(total)).astype(np.int8)


def _reference_blocks(configs, u, h_of_block) -> np.ndarray:
    """Loop over every 2×2 block: out[k, I, J] = h_of_block(the block's 4 spins s[k, 2I+dx, 2J+dy]
    in (dx, dy) order, u[k, I, J]), with pre-drawn uniforms u (n, L/2, L/2)."""
    c = _as_even_lattices(configs)
    n, L, _ = c.shape
    u = _check_uniforms(u, (n, L // 2, L // 2))
    out = np.empty((n, L // 2, L // 2), dtype=np.int8)
    for k in range(n):
        for I in range(L // 2):
            for J in range(L // 2):
                block = [(dx, dy, int(c[k, 2 * I + dx, 2 * J + dy])) for dx in range(2) for dy in range(2)]
                out[k, I, J] = h_of_block(block, u[k, I, J])
    return out


def _majority_rule_reference(configs, u) -> np.ndarray:
    """Loop twin of the majority rule with pre-drawn uniforms u (n, L/2, L/2)."""

    def h(block, uk):
        total = sum(s for _, _, s in block)
        if total > 0:
            return 1
        if total < 0:
            return -1
        return 1 if uk < 0.5 else -1

    return _reference_blocks(configs, u, h)


def majority_rule(configs, *, seed) -> np.ndarray:
    """Majority rule on 2×2 blocks: h_IJ = sign(Σ_{block IJ} s), ties by a fair coin per block.

    configs : (n, L, L) ±1 (L even); seed : int ≥ 0, SeedSequence or Generator (one uniform
    is drawn per block, whether or not it is tied). Returns int8 (n, L/2, L/2).
    """
    c = _as_even_lattices(configs)
    return _majority_from_uniforms(c, _block_uniforms(c, seed))


# ----------------------------------------------------------------------------------------------
# Learned filter rule (one hidden unit per 2×2 block)


def _check_filter(weights, bias) -> tuple[np.ndarray, float]:
    w = np.asarray(weights)
    if w.shape != (2, 2) or not (np.issubdtype(w.dtype, np.integer) or np.issubdtype(w.dtype, np.floating)):
        raise ValueError(f"weights must be a (2, 2) real array (block positions row-major), got shape {w.shape}")
    w = w.astype(np.float64)
    if not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite")
    if isinstance(bias, (bool, np.bool_)) or not isinstance(bias, numbers.Real) or not math.isfinite(bias):
        raise ValueError(f"bias must be a finite real number, got {bias!r}")
    return w, float(bias)


def _orientation(w: np.ndarray, b: float, orient: bool) -> int:
    """+1, or −1 when ``orient`` and the all-up block's pre-activation a_up = Σλ + b < 0."""
    if not orient:
        return 1
    a_up = w[0, 0] + w[0, 1] + w[1, 0] + w[1, 1] + b
    if a_up == 0.0:
        raise ValueError("orient=True needs a nonzero pre-activation of the all-up block "
                         "(sum(weights) + bias = 0 leaves the sign convention undefined); pass orient=False")
    return 1 if a_up > 0.0 else -1


def _filter_from_uniforms(c, w, b, stochastic, sign, u) -> np.ndarray:
    """h = sign · (+1 if u < p else −1), p = σ(a) (stochastic) or 1[a > 0] + ½·1[a = 0].

    A block has 16 states: p is tabulated per state (a summed in the same order as per block,
    so the same floats) and looked up by the state's index x00 + 2 x01 + 4 x10 + 8 x11."""
    x = np.arange(16)
    a = (x & 1) * w[0, 0] + ((x >> 1) & 1) * w[0, 1] + ((x >> 2) & 1) * w[1, 0] + ((x >> 3) & 1) * w[1, 1] + b
    table = expit(a) if stochastic else np.where(a > 0.0, 1.0, np.where(a < 0.0, 0.0, 0.5))
    b00, b01, b10, b11 = _block_views(c)
    # x_i = (s_i + 1)/2, so Σ 2^i x_i = (Σ 2^i s_i + 15)/2 — int8 arithmetic, no float temporaries
    idx = (b00 + 2 * b01 + 4 * b10 + 8 * b11 + 15) >> 1
    return (sign * np.where(u < table[idx], 1, -1)).astype(np.int8)


def _filter_rule_reference(configs, weights, bias, stochastic, orient, u) -> np.ndarray:
    """Loop twin of the filter rule with pre-drawn uniforms u (n, L/2, L/2)."""
    w, b = _check_filter(weights, bias)
    sign = _orientation(w, b, orient)

    def h(block, uk):
        a = 0.0
        for dx, dy, s in block:
            a += ((s + 1) // 2) * float(w[dx, dy])
        a += b
        if stochastic:
            p = 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))
        else:
            p = 1.0 if a > 0 else (0.0 if a < 0 else 0.5)
        return sign * (1 if uk < p else -1)

    return _reference_blocks(configs, u, h)


def filter_rule(configs, weights, bias, *, stochastic: bool, seed, orient: bool = True) -> np.ndarray:
    """The learned RSMI rule for 2×2 blocks and one hidden unit.

    With x = (s + 1)/2 ∈ {0, 1} and λ = ``weights`` (2, 2) (block positions row-major),
    a = Σ_i x_i λ_i + b.  ``stochastic=True``: h = +1 with probability σ(a) = 1/(1 + e^{−a})
    (a draw from the network's q_Λ(h|v)); ``stochastic=False``: h = sign(a), a = 0 by a fair coin.

    ``orient`` (default True): a learned filter's sign is arbitrary (λ → −λ, b → −b flips h),
    so the output is multiplied by sign(Σλ + b), the sign of the all-up block's pre-activation.
    The all-up block then maps to +1 (deterministic) or to +1 with probability > 1/2
    (stochastic), so block spins are aligned with the spins they replace, as MCRG needs for
    the odd couplings to be compared across levels. ValueError if Σλ + b = 0.

    One uniform is drawn per block from ``seed`` (int ≥ 0, SeedSequence or Generator).
    Returns int8 (n, L/2, L/2).
    """
    c = _as_even_lattices(configs)
    w, b = _check_filter(weights, bias)
    if not isinstance(stochastic, (bool, np.bool_)):
        raise ValueError(f"stochastic must be True or False, got {stochastic!r}")
    sign = _orientation(w, b, bool(orient))
    return _filter_from_uniforms(c, w, b, bool(stochastic), sign, _block_uniforms(c, seed))


def block_levels(configs, rule: Callable[..., np.ndarray], n_levels: int, *, seed) -> list[np.ndarray]:
    """[level 0 = configs, level 1 = rule(level 0), ..., level n_levels].

    ``rule(configs, *, seed)`` is e.g. :func:`majority_rule` or
    ``functools.partial(filter_rule, weights=λ, bias=b, stochastic=True)`` (the same rule at
    every level: the "reuse the first Λ" variant). One Generator made from ``seed`` is passed
    to every level in turn. Needs L divisible by 2**n_levels.
    """
    c = _as_spins(configs, ndim=3)
    n_levels = check_int_strict("n_levels", n_levels, 1)
    if c.shape[1] % (2 ** n_levels):
        raise ValueError(f"{n_levels} levels of 2×2 blocking need L divisible by {2 ** n_levels}, got L = {c.shape[1]}")
    rng = make_rng(seed)
    levels = [c]
    for _ in range(n_levels):
        levels.append(np.asarray(rule(levels[-1], seed=rng), dtype=np.int8))
    return levels


# ----------------------------------------------------------------------------------------------
# Coupling sums on the periodic square lattice


def _sums_chunk(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    def sh(dx, dy):  # s_{r + dx e_x + dy e_y}; axis 1 is x, axis 2 is y
        return np.roll(c, (-dx, -dy), axis=(1, 2))

    def tot(z):
        return z.sum(axis=(1, 2), dtype=np.int64)

    right, down, diag = sh(1, 0), sh(0, 1), sh(1, 1)
    plaq = c * right * down * diag
    even = np.stack([tot(c * (right + down)), tot(c * (diag + sh(1, -1))),
                     tot(c * (sh(2, 0) + sh(0, 2))), tot(plaq)], axis=1)
    odd = np.stack([tot(c), tot(plaq * (c + right + down + diag))], axis=1)
    return even, odd


def coupling_sums(configs) -> tuple[np.ndarray, np.ndarray]:
    """Even (n, 4) and odd (n, 2) coupling sums, int64, periodic; see the module docstring.

    Columns: even = (S_nn, S_nnn, S_3rd, S_plaq) (:data:`EVEN_COUPLINGS`), odd = (S_m, S_L)
    (:data:`ODD_COUPLINGS`). configs: (n, L, L) ±1 with L ≥ 4 (at L = 4 the distance-2 pair
    (r, r + 2e) is reached from both ends and so counted twice, as the formula says).
    """
    c = _as_spins(configs, ndim=3)
    if c.shape[1] < 4:
        raise ValueError(f"coupling sums need L >= 4 (smaller tori alias the couplings), got L = {c.shape[1]}")
    step = max(1, _CHUNK_SITES // (c.shape[1] * c.shape[2]))
    parts = [_sums_chunk(c[a:a + step]) for a in range(0, c.shape[0], step)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _coupling_sums_reference(configs) -> tuple[np.ndarray, np.ndarray]:
    """Loop twin of :func:`coupling_sums`: every L-shape's three-spin product written out."""
    c = _as_spins(configs, ndim=3).astype(np.int64)
    n, L, _ = c.shape
    even = np.zeros((n, 4), dtype=np.int64)
    odd = np.zeros((n, 2), dtype=np.int64)
    for k in range(n):
        for x in range(L):
            for y in range(L):
                def s(dx, dy):
                    return int(c[k, (x + dx) % L, (y + dy) % L])
                even[k, 0] += s(0, 0) * s(1, 0) + s(0, 0) * s(0, 1)
                even[k, 1] += s(0, 0) * s(1, 1) + s(0, 0) * s(1, -1)
                even[k, 2] += s(0, 0) * s(2, 0) + s(0, 0) * s(0, 2)
                corners = [s(0, 0), s(1, 0), s(0, 1), s(1, 1)]
                even[k, 3] += corners[0] * corners[1] * corners[2] * corners[3]
                odd[k, 0] += s(0, 0)
                for leave_out in range(4):
                    prod = 1
                    for j in range(4):
                        if j != leave_out:
                            prod *= corners[j]
                    odd[k, 1] += prod
    return even, odd


# ----------------------------------------------------------------------------------------------
# Swendsen's linearisation and the jackknife


def _check_sum_pair(hi, lo) -> tuple[np.ndarray, np.ndarray]:
    hi, lo = as_columns(hi), as_columns(lo)
    if hi.ndim != 2 or hi.shape != lo.shape:
        raise ValueError(f"sums at levels n and n-1 must both be (n_samples, n_couplings) of one shape, "
                         f"got {hi.shape} and {lo.shape}")
    if hi.shape[0] < 2:
        raise ValueError(f"need at least 2 samples, got {hi.shape[0]}")
    if not (np.all(np.isfinite(hi)) and np.all(np.isfinite(lo))):
        raise ValueError("coupling sums must be finite")
    return hi, lo


def _moment_sums(hi, lo, mu_hi, mu_lo):
    """Sums over samples of h, l, h⊗h, h⊗l with h = hi − mu_hi, l = lo − mu_lo (shifting by
    constants leaves the covariances unchanged and avoids cancellation)."""
    hi = hi - mu_hi
    lo = lo - mu_lo
    return hi.sum(0), lo.sum(0), hi.T @ hi, hi.T @ lo


def _matrices_from_sums(n, s_hi, s_lo, s_hh, s_hl):
    """A = ⟨hi hiᵀ⟩ − ⟨hi⟩⟨hi⟩ᵀ, B = ⟨hi loᵀ⟩ − ⟨hi⟩⟨lo⟩ᵀ from sums over n samples."""
    m_hi, m_lo = s_hi / n, s_lo / n
    return s_hh / n - np.outer(m_hi, m_hi), s_hl / n - np.outer(m_hi, m_lo)


def mcrg_matrices(hi, lo) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) of Swendsen's linearisation from per-sample sums.

    hi : (n_samples, k) sums S^(n) at level n; lo : (n_samples, k) sums S^(n−1) of the same
    samples at level n − 1 (same couplings, same order).
    A_ac = ⟨S_a^(n) S_c^(n)⟩ − ⟨S_a^(n)⟩⟨S_c^(n)⟩,  B_ac = ⟨S_a^(n) S_c^(n−1)⟩ − ⟨S_a^(n)⟩⟨S_c^(n−1)⟩
    (sample means, 1/n normalisation in both, which T = A⁻¹B does not depend on).
    """
    hi, lo = _check_sum_pair(hi, lo)
    return _matrices_from_sums(hi.shape[0], *_moment_sums(hi, lo, hi.mean(0), lo.mean(0)))


def rg_matrix(A, B) -> np.ndarray:
    """T = A⁻¹B by a linear solve: T_cb = ∂K_c^(n)/∂K_b^(n−1), from B = A T."""
    return np.linalg.solve(np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64))


def leading_eigenvalue(T) -> float:
    """Real part of the eigenvalue of T with the largest modulus."""
    ev = np.linalg.eigvals(np.asarray(T, dtype=np.float64))
    return float(ev[np.argmax(np.abs(ev))].real)


def jackknife_se(theta_loo) -> float:
    """Delete-one-block jackknife SE from the m leave-one-block-out estimates θ_i:
    SE² = (m−1)/m Σ_i (θ_i − θ̄)²."""
    t = np.asarray(theta_loo, dtype=np.float64)
    m = t.shape[0]
    if m < 2:
        raise ValueError(f"the jackknife needs at least 2 blocks, got {m}")
    return float(math.sqrt((m - 1) / m * np.sum((t - t.mean(axis=0)) ** 2, axis=0)))


@dataclass(frozen=True)
class MCRGEstimate:
    """Leading eigenvalue λ of T = A⁻¹B, exponent y = log_b λ, jackknife SEs, and T itself.

    ``T_loo`` holds the m leave-one-block-out matrices (for jackknife errors of T's entries).
    ``exponent`` is NaN if λ ≤ 0 (then no RG exponent is defined).
    """
    eigenvalue: float
    eigenvalue_se: float
    exponent: float
    exponent_se: float
    T: np.ndarray
    T_loo: np.ndarray
    n_blocks: int


def _log_b(lam: float, b: float) -> float:
    return math.log(lam) / math.log(b) if lam > 0 else math.nan


def mcrg_eigenvalue(hi, lo, *, n_blocks: int = 10, b: float = 2.0) -> MCRGEstimate:
    """Leading eigenvalue of T = A⁻¹B (see :func:`mcrg_matrices`) with jackknife errors.

    The samples are cut into ``n_blocks`` ≥ 10 contiguous blocks (``numpy.array_split``:
    sizes differ by at most one); θ_i is recomputed without block i from moment sums, and
    SE² = (m−1)/m Σ (θ_i − θ̄)² for θ = λ and θ = y = log_b λ. Works for any set of couplings
    (2D even or odd sector, the 1D ring), the generic core of :func:`mcrg_exponents`.
    The SE from m blocks is itself uncertain (m − 1 degrees of freedom): with m = 10 one 2D
    estimate came out 3× below the bootstrap SE (docs/mcrg_majority.md); prefer m = 20–40
    when blocks stay longer than the autocorrelation time.
    """
    hi, lo = _check_sum_pair(hi, lo)
    n = hi.shape[0]
    m = check_int_strict("n_blocks", n_blocks, 10)
    if n < 2 * m:
        raise ValueError(f"need at least 2 samples per jackknife block: {n} samples, {m} blocks")
    if not (isinstance(b, numbers.Real) and b > 1):
        raise ValueError(f"the scale factor b must be > 1, got {b!r}")
    # Per-block raw moment sums (about the full-sample means, for accuracy); a leave-one-out
    # estimate is the total minus one block.
    blocks = [(h.shape[0], *_moment_sums(h, l, hi.mean(0), lo.mean(0)))
              for h, l in zip(np.array_split(hi, m), np.array_split(lo, m))]
    total = [sum(x[j] for x in blocks) for j in range(5)]
    T = rg_matrix(*_matrices_from_sums(*total))
    T_loo = np.stack([rg_matrix(*_matrices_from_sums(*[total[j] - blk[j] for j in range(5)]))
                      for blk in blocks])
    lam = leading_eigenvalue(T)
    lam_loo = np.array([leading_eigenvalue(t) for t in T_loo])
    y_loo = np.array([_log_b(x, b) for x in lam_loo])
    return MCRGEstimate(eigenvalue=lam, eigenvalue_se=jackknife_se(lam_loo), exponent=_log_b(lam, b),
                        exponent_se=jackknife_se(y_loo), T=T, T_loo=T_loo, n_blocks=m)


def _level_sums(levels) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for lev in levels:
        if isinstance(lev, tuple) and len(lev) == 2:
            even, odd = (np.asarray(x) for x in lev)
            if even.ndim != 2 or odd.ndim != 2 or even.shape[0] != odd.shape[0]:
                raise ValueError("sums per level must be (even (n, k_e), odd (n, k_o)) pairs")
            out.append((even, odd))
        elif isinstance(lev, np.ndarray) and lev.ndim == 3:
            out.append(coupling_sums(lev))
        else:
            raise ValueError("each level must be an (n, L, L) array of configurations or an (even, odd) pair of sums")
    if len(out) < 2:
        raise ValueError(f"MCRG needs at least two levels (0 and 1), got {len(out)}")
    if len({e.shape[0] for e, _ in out}) != 1:
        raise ValueError("every level must hold the same samples (same n)")
    return out


def mcrg_exponents(levels, *, n_blocks: int = 10, b: float = 2.0) -> list[dict]:
    """y_t and y_h with jackknife SEs for each level n = 1, ..., len(levels) − 1.

    ``levels``: [level 0, level 1, ...] with level n = rule(level n−1) on the same samples,
    each either an (n_samples, L, L) ±1 array (sums by :func:`coupling_sums`) or a pair
    (even (n_samples, k_e), odd (n_samples, k_o)) of per-sample sums. Level n uses S^(n) and
    S^(n−1); the even sector gives λ_t = b^{y_t}, the odd sector λ_h = b^{y_h}.
    Returns one dict per level: level, y_t, y_t_se, y_h, y_h_se, lambda_t, lambda_t_se,
    lambda_h, lambda_h_se, n_samples, n_blocks.
    """
    sums = _level_sums(levels)
    rows = []
    for n in range(1, len(sums)):
        even = mcrg_eigenvalue(sums[n][0], sums[n - 1][0], n_blocks=n_blocks, b=b)
        odd = mcrg_eigenvalue(sums[n][1], sums[n - 1][1], n_blocks=n_blocks, b=b)
        rows.append(dict(level=n, y_t=even.exponent, y_t_se=even.exponent_se,
                         y_h=odd.exponent, y_h_se=odd.exponent_se,
                         lambda_t=even.eigenvalue, lambda_t_se=even.eigenvalue_se,
                         lambda_h=odd.eigenvalue, lambda_h_se=odd.eigenvalue_se,
                         n_samples=int(sums[n][0].shape[0]), n_blocks=even.n_blocks))
    return rows


# ----------------------------------------------------------------------------------------------
# The exactly solvable check: the 1D periodic Ising ring under decimation


def sample_ising_ring(N: int, K: float, n_samples: int, *, seed) -> np.ndarray:
    """Exact independent samples of the periodic Ising ring p(s) ∝ exp(K Σ_i s_i s_{i+1}).

    Bond variables τ_i = s_i s_{i+1} (i = 0..N−1, s_N = s_0) are drawn independently with
    P(τ = +1) = e^K/(2 cosh K) = 1/(1 + e^{−2K}); a row is kept only if Π τ = +1 (the ring
    closes), otherwise redrawn (rejection, accepted with probability (1 + tanh^N K)/2 ≥ 1/2 for
    K ≥ 0, so exact). Then s_0 = ±1 by a fair coin and s_i = s_0 Π_{j<i} τ_j.
    Returns int8 (n_samples, N).
    """
    N = check_int_strict("N", N, 3)
    n_samples = check_int_strict("n_samples", n_samples, 1)
    if isinstance(K, (bool, np.bool_)) or not isinstance(K, numbers.Real) or not math.isfinite(K) or K < 0:
        raise ValueError(f"K must be a finite coupling >= 0, got {K!r}")
    rng = make_rng(seed)
    p_up = 1.0 / (1.0 + math.exp(-2.0 * float(K)))
    tau = np.empty((n_samples, N), dtype=np.int8)
    todo = np.arange(n_samples)
    while todo.size:
        draw = np.where(rng.random((todo.size, N)) < p_up, 1, -1).astype(np.int8)
        ok = np.prod(draw, axis=1, dtype=np.int64) == 1
        tau[todo[ok]] = draw[ok]
        todo = todo[~ok]
    s0 = np.where(rng.random(n_samples) < 0.5, 1, -1).astype(np.int8)
    s = np.empty((n_samples, N), dtype=np.int8)
    s[:, 0] = s0
    s[:, 1:] = s0[:, None] * np.cumprod(tau[:, :-1], axis=1, dtype=np.int8)
    return s


def decimate(configs) -> np.ndarray:
    """Decimation by b = 2 on a ring: s'_i = s_{2i}. configs (n, N) ±1, N even ≥ 6."""
    c = _as_spins(configs, ndim=2)
    if c.shape[1] % 2 or c.shape[1] < 6:
        raise ValueError(f"decimation needs an even ring length N >= 6, got N = {c.shape[1]}")
    return np.ascontiguousarray(c[:, 0::2])


def ring_coupling_sums(configs) -> np.ndarray:
    """(n, 2) int64 sums on a periodic ring: S_nn = Σ_i s_i s_{i+1}, S_nnn = Σ_i s_i s_{i+2}.

    configs (n, N) ±1 with N ≥ 5 (smaller rings alias the two couplings)."""
    c = _as_spins(configs, ndim=2)
    if c.shape[1] < 5:
        raise ValueError(f"ring sums need N >= 5, got N = {c.shape[1]}")
    nn = (c * np.roll(c, -1, axis=1)).sum(axis=1, dtype=np.int64)
    nnn = (c * np.roll(c, -2, axis=1)).sum(axis=1, dtype=np.int64)
    return np.stack([nn, nnn], axis=1)


def _ring_coupling_sums_reference(configs) -> np.ndarray:
    """Loop twin of :func:`ring_coupling_sums`."""
    c = _as_spins(configs, ndim=2)
    n, N = c.shape
    out = np.zeros((n, 2), dtype=np.int64)
    for k in range(n):
        for i in range(N):
            out[k, 0] += int(c[k, i]) * int(c[k, (i + 1) % N])
            out[k, 1] += int(c[k, i]) * int(c[k, (i + 2) % N])
    return out
