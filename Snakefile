# Koch-Janusz & Ringel, "Mutual information, neural networks and the renormalization group":
# every figure from one command, `snakemake --cores 8`.  No logic here: see workflow/rules/.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/sampling.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/rsmi.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/figures.smk"


# The terminal's last lines are the run's verdict (rsmi.judge.verdict.run_end: "N of N claims
# pass; M findings with their expected verdict", or which claim did not pass and where to look).
onsuccess:
    announce_at_exit(run_end(RESULTS, log=log))


onerror:
    announce_at_exit(run_end(RESULTS, log=log, error=True))


rule all:
    default_target: True
    input:
        all_targets(),
