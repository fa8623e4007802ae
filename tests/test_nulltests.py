"""Null tests (docs/method.md §4b): they pass for the data-only estimators and fail for a broken one."""

import numpy as np
import pytest

from rsmi.coarse.mi import classifier_bound
from rsmi.judge.nulltests import dimer_null_filters, ising_null_filters, run_null_tests, standardise_filter

from rsmi.judge.tables import COLUMNS


@pytest.fixture(scope="module")
def dimer_windows():
    from rsmi.sampling.dimers import sample_dimers
    from rsmi.windows.regions import cut_regions

    configs = sample_dimers(8, 300, seed=101)
    V, E = cut_regions(configs, 4, 2, 2, stride=4, model="dimer")
    return V, E, np.repeat(np.arange(300), V.shape[0] // 300)


@pytest.fixture(scope="module")
def ising_windows():
    from rsmi.sampling.ising import sample_ising
    from rsmi.windows.regions import cut_regions

    configs = sample_ising(16, 10.0, 150, seed=102)
    V, E = cut_regions(configs, 4, 2, 2, stride=4, model="ising")
    return V, E, np.repeat(np.arange(150), V.shape[0] // 150)


def _run(estimator, dimer_windows, ising_windows):
    Vd, Ed, gd = dimer_windows
    Vi, Ei, gi = ising_windows
    return (run_null_tests(Vd, Ed, model="dimer", estimator=estimator, groups=gd, seed=0, run="r")
            + run_null_tests(Vi, Ei, model="ising", estimator=estimator, groups=gi, seed=0, run="r"))


@pytest.mark.parametrize("estimator", ["variational", "classifier"])
def test_data_only_estimators_pass(estimator, dimer_windows, ising_windows):
    rows = _run(estimator, dimer_windows, ising_windows)
    assert all(tuple(r) == COLUMNS for r in rows)
    names = [r["criterion"] for r in rows]
    assert sum(n.startswith("null_noise_only_") for n in names) == 5
    assert sum(n.startswith("null_field_beats_noise_") for n in names) == 2
    assert sum(n.startswith("null_paramagnet_") for n in names) == 4
    failed = [(r["criterion"], r["value"], r["threshold"]) for r in rows if not r["pass"]]
    assert not failed, failed
    assert all(r["gate"] and r["figure"] == "null" and r["run"] == "r" for r in rows)


def _leaky(weights, biases, V_train, E_train, V_test, E_test, *, seed=None):
    """A broken estimator: its critic also sees the block v, as a Θ^VE that ties V's noise to E would."""
    r = classifier_bound(weights, biases, V_train, np.hstack([E_train, V_train]), V_test,
                         np.hstack([E_test, V_test]), seed=seed, l2=1e-3)
    return r["mi"], r["stderr"]


def test_broken_estimator_fails(dimer_windows, ising_windows):
    rows = _run(_leaky, dimer_windows, ising_windows)
    by = {r["criterion"]: r for r in rows}
    assert not any(r["pass"] for n, r in by.items() if n.startswith("null_noise_only_"))
    assert not any(r["pass"] for n, r in by.items() if n.startswith("null_paramagnet_"))
    assert "estimator=_leaky" in rows[0]["note"]


def test_in_sample_scoring_is_caught(dimer_windows, ising_windows):
    """Scoring on the training split (no hold-out, no regularisation) rewards memorised noise."""
    def in_sample(weights, biases, V_train, E_train, V_test, E_test, *, seed=None):
        n = 300  # few samples, many features: the overfit is large
        r = classifier_bound(weights, biases, V_train[:n], E_train[:n], V_train[:n], E_train[:n], l2=0.0)
        return r["mi"], r["stderr"]

    Vd, Ed, gd = dimer_windows
    rows = run_null_tests(Vd, Ed, model="dimer", estimator=in_sample, groups=gd, seed=0)
    assert not all(r["pass"] for r in rows if r["criterion"].startswith("null_noise_only_"))


def test_standardise_filter(dimer_windows):
    V = dimer_windows[0]
    d = dimer_null_filters(4, n_random=1, seed=0)
    for name, direction in d.items():
        w, b = standardise_filter(direction, V, 8.0)
        s = V @ w.reshape(-1) + b
        assert s.std() == pytest.approx(8.0) and abs(s.mean()) < 1e-9
    with pytest.raises(ValueError, match="constant"):
        standardise_filter(np.zeros((4, 4)), V)


def test_filter_families():
    from rsmi.sampling.dimers import fat_site_kinds

    kinds = fat_site_kinds(8)
    d = dimer_null_filters(8, n_random=2, seed=1)
    assert set(d) == {"noise_all", "noise_pair", "noise_random0", "noise_random1", "field_axis0", "field_axis1"}
    for name, w in d.items():
        on = w != 0
        if name.startswith("noise"):
            assert np.isin(kinds[on], (0, 1)).all()
        else:
            assert np.isin(kinds[on], (2, 3)).all()
    assert np.count_nonzero(d["noise_pair"]) == 2
    i = ising_null_filters(3, n_random=2, seed=1)
    assert set(i) == {"kadanoff", "random0", "random1"} and np.all(i["kadanoff"] == 1)
    assert not np.array_equal(i["random0"], i["random1"])


def test_validation(dimer_windows):
    V, E, _ = dimer_windows
    with pytest.raises(ValueError, match="model"):
        run_null_tests(V, E, model="potts", estimator="classifier")
    with pytest.raises(ValueError, match="estimator"):
        run_null_tests(V, E, model="dimer", estimator="infonce")
    with pytest.raises(ValueError, match="theta_v"):
        run_null_tests(V, E, model="dimer", estimator="jensen")
    with pytest.raises(ValueError, match="square"):
        run_null_tests(V[:, :15], E, model="dimer", estimator="classifier")
    with pytest.raises(ValueError, match="n_random"):
        run_null_tests(V, E, model="dimer", estimator="classifier", n_random=-1)


def test_pooled_proxy_rows_carry_se_and_score_the_own_filters_noise_part(dimer_windows):
    """The jensen null tests on |V| = 16 run on the pooled estimator: every row has an SE and a
    2·SE verdict, the margin rows too, and the run's own filter restricted to noise is scored."""
    from rsmi.theta.rbm import RBM

    V, E, g = dimer_windows
    tv = RBM(n_hidden=8, n_epochs=2, seed=0).fit(V)
    tve = RBM(n_hidden=8, n_epochs=2, seed=1).fit(np.hstack([V, E]))
    own = (np.ones((4, 4, 1)), np.array([-8.0]))
    rows = run_null_tests(V, E, model="dimer", estimator="jensen", theta_v=tv, theta_ve=tve, groups=g, seed=0,
                          run="r", own_filter=own)
    by = {r["criterion"]: r for r in rows}
    assert "null_noise_only_own_noise_part" in by
    assert all(r["se"] > 0 and r["verdict"] in ("pass", "fail", "inconclusive") for r in rows)
    assert "pooled" in rows[0]["note"]


@pytest.mark.slow
def test_buffer_width_decides_what_is_a_null(dimer_windows, ising_windows):
    """No buffer: the paramagnet's neighbours cross into E (recorded, not gated); a buffer wider
    than L_V/2: the field margin is not resolvable (recorded, not gated); otherwise all gate."""
    Vi, Ei, gi = ising_windows
    rows = run_null_tests(Vi, Ei, model="ising", estimator="classifier", groups=gi, seed=0, L_B=0)
    assert rows and not any(r["gate"] for r in rows) and all("L_B = 0" in r["note"] for r in rows)
    rows = run_null_tests(Vi, Ei, model="ising", estimator="classifier", groups=gi, seed=0, L_B=2)
    assert all(r["gate"] for r in rows)
    Vd, Ed, gd = dimer_windows
    rows = {r["criterion"]: r for r in run_null_tests(Vd, Ed, model="dimer", estimator="classifier", groups=gd,
                                                     seed=0, L_B=3)}
    assert not rows["null_field_beats_noise_axis0"]["gate"] and rows["null_noise_only_noise_pair"]["gate"]
