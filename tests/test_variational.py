"""Tests of the variational (Barber–Agakov) estimator: gradients, bounds, determinism, learning."""

import itertools

import numpy as np
import pytest

from rsmi.coarse.variational import (
    _Adam,
    _adam_kernel,
    _adam_reference,
    _bound_numpy,
    bound_and_gradients,
    hidden_states,
    parameter_gradients,
    score_filter,
    train_variational,
    variational_bound,
)

CASES = [("softmax", "exact", 1), ("softmax", "exact", 3), ("factorised", "exact", 1),
         ("factorised", "exact", 3), ("factorised", "collision", 1), ("factorised", "collision", 3)]


def _width(critic, nh):
    return (1 << nh) if critic == "softmax" else nh


@pytest.mark.parametrize("critic,entropy,nh", CASES)
def test_parameter_gradients_match_finite_differences(critic, entropy, nh):
    rng = np.random.default_rng(11)
    n, n_v, n_e = 9, 5, 4
    Vc = rng.integers(0, 2, (n, n_v)).astype(float) - 0.5
    Ec = rng.integers(0, 2, (n, n_e)).astype(float) - 0.5
    params = [rng.normal(size=(n_v, nh)), rng.normal(size=nh), rng.normal(size=(n_e, _width(critic, nh))),
              rng.normal(size=_width(critic, nh))]
    _, grads = parameter_gradients(Vc, Ec, *params, critic=critic, entropy=entropy)
    eps = 1e-6
    for p, g in zip(params, grads):
        num = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            fp = parameter_gradients(Vc, Ec, *params, critic=critic, entropy=entropy)[0]
            p[i] = old - eps
            fm = parameter_gradients(Vc, Ec, *params, critic=critic, entropy=entropy)[0]
            p[i] = old
            num[i] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("critic,entropy,nh", CASES)
def test_bound_is_mean_of_per_sample_terms_and_entropy_pieces(critic, entropy, nh):
    rng = np.random.default_rng(3)
    s = rng.normal(size=(12, nh)) * 3
    u = rng.normal(size=(12, _width(critic, nh)))
    B, psi, _, _ = bound_and_gradients(s, u, critic=critic, entropy=entropy)
    assert B == pytest.approx(psi.mean(), abs=1e-12)
    # Slow twin: enumerate the states.
    states = hidden_states(nh)
    p = 1 / (1 + np.exp(-s))
    Q = np.prod(np.where(states[None] == 1, p[:, None, :], 1 - p[:, None, :]), axis=2)
    qbar = Q.mean(axis=0)
    H = -np.sum(qbar * np.log(qbar))
    if entropy == "collision":
        H2 = -np.log(np.sum(qbar**2))
        assert H2 <= H + 1e-12
        H = H2
    if critic == "softmax":
        logr = u - np.log(np.exp(u).sum(axis=1, keepdims=True))
    else:
        rho = 1 / (1 + np.exp(-u))
        logr = np.log(np.prod(np.where(states[None] == 1, rho[:, None, :], 1 - rho[:, None, :]), axis=2))
    assert B == pytest.approx(H + np.mean(np.sum(Q * logr, axis=1)), abs=1e-10)


@pytest.mark.parametrize("nh", [1, 2, 4, 6])
@pytest.mark.parametrize("scale", [0.5, 4.0, 900.0])  # 900: σ = 0/1 exactly, some q̄_h = 0
def test_softmax_exact_kernel_matches_numpy_twin(nh, scale):
    """The numba kernel of the default critic/entropy against :func:`_bound_numpy`: ψ, ∂B/∂s, ∂B/∂u."""
    rng = np.random.default_rng(nh * 7 + int(scale))
    n = 37
    s = scale * rng.normal(size=(n, nh))
    if scale > 100:
        s[:, 0] = np.abs(s[:, 0])  # unit 0 always on: every state with h_0 = 0 has q̄_h = 0
    u = 3.0 * rng.normal(size=(n, 1 << nh))
    B, psi, dS, dU = bound_and_gradients(s, u, critic="softmax", entropy="exact")
    Br, psir, dSr, dUr = _bound_numpy(s, u, critic="softmax", entropy="exact")
    assert np.all(np.isfinite(psi)) and np.all(np.isfinite(dS)) and np.all(np.isfinite(dU))
    np.testing.assert_allclose(psi, psir, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(dS, dSr, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(dU, dUr, rtol=1e-11, atol=1e-14)
    assert B == pytest.approx(Br, rel=1e-12, abs=1e-12)
    assert bound_and_gradients(s, u, critic="softmax", entropy="exact", need_grad=False)[2:] == (None, None)


def test_adam_kernel_matches_numpy_twin():
    rng = np.random.default_rng(5)
    p, g, m, v = rng.normal(size=40), rng.normal(size=40), rng.normal(size=40), rng.random(40)
    want = _adam_reference(p, g, m, v, 0.9, 0.999, 0.3, 0.01, 0.02, 1e-8)
    got = [p.copy(), g, m.copy(), v.copy()]
    _adam_kernel(*got, 0.9, 0.999, 0.3, 0.01, 0.02, 1e-8)
    for a, b in zip((got[0], got[2], got[3]), want):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    assert not np.allclose(got[0], p)
    opt = _Adam([(2, 3)])
    with pytest.raises(ValueError, match="C-contiguous"):
        opt.step([np.zeros((3, 2)).T], [np.ones((2, 3))], 0.1)


def _exact_dataset(seed, n_v=3, n_e=3, total=4000):
    """A sample whose empirical distribution is an exactly known joint p(v, e) (rows replicated)."""
    rng = np.random.default_rng(seed)
    vs = np.array(list(itertools.product([0, 1], repeat=n_v)))
    es = np.array(list(itertools.product([0, 1], repeat=n_e)))
    # Correlated joint: p(v, e) ∝ exp(J · v_0 e_0 + J · v_1 e_1 + random field).
    logits = 1.5 * (2 * vs[:, None, 0] - 1) * (2 * es[None, :, 0] - 1) + \
        1.0 * (2 * vs[:, None, 1] - 1) * (2 * es[None, :, 1] - 1) + 0.3 * rng.normal(size=(len(vs), len(es)))
    p = np.exp(logits)
    counts = np.floor(p / p.sum() * total).astype(int) + 1
    p = counts / counts.sum()
    V = np.repeat(np.repeat(vs[:, None, :], len(es), axis=1).reshape(-1, n_v), counts.ravel(), axis=0)
    E = np.repeat(np.repeat(es[None, :, :], len(vs), axis=0).reshape(-1, n_e), counts.ravel(), axis=0)
    return V, E, vs, es, p


def _mi(pxy):
    px = pxy.sum(axis=1, keepdims=True)
    py = pxy.sum(axis=0, keepdims=True)
    m = pxy > 0
    return float(np.sum(pxy[m] * np.log(pxy[m] / (px @ py)[m])))


def _exact_I_HE(w, b, vs, p):
    """I(H:E) of the stochastic code q(h|v) under the exact joint p(v, e)."""
    s = vs @ w + b
    states = hidden_states(w.shape[1])
    sig = 1 / (1 + np.exp(-s))
    q = np.prod(np.where(states[None] == 1, sig[:, None, :], 1 - sig[:, None, :]), axis=2)  # (n_v, K)
    return _mi(q.T @ p)  # p(h, e) = Σ_v q(h|v) p(v, e)


def _one_hot_e(E, es):
    idx = (E[:, None, :] == es[None, :, :]).all(axis=2).argmax(axis=1)
    return np.eye(len(es))[idx]


@pytest.mark.parametrize("nh", [1, 2])
def test_bound_below_exact_mutual_information(nh):
    V, E, vs, es, p = _exact_dataset(0)
    rng = np.random.default_rng(1)
    I_VE = _mi(p)
    for _ in range(4):
        w = 2 * rng.normal(size=(V.shape[1], nh))
        b = rng.normal(size=nh)
        I = _exact_I_HE(w, b, vs, p)
        assert I <= I_VE + 1e-12
        # The sample is the distribution, so train = test is a population statement.
        B, _ = score_filter(w, b, V, E, V, E, l2=0.0)
        assert B <= I + 1e-9
        # With e one-hot encoded the softmax critic can represent any r(h|e): the bound is tight.
        Eoh = _one_hot_e(E, es)
        B_full, _ = score_filter(w, b, V, Eoh, V, Eoh, l2=0.0, max_iter=5000)
        assert B <= B_full + 1e-6
        assert B_full <= I + 1e-9
        assert B_full == pytest.approx(I, abs=2e-4)


def test_trained_bound_below_exact_mutual_information():
    V, E, vs, es, p = _exact_dataset(2)
    # V has 3 sites, not a square block: pad it with a constant site to a 2×2 block.
    V4 = np.column_stack([V, np.zeros(len(V), dtype=V.dtype)])
    res = train_variational(V4, E, 1, n_epochs=30, batch_size=64, learning_rate=0.05, l2=0.0, seed=0)
    w = res.weight_matrix[:3]
    I = _exact_I_HE(w, res.biases, vs, p)
    assert np.all(res.history[1:] <= _mi(p) + 1e-9)
    assert res.history[-1] <= I + 1e-9
    assert res.history[-1] > 0.5 * I > 0


def _copy_task(seed, n=6000, flip=0.1):
    """v: 4 fair bits; e: a noisy copy of v_0 (flip prob `flip`) and 5 independent bits."""
    rng = np.random.default_rng(seed)
    V = rng.integers(0, 2, (n, 4)).astype(np.uint8)
    E = rng.integers(0, 2, (n, 6)).astype(np.uint8)
    E[:, 0] = V[:, 0] ^ (rng.random(n) < flip)
    return V, E


def test_training_finds_the_informative_site():
    V, E = _copy_task(0)
    Vv, Ev = _copy_task(1)
    res = train_variational(V, E, 1, n_epochs=40, batch_size=128, learning_rate=0.05, l2=1e-4,
                            V_val=Vv, E_val=Ev, seed=0)
    w = np.abs(res.weight_matrix[:, 0])
    assert w[0] > 10 * w[1:].max()
    I_true = np.log(2) + 0.1 * np.log(0.1) + 0.9 * np.log(0.9)
    assert res.val_history[-1] <= I_true + 3 * 0.01
    assert res.val_history[-1] > 0.8 * I_true
    assert res.history[-1] > res.history[0]
    assert res.snapshots.shape == (2, 2, 2, 1)
    assert res.extra["critic_weights"].shape == (6, 2)
    # The stored critic acts on raw e and reproduces val_history.
    B, _ = variational_bound(res.weights, res.biases, res.extra["critic_weights"],
                             res.extra["critic_biases"], Vv, Ev)
    assert B == pytest.approx(res.val_history[-1], abs=1e-10)


@pytest.mark.parametrize("kw", [dict(), dict(optimizer="momentum", critic="factorised"),
                                dict(critic="factorised", entropy="collision", n_hidden=2)])
def test_same_seed_same_bytes(kw, tmp_path):
    V, E = _copy_task(3, n=800)
    kw = dict(kw)
    nh = kw.pop("n_hidden", 1)
    a = train_variational(V, E, nh, n_epochs=3, batch_size=100, seed=7, snapshot_epochs=[0, 1, 3], **kw)
    b = train_variational(V, E, nh, n_epochs=3, batch_size=100, seed=7, snapshot_epochs=[0, 1, 3], **kw)
    c = train_variational(V, E, nh, n_epochs=3, batch_size=100, seed=8, snapshot_epochs=[0, 1, 3], **kw)
    a.save(tmp_path / "a.npz")
    b.save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    assert not np.array_equal(a.weights, c.weights)


def test_eval_every_thins_the_history_and_leaves_the_weights(tmp_path):
    """The full-set evaluation draws no random numbers: the same weights, snapshots and critic;
    the history agrees at epochs 0, 2, 4 and the last (5), and is NaN in between."""
    V, E = _copy_task(3, n=600)
    kw = dict(n_epochs=5, batch_size=100, seed=3, snapshot_epochs=[0, 1, 5], V_val=V[:100], E_val=E[:100])
    every = train_variational(V, E, 1, **kw)
    thin = train_variational(V, E, 1, eval_every=2, **kw)
    assert np.array_equal(every.weights, thin.weights) and np.array_equal(every.biases, thin.biases)
    assert np.array_equal(every.snapshots, thin.snapshots)
    assert all(np.array_equal(every.extra[k], thin.extra[k]) for k in every.extra)
    kept = [0, 2, 4, 5]
    for h in ("history", "history_err", "val_history"):
        a, b = getattr(every, h), getattr(thin, h)
        np.testing.assert_array_equal(b[kept], a[kept])
        assert np.isnan(np.delete(b, kept)).all() and np.isfinite(a).all()


def test_trivial_filter_scores_zero():
    V, E = _copy_task(4, n=2000)
    B, se = score_filter(np.zeros((4, 1)), np.zeros(1), V[:1000], E[:1000], V[1000:], E[1000:])
    assert abs(B) < 1e-9 and se < 1e-9


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(n_hidden=0), "n_hidden"),
        (dict(critic="mlp"), "critic"),
        (dict(entropy="renyi"), "entropy"),
        (dict(optimizer="sgd"), "optimizer"),
        (dict(n_hidden=9, critic="softmax"), "softmax"),
        (dict(n_hidden=15, entropy="exact"), "exact"),
        (dict(learning_rate=0.0), "learning_rate"),
        (dict(l2=-1.0), "l2"),
        (dict(batch_size=0), "batch_size"),
        (dict(snapshot_epochs=[3, 1]), "snapshot_epochs"),
        (dict(snapshot_epochs=[0, 99]), "snapshot_epochs"),
        (dict(V_val=np.zeros((5, 4))), "V_val"),
        (dict(lr_schedule="step"), "lr_schedule"),
        (dict(block_shape=(2, 3)), "block_shape"),
        (dict(eval_every=0), "eval_every"),
        (dict(eval_every=1.5), "eval_every"),
    ],
)
def test_validation_errors(kw, match):
    V, E = _copy_task(5, n=50)
    kw = dict(kw)
    nh = kw.pop("n_hidden", 1)
    with pytest.raises(ValueError, match=match):
        train_variational(V, E, nh, n_epochs=2, **kw)


def test_shape_errors():
    V, E = _copy_task(5, n=50)
    with pytest.raises(ValueError, match="same number of samples"):
        train_variational(V, E[:10], 1, n_epochs=1)
    with pytest.raises(ValueError, match="square"):
        train_variational(V[:, :3], E, 1, n_epochs=1)
    with pytest.raises(ValueError, match="biases"):
        score_filter(np.zeros((4, 1)), np.zeros(2), V, E, V, E)
    with pytest.raises(ValueError, match="sites"):
        score_filter(np.zeros((4, 1)), np.zeros(1), V, E, V, E[:, :3])


# Mutation round 3 (docs/mutation_round3.md): the optimiser steps, the penalty, the schedule, the
# defaults and the progress log, each against its formula.


@pytest.mark.parametrize("optimizer, lr_schedule", [("momentum", "constant"), ("momentum", "cosine"),
                                                    ("adam", "constant")])
def test_first_step_ascends_the_penalised_bound(optimizer, lr_schedule):
    """One full-batch epoch moves λ by one optimiser step on g = ∂B/∂λ − l2·λ (centred data, critic
    at zero): lr·g for momentum (μ·0 + g), lr·g/(|g| + ε) for Adam (bias-corrected first step);
    the cosine schedule starts at the full rate."""
    V, E = _copy_task(4, n=200)
    lr, l2 = 0.05, 0.5
    res = train_variational(V, E, 1, n_epochs=1, batch_size=200, learning_rate=lr, optimizer=optimizer,
                            lr_schedule=lr_schedule, l2=l2, init_scale=0.3, snapshot_epochs=[0, 1], seed=3)
    lam0 = res.snapshots[0].reshape(4, 1)
    Vc, Ec = V - V.mean(axis=0), E - E.mean(axis=0)
    _, (g_lam, _, _, _) = parameter_gradients(Vc, Ec, lam0, np.zeros(1), np.zeros((6, 2)), np.zeros(2),
                                              critic="softmax", entropy="exact")
    g = g_lam - l2 * lam0
    want = lr * g if optimizer == "momentum" else lr * g / (np.abs(g) + 1e-8)
    np.testing.assert_allclose(res.snapshots[1].reshape(4, 1) - lam0, want, rtol=1e-9, atol=1e-15)


def test_adam_and_momentum_steps_by_hand():
    """Two steps of each optimiser against the textbook recursions (Kingma & Ba's Adam with
    β = (0.9, 0.999), ε = 1e-8; heavy ball m ← 0.9 m + g), as ascent."""
    from rsmi.coarse.variational import _Adam, _Momentum

    g1, g2, lr = np.array([1.0, -2.0, 0.0]), np.array([3.0, 0.5, -1.0]), 0.1
    p = [np.array([0.0, 1.0, 2.0])]
    adam = _Adam([(3,)])
    adam.step(p, [g1.copy()], lr)
    adam.step(p, [g2.copy()], lr)
    x, m, v = np.array([0.0, 1.0, 2.0]), np.zeros(3), np.zeros(3)
    for t, g in ((1, g1), (2, g2)):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        x = x + lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(p[0], x, rtol=1e-12)
    p = [np.array([0.0, 1.0, 2.0])]
    mom = _Momentum([(3,)])
    mom.step(p, [g1.copy()], lr)
    mom.step(p, [g2.copy()], lr)
    np.testing.assert_allclose(p[0], [0.0, 1.0, 2.0] + lr * g1 + lr * (0.9 * g1 + g2), rtol=1e-12)


def test_progress_is_logged_every_log_every_epochs(caplog):
    """One info line at every log_every-th epoch (not at epoch 0)."""
    import logging

    V, E = _copy_task(6, n=100)
    log = logging.getLogger("test_variational.progress")
    with caplog.at_level(logging.INFO, logger="test_variational.progress"):
        train_variational(V, E, 1, n_epochs=4, batch_size=100, seed=0, logger_=log, log_every=2)
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["epoch 2/4", "epoch 4/4"]


def test_default_penalty_is_recorded():
    """Defaults l2 = 1e-4 and l2_critic = l2, as documented, and recorded in the metadata."""
    V, E = _copy_task(6, n=100)
    meta = train_variational(V, E, 1, n_epochs=0, seed=0).meta
    assert (meta["l2"], meta["l2_critic"]) == (1e-4, 1e-4)
    assert train_variational(V, E, 1, n_epochs=0, l2=0.3, seed=0).meta["l2_critic"] == 0.3
