"""Cluster readiness without a cluster: every rule's memory and time grow with the attempt, the
SLURM profile groups the short jobs and sizes the groups for how the plugin runs them, and it
sets no software deployment that the cluster test cannot exercise (tests/cluster runs it)."""

import re

import pytest
import yaml

from conftest import REPO, run_snakemake

RULES = sorted((REPO / "workflow" / "rules").glob("*.smk"))
SLURM_PROFILE = REPO / "profiles" / "slurm" / "config.yaml"
SMALL = REPO / "tests" / "config" / "small.yaml"


def _rule_blocks():
    for path in RULES:
        for m in re.finditer(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", path.read_text(), flags=re.M):
            yield m.group(1), m.group(2)


def _resources(body):
    m = re.search(r"^    resources:\n((?:        .*\n)+)", body, flags=re.M)
    assert m, "no resources"
    return dict(re.findall(r"^        (\w+)=(.*),$", m.group(1), flags=re.M))


def _groups():
    """{rule: its group} of every rule with a `group:` directive."""
    out = {}
    for rule, body in _rule_blocks():
        m = re.search(r'^    group: "(\w+)"$', body, flags=re.M)
        if m:
            out[rule] = m.group(1)
    return out


def _local_rules():
    names = set()
    for path in RULES:
        for m in re.finditer(r"^localrules:\n((?:    \w+,\n)+)", path.read_text(), flags=re.M):
            names |= set(re.findall(r"(\w+),", m.group(1)))
    return names


def test_every_rule_asks_for_memory_and_time_that_grow_with_the_attempt():
    blocks = dict(_rule_blocks())
    assert len(blocks) >= 20
    for rule, body in blocks.items():
        res = _resources(body)
        # attempt_scaled(base) = base * attempt (workflow/rules/common.smk); a fixed number here
        # would ask SLURM for the same memory after an OUT_OF_MEMORY kill.
        for name in ("mem_mb", "runtime"):
            assert re.fullmatch(r"attempt_scaled\(\d+\)", res.get(name, "")), (rule, name, res)
        # A laptop with --cores 8 runs every rule on its first attempt: peaks below 4 GB.
        assert int(re.search(r"\d+", res["mem_mb"]).group()) < 4000, rule


def test_attempt_scaled_is_defined_once_and_multiplies_by_the_attempt():
    defs = [p for p in RULES if "def attempt_scaled(" in p.read_text()]
    assert [p.name for p in defs] == ["common.smk"]
    text = defs[0].read_text()
    src = re.search(r"^def attempt_scaled\(base\):\n(?:    .*\n|\n)+?(?=\S)", text, flags=re.M).group(0)
    namespace = {}
    exec(src, namespace)
    grows = namespace["attempt_scaled"](3000)
    assert [grows({}, attempt) for attempt in (1, 2, 3)] == [3000, 6000, 9000]
    # No rule writes its own attempt arithmetic: the one helper is the rule.
    for path in RULES:
        assert "lambda wc, attempt" not in path.read_text(), path.name


def test_the_slurm_profile_groups_every_group_of_the_workflow():
    profile = yaml.safe_load(SLURM_PROFILE.read_text())
    groups = _groups()
    components = dict(item.split("=") for item in profile["group-components"])
    assert set(components) == set(groups.values())
    assert all(int(n) >= 2 for n in components.values())
    # Short jobs are grouped, and nothing that runs on the submitting host is.
    assert {"train_rsmi", "evaluate_run", "train_theta", "sample", "baselines"} <= set(groups)
    assert groups["train_rsmi"] == groups["evaluate_run"]
    assert not set(groups) & _local_rules()
    # Sized for serial execution: one group_slot per job, one per submission (scope local,
    # so it does not limit how many submissions run at once).
    assert profile["default-resources"]["group_slot"] == 1
    assert profile["resources"] == ["group_slot=1"]
    assert profile["set-resource-scopes"] == ["group_slot=local"]


def test_the_slurm_profile_retries_with_more_and_deploys_no_conda():
    profile = yaml.safe_load(SLURM_PROFILE.read_text())
    assert profile["retries"] >= 1
    for name in ("mem_mb", "runtime"):
        assert "attempt" in str(profile["default-resources"][name])
    # conda cannot be tested here (no conda, no conda-forge channel): not in the default profile
    # (docs/cluster.md, "Conda"); the cluster test runs the profile as shipped.
    assert "software-deployment-method" not in profile and "use-conda" not in profile
    assert "software-deployment-method: conda" in (REPO / "docs" / "cluster.md").read_text()


def _dry_run_resources(tmp_path, attempt):
    """{(rule, wildcards): (mem_mb, runtime)} of every job of the small config's dry run."""
    res = run_snakemake(["-n", "--cores", "2", "--workflow-profile", "none",
                         "--attempt", str(attempt), "--configfile", str(SMALL)],
                        cwd=tmp_path, timeout=300)
    out, jobs, current = res.stdout + res.stderr, {}, None
    for line in out.splitlines():
        m = re.match(r"^(?:local)?rule (\w+):$", line.strip())
        if m:
            current = [m.group(1), ""]
        elif current and line.strip().startswith("wildcards:"):
            current[1] = line.strip()
        elif current and line.strip().startswith("resources:"):
            values = dict(re.findall(r"\b(mem_mb|runtime)=(\d+)", line))
            if current[0] != "all":  # the target rule runs nothing
                jobs[tuple(current)] = (int(values["mem_mb"]), int(values["runtime"]))
            current = None
    return jobs


@pytest.mark.slow
def test_a_retry_asks_for_twice_and_three_times_the_memory_and_time(tmp_path):
    """What Snakemake itself evaluates for every job of the small config on attempts 1 and 3."""
    first = _dry_run_resources(tmp_path, 1)
    third = _dry_run_resources(tmp_path, 3)
    rules = {rule for rule, _ in first}
    assert {"train_rsmi", "evaluate_run", "sample", "train_theta", "check"} <= rules
    assert len(first) > 50 and set(third) == set(first)
    for job, (mem, runtime) in first.items():
        assert third[job] == (3 * mem, 3 * runtime), job
        assert mem < 4000, job
