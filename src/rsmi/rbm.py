"""Bernoulli–Bernoulli restricted Boltzmann machine trained by contrastive divergence.

The Θ-RBMs of method.md §3: visible ``x ∈ {0,1}^{N_v}``, hidden ``u ∈ {0,1}^{N_h}``,

    E(x, u) = −a·x − c·u − xᵀ W u,        p(x, u) = exp(−E(x, u)) / Z,

and the visible free energy (hidden units summed out)

    F(x) = −a·x − Σ_m softplus(c_m + (xᵀW)_m),      p(x) = exp(−F(x)) / Z.

Training follows the gradient of the mean log-likelihood,

    ∂⟨log p(x)⟩_data/∂W = ⟨x σ(c + xW)ᵀ⟩_data − ⟨x σ(c + xW)ᵀ⟩_model,

whose model term is estimated by CD-k (k block-Gibbs steps started at the minibatch) or PCD-k
(persistent chains carried across updates). Quality is measured, not assumed:
:meth:`RBM.log_likelihood` is exact (enumerating the smaller layer) when that layer has at
most :data:`MAX_EXACT_UNITS` units and an annealed-importance-sampling estimate with an error
bar otherwise.

The estimator follows scikit-learn's ``BernoulliRBM``: the constructor only stores, parameters
are validated in :meth:`RBM._validate_params`, learned state has a trailing underscore, and all
randomness flows from the single ``seed``. The per-minibatch loop and the AIS chains run in
numba kernels behind plain-Python methods that validate their input.
"""

from __future__ import annotations

import logging
import math
import numbers
import os
import time
from typing import Any

import numpy as np
from numba import njit

from rsmi._xoshiro import next_u64, seed_words
from rsmi.io import CorruptFileError, load_npz, save_npz

__all__ = [
    "RBM",
    "MAX_EXACT_UNITS",
    "free_energy",
    "log_partition_exact",
    "log_partition_ais",
    "ais_betas",
]

logger = logging.getLogger("rsmi.rbm")

#: Largest layer that :func:`log_partition_exact` enumerates (2**20 states).
MAX_EXACT_UNITS = 20

#: States per chunk when enumerating a layer (bounds memory at chunk × other-layer floats).
_ENUM_CHUNK = 1 << 14

#: Data means are clipped to [ε, 1−ε] before taking logits (base-rate model, bias init).
_MEAN_CLIP = 1e-3

_FILE_FORMAT = "rsmi.RBM/1"


# ----------------------------------------------------------------------------------------------
# Small numerical helpers
# ----------------------------------------------------------------------------------------------
def _softplus(z: np.ndarray) -> np.ndarray:
    """softplus(z) = log(1 + e^z), computed as max(z, 0) + log1p(e^{−|z|}) (no overflow)."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{−z})."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _logsumexp(x: np.ndarray) -> float:
    m = float(np.max(x))
    return m + math.log(float(np.sum(np.exp(x - m))))


def _logit_of_mean(X: np.ndarray) -> np.ndarray:
    """log(p / (1 − p)) of the column means of ``X``, p clipped to [ε, 1−ε]."""
    p = np.clip(X.mean(axis=0, dtype=np.float64), _MEAN_CLIP, 1.0 - _MEAN_CLIP)
    return np.log(p) - np.log1p(-p)


def _states(start: int, stop: int, n: int) -> np.ndarray:
    """All binary vectors with integer codes start..stop−1 as rows, bit j = unit j (float64)."""
    codes = np.arange(start, stop, dtype=np.int64)
    return ((codes[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1).astype(np.float64)


@njit(cache=True)
def _fill_u32(state, out):  # pragma: no cover - numba
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


# ----------------------------------------------------------------------------------------------
# Free energy and partition function (functional forms, usable on any parameters)
# ----------------------------------------------------------------------------------------------
def free_energy(X: np.ndarray, weights: np.ndarray, visible_bias: np.ndarray, hidden_bias: np.ndarray) -> np.ndarray:
    """F(x) = −a·x − Σ_m softplus(c_m + (xᵀW)_m) for every row x of ``X`` (float64)."""
    X = np.asarray(X, dtype=np.float64)
    return -(X @ visible_bias) - _softplus(X @ weights + hidden_bias).sum(axis=1)


def _check_params(weights, visible_bias, hidden_bias) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    W = np.ascontiguousarray(weights, dtype=np.float64)
    a = np.ascontiguousarray(visible_bias, dtype=np.float64)
    c = np.ascontiguousarray(hidden_bias, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"weights must be 2-D (n_visible, n_hidden), got shape {W.shape}")
    if a.shape != (W.shape[0],):
        raise ValueError(f"visible_bias must have shape ({W.shape[0]},), got {a.shape}")
    if c.shape != (W.shape[1],):
        raise ValueError(f"hidden_bias must have shape ({W.shape[1]},), got {c.shape}")
    for name, arr in (("weights", W), ("visible_bias", a), ("hidden_bias", c)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains non-finite values")
    return W, a, c


def log_partition_exact(weights, visible_bias, hidden_bias, *, over: str = "smaller") -> float:
    """log Z by enumerating one layer, chunked, with log-sum-exp in float64.

    Over the hidden layer:   Z = Σ_u exp(c·u) Π_i (1 + exp(a_i + (W u)_i)).
    Over the visible layer:  Z = Σ_x exp(−F(x)) = Σ_x exp(a·x) Π_m (1 + exp(c_m + (xᵀW)_m)).

    ``over`` is "hidden", "visible" or "smaller" (the layer with fewer units); the enumerated
    layer must have at most :data:`MAX_EXACT_UNITS` units.
    """
    W, a, c = _check_params(weights, visible_bias, hidden_bias)
    nv, nh = W.shape
    if over == "smaller":
        over = "hidden" if nh <= nv else "visible"
    if over not in ("hidden", "visible"):
        raise ValueError(f"over must be 'hidden', 'visible' or 'smaller', got {over!r}")
    n = nh if over == "hidden" else nv
    if n > MAX_EXACT_UNITS:
        raise ValueError(f"cannot enumerate the {over} layer: {n} units > MAX_EXACT_UNITS={MAX_EXACT_UNITS}")
    parts = []
    for start in range(0, 1 << n, _ENUM_CHUNK):
        S = _states(start, min(start + _ENUM_CHUNK, 1 << n), n)
        if over == "hidden":
            t = S @ c + _softplus(S @ W.T + a).sum(axis=1)
        else:
            t = S @ a + _softplus(S @ W + c).sum(axis=1)
        parts.append(_logsumexp(t))
    return _logsumexp(np.asarray(parts))


def ais_betas(n_betas: int) -> np.ndarray:
    """Inverse temperatures 0 = β_0 < … < β_{K−1} = 1 of the AIS path.

    Three linear pieces with a third of the points each on [0, 0.5], [0.5, 0.9] and [0.9, 1]
    (the spacing of Salakhutdinov & Murray 2008 in spirit: finer where the target's
    correlations switch on).
    """
    if not isinstance(n_betas, (int, np.integer)) or n_betas < 3:
        raise ValueError(f"n_ais_betas must be an integer >= 3, got {n_betas!r}")
    n1 = n_betas // 3
    n2 = n_betas // 3
    n3 = n_betas - n1 - n2
    return np.concatenate(
        [
            np.linspace(0.0, 0.5, n1, endpoint=False),
            np.linspace(0.5, 0.9, n2, endpoint=False),
            np.linspace(0.9, 1.0, n3),
        ]
    )


@njit(cache=True)
def _ais_kernel(W, a, c, a0, betas, n_runs, state):  # pragma: no cover - numba
    """Log importance weights of ``n_runs`` AIS chains (see :func:`log_partition_ais`).

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
    _fill_u32(state, uv)
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
        _fill_u32(state, uh)
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
        _fill_u32(state, uv)
        for r in range(n_runs):
            for i in range(nv):
                t = (1.0 - b) * a0[i] + b * (a[i] + y[r, i])
                v[r, i] = 1.0 if uv[r * nv + i] < scale / (1.0 + math.exp(-t)) else 0.0
    return logw


def log_partition_ais(
    weights,
    visible_bias,
    hidden_bias,
    *,
    base_visible_bias=None,
    n_runs: int = 100,
    n_betas: int = 10000,
    seed=None,
) -> tuple[float, float]:
    """Annealed importance sampling estimate of log Z and its standard error.

    Path (geometric in the joint energy, visible marginal): with base-rate biases a₀ (the
    logits of the training-data means) and z = c + xᵀW,

        log p*_β(x) = (1−β) a₀·x + β a·x + Σ_m softplus(β z_m),   β: 0 → 1,

    so p*_0 is the independent base-rate model with Z_0 = 2^{N_h} Π_i (1 + e^{a₀_i}) and p*_1
    the RBM. Each run draws x_0 ~ p_0 and accumulates log w = Σ_k [log p*_{β_k}(x_{k−1}) −
    log p*_{β_{k−1}}(x_{k−1})], moving x with one block-Gibbs step that leaves p_{β_k}
    invariant (u ~ σ(β z), x ~ σ((1−β) a₀ + β(a + W u))). Then

        log Ẑ = log Z_0 + log mean_r(w_r),    se(log Ẑ) = std_r(w_r) / (√R · mean_r(w_r))

    (delta method; the estimate of Z is unbiased, that of log Z is biased low by ≈ se²/2).
    """
    W, a, c = _check_params(weights, visible_bias, hidden_bias)
    if base_visible_bias is None:
        a0 = np.zeros_like(a)
    else:
        a0 = np.ascontiguousarray(base_visible_bias, dtype=np.float64)
        if a0.shape != a.shape or not np.all(np.isfinite(a0)):
            raise ValueError(f"base_visible_bias must be finite with shape {a.shape}, got {a0.shape}")
    if not isinstance(n_runs, (int, np.integer)) or n_runs < 2:
        raise ValueError(f"n_ais_runs must be an integer >= 2, got {n_runs!r}")
    betas = ais_betas(n_betas)
    rng = np.random.default_rng(seed)
    logw = _ais_kernel(W, a, c, a0, betas, int(n_runs), seed_words(rng))
    log_z0 = W.shape[1] * math.log(2.0) + float(_softplus(a0).sum())
    m = float(np.max(logw))
    w = np.exp(logw - m)
    mean_w = float(w.mean())
    se = float(w.std(ddof=1) / (math.sqrt(n_runs) * mean_w))
    return log_z0 + m + math.log(mean_w), se


# ----------------------------------------------------------------------------------------------
# Training kernels
# ----------------------------------------------------------------------------------------------
# fastmath without "reassoc": the Cody–Waite reduction below relies on its evaluation order.
_FASTMATH = {"nnan", "ninf", "nsz", "arcp", "contract", "afn"}


@njit(cache=True, fastmath=_FASTMATH)
def _sigmoid_rows(Z, bias, out, ibuf):  # pragma: no cover - numba
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
    _fill_u32(state, u)
    scale = 4294967296.0
    for r in range(n):
        for j in range(m):
            out[r, j] = np.float32(1.0) if np.float64(u[r * m + j]) < P[r, j] * scale else np.float32(0.0)


@njit(cache=True)
def _cd_epoch(
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
        _sigmoid_rows(vp @ W32, c32, hp, ibuf)
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
            _sigmoid_rows(hs @ Wt32, a32, pv, ibuf)
            _bernoulli(pv, vn, state, ubuf)
            _sigmoid_rows(vn @ W32, c32, hn, ibuf)
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
def _gibbs_chain(v, W, a, c, n_steps, state):  # pragma: no cover - numba
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
        _sigmoid_rows(v @ W32, c32, p_h, ibuf)
        _bernoulli(p_h, h, state, ubuf)
        _sigmoid_rows(h @ Wt32, a32, p_v, ibuf)
        _bernoulli(p_v, v, state, ubuf)


# ----------------------------------------------------------------------------------------------
# Input validation
# ----------------------------------------------------------------------------------------------
def _check_binary(X, name: str, n_visible: int | None = None) -> np.ndarray:
    """Validate a {0,1} data matrix; return it as a C-contiguous float64 array."""
    X = np.asarray(X)
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_):
        raise TypeError(f"{name} must be a numeric or boolean array, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_visible), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must be non-empty, got shape {X.shape}")
    if n_visible is not None and X.shape[1] != n_visible:
        raise ValueError(f"{name} has {X.shape[1]} columns but the RBM has n_visible={n_visible}")
    Xf = np.ascontiguousarray(X, dtype=np.float64)
    if not np.all(np.isfinite(Xf)):
        raise ValueError(f"{name} contains non-finite values")
    if not np.all((Xf == 0.0) | (Xf == 1.0)):
        raise ValueError(f"{name} must contain only 0 and 1")
    return Xf


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(float(x))


def _seed_to_int(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**32 - 1))


# ----------------------------------------------------------------------------------------------
# The estimator
# ----------------------------------------------------------------------------------------------
class RBM:
    """Bernoulli–Bernoulli RBM trained by CD-k or persistent CD-k.

    Defaults are the measured choice of docs/rbm_hyperparameters.md (CD-5, η₀ = 0.05 decaying
    linearly to 0.005, momentum 0.5, batch 32, 20 epochs); n_hidden depends on the window.

    Parameters
    ----------
    n_hidden : int, default 64
        Number of hidden units N_h.
    k : int, default 5
        Block-Gibbs steps per negative sample (CD-k / PCD-k).
    persistent : bool, default False
        Persistent chains (PCD, "stochastic maximum likelihood") instead of restarting at the data.
    n_chains : int or None, default None
        Number of persistent chains; None → ``batch_size``. Ignored for CD.
    batch_size : int, default 32
        Minibatch size B; gradients are means over the batch.
    learning_rate : float, default 0.05
        Initial step η₀.
    lr_schedule : {"constant", "linear"}, default "linear"
        η_t = η₀ (constant) or η_t = η₀ [1 − (1 − f) t / T] (linear), with t = 0 … T−1 the
        update index over the whole fit and f = ``lr_final_fraction``.
    lr_final_fraction : float in [0, 1], default 0.1
        f of the linear schedule.
    momentum : float in [0, 1), default 0.5
        μ of classical momentum: velocity ← μ velocity + η_t g; θ ← θ + velocity.
    weight_decay : float ≥ 0, default 1e-4
        L2 coefficient λ: the weight gradient is g_W − λ W (biases are not decayed).
    n_epochs : int ≥ 0, default 20
        Passes over the training data (minibatches in a fresh random order every epoch).
    init_scale : float > 0, default 0.01
        Weights start as N(0, init_scale²); hidden biases at 0.
    visible_bias_init : {"data", "zero"}, default "data"
        Start a at the logits of the training means (clipped to [1e-3, 1−1e-3]) or at 0.
    monitor_ais_runs, monitor_ais_betas : int, default 16, 1000
        AIS effort of the per-epoch held-out log-likelihood when it cannot be computed exactly
        (the same AIS random numbers every epoch, so the curve's noise is common to all points).
        The curve is a cheap monitor; measure the final model with :meth:`log_likelihood`.
    monitor_every : int, default 1
        Record the history every this many epochs (and always after the last one).
    monitor_max_samples : int, default 2000
        The held-out subset used for the per-epoch log-likelihood is at most this large.
    monitor_pl_samples : int, default 200
        Training rows on which the per-epoch pseudo-log-likelihood is computed (it costs
        N_v times a free energy per row, so it is kept small).
    seed : None, int, SeedSequence or Generator
        The only source of randomness (``np.random.default_rng(seed)``).
    verbose : bool, default False
        Log one line per epoch at INFO level on logger ``rsmi.rbm`` (DEBUG otherwise).

    Attributes
    ----------
    weights_ : (n_visible, n_hidden) float64
    visible_bias_ : (n_visible,) float64
    hidden_bias_ : (n_hidden,) float64
    base_visible_bias_ : (n_visible,) float64 — logits of the training means (AIS base model).
    n_visible_ : int
    history_ : dict of equal-length float64 arrays — "epoch" (0 = before training),
        "val_loglik", "val_loglik_err" (NaN without X_val), "train_pseudo_loglik" (mean
        Σ_i log p(x_i | x_{−i}) on a training subset), "weight_rms", "lr".
    fit_seconds_ : float — training time of the last fit, monitoring excluded. Kept out of
        ``history_`` and of saved files: timings differ between runs, results must not.
    """

    _PARAM_NAMES = (
        "n_hidden",
        "k",
        "persistent",
        "n_chains",
        "batch_size",
        "learning_rate",
        "lr_schedule",
        "lr_final_fraction",
        "momentum",
        "weight_decay",
        "n_epochs",
        "init_scale",
        "visible_bias_init",
        "monitor_ais_runs",
        "monitor_ais_betas",
        "monitor_every",
        "monitor_max_samples",
        "monitor_pl_samples",
        "seed",
        "verbose",
    )

    _HISTORY_KEYS = ("epoch", "val_loglik", "val_loglik_err", "train_pseudo_loglik", "weight_rms", "lr")

    def __init__(
        self,
        n_hidden: int = 64,
        *,
        k: int = 5,
        persistent: bool = False,
        n_chains: int | None = None,
        batch_size: int = 32,
        learning_rate: float = 0.05,
        lr_schedule: str = "linear",
        lr_final_fraction: float = 0.1,
        momentum: float = 0.5,
        weight_decay: float = 1e-4,
        n_epochs: int = 20,
        init_scale: float = 0.01,
        visible_bias_init: str = "data",
        monitor_ais_runs: int = 16,
        monitor_ais_betas: int = 1000,
        monitor_every: int = 1,
        monitor_max_samples: int = 2000,
        monitor_pl_samples: int = 200,
        seed=None,
        verbose: bool = False,
    ):
        self.n_hidden = n_hidden
        self.k = k
        self.persistent = persistent
        self.n_chains = n_chains
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.lr_final_fraction = lr_final_fraction
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.n_epochs = n_epochs
        self.init_scale = init_scale
        self.visible_bias_init = visible_bias_init
        self.monitor_ais_runs = monitor_ais_runs
        self.monitor_ais_betas = monitor_ais_betas
        self.monitor_every = monitor_every
        self.monitor_max_samples = monitor_max_samples
        self.monitor_pl_samples = monitor_pl_samples
        self.seed = seed
        self.verbose = verbose

    # -- parameters --------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """Constructor parameters as a dict."""
        return {name: getattr(self, name) for name in self._PARAM_NAMES}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"RBM({args})"

    def _validate_params(self) -> None:
        """Check every constructor parameter; raise ValueError/TypeError naming the bad one."""

        def pos_int(name, minimum=1):
            val = getattr(self, name)
            if not _is_int(val):
                raise TypeError(f"{name} must be an integer, got {type(val).__name__} {val!r}")
            if val < minimum:
                raise ValueError(f"{name} must be >= {minimum}, got {val}")

        pos_int("n_hidden")
        pos_int("k")
        pos_int("batch_size")
        pos_int("n_epochs", 0)
        pos_int("monitor_ais_runs", 2)
        pos_int("monitor_ais_betas", 3)
        pos_int("monitor_every")
        pos_int("monitor_max_samples")
        pos_int("monitor_pl_samples")
        if self.n_chains is not None:
            pos_int("n_chains")
        if not isinstance(self.persistent, (bool, np.bool_)):
            raise TypeError(f"persistent must be a bool, got {self.persistent!r}")
        if not isinstance(self.verbose, (bool, np.bool_, int)):
            raise TypeError(f"verbose must be a bool, got {self.verbose!r}")
        for name, lo, hi, lo_open, hi_open in (
            ("learning_rate", 0.0, math.inf, True, True),
            ("lr_final_fraction", 0.0, 1.0, False, False),
            ("momentum", 0.0, 1.0, False, True),
            ("weight_decay", 0.0, math.inf, False, True),
            ("init_scale", 0.0, math.inf, True, True),
        ):
            val = getattr(self, name)
            if not _is_real(val):
                raise ValueError(f"{name} must be a finite real number, got {val!r}")
            val = float(val)
            if (val <= lo if lo_open else val < lo) or (val >= hi if hi_open else val > hi):
                lb = "(" if lo_open else "["
                rb = ")" if hi_open else "]"
                raise ValueError(f"{name} must lie in {lb}{lo}, {hi}{rb}, got {val}")
        if self.lr_schedule not in ("constant", "linear"):
            raise ValueError(f"lr_schedule must be 'constant' or 'linear', got {self.lr_schedule!r}")
        if self.visible_bias_init not in ("data", "zero"):
            raise ValueError(f"visible_bias_init must be 'data' or 'zero', got {self.visible_bias_init!r}")
        seed = self.seed
        if not (
            seed is None
            or _is_int(seed)
            or isinstance(seed, (np.random.SeedSequence, np.random.Generator))
        ):
            raise TypeError(f"seed must be None, an int, a SeedSequence or a Generator, got {type(seed).__name__}")
        if _is_int(seed) and seed < 0:
            raise ValueError(f"seed must be non-negative, got {seed}")

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise RuntimeError("this RBM is not fitted yet: call fit(X) or RBM.load(path) first")

    # -- construction from given parameters -------------------------------------------------
    @classmethod
    def from_parameters(cls, weights, visible_bias, hidden_bias, *, base_visible_bias=None, **params) -> "RBM":
        """An RBM with the given W (n_visible, n_hidden), a and c (e.g. a known model, or another
        library's fit); ``base_visible_bias`` is the AIS base model (default: ``visible_bias``)."""
        W, a, c = _check_params(weights, visible_bias, hidden_bias)
        params.setdefault("n_hidden", W.shape[1])
        rbm = cls(**params)
        rbm._validate_params()
        if rbm.n_hidden != W.shape[1]:
            raise ValueError(f"n_hidden={rbm.n_hidden} does not match weights with {W.shape[1]} columns")
        rbm.weights_ = W.copy()
        rbm.visible_bias_ = a.copy()
        rbm.hidden_bias_ = c.copy()
        if base_visible_bias is None:
            base = a.copy()
        else:
            base = np.asarray(base_visible_bias, dtype=np.float64)
            if base.shape != a.shape or not np.all(np.isfinite(base)):
                raise ValueError(f"base_visible_bias must be finite with shape {a.shape}")
        rbm.base_visible_bias_ = base.copy()
        rbm.n_visible_ = W.shape[0]
        rbm.history_ = {key: np.zeros(0) for key in cls._HISTORY_KEYS}
        return rbm

    # -- training ----------------------------------------------------------------------------
    def _lr_per_update(self, n_batches: int) -> np.ndarray:
        T = n_batches * self.n_epochs
        t = np.arange(T, dtype=np.float64)
        if self.lr_schedule == "constant" or T == 0:
            return np.full(T, float(self.learning_rate))
        return float(self.learning_rate) * (1.0 - (1.0 - float(self.lr_final_fraction)) * t / T)

    def fit(self, X, X_val=None) -> "RBM":
        """Train on the rows of ``X`` ({0,1}); ``X_val`` (optional) gives the held-out curve.

        Returns self. ``history_`` gets one entry before training (epoch 0) and one per epoch.
        """
        self._validate_params()
        X = _check_binary(X, "X")
        if X_val is not None:
            X_val = _check_binary(X_val, "X_val", X.shape[1])
        rng = np.random.default_rng(self.seed)
        # Independent streams, so monitoring never changes the learned weights.
        init_rng, train_rng, mon_rng = rng.spawn(3)
        n, nv = X.shape
        nh = int(self.n_hidden)
        self.n_visible_ = nv
        self.base_visible_bias_ = _logit_of_mean(X)
        self.weights_ = init_rng.normal(0.0, float(self.init_scale), size=(nv, nh))
        self.visible_bias_ = self.base_visible_bias_.copy() if self.visible_bias_init == "data" else np.zeros(nv)
        self.hidden_bias_ = np.zeros(nh)
        n_chains = int(self.n_chains) if self.n_chains is not None else int(self.batch_size)
        chain_v = np.ascontiguousarray(X[init_rng.integers(0, n, size=n_chains)])
        chain_h = _sigmoid(chain_v @ self.weights_ + self.hidden_bias_).astype(np.float32)
        vW = np.zeros_like(self.weights_)
        va = np.zeros(nv)
        vc = np.zeros(nh)

        n_batches = -(-n // int(self.batch_size))
        lrs = self._lr_per_update(n_batches)

        state = seed_words(train_rng)
        mon_seed = _seed_to_int(mon_rng)
        n_mon = int(self.monitor_max_samples)
        n_pl = int(self.monitor_pl_samples)
        X_mon = X[mon_rng.choice(n, size=n_pl, replace=False)] if n > n_pl else X
        X_val_mon = None
        if X_val is not None:
            X_val_mon = X_val[mon_rng.choice(len(X_val), size=n_mon, replace=False)] if len(X_val) > n_mon else X_val
        hist = {key: [] for key in self._HISTORY_KEYS}
        elapsed = 0.0

        def record(epoch, lr):
            if X_val_mon is not None:
                ll, err = self.log_likelihood(
                    X_val_mon,
                    n_ais_runs=int(self.monitor_ais_runs),
                    n_ais_betas=int(self.monitor_ais_betas),
                    seed=mon_seed,
                )
            else:
                ll, err = math.nan, math.nan
            pl = float(self.pseudo_log_likelihood(X_mon).mean())
            w_rms = float(np.sqrt(np.mean(self.weights_**2)))
            for key, val in zip(self._HISTORY_KEYS, (epoch, ll, err, pl, w_rms, lr)):
                hist[key].append(float(val))
            level = logging.INFO if self.verbose else logging.DEBUG
            if logger.isEnabledFor(level):
                logger.log(
                    level,
                    "epoch %d/%d  val_loglik %.4f ± %.4f  train_pseudo_loglik %.4f  w_rms %.4f  lr %.3g  %.2fs",
                    epoch, self.n_epochs, ll, err, pl, w_rms, lr, elapsed,
                )

        record(0, lrs[0] if len(lrs) else float(self.learning_rate))
        for epoch in range(1, int(self.n_epochs) + 1):
            t0 = time.perf_counter()
            order = train_rng.permutation(n)
            lr_e = np.ascontiguousarray(lrs[(epoch - 1) * n_batches : epoch * n_batches])
            _cd_epoch(
                X, order, self.weights_, self.visible_bias_, self.hidden_bias_, vW, va, vc,
                chain_v, chain_h, lr_e, int(self.k), bool(self.persistent), float(self.momentum),
                float(self.weight_decay), int(self.batch_size), state,
            )
            elapsed += time.perf_counter() - t0
            if not (np.all(np.isfinite(self.weights_)) and np.all(np.isfinite(self.visible_bias_))):
                raise FloatingPointError(
                    f"training diverged at epoch {epoch} (non-finite parameters); lower learning_rate"
                )
            if epoch % int(self.monitor_every) == 0 or epoch == int(self.n_epochs):
                record(epoch, lr_e[-1])
        self.history_ = {key: np.asarray(val, dtype=np.float64) for key, val in hist.items()}
        self.fit_seconds_ = elapsed
        return self

    # -- model quantities ----------------------------------------------------------------------
    def free_energy(self, X) -> np.ndarray:
        """F(x) = −a·x − Σ_m softplus(c_m + (xᵀW)_m) per row of X (float64, nats)."""
        self._check_fitted()
        X = _check_binary(X, "X", self.n_visible_)
        return free_energy(X, self.weights_, self.visible_bias_, self.hidden_bias_)

    def transform(self, X) -> np.ndarray:
        """Hidden probabilities p(u_m = 1 | x) = σ(c_m + (xᵀW)_m), shape (n, n_hidden)."""
        self._check_fitted()
        X = _check_binary(X, "X", self.n_visible_)
        return _sigmoid(X @ self.weights_ + self.hidden_bias_)

    def pseudo_log_likelihood(self, X) -> np.ndarray:
        """Σ_i log p(x_i | x_{−i}) = −Σ_i softplus(F(x) − F(x with bit i flipped)) per row."""
        self._check_fitted()
        X = _check_binary(X, "X", self.n_visible_)
        W, a, c = self.weights_, self.visible_bias_, self.hidden_bias_
        out = np.empty(len(X))
        step = max(1, (1 << 22) // (W.size + 1))
        for s in range(0, len(X), step):
            x = X[s : s + step]
            z = x @ W + c  # (n, nh)
            d = 1.0 - 2.0 * x  # change of x_i when flipped
            # F(x') − F(x) = −a_i d_i − Σ_m [softplus(z_m + d_i W_im) − softplus(z_m)]
            zf = z[:, None, :] + d[:, :, None] * W[None, :, :]
            dF = -a[None, :] * d - (_softplus(zf) - _softplus(z)[:, None, :]).sum(axis=2)
            out[s : s + step] = -_softplus(-dF).sum(axis=1)
        return out

    def log_partition(self, *, method: str = "auto", n_ais_runs: int = 100, n_ais_betas: int = 10000, seed=None):
        """(log Z, standard error): exact (error 0) when the smaller layer has ≤ MAX_EXACT_UNITS
        units and ``method`` is "auto" or "exact"; AIS (see :func:`log_partition_ais`) for
        ``method="ais"`` or larger models."""
        self._check_fitted()
        if method not in ("auto", "exact", "ais"):
            raise ValueError(f"method must be 'auto', 'exact' or 'ais', got {method!r}")
        small = min(self.weights_.shape) <= MAX_EXACT_UNITS
        if method == "exact" and not small:
            raise ValueError(
                f"method='exact' needs a layer with <= {MAX_EXACT_UNITS} units; this RBM is {self.weights_.shape}"
            )
        if method == "exact" or (method == "auto" and small):
            return log_partition_exact(self.weights_, self.visible_bias_, self.hidden_bias_), 0.0
        return log_partition_ais(
            self.weights_, self.visible_bias_, self.hidden_bias_,
            base_visible_bias=self.base_visible_bias_, n_runs=n_ais_runs, n_betas=n_ais_betas, seed=seed,
        )

    def log_likelihood(self, X, *, method: str = "auto", n_ais_runs: int = 100, n_ais_betas: int = 10000, seed=None):
        """(mean log p(x) over the rows of X in nats/sample, standard error).

        log p(x) = −F(x) − log Z. The standard error combines the sampling error of the mean
        over rows, std(−F)/√n, with the error of log Z (0 when exact, AIS otherwise; see
        :meth:`log_partition` for log Z and its own error).
        """
        self._check_fitted()
        X = _check_binary(X, "X", self.n_visible_)
        log_z, err_z = self.log_partition(method=method, n_ais_runs=n_ais_runs, n_ais_betas=n_ais_betas, seed=seed)
        lp = -free_energy(X, self.weights_, self.visible_bias_, self.hidden_bias_) - log_z
        sem = float(lp.std(ddof=1) / math.sqrt(len(lp))) if len(lp) > 1 else 0.0
        return float(lp.mean()), math.hypot(sem, err_z)

    def sample(self, n: int, gibbs_steps: int, *, seed=None) -> np.ndarray:
        """``n`` visible samples (uint8, (n, n_visible)) after ``gibbs_steps`` block-Gibbs sweeps
        started from the base-rate model (independent bits with the training means)."""
        self._check_fitted()
        if not _is_int(n) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        if not _is_int(gibbs_steps) or gibbs_steps < 0:
            raise ValueError(f"gibbs_steps must be a non-negative integer, got {gibbs_steps!r}")
        rng = np.random.default_rng(seed)
        p0 = _sigmoid(self.base_visible_bias_)
        v = (rng.random((n, self.n_visible_)) < p0).astype(np.float32)
        _gibbs_chain(v, self.weights_, self.visible_bias_, self.hidden_bias_, int(gibbs_steps), seed_words(rng))
        return v.astype(np.uint8)

    def sample_chains(self, n_chains: int, burn_in: int, n_per_chain: int, thin: int, *, seed=None) -> np.ndarray:
        """Visible states of ``n_chains`` independent block-Gibbs chains (uint8, (n_chains·n_per_chain, n_visible)).

        Each chain starts from the base-rate model, runs ``burn_in`` sweeps, then records its
        state ``n_per_chain`` times, ``thin`` sweeps apart; row r·n_chains + c is chain c's r-th
        record.  Costs n_chains·(burn_in + (n_per_chain − 1)·thin) sweeps instead of
        n_chains·n_per_chain·burn_in for the same number of (less independent) draws."""
        self._check_fitted()
        for name, x, lo in (("n_chains", n_chains, 1), ("burn_in", burn_in, 0), ("n_per_chain", n_per_chain, 1), ("thin", thin, 1)):
            if not _is_int(x) or x < lo:
                raise ValueError(f"{name} must be an integer >= {lo}, got {x!r}")
        rng = np.random.default_rng(seed)
        p0 = _sigmoid(self.base_visible_bias_)
        v = (rng.random((n_chains, self.n_visible_)) < p0).astype(np.float32)
        out = np.empty((n_per_chain, n_chains, self.n_visible_), dtype=np.uint8)
        state = seed_words(rng)
        for r in range(n_per_chain):
            _gibbs_chain(v, self.weights_, self.visible_bias_, self.hidden_bias_, int(burn_in if r == 0 else thin), state)
            out[r] = v
        return out.reshape(-1, self.n_visible_)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write parameters, learned state and history to ``path`` (.npz via rsmi.io.save_npz).

        A ``seed`` that is a SeedSequence or Generator cannot be stored: the file keeps its
        repr and :meth:`load` restores ``seed=None``. Same arrays and params → same bytes.
        """
        self._check_fitted()
        params = self.get_params()
        seed = params["seed"]
        if not (seed is None or _is_int(seed)):
            params["seed"] = repr(seed)  # a Generator cannot be stored; keep a description
        meta = {
            "format": _FILE_FORMAT,
            "params": params,
            "n_visible": int(self.n_visible_),
            "n_hidden": int(self.weights_.shape[1]),
            "history_keys": sorted(self.history_),
        }
        arrays = {
            "weights": self.weights_,
            "visible_bias": self.visible_bias_,
            "hidden_bias": self.hidden_bias_,
            "base_visible_bias": self.base_visible_bias_,
        }
        for key, val in self.history_.items():
            arrays[f"history__{key}"] = np.asarray(val, dtype=np.float64)
        save_npz(path, meta=meta, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "RBM":
        """Read an RBM written by :meth:`save`; raise CorruptFileError on any inconsistency."""
        req = ["weights", "visible_bias", "hidden_bias", "base_visible_bias"]
        arrays, meta = load_npz(path, required=req)

        def bad(msg):
            return CorruptFileError(f"{path}: {msg}")

        if meta.get("format") != _FILE_FORMAT:
            raise bad(f"not an RBM file (format {meta.get('format')!r}, expected {_FILE_FORMAT!r})")
        try:
            nv, nh = int(meta["n_visible"]), int(meta["n_hidden"])
            params = dict(meta["params"])
            hist_keys = list(meta["history_keys"])
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(f"incomplete metadata ({exc!r})") from exc
        shapes = {"weights": (nv, nh), "visible_bias": (nv,), "hidden_bias": (nh,), "base_visible_bias": (nv,)}
        for key, shape in shapes.items():
            arr = arrays[key]
            if arr.shape != shape or arr.dtype != np.float64:
                raise bad(f"array {key!r} has shape {arr.shape} dtype {arr.dtype}, expected {shape} float64")
            if not np.all(np.isfinite(arr)):
                raise bad(f"array {key!r} contains non-finite values")
        history = {}
        for key in hist_keys:
            name = f"history__{key}"
            if name not in arrays:
                raise bad(f"missing history array {name!r}")
            history[key] = arrays[name]
        lengths = {len(v) for v in history.values()}
        if len(lengths) > 1 or any(v.ndim != 1 for v in history.values()):
            raise bad(f"history arrays have unequal lengths or are not 1-D ({sorted(lengths)})")
        if isinstance(params.get("seed"), str):
            params["seed"] = None
        try:
            rbm = cls(**params)
            rbm._validate_params()
        except (TypeError, ValueError) as exc:
            raise bad(f"invalid stored parameters ({exc})") from exc
        if rbm.n_hidden != nh:
            raise bad(f"parameter n_hidden={rbm.n_hidden} does not match weights with {nh} columns")
        rbm.weights_ = arrays["weights"]
        rbm.visible_bias_ = arrays["visible_bias"]
        rbm.hidden_bias_ = arrays["hidden_bias"]
        rbm.base_visible_bias_ = arrays["base_visible_bias"]
        rbm.n_visible_ = nv
        rbm.history_ = history
        return rbm
