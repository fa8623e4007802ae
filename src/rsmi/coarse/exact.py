"""The exact path of the proxy A_Λ: every one of the 2^|V| visible states enumerated
(|V| ≤ :data:`EXACT_MAX_VISIBLE`), p_Λ(v|h) ∝ exp(−U_h(v)) from the enumerated
U_h(v) = F_V(v) − log q_Λ(h|v), Φ(h, e) = Σ_v p_Λ(v|h) g(v, e) (or log Σ_v p_Λ(v|h) e^{g(v, e)}),
and the gradient's covariance term summed exactly; chunks over v bound the memory.
Notation, derivation and the path rule: :mod:`rsmi.coarse.network`, the one entry point.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from rsmi.coarse.kernels import binary_states, log_q
from rsmi.coarse.terms import CHUNK_BYTES, OBJECTIVES, GSource, first_term, g_matrix
from rsmi.theta.parts import ThetaParts, theta_parts
from rsmi.utils.numerics import logsumexp
from rsmi.utils.validation import check_choice, check_filter, check_windows

__all__ = ["EXACT_MAX_VISIBLE", "ExactEngine", "exact_core", "proxy_and_gradient_exact"]

#: Largest block the exact path enumerates (2^16 = 65536 visible states).
EXACT_MAX_VISIBLE = 16


class ExactEngine:
    """Enumeration of all 2^N visible states with their Λ-independent quantities."""

    def __init__(self, th: ThetaParts, n_v: int):
        if n_v > EXACT_MAX_VISIBLE:
            raise ValueError(f"the exact path enumerates 2^|V| states and is limited to |V| <= {EXACT_MAX_VISIBLE}, got {n_v}")
        self.th = th
        self.Vall = binary_states(n_v)
        self.logPV = -th.free_energy_v(self.Vall)  # unnormalised log P_Θ^V(v)
        self.f, self.X = th.v_parts(self.Vall)

    @property
    def S(self) -> int:
        return self.Vall.shape[0]

    def g_source(self, Eb: np.ndarray | None = None, G: np.ndarray | None = None) -> GSource:
        if G is not None:
            return GSource(self.f, self.X, G=G)
        alpha, Y = self.th.e_parts(Eb)
        return GSource(self.f, self.X, alpha, Y)

    def full_g(self, Ef: np.ndarray) -> np.ndarray:
        alpha, Y = self.th.e_parts(Ef)
        return g_matrix(self.f, self.X, alpha, Y)


def exact_core(ex: ExactEngine, lam, bias, hs, Vb, Q, gsrc: GSource, objective, baseline=0.0, want_grad=True):
    """Exact A-estimate per window and gradient for one batch (see the module docstring).

    Returns (a_b (B,), grad_lam or None, grad_b or None), with a_b[b] = Σ_h Q[b,h] Φ[h,b]."""
    S = ex.S
    H = hs.shape[0]
    B = Q.shape[0]
    s_all = ex.Vall @ lam + bias
    logw = ex.logPV[:, None] + log_q(s_all, hs)  # log P(v) q(h|v), (S, H)
    logP = logw - logsumexp(logw, axis=0, keepdims=True)  # log p_Λ(v|h)
    P = np.exp(logP)
    if objective == "jensen":
        rows = max(1, CHUNK_BYTES // (8 * max(B, H)))
        Phi = np.zeros((H, B))
        GQ = np.empty((S, H))
        for sl, Gc in gsrc.chunks(rows):
            Phi += P[sl].T @ Gc
            GQ[sl] = Gc @ Q
        if want_grad:
            # W[v,h] = p(v|h) R[v,h], R = (1/B) Σ_b Q[b,h] (G[v,b] − Φ[h,b])
            Wt = P * (GQ / B - (Q * Phi.T).sum(axis=0) / B)
    else:
        rows = max(1, CHUNK_BYTES // (8 * B * H))
        Phi = np.full((H, B), -np.inf)
        for sl, Gc in gsrc.chunks(rows):
            Phi = np.logaddexp(Phi, logsumexp(logP[sl][:, :, None] + Gc[:, None, :], axis=0))
        if want_grad:
            # W[v,h] = (1/B) Σ_b Q[b,h] (p̃(v|h,b) − p(v|h)),  p̃ = p e^{G − Φ_lme}
            Wt = np.empty((S, H))
            for sl, Gc in gsrc.chunks(rows):
                tilt = np.exp(logP[sl][:, :, None] + Gc[:, None, :] - Phi[None, :, :])
                Wt[sl] = np.einsum("shb,bh->sh", tilt, Q)
            Wt = (Wt - P * Q.sum(axis=0)) / B
    a_b = (Q * Phi.T).sum(axis=1)
    if not want_grad:
        return a_b, None, None
    sig = expit(s_all)
    T = Wt @ hs - sig * Wt.sum(axis=1, keepdims=True)
    g_lam = ex.Vall.T @ T
    g_b = T.sum(axis=0)
    f_lam, f_b = first_term(lam, bias, hs, Vb, Q, Phi, baseline)
    return a_b, g_lam + f_lam, g_b + f_b


def proxy_and_gradient_exact(weights, biases, V, E, theta_v, theta_ve, *, objective="jensen"):
    """Exact A_Λ (mean over the given windows, summing over all h) and its exact gradient.

    Returns ``(A, grad_weights (|V|, N_h), grad_biases (N_h,))``.  The reference the tests
    check against finite differences and the Monte Carlo path against; |V| ≤ 16."""
    check_choice("objective", objective, OBJECTIVES)
    Vf, Ef = check_windows(V, E)
    th = theta_parts(theta_v, theta_ve, Vf.shape[1], Ef.shape[1])
    lam, bias = check_filter(weights, biases, Vf.shape[1])
    ex = ExactEngine(th, Vf.shape[1])
    hs = binary_states(lam.shape[1])
    Q = np.exp(log_q(Vf @ lam + bias, hs))
    a_b, g_lam, g_b = exact_core(ex, lam, bias, hs, Vf, Q, ex.g_source(Ef), objective)
    return float(a_b.mean()), g_lam, g_b
