"""The Monte Carlo path of the proxy A_Λ, for any |V|: for each h-state, K persistent chains of
single-site heat-bath on U_h(v) = F_V(v) − log q_Λ(h|v) (:func:`rsmi.coarse.kernels.heat_bath_kernel`),
Φ as the sample mean of g(v_k, e) (log-mean-exp: log (1/K) Σ_k e^{g(v_k, e)}), the covariance
term as the unbiased sample covariance (1/(K−1)) Σ_k (G_k − Ḡ) D_k; hidden states summed over or
sampled (:func:`hidden_weights`). Notation, derivation and the path rule: :mod:`rsmi.coarse.network`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from rsmi.coarse.kernels import binary_states, heat_bath_kernel, log_q
from rsmi.coarse.terms import first_term, g_matrix
from rsmi.theta.parts import ThetaParts
from rsmi.utils.numerics import logsumexp

__all__ = ["mc_g", "mc_phi", "mc_core", "PosteriorChains", "hidden_weights", "mc_estimate"]


def mc_g(th: ThetaParts, samples, ep) -> np.ndarray:
    """G[h, k, b] = g(v_k^h, e_b) for samples (H, K, N) and the e parts ep = (α, Y) of a batch.

    g is computed once per distinct sample: once Λ has learned, the chains of one h-state sit in
    few block states, and the same numbers come out at a fraction of the cost."""
    H, K, N = samples.shape
    flat = np.ascontiguousarray(samples.reshape(H * K, N))
    _, first, inv = np.unique(flat.view(np.dtype((np.void, flat.dtype.itemsize * N))).ravel(),
                              return_index=True, return_inverse=True)
    f, X = th.v_parts(flat[first])
    return g_matrix(f, X, ep[0], ep[1])[inv.ravel()].reshape(H, K, ep[1].shape[0])


def mc_phi(G, objective) -> np.ndarray:
    """Φ̂[h, b]: mean_k G (jensen) or log mean_k e^G (logmeanexp)."""
    if objective == "jensen":
        return G.mean(axis=1)
    return logsumexp(G, axis=1) - math.log(G.shape[1])


def mc_core(th: ThetaParts, samples, lam, bias, hs, Vb, Eb, Q, objective, baseline=0.0, want_grad=True, G=None):
    """Monte Carlo A-estimate per window and gradient for one batch.

    samples: (H, K, N) float — K draws of p_Λ(·|h) per h-state (rows of hs); G as from mc_g.
    Returns (a_b (B,), grad_lam or None, grad_b or None)."""
    H, K, N = samples.shape
    B = Q.shape[0]
    if G is None:
        G = mc_g(th, samples, th.e_parts(Eb))
    Phi = mc_phi(G, objective)  # (H, B)
    a_b = (Q * Phi.T).sum(axis=1)
    if not want_grad:
        return a_b, None, None
    if objective == "jensen":
        # unbiased sample covariance: (1/(K−1)) Σ_k (G_k − Ḡ) D_k, weighted over the batch
        R = np.einsum("hkb,bh->hk", G, Q) / B - ((Q * Phi.T).sum(axis=0) / B)[:, None]
        Wt = R / (K - 1)
    else:
        # self-normalised tilted weights w_k = e^{G_k} / Σ_k' e^{G_k'}:  Σ_k (w_k − 1/K) D_k
        w = np.exp(G - (Phi + math.log(K))[:, None, :])
        Wt = (np.einsum("hkb,bh->hk", w, Q) - Q.sum(axis=0)[:, None] / K) / B
    sig = expit(samples @ lam + bias)  # (H, K, N_h)
    T = Wt[:, :, None] * (hs[:, None, :] - sig)
    g_lam = np.einsum("hki,hkj->ij", samples, T)
    g_b = T.sum(axis=(0, 1))
    f_lam, f_b = first_term(lam, bias, hs, Vb, Q, Phi, baseline)
    return a_b, g_lam + f_lam, g_b + f_b


class PosteriorChains:
    """K persistent heat-bath chains per hidden state h, sampling p_Λ(v|h) ∝ e^{−U_h(v)}.

    Chains are created on first use (initialised at random data blocks, then ``burn_in``
    sweeps) and keyed by the h-state's integer code Σ_j h_j 2^j."""

    def __init__(self, th: ThetaParts, n_v: int, n_h: int, n_chains: int, burn_in: int, rng, init_pool: np.ndarray):
        self.th, self.n_v, self.n_h = th, n_v, n_h
        self.K, self.burn_in, self.rng = n_chains, burn_in, rng
        self.init_pool = init_pool
        self.chains: dict[int, np.ndarray] = {}

    @staticmethod
    def signs(codes, n_h) -> np.ndarray:
        bits = (np.asarray(codes, dtype=np.int64)[:, None] >> np.arange(n_h)[None, :]) & 1
        return 2.0 * bits - 1.0

    def _sweep(self, states, codes_per_chain, lam, bias, n_sweeps):
        if n_sweeps == 0 or states.shape[0] == 0:
            return states
        u = self.rng.random((states.shape[0], n_sweeps, self.n_v))
        t = self.signs(codes_per_chain, self.n_h)
        return heat_bath_kernel(states, t, self.th.Wv, self.th.av, self.th.cv, lam, bias, u)

    def sample(self, lam, bias, codes, n_sweeps) -> np.ndarray:
        """Advance the chains of ``codes`` by n_sweeps sweeps; return (len(codes), K, N) float."""
        new = [c for c in codes if c not in self.chains]
        if new:
            idx = self.rng.integers(0, self.init_pool.shape[0], size=(len(new), self.K))
            init = self.init_pool[idx].astype(np.uint8).reshape(-1, self.n_v)
            init = self._sweep(np.ascontiguousarray(init), np.repeat(new, self.K), lam, bias, self.burn_in)
            for i, c in enumerate(new):
                self.chains[c] = init[i * self.K:(i + 1) * self.K].copy()
        states = np.ascontiguousarray(np.concatenate([self.chains[c] for c in codes], axis=0))
        states = self._sweep(states, np.repeat(codes, self.K), lam, bias, n_sweeps)
        for i, c in enumerate(codes):
            self.chains[c] = states[i * self.K:(i + 1) * self.K].copy()
        return states.reshape(len(codes), self.K, self.n_v).astype(np.float64)


def hidden_weights(Vb, lam, bias, h_mode, rng):
    """(codes, hs, Q): the h-states used for this batch and their per-window weights Q[b, h].

    "sum": all 2^{N_h} states, Q = q_Λ(h|v′).  "sample": h_b ∼ q_Λ(h|v′_b), Q the indicator."""
    n_h = lam.shape[1]
    s = Vb @ lam + bias
    if h_mode == "sum":
        hs = binary_states(n_h)
        return np.arange(hs.shape[0]), hs, np.exp(log_q(s, hs))
    h = (rng.random(s.shape) < expit(s)).astype(np.int64)
    code_b = h @ (1 << np.arange(n_h, dtype=np.int64))
    codes, inv = np.unique(code_b, return_inverse=True)
    hs = ((codes[:, None] >> np.arange(n_h)[None, :]) & 1).astype(np.float64)
    Q = np.zeros((Vb.shape[0], codes.size))
    Q[np.arange(Vb.shape[0]), inv] = 1.0
    return codes, hs, Q


def mc_estimate(th, chains: PosteriorChains, lam, bias, data_sets, objective, h_mode, rng, n_rounds, sweeps, n_groups):
    """A estimate (value, stderr) on each (Vf, Ef) of ``data_sets`` from n_rounds × K posterior samples per h.

    stderr² = Var_data(a_b)/n + Var(A over chain groups)/n_groups (data and Monte Carlo errors)."""
    hsets = [hidden_weights(Vf, lam, bias, h_mode, rng) for Vf, _ in data_sets]
    codes = np.unique(np.concatenate([c for c, _, _ in hsets]))
    rounds = [chains.sample(lam, bias, list(codes), sweeps) for _ in range(n_rounds)]
    samples = np.concatenate(rounds, axis=1)  # (H_all, R·K, N); sample r·K + k is chain k
    K = chains.K
    chain_of = np.tile(np.arange(K), n_rounds)
    out = []
    for (Vf, Ef), (c, hs, Q) in zip(data_sets, hsets):
        sm = samples[np.searchsorted(codes, c)]
        G = mc_g(th, sm, th.e_parts(Ef))
        a_b = (Q * mc_phi(G, objective).T).sum(axis=1)
        value = float(a_b.mean())
        var = a_b.var(ddof=1) / a_b.size if a_b.size > 1 else np.nan
        g = min(n_groups, K)
        if g >= 2:
            groups = chain_of % g
            A_g = [float((Q * mc_phi(G[:, groups == i], objective).T).sum(axis=1).mean()) for i in range(g)]
            var += np.var(A_g, ddof=1) / g
        out.append((value, float(math.sqrt(var)) if np.isfinite(var) else float("nan")))
    return out
