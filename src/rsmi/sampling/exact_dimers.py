r"""The exact uniform measure of fully packed dimers on the L×L torus (Kasteleyn, four twists).

Why. The paper's proxy needs P(v), P(e | v) of the dimer block and its environment; the
workflow models them with CD-trained Θ-RBMs, and docs/method.md §4c asks whether the *objective*
or those models fail Fig. 4. The dimer model is free-fermionic, so every local probability
is a small determinant and nothing has to be modelled.

Kasteleyn matrix. Vertices (x, y) of the L×L torus (L even ≥ 4) are white when x + y is even,
black otherwise; white (x, y) has index (xL + y) // 2, and so has black (x, y). Link
(x,y)–(x,y+1) (axis 1, ``h[x, y]``) has weight 1, link (x,y)–(x+1,y) (axis 0, ``v[x, y]``)
weight i; a link that crosses the seam y = L−1 → 0 (x = L−1 → 0) carries the extra sign
(−1)^{τ₁} ((−1)^{τ₀}). K_τ[w, b] is the sum of the weights of the links between w and b,
one matrix per twist τ = (τ₀, τ₁) ∈ {0, 1}².

Signed measures. The permutation expansion det K_τ = Σ_M term_τ(M) runs over the coverings M,
with |term_τ(M)| = 1 and term_τ(M) = C·ε_τ(class of M), the class being the parities of M's
winding numbers. Coefficients c_τ with Σ_τ c_τ term_τ(M) = 1 for every class (solved once per
L from reference coverings of all four classes, and checked) make

    Z = Σ_τ c_τ det K_τ,     Z(pattern) = Σ_τ c_τ Z_τ(pattern),

where Z_τ(pattern) is the sum of term_τ over the coverings that have the prescribed links
occupied and empty. For invertible K_τ (Kenyon's local statistics, with inclusion–exclusion
for the empty links), with the kernel L_ij = K(w_i, b_i) K⁻¹(b_i, w_j) on the pattern's links,

    Z_τ(pattern) = det K_τ · det M,  M_ii' = L_ii' on occupied rows, δ_ii' − L_ii' on empty rows,

and M = D (L − I + O) with D = diag(±1) (+ on occupied rows) and O = diag(occupied). For the
one twist whose K has zero modes (k = (±π/2, ±π/2)), K = U Σ V† is regularised as
K_ε = K + ε U₀V₀† (U₀, V₀ the N null vectors); then K_ε⁻¹ = G + V₀U₀†/ε with G the
pseudo-inverse, and the ε → 0 limit of det K_ε det M_ε is a bordered determinant
(det [[A, X], [−Yᵀ, εI]] = ε^N det(A + XYᵀ/ε)). Both cases are one formula:

    Z_τ(pattern) = det₊K_τ · (−1)^{#empty} · det(Q_τ[S] + diag(o, 0)),
    Q_τ = [[L − I, X], [−Yᵀ, 0]],  X_in = K(w_i, b_i) V₀[b_i, n],  Y_jn = conj(U₀[w_j, n]),

with S the pattern's links plus the N border indices, o the occupations, L built from G and
det₊K = det U · det V† · Π_{σ>0} σ (N = 0: det₊K = det K, Q = L − I). Hence

    P(pattern) = (−1)^{#empty} Re Σ_τ β_τ det(Q_τ[S] + diag(o, 0)),   β_τ = c_τ det₊K_τ / Z.

Each twist's term is bounded by P/2 in size (|Z_τ(pattern)| ≤ Z(pattern), |c_τ| = 1/2), so an
impossible pattern leaves only rounding; it is recognised exactly instead, as a pattern that
no perfect matching of the torus graph extends (probability 0, log-probability −inf).

Cost. Setting up one L costs four SVDs of the (L²/2)-square K; a pattern of n links costs
four complex determinants of size n + N. :class:`WindowMeasure` conditions on an environment
once (a Woodbury update over E's occupied links) and scores many blocks with small
determinants (a second update over the links where the block differs from a reference).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from rsmi.utils.validation import check_int_strict

__all__ = ["DimerMeasure", "dimer_measure", "dimer_pattern_log_prob", "pattern_from_fat"]

_TWISTS = ((0, 0), (0, 1), (1, 0), (1, 1))
_NULL_TOL = 1e-9  # singular values below this × σ_max are zero modes


def _check_L(L) -> int:
    L = check_int_strict("L", L, 4)
    if L % 2:
        raise ValueError(f"L must be even (fully packed coverings exist only then), got {L}")
    return L


def _link_ends(L: int, axis: np.ndarray, x: np.ndarray, y: np.ndarray):
    """(white index, black index, Kasteleyn weight without twist, crosses-seam flag) per link."""
    x2 = np.where(axis == 0, (x + 1) % L, x)
    y2 = np.where(axis == 1, (y + 1) % L, y)
    white_first = (x + y) % 2 == 0
    wx, wy = np.where(white_first, x, x2), np.where(white_first, y, y2)
    bx, by = np.where(white_first, x2, x), np.where(white_first, y2, y)
    weight = np.where(axis == 0, 1j, 1.0 + 0j)
    seam = np.where(axis == 0, x == L - 1, y == L - 1)
    return (wx * L + wy) // 2, (bx * L + by) // 2, weight, seam


def _all_links(L: int):
    """(axis, x, y) of every link, in the order id = 2·(xL + y) + axis."""
    ids = np.arange(2 * L * L)
    axis, site = ids % 2, ids // 2
    return axis, site // L, site % L


def _link_ids(L: int, axis, x, y) -> np.ndarray:
    return 2 * ((np.asarray(x) % L) * L + np.asarray(y) % L) + np.asarray(axis)


def _covering_term(K: np.ndarray, w: np.ndarray, b: np.ndarray, weight: np.ndarray) -> complex:
    """term(M) = sgn(σ_M) Π_w K(w, σ_M(w)) with the covering's own link weights."""
    n = K.shape[0]
    sigma = np.empty(n, dtype=np.int64)
    sigma[w] = b
    val = complex(np.prod(weight))
    seen = np.zeros(n, dtype=bool)
    sign = 1
    for start in range(n):  # sign of the permutation from its cycles
        if seen[start]:
            continue
        length, j = 0, start
        while not seen[j]:
            seen[j] = True
            j = sigma[j]
            length += 1
        if length % 2 == 0:
            sign = -sign
    return sign * val


def _reference_coverings(L: int) -> list[np.ndarray]:
    """Occupied-link ids of one covering per winding-parity class (W₀ mod 2, W₁ mod 2).

    Drawn by the exact worm sampler (fixed seed) until all four classes are present; term_τ
    depends on the class only, so which coverings does not matter."""
    from rsmi.sampling.dimers import sample_dimers, winding_numbers  # only here: the sampler is not needed for probabilities

    full = np.ones((2 * L, 2 * L), dtype=bool)
    out, classes = [], set()
    for batch in range(64):
        for fat in sample_dimers(L, 64, seed=np.random.SeedSequence([20261206, batch]), noise=False, burn_in=2, gap=1):
            ids, occ = pattern_from_fat(fat, full)
            W = tuple(winding_numbers(fat) % 2)
            if W not in classes:
                classes.add(W)
                out.append(ids[occ])
        if len(classes) == 4:
            return out
    raise RuntimeError(f"L = {L}: the sampler did not reach all four winding-parity classes")


class DimerMeasure:
    """Exact probabilities of link patterns under the uniform measure on coverings of the L×L torus.

    ``log_prob(h, v, known_h, known_v)`` with ``h[x, y]`` the occupation of link (x,y)–(x,y+1),
    ``v[x, y]`` of link (x,y)–(x+1,y), and boolean masks of the links the pattern fixes
    (module docstring for the formula)."""

    def __init__(self, L: int):
        self.L = L = _check_L(L)
        n = L * L // 2
        axis, x, y = _all_links(L)
        self.w, self.b, base, seam = _link_ends(L, axis, x, y)
        self.parts = []  # per twist: (k (links,), G (n,n) pseudo-inverse, V0 (n,N), U0 (n,N), logdet₊, phase₊)
        self.k = []
        refs = _reference_coverings(L)
        Ks = []
        for t0, t1 in _TWISTS:
            k = base * np.where(seam & (axis == 0), (-1) ** t0, 1) * np.where(seam & (axis == 1), (-1) ** t1, 1)
            K = np.zeros((n, n), dtype=np.complex128)
            np.add.at(K, (self.w, self.b), k)
            self.k.append(k)
            Ks.append(K)
        slog = [np.linalg.slogdet(K) for K in Ks]
        top = max(float(ld) for _, ld in slog)
        for K, (sign, logdet) in zip(Ks, slog):
            if logdet > top - 30:  # a zero mode leaves det K at rounding level, e^{-30} below the others or less
                self.parts.append((np.linalg.inv(K), np.zeros((n, 0)), np.zeros((n, 0)), float(logdet), sign, 0))
            else:  # zero modes: pseudo-inverse, null vectors and det₊ from the SVD
                U, s, Vh = np.linalg.svd(K)
                zero = s < _NULL_TOL * s[0]
                inv_s = np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, s))
                G = (Vh.conj().T * inv_s) @ U.conj().T
                phase = np.linalg.det(U) * np.linalg.det(Vh)
                self.parts.append((G, Vh.conj().T[:, zero], U[:, zero], float(np.log(s[~zero]).sum()),
                                   phase / abs(phase), int(zero.sum())))
        terms = [[_covering_term(K, self.w[r], self.b[r], k[r]) for r in refs] for K, k in zip(Ks, self.k)]
        T = np.array(terms).T  # (coverings, twists)
        c, *_ = np.linalg.lstsq(T, np.ones(len(refs)), rcond=None)
        if np.linalg.matrix_rank(T, tol=1e-6) < 4 or np.abs(T @ c - 1).max() > 1e-9:
            raise RuntimeError(f"L = {L}: the reference coverings do not fix the four twist coefficients")
        self.c = c
        # Z = Σ_τ c_τ det K_τ (zero for a twist with zero modes), kept in logs
        logs = np.array([p[3] for p in self.parts])
        regular = np.array([p[5] == 0 for p in self.parts])
        m = logs[regular].max()
        Zs = sum(c[i] * self.parts[i][4] * math.exp(logs[i] - m) for i in range(4) if regular[i])
        if abs(Zs.imag) > 1e-8 * abs(Zs) or Zs.real <= 0:
            raise RuntimeError(f"L = {L}: Σ c det K = {Zs} is not a positive real")
        self.log_z = m + math.log(Zs.real)
        self.beta = np.array([c[i] * self.parts[i][4] * math.exp(logs[i] - self.log_z) for i in range(4)])

    # --- kernels -----------------------------------------------------------------------------------
    def q_matrix(self, twist: int, ids_rows: np.ndarray, ids_cols: np.ndarray, *, border_rows: bool,
                 border_cols: bool) -> np.ndarray:
        """Block of Q_τ = [[L − I, X], [−Yᵀ, 0]] on the given link ids (plus the border if asked)."""
        G, V0, U0, _, _, N = self.parts[twist]
        k = self.k[twist]
        r, c = np.asarray(ids_rows), np.asarray(ids_cols)
        top = k[r, None] * G[self.b[r][:, None], self.w[c][None, :]] - (r[:, None] == c[None, :])
        if border_cols and N:
            top = np.hstack([top, k[r, None] * V0[self.b[r]]])
        if not (border_rows and N):
            return top
        bottom = -U0[self.w[c]].conj().T
        if border_cols:
            bottom = np.hstack([bottom, np.zeros((N, N))])
        return np.vstack([top, bottom])

    def n_border(self, twist: int) -> int:
        return self.parts[twist][5]

    def prob_ids(self, ids: np.ndarray, occupied: np.ndarray) -> float:
        """P(links ``ids`` have occupations ``occupied``) (module docstring)."""
        ids = np.asarray(ids, dtype=np.int64)
        occ = np.asarray(occupied, dtype=bool)
        if ids.size == 0:
            return 1.0
        if np.unique(ids).size != ids.size:
            raise ValueError("a link appears twice in the pattern")
        vals = []
        for t in range(4):
            Q = self.q_matrix(t, ids, ids, border_rows=True, border_cols=True)
            Q[np.arange(ids.size)[occ], np.arange(ids.size)[occ]] += 1.0
            vals.append(self.beta[t] * np.linalg.det(Q))
        if not has_covering(self.L, self.w, self.b, ids, occ):
            return 0.0
        p = (-1) ** int((~occ).sum()) * sum(vals).real
        if not p > 0:
            raise RuntimeError(f"pattern of {ids.size} links: probability {p:.3g} <= 0 although a covering "
                               "has it (numerical failure of the determinants)")
        return float(p)

    def log_prob(self, h, v, known_h, known_v) -> float:
        """log P(pattern) (−inf for impossible patterns)."""
        ids, occ = pattern_from_arrays(self.L, h, v, known_h, known_v)
        p = self.prob_ids(ids, occ)
        return math.log(p) if p > 0 else -math.inf


def pattern_from_arrays(L: int, h, v, known_h, known_v) -> tuple[np.ndarray, np.ndarray]:
    """(link ids, occupations) of the known links of (h, v); every array (L, L), validated."""
    arrs = []
    for name, a, boolean in (("h", h, False), ("v", v, False), ("known_h", known_h, True), ("known_v", known_v, True)):
        a = np.asarray(a)
        if a.shape != (L, L):
            raise ValueError(f"{name} must have shape ({L}, {L}), got {a.shape}")
        if boolean:
            if a.dtype != bool:
                raise TypeError(f"{name} must be a boolean mask, got dtype {a.dtype}")
        else:
            if a.dtype.kind not in "biu" or ((a != 0) & (a != 1)).any():
                raise ValueError(f"{name} must hold occupations 0/1")
        arrs.append(a)
    h, v, kh, kv = arrs
    xs, ys = np.nonzero(kh)
    xv, yv = np.nonzero(kv)
    ids = np.concatenate([_link_ids(L, 1, xs, ys), _link_ids(L, 0, xv, yv)])
    occ = np.concatenate([h[xs, ys], v[xv, yv]]).astype(bool)
    return ids, occ


def has_covering(L: int, w_all: np.ndarray, b_all: np.ndarray, ids: np.ndarray, occ: np.ndarray) -> bool:
    """Is there a covering with the pattern? A perfect matching of the torus graph without the
    empty links and without the ends of the occupied ones (which must themselves be disjoint)."""
    n = L * L // 2
    wo, bo = w_all[ids[occ]], b_all[ids[occ]]
    if np.unique(wo).size < wo.size or np.unique(bo).size < bo.size:
        return False
    keep = np.ones(w_all.size, dtype=bool)
    keep[ids] = False  # known links: occupied ones are placed, empty ones removed
    free_w = np.ones(n, dtype=bool)
    free_b = np.ones(n, dtype=bool)
    free_w[wo] = free_b[bo] = False
    keep &= free_w[w_all] & free_b[b_all]
    rw, cb = np.cumsum(free_w) - 1, np.cumsum(free_b) - 1
    m = int(free_w.sum())
    if m == 0:
        return True
    graph = csr_matrix((np.ones(int(keep.sum())), (rw[w_all[keep]], cb[b_all[keep]])), shape=(m, m))
    match = maximum_bipartite_matching(graph, perm_type="column")
    return bool((match >= 0).all())


def pattern_from_fat(fat, mask) -> tuple[np.ndarray, np.ndarray]:
    """(link ids, occupations) of the link sites of a (2L, 2L) fat covering selected by ``mask``.

    Link sites are fat (2x, 2y+1) → h[x, y] and (2x+1, 2y) → v[x, y]; other sites of ``mask``
    (vertex and face noise bits) are ignored."""
    fat = np.asarray(fat)
    mask = np.asarray(mask, dtype=bool)
    n = fat.shape[0]
    L = n // 2
    i, j = np.nonzero(mask)
    link = (i + j) % 2 == 1
    i, j = i[link], j[link]
    axis = np.where(i % 2 == 0, 1, 0)
    return _link_ids(L, axis, i // 2, j // 2), fat[i, j].astype(bool)


@functools.lru_cache(maxsize=4)
def dimer_measure(L: int) -> DimerMeasure:
    """The :class:`DimerMeasure` of the L×L torus, built once per L and cached."""
    return DimerMeasure(L)


def dimer_pattern_log_prob(L: int, h, v, known_h, known_v) -> float:
    """log P(pattern) of the uniform measure on fully packed coverings of the L×L torus.

    ``h[x, y]`` = 1 if link (x,y)–(x,y+1) is occupied, ``v[x, y]`` = 1 if link (x,y)–(x+1,y) is
    (indices mod L); the boolean masks ``known_h``, ``known_v`` say which links the pattern
    fixes. Exact (Kasteleyn matrices of the four twists, module docstring); −inf when no
    covering has the pattern. L even ≥ 4."""
    return dimer_measure(_check_L(L)).log_prob(h, v, known_h, known_v)
