"""Issue 7, item 4: can Θ-RBMs be made good enough for the paper's proxy A_Λ on noisy dimers?

For each Θ-RBM setting the script does what the workflow does for a dimer run (V 8×8 fat,
L_B = L_E = 4): it draws the default config's dimer data set (L = 32 vertices, 1000
configurations with noise, seed derived from the config's master seed as the ``sample`` rule
does), cuts the windows with ``rsmi.windows.data.load_windows`` (stride 8, 20 % of the configurations
held out), fits Θ^V and Θ^VE single-threaded, and runs ``rsmi.judge.nulltests.run_null_tests`` with
the ``jensen`` estimator on the held-out windows exactly as ``evaluate_run`` does. It prints,
per setting and Θ seed:

- the Θ fits' wall time and the held-out log-likelihood of Θ^VE and Θ^V (nats per window, the
  fit's own monitor: AIS on 1000 held-out windows, same AIS seed for every row);
- the worst noise-only score (nats above λ = 0; passes ≤ 0.01) and which noise filter it is;
- the two field-beats-noise margins (passes > 0);
- whether all null tests pass.

Settings vary Θ^VE (the model whose spurious V–E noise couplings method.md §4b blames) around
the workflow's default (256 hidden, CD-5, 15 epochs, 20 000 windows), and Θ^V in one row.

The 8×8 block needs the proxy's Monte Carlo path, whose noise is shared by all windows:
``--eval-seeds`` repeats the null tests of one fit with other seeds and ``--n-mc`` sets the
posterior samples per h-state, so the estimator's own noise can be told from the Θ-RBMs'
effect. ``--block 4`` uses a 4×4 fat block (L_B = L_E = 2) where the proxy is exact: there a
noise-only filter's score is a property of the Θ-RBMs alone (with the true g it is exactly 0
on every window, because the noise bits are independent of the links and of e).

Usage: python experiments/theta_null_search.py [--settings NAME ...] [--seeds 0 1] [--csv out.csv]
           [--block 8|4] [--n-mc 256] [--eval-seeds 0 1 2]
       python experiments/theta_null_search.py --list
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import csv  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from rsmi.config import load_config  # noqa: E402
from rsmi.windows.data import N_EVAL_WINDOWS, load_windows  # noqa: E402
from rsmi.sampling.dimers import sample_dimers  # noqa: E402
from rsmi.utils.io import save_npz  # noqa: E402
from rsmi.judge.nulltests import run_null_tests  # noqa: E402
from rsmi.theta.rbm import RBM  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# Block side → geometry (L_B = L_E = L_V/2, the paper's choice) and the proxy's path: the
# workflow's 8×8 fat block needs the Monte Carlo path; a 4×4 fat block (|V| = 16) is exact, so
# its null-test scores carry no Monte Carlo noise (method.md §4b measured the failure there).
GEOMETRIES = {8: (dict(model="dimer", L_V=8, L_B=4, L_E=4), "auto"),
              4: (dict(model="dimer", L_V=4, L_B=2, L_E=2), "exact")}

# name: (overrides of Θ^VE, overrides of Θ^V) on top of config.yaml's theta_rbm.dimer
SETTINGS = {
    "default": ({}, {}),
    "ve128": ({"n_hidden_ve": 128}, {}),
    "ve512": ({"n_hidden_ve": 512}, {}),
    "cd1": ({"k": 1}, {}),
    "cd20": ({"k": 20}, {}),
    "pcd5": ({"persistent": True}, {}),
    "epochs50": ({"n_epochs": 50, "monitor_every": 10}, {}),
    "all_windows": ({"max_train_windows": 51200}, {}),
    "ve512_cd20_e30": ({"n_hidden_ve": 512, "k": 20, "n_epochs": 30, "monitor_every": 10}, {}),
    "v256": ({}, {"n_hidden_v": 256, "n_epochs": 30, "monitor_every": 10}),
    "ve1024": ({"n_hidden_ve": 1024}, {}),
    "ve1024_e40_all": ({"n_hidden_ve": 1024, "n_epochs": 40, "monitor_every": 10, "max_train_windows": 51200}, {}),
    "ve2048": ({"n_hidden_ve": 2048}, {}),
    "ve512_cd1": ({"n_hidden_ve": 512, "k": 1}, {}),
    "ve512_pcd5": ({"n_hidden_ve": 512, "persistent": True}, {}),
    "ve1024_pcd5": ({"n_hidden_ve": 1024, "persistent": True}, {}),
    "pcd5_both": ({"persistent": True}, {"persistent": True}),
    "ve512_pcd5_both": ({"n_hidden_ve": 512, "persistent": True}, {"persistent": True}),
}

COLUMNS = ["block", "n_mc", "eval_seed", "setting", "seed", "n_hidden_ve", "k", "persistent", "epochs_ve", "n_train", "fit_s",
           "ll_ve", "ll_v", "worst_noise", "worst_noise_filter", "field0_margin", "field1_margin", "all_pass"]


def dimer_samples(config: dict, cache: Path) -> Path:
    """The default config's dimer samples file (drawn as the ``sample`` rule does), cached."""
    spec = dict(config["samples"]["dimer"])
    seed_seq = derive_seed(config["seed"], "sample", "dimer")
    path = cache / f"dimer_seed{config['seed']}.npz"
    if not path.exists():
        t = time.perf_counter()
        kw = {k: spec[k] for k in ("burn_in", "gap") if spec.get(k) is not None}
        configs = sample_dimers(spec["L"], spec["n_samples"], seed=seed_seq, noise=spec.get("noise", True), **kw)
        save_npz(path, meta=dict(spec, dataset="dimer"), configs=np.asarray(configs))
        print(f"# sampled {spec['n_samples']} dimer configurations in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


def fit(hp: dict, part: str, win, seed) -> RBM:
    hp = dict(hp)
    n_train = hp.pop("max_train_windows")
    n_hidden = hp.pop("n_hidden_ve" if part == "ve" else "n_hidden_v")
    hp.pop("n_hidden_v" if part == "ve" else "n_hidden_ve")
    if part == "ve":
        X, X_val = np.hstack([win.V_train, win.E_train]), np.hstack([win.V_val, win.E_val])
    else:
        X, X_val = win.V_train, win.V_val
    return RBM(n_hidden=n_hidden, seed=seed, **hp).fit(X[:n_train], X_val=X_val)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--csv", type=Path, default=None, help="append one row per fit and evaluation seed")
    ap.add_argument("--block", type=int, choices=sorted(GEOMETRIES), default=8,
                    help="fat block side L_V (8: the workflow's runs, Monte Carlo path; 4: exact path)")
    ap.add_argument("--n-mc", type=int, default=256,
                    help="posterior samples per h-state of the Monte Carlo path (evaluate_proxy's default 256)")
    ap.add_argument("--eval-seeds", type=int, nargs="+", default=[0],
                    help="repeat the null tests of each fit with these seeds (split, random filters, "
                         "Monte Carlo): their spread is the estimator's own noise")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "rsmi-theta-null")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list:
        for name, (ve, v) in SETTINGS.items():
            print(f"{name:>16}  Θ^VE {ve or '(config)'}  Θ^V {v or '(config)'}")
        return

    config = load_config(REPO / "config.yaml")
    base = dict(config["theta_rbm"]["dimer"])
    geom, proxy_path = GEOMETRIES[args.block]
    proxy_kwargs = {"path": proxy_path, "n_mc": args.n_mc}
    args.cache.mkdir(parents=True, exist_ok=True)
    samples = dimer_samples(config, args.cache)
    # As evaluate_run: all training windows available (Θ takes max_train_windows of them).
    win = load_windows(samples, stride=config["windows"]["dimer"]["stride"],
                       validation_fraction=config["windows"]["validation_fraction"],
                       master_seed=config["seed"], dataset="dimer", max_train=None,
                       max_val=N_EVAL_WINDOWS, **geom)
    print(f"data: {geom}, {len(win.V_train)} training / {len(win.V_val)} held-out windows; "
          f"proxy {proxy_kwargs}; Θ defaults {base}")
    head = (f"{'setting':>16} {'seed':>4} {'eval':>4} {'fit s':>6} {'LL VE':>8} {'LL V':>8} {'worst noise':>11} "
            f"{'(filter)':>12} {'field0-noise':>12} {'field1-noise':>12} {'pass':>5}")
    print(head)
    print("-" * len(head))
    with contextlib.ExitStack() as stack:
        writer = None
        if args.csv:
            new = not args.csv.exists()
            # Line-buffered: each row is on disk as soon as its fit is done (fits take minutes).
            fh = stack.enter_context(open(args.csv, "a", newline="", encoding="utf-8", buffering=1))
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            if new:
                writer.writeheader()
        for name in args.settings:
            ve_over, v_over = SETTINGS[name]
            hp_ve, hp_v = {**base, **ve_over}, {**base, **v_over}
            for seed in args.seeds:
                t0 = time.perf_counter()
                theta_v = fit(hp_v, "v", win, derive_seed(seed, "theta_null_search", name, "v"))
                theta_ve = fit(hp_ve, "ve", win, derive_seed(seed, "theta_null_search", name, "ve"))
                fit_s = time.perf_counter() - t0
                for eval_seed in args.eval_seeds:
                    # Evaluation seed 0 keeps the key of the first tables in docs/theta_null_search.md.
                    key = (seed, "null", name) + ((eval_seed,) if eval_seed else ())
                    rows = run_null_tests(win.V_val, win.E_val, model="dimer", estimator="jensen",
                                          theta_v=theta_v, theta_ve=theta_ve, groups=win.G_val,
                                          seed=derive_seed(*key), proxy_kwargs=proxy_kwargs)
                    report(args, writer, name, seed, eval_seed, hp_ve, win, fit_s, theta_v, theta_ve, rows)

def report(args, writer, name, seed, eval_seed, hp_ve, win, fit_s, theta_v, theta_ve, rows) -> None:
    """Print one table row (and append it to the CSV) for the null tests of one fit."""
    noise = [r for r in rows if r["criterion"].startswith("null_noise_only_")]
    worst = max(noise, key=lambda r: r["value"])
    field = {r["criterion"][-1]: r["value"] for r in rows if "field_beats_noise" in r["criterion"]}
    out = dict(block=args.block, n_mc=args.n_mc, eval_seed=eval_seed, setting=name, seed=seed,
               n_hidden_ve=hp_ve["n_hidden_ve"], k=hp_ve["k"], persistent=hp_ve["persistent"],
               epochs_ve=hp_ve["n_epochs"], n_train=min(hp_ve["max_train_windows"], len(win.V_train)),
               fit_s=round(fit_s, 1),
               ll_ve=round(float(theta_ve.history_["val_loglik"][-1]), 3),
               ll_v=round(float(theta_v.history_["val_loglik"][-1]), 3),
               worst_noise=round(float(worst["value"]), 4),
               worst_noise_filter=worst["criterion"].removeprefix("null_noise_only_"),
               field0_margin=round(float(field["0"]), 4), field1_margin=round(float(field["1"]), 4),
               all_pass=all(bool(r["pass"]) for r in rows))
    print(f"{name:>16} {seed:>4} {eval_seed:>4} {fit_s:>6.0f} {out['ll_ve']:>8.2f} {out['ll_v']:>8.2f} "
          f"{out['worst_noise']:>11.4f} {out['worst_noise_filter']:>12} {out['field0_margin']:>12.4f} "
          f"{out['field1_margin']:>12.4f} {'yes' if out['all_pass'] else 'no':>5}", flush=True)
    if writer:
        writer.writerow(out)

if __name__ == "__main__":
    main()
