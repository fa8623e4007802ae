"""xoshiro256** (Blackman & Vigna 2018), the random-number generator inside the numba kernels.

Every kernel keeps an explicit 4-word state that it receives from, and returns to, a NumPy
array seeded from a :class:`numpy.random.Generator`: a kernel's stream is then a pure function
of the caller's seed (numba's own ``np.random`` is hidden global state), and the state words
stay in registers (about 1 ns per 64-bit word against ~10 ns per scalar ``np.random`` call).

    out = rotl(s1 · 5, 7) · 9;  t = s1 << 17;  s2 ^= s0;  s3 ^= s1;  s1 ^= s2;  s0 ^= s3;
    s2 ^= t;  s3 = rotl(s3, 45)        (all arithmetic modulo 2⁶⁴)
"""

from __future__ import annotations

import numbers

import numpy as np
from numba import njit

__all__ = ["rotl", "next_u64", "seed_words", "make_rng"]


@njit(cache=True, inline="always")
def rotl(x, k):
    """Rotate the 64-bit word ``x`` left by ``k`` bits."""
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True, inline="always")
def next_u64(s0, s1, s2, s3):
    """One xoshiro256** step: returns (64-bit output, s0, s1, s2, s3) of the next state."""
    out = rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 45)
    return out, s0, s1, s2, s3


def seed_words(rng: np.random.Generator, n_words: int = 4) -> np.ndarray:
    """``n_words`` ≥ 4 uint64 words from ``rng``; the first four (the state) never all zero,
    the one state xoshiro cannot leave (probability 2⁻²⁵⁶); further words are left at 0."""
    words = np.zeros(n_words, dtype=np.uint64)
    while True:
        words[:4] = rng.integers(0, 2**64, size=4, dtype=np.uint64, endpoint=False)
        if words[:4].any():
            return words


def make_rng(seed) -> np.random.Generator:
    """Normalise ``seed`` (int ≥ 0, SeedSequence or Generator) into a Generator; ``None`` is refused
    so that every result is reproducible."""
    if seed is None:
        raise TypeError("seed is required (an int >= 0, a numpy SeedSequence or a Generator) "
                        "so that runs are reproducible; got None")
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"seed must be an int, a numpy SeedSequence or a Generator, got bool {seed!r}")
    if isinstance(seed, numbers.Integral):
        if int(seed) < 0:
            raise ValueError(f"seed must be a non-negative integer, got {int(seed)}")
        return np.random.default_rng(int(seed))
    if isinstance(seed, (np.random.SeedSequence, np.random.Generator)):
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be an int, a numpy SeedSequence or a Generator, got {type(seed).__name__}")
