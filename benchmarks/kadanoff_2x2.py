"""What sets max|λ|/min|λ| of the 2×2, N_h = 1 Jensen filter on critical Ising data.

For a 2×2 block and N_h = 1 the whole proxy is a function of a 16×16 matrix and 16 numbers:

    A_Λ = Σ_h Σ_{s'} q_Λ(h|s') Σ_v p_Λ(v|h) M[s', v],
    M[s', v] = (1/n) Σ_{b: v′_b = s'} g(v, e_b),      p_Λ(v|h) ∝ P_Θ^V(v) q_Λ(h|v),

so the landscape can be explored exactly and cheaply.  For each seed this script prints

* the ratio of the constrained optimum  max A_Λ subject to mean(λ) = −s  at scales s = 4, 8, 16
  (the trained filters sit at mean|λ| ≈ 4 after 4 epochs at lr 0.1 and ≈ 9 after 12 at lr 1.0),
  for g from the Θ-RBMs ("theta"), for the D4-symmetrised M and log P_V ("D4-sym", which must
  give 1.000: the exact proxy's optimum is the symmetric block spin, no tie-breaking asymmetry)
  and, with --data-g, for a Θ-free g = log r(v|e) − log P_data(v) from a multinomial logistic
  classifier r (scikit-learn; slow: minutes per seed);
* the ratio that train_rsmi reaches with given Λ settings.

With --augment d4flip every window is replaced by its 16 images under the window's D4 group
and the spin flip (exact symmetries of the critical ensemble) before Θ and Λ are trained, to
see whether an exactly symmetric data set removes the asymmetry (docs/kadanoff_2x2.md).

Usage (one process, single-threaded):
    NUMBA_NUM_THREADS=1 python benchmarks/kadanoff_2x2.py --seeds 0 1 2 3 4 \
        --theta-epochs 5 20 --lambda "4,0.1" "12,1.0"
    python benchmarks/kadanoff_2x2.py --setting workflow --seeds 0 1 2 3 4 --lambda "200,0.1" "200,1.0"
    python benchmarks/kadanoff_2x2.py --setting workflow --augment d4flip --seeds 0 1 2 3 4 5 6 7 8 9 \
        --lambda "100,1.0"

Settings: "test" = tests/test_network.py (L = 32, 100 configurations, stride 1, L_B = L_E = 2,
Θ 64/64 hidden); "workflow" = config.yaml's 2×2 run (L = 64, 1000 configurations, 800 for
training, stride 8, L_B = L_E = 1, ≤ 20 000 windows, Θ^V 32 / Θ^VE 128 hidden, Λ 3000 windows
per epoch).  Results: docs/kadanoff_2x2.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_expit, logsumexp

from rsmi.coarse import exact
from rsmi.coarse import kernels
from rsmi.theta import parts
from rsmi.sampling.ising import T_C, sample_ising
from rsmi.coarse.network import train_rsmi
from rsmi.theta.rbm import RBM
from rsmi.windows.regions import cut_regions, region_masks

STATES = kernels.binary_states(4)
CODE = 2.0 ** np.arange(4)


def _d4_perms():
    idx = np.arange(4).reshape(2, 2)
    out = []
    for k in range(4):
        r = np.rot90(idx, k)
        out += [r.ravel(), r.T.ravel()]
    return out


def augment_d4_flip(V, E, L_V, L_B, L_E):
    """All 16 images of every window (V, E) under the window's D4 group and the spin flip."""
    masks = region_masks(L_V, L_B, L_E)
    Vs, Es = [], []
    for k in range(4):
        for transpose in (False, True):
            perm = {}
            for name in ("V", "E"):
                idx = np.full(masks[name].shape, -1)
                idx[masks[name]] = np.arange(masks[name].sum())
                t = np.rot90(idx, k)
                perm[name] = (t.T if transpose else t)[masks[name]]
            for flip in (False, True):
                v, e = V[:, perm["V"]], E[:, perm["E"]]
                Vs.append(1 - v if flip else v)
                Es.append(1 - e if flip else e)
    return np.concatenate(Vs), np.concatenate(Es)


def reduce_proxy(V, E, tv, tve):
    """(M (16, 16), log P_Θ^V (16,) unnormalised) of the 2×2 proxy (module docstring)."""
    th = parts.theta_parts(tv, tve, 4, E.shape[1])
    ex = exact.ExactEngine(th, 4)
    codes = (V.astype(float) @ CODE).astype(int)
    M = np.zeros((16, 16))
    for st in range(0, len(V), 20000):
        G = ex.full_g(E[st:st + 20000].astype(float))
        np.add.at(M, codes[st:st + 20000], G.T)
    return M / len(V), ex.logPV.copy()


def proxy(lam, b, M, logPV):
    """A_Λ = Σ_h Σ_s' q(h|s') Σ_v p(v|h) M[s', v] for N_h = 1."""
    s = STATES @ lam + b
    A = 0.0
    for lq in (log_expit(s), log_expit(-s)):
        lw = logPV + lq
        A += np.exp(lq) @ (M @ np.exp(lw - logsumexp(lw)))
    return A


def symmetrise(M, logPV):
    Ms, ls = np.zeros_like(M), np.zeros_like(logPV)
    perms = _d4_perms()
    for p in perms:
        m = (STATES[:, p] @ CODE).astype(int)
        Ms += M[np.ix_(m, m)]
        ls += logPV[m]
    return Ms / len(perms), ls / len(perms)


def constrained_ratio(M, logPV, scale):
    """max|λ|/min|λ| of argmax A_Λ subject to mean(λ) = −scale (BFGS, numerical gradient)."""
    def unpack(y):
        return -scale + y[:4] - y[:4].mean(), y[4]

    def f(y):
        return -proxy(*unpack(y), M, logPV)

    def jac(y, h=1e-5):
        g = np.zeros_like(y)
        for i in range(y.size):
            e = np.zeros_like(y)
            e[i] = h
            g[i] = (f(y + e) - f(y - e)) / (2 * h)
        return g

    y0 = np.r_[0.01 * np.arange(4), 2.0 * scale]
    lam, _ = unpack(minimize(f, y0, jac=jac, method="BFGS", options=dict(gtol=1e-10)).x)
    return np.abs(lam).max() / np.abs(lam).min()


def data_g_matrix(V, E):
    """M for the Θ-free g(v, e) = log r(v|e) − log P_data(v) (r: multinomial logistic regression)."""
    from sklearn.linear_model import LogisticRegression

    codes = (V.astype(float) @ CODE).astype(int)
    freq = np.bincount(codes, minlength=16) / len(V)
    G = LogisticRegression(C=1.0, max_iter=300).fit(E, codes).predict_log_proba(E) - np.log(freq)
    M = np.zeros((16, 16))
    np.add.at(M, codes, G)
    return M / len(V), np.log(freq)


def windows(setting, seed, augment="none"):
    if setting == "test":  # exactly tests/test_network.py::_ising_windows
        ss = np.random.SeedSequence(seed).spawn(3)
        X = sample_ising(32, T_C, 100, seed=ss[0])
        V, E = cut_regions(X, 2, 2, 2, stride=1, model="ising")
        if augment == "d4flip":
            V, E = augment_d4_flip(V, E, 2, 2, 2)
        return V, E, ss[1], ss[2], (64, 64)
    ss = np.random.SeedSequence([seed, 64]).spawn(4)
    X = sample_ising(64, T_C, 1000, seed=ss[0])
    train = np.sort(np.random.default_rng(ss[1]).permutation(1000)[200:])
    V, E = cut_regions(X[train], 2, 1, 1, stride=8, model="ising")
    keep = np.random.default_rng(ss[1]).permutation(len(V))[:20000]
    V, E = V[keep], E[keep]
    if augment == "d4flip":
        V, E = augment_d4_flip(V, E, 2, 1, 1)
    return V, E, ss[2], ss[3], (32, 128)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--setting", choices=["test", "workflow"], default="test")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--theta-epochs", type=int, nargs="+", default=[20])
    ap.add_argument("--lambda", dest="lam", nargs="+", default=["4,0.1", "12,1.0"],
                    help="Λ settings 'epochs,learning_rate'")
    ap.add_argument("--data-g", action="store_true", help="also the Θ-free classifier g (slow)")
    ap.add_argument("--augment", choices=["none", "d4flip"], default="none",
                    help="train Θ and Λ on the 16 symmetry images of every window")
    args = ap.parse_args()
    lam_settings = [(int(a), float(b)) for a, b in (s.split(",") for s in args.lam)]
    print("| setting | seed | Θ epochs | opt@4 | opt@8 | opt@16 | D4-sym opt@8 | "
          + " | ".join(f"SGD {e} ep lr {lr}" for e, lr in lam_settings) + " | s |")
    for seed in args.seeds:
        V, E, s_v, s_ve, (nh_v, nh_ve) = windows(args.setting, seed, args.augment)
        for te in args.theta_epochs:
            t0 = time.perf_counter()
            tv = RBM(n_hidden=nh_v, n_epochs=te, seed=s_v).fit(V)
            tve = RBM(n_hidden=nh_ve, n_epochs=te, seed=s_ve).fit(np.hstack([V, E]))
            M, lpv = reduce_proxy(V, E, tv, tve)
            opt = [constrained_ratio(M, lpv, s) for s in (4, 8, 16)]
            sym = constrained_ratio(*symmetrise(M, lpv), 8)
            cells = []
            for ep, lr in lam_settings:
                kw = dict(batch_size=100, learning_rate=lr, seed=seed + 10, eval_every=ep)
                if args.setting == "workflow":
                    kw.update(windows_per_epoch=3000, n_eval=2000)
                w = train_rsmi(V, E, tv, tve, 1, n_epochs=ep, **kw).weights.ravel()
                one_sign = bool((np.sign(w) == np.sign(w[0])).all())
                cells.append(f"{np.abs(w).max() / np.abs(w).min():.3f}{'' if one_sign else ' (mixed)'}"
                             f" (mean|λ| {np.abs(w).mean():.1f})")
            print(f"| {args.setting}{'' if args.augment == 'none' else ' ' + args.augment} | {seed} | {te} | " + " | ".join(f"{r:.3f}" for r in opt)
                  + f" | {sym:.3f} | " + " | ".join(cells) + f" | {time.perf_counter() - t0:.0f} |", flush=True)
            if args.data_g:
                Md, lpd = data_g_matrix(V, E)
                print(f"|   data-g | {seed} | – | " + " | ".join(f"{constrained_ratio(Md, lpd, s):.3f}" for s in (4, 8, 16))
                      + " | | |", flush=True)


if __name__ == "__main__":
    main()
