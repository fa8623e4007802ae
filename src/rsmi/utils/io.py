"""Atomic, validated ``.npz`` input/output.

Every array file the workflow writes goes through :func:`save_npz`, which writes to a
temporary file in the destination directory and renames it into place, so a killed job never
leaves a half-written file under the final name. :func:`load_npz` reads with
``allow_pickle=False`` and turns every way a file can be broken (missing, truncated, not a
zip, missing keys) into one :class:`CorruptFileError` that names the file and the problem.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

__all__ = ["CorruptFileError", "save_npz", "load_npz", "atomic_write_text", "META_KEY", "REMAKE_HINT"]

#: Key under which a JSON document of parameters (model, sizes, seed, ...) is stored.
META_KEY = "meta_json"


#: How to remake a damaged result file of the workflow (every file a verdict depends on is a
#: target of `rule all` and an input of the tables, so a deleted one is remade, and what was made
#: from it is redone).
REMAKE_HINT = ("to remake it, delete it and run the same snakemake command again (a missing result is remade, "
               "and everything made from it)")


class CorruptFileError(RuntimeError):
    """A result file is missing, unreadable, truncated or lacks required arrays.

    The message names the file and what is wrong; ``str()`` adds how to remake it
    (:data:`REMAKE_HINT`)."""

    def __str__(self) -> str:
        return f"{super().__str__()}; {REMAKE_HINT}"


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


@contextlib.contextmanager
def _atomic(path: Path, mode: str):
    """Open a temporary file next to ``path``; on success fsync it and rename it to ``path``,
    on any error remove it (the final name only ever holds a complete file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as fh:
            yield fh
            fh.flush()
            # mkstemp creates 0600; give the file the permissions open() would have.
            os.fchmod(fh.fileno(), 0o666 & ~_UMASK)
            os.fsync(fh.fileno())
        _fsync_replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _fsync_replace(tmp: str, path: Path) -> None:
    os.replace(tmp, path)
    # Persist the rename itself, so a crash right after cannot resurrect the old name.
    try:
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_npz(path: str | os.PathLike, meta: Mapping[str, Any] | None = None, **arrays: np.ndarray) -> None:
    """Write ``arrays`` (and ``meta`` as JSON) to ``path`` atomically and reproducibly.

    The archive is an ordinary ``.npz`` (``np.load`` reads it), written with fixed zip
    timestamps and sorted member names, so the same arrays and metadata give the same bytes
    (``np.savez`` stamps members with the current time).
    """
    path = Path(path)
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    if META_KEY in payload:
        raise ValueError(f"array name {META_KEY!r} is reserved for metadata")
    for k, v in payload.items():
        if v.dtype == object:
            raise TypeError(f"array {k!r} has dtype object; it could only be read back with pickle")
    if meta is not None:
        payload[META_KEY] = np.array(json.dumps(dict(meta), sort_keys=True, default=_json_default))
    with _atomic(path, "wb") as fh:
        _write_npz(fh, payload)


def _write_npz(fh, payload: Mapping[str, np.ndarray]) -> None:
    with zipfile.ZipFile(fh, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key in sorted(payload):
            info = zipfile.ZipInfo(key + ".npy", date_time=_ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, payload[key], allow_pickle=False)


_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot store {type(obj).__name__} in metadata")


def load_npz(path: str | os.PathLike, required: Iterable[str] = ()) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read an ``.npz`` written by :func:`save_npz`; return ``(arrays, meta)``.

    Raises :class:`CorruptFileError` naming ``path`` if the file is missing, not a valid
    archive, has a damaged member, or lacks one of ``required``.
    """
    path = Path(path)
    if not path.is_file():
        raise CorruptFileError(f"{path}: file does not exist")
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
    except OSError as exc:
        raise CorruptFileError(f"{path}: not a readable .npz archive ({type(exc).__name__}: {exc})") from exc
    if head.startswith(b"\x93NUMPY"):
        raise CorruptFileError(f"{path}: not a readable .npz archive (it is a single .npy array)")
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        # np.load would take it for a pickle and advise allow_pickle=True: never right here
        raise CorruptFileError(f"{path}: not a readable .npz archive (not a zip file: it starts with {head[:4]!r})")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, KeyError) as exc:
        raise CorruptFileError(f"{path}: not a readable .npz archive ({type(exc).__name__}: {exc})") from exc
    meta: dict[str, Any] = {}
    if META_KEY in arrays:
        try:
            meta = json.loads(str(arrays.pop(META_KEY).item()))
        except (json.JSONDecodeError, ValueError) as exc:
            raise CorruptFileError(f"{path}: metadata is not valid JSON ({exc})") from exc
    missing = [k for k in required if k not in arrays]
    if missing:
        raise CorruptFileError(f"{path}: missing array(s) {', '.join(missing)}; has {', '.join(sorted(arrays)) or 'none'}")
    return arrays, meta


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    with _atomic(Path(path), "w") as fh:
        fh.write(text)
