"""The learning-rate schedules of every trainer, in one function.

With lr₀ the initial rate, t the number of steps already taken (t = 0 for the first step) and
T the total number of steps:

    constant       lr(t) = lr₀
    linear         lr(t) = lr₀ · (1 − (1 − f) · t / T)          (Θ-RBMs; f = final fraction)
    cosine         lr(t) = lr₀ · (1 + cos(π t / T)) / 2          (variational estimator)
    inverse_time   lr(t) = lr₀ / (1 + d · t)                    (Λ network, per epoch)
    exponential    lr(t) = lr₀ · d^t                            (Λ network, per epoch)

Each trainer accepts its own subset of the names (its docstring lists them) and validates it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SCHEDULES", "learning_rate_at"]

SCHEDULES = ("constant", "linear", "cosine", "inverse_time", "exponential")


def learning_rate_at(schedule: str, lr, t, total=None, *, decay=None, final_fraction=None):
    """lr(t) of ``schedule`` (module docstring); ``t`` an int or an array of step indices
    (an array gives one rate per entry)."""
    if schedule == "constant":
        return np.full(np.shape(t), lr) if np.ndim(t) else lr
    if schedule == "linear":
        return lr * (1.0 - (1.0 - final_fraction) * t / total)
    if schedule == "cosine":
        return lr * 0.5 * (1.0 + np.cos(np.pi * t / total))
    if schedule == "inverse_time":
        return lr / (1.0 + decay * t)
    if schedule == "exponential":
        return lr * decay ** t
    raise ValueError(f"unknown learning-rate schedule {schedule!r}; expected one of {SCHEDULES}")
