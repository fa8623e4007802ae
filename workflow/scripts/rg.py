"""Glue: Fig. 7's numbers — MCRG exponents per rule and level, the nearest-neighbour flow (rsmi.rg.rgflow)."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from rsmi.windows.data import load_samples  # noqa: E402
from rsmi.utils.io import atomic_write_text  # noqa: E402
from rsmi.coarse.results import FilterResult  # noqa: E402
from rsmi.rg.rgflow import block_rules, criteria_rows, exponent_table, nn_flow  # noqa: E402
from rsmi.utils.seeding import derive_seed  # noqa: E402
from rsmi.judge.tables import write_table  # noqa: E402

smk = snakemake  # noqa: F821
par = smk.params
fr = FilterResult.load(smk.input.run)
rules = block_rules(fr.weights, fr.biases)
log.info("learned rule: λ = %s, b = %.4f (symmetric bias %.4f)", fr.weights.ravel().round(4).tolist(),
         float(fr.biases[0]), -float(fr.weights.sum()) / 2)
configs = {k: load_samples(smk.input[k])[0] for k in ("critical", "below", "above")}
table = exponent_table(configs["critical"], rules, par.levels, n_blocks=par.n_blocks, seed=derive_seed(par.seed, "rg", "exponents"))
for r in table:
    log.info("%-26s level %d (%d→%d): y_t = %.4f ± %.4f, y_h = %.4f ± %.4f", r["rule"], r["level"], r["lattice"],
             r["lattice"] // 2, r["y_t"], r["y_t_se"], r["y_h"], r["y_h_se"])
# the flow at T_c on as many samples as below and above T_c (its role is the reference curve)
n_flow = min(len(configs["below"]), len(configs["above"]))
flow_sets = {"below": configs["below"], "critical": configs["critical"][:n_flow], "above": configs["above"]}
flow = nn_flow(flow_sets, rules, par.levels, seed=derive_seed(par.seed, "rg", "flow"))
atomic_write_text(smk.output.exponents, pd.DataFrame(table).to_csv(index=False))
atomic_write_text(smk.output.flow, pd.DataFrame(flow).to_csv(index=False))
write_table(criteria_rows(table, flow), smk.output.metrics)
