"""The two Θ-RBMs split into their v and e parts, which the proxy estimators of
:mod:`rsmi.coarse.network` and :mod:`rsmi.coarse.pooled` share.

With Θ^V = (W_v, a_v, c_v) on the block V and Θ^VE = (W^VE, a^VE, c^VE) on V ∪ E,

    F_V(v) = −a_v·v − Σ_m softplus(c_v,m + (v W_v)_m),
    g(v, e) = F_V(v) − F_VE(v, e) = f(v) + α(e) + Σ_m softplus(X_m(v) + Y_m(e)),

with f(v) = F_V(v) + a^VE_v·v, X(v) = c^VE + v W^VE_v, α(e) = a^VE_e·e and Y(e) = e W^VE_e.
:func:`theta_parts` checks two fitted RBMs and returns these parts; :func:`theta_arrays` checks one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rsmi.theta.partition import free_energy

__all__ = ["ThetaParts", "theta_arrays", "theta_parts"]


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
        return free_energy(Vf, self.Wv, self.av, self.cv)

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
