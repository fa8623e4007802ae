"""Set-up shared by the glue scripts: logging to the rule's log, thread counts, numba cache.

Call :func:`setup` before importing numpy, numba or rsmi: thread counts and the numba cache
directory are read from the environment when those libraries load.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path


def setup(smk) -> logging.Logger:
    threads = str(max(1, int(smk.threads)))
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads
    # Shared cache, warmed by the numba_warmup rule; numba replaces cache files atomically.
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path("results/.cache/numba").resolve()))
    # The library of this checkout, whether or not it is pip-installed.
    src = Path(smk.scriptdir).resolve().parents[1] / "src"
    sys.path.insert(0, str(src))
    if smk.log:
        Path(smk.log[0]).parent.mkdir(parents=True, exist_ok=True)
        sys.stderr = open(smk.log[0], "w", buffering=1, encoding="utf-8")
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    # matplotlib's PDF backend logs every font subsetting step at INFO.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    log = logging.getLogger(f"workflow.{smk.rule}")
    log.info("rule %s, wildcards %s, threads %s", smk.rule, dict(smk.wildcards), threads)
    return log
