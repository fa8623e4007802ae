"""Free energy and partition function of a Bernoulli–Bernoulli RBM, on any parameters.

With weights W (N_v × N_h), visible bias a and hidden bias c (docs/method.md §3),

    E(x, u) = −a·x − c·u − xᵀ W u,        F(x) = −a·x − Σ_m softplus(c_m + (xᵀW)_m),

and Z = Σ_x exp(−F(x)). :func:`log_partition_exact` enumerates the smaller layer (at most
:data:`MAX_EXACT_UNITS` units); :func:`log_partition_ais` estimates log Z with an error bar by
annealed importance sampling (its chains run in :func:`rsmi.theta.kernels.ais_kernel`).
:class:`rsmi.theta.rbm.RBM` calls these on its learned parameters.
"""

from __future__ import annotations

import math

import numpy as np

from rsmi.utils.xoshiro import seed_words
from rsmi.utils.numerics import logsumexp, softplus
from rsmi.utils.validation import check_rbm_params

__all__ = ["MAX_EXACT_UNITS", "free_energy", "log_partition_exact", "ais_betas", "log_partition_ais"]

#: Largest layer that :func:`log_partition_exact` enumerates (2**20 states).
MAX_EXACT_UNITS = 20

#: States per chunk when enumerating a layer (bounds memory at chunk × other-layer floats).
_ENUM_CHUNK = 1 << 14


def _states(start: int, stop: int, n: int) -> np.ndarray:
    """All binary vectors with integer codes start..stop−1 as rows, bit j = unit j (float64)."""
    codes = np.arange(start, stop, dtype=np.int64)
    return ((codes[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1).astype(np.float64)


def free_energy(X: np.ndarray, weights: np.ndarray, visible_bias: np.ndarray, hidden_bias: np.ndarray) -> np.ndarray:
    """F(x) = −a·x − Σ_m softplus(c_m + (xᵀW)_m) for every row x of ``X`` (float64)."""
    X = np.asarray(X, dtype=np.float64)
    return -(X @ visible_bias) - softplus(X @ weights + hidden_bias).sum(axis=1)


def log_partition_exact(weights, visible_bias, hidden_bias, *, over: str = "smaller") -> float:
    """log Z by enumerating one layer, chunked, with log-sum-exp in float64.

    Over the hidden layer:   Z = Σ_u exp(c·u) Π_i (1 + exp(a_i + (W u)_i)).
    Over the visible layer:  Z = Σ_x exp(−F(x)) = Σ_x exp(a·x) Π_m (1 + exp(c_m + (xᵀW)_m)).

    ``over`` is "hidden", "visible" or "smaller" (the layer with fewer units); the enumerated
    layer must have at most :data:`MAX_EXACT_UNITS` units.
    """
    W, a, c = check_rbm_params(weights, visible_bias, hidden_bias)
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
            t = S @ c + softplus(S @ W.T + a).sum(axis=1)
        else:
            t = S @ a + softplus(S @ W + c).sum(axis=1)
        parts.append(logsumexp(t))
    return logsumexp(np.asarray(parts))


def ais_betas(n_betas: int) -> np.ndarray:
    """Inverse temperatures 0 = β_0 < … < β_{K−1} = 1 of the AIS path.

    Three linear pieces with a third of the points each on [0, 0.5], [0.5, 0.9] and [0.9, 1]
    (the spacing of Salakhutdinov & Murray 2008 in spirit: finer where the target's
    correlations switch on).  At least 4 points: the last piece needs two to reach β = 1.
    """
    if not isinstance(n_betas, (int, np.integer)) or n_betas < 4:
        raise ValueError(f"n_ais_betas must be an integer >= 4, got {n_betas!r}")
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
    W, a, c = check_rbm_params(weights, visible_bias, hidden_bias)
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
    from rsmi.theta.kernels import ais_kernel  # here, so that F(x) and exact log Z import no numba module

    logw = ais_kernel(W, a, c, a0, betas, int(n_runs), seed_words(rng))
    log_z0 = W.shape[1] * math.log(2.0) + float(softplus(a0).sum())
    m = float(np.max(logw))
    w = np.exp(logw - m)
    mean_w = float(w.mean())
    se = float(w.std(ddof=1) / (math.sqrt(n_runs) * mean_w))
    return log_z0 + m + math.log(mean_w), se
