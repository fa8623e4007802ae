"""The repository keeps its promises: the README's test command is what CI runs, the public
API resolves, and no machine-specific path leaks into tracked files."""

import re
import subprocess

import rsmi
from conftest import REPO


def _readme_commands():
    text = (REPO / "README.md").read_text()
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", text, flags=re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_quick_start_has_two_commands_and_ci_runs_the_test_one_verbatim():
    main, test = _readme_commands()
    assert "snakemake --cores 8" in main
    assert "pytest" in test
    ci = (REPO / ".ci" / "run").read_text()
    assert test in ci.splitlines()


def test_public_api_resolves():
    for name in rsmi.__all__:
        assert getattr(rsmi, name) is not None


# Built from pieces so that this file does not match itself.
MACHINE_PATH = re.compile("|".join(["/" + "work/", "/" + "root/", "/" + r"home/\w+"]))


def test_no_machine_paths_in_tracked_files():
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    offenders = []
    for f in files:
        path = REPO / f
        if not path.is_file() or path.suffix in {".png", ".pdf", ".npz"}:
            continue
        text = path.read_text(errors="ignore")
        if MACHINE_PATH.search(text):
            offenders.append(f)
    assert not offenders, offenders
