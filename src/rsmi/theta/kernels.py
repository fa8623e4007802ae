"""Numba kernels of the RBM: xoshiro256** uniforms, float32 sigmoids, CD-k/PCD-k epochs,
block-Gibbs chains and annealed-importance-sampling chains.

The kernels trust their input: they are called through :class:`rsmi.theta.rbm.RBM` and
:func:`rsmi.theta.partition.log_partition_ais`, which validate it (formulas there). Every kernel
draws its uniforms as xoshiro256** words w / 2³² from an explicit ``state`` (4 uint64 words,
advanced in place), so its stream is a pure function of the caller's seed.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from rsmi.utils.xoshiro import next_u64

__all__ = ["fill_u32", "sigmoid_rows", "cd_epoch", "gibbs_chain", "ais_kernel"]

# fastmath without "reassoc" (the Cody–Waite reduction below relies on its evaluation order) and
# without "arcp" (1/x stays a correctly rounded division, not a reciprocal estimate).
_FASTMATH = {"nnan", "ninf", "nsz", "contract", "afn"}
# error_model="numpy": a float division by zero gives ±inf instead of raising, so numba emits no
# zero test before each division and LLVM can vectorise the loops that divide (sigmoid_rows: ~2x).
# The denominators here are >= 1 by construction.


@njit(cache=True)
def fill_u32(state, out):  # pragma: no cover - numba
    """Fill the 1-D uint32 array ``out`` with xoshiro256** output, two 32-bit words per step
    (high word first), advancing ``state`` in place. Scalar calls to numba's np.random cost
    ~10 ns each; this loop keeps the state in registers (~1 ns per word)."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    n = out.shape[0]
    i = 0
    while i < n:
        r, s0, s1, s2, s3 = next_u64(s0, s1, s2, s3)
        out[i] = np.uint32(r >> np.uint64(32))
        if i + 1 < n:
            out[i + 1] = np.uint32(r & np.uint64(0xFFFFFFFF))
        i += 2
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def sigmoid_rows(Z, bias, out, ibuf):  # pragma: no cover - numba
    """out = σ(Z + bias) = 1 / (1 + exp(−(Z + bias))) row-wise, in float32.

    exp(x) is Cephes' expf written out so that LLVM vectorises the loop (numba's np.exp is a
    scalar libm call): x clipped to [−87, 87], x = n ln2 + t with |t| ≤ ln2/2 (two-constant
    Cody–Waite split), e^t by its degree-7 minimax polynomial, 2ⁿ built in the exponent bits
    (``ibuf``, int32 scratch of length ≥ Z.shape[1]). Relative error ≲ 1e-6 for
    |x| ≤ 80; beyond, σ is 0 or 1 to float32 precision up to 1e-35.
    """
    n, m = Z.shape
    for r in range(n):
        for j in range(m):
            x = -(Z[r, j] + bias[j])
            x = min(max(x, np.float32(-87.0)), np.float32(87.0))
            fn = np.floor(x * np.float32(1.44269504088896341) + np.float32(0.5))
            t = x - fn * np.float32(0.693359375)
            t = t - fn * np.float32(-2.12194440e-4)
            p = np.float32(1.9875691500e-4)
            p = p * t + np.float32(1.3981999507e-3)
            p = p * t + np.float32(8.3334519073e-3)
            p = p * t + np.float32(4.1665795894e-2)
            p = p * t + np.float32(1.6666665459e-1)
            p = p * t + np.float32(5.0000001201e-1)
            out[r, j] = p * t * t + t + np.float32(1.0)
            ibuf[j] = (np.int32(fn) + np.int32(127)) << np.int32(23)
        two_n = ibuf[:m].view(np.float32)
        for j in range(m):
            out[r, j] = np.float32(1.0) / (np.float32(1.0) + out[r, j] * two_n[j])


@njit(cache=True)
def _bernoulli(P, out, state, ubuf):  # pragma: no cover - numba
    """out = 1[u < P] elementwise, u = w / 2³² with w the next xoshiro256** words (row-major)."""
    n, m = P.shape
    u = ubuf[: n * m]
    fill_u32(state, u)
    scale = 4294967296.0
    for r in range(n):
        for j in range(m):
            out[r, j] = np.float32(1.0) if np.float64(u[r * m + j]) < P[r, j] * scale else np.float32(0.0)


@njit(cache=True)
def cd_epoch(
    X, order, W, a, c, vW, va, vc, chain_v, chain_h, lrs, k, persistent, momentum, weight_decay, batch_size, state
):  # pragma: no cover - numba
    """One epoch of CD-k / PCD-k with momentum and L2 decay on the weights, in place.

    For each minibatch x⁺ (rows ``order[s:s+B]`` of X):
      u⁺ = σ(c + x⁺W);  negative sample x⁻ after k block-Gibbs steps from x⁺ (CD) or from the
      persistent chains (PCD);  u⁻ = σ(c + x⁻W);
      g_W = x⁺ᵀu⁺/B − x⁻ᵀu⁻/B⁻ − λ W,  g_a = ⟨x⁺ − x⁻⟩,  g_c = ⟨u⁺ − u⁻⟩;
      velocity ← μ·velocity + η_t g;  θ ← θ + velocity.
    The parameters and velocities are float64; the matrix products run in float32 on a copy
    of W refreshed after every update (mixed precision: SGEMM is twice as fast as DGEMM and
    the products' rounding error, ~1e-7 relative, is far below the minibatch noise).
    ``chain_h`` caches σ(c + x⁻W) of the persistent chains, so each PCD step costs one
    hidden and one visible draw. Uniforms come from the xoshiro256** ``state`` (advanced in
    place); sigmoids are float32.
    """
    N, nv = X.shape
    nh = W.shape[1]
    n_batches = lrs.shape[0]
    ubuf = np.empty(max(batch_size, chain_v.shape[0]) * max(nv, nh), dtype=np.uint32)
    ibuf = np.empty(max(nv, nh), dtype=np.int32)
    a32 = a.astype(np.float32)
    c32 = c.astype(np.float32)
    W32 = W.astype(np.float32)
    Wt32 = np.ascontiguousarray(W32.T)
    vn_p = chain_v.astype(np.float32)
    for b in range(n_batches):
        s0 = b * batch_size
        s1 = min(s0 + batch_size, N)
        m = s1 - s0
        vp = np.empty((m, nv), dtype=np.float32)
        for r in range(m):
            src = order[s0 + r]
            for i in range(nv):
                vp[r, i] = X[src, i]
        hp = np.empty((m, nh), dtype=np.float32)
        sigmoid_rows(vp @ W32, c32, hp, ibuf)
        if persistent:
            vn = vn_p
            hprob = chain_h
        else:
            vn = vp.copy()
            hprob = hp
        nn = vn.shape[0]
        hs = np.empty((nn, nh), dtype=np.float32)
        pv = np.empty((nn, nv), dtype=np.float32)
        hn = np.empty((nn, nh), dtype=np.float32)
        for step in range(k):
            _bernoulli(hprob, hs, state, ubuf)
            sigmoid_rows(hs @ Wt32, a32, pv, ibuf)
            _bernoulli(pv, vn, state, ubuf)
            sigmoid_rows(vn @ W32, c32, hn, ibuf)
            hprob = hn
        if persistent:
            chain_h[:, :] = hn
        lr = lrs[b]
        for r in range(m):
            for j in range(nh):
                hp[r, j] *= 1.0 / m
        for r in range(nn):
            for j in range(nh):
                hn[r, j] *= -1.0 / nn
        gW = vp.T @ hp
        gW += vn.T @ hn
        for i in range(nv):
            for j in range(nh):
                vW[i, j] = momentum * vW[i, j] + lr * (gW[i, j] - weight_decay * W[i, j])
                W[i, j] += vW[i, j]
                W32[i, j] = W[i, j]
                Wt32[j, i] = W[i, j]
        for i in range(nv):
            sp = 0.0
            for r in range(m):
                sp += vp[r, i]
            sn = 0.0
            for r in range(nn):
                sn += vn[r, i]
            va[i] = momentum * va[i] + lr * (sp / m - sn / nn)
            a[i] += va[i]
            a32[i] = a[i]
        for j in range(nh):
            # hp, hn now hold u⁺/B and −u⁻/B⁻
            s = 0.0
            for r in range(m):
                s += hp[r, j]
            for r in range(nn):
                s += hn[r, j]
            vc[j] = momentum * vc[j] + lr * s
            c[j] += vc[j]
            c32[j] = c[j]
    if persistent:
        chain_v[:, :] = vn_p


@njit(cache=True)
def gibbs_chain(v, W, a, c, n_steps, state):  # pragma: no cover - numba
    """n_steps block-Gibbs sweeps u ~ σ(c + vW), v ~ σ(a + W u), in place on v (float32)."""
    n, nv = v.shape
    nh = W.shape[1]
    W32 = W.astype(np.float32)
    Wt32 = np.ascontiguousarray(W32.T)
    a32 = a.astype(np.float32)
    c32 = c.astype(np.float32)
    ubuf = np.empty(n * max(nv, nh), dtype=np.uint32)
    ibuf = np.empty(max(nv, nh), dtype=np.int32)
    p_h = np.empty((n, nh), dtype=np.float32)
    h = np.empty((n, nh), dtype=np.float32)
    p_v = np.empty((n, nv), dtype=np.float32)
    for _ in range(n_steps):
        sigmoid_rows(v @ W32, c32, p_h, ibuf)
        _bernoulli(p_h, h, state, ubuf)
        sigmoid_rows(h @ Wt32, a32, p_v, ibuf)
        _bernoulli(p_v, v, state, ubuf)


@njit(cache=True, error_model="numpy")
def ais_kernel(W, a, c, a0, betas, n_runs, state):  # pragma: no cover - numba
    """Log importance weights of ``n_runs`` AIS chains (see :func:`rsmi.theta.partition.log_partition_ais`).

    Uniforms are xoshiro256** words w / 2³² (``state`` advanced in place), one per Bernoulli
    draw: the initial visible states (run-major), then per β step the hidden draws and the
    visible draws (run-major, unit-minor).
    """
    nv, nh = W.shape
    Wt = np.ascontiguousarray(W.T)
    scale = 4294967296.0
    v = np.empty((n_runs, nv))
    uv = np.empty(n_runs * nv, dtype=np.uint32)
    uh = np.empty(n_runs * nh, dtype=np.uint32)
    fill_u32(state, uv)
    for r in range(n_runs):
        for i in range(nv):
            v[r, i] = 1.0 if uv[r * nv + i] < scale / (1.0 + math.exp(-a0[i])) else 0.0
    logw = np.zeros(n_runs)
    h = np.empty((n_runs, nh))
    K = betas.shape[0]
    for k in range(1, K):
        bp = betas[k - 1]
        b = betas[k]
        z = v @ W
        fill_u32(state, uh)
        for r in range(n_runs):
            # log p*_β(v) = (1−β) a0·v + β a·v + Σ_m softplus(β z_m)
            d = 0.0
            for i in range(nv):
                d += (b - bp) * (a[i] - a0[i]) * v[r, i]
            for m in range(nh):
                zz = z[r, m] + c[m]
                x1 = b * zz
                x0 = bp * zz
                e1 = math.exp(-abs(x1))
                d += (max(x1, 0.0) + math.log1p(e1)) - (max(x0, 0.0) + math.log1p(math.exp(-abs(x0))))
                # hidden draw of the transition that leaves p_{β_k} invariant: σ(x1) from e1
                p1 = 1.0 / (1.0 + e1) if x1 >= 0.0 else e1 / (1.0 + e1)
                h[r, m] = 1.0 if uh[r * nh + m] < p1 * scale else 0.0
            logw[r] += d
        if k == K - 1:
            break
        y = h @ Wt
        fill_u32(state, uv)
        for r in range(n_runs):
            for i in range(nv):
                t = (1.0 - b) * a0[i] + b * (a[i] + y[r, i])
                v[r, i] = 1.0 if uv[r * nv + i] < scale / (1.0 + math.exp(-t)) else 0.0
    return logw
