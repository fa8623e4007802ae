r"""The variational (Barber–Agakov) bound on I(H:E) as a training objective for Λ (docs/method.md §4b).

Objective
---------
With s(v) = v·λ + b, p_j = σ(s_j), the stochastic code q_Λ(h|v) = Π_j p_j^{h_j}(1−p_j)^{1−h_j}
over the K = 2^{N_h} states h, and any conditional model ("critic") r_φ(h|e),

    I(H:E) ≥ B = H(H) + E_{(v,e)} Σ_h q_Λ(h|v) log r_φ(h|e),                          (1)

since −E Σ_h q log r ≥ H(H|E). On a sample (or minibatch) of n pairs, with Q_nh = q_Λ(h|v_n),
q̄_h = (1/n) Σ_n Q_nh the code's marginal, and H(H) = −Σ_h q̄_h log q̄_h:

    B = (1/n) Σ_n ψ_n,   ψ_n = Σ_h Q_nh [log r_nh − log q̄_h]                              (2)

(the mean of −Σ_h Q_nh log q̄_h over n is exactly H(q̄)). ψ_n is also the influence function of
B, so std(ψ)/√n is its delta-method standard error. Both parts use only data: no Θ-RBM and no
sampling of v, so no model of the noise can inflate the bound.

Critics (linear in e; ẽ = e − ē, ē the training mean)
------------------------------------------------------
* ``"softmax"``: u_h(e) = ẽ·Φ_h + c_h over the K joint states, log r_h = u_h − logsumexp(u).
  Exact for any dependence of h on a linear statistic family of e; K ≤ 2^8 states.
* ``"factorised"``: one logistic unit per hidden unit, u_j = ẽ·Φ_j + c_j, ρ_j = σ(u_j),
  r(h|e) = Π_j ρ_j^{h_j}(1−ρ_j)^{1−h_j}; then Σ_h Q log r = Σ_j [p_j u_j − softplus(u_j)].
* ``"auto"``: softmax for N_h ≤ 6, factorised above.

Entropy H(H)
------------
* ``"exact"``: H(q̄) of the joint marginal over the K states (N_h ≤ 14).
* ``"collision"``: the Rényi-2 lower bound H(q̄) ≥ H₂ = −log S, S = Σ_h q̄_h² =
  (1/n²) Σ_{m,n} Π_j k_j(m,n), k_j(m,n) = p_mj p_nj + (1−p_mj)(1−p_nj): computable for any N_h
  in O(n² N_h), and it keeps (1) a lower bound. (The sum of per-unit entropies Σ_j H_b(q̄_j),
  the other cheap choice, is an *upper* bound on H(H) and would reward units that copy each
  other, so it is not offered.) For reports on large samples S is evaluated on the first
  ``_COLLISION_EVAL_MAX`` samples.
* ``"auto"``: exact for N_h ≤ 12, collision above.

Closed-form gradients (no autodiff, no sampling)
-------------------------------------------------
Σ_h Q_nh = 1 for every n, so constants added to ∂B/∂Q_nh drop out; and
∂Q_nh/∂s_nj = Q_nh (h_j − p_nj). Writing G_nh = ∂B/∂Q_nh · n:

* exact entropy: ∂H/∂Q_nh = −(1/n)(log q̄_h + 1) → contributes −log q̄_h to G;
* softmax critic: G gets log r_nh, and with Σ_h Q_nh = 1, ∂B/∂u_nh = (Q_nh − r_nh)/n;
* hence, for the softmax critic with exact entropy,

      ∂B/∂s_nj = (1/n) Σ_h Q_nh (h_j − p_nj) G_nh = (1/n) Cov_{h∼Q_n}(h_j, log r_nh − log q̄_h),

  i.e. ∂B/∂s_nj = (1/n)[(Q∘G)_n·h_{:,j} − p_nj Σ_h (Q∘G)_nh];
* factorised critic: ∂B/∂p_nj = u_nj/n (so ∂/∂s_nj = p(1−p)u_nj/n) and ∂B/∂u_nj = (p_nj − ρ_nj)/n;
  with the entropy for N_h = 1 this is docs/method.md's ∂/∂q_n = u_n − logit(q̄), ∂/∂u_n = q_n − r_n;
* collision entropy: ∂H₂/∂p_aj = −(2/(n² S)) Σ_n Π_{i≠j} k_i(a,n) (2p_nj − 1);
* chain rule to the parameters: ∂B/∂λ = vᵀ ∂B/∂s, ∂B/∂b = Σ_n ∂B/∂s, ∂B/∂Φ = ẽᵀ ∂B/∂u,
  ∂B/∂c = Σ_n ∂B/∂u. The tests compare all of these with finite differences.

Training
--------
λ, b, Φ, c ascend B − (l2/2)‖λ‖² − (l2_critic/2)‖Φ‖² jointly on shuffled minibatches (v is centred on its
training mean internally, which only reparametrises b), with Adam (default) or SGD with
momentum and a cosine learning-rate decay to zero over the run (the last epochs then settle the
filter instead of letting minibatch noise random-walk the weights of uninformative sites).
λ starts at N(0, init_scale²) — λ = 0 is a saddle (all codes uniform, the critic has nothing to
fit) — and the critic at zero (r uniform). ``history`` is B over the full training set after
each epoch; ``val_history`` is B on the held-out set with the *jointly trained* critic (a valid
lower bound, since any critic gives one); :func:`score_filter` refits the critic for a fixed
filter instead, which is what the null tests use. The returned b is for the uncentred v, and the
critic is stored for the raw e: u = e·Φ + c.
"""

from __future__ import annotations

import functools
import logging
import math
import numbers
import time

import numpy as np
from numba import njit
from scipy.special import expit, log_expit

from rsmi.utils.numerics import log_softmax, softplus
from rsmi.coarse.results import FilterResult
from rsmi.utils.schedules import learning_rate_at
from rsmi.utils.validation import as_filter, as_samples, check_int, check_real, square_block

__all__ = [
    "CRITICS",
    "ENTROPIES",
    "OPTIMIZERS",
    "hidden_states",
    "variational_bound",
    "bound_and_gradients",
    "parameter_gradients",
    "train_variational",
    "score_filter",
]

logger = logging.getLogger("rsmi.coarse.variational")

CRITICS = ("auto", "softmax", "factorised")
ENTROPIES = ("auto", "exact", "collision")
OPTIMIZERS = ("adam", "momentum")
#: Learning-rate schedules (formulas: :mod:`rsmi.utils.schedules`).
LR_SCHEDULES = ("constant", "cosine")

_SOFTMAX_AUTO_MAX = 6  # N_h above which "auto" picks the factorised critic
_SOFTMAX_MAX = 8
_EXACT_AUTO_MAX = 12  # N_h above which "auto" picks the collision entropy
_EXACT_MAX = 14
_COLLISION_EVAL_MAX = 4096


def hidden_states(n_hidden: int) -> np.ndarray:
    """All 2^{N_h} states as rows of a (K, N_h) float64 array: state k has h_j = (k >> j) & 1."""
    k = np.arange(1 << n_hidden)
    return ((k[:, None] >> np.arange(n_hidden)[None, :]) & 1).astype(np.float64)


def _resolve(critic: str, entropy: str, n_hidden: int) -> tuple[str, str]:
    if critic not in CRITICS:
        raise ValueError(f"critic must be one of {CRITICS}, got {critic!r}")
    if entropy not in ENTROPIES:
        raise ValueError(f"entropy must be one of {ENTROPIES}, got {entropy!r}")
    if critic == "auto":
        critic = "softmax" if n_hidden <= _SOFTMAX_AUTO_MAX else "factorised"
    if entropy == "auto":
        entropy = "exact" if n_hidden <= _EXACT_AUTO_MAX else "collision"
    if critic == "softmax" and n_hidden > _SOFTMAX_MAX:
        raise ValueError(f"the softmax critic has 2^N_h outputs; use critic='factorised' for N_h={n_hidden} > {_SOFTMAX_MAX}")
    if entropy == "exact" and n_hidden > _EXACT_MAX:
        raise ValueError(f"the exact entropy enumerates 2^N_h states; use entropy='collision' for N_h={n_hidden} > {_EXACT_MAX}")
    return critic, entropy


def _critic_width(critic: str, n_hidden: int) -> int:
    return (1 << n_hidden) if critic == "softmax" else n_hidden


def _collision(p: np.ndarray, need_grad: bool):
    """S = (1/n²) Σ_{m,n} Π_j k_j(m,n), the per-sample influence and ∂H₂/∂p (n, N_h)."""
    n, nh = p.shape
    # k[j] = p_j p_jᵀ + (1−p_j)(1−p_j)ᵀ, an (n, n) matrix per hidden unit.
    ks = [np.outer(p[:, j], p[:, j]) + np.outer(1 - p[:, j], 1 - p[:, j]) for j in range(nh)]
    prod = np.ones((n, n))
    for k in ks:
        prod *= k
    S = prod.mean()
    row = prod.mean(axis=1)  # k̄_a = (1/n) Σ_n K_an
    H2 = -np.log(S)
    # Influence of sample a on H₂: −(2/S)(k̄_a − S).
    infl = -2.0 * (row - S) / S
    grad = None
    if need_grad:
        grad = np.empty((n, nh))
        # Π_{i≠j} k_i by prefix/suffix products (no division by a possibly vanishing k_j).
        pre = [np.ones((n, n))]
        for k in ks[:-1]:
            pre.append(pre[-1] * k)
        suf = np.ones((n, n))
        for j in range(nh - 1, -1, -1):
            others = pre[j] * suf
            grad[:, j] = -(2.0 / (n * n * S)) * (others @ (2 * p[:, j] - 1))
            suf = suf * ks[j]
    return H2, infl, grad


@njit(cache=True, error_model="numpy")
def _softmax_exact_kernel(s, u, states):  # pragma: no cover - numba
    """ψ (n,), ∂B/∂s (n, N_h) and ∂B/∂u (n, K) of eq. (2) for the softmax critic with the exact
    entropy, in one pass over the minibatch (the NumPy twin is :func:`_bound_numpy`):

        Q_nh = Π_j σ(s_nj)^{h_j} σ(−s_nj)^{1−h_j},   q̄_h = (1/n) Σ_n Q_nh,
        r_nh = e^{u_nh} / Σ_h' e^{u_nh'},   G_nh = log r_nh − log q̄_h  (0 where q̄_h = 0),
        ψ_n = Σ_h Q_nh G_nh,   ∂B/∂u_nh = (Q_nh − r_nh)/n,
        ∂B/∂s_nj = [Σ_h Q_nh G_nh h_j − σ(s_nj) ψ_n]/n.

    σ(x) and σ(−x) both come from one e^{−|x|} (no 1 − σ cancellation), and e^{u − max u} is
    taken once per state: N_h + K exponentials and one log per sample."""
    n, nh = s.shape
    K = states.shape[0]
    Q = np.empty((n, K))
    logr = np.empty((n, K))
    r = np.empty((n, K))
    p = np.empty((n, nh))
    pn = np.empty(nh)
    qbar = np.zeros(K)
    for a in range(n):
        for j in range(nh):
            x = s[a, j]
            e = math.exp(-abs(x))
            big = 1.0 / (1.0 + e)  # σ(|x|)
            small = e / (1.0 + e)  # σ(−|x|)
            p[a, j] = big if x >= 0.0 else small
            pn[j] = small if x >= 0.0 else big
        for h in range(K):
            q = 1.0
            for j in range(nh):
                q *= p[a, j] if states[h, j] != 0.0 else pn[j]
            Q[a, h] = q
            qbar[h] += q
        mx = u[a, 0]
        for h in range(1, K):
            mx = max(mx, u[a, h])
        tot = 0.0
        for h in range(K):
            r[a, h] = math.exp(u[a, h] - mx)
            tot += r[a, h]
        lse = mx + math.log(tot)
        for h in range(K):
            logr[a, h] = u[a, h] - lse
            r[a, h] /= tot
    nlq = np.empty(K)
    for h in range(K):
        qb = qbar[h] / n
        nlq[h] = -math.log(qb) if qb > 0.0 else 0.0
    psi = np.empty(n)
    dS = np.empty((n, nh))
    dU = np.empty((n, K))
    for a in range(n):
        row = 0.0
        for j in range(nh):
            dS[a, j] = 0.0
        for h in range(K):
            qg = Q[a, h] * (nlq[h] + logr[a, h])
            row += qg
            for j in range(nh):
                dS[a, j] += qg * states[h, j]
            dU[a, h] = (Q[a, h] - r[a, h]) / n
        psi[a] = row
        for j in range(nh):
            dS[a, j] = (dS[a, j] - p[a, j] * row) / n
    return psi, dS, dU


@functools.lru_cache(maxsize=None)
def _states_cached(n_hidden: int) -> np.ndarray:
    st = hidden_states(n_hidden)
    st.flags.writeable = False
    return st


def bound_and_gradients(s, u, *, critic: str, entropy: str, need_grad: bool = True):
    """B of eq. (2) on a sample, its per-sample terms ψ, and ∂B/∂s, ∂B/∂u.

    Parameters
    ----------
    s : (n, N_h) pre-activations v·λ + b; u : (n, K) softmax logits or (n, N_h) logistic
    logits of the critic; critic ∈ {"softmax", "factorised"}; entropy ∈ {"exact", "collision"}.

    Returns (B, ψ (n,), dB/ds (n, N_h) or None, dB/du or None). See the module docstring.
    The softmax critic with the exact entropy (the default for N_h ≤ 6) runs as one numba kernel
    (:func:`_softmax_exact_kernel`: ≈ 0.3 ms per minibatch of 256 at N_h 4, ≈ 4x less than the
    NumPy twin).
    """
    if critic == "softmax" and entropy == "exact":
        s = np.ascontiguousarray(s, dtype=np.float64)
        u = np.ascontiguousarray(u, dtype=np.float64)
        psi, dS, dU = _softmax_exact_kernel(s, u, _states_cached(s.shape[1]))
        return float(psi.mean()), psi, (dS if need_grad else None), (dU if need_grad else None)
    return _bound_numpy(s, u, critic=critic, entropy=entropy, need_grad=need_grad)


def _bound_numpy(s, u, *, critic: str, entropy: str, need_grad: bool = True):
    """:func:`bound_and_gradients` in NumPy, for every critic and entropy (the twin of the kernel)."""
    n, nh = s.shape
    p = expit(s)
    psi = np.zeros(n)
    dS = np.zeros((n, nh)) if need_grad else None
    need_q = entropy == "exact" or critic == "softmax"
    if need_q:
        states = hidden_states(nh)
        logQ = log_expit(s) @ states.T + log_expit(-s) @ (1.0 - states).T  # (n, K)
        Q = np.exp(logQ)
    G = None
    if entropy == "exact":
        qbar = Q.mean(axis=0)
        neg_log_qbar = -np.log(np.where(qbar > 0, qbar, 1.0))  # q̄_h = 0 ⇒ Q_nh = 0 for all n
        G = np.broadcast_to(neg_log_qbar, Q.shape).copy()
    if critic == "softmax":
        logr = log_softmax(u, axis=1)
        G = logr if G is None else G + logr
        dU = (Q - np.exp(logr)) / n if need_grad else None
    else:
        cross = p * u - softplus(u)  # p u − softplus(u), per unit
        psi += cross.sum(axis=1)
        dU = (p - expit(u)) / n if need_grad else None
        if need_grad:
            dS += p * (1 - p) * u / n
    if G is not None:
        QG = Q * G
        rowQG = QG.sum(axis=1)
        psi += rowQG
        if need_grad:
            dS += (QG @ states - p * rowQG[:, None]) / n
    if entropy == "collision":
        H2, infl, gp = _collision(p, need_grad)
        psi += H2 + infl
        if need_grad:
            dS += p * (1 - p) * gp
        # ψ's mean is cross + H₂ (the influence terms sum to zero).
    B = float(psi.mean())
    return B, psi, dS, dU


def parameter_gradients(Vc, Ec, lam, b, Phi, c, *, critic: str, entropy: str):
    """B of eq. (2) on (Vc, Ec) and its gradients with respect to (λ, b, Φ, c) (no penalty).

    u = Ec·Φ + c, s = Vc·λ + b; ∂B/∂λ = Vcᵀ ∂B/∂s, ∂B/∂b = Σ_n ∂B/∂s, ∂B/∂Φ = Ecᵀ ∂B/∂u,
    ∂B/∂c = Σ_n ∂B/∂u. Returns (B, [gλ, gb, gΦ, gc]).
    """
    B, _, dS, dU = bound_and_gradients(Vc @ lam + b, Ec @ Phi + c, critic=critic, entropy=entropy)
    return B, [Vc.T @ dS, dS.sum(axis=0), Ec.T @ dU, dU.sum(axis=0)]


def _eval_bound(Vc, Ec, lam, b, Phi, c, critic, entropy):
    """Full-sample B and its delta-method standard error."""
    if entropy == "collision" and Vc.shape[0] > _COLLISION_EVAL_MAX:
        Vc, Ec = Vc[:_COLLISION_EVAL_MAX], Ec[:_COLLISION_EVAL_MAX]
    B, psi, _, _ = bound_and_gradients(Vc @ lam + b, Ec @ Phi + c, critic=critic, entropy=entropy,
                                       need_grad=False)
    return B, float(psi.std(ddof=1) / np.sqrt(psi.size))


def variational_bound(weights, biases, critic_weights, critic_biases, V, E, *, entropy="auto"):
    """B of eq. (1)–(2) for a filter and a critic on raw (V, E): returns (bound, stderr) in nats.

    ``critic_weights`` (N_E, 2^{N_h}) selects the softmax critic, (N_E, N_h) the factorised one
    (2^{N_h} ≠ N_h, so the shape decides); u = e·Φ + c.
    """
    w, b = as_filter(weights, biases)
    V, E = as_samples(V, E, w.shape[0])
    nh = w.shape[1]
    Phi = np.asarray(critic_weights, dtype=np.float64)
    c = np.asarray(critic_biases, dtype=np.float64)
    if Phi.ndim != 2 or Phi.shape[0] != E.shape[1] or c.shape != (Phi.shape[1],):
        raise ValueError("critic_weights must be (N_E, K or N_h) and critic_biases match its width")
    if Phi.shape[1] == 1 << nh:
        critic = "softmax"
    elif Phi.shape[1] == nh:
        critic = "factorised"
    else:
        raise ValueError(f"critic width {Phi.shape[1]} matches neither 2^N_h = {1 << nh} nor N_h = {nh}")
    _, entropy = _resolve(critic, entropy, nh)
    return _eval_bound(V.astype(np.float64), E.astype(np.float64), w, b, Phi, c, critic, entropy)


# --------------------------------------------------------------------------------------------
# Training


class _Adam:
    """Adam ascent step (Kingma & Ba) with bias correction."""

    def __init__(self, shapes, beta1=0.9, beta2=0.999, eps=1e-8):
        self.m = [np.zeros(s) for s in shapes]
        self.v = [np.zeros(s) for s in shapes]
        self.b1, self.b2, self.eps, self.t = beta1, beta2, eps, 0

    def step(self, params, grads, lr):
        self.t += 1
        c1 = 1 - self.b1**self.t
        c2 = 1 - self.b2**self.t
        for p, g, m, v in zip(params, grads, self.m, self.v):
            if not p.flags.c_contiguous:  # reshape(-1) would copy, and the step would be lost
                raise ValueError("Adam updates its parameters in place: they must be C-contiguous arrays")
            _adam_kernel(p.reshape(-1), np.ascontiguousarray(g, dtype=np.float64).reshape(-1), m.reshape(-1),
                         v.reshape(-1), self.b1, self.b2, c1, c2, lr, self.eps)


@njit(cache=True, error_model="numpy")
def _adam_kernel(p, g, m, v, b1, b2, c1, c2, lr, eps):  # pragma: no cover - numba
    """One Adam ascent step in place on flat arrays (twin: :func:`_adam_reference`):
    m ← b1 m + (1 − b1) g,  v ← b2 v + (1 − b2) g²,  p ← p + lr (m/c1) / (√(v/c2) + eps)."""
    for i in range(p.shape[0]):
        gi = g[i]
        m[i] = b1 * m[i] + (1.0 - b1) * gi
        v[i] = b2 * v[i] + (1.0 - b2) * gi * gi
        p[i] += lr * (m[i] / c1) / (math.sqrt(v[i] / c2) + eps)


def _adam_reference(p, g, m, v, b1, b2, c1, c2, lr, eps):
    """NumPy twin of :func:`_adam_kernel` (returns new arrays)."""
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return p + lr * (m / c1) / (np.sqrt(v / c2) + eps), m, v


class _Momentum:
    """Heavy-ball SGD ascent: m ← μ m + g, θ ← θ + lr m."""

    def __init__(self, shapes, mu=0.9):
        self.m = [np.zeros(s) for s in shapes]
        self.mu = mu

    def step(self, params, grads, lr):
        for p, g, m in zip(params, grads, self.m):
            m *= self.mu
            m += g
            p += lr * m


def _prepare(V, E, n_v=None):
    V, E = as_samples(V, E, n_v)
    return V.astype(np.float64), E.astype(np.float64)


def _training_settings(n_hidden, critic, entropy, n_epochs, batch_size, learning_rate, optimizer, l2,
                       l2_critic, init_scale, lr_schedule) -> dict:
    """The scalar settings of :func:`train_variational`, checked and normalised ("auto" resolved)."""
    nh = check_int("n_hidden", n_hidden)
    critic_r, entropy_r = _resolve(critic, entropy, nh)
    n_epochs = check_int("n_epochs", n_epochs, 0)
    batch_size = check_int("batch_size", batch_size)
    lr0 = check_real("learning_rate", learning_rate)
    l2 = check_real("l2", l2, allow_zero=True)
    l2_critic = l2 if l2_critic is None else check_real("l2_critic", l2_critic, allow_zero=True)
    init_scale = check_real("init_scale", init_scale)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be 'cosine' or 'constant', got {lr_schedule!r}")
    return dict(n_hidden=nh, critic=critic_r, entropy=entropy_r, n_epochs=n_epochs, batch_size=batch_size,
                learning_rate=lr0, optimizer=optimizer, l2=l2, l2_critic=l2_critic, init_scale=init_scale,
                lr_schedule=lr_schedule)


def _training_data(V, E, block_shape, V_val, E_val, snapshot_epochs, n_epochs):
    """(V, E, (V_val, E_val) or None, block_shape, snapshot epochs) of :func:`train_variational`, checked."""
    V, E = _prepare(V, E)
    n, n_v = V.shape
    if n < 2:
        raise ValueError(f"need at least 2 training samples, got {n}")
    block_shape = square_block(n_v, block_shape)
    val = None
    if V_val is not None or E_val is not None:
        if V_val is None or E_val is None:
            raise ValueError("pass both V_val and E_val, or neither")
        val = _prepare(V_val, E_val, n_v)
        if val[1].shape[1] != E.shape[1]:
            raise ValueError(f"E_val has {val[1].shape[1]} sites, E has {E.shape[1]}")
    if snapshot_epochs is None:
        snapshot_epochs = sorted({0, n_epochs})
    snap = np.asarray(snapshot_epochs, dtype=np.int64).ravel()
    if snap.size and (snap.min() < 0 or snap.max() > n_epochs or np.any(np.diff(snap) <= 0)):
        raise ValueError(f"snapshot_epochs must be strictly increasing within [0, {n_epochs}], got {snapshot_epochs}")
    return V, E, val, block_shape, snap


class _Ascent:
    """The engine of :func:`train_variational`: (λ, b, Φ, c) on centred data ṽ = v − v̄, ẽ = e − ē,
    ascending B − (l2/2)‖λ‖² − (l2_critic/2)‖Φ‖² by minibatch steps, and the per-epoch records."""

    def __init__(self, V, E, val, st: dict, rng: np.random.Generator):
        self.st = st
        self.v_mean = V.mean(axis=0)
        self.e_mean = E.mean(axis=0)
        self.Vc = V - self.v_mean
        self.Ec = E - self.e_mean
        self.val = None if val is None else (val[0] - self.v_mean, val[1] - self.e_mean)
        nh, width = st["n_hidden"], _critic_width(st["critic"], st["n_hidden"])
        # λ ~ N(0, init_scale²) breaks the symmetry (λ = 0 is a saddle); the critic starts uniform
        self.params = [st["init_scale"] * rng.standard_normal((V.shape[1], nh)), np.zeros(nh),
                       np.zeros((E.shape[1], width)), np.zeros(width)]
        shapes = [p.shape for p in self.params]
        self.opt = _Adam(shapes) if st["optimizer"] == "adam" else _Momentum(shapes)
        self.hist, self.hist_err, self.val_hist = (np.full(st["n_epochs"] + 1, np.nan) for _ in range(3))
        self.n_batches = -(-V.shape[0] // st["batch_size"])
        self.step = 0

    def record(self, epoch: int) -> None:
        """B and its SE on the training set (and B on the held-out set) at ``epoch``."""
        lam, b, Phi, c = self.params
        cr, en = self.st["critic"], self.st["entropy"]
        self.hist[epoch], self.hist_err[epoch] = _eval_bound(self.Vc, self.Ec, lam, b, Phi, c, cr, en)
        if self.val is not None:
            self.val_hist[epoch] = _eval_bound(*self.val, lam, b, Phi, c, cr, en)[0]

    def epoch(self, perm: np.ndarray) -> None:
        """One pass over the minibatches of ``perm``; lr = lr0·(1 + cos(π·step/total))/2 ("cosine")."""
        st, (lam, b, Phi, c) = self.st, self.params
        bs, total_steps = st["batch_size"], st["n_epochs"] * self.n_batches
        for k in range(self.n_batches):
            idx = perm[k * bs:(k + 1) * bs]
            _, (g_lam, g_b, g_Phi, g_c) = parameter_gradients(self.Vc[idx], self.Ec[idx], lam, b, Phi, c,
                                                              critic=st["critic"], entropy=st["entropy"])
            g_lam -= st["l2"] * lam
            g_Phi -= st["l2_critic"] * Phi
            lr = learning_rate_at(st["lr_schedule"], st["learning_rate"], self.step, total_steps)
            self.opt.step(self.params, [g_lam, g_b, g_Phi, g_c], lr)
            self.step += 1

    def raw_filter_and_critic(self):
        """(λ, b, Φ, c) for the raw data: b − v̄·λ and c − ē·Φ."""
        lam, b, Phi, c = self.params
        return lam, b - self.v_mean @ lam, Phi, c - self.e_mean @ Phi


def train_variational(V, E, n_hidden: int, *, block_shape=None, n_epochs: int = 100,
                      batch_size: int = 256, learning_rate: float = 0.01, critic: str = "auto",
                      entropy: str = "auto", optimizer: str = "adam", l2: float = 1e-4,
                      l2_critic: float | None = None,
                      init_scale: float = 0.01, lr_schedule: str = "cosine", V_val=None, E_val=None,
                      snapshot_epochs=None, seed=None, logger_: logging.Logger | None = None,
                      log_every: int = 10, eval_every: int = 1) -> FilterResult:
    """Train Λ = (λ, b) and the critic φ jointly by gradient ascent on the bound B (eq. 1).

    Parameters
    ----------
    V : (n, L_V²) blocks (row-major); E : (n, N_E) environments.
    n_hidden : N_h. block_shape : (L_V, L_V); default the square root of V's width.
    n_epochs, batch_size, learning_rate : minibatch schedule (the last batch may be smaller).
    critic, entropy : see the module docstring ("auto" by N_h).
    optimizer : "adam" (default) or "momentum" (heavy-ball, μ = 0.9).
    l2, l2_critic : penalty (l2/2)‖λ‖² + (l2_critic/2)‖Φ‖² subtracted from B (l2 keeps |λ|
        finite — the optimum is a deterministic code, reached only as |λ| → ∞ — and pulls the
        weights of uninformative sites to 0; l2_critic limits the critic's overfitting of E).
        l2_critic defaults to l2.
    init_scale : std of the initial λ (symmetry breaking; λ = 0 is a saddle).
    lr_schedule : "cosine" (decay to 0 over the run) or "constant".
    V_val, E_val : held-out samples for ``val_history`` (NaN if not given).
    snapshot_epochs : epochs at which λ is recorded (default: 0 and n_epochs).
    seed : int, SeedSequence or Generator — the initial λ and the minibatch order.
    eval_every : B (and its SE, and the held-out B) is evaluated on the full sets at epoch 0,
        every ``eval_every``-th epoch and the last one; NaN in between. The evaluation draws no
        random numbers, so the weights do not depend on it.

    Returns
    -------
    FilterResult with history = B on the training set after each epoch (nats, index 0 =
    initial), history_err its delta-method standard error, val_history = held-out B with the
    jointly trained critic, and extra = {critic_weights (N_E, width), critic_biases (width,)}
    for u = e·Φ + c on raw e.
    """
    st = _training_settings(n_hidden, critic, entropy, n_epochs, batch_size, learning_rate, optimizer, l2,
                            l2_critic, init_scale, lr_schedule)
    V, E, val, block_shape, snap = _training_data(V, E, block_shape, V_val, E_val, snapshot_epochs, st["n_epochs"])
    eval_every = check_int("eval_every", eval_every)
    log = logger_ or logger
    rng = np.random.default_rng(seed)
    eng = _Ascent(V, E, val, st, rng)
    nh, n_epochs = st["n_hidden"], st["n_epochs"]
    snaps = []
    t0 = time.perf_counter()
    for epoch in range(n_epochs + 1):
        if epoch:
            eng.epoch(rng.permutation(V.shape[0]))
        if epoch % eval_every == 0 or epoch == n_epochs:
            eng.record(epoch)
        if epoch in snap:
            snaps.append(eng.params[0].reshape(block_shape + (nh,)).copy())
        if epoch and log_every and epoch % log_every == 0:
            log.info("epoch %d/%d: bound %.4f nats (val %.4f), %.1f s", epoch, n_epochs, eng.hist[epoch],
                     eng.val_hist[epoch], time.perf_counter() - t0)

    lam, b_raw, Phi, c_raw = eng.raw_filter_and_critic()
    meta = dict(estimator="variational", n_hidden=nh, L_V=block_shape[0], n_epochs=n_epochs,
                batch_size=st["batch_size"], learning_rate=st["learning_rate"], critic=st["critic"],
                entropy=st["entropy"], optimizer=optimizer, l2=st["l2"], l2_critic=st["l2_critic"],
                init_scale=st["init_scale"], lr_schedule=lr_schedule, n_train=V.shape[0],
                n_val=0 if val is None else int(val[0].shape[0]), val_critic="jointly trained")
    if isinstance(seed, numbers.Integral):
        meta["seed"] = int(seed)
    return FilterResult(
        weights=lam.reshape(block_shape + (nh,)).copy(), biases=b_raw, history=eng.hist,
        history_err=eng.hist_err, val_history=eng.val_hist, snapshot_epochs=snap,
        snapshots=np.asarray(snaps).reshape((snap.size,) + block_shape + (nh,)), meta=meta,
        extra={"critic_weights": Phi.copy(), "critic_biases": c_raw},
    )


# --------------------------------------------------------------------------------------------
# Scoring a fixed filter


def score_filter(weights, biases, V_train, E_train, V_test, E_test, *, seed=None, critic="auto",
                 entropy="auto", l2="auto", max_iter: int = 500) -> tuple[float, float]:
    """Held-out bound B (eq. 2) of a FIXED filter with a critic fitted on the training split.

    With Q fixed, maximising Σ_n Σ_h Q_nh log r_φ(h|e_n) over φ is a convex soft-label logistic
    regression (:func:`rsmi.coarse.mi.fit_multinomial_logistic` on standardised e; the factorised critic
    fits one binary regression per unit with soft labels p_j). ``l2="auto"`` chooses the L2
    strength from :data:`rsmi.coarse.mi.DEFAULT_L2_GRID` on an inner split of the training samples
    (drawn from ``seed``), as :func:`rsmi.coarse.mi.estimate_mi` does. B and its delta-method error are
    then evaluated on (V_test, E_test). Returns (bound, stderr) in nats.
    """
    from rsmi.coarse.mi import DEFAULT_L2_GRID, choose_l2, fit_multinomial_logistic, standardise

    w, b = as_filter(weights, biases)
    nh = w.shape[1]
    critic_r, entropy_r = _resolve(critic, entropy, nh)
    Vtr, Etr = _prepare(V_train, E_train, w.shape[0])
    Vte, Ete = _prepare(V_test, E_test, w.shape[0])
    if Etr.shape[1] != Ete.shape[1]:
        raise ValueError(f"E_train has {Etr.shape[1]} sites, E_test has {Ete.shape[1]}")
    auto = isinstance(l2, str)
    if auto and l2 != "auto":
        raise ValueError(f"l2 must be a non-negative number or 'auto', got {l2!r}")
    if not auto:
        l2 = check_real("l2", l2, allow_zero=True)
    rng = np.random.default_rng(seed)
    mu, sd = standardise(Etr)
    Xtr = (Etr - mu) / sd
    s_tr = Vtr @ w + b
    if critic_r == "softmax":
        states = hidden_states(nh)
        Q = np.exp(log_expit(s_tr) @ states.T + log_expit(-s_tr) @ (1.0 - states).T)
        if auto:
            l2 = choose_l2(Etr, Q, DEFAULT_L2_GRID, rng, max_iter)
        W, c = fit_multinomial_logistic(Xtr, Q, l2=l2, max_iter=max_iter)
    else:
        p = expit(s_tr)
        Ws, cs = [], []
        for j in range(nh):
            Yj = np.stack([1 - p[:, j], p[:, j]], axis=1)
            l2j = choose_l2(Etr, Yj, DEFAULT_L2_GRID, rng, max_iter) if auto else l2
            Wj, cj = fit_multinomial_logistic(Xtr, Yj, l2=l2j, max_iter=max_iter)
            Ws.append(Wj[:, 1] - Wj[:, 0])
            cs.append(cj[1] - cj[0])
        W, c = np.stack(Ws, axis=1), np.array(cs)
    # Back to raw e: u = ((e − μ)/sd)·W + c.
    Phi = W / sd[:, None]
    c_raw = c - mu @ Phi
    return _eval_bound(Vte, Ete, w, b, Phi, c_raw, critic_r, entropy_r)
