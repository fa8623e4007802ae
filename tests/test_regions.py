import numpy as np
import pytest

from rsmi.regions import cut_regions, region_masks, window_origins, window_side


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


def test_cut_positions_and_periodic_wrap():
    L = 7
    # Each site holds a unique pattern readable back from the cut windows: use dimer-style
    # bits of the site index to check positions exactly.
    idx = np.arange(L * L).reshape(L, L)
    rng = np.random.default_rng(0)
    configs = rng.integers(0, 2, size=(3, L, L)).astype(np.int8) * 2 - 1
    L_V, L_B, L_E, stride = 2, 1, 1, 3
    V, E = cut_regions(configs, L_V, L_B, L_E, stride=stride, model="ising")
    origins = window_origins(L, stride)
    assert len(origins) == 9  # positions 0, 3, 6 on both axes
    assert V.shape == (3 * 9, 4) and E.shape == (3 * 9, 20)
    masks = region_masks(L_V, L_B, L_E)
    W = window_side(L_V, L_B, L_E)
    for s in range(3):
        for w, (i, j) in enumerate(origins):
            rows = [(i + a) % L for a in range(W)]
            cols = [(j + b) % L for b in range(W)]
            window = (configs[s][np.ix_(rows, cols)] + 1) // 2
            assert (V[s * 9 + w] == window[masks["V"]]).all()
            assert (E[s * 9 + w] == window[masks["E"]]).all()
    # The window at origin (6, 6) wraps: its V block starts at site (8 % 7, 8 % 7) = (1, 1).
    w = 8
    assert tuple(origins[w]) == (6, 6)
    expected = (configs[0][np.ix_([1, 2], [1, 2])].ravel() + 1) // 2
    assert (V[w] == expected).all()
    assert idx.size == L * L


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
