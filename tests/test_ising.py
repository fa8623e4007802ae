"""Tests of the Wolff Ising sampler (rsmi.sampling.ising) and its reference twin (rsmi.sampling.ising_reference).

Exactness is checked NetKet style: sampled histograms on tiny tori are chi-square tested
against exact Boltzmann probabilities from enumerating every state, p-values of independent
runs combined with Fisher's method. The energy per site at T_c on larger lattices is checked
against Kaufman's exact finite-size partition function, itself checked against enumeration.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rsmi.sampling import ising

from rsmi.sampling import ising_reference
from rsmi.sampling.ising import T_C, energy_per_site, magnetisation_per_site, sample_ising
from rsmi.sampling.ising_reference import (enumerate_states, exact_distribution, exact_energy_histogram,
                                  exact_magnetisation_moments, sample_ising_reference)
from rsmi.judge.stats import (chi_square_test, fisher_combined_pvalue, integrated_autocorrelation_time,
                        mean_and_error)

SAMPLERS = {"fast": sample_ising, "reference": sample_ising_reference}
# Every test that runs the plain reference twin (rsmi.sampling.ising_reference, numba-compiled on first
# use, ~10 s) is in the slow suite, which CI runs; the default run checks the fast sampler against
# exact enumerations.
STAT_SAMPLERS = ["fast", pytest.param("reference", marks=pytest.mark.slow)]

# Combined p-value below which a sampler is declared wrong. Seeds are fixed, so the test is
# deterministic; for a correct sampler the chance that a given seed set fails is 0.1%.
P_MIN = 1e-3


# ----------------------------------------------------------------------------------------------
# Kaufman's exact partition function of the finite periodic lattice


def kaufman_log_z(L: int, beta: float) -> float:
    """ln Z of the L×L periodic Ising model, J = 1 (Kaufman 1949; Ferdinand & Fisher 1969).

    Z = ½ (2 sinh 2K)^{L²/2} Σ_{i=1}^{4} Z_i, K = β, with
    Z_1 = Π_{r=0}^{L-1} 2 cosh(L γ_{2r+1}/2),  Z_2 = Π 2 sinh(L γ_{2r+1}/2),
    Z_3 = Π_{r=0}^{L-1} 2 cosh(L γ_{2r}/2),    Z_4 = Π 2 sinh(L γ_{2r}/2),
    cosh γ_l = cosh 2K coth 2K − cos(π l / L) (γ_l > 0), and γ_0 = 2K + ln tanh K, which is
    negative above T_c (then Z_4 < 0). Products are summed in logs with signs.
    """
    K = beta
    l = np.arange(2 * L)
    gamma = np.arccosh(math.cosh(2 * K) / math.tanh(2 * K) - np.cos(np.pi * l / L))
    gamma[0] = 2 * K + math.log(math.tanh(K))

    def log_prod(g, kind):
        a = L * g / 2
        if kind == "cosh":
            return float(np.sum(np.log(2 * np.cosh(a)))), 1.0
        sh = 2 * np.sinh(a)
        if np.any(sh == 0):
            return -math.inf, 0.0
        return float(np.sum(np.log(np.abs(sh)))), float(np.prod(np.sign(sh)))

    odd, even = gamma[1::2], gamma[0::2]
    terms = [log_prod(odd, "cosh"), log_prod(odd, "sinh"), log_prod(even, "cosh"), log_prod(even, "sinh")]
    top = max(t[0] for t in terms)
    total = sum(sign * math.exp(lg - top) for lg, sign in terms if sign != 0.0)
    return math.log(0.5) + (L * L / 2) * math.log(2 * math.sinh(2 * K)) + top + math.log(total)


def kaufman_energy_per_site(L: int, T: float, h: float = 1e-4) -> float:
    """u = -(1/L²) ∂ln Z/∂β by the five-point central difference (error O(h⁴))."""
    b = 1.0 / T
    f = lambda x: kaufman_log_z(L, x)  # noqa: E731
    d = (-f(b + 2 * h) + 8 * f(b + h) - 8 * f(b - h) + f(b - 2 * h)) / (12 * h)
    return -d / (L * L)


@pytest.mark.parametrize("L", [2, 3, 4])
@pytest.mark.parametrize("T", [1.0, 1.5, T_C, 3.5, 10.0])
def test_kaufman_closed_form_matches_enumeration(L, T):
    states = enumerate_states(L)
    E = energy_per_site(states) * L * L
    log_z = np.log(np.sum(np.exp(-(E - E.min()) / T))) - E.min() / T
    assert kaufman_log_z(L, 1 / T) == pytest.approx(log_z, rel=1e-12, abs=1e-12)
    p, e = exact_distribution(L, T)
    assert kaufman_energy_per_site(L, T) == pytest.approx(p @ e, abs=1e-9)


# ----------------------------------------------------------------------------------------------
# Enumeration and observables


def test_enumeration_and_observables():
    s = enumerate_states(3)
    assert s.shape == (512, 3, 3) and s.dtype == np.int8
    assert len({x.tobytes() for x in s}) == 512
    e = energy_per_site(s)
    assert e.min() == -2.0  # 18 bonds, all satisfied
    p, e2 = exact_distribution(3, T_C)
    assert p.sum() == pytest.approx(1.0) and np.array_equal(e, e2)
    # Spin-flip symmetry: state n and its complement have equal weight.
    assert np.allclose(p, p[::-1])
    levels, pe = exact_energy_histogram(4, 2.0)
    assert pe.sum() == pytest.approx(1.0) and levels[0] == -32
    with pytest.raises(ValueError, match="L must be 2, 3 or 4"):
        enumerate_states(5)


def test_observables_known_configurations():
    up = np.ones((4, 4), dtype=np.int8)
    chk = np.where(np.add.outer(np.arange(4), np.arange(4)) % 2 == 0, 1, -1).astype(np.int8)
    stripes = np.repeat(np.array([[1], [-1]], dtype=np.int8), [2, 2], axis=0) * np.ones((1, 4), np.int8)
    batch = np.stack([up, chk, -up, stripes])
    assert np.array_equal(energy_per_site(batch), [-2.0, 2.0, -2.0, -1.0])
    assert np.array_equal(magnetisation_per_site(batch), [1.0, 0.0, -1.0, 0.0])
    assert energy_per_site(up) == -2.0  # single configuration → scalar
    with pytest.raises(ValueError, match="shape"):
        energy_per_site(np.ones((3, 4)))


def test_critical_temperature():
    assert T_C == pytest.approx(2.269185314213022, rel=1e-15)
    assert math.sinh(2 / T_C) == pytest.approx(1.0, rel=1e-14)


# ----------------------------------------------------------------------------------------------
# Exactness: chi-square against exact Boltzmann weights


def _state_index(s: np.ndarray) -> np.ndarray:
    """Index of each state in enumerate_states order: bit `site` set where spin is +1."""
    bits = (s.reshape(s.shape[0], -1) > 0).astype(np.int64)
    return bits @ (1 << np.arange(bits.shape[1], dtype=np.int64))


def _chi_square_pvalue(samples: np.ndarray, L: int, T: float) -> float:
    p, _ = exact_distribution(L, T)
    if L == 3:
        # Full distribution over all 512 states.
        counts = np.bincount(_state_index(samples), minlength=p.size)
        return chi_square_test(counts, p)[2]
    # L = 4: the joint distribution of (E, M), the states' energy and magnetisation.
    states = enumerate_states(L)
    key = lambda s: (np.rint(energy_per_site(s) * L * L).astype(np.int64) + 64) * 64 + (  # noqa: E731
        magnetisation_per_site(s) * L * L).astype(np.int64) + 32
    keys, inv = np.unique(key(states), return_inverse=True)
    probs = np.bincount(inv, weights=p)
    pos = np.searchsorted(keys, key(samples))
    assert np.array_equal(keys[pos], key(samples))
    counts = np.bincount(pos, minlength=keys.size)
    return chi_square_test(counts, probs)[2]


def _combined_pvalue(sampler, L, T) -> float:
    """Fisher-combined p-value of the chi-square tests of four independent runs of `sampler`.

    gap = 5 sweep-equivalents decorrelates these tiny tori completely (residual correlation
    would inflate χ² and fail the test, never pass it); the slow test below uses the defaults.
    """
    return fisher_combined_pvalue([
        _chi_square_pvalue(sampler(L, T, 20_000, seed=np.random.SeedSequence([7, L, run]), gap=5), L, T)
        for run in range(4)])


@pytest.mark.parametrize("sampler", STAT_SAMPLERS)
@pytest.mark.parametrize("L,T", [(3, T_C), (3, 1.6), (4, T_C), (4, 3.5)])
def test_exact_boltzmann_distribution(sampler, L, T):
    assert _combined_pvalue(SAMPLERS[sampler], L, T) > P_MIN


def _wolff_twin(p_of_T):
    """sample_ising_reference with the bond probability p_of_T(T) instead of 1 − exp(−2/T):
    the reference's kernels, seeding and driver (rsmi.sampling.ising_reference), only p differs."""
    def runners(L, T, rng):
        p = p_of_T(T)
        seed = ising_reference._numba_seed(rng)
        seeded = [False]

        def seed_once():
            if not seeded[0]:
                ising_reference._seed_numba(seed)
                seeded[0] = True

        def updates(spins, n):
            seed_once()
            return int(ising_reference._reference_updates(spins.reshape(L, L), L, n, p))

        def chain(spins, n_burn, n_gap, out):
            seed_once()
            return ising_reference._reference_chain(spins.reshape(L, L), L, n_burn, n_gap, p,
                                                    out.reshape(out.shape[0], L, L))

        return updates, chain

    def sample(L, T, n_samples, *, seed, burn_in=None, gap=None):
        L, T, n_samples, rng, burn_in, gap = ising.check_sampler_args(L, T, n_samples, seed, burn_in, gap)
        return ising.run_sampler(L, T, n_samples, rng, burn_in, gap,
                                  make_runner=lambda L, T, rng: runners(L, T, rng)[0],
                                  chain=lambda L, T, rng: runners(L, T, rng)[1], progress=None, name="twin")

    return sample


@pytest.mark.slow  # runs the reference twin (its compilation alone ~10 s): slow suite
def test_wolff_twin_with_the_right_bond_probability_is_the_reference():
    """Control for the test below: with p_add = 1 − exp(−2β) the twin is the reference, byte for byte."""
    twin = _wolff_twin(ising.p_add)
    assert twin(5, T_C, 200, seed=3, gap=2).tobytes() == sample_ising_reference(5, T_C, 200, seed=3, gap=2).tobytes()


@pytest.mark.slow  # runs the reference twin (its compilation alone ~10 s): slow suite
@pytest.mark.parametrize("L,T", [(3, T_C), pytest.param(4, T_C, marks=pytest.mark.slow)])
@pytest.mark.parametrize("p_of_T", [
    lambda T: -math.expm1(-1.0 / T),  # 1 − exp(−β): samples at 2T, not T
    lambda T: -math.expm1(-1.8 / T),  # a 10 % weaker bond probability exponent: samples at T/0.9
], ids=["p=1-exp(-beta)", "p=1-exp(-1.8beta)"])
def test_chi_square_test_catches_a_broken_wolff_sampler(L, T, p_of_T):
    assert _combined_pvalue(_wolff_twin(p_of_T), L, T) < 1e-6


@pytest.mark.slow
@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize("T", [1.2, 2.0, T_C, 2.6, 5.0])
def test_exact_boltzmann_distribution_more_temperatures(sampler, T):
    pvals = [_chi_square_pvalue(SAMPLERS[sampler](4, T, 50_000, seed=np.random.SeedSequence([11, run])), 4, T)
             for run in range(4)]
    assert fisher_combined_pvalue(pvals) > P_MIN, pvals


# ----------------------------------------------------------------------------------------------
# Energy per site at T_c against Kaufman's exact finite-size value


def _check_energy(sampler, L, n, seed):
    s = sampler(L, T_C, n, seed=seed, gap=1)
    mean, err, tau = mean_and_error(energy_per_site(s))
    exact = kaufman_energy_per_site(L, T_C)
    assert tau < 5, tau  # the chain mixes: a few sweep-equivalents at most
    assert abs(mean - exact) < 4 * err, (mean, exact, err)
    # The error bar resolves the finite-size shift u(L) - u(∞) (≈ -0.039 at L = 16, -0.020 at
    # L = 32, u(∞) = -√2) by at least six standard errors, so the check means something.
    assert err < abs(exact + math.sqrt(2)) / 6, (err, exact)


@pytest.mark.parametrize("sampler", STAT_SAMPLERS)
def test_energy_at_tc_matches_kaufman_L16(sampler):
    _check_energy(SAMPLERS[sampler], 16, 20_000, 101)


@pytest.mark.slow
@pytest.mark.parametrize("L", [32, 48, 64])
def test_energy_at_tc_matches_kaufman_large(L):
    _check_energy(sample_ising, L, 40_000, 202 + L)


# ----------------------------------------------------------------------------------------------
# Fast kernel vs reference twin


@pytest.mark.slow  # runs the reference twin (its compilation alone ~10 s): slow suite
@pytest.mark.parametrize("L,T", [(8, T_C), (8, 2.0), (10, 3.0)])
def test_fast_and_reference_agree(L, T):
    a = sample_ising(L, T, 20_000, seed=1, gap=1)
    b = sample_ising_reference(L, T, 20_000, seed=2, gap=1)
    for f in (energy_per_site, lambda s: np.abs(magnetisation_per_site(s)),
              lambda s: magnetisation_per_site(s) ** 2):
        ma, ea, _ = mean_and_error(f(a))
        mb, eb, _ = mean_and_error(f(b))
        assert abs(ma - mb) < 4 * math.hypot(ea, eb), (ma, mb, ea, eb)


def _reference_updates_per_sweep(L, T, seed):
    """k of sample_ising_reference: the shared pilot chain driven by the reference's updates."""
    L, T, _, rng, _, _ = ising.check_sampler_args(L, T, 1, seed, None, None)
    return ising._pilot_updates_per_sweep(L, T, rng, ising_reference._reference_runner(L, T, rng))


@pytest.mark.slow  # runs the reference twin (its compilation alone ~10 s): slow suite
def test_units_agree_between_fast_and_reference():
    # Same schedule: the twins' pilot chains give the same updates per sweep up to noise, and
    # ⟨|C|⟩ = L²⟨m²⟩ for Wolff clusters, so on the 4×4 torus both give k = 1/⟨m²⟩ (exact).
    seeds = range(10)
    exact = exact_magnetisation_moments(4, T_C)
    for L in (4, 16):
        k_fast = np.array([ising.updates_per_sweep(L, T_C, seed=s) for s in seeds])
        k_ref = np.array([_reference_updates_per_sweep(L, T_C, s) for s in seeds])
        se = math.hypot(k_fast.std(ddof=1), k_ref.std(ddof=1)) / math.sqrt(len(seeds))
        assert abs(k_fast.mean() - k_ref.mean()) < 4 * se, (L, k_fast.mean(), k_ref.mean(), se)
        assert 1.0 < k_fast.mean() < 4.0
        if L == 4:
            for k in (k_fast, k_ref):
                assert abs(k.mean() - 1 / exact["m2"]) < 4 * k.std(ddof=1) / math.sqrt(len(seeds))


# ----------------------------------------------------------------------------------------------
# Default schedule: samples effectively independent at T_c


def _default_independence(L):
    s = sample_ising(L, T_C, 4000, seed=np.random.SeedSequence([31, L]))
    for x in (energy_per_site(s), np.abs(magnetisation_per_site(s))):
        tau, M = integrated_autocorrelation_time(x, return_window=True)
        # Independent samples have τ_int = 1/2; the estimate's standard error is
        # 0.5·sqrt(2(2M+1)/n) ≈ 0.03 here, so 0.65 is a ≥ 4σ margin, not a loose bound.
        assert tau < 0.65, (L, tau, M)


def test_default_schedule_gives_independent_samples_L32():
    _default_independence(32)


@pytest.mark.slow
@pytest.mark.parametrize("L", [48, 64, 128])
def test_default_schedule_gives_independent_samples(L):
    _default_independence(L)


def test_default_schedule_values():
    assert ising.default_schedule(32) == ising.default_schedule(128) == (ising.DEFAULT_BURN_IN, ising.DEFAULT_GAP)
    b, g = ising.default_schedule(512)
    assert b > ising.DEFAULT_BURN_IN and g > ising.DEFAULT_GAP


# ----------------------------------------------------------------------------------------------
# Output format, determinism, limits


@pytest.mark.parametrize("sampler", STAT_SAMPLERS)
def test_output_format_and_determinism(sampler):
    f = SAMPLERS[sampler]
    a = f(6, T_C, 50, seed=42)
    assert a.shape == (50, 6, 6) and a.dtype == np.int8
    assert set(np.unique(a)) <= {-1, 1}
    assert a.flags.c_contiguous
    assert f(6, T_C, 50, seed=42).tobytes() == a.tobytes()
    assert f(6, T_C, 50, seed=np.random.SeedSequence(42)).tobytes() == f(
        6, T_C, 50, seed=np.random.SeedSequence(42)).tobytes()
    assert f(6, T_C, 50, seed=np.random.default_rng(9)).tobytes() == f(
        6, T_C, 50, seed=np.random.default_rng(9)).tobytes()
    assert f(6, T_C, 50, seed=43).tobytes() != a.tobytes()
    # Consecutive samples are not copies of each other.
    assert len({x.tobytes() for x in a}) > 25


@pytest.mark.parametrize("sampler", STAT_SAMPLERS)
def test_chunking_does_not_change_output(sampler, monkeypatch):
    f = SAMPLERS[sampler]
    whole = f(8, 2.5, 40, seed=5, gap=2)
    calls = []
    monkeypatch.setattr(ising, "_CHUNK_SPIN_FLIPS", 8 * 8 * 2 * 3)  # 3 samples per chunk
    chunked = f(8, 2.5, 40, seed=5, gap=2, progress=lambda done, total: calls.append((done, total)))
    assert chunked.tobytes() == whole.tobytes()
    assert calls[-1] == (40, 40) and len(calls) == 14


def test_low_and_high_temperature_limits():
    cold = sample_ising(8, 0.8, 200, seed=1)
    assert np.all(np.abs(magnetisation_per_site(cold)) > 0.9)
    hot = sample_ising(16, 50.0, 200, seed=1)
    assert abs(energy_per_site(hot).mean()) < 0.1
    assert np.abs(magnetisation_per_site(hot)).mean() < 0.1


@pytest.mark.parametrize("L", [5, 12, 32])
def test_non_power_of_two_and_power_of_two_lattices(L):
    s = sample_ising(L, T_C, 5, seed=0)
    assert s.shape == (5, L, L)


# ----------------------------------------------------------------------------------------------
# Input validation


@pytest.mark.parametrize("sampler", STAT_SAMPLERS)
@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(L=1), ValueError, "L must be >= 2"),
    (dict(L=2.5), TypeError, "L must be an integer"),
    (dict(L=True), TypeError, "L must be an integer"),
    (dict(T=0.0), ValueError, "T must be a finite temperature > 0"),
    (dict(T=-1.0), ValueError, "T must be a finite temperature > 0"),
    (dict(T=float("nan")), ValueError, "T must be a finite"),
    (dict(T=float("inf")), ValueError, "T must be a finite"),
    (dict(T="2.0"), TypeError, "T must be a real number"),
    (dict(n_samples=0), ValueError, "n_samples must be >= 1"),
    (dict(n_samples=3.0), TypeError, "n_samples must be an integer"),
    (dict(burn_in=-1), ValueError, "burn_in must be >= 0"),
    (dict(burn_in=1.5), TypeError, "burn_in must be an integer"),
    (dict(gap=0), ValueError, "gap must be >= 1"),
    (dict(seed=None), TypeError, "seed is required"),
    (dict(seed=-3), ValueError, "seed must be a non-negative integer"),
    (dict(seed=1.5), TypeError, "seed must be an int"),
    (dict(seed="7"), TypeError, "seed must be an int"),
    (dict(seed=True), TypeError, "seed must be an int"),
])
def test_validation(sampler, kwargs, exc, match):
    args = dict(L=4, T=T_C, n_samples=2, seed=0)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        SAMPLERS[sampler](args.pop("L"), args.pop("T"), args.pop("n_samples"), **args)


def test_validation_accepts_numpy_scalars_and_progress_type():
    s = sample_ising(np.int64(4), np.float32(2.0), np.int32(3), seed=np.uint8(1), burn_in=np.int16(2))
    assert s.shape == (3, 4, 4)
    with pytest.raises(TypeError, match="progress must be callable"):
        sample_ising(4, T_C, 2, seed=0, progress=5)


def test_progress_is_logged(monkeypatch, caplog):
    monkeypatch.setattr(ising, "_CHUNK_SPIN_FLIPS", 8 * 8 * 3)  # one sample per chunk
    monkeypatch.setattr(ising, "_LOG_INTERVAL_S", 0.0)
    with caplog.at_level("INFO", logger="rsmi.sampling.ising"):
        sample_ising(8, T_C, 3, seed=0, gap=3)
    msgs = [r.getMessage() for r in caplog.records if r.name == "rsmi.sampling.ising"]
    assert any("1/3 samples" in m for m in msgs) and any("2/3 samples" in m for m in msgs)


@pytest.mark.parametrize("sampler", STAT_SAMPLERS)
def test_sign_of_magnetisation_decorrelated_below_tc(sampler):
    # Below T_c nearly every Wolff cluster is the whole lattice; without the random global
    # flip before storing, sign(m) of stored samples follows the update parity (τ_int ≈ 11).
    s = SAMPLERS[sampler](4, 1.2, 4000, seed=3)
    x = np.sign(magnetisation_per_site(s))
    assert integrated_autocorrelation_time(x) < 0.65
    assert abs(x.mean()) < 0.1


# ----------------------------------------------------------------------------------------------
# Mutation round 4 (docs/mutation_round4_samplers.md): kernel random-number bookkeeping, the
# documented default burn-in, p_add = 1 at very low T


_U64 = (1 << 64) - 1


def _xoshiro_advance(words, n):
    """The xoshiro256** state (s0, s1, s2, s3) after ``n`` steps, in plain Python integers."""
    s0, s1, s2, s3 = (int(w) for w in words[:4])
    for _ in range(n):
        t = (s1 << 17) & _U64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & _U64
    return [s0, s1, s2, s3]


@pytest.mark.parametrize("L,T", [(8, T_C), (6, 1.5), (5, 10.0)])
def test_wolff_kernel_draws_one_number_per_seed_and_per_bond_test(L, T):
    # The kernel (module docstring) draws one 64-bit number per seed site and one per neighbour
    # of every cluster site (4 per site, branch-free), and hands its state back: after u updates
    # that flipped F spins the state is the start state advanced by exactly u + 4F steps. The
    # chain adds one draw per stored sample (the global flip). L = 8 uses the bit masks, 6 and 5
    # the neighbour table.
    nbr, log2L = ising._geometry(L)
    assert (log2L >= 0) == (L == 8)
    thr = ising._threshold(T)
    state = ising.seed_words(np.random.default_rng(L))
    start = state.copy()
    spins = np.ones(L * L, dtype=np.int8)
    stack = np.empty(L * L, dtype=np.int32)
    flipped = int(ising._wolff_updates(spins, nbr, log2L, 7, thr, state, stack))
    assert flipped >= 7
    assert state.tolist() == _xoshiro_advance(start, 7 + 4 * flipped)
    start = state.copy()
    out = np.empty((3, L * L), dtype=np.int8)
    flipped = int(ising._wolff_chain(spins, nbr, log2L, thr, state, 5, 2, out))
    assert state.tolist() == _xoshiro_advance(start, 5 + 3 * 2 + 4 * flipped + 3)


def test_default_burn_in_and_gap_are_the_documented_ones():
    # 200 and 15 sweep-equivalents (docs/ising_autocorrelation.md); None means exactly these.
    assert (ising.DEFAULT_BURN_IN, ising.DEFAULT_GAP) == (200, 15)
    assert ising.default_schedule(512) == (math.ceil(200 * 4**0.6), math.ceil(15 * 4**0.6))
    a = sample_ising(4, T_C, 3, seed=11)
    b = sample_ising(4, T_C, 3, seed=11, burn_in=200, gap=15)
    assert a.tobytes() == b.tobytes()


def test_bond_probability_one_at_very_low_temperature():
    # Below T ≈ 0.0534, 1 - exp(-2/T) rounds to 1.0; the threshold saturates at 2⁶⁴ - 1 (not an
    # overflow), so every aligned bond is accepted and each update flips the whole lattice.
    assert ising.p_add(0.02) == 1.0
    assert int(ising._threshold(0.02)) == 2**64 - 1
    assert ising._threshold(0.02).dtype == np.uint64
    s = sample_ising(4, 0.02, 5, seed=0, burn_in=1, gap=1)
    assert np.all(np.abs(magnetisation_per_site(s)) == 1.0)
