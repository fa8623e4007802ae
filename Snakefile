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


rule all:
    default_target: True
    input:
        all_targets(),
