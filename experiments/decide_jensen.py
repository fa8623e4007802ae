"""Issue 11: does the paper's own proxy A_Λ, estimated precisely, reproduce Fig. 4 on noisy dimers?

For each seed and N_h the script trains the jensen RSMI filter on the workflow's 8×8 fat dimer
block (L_B = L_E = 4) with the pooled importance-sampling estimator (rsmi.coarse.pooled) and the
workflow's Θ-RBMs, then prints the Fig. 4 criteria (R²(E) per filter, noise/link, canonical
correlations) on held-out windows and the training curve's rise ± SE.

Needs the default workflow's samples and Θ-RBMs (`snakemake --cores 2 results/theta/dataset~dimer/L_V~8/L_B~4/L_E~4/theta_ve.npz
results/theta/dataset~dimer/L_V~8/L_B~4/L_E~4/theta_v.npz`).

Usage: python experiments/decide_jensen.py [--seeds 0 1 2 3 4] [--n-hidden 2 4] [--epochs 60] [--csv out.csv]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from rsmi.config import load_config, run_settings  # noqa: E402
from rsmi.windows.data import N_EVAL_WINDOWS, load_windows  # noqa: E402
from rsmi.judge.metrics import criteria_rows  # noqa: E402
from rsmi.coarse.network import train_rsmi  # noqa: E402
from rsmi.theta.rbm import RBM  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
GEOM = dict(model="dimer", L_V=8, L_B=4, L_E=4)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    ap.add_argument("--n-hidden", nargs="+", type=int, default=[2, 4])
    ap.add_argument("--epochs", type=int, default=None, help="override the config's n_epochs")
    ap.add_argument("--lr", type=float, default=None, help="override the config's learning_rate")
    ap.add_argument("--results", type=Path, default=REPO / "results")
    ap.add_argument("--csv", type=Path, default=None)
    ap.add_argument("--save", type=Path, default=None, help="folder for each trained filter (rsmi.npz per N_h, seed)")
    args = ap.parse_args()
    config = load_config(REPO / "config.yaml")
    theta_dir = args.results / "theta/dataset~dimer/L_V~8/L_B~4/L_E~4"
    tv, tve = RBM.load(theta_dir / "theta_v.npz"), RBM.load(theta_dir / "theta_ve.npz")
    cols = ["N_h", "seed", "wall_s", "rise", "rise_se", "r2", "noise_link", "cancorr", "fig4_all",
            "dA_full", "dA_noise_part", "dA_link_part"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    rows = []
    for n_h in args.n_hidden:
        settings = run_settings(config, dict(estimator="jensen", N_h=n_h, **GEOM))
        if args.epochs:
            settings["n_epochs"] = args.epochs
            settings["snapshot_epochs"] = [s for s in settings["snapshot_epochs"] if s <= args.epochs]
        if args.lr:
            settings["learning_rate"] = args.lr
        max_train = settings.pop("max_train_windows")
        win = load_windows(args.results / "samples/dimer.npz", stride=config["windows"]["dimer"]["stride"],
                           validation_fraction=config["windows"]["validation_fraction"], master_seed=config["seed"],
                           dataset="dimer", max_train=max_train, max_val=N_EVAL_WINDOWS, **GEOM)
        for seed in args.seeds:
            t0 = time.perf_counter()
            fr = train_rsmi(win.V_train, win.E_train, tv, tve, n_h, block_shape=(8, 8), V_val=win.V_val,
                            E_val=win.E_val, seed=derive_seed(config["seed"], "decide", n_h, seed), **settings)
            wall = time.perf_counter() - t0
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                fr.save(args.save / f"N_h{n_h}_seed{seed}.npz")
            crit = {r["criterion"]: r for r in criteria_rows("x", "dimer", fr, data=win.V_val)}
            r2 = [crit[f"field_r2_h{j}"]["value"] for j in range(n_h)]
            nl = [crit[f"noise_link_ratio_h{j}"]["value"] for j in range(n_h)]
            cc = [crit[f"canonical_corr_{i}"]["value"] for i in (1, 2)]
            ok = all(r["pass"] for r in crit.values() if r["op"])
            rise = fr.history[-1] - fr.history[0]
            rise_se = math.hypot(fr.history_err[-1], fr.history_err[0])
            row = dict(N_h=n_h, seed=seed, wall_s=f"{wall:.0f}", rise=f"{rise:.4f}", rise_se=f"{rise_se:.4f}",
                       r2="/".join(f"{x:.2f}" for x in r2), noise_link="/".join(f"{x:.2f}" for x in nl),
                       cancorr="/".join(f"{x:.2f}" for x in cc[:2]), fig4_all="yes" if ok else "no")
            row.update(score_parts(fr, tv, tve, win, seed))
            rows.append(row)
            print("| " + " | ".join(str(row[c]) for c in cols) + " |", flush=True)
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)


def score_parts(fr, tv, tve, win, seed) -> dict:
    """ΔA_Λ ± SE (pooled, held-out windows) of the trained filter, of its noise sites only and of
    its link sites only: a noise part scoring > 0.01 nats by more than 2·SE is the proxy
    preferring noise (a failed null test on the filter the proxy itself chose)."""
    from rsmi.sampling.dimers import fat_site_kinds
    from rsmi.coarse.pooled import PooledProxy

    noise = np.isin(fat_site_kinds(8), (0, 1))[:, :, None]
    pp = PooledProxy(tv, tve, win.V_val, win.E_val, groups=win.G_val, seed=seed)
    out = {}
    for name, w in (("dA_full", fr.weights), ("dA_noise_part", fr.weights * noise),
                    ("dA_link_part", fr.weights * ~noise)):
        v, se = pp.estimate(w, fr.biases)
        out[name] = f"{v:+.4f} ± {se:.4f}"
    return out


if __name__ == "__main__":
    sys.exit(main())
