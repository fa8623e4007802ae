"""The RSMI-NE comparison of issue 7: variational (Barber–Agakov) filters on noisy dimers.

Setting (as measured for RSMI-NE): free dimers with noise, V 8×8 fat, L_B = L_E = 4, N_h = 2,
28 800 training windows cut with stride 8 from 450 configurations of a 64×64 fat lattice
(L = 32 vertices), 100 epochs. A further 90 configurations give the held-out windows. For
each seed the script prints: training time on one core (BLAS and numba threads set to 1 before
numpy is imported; wall and process CPU time — on a loaded machine the CPU time is the fairer
number), R²(E) per filter, the noise/link ratio of mean |λ| (worst filter), the two canonical correlations of
(s₁, s₂) with (E₀, E₁), whether both field directions are captured (both ≥ 0.9), the held-out
bound (jointly trained critic), the held-out hard-code classifier estimate of I(H:E)
(rsmi.coarse.mi, scale-free) and whether a second run with the same seed gives the same bytes.

Criteria functions come from rsmi.judge.metrics (the figure criteria of method.md §6).

RSMI-NE reference (issue 7): 44–51 s on one core; R²(E) 0.76–0.92 per filter; noise/link
0.02–0.09; both directions captured in 1 of 5 runs; two runs with one seed disagreed.

Usage: python benchmarks/bench_variational.py [--seeds 5] [--l2 1e-3] [--optimizer adam] ...
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import hashlib  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from rsmi.sampling.dimers import block_field, fat_site_kinds, sample_dimers  # noqa: E402
from rsmi.judge.metrics import canonical_correlations, field_r2, noise_link_ratio, preactivations  # noqa: E402
from rsmi.coarse.mi import estimate_mi  # noqa: E402
from rsmi.windows.regions import cut_regions  # noqa: E402
from rsmi.coarse.variational import train_variational  # noqa: E402


def _digest(result) -> str:
    h = hashlib.sha256()
    for a in (result.weights, result.biases, result.history, result.val_history,
              result.extra["critic_weights"], result.extra["critic_biases"]):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:12]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--data-seed", type=int, default=2024)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--learning-rate", type=float, default=0.01)
    ap.add_argument("--l2", type=float, default=1e-3)
    ap.add_argument("--l2-critic", type=float, default=None)
    ap.add_argument("--optimizer", default="adam", choices=("adam", "momentum"))
    ap.add_argument("--no-repeat", action="store_true", help="skip the same-seed re-run")
    args = ap.parse_args()

    L, L_V, L_B, L_E, stride, n_train_cfg, n_val_cfg = 32, 8, 4, 4, 8, 450, 90
    t0 = time.perf_counter()
    configs = sample_dimers(L, n_train_cfg + n_val_cfg, seed=args.data_seed, noise=True)
    V, E = cut_regions(configs[:n_train_cfg], L_V, L_B, L_E, stride=stride, model="dimer")
    V_val, E_val = cut_regions(configs[n_train_cfg:], L_V, L_B, L_E, stride=stride, model="dimer")
    fields_val = block_field(V_val.reshape(-1, L_V, L_V))
    fields = block_field(V.reshape(-1, L_V, L_V))
    kinds = fat_site_kinds(L_V)
    print(f"data: {V.shape[0]} training windows (V {V.shape[1]}, E {E.shape[1]} sites), "
          f"{V_val.shape[0]} held-out; sampled and cut in {time.perf_counter() - t0:.1f} s")
    print(f"settings: epochs {args.epochs}, batch {args.batch_size}, lr {args.learning_rate}, "
          f"l2 {args.l2}, l2_critic {args.l2_critic if args.l2_critic is not None else args.l2}, "
          f"optimizer {args.optimizer}, cosine decay")
    kw = dict(n_epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
              l2=args.l2, l2_critic=args.l2_critic, optimizer=args.optimizer, V_val=V_val, E_val=E_val)

    head = (f"{'seed':>4} {'wall s':>7} {'cpu s':>6} {'R2 s1':>6} {'R2 s2':>6} {'noise/link':>10} "
            f"{'cc1':>6} {'cc2':>6} {'both':>5} {'val B':>7} {'I_clf':>13} {'same bytes':>10}")
    print(head)
    print("-" * len(head))
    rows = []
    for seed in range(args.seeds):
        w0, c0 = time.perf_counter(), time.process_time()
        res = train_variational(V, E, 2, seed=seed, **kw)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        same = "-"
        if not args.no_repeat:
            same = "yes" if _digest(train_variational(V, E, 2, seed=seed, **kw)) == _digest(res) else "NO"
        # Criteria on the training windows (as RSMI-NE's numbers were); held-out R² is printed below.
        r2 = field_r2(res.weights, res.biases, V, fields)
        cc = canonical_correlations(preactivations(res.weights, res.biases, V), fields)
        nl = float(np.max(noise_link_ratio(res.weights, kinds)))  # worst filter
        both = bool(np.all(cc >= 0.9))
        mi = estimate_mi(res.weights, res.biases, V_val, E_val, seed=seed,
                         groups=np.repeat(np.arange(n_val_cfg), V_val.shape[0] // n_val_cfg))
        rows.append((wall, cpu, r2, nl, cc, both, same))
        print(f"{seed:>4} {wall:>7.1f} {cpu:>6.1f} {r2[0]:>6.3f} {r2[1]:>6.3f} {nl:>10.3f} "
              f"{cc[0]:>6.3f} {cc[1]:>6.3f} {'yes' if both else 'no':>5} {res.val_history[-1]:>7.4f} "
              f"{mi['mi']:>7.4f}±{mi['stderr']:.4f} {same:>10}")
    r2_all = np.array([r[2] for r in rows])
    print("-" * len(head))
    print(f"goal: both directions every seed [{sum(r[5] for r in rows)}/{len(rows)}], "
          f"R2 >= 0.9 per filter [min {r2_all.min():.3f}], "
          f"noise/link <= 0.05 [max {max(r[3] for r in rows):.3f}], "
          f"same bytes [{'all' if all(r[6] == 'yes' for r in rows) else 'not checked' if args.no_repeat else 'NO'}], "
          f"<= 45 s per run [max wall {max(r[0] for r in rows):.1f} s, max cpu {max(r[1] for r in rows):.1f} s]")
    # Held-out field R² as a check that the filters generalise (same data the bound is tested on).
    print("held-out R2 (last seed's filter): ", np.round(field_r2(res.weights, res.biases, V_val, fields_val), 3))


if __name__ == "__main__":
    main()
