"""The package's layering as a test: a stage imports only its own and lower stages.

The stages, lowest first (``rsmi/<stage>/``):

    utils, registry < sampling < windows < theta < coarse < judge < rg < figures < config, warmup

``utils`` (file I/O, seeds, numerics, input checks, the generator) and ``registry`` (which run
feeds which figure, plain data) import no stage. ``config`` and ``warmup`` sit on top and may
import any stage. Every import counts, at module level or inside a function, absolute or
relative, and so does a string passed to ``importlib.import_module``. A module may not import
another module's private (``_``-prefixed) submodule from a different stage either.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "src" / "rsmi"

#: Rank of each top-level name inside ``rsmi``; a module may import names of its own rank or lower.
LAYERS = {
    "utils": 0, "registry": 0,
    "sampling": 1,
    "windows": 2,
    "theta": 3,
    "coarse": 4,
    "judge": 5,
    "rg": 6,
    "figures": 7,
    "config": 8, "warmup": 8,
    "__init__": 9,  # the lazy public exports name every stage
}


def _module_name(path: Path, package: Path) -> str:
    """Dotted name of ``path`` inside ``package`` (a folder named rsmi)."""
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _stage(module: str) -> str:
    """``rsmi.coarse.network`` -> ``coarse``; ``rsmi`` (the package's __init__) -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every rsmi import in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # "from rsmi.judge import metrics" imports the submodule rsmi.judge.metrics
            found += [(node.lineno, f"{target}.{a.name}") for a in node.names]
            found.append((node.lineno, target))
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return [(line, name) for line, name in found if name == "rsmi" or name.startswith("rsmi.")]


def upward_imports(package: Path = PACKAGE) -> list[str]:
    """Every import in ``package`` that goes from a stage to a higher one, as 'file:line: a -> b'."""
    bad = []
    for path in sorted(package.rglob("*.py")):
        module = _module_name(path, package)
        own = _stage(module)
        assert own in LAYERS, f"{path}: stage {own!r} has no rank in LAYERS"
        for line, target in _imports(path, module, path.name == "__init__.py"):
            parts = target.split(".")
            if len(parts) < 2 or parts[1] not in LAYERS:
                continue  # "import rsmi", or a public name of the package (from rsmi import load_npz)
            where = f"{path.relative_to(package.parent)}:{line}: {module} -> {target}"
            if LAYERS[parts[1]] > LAYERS[own]:
                bad.append(where)
            elif parts[1] != own and any(p.startswith("_") for p in parts[2:]):
                bad.append(where + " (private module of another stage)")
    return bad


def test_every_stage_has_a_rank():
    stages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    stages |= {p.stem for p in PACKAGE.glob("*.py")}
    assert stages <= set(LAYERS), stages - set(LAYERS)


def test_no_stage_imports_a_higher_one():
    assert upward_imports() == []


def test_the_check_catches_an_upward_import(tmp_path):
    """A copy of the package with one deliberate upward import (sampling -> judge) fails it."""
    import shutil

    copy = tmp_path / "rsmi"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert upward_imports(copy) == []
    target = copy / "sampling" / "ising.py"
    target.write_text(target.read_text() + "\n\ndef _late():\n    from rsmi.judge import tables\n")
    bad = upward_imports(copy)
    assert bad and all("rsmi.sampling.ising -> rsmi.judge" in b for b in bad), bad


@pytest.mark.parametrize("stage", sorted(s for s in LAYERS if (PACKAGE / s / "__init__.py").is_file()))
def test_each_stage_imports_alone(stage):
    """Each stage imports in a fresh interpreter (no hidden cycle through a higher stage)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", f"import rsmi.{stage}, pkgutil, importlib; "
                           f"[importlib.import_module(m.name) for m in pkgutil.walk_packages(rsmi.{stage}.__path__, 'rsmi.{stage}.')]"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
