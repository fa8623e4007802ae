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
    "heat_bath_kernel",
    "heat_bath_reference",
    "softplus_np",
]


def softplus_np(z: np.ndarray) -> np.ndarray:
    """softplus(z) = log(1 + e^z), overflow-free."""
    return np.logaddexp(0.0, z)


@njit(cache=True, inline="always")
def _softplus(x):  # pragma: no cover - numba
    # log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}); no overflow for any x.
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


@njit(cache=True)
def g_matrix_kernel(f, alpha, X, Y, out):  # pragma: no cover - numba
    """out[s, b] = f[s] + alpha[b] + Σ_m softplus(X[s, m] + Y[b, m])."""
    S, M = X.shape
    B = Y.shape[0]
    for s in range(S):
        xs = X[s]
        for b in range(B):
            yb = Y[b]
            acc = 0.0
            for m in range(M):
                acc += _softplus(xs[m] + yb[m])
            out[s, b] = f[s] + alpha[b] + acc
    return out


def g_matrix_reference(f, alpha, X, Y):
    """Twin of :func:`g_matrix_kernel`: broadcast the (S, B, M) tensor and sum."""
    return f[:, None] + alpha[None, :] + softplus_np(X[:, None, :] + Y[None, :, :]).sum(axis=2)


@njit(cache=True)
def heat_bath_kernel(states, signs, W, a, c, lam, bias, uniforms):  # pragma: no cover - numba
    """Systematic-scan single-site heat-bath sweeps on U(v) = F_V(v) − log q_Λ(h|v), in place.

    states   : (C, N) uint8 — C chains, modified in place.
    signs    : (C, N_h) float64 — t_j = 2 h_j − 1 of the h-state each chain samples p_Λ(·|h) for.
    W, a, c  : Θ^V's weights (N, M), visible bias (N,), hidden bias (M,).
    lam, bias: Λ's weights (N, N_h) and biases (N_h,).
    uniforms : (C, n_sweeps, N) float64 in [0, 1) — one draw per site visit.

    With x = c + vW (cached, and softplus(x) cached too) and s = vλ + b (cached),
        U(v) = −a·v − Σ_m softplus(x_m) + Σ_j softplus(−t_j s_j),
    since −log q_Λ(h|v) = Σ_j softplus(−t_j s_j).  Flipping v_i (d = 1 − 2 v_i) changes x by
    d·W_i and s by d·λ_i; the site is set to 1 − v_i with probability 1 / (1 + e^{ΔU}).
    """
    C, N = states.shape
    M = W.shape[1]
    Nh = lam.shape[1]
    n_sweeps = uniforms.shape[1]
    x = np.empty(M)
    sp = np.empty(M)
    xn = np.empty(M)
    spn = np.empty(M)
    s = np.empty(Nh)
    sn = np.empty(Nh)
    for ch in range(C):
        v = states[ch]
        t = signs[ch]
        for m in range(M):
            acc = c[m]
            for i in range(N):
                if v[i]:
                    acc += W[i, m]
            x[m] = acc
            sp[m] = _softplus(acc)
        for j in range(Nh):
            acc = bias[j]
            for i in range(N):
                if v[i]:
                    acc += lam[i, j]
            s[j] = acc
        for sw in range(n_sweeps):
            for i in range(N):
                d = 1.0 - 2.0 * v[i]
                dU = -a[i] * d
                Wi = W[i]
                for m in range(M):
                    xm = x[m] + d * Wi[m]
                    xn[m] = xm
                    spm = _softplus(xm)
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
                    for m in range(M):
                        x[m] = xn[m]
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
