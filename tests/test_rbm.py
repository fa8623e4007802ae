"""Tests of rsmi.theta.rbm, rsmi.theta.partition and rsmi.theta.kernels: exact quantities against brute force,
AIS against exact, learning, the numba kernels against slow NumPy twins, reproducibility,
persistence and validation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from rsmi.utils.io import CorruptFileError, load_npz, save_npz
from rsmi.theta.partition import ais_betas, free_energy, log_partition_ais, log_partition_exact
from rsmi.theta.rbm import RBM
from rsmi.theta.kernels import ais_kernel, cd_epoch, fill_u32, sigmoid_rows


# ----------------------------------------------------------------------------------------------
# helpers: brute force and slow twins
# ----------------------------------------------------------------------------------------------
def all_states(n):
    return np.array(list(itertools.product([0, 1], repeat=n)), dtype=np.float64)


def random_params(nv, nh, scale, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(0, scale, (nv, nh)), rng.normal(0, 1, nv), rng.normal(0, 1, nh)


def brute_joint(W, a, c):
    """log Z and F(x) for every visible state from the sum over all joint states (x, u)."""
    V, H = all_states(W.shape[0]), all_states(W.shape[1])
    minus_E = (V @ a)[:, None] + (H @ c)[None, :] + V @ W @ H.T  # −E(x, u)
    F = -np.log(np.exp(minus_E).sum(axis=1))
    log_z = np.log(np.exp(minus_E).sum())
    return V, F, log_z


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


class Xoshiro256ss:
    """xoshiro256** (Blackman & Vigna), transcribed from the reference C code with Python ints."""

    M = (1 << 64) - 1

    def __init__(self, state):
        self.s = [int(x) for x in state]

    @staticmethod
    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & Xoshiro256ss.M

    def next64(self):
        s = self.s
        result = (self.rotl((s[1] * 5) & self.M, 7) * 9) & self.M
        t = (s[1] << 17) & self.M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self.rotl(s[3], 45)
        return result

    def words(self, n):
        """n 32-bit words, high half of each 64-bit output first (the odd last one dropped)."""
        out = []
        while len(out) < n:
            r = self.next64()
            out += [r >> 32, r & 0xFFFFFFFF]
        return np.array(out[:n], dtype=np.float64)


def sig32(z):
    z = np.asarray(z, dtype=np.float32)
    return (np.float32(1.0) / (np.float32(1.0) + np.exp(-z))).astype(np.float32)


def cd_epoch_reference(X, order, W, a, c, vW, va, vc, chain_v, chain_h, lrs, k, persistent, mom, wd, B, state):
    """Slow twin of cd_epoch: the same algorithm and the same uniforms (xoshiro256** words
    u/2³², one per Bernoulli draw, row-major), written in plain NumPy."""
    gen = Xoshiro256ss(state)

    def bern(P):
        u = gen.words(P.size).reshape(P.shape)
        return (u < P.astype(np.float64) * 2.0**32).astype(np.float32)

    W, a, c, vW, va, vc = (np.array(t, dtype=np.float64) for t in (W, a, c, vW, va, vc))
    chain_v = chain_v.astype(np.float32)
    chain_h = chain_h.astype(np.float32)
    for b, lr in enumerate(lrs):
        W32, a32, c32 = W.astype(np.float32), a.astype(np.float32), c.astype(np.float32)
        x = X[order[b * B : (b + 1) * B]].astype(np.float32)
        hp = sig32(x @ W32 + c32)
        vn, hprob = (chain_v, chain_h) if persistent else (x.copy(), hp)
        for _ in range(k):
            hs = bern(hprob)
            vn = bern(sig32(hs @ W32.T + a32))
            hprob = sig32(vn @ W32 + c32)
        hn = hprob
        if persistent:
            chain_v, chain_h = vn, hn
        m, nn = len(x), len(vn)
        gW = (x.T @ (hp * np.float32(1.0 / m)) + vn.T @ (hn * np.float32(-1.0 / nn))).astype(np.float64)
        vW = mom * vW + lr * (gW - wd * W)
        W = W + vW
        va = mom * va + lr * (x.astype(np.float64).mean(0) - vn.astype(np.float64).mean(0))
        a = a + va
        vc = mom * vc + lr * (hp.astype(np.float64).mean(0) - hn.astype(np.float64).mean(0))
        c = c + vc
    return W, a, c


def ais_reference(W, a, c, a0, betas, n_runs, state):
    """Slow twin of ais_kernel, written from the formulas in log_partition_ais, with the same
    uniforms (xoshiro256** words / 2³² in the kernel's order)."""
    gen = Xoshiro256ss(state)
    nv, nh = W.shape
    v = (gen.words(n_runs * nv).reshape(n_runs, nv) / 2.0**32 < sig(a0)).astype(np.float64)

    def log_p_star(v, beta):
        return (1 - beta) * v @ a0 + beta * v @ a + np.logaddexp(0.0, beta * (v @ W + c)).sum(axis=1)

    logw = np.zeros(n_runs)
    for k in range(1, len(betas)):
        logw += log_p_star(v, betas[k]) - log_p_star(v, betas[k - 1])
        u = gen.words(n_runs * nh).reshape(n_runs, nh) / 2.0**32
        h = (u < sig(betas[k] * (v @ W + c))).astype(np.float64)
        if k == len(betas) - 1:
            break
        pv = sig((1 - betas[k]) * a0 + betas[k] * (a + h @ W.T))
        v = (gen.words(n_runs * nv).reshape(n_runs, nv) / 2.0**32 < pv).astype(np.float64)
    return logw


def sample_exact(W, a, c, n, rng):
    S = all_states(W.shape[0])
    lp = -free_energy(S, W, a, c) - log_partition_exact(W, a, c)
    p = np.exp(lp)
    idx = rng.choice(len(S), size=n, p=p / p.sum())
    return S[idx].astype(np.uint8), lp[idx]


# ----------------------------------------------------------------------------------------------
# exact quantities
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("nv,nh,seed", [(5, 3, 0), (3, 5, 1), (6, 4, 2)])
def test_free_energy_and_log_z_against_joint_enumeration(nv, nh, seed):
    W, a, c = random_params(nv, nh, 1.0, seed)
    V, F_brute, log_z_brute = brute_joint(W, a, c)
    np.testing.assert_allclose(free_energy(V, W, a, c), F_brute, rtol=1e-12, atol=1e-12)
    z_h = log_partition_exact(W, a, c, over="hidden")
    z_v = log_partition_exact(W, a, c, over="visible")
    assert z_h == pytest.approx(log_z_brute, abs=1e-11)
    assert z_v == pytest.approx(log_z_brute, abs=1e-11)
    rbm = RBM.from_parameters(W, a, c)
    np.testing.assert_allclose(rbm.free_energy(V.astype(np.uint8)), F_brute, atol=1e-12)
    rng = np.random.default_rng(seed)
    X = V[rng.integers(0, len(V), 50)]
    ll, err = rbm.log_likelihood(X.astype(bool))
    lp = -F_brute - log_z_brute
    idx = (X @ (1 << np.arange(nv)[::-1])).astype(int)  # itertools order: first unit = top bit
    assert ll == pytest.approx(lp[idx].mean(), abs=1e-11)
    assert err == pytest.approx(lp[idx].std(ddof=1) / math.sqrt(50), rel=1e-9)


def test_enumeration_chunks_and_large_weights():
    # 15 hidden units → two enumeration chunks; large weights stress the log-sum-exp.
    W, a, c = random_params(7, 15, 4.0, 3)
    np.testing.assert_allclose(
        log_partition_exact(W, a, c, over="hidden"), log_partition_exact(W, a, c, over="visible"), rtol=1e-12
    )
    assert np.all(np.isfinite(free_energy(all_states(7), 50 * W, a, c)))


def test_exact_refuses_large_layers():
    W, a, c = random_params(21, 22, 0.1, 0)
    with pytest.raises(ValueError, match="MAX_EXACT_UNITS"):
        log_partition_exact(W, a, c)
    with pytest.raises(ValueError, match="method='exact'"):
        RBM.from_parameters(W, a, c).log_partition(method="exact")


def test_pseudo_log_likelihood_against_conditionals():
    W, a, c = random_params(6, 3, 1.0, 4)
    rbm = RBM.from_parameters(W, a, c)
    S = all_states(6)
    lp = -free_energy(S, W, a, c)
    codes = {tuple(s): i for i, s in enumerate(S)}
    expected = []
    for s in S:
        tot = 0.0
        for i in range(6):
            t = s.copy()
            t[i] = 1 - t[i]
            l1, l2 = lp[codes[tuple(s)]], lp[codes[tuple(t)]]
            tot += l1 - np.logaddexp(l1, l2)
        expected.append(tot)
    np.testing.assert_allclose(rbm.pseudo_log_likelihood(S), expected, atol=1e-12)


def test_transform_is_hidden_conditional():
    W, a, c = random_params(5, 3, 1.0, 5)
    rbm = RBM.from_parameters(W, a, c)
    V = all_states(5)
    np.testing.assert_allclose(rbm.transform(V), sig(V @ W + c), atol=1e-15)


# ----------------------------------------------------------------------------------------------
# annealed importance sampling
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("nv,nh,scale,seed", [(12, 10, 0.5, 0), (12, 10, 1.0, 1), (30, 8, 0.4, 2)])
def test_ais_agrees_with_exact(nv, nh, scale, seed):
    W, a, c = random_params(nv, nh, scale, seed)
    exact = log_partition_exact(W, a, c)
    # base model: the model's own visible marginals, estimated from exact samples
    X, _ = sample_exact(W, a, c, 2000, np.random.default_rng(seed)) if nv <= 12 else (None, None)
    base = None
    if X is not None:
        p = np.clip(X.mean(0), 1e-3, 1 - 1e-3)
        base = np.log(p / (1 - p))
    est, se = log_partition_ais(W, a, c, base_visible_bias=base, n_runs=100, n_betas=3000, seed=seed)
    assert 0 < se < 0.05
    assert abs(est - exact) < 3 * se + 0.01


def test_ais_error_bar_is_honest_over_repeats():
    # The standard error predicts the scatter of independent estimates (within a factor ~2).
    W, a, c = random_params(12, 10, 1.0, 7)
    exact = log_partition_exact(W, a, c)
    res = np.array([log_partition_ais(W, a, c, n_runs=30, n_betas=300, seed=s) for s in range(20)])
    scatter = res[:, 0].std(ddof=1)
    assert 0.4 < res[:, 1].mean() / scatter < 2.5
    assert abs(res[:, 0].mean() - exact) < 3 * scatter / math.sqrt(20) + 0.01


def test_ais_kernel_matches_reference():
    W, a, c = random_params(7, 5, 1.0, 8)
    a0 = np.random.default_rng(0).normal(0, 1, 7)
    betas = ais_betas(30)
    state = np.array([11, 22, 33, 44], dtype=np.uint64)
    fast = ais_kernel(W, a, c, a0, betas, 9, state.copy())
    slow = ais_reference(W, a, c, a0, betas, 9, state)
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-10)


def test_ais_betas():
    b = ais_betas(100)
    assert b[0] == 0.0 and b[-1] == 1.0 and len(b) == 100 and np.all(np.diff(b) > 0)
    with pytest.raises(ValueError, match="n_ais_betas"):
        ais_betas(2)


def test_log_likelihood_with_ais_agrees_with_exact():
    # RBM.log_likelihood through AIS against the exact value on a model small enough to
    # enumerate (12 visible, 10 hidden): the two differ only by log Z, within AIS's error.
    W, a, c = random_params(12, 10, 1.0, 9)
    rbm = RBM.from_parameters(W, a, c)
    X, _ = sample_exact(W, a, c, 200, np.random.default_rng(0))
    ll_ex, err_ex = rbm.log_likelihood(X, method="exact")
    kw = dict(method="ais", n_ais_runs=100, n_ais_betas=2000, seed=1)
    ll, err = rbm.log_likelihood(X, **kw)
    log_z, err_z = rbm.log_partition(**kw)
    assert 0 < err_z < 0.05
    assert abs(ll - ll_ex) < 3 * err_z + 0.01
    assert abs(log_z - log_partition_exact(W, a, c)) < 3 * err_z + 0.01
    lp = -rbm.free_energy(X) - log_z
    assert ll == pytest.approx(lp.mean(), abs=1e-12)
    assert err == pytest.approx(math.hypot(err_ex, err_z), rel=1e-9)  # err_ex: rows' sampling error only
    # "auto" enumerates when a layer is small enough and uses AIS only otherwise.
    assert rbm.log_partition()[1] == 0.0
    big = RBM.from_parameters(*random_params(24, 24, 0.3, 9))
    assert big.log_partition(n_ais_runs=20, n_ais_betas=100, seed=1)[1] > 0


# ----------------------------------------------------------------------------------------------
# training kernel against its twin; learning; reproducibility
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("persistent,k", [(False, 1), (False, 3), (True, 1), (True, 2)])
def test_cd_epoch_matches_reference(persistent, k):
    rng = np.random.default_rng(10)
    nv, nh, B, N = 9, 6, 4, 18  # 18 rows, batch 4 → a short last batch
    X = (rng.random((N, nv)) < 0.4).astype(np.float64)
    W, a, c = random_params(nv, nh, 0.5, 11)
    vW, va, vc = rng.normal(0, 0.01, (nv, nh)), rng.normal(0, 0.01, nv), rng.normal(0, 0.01, nh)
    chain_v = (rng.random((5, nv)) < 0.5).astype(np.float64)
    chain_h = sig(chain_v @ W + c).astype(np.float32)
    order = rng.permutation(N)
    lrs = np.linspace(0.1, 0.02, 5)
    state = rng.integers(0, 2**64, size=4, dtype=np.uint64)
    slow = cd_epoch_reference(X, order, W, a, c, vW, va, vc, chain_v, chain_h, lrs, k, persistent, 0.7, 0.01, B, state)
    Wf, af, cf = W.copy(), a.copy(), c.copy()
    cd_epoch(X, order, Wf, af, cf, vW.copy(), va.copy(), vc.copy(), chain_v.copy(), chain_h.copy(),
              lrs, k, persistent, 0.7, 0.01, B, state.copy())
    for fast, ref in zip((Wf, af, cf), slow):
        np.testing.assert_allclose(fast, ref, atol=1e-5)
    assert not np.allclose(Wf, W)


def test_float32_sigmoid_kernel_against_numpy():
    z = np.linspace(-120, 120, 48000, dtype=np.float32).reshape(3, -1)
    bias = np.random.default_rng(0).normal(0, 3, z.shape[1]).astype(np.float32)
    out = np.empty_like(z)
    sigmoid_rows(z, bias, out, np.empty(z.shape[1], dtype=np.int32))
    x = (z + bias).astype(np.float64)  # the kernel adds in float32
    ref = 1.0 / (1.0 + np.exp(-x))
    assert np.max(np.abs(out - ref)) < 1e-7
    inner = np.abs(x) < 80
    assert np.max(np.abs(out - ref)[inner] / ref[inner]) < 2e-6
    assert np.all((out >= 0) & (out <= 1))


def test_xoshiro_words_match_reference():
    state = np.array([1, 2, 3, 2**63 + 5], dtype=np.uint64)
    out = np.empty(11, dtype=np.uint32)
    st = state.copy()
    fill_u32(st, out)
    np.testing.assert_array_equal(out.astype(np.float64), Xoshiro256ss(state).words(11))
    # the state advanced by 6 outputs: the next words continue the reference stream
    ref = Xoshiro256ss(state)
    ref.words(12)
    out2 = np.empty(4, dtype=np.uint32)
    fill_u32(st, out2)
    np.testing.assert_array_equal(out2.astype(np.float64), ref.words(4))
    # uniformity of the words' top bits (chi-square over 16 bins)
    big = np.empty(160000, dtype=np.uint32)
    fill_u32(st, big)
    counts = np.bincount(big >> 28, minlength=16)
    assert stats.chisquare(counts).pvalue > 1e-4


def test_learning_recovers_known_rbm():
    rng = np.random.default_rng(1)
    nv, nh = 10, 4
    W = rng.normal(0, 2.0, (nv, nh))
    a, c = -0.5 * W.sum(1), -0.5 * W.sum(0)  # unsaturated units: strongly correlated data
    X, lp_true = sample_exact(W, a, c, 25000, rng)
    Xtr, Xte, true_ll = X[:20000], X[20000:], lp_true[20000:].mean()
    indep = RBM(8, n_epochs=0, seed=0).fit(Xtr).log_likelihood(Xte)[0]
    assert true_ll - indep > 0.5  # the test is not passed by the independent-bits model
    rbm = RBM(8, n_epochs=30, seed=0).fit(Xtr, Xte)
    ll, _ = rbm.log_likelihood(Xte)
    assert abs(ll - true_ll) < 0.05


def _small_data(seed=0, n=600, nv=16):
    rng = np.random.default_rng(seed)
    z = rng.random((n, 1)) < 0.5
    flip = rng.random((n, nv)) < 0.15
    return (z ^ flip).astype(np.uint8)


def test_same_seed_same_bytes_different_seed_differs():
    X = _small_data()
    kw = dict(n_hidden=5, n_epochs=3, batch_size=16, seed=42)
    r1, r2 = RBM(**kw).fit(X, X[:100]), RBM(**kw).fit(X, X[:100])
    r3 = RBM(**{**kw, "seed": 43}).fit(X, X[:100])
    for name in ("weights_", "visible_bias_", "hidden_bias_"):
        assert getattr(r1, name).tobytes() == getattr(r2, name).tobytes()
    for key in r1.history_:
        assert r1.history_[key].tobytes() == r2.history_[key].tobytes()
    assert r1.weights_.tobytes() != r3.weights_.tobytes()
    # monitoring draws from its own stream: it does not change the learned weights
    r4 = RBM(**kw).fit(X)
    assert r4.weights_.tobytes() == r1.weights_.tobytes()
    s1 = r1.sample(10, 5, seed=1)
    assert s1.tobytes() == r1.sample(10, 5, seed=1).tobytes() and s1.dtype == np.uint8


def test_history_layout():
    X = _small_data()
    rbm = RBM(4, n_epochs=4, batch_size=20, lr_schedule="linear", lr_final_fraction=0.25,
              learning_rate=0.08, seed=0).fit(X, X[:50])
    h = rbm.history_
    assert {"epoch", "val_loglik", "val_loglik_err", "train_pseudo_loglik"} <= set(h)
    assert len({len(v) for v in h.values()}) == 1
    np.testing.assert_array_equal(h["epoch"], np.arange(5))
    assert np.all(np.isfinite(h["val_loglik"])) and rbm.fit_seconds_ > 0
    # epoch 0 is the untrained model; exact here (4 hidden units)
    assert h["val_loglik_err"][0] > 0
    n_batches = 30  # 600 / 20
    T = 4 * n_batches
    assert h["lr"][-1] == pytest.approx(0.08 * (1 - 0.75 * (T - 1) / T))
    no_val = RBM(4, n_epochs=1, seed=0).fit(X)
    assert np.all(np.isnan(no_val.history_["val_loglik"]))
    thin = RBM(4, n_epochs=5, monitor_every=2, seed=0).fit(X)
    np.testing.assert_array_equal(thin.history_["epoch"], [0, 2, 4, 5])


def test_sample_distribution_chi_square():
    W, a, c = random_params(4, 3, 1.0, 12)
    rbm = RBM.from_parameters(W, a, c)
    S = all_states(4)
    p = np.exp(-free_energy(S, W, a, c) - log_partition_exact(W, a, c))
    pvals = []
    for s in range(3):
        x = rbm.sample(4000, 20, seed=s)
        idx = (x @ (1 << np.arange(4)[::-1])).astype(int)
        counts = np.bincount(idx, minlength=16)
        pvals.append(stats.chisquare(counts, 4000 * p).pvalue)
    assert stats.combine_pvalues(pvals).pvalue > 1e-3
    assert min(pvals) > 1e-4


def test_momentum_weight_decay_and_cd_options_train():
    # One hidden cause copied to 16 bits with 15% flips: independent bits give 16 log 2 ≈ 11.09
    # nats, the true model ≈ 7.46; every option must get well below the first.
    X = _small_data(1, n=3000)
    for kw in (dict(persistent=False, k=2), dict(momentum=0.9, learning_rate=0.02), dict(weight_decay=0.01)):
        rbm = RBM(4, n_epochs=5, seed=0, **{"learning_rate": 0.1, **kw}).fit(X, X[:200])
        assert rbm.history_["val_loglik"][-1] > rbm.history_["val_loglik"][0] + 2.0
    big = RBM(4, n_epochs=3, seed=0, weight_decay=0.0).fit(X)
    small = RBM(4, n_epochs=3, seed=0, weight_decay=1.0).fit(X)
    assert np.abs(small.weights_).sum() < np.abs(big.weights_).sum()


# ----------------------------------------------------------------------------------------------
# persistence
# ----------------------------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path):
    X = _small_data()
    rbm = RBM(5, n_epochs=2, batch_size=16, momentum=0.3, seed=7).fit(X, X[:60])
    path = tmp_path / "rbm.npz"
    rbm.save(path)
    back = RBM.load(path)
    assert back.get_params() == rbm.get_params()
    for name in ("weights_", "visible_bias_", "hidden_bias_", "base_visible_bias_"):
        assert getattr(back, name).tobytes() == getattr(rbm, name).tobytes()
    assert back.n_visible_ == rbm.n_visible_
    assert set(back.history_) == set(rbm.history_)
    for key in rbm.history_:
        np.testing.assert_array_equal(back.history_[key], rbm.history_[key])
    assert back.log_likelihood(X) == rbm.log_likelihood(X)
    path2 = tmp_path / "again.npz"
    back.save(path2)
    assert path2.read_bytes() == path.read_bytes()


def test_truncated_file_raises(tmp_path):
    rbm = RBM(3, n_epochs=1, seed=0).fit(_small_data())
    path = tmp_path / "rbm.npz"
    rbm.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match="rbm.npz"):
        RBM.load(path)
    with pytest.raises(CorruptFileError, match="missing.npz"):
        RBM.load(tmp_path / "missing.npz")


def test_inconsistent_file_raises(tmp_path):
    rbm = RBM(3, n_epochs=1, seed=0).fit(_small_data())
    path = tmp_path / "rbm.npz"
    rbm.save(path)
    arrays, meta = load_npz(path)
    bad = dict(arrays)
    bad["hidden_bias"] = np.zeros(4)
    save_npz(tmp_path / "shape.npz", meta=meta, **bad)
    with pytest.raises(CorruptFileError, match="shape.npz.*hidden_bias"):
        RBM.load(tmp_path / "shape.npz")
    bad = dict(arrays)
    bad["history__epoch"] = np.zeros(7)
    save_npz(tmp_path / "hist.npz", meta=meta, **bad)
    with pytest.raises(CorruptFileError, match="hist.npz.*history"):
        RBM.load(tmp_path / "hist.npz")
    save_npz(tmp_path / "other.npz", meta={"format": "something"}, **arrays)
    with pytest.raises(CorruptFileError, match="other.npz.*not an RBM"):
        RBM.load(tmp_path / "other.npz")
    bad_meta = {**meta, "params": {**meta["params"], "n_hidden": 5}}
    save_npz(tmp_path / "params.npz", meta=bad_meta, **arrays)
    with pytest.raises(CorruptFileError, match="params.npz"):
        RBM.load(tmp_path / "params.npz")


# ----------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw,exc,name",
    [
        (dict(n_hidden=0), ValueError, "n_hidden"),
        (dict(n_hidden=2.5), TypeError, "n_hidden"),
        (dict(k=0), ValueError, "k"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(n_epochs=-1), ValueError, "n_epochs"),
        (dict(learning_rate=0.0), ValueError, "learning_rate"),
        (dict(learning_rate=float("nan")), ValueError, "learning_rate"),
        (dict(lr_schedule="cosine"), ValueError, "lr_schedule"),
        (dict(lr_final_fraction=1.5), ValueError, "lr_final_fraction"),
        (dict(momentum=1.0), ValueError, "momentum"),
        (dict(weight_decay=-1e-3), ValueError, "weight_decay"),
        (dict(init_scale=0), ValueError, "init_scale"),
        (dict(visible_bias_init="mean"), ValueError, "visible_bias_init"),
        (dict(persistent="yes"), TypeError, "persistent"),
        (dict(n_chains=0), ValueError, "n_chains"),
        (dict(seed="abc"), TypeError, "seed"),
    ],
)
def test_parameter_validation(kw, exc, name):
    with pytest.raises(exc, match=name):
        RBM(**{"n_hidden": 3, "n_epochs": 1, **kw}).fit(_small_data())


@pytest.mark.parametrize(
    "X,msg",
    [
        (np.zeros(5), "2-D"),
        (np.zeros((0, 4)), "non-empty"),
        (np.full((3, 4), 2), "only 0 and 1"),
        (np.array([[0.0, np.nan]]), "non-finite"),
        (np.array([["a", "b"]]), "numeric"),
    ],
)
def test_data_validation(X, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        RBM(3, n_epochs=1).fit(X)


def test_data_dtypes_and_shape_checks():
    X = _small_data()
    ref = RBM(3, n_epochs=1, seed=0).fit(X).weights_
    for dt in (np.int64, np.float32, bool, np.int8):
        assert RBM(3, n_epochs=1, seed=0).fit(X.astype(dt)).weights_.tobytes() == ref.tobytes()
    rbm = RBM(3, n_epochs=1, seed=0).fit(X)
    with pytest.raises(ValueError, match="n_visible=16"):
        rbm.transform(X[:, :5])
    with pytest.raises(ValueError, match="X_val"):
        RBM(3, n_epochs=1).fit(X, X[:, :3])
    with pytest.raises(RuntimeError, match="not fitted"):
        RBM(3).free_energy(X)
    with pytest.raises(ValueError, match="gibbs_steps"):
        rbm.sample(3, -1)


def test_saved_files_of_two_fits_with_one_seed_are_byte_identical(tmp_path):
    # Nothing run-dependent (such as timings) may reach the file: the workflow promises
    # the same bytes for the same config and seed.
    X = _small_data()
    kw = dict(n_hidden=5, n_epochs=2, batch_size=16, seed=7)
    RBM(**kw).fit(X, X[:100]).save(tmp_path / "a.npz")
    RBM(**kw).fit(X, X[:100]).save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


# ----------------------------------------------------------------------------------------------
# mutation round 3 (docs/mutation_round3.md): the limits of the exact sum and the AIS path
# ----------------------------------------------------------------------------------------------
def test_exact_enumerates_a_layer_of_max_exact_units():
    """MAX_EXACT_UNITS = 20 hidden units are still enumerated (2**20 states, in chunks); one visible
    unit gives the closed form Z = Σ_x e^{a x} Π_m (1 + e^{c_m + x W_m})."""
    from rsmi.theta.partition import MAX_EXACT_UNITS

    assert MAX_EXACT_UNITS == 20
    W, a, c = random_params(1, 20, 0.3, 5)
    z = [a[0] * x + np.logaddexp(0.0, c + x * W[0]).sum() for x in (0.0, 1.0)]
    assert log_partition_exact(W, a, c, over="hidden") == pytest.approx(np.logaddexp(*z), rel=1e-12)


def test_ais_betas_are_three_pieces_with_a_third_of_the_points_each():
    np.testing.assert_allclose(ais_betas(9), [0, 1 / 6, 1 / 3, 0.5, 0.5 + 0.4 / 3, 0.5 + 0.8 / 3, 0.9, 0.95, 1.0],
                               rtol=1e-14)
    np.testing.assert_array_equal(ais_betas(4), [0.0, 0.5, 0.9, 1.0])


def test_ais_needs_two_runs():
    W, a, c = random_params(3, 2, 0.5, 0)
    with pytest.raises(ValueError, match="n_ais_runs"):
        log_partition_ais(W, a, c, n_runs=1, n_betas=10, seed=0)
    assert np.isfinite(log_partition_ais(W, a, c, n_runs=2, n_betas=10, seed=0)[1])


def test_ais_betas_end_at_one_for_every_accepted_length():
    """The path runs from 0 to exactly 1, increasing, for every accepted length (the smallest
    is 4: with 3 the last piece had the single point 0.9 and log Z was that of β = 0.9)."""
    for n in range(4, 40):
        betas = ais_betas(n)
        assert betas.size == n and betas[0] == 0.0 and betas[-1] == 1.0, n
        assert np.all(np.diff(betas) > 0), n
    with pytest.raises(ValueError, match=">= 4"):
        ais_betas(3)


# ----------------------------------------------------------------------------------------------
# mutation round 4 (docs/mutation_round4_network_rbm.md): defaults, counts and bounds of RBM
# ----------------------------------------------------------------------------------------------
def test_monitor_defaults_are_the_documented_ones():
    """Kill rbm.py:175 (default monitor_ais_runs 16 -> 17) and :178 (default monitor_max_samples
    2000 -> 2001): a default fit's held-out curve is, bit for bit, the one with 16 AIS runs and a
    2000-row held-out subset, and one more run or row changes it."""
    rng = np.random.default_rng(40)
    # both layers > MAX_EXACT_UNITS (20): the monitor's log Z comes from AIS
    X = (rng.random((30, 21)) < 0.5).astype(np.uint8)
    kw = dict(n_epochs=0, monitor_ais_betas=4, seed=3)
    curve = {runs: RBM(21, **kw, **({} if runs is None else {"monitor_ais_runs": runs})).fit(X, X[:8]).history_
             for runs in (None, 16, 17)}
    assert curve[None]["val_loglik_err"][0] > 0  # AIS, not the exact sum
    for key in ("val_loglik", "val_loglik_err"):
        assert curve[None][key].tobytes() == curve[16][key].tobytes()
        assert curve[None][key].tobytes() != curve[17][key].tobytes()
    Xs = (rng.random((2001, 4)) < 0.3).astype(np.uint8)
    ll = {m: RBM(2, **({} if m is None else {"monitor_max_samples": m}), n_epochs=0, seed=1).fit(Xs[:50], Xs)
          .history_["val_loglik"][0] for m in (None, 2000, 2001)}
    assert ll[None] == ll[2000] != ll[2001]


def test_monitor_pl_samples_must_be_positive():
    """Kills rbm.py:217 (monitor_pl_samples minimum 1 -> 0): 0 rows would make the training
    pseudo-log-likelihood the mean of nothing (NaN)."""
    with pytest.raises(ValueError, match="monitor_pl_samples"):
        RBM(3, n_epochs=1, monitor_pl_samples=0).fit(_small_data())
    assert RBM(3, n_epochs=0, monitor_pl_samples=1, seed=0).fit(_small_data()).history_["train_pseudo_loglik"].size == 1


def test_sample_counts_must_be_positive():
    """Kill rbm.py:460 (`n < 1` -> `n < 0`, 0 samples accepted) and :478 (thin minimum 1 -> 0,
    every record of a chain would be the same state)."""
    rbm = RBM.from_parameters(*random_params(4, 3, 0.5, 2))
    with pytest.raises(ValueError, match="n must be a positive integer"):
        rbm.sample(0, 1, seed=0)
    with pytest.raises(ValueError, match="thin"):
        rbm.sample_chains(2, 1, 3, 0, seed=0)
    assert rbm.sample(1, 0, seed=0).shape == (1, 4)
    assert rbm.sample_chains(2, 0, 3, 1, seed=0).shape == (6, 4)


def test_fit_seconds_lie_within_the_call():
    """Kills rbm.py:359 (`perf_counter() - t0` -> `+ t0`): fit_seconds_ sums parts of the fit, so it
    lies between 0 and the wall time of the call (a bound, not a speed requirement)."""
    import time

    t0 = time.perf_counter()
    rbm = RBM(3, n_epochs=2, seed=0).fit(_small_data())
    wall = time.perf_counter() - t0
    assert 0 < rbm.fit_seconds_ <= wall


def test_pseudo_log_likelihood_of_a_model_with_more_than_2_pow_22_weights():
    """Kills rbm.py:412 (`max(1, …)` -> `max(0, …)`): with |W| + 1 > 2^22 one row per chunk is
    still one row, not a zero step.  All-zero parameters: p(x_i | x_-i) = 1/2, so the pseudo-
    log-likelihood is −N_v log 2."""
    n = 2048  # 2048² + 1 > 2^22
    rbm = RBM.from_parameters(np.zeros((n, n)), np.zeros(n), np.zeros(n))
    pl = rbm.pseudo_log_likelihood(np.zeros((1, n), dtype=np.uint8))
    assert pl == pytest.approx([-n * math.log(2.0)], rel=1e-12)
