# Helpers shared by all rules: config validation, the parameter grid, paths, seeds.
import sys

from snakemake.utils import Paramspace, validate

# The workflow runs the library from this checkout, whether or not it is pip-installed.
sys.path.insert(0, f"{workflow.basedir}/src")
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
    return f"{RESULTS}/runs/{RUNS.wildcard_pattern.format(**row)}"


def theta_inputs(wc):
    """Θ-RBMs of the run's window geometry; the variational estimator needs none."""
    if wc.estimator == "variational":
        return {}
    d = theta_dir(wc)
    return {"theta_v": f"{d}/theta_v.npz", "theta_ve": f"{d}/theta_ve.npz"}


def runs_table_rows():
    """One row per grid point: its parameters and the paths of everything it was made from."""
    rows = []
    for row in GRID.to_dict("records"):
        d = run_dir(row)
        theta = None
        if row["estimator"] != "variational":
            theta = f"{RESULTS}/theta/model~{row['model']}/L_V~{row['L_V']}/L_B~{row['L_B']}/L_E~{row['L_E']}"
        rows.append(
            dict(
                run=RUNS.wildcard_pattern.format(**row),
                **row,
                samples=samples_of(row["model"]),
                theta_v=f"{theta}/theta_v.npz" if theta else "",
                theta_ve=f"{theta}/theta_ve.npz" if theta else "",
                rsmi=f"{d}/rsmi.npz",
            )
        )
    return rows


def all_targets():
    targets = [f"{RESULTS}/runs.csv"]
    targets += expand(f"{RESULTS}/runs/{{params}}/rsmi.npz", params=RUNS.instance_patterns)
    return targets
