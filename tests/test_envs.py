"""Per-rule conda envs: every rule names one, each parses, pins match pyproject.toml, and each
env holds every third-party package its rules' scripts import (directly or through rsmi)."""

import ast
import functools
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import REPO

RULES = sorted((REPO / "workflow" / "rules").glob("*.smk"))
# import name -> (conda-forge package, PyPI package in pyproject.toml)
PACKAGES = {
    "numpy": ("numpy", "numpy"),
    "numba": ("numba", "numba"),
    "scipy": ("scipy", "scipy"),
    "pandas": ("pandas", "pandas"),
    "matplotlib": ("matplotlib-base", "matplotlib"),
    "yaml": ("pyyaml", "pyyaml"),
}


def _rule_blocks():
    for path in RULES:
        text = path.read_text()
        for m in re.finditer(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", text, flags=re.M):
            yield path, m.group(1), m.group(2)


def _field(body, name):
    m = re.search(rf"^\s+{name}:\n\s+\"([^\"]+)\"", body, flags=re.M)
    return m.group(1) if m else None


def _pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = {}
    for dep in project["dependencies"]:
        name, version = dep.split("==")
        pins[name.lower()] = version
    return pins


def _split(dep):
    """'numpy=2.4.6' -> ('numpy', '2.4.6'); 'python>=3.11' -> ('python', '>=3.11')."""
    name, rest = re.match(r"^([A-Za-z0-9_.-]+)(.*)$", dep).groups()
    return name, rest[1:] if rest.startswith("=") and not rest.startswith("==") else rest


def _env(rel_from_rules):
    path = (REPO / "workflow" / "rules" / rel_from_rules).resolve()
    doc = yaml.safe_load(path.read_text())
    return path, doc, dict(_split(d) for d in doc["dependencies"])


@functools.lru_cache(maxsize=None)
def _parse(path: Path) -> ast.Module:
    # every script's walk re-reads the same rsmi modules: parse each file once per session
    return ast.parse(path.read_text())


def _imports(path: Path, seen: set) -> set[str]:
    """Top-level third-party modules imported by a script or rsmi module, following rsmi."""
    if path in seen:
        return set()
    seen.add(path)
    tree = _parse(path)
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            top = name.split(".")[0]
            if top == "rsmi":
                mod = REPO / "src" / Path(*name.split(".")[:2])
                for cand in (mod.with_suffix(".py"), mod / "__init__.py"):
                    if cand.is_file():
                        found |= _imports(cand, seen)
                found |= _imports(REPO / "src" / "rsmi" / "__init__.py", seen)
            elif top.startswith("_"):
                helper = path.parent / f"{top}.py"
                if helper.is_file():
                    found |= _imports(helper, seen)
            elif top not in sys.stdlib_module_names and top != "snakemake":
                found.add(top)
    return found


def test_every_rule_names_an_existing_env_with_log_and_benchmark():
    blocks = list(_rule_blocks())
    assert len(blocks) >= 15
    for path, rule, body in blocks:
        if rule == "all":
            continue
        env = _field(body, "conda")
        assert env, f"{path.name}: rule {rule} has no conda env"
        assert (REPO / "workflow" / "rules" / env).resolve().is_file(), (rule, env)
        assert re.search(r"^\s+log:", body, flags=re.M), f"rule {rule} has no log"
        assert re.search(r"^\s+benchmark:", body, flags=re.M), f"rule {rule} has no benchmark"
        assert re.search(r"^\s+resources:\n\s+mem_mb=", body, flags=re.M), f"rule {rule} has no mem_mb"


@pytest.mark.parametrize("env", sorted((REPO / "envs").glob("*.yaml")), ids=lambda p: p.name)
def test_env_files_parse_and_pin_the_project_versions(env):
    doc = yaml.safe_load(env.read_text())
    assert doc["channels"][0] == "conda-forge"
    pins = _pins()
    deps = dict(_split(d) for d in doc["dependencies"])
    assert deps["python"].startswith(">=3.11")
    for conda_name, version in deps.items():
        if conda_name == "python":
            continue
        pypi = {c: p for c, p in PACKAGES.values()}[conda_name]
        assert version == pins[pypi], f"{env.name}: {conda_name}={version}, pyproject pins {pins[pypi]}"


def test_each_env_holds_what_its_scripts_import():
    checked = 0
    for path, rule, body in _rule_blocks():
        script, env = _field(body, "script"), _field(body, "conda")
        if not script:
            continue
        script_path = (REPO / "workflow" / "rules" / script).resolve()
        _, _, deps = _env(env)
        needed = _imports(script_path, set())
        unknown = needed - set(PACKAGES)
        assert not unknown, f"rule {rule}: imports {unknown} that no env maps"
        missing = [PACKAGES[m][0] for m in needed if PACKAGES[m][0] not in deps]
        assert not missing, f"rule {rule} ({env}) lacks {missing}"
        checked += 1
    assert checked >= 15
