"""Cutting visible (V), buffer (B) and environment (E) regions out of configurations.

A window of side ``W = L_V + 2 L_B + 2 L_E`` is cut with periodic wrap-around (docs/method.md §2):
V is the central ``L_V × L_V`` block, B the ring of width ``L_B`` around it and E the ring of
width ``L_E`` around B.  Windows start at the positions ``(i, j)`` with ``i, j`` multiples of
``stride`` (plus ``offset``), so each configuration of side ``L`` gives ``ceil((L-offset)/stride)²``
windows.  For dimers all sizes, the stride and the offset are even (in fat units), so every
window starts at a vertex site and the same kind of site sits at the same place in every window.

Networks see binary variables: Ising spins are mapped to ``x = (s + 1) / 2``; dimer fat arrays
are already binary.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["MODELS", "region_masks", "window_side", "window_origins", "cut_regions", "to_binary"]

MODELS = ("ising", "dimer")


def window_side(L_V: int, L_B: int, L_E: int) -> int:
    """Side of the window: ``W = L_V + 2 L_B + 2 L_E``."""
    return L_V + 2 * L_B + 2 * L_E


def _check_sizes(L_V, L_B, L_E, model=None) -> None:
    for name, val, lo in (("L_V", L_V, 1), ("L_B", L_B, 0), ("L_E", L_E, 1)):
        if not isinstance(val, (int, np.integer)) or isinstance(val, bool):
            raise TypeError(f"{name} must be an integer, got {type(val).__name__}")
        if val < lo:
            raise ValueError(f"{name} must be >= {lo}, got {val}")
    if model == "dimer":
        for name, val in (("L_V", L_V), ("L_B", L_B), ("L_E", L_E)):
            if val % 2:
                raise ValueError(
                    f"{name}={val} is odd: dimer regions are measured in fat units and must be even "
                    "so that every region starts at a vertex site"
                )


def region_masks(L_V: int, L_B: int, L_E: int) -> dict[str, np.ndarray]:
    """Boolean ``(W, W)`` masks ``{"V", "B", "E"}`` of a window; they partition the window."""
    _check_sizes(L_V, L_B, L_E)
    W = window_side(L_V, L_B, L_E)
    r = np.arange(W)
    # Chebyshev distance from the window's border, per row/column pair.
    depth = np.minimum.outer(np.minimum(r, W - 1 - r), np.minimum(r, W - 1 - r))
    E = depth < L_E
    V = depth >= L_E + L_B
    B = ~E & ~V
    return {"V": V, "B": B, "E": E}


def window_origins(L: int, stride: int, offset: int = 0) -> np.ndarray:
    """Top-left corners ``(i, j)`` of the windows cut from a lattice of side ``L``: ``(n, 2)``."""
    pos = np.arange(offset, L, stride)
    ii, jj = np.meshgrid(pos, pos, indexing="ij")
    return np.stack([ii.ravel(), jj.ravel()], axis=1)


def to_binary(configs: np.ndarray, model: Literal["ising", "dimer"]) -> np.ndarray:
    """Map configurations to the networks' {0,1} variables (``x = (s+1)/2`` for Ising)."""
    if model == "ising":
        if not np.isin(configs, (-1, 1)).all():
            raise ValueError("Ising configurations must hold spins +-1")
        return ((configs.astype(np.int16) + 1) // 2).astype(np.uint8)
    if model == "dimer":
        if not np.isin(configs, (0, 1)).all():
            raise ValueError("dimer configurations must hold bits 0/1")
        return configs.astype(np.uint8, copy=False)
    raise ValueError(f"unknown model {model!r}; expected one of {MODELS}")


def cut_regions(
    configs: np.ndarray,
    L_V: int,
    L_B: int,
    L_E: int,
    *,
    stride: int,
    model: Literal["ising", "dimer"],
    offset: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Cut every window of every configuration and return ``(V, E)``.

    Parameters
    ----------
    configs : (n, L, L) array — Ising spins ±1 (int8) or dimer fat arrays {0,1} (side 2·L_vertices).
    L_V, L_B, L_E : block side, buffer width and environment width (fat units for dimers).
    stride, offset : window origins are ``offset + stride·k`` along each axis (periodic).

    Returns
    -------
    V : uint8 (n·n_w, L_V²) — the block, row-major.
    E : uint8 (n·n_w, n_E) — the environment ring in row-major order of ``region_masks(...)["E"]``.
    Windows are ordered configuration-major, then by origin as in :func:`window_origins`.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {MODELS}")
    configs = np.asarray(configs)
    if configs.ndim != 3 or configs.shape[1] != configs.shape[2]:
        raise ValueError(f"configs must have shape (n, L, L), got {configs.shape}")
    _check_sizes(L_V, L_B, L_E, model)
    L = configs.shape[1]
    W = window_side(L_V, L_B, L_E)
    if W > L:
        raise ValueError(f"window side L_V + 2 L_B + 2 L_E = {W} exceeds the lattice side {L}")
    if not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}")
    if not isinstance(offset, (int, np.integer)) or not 0 <= offset < L:
        raise ValueError(f"offset must be an integer in [0, {L}), got {offset!r}")
    if model == "dimer" and (stride % 2 or offset % 2 or L % 2):
        raise ValueError("dimer windows need an even stride, offset and lattice side (fat units)")
    x = to_binary(configs, model)
    origins = window_origins(L, stride, offset)
    r = np.arange(W)
    rows = (origins[:, 0, None] + r[None, :]) % L  # (n_w, W)
    cols = (origins[:, 1, None] + r[None, :]) % L
    # windows[s, w, a, b] = x[s, rows[w, a], cols[w, b]]  (periodic wrap-around)
    windows = x[:, rows[:, :, None], cols[:, None, :]]
    windows = windows.reshape(-1, W, W)
    masks = region_masks(L_V, L_B, L_E)
    V = np.ascontiguousarray(windows[:, masks["V"]])
    E = np.ascontiguousarray(windows[:, masks["E"]])
    return V, E
