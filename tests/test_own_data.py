"""End to end on a user's own data (README, "Your own data"): the worked example from a fresh
directory, the external file untouched by `snakemake -F` and `--delete-all-output`, a changed
file rerunning what depends on it, and built-in samples exported and brought back as an external
entry giving the same bytes downstream. Slow: CI runs them."""

import hashlib
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO, run_snakemake
from rsmi.sampling.external import bits_of_spins
from rsmi.utils.io import load_npz

pytestmark = pytest.mark.slow

EXAMPLE = REPO / "examples" / "own_data"


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def numba_cache(tmp_path_factory):
    """One numba cache for every run of this module (each run would compile the kernels again)."""
    return {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path_factory.mktemp("numba"))}


@pytest.fixture(scope="module")
def example(tmp_path_factory, numba_cache):
    """The README's two commands in an empty directory: the example's generator (the user's own
    Monte Carlo code) writes the file, Snakemake runs the example config."""
    root = tmp_path_factory.mktemp("own")
    data = root / "examples" / "own_data" / "configs.npy"
    data.parent.mkdir(parents=True)
    subprocess.run([sys.executable, str(EXAMPLE / "generate.py"), "--out", str(data)], check=True, cwd=root)
    res = run_snakemake(["--cores", "2", "--configfile", str(EXAMPLE / "config.yaml")], cwd=root, timeout=1800,
                        env=numba_cache)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return root, data


def test_the_example_writes_its_tables_filter_plots_and_verdict(example):
    root, _ = example
    runs = pd.read_csv(root / "results" / "runs.csv")
    assert len(runs) == 5 and set(runs.estimator) == {"jensen", "variational"} and not runs.figure_run.any()
    for run in runs.run:
        assert (root / "results" / "runs" / run / "filters.png").stat().st_size > 0
    mi = pd.read_csv(root / "results" / "mi.csv")
    assert set(mi.run) >= set(runs.run)
    metrics = pd.read_csv(root / "results" / "metrics.csv")
    assert metrics.criterion.str.startswith("null_shuffled_").sum() == 5 * 4 * 2
    assert not metrics.figure.astype(str).isin(["2A", "2B", "2C-E", "4", "5", "6"]).any()
    assert (root / "results" / "summary.txt").read_text().startswith("Claims:")
    for fig in ("mi_vs_buffer", "mi_comparison"):
        assert (root / "results" / "figures" / f"{fig}.png").is_file()
    assert not (root / "results" / "figures" / "fig2.png").exists()
    # the stored copy is the file's configurations in the Ising encoding, with the file's checksum
    arrays, meta = load_npz(root / "results" / "samples" / "mine.npz", required=["configs"])
    assert np.array_equal(bits_of_spins(arrays["configs"]), np.load(example[1]))
    assert meta["sha256"] == _sha(example[1])


def test_snakemake_never_writes_or_deletes_the_external_file(example, numba_cache):
    root, data = example
    before = (_sha(data), data.stat().st_mtime_ns)
    cfg = ["--configfile", str(EXAMPLE / "config.yaml")]
    res = run_snakemake(["results/samples/mine.npz", "--cores", "1", "-F", *cfg], cwd=root, env=numba_cache)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "import_samples" in res.stdout + res.stderr
    # -F on everything: the file is an input of import_samples and no job's output
    res = run_snakemake(["-n", "-F", *cfg], cwd=root, env=numba_cache)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert "input: examples/own_data/configs.npy" in out
    assert "output: examples/own_data/configs.npy" not in out and "configs.npy," not in out
    assert (_sha(data), data.stat().st_mtime_ns) == before
    # the command that deletes every output of the workflow leaves it too (last: the fixture is spent)
    res = run_snakemake(["--delete-all-output", "--cores", "1", *cfg], cwd=root, env=numba_cache)
    assert res.returncode == 0, res.stderr[-3000:]
    assert not (root / "results" / "samples" / "mine.npz").exists()
    assert (_sha(data), data.stat().st_mtime_ns) == before


@pytest.fixture
def fresh_example(tmp_path, numba_cache):
    data = tmp_path / "examples" / "own_data" / "configs.npy"
    data.parent.mkdir(parents=True)
    subprocess.run([sys.executable, str(EXAMPLE / "generate.py"), "--out", str(data), "--n-chains", "20"],
                   check=True, cwd=tmp_path)
    res = run_snakemake(["results/samples/mine.npz", "--cores", "1", "--configfile", str(EXAMPLE / "config.yaml")],
                        cwd=tmp_path, env=numba_cache)
    assert res.returncode == 0, res.stderr[-3000:]
    return tmp_path, data


def test_a_changed_file_reruns_what_depends_on_it(fresh_example, numba_cache):
    root, data = fresh_example
    cfg = ["--configfile", str(EXAMPLE / "config.yaml")]
    x = np.load(data)
    x[0] = 1 - x[0]
    np.save(data, x)
    res = run_snakemake(["-n", "results/samples/mine.npz", *cfg], cwd=root, env=numba_cache)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert "import_samples" in out and "updated input files" in out, out[-2000:]


SMALL_OWN = {
    "paper": False,
    "seed": 11,
    "samples": {"ising": {"model": "ising", "L": 16, "T": 2.269185314213022, "n_samples": 40},
                "pm": {"model": "ising", "L": 16, "T": 10.0, "n_samples": 20}},
    "windows": {"ising": {"samples": "ising", "stride": 4}, "validation_fraction": 0.25},
    "grid": [{"model": "ising", "L_V": [2], "N_h": [1], "L_B": [1], "L_E": 1, "estimator": ["jensen", "variational"]}],
    "null_tests": {"paramagnet_samples": "pm"},
    "theta_rbm": {"ising": {"n_hidden_ve": 8, "n_hidden_v": 4, "k": 1, "persistent": True, "batch_size": 32,
                            "learning_rate": 0.05, "n_epochs": 2, "max_train_windows": 400}},
    "rsmi": {"jensen": {"ising": {"n_epochs": 3, "batch_size": 50, "learning_rate": 0.1, "path": "auto", "n_mc": 8,
                                  "mc_burn_in": 10, "max_train_windows": 200, "snapshot_epochs": [0, 3]}},
             "variational": {"ising": {"n_epochs": 3, "batch_size": 50, "learning_rate": 0.01, "max_train_windows": 200,
                                       "snapshot_epochs": [0, 3]}}},
}


def _downstream(root):
    """Everything made from the samples (not the samples file itself, whose metadata names its origin)."""
    out = {}
    for p in sorted((root / "results").rglob("*")):
        rel = p.relative_to(root / "results")
        if p.is_file() and rel.parts[0] in ("theta", "runs", "baselines") and p.suffix in (".npz", ".csv"):
            out[str(rel)] = p.read_bytes()
    for name in ("runs.csv", "mi.csv", "metrics.csv"):
        out[name] = (root / "results" / name).read_bytes()
    return out


def test_exported_and_reimported_samples_give_the_same_bytes(tmp_path, numba_cache):
    """The built-in Ising samples, exported as 0/1 and brought back as an external entry of the same
    name: Θ-RBMs, filters, per-run tables, baselines and the result tables are byte-identical."""
    targets = ["results/runs.csv", "results/mi.csv", "results/metrics.csv"]
    built = tmp_path / "built"
    built.mkdir()
    (built / "c.yaml").write_text(yaml.safe_dump(SMALL_OWN))
    res = run_snakemake([*targets, "--cores", "2", "--configfile", str(built / "c.yaml")], cwd=built, env=numba_cache)
    assert res.returncode == 0, res.stderr[-3000:]
    configs = load_npz(built / "results" / "samples" / "ising.npz")[0]["configs"]
    imported = tmp_path / "imported"
    imported.mkdir()
    np.save(imported / "exported.npy", bits_of_spins(configs))
    cfg = {**SMALL_OWN, "samples": {**SMALL_OWN["samples"], "ising": {"model": "ising", "file": "exported.npy"}}}
    (imported / "c.yaml").write_text(yaml.safe_dump(cfg))
    res = run_snakemake([*targets, "--cores", "2", "--configfile", str(imported / "c.yaml")], cwd=imported,
                        env=numba_cache)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "import_samples" in res.stdout + res.stderr
    a, b = _downstream(built), _downstream(imported)
    assert sorted(a) == sorted(b)
    assert any(k.startswith("theta/") for k in a) and any(k.endswith("rsmi.npz") for k in a)
    assert [k for k in a if a[k] != b[k]] == []
    shutil.rmtree(tmp_path / "built" / "results" / ".cache", ignore_errors=True)
