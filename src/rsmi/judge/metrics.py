"""The figure criteria of docs/method.md §6 as numbers.

Every criterion is a small function of the learned filter (and, where the criterion is about
what the filter computes on data, of data blocks) that returns plain floats/bools.
:func:`criteria_rows` turns a run into tidy rows for ``results/metrics.csv`` (schema, the 2·SE
verdict rule, claims and findings: :mod:`rsmi.judge.tables`).  Numbers that are exact functions of a
run's weights (sign shares, ratios of |λ|, code counts, noise shares) have SE 0; numbers
measured on held-out blocks (R²(E), canonical correlations) carry a delete-one-group jackknife
SE over 10 groups of blocks; Fig. 5's rise carries the SE of the A_Λ history it is read from.

Conventions. Filters are λ with shape ``(L_V, L_V, N_h)`` acting on row-major flattened blocks
``v ∈ {0,1}^{L_V²}`` (Ising: ``v = (s+1)/2``; dimers: the fat array of docs/method.md §1), the
pre-activation of hidden unit j is ``s_j(v) = Σ_i v_i λ_ij + b_j`` and its most likely state is
``1[s_j(v) > 0]``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from rsmi.registry import CRITERIA_GROUPS, FIG5_SNAPSHOT_EPOCHS, criteria_groups
from rsmi.judge.tables import row
from rsmi.judge.thresholds import (TH_2A_RATIO, TH_4_CANCORR, TH_4_NOISE_LINK, TH_4_R2, TH_5_SPREAD,
                                   TH_5_TAIL_FRACTION, TH_6_NOISE_SHARE, TH_MI_REL_SE, TH_MI_Z)
from rsmi.utils.validation import as_columns, block_filters, square_block

__all__ = [
    "NOISE_KINDS",
    "LINK_KINDS",
    "one_sign",
    "max_min_ratio",
    "block_states",
    "hidden_codes",
    "distinct_codes",
    "dominance",
    "boundary_mask",
    "boundary_bulk_ratio",
    "noise_link_ratio",
    "noise_weight_share",
    "preactivations",
    "field_r2",
    "canonical_correlations",
    "plateau_stats",
    "snapshots_present",
    "criteria_rows",
    "meeting_runs",
    "figure4_verdict",
    "exact_measure_rows",
    "mi_rows",
]


#: Site-kind codes of the fat dimer encoding (docs/method.md §1), as returned by
#: :func:`rsmi.sampling.dimers.fat_site_kinds`.
NOISE_KINDS = (0, 1)  # vertex noise bit, face noise bit
LINK_KINDS = (2, 3)  # link along axis 1, link along axis 0


# --------------------------------------------------------------------------------------------
# input handling


def _block_filters(weights: Any, L: int, name: str = "weights") -> np.ndarray:
    """λ as ``(L, L, N_h)`` for a block of side L known from context.

    Accepts ``(L, L)`` (one filter), ``(L, L, N_h)``, or an RBM-style ``(L², N_h)`` matrix acting
    on row-major flattened blocks.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 2 and w.shape != (L, L):
        if w.shape[0] != L * L:
            raise ValueError(f"{name} must have shape ({L}, {L}[, N_h]) or ({L * L}, N_h), got {w.shape}")
        w = w.reshape(L, L, w.shape[1])
    w = block_filters(w, name=name)
    if w.shape[0] != L:
        raise ValueError(f"{name} is for a {w.shape[0]}x{w.shape[0]} block, expected {L}x{L}")
    return w


def _blocks(V: Any, L: int, name: str = "V") -> np.ndarray:
    """Data blocks as ``(n, L²)`` float64 (accepts ``(n, L, L)``)."""
    V = np.asarray(V)
    if V.ndim == 3:
        V = V.reshape(V.shape[0], -1)
    if V.ndim != 2 or V.shape[1] != L * L:
        raise ValueError(f"{name} must have shape (n, {L * L}) or (n, {L}, {L}), got {V.shape}")
    if V.shape[0] < 3:
        raise ValueError(f"{name} needs at least 3 samples for a regression, got {V.shape[0]}")
    return V.astype(np.float64)


# The fat dimer geometry (site kinds, block field) belongs to ``rsmi.sampling.dimers``; it is imported
# where needed so that the Ising criteria do not pull in the dimer sampler.


def _fat_site_kinds(n: int) -> np.ndarray:
    from rsmi.sampling.dimers import fat_site_kinds

    return fat_site_kinds(n)


def _block_field(blocks: np.ndarray) -> np.ndarray:
    from rsmi.sampling.dimers import block_field

    return block_field(blocks)


# --------------------------------------------------------------------------------------------
# Fig. 2A: Kadanoff block spin


def one_sign(weights: Any) -> bool:
    """True iff every λ_i of the (single) filter is nonzero and all share one sign."""
    w = block_filters(weights)
    if w.shape[2] != 1:
        raise ValueError(f"one_sign takes a single filter, got N_h = {w.shape[2]}")
    return bool(np.all(w > 0) or np.all(w < 0))


def max_min_ratio(weights: Any) -> float:
    """``max_i |λ_i| / min_i |λ_i|`` of a single filter (∞ if some λ_i = 0)."""
    w = np.abs(block_filters(weights))
    if w.shape[2] != 1:
        raise ValueError(f"max_min_ratio takes a single filter, got N_h = {w.shape[2]}")
    lo = float(w.min())
    return math.inf if lo == 0.0 else float(w.max()) / lo


# --------------------------------------------------------------------------------------------
# Fig. 2B: can the block be read back from the most likely code?


def block_states(n_sites: int) -> np.ndarray:
    """All ``2^n_sites`` binary block states as a ``(2^n, n)`` uint8 array (row-major sites)."""
    if not isinstance(n_sites, (int, np.integer)) or not 1 <= n_sites <= 20:
        raise ValueError(f"n_sites must be an integer in [1, 20] to enumerate, got {n_sites!r}")
    return np.array(list(itertools.product((0, 1), repeat=int(n_sites))), dtype=np.uint8)


def hidden_codes(weights: Any, biases: Any, V: Any) -> np.ndarray:
    """Most likely hidden state ``argmax_h q_Λ(h|v) = 1[s_j(v) > 0]`` per block: ``(n, N_h)`` uint8."""
    S = preactivations(weights, biases, V, min_samples=1)
    return (S > 0).astype(np.uint8)


def distinct_codes(weights: Any, biases: Any) -> int:
    """Number of distinct most likely codes ``1[s(v) > 0]`` over all ``2^{L_V²}`` block states.

    Equals ``2^{L_V²}`` iff the block can be read back from the code (the map v ↦ h is injective).
    """
    w = block_filters(weights)
    V = block_states(w.shape[0] ** 2)
    codes = hidden_codes(w, biases, V)
    return int(np.unique(codes, axis=0).shape[0])


def dominance(weights: Any) -> np.ndarray:
    """Per hidden unit j: ``max_i |λ_ij| / Σ_i |λ_ij|`` (1 = one site only; 1/L_V² = uniform)."""
    w = block_filters(weights)
    a = np.abs(w).reshape(-1, w.shape[2])
    tot = a.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, a.max(axis=0) / np.where(tot > 0, tot, 1.0), np.nan)


# --------------------------------------------------------------------------------------------
# Fig. 2C-E: boundary coupling


def boundary_mask(L_V: int) -> np.ndarray:
    """``(L_V, L_V)`` bool: sites with a nearest neighbour outside the block (the outer ring)."""
    if not isinstance(L_V, (int, np.integer)) or L_V < 1:
        raise ValueError(f"L_V must be a positive integer, got {L_V!r}")
    r = np.arange(L_V)
    edge = (r == 0) | (r == L_V - 1)
    return edge[:, None] | edge[None, :]


def boundary_bulk_ratio(weights: Any) -> float:
    """``mean_{boundary}|λ̂| / mean_{bulk}|λ̂|`` pooled over hidden units, ``λ̂_j = λ_j / max|λ_j|``.

    Each filter is normalised by its own max|λ| so that every hidden unit weighs equally; for
    N_h = 1 this is the plain ratio of mean |λ|. NaN if the block has no bulk (L_V ≤ 2) or the
    filters vanish on the bulk and the boundary alike.
    """
    w = block_filters(weights)
    m = boundary_mask(w.shape[0])
    if m.all():
        return math.nan
    top = np.abs(w).max(axis=(0, 1))
    a = np.abs(w) / np.where(top > 0, top, 1.0)
    b, k = float(a[m].mean()), float(a[~m].mean())
    if k == 0.0:
        return math.inf if b > 0 else math.nan
    return b / k


# --------------------------------------------------------------------------------------------
# Fig. 4 and 6: dimer filters


def _kind_masks(kinds: Any, L: int) -> tuple[np.ndarray, np.ndarray]:
    kinds = np.asarray(kinds)
    if kinds.shape != (L, L):
        raise ValueError(f"kinds must have the block's shape ({L}, {L}), got {kinds.shape}")
    noise = np.isin(kinds, NOISE_KINDS)
    link = np.isin(kinds, LINK_KINDS)
    if not (noise | link).all():
        raise ValueError(f"kinds must hold the codes 0-3 of fat_site_kinds, got {np.unique(kinds)}")
    return noise, link


def noise_link_ratio(weights: Any, kinds: Any) -> np.ndarray:
    """Per filter j: ``mean_{noise sites}|λ_ij| / mean_{link sites}|λ_ij|`` → ``(N_h,)``.

    Noise sites are kinds 0, 1 (vertex, face bits), link sites kinds 2, 3. ∞ when the filter
    vanishes on every link but not on the noise, NaN when it vanishes everywhere.
    """
    w = np.abs(block_filters(weights))
    noise, link = _kind_masks(kinds, w.shape[0])
    num = w[noise].mean(axis=0)
    den = w[link].mean(axis=0)
    out = np.empty(w.shape[2])
    for j in range(w.shape[2]):
        if den[j] > 0:
            out[j] = num[j] / den[j]
        else:
            out[j] = math.inf if num[j] > 0 else math.nan
    return out


def noise_weight_share(weights: Any, kinds: Any) -> float:
    """``Σ_{noise sites, j} λ_ij² / Σ_{all sites, j} λ_ij²``: share of the squared weight norm on noise.

    ``weights``: ``(L, L[, N_h])`` or an RBM's ``(L², N_h)`` matrix; ``kinds``: ``(L, L)`` site kinds.
    """
    kinds = np.asarray(kinds)
    if kinds.ndim != 2:
        raise ValueError(f"kinds must be a 2-D (L, L) array, got shape {kinds.shape}")
    w = _block_filters(weights, kinds.shape[0])
    noise, _ = _kind_masks(kinds, w.shape[0])
    tot = float((w**2).sum())
    if tot == 0.0:
        return math.nan
    return float((w[noise] ** 2).sum()) / tot


def preactivations(weights: Any, biases: Any, V: Any, *, min_samples: int = 3) -> np.ndarray:
    """``s_j(v) = Σ_i v_i λ_ij + b_j`` for every block: ``(n, N_h)``.

    ``V``: ``(n, L²)`` row-major blocks or ``(n, L, L)``; ``weights``: ``(L, L[, N_h])`` or
    ``(L², N_h)``; ``biases``: ``(N_h,)`` or None (zero).
    """
    V = np.asarray(V)
    if V.ndim == 2:
        L = square_block(V.shape[1])[0]
    elif V.ndim == 3 and V.shape[1] == V.shape[2]:
        L = V.shape[1]
    else:
        raise ValueError(f"V must have shape (n, L²) or (n, L, L), got {V.shape}")
    w = _block_filters(weights, L)
    n_h = w.shape[2]
    b = np.zeros(n_h) if biases is None else np.asarray(biases, dtype=np.float64).reshape(-1)
    if b.shape != (n_h,):
        raise ValueError(f"biases must have shape ({n_h},), got {np.shape(biases)}")
    V = V.reshape(V.shape[0], -1)
    if V.shape[0] < min_samples:
        raise ValueError(f"V needs at least {min_samples} samples, got {V.shape[0]}")
    return V.astype(np.float64) @ w.reshape(L * L, n_h) + b


def field_r2(weights: Any, biases: Any, V: Any, fields: Any) -> np.ndarray:
    """Per filter j, the R² of the least-squares fit ``s_j(v) ≈ c₀ + c₁E₀(v) + c₂E₁(v)`` over data.

    ``R²_j = 1 − Σ_n (s_jn − ŝ_jn)² / Σ_n (s_jn − s̄_j)²``. NaN if s_j is constant on the data.
    ``fields`` is ``(n, 2)`` (E₀, E₁) of the same blocks (see :func:`rsmi.sampling.dimers.block_field`).
    """
    S = preactivations(weights, biases, V)
    F = np.asarray(fields, dtype=np.float64)
    if F.ndim != 2 or F.shape[0] != S.shape[0]:
        raise ValueError(f"fields must have shape ({S.shape[0]}, k), got {F.shape}")
    X = np.column_stack([np.ones(S.shape[0]), F])
    coef, *_ = np.linalg.lstsq(X, S, rcond=None)
    res = S - X @ coef
    Sc = S - S.mean(axis=0)
    ss_tot = (Sc**2).sum(axis=0)
    ss_res = (res**2).sum(axis=0)
    scale = np.maximum(np.abs(S).max(axis=0), 1.0)
    # A filter whose output does not vary (up to rounding) has no variance to explain.
    const = ss_tot <= (1e-12 * scale) ** 2 * S.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = 1.0 - ss_res / np.where(const, 1.0, ss_tot)
    return np.where(const, np.nan, np.clip(r2, 0.0, 1.0))


def _orthonormal_basis(X: np.ndarray, rtol: float) -> np.ndarray:
    U, sv, _ = np.linalg.svd(X, full_matrices=False)
    if sv.size == 0 or sv[0] == 0.0:
        return U[:, :0]
    rank = int((sv > rtol * sv[0]).sum())
    return U[:, :rank]


def canonical_correlations(S: Any, F: Any, *, rtol: float = 1e-9) -> np.ndarray:
    """Canonical correlations of the columns of S ``(n, p)`` with those of F ``(n, q)``.

    Centre both; take orthonormal bases Q_S, Q_F of their column spaces (thin SVD, dropping
    directions with singular value ≤ rtol × the largest, i.e. rank deficiency); the canonical
    correlations are the singular values of ``Q_Sᵀ Q_F`` (Björck & Golub 1973), sorted in
    decreasing order. Returns ``min(p, q)`` values in [0, 1]; directions missing because of
    rank deficiency count as correlation 0 (two identical filters span one direction only).
    """
    S, F = as_columns(S), as_columns(F)
    if S.ndim != 2 or F.ndim != 2 or S.shape[0] != F.shape[0]:
        raise ValueError(f"S and F must be (n, p) and (n, q) with the same n, got {S.shape} and {F.shape}")
    if S.shape[0] < 2:
        raise ValueError("canonical correlations need at least 2 samples")
    k = min(S.shape[1], F.shape[1])
    Qs = _orthonormal_basis(S - S.mean(axis=0), rtol)
    Qf = _orthonormal_basis(F - F.mean(axis=0), rtol)
    out = np.zeros(k)
    if Qs.shape[1] and Qf.shape[1]:
        rho = np.linalg.svd(Qs.T @ Qf, compute_uv=False)
        m = min(k, rho.size)
        out[:m] = np.clip(rho[:m], 0.0, 1.0)
    return out


# --------------------------------------------------------------------------------------------
# Fig. 5: training curve


def plateau_stats(history: Any, tail_fraction: float = TH_5_TAIL_FRACTION) -> dict[str, float]:
    """Rise and flatness of a training curve ``history[0..n_epochs]`` (index 0 = before training).

    With ``k = max(2, ⌈tail_fraction · n_epochs⌉)`` and ``tail = history[-k:]`` (the last k epochs):

    - ``initial = history[0]``, ``plateau = mean(tail)``, ``rise = plateau − initial``;
    - ``spread = max(tail) − min(tail)`` and ``rel_spread = spread / rise`` (NaN if rise ≤ 0).

    Fig. 5 asks ``rise > 0`` and ``rel_spread < 0.05``. NaN entries (epochs not evaluated) are
    an error: the curve must be complete.
    """
    h = np.asarray(history, dtype=np.float64)
    if h.ndim != 1 or h.size < 3:
        raise ValueError(f"history must be 1-D with at least 3 entries (initial + 2 epochs), got shape {h.shape}")
    if not np.all(np.isfinite(h)):
        raise ValueError("history contains NaN/inf; the training curve must be complete")
    if not 0.0 < tail_fraction <= 1.0:
        raise ValueError(f"tail_fraction must be in (0, 1], got {tail_fraction}")
    n_epochs = h.size - 1
    k = min(n_epochs, max(2, math.ceil(tail_fraction * n_epochs)))
    tail = h[-k:]
    initial = float(h[0])
    plateau = float(tail.mean())
    rise = plateau - initial
    spread = float(tail.max() - tail.min())
    rel = spread / rise if rise > 0 else math.nan
    return {"initial": initial, "plateau": plateau, "rise": rise, "spread": spread, "rel_spread": rel, "n_tail": k}


def snapshots_present(snapshot_epochs: Any, required: Sequence[int] = FIG5_SNAPSHOT_EPOCHS) -> int:
    """How many of the ``required`` epochs are among ``snapshot_epochs``."""
    have = set(np.asarray(snapshot_epochs).astype(int).ravel().tolist())
    return sum(int(e) in have for e in required)


# --------------------------------------------------------------------------------------------
# tidy rows


def _jackknife_se(stat, V: np.ndarray, F: np.ndarray, n_groups: int = 10) -> np.ndarray:
    """Delete-one-group jackknife SE of ``stat(V, F)`` (an array) over ``n_groups`` contiguous
    groups of windows: SE² = (g−1)/g Σ_k (θ_{−k} − θ̄)²."""
    n = V.shape[0]
    g = min(n_groups, n)
    if g < 2:
        return np.full(np.shape(stat(V, F)), np.nan)
    edges = np.linspace(0, n, g + 1).astype(int)
    loo = []
    for k in range(g):
        keep = np.r_[0:edges[k], edges[k + 1]:n]
        loo.append(stat(V[keep], F[keep]))
    loo = np.asarray(loo, dtype=np.float64)
    return np.sqrt((g - 1) / g * ((loo - loo.mean(axis=0)) ** 2).sum(axis=0))


def _unpack(result: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """(weights (L,L,N_h), biases, FilterResult-or-None) from a FilterResult or an RBM."""
    if hasattr(result, "weights_"):  # a fitted rsmi.theta.rbm.RBM: weights_ (n_visible, n_hidden)
        w = block_filters(result.weights_, rbm=True, name="result.weights_")
        b = np.asarray(getattr(result, "hidden_bias_", np.zeros(w.shape[2])), dtype=np.float64)
        return w, b, None
    if hasattr(result, "weights") and hasattr(result, "biases"):
        return block_filters(result.weights, name="result.weights"), np.asarray(result.biases, dtype=np.float64), result
    raise TypeError(f"result must be a FilterResult or a fitted RBM, got {type(result).__name__}")


def criteria_rows(
    run_id: str,
    kind: str,
    result: Any,
    data: Any = None,
    *,
    rsmi_r2: Iterable[float] | None = None,
    figures: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Rows of ``results/metrics.csv`` (columns :data:`COLUMNS`) for one run.

    Parameters
    ----------
    run_id : the run's id, copied into the ``run`` column.
    kind : ``"ising"`` (an RSMI filter on Ising blocks), ``"dimer"`` (an RSMI filter on fat dimer
        blocks) or ``"cd"`` (a CD-trained RBM on fat dimer blocks, Fig. 6).
    result : a :class:`rsmi.coarse.results.FilterResult` (``ising``/``dimer``) or a fitted
        :class:`rsmi.theta.rbm.RBM` (``cd``; its ``weights_`` (L_V², N_h) act on row-major blocks).
    data : for ``dimer`` and ``cd``: held-out data blocks V, ``(n, L_V²)`` or ``(n, L_V, L_V)``
        (as :func:`rsmi.windows.regions.cut_regions` returns them). Not used for ``ising``.
    rsmi_r2 : for ``cd``: the field R² of the RSMI filters to compare with (those of the
        estimator that passes Fig. 4).
    figures : restrict to these figures; default: every figure whose criteria apply to the run
        (ising: 2A for 2×2/N_h 1, 2B for 2×2/N_h 4, 2C-E for L_V ≥ 3, 5 for 6×6/N_h 1;
        dimer: 4; cd: 6).

    Rows per figure (``_h<j>`` repeats per hidden unit j):

    - 2A: ``one_sign_fraction`` (share of sites with the sign of Σλ, ≥ 1), ``max_min_ratio`` (≤ 1.1).
    - 2B: ``distinct_codes`` (≥ 2^{L_V²} = 16); ``dominance_h<j>`` reported.
    - 2C-E: ``boundary_bulk_ratio`` (> 1; pooled over units normalised per unit), and for N_h > 1
      ``boundary_bulk_ratio_h<j>`` reported. For L_V ≤ 2 one reported NaN row (no bulk).
    - 4 (ungated, see :func:`figure4_verdict`): ``field_r2_h<j>`` (≥ 0.7), ``noise_link_ratio_h<j>``
      (≤ 0.1), and ``canonical_corr_1``, ``canonical_corr_2`` (≥ 0.9 for N_h = 2, reported otherwise).
    - 5: ``rise`` (> 0), ``tail_spread_over_rise`` (< 0.05), ``snapshots_present`` (≥ 4 of 0, 10, 100, 190).
    - 6: ``noise_weight_share`` (≥ 0.5 when N_h ≤ n_pairs/2, reported otherwise: 6A), ``max_field_r2``
      (< min of ``rsmi_r2``, gated when N_h ≥ n_pairs: 6B; compared only for fewer units;
      reported if ``rsmi_r2`` is None), ``field_r2_h<j>`` reported.
    """
    w, b, fr = _unpack(result)
    L, n_h = w.shape[0], w.shape[2]
    applicable = criteria_groups(kind, L, n_h)
    if figures is None:
        figs = applicable
    else:
        figs = tuple(figures)
        bad = [f for f in figs if f not in CRITERIA_GROUPS]
        if bad:
            raise ValueError(f"unknown figure(s) {bad}; known: {CRITERIA_GROUPS}")
    tag = f"{kind}, L_V={L}, N_h={n_h}"
    rows: list[dict[str, Any]] = []
    for fig in figs:
        if fig == "2A":
            rows += _rows_2a(run_id, w, tag)
        elif fig == "2B":
            rows += _rows_2b(run_id, w, b, tag)
        elif fig == "2C-E":
            rows += _rows_2ce(run_id, w, tag)
        elif fig == "4":
            rows += _rows_4(run_id, w, b, data, tag)
        elif fig == "5":
            if fr is None:
                raise TypeError("Fig. 5 criteria need a FilterResult (history and snapshots)")
            rows += _rows_5(run_id, fr, tag)
        elif fig == "6":
            rows += _rows_6(run_id, w, b, data, rsmi_r2, tag)
    return rows


def _rows_2a(run, w, tag):
    if w.shape[2] != 1:
        raise ValueError(f"Fig. 2A criteria need N_h = 1, got {w.shape[2]}")
    lam = w[:, :, 0]
    ref = np.sign(lam.sum())
    frac = float((np.sign(lam) == ref).mean()) if ref != 0 else 0.0
    return [
        row(run, "2A", "one_sign_fraction", frac, ">=", 1.0, note=f"{tag}; share of sites whose λ has the sign of Σλ"),
        row(run, "2A", "max_min_ratio", max_min_ratio(w), "<=", TH_2A_RATIO, note=f"{tag}; max|λ|/min|λ|"),
    ]


def _rows_2b(run, w, b, tag):
    L = w.shape[0]
    n_states = 2 ** (L * L)
    rows = [
        row(run, "2B", "distinct_codes", distinct_codes(w, b), ">=", n_states,
            note=f"{tag}; distinct argmax_h q(h|v) over all {n_states} block states"),
    ]
    dom = dominance(w)
    for j in range(w.shape[2]):
        site = np.unravel_index(int(np.abs(w[:, :, j]).argmax()), (L, L))
        rows.append(row(run, "2B", f"dominance_h{j}", dom[j], "", math.nan, gate=False,
                        note=f"{tag}; share of Σ|λ_j| on its largest site {tuple(int(s) for s in site)}; reported only"))
    return rows


def _rows_2ce(run, w, tag):
    L, n_h = w.shape[0], w.shape[2]
    if L <= 2:
        return [row(run, "2C-E", "boundary_bulk_ratio", math.nan, "", math.nan, gate=False,
                    note=f"{tag}; no bulk sites in a {L}x{L} block: not applicable")]
    rows = [row(run, "2C-E", "boundary_bulk_ratio", boundary_bulk_ratio(w), ">", 1.0,
                note=f"{tag}; mean|λ| boundary / bulk" + (", each unit normalised by its max|λ|, pooled" if n_h > 1 else ""))]
    if n_h > 1:
        for j in range(n_h):
            rows.append(row(run, "2C-E", f"boundary_bulk_ratio_h{j}", boundary_bulk_ratio(w[:, :, j]), "", math.nan,
                            gate=False, note=f"{tag}; hidden unit {j}; reported only"))
    return rows


def _dimer_data(data, L):
    if data is None:
        raise ValueError("dimer criteria need data: held-out blocks V of shape (n, L_V²) or (n, L_V, L_V)")
    V = _blocks(data, L, "data")
    blocks = np.asarray(data).reshape(-1, L, L)
    if blocks.dtype.kind not in "biu":
        if not np.isin(blocks, (0, 1)).all():
            raise ValueError("data must hold bits 0/1")
        blocks = blocks.astype(np.uint8)
    return V, _block_field(blocks)


def _rows_4(run, w, b, data, tag):
    L, n_h = w.shape[0], w.shape[2]
    V, F = _dimer_data(data, L)
    r2 = field_r2(w, b, V, F)
    r2_se = _jackknife_se(lambda v, f: field_r2(w, b, v, f), V, F)
    nl = noise_link_ratio(w, _fat_site_kinds(L))
    note = f"{tag}; n={V.shape[0]} blocks; gated by figure4_verdict"
    rows = []
    for j in range(n_h):
        rows.append(row(run, "4", f"field_r2_h{j}", r2[j], ">=", TH_4_R2, gate=False, note=note + "; R² of s_j on (E0, E1)",
                        se=r2_se[j]))
    for j in range(n_h):
        rows.append(row(run, "4", f"noise_link_ratio_h{j}", nl[j], "<=", TH_4_NOISE_LINK, gate=False,
                        note=note + "; mean|λ| noise / mean|λ| links"))
    if n_h >= 2:
        def cancorr(v, f):
            return canonical_correlations(preactivations(w, b, v), f)[:2]

        cc = cancorr(V, F)
        cc_se = _jackknife_se(cancorr, V, F)
        for i in range(2):
            if n_h == 2:
                rows.append(row(run, "4", f"canonical_corr_{i + 1}", cc[i], ">=", TH_4_CANCORR, gate=False,
                                note=note + "; canonical correlation of (s_1, s_2) with (E0, E1)", se=cc_se[i]))
            else:
                rows.append(row(run, "4", f"canonical_corr_{i + 1}", cc[i], "", math.nan, gate=False,
                                note=f"{tag}; canonical correlation of (s_1..s_{n_h}) with (E0, E1); reported only (criterion is for N_h = 2)",
                                se=cc_se[i]))
    return rows


def _rows_5(run, fr, tag):
    st = plateau_stats(fr.history)
    k = st["n_tail"]
    have = snapshots_present(fr.snapshot_epochs)
    err = np.asarray(fr.history_err, dtype=np.float64)
    ok = np.isfinite(np.asarray(fr.history, dtype=np.float64))
    tail = err[ok][-k:]
    # the tail mean's SE (errors of one run's history are correlated: no 1/√k) and the initial value's
    rise_se = math.hypot(float(np.mean(tail)), float(err[ok][0])) if tail.size else math.nan
    return [
        row(run, "5", "rise", st["rise"], ">", 0.0,
            note=f"{tag}; mean of the last {k} epochs minus the initial value ({st['initial']:.6g})", se=rise_se),
        row(run, "5", "tail_spread_over_rise", st["rel_spread"], "<", TH_5_SPREAD,
            note=f"{tag}; (max-min over the last {k} epochs) / rise"),
        row(run, "5", "snapshots_present", have, ">=", len(FIG5_SNAPSHOT_EPOCHS),
            note=f"{tag}; snapshots at epochs {FIG5_SNAPSHOT_EPOCHS} present"),
    ]


def _rows_6(run, w, b, data, rsmi_r2, tag):
    L, n_h = w.shape[0], w.shape[2]
    kinds = _fat_site_kinds(L)
    n_pairs = int((np.asarray(kinds) == 0).sum())
    share = noise_weight_share(w, kinds)
    few = n_h <= n_pairs / 2
    rows = [
        row(run, "6", "noise_weight_share", share, ">=" if few else "", TH_6_NOISE_SHARE,
            note=f"{tag}; {n_pairs} noise pairs; Σ_noise w² / Σ w²"
                 + ("" if few else f"; reported only (N_h > {n_pairs}/2 is the 'many units' panel)")),
    ]
    V, F = _dimer_data(data, L)
    r2 = field_r2(w, b, V, F)
    best = float(np.nanmax(r2)) if np.isfinite(r2).any() else math.nan
    best_se = float(_jackknife_se(lambda v, f: np.nanmax(field_r2(w, b, v, f)), V, F)) if np.isfinite(best) else math.nan
    if rsmi_r2 is None:
        rows.append(row(run, "6", "max_field_r2", best, "", math.nan, gate=False,
                        note=f"{tag}; best CD filter's R² on (E0, E1); reported only (no RSMI R² given)", se=best_se))
    else:
        ref = np.asarray(list(rsmi_r2), dtype=np.float64)
        if ref.size == 0 or not np.isfinite(ref).any():
            raise ValueError("rsmi_r2 must hold at least one finite R²")
        lo = float(np.nanmin(ref))
        many = n_h >= n_pairs  # 6B is the claim of the panel with a unit for every noise pair
        rows.append(row(run, "6", "max_field_r2", best, "<", lo, gate=many,
                        note=f"{tag}; best CD filter's R² on (E0, E1) vs the worst RSMI filter's"
                             + ("" if many else f"; compared, not gated (6B is the N_h >= {n_pairs} panel)"), se=best_se))
    for j in range(n_h):
        rows.append(row(run, "6", f"field_r2_h{j}", r2[j], "", math.nan, gate=False, note=f"{tag}; reported only"))
    return rows


def meeting_runs(rows: Iterable[Mapping[str, Any]], figure: str = "4") -> tuple[list[str], list[str], int]:
    """Which runs meet the claim of a figure (docs/method.md §6): ``(meeting, failing, n_runs)``.

    A run *meets* it when every compared row (non-empty ``op``) of the figure and every null
    test scored by the run's own estimator (criterion ending in ``[<estimator>]``) has verdict
    ``pass``; it *fails* when some such row fails.  Rows of other figures are ignored."""
    by_run: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        if not r.get("op"):
            continue
        est = str(r["run"]).rsplit("estimator~", 1)[-1]
        own_null = r["figure"] == "null" and str(r["criterion"]).endswith(f"[{est}]")
        if r["figure"] == figure or own_null:
            by_run.setdefault(str(r["run"]), []).append(r)
    if not any(r["figure"] == figure for rs in by_run.values() for r in rs):
        raise ValueError(f"no comparable figure-{figure} rows given")
    ok = sorted(k for k, rs in by_run.items() if all(x["verdict"] == "pass" for x in rs))
    failed = sorted(k for k, rs in by_run.items() if any(x["verdict"] == "fail" for x in rs))
    return ok, failed, len(by_run)


def figure4_verdict(rows: Iterable[Mapping[str, Any]], run_id: str, *, figure: str = "4") -> dict[str, Any]:
    """The Fig. 4 claim of one panel: at least one estimator meets all of its criteria and passes
    its own null tests (docs/method.md §6).

    ``rows`` are the Fig. 4 rows and the null-test rows of every estimator's run for one panel
    (e.g. N_h = 2); :func:`meeting_runs` says which runs meet it.  Verdict: pass if some run
    meets it, fail if every run fails, inconclusive otherwise.  Value: the number of runs that
    meet it."""
    ok, failed, n_runs = meeting_runs(rows, figure)
    v = "pass" if ok else ("fail" if len(failed) == n_runs else "inconclusive")
    note = (f"runs meeting every figure-{figure} criterion and their own null tests: {', '.join(ok) or 'none'} "
            f"(of {n_runs}; failing: {len(failed)})")
    return row(run_id, figure, "estimators_meeting_all", len(ok), ">=", 1, gate=True, note=note, verdict_override=v)


def exact_measure_rows(run: str, pairs) -> list[dict[str, Any]]:
    """What the exact dimer measure says of the paper's Jensen step (docs/method.md §4c), for one run.

    The proxy A_Λ = E Σ_h q(h|v′) E_{p_Λ(v|h)} log P(e|v) is finite only if P(e|v) > 0 for every
    block v the posterior can draw; q_Λ > 0 everywhere, so one incompatible (block, environment)
    pair of positive P(v) makes Φ(h, e) = −∞ for every h and A_Λ = −∞ for every Λ. The row is the
    fraction of pool pairs (exact draws of P(v)) that no covering has, ± SE over windows:
    "≤ 0" fails when the fraction is resolved above 0 (a finding: README Findings 1)."""
    frac, se = pairs.incompatible_fraction()
    return [row(run, "null", "jensen_step_incompatible_pairs", frac, "<=", 0.0, se=se,
                note=f"fraction of (pool block, environment) pairs with P(e|v) = 0 under the exact measure, "
                     f"{pairs.incompatible.size} held-out windows x {pairs.idx.shape[1]} pairs; any > 0 makes the "
                     "Jensen proxy −∞ for every filter")]


def mi_rows(table: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Claims on the MI estimates (``results/mi.csv`` rows: run, model, filter, method, N_h, L_B,
    mi, stderr), figure ``mi``, two per estimate:

    - ``mi_z[<method>]`` = mi / SE ≥ −2: a lower bound on a mutual information may sit below 0
      by its noise, not by more than 2·SE (exact comparison, se 0);
    - ``mi_rel_se[<method>]`` = SE / max(mi of its panel) ≤ 0.1: the estimate is precise enough
      to be read in its figure (a panel = one model of ``mi_vs_buffer`` / ``mi_comparison``);

    and, where the row has the columns (issue 25):

    - ``mi_entropy_bound[<method>]`` = Î − Ĥ(H) ≤ 0 by the 2·SE rule (I(H:E) ≤ H(H));
    - ``mi_subcodes[<method>]`` (codes of N_h > 1) = min_S (Î(H) − Î(H_S)) / SE_paired ≥ −2 over
      the 1- and 2-unit sub-codes S (:func:`rsmi.coarse.mi.estimate_mi_with_subcodes`): a code is not
      scored below a part of it by more than 2·SE (data processing; exact comparison, se 0).
    """
    rows_in = [dict(r) for r in table]
    top: dict[str, float] = {}
    for r in rows_in:
        top[str(r["model"])] = max(top.get(str(r["model"]), -math.inf), float(r["mi"]))
    out = []
    for r in rows_in:
        mi, se, model = float(r["mi"]), float(r["stderr"]), str(r["model"])
        tag = f"{r['filter']} filter, N_h={r['N_h']}, L_B={r['L_B']}; I(H:E) ≥ {mi:.4g} ± {se:.2g} nats"
        z = mi / se if se > 0 else (math.inf if mi >= 0 else -math.inf)
        out.append(row(r["run"], "mi", f"mi_z[{r['method']}]", z, ">=", TH_MI_Z,
                       note=f"{tag}; estimate / SE (a negative bound beyond 2·SE is a defect)"))
        rel = se / top[model] if top[model] > 0 else math.nan
        out.append(row(r["run"], "mi", f"mi_rel_se[{r['method']}]", rel, "<=", TH_MI_REL_SE,
                       note=f"{tag}; SE / largest estimate of the {model} panel ({top[model]:.4g} nats)"))
        H = _num(r.get("H"))
        if math.isfinite(H):
            out.append(row(r["run"], "mi", f"mi_entropy_bound[{r['method']}]", mi - H, "<=", 0.0, se=se,
                           note=f"{tag}; Î − Ĥ(H) (Ĥ = {H:.4g} nats, Miller–Madow): I(H:E) ≤ H(H), 2·SE rule"))
        n_sub = _num(r.get("n_subcodes"))
        if math.isfinite(n_sub) and n_sub > 0:
            z = _num(r.get("sub_min_z"))
            out.append(row(r["run"], "mi", f"mi_subcodes[{r['method']}]", z, ">=", TH_MI_Z,
                           note=f"{tag}; min over its {int(n_sub)} sub-codes of 1 and 2 units of (Î(H) − Î(H_S)) / "
                                f"SE(paired), same windows and split; worst S = units {r.get('sub_worst')}: "
                                f"Î(H_S) = {_num(r.get('sub_worst_mi')):.4g} ± {_num(r.get('sub_worst_se')):.2g} "
                                f"(data processing: I(H:E) ≥ I(H_S:E))"))
    return out


def _num(x) -> float:
    """float(x), NaN for a missing or empty value (columns absent from older mi.csv rows)."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan
