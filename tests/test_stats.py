"""Tests of rsmi.judge.stats: autocorrelation times against AR(1) processes, chi-square helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from rsmi.judge.stats import (autocorrelation, chi_square_test, fisher_combined_pvalue,
                        integrated_autocorrelation_time, mean_and_error)


def ar1(rho: float, n: int, seed: int) -> np.ndarray:
    """x_t = ρ x_{t-1} + sqrt(1-ρ²) ξ_t, started in its stationary law N(0, 1)."""
    rng = np.random.default_rng(seed)
    xi = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = xi[0]
    s = math.sqrt(1 - rho * rho)
    for t in range(1, n):
        x[t] = rho * x[t - 1] + s * xi[t]
    return x


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.8, 0.95])
def test_tau_int_of_ar1(rho):
    n = 200_000
    x = ar1(rho, n, seed=int(rho * 100))
    exact = (1 + rho) / (2 * (1 - rho))
    tau, M = integrated_autocorrelation_time(x, return_window=True)
    # Madras–Sokal standard error plus the truncation bias ρ^(M+1)/(1-ρ) of the window.
    err = exact * math.sqrt(2 * (2 * M + 1) / n)
    bias = rho ** (M + 1) / (1 - rho)
    assert abs(tau - exact) < 4 * err + bias, (tau, exact, err, bias)
    assert M >= 5 * tau


def test_tau_int_detects_correlation_and_window_factor():
    x = ar1(0.9, 100_000, seed=1)
    assert integrated_autocorrelation_time(x) > 5  # exact 9.5, nowhere near 1/2
    # A bigger window factor sums more lags: for positive ρ(t) τ grows (weakly) with c.
    assert integrated_autocorrelation_time(x, c=10) >= integrated_autocorrelation_time(x, c=3) - 0.5


def test_autocorrelation_matches_direct_sum():
    x = ar1(0.7, 500, seed=3)
    d = x - x.mean()
    direct = np.array([np.dot(d[: x.size - t], d[t:]) for t in range(x.size)]) / x.size
    assert np.allclose(autocorrelation(x), direct / direct[0], atol=1e-12)


def test_constant_and_short_series():
    assert integrated_autocorrelation_time(np.ones(100)) == 0.5
    rho = autocorrelation(np.full(10, 3.0))
    assert rho[0] == 1 and not rho[1:].any()
    # Alternating series: ρ(1) = -1 ... the window still terminates.
    tau = integrated_autocorrelation_time(np.tile([1.0, -1.0], 50))
    assert math.isfinite(tau)


@pytest.mark.parametrize("bad,exc", [(np.ones((3, 3)), ValueError), (np.ones(1), ValueError),
                                     (np.array([1.0, np.nan, 2.0]), ValueError)])
def test_series_validation(bad, exc):
    with pytest.raises(exc):
        integrated_autocorrelation_time(bad)


@pytest.mark.parametrize("c,exc", [(0.0, ValueError), (-1, ValueError), (float("inf"), ValueError),
                                   ("5", TypeError), (True, TypeError)])
def test_window_factor_validation(c, exc):
    with pytest.raises(exc, match="c must be"):
        integrated_autocorrelation_time(np.arange(10.0), c=c)


def test_mean_and_error_covers_truth():
    # 50 AR(1) chains of mean 0: the τ-corrected error bar covers 0 about as often as a normal
    # 2σ interval should (95%); the naive error (τ = 1/2) would cover far less often.
    hits = naive_hits = 0
    for k in range(50):
        x = ar1(0.9, 20_000, seed=100 + k)
        m, err, tau = mean_and_error(x)
        hits += abs(m) < 2 * err
        naive_hits += abs(m) < 2 * x.std(ddof=1) / math.sqrt(x.size)
    assert hits >= 42  # binomial(50, 0.95): P(< 42) ≈ 1e-3
    assert naive_hits < 30


def test_chi_square_uniform_pvalues_and_power():
    rng = np.random.default_rng(0)
    p = np.array([0.5, 0.2, 0.15, 0.1, 0.05, 1e-4, 0.0])
    p = p / p.sum()
    pv = np.array([chi_square_test(rng.multinomial(2000, p), p)[2] for _ in range(400)])
    # Under the null the p-values are uniform.
    assert sps.kstest(pv, "uniform").pvalue > 1e-3
    q = p.copy()
    q[0] -= 0.03
    q[1] += 0.03
    assert chi_square_test(rng.multinomial(20_000, q), p)[2] < 1e-6


def test_chi_square_lumping_and_impossible_states():
    p = np.array([0.6, 0.39, 0.005, 0.005])
    chi2, dof, pval = chi_square_test(np.array([60, 39, 1, 0]), p)
    assert dof == 1  # 0.5 + 0.5 expected < 5: the two small bins are lumped and then dropped
    assert chi_square_test(np.array([50, 49, 1]), np.array([0.5, 0.5, 0.0]))[2] == 0.0
    with pytest.raises(ValueError, match="sum to 1"):
        chi_square_test(np.array([1, 2]), np.array([0.5, 0.6]))
    with pytest.raises(ValueError, match="equal length"):
        chi_square_test(np.array([1, 2, 3]), np.array([0.5, 0.5]))


def test_fisher_combined_pvalue():
    assert fisher_combined_pvalue([1.0, 1.0]) == pytest.approx(1.0)
    assert fisher_combined_pvalue([0.5]) == pytest.approx(0.5)
    assert fisher_combined_pvalue([0.01, 0.01, 0.01]) < 1e-3
    assert fisher_combined_pvalue([0.0, 0.9]) == 0.0
    with pytest.raises(ValueError):
        fisher_combined_pvalue([1.5])


def test_two_dimensional_series_is_refused_by_name():
    with pytest.raises(ValueError, match="1-d time series"):
        integrated_autocorrelation_time(np.ones((3, 3)))


def test_autocorrelation_of_an_anticorrelated_series_matches_direct_sum():
    """ρ(1) < 0: the series is not mistaken for a constant one."""
    x = ar1(-0.5, 500, seed=4)
    d = x - x.mean()
    direct = np.array([np.dot(d[: x.size - t], d[t:]) for t in range(x.size)]) / x.size
    assert np.allclose(autocorrelation(x), direct / direct[0], atol=1e-12)


@pytest.mark.parametrize("c", [0.5, 1.0])
def test_small_window_factors_are_accepted(c):
    tau = integrated_autocorrelation_time(ar1(0.5, 10_000, seed=5), c=c)
    assert 0.5 <= tau < 3.0


def test_chi_square_lumping_threshold_and_rescaling():
    # Expected counts exactly at min_expected (5) stay separate bins: dof 3.
    assert chi_square_test([20, 10, 5, 5], [0.5, 0.25, 0.125, 0.125])[1] == 3
    # A dropped lump (expected 0.5 + 0.5 < 5): the kept bins' expected counts are rescaled to
    # Σ O = 98, i.e. E = (60, 39) · 98/99; χ² = Σ (O − E)²/E.
    e = np.array([60.0, 39.0]) * 98 / 99
    chi2, dof, _ = chi_square_test([60, 38, 2, 0], [0.6, 0.39, 0.005, 0.005])
    assert dof == 1 and chi2 == pytest.approx(float(np.sum((np.array([60, 38]) - e) ** 2 / e)), rel=1e-12)


def test_chi_square_needs_two_bins():
    with pytest.raises(ValueError, match="fewer than two bins"):
        chi_square_test([10, 0], [0.99, 0.01])
