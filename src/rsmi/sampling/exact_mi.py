"""Exact I(H:E) for row regions of the 2D Ising torus, and an exact row sampler.

Geometry (docs/method.md §5b).  H = −J Σ_⟨ij⟩ s_i s_j with J = 1, s = ±1, on an L × M torus: rows of
L sites (periodic in the site index i), M rows (periodic in the row index r).  The regions are
full rings of rows.  With V starting at row ``start``:

* V: the L_V rows ``start … start+L_V−1``;
* buffer: L_B rows on each side of V (summed over, never observed);
* E: L_E rows on each side beyond the buffer, i.e. the two bands
  ``start−L_B−L_E … start−L_B−1`` ("top") and ``start+L_V+L_B … start+L_V+L_B+L_E−1``
  ("bottom"), all indices mod M, so M ≥ L_V + 2 L_B + 2 L_E;
* the remaining M − L_V − 2 L_B − 2 L_E rows are unobserved and summed over.

A coarse-graining is a conditional distribution P(h | v) over V's row states: an array of shape
(2^(L·L_V), n_labels) whose rows sum to 1, or a callable mapping V row-spins (n, L_V, L) to
hard labels (any integers; they are relabelled 0 … n_labels−1 in sorted order).

State indices.  A row state k ∈ [0, 2^L) has spins s_i = 2·((k >> i) & 1) − 1, i = 0 … L−1.
A block of R rows (r = 0 … R−1) has index Σ_r k_r · 2^(L·r), i.e. bit r·L + i is site i of row r
(:func:`rows_to_index`).  P(h | v) arrays are indexed by this V index.

Transfer matrix.  T_ab = exp(β/2·E_row(a) + β·Σ_i a_i b_i + β/2·E_row(b)), E_row(a) = Σ_i a_i a_{i+1}
(periodic in i), β = 1/T.  Then P(s_0, …, s_{M−1}) = Π_r T[s_r, s_{r+1 mod M}] / Tr T^M, so the
rows form a Markov chain on a cycle.  Every power T^n is computed with rescaling (its largest
entry set to 1; the discarded scales cancel in every normalised probability), so nothing
overflows; T has only positive entries, so products keep each entry to relative accuracy.

Everything is pure NumPy, deterministic and without module state.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numba import njit

from rsmi.utils.xoshiro import make_rng
from rsmi.utils.validation import check_int_strict

__all__ = [
    "transfer_matrix",
    "rows_to_index",
    "row_regions",
    "mutual_information_rows",
    "mutual_information_rows_bruteforce",
    "sample_torus_rows",
]

# Size limits: matrices of 4^L doubles, V enumerations of 2^(L·L_V) states.
_MAX_L = 10
_MAX_V_BITS = 16
_MAX_BRUTE_BITS = 22
_MAX_FLOATS = 1 << 24


def _beta(T) -> float:
    if isinstance(T, (bool, np.bool_)) or not isinstance(T, numbers.Real):
        raise TypeError(f"T must be a real number, got {type(T).__name__}")
    T = float(T)
    if not (math.isfinite(T) and T > 0):
        raise ValueError(f"T must be a positive finite temperature, got {T}")
    return 1.0 / T


def _check_L(L, maximum: int = _MAX_L) -> int:
    L = check_int_strict("L", L, 2)
    if L > maximum:
        raise ValueError(f"L = {L} is too large: 2^L × 2^L matrices are used, L <= {maximum} allowed")
    return L


def _row_spins(L: int) -> np.ndarray:
    """(2^L, L) int8 spins of every row state: s_i = 2·((k >> i) & 1) − 1."""
    k = np.arange(1 << L)[:, None]
    return (2 * ((k >> np.arange(L)) & 1) - 1).astype(np.int8)


def transfer_matrix(L: int, T: float) -> np.ndarray:
    """Symmetric row-to-row transfer matrix of the L-site periodic row, shape (2^L, 2^L).

        T_ab = exp( β/2 · E_row(a) + β · Σ_i a_i b_i + β/2 · E_row(b) ),
        E_row(a) = Σ_{i=0}^{L−1} a_i a_{(i+1) mod L},   β = 1/T  (J = 1, k_B = 1),

    with row state k ↔ spins s_i = 2·((k >> i) & 1) − 1.  The Boltzmann weight of a torus
    configuration is Π_r T[s_r, s_{r+1 mod M}] and Z = Tr T^M.  (For L = 2 the ring bond is
    counted twice, as the periodic sum Σ_i s_i s_{i+1} does.)  Not rescaled: entries reach
    exp(2βL) — callers needing powers use rescaled products.
    """
    L = _check_L(L)
    beta = _beta(T)
    s = _row_spins(L).astype(np.float64)
    e_row = np.sum(s * np.roll(s, -1, axis=1), axis=1)
    return np.exp(0.5 * beta * (e_row[:, None] + e_row[None, :]) + beta * (s @ s.T))


def _rescaled(A: np.ndarray) -> np.ndarray:
    return A / A.max()


def _power(Tn: np.ndarray, n: int) -> np.ndarray:
    """T^n by repeated squaring, rescaled after every product so that its largest entry is 1."""
    result = np.eye(Tn.shape[0])
    base = _rescaled(Tn)
    while n > 0:
        if n & 1:
            result = _rescaled(result @ base)
        n >>= 1
        if n:
            base = _rescaled(base @ base)
    return result


def rows_to_index(spins) -> np.ndarray:
    """State index Σ_{r,i} [s_{r,i} = +1] · 2^(r·L + i) of blocks of rows, shape (..., R, L) → (...)."""
    s = np.asarray(spins)
    if s.ndim < 2:
        raise ValueError(f"spins must have shape (..., R, L), got {s.shape}")
    if not np.isin(s, (-1, 1)).all():
        raise ValueError("spins must be +-1")
    R, L = s.shape[-2:]
    if R * L > 62:
        raise ValueError(f"{R} rows of {L} sites do not fit a 64-bit index")
    bits = (s.reshape(*s.shape[:-2], R * L) > 0).astype(np.int64)
    return bits @ (np.int64(1) << np.arange(R * L, dtype=np.int64))


def _check_geometry(M, L_V, L_B, L_E) -> tuple[int, int, int, int]:
    M = check_int_strict("M", M, 1)
    L_V = check_int_strict("L_V", L_V, 1)
    L_B = check_int_strict("L_B", L_B, 0)
    L_E = check_int_strict("L_E", L_E, 1)
    need = L_V + 2 * L_B + 2 * L_E
    if M < need:
        raise ValueError(f"M = {M} rows cannot hold V, two buffers and two E bands: "
                         f"M >= L_V + 2 L_B + 2 L_E = {need} required")
    return M, L_V, L_B, L_E


def row_regions(configs, L_V: int, L_B: int, L_E: int, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Cut V (n, L_V, L) and E (n, 2·L_E, L) out of configurations (n, M, L), periodic along M.

    V is rows start … start+L_V−1; E stacks the top band (rows start−L_B−L_E … start−L_B−1)
    and then the bottom band (rows start+L_V+L_B … start+L_V+L_B+L_E−1), all mod M.  Both are
    copies.  Requires M ≥ L_V + 2 L_B + 2 L_E so that no row is used twice.
    """
    configs = np.asarray(configs)
    if configs.ndim != 3:
        raise ValueError(f"configs must have shape (n, M, L), got {configs.shape}")
    M = configs.shape[1]
    _, L_V, L_B, L_E = _check_geometry(M, L_V, L_B, L_E)
    start = check_int_strict("start", start, 0)
    v_rows = start + np.arange(L_V)
    top = start - L_B - L_E + np.arange(L_E)
    bottom = start + L_V + L_B + np.arange(L_E)
    return configs[:, v_rows % M], configs[:, np.concatenate([top, bottom]) % M]


def _code_matrix(L: int, L_V: int, code) -> np.ndarray:
    """P(h | v) as a float64 array (2^(L·L_V), n_labels), validated."""
    n_v = 1 << (L * L_V)
    if callable(code):
        k = np.arange(n_v)[:, None]
        bits = (k >> np.arange(L * L_V)) & 1
        labels = np.asarray(code((2 * bits - 1).astype(np.int8).reshape(n_v, L_V, L)))
        if labels.shape != (n_v,) or not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"a callable code must return {n_v} integer labels (one per V state), "
                             f"got dtype {labels.dtype} shape {labels.shape}")
        _, inverse = np.unique(labels, return_inverse=True)
        P = np.zeros((n_v, int(inverse.max()) + 1))
        P[np.arange(n_v), inverse.ravel()] = 1.0
        return P
    P = np.asarray(code, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != n_v or P.shape[1] < 1:
        raise ValueError(f"code must be a callable or an array P(h|v) of shape ({n_v}, n_labels), "
                         f"got shape {P.shape}")
    if not np.all(np.isfinite(P)) or np.any(P < 0):
        raise ValueError("P(h|v) must be finite and non-negative")
    if not np.allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-9):
        raise ValueError("every row of P(h|v) must sum to 1")
    return P


def _mi_from_joint(J: np.ndarray) -> float:
    """I = Σ_{h,e} P(h,e) ln[P(h,e) / (P(h) P(e))] in nats from an unnormalised joint (n_h, n_e).

    Equal to H(H) − H(H|E); the relative-entropy form avoids subtracting two entropies.
    """
    J = J / J.sum()
    ph = J.sum(axis=1, keepdims=True)
    pe = J.sum(axis=0, keepdims=True)
    mask = J > 0
    ratio = J[mask] / (ph * pe)[mask]  # the outer product (a matmul with inner length 1 was slow)
    return max(float(np.sum(J[mask] * np.log(ratio))), 0.0)


def mutual_information_rows(L: int, M: int, T: float, L_V: int, L_B: int, L_E: int, code) -> float:
    """Exact I(H:E) in nats for row regions of the L × M Ising torus (module docstring).

    Put V at rows 0 … L_V−1 and let t = row M−L_B−1, b = row L_V+L_B be the E rows nearest to
    the buffer.  With Â = T^(L_B+1), Ĉ = T^(M−L_V−2L_B−1) and, for every label h,

        K_h[a, c] = Σ_{v: v_0 = a, v_{L_V−1} = c} P(h|v) · Π_{r=0}^{L_V−2} T[v_r, v_{r+1}],

    the chain structure gives P(h, t, b) ∝ (Â K_h Â)[t, b] · Ĉ[b, t], an n_labels × 2^L × 2^L
    array, and I(H:E) = H(H) − H(H|E) = Σ P(h,t,b) ln[P(h,t,b) / (P(h) P(t,b))].

    L_E ≥ 1 is accepted (it only sets the size check M ≥ L_V + 2L_B + 2L_E) but the answer is
    the L_E = 1 answer: given rows t and b, the cycle splits into the arc holding V and the arc
    holding the rest of E, which are conditionally independent (the Markov property of rows),
    so H ⊥ E_far | (t, b) and the chain rule gives I(H:E) = I(H:t,b) + I(H:E_far | t,b) =
    I(H:t,b).  (tests/test_exact_mi.py checks this against brute force with L_E = 2.)

    Limits: 2 ≤ L ≤ 10, L·L_V ≤ 16, n_labels·4^L ≤ 2^24.  Cost: O(log M) products of
    2^L × 2^L matrices plus O(n_labels) more and one pass over the 2^(L·L_V) V states.
    """
    L = _check_L(L)
    M, L_V, L_B, L_E = _check_geometry(M, L_V, L_B, L_E)
    _beta(T)
    if L * L_V > _MAX_V_BITS:
        raise ValueError(f"V has L·L_V = {L * L_V} bits; at most {_MAX_V_BITS} can be enumerated")
    P = _code_matrix(L, L_V, code)
    K = 1 << L
    if P.shape[1] * K * K > _MAX_FLOATS:
        raise ValueError(f"{P.shape[1]} labels × 4^{L} joint entries exceed the memory limit")
    Tn = _rescaled(transfer_matrix(L, T))
    v = np.arange(1 << (L * L_V))
    rows = [(v >> (L * r)) & (K - 1) for r in range(L_V)]
    weight = np.ones(v.size)
    for r in range(L_V - 1):
        weight *= Tn[rows[r], rows[r + 1]]
    pair = rows[0] * K + rows[-1]
    A = _power(Tn, L_B + 1)
    C = _power(Tn, M - L_V - 2 * L_B - 1)
    if L_V == 1 and _is_deterministic(P):
        return _mi_from_joint(_joint_one_row(A, C, P.argmax(axis=1)))
    joint = np.empty((P.shape[1], K, K))
    for h in range(P.shape[1]):
        K_h = np.bincount(pair, weights=weight * P[:, h], minlength=K * K).reshape(K, K)
        joint[h] = (A @ K_h @ A) * C.T  # one common scale for all h
    return _mi_from_joint(joint.reshape(P.shape[1], K * K))


def _is_deterministic(P: np.ndarray) -> bool:
    """Every row of P(h|v) puts all its weight on one label."""
    return bool(np.all(P.max(axis=1) == 1.0))


def _joint_one_row(A: np.ndarray, C: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unnormalised P(h, t, b) (n_labels, 4^L) for L_V = 1 and a deterministic code h = labels[v].

    With one V row, K_h of :func:`mutual_information_rows` is diagonal, K_h = diag(1[h(v) = h]),
    so (Â K_h Â)[t, b] = Σ_{v: h(v) = h} Â[t, v] Â[v, b]: the outer products X_v[t, b] =
    Â[t, v] Â[v, b] summed within each label (one pass over 2^L × 4^L numbers instead of
    n_labels products of 2^L × 2^L matrices; 8 single-spin bits of an L = 8 row: 256 labels,
    ≈ 17 s → < 1 s). Times Ĉ[b, t] as there. The general path is this function's slow twin
    (tests/test_exact_mi.py).
    """
    n_labels = int(labels.max()) + 1
    order = np.argsort(labels, kind="stable")
    X = A.T[order][:, :, None] * A[order][:, None, :]  # X[v, t, b] = Â[t, v] Â[v, b], v sorted by label
    starts = np.searchsorted(labels[order], np.arange(n_labels))
    joint = np.zeros((n_labels,) + A.shape)
    present = np.bincount(labels, minlength=n_labels) > 0
    joint[present] = np.add.reduceat(X, starts[present], axis=0)
    joint *= C.T[None]
    return joint.reshape(n_labels, -1)


def mutual_information_rows_bruteforce(L: int, M: int, T: float, L_V: int, L_B: int, L_E: int,
                                       code) -> float:
    """I(H:E) in nats by enumerating all 2^(L·M) configurations of the torus (slow, L·M ≤ 22).

    Independent of the transfer matrix: each configuration gets weight exp(−β H) with
    H = −Σ_{r,i} s_{r,i} (s_{r,i+1} + s_{r+1,i}) (indices periodic), V and the full E
    (all 2·L_E rows) are cut with :func:`row_regions` (start = 0), and
    P(h, e) = Σ_config P(config) P(h | v(config)) is accumulated over E's 2^(2·L·L_E) states.
    """
    L = check_int_strict("L", L, 2)
    M, L_V, L_B, L_E = _check_geometry(M, L_V, L_B, L_E)
    beta = _beta(T)
    if L * M > _MAX_BRUTE_BITS:
        raise ValueError(f"L·M = {L * M} spins: brute force enumerates 2^(L·M) states, "
                         f"at most {_MAX_BRUTE_BITS} spins allowed")
    P = _code_matrix(L, L_V, code)
    c = np.arange(1 << (L * M))[:, None]
    s = (2 * ((c >> np.arange(L * M)) & 1) - 1).astype(np.int8).reshape(-1, M, L)
    bonds = s * np.roll(s, -1, axis=2) + s * np.roll(s, -1, axis=1)
    log_w = beta * bonds.sum(axis=(1, 2), dtype=np.float64)
    p = np.exp(log_w - log_w.max())
    p /= p.sum()
    V, E = row_regions(s, L_V, L_B, L_E)
    n_e = 1 << (2 * L * L_E)
    p_ve = np.bincount(rows_to_index(V) * n_e + rows_to_index(E), weights=p,
                       minlength=P.shape[0] * n_e).reshape(P.shape[0], n_e)
    return _mi_from_joint(P.T @ p_ve)


def _power_ladder(Tn: np.ndarray, n: int) -> np.ndarray:
    """Stack (n+1, K, K) of T^0 … T^n, each rescaled to largest entry 1."""
    out = np.empty((n + 1,) + Tn.shape)
    out[0] = np.eye(Tn.shape[0])
    for j in range(1, n + 1):
        out[j] = _rescaled(out[j - 1] @ Tn)
    return out


def _draw(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index j of each row of non-negative ``weights`` with probability w_j / Σ w, from u ∈ [0,1)."""
    cdf = np.cumsum(weights, axis=1)
    j = np.sum(cdf < u[:, None] * cdf[:, -1:], axis=1)
    return np.minimum(j, weights.shape[1] - 1)


def _rows_reference(Tn: np.ndarray, powers: np.ndarray, u: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Slow twin of :func:`_rows_kernel` in NumPy: row indices (n, M) of the chain in
    :func:`sample_torus_rows` from its uniforms u (n, M), ``chunk`` samples at a time."""
    n_samples, M = u.shape
    K = Tn.shape[0]
    marginal = np.diag(powers[M]).copy()
    rows = np.empty((n_samples, M), dtype=np.int64)
    for lo in range(0, n_samples, chunk):
        sl = slice(lo, min(lo + chunk, n_samples))
        rows[sl, 0] = _draw(np.broadcast_to(marginal, (sl.stop - lo, K)), u[sl, 0])
        for k in range(M - 1):
            w = Tn[rows[sl, k]] * powers[M - k - 1][:, rows[sl, 0]].T
            rows[sl, k + 1] = _draw(w, u[sl, k + 1])
    return rows


@njit(cache=True, inline="always")
def _cdf_draw(cdf, u):  # pragma: no cover - numba
    """#{j : cdf_j < u · cdf_(K−1)} capped at K − 1: the draw of :func:`_draw` from a running sum."""
    K = cdf.shape[0]
    thr = u * cdf[K - 1]
    j = 0
    while j < K and cdf[j] < thr:
        j += 1
    return min(j, K - 1)


@njit(cache=True)
def _rows_kernel(Tn, powers_t, marginal, u, rows):  # pragma: no cover - numba
    """rows[i, 0] ~ marginal, rows[i, k+1] ~ w_j = Tn[rows[i, k], j] · powers_t[M−k−1, rows[i, 0], j],
    each drawn as j = #{j : cdf_j < u · cdf_(K−1)} capped at K − 1 (cdf = running sum of w in
    index order): the same floats and the same draws as :func:`_rows_reference` (``powers_t`` is
    the stack of transposed powers, read along rows)."""
    n, M = u.shape
    K = Tn.shape[0]
    cdf = np.empty(K)
    cdf0 = np.empty(K)
    acc = 0.0
    for j in range(K):
        acc += marginal[j]
        cdf0[j] = acc
    for i in range(n):
        r0 = _cdf_draw(cdf0, u[i, 0])
        rows[i, 0] = r0
        a = r0
        for k in range(M - 1):
            P = M - k - 1
            acc = 0.0
            for j in range(K):
                acc += Tn[a, j] * powers_t[P, r0, j]
                cdf[j] = acc
            a = _cdf_draw(cdf, u[i, k + 1])
            rows[i, k + 1] = a


def sample_torus_rows(L: int, M: int, T: float, n_samples: int, *, seed) -> np.ndarray:
    """Exact, independent draws from the Boltzmann distribution of the L × M Ising torus.

    Returns int8 spins of shape (n_samples, M, L), no Markov chain involved.  Row 0 is drawn
    from its marginal P(s_0) = (T^M)[s_0, s_0] / Tr T^M, then for k = 0 … M−2

        P(s_{k+1} | s_0 … s_k) = P(s_{k+1} | s_k, s_0) ∝ T[s_k, s_{k+1}] · (T^(M−k−1))[s_{k+1}, s_0],

    the second factor carrying the periodic closure (the rows k+1 … M−1 and the bond back to
    row 0).  Powers are rescaled (largest entry 1); the scales cancel in each normalisation.

    ``seed``: int ≥ 0, SeedSequence or numpy Generator (a Generator is advanced).  All uniforms
    are drawn up front as one (n_samples, M) block; the draws are made by a numba kernel
    (:func:`_rows_kernel`, tested against its NumPy twin :func:`_rows_reference`).  Same seed →
    same bytes.  Limits: 2 ≤ L ≤ 10 and (M+1)·4^L ≤ 2^24 (the stored powers T^0 … T^M).
    """
    L = _check_L(L)
    M = check_int_strict("M", M, 2)
    _beta(T)
    n_samples = check_int_strict("n_samples", n_samples, 1)
    K = 1 << L
    if (M + 1) * K * K > _MAX_FLOATS:
        raise ValueError(f"(M+1)·4^L = {(M + 1) * K * K} stored floats exceed the limit {_MAX_FLOATS}")
    rng = make_rng(seed)
    Tn = _rescaled(transfer_matrix(L, T))
    powers = _power_ladder(Tn, M)
    u = rng.random((n_samples, M))
    marginal = np.diag(powers[M]).copy()
    rows = np.empty((n_samples, M), dtype=np.int64)
    _rows_kernel(Tn, np.ascontiguousarray(powers.transpose(0, 2, 1)), marginal, u, rows)
    return _row_spins(L)[rows]
