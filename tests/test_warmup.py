"""The numba warm-up (rsmi.warmup) compiles every kernel the workflow calls."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
WORKFLOW = SRC.parent / "workflow"

# Run in a fresh interpreter: kernels compiled by other tests in this process would hide a
# missing warm-up step. Prints, per numba dispatcher defined in an rsmi module, its number of
# compiled signatures and the dispatchers its Python source calls (global names it resolves).
_PROBE = r"""
import importlib, json, pkgutil
from numba.core.registry import CPUDispatcher
import rsmi
from rsmi.warmup import warm_up

import sys
for _ in warm_up(sys.argv[1:] or None):
    pass
out = {}
for info in pkgutil.walk_packages(rsmi.__path__, "rsmi."):
    mod = importlib.import_module(info.name)
    for name, obj in vars(mod).items():
        if isinstance(obj, CPUDispatcher) and obj.__module__ == mod.__name__:
            g = obj.py_func.__globals__
            calls = [f"{g[n].__module__}.{g[n].__name__}" for n in obj.py_func.__code__.co_names
                     if isinstance(g.get(n), CPUDispatcher)]
            out[f"{mod.__name__}.{name}"] = dict(signatures=len(obj.signatures), calls=calls)
print(json.dumps(out))
"""


def _probe(*groups, cache_dir=None) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    proc = subprocess.run([sys.executable, "-c", _PROBE, *groups], capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # compiles every kernel afresh (~6 s); CI runs it
def test_warm_up_compiles_every_workflow_kernel():
    """After warm_up() every @njit dispatcher of the library is compiled, or reached from one.

    Decisions:
    * A kernel only called from other kernels counts as compiled when a compiled kernel calls
      it (transitively). When the caller is loaded from numba's on-disk cache its machine code
      already contains the callee, and numba never loads the callee's own dispatcher, so its
      ``signatures`` stay empty; ``inline="always"`` helpers never have a signature at all.
    * ``rsmi.sampling.ising_reference`` / ``rsmi.sampling.dimers_reference`` are the plain twins only the tests
      call; the warm-up leaves them out, and nothing in the library or the workflow imports them.
    """
    kernels = _probe()

    checked = {k: v for k, v in kernels.items() if not k.rsplit(".", 1)[0].endswith("_reference")}
    covered = {k for k, v in checked.items() if v["signatures"] > 0}
    frontier = list(covered)
    while frontier:
        for callee in kernels[frontier.pop()]["calls"]:
            if callee not in covered:
                covered.add(callee)
                frontier.append(callee)
    missing = sorted(set(checked) - covered)
    assert not missing, f"warm_up() leaves these numba kernels uncompiled: {missing}"
    # The walk really finds the kernels (the check above is not vacuous).
    for name in ("rsmi.sampling.ising._wolff_chain", "rsmi.sampling.dimers._sample_chunk", "rsmi.theta.kernels.cd_epoch",
                 "rsmi.theta.kernels.gibbs_chain", "rsmi.theta.kernels.ais_kernel",
                 "rsmi.coarse.kernels.g_matrix_kernel", "rsmi.coarse.kernels.heat_bath_kernel",
                 "rsmi.utils.xoshiro.next_u64"):
        assert name in checked


def test_reference_twins_are_not_used_by_the_workflow():
    """The warm-up may skip the *_reference modules only because nothing but the tests uses them."""
    pattern = re.compile(r"^\s*(from\s+rsmi(\.\w+)*\s+import\s+[^\n]*_reference|(from|import)\s+rsmi(\.\w+)*_reference)", re.M)
    files = [p for p in SRC.joinpath("rsmi").rglob("*.py") if not p.stem.endswith("_reference")]
    files += list(WORKFLOW.rglob("*.py")) + list(WORKFLOW.rglob("*.smk")) + [SRC.parent / "Snakefile"]
    users = [str(p) for p in files if pattern.search(p.read_text(encoding="utf-8"))]
    assert not users


@pytest.mark.slow  # three cold compilations (~45 s); CI runs it
def test_warm_up_groups_compile_disjoint_kernels(tmp_path):
    """The workflow's warm-up jobs run the groups in parallel: no kernel may be compiled by two
    groups (each group from an empty cache)."""
    from rsmi.warmup import GROUPS

    compiled = {}
    for group in GROUPS:
        kernels = _probe(group, cache_dir=tmp_path / group)
        compiled[group] = {k for k, v in kernels.items() if v["signatures"] > 0}
        assert compiled[group], group
    groups = list(GROUPS)
    for i, a in enumerate(groups):
        for b in groups[i + 1:]:
            assert not compiled[a] & compiled[b], (a, b, sorted(compiled[a] & compiled[b]))


def test_unknown_warm_up_group_is_refused():
    from rsmi.warmup import warm_up

    with pytest.raises(ValueError, match="unknown warm-up group"):
        list(warm_up(["samplers", "gpu"]))
