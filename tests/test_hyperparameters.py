"""Each hyperparameter has one home: the library function's signature.

The config schema (workflow/schemas/config.schema.yaml) names the settings a user may give;
every key must be a parameter of the library function it is passed to (or a workflow key
listed here), every enum must be the library's own list of choices, and a default the schema
declares must equal the signature's default. A key added to one side only, a renamed
parameter, or a default set twice with two values fails here."""

from __future__ import annotations

import inspect

import pytest
import yaml

from conftest import REPO
from rsmi.coarse import network, variational
from rsmi.coarse.exact_proxy import build_pairs, train_exact
from rsmi.coarse.network import train_rsmi
from rsmi.coarse.variational import train_variational
from rsmi.sampling.dimers import sample_dimers
from rsmi.sampling.ising import sample_ising
from rsmi.theta.rbm import RBM

SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
DEFS = SCHEMA["$defs"]

#: schema block -> (library callable, keys the workflow consumes itself, not the library)
BLOCKS = {
    "proxy_settings": (train_rsmi, {"max_train_windows"}),
    "variational_settings": (train_variational, {"max_train_windows"}),
    "exact_settings": (train_exact, set()),
    "exact_pairs_settings": (build_pairs, set()),
    "theta": (RBM.__init__, {"max_train_windows", "n_hidden_v", "n_hidden_ve"}),
    "sample_ising": (sample_ising, {"model", "n_samples", "L", "T"}),
    "sample_dimer": (sample_dimers, {"model", "n_samples", "L"}),
}

#: (schema block, key) -> the library's tuple of choices
ENUMS = {
    ("proxy_settings", "lr_schedule"): network._LR_SCHEDULES,
    ("proxy_settings", "path"): network._PATHS,
    ("proxy_settings", "h_sampling"): network._H_MODES,
    ("proxy_settings", "monitor"): network._MONITORS,
    ("variational_settings", "critic"): variational.CRITICS,
    ("variational_settings", "entropy"): variational.ENTROPIES,
    ("variational_settings", "optimizer"): variational.OPTIMIZERS,
    ("variational_settings", "lr_schedule"): variational.LR_SCHEDULES,
    ("theta", "lr_schedule"): RBM.LR_SCHEDULES,
}


def _params(fn):
    return inspect.signature(fn).parameters


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_schema_keys_are_library_parameters(block):
    fn, workflow_keys = BLOCKS[block]
    keys = set(DEFS[block]["properties"]) - workflow_keys
    missing = keys - set(_params(fn))
    assert not missing, f"{block}: schema keys {sorted(missing)} are not parameters of {fn.__qualname__}"


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_schema_defaults_equal_signature_defaults(block):
    fn, _ = BLOCKS[block]
    params = _params(fn)
    for key, prop in DEFS[block]["properties"].items():
        if isinstance(prop, dict) and "default" in prop:
            assert key in params, f"{block}.{key} has a schema default but no library parameter"
            assert prop["default"] == params[key].default, (
                f"{block}.{key}: schema default {prop['default']!r} != {fn.__qualname__} default {params[key].default!r}")


@pytest.mark.parametrize("where", sorted(ENUMS), ids=lambda w: ".".join(w))
def test_schema_enums_are_the_library_choices(where):
    block, key = where
    assert list(DEFS[block]["properties"][key]["enum"]) == list(ENUMS[where])


def test_every_proxy_parameter_the_config_may_set_has_a_default():
    """The config gives only what differs from the library: every settable parameter of
    train_rsmi has a default in its signature (the one place a default is declared)."""
    params = _params(train_rsmi)
    keys = set(DEFS["proxy_settings"]["properties"]) - BLOCKS["proxy_settings"][1]
    no_default = [k for k in keys if params[k].default is inspect.Parameter.empty]
    assert not no_default, no_default


def test_theta_settings_pick_the_part():
    from rsmi.theta.rbm import theta_settings

    spec = dict(n_hidden_v=32, n_hidden_ve=128, max_train_windows=500, k=5, learning_rate=0.05)
    assert theta_settings(spec, "ve") == (128, 500, dict(k=5, learning_rate=0.05))
    assert theta_settings(spec, "v") == (32, 500, dict(k=5, learning_rate=0.05))
    with pytest.raises(ValueError, match="part"):
        theta_settings(spec, "e")


def test_every_proxy_setting_is_recorded_in_meta():
    """A new keyword of train_rsmi needs no edit of the meta builder: every keyword lands in the
    result's meta as given, or in the form the builder owns (network._META_OWN, e.g. resolved
    windows_per_epoch, snapshot_epochs_requested, pool_* on the pooled paths)."""
    import numpy as np

    from rsmi.theta.rbm import RBM

    rng = np.random.default_rng(0)
    V = rng.integers(0, 2, (200, 4)).astype(float)
    E = rng.integers(0, 2, (200, 8)).astype(float)
    tv = RBM(n_hidden=2, n_epochs=1, seed=1).fit(V)
    tve = RBM(n_hidden=2, n_epochs=1, seed=2).fit(np.hstack([V, E]))
    res = train_rsmi(V, E, tv, tve, 1, n_epochs=1, n_eval=50, l2=0, seed=3)
    kws = {k for k, p in _params(train_rsmi).items() if p.kind is p.KEYWORD_ONLY}
    given = kws - network._META_OWN
    assert given <= set(res.meta), given - set(res.meta)
    assert isinstance(res.meta["l2"], float) and res.meta["l2"] == 0.0  # typed by the signature's default
    assert res.meta["windows_per_epoch"] == 200 and res.meta["snapshot_epochs_requested"] == list(
        _params(train_rsmi)["snapshot_epochs"].default)
    assert network._META_OWN <= kws  # no stale names in the builder's own list
