"""Held-out log-likelihood of Θ-RBMs against their hyper-parameters, on the workflow's windows.

For one data set (model and region sizes) and one target (Θ^VE on [v, e] or Θ^V on v), each
sweep varies one hyper-parameter around a baseline and records the fit's wall time
(single-threaded) and the held-out log-likelihood: exact when a layer has ≤ 20 units, else AIS
(``--ais-runs`` × ``--ais-betas``, the same AIS seed for every row, training-data means as the
base model). Training and held-out windows come from disjoint configurations.

    python experiments/rbm_hyperparameters.py --dataset ising_LV4 --target VE --sweep lr momentum
    python experiments/rbm_hyperparameters.py --list

Rows are appended to ``--csv`` (tidy: one row per fit) and printed as a markdown table.
Data sets are cached as .npz in ``--cache`` (default: a folder in the system temp dir).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from rsmi.utils.io import load_npz, save_npz  # noqa: E402
from rsmi.theta.rbm import RBM  # noqa: E402
from rsmi.windows.regions import cut_regions, region_masks  # noqa: E402

# name: (model, L_V, L_B, L_E, lattice side (fat for dimers), stride, train configs, held-out configs)
DATASETS = {
    "ising_LV2": ("ising", 2, 1, 1, 32, 4, 320, 80),
    "ising_LV4": ("ising", 4, 2, 2, 32, 4, 320, 80),
    "ising_LV6": ("ising", 6, 3, 3, 32, 4, 320, 80),
    "ising_LV4_LB1": ("ising", 4, 1, 2, 32, 4, 320, 80),
    "ising_LV4_LB3": ("ising", 4, 3, 2, 32, 4, 320, 80),
    "dimer_LV8": ("dimer", 8, 4, 4, 48, 8, 560, 140),
}

BASELINE = dict(
    n_hidden=64, k=1, persistent=True, batch_size=32, learning_rate=0.05, lr_schedule="linear",
    lr_final_fraction=0.1, momentum=0.5, weight_decay=1e-4, n_epochs=10, init_scale=0.01,
)

# The recommended Θ-RBM settings (docs/rbm_hyperparameters.md): RBM defaults plus these.
RECOMMENDED = {
    ("ising_LV2", "V"): dict(n_hidden=16), ("ising_LV2", "VE"): dict(n_hidden=32),
    ("ising_LV4", "V"): dict(n_hidden=16), ("ising_LV4", "VE"): dict(n_hidden=64),
    ("ising_LV4_LB1", "VE"): dict(n_hidden=64), ("ising_LV4_LB3", "VE"): dict(n_hidden=128),
    ("ising_LV6", "V"): dict(n_hidden=32), ("ising_LV6", "VE"): dict(n_hidden=128),
    ("dimer_LV8", "V"): dict(n_hidden=128),
    ("dimer_LV8", "VE"): dict(n_hidden=256, n_epochs=15, monitor_every=5),
}

# sweep name: list of parameter overrides (each a dict applied on top of the baseline)
SWEEPS = {
    "baseline": [{}],
    "lr": [{"learning_rate": v} for v in (0.01, 0.02, 0.05, 0.1)],
    "momentum": [{"momentum": v} for v in (0.0, 0.5, 0.9)],
    "k": [{"persistent": p, "k": k} for p in (False, True) for k in (1, 5)],
    "k_cd": [{"persistent": False, "k": k} for k in (1, 3, 5, 10)],
    "pcd": [{"persistent": True, "k": 1, "n_chains": nc, "learning_rate": lr, "momentum": 0.0}
            for nc in (32, 512) for lr in (0.005, 0.02)],
    "epochs": [{"n_epochs": v} for v in (5, 10, 20, 40)],
    "n_hidden": [{"n_hidden": v} for v in (16, 32, 64, 128)],
    "n_hidden_big": [{"n_hidden": v} for v in (64, 128, 256)],
    "batch": [{"batch_size": v} for v in (16, 32, 64, 128)],
    "init": [{"init_scale": v} for v in (0.01, 0.1)],
    # wide dimer windows: enough hidden units for every noise pair, and what buys pair fidelity
    "dimer_wide": [{"n_hidden": 256, "n_epochs": 20}, {"n_hidden": 256, "learning_rate": 0.1},
                   {"n_hidden": 256, "k": 1, "n_epochs": 20}, {"n_hidden": 192, "n_epochs": 20, "learning_rate": 0.1}],
    "dimer_v": [{"n_hidden": 128, "n_epochs": 20}, {"n_hidden": 256, "n_epochs": 20}],
    "schedule": [{"lr_schedule": "constant"}, {"lr_schedule": "linear", "lr_final_fraction": 0.1},
                 {"lr_schedule": "linear", "lr_final_fraction": 0.0}],
}


def load_dataset(name: str, cache: Path, seed: int = 0):
    """(train, held-out) dicts with "V" and "VE" arrays; sampled once, then cached."""
    model, L_V, L_B, L_E, L, stride, n_tr, n_val = DATASETS[name]
    path = cache / f"{name}_seed{seed}.npz"
    if path.exists():
        arrays, _ = load_npz(path, required=["V_tr", "E_tr", "V_val", "E_val"])
    else:
        t = time.perf_counter()
        if model == "ising":
            from rsmi.sampling.ising import T_C, sample_ising

            configs = sample_ising(L, T_C, n_tr + n_val, seed=seed)
        else:
            from rsmi.sampling.dimers import sample_dimers

            configs = sample_dimers(L // 2, n_tr + n_val, seed=seed, noise=True)
        V_tr, E_tr = cut_regions(configs[:n_tr], L_V, L_B, L_E, stride=stride, model=model)
        V_val, E_val = cut_regions(configs[n_tr:], L_V, L_B, L_E, stride=stride, model=model)
        arrays = dict(V_tr=V_tr, E_tr=E_tr, V_val=V_val, E_val=E_val)
        save_npz(path, meta={"dataset": name, "seed": seed}, **arrays)
        print(f"# sampled {name} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    tr = {"V": arrays["V_tr"], "VE": np.concatenate([arrays["V_tr"], arrays["E_tr"]], axis=1)}
    val = {"V": arrays["V_val"], "VE": np.concatenate([arrays["V_val"], arrays["E_val"]], axis=1)}
    return tr, val


def noise_pair_indices(L_V: int, L_B: int, L_E: int):
    """Columns of the vertex and face bit of every noise pair in [v, e] of a dimer window,
    split into pairs inside V and pairs inside E (regions start at even fat coordinates, so
    window-local (even, even) sites are vertices and (odd, odd) faces; the pair partner of
    vertex (2x, 2y) is face (2x+1, 2y+1), always in the same region)."""
    masks = region_masks(L_V, L_B, L_E)
    W = masks["V"].shape[0]
    col = {}
    for name in ("V", "E"):
        off = 0 if name == "V" else int(masks["V"].sum())
        flat = np.flatnonzero(masks[name].ravel())
        col[name] = {int(f): off + i for i, f in enumerate(flat)}
    pairs = {"V": [], "E": []}
    for x in range(0, W, 2):
        for y in range(0, W, 2):
            vert, face = x * W + y, (x + 1) * W + (y + 1)
            for name in ("V", "E"):
                if vert in col[name]:
                    assert face in col[name]
                    pairs[name].append((col[name][vert], col[name][face]))
    return np.array(pairs["V"]), np.array(pairs["E"])


def noise_pair_metrics(rbm, L_V, L_B, L_E, *, n_samples=2000, gibbs_steps=300, seed=0):
    """How the model treats the independent noise pairs (data: agreement 1, no V–E correlation).

    agree: mean over pairs of P_model(vertex bit == face bit);
    ve_corr_ratio: mean |corr| between the pair values (vertex bits) of V pairs and E pairs in
    model samples, divided by the mean |corr| of independent fair coins at the same sample size
    (≈ 1 when the model keeps V and E noise independent, ≫ 1 when it couples them)."""
    pv, pe = noise_pair_indices(L_V, L_B, L_E)
    X = rbm.sample(n_samples, gibbs_steps, seed=seed).astype(np.float64)
    agree = float(np.mean(X[:, np.r_[pv[:, 0], pe[:, 0]]] == X[:, np.r_[pv[:, 1], pe[:, 1]]]))
    A, B = X[:, pv[:, 0]], X[:, pe[:, 0]]
    A = (A - A.mean(0)) / (A.std(0) + 1e-12)
    B = (B - B.mean(0)) / (B.std(0) + 1e-12)
    corr = np.abs(A.T @ B / n_samples)
    rng = np.random.default_rng(seed)
    C = rng.random((n_samples, len(pv) + len(pe))) < 0.5
    Ca, Cb = C[:, : len(pv)].astype(float), C[:, len(pv) :].astype(float)
    Ca = (Ca - Ca.mean(0)) / Ca.std(0)
    Cb = (Cb - Cb.mean(0)) / Cb.std(0)
    null = np.abs(Ca.T @ Cb / n_samples).mean()
    return dict(noise_agree=agree, ve_corr_ratio=float(corr.mean() / null))


def run_one(Xtr, Xval, params, *, seed, ais_runs, ais_betas):
    rbm = RBM(seed=seed, **params)
    t = time.perf_counter()
    rbm.fit(Xtr)
    fit_s = time.perf_counter() - t
    t = time.perf_counter()
    ll, err = rbm.log_likelihood(Xval, n_ais_runs=ais_runs, n_ais_betas=ais_betas, seed=12345)
    log_z, err_z = rbm.log_partition(n_ais_runs=ais_runs, n_ais_betas=ais_betas, seed=12345)
    eval_s = time.perf_counter() - t
    return rbm, dict(fit_s=fit_s, eval_s=eval_s, val_loglik=ll, val_loglik_err=err, log_z_err=err_z)


def append_csv(path: Path, row: dict) -> None:
    """Append ``row`` to a tidy CSV; if it brings new columns, rewrite the file with their union
    (missing entries empty)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows, fields = [], list(row)
    if path.exists():
        with open(path, newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            fields = list(reader.fieldnames or []) + [k for k in row if k not in (reader.fieldnames or [])]
    rows.append(row)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, restval="")
        w.writeheader()
        w.writerows(rows)


def print_tables(path: Path) -> None:
    """Markdown tables of a results CSV: one per (dataset, target), rows in sweep order."""
    import pandas as pd

    df = pd.read_csv(path)
    keys = ["n_hidden", "k", "persistent", "n_chains", "batch_size", "learning_rate", "momentum", "n_epochs", "init_scale"]
    for (ds, tgt), g in df.groupby(["dataset", "target"], sort=False):
        extra = [c for c in ("noise_agree", "ve_corr_ratio") if c in g and g[c].notna().any()]
        print(f"\n**{ds}, Θ^{tgt}** ({int(g.n_visible.iloc[0])} visible, {int(g.n_train.iloc[0])} training windows)\n")
        head = ["sweep", *keys, "fit [s]", "held-out LL", "se(log Z)", *extra]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for _, r in g.iterrows():
            chains = "" if (pd.isna(r.get("n_chains")) or r.get("n_chains") == "") else int(float(r["n_chains"]))
            vals = [r.sweep, int(r.n_hidden), int(r.k), "PCD" if str(r.persistent) == "True" else "CD", chains,
                    int(r.batch_size), f"{r.learning_rate:g}", f"{r.momentum:g}", int(r.n_epochs), f"{r.init_scale:g}",
                    f"{r.fit_s:.1f}", f"{r.val_loglik:.3f}", f"{r.log_z_err:.3f}", *[f"{r[c]:.3f}" for c in extra]]
            print("| " + " | ".join(str(v) for v in vals) + " |")


def run_recommended(args) -> None:
    """Fit each recommended Θ-RBM as the workflow would (defaults + n_hidden, monitor on)."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    print("| data | target | visible | n_hidden | fit incl. monitor [s] | of which training [s] | "
          "held-out LL (final, AIS 100x10000 or exact) | se | first → last monitored LL |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (name, target), params in RECOMMENDED.items():
        tr, val = load_dataset(name, args.cache)
        Xtr, Xval = tr[target], val[target]
        RBM(4, n_epochs=1, batch_size=8, seed=0).fit(Xtr[:64], Xval[:64])  # compile outside the timings
        rbm = RBM(seed=0, **params)
        t = time.perf_counter()
        rbm.fit(Xtr, Xval)
        total = time.perf_counter() - t
        ll, err = rbm.log_likelihood(Xval, n_ais_runs=100, n_ais_betas=10000, seed=12345)
        h = rbm.history_["val_loglik"]
        extra = ", ".join(f"{k} {v}" for k, v in params.items() if k != "n_hidden")
        print(f"| {name} | {target} | {Xtr.shape[1]} | {params['n_hidden']}{' (' + extra + ')' if extra else ''} | {total:.1f} | {rbm.fit_seconds_:.1f} | "
              f"{ll:.3f} | {err:.3f} | {h[0]:.2f} → {h[-1]:.2f} |", flush=True)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=sorted(DATASETS), default="ising_LV4")
    p.add_argument("--target", choices=("VE", "V"), default="VE")
    p.add_argument("--sweep", nargs="+", default=["baseline"], choices=sorted(SWEEPS))
    p.add_argument("--set", default="{}", help="JSON overrides of the baseline, e.g. '{\"momentum\": 0}'")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--ais-runs", type=int, default=100)
    p.add_argument("--ais-betas", type=int, default=3000)
    p.add_argument("--csv", type=Path, default=None)
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "rsmi_rbm_hparams")
    p.add_argument("--list", action="store_true")
    p.add_argument("--table", type=Path, default=None, help="print markdown tables of a results CSV and exit")
    p.add_argument("--recommended", action="store_true",
                   help="fit every (data set, target) of RECOMMENDED with the RBM defaults plus its overrides, "
                        "with the per-epoch held-out monitor on, and print time and quality")
    args = p.parse_args(argv)
    if args.table is not None:
        print_tables(args.table)
        return
    if args.recommended:
        run_recommended(args)
        return
    if args.list:
        for name, spec in DATASETS.items():
            print(name, spec)
        print("sweeps:", ", ".join(SWEEPS))
        return
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    tr, val = load_dataset(args.dataset, args.cache)
    Xtr, Xval = tr[args.target], val[args.target]
    base = {**BASELINE, **json.loads(args.set)}
    RBM(4, n_epochs=1, batch_size=8, seed=0).fit(Xtr[:64])  # compile outside the timings
    RBM(4, n_epochs=1, batch_size=8, seed=0, persistent=False).fit(Xtr[:64])
    print(f"# {args.dataset} {args.target}: {Xtr.shape[1]} visible, {len(Xtr)} training / {len(Xval)} held-out windows")
    print(f"# baseline {base}")
    rows = []
    for sweep in args.sweep:
        for override in SWEEPS[sweep]:
            params = {**base, **override}
            for seed in args.seeds:
                rbm, res = run_one(Xtr, Xval, params, seed=seed, ais_runs=args.ais_runs, ais_betas=args.ais_betas)
                model, L_V, L_B, L_E = DATASETS[args.dataset][:4]
                if model == "dimer" and args.target == "VE":
                    res.update(noise_pair_metrics(rbm, L_V, L_B, L_E))
                row = dict(dataset=args.dataset, target=args.target, n_visible=Xtr.shape[1], n_train=len(Xtr),
                           sweep=sweep, change=json.dumps(override), seed=seed, **params, **res)
                rows.append(row)
                extra = "".join(f" {k} {v:.3f}" for k, v in res.items() if k in ("noise_agree", "ve_corr_ratio"))
                print(f"# {sweep} {override} seed {seed}: LL {res['val_loglik']:.4f} ± {res['log_z_err']:.4f} "
                      f"(fit {res['fit_s']:.1f} s){extra}", flush=True)
                if args.csv is not None:
                    append_csv(args.csv, row)
    print()
    extra = [k for k in ("noise_agree", "ve_corr_ratio") if rows and k in rows[0]]
    print("| data | target | sweep | change | seed | fit [s] | held-out LL [nats] | se(log Z) |"
          + "".join(f" {k} |" for k in extra))
    print("|---|---|---|---|---|---|---|---|" + "---|" * len(extra))
    for r in rows:
        print(f"| {r['dataset']} | {r['target']} | {r['sweep']} | {r['change']} | {r['seed']} | {r['fit_s']:.1f} | "
              f"{r['val_loglik']:.3f} | {r['log_z_err']:.3f} |" + "".join(f" {r[k]:.3f} |" for k in extra))


if __name__ == "__main__":
    main(sys.argv[1:])
