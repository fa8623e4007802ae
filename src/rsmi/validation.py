"""Input validation shared by the library: one definition of each check.

Integers and reals (``is_int``, ``is_real``, ``check_int``, ``check_int_strict``,
``check_choice``), binary windows (``check_windows``) and data matrices (``check_binary``), Λ
filters (``check_filter``), RBM parameters (``check_rbm_params``) and the split of the two
Θ-RBMs into their v and e parts (``theta_parts``), which the proxy estimators of
:mod:`rsmi.network` and :mod:`rsmi.pooled` share.  Every check raises ValueError/TypeError
naming the argument.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from rsmi._network_kernels import softplus_np

__all__ = ["ThetaParts", "theta_arrays", "theta_parts", "check_windows", "check_binary", "check_rbm_params",
           "is_int", "is_real", "check_int", "check_int_strict", "check_filter", "check_choice"]


@dataclass(frozen=True)
class ThetaParts:
    """The two Θ-RBMs, split into their v and e parts."""

    Wv: np.ndarray  # Θ^V weights (N, M1)
    av: np.ndarray  # Θ^V visible bias (N,)
    cv: np.ndarray  # Θ^V hidden bias (M1,)
    Wve_v: np.ndarray  # Θ^VE weights, v rows (N, M2)
    Wve_e: np.ndarray  # Θ^VE weights, e rows (n_E, M2)
    ave_v: np.ndarray
    ave_e: np.ndarray
    cve: np.ndarray

    def free_energy_v(self, Vf: np.ndarray) -> np.ndarray:
        """F_V(v) = −a·v − Σ_m softplus(c_m + (vW)_m) for every row."""
        return -(Vf @ self.av) - softplus_np(Vf @ self.Wv + self.cv).sum(axis=1)

    def v_parts(self, Vf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f(v) = F_V(v) + a^VE_v·v and X(v) = c^VE + v W^VE_v (the Λ-independent v side of g)."""
        return self.free_energy_v(Vf) + Vf @ self.ave_v, Vf @ self.Wve_v + self.cve

    def e_parts(self, Ef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """α(e) = a^VE_e·e and Y(e) = e W^VE_e (the e side of g)."""
        return Ef @ self.ave_e, Ef @ self.Wve_e


def theta_arrays(theta, n_visible: int, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    for attr in ("weights_", "visible_bias_", "hidden_bias_"):
        if not hasattr(theta, attr):
            raise TypeError(f"{name} must be a fitted RBM with attribute {attr!r} (got {type(theta).__name__})")
    W = np.asarray(theta.weights_, dtype=np.float64)
    a = np.asarray(theta.visible_bias_, dtype=np.float64)
    c = np.asarray(theta.hidden_bias_, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != n_visible or W.shape[1] < 1:
        raise ValueError(f"{name}.weights_ must have shape ({n_visible}, n_hidden), got {W.shape}")
    if a.shape != (n_visible,):
        raise ValueError(f"{name}.visible_bias_ must have shape ({n_visible},), got {a.shape}")
    if c.shape != (W.shape[1],):
        raise ValueError(f"{name}.hidden_bias_ must have shape ({W.shape[1]},), got {c.shape}")
    for arr, what in ((W, "weights_"), (a, "visible_bias_"), (c, "hidden_bias_")):
        if not np.isfinite(arr).all():
            raise ValueError(f"{name}.{what} holds non-finite values")
    return W, a, c


def theta_parts(theta_v, theta_ve, n_v: int, n_e: int) -> ThetaParts:
    Wv, av, cv = theta_arrays(theta_v, n_v, "theta_v")
    W2, a2, c2 = theta_arrays(theta_ve, n_v + n_e, "theta_ve")
    return ThetaParts(
        Wv=Wv, av=av, cv=cv,
        Wve_v=np.ascontiguousarray(W2[:n_v]), Wve_e=np.ascontiguousarray(W2[n_v:]),
        ave_v=a2[:n_v].copy(), ave_e=a2[n_v:].copy(), cve=c2,
    )


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


def check_filter(weights, biases, n_v: int) -> tuple[np.ndarray, np.ndarray]:
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 3:
        if w.shape[0] * w.shape[1] != n_v:
            raise ValueError(f"weights of shape {w.shape} do not cover a block of |V| = {n_v} sites")
        w = w.reshape(n_v, w.shape[2])
    if w.ndim != 2 or w.shape[0] != n_v or w.shape[1] < 1:
        raise ValueError(f"weights must have shape (|V|, N_h) = ({n_v}, N_h) or (L_V, L_V, N_h), got {np.shape(weights)}")
    b = np.asarray(biases, dtype=np.float64)
    if b.shape != (w.shape[1],):
        raise ValueError(f"biases must have shape ({w.shape[1]},), got {b.shape}")
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise ValueError("weights and biases must be finite")
    return np.ascontiguousarray(w), b


def check_choice(name, value, options):
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value
