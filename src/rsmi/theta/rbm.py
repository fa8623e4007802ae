"""Bernoulli–Bernoulli restricted Boltzmann machine trained by contrastive divergence.

The Θ-RBMs of docs/method.md §3: visible ``x ∈ {0,1}^{N_v}``, hidden ``u ∈ {0,1}^{N_h}``,

    E(x, u) = −a·x − c·u − xᵀ W u,        p(x, u) = exp(−E(x, u)) / Z,

and the visible free energy (hidden units summed out)

    F(x) = −a·x − Σ_m softplus(c_m + (xᵀW)_m),      p(x) = exp(−F(x)) / Z.

Training follows the gradient of the mean log-likelihood,

    ∂⟨log p(x)⟩_data/∂W = ⟨x σ(c + xW)ᵀ⟩_data − ⟨x σ(c + xW)ᵀ⟩_model,

whose model term is estimated by CD-k (k block-Gibbs steps started at the minibatch) or PCD-k
(persistent chains carried across updates). Quality is measured, not assumed:
:meth:`RBM.log_likelihood` is exact (enumerating the smaller layer) when that layer has at
most :data:`rsmi.theta.partition.MAX_EXACT_UNITS` units and an annealed-importance-sampling estimate
with an error bar otherwise (both in :mod:`rsmi.theta.partition`).

The estimator follows scikit-learn's ``BernoulliRBM``: the constructor only stores, parameters
are validated in :meth:`RBM._validate_params`, learned state has a trailing underscore, and all
randomness flows from the single ``seed``. The per-minibatch loop and the Gibbs and AIS chains
run in the numba kernels of :mod:`rsmi.theta.kernels`, behind plain-Python methods that validate
their input.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from rsmi.utils.xoshiro import seed_words
from rsmi.utils.io import CorruptFileError, load_npz, save_npz
from rsmi.theta.partition import MAX_EXACT_UNITS, free_energy, log_partition_ais, log_partition_exact
from rsmi.utils.numerics import softplus
from rsmi.theta.kernels import cd_epoch, gibbs_chain
from rsmi.utils.schedules import learning_rate_at
from rsmi.utils.validation import check_binary, check_int, check_int_strict, check_rbm_params, is_int, is_real

__all__ = ["RBM", "theta_settings"]

logger = logging.getLogger("rsmi.theta.rbm")

#: Data means are clipped to [ε, 1−ε] before taking logits (base-rate model, bias init).
_MEAN_CLIP = 1e-3

_FILE_FORMAT = "rsmi.RBM/1"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{−z})."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _logit_of_mean(X: np.ndarray) -> np.ndarray:
    """log(p / (1 − p)) of the column means of ``X``, p clipped to [ε, 1−ε]."""
    p = np.clip(X.mean(axis=0, dtype=np.float64), _MEAN_CLIP, 1.0 - _MEAN_CLIP)
    return np.log(p) - np.log1p(-p)


def _seed_to_int(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**32 - 1))


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
        Log one line per epoch at INFO level on logger ``rsmi.theta.rbm`` (DEBUG otherwise).

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

    #: Learning-rate schedules the RBM accepts (formulas: :mod:`rsmi.utils.schedules`).
    LR_SCHEDULES = ("constant", "linear")

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
        for name, minimum in (
            ("n_hidden", 1), ("k", 1), ("batch_size", 1), ("n_epochs", 0), ("monitor_ais_runs", 2),
            ("monitor_ais_betas", 4), ("monitor_every", 1), ("monitor_max_samples", 1), ("monitor_pl_samples", 1),
        ):
            check_int_strict(name, getattr(self, name), minimum)
        if self.n_chains is not None:
            check_int_strict("n_chains", self.n_chains, 1)
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
            if not is_real(val):
                raise ValueError(f"{name} must be a finite real number, got {val!r}")
            val = float(val)
            if (val <= lo if lo_open else val < lo) or (val >= hi if hi_open else val > hi):
                lb = "(" if lo_open else "["
                rb = ")" if hi_open else "]"
                raise ValueError(f"{name} must lie in {lb}{lo}, {hi}{rb}, got {val}")
        if self.lr_schedule not in self.LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be 'constant' or 'linear', got {self.lr_schedule!r}")
        if self.visible_bias_init not in ("data", "zero"):
            raise ValueError(f"visible_bias_init must be 'data' or 'zero', got {self.visible_bias_init!r}")
        seed = self.seed
        if not (
            seed is None
            or is_int(seed)
            or isinstance(seed, (np.random.SeedSequence, np.random.Generator))
        ):
            raise TypeError(f"seed must be None, an int, a SeedSequence or a Generator, got {type(seed).__name__}")
        if is_int(seed) and seed < 0:
            raise ValueError(f"seed must be non-negative, got {seed}")

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise RuntimeError("this RBM is not fitted yet: call fit(X) or RBM.load(path) first")

    # -- construction from given parameters -------------------------------------------------
    @classmethod
    def from_parameters(cls, weights, visible_bias, hidden_bias, *, base_visible_bias=None, **params) -> "RBM":
        """An RBM with the given W (n_visible, n_hidden), a and c (e.g. a known model, or another
        library's fit); ``base_visible_bias`` is the AIS base model (default: ``visible_bias``)."""
        W, a, c = check_rbm_params(weights, visible_bias, hidden_bias)
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
        schedule = "constant" if T == 0 else self.lr_schedule
        return learning_rate_at(schedule, float(self.learning_rate), t, T,
                                final_fraction=float(self.lr_final_fraction))

    def fit(self, X, X_val=None) -> "RBM":
        """Train on the rows of ``X`` ({0,1}); ``X_val`` (optional) gives the held-out curve.

        Returns self. ``history_`` gets one entry before training (epoch 0) and one per epoch.
        """
        self._validate_params()
        X = check_binary(X, "X")
        if X_val is not None:
            X_val = check_binary(X_val, "X_val", X.shape[1])
        rng = np.random.default_rng(self.seed)
        # Independent streams, so monitoring never changes the learned weights.
        init_rng, train_rng, mon_rng = rng.spawn(3)
        buffers = self._init_parameters(X, init_rng)
        monitor = self._monitor_sets(X, X_val, mon_rng)
        hist, elapsed = self._train(X, buffers, train_rng, monitor)
        self.history_ = {key: np.asarray(val, dtype=np.float64) for key, val in hist.items()}
        self.fit_seconds_ = elapsed
        return self

    def _init_parameters(self, X: np.ndarray, init_rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """Set W ~ N(0, init_scale²), a (training logits or 0), c = 0 and the AIS base model; return
        the buffers of :func:`rsmi.theta.kernels.cd_epoch`: the velocities (vW, va, vc) = 0 and the
        persistent chains (visible states: random training rows; their σ(c + xW) in float32)."""
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
        return np.zeros_like(self.weights_), np.zeros(nv), np.zeros(nh), chain_v, chain_h

    def _monitor_sets(self, X: np.ndarray, X_val, mon_rng: np.random.Generator) -> tuple:
        """(AIS seed, training rows for the pseudo-log-likelihood, held-out rows or None) of the
        per-epoch monitor: at most monitor_pl_samples / monitor_max_samples rows, drawn once."""
        mon_seed = _seed_to_int(mon_rng)
        n = len(X)
        n_mon = int(self.monitor_max_samples)
        n_pl = int(self.monitor_pl_samples)
        X_mon = X[mon_rng.choice(n, size=n_pl, replace=False)] if n > n_pl else X
        X_val_mon = None
        if X_val is not None:
            X_val_mon = X_val[mon_rng.choice(len(X_val), size=n_mon, replace=False)] if len(X_val) > n_mon else X_val
        return mon_seed, X_mon, X_val_mon

    def _train(self, X: np.ndarray, buffers: tuple, train_rng: np.random.Generator, monitor: tuple):
        """The epoch loop: a fresh minibatch order and one :func:`rsmi.theta.kernels.cd_epoch` per
        epoch, a history row before training and every monitor_every epochs (and after the last).
        Returns (history lists, training seconds without the monitor)."""
        n = len(X)
        n_batches = -(-n // int(self.batch_size))
        lrs = self._lr_per_update(n_batches)
        state = seed_words(train_rng)
        hist = {key: [] for key in self._HISTORY_KEYS}
        elapsed = 0.0
        self._record(hist, monitor, 0, lrs[0] if len(lrs) else float(self.learning_rate), elapsed)
        for epoch in range(1, int(self.n_epochs) + 1):
            t0 = time.perf_counter()
            order = train_rng.permutation(n)
            lr_e = np.ascontiguousarray(lrs[(epoch - 1) * n_batches : epoch * n_batches])
            cd_epoch(
                X, order, self.weights_, self.visible_bias_, self.hidden_bias_, *buffers, lr_e, int(self.k),
                bool(self.persistent), float(self.momentum), float(self.weight_decay), int(self.batch_size), state,
            )
            elapsed += time.perf_counter() - t0
            if not (np.all(np.isfinite(self.weights_)) and np.all(np.isfinite(self.visible_bias_))):
                raise FloatingPointError(
                    f"training diverged at epoch {epoch} (non-finite parameters); lower learning_rate"
                )
            if epoch % int(self.monitor_every) == 0 or epoch == int(self.n_epochs):
                self._record(hist, monitor, epoch, lr_e[-1], elapsed)
        return hist, elapsed

    def _record(self, hist: dict, monitor: tuple, epoch: int, lr: float, elapsed: float) -> None:
        """Append one history row (held-out log-likelihood ± error, NaN without held-out rows; mean
        training pseudo-log-likelihood; weight rms; learning rate) and log it."""
        mon_seed, X_mon, X_val_mon = monitor
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

    # -- model quantities ----------------------------------------------------------------------
    def free_energy(self, X) -> np.ndarray:
        """F(x) = −a·x − Σ_m softplus(c_m + (xᵀW)_m) per row of X (float64, nats)."""
        self._check_fitted()
        X = check_binary(X, "X", self.n_visible_)
        return free_energy(X, self.weights_, self.visible_bias_, self.hidden_bias_)

    def transform(self, X) -> np.ndarray:
        """Hidden probabilities p(u_m = 1 | x) = σ(c_m + (xᵀW)_m), shape (n, n_hidden)."""
        self._check_fitted()
        X = check_binary(X, "X", self.n_visible_)
        return _sigmoid(X @ self.weights_ + self.hidden_bias_)

    def pseudo_log_likelihood(self, X) -> np.ndarray:
        """Σ_i log p(x_i | x_{−i}) = −Σ_i softplus(F(x) − F(x with bit i flipped)) per row."""
        self._check_fitted()
        X = check_binary(X, "X", self.n_visible_)
        W, a, c = self.weights_, self.visible_bias_, self.hidden_bias_
        out = np.empty(len(X))
        step = max(1, (1 << 22) // (W.size + 1))
        for s in range(0, len(X), step):
            x = X[s : s + step]
            z = x @ W + c  # (n, nh)
            d = 1.0 - 2.0 * x  # change of x_i when flipped
            # F(x') − F(x) = −a_i d_i − Σ_m [softplus(z_m + d_i W_im) − softplus(z_m)]
            zf = z[:, None, :] + d[:, :, None] * W[None, :, :]
            dF = -a[None, :] * d - (softplus(zf) - softplus(z)[:, None, :]).sum(axis=2)
            out[s : s + step] = -softplus(-dF).sum(axis=1)
        return out

    def log_partition(self, *, method: str = "auto", n_ais_runs: int = 100, n_ais_betas: int = 10000, seed=None):
        """(log Z, standard error): exact (error 0) when the smaller layer has ≤ MAX_EXACT_UNITS
        units and ``method`` is "auto" or "exact"; AIS (see
        :func:`rsmi.theta.partition.log_partition_ais`) for ``method="ais"`` or larger models."""
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
        X = check_binary(X, "X", self.n_visible_)
        log_z, err_z = self.log_partition(method=method, n_ais_runs=n_ais_runs, n_ais_betas=n_ais_betas, seed=seed)
        lp = -free_energy(X, self.weights_, self.visible_bias_, self.hidden_bias_) - log_z
        sem = float(lp.std(ddof=1) / math.sqrt(len(lp))) if len(lp) > 1 else 0.0
        return float(lp.mean()), math.hypot(sem, err_z)

    def sample(self, n: int, gibbs_steps: int, *, seed=None) -> np.ndarray:
        """``n`` visible samples (uint8, (n, n_visible)) after ``gibbs_steps`` block-Gibbs sweeps
        started from the base-rate model (independent bits with the training means)."""
        self._check_fitted()
        if not is_int(n) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        if not is_int(gibbs_steps) or gibbs_steps < 0:
            raise ValueError(f"gibbs_steps must be a non-negative integer, got {gibbs_steps!r}")
        rng = np.random.default_rng(seed)
        p0 = _sigmoid(self.base_visible_bias_)
        v = (rng.random((n, self.n_visible_)) < p0).astype(np.float32)
        gibbs_chain(v, self.weights_, self.visible_bias_, self.hidden_bias_, int(gibbs_steps), seed_words(rng))
        return v.astype(np.uint8)

    def sample_chains(self, n_chains: int, burn_in: int, n_per_chain: int, thin: int, *, seed=None) -> np.ndarray:
        """Visible states of ``n_chains`` independent block-Gibbs chains (uint8, (n_chains·n_per_chain, n_visible)).

        Each chain starts from the base-rate model, runs ``burn_in`` sweeps, then records its
        state ``n_per_chain`` times, ``thin`` sweeps apart; row r·n_chains + c is chain c's r-th
        record.  Costs n_chains·(burn_in + (n_per_chain − 1)·thin) sweeps instead of
        n_chains·n_per_chain·burn_in for the same number of (less independent) draws."""
        self._check_fitted()
        for name, x, lo in (("n_chains", n_chains, 1), ("burn_in", burn_in, 0), ("n_per_chain", n_per_chain, 1), ("thin", thin, 1)):
            check_int(name, x, lo)
        rng = np.random.default_rng(seed)
        p0 = _sigmoid(self.base_visible_bias_)
        v = (rng.random((n_chains, self.n_visible_)) < p0).astype(np.float32)
        out = np.empty((n_per_chain, n_chains, self.n_visible_), dtype=np.uint8)
        state = seed_words(rng)
        for r in range(n_per_chain):
            gibbs_chain(v, self.weights_, self.visible_bias_, self.hidden_bias_, int(burn_in if r == 0 else thin), state)
            out[r] = v
        return out.reshape(-1, self.n_visible_)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write parameters, learned state and history to ``path`` (.npz via rsmi.utils.io.save_npz).

        A ``seed`` that is a SeedSequence or Generator cannot be stored: the file keeps its
        repr and :meth:`load` restores ``seed=None``. Same arrays and params → same bytes.
        """
        self._check_fitted()
        params = self.get_params()
        seed = params["seed"]
        if not (seed is None or is_int(seed)):
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


def theta_settings(spec: Mapping[str, Any], part: str) -> tuple[int, int, dict]:
    """(n_hidden, max_train_windows, the other RBM settings) of one Θ-RBM from ``theta_rbm.<model>``:
    ``part`` "ve" (Θ^VE on [v, e]) takes ``n_hidden_ve``, "v" (Θ^V on v) ``n_hidden_v``; the rest
    are keyword arguments of :class:`RBM`."""
    if part not in ("v", "ve"):
        raise ValueError(f"part must be 'v' or 've', got {part!r}")
    hp = dict(spec)
    max_train = hp.pop("max_train_windows")
    n_hidden_v, n_hidden_ve = hp.pop("n_hidden_v"), hp.pop("n_hidden_ve")
    return (n_hidden_ve if part == "ve" else n_hidden_v), max_train, hp
