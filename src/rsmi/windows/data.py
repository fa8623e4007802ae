"""From stored Monte Carlo samples to the training and held-out windows every job uses.

Configurations (not windows) are split into training and held-out sets, so no held-out window
shares a configuration with a training window.  The split and the order in which windows are
subsampled depend only on the master seed and the data set / window geometry, so the Θ-RBMs
and the RSMI network of one grid point see the same windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rsmi.utils.io import CorruptFileError, load_npz
from rsmi.windows.regions import cut_regions
from rsmi.utils.seeding import derive_seed

__all__ = ["BLOCKS_ONLY", "N_EVAL_WINDOWS", "Windows", "load_samples", "split_configurations", "load_windows"]

#: Held-out windows every job evaluates on (the same windows for every filter of a geometry).
N_EVAL_WINDOWS = 5000

#: Buffer and environment of a job that needs only the blocks V (the CD-trained RBMs of Fig. 6):
#: no buffer and a thin environment ring, which keeps the cut cheap.
BLOCKS_ONLY = {"L_B": 0, "L_E": 2}


@dataclass(frozen=True)
class Windows:
    """Binary windows of one geometry: V (n, L_V²) and E (n, n_E), training and held-out.

    ``G_train`` / ``G_val`` give each window's configuration index in the samples file (windows
    of one configuration are correlated: error bars and splits should respect these groups).
    """

    V_train: np.ndarray
    E_train: np.ndarray
    V_val: np.ndarray
    E_val: np.ndarray
    G_train: np.ndarray
    G_val: np.ndarray


def load_samples(path: str | Path) -> tuple[np.ndarray, dict]:
    """Read a samples file written by the ``sample`` rule; check its shape and values."""
    arrays, meta = load_npz(path, required=["configs"])
    configs = arrays["configs"]
    model = meta.get("model")
    if model not in ("ising", "dimer"):
        raise CorruptFileError(f"{path}: metadata names no known model (model={model!r})")
    if configs.ndim != 3 or configs.shape[1] != configs.shape[2] or configs.shape[0] < 1:
        raise CorruptFileError(f"{path}: configs must have shape (n, L, L), got {configs.shape}")
    allowed = (-1, 1) if model == "ising" else (0, 1)
    if not ((configs == allowed[0]) | (configs == allowed[1])).all():  # (np.isin: 10x slower here)
        raise CorruptFileError(f"{path}: {model} configurations hold values other than {allowed}")
    return configs, meta


def split_configurations(n: int, validation_fraction: float, seed) -> tuple[np.ndarray, np.ndarray]:
    """Random split of ``range(n)`` into sorted (train, val) index arrays; val has ``round(f n)`` ≥ 1."""
    if n < 2:
        raise ValueError(f"need at least 2 configurations to split, got {n}")
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction}")
    n_val = min(n - 1, max(1, int(round(validation_fraction * n))))
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def load_windows(
    samples_path: str | Path,
    *,
    model: str,
    L_V: int,
    L_B: int,
    L_E: int,
    stride: int,
    validation_fraction: float,
    master_seed: int,
    dataset: str,
    max_train: int | None = None,
    max_val: int | None = None,
) -> Windows:
    """Cut the windows of one geometry from a samples file and split them.

    Subsampling takes the first ``max_train`` (``max_val``) windows of a random permutation
    seeded by (master seed, data set, geometry), so a smaller maximum gives a subset of a larger.
    """
    configs, meta = load_samples(samples_path)
    if meta["model"] != model:
        raise CorruptFileError(f"{samples_path}: holds model {meta['model']!r}, expected {model!r}")
    train_idx, val_idx = split_configurations(len(configs), validation_fraction, derive_seed(master_seed, "split", dataset))
    parts = {}
    for part, idx, cap in (("train", train_idx, max_train), ("val", val_idx, max_val)):
        V, E = cut_regions(configs[idx], L_V, L_B, L_E, stride=stride, model=model)
        groups = np.repeat(idx, len(V) // len(idx))  # windows are ordered configuration-major
        order = np.random.default_rng(derive_seed(master_seed, "windows", dataset, part, L_V, L_B, L_E, stride)).permutation(len(V))
        if cap is not None:
            order = order[:cap]
        parts[part] = (V[order], E[order], groups[order])
    (Vt, Et, Gt), (Vv, Ev, Gv) = parts["train"], parts["val"]
    return Windows(Vt, Et, Vv, Ev, Gt, Gv)
