"""rsmi.RBM against scikit-learn's BernoulliRBM on critical-Ising windows: wall time and
held-out log-likelihood, side by side, in one run.

Data: critical Ising configurations (``rsmi.sampling.ising.sample_ising``), cut into windows with a
4×4 block V, buffer 2 and environment 2 (window 12×12): the visible vector is [v, e], 16 + 80
= 96 units. Configurations are split into training and held-out sets before cutting, so no
held-out window shares a configuration with a training window.

Both estimators get the same n_hidden, epochs and batch size. BLAS is limited to one thread
for both (threadpoolctl), and the numba kernels of rsmi.RBM are serial. The held-out
log-likelihood of every model, scikit-learn's included, is the AIS estimate of
``rsmi.theta.partition.log_partition_ais`` with the same settings and the training-data means as base
model; scikit-learn's ``components_`` (n_hidden, n_visible) is transposed into W.

Run:  python benchmarks/bench_rbm.py [--n-configs 400 --epochs 10 --n-hidden 64 --batch-size 32]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from rsmi.sampling.ising import T_C, sample_ising  # noqa: E402
from rsmi.theta.partition import free_energy, log_partition_ais  # noqa: E402
from rsmi.theta.rbm import RBM  # noqa: E402
from rsmi.windows.regions import cut_regions  # noqa: E402


def ising_windows(L: int, n_configs: int, n_val_configs: int, *, L_V=4, L_B=2, L_E=2, stride=4, seed=0):
    """Training and held-out [v, e] windows of critical Ising configurations (uint8)."""
    configs = sample_ising(L, T_C, n_configs + n_val_configs, seed=seed)

    def cut(c):
        V, E = cut_regions(c, L_V, L_B, L_E, stride=stride, model="ising")
        return np.ascontiguousarray(np.concatenate([V, E], axis=1))

    return cut(configs[:n_configs]), cut(configs[n_configs:])


def ais_loglik(W, a, c, base, X_val, *, n_runs, n_betas, seed):
    """(mean held-out log p, se of log Z, se of the data mean) for parameters (W, a, c)."""
    log_z, se_z = log_partition_ais(W, a, c, base_visible_bias=base, n_runs=n_runs, n_betas=n_betas, seed=seed)
    lp = -free_energy(X_val, W, a, c) - log_z
    return float(lp.mean()), se_z, float(lp.std(ddof=1) / math.sqrt(len(lp)))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--L", type=int, default=32)
    p.add_argument("--n-configs", type=int, default=400, help="training configurations")
    p.add_argument("--n-val-configs", type=int, default=100, help="held-out configurations")
    p.add_argument("--stride", type=int, default=4)
    p.add_argument("--n-hidden", type=int, default=64)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3, help="timed fits per model (round-robin); the minimum is reported")
    p.add_argument("--ais-runs", type=int, default=100)
    p.add_argument("--ais-betas", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    from sklearn.neural_network import BernoulliRBM

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # env vars above already pin OpenBLAS to one thread
        threadpool_limits = None

    t0 = time.perf_counter()
    Xtr, Xval = ising_windows(args.L, args.n_configs, args.n_val_configs, stride=args.stride, seed=args.seed)
    print(
        f"# data: critical Ising L={args.L}, windows V 4x4 / B 2 / E 2 -> {Xtr.shape[1]} visible units; "
        f"{len(Xtr)} training windows ({args.n_configs} configs), {len(Xval)} held-out ({args.n_val_configs} configs); "
        f"sampled in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    base = np.log(np.clip(Xtr.mean(0), 1e-3, 1 - 1e-3)) - np.log1p(-np.clip(Xtr.mean(0), 1e-3, 1 - 1e-3))
    common = dict(n_hidden=args.n_hidden, epochs=args.epochs, batch=args.batch_size)

    # (label, factory returning a fit function that returns (W, a, c))
    def sk(dtype, lr):
        def fit(seed):
            m = BernoulliRBM(n_components=args.n_hidden, learning_rate=lr, batch_size=args.batch_size,
                             n_iter=args.epochs, random_state=seed)
            m.fit(Xtr.astype(dtype))
            return m.components_.T.astype(np.float64), m.intercept_visible_.astype(np.float64), m.intercept_hidden_.astype(np.float64)
        return fit

    def ours(**kw):
        def fit(seed):
            m = RBM(args.n_hidden, n_epochs=args.epochs, batch_size=args.batch_size, seed=seed, **kw).fit(Xtr)
            return m.weights_, m.visible_bias_, m.hidden_bias_
        return fit

    models = [
        ("sklearn BernoulliRBM (PCD-1), float64, lr 0.1 (its default)", sk(np.float64, 0.1)),
        ("sklearn BernoulliRBM (PCD-1), float64, lr 0.05", sk(np.float64, 0.05)),
        ("sklearn BernoulliRBM (PCD-1), float32, lr 0.05", sk(np.float32, 0.05)),
        ("rsmi.RBM PCD-1, lr 0.05 linear decay, no momentum", ours(persistent=True, k=1, momentum=0.0)),
        ("rsmi.RBM CD-1, lr 0.05, momentum 0.5", ours(persistent=False, k=1)),
        ("rsmi.RBM CD-3, lr 0.05, momentum 0.5", ours(persistent=False, k=3)),
        ("rsmi.RBM CD-5, lr 0.05, momentum 0.5", ours(persistent=False, k=5)),
    ]
    RBM(4, n_epochs=1, batch_size=8, seed=0).fit(Xtr[:64])  # compile numba kernels outside timing
    RBM(4, n_epochs=1, batch_size=8, seed=0, persistent=False).fit(Xtr[:64])

    ctx = threadpool_limits(1) if threadpool_limits else None
    if ctx is not None:
        ctx.__enter__()
    wall = {label: [] for label, _ in models}
    cpu = {label: [] for label, _ in models}
    params = {label: [] for label, _ in models}
    try:
        # Round-robin over the models, so that load from other processes hits all of them alike.
        for r in range(args.repeats):
            for label, fit in models:
                t, tc = time.perf_counter(), time.process_time()
                params[label].append(fit(args.seed + r))
                wall[label].append(time.perf_counter() - t)
                cpu[label].append(time.process_time() - tc)
                print(f"# repeat {r}: {label}: wall {wall[label][-1]:.2f} s, cpu {cpu[label][-1]:.2f} s", flush=True)
    finally:
        if ctx is not None:
            ctx.__exit__(None, None, None)
    rows = []
    for label, _ in models:
        res = [ais_loglik(W, a, c, base, Xval, n_runs=args.ais_runs, n_betas=args.ais_betas, seed=args.seed + 1000)
               for W, a, c in params[label]]
        lls = np.array([r[0] for r in res])
        sd = float(lls.std(ddof=1)) if len(lls) > 1 else float("nan")
        rows.append((label, min(wall[label]), float(lls.mean()), max(r[1] for r in res), res[0][2], min(cpu[label]), sd))
        print(f"# held-out LL: {label}: {np.round(lls, 3)}", flush=True)

    ref = rows[0][5]
    n_sk = sum(label.startswith("sklearn") for label, *_ in rows)
    best_sk = max(rows[:n_sk], key=lambda r: r[2])
    print()
    print(f"n_hidden={common['n_hidden']}, epochs={common['epochs']}, batch_size={common['batch']}, "
          f"1 BLAS thread, min of {args.repeats} fits (seeds {args.seed}..{args.seed + args.repeats - 1}); "
          f"held-out LL: mean (and sd) over the {args.repeats} fits, each by AIS ({args.ais_runs} runs x {args.ais_betas} betas)")
    print(f"held-out windows: {len(Xval)}; se(data mean) = {rows[0][4]:.3f} nats is common to all rows (same windows)")
    print()
    print("speed-ups are ratios of CPU times (less sensitive to other processes than wall times)")
    print()
    print(f"| {'model':<66} | {'wall [s]':>8} | {'cpu [s]':>7} | {'speed-up vs sklearn row 1':>25} | "
          f"{'speed-up vs best sklearn':>24} | {'held-out LL [nats]':>18} | {'sd over fits':>12} | {'max se(log Z)':>13} |")
    print(f"|{'-' * 68}|{'-' * 10}|{'-' * 9}|{'-' * 27}|{'-' * 26}|{'-' * 20}|{'-' * 14}|{'-' * 15}|")
    for label, t, ll, se_z, _, tc, sd in rows:
        print(f"| {label:<66} | {t:8.2f} | {tc:7.2f} | {ref / tc:25.2f} | {best_sk[5] / tc:24.2f} | {ll:18.4f} | "
              f"{sd:12.3f} | {se_z:13.4f} |")
    print(f"\nbest sklearn row by held-out LL: {best_sk[0]} ({best_sk[2]:.4f} nats)")


if __name__ == "__main__":
    main(sys.argv[1:])
