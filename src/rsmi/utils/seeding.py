"""Deterministic per-job random streams derived from the master seed.

``derive_seed(master, "rsmi", "ising", 4, 1, 2, 2, "jensen")`` returns a
:class:`numpy.random.SeedSequence` whose spawn key is a stable hash of the labels, so every job
gets an independent stream that depends only on the config seed and the job's wildcards
(never on the order jobs run in, the machine, or Python's salted ``hash``).
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["derive_seed"]


def derive_seed(master: int, *labels: object) -> np.random.SeedSequence:
    """SeedSequence(entropy=master, spawn_key=sha256(labels) as four 32-bit words)."""
    if not isinstance(master, (int, np.integer)) or isinstance(master, bool) or master < 0:
        raise ValueError(f"the master seed must be a non-negative integer, got {master!r}")
    text = "\x1f".join(str(x) for x in labels).encode("utf-8")
    digest = hashlib.sha256(text).digest()
    key = tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4))
    return np.random.SeedSequence(entropy=int(master), spawn_key=key)
