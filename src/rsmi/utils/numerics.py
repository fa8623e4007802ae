"""Small numerical helpers shared by the estimators.

``scipy.special.logsumexp`` goes through the array-API dispatch and accuracy refinements on
every call; the fitting loops call it tens of thousands of times on small arrays, where that
overhead was most of their run time (docs/time_budget.md). These are the textbook
max-shifted forms; tests compare them with SciPy's.
"""

from __future__ import annotations

import numpy as np

__all__ = ["logsumexp", "log_softmax", "softplus"]


# NumPy reduces a short axis of a long array ~20x slower than an elementwise loop over the axis;
# on small arrays the loop's per-call overhead wins instead
_SHORT_AXIS = 16
_LONG_REST = 4096


def _reduce(ufunc, a: np.ndarray, axis) -> np.ndarray:
    """ufunc.reduce of ``a`` along one int ``axis`` with keepdims; a short axis column by column."""
    if (axis is None or not isinstance(axis, (int, np.integer)) or not 0 < a.shape[axis] <= _SHORT_AXIS
            or a.size < _LONG_REST * a.shape[axis]):
        return ufunc.reduce(a, axis=axis, keepdims=True)
    cols = np.moveaxis(a, axis, 0)
    out = np.array(cols[0])  # a copy, 0-d for a 1-d input
    for k in range(1, cols.shape[0]):
        ufunc(out, cols[k], out=out)
    return np.expand_dims(out, axis)


def logsumexp(a, axis=None, keepdims: bool = False) -> np.ndarray | float:
    """log Σ_i e^{a_i} = m + log Σ_i e^{a_i − m}, m = max_i a_i, along ``axis`` (None: all).

    A slice whose entries are all −∞ gives −∞; a +∞ entry gives +∞; NaN propagates."""
    a = np.asarray(a, dtype=np.float64)
    m = _reduce(np.maximum, a, axis)
    # a slice of −∞ (or containing +∞) would give ∞ − ∞ = NaN: shift it by 0 instead
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):  # log 0 = −∞ for an all −∞ slice
        out = np.log(_reduce(np.add, np.exp(a - m), axis)) + m
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return float(out) if out.ndim == 0 else out


def log_softmax(u, axis: int = -1) -> np.ndarray:
    """log softmax: u_k − log Σ_j e^{u_j} along ``axis`` (same shape as u)."""
    u = np.asarray(u, dtype=np.float64)
    return u - logsumexp(u, axis=axis, keepdims=True)


def softplus(z: np.ndarray) -> np.ndarray:
    """softplus(z) = log(1 + e^z), computed as ``np.logaddexp(0, z)`` (no overflow).

    The one softplus of the package: the Θ-RBMs' free energy F(x), their log Z, the Θ parts of
    the proxy, log q_Λ and the NumPy twins of the numba kernels all call it."""
    return np.logaddexp(0.0, z)
