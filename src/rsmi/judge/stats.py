"""Generic statistics for Monte Carlo output: autocorrelation times, error bars, chi-square.

All functions are plain NumPy/SciPy and deterministic.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _sps

__all__ = [
    "autocorrelation",
    "integrated_autocorrelation_time",
    "mean_and_error",
    "chi_square_test",
    "fisher_combined_pvalue",
]


def _as_series(x, name: str = "x") -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"{name} must be a 1-d time series, got shape {x.shape}")
    if x.size < 2:
        raise ValueError(f"{name} needs at least 2 points, got {x.size}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains non-finite values")
    return x


def autocorrelation(x) -> np.ndarray:
    """Normalised autocorrelation ρ(t) = C(t)/C(0) for t = 0 … n-1, by FFT.

    C(t) = (1/n) Σ_{s=0}^{n-1-t} (x_s - x̄)(x_{s+t} - x̄)  (the biased estimator, which keeps
    the estimated spectrum non-negative). The series is zero-padded to a power of two ≥ 2n so
    the circular FFT correlation equals the linear one. A constant series gives ρ = (1, 0, …).
    """
    x = _as_series(x)
    n = x.size
    d = x - x.mean()
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(d, n=size)
    acov = np.fft.irfft(f * np.conjugate(f), n=size)[:n] / n
    if acov[0] <= 0.0:
        rho = np.zeros(n)
        rho[0] = 1.0
        return rho
    return acov / acov[0]


def integrated_autocorrelation_time(x, c: float = 5.0, *, return_window: bool = False):
    """Integrated autocorrelation time with Sokal's automatic window.

        τ_int(M) = 1/2 + Σ_{t=1}^{M} ρ(t),

    with ρ the normalised autocorrelation (:func:`autocorrelation`), and the window M the
    smallest M ≥ 1 with M ≥ c·τ_int(M) (Sokal 1997, "Monte Carlo methods in statistical
    mechanics", §3). With this convention independent samples have τ_int = 1/2, and the
    variance of the mean of n samples is Var(x)·2τ_int/n. If no window satisfies the condition
    (series too short, shorter than ~cτ), the largest window n-1 is used. A constant series
    returns 1/2. The statistical error of the estimate is about
    τ_int·sqrt(2(2M+1)/n) (Madras & Sokal 1988).

    Parameters
    ----------
    x : 1-d array of length ≥ 2
    c : float > 0, window factor (5 is Sokal's usual choice; larger for slowly decaying ρ).
    return_window : if True return (τ_int, M) instead of τ_int.
    """
    if isinstance(c, bool) or not isinstance(c, (int, float, np.integer, np.floating)):
        raise TypeError(f"c must be a positive real number, got {type(c).__name__}")
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"c must be a positive finite number, got {c}")
    rho = autocorrelation(x)
    taus = 0.5 + np.cumsum(rho[1:])  # taus[M-1] = τ_int(M)
    M = np.arange(1, rho.size)
    ok = M >= c * taus
    m = int(np.argmax(ok)) if ok.any() else rho.size - 2
    if return_window:
        return float(taus[m]), m + 1
    return float(taus[m])


def mean_and_error(x, c: float = 5.0) -> tuple[float, float, float]:
    """(mean, standard error, τ_int) of a correlated series: σ = sqrt(Var(x)·2τ_int/n).

    Var(x) is the sample variance with ddof=1.
    """
    x = _as_series(x)
    tau = integrated_autocorrelation_time(x, c)
    err = math.sqrt(max(x.var(ddof=1), 0.0) * 2.0 * tau / x.size)
    return float(x.mean()), err, tau


def chi_square_test(counts, probabilities, *, min_expected: float = 5.0) -> tuple[float, int, float]:
    """Pearson chi-square goodness-of-fit of observed counts against exact probabilities.

        χ² = Σ_k (O_k - n p_k)² / (n p_k),   dof = (number of bins) - 1,

    where n = Σ O_k. Bins whose expected count n·p_k is below ``min_expected`` are lumped
    together into one bin (dropped if even the lump stays below it, its probability then also
    removed from n), so the χ² approximation holds. Bins with p_k = 0 must have O_k = 0
    (otherwise the sampler produced an impossible state and p = 0 is returned).

    Returns (χ², dof, p-value).
    """
    counts = np.asarray(counts, dtype=np.float64)
    probs = np.asarray(probabilities, dtype=np.float64)
    if counts.shape != probs.shape or counts.ndim != 1:
        raise ValueError(f"counts and probabilities must be 1-d of equal length, got "
                         f"{counts.shape} and {probs.shape}")
    if np.any(counts < 0) or np.any(probs < 0):
        raise ValueError("counts and probabilities must be non-negative")
    if not np.isclose(probs.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"probabilities must sum to 1, got {probs.sum()!r}")
    if np.any(counts[probs == 0] > 0):
        return math.inf, 0, 0.0
    n = counts.sum()
    expected = n * probs
    big = expected >= min_expected
    obs = list(counts[big])
    exp = list(expected[big])
    if (~big).any() and expected[~big].sum() >= min_expected:
        obs.append(counts[~big].sum())
        exp.append(expected[~big].sum())
    obs = np.array(obs)
    exp = np.array(exp)
    # Rescale to the kept bins so Σ O = Σ E when a small lump was dropped.
    exp *= obs.sum() / exp.sum()
    dof = obs.size - 1
    if dof < 1:
        raise ValueError("fewer than two bins with enough expected counts; draw more samples")
    chi2 = float(np.sum((obs - exp) ** 2 / exp))
    return chi2, dof, float(_sps.chi2.sf(chi2, dof))


def fisher_combined_pvalue(pvalues) -> float:
    """Fisher's method: X = -2 Σ ln p_i ~ χ²(2k) under the null; returns P(χ²(2k) ≥ X)."""
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1 or p.size == 0 or np.any((p < 0) | (p > 1)):
        raise ValueError("pvalues must be a non-empty 1-d array of numbers in [0, 1]")
    if np.any(p == 0):
        return 0.0
    return float(_sps.chi2.sf(-2.0 * np.log(p).sum(), 2 * p.size))
