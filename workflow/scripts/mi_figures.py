"""Glue: the information each coarse-graining keeps — against L_B, and side by side."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from _figures import table, write  # noqa: E402

from rsmi.coarse.mi import estimator_limited  # noqa: E402
from rsmi.figures.plotting import plot_mi_comparison, plot_mi_vs_buffer  # noqa: E402
from rsmi.figures.report import caption  # noqa: E402

smk = snakemake  # noqa: F821
mi = table(smk.input.mi, "mi")
out = smk.output


def table(df):
    lines = [f"- ``{r.run}`` {r.filter} ({r.estimator}), L_V {r.L_V}, N_h {r.N_h}, L_B {r.L_B}: "
             f"I ≥ {r.mi:.4f} ± {r.stderr:.4f} nats"
             + (" (estimator limit)" if estimator_limited(r.mi, r.stderr, getattr(r, "l2", 0.0)) else "")
             for r in df.itertuples()]
    return "\n".join(lines) + "\n"


desc = ("Held-out classifier lower bound I(H:E) ≥ H(H) − CE (docs/method.md §5), which does not use "
        "the Θ-RBMs, for the hard code h = 1[s(v) > 0] of each coarse-graining; codes of several units "
        "through the chain rule r(h|e) = Π_j r_j(h_j | h_<j, e), one logistic model with its own L2 per "
        "factor (issue 25), checked against their 1- and 2-unit sub-codes (claims mi_subcodes). "
        "Open markers: the estimator's limit — the L2 choice fell to the marginal end (l2 ≥ 1) and the "
        "estimate is below 2·SE (rsmi.coarse.mi.estimator_limited): the raw-bit classifier found nothing on these "
        "windows, which is not a measurement of I(H:E) = 0 (README Findings 6: the old estimator's zero at "
        "dimer L_B 6 hid ≈ 0.1 nats, seen with 51 200 windows or field features).")
write(plot_mi_vs_buffer(mi), caption("I(H:E) against the buffer width", desc + " One line per model, block and "
      "coarse-graining.", {"rows": len(mi)}, table(mi)), out.buffer_pdf, out.buffer_png, out.buffer_caption)
paper_window = mi[mi.L_B == mi.L_V // 2]
write(plot_mi_comparison(mi, L_B={m: int(g.L_V.max()) // 2 for m, g in mi.groupby("model")}),
      caption("RSMI against other coarse-grainings", desc + " RSMI filters beside Kadanoff's majority rule "
              "(Ising), random filters and the CD-trained RBM filters of Fig. 6, at the paper's window.",
              {"rows": len(paper_window)}, table(paper_window)),
      out.comparison_pdf, out.comparison_png, out.comparison_caption)
