r"""The paper's proxy A_Λ on blocks too large to enumerate: pooled importance sampling.

Why. The Monte Carlo path of :mod:`rsmi.coarse.network` samples p_Λ(v|h) with heat-bath chains for
every filter and h-state; on the 8×8 dimer block one filter's A_Λ then moves by 0.2–0.5 nats
between seeds, while the field filters carry ≈ 0.1 nats (docs/method.md §4b).  This module
estimates the same quantity from one pool of draws of Θ^V, shared by every filter, h-state and
epoch, and pairs each window with its own few pool states, so that the pool's error averages
over windows like the data's does.

The identity behind it (docs/method.md §4 notation; P_V the Θ^V marginal, P_V(v) ∝ e^{−F_V(v)})
-----------------------------------------------------------------------------------------
p_Λ(v|h) = P_V(v) q_Λ(h|v) / P_Λ(h) with P_Λ(h) = E_{P_V} q_Λ(h|·), so with the importance
weight w_h(v) = q_Λ(h|v) / P_Λ(h)  (E_{P_V} w_h = 1):

    Φ(h, e)           = E_{p_Λ(·|h)} g(·, e) = E_{P_V}[ w_h g(·, e) ],
    Φ_0(e)            = E_{P_V} g(·, e)                     (the trivial filter λ = 0, b = 0),
    Φ(h, e) − Φ_0(e)  = Cov_{P_V}( w_h, g(·, e) ),
    ΔA_Λ := A_Λ − A_0 = E_{(v′,e)∼data} Σ_h q_Λ(h|v′) Cov_{P_V}( w_h, g(·, e) ).

A_Λ's additive constant is arbitrary (docs/method.md §4); ΔA_Λ fixes it at the trivial filter, and
every comparison of the project (null tests, training curves) is a difference of A_Λ anyway.
g(v, e) = F_V(v) − F_VE(v, e); its e-only part α(e) = a^VE_e·e drops out of the covariance.

Estimator
---------
Pool: K draws v_k ∼ P_V from independent block-Gibbs chains of Θ^V (:meth:`RBM.sample_chains`).
Window b is paired with J pool states S_b (uniform, with replacement) and G_bj = g(v_{S_bj}, e_b):

    C_bh = (1/(J−1)) Σ_j ŵ_h(v_{S_bj}) (G_bj − Ḡ_b),   ŵ_h = q_Λ(h|·) / P̂_Λ(h),
    d_b  = Σ_h q_Λ(h|v′_b) C_bh,                        ΔÂ_Λ = mean_b d_b,

C_bh being the unbiased sample covariance (Σ_j (ŵ − w̄)(G − Ḡ) = Σ_j ŵ (G − Ḡ)).  P̂_Λ(h) is the
pool mean of q_Λ(h|·); its relative error O(K^{−1/2}) scales ΔA and shifts no offset.  The
same pool and pairs serve every filter (common random numbers): differences between filters
and between epochs carry far less noise than each value.

Error bars. Windows are dealt to ``n_blocks`` blocks by configuration (``groups``), and the
pool into the same number of disjoint sets of chains; block β's windows pair only with block
β's pool and use its own P̂.  Blocks are then independent replicas, and the delete-one-block
jackknife of mean_b d_b (of any per-window combination, e.g. the difference of two filters)
carries both the data's and the pool's error.

Gradient (training). With one pool (one block) and fresh pairs per step, the estimator's exact
derivative is the paper's gradient (docs/method.md §4) in this representation; with
D_θ(v, h) = ∂_θ log q_Λ(h|v) and m_h = E_{p̂(·|h)} D_θ = Σ_k q(h|v_k) D_θ(v_k, h) / Σ_k q(h|v_k):

    ∂_θ d_b = Σ_h q(h|v′_b) [ D_θ(v′_b, h) C_bh + (1/(J−1)) Σ_j ŵ_h(v_{S_bj}) (G_bj − Ḡ_b) D_θ(v_{S_bj}, h) − C_bh m_h ],

the second and third terms being Cov_{p_Λ(·|h)}(g(·, e_b), D_θ(·, h)) estimated on the pool.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from rsmi.coarse.kernels import binary_states, exp_rows_kernel, g_pairs_kernel
from rsmi.coarse.kernels import log_q
from rsmi.theta.parts import theta_parts
from rsmi.utils.validation import check_filter, check_int, check_windows

__all__ = ["PooledProxy", "draw_pool", "pooled_terms", "pooled_gradient", "jackknife_mean"]


def draw_pool(theta_v, n_pool: int, *, n_chains: int, burn_in: int, thin: int, seed) -> np.ndarray:
    """K = n_pool draws of Θ^V (float64 (K, |V|)) from ``n_chains`` independent block-Gibbs chains.

    Row k belongs to chain k mod n_chains (see :meth:`rsmi.theta.rbm.RBM.sample_chains`)."""
    if n_pool % n_chains:
        raise ValueError(f"n_pool = {n_pool} must be a multiple of n_chains = {n_chains}")
    return theta_v.sample_chains(n_chains, burn_in, n_pool // n_chains, thin, seed=seed).astype(np.float64)


@dataclass(frozen=True)
class _Parts:
    """Λ-independent pieces of g for a pool (see rsmi.theta.parts.ThetaParts)."""

    f: np.ndarray  # (K,) v-only part of g on the pool
    X: np.ndarray  # (K, M2) Θ^VE hidden pre-activations from v
    EX: np.ndarray  # (K, M2) exp(min(X, 40)), taken once per pool (exp_rows_kernel)
    okx: np.ndarray  # (K,) rows of X with every |x| <= 40

    @classmethod
    def of(cls, f: np.ndarray, X: np.ndarray) -> "_Parts":
        X = np.ascontiguousarray(X, dtype=np.float64)
        return cls(f, X, *exp_rows_kernel(X))


def _g_pairs(parts: _Parts, Y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """G[b, j] − mean_j G[b, j], G[b, j] = g(v_{idx[b, j]}, e_b) − α(e_b); Y (B, M2) the Θ^VE
    hidden pre-activations from the windows' e (without the bias)."""
    out = np.empty(idx.shape)
    g_pairs_kernel(parts.f, parts.X, parts.EX, parts.okx, Y, np.ascontiguousarray(idx, dtype=np.int64), out)
    return out - out.mean(axis=1, keepdims=True)


def pooled_terms(pool, pool_block, Vd, win_block, idx, Gc, lam, bias, n_blocks: int) -> np.ndarray:
    """d_b = Σ_h q(h|v′_b) C_bh for every window (module docstring), with P̂ per block.

    pool (K, N) and its block ids pool_block (K,); data blocks Vd (B, N) and win_block (B,);
    idx (B, J) pool rows paired with each window; Gc (B, J) the centred g of those pairs."""
    hs = binary_states(lam.shape[1])
    Qp = np.exp(log_q(pool @ lam + bias, hs))  # (K, H)
    Qd = np.exp(log_q(Vd @ lam + bias, hs))  # (B, H)
    P = np.zeros((n_blocks, hs.shape[0]))
    np.add.at(P, pool_block, Qp)
    P /= np.bincount(pool_block, minlength=n_blocks)[:, None]
    W = Qp / P[pool_block]  # ŵ_h(v_k)
    J = idx.shape[1]
    C = np.einsum("bjh,bj->bh", W[idx], Gc) / (J - 1)
    return (Qd * C).sum(axis=1)


def pooled_gradient(pool, Vb, idx, Gc, lam, bias) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(d_b (B,), ∂ mean_b d_b / ∂λ (N, N_h), ∂ / ∂b (N_h,)) with one pool block (module docstring)."""
    hs = binary_states(lam.shape[1])
    B, J = idx.shape
    sp = pool @ lam + bias
    Qp = np.exp(log_q(sp, hs))  # (K, H)
    Zh = Qp.sum(axis=0)
    W = Qp / (Zh / Qp.shape[0])
    sd = Vb @ lam + bias
    Qd = np.exp(log_q(sd, hs))
    Wi = W[idx]  # (B, J, H)
    C = np.einsum("bjh,bj->bh", Wi, Gc) / (J - 1)
    d = (Qd * C).sum(axis=1)
    # term 1 (data side): Σ_h U[b,h] D(v′_b, h), U = Qd·C
    U = Qd * C / B
    sig_d = expit(sd)
    T1 = U @ hs - sig_d * U.sum(axis=1, keepdims=True)
    g_lam, g_b = Vb.T @ T1, T1.sum(axis=0)
    # term 2 (pool pairs): R[b,j,h] = Qd[b,h] ŵ_h(v_{S_bj}) Gc[b,j] / (J−1), scattered onto pool rows
    R = Qd[:, None, :] * Wi * Gc[:, :, None] / ((J - 1) * B)
    Rk = np.zeros((pool.shape[0], hs.shape[0]))
    np.add.at(Rk, idx.ravel(), R.reshape(B * J, -1))
    # term 3: − Σ_h c_h m_h, c_h = Σ_b U[b,h]; m_h = Σ_k Qp[k,h] D(v_k,h) / Z_h
    Rk -= Qp * (U.sum(axis=0) / Zh)[None, :]
    sig_p = expit(sp)
    T2 = Rk @ hs - sig_p * Rk.sum(axis=1, keepdims=True)
    return d, g_lam + pool.T @ T2, g_b + T2.sum(axis=0)


def jackknife_mean(d: np.ndarray, block: np.ndarray, n_blocks: int) -> tuple[float, float]:
    """(mean of d, delete-one-block jackknife standard error).

    SE² = (n−1)/n Σ_β (θ_{−β} − θ̄_{−})²,  θ_{−β} = mean of d over the windows outside block β."""
    d = np.asarray(d, dtype=np.float64)
    tot = np.bincount(block, d, minlength=n_blocks)
    cnt = np.bincount(block, minlength=n_blocks).astype(np.float64)
    keep = cnt > 0
    tot, cnt = tot[keep], cnt[keep]
    n = tot.size
    value = float(d.mean())
    if n < 2:
        return value, math.nan
    loo = (tot.sum() - tot) / (cnt.sum() - cnt)
    return value, float(math.sqrt((n - 1) / n * ((loo - loo.mean()) ** 2).sum()))


class PooledProxy:
    """ΔA_Λ = A_Λ − A_0 of fixed filters on fixed windows, with jackknife error bars (module docstring).

    Parameters
    ----------
    theta_v, theta_ve : fitted Θ-RBMs (:class:`rsmi.theta.rbm.RBM`) on v and on [v, e].
    V, E : binary windows (n, |V|), (n, |E|).
    groups : (n,) configuration of each window (windows of one configuration share a block);
        default: every window its own group.
    n_pool : K, draws of Θ^V (a multiple of ``n_blocks``·``chains_per_block``).
    pairs : J, pool states paired with each window (≥ 2).
    n_blocks : independent blocks of the jackknife (≥ 2).
    chains_per_block, burn_in, thin : the block-Gibbs chains of the pool.
    seed : pool, block assignment and pairs.
    """

    def __init__(self, theta_v, theta_ve, V, E, *, groups=None, n_pool: int = 16384, pairs: int = 64,
                 n_blocks: int = 16, chains_per_block: int = 64, burn_in: int = 200, thin: int = 10, seed=None):
        Vf, Ef = check_windows(V, E)
        n = Vf.shape[0]
        n_blocks = check_int("n_blocks", n_blocks, 2)
        pairs = check_int("pairs", pairs, 2)
        chains = n_blocks * check_int("chains_per_block", chains_per_block, 1)
        n_pool = check_int("n_pool", n_pool, chains)
        if n_pool % chains:
            raise ValueError(f"n_pool = {n_pool} must be a multiple of n_blocks·chains_per_block = {chains}")
        groups = np.arange(n) if groups is None else np.asarray(groups)
        if groups.shape != (n,):
            raise ValueError(f"groups must have shape ({n},), got {groups.shape}")
        rng = np.random.default_rng(seed)
        th = theta_parts(theta_v, theta_ve, Vf.shape[1], Ef.shape[1])
        self.pool = draw_pool(theta_v, n_pool, n_chains=chains, burn_in=check_int("burn_in", burn_in, 0),
                              thin=check_int("thin", thin, 1), seed=rng)
        # chain c → block c mod n_blocks; row k is chain k mod chains, so block = k mod n_blocks
        self.pool_block = np.arange(n_pool) % n_blocks
        uniq, inv = np.unique(groups, return_inverse=True)
        if uniq.size < n_blocks:
            raise ValueError(f"{uniq.size} groups cannot fill n_blocks = {n_blocks} blocks")
        deal = rng.permutation(uniq.size) % n_blocks
        self.win_block = deal[inv]
        per_block = n_pool // n_blocks
        local = rng.integers(0, per_block, size=(n, pairs))
        # the pool rows of block β are β, β + n_blocks, β + 2·n_blocks, …
        self.idx = local * n_blocks + self.win_block[:, None]
        _, Y = th.e_parts(Ef)
        self.Gc = _g_pairs(_Parts.of(*th.v_parts(self.pool)), Y, self.idx)
        self.V = Vf
        self.n_blocks = n_blocks
        self.n_pool, self.pairs = n_pool, pairs

    def terms(self, weights, biases) -> np.ndarray:
        """d_b of every window for the filter (weights (|V|, N_h) or (L_V, L_V, N_h), biases (N_h,))."""
        lam, bias = check_filter(weights, biases, self.V.shape[1])
        return pooled_terms(self.pool, self.pool_block, self.V, self.win_block, self.idx, self.Gc, lam, bias,
                            self.n_blocks)

    def estimate(self, weights, biases) -> tuple[float, float]:
        """(ΔA_Λ, jackknife SE) in nats."""
        return self.summarise(self.terms(weights, biases))

    def summarise(self, d: np.ndarray) -> tuple[float, float]:
        """(mean, jackknife SE) of any per-window combination of :meth:`terms` (e.g. a difference)."""
        return jackknife_mean(d, self.win_block, self.n_blocks)


class PooledGradient:
    """Minibatch gradients of ΔA_Λ for training: one pool of Θ^V draws, fresh pairs every step.

    ``step(Vb, Eb, lam, bias, rng)`` returns (d_b, ∂/∂λ, ∂/∂b) of mean_b d_b (:func:`pooled_gradient`)
    with ``pairs`` pool states drawn uniformly for each window of the batch."""

    def __init__(self, theta_v, theta_ve, n_v: int, n_e: int, *, n_pool: int, pairs: int, n_chains: int,
                 burn_in: int, thin: int, seed):
        self.th = theta_parts(theta_v, theta_ve, n_v, n_e)
        self.pairs = check_int("pairs", pairs, 2)
        self.pool = draw_pool(theta_v, check_int("n_pool", n_pool, 2), n_chains=check_int("n_chains", n_chains, 1),
                              burn_in=check_int("burn_in", burn_in, 0), thin=check_int("thin", thin, 1), seed=seed)
        self.parts = _Parts.of(*self.th.v_parts(self.pool))

    def step(self, Vb, Eb, lam, bias, rng):
        idx = rng.integers(0, self.pool.shape[0], size=(Vb.shape[0], self.pairs))
        Gc = _g_pairs(self.parts, self.th.e_parts(Eb)[1], idx)
        return pooled_gradient(self.pool, Vb, idx, Gc, lam, bias)
