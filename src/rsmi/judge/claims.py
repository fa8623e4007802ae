"""The claims a configuration must produce, and the rows every table of the workflow must hold.

The check rule compares ``results/metrics.csv`` with :func:`expected_claims` and fails naming
every claim that is missing (or not a claim, or listed twice), so a row lost anywhere between a
run's job and the verdict can never change the claim count silently.  The tables' readers
(:mod:`rsmi.judge.tables`) use :func:`source_claims` and :func:`mi_runs` to check that each file
holds the rows of the run it claims to be.

What is listed here mirrors the row producers (:func:`rsmi.judge.metrics.criteria_rows`,
:func:`rsmi.judge.nulltests.run_null_tests`, :func:`rsmi.judge.metrics.figure4_verdict`,
:func:`rsmi.judge.metrics.mi_rows`, :func:`rsmi.judge.torus.criteria_rows`, :func:`rsmi.rg.rgflow.criteria_rows`)
and the registry (:mod:`rsmi.registry`: which runs feed which figure); the end-to-end test of
the small configuration checks that both agree row for row.  Only the names are listed (no
numbers), so this module imports no science code.
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from rsmi.registry import cd_rbm_units, criteria_groups, figure_rows, is_figure_run, paper_figures
from rsmi.judge.tables import FINDINGS, classify

__all__ = ["run_id", "run_claims", "cd_claims", "torus_claims", "rg_claims", "mi_runs", "source_claims",
           "expected_claims", "MAX_MI_HIDDEN", "N_NULL_RANDOM"]

#: Runs' column order in their ids (``model~ising/L_V~4/...``), as the workflow's Paramspace writes them.
RUN_KEYS = ("model", "L_V", "N_h", "L_B", "L_E", "estimator")
#: rsmi.coarse.mi.MAX_HIDDEN: CD-RBMs with more hidden units get no classifier estimate (test_claims checks it).
MAX_MI_HIDDEN = 12
#: random filters per family of the null tests (rsmi.judge.nulltests.run_null_tests' default, used by evaluate_run).
N_NULL_RANDOM = 3
#: the rules of Fig. 7 whose exponents and flow are claims (rsmi.rg.rgflow.criteria_rows' default).
RG_CLAIM_RULES = ("majority", "rsmi_symmetric", "rsmi_symmetric_stochastic")
RG_RULES = ("majority", "rsmi", "rsmi_stochastic", "rsmi_symmetric", "rsmi_symmetric_stochastic")


def run_id(row: Mapping[str, Any]) -> str:
    return "/".join(f"{k}~{row[k]}" for k in RUN_KEYS)


def run_claims(row: Mapping[str, Any], *, paper: bool = True, paramagnet: bool = True) -> list[tuple[str, str]]:
    """(figure, criterion) of every row a run's own ``metrics.csv`` gates (before the findings
    are applied): its figure criteria (figure runs only, and only when the paper's figures are
    requested, ``paper``) and its null tests under its own estimator and the classifier (Ising: the
    paramagnet's with a ``paramagnet`` data set, else the shuffled environments')."""
    model, L_V, n_h, L_B, est = row["model"], int(row["L_V"]), int(row["N_h"]), int(row["L_B"]), row["estimator"]
    out: list[tuple[str, str]] = []
    if paper and is_figure_run({**row, "L_V": L_V, "N_h": n_h, "L_B": L_B, "L_E": int(row["L_E"])}):
        for fig in criteria_groups(model, L_V, n_h):
            out += [(fig, c) for c in {
                "2A": ("one_sign_fraction", "max_min_ratio"),
                "2B": ("distinct_codes",),
                "2C-E": ("boundary_bulk_ratio",) if L_V > 2 else (),
                "4": (),  # gated through figure4_verdict
                "5": ("rise", "tail_spread_over_rise", "snapshots_present"),
            }[fig]]
    if model == "dimer" and est == "exact":
        out.append(("null", "jensen_step_incompatible_pairs"))  # a finding (rsmi.judge.tables.FINDINGS)
    for scorer in (est, "classifier"):
        if model == "ising":
            names = ["kadanoff", *(f"random{k}" for k in range(N_NULL_RANDOM))]
            if not paramagnet:  # exact independence: gated at every L_B
                out += [("null", f"null_shuffled_{n}[{scorer}]") for n in names]
            elif L_B != 0:
                out += [("null", f"null_paramagnet_{n}[{scorer}]") for n in names]
        elif not (scorer == "jensen"):  # the proxy's dimer rows are recorded (rsmi.judge.tables.RECORDED)
            names = ["noise_all", "noise_pair", *(f"noise_random{k}" for k in range(N_NULL_RANDOM))]
            if scorer == "exact":  # its own filter's noise sites are scored too
                names.append("own_noise_part")
            out += [("null", f"null_noise_only_{n}[{scorer}]") for n in names]
            if L_B <= L_V // 2:
                out += [("null", f"null_field_beats_noise_axis{a}[{scorer}]") for a in (0, 1)]
    return out


def cd_claims(n_hidden: int, L_V: int) -> list[tuple[str, str]]:
    """Fig. 6 rows a CD-RBM's ``metrics.csv`` gates (6A with few units, 6B with one per noise pair)."""
    n_pairs = (int(L_V) // 2) ** 2
    out = []
    if n_hidden <= n_pairs / 2:
        out.append(("6", "noise_weight_share"))
    if n_hidden >= n_pairs:
        out.append(("6", "max_field_r2"))
    return out


def torus_claims(multibit: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
    """The exact-torus claims, and one per multi-bit code and buffer (rsmi.judge.torus.multibit_criteria_rows)."""
    out = [("torus", c) for c in ("mi_vs_exact_chi2_p", "mi_vs_exact_mean_rel_dev", "delta_sigma_exact",
                                  "delta_sigma_estimate")]
    if multibit:
        out += [("torus", f"mi_vs_exact_bits{k}_LB{b}") for b in multibit["buffers"] for k in multibit["bits"]]
    return out


def rg_claims(levels: int) -> list[tuple[str, str]]:
    out = [("7", f"{k}_best[{rule}]") for rule in RG_RULES for k in ("y_t", "y_h") if rule in RG_CLAIM_RULES]
    for rule in RG_CLAIM_RULES:
        out += [("7", f"flow_below_minus_above_L{lv}[{rule}]") for lv in range(1, int(levels) + 1)]
        if levels >= 2:
            out.append(("7", f"flow_runs_away[{rule}]"))
    return out


def _geometry_tag(row: Mapping[str, Any]) -> str:
    return "/".join(f"{k}~{row[k]}" for k in ("model", "L_V", "L_B", "L_E"))


def mi_runs(config: Mapping[str, Any], grid: pd.DataFrame) -> dict[str, list[str]]:
    """The run ids each ``mi.csv`` must hold, in order, keyed by the file (relative to results/)."""
    out: dict[str, list[str]] = {}
    for row in grid.to_dict("records"):
        out[f"runs/{run_id(row)}/mi.csv"] = [run_id(row)]
    n_random = int(config["baselines"]["n_random"])
    for row in grid[["model", "L_V", "L_B", "L_E"]].drop_duplicates().to_dict("records"):
        tag = _geometry_tag(row)
        names = (["kadanoff"] if row["model"] == "ising" else []) + [f"random{k}" for k in range(n_random)]
        out[f"baselines/{tag}/mi.csv"] = [f"baseline/{tag}/{n}" for n in names]
    for n in cd_rbm_units(config):
        out[f"cd_rbm/n_hidden~{n}/mi.csv"] = [f"cd_rbm/n_hidden~{n}"] if int(n) <= MAX_MI_HIDDEN else []
    return out


def source_claims(config: Mapping[str, Any], grid: pd.DataFrame) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Every per-run metrics file (relative to results/): (the run id its rows must carry, the
    (figure, criterion) it must gate)."""
    out: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    paramagnet = bool((config.get("null_tests") or {}).get("paramagnet_samples"))
    for row in grid.to_dict("records"):
        out[f"runs/{run_id(row)}/metrics.csv"] = (run_id(row), run_claims(row, paper=paper_figures(config),
                                                                          paramagnet=paramagnet))
    for n in cd_rbm_units(config):
        out[f"cd_rbm/n_hidden~{n}/metrics.csv"] = (f"cd_rbm/n_hidden~{n}", cd_claims(n, int(config["cd_rbm"]["L_V"])))
    if config.get("exact_torus"):
        out["exact_torus/metrics.csv"] = ("exact_torus", torus_claims(config["exact_torus"].get("multibit")))
    if config.get("rg"):
        out["rg/metrics.csv"] = ("rg", rg_claims(int(config["rg"]["levels"])))
    return out


def expected_claims(config: Mapping[str, Any], grid: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(run, figure, criterion) of every claim ``results/metrics.csv`` must hold for this
    configuration: the sources' claims, one Fig. 4 verdict per panel, three claims per MI estimate
    (four for a code of several units),
    less the rows a decided finding covers (rsmi.judge.tables.FINDINGS)."""
    keys = [(run, fig, crit) for run, claims in source_claims(config, grid).values() for fig, crit in claims]
    for n_h in sorted(set(figure_rows(grid, "fig4").N_h.astype(int))) if paper_figures(config) else ():
        keys.append((f"fig4/N_h~{n_h}", "4", "estimators_meeting_all"))
    # hidden units of each MI estimate's code: a code of several units is checked against its sub-codes
    n_units = {run_id(r): int(r["N_h"]) for r in grid.to_dict("records")}
    n_units.update({f"cd_rbm/n_hidden~{n}": n for n in cd_rbm_units(config)})
    for runs in mi_runs(config, grid).values():
        for run in runs:
            keys += [(run, "mi", "mi_z[classifier]"), (run, "mi", "mi_rel_se[classifier]"),
                     (run, "mi", "mi_entropy_bound[classifier]")]
            if n_units.get(run, 1) > 1:
                keys.append((run, "mi", "mi_subcodes[classifier]"))
    rows = [dict(run=r, figure=f, criterion=c, op=">", note="") for r, f, c in keys]
    return [(r["run"], r["figure"], r["criterion"]) for r in classify(rows, FINDINGS) if r.get("kind") != "finding"]
