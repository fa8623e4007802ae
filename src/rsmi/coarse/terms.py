"""The two terms of the proxy's estimate that the exact and Monte Carlo paths share
(notation and derivation: :mod:`rsmi.coarse.network`).

* :func:`g_matrix`: G[s, b] = g(v_s, e_b) = f[s] + α[b] + Σ_m softplus(X[s, m] + Y[b, m]) by the
  numba kernel, and :class:`GSource`, the G of one batch in chunks over the visible states.
* :func:`first_term`: the data-side term of ∇A_Λ, Σ_b Σ_h Q[b,h] D(v′_b, h) (Φ[h,b] − β) / B,
  with D_{λ_ij}(v, h) = v_i (h_j − σ(s_j(v))) and D_{b_j} = h_j − σ(s_j(v)).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from rsmi.coarse.kernels import g_matrix_kernel

__all__ = ["OBJECTIVES", "CHUNK_BYTES", "g_matrix", "GSource", "first_term"]

#: The proxy's objectives: the paper's Jensen A_Λ and the log-mean-exp variant.
OBJECTIVES = ("jensen", "logmeanexp")
#: Memory bound of one chunk of the exact path's (states × windows [× h-states]) arrays.
CHUNK_BYTES = 32 * 2**20


def g_matrix(f, X, alpha, Y) -> np.ndarray:
    """G[s, b] = g(v_s, e_b) = f[s] + α[b] + Σ_m softplus(X[s, m] + Y[b, m])  (numba kernel)."""
    out = np.empty((X.shape[0], Y.shape[0]))
    return g_matrix_kernel(
        np.ascontiguousarray(f), np.ascontiguousarray(alpha), np.ascontiguousarray(X), np.ascontiguousarray(Y), out
    )


class GSource:
    """G[state, window] of the exact path for one batch, in chunks over the states.

    Either columns of a cached full matrix or computed per chunk from the v and e parts; when
    the batch's whole G fits one chunk it is computed once and reused by later passes."""

    def __init__(self, f, X, alpha=None, Y=None, G=None):
        self.f, self.X, self.alpha, self.Y, self.G = f, X, alpha, Y, G
        S = X.shape[0]
        B = G.shape[1] if G is not None else Y.shape[0]
        self.S, self.B = S, B
        if G is None and S * B * 8 <= CHUNK_BYTES:
            self.G = g_matrix(f, X, alpha, Y)

    def chunks(self, rows: int):
        for st in range(0, self.S, rows):
            sl = slice(st, min(st + rows, self.S))
            if self.G is not None:
                yield sl, self.G[sl]
            else:
                yield sl, g_matrix(self.f[sl], self.X[sl], self.alpha, self.Y)


def first_term(lam, bias, hs, Vb, Q, Phi, baseline):
    """Σ_b Σ_h Q[b,h] D(v′_b, h) (Φ[h,b] − β) / B as (grad λ, grad b)."""
    B = Q.shape[0]
    U = Q * (Phi.T - baseline) / B  # (B, H)
    sd = expit(Vb @ lam + bias)
    T1 = U @ hs - sd * U.sum(axis=1, keepdims=True)
    return Vb.T @ T1, T1.sum(axis=0)
