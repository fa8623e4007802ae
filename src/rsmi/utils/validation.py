"""Input validation shared by the library: one definition of each check.

Integers and reals (``is_int``, ``is_real``, ``check_int``, ``check_int_strict``, ``check_real``,
``check_choice``); samples (``check_windows`` for binary windows, ``check_binary`` for data
matrices, ``as_samples`` for any real features, ``as_columns`` for feature matrices); Λ filters (``as_filter``, ``check_filter``, ``block_filters``) and
the square block a window's sites form (``square_block``); RBM parameters (``check_rbm_params``).
Every check raises ValueError/TypeError naming the argument.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["check_windows", "check_binary", "check_rbm_params", "as_samples",
           "as_columns", "is_int", "is_real", "check_int", "check_int_strict", "check_real", "as_filter", "check_filter", "block_filters", "square_block",
           "check_choice"]


def check_windows(V, E, name_v="V", name_e="E") -> tuple[np.ndarray, np.ndarray]:
    V = np.asarray(V)
    E = np.asarray(E)
    if V.ndim != 2 or V.shape[0] < 1 or V.shape[1] < 1:
        raise ValueError(f"{name_v} must be a non-empty 2-D array (n_windows, |V|), got shape {V.shape}")
    if E.ndim != 2 or E.shape[1] < 1:
        raise ValueError(f"{name_e} must be a 2-D array (n_windows, |E|), got shape {E.shape}")
    if E.shape[0] != V.shape[0]:
        raise ValueError(f"{name_v} and {name_e} must have the same number of rows, got {V.shape[0]} and {E.shape[0]}")
    for arr, nm in ((V, name_v), (E, name_e)):
        if arr.dtype == bool:
            continue
        if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
            raise TypeError(f"{nm} must hold binary numbers, got dtype {arr.dtype}")
        if not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{nm} must be binary (0/1); map Ising spins with x = (s+1)/2 first")
    return V.astype(np.float64), E.astype(np.float64)


def check_binary(X, name: str, n_visible: int | None = None) -> np.ndarray:
    """Validate a {0,1} data matrix (n_samples, n_visible); return it as a C-contiguous float64 array."""
    X = np.asarray(X)
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_):
        raise TypeError(f"{name} must be a numeric or boolean array, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_visible), got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must be non-empty, got shape {X.shape}")
    if n_visible is not None and X.shape[1] != n_visible:
        raise ValueError(f"{name} has {X.shape[1]} columns but the RBM has n_visible={n_visible}")
    Xf = np.ascontiguousarray(X, dtype=np.float64)
    if not np.all(np.isfinite(Xf)):
        raise ValueError(f"{name} contains non-finite values")
    if not np.all((Xf == 0.0) | (Xf == 1.0)):
        raise ValueError(f"{name} must contain only 0 and 1")
    return Xf


def check_rbm_params(weights, visible_bias, hidden_bias) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W, a, c) as C-contiguous float64 arrays of shapes (n_visible, n_hidden), (n_visible,),
    (n_hidden,), all finite."""
    W = np.ascontiguousarray(weights, dtype=np.float64)
    a = np.ascontiguousarray(visible_bias, dtype=np.float64)
    c = np.ascontiguousarray(hidden_bias, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"weights must be 2-D (n_visible, n_hidden), got shape {W.shape}")
    if a.shape != (W.shape[0],):
        raise ValueError(f"visible_bias must have shape ({W.shape[0]},), got {a.shape}")
    if c.shape != (W.shape[1],):
        raise ValueError(f"hidden_bias must have shape ({W.shape[1]},), got {c.shape}")
    for name, arr in (("weights", W), ("visible_bias", a), ("hidden_bias", c)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains non-finite values")
    return W, a, c


def as_samples(V, E, n_v: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(V, E) as given, checked: 2-D, finite, one row per sample each, and V of width ``n_v`` if given."""
    V = np.asarray(V)
    E = np.asarray(E)
    if V.ndim != 2:
        raise ValueError(f"V must be 2-D (n_samples, N_v), got shape {V.shape}")
    if E.ndim != 2:
        raise ValueError(f"E must be 2-D (n_samples, N_E), got shape {E.shape}")
    if V.shape[0] != E.shape[0]:
        raise ValueError(f"V and E must have the same number of samples, got {V.shape[0]} and {E.shape[0]}")
    if n_v is not None and V.shape[1] != n_v:
        raise ValueError(f"V has {V.shape[1]} sites per sample but the filter has {n_v}")
    if not (np.isfinite(V).all() and np.isfinite(E).all()):
        raise ValueError("V and E must be finite")
    return V, E


def as_columns(X) -> np.ndarray:
    """X as float64 with one sample per row: a 1-D array (n,) becomes one column (n, 1)."""
    X = np.asarray(X, dtype=np.float64)
    return X[:, None] if X.ndim == 1 else X


def is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(float(x))


def check_int(name, x, minimum=1) -> int:
    if not is_int(x) or x < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {x!r}")
    return int(x)


def check_int_strict(name: str, value, minimum: int) -> int:
    """``value`` as an int ≥ ``minimum``; TypeError for a non-integer (bools included), ValueError
    below ``minimum``, each naming ``name`` (:func:`check_int` raises ValueError for both)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_real(name, x, allow_zero=False) -> float:
    """``x`` as a float, x > 0 (x ≥ 0 with ``allow_zero``) and finite."""
    if not is_real(x) or (x < 0 if allow_zero else x <= 0):
        raise ValueError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} finite number, got {x!r}")
    return float(x)


def as_filter(weights, biases, n_v: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(λ as (N_v, N_h) float64, b as (N_h,) float64), finite.

    (L_V, L_V, N_h) weights act on row-major flattened blocks: λ[i·L_V + j] = weights[i, j];
    with ``n_v`` given, N_v must equal it.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 3:
        w = w.reshape(w.shape[0] * w.shape[1], w.shape[2])
    if w.ndim != 2 or w.shape[1] < 1 or (n_v is not None and w.shape[0] != n_v):
        sites = "" if n_v is None else f" with N_v = {n_v} sites"
        raise ValueError(f"weights must have shape (L_V, L_V, N_h) or (N_v, N_h){sites}, got {np.shape(weights)}")
    b = np.asarray(biases, dtype=np.float64)
    if b.shape != (w.shape[1],):
        raise ValueError(f"biases must have shape ({w.shape[1]},), got {b.shape}")
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise ValueError("weights and biases must be finite")
    return w, b


def check_filter(weights, biases, n_v: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`as_filter` on a block of ``n_v`` sites, λ C-contiguous (the numba kernels' layout)."""
    w, b = as_filter(weights, biases, n_v)
    return np.ascontiguousarray(w), b


def block_filters(weights, *, rbm: bool = False, name: str = "weights") -> np.ndarray:
    """Filters on a square block as ``(L, L, N_h)`` float64, finite.

    Accepts ``(L, L, N_h)``; with ``rbm=False`` also ``(L, L)`` (one filter); with ``rbm=True``
    an RBM's ``(L², N_h)`` weight matrix acting on row-major flattened blocks,
    λ[a, b, j] = W[a·L + b, j].
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 2 and rbm:
        L = math.isqrt(w.shape[0])
        if L * L != w.shape[0]:
            raise ValueError(f"{name}: {w.shape[0]} visible units do not form a square block")
        w = w.reshape(L, L, w.shape[1])
    elif w.ndim == 2 and w.shape[0] == w.shape[1]:
        w = w[:, :, None]
    if w.ndim != 3 or w.shape[0] != w.shape[1] or w.shape[2] < 1:
        shapes = "(L², N_h) or (L, L, N_h)" if rbm else "(L_V, L_V) or (L_V, L_V, N_h)"
        raise ValueError(f"{name} must have shape {shapes}, got {np.shape(weights)}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} contains non-finite values")
    return w


def square_block(n_v: int, block_shape=None) -> tuple[int, int]:
    """(L_V, L_V) with L_V² = n_v: ``block_shape`` checked, or L_V = √n_v when it is None."""
    if block_shape is None:
        side = math.isqrt(n_v)
        if side * side != n_v:
            raise ValueError(f"V has {n_v} sites per window, not a square block")
        return side, side
    if (len(tuple(block_shape)) != 2 or not all(is_int(x) for x in block_shape)
            or block_shape[0] * block_shape[1] != n_v or block_shape[0] != block_shape[1]):
        raise ValueError(f"block_shape must be a square (L_V, L_V) with L_V² = |V| = {n_v}, got {block_shape!r}")
    return int(block_shape[0]), int(block_shape[1])


def check_choice(name, value, options):
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value
