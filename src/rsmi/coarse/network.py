r"""The RSMI network: the Λ-RBM, the proxy A_Λ of I(H:E), its hand-derived gradient, the trainer.

Notation (docs/method.md §4)
-----------------------
Block v ∈ {0,1}^N (N = |V|), environment e, hidden h ∈ {0,1}^{N_h}; Λ = (λ ∈ R^{N×N_h}, b ∈ R^{N_h}).
The Θ-RBMs are Θ^V on v and Θ^VE on the concatenation [v, e], with free energies

    F(x) = −a·x − Σ_m softplus(c_m + (xW)_m).

* q_Λ(h|v) = Π_j σ(s_j)^{h_j} (1 − σ(s_j))^{1−h_j},  s_j(v) = Σ_i v_i λ_ij + b_j,
  so −log q_Λ(h|v) = Σ_j softplus(−t_j s_j) with t_j = 2h_j − 1.
* g(v, e) = F_V(v) − F_VE(v, e)  (= log P_Θ(e|v) + const).
* p_Λ(v|h) = P_Θ^V(v) q_Λ(h|v) / P_Λ(h) ∝ exp(−U_h(v)),  U_h(v) = F_V(v) − log q_Λ(h|v).
  It does not factorise over sites (the softplus normaliser inside q couples them), so the
  Monte Carlo path samples U_h directly.
* Jensen objective (the paper's eqs. 13–15):
      Φ(h, e) = E_{v∼p_Λ(·|h)} g(v, e),      A_Λ = E_{(v′,e)∼data} Σ_h q_Λ(h|v′) Φ(h, e).
* Log-mean-exp objective (eq. 12 without the Jensen step eq. 13):
      Φ_lme(h, e) = log E_{v∼p_Λ(·|h)} e^{g(v, e)},  A^lme_Λ = E_data Σ_h q_Λ(h|v′) Φ_lme(h, e) ≥ A_Λ.

Gradient, derived by hand
-------------------------
Let θ be any one of λ_ij, b_j and D_θ(v, h) = ∂_θ log q_Λ(h|v); then
D_{λ_ij}(v, h) = v_i (h_j − σ(s_j(v))) and D_{b_j}(v, h) = h_j − σ(s_j(v)).

(i) The data-side weight: ∂_θ q_Λ(h|v′) = q_Λ(h|v′) D_θ(v′, h).

(ii) The posterior: with p_Λ(v|h) = P(v) q(h|v) / Z_h and Z_h = Σ_v P(v) q(h|v),
    ∂_θ p_Λ(v|h) = p_Λ(v|h) [D_θ(v, h) − E_{p_Λ(·|h)} D_θ],
so for any Λ-independent f:  ∂_θ E_{p_Λ(·|h)} f = Cov_{p_Λ(·|h)}(f, D_θ).  Hence
    ∂_θ Φ(h, e) = Cov_{v∼p_Λ(·|h)}(g(v, e), D_θ(v, h)).

(iii) Log-mean-exp: Φ_lme(h, e) = log Σ_v P(v) q(h|v) e^{g(v,e)} − log Z_h, so
    ∂_θ Φ_lme(h, e) = E_{p̃}[D_θ] − E_{p}[D_θ] = Cov_{p}(e^{g}, D_θ) / E_{p}[e^{g}],
with the tilted distribution p̃(v|h, e) = p_Λ(v|h) e^{g(v,e) − Φ_lme(h,e)}.

Together (product rule on A_Λ = E_data Σ_h q Φ):
    ∇A_Λ   = E_data Σ_h q_Λ(h|v′) [ D(v′, h) Φ(h, e)     + Cov_{p_Λ(·|h)}(g(·, e), D(·, h)) ]
    ∇A^lme = E_data Σ_h q_Λ(h|v′) [ D(v′, h) Φ_lme(h, e) + E_{p̃(·|h,e)} D(·, h) − E_{p_Λ(·|h)} D(·, h) ].
Because Σ_h q_Λ(h|v′) D(v′, h) = ∂_θ Σ_h q = 0, any baseline β independent of h may be subtracted
from Φ in the first term; that is what makes sampling h ∼ q_Λ(h|v′) (large N_h) usable.

Estimation, organised so that each minibatch costs one pass over the "v side"
----------------------------------------------------------------------------
p_Λ(v|h) does not depend on the data, so one set of visible states per h serves a whole batch
of B windows.  Let G[v, b] = g(v, e_b) and Q[b, h] = q_Λ(h|v′_b) (or, sampling h, the indicator
h = h_b).  Jensen:  Φ[h, b] = Σ_v p(v|h) G[v, b];  the covariance term summed over the batch is
Σ_v p(v|h) R[v, h] D(v, h) with R[v, h] = (1/B) Σ_b Q[b, h] (G[v, b] − Φ[h, b]); and
Σ_h W[v, h] D_{λ_ij}(v, h) = v_i T[v, j] with T[v, j] = Σ_h W[v, h] (h_j − σ_j(v)) − … reduces
the gradient to one matrix product Vᵀ T.  G[v, b] = f(v) + α(b) + Σ_m softplus(X[v, m] + Y[b, m])
with the Λ-independent f = F_V(v) + a^VE_v·v, X = c^VE + v W^VE_v, α = a^VE_e·e, Y = e W^VE_e:
only the softplus sum is computed per (v, b) pair (numba kernel).

* Exact path (|V| ≤ 16): v runs over all 2^|V| states, p(v|h) from the enumerated U_h; chunks
  over v bound the memory (< ~100 MB).  In training, G for every (state, window) pair is
  Λ-independent and is computed once when it fits in ``_G_CACHE_BYTES``.
* Monte Carlo path (any |V|): for each h-state, K persistent chains of single-site heat-bath on
  U_h (O(M + N_h) per site, cached pre-activations; :mod:`rsmi.coarse.kernels`); every SGD step
  advances each chain ``mc_sweeps_between`` sweeps (re-equilibration after the parameter update
  and thinning) and takes its state as one of the K samples.  Φ is the sample mean, the
  covariance the unbiased sample covariance (1/(K−1)) Σ_k (G_k − Ḡ) D_k, so the Jensen A_Λ and
  gradient estimates are unbiased given equilibrated chains.  The log-mean-exp estimates use
  log (1/K) Σ_k e^{G_k} and self-normalised tilted weights: consistent, biased at O(1/K).

``path="auto"`` (one rule for :func:`train_rsmi` and :func:`evaluate_proxy`) picks the exact path
for |V| ≤ 16 when G for every (state, window) pair fits the cache or when 2^|V| ≤ (h-states per
step)·K, with 2^{N_h} h-states summing over h and 1 sampling it (then enumeration is no more work
than sampling); otherwise Monte Carlo.  The windows are the training windows (the evaluated ones
for evaluate_proxy) and K is ``n_mc``.  For the default grid this means exact for 2×2 blocks and
Monte Carlo for 4×4, 6×6 and 8×8 (the exact 4×4 path costs 2^16 × B × M softplus evaluations per
step: seconds per step; see benchmarks/bench_rsmi.py).
"""

from __future__ import annotations

import inspect
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from rsmi.coarse.exact import EXACT_MAX_VISIBLE, ExactEngine, exact_core, proxy_and_gradient_exact
from rsmi.coarse.montecarlo import PosteriorChains, hidden_weights, mc_core, mc_estimate
from rsmi.coarse.results import FilterResult
from rsmi.coarse.terms import CHUNK_BYTES, OBJECTIVES
from rsmi.registry import FIG5_SNAPSHOT_EPOCHS
from rsmi.theta.parts import ThetaParts, theta_parts
from rsmi.utils.schedules import learning_rate_at
from rsmi.utils.validation import check_choice, check_filter, check_int, check_windows, is_int, is_real, square_block

__all__ = ["evaluate_proxy", "train_rsmi", "proxy_and_gradient_exact", "EXACT_MAX_VISIBLE", "H_SUM_MAX"]

logger = logging.getLogger("rsmi.coarse.network")

#: ``h_sampling="auto"`` sums over all 2^{N_h} hidden states up to this N_h and samples beyond.
H_SUM_MAX = 6
# G[state, window] for the whole training set is cached (exact path) when it fits in this.
_G_CACHE_BYTES = 256 * 2**20
_PATHS = ("auto", "exact", "mc", "pooled")
_MONITORS = ("path", "pooled")
_H_MODES = ("auto", "sum", "sample")
_LR_SCHEDULES = ("constant", "inverse_time", "exponential")
# Jackknife blocks of the pooled path's A_Λ monitor (rsmi.coarse.pooled).
_POOL_BLOCKS = 16
# EMA rate of the scalar baseline used when h is sampled.
_BASELINE_RATE = 0.1


# ----------------------------------------------------------------------------------------------
# Path and h-mode: the one rule of train_rsmi and evaluate_proxy
# ----------------------------------------------------------------------------------------------
def _resolve_path(path, n_v, n_h, n_mc, n_windows, h_mode):
    """The path ``path`` names; "auto": exact when |V| ≤ 16 and either G[state, window] of all
    n_windows windows fits ``_G_CACHE_BYTES`` or 2^|V| ≤ (h-states per step)·n_mc, else "mc"."""
    if path == "pooled":
        return "pooled"
    if path == "exact":
        if n_v > EXACT_MAX_VISIBLE:
            raise ValueError(f"path='exact' enumerates 2^|V| states and is refused for |V| = {n_v} > {EXACT_MAX_VISIBLE}")
        return "exact"
    if path == "mc":
        return "mc"
    if n_v > EXACT_MAX_VISIBLE:
        return "mc"
    S = 2**n_v
    n_hstates = 2**n_h if h_mode == "sum" else 1
    if S * n_windows * 8 <= _G_CACHE_BYTES or S <= n_hstates * n_mc:
        return "exact"
    return "mc"


def _resolve_h_mode(h_sampling, n_h):
    check_choice("h_sampling", h_sampling, _H_MODES)
    if h_sampling == "auto":
        return "sum" if n_h <= H_SUM_MAX else "sample"
    return h_sampling


# ----------------------------------------------------------------------------------------------
# Evaluation of a fixed filter
# ----------------------------------------------------------------------------------------------
def _exact_a_b(ex: ExactEngine, lam, bias, Vs, Es, objective, *, hq=None, G=None, h_mode="sum", rng=None):
    """a_b = Σ_h Q[b,h] Φ[h,b] of every window (exact path), in blocks of windows that bound the
    per-block arrays.  ``hq`` = (hs, Q) of all windows, or None: each block's own h-states and
    weights from :func:`hidden_weights` (``h_mode``, ``rng``); ``G``: the windows' cached G columns."""
    step = max(1, CHUNK_BYTES // (8 * ex.S))
    parts = []
    for st in range(0, Vs.shape[0], step):
        sl = slice(st, st + step)
        hs, Q = (hq[0], hq[1][sl]) if hq is not None else hidden_weights(Vs[sl], lam, bias, h_mode, rng)[1:]
        src = ex.g_source(G=G[:, sl]) if G is not None else ex.g_source(Es[sl])
        parts.append(exact_core(ex, lam, bias, hs, Vs[sl], Q, src, objective, want_grad=False)[0])
    return np.concatenate(parts)


def _mean_se(a_b) -> tuple[float, float]:
    """(mean, standard error of the mean) of per-window values; the SE is NaN for one window."""
    se = float(a_b.std(ddof=1) / math.sqrt(a_b.size)) if a_b.size > 1 else float("nan")
    return float(a_b.mean()), se


def evaluate_proxy(
    weights,
    biases,
    V,
    E,
    theta_v,
    theta_ve,
    *,
    objective: str = "jensen",
    path: str = "auto",
    n_mc: int = 256,
    mc_chains: int = 32,
    mc_burn_in: int = 200,
    mc_sweeps_between: int = 2,
    h_sampling: str = "auto",
    seed=None,
) -> tuple[float, float]:
    """A_Λ (or A^lme_Λ) of a fixed filter Λ = (weights, biases) on windows (V, E).

        A_Λ = (1/n) Σ_b Σ_h q_Λ(h|v′_b) Φ(h, e_b),  Φ = E_{p_Λ(·|h)} g  (jensen)
                                                   or log E_{p_Λ(·|h)} e^{g}  (logmeanexp).

    Parameters
    ----------
    weights : (|V|, N_h) or (L_V, L_V, N_h); biases : (N_h,).
    V, E : binary (n, |V|) and (n, |E|) windows (as from :func:`rsmi.windows.regions.cut_regions`).
    theta_v, theta_ve : fitted Θ-RBMs (attributes ``weights_``, ``visible_bias_``, ``hidden_bias_``)
        on v and on [v, e].
    path : "exact" (|V| ≤ 16), "mc", "pooled" (:class:`rsmi.coarse.pooled.PooledProxy` with its defaults;
        value and SE are those of A_Λ − A_0) or "auto", the rule of :func:`train_rsmi` (module
        docstring) with the n windows and ``n_mc``: exact when |V| ≤ 16 and 2^|V|·n·8 bytes
        ≤ 256 MiB or 2^|V| ≤ (h-states)·n_mc, else "mc".
    n_mc : posterior samples per h-state (MC path), drawn as ``mc_chains`` chains, each burnt in
        ``mc_burn_in`` sweeps then sampled every ``mc_sweeps_between`` sweeps.
    h_sampling : "sum" over all 2^{N_h} states, "sample" h ∼ q_Λ(h|v′), "auto" (sum for N_h ≤ 6).
    seed : randomness of the MC path (and of h sampling).

    Returns
    -------
    (value, stderr): stderr² = Var_b(a_b)/n (finite data) + the Monte Carlo variance (MC path,
    from the spread over 8 groups of chains).  The additive constant of A_Λ is arbitrary: compare
    filters by differences on the same data and Θ-RBMs.
    """
    check_choice("objective", objective, OBJECTIVES)
    check_choice("path", path, _PATHS)
    Vf, Ef = check_windows(V, E)
    n_v = Vf.shape[1]
    th = theta_parts(theta_v, theta_ve, n_v, Ef.shape[1])
    lam, bias = check_filter(weights, biases, n_v)
    n_mc = check_int("n_mc", n_mc, 2)
    mc_chains = check_int("mc_chains", mc_chains, 2)
    mc_burn_in = check_int("mc_burn_in", mc_burn_in, 0)
    mc_sweeps_between = check_int("mc_sweeps_between", mc_sweeps_between, 1)
    h_mode = _resolve_h_mode(h_sampling, lam.shape[1])
    rng = np.random.default_rng(seed)
    chosen = _resolve_path(path, n_v, lam.shape[1], n_mc, Vf.shape[0], h_mode)
    if chosen == "pooled":
        if objective != "jensen" or h_mode != "sum":
            raise ValueError("path='pooled' estimates the Jensen proxy summing over h")
        from rsmi.coarse.pooled import PooledProxy

        return PooledProxy(theta_v, theta_ve, Vf, Ef, seed=rng).estimate(lam, bias)
    if chosen == "exact":
        return _mean_se(_exact_a_b(ExactEngine(th, n_v), lam, bias, Vf, Ef, objective, h_mode=h_mode, rng=rng))
    K = min(mc_chains, n_mc)
    rounds = max(1, -(-n_mc // K))
    chains = PosteriorChains(th, n_v, lam.shape[1], K, mc_burn_in, rng, Vf)
    ((value, se),) = mc_estimate(th, chains, lam, bias, [(Vf, Ef)], objective, h_mode, rng, rounds, mc_sweeps_between, 8)
    return value, se


# ----------------------------------------------------------------------------------------------
# Training: validated arguments, engine (gradient and monitor of the chosen path), epoch loop
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _TrainSpec:
    """The validated arguments of :func:`train_rsmi` and what they decide (path, h-mode, monitor).

    ``settings`` holds every keyword argument of :func:`train_rsmi` as given (its signature is the
    one home of each hyperparameter and its default; ``meta`` records them all from here)."""

    settings: dict
    Vf: np.ndarray
    Ef: np.ndarray
    val: tuple[np.ndarray, np.ndarray] | None  # (V_val, E_val)
    th: ThetaParts
    theta_v: Any
    theta_ve: Any
    n_hidden: int
    block_shape: Any
    n_epochs: int
    batch_size: int
    n_per_epoch: int
    learning_rate: float
    lr_schedule: str
    lr_decay: float
    momentum: float
    l2: float
    init_scale: float
    objective: str
    chosen: str
    h_mode: str
    n_mc: int
    mc_burn_in: int
    mc_sweeps_between: int
    pool_kw: dict
    pooled_monitor: bool
    eval_every: int
    n_eval: int
    eval_rounds: int
    snaps: list
    seed: Any


def _train_spec(V, E, theta_v, theta_ve, n_hidden, kw: dict) -> _TrainSpec:
    """Check the arguments of :func:`train_rsmi` (``kw``: its keyword arguments; the first bad
    one in this order is the one reported) and resolve the path, h-mode and monitor."""
    Vf, Ef = check_windows(V, E)
    n, n_v = Vf.shape
    n_e = Ef.shape[1]
    n_hidden = check_int("n_hidden", n_hidden)
    if n_hidden > n_v:
        raise ValueError(f"n_hidden = {n_hidden} exceeds |V| = {n_v}")
    block_shape = square_block(n_v, kw["block_shape"])
    th = theta_parts(theta_v, theta_ve, n_v, n_e)
    n_epochs = check_int("n_epochs", kw["n_epochs"], 0)
    batch_size = check_int("batch_size", kw["batch_size"])
    n_per_epoch = n if kw["windows_per_epoch"] is None else min(check_int("windows_per_epoch", kw["windows_per_epoch"]), n)
    for nm, lo in (("learning_rate", 0.0), ("init_scale", 0.0)):
        if not is_real(kw[nm]) or kw[nm] <= lo:
            raise ValueError(f"{nm} must be a finite number > {lo}, got {kw[nm]!r}")
    if not is_real(kw["l2"]) or kw["l2"] < 0:
        raise ValueError(f"l2 must be a finite number >= 0, got {kw['l2']!r}")
    if not is_real(kw["momentum"]) or not 0 <= kw["momentum"] < 1:
        raise ValueError(f"momentum must be in [0, 1), got {kw['momentum']!r}")
    lr_schedule, lr_decay = check_choice("lr_schedule", kw["lr_schedule"], _LR_SCHEDULES), kw["lr_decay"]
    if not is_real(lr_decay) or lr_decay < 0 or (lr_schedule == "exponential" and not 0 < lr_decay <= 1):
        raise ValueError(f"lr_decay must be >= 0 (in (0, 1] for 'exponential'), got {lr_decay!r}")
    objective = check_choice("objective", kw["objective"], OBJECTIVES)
    check_choice("path", kw["path"], _PATHS)
    n_mc = check_int("n_mc", kw["n_mc"], 2)
    mc_burn_in = check_int("mc_burn_in", kw["mc_burn_in"], 0)
    mc_sweeps_between = check_int("mc_sweeps_between", kw["mc_sweeps_between"], 1)
    eval_every = check_int("eval_every", kw["eval_every"])
    n_eval = check_int("n_eval", kw["n_eval"], 2)
    eval_rounds = check_int("eval_rounds", kw["eval_rounds"])
    snaps = sorted({check_int("snapshot_epochs entry", s, 0) for s in kw["snapshot_epochs"]})
    V_val, E_val = kw["V_val"], kw["E_val"]
    if (V_val is None) != (E_val is None):
        raise ValueError("pass both V_val and E_val, or neither")
    val = None
    if V_val is not None:
        Vv, Evl = val = check_windows(V_val, E_val, "V_val", "E_val")
        if Vv.shape[1] != n_v or Evl.shape[1] != n_e:
            raise ValueError(f"V_val/E_val must have {n_v}/{n_e} columns like V/E, got {Vv.shape[1]}/{Evl.shape[1]}")
    h_mode, chosen, pool_kw = _train_paths(kw["path"], kw["monitor"], kw["h_sampling"], objective, n_v, n_hidden,
                                           n_mc, n, {k: kw[k] for k in _POOL_KEYS})
    return _TrainSpec(
        settings=dict(kw), Vf=Vf, Ef=Ef, val=val, th=th, theta_v=theta_v, theta_ve=theta_ve, n_hidden=n_hidden,
        block_shape=block_shape, n_epochs=n_epochs, batch_size=batch_size, n_per_epoch=n_per_epoch,
        learning_rate=kw["learning_rate"], lr_schedule=lr_schedule, lr_decay=lr_decay, momentum=kw["momentum"],
        l2=kw["l2"], init_scale=kw["init_scale"], objective=objective, chosen=chosen, h_mode=h_mode, n_mc=n_mc,
        mc_burn_in=mc_burn_in, mc_sweeps_between=mc_sweeps_between, pool_kw=pool_kw,
        pooled_monitor=chosen == "pooled" or kw["monitor"] == "pooled", eval_every=eval_every,
        n_eval=n_eval, eval_rounds=eval_rounds, snaps=[s for s in snaps if s <= n_epochs], seed=kw["seed"])


#: The pooled path's settings, passed to :func:`_train_paths` together.
_POOL_KEYS = ("n_pool", "pairs", "pool_chains", "pool_burn_in", "pool_thin")


def _train_paths(path, monitor, h_sampling, objective, n_v, n_hidden, n_mc, n, pool) -> tuple[str, str, dict]:
    """(h-mode, path used, pool settings) of a training; refuses a pooled path or monitor that
    cannot estimate this objective or that the monitor's jackknife blocks do not divide."""
    check_choice("monitor", monitor, _MONITORS)
    h_mode = _resolve_h_mode(h_sampling, n_hidden)
    chosen = _resolve_path(path, n_v, n_hidden, n_mc, n, h_mode)
    pool_kw = dict(n_pool=check_int("n_pool", pool["n_pool"], 2), pairs=check_int("pairs", pool["pairs"], 2),
                   n_chains=check_int("pool_chains", pool["pool_chains"]),
                   burn_in=check_int("pool_burn_in", pool["pool_burn_in"], 0),
                   thin=check_int("pool_thin", pool["pool_thin"]))
    if chosen == "pooled" or monitor == "pooled":
        what = "path='pooled'" if chosen == "pooled" else "monitor='pooled'"
        if objective != "jensen" or h_mode != "sum":
            raise ValueError(f"{what} estimates the Jensen proxy summing over h: objective='jensen', "
                             f"h_sampling 'sum' or 'auto' with N_h <= {H_SUM_MAX}")
        if pool_kw["n_chains"] % _POOL_BLOCKS or pool_kw["n_pool"] % pool_kw["n_chains"]:
            raise ValueError(f"{what} needs pool_chains a multiple of {_POOL_BLOCKS} (the jackknife blocks of "
                             f"the monitor) and n_pool a multiple of pool_chains, got {pool['pool_chains']} "
                             f"and {pool['n_pool']}")
    return h_mode, chosen, pool_kw


class _ExactStep:
    """Gradient of one minibatch on the exact path; G[state, window] of the whole training set is
    computed once when it fits ``_G_CACHE_BYTES``."""

    def __init__(self, spec: _TrainSpec):
        self.objective = spec.objective
        self.ex = ExactEngine(spec.th, spec.Vf.shape[1])
        self.G = self.ex.full_g(spec.Ef) if self.ex.S * spec.Vf.shape[0] * 8 <= _G_CACHE_BYTES else None

    def __call__(self, idx, Vb, Eb, codes, hs, Q, lam, bias, beta, rng):
        src = self.ex.g_source(G=self.G[:, idx]) if self.G is not None else self.ex.g_source(Eb)
        return exact_core(self.ex, lam, bias, hs, Vb, Q, src, self.objective, beta)


class _MCStep:
    """Gradient of one minibatch on the Monte Carlo path: K persistent posterior chains per h-state."""

    def __init__(self, spec: _TrainSpec, rng):
        self.spec = spec
        n_v = spec.Vf.shape[1]
        self.chains = PosteriorChains(spec.th, n_v, spec.n_hidden, spec.n_mc, spec.mc_burn_in, rng, spec.Vf)

    def __call__(self, idx, Vb, Eb, codes, hs, Q, lam, bias, beta, rng):
        samples = self.chains.sample(lam, bias, list(codes), self.spec.mc_sweeps_between)
        return mc_core(self.spec.th, samples, lam, bias, hs, Vb, Eb, Q, self.spec.objective, beta)


class _PooledStep:
    """Gradient of one minibatch on the pooled path (:class:`rsmi.coarse.pooled.PooledGradient`)."""

    def __init__(self, spec: _TrainSpec, rng):
        from rsmi.coarse.pooled import PooledGradient

        n_v, n_e = spec.Vf.shape[1], spec.Ef.shape[1]
        self.grad = PooledGradient(spec.theta_v, spec.theta_ve, n_v, n_e, seed=rng, **spec.pool_kw)

    def __call__(self, idx, Vb, Eb, codes, hs, Q, lam, bias, beta, rng):
        return self.grad.step(Vb, Eb, lam, bias, rng)


def _pooled_monitor(theta_v, theta_ve, eval_sets, pool_kw, rng):
    """One :class:`rsmi.coarse.pooled.PooledProxy` per evaluation set (ΔA_Λ with a 16-block jackknife SE)."""
    from rsmi.coarse.pooled import PooledProxy

    return [PooledProxy(theta_v, theta_ve, Vs, Es, n_pool=pool_kw["n_pool"], pairs=pool_kw["pairs"],
                        n_blocks=_POOL_BLOCKS, chains_per_block=pool_kw["n_chains"] // _POOL_BLOCKS,
                        burn_in=pool_kw["burn_in"], thin=pool_kw["thin"], seed=rng) for Vs, Es in eval_sets]


class _PooledMonitor:
    """ΔA_Λ = A_Λ − A_0 (jackknife SE) on each evaluation set, one pool per set."""

    def __init__(self, proxies):
        self.proxies = proxies

    def __call__(self, lam, bias):
        return [pp.estimate(lam, bias) for pp in self.proxies]


class _ExactMonitor:
    """A_Λ (data SE) on each evaluation set by enumeration, with the cached G where there is one."""

    def __init__(self, spec: _TrainSpec, step: _ExactStep, eval_sets, eval_idx, eval_rng):
        self.spec, self.ex, self.eval_sets, self.rng = spec, step.ex, eval_sets, eval_rng
        self.G = [step.G[:, eval_idx] if step.G is not None else None] + [None] * (len(eval_sets) - 1)

    def __call__(self, lam, bias):
        res = []
        for (Vs, Es), Gs in zip(self.eval_sets, self.G):
            _, hs, Q = hidden_weights(Vs, lam, bias, self.spec.h_mode, self.rng)
            res.append(_mean_se(_exact_a_b(self.ex, lam, bias, Vs, Es, self.spec.objective, hq=(hs, Q), G=Gs)))
        return res


class _MCMonitor:
    """A_Λ (± SE) on each evaluation set from ``eval_rounds`` × K samples per h-state of K fresh
    chains that start from the same states with the same random numbers (seeded from ``eval_seed``)
    at every evaluation: the epoch-to-epoch change of the history reflects the change of Λ, not
    Monte Carlo noise."""

    def __init__(self, spec: _TrainSpec, eval_sets, eval_seed):
        self.spec, self.eval_sets, self.seed = spec, eval_sets, eval_seed

    def __call__(self, lam, bias):
        sp = self.spec
        crn = np.random.default_rng(self.seed)
        chains = PosteriorChains(sp.th, sp.Vf.shape[1], sp.n_hidden, sp.n_mc, sp.mc_burn_in, crn, sp.Vf)
        return mc_estimate(sp.th, chains, lam, bias, self.eval_sets, sp.objective, sp.h_mode, crn,
                            sp.eval_rounds, sp.mc_sweeps_between, 8)


class _Filter:
    """Λ = (λ, b) under SGD with momentum, and the running-mean baseline used when h is sampled."""

    def __init__(self, lam):
        self.lam, self.bias = lam, np.zeros(lam.shape[1])
        self.vel_lam, self.vel_b = np.zeros_like(lam), np.zeros(lam.shape[1])
        self.baseline = 0.0

    def step(self, spec: _TrainSpec, grad, idx, lr, rng):
        """One minibatch: velocity ← μ·velocity + η (∇A_Λ − l2·λ), Λ ← Λ + velocity (b not decayed)."""
        Vb, Eb = spec.Vf[idx], spec.Ef[idx]
        codes, hs, Q = hidden_weights(Vb, self.lam, self.bias, spec.h_mode, rng)
        beta = self.baseline if spec.h_mode == "sample" else 0.0
        a_b, g_lam, g_b = grad(idx, Vb, Eb, codes, hs, Q, self.lam, self.bias, beta, rng)
        if spec.h_mode == "sample":
            self.baseline += _BASELINE_RATE * (float(a_b.mean()) - self.baseline)
        g_lam = g_lam - spec.l2 * self.lam
        self.vel_lam = spec.momentum * self.vel_lam + lr * g_lam
        self.vel_b = spec.momentum * self.vel_b + lr * g_b
        self.lam = self.lam + self.vel_lam
        self.bias = self.bias + self.vel_b


def _train_setup(spec: _TrainSpec, rng):
    """(filter, gradient step, monitor, eval_idx): λ = init_scale·N(0, 1), the evaluation subsets,
    the chosen path's state and the monitor, drawing from ``rng`` in this order (the same seed
    gives the same bytes).  A pooled monitor on another path draws its pool from the monitor's
    own word, so the training stream (and Λ) is the same as with ``monitor="path"``."""
    n = spec.Vf.shape[0]
    filt = _Filter(spec.init_scale * rng.standard_normal((spec.Vf.shape[1], spec.n_hidden)))
    eval_idx = np.sort(rng.choice(n, size=min(spec.n_eval, n), replace=False))
    eval_sets = [(spec.Vf[eval_idx], spec.Ef[eval_idx])]
    if spec.val is not None:
        Vv, Evl = spec.val
        vidx = np.sort(rng.choice(Vv.shape[0], size=min(spec.n_eval, Vv.shape[0]), replace=False))
        eval_sets.append((Vv[vidx], Evl[vidx]))
    pools = None
    if spec.chosen == "exact":
        grad = _ExactStep(spec)
    elif spec.chosen == "pooled":
        grad = _PooledStep(spec, rng)
        # ΔA_Λ history on an independent pool (the training pool's own fluctuations could be fitted)
        pools = _pooled_monitor(spec.theta_v, spec.theta_ve, eval_sets, spec.pool_kw, rng)
    else:
        grad = _MCStep(spec, rng)
    eval_rng = np.random.default_rng(rng.integers(2**63))  # h sampling during monitoring
    eval_seed = int(rng.integers(2**63))  # the common random numbers of the MC monitor
    if spec.pooled_monitor and pools is None:
        pools = _pooled_monitor(spec.theta_v, spec.theta_ve, eval_sets, spec.pool_kw, np.random.default_rng(eval_seed))
    if pools is not None:
        monitor = _PooledMonitor(pools)
    elif spec.chosen == "exact":
        monitor = _ExactMonitor(spec, grad, eval_sets, eval_idx, eval_rng)
    else:
        monitor = _MCMonitor(spec, eval_sets, eval_seed)
    return filt, grad, monitor, eval_idx


class _History:
    """A_Λ (or ΔA_Λ) ± SE and the validation value per evaluated epoch, λ at the snapshot epochs."""

    def __init__(self, spec: _TrainSpec):
        self.spec = spec
        self.value = np.full(spec.n_epochs + 1, np.nan)
        self.err = np.full(spec.n_epochs + 1, np.nan)
        self.val = np.full(spec.n_epochs + 1, np.nan)
        self.snapshots = []

    def record(self, epoch, filt: _Filter, monitor, t_epoch):
        sp = self.spec
        L = sp.block_shape
        if epoch in sp.snaps:
            self.snapshots.append(filt.lam.reshape(L[0], L[1], sp.n_hidden).copy())
        if epoch % sp.eval_every == 0 or epoch == sp.n_epochs:
            res = monitor(filt.lam, filt.bias)
            self.value[epoch], self.err[epoch] = res[0]
            if len(res) > 1:
                self.val[epoch] = res[1][0]
            logger.info(
                "epoch %d/%d  A=%.5f ± %.5f%s  max|λ|=%.4f  %.2f s",
                epoch, sp.n_epochs, self.value[epoch], self.err[epoch],
                f"  A_val={self.val[epoch]:.5f}" if len(res) > 1 else "",
                float(np.abs(filt.lam).max()), t_epoch,
            )


def _train_loop(spec: _TrainSpec, filt: _Filter, grad, monitor, rng) -> _History:
    """The epochs: a fresh random order of ``n_per_epoch`` windows, minibatch steps, the history."""
    hist = _History(spec)
    hist.record(0, filt, monitor, 0.0)
    n = spec.Vf.shape[0]
    for epoch in range(1, spec.n_epochs + 1):
        t0 = time.perf_counter()
        lr = learning_rate_at(spec.lr_schedule, spec.learning_rate, epoch - 1, decay=spec.lr_decay)
        order = rng.permutation(n)[:spec.n_per_epoch]
        for st in range(0, spec.n_per_epoch, spec.batch_size):
            filt.step(spec, grad, np.sort(order[st:st + spec.batch_size]), lr, rng)
        if not (np.isfinite(filt.lam).all() and np.isfinite(filt.bias).all()):
            raise FloatingPointError(f"Λ became non-finite at epoch {epoch}; lower learning_rate")
        hist.record(epoch, filt, monitor, time.perf_counter() - t0)
    return hist


def _seed_meta(seed):
    if seed is None or is_int(seed):
        return seed
    if isinstance(seed, np.random.SeedSequence):
        return {"entropy": int(seed.entropy) if is_int(seed.entropy) else str(seed.entropy),
                "spawn_key": [int(k) for k in seed.spawn_key]}
    return repr(type(seed).__name__)


#: Keyword arguments of :func:`train_rsmi` that ``meta`` records in a form of its own (resolved,
#: renamed or summarised) or not at all (the arrays); every other one is recorded as given.
_META_OWN = frozenset({"block_shape", "V_val", "E_val", "seed", "snapshot_epochs", "windows_per_epoch", "n_eval",
                       *_POOL_KEYS})


def _meta_value(v, default):
    """A keyword argument as JSON: Python int/float/str/bool/None (NumPy scalars converted; a
    setting whose default is a float is recorded as a float, ``l2: 0`` as 0.0)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if is_int(v) and not isinstance(default, float):
        return int(v)
    if is_real(v):
        return float(v)
    raise TypeError(f"no JSON form for a train_rsmi setting of type {type(v).__name__}")


def _train_result(spec: _TrainSpec, filt: _Filter, hist: _History, n_eval: int) -> FilterResult:
    """The :class:`rsmi.coarse.results.FilterResult` of a training, ``meta`` holding every parameter."""
    sp, L = spec, spec.block_shape
    n, n_v = sp.Vf.shape
    defaults = inspect.signature(train_rsmi).parameters
    given = {k: _meta_value(v, defaults[k].default) for k, v in sp.settings.items() if k not in _META_OWN}
    meta: dict[str, Any] = {
        "estimator": f"rsmi-{sp.objective}",
        "n_hidden": sp.n_hidden, "L_V": int(L[0]), "n_visible": n_v, "n_environment": sp.Ef.shape[1],
        "n_windows": n, "n_val_windows": int(sp.val[0].shape[0]) if sp.val is not None else 0,
        "theta_v_hidden": int(sp.th.Wv.shape[1]), "theta_ve_hidden": int(sp.th.cve.shape[0]),
        **given,
        "windows_per_epoch": sp.n_per_epoch, "path_used": sp.chosen, "h_sampling_used": sp.h_mode,
        **({f"pool_{k}": v for k, v in sp.pool_kw.items()} if sp.pooled_monitor else {}),
        "snapshot_epochs_requested": [int(s) for s in sp.settings["snapshot_epochs"]],
        "n_eval": n_eval, "history_quantity": "A_Lambda - A_0" if sp.pooled_monitor else "A_Lambda",
        "seed": _seed_meta(sp.seed),
    }
    return FilterResult(
        weights=filt.lam.reshape(L[0], L[1], sp.n_hidden),
        biases=filt.bias,
        history=hist.value,
        history_err=hist.err,
        val_history=hist.val,
        snapshot_epochs=np.array(sp.snaps, dtype=np.int64),
        snapshots=np.array(hist.snapshots).reshape(len(sp.snaps), L[0], L[1], sp.n_hidden),
        meta=meta,
    )


def train_rsmi(
    V, E, theta_v, theta_ve, n_hidden: int, *, block_shape: tuple[int, int] | None = None, n_epochs: int = 100,
    batch_size: int = 100, windows_per_epoch: int | None = None, learning_rate: float = 0.05,
    lr_schedule: str = "constant", lr_decay: float = 0.0, momentum: float = 0.0, l2: float = 0.0,
    objective: str = "jensen", path: str = "auto", n_mc: int = 32, mc_burn_in: int = 100,
    mc_sweeps_between: int = 2, h_sampling: str = "auto", n_pool: int = 16384, pairs: int = 64,
    pool_chains: int = 1024, pool_burn_in: int = 200, pool_thin: int = 10, init_scale: float = 0.01,
    snapshot_epochs=FIG5_SNAPSHOT_EPOCHS, eval_every: int = 1, n_eval: int = 1000, eval_rounds: int = 4,
    monitor: str = "path", V_val=None, E_val=None, seed=None,
) -> FilterResult:
    """Maximise A_Λ (or A^lme_Λ) over Λ = (λ, b) by stochastic gradient ascent.

    Each epoch visits ``windows_per_epoch`` windows (default all) in a fresh random order in
    minibatches of ``batch_size``; per minibatch the exact or Monte Carlo estimate of ∇A_Λ
    (module docstring) gives the step

        velocity ← μ·velocity + η_t (∇A_Λ − l2·λ),   Λ ← Λ + velocity      (b is not decayed),

    with η_t = η (constant), η/(1 + decay·(t−1)) (inverse_time) or η·decay^{t−1} (exponential)
    for epoch t = 1 … n_epochs: ascent on A_Λ − (l2/2)‖λ‖², the penalty ``l2`` means in
    :func:`rsmi.coarse.variational.train_variational` too.  λ starts as init_scale·N(0, 1), b at 0.

    Monte Carlo path: ``n_mc`` = K persistent chains per h-state, each advanced
    ``mc_sweeps_between`` heat-bath sweeps per step and contributing one sample; a chain is burnt
    in ``mc_burn_in`` sweeps when first used.  ``h_sampling``: "sum" over all h-states, "sample"
    h ∼ q_Λ(h|v′) with a running-mean baseline, "auto" (sum for N_h ≤ 6).

    Pooled path (``path="pooled"``, :mod:`rsmi.coarse.pooled`): one pool of ``n_pool`` draws of Θ^V
    (``pool_chains`` block-Gibbs chains, ``pool_burn_in`` sweeps, then one draw every
    ``pool_thin`` sweeps) serves the whole training; every window of a minibatch is paired with
    ``pairs`` random pool states per step, and the step follows the exact derivative of that
    estimate of A_Λ − A_0.  The monitor uses an independent pool of the same size (16 jackknife
    blocks), so ``history`` is A_Λ − A_0 with its jackknife SE.

    Monitoring: A_Λ (± standard error) on a fixed random subset of ``n_eval`` training windows
    before training (history[0]) and every ``eval_every`` epochs and at the last; on the MC path
    from ``eval_rounds`` × K samples per h-state of K fresh chains (burn-in ``mc_burn_in``)
    that start from the same states with the same random numbers at every evaluation (common
    random numbers: differences between epochs carry little Monte Carlo noise; each value's
    standard error still includes it).  ``monitor="pooled"`` monitors any path with the pooled
    estimator instead (its pool drawn from the monitor's own random stream, so the trained
    weights are the same bytes as with ``monitor="path"``): ``history`` is then ΔA_Λ = A_Λ − A_0
    with its jackknife SE, at a fraction of the MC monitor's cost once the pool is drawn.  With
    ``V_val``/``E_val`` the same on (a subset of) held-out windows gives ``val_history``.
    λ is recorded at ``snapshot_epochs`` (those ≤ n_epochs).  One INFO line per evaluated
    epoch on logger ``rsmi.coarse.network``.

    Returns a :class:`rsmi.coarse.results.FilterResult` whose ``meta`` holds every parameter, the
    chosen path and h-mode, and the seed.
    """
    kw = {k: v for k, v in locals().items() if k not in ("V", "E", "theta_v", "theta_ve", "n_hidden")}
    spec = _train_spec(V, E, theta_v, theta_ve, n_hidden, kw)
    rng = np.random.default_rng(seed)
    filt, grad, mon, eval_idx = _train_setup(spec, rng)
    hist = _train_loop(spec, filt, grad, mon, rng)
    return _train_result(spec, filt, hist, int(eval_idx.size))
