import numpy as np
import pytest

from rsmi.windows.regions import cut_regions, region_masks, to_binary, window_origins, window_side


def _plain_regions(L_V, L_B, L_E):
    """Window offsets (a, b) of V, B and E in row-major order, from the definitions: V the
    central L_V block, V ∪ B the central (L_V + 2 L_B) block, E the rest of the W × W window."""
    W = L_V + 2 * L_B + 2 * L_E
    out = {"V": [], "B": [], "E": []}
    for a in range(W):
        for b in range(W):
            in_vb = L_E <= a < W - L_E and L_E <= b < W - L_E
            in_v = L_E + L_B <= a < W - L_E - L_B and L_E + L_B <= b < W - L_E - L_B
            out["V" if in_v else "B" if in_vb else "E"].append((a, b))
    return out


@pytest.mark.parametrize("L_V,L_B,L_E", [(2, 1, 1), (4, 2, 2), (3, 0, 2), (8, 4, 4)])
def test_masks_partition_window_with_right_sizes(L_V, L_B, L_E):
    m = region_masks(L_V, L_B, L_E)
    W = window_side(L_V, L_B, L_E)
    assert W == L_V + 2 * L_B + 2 * L_E
    total = m["V"].astype(int) + m["B"].astype(int) + m["E"].astype(int)
    assert (total == 1).all()
    assert m["V"].sum() == L_V**2
    assert m["B"].sum() == (L_V + 2 * L_B) ** 2 - L_V**2
    assert m["E"].sum() == W**2 - (L_V + 2 * L_B) ** 2
    # V is the central block.
    o = L_B + L_E
    assert m["V"][o:o + L_V, o:o + L_V].all()
    for name, sites in _plain_regions(L_V, L_B, L_E).items():
        assert [tuple(p) for p in np.argwhere(m[name])] == sites


@pytest.mark.parametrize("L_V,L_B,L_E,stride,offset", [(2, 1, 1, 3, 0), (3, 0, 2, 2, 1), (1, 2, 1, 4, 3)])
def test_cut_positions_and_periodic_wrap(L_V, L_B, L_E, stride, offset):
    L = 7
    # Each site's index, written as 6 bit planes (one "configuration" per bit), is read back
    # from every cut window: the site cut at each place must be the one a plain loop with
    # periodic wrap picks.
    idx = np.arange(L * L).reshape(L, L)
    bits = (idx[None] >> np.arange(6)[:, None, None]) & 1
    V, E = cut_regions(2 * bits.astype(np.int8) - 1, L_V, L_B, L_E, stride=stride, model="ising", offset=offset)
    origins = window_origins(L, stride, offset)
    pos = range(offset, L, stride)
    assert [tuple(o) for o in origins] == [(i, j) for i in pos for j in pos]
    n_w = len(origins)
    W = window_side(L_V, L_B, L_E)
    regions = _plain_regions(L_V, L_B, L_E)
    assert V.shape == (6 * n_w, L_V**2) and E.shape == (6 * n_w, len(regions["E"]))

    def site_ids(X):  # (6·n_w, k) bit planes -> (n_w, k) site indices
        return (X.reshape(6, n_w, -1).astype(np.int64) << np.arange(6)[:, None, None]).sum(axis=0)

    got = {"V": site_ids(V), "E": site_ids(E)}
    for w, (i, j) in enumerate(origins):
        for name in ("V", "E"):
            expected = [((i + a) % L) * L + (j + b) % L for a, b in regions[name]]
            assert list(got[name][w]) == expected
    # A window that wraps: the last origin's window runs past the lattice edge on both axes.
    i, j = origins[-1]
    assert i + W > L and j + W > L
    assert got["V"][-1, 0] == ((i + L_E + L_B) % L) * L + (j + L_E + L_B) % L


def test_ising_mapping_to_binary():
    configs = np.array([[[1, -1], [-1, 1]]], dtype=np.int8)
    V, E = cut_regions(np.tile(configs, (1, 3, 3)), 2, 0, 2, stride=6, model="ising")
    assert set(np.unique(V)) <= {0, 1}
    assert V.dtype == np.uint8 and E.dtype == np.uint8


def test_dimer_windows_start_at_even_fat_coordinates():
    with pytest.raises(ValueError, match="even"):
        cut_regions(np.zeros((1, 16, 16), np.uint8), 8, 2, 2, stride=3, model="dimer")
    with pytest.raises(ValueError, match="odd"):
        cut_regions(np.zeros((1, 16, 16), np.uint8), 3, 2, 2, stride=2, model="dimer")
    with pytest.raises(ValueError, match="odd"):
        cut_regions(np.zeros((1, 16, 16), np.uint8), 4, 1, 2, stride=2, model="dimer")
    fat = np.zeros((1, 16, 16), np.uint8)
    fat[0, ::2, ::2] = 1  # mark vertex sites
    V, _ = cut_regions(fat, 4, 2, 2, stride=2, model="dimer")
    # Every V block has vertex sites at even positions of the block.
    blocks = V.reshape(-1, 4, 4)
    assert (blocks[:, ::2, ::2] == 1).all() and blocks.sum() == blocks.shape[0] * 4


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(L_V=0, L_B=1, L_E=1, stride=1, model="ising"), "L_V must be >= 1"),
        (dict(L_V=2, L_B=-1, L_E=1, stride=1, model="ising"), "L_B must be >= 0"),
        (dict(L_V=2, L_B=1, L_E=0, stride=1, model="ising"), "L_E must be >= 1"),
        (dict(L_V=4, L_B=2, L_E=2, stride=1, model="ising"), "exceeds the lattice side"),
        (dict(L_V=2, L_B=1, L_E=1, stride=0, model="ising"), "stride"),
        (dict(L_V=2, L_B=1, L_E=1, stride=1, model="potts"), "unknown model"),
    ],
)
def test_bad_geometry_is_refused(kwargs, match):
    configs = np.ones((1, 8, 8), np.int8)
    with pytest.raises((ValueError, TypeError), match=match):
        cut_regions(configs, **kwargs)


def test_ising_values_checked():
    with pytest.raises(ValueError, match="spins"):
        cut_regions(np.zeros((1, 8, 8), np.int8), 2, 1, 1, stride=2, model="ising")


@pytest.mark.parametrize("bad", [2.0, True, "2", None])
def test_non_integer_sizes_are_refused_by_type(bad):
    with pytest.raises(TypeError, match="L_V must be an integer"):
        region_masks(bad, 1, 1)
    with pytest.raises(TypeError, match="L_B must be an integer"):
        cut_regions(np.ones((1, 8, 8), np.int8), 2, bad, 1, stride=2, model="ising")


def test_to_binary_refuses_bad_bits_and_unknown_models():
    with pytest.raises(ValueError, match="bits 0/1"):
        to_binary(np.full((1, 4, 4), 2), "dimer")
    with pytest.raises(ValueError, match="unknown model 'potts'"):
        to_binary(np.ones((1, 4, 4), np.int8), "potts")
    x = np.array([[[0, 1], [1, 0]]], dtype=np.int64)
    out = to_binary(x, "dimer")
    assert out.dtype == np.uint8 and np.array_equal(out, x)


@pytest.mark.parametrize("shape", [(1, 8, 6), (8, 8), (1, 1, 8, 8)])
def test_configs_must_be_square_stacks(shape):
    with pytest.raises(ValueError, match=r"shape \(n, L, L\)"):
        cut_regions(np.ones(shape, np.int8), 2, 1, 1, stride=2, model="ising")
