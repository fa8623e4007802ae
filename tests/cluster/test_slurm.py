"""The workflow on a real single-node SLURM cluster on localhost.

Brings up slurmctld + slurmd from Debian's packages (see slurm_cluster.py),
runs Snakemake through profiles/slurm as shipped (with the local overrides
listed in slurm_cluster.LOCAL_OVERRIDES), and checks that

* every non-local job ran, once, inside a completed SLURM job (job ids in
  Snakemake's log, the same ids in ``squeue``/``scontrol`` with this run's name,
  one SLURM log per SLURM job naming the jobs it ran);
* the profile's job groups bundle the short jobs: far fewer SLURM jobs than
  jobs, each group's time limit the sum of its jobs' runtimes and its memory
  their maximum (the plugin runs a group's jobs one after another), a grid
  point's training and evaluation in one SLURM job;
* a failed job is resubmitted with more time (a single job) or more time and
  memory (a group), as the rules' ``base * attempt`` resources say;
* the outputs are byte-identical to a local run of the same config;
* the daemons are gone and ports 6817/6818 free afterwards.

Skips (with the reason) where a cluster cannot be brought up: not Linux, not
root, no apt-get or packages not installable, SLURM ports taken. Set
RSMI_CLUSTER_TEST=require to turn those skips into failures (CI does).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import slurm_cluster as sc  # noqa: E402

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
TOY = Path(__file__).resolve().parent / "toy" / "Snakefile"
SMALL_CONFIG = REPO / "tests" / "config" / "small.yaml"
# Hard limits (seconds) for one Snakemake run; `timeout -k` kills it after.
TOY_TIMEOUT = 600
SMALL_TIMEOUT = 1800
# Run-specific byproducts that legitimately differ between two runs: Snakemake's
# state, rule logs and timings, and caches (numba's on-disk cache records
# source-file timestamps). Directories of these names at any depth are skipped.
NOT_COMPARED_DIRS = {".snakemake", "logs", "benchmarks", ".cache"}


def _cannot_run(reason: str):
    if os.environ.get("RSMI_CLUSTER_TEST") == "require":
        pytest.fail(f"cluster test required but cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def cluster():
    """One local cluster for the module; torn down (and checked) at the end."""
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        _cannot_run("snakemake-executor-plugin-slurm is not installed "
                    "(pip install -e '.[cluster]')")
    reason = sc.unavailable_reason()
    if reason:
        _cannot_run(reason)
    try:
        seconds = sc.install_packages()
    except sc.ClusterUnavailable as e:
        _cannot_run(str(e))
    if seconds:
        print(f"\nSLURM packages installed in {seconds:.1f} s")
    try:
        ctx = sc.local_slurm_cluster(install=False)
        c = ctx.__enter__()
    except sc.ClusterUnavailable as e:
        _cannot_run(str(e))
    print(f"\nSLURM node {c.node_name} idle after {c.bringup_seconds:.1f} s "
          f"({c.cpus} CPUs, {c.real_memory_mb} MB)")
    try:
        yield c
    finally:
        ctx.__exit__(None, None, None)  # raises ClusterError if tear-down failed
        # The daemons are gone and their ports are free again.
        assert not any(sc._pid_is(p, n) for p, n in
                       ((c.slurmctld_pid, "slurmctld"), (c.slurmd_pid, "slurmd")))
        assert not ({sc.CTLD_PORT, sc.SLURMD_PORT} & sc.listening_ports())


def run_snakemake(args: list[str], timeout: int, log: Path) -> float:
    """Run Snakemake under `timeout -k`, its output to log; return wall seconds.

    Fails the test with the log's tail if Snakemake fails or times out.
    """
    cmd = ["timeout", "-k", "30", str(timeout), sys.executable, "-m", "snakemake", *args]
    t0 = time.monotonic()
    with open(log, "w") as out:
        p = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - t0
    if p.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-60:])
        what = "timed out" if p.returncode in (124, 137) else f"exited {p.returncode}"
        pytest.fail(f"snakemake {what} after {seconds:.0f} s:\n{tail}")
    return seconds


def scontrol_job(jobid: str) -> dict[str, str]:
    """`scontrol show job -o` as a dict of its key=value fields."""
    p = subprocess.run(["scontrol", "show", "job", "-o", jobid],
                       capture_output=True, text=True, timeout=30, check=True)
    # Values may contain spaces (Command=...), keys never do.
    fields = re.findall(r"(\w[\w/:]*)=(.*?)(?=\s+\w[\w/:]*=|\s*$)", p.stdout.strip())
    return dict(fields)


SUBMITTED = re.compile(
    r"Job ([\w-]+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.")
# A job's header in Snakemake's log: "rule NAME:" (indented inside a group job's listing),
# "localrule NAME:" for a job run by the submitting Snakemake itself or inside a job step.
JOB_HEADER = re.compile(r"^(\s*)(local)?rule (\w+):$")


def job_blocks(text: str) -> list[dict]:
    """Every job header of a Snakemake log with its wildcards and resources.

    Returns dicts with rule, local (a "localrule" header), indent, wildcards (the line's text,
    "" without wildcards) and resources ({name: value} of the integer ones). Only announcements
    of a job that starts count: they list its resources (an error report names the rule too).
    """
    blocks, current = [], None
    for line in text.splitlines():
        m = JOB_HEADER.match(line)
        if m:
            current = dict(rule=m.group(3), local=bool(m.group(2)), indent=len(m.group(1)),
                           wildcards="", resources={})
            blocks.append(current)
        elif current is not None and line.strip().startswith("wildcards:"):
            current["wildcards"] = line.split("wildcards:", 1)[1].strip()
        elif current is not None and line.strip().startswith("resources:"):
            for item in line.split("resources:", 1)[1].split(","):
                name, _, value = item.strip().partition("=")
                if value.isdigit():
                    current["resources"][name] = int(value)
        elif not line.strip():
            current = None
    return [b for b in blocks if b["resources"]]


def slurm_minutes(limit: str) -> int:
    """scontrol's TimeLimit ([D-]HH:MM:SS) in minutes."""
    days, _, hms = limit.rpartition("-")
    h, m, s = map(int, hms.split(":"))
    assert s == 0, limit
    return (int(days) if days else 0) * 1440 + h * 60 + m


def memory_mb(value: str) -> int:
    """scontrol's MinMemoryNode (e.g. 3000M, 2G) in MB."""
    m = re.fullmatch(r"(\d+)([MG])", value)
    assert m, value
    return int(m.group(1)) * (1024 if m.group(2) == "G" else 1)


def check_ran_as_slurm_jobs(log_text: str, workdir: Path) -> dict[str, list[dict]]:
    """Assert every non-local job of the run ran, once, inside a completed-or-failed SLURM job.

    A SLURM job holds one rule's job or a group of jobs (Snakemake's `group:`); the jobs a SLURM
    job ran are read from its log (the job step's Snakemake prints each job it runs as a
    "localrule" header with wildcards and resources). Returns {SLURM job id: dict(scontrol fields,
    name=rule or group name, group=bool, jobs=[the job blocks it ran])}.
    """
    run_id = re.search(r"SLURM run ID: ([0-9a-f-]{36})", log_text)
    assert run_id, "no 'SLURM run ID' in Snakemake's log: the slurm executor was not used"
    run_id = run_id.group(1)
    submitted = SUBMITTED.findall(log_text)
    assert submitted, "no job was submitted to SLURM"
    # The jobs Snakemake sent to SLURM: "rule" headers (top level, or listed in a group job).
    remote = [(b["rule"], b["wildcards"]) for b in job_blocks(log_text) if not b["local"]]
    assert remote

    # SLURM itself lists exactly these jobs under this run's name.
    p = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%i|%T",
                        "--name", run_id], capture_output=True, text=True, timeout=30,
                       check=True)
    in_squeue = dict(line.split("|") for line in p.stdout.split())
    assert set(in_squeue) == {s for _, s, _ in submitted}

    by_id: dict[str, dict] = {}
    ran = []
    for _, slurm_id, logfile in submitted:
        job = scontrol_job(slurm_id)
        assert job["JobName"] == run_id
        assert Path(job["WorkDir"]).resolve() == workdir.resolve()
        # The plugin's comment: rule_<rule>[_wildcards_...] or rule_<group>_<its rules>.
        kind = re.fullmatch(r"rule_(\w+?)(?:_wildcards_.*)?", job["Comment"].strip())
        assert kind, job["Comment"]
        # The SLURM log (sbatch --output) holds the job-step Snakemake run.
        assert Path(logfile).name == f"{slurm_id}.log"
        assert job["StdOut"] == logfile
        text = Path(logfile).read_text(errors="replace")
        assert "--executor slurm-jobstep" in text
        group = Path(logfile).parent.name.startswith("group_") or \
            Path(logfile).parent.parent.name.startswith("group_")
        jobs = [b for b in job_blocks(text) if b["local"]]
        assert jobs or job["JobState"] != "COMPLETED", f"SLURM job {slurm_id} ran no job"
        by_id[slurm_id] = dict(job, name=kind.group(1), group=group, jobs=jobs)
        if job["JobState"] == "COMPLETED":
            ran += [(b["rule"], b["wildcards"]) for b in jobs]
    # Every job Snakemake sent ran in exactly one completed SLURM job (failed attempts aside).
    assert sorted(ran) == sorted(set(remote)), (sorted(ran), sorted(set(remote)))
    return by_id


def by_rule(by_id: dict[str, dict]) -> dict[str, list[dict]]:
    """{rule: [the SLURM jobs that ran a job of it]}."""
    out: dict[str, list[dict]] = {}
    for job in by_id.values():
        for rule in sorted({b["rule"] for b in job["jobs"]}):
            out.setdefault(rule, []).append(job)
    return out


def check_group_resources(job: dict) -> None:
    """A SLURM job's limits are those of its jobs run one after another.

    The plugin runs a group's jobs one at a time; the profile's `group_slot` makes Snakemake size
    the submission for that: time = the sum of the jobs' runtimes, memory = their maximum, CPUs =
    the largest thread count (1 in these workflows).
    """
    jobs = job["jobs"]
    assert slurm_minutes(job["TimeLimit"]) == sum(b["resources"]["runtime"] for b in jobs), job
    assert memory_mb(job["MinMemoryNode"]) == max(b["resources"]["mem_mb"] for b in jobs), job
    assert job["NumCPUs"] == "1", job


def compare_trees(a: Path, b: Path) -> list[str]:
    """Relative paths of all compared files; assert both trees hold the same bytes."""
    def files(root: Path) -> dict[str, Path]:
        out = {}
        for p in root.rglob("*"):
            rel = p.relative_to(root)
            if p.is_file() and not NOT_COMPARED_DIRS & set(rel.parts[:-1]) \
                    and not p.name.endswith(".log"):
                out[rel.as_posix()] = p
        return out

    fa, fb = files(a), files(b)
    assert sorted(fa) == sorted(fb), "the two runs wrote different sets of files"
    differ = [rel for rel in sorted(fa) if fa[rel].read_bytes() != fb[rel].read_bytes()]
    assert not differ, f"outputs differ between the SLURM and the local run: {differ}"
    return sorted(fa)


def test_toy_workflow_runs_as_slurm_jobs_with_retry(cluster, tmp_path):
    """The profile's mechanics on a tiny workflow that does not need the package."""
    # The toy's group "chain" bundles its two fit -> score chains into one submission.
    profile = sc.write_local_profile(REPO / "profiles" / "slurm", tmp_path / "profile",
                                     extra={"group-components": ["chain=2"]})
    work = tmp_path / "slurm"
    seconds = run_snakemake(
        ["-s", str(TOY), "--directory", str(work), "--workflow-profile", str(profile)],
        TOY_TIMEOUT, tmp_path / "slurm.log")
    print(f"\ntoy workflow on SLURM: {seconds:.1f} s")
    log_text = (tmp_path / "slurm.log").read_text()
    by_id = check_ran_as_slurm_jobs(log_text, work)
    rules = by_rule(by_id)

    assert len(rules["simulate"]) == 3 and len(rules["reduce"]) == 1
    assert "summarize" not in rules  # a localrule never reaches SLURM
    for jobs in (rules["simulate"], rules["reduce"]):
        for job in jobs:
            assert job["JobState"] == "COMPLETED" and job["ExitCode"] == "0:0"
            assert not job["group"] and len(job["jobs"]) == 1
            # The rule body itself ran inside this SLURM job.
            assert f"SLURM_JOB_ID={job['JobId']}" in Path(job["StdOut"]).read_text()
    # Requested resources reached sbatch: threads -> CPUs, mem_mb, runtime.
    reduce = rules["reduce"][0]
    assert reduce["NumCPUs"] == "2" and reduce["MinMemoryNode"] == "200M"
    assert reduce["TimeLimit"] == "00:05:00"
    # The retry: attempt 1 failed with 60 min, attempt 2 got 120 min and passed.
    first, second = sorted(rules["retried"], key=lambda j: int(j["JobId"]))
    assert (first["JobState"], first["TimeLimit"]) == ("FAILED", "01:00:00")
    assert (second["JobState"], second["TimeLimit"]) == ("COMPLETED", "02:00:00")
    assert (work / "results" / "retried.txt").read_text() == "runtime=120\n"

    # The group: both chains in one SLURM job, run one after another, sized for that (time =
    # 2 x (3 + 2) min, memory = the larger job's, 1 CPU). score for i=2 fails on the first
    # attempt, so the whole group is resubmitted once, with twice the time and memory.
    chain = sorted((j for j in by_id.values() if j["group"]), key=lambda j: int(j["JobId"]))
    assert [j["name"] for j in chain] == ["chain_fit_score"] * 2
    failed, passed = chain
    assert failed["JobState"] == "FAILED" and passed["JobState"] == "COMPLETED"
    assert sorted((b["rule"], b["wildcards"]) for b in passed["jobs"]) == [
        ("fit", "i=1"), ("fit", "i=2"), ("score", "i=1"), ("score", "i=2")]
    assert (failed["TimeLimit"], memory_mb(failed["MinMemoryNode"])) == ("00:10:00", 150)
    assert (passed["TimeLimit"], memory_mb(passed["MinMemoryNode"])) == ("00:20:00", 300)
    check_group_resources(passed)
    for b in passed["jobs"]:
        assert b["resources"]["mem_mb"] == {"fit": 200, "score": 300}[b["rule"]]
    assert f"SLURM_JOB_ID={passed['JobId']}" in Path(passed["StdOut"]).read_text()
    # 8 SLURM jobs: 3 simulate, reduce, retried twice, the chain group twice.
    assert len(by_id) == 8

    # Same outputs as a local run of the toy.
    local = tmp_path / "local"
    run_snakemake(["-s", str(TOY), "--directory", str(local), "--workflow-profile", "none",
                   "--cores", "2", "--retries", "1", "--default-resources", "runtime=60*attempt"],
                  TOY_TIMEOUT, tmp_path / "local.log")
    compared = compare_trees(work, local)
    assert "results/summary.csv" in compared and "results/sim_1.csv" in compared
    assert "results/score_2.txt" in compared


def test_small_config_on_slurm_equals_local_run(cluster, tmp_path):
    """The real workflow with tests/config/small.yaml: SLURM run == local run."""
    if not (REPO / "Snakefile").exists():
        pytest.skip("workflow not present (no Snakefile at the repository root)")
    if not SMALL_CONFIG.exists():
        pytest.skip("workflow not present (no tests/config/small.yaml)")
    # Every table and figure, not the final verdict: the small config has far too little data
    # for the figures' criteria, so `rule check` fails it by design (tests/test_workflow.py).
    figures = ["fig2", "fig3", "fig4", "fig5", "fig6", "mi_vs_buffer", "mi_comparison"]
    targets = ["results/runs.csv", "results/metrics.csv", "results/mi.csv",
               *(f"results/figures/{f}.{ext}" for f in figures for ext in ("pdf", "png"))]
    # Targets first: --configfile takes several values and would swallow them.
    common = [*targets, "-s", str(REPO / "Snakefile"), "--configfile", str(SMALL_CONFIG)]

    profile = sc.write_local_profile(REPO / "profiles" / "slurm", tmp_path / "profile")
    work = tmp_path / "slurm"
    seconds = run_snakemake(
        [*common, "--directory", str(work), "--workflow-profile", str(profile)],
        SMALL_TIMEOUT, tmp_path / "slurm.log")
    by_id = check_ran_as_slurm_jobs((tmp_path / "slurm.log").read_text(), work)
    for job in by_id.values():
        assert (job["JobState"], job["ExitCode"]) == ("COMPLETED", "0:0"), job
    n_jobs = sum(len(job["jobs"]) for job in by_id.values())
    # The profile's groups at work: far fewer SLURM jobs than jobs, each sized for running its
    # jobs one after another, no group larger than its group-components allows.
    groups = [job for job in by_id.values() if job["group"]]
    assert len(by_id) < n_jobs / 3, (len(by_id), n_jobs)
    components = dict(item.split("=") for item in
                      yaml.safe_load((REPO / "profiles/slurm/config.yaml").read_text())
                      ["group-components"])
    assert {job["name"].split("_")[0] for job in groups} == set(components)
    for job in groups:
        check_group_resources(job)
        name = job["name"].split("_")[0]
        per_component = 2 if name == "run" else 1  # train_rsmi -> evaluate_run
        assert len(job["jobs"]) <= int(components[name]) * per_component, job
    runs = [job for job in groups if job["name"].startswith("run_")]
    # A grid point's training and evaluation share a SLURM job.
    for job in runs:
        trained = sorted(b["wildcards"] for b in job["jobs"] if b["rule"] == "train_rsmi")
        evaluated = sorted(b["wildcards"] for b in job["jobs"] if b["rule"] == "evaluate_run")
        assert trained == evaluated and trained, job

    local = tmp_path / "local"
    local_seconds = run_snakemake(
        [*common, "--directory", str(local), "--cores", "2"],
        SMALL_TIMEOUT, tmp_path / "local.log")
    print(f"\nsmall config: SLURM {seconds:.1f} s ({len(by_id)} SLURM jobs for {n_jobs} jobs; "
          f"{len(groups)} of them groups), local {local_seconds:.1f} s")
    compared = compare_trees(work, local)
    assert any(p.endswith(".npz") for p in compared), compared
