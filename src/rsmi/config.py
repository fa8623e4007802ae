"""Loading, validating and expanding the workflow configuration.

The JSON schema (``workflow/schemas/config.schema.yaml``) checks structure and types; the
checks here are the semantic ones a schema cannot express.  Every error names the config key
it is about, e.g. ``grid[3].N_h: N_h=5 exceeds |V| = L_V**2 = 4``.

The grid is a list of entries, each a cross product of its lists; :func:`expand_grid` returns
their union as a tidy DataFrame with one row per run (columns :data:`GRID_COLUMNS`).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import yaml

from rsmi.registry import REQUIRED_RUNS, paper_figures
from rsmi.sampling.external import ExternalSamplesError, read_external

__all__ = [
    "ConfigError",
    "GRID_COLUMNS",
    "UniqueKeyLoader",
    "load_yaml",
    "SCHEMA_PATH",
    "load_config",
    "check_config",
    "expand_grid",
    "theta_grid",
    "run_settings",
    "lattice_side",
    "n_configurations",
    "is_external",
]

GRID_COLUMNS = ["model", "L_V", "N_h", "L_B", "L_E", "estimator"]
ESTIMATORS_NEEDING_THETA = ("jensen", "logmeanexp")
#: The proxy with the exact dimer measure (rsmi.coarse.exact_proxy): no Θ-RBMs, pool pairs per geometry.
EXACT_ESTIMATOR = "exact"

#: Schema shipped with the workflow (repository layout: src/rsmi/config.py -> workflow/schemas).
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"

class ConfigError(ValueError):
    """The configuration is invalid; the message names the key and the reason."""


def is_external(sample_cfg: Mapping[str, Any]) -> bool:
    """Whether a ``samples:`` entry reads a file of configurations (``file:``) instead of sampling."""
    return "file" in sample_cfg


_EXTERNAL_CACHE: dict[tuple, tuple[int, int]] = {}


def _external_shape(sample_cfg: Mapping[str, Any]) -> tuple[int, int]:
    """(n, L) of an external entry's file, read and checked by :func:`rsmi.sampling.external.read_external`
    (once per file version: the check runs whenever Snakemake parses the workflow)."""
    path = Path(sample_cfg["file"])
    st = path.stat() if path.is_file() else None
    tag = (str(path.resolve()), sample_cfg.get("key"), st and st.st_mtime_ns, st and st.st_size)
    if tag not in _EXTERNAL_CACHE:
        x = read_external(path, key=sample_cfg.get("key"))
        _EXTERNAL_CACHE[tag] = (int(x.shape[0]), int(x.shape[1]))
    return _EXTERNAL_CACHE[tag]


def lattice_side(sample_cfg: Mapping[str, Any]) -> int:
    """Side of the stored configurations: L for Ising, the fat side 2L for dimers; an external
    entry's from its file."""
    if is_external(sample_cfg):
        return _external_shape(sample_cfg)[1]
    return int(sample_cfg["L"]) * (2 if sample_cfg["model"] == "dimer" else 1)


def n_configurations(sample_cfg: Mapping[str, Any]) -> int:
    """Stored configurations of a data set: ``n_samples``, or the external file's ``n``."""
    if is_external(sample_cfg):
        return _external_shape(sample_cfg)[0]
    return int(sample_cfg["n_samples"])


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` (the same tags and types as ``yaml.safe_load``) that refuses a mapping
    with the same key twice, naming the key and both lines: plain YAML keeps the last one
    silently (``seed: 7`` then ``seed: 8``; a second ``samples: ising:`` block).  Keys merged in
    with ``<<`` may still be overridden, as YAML says."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: SafeConstructor refuses it below
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise ConfigError(f"{key_node.start_mark.name}: line {line}: duplicate key {key!r} (first on line "
                                      f"{first}); YAML would silently keep the last one")
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file like ``yaml.safe_load``, refusing duplicate keys (:class:`UniqueKeyLoader`)."""
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)


def load_config(path: str | Path, *, schema: str | Path | None = SCHEMA_PATH) -> dict:
    """Read YAML (:func:`load_yaml`: ``safe_load`` without duplicate keys), check it against the
    schema and :func:`check_config`."""
    config = load_yaml(path)
    if schema is not None:
        import jsonschema

        with open(schema, encoding="utf-8") as fh:
            schema_doc = yaml.safe_load(fh)
        validator = jsonschema.Draft202012Validator(schema_doc)
        errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [f"{_json_path(e.absolute_path) or '<top level>'}: {e.message}" for e in errors]
            raise ConfigError(f"{path}: invalid configuration:\n  " + "\n  ".join(lines))
    check_config(config)
    return config


def _json_path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _require(cond: bool, key: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"{key}: {msg}")


def check_config(config: Mapping[str, Any]) -> None:
    """Semantic checks; raise :class:`ConfigError` naming the key on the first problem."""
    _require(isinstance(config, Mapping), "<top level>", "the configuration must be a mapping")
    samples = config.get("samples") or {}
    windows = config.get("windows") or {}
    for name, s in samples.items():
        key = f"samples.{name}"
        _require(s.get("model") in ("ising", "dimer"), f"{key}.model", f"unknown model {s.get('model')!r}; expected ising or dimer")
        if is_external(s):
            _require(s["model"] == "ising", f"{key}.model", "a file of configurations is read as binary spins on a square "
                                                            "lattice (model ising); the dimer pipeline reads its own sampler's data only")
            try:
                _external_shape(s)
            except ExternalSamplesError as exc:
                raise ConfigError(f"{key}.file: data set {name!r}: {exc}") from None
        elif s["model"] == "dimer":
            _require(s["L"] % 2 == 0, f"{key}.L", f"L={s['L']} is odd; fully packed dimers need an even number of vertices per side")
    for model in ("ising", "dimer"):
        spec = windows.get(model)
        if spec is None:
            continue
        key = f"windows.{model}"
        src = spec["samples"]
        _require(src in samples, f"{key}.samples", f"no data set named {src!r} under samples (have: {', '.join(samples) or 'none'})")
        _require(samples[src]["model"] == model, f"{key}.samples", f"data set {src!r} holds model {samples[src]['model']!r}, not {model!r}")
        if model == "dimer":
            _require(spec["stride"] % 2 == 0, f"{key}.stride", f"stride={spec['stride']} is odd; dimer windows must start at even fat coordinates")
    _check_sample_counts(config)
    null = config.get("null_tests") or {}
    if "paramagnet_samples" in null:
        src = null["paramagnet_samples"]
        _require(src in samples and samples[src]["model"] == "ising", "null_tests.paramagnet_samples",
                 f"must name an Ising data set under samples, got {src!r}")
    if "dimer_samples" in null:
        src = null["dimer_samples"]
        _require(src in samples and samples[src]["model"] == "dimer", "null_tests.dimer_samples",
                 f"must name a dimer data set under samples, got {src!r}")
    for i, entry in enumerate(config.get("grid") or []):
        _check_grid_entry(config, i, entry)
    for est, per_model in (config.get("rsmi") or {}).items():
        for model, spec in per_model.items():
            _check_epochs(f"rsmi.{est}.{model}", spec)
            for j, entry in enumerate(spec.get("overrides", [])):
                _check_epochs(f"rsmi.{est}.{model}.overrides[{j}]", {**spec, **entry})
    cd = config.get("cd_rbm")
    if cd:
        _require(cd["L_V"] % 2 == 0, "cd_rbm.L_V", f"L_V={cd['L_V']} is odd; dimer blocks are in fat units and must be even")
        for j, nh in enumerate(cd["n_hidden"]):
            _require(nh >= 1, f"cd_rbm.n_hidden[{j}]", f"must be positive, got {nh}")
        side = lattice_side(samples[windows["dimer"]["samples"]]) if "dimer" in windows else None
        if side is not None:
            _require(cd["L_V"] <= side, "cd_rbm.L_V", f"block side {cd['L_V']} exceeds the lattice side {side}")
    grid = expand_grid(config)
    _check_noise(config, grid)
    # the paper's runs only when its figures are requested (registry.paper_figures)
    for fig, model, L_V, N_h, est in (REQUIRED_RUNS if paper_figures(config) else ()):
        rows = grid[(grid.model == model) & (grid.L_V == L_V) & (grid.N_h == N_h)
                    & (grid.L_B == L_V // 2) & (grid.L_E == L_V // 2)]
        if est is not None:
            rows = rows[rows.estimator == est]
        want = f"model {model}, L_V {L_V}, N_h {N_h}, L_B = L_E = {L_V // 2}" + (f", estimator {est}" if est else "")
        _require(len(rows) > 0, "grid", f"{fig} needs the run ({want}); add it to the grid")
    # after the grid's own checks: Fig. 7 names one of its runs
    rg = config.get("rg")
    if rg:
        for key in ("critical", "below", "above"):
            src = rg[key]
            _require(src in samples and samples[src]["model"] == "ising", f"rg.{key}",
                     f"must name an Ising data set under samples, got {src!r}")
            L = lattice_side(samples[src])
            # at L = 4 the distance-2 coupling aliases (MCRG's A becomes singular): >= 8 at the last level
            _require(L % (2 ** rg["levels"]) == 0 and L >> rg["levels"] >= 8, f"rg.{key}",
                     f"data set {src!r} has L={L}: {rg['levels']} levels of 2x2 blocking need L divisible by "
                     f"{2 ** rg['levels']} and at least 8 sites per side at the last level")
        want = dict(model="ising", estimator="jensen", **rg["run"])
        match = grid[(grid[list(want)] == pd.Series(want)).all(axis=1)] if len(grid) else grid
        _require(len(match) == 1, "rg.run", f"no jensen Ising run {rg['run']} in the grid")
        _require(n_configurations(samples[rg["critical"]]) >= 2 * rg["n_blocks"], "rg.n_blocks",
                 f"{rg['n_blocks']} jackknife blocks need at least {2 * rg['n_blocks']} samples")
    torus = config.get("exact_torus")
    if torus:
        _check_torus_rows(torus, "exact_torus")
        n_fit = sum(b >= torus["fit_from"] for b in torus["buffers"])
        _require(n_fit >= 3, "exact_torus.fit_from",
                 f"the Δ_σ fit over L_B >= {torus['fit_from']} has {n_fit} buffer widths; it needs at least 3")
        mb = torus.get("multibit")
        if mb:
            _check_torus_rows(mb, "exact_torus.multibit")
            for k in mb["bits"]:
                p = mb["L"] // k if mb["L"] % k == 0 else 0
                _require(p == 1 or (p > 0 and p % 2 == 0), "exact_torus.multibit.bits",
                         f"{k} parts of an L={mb['L']} row: parts must be single sites or of even length")


def _check_torus_rows(spec: Mapping[str, Any], key: str) -> None:
    """An exact torus of M rows holds V, two buffers and E, and its sampler fits in memory."""
    need = 2 * max(spec["buffers"]) + 3
    _require(spec["M"] >= need, f"{key}.M",
             f"M={spec['M']} rows cannot hold V, two buffers of {max(spec['buffers'])} rows and E (need >= {need})")
    _require((spec["M"] + 1) * 4 ** spec["L"] <= 2**24, f"{key}.M",
             f"the exact sampler stores (M+1)·4^L = {(spec['M'] + 1) * 4 ** spec['L']} floats (limit 2^24)")


def held_out_count(n: int, validation_fraction: float) -> int:
    """Configurations :func:`rsmi.data.split_configurations` holds out of ``n`` (same formula)."""
    return min(n - 1, max(1, int(round(validation_fraction * n))))


def _too_few(sample_cfg: Mapping[str, Any], n: int) -> str:
    if is_external(sample_cfg):
        return f"file {sample_cfg['file']} holds {n} configurations, too few"
    return f"n_samples={n} is too small"


def _check_sample_counts(config: Mapping[str, Any]) -> None:
    """Data sets whose windows are split by configuration (training / held out, then the held-out
    windows again by configuration for the MI estimate and the null tests) need at least one
    training and two held-out configurations; the data sets that are only averaged need two."""
    samples = config.get("samples") or {}
    windows = config.get("windows") or {}
    f = windows.get("validation_fraction")
    split = {windows[m]["samples"]: f"windows.{m}.samples" for m in ("ising", "dimer") if m in windows}
    null = config.get("null_tests") or {}
    if "paramagnet_samples" in null:
        split.setdefault(null["paramagnet_samples"], "null_tests.paramagnet_samples")
    whole = {}
    if "dimer_samples" in null:
        whole[null["dimer_samples"]] = "null_tests.dimer_samples"
    for key in ("below", "above"):
        if config.get("rg"):
            whole[config["rg"][key]] = f"rg.{key}"
    for name, used_by in split.items():
        if name not in samples or f is None or not 0 < f < 1:
            continue  # named in the checks below / by the schema
        n = n_configurations(samples[name])
        need = next(m for m in range(3, 10**6) if held_out_count(m, f) >= 2 and m - held_out_count(m, f) >= 1)
        _require(n >= need, f"samples.{name}." + ("file" if is_external(samples[name]) else "n_samples"),
                 f"{_too_few(samples[name], n)}: {used_by} splits its configurations into training and held-out "
                 f"(windows.validation_fraction={f}), and the held-out windows are split again by configuration "
                 f"(MI estimate, null tests): that needs at least 1 + 2 configurations, i.e. "
                 + ("n" if is_external(samples[name]) else "n_samples") + f" >= {need}")
    for name, used_by in whole.items():
        if name in samples:
            n = n_configurations(samples[name])
            _require(n >= 2, f"samples.{name}." + ("file" if is_external(samples[name]) else "n_samples"),
                     f"{_too_few(samples[name], n)}: {used_by} needs at least 2 configurations for a standard error")


#: What reads the noise sites of dimer data (docs/method.md §1, §4b, §6): with ``noise: false`` those
#: sites are constant and each of these criteria would pass without testing anything.
NOISE_CRITERIA = ("Fig. 4's noise/link weight ratio", "the noise-only null tests", "Fig. 6 (CD-RBM weight on noise)")


def _check_noise(config: Mapping[str, Any], grid: pd.DataFrame) -> None:
    """Refuse ``samples.<name>.noise: false`` for a dimer data set that a noise-dependent criterion
    reads: the windows of the dimer runs (when the grid has any, or ``cd_rbm`` is set) and
    ``null_tests.dimer_samples``. A dimer data set nothing judges may leave the noise out."""
    samples = config.get("samples") or {}
    users: dict[str, list[str]] = {}
    windows = config.get("windows") or {}
    if "dimer" in windows and ((len(grid) and (grid.model == "dimer").any()) or config.get("cd_rbm")):
        users.setdefault(windows["dimer"]["samples"], []).append("windows.dimer.samples")
    dimer_null = (config.get("null_tests") or {}).get("dimer_samples")
    if dimer_null is not None:
        users.setdefault(dimer_null, []).append("null_tests.dimer_samples")
    for name, readers in users.items():
        s = samples.get(name) or {}
        _require(s.get("model") != "dimer" or s.get("noise", True), f"samples.{name}.noise",
                 f"noise is false, but {' and '.join(readers)} feed(s) criteria that test the noise sites "
                 f"({', '.join(NOISE_CRITERIA)}); without noise they would pass vacuously. "
                 "Set noise: true, or point those keys at a data set with noise")


def _check_epochs(key: str, spec: Mapping[str, Any]) -> None:
    n_epochs = spec.get("n_epochs")
    for j, ep in enumerate(spec.get("snapshot_epochs", [])):
        _require(0 <= ep <= n_epochs, f"{key}.snapshot_epochs[{j}]", f"epoch {ep} is outside 0..n_epochs={n_epochs}")


def _check_grid_entry(config, i: int, entry: Mapping[str, Any]) -> None:
    key = f"grid[{i}]"
    model = entry.get("model")
    _require(model in ("ising", "dimer"), f"{key}.model", f"unknown model {model!r}; expected ising or dimer")
    spec = (config.get("windows") or {}).get(model)
    _require(spec is not None, f"windows.{model}", f"grid[{i}] uses model {model!r} but windows.{model} is missing")
    side = lattice_side(config["samples"][spec["samples"]])
    L_E = entry["L_E"]
    _require(isinstance(L_E, int) and L_E >= 1, f"{key}.L_E", f"L_E must be a positive integer, got {L_E!r}")
    if model == "dimer":
        _require(L_E % 2 == 0, f"{key}.L_E", f"L_E={L_E} is odd; dimer regions are in fat units and must be even")
    for L_V in entry["L_V"]:
        _require(L_V >= 1, f"{key}.L_V", f"L_V must be positive, got {L_V}")
        if model == "dimer":
            _require(L_V % 2 == 0, f"{key}.L_V", f"L_V={L_V} is odd; dimer regions are in fat units and must be even")
        for N_h in entry["N_h"]:
            _require(N_h >= 1, f"{key}.N_h", f"N_h must be positive, got {N_h}")
            _require(N_h <= L_V * L_V, f"{key}.N_h", f"N_h={N_h} exceeds |V| = L_V**2 = {L_V * L_V} (L_V={L_V})")
        for L_B in entry["L_B"]:
            _require(L_B >= 0, f"{key}.L_B", f"the buffer width must be >= 0, got {L_B}")
            if model == "dimer":
                _require(L_B % 2 == 0, f"{key}.L_B", f"L_B={L_B} is odd; dimer regions are in fat units and must be even")
            W = L_V + 2 * L_B + 2 * L_E
            _require(W <= side, key, f"window side L_V + 2 L_B + 2 L_E = {W} (L_V={L_V}, L_B={L_B}, L_E={L_E}) "
                                      f"is larger than the lattice side {side} of data set {spec['samples']!r}")
    for est in entry["estimator"]:
        _require(est in (config.get("rsmi") or {}), f"{key}.estimator", f"estimator {est!r} has no settings under rsmi.{est}")
        if est == EXACT_ESTIMATOR:
            _require(model == "dimer", f"{key}.estimator",
                     "the 'exact' estimator is the exact dimer measure: it applies to model dimer only")
            _require(bool((config.get("null_tests") or {}).get("dimer_samples")) and "exact_pairs" in config,
                     f"{key}.estimator", "the 'exact' estimator draws its pool from null_tests.dimer_samples and "
                                         "needs the exact_pairs settings")
        _require(model in config["rsmi"][est], f"{key}.estimator",
                 f"estimator {est!r} has no settings for model {model!r} under rsmi.{est}.{model}")
        if est in ESTIMATORS_NEEDING_THETA:
            _require(model in (config.get("theta_rbm") or {}), f"{key}.estimator",
                     f"estimator {est!r} needs the Θ-RBM settings theta_rbm.{model}")


def expand_grid(config: Mapping[str, Any]) -> pd.DataFrame:
    """Union of the cross products of all grid entries; one row per run, sorted, unique."""
    rows = []
    for entry in config["grid"]:
        for L_V, N_h, L_B, est in itertools.product(entry["L_V"], entry["N_h"], entry["L_B"], entry["estimator"]):
            rows.append((entry["model"], int(L_V), int(N_h), int(L_B), int(entry["L_E"]), est))
    df = pd.DataFrame(rows, columns=GRID_COLUMNS).drop_duplicates()
    return df.sort_values(GRID_COLUMNS).reset_index(drop=True)


def theta_grid(config: Mapping[str, Any], grid: pd.DataFrame) -> pd.DataFrame:
    """The Θ-RBMs to train: one per (data set, L_V, L_B, L_E) used by a proxy estimator.

    Each proxy run needs the Θ-RBMs of its own data set and, for Ising with a paramagnet data set
    (``null_tests.paramagnet_samples``), those of the paramagnet with the same window geometry
    (docs/method.md §4b).
    """
    rows = []
    paramagnet = (config.get("null_tests") or {}).get("paramagnet_samples")
    for r in grid[grid.estimator.isin(ESTIMATORS_NEEDING_THETA)].itertuples():
        rows.append((config["windows"][r.model]["samples"], r.L_V, r.L_B, r.L_E))
        if r.model == "ising" and paramagnet:
            rows.append((paramagnet, r.L_V, r.L_B, r.L_E))
    cols = ["dataset", "L_V", "L_B", "L_E"]
    return pd.DataFrame(rows, columns=cols).drop_duplicates().sort_values(cols).reset_index(drop=True)


SELECTORS = ("L_V", "N_h", "L_B")


def run_settings(config: Mapping[str, Any], row: Mapping[str, Any]) -> dict:
    """Training settings of one grid run: ``rsmi.<estimator>.<model>`` with every matching
    entry of its ``overrides`` applied in order (an entry matches when all its selectors
    ``L_V``/``N_h``/``L_B`` equal the run's)."""
    spec = dict(config["rsmi"][row["estimator"]][row["model"]])
    overrides = spec.pop("overrides", [])
    for entry in overrides:
        if all(int(row[k]) == entry[k] for k in SELECTORS if k in entry):
            spec.update({k: v for k, v in entry.items() if k not in SELECTORS})
    return spec
