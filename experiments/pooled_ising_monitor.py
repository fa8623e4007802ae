"""Is the pooled estimator (rsmi.coarse.pooled) precise enough to monitor the Ising training curves?

The Monte Carlo path's monitor (heat-bath chains per h-state) dominates the default run's
time (docs/time_budget.md).  Before the Ising runs are monitored with the pooled estimator
instead, this script measures it on the workflow's own Θ-RBMs, windows and trained filters:

1. Ising 4×4 block (L_B = L_E = 2; |V| = 16, enumerable): ΔA_Λ = A_Λ − A_0 of the stored filter
   snapshots (N_h 1 and 4) exactly (rsmi.coarse.network.proxy_and_gradient_exact) and from 20 pools
   (20 evaluation seeds) on the same windows: error, stated SE, z = error / SE.
2. Ising 6×6 block (Fig. 5, |V| = 36): 10 pools per snapshot; the spread of the values against
   their stated SE (χ² per degree of freedom), and the snapshot-to-snapshot rise.

Needs the default workflow's samples, Θ-RBMs and runs (`snakemake --cores 2` first).

Usage: python experiments/pooled_ising_monitor.py [--seeds 20] [--n-eval 2000]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from rsmi.config import load_config  # noqa: E402
from rsmi.windows.data import load_windows  # noqa: E402
from rsmi.coarse.network import proxy_and_gradient_exact  # noqa: E402
from rsmi.coarse.pooled import PooledProxy  # noqa: E402
from rsmi.theta.rbm import RBM  # noqa: E402
from rsmi.coarse.results import FilterResult  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _geometry(results, config, L_V, L_B, L_E, n_eval):
    tag = f"L_V~{L_V}/L_B~{L_B}/L_E~{L_E}"
    theta = results / "theta/dataset~ising" / tag
    tv, tve = RBM.load(theta / "theta_v.npz"), RBM.load(theta / "theta_ve.npz")
    win = load_windows(results / "samples/ising.npz", model="ising", L_V=L_V, L_B=L_B, L_E=L_E,
                       stride=config["windows"]["ising"]["stride"],
                       validation_fraction=config["windows"]["validation_fraction"], master_seed=config["seed"],
                       dataset="ising", max_train=n_eval, max_val=1)
    return tv, tve, win.V_train, win.E_train, win.G_train


def _filters(results, L_V, L_B, L_E, N_h):
    fr = FilterResult.load(results / f"runs/model~ising/L_V~{L_V}/N_h~{N_h}/L_B~{L_B}/L_E~{L_E}/estimator~jensen/rsmi.npz")
    out = [(f"epoch {int(e)}", s.reshape(L_V * L_V, N_h), None) for e, s in zip(fr.snapshot_epochs, fr.snapshots)]
    out.append(("final", fr.weights.reshape(L_V * L_V, N_h), fr.biases))
    return out


def _pooled(tv, tve, V, E, G, lam, b, seed):
    pp = PooledProxy(tv, tve, V, E, groups=G, seed=seed)
    return pp.estimate(lam, b)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--n-eval", type=int, default=2000)
    ap.add_argument("--results", type=Path, default=REPO / "results")
    args = ap.parse_args()
    config = load_config(REPO / "config.yaml")

    print("## Ising 4x4 (|V| = 16): pooled vs exact ΔA_Λ over", args.seeds, "pools\n")
    print("| N_h | filter | exact ΔA | mean pooled − exact | SE of that mean | median stated SE | max abs z | s per pool |")
    print("|---|---|---|---|---|---|---|---|")
    tv, tve, V, E, G = _geometry(args.results, config, 4, 2, 2, args.n_eval)
    for n_h in (1, 4):
        for name, lam, b in _filters(args.results, 4, 2, 2, n_h):
            b = np.zeros(n_h) if b is None else b
            exact = (proxy_and_gradient_exact(lam, b, V, E, tv, tve)[0]
                     - proxy_and_gradient_exact(np.zeros_like(lam), np.zeros_like(b), V, E, tv, tve)[0])
            t0 = time.perf_counter()
            res = np.array([_pooled(tv, tve, V, E, G, lam, b, s) for s in range(args.seeds)])
            dt = (time.perf_counter() - t0) / args.seeds
            err = res[:, 0] - exact
            print(f"| {n_h} | {name} | {exact:.4f} | {err.mean():+.4f} | {err.std(ddof=1) / np.sqrt(err.size):.4f} "
                  f"| {np.median(res[:, 1]):.4f} | {np.abs(err / res[:, 1]).max():.2f} | {dt:.2f} |", flush=True)

    n6 = max(2, args.seeds // 2)
    print(f"\n## Ising 6x6 (|V| = 36, Fig. 5): {n6} pools per snapshot\n")
    print("| filter | mean ΔA | SD over pools | median stated SE | χ²/dof of the spread |")
    print("|---|---|---|---|---|")
    tv, tve, V, E, G = _geometry(args.results, config, 6, 3, 3, args.n_eval)
    for name, lam, b in _filters(args.results, 6, 3, 3, 1):
        b = np.zeros(1) if b is None else b
        res = np.array([_pooled(tv, tve, V, E, G, lam, b, s) for s in range(n6)])
        chi2 = float((((res[:, 0] - res[:, 0].mean()) / res[:, 1]) ** 2).sum() / (n6 - 1))
        print(f"| {name} | {res[:, 0].mean():.4f} | {res[:, 0].std(ddof=1):.4f} | {np.median(res[:, 1]):.4f} "
              f"| {chi2:.2f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
