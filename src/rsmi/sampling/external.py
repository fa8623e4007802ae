"""Configurations brought in from a file instead of a sampler (a ``samples:`` entry with ``file:``).

The format (README, "Your own data"):

* a ``.npy`` file holding one array, or a ``.npz`` archive whose array ``configs`` (or the name
  given by the entry's ``key``) holds it; read with ``allow_pickle=False``;
* shape ``(n, L, L)``: ``n`` configurations of one square ``L × L`` lattice with periodic
  boundaries, ``x[k, i, j]`` the site in row ``i``, column ``j`` of configuration ``k``;
* an integer or boolean dtype with every value 0 or 1 (a spin ``s = ±1`` is stored as
  ``x = (s + 1) / 2``);
* the configurations should be (close to) independent draws: the windows of one configuration
  stay together in every split (training / held out, the MI estimate's inner splits).

Only square-lattice spin models are read (``model: ising`` in the entry: the windows, Θ-RBMs and
criteria of the Ising pipeline); the dimer pipeline reads the fat-lattice encoding of the
project's own worm sampler only.  The file is never written: the workflow's ``import_samples``
rule copies it into ``results/samples/<entry>.npz`` in the stored encoding, spins ``s = 2x − 1``
as ``int8`` like :func:`rsmi.sampling.ising.sample_ising`.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["EXTERNAL_SUFFIXES", "DEFAULT_KEY", "ExternalSamplesError", "read_external", "spins_of_bits",
           "bits_of_spins", "file_sha256"]

#: File types :func:`read_external` reads.
EXTERNAL_SUFFIXES = (".npy", ".npz")
#: Array name of a ``.npz`` archive unless the entry names another (``key``).
DEFAULT_KEY = "configs"


class ExternalSamplesError(ValueError):
    """An external file of configurations cannot be used; the message names the file and why."""


def read_external(path: str | Path, *, key: str | None = None) -> np.ndarray:
    """Read and check a file of configurations; return them as a ``uint8`` array ``(n, L, L)`` of 0/1.

    ``key`` names the array of a ``.npz`` archive (default :data:`DEFAULT_KEY`); a ``.npy`` file takes
    none.  Raises :class:`ExternalSamplesError` naming ``path`` on a missing or unreadable file, a
    wrong suffix, shape or dtype, or a value other than 0 and 1 (whether ``n`` is enough for the
    split is the config check's: :func:`rsmi.config.check_config`).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXTERNAL_SUFFIXES:
        raise ExternalSamplesError(f"{path}: unknown file type {path.suffix!r}; expected one of {', '.join(EXTERNAL_SUFFIXES)}")
    if suffix == ".npy" and key is not None:
        raise ExternalSamplesError(f"{path}: a .npy file holds one array; 'key' applies to .npz archives only")
    if not path.is_file():
        raise ExternalSamplesError(f"{path}: file does not exist")
    try:
        if suffix == ".npy":
            x = np.load(path, allow_pickle=False)
        else:
            name = DEFAULT_KEY if key is None else key
            with np.load(path, allow_pickle=False) as data:
                if name not in data.files:
                    raise ExternalSamplesError(f"{path}: no array {name!r} in the archive (has: {', '.join(data.files) or 'none'})")
                x = data[name]
    except ExternalSamplesError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        # allow_pickle=False refuses object arrays with a ValueError: a file of Python objects
        raise ExternalSamplesError(f"{path}: not a readable {suffix} file of numbers ({type(exc).__name__}: {exc})") from exc
    if x.ndim != 3 or x.shape[1] != x.shape[2] or x.shape[1] < 2:
        raise ExternalSamplesError(f"{path}: configurations must have shape (n, L, L) with L >= 2 (one square "
                                   f"lattice), got {x.shape}")
    if not (x.dtype == np.bool_ or np.issubdtype(x.dtype, np.integer)):
        raise ExternalSamplesError(f"{path}: dtype {x.dtype}; expected an integer or boolean array of 0 and 1 "
                                   "(store a spin s = ±1 as (s + 1) / 2)")
    bad = (x != 0) & (x != 1)
    if bad.any():
        k, i, j = (int(v) for v in np.argwhere(bad)[0])
        raise ExternalSamplesError(f"{path}: values must be 0 or 1, found {x[k, i, j].item()!r} at configuration {k}, site "
                                   f"({i}, {j}) ({int(bad.sum())} such sites; store a spin s = ±1 as (s + 1) / 2)")
    return x.astype(np.uint8)


def spins_of_bits(x: np.ndarray) -> np.ndarray:
    """Spins ``s = 2x − 1`` (``int8``, ±1) of 0/1 configurations: the stored Ising encoding."""
    return (2 * np.asarray(x, dtype=np.int8) - 1).astype(np.int8)


def bits_of_spins(s: np.ndarray) -> np.ndarray:
    """Bits ``x = (s + 1) / 2`` (``uint8``) of ±1 spins: the external format of stored Ising samples."""
    s = np.asarray(s)
    if not ((s == -1) | (s == 1)).all():
        raise ValueError("spins must be -1 or +1")
    return ((s.astype(np.int16) + 1) // 2).astype(np.uint8)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (recorded with the imported samples, so their origin is on record)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
