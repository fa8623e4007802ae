"""Numba kernels of the RSMI network and their slow, obviously correct NumPy twins.

Two hot loops (see :mod:`rsmi.network` for the formulas):

* :func:`g_matrix_kernel` — ``G[s, b] = f[s] + α[b] + Σ_m softplus(X[s, m] + Y[b, m])``, the
  log-likelihood ratio g(v_s, e_b) = F_V(v_s) − F_VE(v_s, e_b) for every (visible state, window)
  pair, with the Λ-independent parts precomputed by BLAS (``X = c + v W_v``, ``Y = e W_e``).
* :func:`heat_bath_kernel` — single-site heat-bath sweeps on U(v) = F_V(v) − log q_Λ(h|v)
  with cached pre-activations, so a flip proposal costs O(M + N_h).

The twins (``*_reference``) recompute everything from scratch with NumPy; the tests compare the
kernels against them.  The kernels are called only through :mod:`rsmi.network`, which validates
their inputs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = [
    "g_matrix_kernel",
    "g_matrix_reference",
    "g_pairs_kernel",
    "exp_rows_kernel",
    "g_pairs_reference",
    "heat_bath_kernel",
    "heat_bath_reference",
    "softplus_np",
    "binary_states",
    "log_q",
]


def softplus_np(z: np.ndarray) -> np.ndarray:
    """softplus(z) = log(1 + e^z), overflow-free."""
    return np.logaddexp(0.0, z)


def binary_states(n: int) -> np.ndarray:
    """All 2^n binary vectors as float64 rows; row k has bit j = (k >> j) & 1."""
    codes = np.arange(2**n, dtype=np.int64)
    return ((codes[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1).astype(np.float64)


def log_q(s: np.ndarray, hs: np.ndarray) -> np.ndarray:
    """log q_Λ(h|v) for pre-activations s (n, N_h) and h-states hs (H, N_h): (n, H).

    log q = Σ_j h_j log σ(s_j) + (1 − h_j) log σ(−s_j), log σ(x) = −softplus(−x)."""
    return -(softplus_np(-s) @ hs.T) - (softplus_np(s) @ (1.0 - hs).T)


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


# The fast path of g_matrix_kernel multiplies factors 1 + e^{x}e^{y} and takes one log per
# block of _BLOCK of them; with |x|, |y| <= _EXP_LIMIT each factor is <= 1 + e^{2·40} and a
# block's product stays below e^{645} < DBL_MAX.
_EXP_LIMIT = 40.0
_BLOCK = 8


@njit(cache=True, inline="always")
def _pair_sum(xs, exs, yb, eyb, fast):  # pragma: no cover - numba
    """Σ_m softplus(xs[m] + yb[m]); ``fast``: as Σ_blocks log Π (1 + e^{x} e^{y}) from the cached
    exponentials (one log per block of 8), else term by term."""
    M = xs.shape[0]
    acc = 0.0
    if fast:
        n_full = M // _BLOCK
        for blk in range(n_full):
            prod = 1.0
            for m in range(blk * _BLOCK, blk * _BLOCK + _BLOCK):
                prod *= 1.0 + exs[m] * eyb[m]
            acc += math.log(prod)
        prod = 1.0
        for m in range(n_full * _BLOCK, M):
            prod *= 1.0 + exs[m] * eyb[m]
        acc += math.log(prod)
    else:
        for m in range(M):
            acc += _softplus(xs[m] + yb[m])
    return acc


@njit(cache=True)
def g_matrix_kernel(f, alpha, X, Y, out):  # pragma: no cover - numba
    """out[s, b] = f[s] + alpha[b] + Σ_m softplus(X[s, m] + Y[b, m]).

    Σ_m softplus(x_m + y_m) = Σ_blocks log Π_{m∈block} (1 + e^{x_m} e^{y_m}): the exponentials
    of X and Y are taken once (not once per pair), and each pair costs two multiplications per m
    plus one log per block of 8.  Rows with any |x| or |y| > 40 use the direct softplus sum."""
    S = X.shape[0]
    B = Y.shape[0]
    EX = np.exp(np.minimum(X, _EXP_LIMIT))
    EY = np.exp(np.minimum(Y, _EXP_LIMIT))
    okx = np.empty(S, dtype=np.bool_)
    oky = np.empty(B, dtype=np.bool_)
    for s in range(S):
        okx[s] = np.abs(X[s]).max() <= _EXP_LIMIT
    for b in range(B):
        oky[b] = np.abs(Y[b]).max() <= _EXP_LIMIT
    for s in range(S):
        for b in range(B):
            out[s, b] = f[s] + alpha[b] + _pair_sum(X[s], EX[s], Y[b], EY[b], okx[s] and oky[b])
    return out


def g_matrix_reference(f, alpha, X, Y):
    """Twin of :func:`g_matrix_kernel`: broadcast the (S, B, M) tensor and sum."""
    return f[:, None] + alpha[None, :] + softplus_np(X[:, None, :] + Y[None, :, :]).sum(axis=2)


@njit(cache=True)
def exp_rows_kernel(X):  # pragma: no cover - numba
    """(EX, ok) with EX = exp(min(X, 40)) elementwise and ok[s] = (max_m |X[s, m]| <= 40): the
    Λ-independent exponentials :func:`g_pairs_kernel` reads, taken once per pool, not per call."""
    EX = np.exp(np.minimum(X, _EXP_LIMIT))
    ok = np.empty(X.shape[0], dtype=np.bool_)
    for s in range(X.shape[0]):
        ok[s] = np.abs(X[s]).max() <= _EXP_LIMIT
    return EX, ok


@njit(cache=True)
def g_pairs_kernel(f, X, EX, okx, Y, idx, out):  # pragma: no cover - numba
    """out[b, j] = f[idx[b, j]] + Σ_m softplus(X[idx[b, j], m] + Y[b, m]).

    g(v, e) − α(e) for the pool states ``idx[b]`` paired with window b only (the pooled proxy
    pairs each window with its own subset of the pool, :mod:`rsmi.pooled`).  Same product form
    as :func:`g_matrix_kernel`: one log per block of 8 factors 1 + e^{x} e^{y}; rows with any
    |x| or |y| > 40 use the direct softplus sum.  ``EX, okx = exp_rows_kernel(X)``: the pool's
    exponentials are computed once, not once per minibatch."""
    B, J = idx.shape
    EY = np.exp(np.minimum(Y, _EXP_LIMIT))
    for b in range(B):
        okb = np.abs(Y[b]).max() <= _EXP_LIMIT
        for j in range(J):
            s = idx[b, j]
            out[b, j] = f[s] + _pair_sum(X[s], EX[s], Y[b], EY[b], okx[s] and okb)
    return out


def g_pairs_reference(f, X, Y, idx):
    """Twin of :func:`g_pairs_kernel`: gather the (B, J, M) tensor and sum."""
    return f[idx] + softplus_np(X[idx] + Y[:, None, :]).sum(axis=2)


# The fast path of heat_bath_kernel needs every pre-activation |x_m| <= |c_m| + Σ_i |W_im| and
# every flip's log-ratio product (<= e^{Σ_m |W_im|}) to stay far from overflow.
_HB_LIMIT = 600.0


@njit(cache=True)
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
    d·W_i and s by d·λ_i, so
        ΔU = −d a_i − log Π_m (1 + e^{x_m} e^{d W_im}) / (1 + e^{x_m}) + Σ_j [softplus(−t_j s′_j) − softplus(−t_j s_j)]
    (e^{x} cached and updated multiplicatively, refreshed from x every sweep; one log per
    proposal).  The site is set to 1 − v_i with probability 1 / (1 + e^{ΔU}).  When Θ^V's
    weights are too large for the product form, the softplus differences are summed directly.
    """
    C, N = states.shape
    M = W.shape[1]
    Nh = lam.shape[1]
    n_sweeps = uniforms.shape[1]
    fast = True
    for m in range(M):
        acc = abs(c[m])
        for i in range(N):
            acc += abs(W[i, m])
        if acc > _HB_LIMIT:
            fast = False
    for i in range(N):
        acc = 0.0
        for m in range(M):
            acc += abs(W[i, m])
        if acc > _HB_LIMIT:
            fast = False
    EWp = np.exp(W) if fast else np.ones((1, 1))
    EWm = np.exp(-W) if fast else np.ones((1, 1))
    x = np.empty(M)
    ex = np.empty(M)
    rx = np.empty(M)  # 1 / (1 + e^{x}), cached so that a proposal needs no division
    sp = np.empty(M)
    spn = np.empty(M)
    s = np.empty(Nh)
    sn = np.empty(Nh)
    for ch in range(C):
        v = states[ch]
        t = signs[ch]
        for m in range(M):
            x[m] = _active_sum(v, W, m, c[m])
            sp[m] = _softplus(x[m])
        for j in range(Nh):
            s[j] = _active_sum(v, lam, j, bias[j])
        for sw in range(n_sweeps):
            if fast:
                for m in range(M):
                    ex[m] = math.exp(x[m])
                    rx[m] = 1.0 / (1.0 + ex[m])
            for i in range(N):
                d = 1.0 - 2.0 * v[i]
                dU = -a[i] * d
                Wi = W[i]
                if fast:
                    ew = EWp[i] if d > 0 else EWm[i]
                    prod = 1.0
                    for m in range(M):
                        prod *= (1.0 + ex[m] * ew[m]) * rx[m]
                    dU -= math.log(prod)
                else:
                    for m in range(M):
                        spm = _softplus(x[m] + d * Wi[m])
                        spn[m] = spm
                        dU -= spm - sp[m]
                for j in range(Nh):
                    snj = s[j] + d * lam[i, j]
                    sn[j] = snj
                    dU += _softplus(-t[j] * snj) - _softplus(-t[j] * s[j])
                # Heat bath: P(flip) = 1 / (1 + e^{ΔU}); written so that exp never overflows.
                if dU > 0.0:
                    e = math.exp(-dU)
                    p_flip = e / (1.0 + e)
                else:
                    p_flip = 1.0 / (1.0 + math.exp(dU))
                if uniforms[ch, sw, i] < p_flip:
                    v[i] = 1 - v[i]
                    if fast:
                        for m in range(M):
                            x[m] += d * Wi[m]
                            ex[m] *= ew[m]
                            rx[m] = 1.0 / (1.0 + ex[m])
                    else:
                        for m in range(M):
                            x[m] += d * Wi[m]
                            sp[m] = spn[m]
                    for j in range(Nh):
                        s[j] = sn[j]
    return states


def _energy_reference(v, t, W, a, c, lam, bias):
    """U(v) = −a·v − Σ_m softplus(c_m + (vW)_m) + Σ_j softplus(−t_j (vλ + b)_j), from scratch."""
    v = v.astype(np.float64)
    return float(-a @ v - softplus_np(c + v @ W).sum() + softplus_np(-t * (v @ lam + bias)).sum())


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
