"""Glue: the workflow's verdict (docs/method.md §6). Claims gate; findings are recorded.

Exits non-zero when a claim fails or is inconclusive; a finding whose verdict is no longer the
expected one is printed loudly (to the terminal, not only the log) but does not fail the run.
Writes results/summary.txt (claims and findings listed separately); when the check fails,
Snakemake removes it, and the same text is in the terminal output and logs/check.log."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # noqa: F821 (injected by Snakemake)
from _common import setup  # noqa: E402

log = setup(snakemake)  # noqa: F821

import pandas as pd  # noqa: E402

from rsmi.utils.io import REMAKE_HINT, atomic_write_text  # noqa: E402
from rsmi.judge.verdict import needs_text, value_text  # noqa: E402
from rsmi.judge.tables import (changed_findings, failed_claims, missing_claims, read_metrics,  # noqa: E402
                               truthy, unresolved_claims)

path = snakemake.input.metrics  # noqa: F821
read_metrics(path)  # columns, types, no criterion twice
table = pd.read_csv(path, keep_default_na=False, dtype=str)
rows = table.to_dict("records")
# The claims the configuration must produce (rsmi.judge.claims, from the registry and the grid): a lost
# or an unexpected claim stops the check, so the count cannot change without an error.
expected = [tuple(k) for k in snakemake.params.claims]  # noqa: F821
lost = missing_claims(rows, expected)
expected_set = set(expected)
extra = [k for k in ((r["run"], str(r["figure"]), r["criterion"]) for r in rows if truthy(r["gate"]))
         if k not in expected_set]
if lost or extra:
    detail = [f"missing claim: {run} [{fig}] {crit}" for run, fig, crit in lost]
    detail += [f"unexpected claim: {run} [{fig}] {crit}" for run, fig, crit in extra]
    sys.exit(f"{path}: {len(lost)} of the {len(expected)} claims the configuration must produce are missing and "
             f"{len(extra)} are not expected; {REMAKE_HINT}\n  " + "\n  ".join(detail))
claims = [r for r in rows if truthy(r["gate"])]
findings = [r for r in rows if r["kind"] == "finding"]
failed, unresolved, changed = failed_claims(rows), unresolved_claims(rows), changed_findings(rows)


def line(tag, r):
    # value ± SE with the digits the SE justifies (rsmi.judge.verdict.value_text)
    return (f"{tag}  {r['run']}  [{r['figure']}] {r['criterion']} = {value_text(r)} "
            f"(needs {needs_text(r)}; verdict {r['verdict']})  {r['note']}")


lines = [f"Claims: {len(claims) - len(failed) - len(unresolved)} of {len(claims)} pass, {len(failed)} fail, "
         f"{len(unresolved)} inconclusive."]
lines += [line("FAILED      ", r) for r in failed] + [line("INCONCLUSIVE", r) for r in unresolved]
lines.append(f"Findings (decided deviations of the paper's method, README 'Findings'; not gating): {len(findings)}, "
             f"{len(findings) - len(changed)} with their expected verdict.")
lines += [line(f"finding (expected {r['expected']})", r) for r in findings if r not in changed]
lines += [line(f"FINDING CHANGED (expected {r['expected']}) — someone must look:", r) for r in changed]
text = "\n".join(lines) + "\n"
for ln in lines:
    log.warning(ln) if (failed or unresolved or changed) else log.info(ln)
atomic_write_text(snakemake.output[0], text)  # noqa: F821
# sys.__stderr__: the terminal (setup() sends sys.stderr to the rule's log), so a changed finding
# is seen even when the run succeeds.
if changed:
    sys.__stderr__.write("\n".join(line("FINDING CHANGED", r) for r in changed) + "\n")
if failed or unresolved:
    sys.__stderr__.write(text)
    sys.exit(f"{len(failed)} claims failed and {len(unresolved)} are inconclusive (see results/summary.txt); "
             "figures are drawn regardless")
