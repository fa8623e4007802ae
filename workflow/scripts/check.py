"""Glue: the workflow's verdict. Lists every failed gated criterion; exits non-zero if any."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from rsmi.io import atomic_write_text  # noqa: E402
from rsmi.metrics import failed_rows  # noqa: E402

table = pd.read_csv(snakemake.input.metrics, keep_default_na=False, dtype=str)  # noqa: F821
rows = table.to_dict("records")
failed = failed_rows(rows)
gated = [r for r in rows if str(r["gate"]) == "True"]
lines = [f"{len(gated) - len(failed)} of {len(gated)} gated criteria pass."]
for r in failed:
    lines.append(f"FAILED  {r['run']}  [{r['figure']}] {r['criterion']} = {r['value']} (needs {r['op']} {r['threshold']})  {r['note']}")
text = "\n".join(lines) + "\n"
for line in lines:
    log.warning(line) if failed else log.info(line)
if failed:
    sys.stderr.write(text)
    sys.exit(f"{len(failed)} criteria failed (see results/metrics.csv); figures are drawn regardless")
atomic_write_text(snakemake.output[0], text)  # noqa: F821
