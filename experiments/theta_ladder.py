"""Issue 24, item 3: the controls behind README Findings 1 (does the paper's proxy A_Λ prefer
noise on the 8×8 fat dimer block *because of* the Θ-RBMs' spurious noise couplings?).

Two controls, both with ``experiments/decide_jensen.py``'s machinery (the jensen filter trained
with the pooled estimator ``rsmi.coarse.pooled`` at the workflow's settings, N_h 2, held-out windows):

1. A Θ-RBM quality ladder on the noisy data (L_V 8, L_B = L_E = 4): rungs of (hidden units of
   Θ^V / Θ^VE, epochs). Per rung: held-out log-likelihood per window of Θ^V and Θ^VE (AIS,
   ± SE of the mean over windows and of log Z), the hard-core rate of Θ^V draws (the fraction of
   draws in which each of the block's 9 interior vertices touches exactly one occupied link),
   and per seed the trained filter's R²(E) per unit, noise/link per unit, the training rise, and
   the pooled ΔA_Λ of the whole filter, of its noise sites only (links zeroed) and of the ideal
   field filter at the trained filter's per-unit norm, each ± jackknife SE.
2. The noise-free control: dimer samples drawn like the workflow's (same sampler, size and seed)
   with ``noise=False``, fresh Θ-RBMs with the workflow's settings, the same filter training.
   Per seed: the rise of A_Λ − A_0 ± SE, R²(E), canonical correlations, |cos| of each unit with
   the nearer ideal field filter, ΔA_Λ of the trained and of the ideal field filter (equal
   norm), and the held-out classifier bound (``rsmi.coarse.mi.estimate_mi``) of both.

The default rung loads the workflow's Θ-RBMs (``snakemake --cores 2
results/theta/dataset~dimer/L_V~8/L_B~4/L_E~4/theta_v.npz .../theta_ve.npz``); other Θ-RBMs are
trained here with the library's RBM (as the ``train_theta`` rule does, same windows and seed
labels) and cached under ``--work``.  Prints markdown tables.

Usage: python experiments/theta_ladder.py [--rungs small default long big] [--seeds 0 1 2]
       [--nf-seeds 0 1 2] [--parts ladder noisefree]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from rsmi.config import load_config, run_settings  # noqa: E402
from rsmi.windows.data import N_EVAL_WINDOWS, load_windows  # noqa: E402
from rsmi.sampling.dimers import fat_site_kinds, field_filters, sample_dimers  # noqa: E402
from rsmi.utils.io import save_npz  # noqa: E402
from rsmi.judge.metrics import criteria_rows  # noqa: E402
from rsmi.coarse.mi import estimate_mi  # noqa: E402
from rsmi.coarse.network import train_rsmi  # noqa: E402
from rsmi.coarse.pooled import PooledProxy, jackknife_mean  # noqa: E402
from rsmi.theta.rbm import RBM  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
GEOM = dict(model="dimer", L_V=8, L_B=4, L_E=4)
L_V = GEOM["L_V"]
# rung name -> (hidden units of Θ^V, of Θ^VE, epochs); None: the config's value
RUNGS = {"small": (32, 64, 5), "default": (None, None, None), "long": (None, None, 30), "big": (256, 512, 30)}


def interior_exactly_one(V: np.ndarray) -> np.ndarray:
    """Per window (rows of V, an 8×8 fat block flattened row-major): does every interior vertex
    of the block — vertex (x, y) at fat (2x, 2y) with 1 ≤ x, y ≤ 3, whose four links
    (2x±1, 2y) and (2x, 2y±1) all lie in the block — touch exactly one occupied link?"""
    B = np.asarray(V).reshape(-1, L_V, L_V).astype(np.int64)
    ok = np.ones(len(B), dtype=bool)
    for x in range(1, L_V // 2):
        for y in range(1, L_V // 2):
            n = B[:, 2 * x + 1, 2 * y] + B[:, 2 * x - 1, 2 * y] + B[:, 2 * x, 2 * y + 1] + B[:, 2 * x, 2 * y - 1]
            ok &= n == 1
    return ok


def windows(samples: Path, config) -> object:
    hp = config["theta_rbm"]["dimer"]
    return load_windows(samples, stride=config["windows"]["dimer"]["stride"],
                        validation_fraction=config["windows"]["validation_fraction"], master_seed=config["seed"],
                        dataset="dimer", max_train=hp["max_train_windows"], max_val=N_EVAL_WINDOWS, **GEOM)


def theta_pair(win, config, n_v, n_ve, epochs, cache: Path, label: str) -> tuple[RBM, RBM, float]:
    """Θ^V and Θ^VE trained as the train_theta rule does (config.theta_rbm.dimer, same windows and
    seed labels), with the hidden units / epochs given (None: the config's); cached in ``cache``."""
    out, t0, trained = [], time.perf_counter(), False
    for part, n_h in (("v", n_v), ("ve", n_ve)):
        path = cache / f"{label}_theta_{part}.npz"
        if path.exists():
            out.append(RBM.load(path))
            continue
        trained = True
        hp = dict(config["theta_rbm"]["dimer"])
        hp.pop("max_train_windows")
        default_h = hp.pop("n_hidden_v" if part == "v" else "n_hidden_ve")
        hp.pop("n_hidden_ve" if part == "v" else "n_hidden_v")
        if epochs is not None:
            hp["n_epochs"] = epochs
        X, X_val = ((win.V_train, win.V_val) if part == "v"
                    else (np.hstack([win.V_train, win.E_train]), np.hstack([win.V_val, win.E_val])))
        seed = derive_seed(config["seed"], "theta", "dimer", *GEOM.values(), part)
        rbm = RBM(n_hidden=n_h or default_h, seed=seed, **hp).fit(X, X_val=X_val)
        cache.mkdir(parents=True, exist_ok=True)
        rbm.save(path)
        out.append(rbm)
    return out[0], out[1], (time.perf_counter() - t0) if trained else math.inf


def theta_time(ts: float) -> str:
    """Seconds of Θ training; "workflow" (NaN) for the workflow's own pair, "cached" (inf) when loaded."""
    return "workflow" if ts != ts else "cached" if ts == math.inf else f"{ts:.0f}"


def fmt(v, se, d=4, sign=True):
    return f"{v:+.{d}f} ± {se:.{d}f}" if sign else f"{v:.{d}f} ± {se:.{d}f}"


def quality(tv, tve, win, args, rng_seed) -> dict:
    """Held-out log-likelihood per window (AIS) of Θ^V and Θ^VE."""
    ll_v = tv.log_likelihood(win.V_val, method="ais", n_ais_runs=args.ais_runs, n_ais_betas=args.ais_betas,
                             seed=np.random.default_rng([rng_seed, 1]))
    ll_ve = tve.log_likelihood(np.hstack([win.V_val, win.E_val]), method="ais", n_ais_runs=args.ais_runs,
                               n_ais_betas=args.ais_betas, seed=np.random.default_rng([rng_seed, 2]))
    return dict(ll_v=fmt(*ll_v, d=2), ll_ve=fmt(*ll_ve, d=2))


def hard_core(pp: PooledProxy) -> str:
    """Hard-core rate of the proxy's pool of Θ^V draws ± jackknife SE over its independent chain blocks."""
    ok = interior_exactly_one(pp.pool).astype(np.float64)
    m, se = jackknife_mean(ok, pp.pool_block, pp.n_blocks)
    return f"{100 * m:.1f} ± {100 * se:.1f} %"


def ideal_at_norm(fr_weights, V) -> tuple[np.ndarray, np.ndarray]:
    """The ideal field filters (axis 0 → unit 0, axis 1 → unit 1), each scaled to the norm of the
    trained unit of the same index, with bias −mean(v·λ) on V (centred codes)."""
    ff = field_filters(L_V)
    nrm = np.linalg.norm(np.asarray(fr_weights).reshape(L_V * L_V, -1), axis=0)
    w = ff / np.linalg.norm(ff.reshape(-1, 2), axis=0) * nrm[:2]
    b = -(np.asarray(V, dtype=np.float64) @ w.reshape(-1, 2)).mean(axis=0)
    return w, b


def abs_cos(fr_weights) -> list[float]:
    """|cos| of each trained unit with the nearer of the two ideal field filters."""
    ff = field_filters(L_V).reshape(-1, 2)
    w = np.asarray(fr_weights).reshape(L_V * L_V, -1)
    c = np.abs((w / np.linalg.norm(w, axis=0)).T @ (ff / np.linalg.norm(ff, axis=0)))
    return c.max(axis=1).tolist()


def train_filter(win, tv, tve, config, n_h, label, seed):
    settings = run_settings(config, dict(estimator="jensen", N_h=n_h, **GEOM))
    settings.pop("max_train_windows")
    t0 = time.perf_counter()
    fr = train_rsmi(win.V_train, win.E_train, tv, tve, n_h, block_shape=(L_V, L_V), V_val=win.V_val,
                    E_val=win.E_val, seed=derive_seed(config["seed"], "theta_ladder", label, n_h, seed), **settings)
    crit = {r["criterion"]: r for r in criteria_rows("x", "dimer", fr, data=win.V_val)}
    rise = fr.history[-1] - fr.history[0]
    rise_se = math.hypot(fr.history_err[-1], fr.history_err[0])
    row = dict(seed=seed, wall_s=f"{time.perf_counter() - t0:.0f}", rise=fmt(rise, rise_se),
               r2="/".join(f"{crit[f'field_r2_h{j}']['value']:.2f}" for j in range(n_h)),
               noise_link="/".join(f"{crit[f'noise_link_ratio_h{j}']['value']:.2f}" for j in range(n_h)),
               cancorr="/".join(f"{crit[f'canonical_corr_{i}']['value']:.2f}" for i in (1, 2)),
               cos="/".join(f"{c:.2f}" for c in abs_cos(fr.weights)))
    return fr, row


def proxy_scores(pp, fr, V) -> dict:
    noise = np.isin(fat_site_kinds(L_V), (0, 1))[:, :, None]
    wi, bi = ideal_at_norm(fr.weights, V)
    return dict(dA_full=fmt(*pp.estimate(fr.weights, fr.biases)),
                dA_noise=fmt(*pp.estimate(fr.weights * noise, fr.biases)),
                dA_ideal=fmt(*pp.estimate(wi, bi)))


def table(cols, rows, head=None):
    print("| " + " | ".join(head or cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    print(flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", nargs="+", default=["ladder", "noisefree"], choices=["ladder", "noisefree"])
    ap.add_argument("--rungs", nargs="+", default=["small", "default", "long", "big"], choices=list(RUNGS))
    ap.add_argument("--big", nargs=3, type=int, default=None, metavar=("NV", "NVE", "EPOCHS"),
                    help="override the big rung's hidden units and epochs")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--nf-seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--ais-runs", type=int, default=32)
    ap.add_argument("--ais-betas", type=int, default=2000)
    ap.add_argument("--results", type=Path, default=REPO / "results")
    ap.add_argument("--work", type=Path, default=REPO / "results/theta_ladder", help="cache of Θ-RBMs and samples")
    args = ap.parse_args()
    if args.big:
        RUNGS["big"] = tuple(args.big)
    config = load_config(REPO / "config.yaml")
    t_start = time.perf_counter()
    n_h = 2
    filt_cols = ["rung", "seed", "wall_s", "rise", "r2", "noise_link", "cancorr", "cos", "dA_full", "dA_noise",
                 "dA_ideal"]
    filt_head = ["rung", "seed", "wall s", "rise ± SE", "R²(E)", "noise/link", "canonical corr.", "\\|cos\\| field",
                 "ΔA full", "ΔA noise sites only", "ΔA ideal field (equal norm)"]
    rung_cols = ["rung", "n_hidden", "epochs", "theta_s", "ll_v", "ll_ve", "hard_core"]
    rung_head = ["rung", "hidden Θ^V/Θ^VE", "epochs", "Θ training s", "held-out log-lik. Θ^V (nats/window)",
                 "held-out log-lik. Θ^VE", "hard-core rate of Θ^V draws"]
    rung_rows, filt_rows = [], []

    if "ladder" in args.parts:
        win = windows(args.results / "samples/dimer.npz", config)
        data_ok = interior_exactly_one(win.V_val)
        print(f"control: held-out data blocks satisfying the hard-core rule: {data_ok.sum()} of {len(data_ok)}\n")
        hp = config["theta_rbm"]["dimer"]
        for rung in args.rungs:
            nv, nve, ep = RUNGS[rung]
            if rung == "default":
                theta_dir = args.results / "theta/dataset~dimer/L_V~8/L_B~4/L_E~4"
                tv, tve, ts = RBM.load(theta_dir / "theta_v.npz"), RBM.load(theta_dir / "theta_ve.npz"), float("nan")
            else:
                label = f"noisy_{nv or hp['n_hidden_v']}_{nve or hp['n_hidden_ve']}_{ep or hp['n_epochs']}"
                tv, tve, ts = theta_pair(win, config, nv, nve, ep, args.work, label)
            pp = PooledProxy(tv, tve, win.V_val, win.E_val, groups=win.G_val,
                             seed=derive_seed(config["seed"], "theta_ladder", "pool", rung))
            rr = dict(rung=rung, n_hidden=f"{nv or hp['n_hidden_v']}/{nve or hp['n_hidden_ve']}",
                      epochs=ep or hp["n_epochs"], theta_s=theta_time(ts), hard_core=hard_core(pp),
                      **quality(tv, tve, win, args, 11))
            rung_rows.append(rr)
            table(rung_cols, [rr], rung_head)
            for seed in args.seeds:
                fr, row = train_filter(win, tv, tve, config, n_h, rung, seed)
                row.update(rung=rung, **proxy_scores(pp, fr, win.V_val))
                cb = estimate_mi(fr.weights, fr.biases, win.V_val, win.E_val, groups=win.G_val,
                                 seed=derive_seed(config["seed"], "theta_ladder", "mi", rung, seed))
                row["mi_trained"] = fmt(cb["mi"], cb["stderr"])
                filt_rows.append(row)
                table(filt_cols + ["mi_trained"], [row], filt_head + ["classifier bound, trained"])
        print("## Ladder (noisy data)\n")
        table(rung_cols, rung_rows, rung_head)
        table(filt_cols + ["mi_trained"], filt_rows, filt_head + ["classifier bound, trained"])

    if "noisefree" in args.parts:
        spec = dict(config["samples"]["dimer"], noise=False)
        path = args.work / "dimer_noise_free.npz"
        if not path.exists():
            seed_seq = derive_seed(config["seed"], "sample", "dimer")
            kw = {k: spec[k] for k in ("burn_in", "gap") if spec.get(k) is not None}
            configs = sample_dimers(spec["L"], spec["n_samples"], seed=seed_seq, noise=False, **kw)
            args.work.mkdir(parents=True, exist_ok=True)
            save_npz(path, meta=dict(spec, dataset="dimer", master_seed=config["seed"]), configs=np.asarray(configs))
        win = windows(path, config)
        data_ok = interior_exactly_one(win.V_val)
        print(f"control: held-out noise-free data blocks satisfying the hard-core rule: "
              f"{data_ok.sum()} of {len(data_ok)}\n")
        tv, tve, ts = theta_pair(win, config, None, None, None, args.work, "noise_free_default")
        pp = PooledProxy(tv, tve, win.V_val, win.E_val, groups=win.G_val,
                         seed=derive_seed(config["seed"], "theta_ladder", "pool", "noise_free"))
        hp = config["theta_rbm"]["dimer"]
        rr = dict(rung="noise-free, default", n_hidden=f"{hp['n_hidden_v']}/{hp['n_hidden_ve']}",
                  epochs=hp["n_epochs"], theta_s=theta_time(ts), hard_core=hard_core(pp), **quality(tv, tve, win, args, 12))
        table(rung_cols, [rr], rung_head)
        nf_rows = []
        ff = field_filters(L_V)
        for seed in args.nf_seeds:
            fr, row = train_filter(win, tv, tve, config, n_h, "noise_free", seed)
            row.update(rung="noise-free", **proxy_scores(pp, fr, win.V_val))
            cb = estimate_mi(fr.weights, fr.biases, win.V_val, win.E_val, groups=win.G_val,
                             seed=derive_seed(config["seed"], "theta_ladder", "mi", seed))
            row["mi_trained"] = fmt(cb["mi"], cb["stderr"])
            nf_rows.append(row)
            table(filt_cols + ["mi_trained"], [row], filt_head + ["classifier bound, trained"])
        wi = ff
        bi = -(win.V_val.astype(np.float64) @ ff.reshape(-1, 2)).mean(axis=0)
        cb = estimate_mi(wi, bi, win.V_val, win.E_val, groups=win.G_val,
                         seed=derive_seed(config["seed"], "theta_ladder", "mi", "ideal"))
        print("## Noise-free control\n")
        table(rung_cols, [rr], rung_head)
        table(filt_cols + ["mi_trained"], nf_rows, filt_head + ["classifier bound, trained"])
        print(f"classifier bound of the ideal field filters (N_h 2, centred): {fmt(cb['mi'], cb['stderr'])} nats\n")
    print(f"total wall time: {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
