"""An estimate of I(H:E) that does not use the Θ-RBMs (method.md §5), and baseline filters.

A coarse-graining is a filter Λ = (λ, b) with pre-activations s(v) = v·λ + b. Its *hard*
output h = 1[s(v) > 0] ∈ {0,1}^{N_h} is one of K = 2^{N_h} classes c(h) = Σ_j h_j 2^j.
For any conditional model r(h|e) the Barber–Agakov inequality gives

    I(H:E) = H(H) − H(H|E) ≥ H(H) − CE,   CE = E_{(h,e)} [−log r(h|e)],

because CE − H(H|E) = E_e KL(p(·|e) ‖ r(·|e)) ≥ 0. Here r is a multinomial logistic
regression on the environment e (own implementation: L2-regularised maximum likelihood by
L-BFGS, ``scipy.optimize``), fitted on one split of the samples; CE and H(H) are evaluated on
the other (held-out) split, so the classifier cannot reward correlations it memorised.

* H(H) is the plug-in entropy of the held-out class frequencies p̂. Its bias is
  E[Ĥ] − H ≈ −(K_obs − 1)/(2 n_test) (Miller–Madow), i.e. slightly conservative.
* The estimate is the mean of per-sample terms ψ_n = log r(h_n|e_n) − log p̂(h_n) (the mean
  of −log p̂(h_n) over the test split *is* Ĥ), and its standard error is the spread of ψ
  (std/√n, or cluster-robust over ``groups`` when the samples come in correlated groups, e.g.
  many windows of one configuration). It does not include the classifier's fitting noise.
* Bounds: I ≤ H(H) ≤ N_h log 2 (up to the plug-in's sampling noise) and, because h is a
  function of v, I(H:E) ≤ I(V:E) (data processing); the tests check both on synthetic data.

The regularisation strength is chosen on an inner split of the *training* samples (never the
test split) from a fixed grid, then the classifier is refitted on the whole training split. The
grid reaches strengths (1, 10) at which the classifier is practically the marginal p(h): when e
carries nothing about h, the held-out bound then loses little (without them the fitting cost,
about (K−1)(d+1)/(2 n_train) nats, pushes it visibly below 0 on small samples).
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

__all__ = [
    "DEFAULT_L2_GRID",
    "hard_codes",
    "fit_multinomial_logistic",
    "classifier_bound",
    "estimate_mi",
    "kadanoff_filter",
    "random_filters",
]

#: Candidate L2 strengths (on the mean cross-entropy, standardised features) for ``l2="auto"``.
DEFAULT_L2_GRID: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)


# --------------------------------------------------------------------------------------------
# Validation helpers


def _as_filter(weights, biases) -> tuple[np.ndarray, np.ndarray]:
    """Return (λ as (N_v, N_h) float64, b as (N_h,) float64); accepts (L_V, L_V, N_h) weights."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 3:
        w = w.reshape(-1, w.shape[2])
    if w.ndim != 2 or w.shape[1] < 1:
        raise ValueError(f"weights must have shape (L_V, L_V, N_h) or (N_v, N_h), got {np.shape(weights)}")
    b = np.asarray(biases, dtype=np.float64)
    if b.shape != (w.shape[1],):
        raise ValueError(f"biases must have shape ({w.shape[1]},), got {b.shape}")
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise ValueError("weights and biases must be finite")
    return w, b


def _as_samples(V, E, n_v: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    V = np.asarray(V)
    E = np.asarray(E)
    if V.ndim != 2:
        raise ValueError(f"V must be 2-D (n_samples, N_v), got shape {V.shape}")
    if E.ndim != 2:
        raise ValueError(f"E must be 2-D (n_samples, N_E), got shape {E.shape}")
    if V.shape[0] != E.shape[0]:
        raise ValueError(f"V and E must have the same number of samples, got {V.shape[0]} and {E.shape[0]}")
    if n_v is not None and V.shape[1] != n_v:
        raise ValueError(f"V has {V.shape[1]} sites per sample but the filter has {n_v}")
    if not (np.isfinite(V).all() and np.isfinite(E).all()):
        raise ValueError("V and E must be finite")
    return V, E


def _split(n: int, test_fraction: float, rng: np.random.Generator, groups=None):
    """Random train/test split of n samples; whole groups go to one side when groups are given."""
    if not isinstance(test_fraction, numbers.Real) or not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    if groups is None:
        perm = rng.permutation(n)
        n_test = int(round(test_fraction * n))
        if n_test < 1 or n_test > n - 1:
            raise ValueError(f"{n} samples cannot be split with test_fraction={test_fraction}")
        return np.sort(perm[n_test:]), np.sort(perm[:n_test])
    g = np.asarray(groups)
    if g.shape != (n,):
        raise ValueError(f"groups must have shape ({n},), got {g.shape}")
    uniq = np.unique(g)
    if uniq.size < 2:
        raise ValueError("groups must contain at least two distinct groups")
    perm = rng.permutation(uniq.size)
    n_test = min(max(int(round(test_fraction * uniq.size)), 1), uniq.size - 1)
    test_groups = uniq[perm[:n_test]]
    is_test = np.isin(g, test_groups)
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


# --------------------------------------------------------------------------------------------
# Hard codes and the classifier


def hard_codes(weights, biases, V) -> np.ndarray:
    """Class index c = Σ_j 1[s_j(v) > 0] 2^j of every sample, s = v·λ + b: int64 (n,)."""
    w, b = _as_filter(weights, biases)
    V = np.asarray(V)
    if V.ndim != 2 or V.shape[1] != w.shape[0]:
        raise ValueError(f"V must have shape (n, {w.shape[0]}), got {V.shape}")
    s = V.astype(np.float64) @ w + b
    return ((s > 0).astype(np.int64) << np.arange(w.shape[1], dtype=np.int64)).sum(axis=1)


def _standardiser(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)  # constant features carry nothing; keep them at 0
    return mu, sd


def fit_multinomial_logistic(X, Y, *, l2: float, max_iter: int = 500, tol: float = 1e-9):
    """L2-regularised multinomial logistic regression by L-BFGS.

    Maximises the mean log-likelihood minus the penalty, i.e. minimises

        f(W, c) = −(1/n) Σ_n Σ_k Y_nk log r_k(x_n) + (l2/2) ‖W‖²,   r(x) = softmax(x·W + c),

    with Y either integer labels (n,) in [0, K) (one-hot) or soft labels (n, K), rows summing
    to 1. The intercepts c are not penalised. Gradients: ∂f/∂W = Xᵀ(r − Y)/n + l2·W,
    ∂f/∂c = Σ_n (r − Y)/n. The problem is convex; the result is deterministic.

    Returns (W (d, K), c (K,)).
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D, got shape {X.shape}")
    Y = np.asarray(Y)
    n, d = X.shape
    if Y.ndim == 1:
        raise ValueError("integer labels need K: pass one-hot/soft labels of shape (n, K)")
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    if Y.ndim != 2 or Y.shape[0] != n:
        raise ValueError(f"Y must have shape ({n}, K), got {Y.shape}")
    if not np.isfinite(X).all() or not np.isfinite(Y).all():
        raise ValueError("X and Y must be finite")
    if not isinstance(l2, numbers.Real) or not l2 >= 0:
        raise ValueError(f"l2 must be a non-negative number, got {l2!r}")
    K = Y.shape[1]

    def fg(theta):
        W = theta[: d * K].reshape(d, K)
        c = theta[d * K:]
        u = X @ W + c
        logr = u - logsumexp(u, axis=1, keepdims=True)
        f = -np.sum(Y * logr) / n + 0.5 * l2 * np.sum(W * W)
        G = (np.exp(logr) - Y) / n
        gW = X.T @ G + l2 * W
        gc = G.sum(axis=0)
        return f, np.concatenate([gW.ravel(), gc])

    # Intercepts start at the log class frequencies (the optimum with W = 0), which keeps
    # unobserved classes' probabilities small from the first step.
    freq = Y.mean(axis=0)
    c0 = np.log(np.maximum(freq, 1.0 / (n + 1)))
    theta0 = np.concatenate([np.zeros(d * K), c0 - c0.mean()])
    res = minimize(fg, theta0, jac=True, method="L-BFGS-B",
                   options={"maxiter": int(max_iter), "ftol": tol, "gtol": 1e-7, "maxcor": 20})
    W = res.x[: d * K].reshape(d, K)
    c = res.x[d * K:]
    return W, c


def _one_hot(labels: np.ndarray, K: int) -> np.ndarray:
    Y = np.zeros((labels.size, K))
    Y[np.arange(labels.size), labels] = 1.0
    return Y


def _heldout_terms(Etr, Ytr, Ete, l2, max_iter):
    """Fit on (Etr, Ytr) with features standardised on the training split; return log r on Ete."""
    mu, sd = _standardiser(Etr)
    W, c = fit_multinomial_logistic((Etr - mu) / sd, Ytr, l2=l2, max_iter=max_iter)
    u = ((Ete - mu) / sd) @ W + c
    return u - logsumexp(u, axis=1, keepdims=True)


def _choose_l2(E, Y, grid, rng, max_iter):
    """Pick the L2 strength with the best inner-validation log-likelihood (training split only)."""
    n = E.shape[0]
    perm = rng.permutation(n)
    n_val = max(1, n // 5)
    iv, it = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    best, best_ll = None, -np.inf
    for l2 in grid:
        logr = _heldout_terms(E[it], Y[it], E[iv], l2, max_iter)
        ll = float(np.sum(Y[iv] * logr) / n_val)
        if ll > best_ll + 1e-12:
            best, best_ll = float(l2), ll
    return best


def _mean_and_stderr(psi: np.ndarray, groups=None) -> tuple[float, float]:
    n = psi.size
    m = float(psi.mean())
    if groups is None:
        return m, float(psi.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    # Cluster-robust: variance of the per-group sums of the centred terms.
    _, inv = np.unique(np.asarray(groups), return_inverse=True)
    sums = np.bincount(inv, weights=psi - m)
    G = sums.size
    if G < 2:
        return m, float("nan")
    return m, float(np.sqrt(np.sum(sums**2) * G / (G - 1)) / n)


def classifier_bound(weights, biases, V_train, E_train, V_test, E_test, *, seed=None, l2="auto",
                     groups_test=None, max_iter: int = 500) -> dict:
    """Î = Ĥ(H) − CE on a given split: classifier fitted on (V_train, E_train), scored on the test split.

    See :func:`estimate_mi`, which draws the split and calls this. ``seed`` drives only the
    inner split used by ``l2="auto"``; ``groups_test`` (one label per test sample) makes the
    standard error cluster-robust. Returns dict(mi, stderr, H, CE, n_train, n_test, l2, n_classes).
    """
    w, b = _as_filter(weights, biases)
    Vtr, Etr = _as_samples(V_train, E_train, w.shape[0])
    Vte, Ete = _as_samples(V_test, E_test, w.shape[0])
    if Etr.shape[1] != Ete.shape[1]:
        raise ValueError(f"E_train has {Etr.shape[1]} sites, E_test has {Ete.shape[1]}")
    if Vtr.shape[0] < 2 or Vte.shape[0] < 2:
        raise ValueError("need at least 2 training and 2 test samples")
    if w.shape[1] > 12:
        raise ValueError(f"N_h = {w.shape[1]} gives 2^N_h classes; the classifier supports N_h <= 12")
    K = 1 << w.shape[1]
    Etr = Etr.astype(np.float64)
    Ete = Ete.astype(np.float64)
    Ytr = _one_hot(hard_codes(w, b, Vtr), K)
    if isinstance(l2, str):
        if l2 != "auto":
            raise ValueError(f"l2 must be a non-negative number or 'auto', got {l2!r}")
        l2 = _choose_l2(Etr, Ytr, DEFAULT_L2_GRID, np.random.default_rng(seed), max_iter)
    elif not isinstance(l2, numbers.Real) or isinstance(l2, bool) or not l2 >= 0:
        raise ValueError(f"l2 must be a non-negative number or 'auto', got {l2!r}")
    logr = _heldout_terms(Etr, Ytr, Ete, float(l2), max_iter)
    cte = hard_codes(w, b, Vte)
    p_hat = np.bincount(cte, minlength=K) / cte.size
    log_p_hat = np.log(np.where(p_hat > 0, p_hat, 1.0))
    log_r_obs = logr[np.arange(cte.size), cte]
    psi = log_r_obs - log_p_hat[cte]
    H = float(-np.sum(p_hat[p_hat > 0] * log_p_hat[p_hat > 0]))
    CE = float(-log_r_obs.mean())
    mi, se = _mean_and_stderr(psi, groups_test)
    return dict(mi=mi, stderr=se, H=H, CE=CE, n_train=int(Vtr.shape[0]), n_test=int(cte.size),
                l2=float(l2), n_classes=K)


def estimate_mi(weights, biases, V, E, *, seed, test_fraction: float = 0.3, l2="auto",
                groups=None, max_iter: int = 500) -> dict:
    """Held-out classifier lower bound on I(H:E) of the hard code h = 1[v·λ + b > 0], in nats.

        Î = Ĥ(H) − CE,  Ĥ = −Σ_c p̂_c log p̂_c (test split),  CE = −mean_test log r(c_n | e_n),

    r a multinomial logistic regression on e over the K = 2^{N_h} classes, trained on the other
    split (see the module docstring for the bias and the error bar).

    Parameters
    ----------
    weights : (L_V, L_V, N_h) or (N_v, N_h); biases : (N_h,).
    V : (n, N_v) visible blocks; E : (n, N_E) environments (any real features; binary here).
    seed : int, SeedSequence or Generator — the split and the inner L2 choice.
    test_fraction : share of samples (or groups) held out.
    l2 : float, or "auto" to choose from :data:`DEFAULT_L2_GRID` on an inner training split.
    groups : optional (n,) labels (e.g. configuration index); splits and error bars respect them.

    Returns
    -------
    dict(mi, stderr, H, CE, n_train, n_test, l2, n_classes)
    """
    w, _ = _as_filter(weights, biases)
    V, E = _as_samples(V, E, w.shape[0])
    rng = np.random.default_rng(seed)
    itr, ite = _split(V.shape[0], test_fraction, rng, groups)
    gte = None if groups is None else np.asarray(groups)[ite]
    return classifier_bound(weights, biases, V[itr], E[itr], V[ite], E[ite], seed=rng, l2=l2,
                            groups_test=gte, max_iter=max_iter)


# --------------------------------------------------------------------------------------------
# Baseline filters


def kadanoff_filter(L_V: int) -> tuple[np.ndarray, np.ndarray]:
    """Kadanoff's majority rule on an L_V×L_V block of x = (s+1)/2 ∈ {0,1}.

    λ_i = 1 on every site, b = −L_V²/2, so s(v) = Σ_i x_i − L_V²/2 = (Σ_i s_i)/2 and
    h = 1[s(v) > 0] is the block's majority spin (a tie, possible for even L_V², gives h = 0).
    Returns (weights (L_V, L_V, 1), biases (1,)).
    """
    if not isinstance(L_V, numbers.Integral) or isinstance(L_V, bool) or L_V < 1:
        raise ValueError(f"L_V must be a positive integer, got {L_V!r}")
    return np.ones((L_V, L_V, 1)), np.array([-(L_V * L_V) / 2.0])


def random_filters(L_V: int, n_hidden: int, seed) -> tuple[np.ndarray, np.ndarray]:
    """Random filters: λ_ij ~ N(0, 1) i.i.d., b_j = −Σ_i λ_ij / 2.

    The bias puts the threshold at the half-filled block (s(½·1) = 0), so the code is not
    constant on {0,1} data with about half the sites set.
    Returns (weights (L_V, L_V, n_hidden), biases (n_hidden,)).
    """
    for name, val in (("L_V", L_V), ("n_hidden", n_hidden)):
        if not isinstance(val, numbers.Integral) or isinstance(val, bool) or val < 1:
            raise ValueError(f"{name} must be a positive integer, got {val!r}")
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((L_V, L_V, n_hidden))
    return w, -w.reshape(-1, n_hidden).sum(axis=0) / 2.0
