"""The figures' style and their files: the one style file ``rsmi.mplstyle`` shipped with the
package, new figures on the Agg canvas (no ``pyplot``), and atomic, reproducible writing.

:func:`savefig` writes one ``.pdf`` or ``.png`` through a temporary file and a rename, with the
time-dependent metadata removed, so that the same figure gives the same bytes;
:func:`savefig_pair` writes the PNG and then the PDF with the layout the PNG's draw computed.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["STYLE_NAME", "style_path", "style_context", "new_figure", "savefig", "savefig_both", "savefig_pair"]

STYLE_NAME = "rsmi.mplstyle"


def style_path() -> Path:
    """Path of the package's style file (inside the installed package)."""
    return Path(str(importlib.resources.files("rsmi") / STYLE_NAME))


@contextlib.contextmanager
def style_context() -> Iterator[None]:
    """Apply the project style for the duration of a ``with`` block."""
    with importlib.resources.as_file(importlib.resources.files("rsmi") / STYLE_NAME) as p:
        with matplotlib.style.context(str(p)):
            yield


def new_figure(width: float, height: float) -> Figure:
    """A Figure on the Agg canvas with constrained layout (call inside :func:`style_context`)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


_PDF_META = {"Creator": "rsmi", "Producer": "rsmi (matplotlib pdf backend)", "CreationDate": None, "ModDate": None}
_PNG_META = {"Software": None}


def _atomic_savefig(fig: Figure, path: Path, fmt: str, metadata: Mapping[str, Any], **kwargs) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format=fmt, metadata=dict(metadata), **kwargs)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; figures are ordinary readable outputs
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


_FORMATS = {".pdf": ("pdf", _PDF_META), ".png": ("png", _PNG_META)}


def savefig(fig: Figure, path: str | os.PathLike, *, dpi: float | None = None) -> Path:
    """Write one file (``.pdf`` or ``.png``, from the suffix) atomically and reproducibly.

    ``dpi``: raster resolution (None: the style's ``savefig.dpi``, 300)."""
    path = Path(path)
    if path.suffix.lower() not in _FORMATS:
        raise ValueError(f"path must end in .pdf or .png, got {path.name!r}")
    if dpi is not None and not (isinstance(dpi, (int, float)) and not isinstance(dpi, bool) and dpi > 0):
        raise ValueError(f"dpi must be a positive number or None, got {dpi!r}")
    fmt, meta = _FORMATS[path.suffix.lower()]
    path.parent.mkdir(parents=True, exist_ok=True)
    with style_context():
        _atomic_savefig(fig, path, fmt, meta, **({} if dpi is None else {"dpi": dpi}))
    return path


def savefig_both(fig: Figure, stem: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``stem.pdf`` and ``stem.png`` atomically and reproducibly; return both paths.

    ``stem`` is the path without suffix (dots in it are kept: ``a/fig~2.1`` → ``a/fig~2.1.pdf``).
    PDFs carry no creation/modification date, PNGs no software tag, so output bytes depend
    only on the figure (and the matplotlib version).
    """
    stem = Path(stem)
    return savefig_pair(fig, stem.with_name(stem.name + ".pdf"), stem.with_name(stem.name + ".png"))


def savefig_pair(fig: Figure, pdf: str | os.PathLike, png: str | os.PathLike) -> tuple[Path, Path]:
    """Write the PNG, then the PDF with the layout the PNG's draw computed (``pdf``, ``png``: paths).

    Constrained layout runs on every draw and is ~40 % of a figure's save time (Fig. 6: 44
    axes); after the first draw the positions are kept (the figure's layout engine is set to
    "none"), so the PDF has the PNG's layout and skips that pass. Redrawing the PNG afterwards
    gives the same bytes (the positions are exactly those of the first draw)."""
    png_path = savefig(fig, png)
    fig.set_layout_engine("none")
    return savefig(fig, pdf), png_path
