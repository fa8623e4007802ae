"""Config validation: each bad input gives a clear error naming the key, before any job runs."""

import copy

import pytest
import yaml

from conftest import REPO, run_snakemake
from rsmi.config import ConfigError, check_config, expand_grid, load_config, theta_grid


def test_default_config_is_valid_and_expands():
    config = load_config(REPO / "config.yaml")
    grid = expand_grid(config)
    assert list(grid.columns) == ["model", "L_V", "N_h", "L_B", "L_E", "estimator"]
    assert not grid.duplicated().any()
    assert ((grid.model == "ising") & (grid.L_V == 2) & (grid.N_h == 1)).any()
    theta = theta_grid(config, grid)
    # Θ-RBMs for every proxy run's data set, and the paramagnet's for the Ising null tests.
    assert set(theta.dataset) == {"ising", "ising_paramagnet", "dimer"}
    assert not theta.duplicated().any()


def _bad(config, path, value):
    cfg = copy.deepcopy(config)
    node = cfg
    for p in path[:-1]:
        node = node[p]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return cfg


_DELETE = object()

# (path into the config, bad value, the key the message must name, words of the reason)
SEMANTIC = [
    (("grid", 0, "L_V"), [0], "grid[0].L_V", "must be positive"),
    (("grid", 0, "N_h"), [5], "grid[0].N_h", "exceeds |V|"),
    (("grid", 0, "L_B"), [-1], "grid[0].L_B", ">= 0"),
    (("grid", 3, "L_V"), [7], "grid[3].L_V", "odd"),
    (("grid", 3, "L_B"), [3], "grid[3].L_B", "odd"),
    (("grid", 3, "L_E"), 3, "grid[3].L_E", "odd"),
    (("grid", 2, "L_B"), [30], "grid[2]", "larger than the lattice side"),
    (("grid", 0, "model"), "potts", "grid[0].model", "unknown model"),
    (("windows", "dimer", "stride"), 3, "windows.dimer.stride", "odd"),
    (("windows", "ising", "samples"), "nothing", "windows.ising.samples", "no data set"),
    (("samples", "dimer", "L"), 31, "samples.dimer.L", "odd"),
    (("rsmi", "jensen", "ising", "snapshot_epochs"), [0, 10000], "rsmi.jensen.ising.snapshot_epochs[1]", "outside"),
    (("null_tests", "paramagnet_samples"), "dimer", "null_tests.paramagnet_samples", "Ising"),
    (("samples", "dimer", "noise"), False, "samples.dimer.noise", "windows.dimer.samples feed(s) criteria that test the noise"),
    (("samples", "dimer_null", "noise"), False, "samples.dimer_null.noise", "null_tests.dimer_samples"),
    (("exact_torus", "M"), 26, "exact_torus.M", "need >= 27"),
    (("exact_torus", "fit_from"), 11, "exact_torus.fit_from", "needs at least 3"),
    (("rg", "below"), "dimer", "rg.below", "Ising data set"),
    (("rg", "levels"), 4, "rg.critical", "at least 8 sites"),
    (("rg", "run", "L_B"), 2, "rg.run", "no jensen Ising run"),
    (("rg", "n_blocks"), 20000, "rg.n_blocks", "at least 40000 samples"),
    # issue 28: a data set too small for the split into training and held-out configurations
    # (failed after 8 jobs in train_theta, naming neither the key nor the data set)
    (("samples", "ising", "n_samples"), 1, "samples.ising.n_samples", "n_samples=1 is too small"),
    (("samples", "ising", "n_samples"), 5, "samples.ising.n_samples", "needs at least 1 + 2 configurations"),
    (("samples", "dimer", "n_samples"), 2, "samples.dimer.n_samples", "windows.dimer.samples splits"),
    (("samples", "ising_paramagnet", "n_samples"), 3, "samples.ising_paramagnet.n_samples",
     "null_tests.paramagnet_samples splits"),
    (("windows", "validation_fraction"), 0.001, "samples.ising.n_samples", "(windows.validation_fraction=0.001)"),
    (("grid", 0, "estimator"), ["exact"], "grid[0].estimator", "model dimer only"),
    (("exact_pairs",), _DELETE, "grid[3].estimator", "exact_pairs settings"),
]


@pytest.mark.parametrize("path,value,key,reason", SEMANTIC, ids=[s[2] + ":" + s[3] for s in SEMANTIC])
def test_semantic_errors_name_the_key(default_config, path, value, key, reason):
    with pytest.raises(ConfigError) as exc:
        check_config(_bad(default_config, path, value))
    assert str(exc.value).startswith(key + ":"), str(exc.value)
    assert reason in str(exc.value)


def test_missing_figure_run_is_named(default_config):
    cfg = copy.deepcopy(default_config)
    cfg["grid"] = [g for g in cfg["grid"] if not (g["model"] == "ising" and g["L_V"] == [6])]
    with pytest.raises(ConfigError, match="Fig. 2E/5 needs the run .*L_V 6"):
        check_config(cfg)


SCHEMA = [
    (("grid", 0, "colour"), "red", "grid[0]", "Additional properties"),
    (("theta_rbm", "ising", "learning_rate"), "fast", "theta_rbm.ising.learning_rate", "is not of type"),
    (("samples", "ising", "T"), -1.0, "samples.ising.T", "less than or equal to the minimum"),
    (("seed",), _DELETE, "<top level>", "'seed' is a required property"),
    (("grid", 0, "estimator"), ["magic"], "grid[0].estimator[0]", "is not one of"),
    (("samples", "ising", "n_samples"), 2.5, "samples.ising.n_samples", "is not of type"),
    (("grid", 0, "model"), "potts", "grid[0].model", "is not one of"),
]


@pytest.mark.parametrize("path,value,key,reason", SCHEMA, ids=[s[2] + ":" + s[3] for s in SCHEMA])
def test_schema_errors_name_the_key(tmp_path, default_config, path, value, key, reason):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(_bad(default_config, path, value)))
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert f"{key}: " in str(exc.value) and reason in str(exc.value), str(exc.value)


def test_snakemake_dry_run_builds_the_dag(tmp_path):
    res = run_snakemake(["-n", "--quiet", "rules", "--configfile", str(REPO / "config.yaml")], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "train_rsmi" in res.stdout + res.stderr


@pytest.mark.slow  # a Snakemake start (~4 s); CI runs it
def test_snakemake_lint(tmp_path):
    res = run_snakemake(["--lint", "--configfile", str(REPO / "config.yaml")], cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize(
    "path,value,needle",
    [
        # All in the slow suite (a Snakemake start each, ~4 s); rsmi.config's own tests and the
        # property tests cover these errors without Snakemake in the default run.
        pytest.param(("grid", 0, "N_h"), [5], "grid[0].N_h: N_h=5 exceeds |V|", marks=pytest.mark.slow),
        pytest.param(("grid", 3, "L_V"), [7], "grid[3].L_V: L_V=7 is odd", marks=pytest.mark.slow),
        pytest.param(("grid", 0, "L_B"), [-1], "L_B", marks=pytest.mark.slow),
        pytest.param(("grid", 0, "model"), "potts", "potts", marks=pytest.mark.slow),
        pytest.param(("grid", 2, "L_B"), [30], "larger than the lattice side", marks=pytest.mark.slow),
        pytest.param(("bogus_key",), 1, "bogus_key", marks=pytest.mark.slow),
        pytest.param(("theta_rbm", "ising", "n_epochs"), "ten", "ten", marks=pytest.mark.slow),
    ],
)
def test_bad_config_stops_snakemake_before_any_job(tmp_path, default_config, path, value, needle):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(_bad(default_config, path, value)))
    res = run_snakemake(["--cores", "1", "--configfile", str(cfg)], cwd=tmp_path)
    assert res.returncode != 0
    assert needle in res.stderr + res.stdout, res.stderr
    assert not (tmp_path / "results").exists()
    assert not (tmp_path / "logs").exists()


def test_overrides_apply_to_matching_runs_only(default_config):
    from rsmi.config import run_settings

    cfg = copy.deepcopy(default_config)
    cfg["rsmi"]["jensen"]["ising"]["overrides"] = [{"L_V": 4, "n_epochs": 7}, {"L_V": 4, "N_h": 4, "n_epochs": 9}]
    row = dict(model="ising", L_V=4, N_h=1, L_B=2, L_E=2, estimator="jensen")
    assert run_settings(cfg, row)["n_epochs"] == 7
    assert run_settings(cfg, dict(row, N_h=4))["n_epochs"] == 9  # later entries win
    assert run_settings(cfg, dict(row, L_V=6))["n_epochs"] == cfg["rsmi"]["jensen"]["ising"]["n_epochs"]
    assert "overrides" not in run_settings(cfg, row)


def test_override_errors_name_the_key(tmp_path, default_config):
    cfg = copy.deepcopy(default_config)
    cfg["rsmi"]["jensen"]["ising"]["overrides"] = [{"L_V": 4, "n_epoch": 7}]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match=r"rsmi.jensen.ising.overrides\[0\].*'n_epoch' was unexpected"):
        load_config(path)
    cfg["rsmi"]["jensen"]["ising"]["overrides"] = [{"L_V": 6, "n_epochs": 50}]
    with pytest.raises(ConfigError, match=r"rsmi.jensen.ising.overrides\[0\].snapshot_epochs\[2\]: epoch 100 is outside"):
        check_config(cfg)


# --- issue 28: sample counts at the edge, and duplicate YAML keys ------------------------------

def test_the_smallest_sample_count_the_check_lets_through_splits(default_config):
    """At the bound the check computes, the split that failed in train_theta works and the held-out
    windows have two configurations to split again; one below, the check refuses."""
    import numpy as np

    from rsmi.config import held_out_count
    from rsmi.windows.data import split_configurations
    from rsmi.coarse.mi import grouped_split

    f = default_config["windows"]["validation_fraction"]
    need = int(str(pytest.raises(ConfigError, check_config, _bad(default_config, ("samples", "ising", "n_samples"), 1))
                   .value).rsplit(">= ", 1)[1])
    check_config(_bad(default_config, ("samples", "ising", "n_samples"), need))
    train, val = split_configurations(need, f, 0)
    assert len(val) == held_out_count(need, f) == 2 and len(train) >= 1
    grouped_split(len(val) * 3, 0.3, np.random.default_rng(0), np.repeat(val, 3))
    # one below: the held-out windows would come from one configuration (grouped_split refuses)
    assert held_out_count(need - 1, f) < 2 or need - 1 - held_out_count(need - 1, f) < 1
    with pytest.raises(ValueError, match="at least two distinct groups"):
        grouped_split(3, 0.3, np.random.default_rng(0), np.zeros(3, dtype=int))
    with pytest.raises(ConfigError, match="samples.ising.n_samples"):
        check_config(_bad(default_config, ("samples", "ising", "n_samples"), need - 1))


DUPLICATES = [
    ("seed: 7\nseed: 8\n", "line 2: duplicate key 'seed' (first on line 1)"),
    ("samples:\n  ising: {model: ising}\n  dimer: {model: dimer}\n  ising: {model: ising, L: 8}\n",
     "line 4: duplicate key 'ising' (first on line 2)"),
    ("samples:\n  ising: {model: ising}\nseed: 1\nsamples:\n  other: {model: ising}\n",
     "line 4: duplicate key 'samples' (first on line 1)"),
    ("grid:\n  - {model: ising, L_V: [2], L_V: [4]}\n", "line 2: duplicate key 'L_V' (first on line 2)"),
]


@pytest.mark.parametrize("text,message", DUPLICATES, ids=["seed", "samples.ising", "samples", "flow-mapping"])
def test_duplicate_yaml_keys_are_refused_naming_key_and_line(tmp_path, text, message):
    from rsmi.config import load_yaml

    path = tmp_path / "dup.yaml"
    path.write_text(text)
    assert yaml.safe_load(text) is not None  # plain YAML takes it: the last key silently wins
    with pytest.raises(ConfigError) as exc:
        load_yaml(path)
    assert str(exc.value) == f"{path}: {message}; YAML would silently keep the last one"
    with pytest.raises(ConfigError, match="duplicate key"):
        load_config(path)


def test_unique_key_loader_keeps_safe_load_semantics(tmp_path):
    from rsmi.config import load_yaml

    path = tmp_path / "c.yaml"
    for text in [(REPO / "config.yaml").read_text(), (REPO / "tests/config/small.yaml").read_text(),
                 "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n", "a: 2026-01-01\nb: [1, 2.5, null, yes]\n"]:
        path.write_text(text)
        assert load_yaml(path) == yaml.safe_load(text)
    path.write_text("a: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(yaml.constructor.ConstructorError):
        load_yaml(path)


@pytest.mark.slow  # a Snakemake start each (~4 s); CI runs them
@pytest.mark.parametrize("edit,needle", [
    (lambda text: text.replace("\nseed: ", "\nseed: 8\nseed: ", 1), "duplicate key 'seed'"),
    (lambda text: text.replace("n_samples: 40,", "n_samples: 1,", 1), "samples.ising.n_samples: n_samples=1 is too small"),
], ids=["duplicate-seed", "n_samples-1"])
def test_issue28_bad_configs_stop_snakemake_before_any_job(tmp_path, edit, needle):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(edit((REPO / "tests/config/small.yaml").read_text()))
    res = run_snakemake(["--cores", "1", "--configfile", str(cfg)], cwd=tmp_path)
    assert res.returncode != 0
    assert needle in res.stderr + res.stdout, res.stderr[-2000:]
    assert not (tmp_path / "results").exists() and not (tmp_path / "logs").exists()
def test_noise_false_is_honoured(default_config):
    """samples.<dimer>.noise: false is refused where a criterion reads the noise sites (above), and
    accepted for a dimer data set nothing judges, or when no dimer run and no CD-RBM exist."""
    cfg = copy.deepcopy(default_config)
    cfg["samples"]["dimer_plain"] = {**cfg["samples"]["dimer"], "noise": False}
    check_config(cfg)  # a data set no criterion reads
    cfg = copy.deepcopy(default_config)
    cfg["samples"]["dimer"]["noise"] = False
    with pytest.raises(ConfigError, match="Fig. 4's noise/link weight ratio.*pass vacuously"):
        check_config(cfg)
    cfg["grid"] = [g for g in cfg["grid"] if g["model"] != "dimer"]
    cfg.pop("cd_rbm")
    cfg["null_tests"].pop("dimer_samples")
    try:
        check_config(cfg)
    except ConfigError as exc:  # other checks may need the dimer runs (Fig. 4); not the noise one
        assert "noise" not in str(exc), exc
