"""An estimate of I(H:E) that does not use the Θ-RBMs (docs/method.md §5), and baseline filters.

A coarse-graining is a filter Λ = (λ, b) with pre-activations s(v) = v·λ + b. Its *hard*
output h = 1[s(v) > 0] ∈ {0,1}^{N_h} is one of K = 2^{N_h} classes c(h) = Σ_j h_j 2^j.
For any conditional model r(h|e) the Barber–Agakov inequality gives

    I(H:E) = H(H) − H(H|E) ≥ H(H) − CE,   CE = E_{(h,e)} [−log r(h|e)],

because CE − H(H|E) = E_e KL(p(·|e) ‖ r(·|e)) ≥ 0. r is fitted on one split of the samples;
CE and H(H) are evaluated on the other (held-out) split, so the classifier cannot reward
correlations it memorised. Two conditional models r are available (``model=``):

* ``"joint"``: a multinomial logistic regression on the environment e over all K classes (own
  implementation: L2-regularised maximum likelihood by L-BFGS, ``scipy.optimize``). Its
  unpenalised intercepts reproduce the training split's class frequencies, and it has
  (K − 1)·d environment weights for d features: with many classes (N_h = 8, K = 256) it is
  slow (minutes), and both parts cost held-out likelihood on a few thousand samples.
* ``"chain"``: the autoregressive (chain-rule) factorisation

      r(h|e) = Π_{j=0}^{N_h−1} r_j(h_j | h_<j, e),   log r(h|e) = Σ_j log r_j(h_j | h_<j, e),

  bit j being bit j of the class index. Each factor sums to 1 over h_j, so r is a normalised
  conditional distribution over the K codes and the inequality above holds for it unchanged:

      I(H:E) ≥ H(H) − E_{(h,e)}[−Σ_j log r_j(h_j | h_<j, e)].

  Factor j is a binary logistic regression (the K = 2 case of :func:`fit_multinomial_logistic`,
  fitted with one weight vector; factor 0 by that function itself) on [e, P_j], all features
  standardised on the training split, where P_j holds the 0/1 indicators of the configurations
  of the earlier bits h_<j seen in the training split (the bits and all their interactions;
  logits linear in the bits alone cannot represent the codes' marginal p(h) — on the N_h = 4
  CD-RBM that cost 0.1 nats). The e weights and the P_j weights have separate L2 strengths
  (below), since the marginal part needs little smoothing and e often needs much. That is
  N_h·d environment weights instead of (K − 1)·d. Factor 0 has no earlier bits: with N_h = 1
  the chain is the joint model (same fit, same numbers).
* ``"auto"`` (the default) is "chain" for every N_h ≥ 2 (issue 25) and the joint model for
  N_h = 1 (where the two are the same fit). Until issue 25 "auto" used the joint model up to
  N_h = 4: with one L2 strength shared by (K − 1)·d weights, its inner-split choice fell to the
  marginal end on the dimer N_h 4 code (l2 = 1: 0.017 ± 0.004 nats) while the code's own units
  scored 0.05–0.08 and the pair (1, 3) 0.12, i.e. the code below its parts by 6.4 SE (paired);
  the chain with its per-factor strengths gives 0.135 ± 0.017 on the same windows and split,
  not below any 1- or 2-unit part by more than 0.8 SE (docs/torus_estimators.md, "Multi-bit
  codes"). The returned dict does not name the model (its keys are the columns of the
  ``mi.csv`` tables): under "auto" it is "chain" exactly when ``n_classes > 2``.

* H(H) is the Miller–Madow entropy of the held-out class frequencies p̂,

      Ĥ = −Σ_c p̂_c log p̂_c + (K_obs − 1)/(2 n_test),

  K_obs the number of classes seen in the test split. The plug-in part alone is biased low by
  ≈ (K_obs − 1)/(2 n_test): negligible for few classes (N_h = 1: 0.0003 nats on 1500 windows),
  but with many observed classes it dominated the estimate (the N_h = 8 CD-RBM: 218 classes in
  1475 test windows, −0.074 nats, which made the bound negative by 7 SE) and no choice of r
  removes it. The correction removes that first-order bias; what remains is O(K/n²) and, with
  many classes seen once, a residual low bias (conservative).
* The estimate is the mean of per-sample terms ψ_n = log r(h_n|e_n) − log p̂(h_n) + (K_obs − 1)/(2 n_test)
  (the mean of −log p̂(h_n) over the test split *is* the plug-in entropy), and its standard error is the spread of ψ
  (std/√n, or cluster-robust over ``groups`` when the samples come in correlated groups, e.g.
  many windows of one configuration). It does not include the classifier's fitting noise.
* Bounds: I ≤ H(H) ≤ N_h log 2 (up to the plug-in's sampling noise) and, because h is a
  function of v, I(H:E) ≤ I(V:E) (data processing); the tests check both on synthetic data.

The regularisation strength is chosen on an inner split of the *training* samples (never the
test split) from a fixed grid, then the classifier is refitted on the whole training split.
When the samples come in groups (``groups``: many windows of one configuration), the inner
split keeps each group on one side, as the outer split does (issue 25: with windows of one
configuration on both sides the inner validation rewarded weak penalties that the held-out
configurations then punished; under the chain model the dimer jensen N_h 2 code, which carries
nothing, scored −0.0091 ± 0.0039, below its own unit by 2.7 SE; with grouped inner splits
−0.0004 ± 0.0014).
For "chain" this is done per factor, each on its own inner split drawn in turn from ``seed``:
factor 0 exactly as for the joint model; factor j ≥ 1 first picks the strength of the P_j
weights for the model without e, r_j(h_j | h_<j), then, with that fixed, the strength of the e
weights (two passes over the grid on one inner split). A number ``l2`` instead fixes every
strength of every factor. The grid reaches strengths (1, 10) at which the classifier is
practically the marginal p(h): when e carries nothing about h, the held-out bound then loses
little (without them the fitting cost, about (K−1)(d+1)/(2 n_train) nats, pushes it visibly
below 0 on small samples).
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from rsmi.utils.numerics import log_softmax, softplus
from rsmi.utils.validation import as_filter, as_samples

__all__ = [
    "DEFAULT_L2_GRID",
    "MAX_HIDDEN",
    "MODELS",
    "grouped_split",
    "standardise",
    "choose_l2",
    "hard_codes",
    "fit_multinomial_logistic",
    "classifier_bound",
    "estimate_mi",
    "estimate_mi_with_subcodes",
    "estimator_limited",
    "subcode_summary",
    "kadanoff_filter",
    "random_filters",
]

#: Candidate L2 strengths (on the mean cross-entropy, standardised features) for ``l2="auto"``.
DEFAULT_L2_GRID: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)


# --------------------------------------------------------------------------------------------
# The train/test split


def grouped_split(n: int, test_fraction: float, rng: np.random.Generator, groups=None):
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
    w, b = as_filter(weights, biases)
    V = np.asarray(V)
    if V.ndim != 2 or V.shape[1] != w.shape[0]:
        raise ValueError(f"V must have shape (n, {w.shape[0]}), got {V.shape}")
    s = V.astype(np.float64) @ w + b
    return ((s > 0).astype(np.int64) << np.arange(w.shape[1], dtype=np.int64)).sum(axis=1)


def standardise(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(μ, σ) of the columns of X, σ = 1 where a column is constant: features are (X − μ)/σ."""
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)  # constant features carry nothing; keep them at 0
    return mu, sd


def fit_multinomial_logistic(X, Y, *, l2: float, max_iter: int = 500, tol: float = 1e-9, init=None):
    """L2-regularised multinomial logistic regression by L-BFGS.

    Maximises the mean log-likelihood minus the penalty, i.e. minimises

        f(W, c) = −(1/n) Σ_n Σ_k Y_nk log r_k(x_n) + (l2/2) ‖W‖²,   r(x) = softmax(x·W + c),

    with Y either integer labels (n,) in [0, K) (one-hot) or soft labels (n, K), rows summing
    to 1. The intercepts c are not penalised. Gradients: ∂f/∂W = Xᵀ(r − Y)/n + l2·W,
    ∂f/∂c = Σ_n (r − Y)/n. The problem is convex; the result is deterministic.

    ``init``: optional starting point (W (d, K), c (K,)), e.g. the optimum at a nearby ``l2``
    (a warm start along a regularisation path); the optimum does not depend on it.

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
    # Samples along the last axis: (K, n) arrays reduce over K and broadcast over n in long
    # inner loops; the (n, K) layout with K = 2 made every elementwise step ~10x slower.
    XT = np.ascontiguousarray(X.T)
    YT = np.ascontiguousarray(Y.T)

    def fg(theta):
        W = theta[: d * K].reshape(d, K)
        c = theta[d * K:]
        uT = W.T @ XT + c[:, None]
        logrT = log_softmax(uT, axis=0)
        f = -np.sum(YT * logrT) / n + 0.5 * l2 * np.sum(W * W)
        GT = (np.exp(logrT) - YT) / n
        gW = XT @ GT.T + l2 * W
        gc = GT.sum(axis=1)
        return f, np.concatenate([gW.ravel(), gc])

    # Intercepts start at the log class frequencies (the optimum with W = 0), which keeps
    # unobserved classes' probabilities small from the first step.
    if init is None:
        freq = Y.mean(axis=0)
        c0 = np.log(np.maximum(freq, 1.0 / (n + 1)))
        theta0 = np.concatenate([np.zeros(d * K), c0 - c0.mean()])
    else:
        W0, c0 = (np.asarray(a, dtype=np.float64) for a in init)
        if W0.shape != (d, K) or c0.shape != (K,) or not (np.isfinite(W0).all() and np.isfinite(c0).all()):
            raise ValueError(f"init must be finite (W ({d}, {K}), c ({K},)), got shapes {W0.shape}, {c0.shape}")
        theta0 = np.concatenate([W0.ravel(), c0])
    res = minimize(fg, theta0, jac=True, method="L-BFGS-B",
                   options={"maxiter": int(max_iter), "ftol": tol, "gtol": 1e-7, "maxcor": 20})
    W = res.x[: d * K].reshape(d, K)
    c = res.x[d * K:]
    return W, c


def _fit_binary_logistic(X, y, *, l2, max_iter: int = 500, tol: float = 1e-9, init=None):
    """The K = 2 case of :func:`fit_multinomial_logistic` with one weight vector: (w (d,), c).

    Minimises (1/n) Σ_n log(1 + exp(−s_n z_n)) + (1/4) Σ_i l2_i w_i²,  z = x·w + c, s = 2y − 1,
    whose optimum is w = W_1 − W_0, c = c_1 − c_0 of the multinomial fit with the same ``l2``
    (scalar or (d,) per feature): at that optimum W_1 = −W_0, so (l2/2)(‖W_0‖² + ‖W_1‖²) is
    (l2/4)‖w‖². Same solver and tolerances, without the K-class softmax's overhead. ``init``:
    optional starting point (w (d,), c), e.g. the optimum at a nearby ``l2`` (a warm start along
    a regularisation path; the problem is convex, the optimum does not depend on it).
    """
    X = np.ascontiguousarray(X, dtype=np.float64)
    n, d = X.shape
    sgn = 2.0 * np.asarray(y, dtype=np.float64) - 1.0
    lam = np.broadcast_to(np.asarray(l2, dtype=np.float64), (d,))

    def fg(theta):
        w, c = theta[:d], theta[d]
        m = -sgn * (X @ w + c)
        f = np.mean(softplus(m)) + 0.25 * np.sum(lam * w * w)
        g = -sgn * expit(m) / n
        return f, np.concatenate([X.T @ g + 0.5 * lam * w, [g.sum()]])

    if init is None:
        p1 = min(max(float(np.mean(sgn > 0)), 1.0 / (n + 1)), n / (n + 1))
        theta0 = np.concatenate([np.zeros(d), [np.log(p1 / (1.0 - p1))]])
    else:
        theta0 = np.concatenate([np.asarray(init[0], dtype=np.float64).ravel(), [float(init[1])]])
        if theta0.shape != (d + 1,) or not np.isfinite(theta0).all():
            raise ValueError(f"init must be finite (w ({d},), c), got {theta0.shape[0] - 1} weights")
    res = minimize(fg, theta0, jac=True, method="L-BFGS-B",
                   options={"maxiter": int(max_iter), "ftol": tol, "gtol": 1e-7, "maxcor": 20})
    return res.x[:d], float(res.x[d])


def _heldout_binary(Xtr, ytr, Xte, yte, l2, max_iter):
    """Binary fit on (Xtr, ytr), features standardised on it; log r(yte | Xte) per test sample."""
    mu, sd = standardise(Xtr)
    w, c = _fit_binary_logistic((Xtr - mu) / sd, ytr, l2=l2, max_iter=max_iter)
    z = ((Xte - mu) / sd) @ w + c
    return -softplus(-(2.0 * yte - 1.0) * z)


def _one_hot(labels: np.ndarray, K: int) -> np.ndarray:
    Y = np.zeros((labels.size, K))
    Y[np.arange(labels.size), labels] = 1.0
    return Y


def _heldout_terms(Etr, Ytr, Ete, l2, max_iter):
    """Fit on (Etr, Ytr) with features standardised on the training split; return log r on Ete."""
    mu, sd = standardise(Etr)
    W, c = fit_multinomial_logistic((Etr - mu) / sd, Ytr, l2=l2, max_iter=max_iter)
    u = ((Ete - mu) / sd) @ W + c
    return log_softmax(u, axis=1)


def _inner_split(n, rng, groups=None):
    """(validation, fit) indices of an inner split of the training samples: 1/5 of the samples, or of
    the groups when ``groups`` (e.g. configurations) are given, so that correlated windows of one
    configuration never sit on both sides (as in the outer split)."""
    if groups is not None and np.unique(groups).size >= 2:
        fit, val = grouped_split(n, 0.2, rng, groups)
        return val, fit
    perm = rng.permutation(n)
    n_val = max(1, n // 5)
    return np.sort(perm[:n_val]), np.sort(perm[n_val:])


def choose_l2(E, Y, grid, rng, max_iter, groups=None):
    """The strength in ``grid`` maximising (1/n_val) Σ_{n∈val} Σ_k Y_nk log r_k(e_n), r fitted on the other
    4/5 of (E, Y) (an inner split drawn from ``rng``; callers pass the training split only)."""
    n = E.shape[0]
    iv, it = _inner_split(n, rng, groups)
    n_val = iv.size
    mu, sd = standardise(E[it])
    Xt, Xv, Yt, Yv = (E[it] - mu) / sd, (E[iv] - mu) / sd, Y[it], Y[iv]
    # Fitted from the strongest penalty down, each fit starting at the previous optimum (a warm
    # start along the regularisation path: about half the iterations of cold starts).
    ll, init = {}, None
    for l2 in sorted(set(grid), reverse=True):
        W, c = fit_multinomial_logistic(Xt, Yt, l2=l2, max_iter=max_iter, init=init)
        init = (W, c)
        ll[l2] = float(np.sum(Yv * log_softmax(Xv @ W + c, axis=1)) / n_val)
    best, best_ll = None, -np.inf
    for l2 in grid:  # in the caller's order: the first of (numerically) tied strengths wins
        if ll[l2] > best_ll + 1e-12:
            best, best_ll = float(l2), ll[l2]
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


#: Conditional models r(h|e) of :func:`classifier_bound`; "auto" picks by N_h.
MODELS: tuple[str, ...] = ("auto", "joint", "chain")
#: Largest N_h for which ``model="auto"`` uses the joint (multinomial) model (issue 25: the chain above).
AUTO_JOINT_MAX_HIDDEN = 1
#: Largest N_h the classifier bound scores (2^N_h classes for the plug-in entropy of H).
MAX_HIDDEN = 12


def _resolve_model(model, n_hidden: int) -> str:
    if not isinstance(model, str) or model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    if model == "auto":
        return "joint" if n_hidden <= AUTO_JOINT_MAX_HIDDEN else "chain"
    return model


def _check_l2(l2):
    if isinstance(l2, str):
        if l2 != "auto":
            raise ValueError(f"l2 must be a non-negative number or 'auto', got {l2!r}")
    elif not isinstance(l2, numbers.Real) or isinstance(l2, bool) or not l2 >= 0:
        raise ValueError(f"l2 must be a non-negative number or 'auto', got {l2!r}")


def _joint_log_r(Etr, ctr, Ete, cte, K, l2, rng, max_iter, groups=None):
    """log r(c_n|e_n) on the test split under the multinomial model; and its L2 strength."""
    Ytr = _one_hot(ctr, K)
    if isinstance(l2, str):
        l2 = choose_l2(Etr, Ytr, DEFAULT_L2_GRID, rng, max_iter, groups)
    logr = _heldout_terms(Etr, Ytr, Ete, float(l2), max_iter)
    return logr[np.arange(cte.size), cte], float(l2)


def _prefix_indicators(ctr, cte, j):
    """0/1 indicators of the configurations of bits 0..j−1 seen in training: (train, test) arrays."""
    ptr = ctr & ((1 << j) - 1)
    pte = cte & ((1 << j) - 1)
    seen = np.unique(ptr)
    return (ptr[:, None] == seen).astype(np.float64), (pte[:, None] == seen).astype(np.float64)


def _choose_chain_l2(E, P, y, grid, rng, max_iter, groups=None):
    """(strength of the e weights, of the P weights) for one chain factor, on one inner split.

    The P strength is the best for the model without e; the e strength is then the best with
    it fixed (inner-validation log-likelihood, training split only, as :func:`choose_l2`).
    """
    n, d_e = E.shape
    iv, it = _inner_split(n, rng, groups)

    def best(X, strengths):
        # fitted from the strongest penalty down, each fit starting at the previous optimum (a
        # warm start along the path, as in choose_l2); chosen in the caller's grid order
        mu, sd = standardise(X[it])
        Xt, Xv = (X[it] - mu) / sd, (X[iv] - mu) / sd
        sv = 2.0 * y[iv] - 1.0
        ll, init = {}, None
        for l2, lam in sorted(strengths, key=lambda t: -t[0]):
            w, c = _fit_binary_logistic(Xt, y[it], l2=lam, max_iter=max_iter, init=init)
            init = (w, c)
            ll[l2] = float(np.mean(-softplus(-sv * (Xv @ w + c))))
        b, b_ll = None, -np.inf
        for l2, _ in strengths:
            if ll[l2] > b_ll + 1e-12:
                b, b_ll = float(l2), ll[l2]
        return b

    l2_p = best(P, [(g, float(g)) for g in grid])
    X = np.concatenate([E, P], axis=1)
    l2_e = best(X, [(g, np.r_[np.full(d_e, g), np.full(P.shape[1], l2_p)]) for g in grid])
    return l2_e, l2_p


def _chain_log_r(Etr, ctr, Ete, cte, n_hidden, l2, rng, max_iter, groups=None):
    """log r(c_n|e_n) = Σ_j log r_j(h_nj | h_n,<j, e_n) on the test split; the e strengths.

    Factor j is a K = 2 logistic regression on [e, P_j] (module docstring), fitted on the
    training split only; the observed earlier bits of each sample enter on both splits.
    """
    d_e = Etr.shape[1]
    log_r = np.zeros(cte.size)
    strengths = []
    for j in range(n_hidden):
        ytr, yte = (ctr >> j) & 1, (cte >> j) & 1
        if j == 0:  # no earlier bits: the joint model of one bit, by the same code
            Ytr = _one_hot(ytr, 2)
            l2_e = choose_l2(Etr, Ytr, DEFAULT_L2_GRID, rng, max_iter, groups) if isinstance(l2, str) else float(l2)
            log_r += _heldout_terms(Etr, Ytr, Ete, l2_e, max_iter)[np.arange(cte.size), yte]
        else:
            Ptr, Pte = _prefix_indicators(ctr, cte, j)
            if isinstance(l2, str):
                l2_e, l2_p = _choose_chain_l2(Etr, Ptr, ytr, DEFAULT_L2_GRID, rng, max_iter, groups)
            else:
                l2_e = l2_p = float(l2)
            lam = np.r_[np.full(d_e, l2_e), np.full(Ptr.shape[1], l2_p)]
            log_r += _heldout_binary(np.concatenate([Etr, Ptr], axis=1), ytr,
                                     np.concatenate([Ete, Pte], axis=1), yte, lam, max_iter)
        strengths.append(l2_e)
    return log_r, strengths


def classifier_bound(weights, biases, V_train, E_train, V_test, E_test, *, seed=None, l2="auto",
                     groups_test=None, max_iter: int = 500, model: str = "auto", groups_train=None) -> dict:
    """Î = Ĥ(H) − CE on a given split (see :func:`_bound_terms`, which this returns without ψ)."""
    return _bound_terms(weights, biases, V_train, E_train, V_test, E_test, seed=seed, l2=l2,
                        groups_test=groups_test, max_iter=max_iter, model=model, groups_train=groups_train)[0]


def _bound_terms(weights, biases, V_train, E_train, V_test, E_test, *, seed=None, l2="auto",
                 groups_test=None, max_iter: int = 500, model: str = "auto",
                 groups_train=None) -> tuple[dict, np.ndarray]:
    """Î = Ĥ(H) − CE on a given split: classifier fitted on (V_train, E_train), scored on the test split.

    See :func:`estimate_mi`, which draws the split and calls this. ``seed`` drives only the
    inner split(s) used by ``l2="auto"``; ``groups_test`` (one label per test sample) makes the
    standard error cluster-robust; ``model`` is the conditional model r(h|e): "joint",
    "chain" or "auto" (module docstring). Returns dict(mi, stderr, H, CE, n_train, n_test, l2,
    n_classes); for "chain", ``l2`` is the strength of the e weights when all factors share it,
    else the geometric mean of the N_h factors' e strengths (those of the earlier-bit weights are
    not returned); and the per-test-sample terms ψ_n (n_test,) whose mean is Î.
    """
    w, b = as_filter(weights, biases)
    Vtr, Etr = as_samples(V_train, E_train, w.shape[0])
    Vte, Ete = as_samples(V_test, E_test, w.shape[0])
    if Etr.shape[1] != Ete.shape[1]:
        raise ValueError(f"E_train has {Etr.shape[1]} sites, E_test has {Ete.shape[1]}")
    if Vtr.shape[0] < 2 or Vte.shape[0] < 2:
        raise ValueError("need at least 2 training and 2 test samples")
    if w.shape[1] > MAX_HIDDEN:
        raise ValueError(f"N_h = {w.shape[1]} gives 2^N_h classes; the classifier supports N_h <= {MAX_HIDDEN}")
    _check_l2(l2)
    kind = _resolve_model(model, w.shape[1])
    K = 1 << w.shape[1]
    Etr = Etr.astype(np.float64)
    Ete = Ete.astype(np.float64)
    ctr = hard_codes(w, b, Vtr)
    cte = hard_codes(w, b, Vte)
    rng = np.random.default_rng(seed) if isinstance(l2, str) else None
    if kind == "joint":
        log_r_obs, l2 = _joint_log_r(Etr, ctr, Ete, cte, K, l2, rng, max_iter, groups_train)
    else:
        log_r_obs, strengths = _chain_log_r(Etr, ctr, Ete, cte, w.shape[1], l2, rng, max_iter, groups_train)
        l2 = strengths[0] if len(set(strengths)) == 1 else float(np.exp(np.mean(np.log(strengths))))
    p_hat = np.bincount(cte, minlength=K) / cte.size
    log_p_hat = np.log(np.where(p_hat > 0, p_hat, 1.0))
    miller_madow = (np.count_nonzero(p_hat) - 1) / (2 * cte.size)  # first-order bias of the plug-in
    psi = log_r_obs - log_p_hat[cte] + miller_madow
    H = float(-np.sum(p_hat[p_hat > 0] * log_p_hat[p_hat > 0]) + miller_madow)
    CE = float(-log_r_obs.mean())
    mi, se = _mean_and_stderr(psi, groups_test)
    return dict(mi=mi, stderr=se, H=H, CE=CE, n_train=int(Vtr.shape[0]), n_test=int(cte.size),
                l2=float(l2), n_classes=K), psi


def _split_for(weights, biases, V, E, seed, test_fraction, groups, model):
    """Validated (V, E), the generator of ``seed`` and the grouped train/test split drawn from it
    first: (V, E, rng, itr, ite, groups_train, groups_test)."""
    w, _ = as_filter(weights, biases)
    _resolve_model(model, w.shape[1])
    V, E = as_samples(V, E, w.shape[0])
    rng = np.random.default_rng(seed)
    itr, ite = grouped_split(V.shape[0], test_fraction, rng, groups)
    gtr = None if groups is None else np.asarray(groups)[itr]
    gte = None if groups is None else np.asarray(groups)[ite]
    return V, E, rng, itr, ite, gtr, gte


def estimate_mi(weights, biases, V, E, *, seed, test_fraction: float = 0.3, l2="auto",
                groups=None, max_iter: int = 500, model: str = "auto") -> dict:
    """Held-out classifier lower bound on I(H:E) of the hard code h = 1[v·λ + b > 0], in nats.

        Î = Ĥ(H) − CE,  Ĥ = −Σ_c p̂_c log p̂_c + (K_obs − 1)/(2 n_test) (test split, Miller–Madow),
        CE = −mean_test log r(c_n | e_n),

    r a conditional model of the K = 2^{N_h} classes given e, trained on the other split: a
    multinomial logistic regression ("joint") or the chain rule of binary logistic regressions
    r(h|e) = Π_j r_j(h_j | h_<j, e) ("chain"); see the module docstring for both, the bias and
    the error bar.

    Parameters
    ----------
    weights : (L_V, L_V, N_h) or (N_v, N_h); biases : (N_h,).
    V : (n, N_v) visible blocks; E : (n, N_E) environments (any real features; binary here).
    seed : int, SeedSequence or Generator — the split and the inner L2 choice.
    test_fraction : share of samples (or groups) held out.
    l2 : float, or "auto" to choose from :data:`DEFAULT_L2_GRID` on an inner training split.
    groups : optional (n,) labels (e.g. configuration index); splits and error bars respect them.
    model : "auto" (default: "chain" for N_h ≥ 2, "joint" for N_h = 1, the same fit there), "joint" or "chain".

    Returns
    -------
    dict(mi, stderr, H, CE, n_train, n_test, l2, n_classes) — the same keys for every model (they
    are the columns of the ``mi.csv`` tables); under "auto" the chain model was used exactly when
    ``n_classes > 2``. For "chain", ``l2`` summarises the per-factor strengths (see
    :func:`classifier_bound`).
    """
    V, E, rng, itr, ite, gtr, gte = _split_for(weights, biases, V, E, seed, test_fraction, groups, model)
    return classifier_bound(weights, biases, V[itr], E[itr], V[ite], E[ite], seed=rng, l2=l2,
                            groups_test=gte, max_iter=max_iter, model=model, groups_train=gtr)


# --------------------------------------------------------------------------------------------
# Data processing: a code against its parts


def estimate_mi_with_subcodes(weights, biases, V, E, *, seed, test_fraction: float = 0.3, l2="auto",
                              groups=None, max_iter: int = 500, model: str = "auto",
                              max_size: int = 2) -> tuple[dict, list[dict]]:
    """:func:`estimate_mi` of the code h and of each of its sub-codes h_S (|S| ≤ ``max_size``), one split.

    Data processing: h_S is a function of h, so I(H:E) ≥ I(H_S:E) for every S ⊂ {0 … N_h−1}, and
    an estimate Î(H) far below some Î(H_S) says the conditional model r(h|e) of the full code
    misses what the model of its part finds (docs/method.md §5, "Multi-bit codes"). Every sub-code
    is scored on the *same* train/test split as the full code (same windows, same test samples),
    so the difference has a paired standard error from the per-sample terms,

        Δ_S = Î(H) − Î(H_S) = mean_n (ψ_n − ψ_n^S),   SE(Δ_S) from ψ − ψ^S (cluster-robust over
        ``groups`` as the estimates'),

    and the check is Δ_S / SE(Δ_S) ≥ −2 for every S. The full code's dict is what
    :func:`estimate_mi` returns with the same arguments (same seed → same split, same inner L2
    split, same numbers); each sub-code's inner L2 split is drawn from its own child of the
    split's generator (spawned after the full code is scored). Sub-codes keep the unit order of
    h (bit k of h_S is unit S_k).

    Returns (full, subs): subs one dict per S with keys units (tuple), mi, stderr, diff, diff_se.
    """
    w, b = as_filter(weights, biases)
    V, E, rng, itr, ite, gtr, gte = _split_for(weights, biases, V, E, seed, test_fraction, groups, model)
    args = (V[itr], E[itr], V[ite], E[ite])
    kw = dict(l2=l2, groups_test=gte, max_iter=max_iter, groups_train=gtr)
    full, psi = _bound_terms(w, b, *args, seed=rng, model=model, **kw)
    from itertools import combinations

    subsets = [S for k in range(1, min(max_size, w.shape[1] - 1) + 1) for S in combinations(range(w.shape[1]), k)]
    subs = []
    for S, child in zip(subsets, rng.spawn(len(subsets))):
        idx = list(S)
        est, psi_s = _bound_terms(w[:, idx], b[idx], *args, seed=child, model=model, **kw)
        diff, diff_se = _mean_and_stderr(psi - psi_s, gte)
        subs.append(dict(units=tuple(int(u) for u in S), mi=est["mi"], stderr=est["stderr"], diff=diff,
                         diff_se=diff_se))
    return full, subs


def subcode_summary(full: dict, subs: list[dict]) -> dict:
    """The columns the ``mi.csv`` tables carry for the data-processing check (NaN without sub-codes):

    n_subcodes; sub_min_z = min_S Δ_S / SE(Δ_S) and the S that attains it (sub_worst, units joined
    by '+', its estimate sub_worst_mi ± sub_worst_se); the claim is sub_min_z ≥ −2."""
    if not subs:
        return dict(n_subcodes=0, sub_min_z=float("nan"), sub_worst="", sub_worst_mi=float("nan"),
                    sub_worst_se=float("nan"))
    z = [s["diff"] / s["diff_se"] if s["diff_se"] > 0 else (np.inf if s["diff"] >= 0 else -np.inf) for s in subs]
    k = int(np.argmin(z))
    return dict(n_subcodes=len(subs), sub_min_z=float(z[k]), sub_worst="+".join(map(str, subs[k]["units"])),
                sub_worst_mi=subs[k]["mi"], sub_worst_se=subs[k]["stderr"])


def estimator_limited(mi, stderr, l2) -> np.ndarray:
    """Which estimates are the estimator's limit rather than a measurement of I(H:E): boolean array.

    An estimate is *estimator-limited* when the L2 choice fell to the strong end of
    :data:`DEFAULT_L2_GRID` (l2 ≥ 1, where the classifier is practically the marginal p(h)) and
    the estimate does not resolve a positive value (Î < 2·SE). Such a point says "the raw-bit
    classifier found nothing on these windows", not "I(H:E) ≈ 0": Findings 6 shows the dimer
    L_B 6 code at ≈ 0.1 nats with more windows or field features. Figures draw these points apart
    from the physics curve (rsmi.plotting)."""
    mi, stderr, l2 = (np.asarray(x, dtype=np.float64) for x in (mi, stderr, l2))
    return (l2 >= 1.0) & (mi < 2.0 * stderr)


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
