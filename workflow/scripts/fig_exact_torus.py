"""Glue: the exact-torus figure (estimate_mi against the transfer matrix, Δ_σ from the decay)."""

import sys
from pathlib import Path

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from _figures import metrics, table, write  # noqa: E402

from rsmi.figures.plotting import plot_exact_torus  # noqa: E402
from rsmi.utils.formatting import format_value_se  # noqa: E402
from rsmi.figures.report import caption, criteria_table  # noqa: E402
from rsmi.judge.torus import torus_fit  # noqa: E402

smk = snakemake  # noqa: F821
df = table(smk.input.estimates, "torus_estimates")
# an empty file: the config has no multi-bit section
mb = table(smk.input.multibit, "torus_multibit") if Path(smk.input.multibit).read_text().strip() else None
fit = torus_fit(df.to_dict("records"), smk.params.fit_from)
text = caption(
    "I(H:E) against an exact answer",
    "The critical Ising torus with row regions (docs/method.md §5b): the sign-of-magnetisation code of one "
    "row, scored by the pipeline's estimator (rsmi.coarse.mi.estimate_mi) on exact samples, against the "
    "transfer-matrix I(H:E); (A) on a log axis with the decay fitted for Δ_σ, (B) the relative deviation "
    "against the ±5 % band; (C) codes of several bits of one row (halves, quarters, single spins; "
    "rsmi.judge.torus.part_code) against their exact I(H:E), same band.",
    {"L": fit["L"], "M": int(df["M"].iloc[0]), "configurations per L_B": int(df["n_configs"].iloc[0]),
     "Δ_σ (estimates)": format_value_se(fit['delta_estimate'], fit['delta_estimate_se']),
     "Δ_σ (exact curve)": f"{fit['delta_exact']:.4f}", "fit range": f"L_B {fit['fit_from']}–{fit['fit_to']}"},
    criteria_table(metrics(smk.input.metrics), ["exact_torus"], figures=["torus"]),
)
write(plot_exact_torus(df, fit, mb), text, smk.output.pdf, smk.output.png, smk.output.caption)
