"""Issue 25: the MI estimator on multi-bit codes (docs/torus_estimators.md, "Multi-bit codes").

Two measurements, each printed one line per estimate:

``torus``: the part codes of an L = 8 row (rsmi.torus.part_code: 1, 2, 4, 8 bits) on the critical
L × M torus, V one row, L_B rows of buffer, E the next row on each side; ``--configs`` fresh exact
configurations per L_B (seeded by SeedSequence([1, L_B])), every ``--stride``-th row window;
``rsmi.mi.estimate_mi`` with ``--models`` (joint/chain/auto) against the exact I(H:E).

    python experiments/multibit_mi.py torus --M 64 --configs 5000 --stride 16 --models auto \
        --buffers 1 3 --bits 2 4 8

``dimer``: a finished default run's code of several units and all its 1- and 2-unit sub-codes on
the workflow's held-out windows and split (rsmi.mi.estimate_mi_with_subcodes with the seed
``derive_seed(seed, "mi", run)`` of workflow/scripts/evaluate_run.py), paired SE of the differences.

    python experiments/multibit_mi.py dimer --results results \
        --run model~dimer/L_V~8/N_h~4/L_B~4/L_E~4/estimator~variational --models joint chain
"""

import argparse
import time

import numpy as np
import yaml

from rsmi.windows.data import N_EVAL_WINDOWS, load_windows
from rsmi.sampling.exact_mi import mutual_information_rows, sample_torus_rows
from rsmi.sampling.ising import T_C
from rsmi.coarse.mi import estimate_mi, estimate_mi_with_subcodes, hard_codes, subcode_summary
from rsmi.coarse.results import FilterResult
from rsmi.utils.seeding import derive_seed
from rsmi.judge.torus import part_code, part_filter, torus_windows


def torus(a):
    L = 8
    for L_B in a.buffers:
        cfg = sample_torus_rows(L, a.M, T_C, a.configs, seed=np.random.default_rng([1, L_B]))
        V, E, G = torus_windows(cfg, L_B, a.stride)
        for n_parts in a.bits:
            w, b = part_filter(L, n_parts)
            assert np.array_equal(hard_codes(w, b, V), part_code(V, n_parts))
            ex = mutual_information_rows(L, a.M, T_C, 1, L_B, 1, lambda v, k=n_parts: part_code(v, k))
            for model in a.models:
                t = time.time()
                r = estimate_mi(w, b, V, E, seed=np.random.default_rng([2, L_B, n_parts]), groups=G, model=model)
                print(f"L_B={L_B} bits={n_parts} n_win={len(V)} model={model}: exact {ex:.4f} est {r['mi']:.4f} "
                      f"± {r['stderr']:.4f} rel {(r['mi'] - ex) / ex:+.3f} l2 {r['l2']:.3g} [{time.time() - t:.1f}s]",
                      flush=True)


def dimer(a):
    cfg = yaml.safe_load(open(a.config))
    parts = dict(p.split("~") for p in a.run.split("/") if "~" in p)
    geom = dict(model=parts["model"], L_V=int(parts["L_V"]), L_B=int(parts["L_B"]), L_E=int(parts["L_E"]))
    res = FilterResult.load(f"{a.results}/runs/{a.run}/rsmi.npz")
    w = cfg["windows"][geom["model"]]
    win = load_windows(f"{a.results}/samples/{w['samples']}.npz", dataset=w["samples"], stride=w["stride"],
                       validation_fraction=cfg["windows"]["validation_fraction"], master_seed=cfg["seed"],
                       max_train=1, max_val=N_EVAL_WINDOWS, **geom)
    for m in a.models:
        t = time.time()
        full, subs = estimate_mi_with_subcodes(res.weights, res.biases, win.V_val, win.E_val,
                                               seed=derive_seed(cfg["seed"], "mi", a.run), groups=win.G_val, model=m)
        print(f"{m}: {len(win.V_val)} windows, code {full['mi']:.4f} ± {full['stderr']:.4f} (l2 {full['l2']:.3g}) "
              f"[{time.time() - t:.1f}s] {subcode_summary(full, subs)}")
        for s in subs:
            print(f"    {s['units']} {s['mi']:.4f} ± {s['stderr']:.4f}  code − sub-code {s['diff']:+.4f} ± {s['diff_se']:.4f}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = p.add_subparsers(dest="what", required=True)
    t = sp.add_parser("torus")
    t.add_argument("--M", type=int, default=64)
    t.add_argument("--configs", type=int, default=5000)
    t.add_argument("--stride", type=int, default=16)
    t.add_argument("--buffers", type=int, nargs="+", default=[1, 3])
    t.add_argument("--bits", type=int, nargs="+", default=[1, 2, 4, 8])
    t.add_argument("--models", nargs="+", default=["auto"])
    d = sp.add_parser("dimer")
    d.add_argument("--results", default="results")
    d.add_argument("--config", default="config.yaml")
    d.add_argument("--run", default="model~dimer/L_V~8/N_h~4/L_B~4/L_E~4/estimator~variational")
    d.add_argument("--models", nargs="+", default=["joint", "chain"])
    args = p.parse_args()
    torus(args) if args.what == "torus" else dimer(args)
