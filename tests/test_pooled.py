"""Tests of the pooled importance-sampling proxy (rsmi.coarse.pooled): the pair kernel against its twin,
the gradient against finite differences, and the estimate against the exactly enumerated
ΔA_Λ = A_Λ − A_0 over 20 evaluation seeds (unbiased, and within its stated error)."""

from __future__ import annotations

import numpy as np
import pytest

from rsmi.coarse.kernels import exp_rows_kernel, g_pairs_kernel, g_pairs_reference
from rsmi.coarse.network import proxy_and_gradient_exact
from rsmi.coarse.pooled import PooledProxy, _g_pairs, _Parts, jackknife_mean, pooled_gradient, pooled_terms
from rsmi.theta.rbm import RBM


def random_rbm(rng, n_visible, n_hidden, scale):
    return RBM.from_parameters(scale * rng.standard_normal((n_visible, n_hidden)),
                               0.3 * rng.standard_normal(n_visible), 0.3 * rng.standard_normal(n_hidden))


def problem(seed, n_v=12, n_e=10, n=400, n_h=1):
    rng = np.random.default_rng(seed)
    tv = random_rbm(rng, n_v, 6, 0.6)
    tve = random_rbm(rng, n_v + n_e, 8, 0.6)
    for i in range(4):  # Θ^VE couples v_i and e_i through hidden unit i: g carries information
        tve.weights_[i, i] = tve.weights_[n_v + i, i] = 3.0
        tve.hidden_bias_[i] = -3.0
    # windows with a real v–e dependence: e copies v's first bits with noise
    V = rng.integers(0, 2, (n, n_v)).astype(np.uint8)
    E = (rng.random((n, n_e)) < 0.5).astype(np.uint8)
    E[:, :4] = np.where(rng.random((n, 4)) < 0.8, V[:, :4], 1 - V[:, :4])
    lam = 1.5 * rng.standard_normal((n_v, n_h))
    lam[:4] += 2.0
    b = 0.2 * rng.standard_normal(n_h)
    return tv, tve, V, E, lam, b


@pytest.mark.parametrize("scale", [0.3, 30.0])
def test_g_pairs_kernel_matches_reference(scale):
    rng = np.random.default_rng(1)
    S, B, J, M = 30, 7, 5, 19
    f, X, Y = rng.standard_normal(S), scale * rng.standard_normal((S, M)), scale * rng.standard_normal((B, M))
    idx = rng.integers(0, S, (B, J))
    EX, okx = exp_rows_kernel(X)
    np.testing.assert_allclose(EX, np.exp(np.minimum(X, 40.0)), rtol=1e-14)
    np.testing.assert_array_equal(okx, np.abs(X).max(axis=1) <= 40.0)
    if scale > 1:
        assert 0 < okx.sum() < S  # both the product form and the direct softplus sum are exercised
    out = g_pairs_kernel(f, X, EX, okx, Y, idx, np.empty((B, J)))
    np.testing.assert_allclose(out, g_pairs_reference(f, X, Y, idx), rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("M", [8, 67, 256])
def test_g_pairs_kernel_products_near_the_exponent_limit(M):
    """|x|, |y| just below 40 on every unit: the 8 lanes' products are renormalised to mantissa and
    binary exponent (an error there overflows or is off by multiples of ln 2); M = 67 has a tail."""
    rng = np.random.default_rng(M)
    S, B, J = 6, 3, 4
    f, X, Y = rng.standard_normal(S), 39.0 + rng.random((S, M)), 39.0 + rng.random((B, M))
    X[0] *= -1.0
    idx = rng.integers(0, S, (B, J))
    idx[0, 0] = 0
    EX, okx = exp_rows_kernel(X)
    out = g_pairs_kernel(f, X, EX, okx, Y, idx, np.empty((B, J)))
    np.testing.assert_allclose(out, g_pairs_reference(f, X, Y, idx), rtol=1e-13, atol=1e-11)


@pytest.mark.parametrize("n_h", [1, 2])
def test_pooled_gradient_matches_finite_differences(n_h):
    tv, tve, V, E, lam, b = problem(3, n=50, n_h=n_h)
    rng = np.random.default_rng(4)
    from rsmi.theta.parts import theta_parts

    th = theta_parts(tv, tve, V.shape[1], E.shape[1])
    pool = tv.sample_chains(16, 50, 8, 2, seed=5).astype(float)
    idx = rng.integers(0, pool.shape[0], (V.shape[0], 6))
    Gc = _g_pairs(_Parts.of(*th.v_parts(pool)), th.e_parts(E.astype(float))[1], idx)
    Vf = V.astype(float)

    def value(lm, bb):
        return pooled_terms(pool, np.zeros(pool.shape[0], dtype=int), Vf, np.zeros(len(Vf), dtype=int), idx, Gc,
                            lm, bb, 1).mean()

    d, g_lam, g_b = pooled_gradient(pool, Vf, idx, Gc, lam, b)
    assert d.mean() == pytest.approx(value(lam, b), rel=1e-12)
    eps = 1e-6
    for i, j in [(0, 0), (5, n_h - 1), (11, 0)]:
        lp, lm = lam.copy(), lam.copy()
        lp[i, j] += eps
        lm[i, j] -= eps
        assert g_lam[i, j] == pytest.approx((value(lp, b) - value(lm, b)) / (2 * eps), rel=1e-5, abs=1e-8)
    for j in range(n_h):
        bp, bm = b.copy(), b.copy()
        bp[j] += eps
        bm[j] -= eps
        assert g_b[j] == pytest.approx((value(lam, bp) - value(lam, bm)) / (2 * eps), rel=1e-5, abs=1e-8)


def pool_errors(tv, tve, V, E, groups, w, b, exact, *, n_pool, burn_in, n_seeds=20):
    """(error, stated SE) of ΔA from ``n_seeds`` independent pools against the exact ``exact``."""
    errs, ses = [], []
    for seed in range(n_seeds):
        pp = PooledProxy(tv, tve, V, E, groups=groups, n_pool=n_pool, pairs=32, n_blocks=8, chains_per_block=32,
                         burn_in=burn_in, thin=4, seed=seed)
        val, se = pp.estimate(w, b)
        errs.append(val - exact)
        ses.append(se)
    return np.array(errs), np.array(ses)


def test_pooled_estimate_matches_exact_over_20_seeds():
    """ΔA from the pool vs the enumerated ΔA on the same windows: the pool's error only.

    Unbiased: the mean error over 20 pools is within 3 standard errors of that mean; covered:
    every single error is within 3 of its own stated (jackknife) standard error."""
    tv, tve, V, E, lam, b = problem(7)
    groups = np.repeat(np.arange(100), 4)
    exact = proxy_and_gradient_exact(lam, b, V, E, tv, tve)[0] - proxy_and_gradient_exact(
        np.zeros_like(lam), np.zeros_like(b), V, E, tv, tve)[0]
    assert abs(exact) > 0.05  # a real signal, not a trivial zero
    errs, ses = pool_errors(tv, tve, V, E, groups, lam, b, exact, n_pool=2048, burn_in=50)
    assert abs(errs.mean()) <= 3 * errs.std(ddof=1) / np.sqrt(errs.size)
    assert (np.abs(errs) <= 3 * ses).all()
    # the stated error is not absurdly conservative either (it includes the data's share)
    assert np.median(ses) < 3 * errs.std(ddof=1)


def test_pooled_difference_of_filters_shares_randomness():
    """Two filters scored with one pool: the difference is more precise than either value."""
    tv, tve, V, E, lam, b = problem(8)
    pp = PooledProxy(tv, tve, V, E, groups=np.repeat(np.arange(100), 4), n_pool=2048, pairs=32, n_blocks=8,
                     chains_per_block=32, burn_in=50, thin=4, seed=0)
    d1, d2 = pp.terms(lam, b), pp.terms(lam * 1.05, b)
    se1, se_diff = pp.summarise(d1)[1], pp.summarise(d1 - d2)[1]
    assert se_diff < 0.3 * se1


def test_trivial_filter_scores_exactly_zero():
    tv, tve, V, E, lam, b = problem(9, n=80)
    pp = PooledProxy(tv, tve, V, E, n_pool=512, pairs=8, n_blocks=4, chains_per_block=8, burn_in=10, thin=2, seed=0)
    assert np.abs(pp.terms(np.zeros_like(lam), np.zeros_like(b))).max() < 1e-12


def test_same_seed_same_numbers():
    tv, tve, V, E, lam, b = problem(10, n=80)
    kw = dict(n_pool=512, pairs=8, n_blocks=4, chains_per_block=8, burn_in=10, thin=2, seed=3)
    a = PooledProxy(tv, tve, V, E, **kw).estimate(lam, b)
    assert a == PooledProxy(tv, tve, V, E, **kw).estimate(lam, b)
    assert a != PooledProxy(tv, tve, V, E, **dict(kw, seed=4)).estimate(lam, b)


def test_jackknife_mean_equals_hand_computation():
    d = np.array([1.0, 2.0, 3.0, 5.0, 8.0, 13.0])
    block = np.array([0, 0, 1, 1, 2, 2])
    val, se = jackknife_mean(d, block, 3)
    loo = np.array([(3 + 5 + 8 + 13) / 4, (1 + 2 + 8 + 13) / 4, (1 + 2 + 3 + 5) / 4])
    assert val == pytest.approx(32 / 6)
    assert se == pytest.approx(np.sqrt(2 / 3 * ((loo - loo.mean()) ** 2).sum()))


def test_validation():
    tv, tve, V, E, lam, b = problem(11, n=40)
    with pytest.raises(ValueError, match="n_pool"):
        PooledProxy(tv, tve, V, E, n_pool=100, n_blocks=4, chains_per_block=8, seed=0)
    with pytest.raises(ValueError, match="groups"):
        PooledProxy(tv, tve, V, E, groups=np.zeros(40), n_pool=64, n_blocks=4, chains_per_block=8, seed=0)
    with pytest.raises(ValueError, match="pairs"):
        PooledProxy(tv, tve, V, E, pairs=1, n_pool=64, n_blocks=4, chains_per_block=8, seed=0)
    with pytest.raises(ValueError, match="binary"):
        PooledProxy(tv, tve, V * 2, E, n_pool=64, n_blocks=4, chains_per_block=8, seed=0)


def _train(seed=0, **kw):
    from rsmi.coarse.network import train_rsmi

    tv, tve, V, E, lam, b = problem(12, n_v=9)
    args = dict(path="pooled", n_epochs=8, batch_size=50, learning_rate=5.0, n_pool=512, pairs=16, pool_chains=32,
                pool_burn_in=20, pool_thin=2, n_eval=320, eval_every=4, seed=seed)
    args.update(kw)
    return train_rsmi(V, E, tv, tve, 1, **args), (tv, tve, V, E)


def test_training_on_the_pooled_path_climbs_the_exact_proxy():
    """The pooled gradient moves Λ uphill on the exactly enumerated A_Λ, by a resolved amount."""
    fr, (tv, tve, V, E) = _train()
    assert fr.meta["path_used"] == "pooled" and fr.meta["pool_n_pool"] == 512
    rise = fr.history[-1] - fr.history[0]
    assert rise > 2 * np.hypot(fr.history_err[-1], fr.history_err[0])
    a0 = proxy_and_gradient_exact(np.zeros((9, 1)), np.zeros(1), V, E, tv, tve)[0]
    a1 = proxy_and_gradient_exact(fr.weights.reshape(9, 1), fr.biases, V, E, tv, tve)[0]
    assert a1 - a0 > 0.05


def test_pooled_training_same_seed_same_bytes():
    a, _ = _train(n_epochs=2)
    b, _ = _train(n_epochs=2)
    assert a.weights.tobytes() == b.weights.tobytes() and a.history.tobytes() == b.history.tobytes()


def test_pooled_training_validation():
    with pytest.raises(ValueError, match="pool_chains"):
        _train(pool_chains=20)
    with pytest.raises(ValueError, match="Jensen"):
        _train(objective="logmeanexp")


def test_evaluate_proxy_pooled_path():
    from rsmi.coarse.network import evaluate_proxy

    tv, tve, V, E, lam, b = problem(13)
    val, se = evaluate_proxy(lam, b, V, E, tv, tve, path="pooled", seed=0)
    exact = proxy_and_gradient_exact(lam, b, V, E, tv, tve)[0] - proxy_and_gradient_exact(
        np.zeros_like(lam), np.zeros_like(b), V, E, tv, tve)[0]
    assert abs(val - exact) < 3 * se and se > 0


@pytest.mark.slow
def test_pooled_estimate_on_the_4x4_dimer_block_matches_exact_over_20_seeds():
    """Issue 11's check on the workflow's kind of data: a 4×4 fat dimer block with noise
    (|V| = 16, enumerated exactly), L_B = L_E = 2, Θ-RBMs trained by CD on sampled dimers; the
    field filter and a noise filter, each scored by 20 independent pools against the exact ΔA
    (measured: mean errors −0.0003 ± 0.0026 and +0.0057 ± 0.0050, largest |error|/SE 2.5)."""
    from rsmi.sampling.dimers import field_filters, sample_dimers
    from rsmi.judge.nulltests import dimer_null_filters, standardise_filter
    from rsmi.windows.regions import cut_regions

    configs = sample_dimers(8, 400, seed=3)
    V, E = cut_regions(configs, 4, 2, 2, stride=4, model="dimer")
    groups = np.repeat(np.arange(400), V.shape[0] // 400)
    tv = RBM(n_hidden=32, n_epochs=20, seed=0).fit(V)
    tve = RBM(n_hidden=64, n_epochs=20, seed=1).fit(np.hstack([V, E]))
    Vs, Es, gs = V[:240], E[:240], groups[:240]
    filters = {"field": standardise_filter(field_filters(4)[:, :, 0], Vs),
               "noise_pair": standardise_filter(dimer_null_filters(4)["noise_pair"], Vs)}
    zero = proxy_and_gradient_exact(np.zeros((16, 1)), np.zeros(1), Vs, Es, tv, tve)[0]
    exacts = {}
    for name, (w, b) in filters.items():
        exact = exacts[name] = proxy_and_gradient_exact(w, b, Vs, Es, tv, tve)[0] - zero
        errs, ses = pool_errors(tv, tve, Vs, Es, gs, w, b, exact, n_pool=4096, burn_in=100)
        assert abs(errs.mean()) <= 3 * errs.std(ddof=1) / np.sqrt(20) + 1e-4, (name, exact, errs.mean())
        assert (np.abs(errs) <= 3 * ses).all(), (name, errs, ses)
    # measured: field +0.007, noise pair +0.060 nats (the Θ-RBMs' bias of docs/method.md §4b)
    assert exacts["noise_pair"] > 0.02


def test_pooled_monitor_leaves_the_weights_and_tracks_the_exact_proxy():
    """monitor='pooled' on the MC path: the same Λ bytes as the path's own monitor (its pool comes
    from the monitor's stream), and history = ΔA_Λ within 3 stated SE of the enumerated ΔA_Λ."""
    kw = dict(path="mc", n_mc=8, mc_burn_in=10, n_epochs=8, learning_rate=5.0, n_pool=512, pairs=16,
              pool_chains=32, pool_burn_in=20, pool_thin=2, eval_every=8)
    own, (tv, tve, V, E) = _train(**kw)
    fr, _ = _train(monitor="pooled", **kw)
    assert fr.weights.tobytes() == own.weights.tobytes() and fr.biases.tobytes() == own.biases.tobytes()
    assert fr.meta["history_quantity"] == "A_Lambda - A_0" and own.meta["history_quantity"] == "A_Lambda"
    assert fr.history[0] == pytest.approx(0.0, abs=3 * fr.history_err[0] + 1e-3)  # λ ~ 0.01 at the start
    lam, b = fr.weights.reshape(9, 1), fr.biases
    exact = (proxy_and_gradient_exact(lam, b, V, E, tv, tve)[0]
             - proxy_and_gradient_exact(np.zeros_like(lam), np.zeros_like(b), V, E, tv, tve)[0])
    assert exact > 0.05
    # the monitor scores 320 of the 400 windows: its SE (data + pool) covers the subset's offset
    assert abs(fr.history[-1] - exact) <= 3 * fr.history_err[-1]


def test_pooled_monitor_validation():
    with pytest.raises(ValueError, match="monitor"):
        _train(path="mc", n_mc=8, monitor="fast", n_epochs=1)
    with pytest.raises(ValueError, match="monitor='pooled'"):
        _train(path="mc", n_mc=8, monitor="pooled", objective="logmeanexp", n_epochs=1)
    with pytest.raises(ValueError, match="pool_chains"):
        _train(path="mc", n_mc=8, monitor="pooled", pool_chains=24, n_epochs=1)
