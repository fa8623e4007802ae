"""Exact I(H:E) on the Ising torus and the exact row sampler (rsmi.sampling.exact_mi).

The transfer-matrix results are checked against independent enumerations of tiny tori
(energies summed bond by bond, no transfer matrix), at several (T, L_V, L_B, L_E) and for a
deterministic and two stochastic codes; the sampler by a chi-square test against the exact
Boltzmann distribution, and the same test is shown to reject two deliberately broken samplers.
"""

import math

import numpy as np
import pytest

from rsmi.sampling.exact_mi import (
    mutual_information_rows,
    mutual_information_rows_bruteforce,
    row_regions,
    rows_to_index,
    sample_torus_rows,
    transfer_matrix,
)
from rsmi.sampling.ising import T_C
from rsmi.judge.stats import chi_square_test


def sign_code(v):
    """Sign of V's magnetisation; a tie (zero sum) takes the sign of V's first spin v[0, 0]."""
    m = v.reshape(len(v), -1).astype(np.int64).sum(axis=1)
    return np.where(m != 0, np.sign(m), v[:, 0, 0]).astype(np.int64)


def dirichlet_code(L, L_V, n_labels=3, seed=7):
    """A stochastic code with no symmetry at all: P(h|v) ~ Dirichlet(1) for every v."""
    return np.random.default_rng(seed).dirichlet(np.ones(n_labels), size=1 << (L * L_V))


def soft_sign_code(L, L_V, beta_h=0.7):
    """A Z2-symmetric stochastic code: P(h=+1 | v) = 1 / (1 + exp(−2 β_h m(v)))."""
    k = np.arange(1 << (L * L_V))[:, None]
    m = (2 * ((k >> np.arange(L * L_V)) & 1) - 1).sum(axis=1)
    p = 1.0 / (1.0 + np.exp(-2.0 * beta_h * m))
    return np.stack([1.0 - p, p], axis=1)


def torus_log_weights(L, M, T):
    """−βH of every configuration index c (bit r·L + i = site i of row r), bond by bond."""
    c = np.arange(1 << (L * M))[:, None]
    s = (2 * ((c >> np.arange(L * M)) & 1) - 1).reshape(-1, M, L)
    e = 0
    for r in range(M):
        for i in range(L):
            e = e + s[:, r, i] * (s[:, r, (i + 1) % L] + s[:, (r + 1) % M, i])
    return e / T


# ----------------------------------------------------------------------- conventions


def test_row_index_convention_and_transfer_matrix_entry():
    assert rows_to_index(np.array([[1, -1, 1]])) == 5  # k = 5 = 0b101 ↔ (+, −, +)
    assert rows_to_index(np.array([[-1, -1, -1], [1, -1, -1]])) == 8  # row 1 starts at bit L
    L, T = 3, 1.7
    a, b = np.array([1, -1, 1]), np.array([1, 1, -1])
    e_row = lambda s: sum(s[i] * s[(i + 1) % L] for i in range(L))  # noqa: E731
    want = math.exp((0.5 * e_row(a) + a @ b + 0.5 * e_row(b)) / T)
    Tm = transfer_matrix(L, T)
    assert Tm[5, 3] == pytest.approx(want, rel=1e-14)
    np.testing.assert_array_equal(Tm, Tm.T)


@pytest.mark.parametrize("L, M, T", [(3, 4, T_C), (2, 7, 1.3), (3, 5, 3.1)])
def test_trace_of_transfer_matrix_power_is_the_partition_function(L, M, T):
    Z = np.exp(torus_log_weights(L, M, T)).sum()
    assert np.trace(np.linalg.matrix_power(transfer_matrix(L, T), M)) == pytest.approx(Z, rel=1e-12)


def test_row_regions_cut_periodic_rows():
    M, L = 9, 2
    row_r = np.arange(M)[None, :, None] * np.array([1, -1])  # row r ↦ (r, −r)
    configs = np.broadcast_to(row_r, (3, M, L))
    V, E = row_regions(configs, L_V=2, L_B=1, L_E=2, start=7)
    assert V.shape == (3, 2, L) and E.shape == (3, 4, L)
    np.testing.assert_array_equal(V[0, :, 0], [7, 8])
    np.testing.assert_array_equal(E[0, :, 0], [4, 5, 1, 2])  # top band (buffer 6) | bottom (buffer 0)
    np.testing.assert_array_equal(E[2, :, 1], [-4, -5, -1, -2])
    V0, E0 = row_regions(configs, 1, 0, 1)
    np.testing.assert_array_equal(V0[0, :, 0], [0])
    np.testing.assert_array_equal(E0[0, :, 0], [8, 1])  # row M−1 on top, row 1 below
    with pytest.raises(ValueError, match="M >= L_V"):
        row_regions(configs, 2, 3, 1)


# ----------------------------------------------------------------------- I(H:E) vs brute force

CASES = [  # (L, M, T, L_V, L_B, L_E); the cases marked slow run in the slow suite
    (3, 6, T_C, 1, 0, 1),
    (3, 6, T_C, 1, 1, 1),
    (3, 6, 1.5, 2, 1, 1),   # no unobserved row: the E bands touch across the seam
    (2, 9, 4.0, 1, 3, 1),   # high T, wide buffer
    pytest.param(3, 6, T_C, 4, 0, 1, marks=pytest.mark.slow),
    (3, 6, T_C, 1, 0, 2),   # L_E = 2: the far rows of E must add nothing
    pytest.param(3, 6, 2.0, 2, 0, 2, marks=pytest.mark.slow),
    (2, 8, T_C, 2, 1, 2),   # even L: magnetisation ties occur
    pytest.param(2, 8, 1.2, 1, 2, 1, marks=pytest.mark.slow),
]


@pytest.mark.parametrize("L, M, T, L_V, L_B, L_E", CASES)
def test_exact_mi_matches_bruteforce(L, M, T, L_V, L_B, L_E):
    codes = [sign_code, dirichlet_code(L, L_V), soft_sign_code(L, L_V)]
    for code in codes:
        exact = mutual_information_rows(L, M, T, L_V, L_B, L_E, code)
        brute = mutual_information_rows_bruteforce(L, M, T, L_V, L_B, L_E, code)
        assert exact > 1e-7  # (2, 9, 4.0, …) has I ≈ 8e-7: a precision check
        assert exact == pytest.approx(brute, rel=1e-9, abs=1e-13)


def test_only_the_nearest_environment_rows_matter():
    """Brute force with L_E = 2 (E = 4 rows, 2^12 states) equals the exact L_E = 1 answer, while
    moving E one row further out (L_B + 1) does change it: E's inner rows carry all the information."""
    L, M, T = 3, 6, T_C
    for L_V in (1, 2):
        far = mutual_information_rows_bruteforce(L, M, T, L_V, 0, 2, sign_code)
        near = mutual_information_rows(L, M, T, L_V, 0, 1, sign_code)
        assert far == pytest.approx(near, rel=1e-10)
        assert mutual_information_rows(L, M, T, L_V, 1, 1, sign_code) < 0.9 * near


def test_array_code_is_indexed_like_the_callable():
    L, L_V = 2, 3
    k = np.arange(1 << (L * L_V))[:, None]
    v = (2 * ((k >> np.arange(L * L_V)) & 1) - 1).reshape(-1, L_V, L)
    # a code that looks only at row 2 site 1 (bit 5): its one-hot matrix must give the same I
    labels = v[:, 2, 1]
    P = np.stack([labels < 0, labels > 0], axis=1).astype(float)
    by_array = mutual_information_rows(L, 12, T_C, L_V, 1, 1, P)
    by_callable = mutual_information_rows(L, 12, T_C, L_V, 1, 1, lambda vv: vv[:, 2, 1].astype(int))
    assert by_array == pytest.approx(by_callable, rel=1e-13)
    shifted = mutual_information_rows(L, 12, T_C, L_V, 1, 1, lambda vv: vv[:, 1, 1].astype(int))
    assert abs(shifted - by_array) > 1e-3  # the middle row of V is further from E


def test_exact_mi_is_stable_for_long_tori_and_low_temperature():
    a = mutual_information_rows(6, 10_000, T_C, 1, 3, 1, sign_code)
    b = mutual_information_rows(6, 20_000, T_C, 1, 3, 1, sign_code)
    assert np.isfinite(a) and a == pytest.approx(b, rel=1e-9)
    cold = mutual_information_rows(4, 400, 0.3, 1, 1, 1, sign_code)
    assert cold == pytest.approx(math.log(2), rel=1e-6)  # ordered: H copies the global sign


def test_mi_validation():
    with pytest.raises(ValueError, match="M >= L_V"):
        mutual_information_rows(3, 4, T_C, 1, 1, 1, sign_code)
    with pytest.raises(ValueError, match="sum to 1"):
        mutual_information_rows(3, 6, T_C, 1, 0, 1, np.full((8, 2), 0.6))
    with pytest.raises(ValueError, match="shape"):
        mutual_information_rows(3, 6, T_C, 1, 0, 1, np.full((16, 2), 0.5))
    with pytest.raises(ValueError, match="integer labels"):
        mutual_information_rows(3, 6, T_C, 1, 0, 1, lambda v: v.sum(axis=(1, 2)) / 2.0)
    with pytest.raises(ValueError, match="temperature"):
        mutual_information_rows(3, 6, -1.0, 1, 0, 1, sign_code)
    with pytest.raises(ValueError, match="bits"):
        mutual_information_rows(9, 40, T_C, 2, 0, 1, sign_code)
    with pytest.raises(ValueError, match="brute force"):
        mutual_information_rows_bruteforce(4, 6, T_C, 1, 0, 1, sign_code)


# ----------------------------------------------------------------------- sampler


def _exact_probabilities(L, M, T):
    log_w = torus_log_weights(L, M, T)
    p = np.exp(log_w - log_w.max())
    return p / p.sum()


def _counts(configs, L, M):
    return np.bincount(rows_to_index(configs), minlength=1 << (L * M))


def broken_sampler(L, M, T, n, seed, variant):
    """Two wrong samplers for the same torus.

    "no-closure": P(s_{k+1} | s_k) ∝ T[s_k, s_{k+1}], i.e. the factor (T^(M−k−1))[s_{k+1}, s_0]
    replaced by 1 — the periodic closure and the rows still to come are ignored.  (Replacing
    T^(M−k−1) by the identity matrix instead would force every row to equal row 0: broken too,
    but so grossly that it would not show the test's power.)
    "open-chain": an exact sampler of the *open* chain of M rows (boundary vector T^(M−k−1)·1),
    correct except for the one missing bond between row M−1 and row 0.
    """
    rng = np.random.default_rng(seed)
    Tm = transfer_matrix(L, T)
    K = 1 << L
    ones = np.ones(K)
    right = [ones]
    for _ in range(M):
        right.append(Tm @ right[-1] / (Tm @ right[-1]).max())
    if variant == "no-closure":
        p0 = np.diag(np.linalg.matrix_power(Tm / Tm.max(), M))
    else:
        p0 = right[M - 1]
    rows = np.empty((n, M), dtype=np.int64)
    rows[:, 0] = rng.choice(K, size=n, p=p0 / p0.sum())
    for k in range(M - 1):
        w = Tm[rows[:, k]] * (ones if variant == "no-closure" else right[M - k - 2])[None, :]
        cdf = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
        rows[:, k + 1] = np.minimum((cdf < rng.random(n)[:, None]).sum(axis=1), K - 1)
    spins = (2 * ((np.arange(K)[:, None] >> np.arange(L)) & 1) - 1).astype(np.int8)
    return spins[rows]


@pytest.mark.parametrize("L, M, T, seed",
                         [(3, 4, T_C, 11), (2, 5, 1.4, 12), (3, 4, 3.5, 13), (3, 3, T_C, 14)])
def test_sampler_passes_chi_square_and_broken_samplers_fail(L, M, T, seed):
    n = 200_000
    probs = _exact_probabilities(L, M, T)
    configs = sample_torus_rows(L, M, T, n, seed=seed)
    assert configs.dtype == np.int8 and configs.shape == (n, M, L)
    _, dof, p_good = chi_square_test(_counts(configs, L, M), probs)
    assert dof > 100 and p_good > 1e-3
    # each row's own marginal (2^L bins: far more power against a wrong row-0 marginal)
    row_probs = probs.reshape((1 << L,) * M)  # axes: row M−1, …, row 0
    for r in range(M):
        p_r = row_probs.sum(axis=tuple(a for a in range(M) if a != M - 1 - r))
        counts_r = np.bincount(rows_to_index(configs[:, r:r + 1]), minlength=1 << L)
        assert chi_square_test(counts_r, p_r)[2] > 1e-4, r
    for variant in ("no-closure", "open-chain"):
        bad = broken_sampler(L, M, T, n, seed, variant)
        assert _counts(bad, L, M).sum() == n
        _, _, p_bad = chi_square_test(_counts(bad, L, M), probs)
        assert p_bad < 1e-8, variant


def test_sampler_is_deterministic():
    a = sample_torus_rows(4, 9, T_C, 3000, seed=5)
    c = sample_torus_rows(4, 9, T_C, 3000, seed=np.random.default_rng(5))
    assert a.tobytes() == c.tobytes()
    assert a.tobytes() != sample_torus_rows(4, 9, T_C, 3000, seed=6).tobytes()
    g = np.random.default_rng(1)
    first, second = (sample_torus_rows(3, 4, T_C, 10, seed=g) for _ in range(2))
    assert first.tobytes() != second.tobytes()  # a Generator is advanced, not copied


def test_sampler_is_stable_on_a_long_torus():
    """M = 200 rows of L = 6: λ_max^M ≈ e^1125 would overflow a double, yet the nearest-row
    correlation of the samples matches the exact one (M → ∞ limit) from the transfer matrix."""
    L, M, n = 6, 200, 4000
    configs = sample_torus_rows(L, M, T_C, n, seed=3)
    vals, vecs = np.linalg.eigh(transfer_matrix(L, T_C))  # corrections (λ1/λ0)^M are negligible
    s = (2 * ((np.arange(1 << L)[:, None] >> np.arange(L)) & 1) - 1)
    Tm = transfer_matrix(L, T_C)
    pair = Tm * np.outer(vecs[:, -1], vecs[:, -1]) / vals[-1]  # P(s_r = a, s_{r+1} = b)
    exact = np.sum(pair * (s @ s.T)) / L  # ⟨s_{r,i} s_{r+1,i}⟩
    measured = np.mean(configs[:, :-1].astype(np.int64) * configs[:, 1:])
    assert measured == pytest.approx(exact, abs=0.01)  # 4000·199·6 strongly correlated pairs


def test_sampler_validation():
    with pytest.raises(ValueError, match="n_samples"):
        sample_torus_rows(3, 4, T_C, 0, seed=1)
    with pytest.raises(ValueError, match="M"):
        sample_torus_rows(3, 1, T_C, 10, seed=1)
    with pytest.raises(ValueError, match="temperature"):
        sample_torus_rows(3, 4, 0.0, 10, seed=1)
    with pytest.raises(ValueError, match="too large"):
        sample_torus_rows(11, 4, T_C, 10, seed=1)
    with pytest.raises(ValueError, match="limit"):
        sample_torus_rows(9, 100, T_C, 10, seed=1)
    with pytest.raises(ValueError, match="non-negative"):
        sample_torus_rows(3, 4, T_C, 10, seed=-1)
    with pytest.raises(TypeError, match="seed"):
        sample_torus_rows(3, 4, T_C, 10, seed=None)


@pytest.mark.parametrize("L, M, T", [(2, 3, 1.0), (4, 9, T_C), (6, 20, T_C), (3, 7, 10.0)])
def test_row_kernel_matches_its_numpy_twin(L, M, T):
    """The numba chain draws exactly the rows of the NumPy reference, whatever its chunking."""
    from rsmi.sampling.exact_mi import _power_ladder, _rescaled, _rows_kernel, _rows_reference, transfer_matrix

    Tn = _rescaled(transfer_matrix(L, T))
    powers = _power_ladder(Tn, M)
    u = np.random.default_rng(L * M).random((500, M))
    u[:3] = np.array([0.0, 1.0 - 1e-16, 0.5])[:, None]  # the ends of [0, 1): first and last state with weight
    rows = np.empty(u.shape, dtype=np.int64)
    _rows_kernel(Tn, np.ascontiguousarray(powers.transpose(0, 2, 1)), np.diag(powers[M]).copy(), u, rows)
    for chunk in (500, 7):
        np.testing.assert_array_equal(rows, _rows_reference(Tn, powers, u, chunk=chunk))
    assert rows.min() >= 0 and rows.max() < 1 << L
