"""Glue: Fig. 5, A_Λ against training epochs with filter snapshots (Ising 6×6, N_h 1)."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

from _figures import metrics, write  # noqa: E402

from rsmi.figures.plotting import plot_history_with_snapshots  # noqa: E402
from rsmi.utils.formatting import format_value_se  # noqa: E402
from rsmi.figures.report import caption, criteria_table, null_summary  # noqa: E402
from rsmi.coarse.results import FilterResult  # noqa: E402

smk = snakemake  # noqa: F821
r = FilterResult.load(smk.input.run)
run = smk.params.run
# the pooled monitor records ΔA_Λ = A_Λ − A_0 (trivial filter = 0); the path's own monitor A_Λ
delta = r.meta.get("history_quantity") == "A_Lambda - A_0"
label = "ΔA_Λ = A_Λ − A_0" if delta else "A_Λ"
fig = plot_history_with_snapshots(r.history, r.history_err, r.snapshots, r.snapshot_epochs,
                                  epochs=tuple(int(e) for e in r.snapshot_epochs), val_history=r.val_history,
                                  quantity=r.meta.get("history_quantity"))
m = metrics(smk.input.metrics)
text = caption(
    "Fig. 5", "The proxy A_Λ of I(H:E) against training epochs of the Λ-RBM (critical Ising, "
    "6×6 block, N_h 1), with the filter at the snapshot epochs: it rises, then saturates while the "
    "boundary coupling develops; (B) the last half of the epochs, zoomed, with the ±1 s.e. band.",
    {"run": run, "snapshot epochs": list(map(int, r.snapshot_epochs)), "epochs": len(r.history) - 1,
     f"final {label}": format_value_se(r.history[-1], r.history_err[-1])},
    criteria_table(m, [run], figures=["5", "2C-E"]) + null_summary(m, [run]),
)
write(fig, text, smk.output.pdf, smk.output.png, smk.output.caption)
