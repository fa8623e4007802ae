"""Property-based tests (hypothesis): region cutting, config validation and ``.npz`` round trips.

The example-based tests pin a few hand-picked cases; these draw many more from the input space
(window geometries, mutated grid entries, arrays of every storable dtype and shape) and check
the properties that must hold for all of them.  Examples are derandomized and the example
database is off, so every run (and CI) tests the same examples; Hypothesis still keeps a cache
in .hypothesis/, which holds its own .gitignore.
"""

import copy
import os
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import yaml
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rsmi.utils.io
from conftest import REPO
from rsmi.config import ConfigError, check_config, load_config
from rsmi.registry import REQUIRED_RUNS
from rsmi.utils.io import META_KEY, load_npz, save_npz
from rsmi.windows.regions import cut_regions, region_masks, window_origins, window_side
from rsmi.coarse.results import FilterResult

# Reproducible and side-effect free: same examples every run, no .hypothesis/ example database.
SETTINGS = settings(deadline=None, derandomize=True, database=None, print_blob=False)

# save_npz fsyncs every file and its directory; on tmpfs that costs nothing, on disk ~15 ms.
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None

with open(REPO / "config.yaml", encoding="utf-8") as _fh:
    DEFAULT_CONFIG = yaml.safe_load(_fh)


# ---------------------------------------------------------------------------------------------
# 1. Region cutting
# ---------------------------------------------------------------------------------------------


@st.composite
def geometries(draw):
    """(model, L_V, L_B, L_E) in the allowed ranges: Ising L_V >= 1, L_B >= 0, L_E >= 1 (sites);
    dimers the same but all even (fat units), i.e. L_V >= 2, L_E >= 2."""
    model = draw(st.sampled_from(["ising", "dimer"]))
    if model == "ising":
        return model, draw(st.integers(1, 5)), draw(st.integers(0, 3)), draw(st.integers(1, 3))
    return model, 2 * draw(st.integers(1, 3)), 2 * draw(st.integers(0, 2)), 2 * draw(st.integers(1, 2))


def _spec_regions(L_V, L_B, L_E):
    """Boolean (W, W) masks of V, B, E built by slicing, from the module docstring's words:
    V the central L_V block, V ∪ B the central L_V + 2 L_B block, E the rest of the window."""
    W = L_V + 2 * L_B + 2 * L_E
    V = np.zeros((W, W), bool)
    VB = np.zeros((W, W), bool)
    V[L_E + L_B:L_E + L_B + L_V, L_E + L_B:L_E + L_B + L_V] = True
    VB[L_E:W - L_E, L_E:W - L_E] = True
    return {"V": V, "B": VB & ~V, "E": ~VB}


def _site_id_lattice(L, model):
    """Configurations whose bit planes spell every site's index i·L + j: configuration k holds
    bit k of the index.  A value cut from a window can then be traced back to its site."""
    n_bits = max(1, int(L * L - 1).bit_length())
    idx = np.arange(L * L).reshape(L, L)
    bits = ((idx[None] >> np.arange(n_bits)[:, None, None]) & 1).astype(np.int8)
    return (2 * bits - 1) if model == "ising" else bits.astype(np.uint8)


def _site_ids(X, n_bits):
    """Inverse of :func:`_site_id_lattice` on cut output: (n_bits·n_w, k) bits -> (n_w, k) ids."""
    X = X.reshape(n_bits, -1, X.shape[1]).astype(np.int64)
    return (X << np.arange(n_bits)[:, None, None]).sum(axis=0)


@settings(SETTINGS, max_examples=60)
@given(geometries())
def test_regions_partition_the_window(geom):
    """V, B and E are disjoint, cover the W × W window, have the sizes the docstrings give
    (|V| = L_V², |B| = (L_V + 2 L_B)² − L_V², |E| = W² − (L_V + 2 L_B)²) and sit where the
    docstring says; the V and E that cut_regions returns from an interior window are exactly
    those sites, in row-major order.  A mask that overlaps, misses a ring, or is off by one
    in depth breaks the network's inputs (V and E must never share a site)."""
    model, L_V, L_B, L_E = geom
    W = window_side(L_V, L_B, L_E)
    assert W == L_V + 2 * L_B + 2 * L_E
    m = region_masks(L_V, L_B, L_E)
    assert set(m) == {"V", "B", "E"}
    for name in m:
        assert m[name].shape == (W, W) and m[name].dtype == bool
    count = m["V"].astype(int) + m["B"].astype(int) + m["E"].astype(int)
    assert (count == 1).all(), "V, B, E must be disjoint and cover the window"
    assert m["V"].sum() == L_V**2
    assert m["B"].sum() == (L_V + 2 * L_B) ** 2 - L_V**2
    assert m["E"].sum() == W**2 - (L_V + 2 * L_B) ** 2
    spec = _spec_regions(L_V, L_B, L_E)
    for name in m:
        assert (m[name] == spec[name]).all(), name

    # cut_regions on a lattice of site ids, window at the origin (interior: W <= L).
    L = W + (2 if model == "dimer" else 1)
    configs = _site_id_lattice(L, model)
    stride = L  # one window per configuration, at (0, 0)
    V, E = cut_regions(configs, L_V, L_B, L_E, stride=stride, model=model)
    n_bits = configs.shape[0]
    assert V.shape == (n_bits, L_V**2) and E.shape == (n_bits, m["E"].sum())
    window_ids = np.arange(L * L).reshape(L, L)[:W, :W]
    v_ids, e_ids = _site_ids(V, n_bits)[0], _site_ids(E, n_bits)[0]
    assert list(v_ids) == list(window_ids[spec["V"]])
    assert list(e_ids) == list(window_ids[spec["E"]])
    b_ids = window_ids[spec["B"]]
    assert not set(v_ids) & set(e_ids)
    assert set(v_ids) | set(e_ids) | set(b_ids) == set(window_ids.ravel())


@st.composite
def wrapping_cuts(draw):
    """A geometry, a lattice side L >= W, a stride and offset (even for dimers), one window
    origin (i, j) of that cut that runs past the lattice edge on at least one axis, and an
    interior origin (a, b) (a + W <= L) to move it to by rolling the lattice."""
    model, L_V, L_B, L_E = draw(geometries())
    W = window_side(L_V, L_B, L_E)
    step = 2 if model == "dimer" else 1
    L = W + step * draw(st.integers(0, 3))
    stride = step * draw(st.integers(1, 3))
    offset = step * draw(st.integers(0, (L - 1) // step))
    origins = [tuple(int(x) for x in o) for o in window_origins(L, stride, offset)]
    wrapping = [(i, j) for i, j in origins if i + W > L or j + W > L]
    assume(wrapping)
    i, j = draw(st.sampled_from(wrapping))
    a = step * draw(st.integers(0, (L - W) // step))
    b = step * draw(st.integers(0, (L - W) // step))
    return model, (L_V, L_B, L_E), L, stride, offset, (i, j), (a, b)


@settings(SETTINGS, max_examples=60)
@given(wrapping_cuts())
def test_periodic_wrap_equals_cutting_the_rolled_lattice(case):
    """Periodic boundaries: the window at an origin near the lattice edge (it wraps around) is
    the same as the window cut at an interior origin of the lattice rolled (np.roll) so that
    the same sites land there.  Clamping at the edge, wrapping modulo the wrong side, or
    mixing up rows and columns gives different sites for some window."""
    model, (L_V, L_B, L_E), L, stride, offset, (i, j), (a, b) = case
    configs = _site_id_lattice(L, model)
    n = configs.shape[0]
    V, E = cut_regions(configs, L_V, L_B, L_E, stride=stride, offset=offset, model=model)
    origins = window_origins(L, stride, offset)
    w = int(np.flatnonzero((origins == (i, j)).all(axis=1))[0])
    V_edge = V.reshape(n, len(origins), -1)[:, w]
    E_edge = E.reshape(n, len(origins), -1)[:, w]

    rolled = np.roll(configs, shift=(a - i, b - j), axis=(1, 2))  # site (i, j) moves to (a, b)
    step = 2 if model == "dimer" else 1
    Vr, Er = cut_regions(rolled, L_V, L_B, L_E, stride=step, model=model)
    origins_r = window_origins(L, step)
    wr = int(np.flatnonzero((origins_r == (a, b)).all(axis=1))[0])
    np.testing.assert_array_equal(V_edge, Vr.reshape(n, len(origins_r), -1)[:, wr])
    np.testing.assert_array_equal(E_edge, Er.reshape(n, len(origins_r), -1)[:, wr])


# ---------------------------------------------------------------------------------------------
# 2. Config validation
# ---------------------------------------------------------------------------------------------

GRID_LIST_FIELDS = ("L_V", "N_h", "L_B")
GRID_FIELDS = GRID_LIST_FIELDS + ("L_E", "estimator", "model")
ESTIMATORS = ("jensen", "logmeanexp", "variational", "exact")  # the schema's enum
SIZE = st.integers(-2, 40)
# Explicit alphabets: st.text()'s default one (and st.from_regex) make Hypothesis build a Unicode
# table (~4 s) on a fresh checkout.  These still hold YAML syntax, escapes and non-ASCII text.
YAML_TEXT = st.text(st.sampled_from("aZ09_ -:#'\"\n\t\\é中😀"), max_size=4)
# Values of the wrong type for the schema (integral floats such as 2.0 are left out: JSON
# schema counts them as integers, so they are not "wrong" for the schema).
WRONG = st.one_of(
    st.none(),
    st.booleans(),
    YAML_TEXT,
    st.floats(-100, 100, allow_nan=False).filter(lambda x: not x.is_integer()),
)


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _wrong_list(item, wrong_item):
    """A value the schema refuses for a list field: empty, a scalar, or a list with a bad item."""
    with_bad_item = st.tuples(st.lists(item, max_size=2), wrong_item, st.lists(item, max_size=2)).map(
        lambda t: t[0] + [t[1]] + t[2])
    return st.one_of(with_bad_item, st.just([]), item, wrong_item)


def _grid_field(name, wrong):
    """Strategy for one grid field: values of the schema's types, or (``wrong``) values the
    schema refuses."""
    if name in GRID_LIST_FIELDS:
        return _wrong_list(SIZE, WRONG) if wrong else st.lists(SIZE, min_size=1, max_size=3)
    if name == "L_E":
        return WRONG if wrong else SIZE
    if name == "estimator":
        known = st.sampled_from(ESTIMATORS)
        unknown = st.one_of(st.none(), st.integers(), YAML_TEXT.filter(lambda s: s not in ESTIMATORS))
        return _wrong_list(known, unknown) if wrong else st.lists(known, min_size=1, max_size=3)
    return st.one_of(st.sampled_from(["potts", "Ising", ""]), WRONG) if wrong else st.sampled_from(["ising", "dimer"])


@st.composite
def mutated_configs(draw, wrong_types=False):
    """The default config with some fields of one or two grid entries replaced.  With
    ``wrong_types`` the first replaced field holds a value of the wrong type for the schema and
    the others either kind."""
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    grid = cfg["grid"]
    first = True
    for i in sorted(draw(st.sets(st.integers(0, len(grid) - 1), min_size=1, max_size=2))):
        for name in sorted(draw(st.sets(st.sampled_from(GRID_FIELDS), min_size=1))):
            wrong = wrong_types and (first or draw(st.booleans()))
            grid[i][name] = draw(_grid_field(name, wrong))
            first = False
    return cfg


FAULTS = {
    "ising": ("none", "L_V < 1", "N_h < 1", "N_h > L_V^2", "L_B < 0", "L_E < 1", "too wide", "estimator"),
    "dimer": ("none", "L_V < 1", "L_V odd", "N_h < 1", "N_h > L_V^2", "L_B < 0", "L_B odd", "L_E < 1", "L_E odd",
              "too wide", "estimator"),
}


@st.composite
def one_fault_configs(draw):
    """The default config with one grid entry replaced by (or a new one appended as) a valid
    entry with at most one fault injected: one list item or L_E made non-positive, odd (dimers),
    N_h above L_V², the window wider than the lattice, or an estimator without settings.
    Random field mutations rarely leave exactly one thing wrong; this is where a missing or
    misnamed check shows."""
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    model = draw(st.sampled_from(["ising", "dimer"]))
    step = 2 if model == "dimer" else 1
    L_V = [step * v for v in draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))]
    L_B = [step * b for b in draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))]
    L_E = step * draw(st.integers(1, 3))
    N_h = draw(st.lists(st.integers(1, min(L_V) ** 2), min_size=1, max_size=3))
    est = draw(st.lists(st.sampled_from(["jensen", "variational"]), min_size=1, max_size=2))
    fault = draw(st.sampled_from(FAULTS[model]))

    def put(values, bad):
        values[draw(st.integers(0, len(values) - 1))] = draw(bad)

    odd = st.integers(0, 7).map(lambda k: 2 * k + 1)
    if fault == "L_V < 1":
        put(L_V, st.integers(-3, 0))
    elif fault == "L_V odd":
        put(L_V, odd)
    elif fault == "N_h < 1":
        put(N_h, st.integers(-3, 0))
    elif fault == "N_h > L_V^2":
        put(N_h, st.integers(min(L_V) ** 2 + 1, min(L_V) ** 2 + 8))
    elif fault == "L_B < 0":
        put(L_B, st.integers(-3, -1).map(lambda b: step * b))
    elif fault == "L_B odd":
        put(L_B, odd)
    elif fault == "L_E < 1":
        L_E = draw(st.integers(-3, 0))
    elif fault == "L_E odd":
        L_E = draw(odd)
    elif fault == "too wide":  # the smallest L_B that makes L_V + 2 L_B + 2 L_E exceed 64, or more
        least = (64 - min(L_V) - 2 * L_E) // (2 * step) + 1
        put(L_B, st.integers(least, least + 3).map(lambda k: step * k))
    elif fault == "estimator":
        put(est, st.just("logmeanexp"))  # in the schema, but the default config has no rsmi.logmeanexp
    entry = {"model": model, "L_V": L_V, "N_h": N_h, "L_B": L_B, "L_E": L_E, "estimator": est}
    if draw(st.booleans()):
        cfg["grid"].append(entry)
    else:  # replacing one of the first four entries drops a figure run
        cfg["grid"][draw(st.integers(0, len(cfg["grid"]) - 1))] = entry
    return cfg


def _expected_schema_keys(cfg):
    """Keys the schema must name for the grid: a field of the wrong type or empty, or the
    index of a list item of the wrong type."""
    keys = set()
    for i, e in enumerate(cfg["grid"]):
        k = f"grid[{i}]"
        if not (isinstance(e["model"], str) and e["model"] in ("ising", "dimer")):
            keys.add(f"{k}.model")
        if not _is_int(e["L_E"]):
            keys.add(f"{k}.L_E")
        for name in GRID_LIST_FIELDS + ("estimator",):
            val = e[name]
            if not isinstance(val, list) or not val:
                keys.add(f"{k}.{name}")
                continue
            for j, x in enumerate(val):
                ok = isinstance(x, str) and x in ESTIMATORS if name == "estimator" else _is_int(x)
                if not ok:
                    keys.add(f"{k}.{name}[{j}]")
    return keys


def _expected_semantic_keys(cfg):
    """For a config the schema accepts: the keys one of which check_config must name, from the
    rules written out independently (regions.py's and config.py's docstrings, the schema).  Entries are checked
    in order, so it is the first bad entry's keys; then the paper's figure runs (key ``grid``).
    An empty set means the config is valid."""
    side = {}
    for model in ("ising", "dimer"):
        s = cfg["samples"][cfg["windows"][model]["samples"]]
        side[model] = s["L"] * (2 if model == "dimer" else 1)
    runs = set()
    for i, e in enumerate(cfg["grid"]):
        k, even = f"grid[{i}]", e["model"] == "dimer"
        L_V, N_h, L_B, L_E = e["L_V"], e["N_h"], e["L_B"], e["L_E"]
        bad = set()
        if L_E < 1 or (even and L_E % 2):
            bad.add(f"{k}.L_E")
        if any(v < 1 or (even and v % 2) for v in L_V):
            bad.add(f"{k}.L_V")
        if any(h < 1 or any(h > v * v for v in L_V) for h in N_h):
            bad.add(f"{k}.N_h")
        if any(b < 0 or (even and b % 2) for b in L_B):
            bad.add(f"{k}.L_B")
        if any(v + 2 * b + 2 * L_E > side[e["model"]] for v in L_V for b in L_B):
            bad.add(k)
        if any(est not in cfg["rsmi"] for est in e["estimator"]) or ("exact" in e["estimator"] and not even):
            bad.add(f"{k}.estimator")  # the exact dimer measure applies to dimers only
        if bad:
            return bad
        runs |= {(e["model"], v, h, b, L_E, est) for v in L_V for h in N_h for b in L_B for est in e["estimator"]}
    for _, model, L_V, N_h, est in REQUIRED_RUNS:
        if not any(r[:5] == (model, L_V, N_h, L_V // 2, L_V // 2) and est in (None, r[5]) for r in runs):
            return {"grid"}
    return set()


@settings(SETTINGS, max_examples=120)
@given(st.one_of(mutated_configs(), one_fault_configs()))
def test_semantic_check_passes_or_names_the_offending_key(cfg):
    """Grid entries of the right types but arbitrary values (sizes <= 0, odd dimer sizes,
    N_h > L_V², windows larger than the lattice, estimators without settings, models swapped;
    random field mutations and valid entries with one injected fault): check_config accepts
    the config exactly when the rules say it is valid, and otherwise raises ConfigError whose
    message starts with a key those rules say is wrong (``grid[0].N_h: ...``).
    Any other exception (KeyError, TypeError, ...) fails the test: a bad config must never
    reach a job as a traceback."""
    expected = _expected_semantic_keys(cfg)
    if not expected:
        check_config(cfg)
        return
    try:
        check_config(cfg)
    except ConfigError as exc:
        key = str(exc).split(": ", 1)[0]
        assert key in expected, f"{exc} (expected one of {sorted(expected)})"
    else:
        raise AssertionError(f"check_config accepted a config with a bad {sorted(expected)}")


# No shrinking: at ~0.2 s per example it runs into Hypothesis's 5-minute shrink limit; the
# failure message names the keys found and the config is printed as generated.
@settings(SETTINGS, max_examples=12, phases=[Phase.explicit, Phase.generate])
@given(mutated_configs(wrong_types=True))
def test_schema_errors_name_exactly_the_offending_keys(cfg):
    """The whole entry point, load_config on a YAML file (schema first, as in test_config.py),
    on grid entries holding values of the wrong type (strings, None, booleans, fractions, empty
    lists, scalars for lists, unknown models and estimators): it raises ConfigError and nothing
    else, and its message lists exactly the grid keys that are wrong (``grid[1].L_V[2]: ...``),
    none missing and none extra.  (Few examples: reading the YAML and schema takes ~0.2 s.)"""
    expected = _expected_schema_keys(cfg)
    assert expected, "the strategy must put a value of the wrong type in every example"
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        with pytest.raises(ConfigError) as exc:
            load_config(path)
    msg = str(exc.value)
    assert msg.startswith(f"{path}: invalid configuration:\n  "), msg
    named = {line.split(": ", 1)[0] for line in msg.split("\n  ")[1:]}
    assert named == expected, msg


# ---------------------------------------------------------------------------------------------
# 3. .npz round trips
# ---------------------------------------------------------------------------------------------

STORABLE_DTYPES = st.one_of(
    hnp.boolean_dtypes(),
    hnp.integer_dtypes(),
    hnp.unsigned_integer_dtypes(),
    hnp.floating_dtypes(),
    hnp.complex_number_dtypes(),
    hnp.unicode_string_dtypes(max_len=4),
    hnp.byte_string_dtypes(max_len=4),
    hnp.datetime64_dtypes(),
)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
# Array names are keyword arguments: identifiers, never the reserved metadata key.
NAMES = st.builds(str.__add__, st.sampled_from("aeZ_é"), st.text(st.sampled_from("aejmnostZ09_é"), max_size=11))
NAMES = NAMES.filter(lambda s: s != META_KEY)


@st.composite
def any_arrays(draw):
    """An array of any storable dtype (either byte order) and shape, 0-d and empty included,
    sometimes in Fortran order."""
    dtype = draw(STORABLE_DTYPES)
    # Explicit characters for str arrays (see YAML_TEXT); numpy drops trailing NULs, so none.
    chars = None
    if dtype.kind == "U":
        chars = st.text(st.sampled_from("aZ09 _\n\x01é中😀"), max_size=dtype.itemsize // 4)
    a = draw(hnp.arrays(dtype, SHAPES, elements=chars))
    return np.asfortranarray(a) if a.ndim > 1 and draw(st.booleans()) else a


# Lone surrogates too: JSON escapes them, the .npz stores ASCII.
JSON_TEXT = st.text(st.sampled_from("aZ09_ \"\\/\n\t\x00\x7féß中😀\ud800"), max_size=8)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | JSON_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JSON_TEXT, inner, max_size=3),
    max_leaves=8,
)
METAS = st.none() | st.dictionaries(JSON_TEXT, JSON, max_size=4)


def _assert_same_array(got, want, name):
    """Equal down to the bytes: dtype (with byte order), shape and every value (NaN payloads
    and the sign of zero included)."""
    assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
    assert got.shape == want.shape, (name, got.shape, want.shape)
    assert got.tobytes() == want.tobytes(), name


@settings(SETTINGS, max_examples=60)
@given(st.dictionaries(NAMES, any_arrays(), max_size=4), METAS, st.booleans())
def test_npz_roundtrip_is_exact_and_atomic(arrays, meta, overwrite):
    """save_npz then load_npz gives back every array (same dtype, shape and bytes) and the
    metadata (``{}`` when none was given); the directory then holds the file and nothing else
    (no temporary file left), also when the write replaces an existing file."""
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        path = Path(tmp) / "x.npz"
        if overwrite:
            save_npz(path, meta={"old": True}, old=np.arange(5))
        save_npz(path, meta=meta, **arrays)
        assert os.listdir(tmp) == ["x.npz"]
        got, got_meta = load_npz(path, required=list(arrays))
    assert sorted(got) == sorted(arrays)
    for name, want in arrays.items():
        _assert_same_array(got[name], want, name)
    assert got_meta == ({} if meta is None else meta)


@settings(SETTINGS, max_examples=25)
@given(st.dictionaries(NAMES, any_arrays(), min_size=1, max_size=3), METAS, st.booleans())
def test_failed_write_leaves_old_file_and_no_temporary(arrays, meta, existing):
    """A write that fails after bytes went to disk (a crash, a full disk: simulated by making
    the archive writer raise once it has written) leaves the destination as it was (the old
    file byte for byte, or no file) and no temporary file behind."""
    real_write = rsmi.utils.io._write_npz

    def write_then_fail(fh, payload):
        real_write(fh, payload)
        raise OSError("disk full (simulated)")

    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        path = Path(tmp) / "x.npz"
        if existing:
            save_npz(path, meta={"old": True}, old=np.arange(5))
            before = path.read_bytes()
        with mock.patch.object(rsmi.utils.io, "_write_npz", write_then_fail):
            try:
                save_npz(path, meta=meta, **arrays)
            except OSError as exc:
                assert "simulated" in str(exc)
            else:
                raise AssertionError("the simulated failure did not propagate")
        assert os.listdir(tmp) == (["x.npz"] if existing else [])
        if existing:
            assert path.read_bytes() == before


@st.composite
def filter_results(draw):
    """A valid FilterResult: finite λ, b and snapshots; histories that may hold NaN (epochs not
    evaluated) or ±inf; extra arrays under names that do not clash with the standard fields."""
    L_V, N_h = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    n, n_snap = draw(st.integers(1, 6)), draw(st.integers(0, 3))
    finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
    f64 = st.floats(width=64)
    extra_names = NAMES.filter(lambda s: s not in ("weights", "biases", "history", "history_err",
                                                   "val_history", "snapshot_epochs", "snapshots"))
    return FilterResult(
        weights=draw(hnp.arrays(np.float64, (L_V, L_V, N_h), elements=finite)),
        biases=draw(hnp.arrays(np.float64, (N_h,), elements=finite)),
        history=draw(hnp.arrays(np.float64, (n,), elements=f64)),
        history_err=draw(hnp.arrays(np.float64, (n,), elements=f64)),
        val_history=draw(hnp.arrays(np.float64, (n,), elements=f64)),
        snapshot_epochs=draw(hnp.arrays(np.int64, (n_snap,), elements=st.integers(0, n - 1))),
        snapshots=draw(hnp.arrays(np.float64, (n_snap, L_V, L_V, N_h), elements=finite)),
        meta=draw(st.dictionaries(JSON_TEXT, JSON, max_size=4)),
        extra=draw(st.dictionaries(extra_names, any_arrays(), max_size=2)),
    )


@settings(SETTINGS, max_examples=20)
@given(filter_results())
def test_filter_result_roundtrip(result):
    """FilterResult.save then FilterResult.load (the rsmi.npz every figure and metric reads)
    gives back every standard array, every extra array under its own name and the metadata,
    and leaves only the file in the directory."""
    with tempfile.TemporaryDirectory(dir=SCRATCH) as tmp:
        path = Path(tmp) / "rsmi.npz"
        result.save(path)
        assert os.listdir(tmp) == ["rsmi.npz"]
        got = FilterResult.load(path)
    for name in ("weights", "biases", "history", "history_err", "val_history", "snapshot_epochs", "snapshots"):
        _assert_same_array(getattr(got, name), getattr(result, name), name)
    assert sorted(got.extra) == sorted(result.extra)
    for name, want in result.extra.items():
        _assert_same_array(got.extra[name], want, f"extra {name}")
    assert got.meta == result.meta
