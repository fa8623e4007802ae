"""Does the dimer filter's code at buffer L_B 6 carry information about E that the raw-bit
classifier cannot see?

Setting: the workflow's variational runs ``model~dimer/L_V~8/N_h~2/L_B~{2,4,6}/L_E~4`` and
their held-out windows (``rsmi.windows.data.load_windows`` with the workflow's arguments: config
``windows.dimer``, ``validation_fraction``, ``seed``; 5000 windows of the 200 held-out
configurations).  The code is h = 1[v·λ + b > 0] of the run's filter; I(H:E) is always scored by
``rsmi.coarse.mi.estimate_mi`` (held-out classifier bound, split by configuration, cluster-robust SE),
only the description of E given to it changes:

* ``raw``: the 2·L_E-wide ring of raw fat bits (what ``workflow/scripts/evaluate_run.py`` does,
  with its seed ``derive_seed(seed, "mi", run)``: reproduces ``mi.csv``);
* ``links``: the raw bits of the ring's link sites only (noise sites dropped; half the features);
* ``tiles``: the electric field (E0, E1) of every L_E × L_E tile of the ring
  (``rsmi.sampling.dimers.block_field`` on each tile, sign-corrected to the window's staggering η, so the
  tile fields add up to the field of the ring with the convention of ``rsmi.judge.metrics._block_field``);
* ``sectors``: the tile fields summed over the ring's four sides and four corners (16 features);
* ``ring``: the total field of the ring (2 features; dipolar correlations cancel on a closed ring,
  what is left is mostly the torus' winding sector);
* ``predicted``: the V-block field predicted from the tile fields by least squares fitted on the
  *training* configurations (``Windows.V_train/E_train``, disjoint from the scored windows): 2 features.

Every feature set is a linear function of the raw bits, so with unlimited data the raw-bit
classifier could reach each of them; the question is what it reaches on ~3500 training windows.
The same seed gives ``estimate_mi`` the same split for every feature set (the split depends only on
the seed and the groups), so the columns of one row share their test windows.

Measurements (the tables of docs/dimer_buffer_information.md):

1. I(H:E) of the run's code at every L_B under every feature set (workflow windows and split),
   plus, for the filter's code, the mean and spread over ``--repeats`` further random splits;
2. I(F:E) for the *true* field of V instead of the filter's code: F = (sign-with-zero of E0,
   of E1), 9 classes, written as a 4-unit threshold filter on ``rsmi.sampling.dimers.field_filters`` so
   that ``estimate_mi`` scores it unchanged; plus the held-out R² of the linear prediction of
   (E0, E1) from the tile fields and its Gaussian information −½ Σ log(1 − R²); a weighted fit of
   ln I against ln r, r = L_V/2 + L_B + L_E/2 the distance from V's centre to the middle of the ring;
3. sample size: at ``--large-buffers`` the raw-bit (and field-feature) bounds on every window of
   the held-out configurations at stride 8 and 4, and on every window of all configurations at
   stride 8 (80 % of those configurations trained the filter; it only saw V).

Usage (single-threaded; about 5 min, almost all of it logistic fits):
    python experiments/dimer_buffer_information.py --results results
    python experiments/dimer_buffer_information.py --results results --buffers 6 --repeats 0
Results: docs/dimer_buffer_information.md.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from rsmi.config import load_config  # noqa: E402
from rsmi.windows.data import N_EVAL_WINDOWS, load_samples, load_windows, split_configurations  # noqa: E402
from rsmi.sampling.dimers import block_field, fat_site_kinds, field_filters  # noqa: E402
from rsmi.judge.metrics import LINK_KINDS  # noqa: E402
from rsmi.coarse.mi import estimate_mi  # noqa: E402
from rsmi.windows.regions import cut_regions, region_masks, window_side  # noqa: E402
from rsmi.coarse.results import FilterResult  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402

FEATURES = ("raw", "links", "tiles", "sectors", "ring", "predicted")
L_V, N_H, L_E = 8, 2, 4


def run_id(L_B: int) -> str:
    return f"model~dimer/L_V~{L_V}/N_h~{N_H}/L_B~{L_B}/L_E~{L_E}/estimator~variational"


# --------------------------------------------------------------------------------------------
# Features of the environment ring


def ring_tile_fields(E: np.ndarray, L_B: int) -> tuple[np.ndarray, np.ndarray]:
    """(E0, E1) of every L_E × L_E tile of the environment ring: ((n, n_tiles, 2), sector (n_tiles,)).

    E is the ring in the row-major order of ``region_masks(...)["E"]`` (``cut_regions``). Each
    tile's field is ``block_field`` in tile-local coordinates times the window's η at the tile's
    origin, so all tiles share the window's staggering and their sum is the ring's field.
    Sectors: 0-3 the corners, 4-7 the sides without corners (top, bottom, left, right).
    """
    W = window_side(L_V, L_B, L_E)
    if W % L_E:
        raise ValueError(f"window side {W} is not a multiple of the tile side L_E = {L_E}")
    n, nt = E.shape[0], W // L_E
    win = np.zeros((n, W, W), dtype=np.uint8)
    win[:, region_masks(L_V, L_B, L_E)["E"]] = E
    tiles = win.reshape(n, nt, L_E, nt, L_E).transpose(0, 1, 3, 2, 4)
    ti, tj = np.meshgrid(np.arange(nt), np.arange(nt), indexing="ij")
    ring = (ti == 0) | (ti == nt - 1) | (tj == 0) | (tj == nt - 1)  # row-major, like the mask
    F = block_field(np.ascontiguousarray(tiles[:, ring]).reshape(-1, L_E, L_E)).reshape(n, -1, 2)
    F *= np.where(((ti + tj)[ring] * (L_E // 2)) % 2 == 0, 1.0, -1.0)[None, :, None]
    top, bottom, left, right = ti[ring] == 0, ti[ring] == nt - 1, tj[ring] == 0, tj[ring] == nt - 1
    sector = np.select([top & left, top & right, bottom & left, bottom & right, top, bottom, left, right],
                       np.arange(8))
    return F, sector


def environment_features(E: np.ndarray, L_B: int, predictor=None) -> dict[str, np.ndarray]:
    """Every feature set of the module docstring for the ring windows E (n, n_E)."""
    F, sector = ring_tile_fields(E, L_B)
    kinds = fat_site_kinds(window_side(L_V, L_B, L_E))[region_masks(L_V, L_B, L_E)["E"]]
    feats = {
        "raw": E,
        "links": E[:, np.isin(kinds, LINK_KINDS)],
        "tiles": F.reshape(len(E), -1),
        "sectors": np.stack([F[:, sector == s].sum(axis=1) for s in range(8)], axis=1).reshape(len(E), -1),
        "ring": F.sum(axis=1),
    }
    if predictor is not None:
        feats["predicted"] = predictor(feats["tiles"])
    return feats


def v_field(V: np.ndarray) -> np.ndarray:
    """(E0, E1) of the V blocks (rsmi.sampling.dimers.block_field, the convention of the field R²)."""
    return block_field(V.reshape(-1, L_V, L_V))


def fit_field_predictor(V_train, E_train, L_B):
    """Least squares (E0, E1)_V ≈ c + A·(tile fields) on training windows; returns x ↦ prediction."""
    X = environment_features(E_train, L_B)["tiles"]
    Xc = np.column_stack([np.ones(len(X)), X])
    coef, *_ = np.linalg.lstsq(Xc, v_field(V_train), rcond=None)
    return lambda x: np.column_stack([np.ones(len(x)), x]) @ coef


def field_code_filter() -> tuple[np.ndarray, np.ndarray]:
    """Units 1[E0 > ½], 1[E0 < −½], 1[E1 > ½], 1[E1 < −½] of the V field (E0, E1 are integers on
    an 8 × 8 fat block): the 9 classes (−, 0, +)² of the true field, as a filter for estimate_mi."""
    f = field_filters(L_V)
    w = np.stack([f[..., 0], -f[..., 0], f[..., 1], -f[..., 1]], axis=2)
    return w, np.full(4, -0.5)


# --------------------------------------------------------------------------------------------
# Measurements


def score(w, b, V, feats, groups, seed, names=FEATURES) -> dict[str, dict]:
    return {k: estimate_mi(w, b, V, feats[k], seed=seed, groups=groups) for k in names if k in feats}


def fmt(r: dict) -> str:
    return f"{r['mi']:.4f} ± {r['stderr']:.4f}"


def heldout_r2(pred: np.ndarray, F: np.ndarray, groups: np.ndarray, n_folds: int = 10):
    """Per component R² = 1 − mean (F − pred)² / var F on windows never used in the fit, with a
    delete-one-fold jackknife SE over folds of configurations."""
    def r2(idx):
        res = ((F[idx] - pred[idx]) ** 2).mean(axis=0)
        return 1.0 - res / F[idx].var(axis=0)

    full = r2(np.arange(len(F)))
    uniq = np.unique(groups)
    fold = np.searchsorted(uniq, groups) % n_folds
    jk = np.array([r2(np.flatnonzero(fold != k)) for k in range(n_folds)])
    se = np.sqrt((n_folds - 1) / n_folds * ((jk - jk.mean(axis=0)) ** 2).sum(axis=0))
    return full, se


def wls_power_law(r, I, se):
    """Fit ln I = a − p ln r by weighted least squares (weights I²/SE²); returns (p, SE of p, χ²/dof)."""
    r, I, se = map(np.asarray, (r, I, se))
    ok = I > 0
    x, y, wt = np.log(r[ok]), np.log(I[ok]), (I[ok] / se[ok]) ** 2
    X = np.column_stack([np.ones_like(x), x])
    A = X.T @ (X * wt[:, None])
    beta = np.linalg.solve(A, X.T @ (wt * y))
    cov = np.linalg.inv(A)
    dof = ok.sum() - 2
    chi2 = float(np.sum(wt * (y - X @ beta) ** 2)) / dof if dof > 0 else float("nan")
    return -beta[1], float(np.sqrt(cov[1, 1])), chi2


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", default="results", help="results folder of a finished run (default: results)")
    ap.add_argument("--config", default="config.yaml", help="the run's config (default: config.yaml)")
    ap.add_argument("--buffers", type=int, nargs="+", default=[2, 4, 6], help="L_B values (default: 2 4 6)")
    ap.add_argument("--repeats", type=int, default=4,
                    help="further random splits per estimate of the filter's code (default: 4)")
    ap.add_argument("--large-buffers", type=int, nargs="*", default=[6],
                    help="L_B values of the sample-size measurement (default: 6; none to skip)")
    ap.add_argument("--out", default=None, help="optional CSV of every estimate")
    args = ap.parse_args(argv)

    t_start = time.perf_counter()
    cfg = load_config(args.config)
    seed, vf, wcfg = cfg["seed"], cfg["windows"]["validation_fraction"], cfg["windows"]["dimer"]
    samples = Path(args.results) / "samples" / f"{wcfg['samples']}.npz"
    max_train = cfg["rsmi"]["variational"]["dimer"]["max_train_windows"]
    rows = []
    r_of = {L_B: L_V / 2 + L_B + L_E / 2 for L_B in args.buffers}  # fat units
    field_w, field_b = field_code_filter()
    v_info = {}

    for L_B in args.buffers:
        run = run_id(L_B)
        res = FilterResult.load(Path(args.results) / "runs" / run / "rsmi.npz")
        win = load_windows(samples, model="dimer", L_V=L_V, L_B=L_B, L_E=L_E, stride=wcfg["stride"],
                           validation_fraction=vf, master_seed=seed, dataset=wcfg["samples"],
                           max_train=max_train, max_val=N_EVAL_WINDOWS)
        predictor = fit_field_predictor(win.V_train, win.E_train, L_B)
        feats = environment_features(win.E_val, L_B, predictor)
        mi_seed = derive_seed(seed, "mi", run)
        seeds = [mi_seed] + [derive_seed(seed, "buffer_information", L_B, k) for k in range(args.repeats)]
        for code, (w, b) in (("filter", (res.weights, res.biases)), ("true_field", (field_w, field_b))):
            print(f"\nL_B {L_B} ({len(win.V_val)} windows, {len(np.unique(win.G_val))} configurations), "
                  f"code: {code}")
            for k, s in enumerate(seeds if code == "filter" else seeds[:1]):
                out = score(w, b, win.V_val, feats, win.G_val, s)
                for name, r in out.items():
                    rows.append(dict(L_B=L_B, code=code, features=name, n_features=feats[name].shape[1],
                                     split="workflow" if k == 0 else f"repeat{k}", windows="workflow",
                                     n_windows=len(win.V_val), **r))
                if k == 0:
                    print("  workflow split: " + "; ".join(f"{n} {fmt(r)} (l2 {r['l2']:g})" for n, r in out.items()),
                          flush=True)
        # Gaussian side: how well the ring's tile fields predict V's true field (held-out configurations)
        r2, r2_se = heldout_r2(feats["predicted"], v_field(win.V_val), win.G_val)
        v_info[L_B] = (r2, r2_se)
        print(f"  held-out R² of (E0, E1)_V from the tile fields: {r2[0]:.4f} ± {r2_se[0]:.4f}, "
              f"{r2[1]:.4f} ± {r2_se[1]:.4f}; Gaussian I {-0.5 * np.log1p(-r2).sum():.4f} nats "
              f"({time.perf_counter() - t_start:.0f} s)", flush=True)

    # Sample size: all windows of the held-out configurations (stride 8, 4) and of all configurations.
    if args.large_buffers:
        configs, _ = load_samples(samples)
        _, val_idx = split_configurations(len(configs), vf, derive_seed(seed, "split", wcfg["samples"]))
        for L_B in args.large_buffers:
            run = run_id(L_B)
            res = FilterResult.load(Path(args.results) / "runs" / run / "rsmi.npz")
            tr = load_windows(samples, model="dimer", L_V=L_V, L_B=L_B, L_E=L_E, stride=wcfg["stride"],
                              validation_fraction=vf, master_seed=seed, dataset=wcfg["samples"],
                              max_train=max_train, max_val=1)
            predictor = fit_field_predictor(tr.V_train, tr.E_train, L_B)
            for label, idx, stride in (("val_stride8", val_idx, 8), ("val_stride4", val_idx, 4),
                                       ("all_stride8", np.arange(len(configs)), 8)):
                V, E = cut_regions(configs[idx], L_V, L_B, L_E, stride=stride, model="dimer")
                G = np.repeat(idx, len(V) // len(idx))
                feats = environment_features(E, L_B, predictor)
                if label == "all_stride8":  # the predictor was fitted on windows of these configurations
                    feats.pop("predicted")
                s = derive_seed(seed, "buffer_information", "large", L_B, label)
                print(f"\nL_B {L_B}, {label}: {len(V)} windows of {len(idx)} configurations", flush=True)
                for code, (w, b) in (("filter", (res.weights, res.biases)), ("true_field", (field_w, field_b))):
                    names = ("raw", "sectors", "tiles", "predicted") if code == "filter" else ("sectors", "tiles")
                    out = score(w, b, V, feats, G, s, names)
                    for name, r in out.items():
                        rows.append(dict(L_B=L_B, code=code, features=name, n_features=feats[name].shape[1],
                                         split="large", windows=label, n_windows=len(V), **r))
                    print(f"  {code}: " + "; ".join(f"{n} {fmt(r)} (l2 {r['l2']:g})" for n, r in out.items())
                          + f" ({time.perf_counter() - t_start:.0f} s)", flush=True)

    df = pd.DataFrame(rows)
    if args.out:
        df.to_csv(args.out, index=False)

    # Summary tables
    wf = df[(df.split == "workflow") & (df.windows == "workflow")]
    table = Path(args.results) / "mi.csv"
    if table.exists():
        print("\n### Reproduction of the workflow's row (results/mi.csv) by the raw-bit estimate")
        print("| L_B | mi.csv I | mi.csv H | here I | here H | ΔH − (K_obs − 1)/(2 n_test) |")
        print("|---|---|---|---|---|---|")
        ref = pd.read_csv(table).set_index("run")
        for L_B in args.buffers:
            if run_id(L_B) not in ref.index:
                continue
            a, b = ref.loc[run_id(L_B)], wf[(wf.code == "filter") & (wf.features == "raw") & (wf.L_B == L_B)].iloc[0]
            mm = (4 - 1) / (2 * b.n_test)  # Miller–Madow term of rsmi.coarse.mi (all 4 classes observed here)
            print(f"| {L_B} | {a.mi:.4f} ± {a.stderr:.4f} | {a.H:.5f} | {b.mi:.4f} ± {b.stderr:.4f} | {b.H:.5f} | "
                  f"{b.H - a.H - mm:.1e} |")
    rep = df[(df.split != "workflow") & (df.windows == "workflow")]
    for code in ("filter", "true_field"):
        print(f"\n### I({'H' if code == 'filter' else 'F'}:E), workflow windows; "
              f"workflow split (± cluster SE) / mean ± sd over {args.repeats} further splits")
        print("| features | d | " + " | ".join(f"L_B {L_B}" for L_B in args.buffers) + " |")
        print("|---|---|" + "---|" * len(args.buffers))
        for name in FEATURES:
            cells, d = [], ""
            for L_B in args.buffers:
                a = wf[(wf.code == code) & (wf.features == name) & (wf.L_B == L_B)]
                b = rep[(rep.code == code) & (rep.features == name) & (rep.L_B == L_B)]
                if a.empty:
                    cells.append("")
                    continue
                d = f"{d}{'/' if d else ''}{int(a.n_features.iloc[0])}"
                extra = f" / {b.mi.mean():.4f} ± {b.mi.std(ddof=1):.4f}" if len(b) > 1 else ""
                cells.append(f"{a.mi.iloc[0]:.4f} ± {a.stderr.iloc[0]:.4f}{extra}")
            print(f"| {name} | {d} | " + " | ".join(cells) + " |")
    print("\n### Gaussian side: held-out R² of (E0, E1)_V predicted from the ring's tile fields")
    print("| L_B | r (fat) | R²(E0) | R²(E1) | −½Σlog(1−R²) |")
    print("|---|---|---|---|---|")
    for L_B, (r2, se) in v_info.items():
        print(f"| {L_B} | {r_of[L_B]:g} | {r2[0]:.4f} ± {se[0]:.4f} | {r2[1]:.4f} ± {se[1]:.4f} | "
              f"{-0.5 * np.log1p(-r2).sum():.4f} |")
    if len(args.buffers) >= 3:
        print("\n### Power law ln I = a − p ln r over the workflow split (WLS, weights I²/SE²)")
        for code in ("filter", "true_field"):
            for name in ("raw", "tiles", "sectors", "predicted"):
                a = wf[(wf.code == code) & (wf.features == name)].set_index("L_B").loc[args.buffers]
                if (a.mi > 2 * a.stderr).sum() < 3:
                    print(f"  {code}, {name}: fewer than 3 resolved points (I > 2 SE), no fit")
                    continue
                p, p_se, chi2 = wls_power_law([r_of[x] for x in args.buffers], a.mi, a.stderr)
                print(f"  {code}, {name}: p = {p:.2f} ± {p_se:.2f} (χ²/dof {chi2:.2f})")
    if args.large_buffers:
        lg = df[df.split == "large"]
        print("\n### Sample size")
        print("| L_B | windows | n | code | features | I | l2 |")
        print("|---|---|---|---|---|---|---|")
        for _, r in lg.iterrows():
            print(f"| {r.L_B} | {r.windows} | {r.n_windows} | {r.code} | {r.features} | "
                  f"{r.mi:.4f} ± {r.stderr:.4f} | {r.l2:g} |")
    print(f"\nwall time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
