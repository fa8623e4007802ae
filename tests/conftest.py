import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


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
