# Helpers shared by all rules: config validation, the parameter grid, paths, seeds.
import sys
from pathlib import Path

import pandas as pd
from snakemake.utils import Paramspace, validate

# The workflow runs the library from this checkout, whether or not it is pip-installed.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))
from rsmi.config import ConfigError, check_config, expand_grid, theta_grid  # noqa: E402

validate(config, schema="../schemas/config.schema.yaml")
try:
    check_config(config)
except ConfigError as exc:
    raise WorkflowError(f"invalid configuration: {exc}") from None

GRID = expand_grid(config)
RUNS = Paramspace(GRID, filename_params=None, param_sep="~")
THETA = Paramspace(theta_grid(GRID), filename_params=None, param_sep="~")
RESULTS = "results"
SCRIPTS = Path(workflow.basedir) / "workflow" / "scripts"


wildcard_constraints:
    dataset=r"[A-Za-z][A-Za-z0-9_]*",
    model=r"ising|dimer",
    L_V=r"\d+",
    N_h=r"\d+",
    L_B=r"\d+",
    L_E=r"\d+",
    estimator=r"jensen|logmeanexp|variational",
    part=r"v|ve",


def samples_of(model):
    """Path of the data set the windows of `model` are cut from."""
    return f"{RESULTS}/samples/{config['windows'][model]['samples']}.npz"


def theta_dir(wc):
    return f"{RESULTS}/theta/model~{wc.model}/L_V~{wc.L_V}/L_B~{wc.L_B}/L_E~{wc.L_E}"


def run_dir(row):
    return f"{RESULTS}/runs/" + RUNS.wildcard_pattern.format(**row)


def all_targets():
    targets = [f"{RESULTS}/runs.csv"]
    targets += expand(f"{RESULTS}/runs/{{params}}/rsmi.npz", params=RUNS.instance_patterns)
    return targets
