"""The result of training a coarse-graining filter Λ = (λ, b), shared by every estimator.

Stored on disk as ``rsmi.npz`` with the arrays below and the run's parameters as metadata.
This is the interface the figures, the metrics and users read; keep it stable.

========================  =================================  ==========================================
array                     shape                              meaning
========================  =================================  ==========================================
``weights``               (L_V, L_V, N_h) float64            λ, the filter of each hidden unit on the block
``biases``                (N_h,) float64                     b
``history``               (n_epochs + 1,) float64            objective after each epoch (index 0 = initial)
``history_err``           (n_epochs + 1,) float64            its standard error (NaN where not estimated)
``val_history``           (n_epochs + 1,) float64            held-out objective (NaN where not evaluated)
``snapshot_epochs``       (n_snap,) int64                    epochs at which λ was recorded
``snapshots``             (n_snap, L_V, L_V, N_h) float64    λ at those epochs
========================  =================================  ==========================================

Estimators may add further arrays in ``extra`` (e.g. the variational critic's parameters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rsmi.utils.io import CorruptFileError, load_npz, save_npz

__all__ = ["FilterResult"]

_REQUIRED = ("weights", "biases", "history", "history_err", "val_history", "snapshot_epochs", "snapshots")


@dataclass
class FilterResult:
    weights: np.ndarray
    biases: np.ndarray
    history: np.ndarray
    history_err: np.ndarray
    val_history: np.ndarray
    snapshot_epochs: np.ndarray
    snapshots: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.weights = np.asarray(self.weights, dtype=np.float64)
        self.biases = np.asarray(self.biases, dtype=np.float64)
        self.history = np.asarray(self.history, dtype=np.float64)
        self.history_err = np.asarray(self.history_err, dtype=np.float64)
        self.val_history = np.asarray(self.val_history, dtype=np.float64)
        self.snapshot_epochs = np.asarray(self.snapshot_epochs, dtype=np.int64)
        self.snapshots = np.asarray(self.snapshots, dtype=np.float64)
        self._validate()

    def _validate(self) -> None:
        w = self.weights
        if w.ndim != 3 or w.shape[0] != w.shape[1]:
            raise ValueError(f"weights must have shape (L_V, L_V, N_h), got {w.shape}")
        n_h = w.shape[2]
        if self.biases.shape != (n_h,):
            raise ValueError(f"biases must have shape ({n_h},), got {self.biases.shape}")
        n = self.history.shape
        if len(n) != 1 or self.history_err.shape != n or self.val_history.shape != n:
            raise ValueError("history, history_err and val_history must be 1-D of equal length")
        k = self.snapshot_epochs.shape
        if len(k) != 1 or self.snapshots.shape != k + w.shape:
            raise ValueError(f"snapshots must have shape (n_snap,) + {w.shape}, got {self.snapshots.shape}")
        # A diverged run must not be drawn or scored as if it were a filter (histories may hold NaN).
        for name in ("weights", "biases", "snapshots"):
            if not np.all(np.isfinite(getattr(self, name))):
                raise ValueError(f"{name} contain non-finite values")
        for key in self.extra:
            if key in _REQUIRED:
                raise ValueError(f"extra array {key!r} clashes with a standard field")

    @property
    def n_hidden(self) -> int:
        return int(self.weights.shape[2])

    @property
    def L_V(self) -> int:
        return int(self.weights.shape[0])

    @property
    def weight_matrix(self) -> np.ndarray:
        """λ as an ``(L_V², N_h)`` matrix acting on row-major flattened blocks."""
        return self.weights.reshape(-1, self.n_hidden)

    def save(self, path: str | Path) -> None:
        arrays = {k: getattr(self, k) for k in _REQUIRED}
        arrays.update({f"extra__{k}": v for k, v in self.extra.items()})
        save_npz(path, meta=self.meta, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> "FilterResult":
        arrays, meta = load_npz(path, required=_REQUIRED)
        extra = {k[len("extra__"):]: arrays.pop(k) for k in list(arrays) if k.startswith("extra__")}
        try:
            return cls(**{k: arrays[k] for k in _REQUIRED}, meta=meta, extra=extra)
        except ValueError as exc:
            raise CorruptFileError(f"{path}: inconsistent filter result ({exc})") from exc
