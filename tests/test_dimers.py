"""Tests of the worm dimer sampler (fast kernel and plain twin) and of the fat geometry helpers.

Exactness follows NetKet's sampler tests: enumerate every covering of a tiny torus, chi-square
the sampled histogram against the exact (uniform) distribution in several independent runs,
and combine the p-values (Fisher). A deliberately broken twin must fail the same test.
"""

from __future__ import annotations

import logging

import numpy as np

from rsmi.utils.xoshiro import next_u64
import pytest
from scipy import stats as sps

from rsmi.sampling import dimers

from rsmi.sampling import dimers_reference
from rsmi.sampling.dimers import (
    SITE_FACE,
    SITE_LINK_AXIS0,
    SITE_LINK_AXIS1,
    SITE_VERTEX,
    block_field,
    fat_site_kinds,
    field_filters,
    is_perfect_covering,
    loops_per_sweep,
    noise_pairs_equal,
    sample_dimers,
    winding_numbers,
)
from rsmi.sampling.dimers_reference import enumerate_coverings
from rsmi.judge.stats import chi_square_test, fisher_combined_pvalue

SAMPLERS = {"fast": sample_dimers, "reference": dimers_reference.sample_dimers}
# Every test that runs the plain reference twin (rsmi.sampling.dimers_reference) is in the slow suite,
# which CI runs; the default run checks the fast sampler against exact enumerations.
STAT_SAMPLERS = ["fast", pytest.param("reference", marks=pytest.mark.slow)]
N_RUNS = 4
P_MIN = 1e-4  # a correct sampler fails the combined test with probability 1e-4


# --------------------------------------------------------------------------------------------
# Hand-made configurations


def columnar(L: int, axis: int = 0) -> np.ndarray:
    """Dimers on (2i, y)–(2i+1, y) (axis 0) or (x, 2j)–(x, 2j+1) (axis 1); noise 0."""
    fat = np.zeros((2 * L, 2 * L), dtype=np.uint8)
    if axis == 0:
        fat[1::4, 0::2] = 1  # fat (2x+1, 2y) with x even
    else:
        fat[0::2, 1::4] = 1  # fat (2x, 2y+1) with y even
    return fat


def staggered(L: int, axis: int = 1, parity: int = 0) -> np.ndarray:
    """Dimers on the axis-`axis` links leaving the vertices with x + y ≡ parity (mod 2)."""
    fat = np.zeros((2 * L, 2 * L), dtype=np.uint8)
    x = np.arange(L)
    on = ((x[:, None] + x[None, :]) % 2 == parity).astype(np.uint8)
    if axis == 1:
        fat[0::2, 1::2] = on
    else:
        fat[1::2, 0::2] = on
    return fat


def histogram(samples: np.ndarray, coverings: np.ndarray) -> np.ndarray:
    index = {c.tobytes(): i for i, c in enumerate(coverings)}
    links = samples.copy()
    links[:, 0::2, 0::2] = 0
    links[:, 1::2, 1::2] = 0
    return np.bincount([index[s.tobytes()] for s in links], minlength=len(coverings))


def combined_uniform_pvalue(sample, L: int, n_per_run: int, **kw) -> float:
    coverings = enumerate_coverings(L)
    uniform = np.full(len(coverings), 1.0 / len(coverings))
    ps = []
    for run in range(N_RUNS):
        h = histogram(sample(L, n_per_run, seed=1000 + run, noise=False, **kw), coverings)
        ps.append(chi_square_test(h, uniform)[2])
    return fisher_combined_pvalue(ps)


# --------------------------------------------------------------------------------------------
# Enumeration


@pytest.mark.parametrize("L, count", [(2, 8), (4, 272)])
def test_enumeration_counts_and_validity(L, count):
    cov = enumerate_coverings(L)
    assert cov.shape == (count, 2 * L, 2 * L) and cov.dtype == np.uint8
    assert is_perfect_covering(cov).all()
    assert len({c.tobytes() for c in cov}) == count
    assert (cov[:, 0::2, 0::2] == 0).all() and (cov[:, 1::2, 1::2] == 0).all()


@pytest.mark.slow
def test_enumeration_6x6_count():
    cov = enumerate_coverings(6)
    assert len(cov) == 90176 and is_perfect_covering(cov).all()


def test_enumeration_validation():
    with pytest.raises(ValueError, match="even"):
        enumerate_coverings(3)
    with pytest.raises(ValueError, match="<= 6"):
        enumerate_coverings(8)


# --------------------------------------------------------------------------------------------
# Exactness (chi-square against enumeration)


@pytest.mark.parametrize("name", STAT_SAMPLERS)
def test_uniform_over_all_272_coverings_of_4x4(name):
    assert combined_uniform_pvalue(SAMPLERS[name], 4, 272 * 40) > P_MIN


@pytest.mark.parametrize("name", STAT_SAMPLERS)
def test_uniform_over_all_8_coverings_of_2x2_with_doubled_links(name):
    assert combined_uniform_pvalue(SAMPLERS[name], 2, 4000) > P_MIN


@pytest.mark.slow  # runs the reference twin: slow suite
@pytest.mark.parametrize("probs", [(0.28, 0.28, 0.22, 0.22), (0.4, 0.1, 0.25, 0.25)])
def test_chi_square_test_catches_broken_detailed_balance(probs):
    """The twin with biased link choices (axis preference; drift) violates detailed balance."""
    def broken(L, n, **kw):
        return dimers_reference._sample(L, n, direction_probs=probs, **kw)

    assert combined_uniform_pvalue(broken, 4, 272 * 40) < 1e-6


@pytest.mark.slow  # runs the reference twin: slow suite
def test_uniform_sampler_with_unbiased_probs_passes():
    """Control for the test above: the same code path with uniform probabilities passes."""
    def control(L, n, **kw):
        return dimers_reference._sample(L, n, direction_probs=(0.25, 0.25, 0.25, 0.25), **kw)

    assert combined_uniform_pvalue(control, 4, 272 * 40) > P_MIN


def _sector_probabilities(coverings):
    W = winding_numbers(coverings)
    sectors, counts = np.unique(W, axis=0, return_counts=True)
    return [tuple(s) for s in sectors], counts / counts.sum()


@pytest.mark.parametrize("name", STAT_SAMPLERS)
def test_winding_sectors_4x4_have_exact_frequencies(name):
    sectors, probs = _sector_probabilities(enumerate_coverings(4))
    assert len(sectors) > 5 and (0, 0) in sectors  # non-trivial sectors exist
    ps = []
    for run in range(N_RUNS):
        W = winding_numbers(SAMPLERS[name](4, 5000, seed=2000 + run, noise=False))
        counts = np.array([np.all(W == s, axis=1).sum() for s in sectors])
        assert counts.sum() == len(W)  # no sample outside the enumerated sectors
        assert (counts[[s != (0, 0) for s in sectors]] > 0).all()  # every sector visited
        ps.append(chi_square_test(counts, probs)[2])
    assert fisher_combined_pvalue(ps) > P_MIN


@pytest.mark.slow
def test_winding_sectors_and_axis_balance_6x6_exact():
    """6×6 torus (90176 coverings): sector frequencies and the distribution of the number of
    axis-1 dimers against enumeration."""
    cov = enumerate_coverings(6)
    sectors, probs = _sector_probabilities(cov)
    n1_exact = np.bincount(cov[:, 0::2, 1::2].sum(axis=(1, 2)), minlength=19) / len(cov)
    ps = []
    for run in range(N_RUNS):
        s = sample_dimers(6, 20000, seed=3000 + run, noise=False)
        W = winding_numbers(s)
        counts = np.array([np.all(W == w, axis=1).sum() for w in sectors])
        assert counts.sum() == len(s)
        ps.append(chi_square_test(counts, probs)[2])
        n1 = np.bincount(s[:, 0::2, 1::2].sum(axis=(1, 2)), minlength=19)
        ps.append(chi_square_test(n1, n1_exact)[2])
    assert fisher_combined_pvalue(ps) > P_MIN


# --------------------------------------------------------------------------------------------
# Samples: coverings, noise


def test_samples_are_perfect_coverings_with_equal_noise_pairs():
    s = sample_dimers(16, 300, seed=5, burn_in=10, gap=1)
    assert s.shape == (300, 32, 32) and s.dtype == np.uint8
    assert set(np.unique(s)) <= {0, 1}
    assert is_perfect_covering(s).all()
    assert noise_pairs_equal(s).all()


@pytest.mark.slow  # runs the reference twin: slow suite
def test_reference_samples_are_perfect_coverings():
    s = dimers_reference.sample_dimers(8, 200, seed=5, gap=1)
    assert is_perfect_covering(s).all() and noise_pairs_equal(s).all()


def test_noise_false_gives_zero_noise_and_the_same_dimers():
    with_noise = sample_dimers(8, 50, seed=11)
    without = sample_dimers(8, 50, seed=11, noise=False)
    assert (without[:, 0::2, 0::2] == 0).all() and (without[:, 1::2, 1::2] == 0).all()
    links = with_noise.copy()
    links[:, 0::2, 0::2] = 0
    links[:, 1::2, 1::2] = 0
    assert np.array_equal(links, without)  # noise never touches the dimer chain


def test_noise_bits_fair_and_independent():
    s = sample_dimers(8, 3000, seed=12, burn_in=10, gap=1)
    noise = s[:, 0::2, 0::2].astype(np.int64)  # (n, L, L) vertex bits
    # Fair coins.
    assert sps.binomtest(int(noise.sum()), noise.size, 0.5).pvalue > P_MIN

    def independent(a, b):
        table = np.array([[np.sum((a == i) & (b == j)) for j in (0, 1)] for i in (0, 1)])
        return sps.chi2_contingency(table, correction=False).pvalue

    a0 = s[:, 1::2, 0::2]  # dimer on the axis-0 link leaving each vertex
    a1 = s[:, 0::2, 1::2]
    ps = [independent(noise, a0), independent(noise, a1),
          independent(noise, np.roll(noise, 1, axis=1)),  # neighbouring pairs
          independent(noise[1:], noise[:-1])]  # fresh noise in every sample
    assert min(ps) > P_MIN / len(ps)


# --------------------------------------------------------------------------------------------
# Fast kernel vs twin beyond enumeration


@pytest.mark.slow  # runs the reference twin: slow suite
def test_fast_and_reference_agree_on_8x8_observables():
    """Two-sample chi-square on the winding sector and the number of axis-1 dimers."""
    f = sample_dimers(8, 4000, seed=21, noise=False)
    r = dimers_reference.sample_dimers(8, 4000, seed=22, noise=False)
    ps = []
    for obs in (lambda s: winding_numbers(s)[:, 0], lambda s: s[:, 0::2, 1::2].sum(axis=(1, 2)) // 4):
        a, b = obs(f), obs(r)
        values = np.union1d(a, b)
        table = np.array([[np.sum(a == v) for v in values], [np.sum(b == v) for v in values]])
        table = table[:, table.sum(axis=0) >= 10]
        ps.append(sps.chi2_contingency(table).pvalue)
    assert min(ps) > P_MIN / 2
    # Exact by the square symmetry of the torus: half the dimers lie along each axis.
    n1 = f[:, 0::2, 1::2].sum(axis=(1, 2)) / 32.0
    assert abs(n1.mean() - 0.5) < 5 * n1.std() / np.sqrt(len(n1) / 10)


# --------------------------------------------------------------------------------------------
# Determinism, chunking, logging


@pytest.mark.parametrize("name", STAT_SAMPLERS)
def test_same_seed_same_bytes_different_seed_differs(name):
    sample = SAMPLERS[name]
    a = sample(8, 20, seed=7)
    b = sample(8, 20, seed=7)
    c = sample(8, 20, seed=8)
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()
    ss = sample(8, 5, seed=np.random.SeedSequence(7))
    assert ss.tobytes() == sample(8, 5, seed=np.random.SeedSequence(7)).tobytes()
    g = np.random.default_rng(3)
    first, second = sample(8, 5, seed=g), sample(8, 5, seed=g)  # a Generator is advanced
    assert first.tobytes() != second.tobytes()


def test_chunking_does_not_change_the_stream(monkeypatch):
    whole = sample_dimers(8, 40, seed=9, gap=3)
    monkeypatch.setattr(dimers, "_CHUNK_MOVES", 1)  # one sample per kernel call
    assert sample_dimers(8, 40, seed=9, gap=3).tobytes() == whole.tobytes()


def test_zero_samples_and_logging(caplog):
    with caplog.at_level(logging.INFO, logger="rsmi.sampling.dimers"):
        s = sample_dimers(4, 0, seed=1)
    assert s.shape == (0, 8, 8) and s.dtype == np.uint8
    assert any(r.name == "rsmi.sampling.dimers" for r in caplog.records)


def test_loops_per_sweep():
    assert [loops_per_sweep(L) for L in (2, 4, 16, 32, 64)] == [2, 2, 4, 6, 8]
    # A sweep moves the head about L² times, i.e. changes about 2L² links (the number of links).
    chain = dimers._WormChain(32, np.random.default_rng(0))
    chain.run_loops(200 * loops_per_sweep(32))
    moves0, k = chain.moves, loops_per_sweep(32)
    chain.run_loops(2000 * k)
    assert 0.8 < (chain.moves - moves0) / 2000 / 32**2 < 1.25


# --------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize("name", STAT_SAMPLERS)
@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(L=5), ValueError, "L must be even"),
    (dict(L=0), ValueError, "L must be >= 2"),
    (dict(L=4.0), TypeError, "L must be an integer"),
    (dict(L=True), TypeError, "L must be an integer"),
    (dict(n_samples=-1), ValueError, "n_samples must be >= 0"),
    (dict(n_samples=2.5), TypeError, "n_samples must be an integer"),
    (dict(burn_in=-1), ValueError, "burn_in must be >= 0"),
    (dict(gap=0), ValueError, "gap must be >= 1"),
    (dict(noise="yes"), TypeError, "noise must be a bool"),
    (dict(seed=None), TypeError, "seed is required"),
    (dict(seed=-3), ValueError, "seed must be a non-negative"),
    (dict(seed="abc"), TypeError, "seed must be an int"),
])
def test_sampler_validation(name, kwargs, exc, match):
    args = dict(L=4, n_samples=2, seed=0)
    args.update(kwargs)
    L, n = args.pop("L"), args.pop("n_samples")
    with pytest.raises(exc, match=match):
        SAMPLERS[name](L, n, **args)


def test_helper_validation():
    with pytest.raises(ValueError, match="n must be even"):
        fat_site_kinds(3)
    with pytest.raises(ValueError, match="n must be >= 2"):
        field_filters(0)
    with pytest.raises(ValueError, match="even side"):
        block_field(np.zeros((2, 6, 5), dtype=np.uint8))
    with pytest.raises(ValueError, match="shape"):
        is_perfect_covering(np.zeros((2, 2, 4, 4), dtype=np.uint8))
    with pytest.raises(TypeError, match="integer bits"):
        winding_numbers(np.zeros((4, 4)))


# --------------------------------------------------------------------------------------------
# Geometry helpers


def test_fat_site_kinds():
    k = fat_site_kinds(6)
    assert k.shape == (6, 6)
    assert k[2, 4] == SITE_VERTEX and k[3, 5] == SITE_FACE
    assert k[2, 5] == SITE_LINK_AXIS1 and k[3, 4] == SITE_LINK_AXIS0
    assert all((k == c).sum() == 9 for c in (SITE_VERTEX, SITE_FACE, SITE_LINK_AXIS0, SITE_LINK_AXIS1))


def test_is_perfect_covering_detects_defects():
    good = staggered(4)
    assert is_perfect_covering(good) and is_perfect_covering(columnar(4, 1))
    noisy = good.copy()
    noisy[0::2, 0::2] = 1
    noisy[1::2, 1::2] = 1
    assert is_perfect_covering(noisy)  # noise sites are ignored
    missing = good.copy()
    missing[0, 1] = 0  # remove the dimer (0,0)–(0,1)
    extra = good.copy()
    extra[1, 0] = 1  # add (0,0)–(1,0): two dimers at (0,0)
    wrap = columnar(4, 0)
    wrap[1, 0], wrap[7, 0] = 0, 1  # (0,0)–(1,0) → (3,0)–(0,0): (1,0) uncovered, (3,0) doubled
    nonbinary = good.copy()
    nonbinary[0, 1] = 2
    ok = is_perfect_covering(np.stack([good, missing, extra, wrap, nonbinary]))
    assert ok.tolist() == [True, False, False, False, False]


def test_noise_pairs_equal_detects_a_broken_pair():
    s = sample_dimers(4, 3, seed=0)
    s[1, 3, 5] ^= 1  # face bit of vertex (1, 2)
    assert noise_pairs_equal(s).tolist() == [True, False, True]


def _block_field_loops(block):
    """Plain twin of block_field: the formula of docs/method.md §1, site by site."""
    k = block.shape[0] // 2
    E0 = E1 = 0.0
    for x in range(k):
        for y in range(k):
            eta = (-1) ** (x + y)
            E0 += eta * (block[2 * x + 1, 2 * y] - 0.25)
            E1 += eta * (block[2 * x, 2 * y + 1] - 0.25)
    return np.array([E0, E1])


def test_block_field_on_staggered_and_columnar_blocks():
    for k in (2, 4):
        n = 2 * k
        stag1 = staggered(8, axis=1)[:n, :n]
        stag0 = staggered(8, axis=0)[:n, :n]
        assert np.allclose(block_field(stag1), [0.0, k * k / 2])
        assert np.allclose(block_field(stag0), [k * k / 2, 0.0])
        # Translating by one vertex flips η: the other staggered pattern gives −E.
        assert np.allclose(block_field(staggered(8, axis=1, parity=1)[:n, :n]), [0.0, -k * k / 2])
        assert np.allclose(block_field(staggered(8, axis=1)[2:n + 2, :n]), [0.0, -k * k / 2])
        for axis in (0, 1):
            assert np.allclose(block_field(columnar(8, axis)[:n, :n]), 0.0)
            assert np.allclose(block_field(columnar(8, axis)[2:n + 2, 2:n + 2]), 0.0)


def test_block_field_and_filters_match_the_formula_on_random_blocks():
    rng = np.random.default_rng(0)
    for n in (2, 4, 6, 8):
        blocks = rng.integers(0, 2, size=(20, n, n), dtype=np.uint8)
        E = block_field(blocks)
        assert E.shape == (20, 2)
        assert np.allclose(E, [_block_field_loops(b) for b in blocks])
        f = field_filters(n)
        eta_sum = 0.0 if (n // 2) % 2 == 0 else 1.0
        assert np.allclose(np.einsum("bij,ija->ba", blocks.astype(float), f), E + eta_sum / 4)
        kinds = fat_site_kinds(n)
        assert (f[..., 0][kinds != SITE_LINK_AXIS0] == 0).all()
        assert (f[..., 1][kinds != SITE_LINK_AXIS1] == 0).all()
        assert set(np.abs(f[..., 0][kinds == SITE_LINK_AXIS0])) == {1.0}
    assert block_field(blocks[0]).shape == (2,)


def test_winding_numbers_of_known_coverings():
    assert winding_numbers(columnar(6, 0)).tolist() == [0, 0]
    assert winding_numbers(columnar(6, 1)).tolist() == [0, 0]
    assert winding_numbers(staggered(6, axis=0)).tolist() == [3, 0]
    assert winding_numbers(staggered(6, axis=1, parity=1)).tolist() == [0, -3]


def test_winding_numbers_equal_total_field_over_L():
    """Flux through the x = 0 / y = 0 cut equals the total field / L for every covering."""
    for fat in (enumerate_coverings(4), sample_dimers(12, 50, seed=3, gap=1)):
        L = fat.shape[1] // 2
        total = block_field(fat)  # the whole lattice as one block
        assert np.allclose(winding_numbers(fat), total / L)


def test_xoshiro256starstar_reference_vector():
    """The fast kernel's generator reproduces xoshiro256** from state (1, 2, 3, 4)."""
    s = (np.uint64(1), np.uint64(2), np.uint64(3), np.uint64(4))
    out = []
    for _ in range(4):
        r, *s = next_u64.py_func(*s)
        out.append(int(r))
    assert out == [11520, 0, 1509978240, 1215971899390074240]


# --------------------------------------------------------------------------------------------
# Mutation round 4 (docs/mutation_round4_samplers.md): the kernel's loop update step by step, the
# chain's loop and move counts, the final log line, the winding numbers' dtype

_U64 = (1 << 64) - 1


def _xoshiro_next(s):
    """One xoshiro256** output; advances the list ``s`` of four Python ints in place."""
    out = ((((s[1] * 5) & _U64) << 7 | ((s[1] * 5) & _U64) >> 57) & _U64) * 9 & _U64
    t = (s[1] << 17) & _U64
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = ((s[3] << 45) | (s[3] >> 19)) & _U64
    return out


def _worm_loops_plain(dirs, nbr, state, n_loops):
    """The module docstring's loop update in plain Python on the kernel's random stream: tail by
    rejection from the next power of two ≥ N, link choices 2 bits at a time (low bits first) from
    64-bit words, bounce-back allowed, stop when the dimer lands on the tail."""
    N = len(dirs)
    mask = 1
    while mask < N:
        mask <<= 1
    mask -= 1
    s = [int(w) for w in state[:4]]
    buf, nbits = int(state[4]), int(state[5])
    moves = 0
    for _ in range(n_loops):
        t = _xoshiro_next(s) & mask
        while t >= N:
            t = _xoshiro_next(s) & mask
        h = nbr[t, dirs[t]]
        while True:
            if nbits == 0:
                buf, nbits = _xoshiro_next(s), 64
            d = buf & 3
            buf >>= 2
            nbits -= 2
            moves += 1
            w = nbr[h, d]
            dirs[h] = d
            if w == t:
                dirs[t] = d ^ 1
                break
            h, dirs[w] = nbr[w, dirs[w]], d ^ 1
    return moves, s + [buf, nbits]


@pytest.mark.parametrize("L", [6, 8])
def test_worm_kernel_follows_the_documented_loop_update(L):
    # L = 6: N = 36 vertices, so the tail draw is rejected whenever it falls in 36..63.
    chain = dimers._WormChain(L, np.random.default_rng(L))
    plain_dirs, plain_state = chain.dirs.astype(np.int64), chain.state.copy()
    for n_loops in (1, 7, 40):
        chain.run_loops(n_loops)
        moves, words = _worm_loops_plain(plain_dirs, chain.nbr, plain_state, n_loops)
        plain_state = np.array(words, dtype=np.uint64)
        assert chain.dirs.tolist() == plain_dirs.tolist()
        assert chain.state.tolist() == words
    assert is_perfect_covering(chain.fat())


def test_chain_counts_loops_and_moves_the_same_way_in_both_kernel_calls():
    # run_loops and sample_into advance the same stream and count the same loop updates and head
    # moves (each loop update makes at least one head move).
    a = dimers._WormChain(6, np.random.default_rng(5))
    b = dimers._WormChain(6, np.random.default_rng(5))
    assert a.loops == a.moves == 0
    out = np.zeros((3, 12, 12), dtype=np.uint8)
    b.sample_into(out, 4)
    for i in range(3):
        a.run_loops(4)
        assert out[i].tobytes() == a.fat().tobytes()
    assert a.loops == b.loops == 12
    assert a.moves == b.moves >= 12
    assert a.state.tolist() == b.state.tolist()


def test_final_log_line_counts_loops_and_moves_and_the_elapsed_time(caplog):
    import time
    L, n, burn_in, gap, seed = 4, 5, 3, 2, 17
    k = loops_per_sweep(L)
    t0 = time.perf_counter()
    with caplog.at_level(logging.INFO, logger="rsmi.sampling.dimers"):
        sample_dimers(L, n, seed=seed, burn_in=burn_in, gap=gap)
    elapsed = time.perf_counter() - t0
    done = [r for r in caplog.records if r.name == "rsmi.sampling.dimers" and "done" in r.msg]
    assert len(done) == 1
    _, loops, moves, mean, dt = done[0].args
    twin = dimers._WormChain(L, np.random.default_rng(seed))
    twin.run_loops(burn_in * k)
    for _ in range(n):
        twin.run_loops(gap * k)
    assert loops == (burn_in + n * gap) * k == twin.loops
    assert moves == twin.moves and mean == moves / loops
    assert 0.0 <= dt <= elapsed


def test_winding_numbers_are_int64():
    assert winding_numbers(staggered(6, axis=0)).dtype == np.int64
    assert winding_numbers(np.stack([columnar(4), staggered(4, axis=1)])).dtype == np.int64
