r"""The paper's proxy A_Λ on dimer windows with the exact dimer measure (docs/method.md §4c).

The pooled estimator of :mod:`rsmi.coarse.pooled` with nothing modelled: g(v, e) = log P(e | v) (up
to e-only terms) from :mod:`rsmi.sampling.exact_dimers`, and the pool drawn from the exact P(v) (blocks
of Monte Carlo configurations that the windows do not come from; the worm sampler is exact).
The noise pairs are fair coins independent of the dimers, so P(e | v) of the link bits is g:
log P(e_noise) is an e-only term and drops out of A_Λ − A_0.

Conditioning on an environment (per twist τ; :mod:`rsmi.sampling.exact_dimers` notation)
----------------------------------------------------------------------------------
With R = E's links plus the N border indices of Q_τ and o the occupations,

    det(Q[V∪R] + diag(o)) = det(Q_RR + O_R) · det(T(e) + O_V),
    T(e) = Q_VV − Q_VR (Q_RR + O_R)⁻¹ Q_RV.

All-empty E is impossible, so Q_RR is singular; the fixed reference pattern o*_E (a data
window's) makes Q*_RR = Q_RR + O*_R invertible, and a window differs from it by ±1 on the set
Δ_E (Woodbury, with D = diag(±1) on Δ_E and Q* ⁻¹ precomputed):

    det(Q_RR + O_R) = det Q*_RR · det(I + D Q*⁻¹[Δ, Δ]),
    (Q_RR + O_R)⁻¹  = Q*⁻¹ − Q*⁻¹[:, Δ] (D + Q*⁻¹[Δ, Δ])⁻¹ Q*⁻¹[Δ, :].

Scoring a block v against environment e_b likewise starts from the window's own block v′_b
(possible given e_b): with X_b = (T(e_b) + O(v′_b))⁻¹ and Δ the links where v and v′_b differ,

    det(T(e_b) + O(v)) = det(T(e_b) + O(v′_b)) · det(I + D X_b[Δ, Δ]).

Then P(v | e) = (−1)^{#empty(v)} Re Σ_τ γ_τ(e) det(T_τ(e) + O_V) with
γ_τ(e) = β_τ det(Q_τ,RR + O_R) / P(e)·(−1)^{#empty(e)}, and P(v) from Q[V ∪ border] the same way;
g(v, e) = log P(v | e) − log P(v) = log P(e | v) − log P(e).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rsmi.sampling.exact_dimers import DimerMeasure, has_covering, dimer_measure
from rsmi.utils.io import CorruptFileError, load_npz, save_npz
from rsmi.coarse.kernels import binary_states
from rsmi.coarse.pooled import jackknife_mean
from rsmi.windows.regions import cut_regions, region_masks, window_side
from rsmi.utils.numerics import softplus
from rsmi.utils.validation import check_filter, check_int

__all__ = ["WindowMeasure", "Conditioned", "PairedWindows", "pair_log_ratios", "mi_terms", "train_exact_mi", "train_exact",
           "build_pairs", "save_pairs", "load_pairs"]

_ZERO = 1e-14  # P(v | e) below: impossible pair (rounding level), unless the matching says otherwise
_SURE = 1e-10  # P(v | e) above: certainly possible


def _window_links(L_V: int, L_B: int, L_E: int, L: int):
    """For V and E: (columns of the flattened region that are link sites, their link ids at origin 0)."""
    masks = region_masks(L_V, L_B, L_E)
    W = window_side(L_V, L_B, L_E)
    i, j = np.meshgrid(np.arange(W), np.arange(W), indexing="ij")
    out = []
    for name in ("V", "E"):
        ri, rj = i[masks[name]], j[masks[name]]  # row-major, as rsmi.windows.regions.cut_regions flattens
        link = (ri + rj) % 2 == 1
        axis = np.where(ri[link] % 2 == 0, 1, 0)
        ids = 2 * (((ri[link] // 2) % L) * L + (rj[link] // 2) % L) + axis
        out.append((np.nonzero(link)[0], ids))
    return out


def _small_dets(X: np.ndarray, rows: np.ndarray, sizes: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """det(I + diag(s) X[k][Δ_k, Δ_k]) for each k, Δ_k = rows[k, :sizes[k]], s = signs[k, :sizes[k]].

    X (n, m, m) complex; batched by size (LAPACK LU per matrix)."""
    out = np.ones(X.shape[0], dtype=np.complex128)
    for d in np.unique(sizes):
        if d == 0:
            continue
        k = np.nonzero(sizes == d)[0]
        r = rows[k, :d]
        sub = X[k[:, None, None], r[:, :, None], r[:, None, :]]
        sub = sub * signs[k, :d, None]
        sub[:, np.arange(d), np.arange(d)] += 1.0
        out[k] = np.linalg.det(sub)
    return out


def _delta(occ: np.ndarray, ref: np.ndarray):
    """(rows (n, m) of the positions where occ ≠ ref, padded with 0; their count; signs occ − ref)."""
    diff = occ != ref
    sizes = diff.sum(axis=1)
    m = max(int(sizes.max()) if sizes.size else 0, 1)
    order = np.argsort(~diff, axis=1, kind="stable")[:, :m]
    rows = np.where(np.arange(m)[None, :] < sizes[:, None], order, 0)
    s = (occ.astype(np.int8) - ref.astype(np.int8))
    signs = np.take_along_axis(s, rows, axis=1).astype(np.float64)
    signs[np.arange(m)[None, :] >= sizes[:, None]] = 0.0
    return rows, sizes, signs


@dataclass(frozen=True)
class Conditioned:
    """Windows conditioned on their environments (:meth:`WindowMeasure.condition`)."""

    X: np.ndarray  # (n, 4, nv, nv) complex: (T_τ(e_b) + O(v′_b))⁻¹
    coef: np.ndarray  # (n, 4) complex: Σ_τ coef = P(v′_b | e_b)
    occ_v: np.ndarray  # (n, nv) bool: the windows' own block links
    occ_e: np.ndarray  # (n, ne) bool: their environment links


class WindowMeasure:
    """Exact g(v, e) = log P(e | v) − log P(e) for the link bits of dimer windows (module docstring).

    Parameters
    ----------
    L : vertices per side of the torus the configurations live on.
    L_V, L_B, L_E : the window geometry in fat units (even), as for :func:`rsmi.windows.regions.cut_regions`.
    reference_E : (|E|,) one possible environment (e.g. a data window's), the Woodbury reference.
    """

    def __init__(self, L: int, L_V: int, L_B: int, L_E: int, reference_E, *, measure: DimerMeasure | None = None):
        self.m = measure if measure is not None else dimer_measure(L)
        if 2 * self.m.L < window_side(L_V, L_B, L_E):
            raise ValueError(f"window side {window_side(L_V, L_B, L_E)} exceeds the fat lattice side {2 * self.m.L}")
        (self.v_cols, self.v_ids), (self.e_cols, self.e_ids) = _window_links(L_V, L_B, L_E, self.m.L)
        ref = np.asarray(reference_E)[self.e_cols].astype(bool)
        self.ref_e = ref
        nv, ne = self.v_ids.size, self.e_ids.size
        self.tw = []
        for t in range(4):
            N = self.m.n_border(t)
            Qrr = self.m.q_matrix(t, self.e_ids, self.e_ids, border_rows=True, border_cols=True)
            Qrr[np.arange(ne)[ref], np.arange(ne)[ref]] += 1.0
            sign, logdet = np.linalg.slogdet(Qrr)
            if not np.isfinite(logdet):
                raise ValueError("reference_E is not a possible environment for this twist")
            Qinv = np.linalg.inv(Qrr)
            Qvr = self.m.q_matrix(t, self.v_ids, self.e_ids, border_rows=False, border_cols=True)
            Qrv = self.m.q_matrix(t, self.e_ids, self.v_ids, border_rows=True, border_cols=False)
            Qvv = self.m.q_matrix(t, self.v_ids, self.v_ids, border_rows=False, border_cols=False)
            F, Gm = Qvr @ Qinv, Qinv @ Qrv
            Q0 = self.m.q_matrix(t, self.v_ids, self.v_ids, border_rows=True, border_cols=True)
            # one zero row/column more (the last): padded Woodbury entries gather zeros
            Qinv_pad = np.zeros((Qinv.shape[0] + 1,) * 2, dtype=np.complex128)
            Qinv_pad[:-1, :-1] = Qinv
            self.tw.append(dict(N=N, Qinv_pad=Qinv_pad, F_pad=np.hstack([F, np.zeros((nv, 1))]),
                                G_pad=np.vstack([Gm, np.zeros((1, nv))]), T0=Qvv - F @ Qrv, logdet=logdet, sign=sign,
                                Q0=Q0))
        self.nv = nv

    # --- P(v) --------------------------------------------------------------------------------------
    def log_p_v(self, V) -> np.ndarray:
        """log P(link bits of each block), (n,), from Q[V ∪ border] (direct determinants)."""
        occ = np.asarray(V)[:, self.v_cols].astype(bool)
        n = occ.shape[0]
        tot = np.zeros(n, dtype=np.complex128)
        for t, tw in enumerate(self.tw):
            M = np.broadcast_to(tw["Q0"], (n,) + tw["Q0"].shape).copy()
            idx = np.arange(self.nv)
            M[:, idx, idx] += occ
            tot += self.m.beta[t] * np.linalg.det(M)
        p = np.where((~occ).sum(axis=1) % 2, -1.0, 1.0) * tot.real
        if (p <= 0).any():
            raise ValueError(f"{int((p <= 0).sum())} blocks have probability <= 0 under the exact measure "
                             "(not dimer coverings, or numerical failure)")
        return np.log(p)

    # --- conditioning on e -------------------------------------------------------------------------
    def condition(self, E, V_ref) -> "Conditioned":
        """Windows (V_ref, E) conditioned on their environments: per window b,
        X[b, τ] = (T_τ(e_b) + O(v′_b))⁻¹ (nv × nv) and the weights c[b, τ] with
        P(v | e_b) = (−1)^{#occ(v) − #occ(v′_b)} Re Σ_τ c[b, τ] det(I + D X[b, τ][Δ, Δ]), Σ_τ c = P(v′_b | e_b)."""
        occ_e = np.asarray(E)[:, self.e_cols].astype(bool)
        occ_v = np.asarray(V_ref)[:, self.v_cols].astype(bool)
        n = occ_e.shape[0]
        rows, sizes, signs = _delta(occ_e, np.broadcast_to(self.ref_e, occ_e.shape))
        m = rows.shape[1]
        valid = np.arange(m)[None, :] < sizes[:, None]
        rows = np.where(valid, rows, -1)  # padded entries index the last, zero row/column
        diag = np.where(valid, signs, 1.0)  # and get 1 on the diagonal: identity rows, no coupling
        neg = ((signs < 0) & valid).sum(axis=1)  # det D = (−1)^{#(δ = −1)}
        X = np.empty((n, 4, self.nv, self.nv), dtype=np.complex128)
        log_ve = np.empty((n, 4), dtype=np.complex128)  # log of the twist terms of P(v′, e)
        log_e = np.empty((n, 4), dtype=np.complex128)  # ... and of P(e)
        iv, im = np.arange(self.nv), np.arange(m)
        for t, tw in enumerate(self.tw):
            # Woodbury over Δ_E: K_b = D + Q*⁻¹[Δ, Δ];  T = T0 + F[:, Δ] K_b⁻¹ G[Δ, :]
            Kb = tw["Qinv_pad"][rows[:, :, None], rows[:, None, :]]
            Kb[:, im, im] += diag
            Fd = np.ascontiguousarray(tw["F_pad"][:, rows].transpose(1, 0, 2))  # (n, nv, m); contiguous for BLAS
            T = tw["T0"][None] + Fd @ np.linalg.solve(Kb, tw["G_pad"][rows, :])
            # det(Q_RR + O_R) = det Q* · det(D) · det(D + Q*⁻¹[Δ,Δ])
            s_k, ld_k = np.linalg.slogdet(Kb)
            T[:, iv, iv] += occ_v
            s_t, ld_t = np.linalg.slogdet(T)
            X[:, t] = np.linalg.inv(T)
            log_e[:, t] = (np.log(self.m.beta[t] + 0j) + tw["logdet"] + np.log(tw["sign"]) + ld_k + np.log(s_k)
                           + 1j * math.pi * neg)
            log_ve[:, t] = log_e[:, t] + ld_t + np.log(s_t + 0j)
        # P(v′, e) = (−1)^{#empty(v′) + #empty(e)} Re Σ_τ exp(log_ve), P(e) likewise; scaled per window
        sgn_e = np.where((~occ_e).sum(axis=1) % 2, -1.0, 1.0)
        sgn_v = np.where((~occ_v).sum(axis=1) % 2, -1.0, 1.0)
        top = log_ve.real.max(axis=1, keepdims=True)
        w = np.exp(log_ve - top)
        pve = sgn_e * sgn_v * w.sum(axis=1).real  # P(v′, e) / e^{top}
        pe = sgn_e * np.exp(log_e - top).sum(axis=1).real  # P(e) / e^{top}
        if (pve <= 0).any() or (pe <= 0).any():
            raise ValueError("a window's own block or environment has probability <= 0 under the exact measure")
        coef = w * (sgn_e * sgn_v / pe)[:, None]  # Σ_τ coef = P(v′ | e) (real part)
        return Conditioned(X, coef, occ_v, occ_e)

    def log_p_v_given_e(self, cond: "Conditioned", V, win) -> np.ndarray:
        """log P(v_k | e_{win[k]}) for blocks V (k, |V|) paired with conditioned windows ``win``
        (−inf where no covering has both)."""
        occ = np.asarray(V)[:, self.v_cols].astype(bool)
        ref = cond.occ_v[win]
        rows, sizes, signs = _delta(occ, ref)
        tot = np.zeros(occ.shape[0], dtype=np.complex128)
        for t in range(4):
            tot += cond.coef[win, t] * _small_dets(cond.X[win, t], rows, sizes, signs)
        flip = (occ.sum(axis=1) - ref.sum(axis=1)) % 2
        p = np.where(flip, -1.0, 1.0) * tot.real
        # Possible pairs come out ≥ 1e-8 on the 8×8 block, impossible ones at rounding level
        # (≤ 1e-17): values in between are decided exactly by a perfect matching.
        zero = p < _ZERO
        unsure = np.nonzero((p >= _ZERO) & (p < _SURE))[0]
        if unsure.size:
            Eo = cond.occ_e[win[unsure]]
            for k, eo in zip(unsure, Eo):
                ids = np.concatenate([self.v_ids, self.e_ids])
                zero[k] = not has_covering(self.m.L, self.m.w, self.m.b, ids, np.concatenate([occ[k], eo]))
        out = np.full(p.shape, -np.inf)
        out[~zero] = np.log(p[~zero])
        return out


def pair_log_ratios(wm: WindowMeasure, V, E, pool, idx, *, chunk: int = 256, log_p_pool=None) -> np.ndarray:
    """g[b, j] = log P(u_{idx[b, j]} | e_b) − log P(u_{idx[b, j]}) = log P(e_b | u) − log P(e_b), exactly.

    V, E (n, |V|), (n, |E|) the windows (their own blocks are the Woodbury references); pool
    (K, |V|) blocks u; idx (n, J) pool rows per window. −inf marks pairs that no covering has
    (their environment and block are incompatible). Conditioning runs in chunks of ``chunk``
    windows (memory ∝ chunk · 4 · nv² complex)."""
    V, E = np.asarray(V), np.asarray(E)
    idx = np.asarray(idx, dtype=np.int64)
    if log_p_pool is None:  # only the pool rows that are paired
        used = np.unique(idx)
        lpv = np.zeros(pool.shape[0])
        lpv[used] = wm.log_p_v(np.asarray(pool)[used])
    else:
        lpv = log_p_pool
    out = np.empty(idx.shape)
    J = idx.shape[1]
    for st in range(0, V.shape[0], chunk):
        sl = slice(st, min(st + chunk, V.shape[0]))
        cond = wm.condition(E[sl], V[sl])
        nb = cond.X.shape[0]
        win = np.repeat(np.arange(nb), J)
        flat = idx[sl].ravel()
        out[sl] = (wm.log_p_v_given_e(cond, pool[flat], win) - lpv[flat]).reshape(nb, J)
    return out


def _q_states(s: np.ndarray, hs: np.ndarray) -> np.ndarray:
    """q(h | v) for every state h (rows of hs) from the pre-activations s (n, N_h):
    log q = Σ_j [h_j s_j − softplus(s_j)] (one matrix product for all states)."""
    return np.exp(s @ hs.T - softplus(s).sum(axis=1, keepdims=True))


def mi_terms(V, pool, idx, logr, lam, bias, *, want_grad: bool = False):
    r"""Per-window terms of the pooled estimate of I_Λ(H:E) with the exact measure, and its gradient.

        P̂(h | e_b) = Σ_j r_bj q(h | u_bj) / Σ_j r_bj,   r_bj = e^{g[b, j]},   P̂(h) = mean_b q(h | v′_b),
        d_b = Σ_h q(h | v′_b) [log P̂(h | e_b) − log P̂(h)],   Î = mean_b d_b.

    This is the paper's objective before its Jensen step (eq. 12: log⟨e^{−ΔE}⟩ kept whole), i.e.
    A^lme_Λ, which with the exact measure is the mutual information of the code with E. With
    D(v, h) = ∂ log q(h|v)/∂s = h − σ(s) and w_bj = r_bj / Σ_j r_bj,

        ∂Î = mean_b Σ_h q(h|v′_b) { D(v′_b, h) [log P̂(h|e_b) − log P̂(h)]
                                    + Σ_j w_bj q(h|u_bj) D(u_bj, h) / P̂(h|e_b) }

    (the P̂(h) term vanishes: Σ_h q(h|v) D(v, h) = 0). Returns d (n,) and, with ``want_grad``,
    (∂Î/∂λ (|V|, N_h), ∂Î/∂b (N_h,))."""
    hs = binary_states(lam.shape[1])
    sd = V @ lam + bias
    Qd = _q_states(sd, hs)  # (n, H)
    logr = np.asarray(logr)
    top = logr.max(axis=1, keepdims=True)
    if not np.isfinite(top).all():
        raise ValueError(f"{int((~np.isfinite(top)).sum())} windows have no compatible pool block among their "
                         "pairs (PairedWindows.build leaves them out; pass usable windows only)")
    w = np.exp(logr - top)
    w /= w.sum(axis=1, keepdims=True)
    sp = pool @ lam + bias  # (K, N_h)
    Qp = _q_states(sp, hs)  # (K, H)
    Qpair = Qp[idx]  # (n, J, H)
    Phe = np.einsum("bj,bjh->bh", w, Qpair)
    Pbar = Qd.mean(axis=0)
    L = np.log(Phe) - np.log(Pbar)[None, :]
    d = (Qd * L).sum(axis=1)
    if not want_grad:
        return d
    n = V.shape[0]
    U = Qd * L / n
    sig_d = 1.0 / (1.0 + np.exp(-sd))
    T1 = U @ hs - sig_d * U.sum(axis=1, keepdims=True)
    g_lam, g_b = V.T @ T1, T1.sum(axis=0)
    # second term per pair: Σ_h R_bjh D(u_bj, h) = R_bj·hs − σ(s(u_bj)) Σ_h R_bjh, R = q(h|v′)/P̂(h|e) w q(h|u)/n
    R = ((Qd / Phe)[:, None, :] * Qpair).reshape(-1, hs.shape[0]) * (w.reshape(-1, 1) / n)
    flat = idx.ravel()
    T2p = R @ hs - (1.0 / (1.0 + np.exp(-sp)))[flat] * R.sum(axis=1, keepdims=True)  # (n·J, N_h)
    T2 = np.stack([np.bincount(flat, weights=T2p[:, k], minlength=pool.shape[0]) for k in range(hs.shape[1])], axis=1)
    return d, g_lam + pool.T @ T2, g_b + T2.sum(axis=0)


@dataclass(frozen=True)
class PairedWindows:
    """Windows with their pool pairs and exact log-ratios g (:func:`pair_log_ratios`), ready for
    :func:`mi_terms` at any filter; ``groups`` the configuration of each window (jackknife blocks)."""

    V: np.ndarray
    pool: np.ndarray
    idx: np.ndarray
    g: np.ndarray
    groups: np.ndarray
    n_dropped: int  # windows left out: none of their pairs compatible
    incompatible: np.ndarray  # per built window (dropped ones included): fraction of incompatible pairs

    @classmethod
    def build(cls, wm: WindowMeasure, V, E, pool, groups, pairs: int, rng) -> "PairedWindows":
        V = np.ascontiguousarray(V, dtype=np.float64)
        pool = np.ascontiguousarray(pool, dtype=np.float64)
        pairs = check_int("pairs", pairs, 2)
        idx = rng.integers(0, pool.shape[0], size=(V.shape[0], pairs))
        g = pair_log_ratios(wm, V, E, pool, idx)
        # A window none of whose pairs is compatible has no estimate of P(h | e): it is left out
        # and counted (its environment is one that few blocks fit: leaving it out biases Î low).
        ok = np.isfinite(g).any(axis=1)
        return cls(V[ok], pool, idx[ok], g[ok], np.asarray(groups)[ok], int((~ok).sum()), np.isinf(g).mean(axis=1))

    @property
    def n_windows(self) -> int:
        return self.V.shape[0]

    def estimate(self, weights, biases, n_blocks: int = 16) -> tuple[float, float]:
        """(Î_Λ, delete-one-block jackknife SE over configurations) in nats; Î_0 = 0 exactly."""
        lam, bias = check_filter(weights, biases, self.V.shape[1])
        return self.estimate_terms(mi_terms(self.V, self.pool, self.idx, self.g, lam, bias), n_blocks)

    def estimate_terms(self, d: np.ndarray, n_blocks: int = 16) -> tuple[float, float]:
        uniq, inv = np.unique(self.groups, return_inverse=True)
        return jackknife_mean(d, inv % n_blocks, n_blocks)

    def compact(self) -> "PairedWindows":
        """The same pairs with the pool cut down to the rows they use (for storage)."""
        used, inv = np.unique(self.idx, return_inverse=True)
        return PairedWindows(self.V, self.pool[used], inv.reshape(self.idx.shape), self.g, self.groups,
                             self.n_dropped, self.incompatible)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Arrays for :func:`rsmi.utils.io.save_npz` (binary blocks stored as uint8)."""
        c = self.compact()
        return {f"{prefix}_V": c.V.astype(np.uint8), f"{prefix}_pool": c.pool.astype(np.uint8),
                f"{prefix}_idx": c.idx.astype(np.int64), f"{prefix}_g": c.g, f"{prefix}_groups": c.groups.astype(np.int64),
                f"{prefix}_n_dropped": np.array(c.n_dropped), f"{prefix}_incompatible": c.incompatible}

    @classmethod
    def from_arrays(cls, arrays: dict, prefix: str) -> "PairedWindows":
        a = {k[len(prefix) + 1:]: v for k, v in arrays.items() if k.startswith(prefix + "_")}
        if a["idx"].shape != a["g"].shape or a["V"].shape[0] != a["idx"].shape[0]:
            raise ValueError(f"{prefix}: inconsistent shapes of V, idx and g")
        if a["idx"].size and (a["idx"].min() < 0 or a["idx"].max() >= a["pool"].shape[0]):
            raise ValueError(f"{prefix}: pair indices outside the pool")
        return cls(a["V"].astype(np.float64), a["pool"].astype(np.float64), a["idx"], a["g"], a["groups"],
                   int(a["n_dropped"]), a["incompatible"])

    def incompatible_fraction(self) -> tuple[float, float]:
        """(fraction of pairs that no covering has, SE over windows): where log P(e | u) = −∞."""
        x = self.incompatible
        return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))


def train_exact_mi(train: PairedWindows, n_hidden: int, *, n_steps: int = 300, learning_rate: float = 0.02,
                   init_scale: float = 0.01, seed=None, monitor: PairedWindows | None = None,
                   monitor_every: int = 25, snapshot_steps=(), log=None):
    """Maximise Î_Λ(H:E) (:func:`mi_terms`, exact measure) over Λ = (λ, b) by full-batch Adam.

    Adam (β₁ 0.9, β₂ 0.999, ε 1e-8) on the fixed pairs of ``train``; λ starts as init_scale·N(0,1),
    b at 0. Returns (λ (|V|, N_h), b (N_h,), history rows (step, Î_train, Î_monitor, SE_monitor),
    {step: λ} at ``snapshot_steps``)."""
    n_hidden = check_int("n_hidden", n_hidden, 1)
    n_steps = check_int("n_steps", n_steps, 1)
    rng = np.random.default_rng(seed)
    lam = init_scale * rng.standard_normal((train.V.shape[1], n_hidden))
    bias = np.zeros(n_hidden)
    params = [lam, bias]
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    hist = []
    snaps = {0: lam.copy()} if 0 in snapshot_steps else {}
    d0 = mi_terms(train.V, train.pool, train.idx, train.g, lam, bias)
    hist.append((0, float(d0.mean()), *(monitor.estimate(lam, bias) if monitor is not None else (math.nan, math.nan))))
    for step in range(1, n_steps + 1):
        d, g_lam, g_b = mi_terms(train.V, train.pool, train.idx, train.g, lam, bias, want_grad=True)
        for k, g in enumerate((g_lam, g_b)):  # ascent
            m1[k] = 0.9 * m1[k] + 0.1 * g
            m2[k] = 0.999 * m2[k] + 0.001 * g * g
            params[k] += learning_rate * (m1[k] / (1 - 0.9**step)) / (np.sqrt(m2[k] / (1 - 0.999**step)) + 1e-8)
        if step in snapshot_steps:
            snaps[step] = lam.copy()
        if step % monitor_every == 0 or step == n_steps:
            mon = monitor.estimate(lam, bias) if monitor is not None else (math.nan, math.nan)
            hist.append((step, float(d.mean()), *mon))
            if log is not None:
                log(f"step {step}: I_train {d.mean():.4f}  I_monitor {mon[0]:.4f} ± {mon[1]:.4f}")
    return lam, bias, hist, snaps


def train_exact(train: PairedWindows, monitor: PairedWindows, n_hidden: int, *, block_shape, n_steps: int = 300,
                learning_rate: float = 0.02, init_scale: float = 0.01, monitor_every: int = 25,
                snapshot_steps=(0, 25, 100, 300), seed=None, log=None):
    """:func:`train_exact_mi` as a :class:`rsmi.coarse.results.FilterResult`: ``history`` is Î_Λ on the
    training pairs and ``val_history`` on the held-out ``monitor`` pairs (NaN between monitored
    steps), ``history_err`` the held-out jackknife SE; a "step" plays the role of an epoch."""
    from rsmi.coarse.results import FilterResult

    lam, bias, hist, snaps = train_exact_mi(train, n_hidden, n_steps=n_steps, learning_rate=learning_rate,
                                            init_scale=init_scale, seed=seed, monitor=monitor,
                                            monitor_every=monitor_every, snapshot_steps=snapshot_steps, log=log)
    value, err, val = (np.full(n_steps + 1, np.nan) for _ in range(3))
    for step, i_train, i_mon, se_mon in hist:
        value[step], val[step], err[step] = i_train, i_mon, se_mon
    steps = sorted(snaps)
    L0, L1 = block_shape
    meta = dict(estimator="rsmi-exact", objective="I(H:E) with the exact dimer measure (A^lme, no Jensen step)",
                n_hidden=n_hidden, n_steps=n_steps, learning_rate=float(learning_rate), init_scale=float(init_scale),
                monitor_every=monitor_every, n_windows=int(train.n_windows), pairs=int(train.idx.shape[1]),
                n_val_windows=int(monitor.n_windows), val_pairs=int(monitor.idx.shape[1]),
                history_quantity="I_Lambda(H:E) (exact measure; train pairs / held-out pairs)")
    return FilterResult(weights=lam.reshape(L0, L1, n_hidden), biases=bias, history=value, history_err=err,
                        val_history=val, snapshot_epochs=np.array(steps, dtype=np.int64),
                        snapshots=np.array([snaps[s] for s in steps]).reshape(len(steps), L0, L1, n_hidden), meta=meta)


def build_pairs(win, pool_configs, *, L_V: int, L_B: int, L_E: int, stride: int, train_windows: int, pairs: int,
                eval_windows: int, eval_pairs: int, seed, log=None):
    """Training and held-out :class:`PairedWindows` of one dimer geometry.

    ``win``: :class:`rsmi.windows.data.Windows` of the run's data set (the first ``train_windows`` training
    and ``eval_windows`` held-out windows of its seeded order); ``pool_configs``: (n, 2L, 2L)
    independent configurations whose blocks (every window position) are the pool, exact draws
    of P(v). The training and held-out windows get disjoint halves of the pool's configurations,
    so the monitor's pairs are independent of the training's."""
    pool_configs = np.asarray(pool_configs)
    if pool_configs.ndim != 3 or pool_configs.shape[0] < 2:
        raise ValueError(f"pool_configs must be (n >= 2, 2L, 2L), got shape {pool_configs.shape}")
    L = pool_configs.shape[1] // 2
    rng = np.random.default_rng(seed)
    half = pool_configs.shape[0] // 2
    pools = [cut_regions(c, L_V, L_B, L_E, stride=stride, model="dimer")[0] for c in (pool_configs[:half],
                                                                                     pool_configs[half:])]
    Vt, Et, Gt = win.V_train[:train_windows], win.E_train[:train_windows], win.G_train[:train_windows]
    Vv, Ev, Gv = win.V_val[:eval_windows], win.E_val[:eval_windows], win.G_val[:eval_windows]
    wm = WindowMeasure(L, L_V, L_B, L_E, Et[0])
    if log is not None:
        log(f"exact measure of the {L}x{L} torus ready; pairing {len(Vt)} training windows x {pairs} and "
            f"{len(Vv)} held-out windows x {eval_pairs} with pools of {len(pools[0])} and {len(pools[1])} blocks")
    train = PairedWindows.build(wm, Vt, Et, pools[0], Gt, pairs, rng)
    ev = PairedWindows.build(wm, Vv, Ev, pools[1], Gv, eval_pairs, rng)
    return train, ev


def save_pairs(path, train: PairedWindows, ev: PairedWindows, meta) -> None:
    """Both pair sets in one ``.npz`` (atomic, :func:`rsmi.utils.io.save_npz`)."""
    save_npz(path, meta=meta, **train.arrays("train"), **ev.arrays("eval"))


def load_pairs(path) -> tuple[PairedWindows, PairedWindows, dict]:
    """(training pairs, held-out pairs, meta) of a :func:`save_pairs` file; a damaged file names itself."""
    keys = ("V", "pool", "idx", "g", "groups", "n_dropped", "incompatible")
    arrays, meta = load_npz(path, required=[f"{p}_{k}" for p in ("train", "eval") for k in keys])
    try:
        return PairedWindows.from_arrays(arrays, "train"), PairedWindows.from_arrays(arrays, "eval"), meta
    except ValueError as exc:
        raise CorruptFileError(f"{path}: {exc}") from exc
