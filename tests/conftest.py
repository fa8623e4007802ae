import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

# Compiles numba kernels into the on-disk cache the test workers then read: the warm-up groups of
# rsmi.warmup (disjoint kernels) plus one plain twin each, split in two balanced halves.
_WARM = r"""
import sys
from rsmi.warmup import warm_up
for _ in warm_up(sys.argv[2:]):
    pass
if sys.argv[1] == "ising":
    from rsmi.ising_reference import sample_ising_reference
    sample_ising_reference(4, 2.5, 2, seed=0, burn_in=1, gap=1)
else:
    from rsmi.dimers_reference import sample_dimers
    sample_dimers(4, 2, seed=0, burn_in=1, gap=1)
"""
_WARM_HALVES = (["dimers", "rbm"], ["ising", "samplers", "network"])


def pytest_configure(config):
    """Before xdist starts its workers, compile the kernels in two parallel processes.

    Otherwise every worker compiles the kernels its first tests call, the same kernel often in
    both workers at once (numba's cache files are replaced atomically, so this is only slow).
    Only the xdist controller of a run with 2 or more workers does this; a failure here is
    reported and left to the tests themselves to show."""
    if hasattr(config, "workerinput") or (getattr(config.option, "numprocesses", None) or 0) < 2:
        return
    import rsmi

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(rsmi.__file__).parents[1]),
                                                       os.environ.get("PYTHONPATH", "")]))
    procs = [subprocess.Popen([sys.executable, "-c", _WARM, *half], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for half in _WARM_HALVES]
    for half, proc in zip(_WARM_HALVES, procs):
        _, err = proc.communicate()
        if proc.returncode:
            sys.stderr.write(f"numba warm-up {half} failed (exit {proc.returncode}):\n{err[-2000:]}\n")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture
def default_config() -> dict:
    with open(REPO / "config.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def run_snakemake(args, cwd, timeout=600, env=None):
    """Run Snakemake on the repository's workflow in `cwd`; return the CompletedProcess."""
    exe = shutil.which("snakemake")
    cmd = ([exe] if exe else [sys.executable, "-m", "snakemake"]) + ["-s", str(REPO / "Snakefile"), "-d", str(cwd)] + list(args)
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
