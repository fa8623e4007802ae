"""Numba kernels of the RSMI network and their slow, obviously correct NumPy twins.

Two hot loops (see :mod:`rsmi.coarse.network` for the formulas):

* :func:`g_matrix_kernel` — ``G[s, b] = f[s] + α[b] + Σ_m softplus(X[s, m] + Y[b, m])``, the
  log-likelihood ratio g(v_s, e_b) = F_V(v_s) − F_VE(v_s, e_b) for every (visible state, window)
  pair, with the Λ-independent parts precomputed by BLAS (``X = c + v W_v``, ``Y = e W_e``);
  :func:`g_pairs_kernel` the same for given (state, window) pairs.  Both take the sum as the
  log of a product of factors 1 + e^{x}e^{y} carried as mantissa and binary exponent: M
  multiply-adds and one log per pair.
* :func:`heat_bath_kernel` — single-site heat-bath sweeps on U(v) = F_V(v) − log q_Λ(h|v)
  with cached pre-activations and exponentials, so a flip proposal costs O(M + N_h)
  multiplications and no exp or log.

The twins (``*_reference``) recompute everything from scratch with NumPy; the tests compare the
kernels against them.  The kernels are called only through :mod:`rsmi.coarse.network`, which validates
their inputs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from rsmi.utils.numerics import softplus

__all__ = [
    "g_matrix_kernel",
    "g_matrix_reference",
    "g_pairs_kernel",
    "exp_rows_kernel",
    "g_pairs_reference",
    "heat_bath_kernel",
    "heat_bath_reference",
    "binary_states",
    "log_q",
]


def binary_states(n: int) -> np.ndarray:
    """All 2^n binary vectors as float64 rows; row k has bit j = (k >> j) & 1."""
    codes = np.arange(2**n, dtype=np.int64)
    return ((codes[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1).astype(np.float64)


def log_q(s: np.ndarray, hs: np.ndarray) -> np.ndarray:
    """log q_Λ(h|v) for pre-activations s (n, N_h) and h-states hs (H, N_h): (n, H).

    log q = Σ_j h_j log σ(s_j) + (1 − h_j) log σ(−s_j), log σ(x) = −softplus(−x)."""
    return -(softplus(-s) @ hs.T) - (softplus(s) @ (1.0 - hs).T)


@njit(cache=True, inline="always")
def _softplus(x):  # pragma: no cover - numba
    # log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}); no overflow for any x.
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


@njit(cache=True, inline="always")
def _active_sum(v, M, col, start):  # pragma: no cover - numba
    """start + Σ_{i: v_i ≠ 0} M[i, col], summed in the order of i."""
    acc = start
    for i in range(v.shape[0]):
        if v[i]:
            acc += M[i, col]
    return acc


# The product forms of g_matrix_kernel and g_pairs_kernel multiply factors 1 + e^{x}e^{y} with
# |x|, |y| <= _EXP_LIMIT, so each factor is <= 1 + e^{80} < 2^116 and a product of _BLOCK of them
# stays below 2^929 < DBL_MAX; every _BLOCK factors a product is renormalised (_renormalise).
_EXP_LIMIT = 40.0
_BLOCK = 8
# IEEE-754 binary64: 52 mantissa bits, exponent bias 1023 (see _renormalise)
_EXP_SHIFT = np.uint64(52)
_MANTISSA = np.uint64((1 << 52) - 1)
_EXP_ONE = np.uint64(1023 << 52)
_LN2 = math.log(2.0)


@njit(cache=True, inline="always")
def _renormalise(prod, bits, kexp):  # pragma: no cover - numba
    """Write each prod[b] ≥ 1 as 1.f × 2^k: keep the mantissa 1.f in prod[b], add k to kexp[b].

    Pure bit operations on the IEEE-754 layout (``bits`` is ``prod`` viewed as uint64), so the
    product of a whole row of factors is carried without overflow and without a log per block."""
    for b in range(prod.shape[0]):
        u = bits[b]
        kexp[b] += np.int64(u >> _EXP_SHIFT) - 1023
        bits[b] = (u & _MANTISSA) | _EXP_ONE


@njit(cache=True)
def g_matrix_kernel(f, alpha, X, Y, out):  # pragma: no cover - numba
    """out[s, b] = f[s] + alpha[b] + Σ_m softplus(X[s, m] + Y[b, m]).

    Σ_m softplus(x_m + y_m) = log Π_m (1 + e^{x_m} e^{y_m}): the exponentials of X and Y are
    taken once (not once per pair); for one state s the products of all windows b advance
    together, m by m (the inner loop runs over b, contiguous in e^{Y}ᵀ, and vectorises), and
    after every block of 8 factors each product is renormalised to its mantissa and a binary
    exponent k (:func:`_renormalise`), so a pair costs M multiply-adds and one log:
    Σ_m softplus = log(mantissa) + k ln 2.  With |x|, |y| <= 40 a block of 8 factors is
    < 2^929, far from overflow.  Pairs with any |x| or |y| > 40 use the direct softplus sum."""
    S, M = X.shape
    B = Y.shape[0]
    EX = np.exp(np.minimum(X, _EXP_LIMIT))
    EYT = np.ascontiguousarray(np.exp(np.minimum(Y, _EXP_LIMIT)).T)  # (M, B)
    okx = np.empty(S, dtype=np.bool_)
    oky = np.empty(B, dtype=np.bool_)
    for s in range(S):
        okx[s] = np.abs(X[s]).max() <= _EXP_LIMIT
    for b in range(B):
        oky[b] = np.abs(Y[b]).max() <= _EXP_LIMIT
    prod = np.empty(B)
    bits = prod.view(np.uint64)
    kexp = np.empty(B, dtype=np.int64)
    for s in range(S):
        prod[:] = 1.0
        kexp[:] = 0
        for m0 in range(0, M, _BLOCK):
            for m in range(m0, min(m0 + _BLOCK, M)):
                exm = EX[s, m]
                row = EYT[m]
                for b in range(B):
                    prod[b] *= 1.0 + exm * row[b]
            _renormalise(prod, bits, kexp)
        for b in range(B):
            if okx[s] and oky[b]:
                acc = math.log(prod[b]) + kexp[b] * _LN2
            else:
                acc = 0.0
                for m in range(M):
                    acc += _softplus(X[s, m] + Y[b, m])
            out[s, b] = f[s] + alpha[b] + acc
    return out


def g_matrix_reference(f, alpha, X, Y):
    """Twin of :func:`g_matrix_kernel`: broadcast the (S, B, M) tensor and sum."""
    return f[:, None] + alpha[None, :] + softplus(X[:, None, :] + Y[None, :, :]).sum(axis=2)


@njit(cache=True)
def exp_rows_kernel(X):  # pragma: no cover - numba
    """(EX, ok) with EX = exp(min(X, 40)) elementwise and ok[s] = (max_m |X[s, m]| <= 40): the
    Λ-independent exponentials :func:`g_pairs_kernel` reads, taken once per pool, not per call."""
    EX = np.exp(np.minimum(X, _EXP_LIMIT))
    ok = np.empty(X.shape[0], dtype=np.bool_)
    for s in range(X.shape[0]):
        ok[s] = np.abs(X[s]).max() <= _EXP_LIMIT
    return EX, ok


@njit(cache=True, inline="always")
def _lane_log_product(exs, eyb, p, bits, kexp):  # pragma: no cover - numba
    """Σ_m log(1 + exs[m] eyb[m]) as log of a product carried in 8 interleaved lanes.

    Lane l multiplies the factors m ≡ l (mod 8) (independent chains, so the multiplications
    overlap instead of waiting on one another); after every 8 factors per lane the lanes are
    renormalised (:func:`_renormalise`), and at the end log(Π_l mantissa_l) + (Σ_l k_l) ln 2."""
    M = exs.shape[0]
    for lane in range(_BLOCK):
        p[lane] = 1.0
        kexp[lane] = 0
    n_full = M // _BLOCK
    for blk in range(n_full):
        m0 = blk * _BLOCK
        for lane in range(_BLOCK):
            p[lane] *= 1.0 + exs[m0 + lane] * eyb[m0 + lane]
        if blk % _BLOCK == _BLOCK - 1:
            _renormalise(p, bits, kexp)
    for m in range(n_full * _BLOCK, M):
        p[m - n_full * _BLOCK] *= 1.0 + exs[m] * eyb[m]
    _renormalise(p, bits, kexp)
    tot = 1.0  # a product of 8 mantissas in [1, 2)
    k = 0
    for lane in range(_BLOCK):
        tot *= p[lane]
        k += kexp[lane]
    return math.log(tot) + k * _LN2


@njit(cache=True)
def g_pairs_kernel(f, X, EX, okx, Y, idx, out):  # pragma: no cover - numba
    """out[b, j] = f[idx[b, j]] + Σ_m softplus(X[idx[b, j], m] + Y[b, m]).

    g(v, e) − α(e) for the pool states ``idx[b]`` paired with window b only (the pooled proxy
    pairs each window with its own subset of the pool, :mod:`rsmi.coarse.pooled`).  Product form as in
    :func:`g_matrix_kernel`, Σ_m softplus(x_m + y_m) = log Π_m (1 + e^{x_m} e^{y_m}), taken per
    pair in 8 lanes (:func:`_lane_log_product`): M multiply-adds and one log per pair.  Pairs
    with any |x| or |y| > 40 use the direct softplus sum.  ``EX, okx = exp_rows_kernel(X)``:
    the pool's exponentials are computed once, not once per minibatch."""
    B, J = idx.shape
    M = X.shape[1]
    EY = np.exp(np.minimum(Y, _EXP_LIMIT))
    p = np.empty(_BLOCK)
    bits = p.view(np.uint64)
    kexp = np.empty(_BLOCK, dtype=np.int64)
    for b in range(B):
        okb = np.abs(Y[b]).max() <= _EXP_LIMIT
        for j in range(J):
            s = idx[b, j]
            if okx[s] and okb:
                acc = _lane_log_product(EX[s], EY[b], p, bits, kexp)
            else:
                acc = 0.0
                for m in range(M):
                    acc += _softplus(X[s, m] + Y[b, m])
            out[b, j] = f[s] + acc
    return out


def g_pairs_reference(f, X, Y, idx):
    """Twin of :func:`g_pairs_kernel`: gather the (B, J, M) tensor and sum."""
    return f[idx] + softplus(X[idx] + Y[:, None, :]).sum(axis=2)


# The fast path of heat_bath_kernel needs every pre-activation |x_m| <= |c_m| + Σ_i |W_im|, every
# |s_j| <= |b_j| + Σ_i |λ_ij| and every flip's ratio (<= e^{|a_i| + Σ_m |W_im| + Σ_j |λ_ij|}) to stay
# far from overflow.
_HB_LIMIT = 600.0


@njit(cache=True, inline="always")
def _columns_within_limit(W, offset):  # pragma: no cover - numba
    """True when |offset_m| + Σ_i |W_im| <= _HB_LIMIT for every column m (bounds |c + vW|)."""
    for m in range(W.shape[1]):
        acc = abs(offset[m])
        for i in range(W.shape[0]):
            acc += abs(W[i, m])
        if acc > _HB_LIMIT:
            return False
    return True


@njit(cache=True)
def _heat_bath_fast_ok(W, a, c, lam, bias):  # pragma: no cover - numba
    """True when every exponential the product form of heat_bath_kernel caches is < e^600."""
    N, M = W.shape
    Nh = lam.shape[1]
    if not (_columns_within_limit(W, c) and _columns_within_limit(lam, bias)):
        return False
    for i in range(N):
        acc = abs(a[i])
        for m in range(M):
            acc += abs(W[i, m])
        for j in range(Nh):
            acc += abs(lam[i, j])
        if acc > _HB_LIMIT:
            return False
    return True


# error_model="numpy": no zero test before each division (the denominators 1 + e^{x} and P + R
# are > 0), so the update loops vectorise
@njit(cache=True, error_model="numpy")
def heat_bath_kernel(states, signs, W, a, c, lam, bias, uniforms):  # pragma: no cover - numba
    """Systematic-scan single-site heat-bath sweeps on U(v) = F_V(v) − log q_Λ(h|v), in place.

    states   : (C, N) uint8 — C chains, modified in place.
    signs    : (C, N_h) float64 — t_j = 2 h_j − 1 of the h-state each chain samples p_Λ(·|h) for.
    W, a, c  : Θ^V's weights (N, M), visible bias (N,), hidden bias (M,).
    lam, bias: Λ's weights (N, N_h) and biases (N_h,).
    uniforms : (C, n_sweeps, N) float64 in [0, 1) — one draw per site visit.

    With x = c + vW and s = vλ + b (both cached),
        U(v) = −a·v − Σ_m softplus(x_m) + Σ_j softplus(−t_j s_j),
    since −log q_Λ(h|v) = Σ_j softplus(−t_j s_j).  Flipping v_i (d = 1 − 2 v_i) changes x by
    d·W_i and s by d·λ_i, so e^{ΔU} = R / P with
        P = Π_m (1 + e^{x_m} e^{d W_im}) / (1 + e^{x_m}),
        R = e^{−d a_i} Π_j (1 + q_j e^{−t_j d λ_ij}) / (1 + q_j),   q_j = e^{−t_j s_j},
    and the site is set to 1 − v_i with probability 1 / (1 + e^{ΔU}) = P / (P + R): no log and no
    exp per proposal (e^{x}, q and 1/(1 + ·) are cached, updated multiplicatively on a flip and
    refreshed from x and s every sweep; P is taken as four interleaved partial products).  When
    Θ^V's or Λ's weights are too large for the product form (:func:`_heat_bath_fast_ok`), ΔU is
    summed from softplus differences directly.
    """
    C, N = states.shape
    M = W.shape[1]
    Nh = lam.shape[1]
    n_sweeps = uniforms.shape[1]
    fast = _heat_bath_fast_ok(W, a, c, lam, bias)
    one = np.ones((1, 1))
    # EW[0] = e^{W}, EW[1] = e^{−W}: the factor of a flip with d = ±1 is EW[(1 − d) / 2, i, m]
    EW = np.exp(np.stack((W, -W))) if fast else np.ones((2, 1, 1))
    ELp = np.exp(lam) if fast else one
    ELm = np.exp(-lam) if fast else one
    EAp = np.exp(a) if fast else one[0]
    EAm = np.exp(-a) if fast else one[0]
    M4 = M - M % 4
    x = np.empty(M)
    ex = np.empty(M)
    rx = np.empty(M)  # 1 / (1 + e^{x}), cached so that a proposal needs no division
    sp = np.empty(M)
    spn = np.empty(M)
    s = np.empty(Nh)
    sn = np.empty(Nh)
    q = np.empty(Nh)
    rq = np.empty(Nh)  # 1 / (1 + q)
    fl = np.empty(Nh)  # e^{−t_j d λ_ij} of the current proposal
    v = states
    for ch in range(C):
        t = signs[ch]
        for m in range(M):
            x[m] = _active_sum(v[ch], W, m, c[m])
            sp[m] = _softplus(x[m])
        for j in range(Nh):
            s[j] = _active_sum(v[ch], lam, j, bias[j])
        for sw in range(n_sweeps):
            if fast:
                for m in range(M):
                    ex[m] = math.exp(x[m])
                    rx[m] = 1.0 / (1.0 + ex[m])
                for j in range(Nh):
                    q[j] = math.exp(-t[j] * s[j])
                    rq[j] = 1.0 / (1.0 + q[j])
            for i in range(N):
                d = 1.0 - 2.0 * v[ch, i]
                if fast:
                    # k selects e^{+W_i} (d = 1) or e^{−W_i} (d = −1)
                    k = 0 if d > 0 else 1
                    p0 = 1.0
                    p1 = 1.0
                    p2 = 1.0
                    p3 = 1.0
                    for m in range(0, M4, 4):
                        p0 *= (1.0 + ex[m] * EW[k, i, m]) * rx[m]
                        p1 *= (1.0 + ex[m + 1] * EW[k, i, m + 1]) * rx[m + 1]
                        p2 *= (1.0 + ex[m + 2] * EW[k, i, m + 2]) * rx[m + 2]
                        p3 *= (1.0 + ex[m + 3] * EW[k, i, m + 3]) * rx[m + 3]
                    for m in range(M4, M):
                        p0 *= (1.0 + ex[m] * EW[k, i, m]) * rx[m]
                    P = (p0 * p1) * (p2 * p3)
                    R = EAm[i] if d > 0 else EAp[i]
                    for j in range(Nh):
                        fl[j] = ELm[i, j] if t[j] * d > 0 else ELp[i, j]
                        R *= (1.0 + q[j] * fl[j]) * rq[j]
                    p_flip = P / (P + R)
                else:
                    dU = -a[i] * d
                    for m in range(M):
                        spm = _softplus(x[m] + d * W[i, m])
                        spn[m] = spm
                        dU -= spm - sp[m]
                    for j in range(Nh):
                        snj = s[j] + d * lam[i, j]
                        sn[j] = snj
                        dU += _softplus(-t[j] * snj) - _softplus(-t[j] * s[j])
                    # P(flip) = 1 / (1 + e^{ΔU}), written so that exp never overflows
                    if dU > 0.0:
                        e = math.exp(-dU)
                        p_flip = e / (1.0 + e)
                    else:
                        p_flip = 1.0 / (1.0 + math.exp(dU))
                if uniforms[ch, sw, i] < p_flip:
                    v[ch, i] = 1 - v[ch, i]
                    if fast:
                        for m in range(M):
                            x[m] += d * W[i, m]
                            ex[m] *= EW[k, i, m]
                            rx[m] = 1.0 / (1.0 + ex[m])
                        for j in range(Nh):
                            s[j] += d * lam[i, j]
                            q[j] *= fl[j]
                            rq[j] = 1.0 / (1.0 + q[j])
                    else:
                        for m in range(M):
                            x[m] += d * W[i, m]
                            sp[m] = spn[m]
                        for j in range(Nh):
                            s[j] = sn[j]
    return states


def _energy_reference(v, t, W, a, c, lam, bias):
    """U(v) = −a·v − Σ_m softplus(c_m + (vW)_m) + Σ_j softplus(−t_j (vλ + b)_j), from scratch."""
    v = v.astype(np.float64)
    return float(-a @ v - softplus(c + v @ W).sum() + softplus(-t * (v @ lam + bias)).sum())


def heat_bath_reference(states, signs, W, a, c, lam, bias, uniforms):
    """Twin of :func:`heat_bath_kernel`: every proposal recomputes U of both states from scratch."""
    states = states.copy()
    C, N = states.shape
    for ch in range(C):
        for sw in range(uniforms.shape[1]):
            for i in range(N):
                v0 = states[ch].copy()
                v1 = v0.copy()
                v1[i] = 1 - v1[i]
                dU = _energy_reference(v1, signs[ch], W, a, c, lam, bias) - _energy_reference(
                    v0, signs[ch], W, a, c, lam, bias
                )
                p_flip = 1.0 / (1.0 + np.exp(dU)) if dU <= 0 else np.exp(-dU) / (1.0 + np.exp(-dU))
                if uniforms[ch, sw, i] < p_flip:
                    states[ch] = v1
    return states
