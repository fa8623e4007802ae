"""Tests of the independent classifier estimate of I(H:E) (docs/method.md §5) and the baseline filters."""

import itertools

import numpy as np
import pytest

from rsmi.coarse.mi import (
    _fit_binary_logistic,
    _mean_and_stderr,
    classifier_bound,
    estimate_mi,
    fit_multinomial_logistic,
    grouped_split,
    hard_codes,
    kadanoff_filter,
    random_filters,
)


def _hb(p):
    return -(p * np.log(p) + (1 - p) * np.log(1 - p))


def _copies(seed, n, n_bits, flip, n_extra=5):
    """v: n_bits fair bits; e: noisy copies of them (flip prob `flip`) plus n_extra independent bits."""
    rng = np.random.default_rng(seed)
    V = rng.integers(0, 2, (n, n_bits)).astype(np.uint8)
    E = np.concatenate([V ^ (rng.random((n, n_bits)) < flip), rng.integers(0, 2, (n, n_extra))], axis=1)
    return V, E.astype(np.uint8)


def _reader(n_bits, bits):
    """Filter whose hidden unit j reads v_bits[j]: s_j = v_bits[j] − 1/2."""
    w = np.zeros((n_bits, len(bits)))
    for j, i in enumerate(bits):
        w[i, j] = 1.0
    return w, -0.5 * np.ones(len(bits))


def test_logistic_fit_is_stationary_and_matches_generating_model():
    rng = np.random.default_rng(0)
    n, d, K = 20000, 3, 3
    X = rng.normal(size=(n, d))
    W0 = rng.normal(size=(d, K))
    c0 = np.array([0.2, -0.1, 0.0])
    u = X @ W0 + c0
    P = np.exp(u - u.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)
    Y = np.eye(K)[y]
    W, c = fit_multinomial_logistic(X, Y, l2=0.0)
    # Softmax is invariant to a common shift of the columns: compare differences to class 0.
    np.testing.assert_allclose(W[:, 1:] - W[:, :1], W0[:, 1:] - W0[:, :1], atol=0.1)
    # Stationarity of the penalised objective.
    l2 = 0.01
    W, c = fit_multinomial_logistic(X, Y, l2=l2)
    uu = X @ W + c
    R = np.exp(uu - uu.max(axis=1, keepdims=True))
    R /= R.sum(axis=1, keepdims=True)
    gW = X.T @ (R - Y) / n + l2 * W
    assert np.abs(gW).max() < 1e-5
    assert np.abs((R - Y).mean(axis=0)).max() < 1e-5


def test_known_mutual_information_of_a_noisy_copy():
    flip = 0.1
    V, E = _copies(1, 20000, 2, flip)
    w, b = _reader(2, [0])
    r = estimate_mi(w, b, V, E, seed=0)
    I_true = np.log(2) - _hb(flip)
    bias = (r["n_classes"] - 1) / (2 * r["n_test"])  # plug-in entropy bias (Miller–Madow)
    assert abs(r["mi"] - I_true) <= 3 * r["stderr"] + bias
    assert r["n_train"] + r["n_test"] == 20000
    assert r["H"] == pytest.approx(np.log(2), abs=0.01)
    assert r["mi"] == pytest.approx(r["H"] - r["CE"], abs=1e-12)


def test_independent_V_E_give_zero():
    rng = np.random.default_rng(2)
    n = 6000
    V = rng.integers(0, 2, (n, 9)).astype(np.uint8)
    E = rng.integers(0, 2, (n, 40)).astype(np.uint8)
    w, b = random_filters(3, 2, seed=3)
    r = estimate_mi(w, b, V, E, seed=1)
    # Above: within the estimator's own error bar. Below: a held-out bound loses at most about
    # the fitted parameters' cost, (K − 1)(d + 1)/(2 n_train) nats, when the truth is 0.
    K, d = r["n_classes"], E.shape[1]
    assert r["mi"] <= 3 * r["stderr"]
    assert r["mi"] >= -(K - 1) * (d + 1) / (2 * r["n_train"]) - 3 * r["stderr"]


def test_bounded_by_n_hidden_log2_for_an_exact_copy():
    V, E = _copies(3, 8000, 3, 0.0)
    w, b = _reader(3, [0, 1])
    r = estimate_mi(w, b, V, E, seed=0)
    # the plug-in part is ≤ log 4; Miller–Madow adds (K_obs − 1)/(2 n_test) with K_obs = 4
    assert r["H"] <= 2 * np.log(2) + 3 / (2 * r["n_test"]) + 1e-12
    assert r["mi"] <= 2 * np.log(2)
    assert r["mi"] > 2 * np.log(2) - 0.02  # an exact copy is read back almost perfectly


def test_miller_madow_entropy_of_the_test_codes():
    """Ĥ is the plug-in entropy of the test split's codes plus (K_obs − 1)/(2 n_test), and the
    same shift is in the estimate (the mean of ψ)."""
    V, E = _copies(3, 3000, 3, 0.1)
    w, b = _reader(3, [0, 1, 2])
    r = estimate_mi(w, b, V, E, seed=2, l2=1.0)
    rng = np.random.default_rng(2)
    _, ite = grouped_split(V.shape[0], 0.3, rng)
    p = np.bincount(hard_codes(w, b, V[ite]), minlength=8) / ite.size
    p = p[p > 0]
    assert p.size == 8
    assert r["H"] == pytest.approx(-(p * np.log(p)).sum() + 7 / (2 * ite.size), abs=1e-12)
    assert r["mi"] == pytest.approx(r["H"] - r["CE"], abs=1e-12)


def test_many_classes_and_no_information_is_not_negative_beyond_its_error():
    """N_h 8 (256 classes) reading uniform bits, e independent: I = 0. The plug-in entropy alone
    is ≈ 0.07 nats low here (many classes seen once), which made such bounds negative by several
    SE (the CD-RBM at N_h 8); with Miller–Madow the estimate is within 2 SE of 0 or above."""
    rng = np.random.default_rng(5)
    V = rng.integers(0, 2, (6000, 10)).astype(np.uint8)
    E = rng.integers(0, 2, (6000, 6)).astype(np.uint8)
    w, b = _reader(10, list(range(8)))
    r = estimate_mi(w, b, V, E, seed=3)
    assert r["n_classes"] == 256
    assert r["mi"] >= -2 * r["stderr"]
    assert r["mi"] <= 3 * r["stderr"]


def test_bounded_by_I_VE():
    flip = 0.2
    V, E = _copies(4, 20000, 2, flip)
    I_VE = 2 * (np.log(2) - _hb(flip))  # independent noisy copies of two fair bits
    for bits in ([0, 1], [0]):
        w, b = _reader(2, bits)
        r = estimate_mi(w, b, V, E, seed=1)
        assert r["mi"] <= I_VE + 3 * r["stderr"]
        # Each filter keeps what its bits carry, I_VE·len(bits)/2 (the classifier is well specified
        # for one bit; for two it is a linear softmax, also exact for independent copies).
        bias = (r["n_classes"] - 1) / (2 * r["n_test"])
        assert abs(r["mi"] - I_VE * len(bits) / 2) <= 3 * r["stderr"] + bias


def test_groups_are_not_split_and_give_cluster_errors():
    V, E = _copies(5, 3000, 2, 0.1)
    groups = np.repeat(np.arange(100), 30)
    w, b = _reader(2, [0])
    r = estimate_mi(w, b, V, E, seed=0, groups=groups)
    assert r["n_test"] % 30 == 0 and r["n_train"] % 30 == 0
    assert np.isfinite(r["stderr"]) and r["stderr"] > 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grouped_split_is_a_partition_along_groups(seed):
    rng = np.random.default_rng(seed)
    groups = rng.permutation(np.repeat(np.arange(40), rng.integers(1, 6, 40)))  # unequal, shuffled
    n = groups.size
    itr, ite = grouped_split(n, 0.3, np.random.default_rng(seed), groups)
    assert np.intersect1d(itr, ite).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([itr, ite])), np.arange(n))
    assert np.intersect1d(groups[itr], groups[ite]).size == 0  # no group on both sides
    assert np.unique(groups[ite]).size == 12  # round(0.3 * 40) groups held out
    # The ungrouped split is a partition too.
    itr, ite = grouped_split(n, 0.3, np.random.default_rng(seed))
    assert np.intersect1d(itr, ite).size == 0 and itr.size + ite.size == n and ite.size == round(0.3 * n)


def test_cluster_standard_error_by_hand():
    # Tiny example: groups of sizes 2, 1, 3 with sums of centred terms (1+3−2·3, 2−3, 4+5+6−3·3).
    psi = np.array([1.0, 3.0, 2.0, 4.0, 5.0, 6.0])
    groups = np.array([7, 7, 1, 3, 3, 3])
    m, se = _mean_and_stderr(psi, groups)
    assert m == pytest.approx(3.5)
    sums = np.array([1 + 3 - 2 * 3.5, 2 - 3.5, 4 + 5 + 6 - 3 * 3.5])
    assert se == pytest.approx(np.sqrt(np.sum(sums**2) * 3 / 2) / 6, rel=1e-12)
    assert _mean_and_stderr(psi)[1] == pytest.approx(np.std(psi, ddof=1) / np.sqrt(6), rel=1e-12)
    # Groups of m identical values: the cluster error is the standard error of the G group
    # means, about √m times the iid one.
    x = np.random.default_rng(0).normal(size=50)
    psi = np.repeat(x, 16)
    groups = np.repeat(np.arange(50), 16)
    _, se_cluster = _mean_and_stderr(psi, groups)
    _, se_iid = _mean_and_stderr(psi)
    assert se_cluster == pytest.approx(x.std(ddof=1) / np.sqrt(50), rel=1e-12)
    assert se_cluster / se_iid == pytest.approx(np.sqrt(16 * (800 - 1) / (800 - 16)), rel=1e-12)


def _duplicated_groups(seed, n_groups, size, flip):
    """Noisy copies as in _copies, but every sample repeated `size` times (one group each)."""
    V, E = _copies(seed, n_groups, 2, flip)
    return np.repeat(V, size, axis=0), np.repeat(E, size, axis=0), np.repeat(np.arange(n_groups), size)


def test_classifier_bound_uses_groups_for_its_error():
    V, E, groups = _duplicated_groups(9, 300, 10, 0.2)
    w, b = _reader(2, [0])
    half = 1500  # groups 0..149 train, 150..299 test
    args = (w, b, V[:half], E[:half], V[half:], E[half:])
    r_iid = classifier_bound(*args, l2=1e-3)
    r_grp = classifier_bound(*args, l2=1e-3, groups_test=groups[half:])
    assert r_grp["mi"] == r_iid["mi"]
    # Ten identical copies per group: the honest error is ~√10 times the iid one.
    assert r_grp["stderr"] / r_iid["stderr"] == pytest.approx(np.sqrt(10 * 1499 / 1490), rel=0.01)


def test_estimate_mi_passes_groups_to_split_and_error():
    # Duplicated samples whose e (100 random bits) says nothing about h: a split that put
    # copies of a test sample into training would let the classifier memorise them.
    rng = np.random.default_rng(10)
    V = np.repeat(rng.integers(0, 2, (100, 2)), 10, axis=0)
    E = np.repeat(rng.integers(0, 2, (100, 100)), 10, axis=0)
    groups = np.repeat(np.arange(100), 10)
    w, b = _reader(2, [0])
    r_grp = estimate_mi(w, b, V, E, seed=0, groups=groups, l2=1e-4)
    r_iid = estimate_mi(w, b, V, E, seed=0, l2=1e-4)
    assert r_grp["n_test"] == 10 * 30  # round(0.3 · 100) whole groups
    assert r_grp["mi"] < 0.1  # nothing to learn about unseen groups
    assert r_iid["mi"] > 0.5  # the leaky split "finds" most of log 2 (shows the check has power)
    # ... and the error bar is the cluster-robust one: ≈ √10 times the iid error, not ≈ 1 times.
    V, E, groups = _duplicated_groups(11, 200, 10, 0.2)
    r_grp = estimate_mi(w, b, V, E, seed=0, groups=groups, l2=1e-3)
    r_iid = estimate_mi(w, b, V, E, seed=0, l2=1e-3)
    assert r_grp["stderr"] / r_iid["stderr"] > 2.5


def test_same_seed_same_result():
    V, E = _copies(6, 3000, 2, 0.2)
    w, b = random_filters(2, 2, seed=0)
    w = w.reshape(4, 2)[:2]
    a = estimate_mi(w, b, V, E, seed=4)
    c = estimate_mi(w, b, V, E, seed=4)
    assert a == c


def test_hard_codes():
    V = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    w = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(hard_codes(w, [-0.5, -0.5], V), [0, 1, 2, 3])


@pytest.mark.parametrize("L_V", [1, 2, 3])
def test_kadanoff_is_majority_rule(L_V):
    w, b = kadanoff_filter(L_V)
    assert w.shape == (L_V, L_V, 1) and b.shape == (1,)
    for x in itertools.product([0, 1], repeat=L_V * L_V):
        spins = 2 * np.array(x) - 1
        h = hard_codes(w, b, np.array([x]))[0]
        assert h == int(spins.sum() > 0)


def test_random_filters_deterministic_and_centred():
    w1, b1 = random_filters(3, 2, seed=9)
    w2, b2 = random_filters(3, 2, seed=9)
    assert np.array_equal(w1, w2) and np.array_equal(b1, b2)
    np.testing.assert_allclose(0.5 * w1.reshape(9, 2).sum(axis=0) + b1, 0.0, atol=1e-12)


def test_classifier_bound_on_given_split_matches_estimate_mi_split_sizes():
    V, E = _copies(7, 2000, 2, 0.1)
    w, b = _reader(2, [1])
    r = classifier_bound(w, b, V[:1500], E[:1500], V[1500:], E[1500:], seed=0, l2=1e-3)
    assert r["n_train"] == 1500 and r["n_test"] == 500 and r["l2"] == 1e-3


@pytest.mark.parametrize(
    "args,kw,match",
    [
        ((np.zeros((2, 1)), np.zeros(2)), {}, "biases"),
        ((np.zeros((3, 1)), np.zeros(1)), {}, "filter has"),
        ((np.zeros((2, 1)), np.zeros(1)), dict(test_fraction=1.5), "test_fraction"),
        ((np.zeros((2, 1)), np.zeros(1)), dict(l2="big"), "l2"),
        ((np.zeros((2, 1)), np.zeros(1)), dict(l2=-1.0), "l2"),
        ((np.full((2, 1), np.nan), np.zeros(1)), {}, "finite"),
        ((np.zeros((2, 1)), np.zeros(1)), dict(groups=np.zeros(10)), "groups"),
    ],
)
def test_validation_errors(args, kw, match):
    V, E = _copies(8, 100, 2, 0.1)
    with pytest.raises(ValueError, match=match):
        estimate_mi(*args, V, E, seed=0, **kw)


def test_baseline_validation():
    with pytest.raises(ValueError, match="L_V"):
        kadanoff_filter(0)
    with pytest.raises(ValueError, match="n_hidden"):
        random_filters(2, 0, seed=0)
    with pytest.raises(ValueError, match="same number"):
        estimate_mi(np.zeros((2, 1)), np.zeros(1), np.zeros((5, 2)), np.zeros((4, 2)), seed=0)


# --------------------------------------------------------------------------------------------
# The chain-rule conditional model r(h|e) = Π_j r_j(h_j | h_<j, e) (model="chain")


def _chain_case(seed, n, signal, flip=0.1, n_extra=6):
    """N_h = 6 correlated bits: h reads v bits (0, 0, 1, 1, 2, 3), v0..v2 fair, v3 = v0 XOR v2.

    So h1 copies h0, h3 copies h2 and h5 = h0 XOR h4 (8 classes of 64 occur). e: noisy copies of
    v0 and v1 (flip prob `flip`; with signal=False independent bits) plus n_extra independent
    bits. I(H:E) = I(v0 v1 : e) = 2 (log 2 − H_b(flip)), or 0 without signal.
    """
    rng = np.random.default_rng(seed)
    V = rng.integers(0, 2, (n, 4)).astype(np.uint8)
    V[:, 3] = V[:, 0] ^ V[:, 2]
    core = V[:, :2] ^ (rng.random((n, 2)) < flip) if signal else rng.integers(0, 2, (n, 2))
    E = np.concatenate([core, rng.integers(0, 2, (n, n_extra))], axis=1).astype(np.uint8)
    w, b = _reader(4, [0, 0, 1, 1, 2, 3])
    return V, E, w, b, 2 * (np.log(2) - _hb(flip)) if signal else 0.0


def _finite_sample_offset(r, k_obs):
    """Expected shortfall of Ĥ − CE at I = 0 with k_obs classes: the plug-in entropy's bias
    (k_obs − 1)/(2 n_test) plus the cost of fitting the marginal, (k_obs − 1)/(2 n_train)."""
    return (k_obs - 1) / 2 * (1 / r["n_test"] + 1 / r["n_train"])


def test_chain_bound_on_correlated_bits_with_known_answer():
    # Signal: the chain bound is below the truth (up to noise) and close to it.
    V, E, w, b, I_true = _chain_case(0, 1500, signal=True)
    r = estimate_mi(w, b, V, E, seed=0, model="chain")
    offset = _finite_sample_offset(r, 8)
    assert r["n_classes"] == 64 and r["H"] == pytest.approx(3 * np.log(2), abs=0.03)
    assert r["mi"] <= I_true + 3 * r["stderr"]
    assert r["mi"] >= I_true - 3 * r["stderr"] - offset
    assert r["mi"] == pytest.approx(r["H"] - r["CE"], abs=1e-12)
    # Null: e carries nothing. The bound stays above −2 SE once the finite-sample offset of the
    # plug-in Ĥ (which no model r can remove, module docstring) is allowed for; without it 6 of
    # 20 seeds fall below −2 SE here (8 observed classes, 450 test samples; none with it).
    V, E, w, b, _ = _chain_case(1, 1500, signal=False)
    r = estimate_mi(w, b, V, E, seed=1, model="chain")
    assert -2 * r["stderr"] - _finite_sample_offset(r, 8) <= r["mi"] <= 3 * r["stderr"]
    # Held out, even a nearly unregularised chain cannot find information that is not there
    # (fitted on the test split it gains ≈ 0.1 nats of memorised noise here, about 5 SE).
    V, E, w, b, _ = _chain_case(1, 1500, signal=False, n_extra=30)
    r = estimate_mi(w, b, V, E, seed=1, model="chain", l2=1e-4)
    assert r["mi"] <= 3 * r["stderr"]


def test_chain_irrelevant_environment_costs_little():
    # Near-copied bits (h1 = h0, h3 = h2 up to 3 % flips) need strong h_<j weights; 150
    # irrelevant e bits need strong L2. With separate strengths for the two parts, adding e
    # costs < 1 SE against the same chain without e (seeds 0-7: at most 0.73 SE); with one
    # shared strength it cost 1.4-7 SE (the marginal is sacrificed to regularise e).
    rng = np.random.default_rng(2)
    n = 1500
    V = rng.integers(0, 2, (n, 6))
    V[:, 1] = V[:, 0] ^ (rng.random(n) < 0.03)
    V[:, 3] = V[:, 2] ^ (rng.random(n) < 0.03)
    E = rng.integers(0, 2, (n, 150))
    w, b = _reader(6, range(6))
    r = estimate_mi(w, b, V, E, seed=2, model="chain")
    r0 = estimate_mi(w, b, V, np.zeros((n, 1)), seed=2, model="chain")
    assert r["mi"] >= r0["mi"] - r["stderr"]
    assert r["mi"] <= 3 * r["stderr"]


def test_chain_with_one_hidden_unit_is_the_joint_model():
    V, E = _copies(12, 1200, 2, 0.15)
    w, b = _reader(2, [1])
    assert estimate_mi(w, b, V, E, seed=3, model="chain") == estimate_mi(w, b, V, E, seed=3, model="joint")
    groups = np.repeat(np.arange(120), 10)
    args = (w, b, V[:800], E[:800], V[800:], E[800:])
    kw = dict(l2=1e-2, groups_test=groups[800:])
    assert classifier_bound(*args, model="chain", **kw) == classifier_bound(*args, model="joint", **kw)


def test_auto_model_is_chain_from_two_hidden_units():
    """Issue 25: "auto" is the chain for every N_h ≥ 2 (it was the joint model up to N_h 4)."""
    V, E = _copies(13, 600, 5, 0.1, n_extra=2)
    for bits, kind, other in (([0, 1], "chain", "joint"), ([0, 1, 2, 3], "chain", "joint"),
                              ([0, 1, 2, 3, 4], "chain", "joint")):
        w, b = _reader(5, bits)
        auto = estimate_mi(w, b, V, E, seed=0, l2=1e-2)
        assert auto == estimate_mi(w, b, V, E, seed=0, l2=1e-2, model=kind)
        assert auto["mi"] != estimate_mi(w, b, V, E, seed=0, l2=1e-2, model=other)["mi"]
        args = (w, b, V[:400], E[:400], V[400:], E[400:])
        assert classifier_bound(*args, l2=1e-2) == classifier_bound(*args, l2=1e-2, model=kind)


def test_binary_fit_is_the_two_class_multinomial_fit():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(400, 3))
    y = (X @ np.array([1.0, -0.5, 0.0]) + rng.logistic(size=400) > 0).astype(int)
    for l2 in (1e-3, 1.0):
        W, c = fit_multinomial_logistic(X, np.eye(2)[y], l2=l2)
        wb, cb = _fit_binary_logistic(X, y, l2=l2)
        np.testing.assert_allclose(wb, W[:, 1] - W[:, 0], atol=1e-5)
        assert cb == pytest.approx(c[1] - c[0], abs=1e-5)


@pytest.mark.parametrize("model", ["Joint", "chain ", "", "multinomial", None, 1, ("chain",)])
def test_bad_model_raises(model):
    V, E = _copies(8, 100, 2, 0.1)
    w, b = _reader(2, [0, 1])
    with pytest.raises(ValueError, match="model must be one of"):
        estimate_mi(w, b, V, E, seed=0, model=model)
    with pytest.raises(ValueError, match="model must be one of"):
        classifier_bound(w, b, V[:50], E[:50], V[50:], E[50:], model=model)


def _three_class_problem(seed=21, n=600, d=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    logits = X @ rng.normal(size=(d, 3))
    y = np.argmax(logits + rng.gumbel(size=(n, 3)), axis=1)
    return X, np.eye(3)[y]


def test_warm_start_reaches_the_cold_optimum():
    """fit_multinomial_logistic's optimum does not depend on ``init`` (strictly convex in W)."""
    X, Y = _three_class_problem()
    Wc, cc = fit_multinomial_logistic(X, Y, l2=1e-2)
    far = (np.full_like(Wc, 3.0), np.array([5.0, -5.0, 0.0]))
    for init in (far, fit_multinomial_logistic(X, Y, l2=10.0)):
        Ww, cw = fit_multinomial_logistic(X, Y, l2=1e-2, init=init)
        np.testing.assert_allclose(Ww, Wc, atol=2e-4)
        # c is determined up to a common shift (softmax): compare the centred intercepts
        np.testing.assert_allclose(cw - cw.mean(), cc - cc.mean(), atol=2e-4)
    for bad in ((Wc[:, :2], cc), (Wc, cc[:2]), (Wc * np.nan, cc)):
        with pytest.raises(ValueError, match="init must be"):
            fit_multinomial_logistic(X, Y, l2=1e-2, init=bad)


def test_choose_l2_matches_cold_fits_in_the_grid_order():
    """The warm-started path picks what the slow twin picks: a cold fit per strength on the same
    inner split, the first best strength in the caller's order."""
    from rsmi.coarse.mi import _heldout_terms, choose_l2

    X, Y = _three_class_problem(n=300)
    X[:, 3] = 0.0  # a constant feature (standardised to 0) must not break either path
    for grid in ((1e-4, 1e-2, 1.0, 100.0), (100.0, 1.0, 1e-2, 1e-4), (1.0, 1.0, 1e-3)):
        rng = np.random.default_rng(5)
        perm = rng.permutation(X.shape[0])
        n_val = X.shape[0] // 5
        iv, it = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        ll = [float(np.sum(Y[iv] * _heldout_terms(X[it], Y[it], X[iv], l2, 500)) / n_val) for l2 in grid]
        want = grid[int(np.argmax(ll))]
        assert choose_l2(X, Y, grid, np.random.default_rng(5), 500) == want
