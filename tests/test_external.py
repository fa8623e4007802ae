"""External samples (a `samples:` entry with `file:`), a grid without the paper (`paper: false`)
and the shuffled-environment null test: the file format, the checks at DAG build, the claims."""

import copy

import numpy as np
import pytest
import yaml

from conftest import REPO, run_snakemake
from rsmi.config import ConfigError, check_config, expand_grid, load_config, theta_grid
from rsmi.judge.claims import expected_claims, run_claims
from rsmi.judge.nulltests import run_null_tests, shuffle_environments
from rsmi.registry import cd_rbm_units, paper_figures
from rsmi.sampling.external import ExternalSamplesError, bits_of_spins, read_external, spins_of_bits

EXAMPLE = REPO / "examples" / "own_data" / "config.yaml"


def _bits(n=12, L=8, seed=0):
    return np.random.default_rng(seed).integers(0, 2, size=(n, L, L)).astype(np.uint8)


def _own(tmp_path, x=None, name="mine.npy", **over):
    """The example's config (paper: false) with its file at tmp_path/name, parsed like Snakemake."""
    path = tmp_path / name
    if x is not None:
        if name.endswith(".npz"):
            np.savez(path, configs=x)
        else:
            np.save(path, x)
    cfg = yaml.safe_load(EXAMPLE.read_text())
    cfg["samples"]["mine"]["file"] = str(path)
    cfg.update(over)
    return cfg


# ---------------------------------------------------------------------------- the file format

@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_a_file_of_bits_is_read_back_exactly(tmp_path, suffix):
    x = _bits()
    path = tmp_path / f"c{suffix}"
    np.save(path, x) if suffix == ".npy" else np.savez(path, configs=x.astype(bool))
    got = read_external(path)
    assert got.dtype == np.uint8 and np.array_equal(got, x)


def test_an_npz_key_names_the_array(tmp_path):
    np.savez(tmp_path / "c.npz", spins=_bits())
    assert read_external(tmp_path / "c.npz", key="spins").shape == (12, 8, 8)
    with pytest.raises(ExternalSamplesError, match="no array 'configs'.*spins"):
        read_external(tmp_path / "c.npz")


BAD = [
    (lambda x: x[0], "shape \\(n, L, L\\)"),
    (lambda x: x[:, :, :7], "shape \\(n, L, L\\)"),
    (lambda x: x.astype(np.float64), "dtype float64"),
    (lambda x: 2 * x.astype(np.int8) - 1, "values must be 0 or 1, found -1"),
    (lambda x: np.where(x == 1, 3, 0).astype(np.int16), "found 3"),
]


@pytest.mark.parametrize("make, words", BAD)
def test_a_malformed_array_is_refused_naming_the_file(tmp_path, make, words):
    path = tmp_path / "c.npy"
    np.save(path, make(_bits()))
    with pytest.raises(ExternalSamplesError, match=words) as info:
        read_external(path)
    assert str(path) in str(info.value)


def test_files_that_are_not_arrays_of_numbers_are_refused(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ExternalSamplesError, match="not a readable .npy"):
        read_external(tmp_path / "o.npy")
    (tmp_path / "t.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ExternalSamplesError, match="not a readable .npz"):
        read_external(tmp_path / "t.npz")
    with pytest.raises(ExternalSamplesError, match="does not exist"):
        read_external(tmp_path / "missing.npy")
    with pytest.raises(ExternalSamplesError, match="unknown file type"):
        read_external(tmp_path / "c.csv")


def test_spins_and_bits_are_inverse():
    x = _bits()
    s = spins_of_bits(x)
    assert s.dtype == np.int8 and set(np.unique(s)) == {-1, 1}
    assert np.array_equal(bits_of_spins(s), x)
    with pytest.raises(ValueError):
        bits_of_spins(x)


# ---------------------------------------------------------------------------- the config check

def test_the_example_config_is_valid_with_its_file(tmp_path):
    cfg = _own(tmp_path, _bits(n=40, L=16))
    check_config(cfg)
    grid = expand_grid(cfg)
    assert not paper_figures(cfg) and cd_rbm_units(cfg) == []
    # Θ-RBMs of the own data set only (no paramagnet)
    assert set(theta_grid(cfg, grid).dataset) == {"mine"}


def test_the_example_config_passes_the_schema(tmp_path):
    path = tmp_path / "own.yaml"
    path.write_text(yaml.safe_dump(_own(tmp_path, _bits(n=40, L=16))))
    load_config(path)


@pytest.mark.parametrize("make, words", [
    (lambda: _bits(n=40, L=16).astype(np.float32), "dtype float32"),
    (lambda: 2 * _bits(n=40, L=16).astype(np.int8) - 1, "values must be 0 or 1"),
    (lambda: _bits(n=40, L=16)[:, :, :15], "shape"),
    (lambda: _bits(n=3, L=16), "holds 3 configurations, too few.*windows.ising.samples"),
    (lambda: _bits(n=40, L=6), "larger than the lattice side 6"),
])
def test_a_malformed_file_stops_the_check_naming_the_entry_and_the_file(tmp_path, make, words):
    cfg = _own(tmp_path, make())
    with pytest.raises(ConfigError, match=words) as info:
        check_config(cfg)
    msg = str(info.value)
    assert "samples.mine.file" in msg or "grid[0]" in msg
    if "grid[0]" not in msg:
        assert str(tmp_path / "mine.npy") in msg


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"samples\.mine\.file: data set 'mine': .*does not exist"):
        check_config(_own(tmp_path))


def test_an_external_file_is_read_as_ising_spins_only(tmp_path):
    cfg = _own(tmp_path, _bits(n=40, L=16))
    cfg["samples"]["mine"]["model"] = "dimer"
    with pytest.raises(ConfigError, match="samples.mine.model"):
        check_config(cfg)


def test_the_paper_needs_its_runs_and_my_data_does_not(tmp_path):
    cfg = _own(tmp_path, _bits(n=40, L=16))
    check_config(cfg)
    cfg["paper"] = True
    with pytest.raises(ConfigError, match="Fig. 2A.* needs the run"):
        check_config(cfg)


def test_a_grid_run_without_its_settings_is_named(tmp_path):
    cfg = _own(tmp_path, _bits(n=40, L=16))
    del cfg["theta_rbm"]
    with pytest.raises(ConfigError, match=r"grid\[1\]\.estimator: estimator 'jensen' needs the Θ-RBM settings theta_rbm.ising"):
        check_config(cfg)
    cfg = _own(tmp_path, _bits(n=40, L=16))
    cfg["grid"][0]["model"] = "dimer"
    cfg["windows"]["dimer"] = {"samples": "mine", "stride": 4}
    with pytest.raises(ConfigError, match="windows.dimer.samples"):
        check_config(cfg)


def test_the_paper_config_in_the_schema_still_needs_its_sections(tmp_path, default_config):
    cfg = copy.deepcopy(default_config)
    del cfg["cd_rbm"]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match="cd_rbm"):
        load_config(path)


def test_the_built_in_ising_samples_can_be_an_external_entry_of_the_paper(tmp_path, default_config):
    cfg = copy.deepcopy(default_config)
    np.save(tmp_path / "ising.npy", _bits(n=100, L=64))
    cfg["samples"]["ising"] = {"model": "ising", "file": str(tmp_path / "ising.npy")}
    check_config(cfg)


def test_a_malformed_file_stops_snakemake_before_any_job(tmp_path):
    x = _bits(n=40, L=16)
    x[5, 2, 3] = 7
    cfg = _own(tmp_path, x)
    (tmp_path / "own.yaml").write_text(yaml.safe_dump(cfg))
    res = run_snakemake(["-n", "--configfile", str(tmp_path / "own.yaml")], cwd=tmp_path, timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "samples.mine.file" in out and "found 7 at configuration 5, site (2, 3)" in out, out[-2000:]
    assert not (tmp_path / "results").exists()


# ---------------------------------------------------------------------------- null tests and claims

def test_shuffled_environments_come_from_another_configuration():
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(7), 5)
    E = np.column_stack([groups, np.arange(35)])  # each row says where it came from
    out = shuffle_environments(E, groups, seed=3)
    src_group = out[:, 0]
    assert (src_group != groups).all()
    # every configuration's windows take their E from one partner; the partners form a permutation
    partner = {g: set(src_group[groups == g]) for g in range(7)}
    assert all(len(p) == 1 for p in partner.values())
    assert sorted(p.pop() for p in partner.values()) == list(range(7))
    assert np.array_equal(out, shuffle_environments(E, groups, seed=3))
    with pytest.raises(ValueError, match="at least 2 configurations"):
        shuffle_environments(E[:5], groups[:5], seed=0)
    del rng


def test_the_shuffled_null_test_passes_on_independent_pairs_and_fails_on_a_copy():
    """The classifier scores ~0 on shuffled environments, and a lot where E is a copy of V."""
    rng = np.random.default_rng(0)
    n, L = 3000, 2
    V = rng.integers(0, 2, size=(n, L * L))
    E_copy = np.tile(V, (1, 2))
    groups = np.arange(n) // 10
    kw = dict(model="ising", estimator="classifier", groups=groups, seed=5, run="r", ising_null="shuffled", L_B=0)
    rows = run_null_tests(V, shuffle_environments(E_copy, groups, seed=2), **kw)
    assert [r["criterion"] for r in rows] == ["null_shuffled_kadanoff", *(f"null_shuffled_random{k}" for k in range(3))]
    assert all(r["gate"] for r in rows)  # exact independence: gated even at L_B = 0
    assert all(r["pass"] for r in rows), [(r["value"], r["se"]) for r in rows]
    rows = run_null_tests(V, E_copy, **kw)  # not a null: the test must see the information
    assert not any(r["pass"] for r in rows)


def test_the_claims_of_a_grid_without_the_paper(tmp_path):
    cfg = _own(tmp_path, _bits(n=40, L=16))
    cfg.setdefault("baselines", {"n_random": 3})
    grid = expand_grid(cfg)
    claims = expected_claims(cfg, grid)
    assert not any(f in ("2A", "2B", "2C-E", "4", "5", "6") for _, f, _ in claims)
    null = {c for _, f, c in claims if f == "null"}
    assert null == {f"null_shuffled_{n}[{e}]" for n in ("kadanoff", "random0", "random1", "random2")
                    for e in ("jensen", "variational", "classifier")}
    # 5 runs x 4 null tests x 2 scorers; 3 MI claims per estimate (5 runs, 3 x (kadanoff + 3 random) baselines)
    assert len(claims) == 5 * 8 + 3 * (5 + 3 * 4)
    row = grid.iloc[0].to_dict()
    assert run_claims(row) != run_claims(row, paramagnet=False)


def test_the_per_run_plot_draws_every_unit_and_refuses_a_bad_filter():
    from rsmi.figures.plotting import plot_run_filters

    rng = np.random.default_rng(0)
    for model, L in (("ising", 4), ("dimer", 8)):
        fig = plot_run_filters(rng.standard_normal((L, L, 3)), np.linspace(0, 1, 11), model=model,
                               val_history=np.full(11, np.nan), title="run")
        titles = [ax.get_title() for ax in fig.axes]
        assert [t for t in titles if t.startswith("unit")] == ["unit 1", "unit 2", "unit 3"]
    with pytest.raises(ValueError, match="L_V, L_V, N_h"):
        plot_run_filters(np.zeros((4, 3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="model"):
        plot_run_filters(np.zeros((4, 4, 1)), np.zeros(3), model="potts")
