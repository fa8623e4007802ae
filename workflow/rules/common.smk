# Helpers shared by all rules: config validation, the parameter grid, paths.
import os
import sys

from snakemake.utils import Paramspace, validate

# The workflow runs the library from this checkout, whether or not it is pip-installed.
sys.path.insert(0, f"{workflow.basedir}/src")
from rsmi.judge.claims import expected_claims, mi_runs, source_claims  # noqa: E402
from rsmi.config import ConfigError, check_config, expand_grid, is_external, load_yaml, run_settings, theta_grid  # noqa: E402
from rsmi.judge.verdict import announce_at_exit, run_end  # noqa: E402
from rsmi.registry import cd_rbm_units, figure_rows, is_figure_run, paper_figures  # noqa: E402
from rsmi.warmup import GROUPS as WARMUP_STEPS  # noqa: E402

try:
    # Snakemake's own YAML reading keeps the last of two equal keys; read every config file again
    # with a loader that refuses them (naming the key and the line).
    for _path in workflow.configfiles:
        load_yaml(_path)
except ConfigError as exc:
    raise WorkflowError(f"invalid configuration: {exc}") from None
validate(config, schema="../schemas/config.schema.yaml")
try:
    check_config(config)
except ConfigError as exc:
    raise WorkflowError(f"invalid configuration: {exc}") from None

GRID = expand_grid(config)
RUNS = Paramspace(GRID, filename_params=None, param_sep="~")
THETA = Paramspace(theta_grid(config, GRID), filename_params=None, param_sep="~")
RESULTS = "results"
# numba warm-up groups (rsmi.warmup.GROUPS): disjoint sets of kernels, compiled by parallel jobs.
WARMUP_GROUPS = tuple(WARMUP_STEPS)
# the paper's figures (config key paper, default true; false: "my data only", README "Your own data")
PAPER = paper_figures(config)
# data sets read from a file (rule import_samples) and drawn by a sampler (rule sample)
EXTERNAL = sorted(name for name, spec in config["samples"].items() if is_external(spec))
SAMPLED = sorted(name for name in config["samples"] if name not in EXTERNAL)
# optional without the paper: the Ising null tests' paramagnet (else they shuffle the run's own environments)
PARAMAGNET = (config.get("null_tests") or {}).get("paramagnet_samples")
# optional: an independent dimer data set for the proxy's null tests (more windows, smaller SE)
DIMER_NULL = (config.get("null_tests") or {}).get("dimer_samples")
# Fig. 6's CD-RBMs (hidden units; none without the paper)
CD_UNITS = cd_rbm_units(config)
# Window geometries of the grid (the baselines are scored per geometry).
GEOMETRY = Paramspace(
    GRID[["model", "L_V", "L_B", "L_E"]].drop_duplicates().reset_index(drop=True),
    filename_params=None,
    param_sep="~",
)
# The figure rules: name -> the outputs they make (PDF, PNG and a caption quoting the numbers).
FIGURES = (["fig2", "fig3", "fig4", "fig5", "fig6"] if PAPER else []) + ["mi_vs_buffer", "mi_comparison"]
# optional: the MI estimator against the exact torus (config key exact_torus)
TORUS = config.get("exact_torus")
if TORUS:
    FIGURES.append("exact_torus")
# optional: Fig. 7, the RG flow and exponents of the learned rule (config key rg)
RG = config.get("rg")
if RG:
    FIGURES.append("fig7")


wildcard_constraints:
    dataset=r"[A-Za-z][A-Za-z0-9_]*",
    model=r"ising|dimer",
    L_V=r"\d+",
    N_h=r"\d+",
    L_B=r"\d+",
    L_E=r"\d+",
    estimator=r"jensen|logmeanexp|variational|exact",
    part=r"v|ve",
    n_hidden=r"\d+",


def attempt_scaled(base):
    """A resource that grows with the attempt: ``base`` on the first try, ``2·base`` on the first
    retry, ``3·base`` on the second (``base * attempt``). Every rule's ``mem_mb`` and ``runtime``
    (minutes) use it, so a job that SLURM kills at its ``--mem`` or ``-t`` limit is resubmitted
    with more (``retries:`` in profiles/slurm; docs/cluster.md). A local run has no retries, so
    it always sees ``base``."""
    return lambda wildcards, attempt: base * attempt


# Job groups (`group:` in the rules) matter only to cluster executors: a group's jobs are submitted
# together as one SLURM job, and profiles/slurm's `group-components` bundles that many unconnected
# copies into it (docs/cluster.md, "Job groups"); a local run ignores them. Within a group, jobs
# that depend on each other form a chain (never a fan-out: the plugin would start a fan-out's
# branches side by side on CPUs the submission did not ask for).
#   warmup    numba_warmup                             (its three jobs in one submission)
#   prepare   sample                                   (the data sets)
#   pretrain  train_theta, exact_pairs, train_cd_rbm   (fitted to the samples, before RSMI)
#   run       train_rsmi, evaluate_run                 (one grid point: train, then evaluate)
#   score     baselines, evaluate_cd_rbm, plot_theta_curves  (quick scores and plots)


def warmed(*groups):
    """Inputs marking the numba warm-up of ``groups`` as done (ancient: never a reason to rerun)."""
    return [ancient(f"{RESULTS}/.cache/numba_warm.{group}.done") for group in groups]


def canonical(value):
    """Config values with mapping keys sorted, recursively: Snakemake reruns a job when its
    params change, and reordering keys in config.yaml must not count as a change."""
    if isinstance(value, dict):
        return {k: canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def wc_row(wc):
    """A run's wildcards as a grid row (sizes as integers)."""
    row = dict(wc.items())
    for k in ("L_V", "N_h", "L_B", "L_E"):
        row[k] = int(row[k])
    return row


def model_of(dataset):
    return config["samples"][dataset]["model"]


def samples_of(model):
    """Path of the data set the windows of `model` are cut from."""
    return f"{RESULTS}/samples/{config['windows'][model]['samples']}.npz"


def theta_paths(dataset, L_V, L_B, L_E):
    d = f"{RESULTS}/theta/dataset~{dataset}/L_V~{L_V}/L_B~{L_B}/L_E~{L_E}"
    return {"theta_v": f"{d}/theta_v.npz", "theta_ve": f"{d}/theta_ve.npz"}


def needs_theta(estimator):
    return estimator not in ("variational", "exact")


def exact_pairs_path(dataset, L_V, L_B, L_E):
    return f"{RESULTS}/exact/dataset~{dataset}/L_V~{L_V}/L_B~{L_B}/L_E~{L_E}/pairs.npz"


def run_id(row):
    return RUNS.wildcard_pattern.format(**row)


def theta_inputs(wc):
    """Θ-RBMs of the run's window geometry (the exact estimator: its pool pairs; variational: none)."""
    if wc.estimator == "exact":
        return {"pairs": exact_pairs_path(config["windows"][wc.model]["samples"], wc.L_V, wc.L_B, wc.L_E)}
    if not needs_theta(wc.estimator):
        return {}
    return theta_paths(config["windows"][wc.model]["samples"], wc.L_V, wc.L_B, wc.L_E)


def names_regex(names):
    """A wildcard constraint matching exactly ``names`` (none: a pattern that matches nothing)."""
    return "|".join(names) if names else "(?!)"


def external_file(wc):
    """The file an external data set is read from (config samples.<name>.file): the input of
    import_samples, never an output of any rule, so no Snakemake command writes or deletes it."""
    return config["samples"][wc.dataset]["file"]


def evaluation_inputs(wc):
    """A run's filter, its data, its Θ-RBMs, and for Ising the paramagnet of the null tests (if any)."""
    inputs = dict(theta_inputs(wc), rsmi=f"{RESULTS}/runs/{run_id(dict(wc.items()))}/rsmi.npz", samples=samples_of(wc.model))
    if wc.model == "ising" and PARAMAGNET:
        inputs["paramagnet"] = f"{RESULTS}/samples/{PARAMAGNET}.npz"
        if needs_theta(wc.estimator):
            pm = theta_paths(PARAMAGNET, wc.L_V, wc.L_B, wc.L_E)
            inputs.update(paramagnet_theta_v=pm["theta_v"], paramagnet_theta_ve=pm["theta_ve"])
    elif DIMER_NULL and needs_theta(wc.estimator):
        inputs["null_samples"] = f"{RESULTS}/samples/{DIMER_NULL}.npz"
    return inputs


def runs_table_rows():
    """One row per grid point: its parameters and the paths of everything it was made from."""
    rows = []
    for row in GRID.to_dict("records"):
        theta = theta_paths(config["windows"][row["model"]]["samples"], row["L_V"], row["L_B"], row["L_E"])
        with_theta = needs_theta(row["estimator"])
        rows.append(
            dict(
                run=run_id(row),
                **row,
                figure_run=PAPER and is_figure_run(row),
                samples=samples_of(row["model"]),
                theta_v=theta["theta_v"] if with_theta else "",
                theta_ve=theta["theta_ve"] if with_theta else "",
                rsmi=f"{RESULTS}/runs/{run_id(row)}/rsmi.npz",
                metrics=f"{RESULTS}/runs/{run_id(row)}/metrics.csv",
                mi=f"{RESULTS}/runs/{run_id(row)}/mi.csv",
            )
        )
    return rows


def figure_runs(figure):
    """Run ids a figure rule reads, in its panel order (rsmi.registry owns the choice). The figure
    rules call it from input functions, so a grid without the paper's runs (paper: false) is never
    asked for them."""
    return [run_id(r) for r in figure_rows(GRID, figure).to_dict("records")]


def figure_files_of(figure, filename):
    """`filename` of every run `figure` reads, e.g. figure_files_of("fig4", "rsmi.npz")."""
    return [f"{RESULTS}/runs/{run}/{filename}" for run in figure_runs(figure)]


def fig4_panels():
    """{N_h: [run ids]} of the Fig. 4 runs, one panel per N_h (none without the paper)."""
    if not PAPER:
        return {}
    rows = figure_rows(GRID, "fig4")
    return {int(n): [run_id(r) for r in g.to_dict("records")] for n, g in rows.groupby("N_h")}


def rg_inputs():
    """Fig. 7's samples (T_c and T_c(1 -+ delta)) and the run whose learned filter is the block rule."""
    run = run_id(dict(model="ising", estimator="jensen", **RG["run"]))
    return {**{k: f"{RESULTS}/samples/{RG[k]}.npz" for k in ("critical", "below", "above")},
            "run": f"{RESULTS}/runs/{run}/rsmi.npz"}


def caption_of(name):
    """Absolute path of the caption a figure rule writes (read when the report is built)."""
    return os.path.abspath(f"{RESULTS}/figures/{name}.rst")


def figure_files():
    return expand(f"{RESULTS}/figures/{{fig}}.{{ext}}", fig=FIGURES, ext=["pdf", "png"])


def run_filter_plots():
    """Every run's own plot: its objective against epoch and its filters (rule plot_run_filters)."""
    return expand(f"{RESULTS}/runs/{{params}}/filters.png", params=RUNS.instance_patterns)


def theta_curves(ext):
    """Every Θ-RBM's training curve: the CSVs train_theta writes ("csv") or their plots ("png")."""
    return expand(f"{RESULTS}/theta/{{params}}/theta_{{part}}_curve.{ext}", params=THETA.instance_patterns, part=["v", "ve"])


class _AsWildcards(dict):
    """A grid row seen as a job's wildcards (attribute access, string values)."""

    __getattr__ = dict.__getitem__


def mi_expected():
    """{mi.csv path: the run ids it must hold, in order}, every mi.csv of the workflow (rsmi.judge.claims)."""
    return {f"{RESULTS}/{path}": runs for path, runs in mi_runs(config, GRID).items()}


def metrics_expected():
    """{metrics.csv path: (its run id, the (figure, criterion) it must gate)} (rsmi.judge.claims)."""
    return {f"{RESULTS}/{path}": [run, [list(c) for c in claims]]
            for path, (run, claims) in source_claims(config, GRID).items()}


def verdict_files():
    """Every file a verdict depends on: the samples, Θ-RBMs, filters, CD-RBMs and every per-run,
    per-geometry and per-RBM table that results/metrics.csv is made from.  They are inputs of
    results/runs.csv and results/metrics.csv and targets of `rule all`, so one that is missing is
    remade by the same command (Snakemake does not remake a missing intermediate file whose
    consumers look up to date) and everything made from it is redone."""
    files = {}
    for row in runs_table_rows():
        for key in ("samples", "theta_v", "theta_ve", "rsmi", "metrics", "mi"):
            if row[key]:
                files[row[key]] = None
    for row in GRID.to_dict("records"):
        files.update(dict.fromkeys(evaluation_inputs(_AsWildcards({k: str(v) for k, v in row.items()})).values()))
    for params in GEOMETRY.instance_patterns:
        files[f"{RESULTS}/baselines/{params}/mi.csv"] = None
    for n in CD_UNITS:
        for name in ("rbm.npz", "metrics.csv", "mi.csv"):
            files[f"{RESULTS}/cd_rbm/n_hidden~{n}/{name}"] = None
    if TORUS:
        files.update(dict.fromkeys([f"{RESULTS}/exact_torus/estimates.csv", f"{RESULTS}/exact_torus/metrics.csv"]))
    if RG:
        files.update(dict.fromkeys(rg_inputs().values()))
        files.update(dict.fromkeys([f"{RESULTS}/exponents.csv", f"{RESULTS}/rg/flow.csv", f"{RESULTS}/rg/metrics.csv"]))
    return sorted(files)


def all_targets():
    return [
        *verdict_files(),
        *theta_curves("png"),
        f"{RESULTS}/runs.csv",
        f"{RESULTS}/metrics.csv",
        f"{RESULTS}/mi.csv",
        *figure_files(),
        *expand(f"{RESULTS}/verdict.{{ext}}", ext=["md", "html", "rst"]),
        # the per-run plots of a grid of one's own data (a target of its own in the paper's run)
        *([] if PAPER else run_filter_plots()),
        f"{RESULTS}/summary.txt",
    ]
