"""The MI estimator against an exact answer: the critical Ising torus with row regions (docs/method.md §5b).

Setting (as :mod:`rsmi.sampling.exact_mi`): an L × M torus at temperature T, V one full row, a buffer of
L_B rows on each side, E the next row on each side (2L spins).  The coarse-graining is the sign
of V's magnetisation, a tie taking the sign of V's first spin; :func:`sign_filter` is a filter
whose hard code is exactly that rule (for even L), so :func:`rsmi.coarse.mi.estimate_mi` scores it as
the pipeline scores every filter.  The exact I(H:E) comes from the transfer matrix
(:func:`rsmi.sampling.exact_mi.mutual_information_rows`); the data from the exact row sampler
(:func:`rsmi.sampling.exact_mi.sample_torus_rows`), fresh configurations for every L_B, so the estimates
at different L_B are independent.  The torus is translation invariant along the rows: every row
window (V at row 0 … M−1, every ``window_stride``-th) has the same exact I, and a configuration's
windows form one group of the estimator's split and cluster-robust SE.

Δ_σ from the decay.  At criticality on a ring of L sites the spin correlation decays along the
torus as exp(−2π Δ_σ r / L), and I(H:E) of a sign code as its square, so

    ln I(L_B) ≈ c − (4π Δ_σ / L) · L_B,   Δ_σ = −slope · L / (4π)      (large L_B),

fitted by (weighted) least squares over a range of L_B where ln I is straight
(:func:`fit_delta_sigma`; the range choice is in docs/torus_estimators.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from rsmi.sampling.exact_mi import mutual_information_rows, row_regions, sample_torus_rows
from rsmi.coarse.mi import estimate_mi, hard_codes
from rsmi.judge.thresholds import TH_TORUS_CHI2_P, TH_TORUS_DELTA, TH_TORUS_REL

__all__ = ["sign_code", "sign_filter", "torus_windows", "fit_delta_sigma", "estimates_vs_exact", "torus_fit",
           "criteria_rows", "part_code", "part_filter", "multibit_estimates_vs_exact", "multibit_criteria_rows"]

DELTA_SIGMA = 0.125  # the Ising spin's scaling dimension


def sign_code(v: np.ndarray) -> np.ndarray:
    """h = sign(Σ v) of ±1 spins (n, …); a tie (Σ v = 0) takes the sign of the first spin."""
    v = np.asarray(v)
    flat = v.reshape(len(v), -1).astype(np.int64)
    m = flat.sum(axis=1)
    return np.where(m != 0, np.sign(m), flat[:, 0]).astype(np.int64)


def sign_filter(L: int) -> tuple[np.ndarray, np.ndarray]:
    """λ = 1 + 0.5·δ_{i0} on one row of L sites, b = 0, shape (L, 1), (1,).

    On ±1 spins s(v) = Σ v + 0.5 v_0; for even L, Σ v is even, so 1[s > 0] = [sign_code(v) = +1]."""
    if not isinstance(L, (int, np.integer)) or isinstance(L, bool) or L < 2 or L % 2:
        raise ValueError(f"L must be an even integer >= 2 (the sign code's filter needs it), got {L!r}")
    w = np.ones((L, 1))
    w[0, 0] += 0.5
    return w, np.zeros(1)


def torus_windows(configs: np.ndarray, L_B: int, window_stride: int = 1):
    """Row windows (L_V = L_E = 1) of every configuration, V at rows 0, s, 2s, … (s = window_stride).

    Returns V (n·k, L), E (n·k, 2L) as ±1 spins and groups (n·k,) = configuration index."""
    n, M, L = configs.shape
    starts = range(0, M, window_stride)
    parts = [row_regions(configs, 1, L_B, 1, start) for start in starts]
    V = np.concatenate([p[0] for p in parts]).reshape(-1, L)
    E = np.concatenate([p[1] for p in parts]).reshape(-1, 2 * L)
    return V, E, np.tile(np.arange(n), len(parts))


def _line(x: np.ndarray, y: np.ndarray, w: np.ndarray | None):
    """(intercept, slope), the slope's SE and χ²/dof of y ≈ a + b·x (weights w; None: unweighted, SE NaN)."""
    X = np.stack([np.ones_like(x), x], axis=1)
    if w is None:
        beta = np.linalg.lstsq(X, y, rcond=None)[0]
        return beta, math.nan, math.nan
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    beta = cov @ (X.T @ (w * y))
    dof = x.size - 2
    chi2 = float(np.sum(w * (y - X @ beta) ** 2)) / dof if dof > 0 else math.nan
    return beta, math.sqrt(cov[1, 1]), chi2


def fit_delta_sigma(L: int, L_B: Sequence[int], I: Sequence[float], se: Sequence[float] | None = None,
                    *, intercept: bool = False):
    """Δ_σ = −slope·L/(4π) of ln I against L_B; returns (Δ, SE, χ²/dof), and ln I's fitted value at
    L_B = 0 last when ``intercept``.

    With ``se``: weighted least squares, var(ln I) = (se/I)², SE and χ² from the weights.
    Without: ordinary least squares (for the exact curve), SE and χ² NaN."""
    x = np.asarray(L_B, dtype=np.float64)
    I = np.asarray(I, dtype=np.float64)
    if x.ndim != 1 or x.shape != I.shape or x.size < 2 or np.unique(x).size < 2:
        raise ValueError("need at least two distinct L_B with one I each")
    if np.any(~np.isfinite(I)) or np.any(I <= 0):
        raise ValueError(f"ln I needs every I > 0, got {I.tolist()}")
    k = -L / (4 * math.pi)
    w = None if se is None else (I / np.asarray(se, dtype=np.float64)) ** 2
    beta, slope_se, chi2 = _line(x, np.log(I), w)
    out = (float(k * beta[1]), float(abs(k) * slope_se), chi2)
    return (*out, float(beta[0])) if intercept else out


def estimates_vs_exact(L: int, M: int, T: float, buffers: Sequence[int], n_configs: int, *, seed,
                       window_stride: int = 1, log=None) -> list[dict[str, Any]]:
    """For each L_B: the exact I(H:E) of the sign code and :func:`rsmi.coarse.mi.estimate_mi` of
    :func:`sign_filter` on ``n_configs`` fresh exact torus configurations (seeded by
    SeedSequence([entropy of ``seed``, L, L_B])).  One dict per L_B: L, M, L_B, exact, mi, stderr,
    n_configs, n_windows."""
    w, b = sign_filter(L)
    base = np.random.SeedSequence(seed).entropy if not isinstance(seed, np.random.SeedSequence) else seed.entropy
    rows = []
    for L_B in buffers:
        ss = np.random.SeedSequence([base, L, L_B])
        configs = sample_torus_rows(L, M, T, n_configs, seed=np.random.default_rng(ss))
        V, E, groups = torus_windows(configs, L_B, window_stride)
        # the filter's hard code is the exact code's rule on every window (even L)
        if not np.array_equal(hard_codes(w, b, V), (sign_code(V) > 0).astype(np.int64)):
            raise AssertionError("the sign filter's codes differ from the exact code's rule")
        exact = mutual_information_rows(L, M, T, 1, L_B, 1, sign_code)
        est = estimate_mi(w, b, V, E, seed=np.random.default_rng(ss.spawn(1)[0]), groups=groups)
        rows.append(dict(L=L, M=M, L_B=int(L_B), exact=float(exact), mi=est["mi"], stderr=est["stderr"],
                         n_configs=n_configs, n_windows=int(V.shape[0])))
        if log is not None:
            log.info("L_B=%d: exact %.5f, estimate %.5f ± %.5f (%d windows)", L_B, exact, est["mi"],
                     est["stderr"], V.shape[0])
    return rows


def torus_fit(rows: Sequence[dict[str, Any]], fit_from: int) -> dict[str, float]:
    """Δ_σ over L_B ≥ fit_from: of the estimates (weighted), of the exact curve (ordinary least
    squares, and weighted with the estimates' relative errors: ln I is curved, so the weights
    alone move the slope; that is the estimates' fair reference)."""
    sel = [r for r in rows if r["L_B"] >= fit_from]
    if len(sel) < 3:
        raise ValueError(f"the fit over L_B >= {fit_from} needs at least 3 buffer widths, got {len(sel)}")
    sizes = {int(r["L"]) for r in sel}
    if len(sizes) != 1:
        raise ValueError(f"the fit needs rows of one ring length L, got L = {sorted(sizes)}")
    L = sizes.pop()
    x = np.array([r["L_B"] for r in sel], dtype=np.float64)
    ex, mi, se = (np.array([r[k] for r in sel], dtype=np.float64) for k in ("exact", "mi", "stderr"))
    d_est, d_est_se, chi2, intercept = fit_delta_sigma(L, x, mi, se, intercept=True)
    return dict(L=L, fit_from=int(fit_from), fit_to=int(x.max()), delta_estimate=d_est, delta_estimate_se=d_est_se,
                chi2_dof=chi2, intercept=intercept, delta_exact=fit_delta_sigma(L, x, ex)[0],
                delta_exact_weighted=fit_delta_sigma(L, x, ex, se / mi * ex)[0])


def criteria_rows(rows: Sequence[dict[str, Any]], fit: dict[str, float], run: str = "exact_torus") -> list[dict[str, Any]]:
    """Rows (figure ``torus``, rsmi.judge.tables) on :func:`estimates_vs_exact` and :func:`torus_fit`.

    Claims (gate the workflow):

    - ``mi_vs_exact_chi2_p``: the p-value of χ² = Σ_LB ((Î − I)/SE)² with one degree of freedom per
      L_B is ≥ 0.01: the estimates agree with the exact curve within their stated errors, jointly;
    - ``mi_vs_exact_mean_rel_dev``: the inverse-variance weighted mean of (Î − I)/I is within
      ±5 % by the 2·SE rule (no systematic bias beyond 5 %);
    - ``delta_sigma_exact``: |Δ_σ(exact curve, least squares) − 1/8| ≤ 0.01 (the geometry and
      range measure Δ_σ);
    - ``delta_sigma_estimate``: |Δ_σ(estimates, weighted) − 1/8| ≤ 0.01 by the 2·SE rule. On the
      default torus (6 × 96, L_B 4–12) the exact curve with the estimates' weights sits 0.0045
      below 1/8 (I is not yet ∝ the squared correlation), so the claim needs SE ≲ 0.0018:
      docs/torus_estimators.md, "The default geometry".

    Reported with their verdicts, not gating: ``mi_vs_exact_LB<k>`` = |Î − I| / max(0.05·I, 2·SE)
    ≤ 1 per L_B (issue 13's per-point target: with 9 points at a 2·SE tolerance one fails by
    chance in about a third of seeds, which the joint χ² accounts for); ``delta_sigma_vs_exact_curve``
    = |Δ_σ(estimates) − Δ_σ(exact, same weights)| ≤ 0.01 by the 2·SE rule.
    """
    from scipy.stats import chi2

    from rsmi.judge.tables import row

    out = []
    z2, rel, w = [], [], []
    for r in rows:
        tol = max(TH_TORUS_REL * r["exact"], 2 * r["stderr"])
        out.append(row(run, "torus", f"mi_vs_exact_LB{r['L_B']}", abs(r["mi"] - r["exact"]) / tol, "<=", 1.0,
                       gate=False,
                       note=f"L={r['L']}, M={r['M']}, L_B={r['L_B']}: estimate {r['mi']:.5f} ± {r['stderr']:.5f} vs "
                            f"exact {r['exact']:.5f} nats; |Î − I| / max(5% of I, 2·SE); reported (the joint χ² gates)"))
        z2.append(((r["mi"] - r["exact"]) / r["stderr"]) ** 2)
        rel.append((r["mi"] - r["exact"]) / r["exact"])
        w.append((r["exact"] / r["stderr"]) ** 2)
    chi = float(np.sum(z2))
    out.append(row(run, "torus", "mi_vs_exact_chi2_p", float(chi2.sf(chi, len(z2))), ">=", TH_TORUS_CHI2_P,
                   note=f"χ² = Σ ((Î − I)/SE)² = {chi:.2f} over {len(z2)} buffer widths"))
    w = np.asarray(w)
    mean_rel = float(np.sum(w * np.asarray(rel)) / w.sum())
    out.append(row(run, "torus", "mi_vs_exact_mean_rel_dev", abs(mean_rel), "<=", TH_TORUS_REL, se=float(1 / math.sqrt(w.sum())),
                   note=f"|weighted mean of (Î − I)/I| ({mean_rel:+.4f}; weights (I/SE)²)"))
    span = f"L_B {fit['fit_from']}–{fit['fit_to']}, L={fit['L']}"
    out.append(row(run, "torus", "delta_sigma_exact", abs(fit["delta_exact"] - DELTA_SIGMA), "<=", TH_TORUS_DELTA,
                   note=f"{span}: Δ_σ of the exact curve (least squares) {fit['delta_exact']:.4f} vs 1/8"))
    diff = fit["delta_estimate"] - fit["delta_exact_weighted"]
    out.append(row(run, "torus", "delta_sigma_vs_exact_curve", abs(diff), "<=", TH_TORUS_DELTA, se=fit["delta_estimate_se"],
                   gate=False,
                   note=f"{span}: Δ_σ of the estimates {fit['delta_estimate']:.4f} ± {fit['delta_estimate_se']:.4f} "
                        f"(χ²/dof {fit['chi2_dof']:.2f}) vs the exact curve with the same weights "
                        f"{fit['delta_exact_weighted']:.4f}; reported"))
    out.append(row(run, "torus", "delta_sigma_estimate", abs(fit["delta_estimate"] - DELTA_SIGMA), "<=", TH_TORUS_DELTA,
                   se=fit["delta_estimate_se"],
                   note=f"{span}: |Δ_σ(estimates) − 1/8|, Δ_σ = {fit['delta_estimate']:.4f} ± "
                        f"{fit['delta_estimate_se']:.4f} (the exact curve itself gives {fit['delta_exact']:.4f} here)"))
    return out


# --------------------------------------------------------------------------------------------
# Multi-bit codes (issue 25): the signs of the parts of the row

#: Names of the part codes of an L = 8 row by their number of bits.
PART_NAMES = {1: "row sign", 2: "halves", 4: "quarters", 8: "single spins"}


def part_code(v: np.ndarray, n_parts: int) -> np.ndarray:
    """Class index Σ_j h_j 2^j of the part code: the row (n, …, L) cut into ``n_parts`` equal parts
    of p = L/n_parts consecutive sites, h_j = [Σ_{i∈part j} v_i > 0], a tie taking the sign of the
    part's first spin (n_parts = 1: [sign_code(v) = +1]; n_parts = L: the spins themselves)."""
    flat = np.asarray(v).reshape(len(v), -1).astype(np.int64)
    L = flat.shape[1]
    if not isinstance(n_parts, (int, np.integer)) or n_parts < 1 or L % n_parts:
        raise ValueError(f"n_parts must divide the row length {L}, got {n_parts!r}")
    p = L // n_parts
    blocks = flat.reshape(len(flat), n_parts, p)
    m = blocks.sum(axis=2)
    bits = np.where(m != 0, m > 0, blocks[:, :, 0] > 0).astype(np.int64)
    return (bits << np.arange(n_parts, dtype=np.int64)).sum(axis=1)


def part_filter(L: int, n_parts: int) -> tuple[np.ndarray, np.ndarray]:
    """Filter (L, n_parts), b = 0 whose hard code is :func:`part_code`: λ_ij = 1 on part j plus 0.5 on
    its first site, so s_j(v) = Σ_{i∈j} v_i + 0.5 v_first; with an even part length p the sum is even
    and 1[s_j > 0] is the part's sign with ties to the first spin; with p = 1 it is [v_i = +1]."""
    if not isinstance(L, (int, np.integer)) or not isinstance(n_parts, (int, np.integer)) or n_parts < 1 or L % n_parts:
        raise ValueError(f"n_parts must divide L, got L={L!r}, n_parts={n_parts!r}")
    p = L // n_parts
    if p > 1 and p % 2:
        raise ValueError(f"parts of odd length {p} > 1 have no tie rule in this filter")
    w = np.zeros((L, n_parts))
    for j in range(n_parts):
        w[j * p:(j + 1) * p, j] = 1.0
        w[j * p, j] += 0.5
    return w, np.zeros(n_parts)


def multibit_estimates_vs_exact(L: int, M: int, T: float, buffers: Sequence[int], bits: Sequence[int], n_configs: int,
                                *, seed, window_stride: int = 1, log=None) -> list[dict[str, Any]]:
    """Exact I(H:E) and :func:`rsmi.coarse.mi.estimate_mi` (``model="auto"``, as the workflow scores codes)
    of the part codes with ``bits`` parts of one row, per L_B.

    Same geometry as :func:`estimates_vs_exact` (L_V = L_E = 1); for each L_B one set of fresh
    exact configurations (SeedSequence([entropy of ``seed``, L, L_B, 25])) serves every code, each
    code with its own split seed. The exact value is :func:`rsmi.sampling.exact_mi.mutual_information_rows`
    of :func:`part_code`. One dict per (L_B, bits): L, M, L_B, bits, code, exact, mi, stderr, H,
    n_configs, n_windows."""
    base = np.random.SeedSequence(seed).entropy if not isinstance(seed, np.random.SeedSequence) else seed.entropy
    rows = []
    for L_B in buffers:
        ss = np.random.SeedSequence([base, L, L_B, 25])
        configs = sample_torus_rows(L, M, T, n_configs, seed=np.random.default_rng(ss))
        V, E, groups = torus_windows(configs, L_B, window_stride)
        for n_bits, child in zip(bits, ss.spawn(len(bits))):
            w, b = part_filter(L, n_bits)
            if not np.array_equal(hard_codes(w, b, V), part_code(V, n_bits)):
                raise AssertionError("the part filter's codes differ from the exact code's rule")
            exact = mutual_information_rows(L, M, T, 1, L_B, 1, lambda v, k=n_bits: part_code(v, k))
            est = estimate_mi(w, b, V, E, seed=np.random.default_rng(child), groups=groups)
            rows.append(dict(L=L, M=M, L_B=int(L_B), bits=int(n_bits), code=PART_NAMES.get(int(n_bits), f"{n_bits} parts"),
                             exact=float(exact), mi=est["mi"], stderr=est["stderr"], H=est["H"],
                             n_configs=n_configs, n_windows=int(V.shape[0])))
            if log is not None:
                log.info("L_B=%d, %d bits: exact %.5f, estimate %.5f ± %.5f (%d windows)", L_B, n_bits, exact,
                         est["mi"], est["stderr"], V.shape[0])
    return rows


def multibit_criteria_rows(rows: Sequence[dict[str, Any]], run: str = "exact_torus") -> list[dict[str, Any]]:
    """Claims (figure ``torus``) on :func:`multibit_estimates_vs_exact`, one per code and L_B:

    ``mi_vs_exact_bits<k>_LB<b>`` = |Î − I| / max(0.05·I, 2·SE) ≤ 1 (issue 25: every multi-bit
    estimate within max(5 %, 2·SE) of the exact I(H:E); the tolerance holds the estimate's error,
    so the comparison is exact, se 0)."""
    from rsmi.judge.tables import row

    out = []
    for r in rows:
        tol = max(TH_TORUS_REL * r["exact"], 2 * r["stderr"])
        out.append(row(run, "torus", f"mi_vs_exact_bits{r['bits']}_LB{r['L_B']}", abs(r["mi"] - r["exact"]) / tol, "<=", 1.0,
                       note=f"L={r['L']}, M={r['M']}, L_B={r['L_B']}, {r['code']} ({r['bits']} bits, {r['n_windows']} windows): "
                            f"estimate {r['mi']:.5f} ± {r['stderr']:.5f} vs exact {r['exact']:.5f} nats "
                            f"({(r['mi'] - r['exact']) / r['exact']:+.1%}); |Î − I| / max(5% of I, 2·SE)"))
    return out
