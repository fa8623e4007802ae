"""Bring up and tear down a single-node SLURM cluster on localhost.

The cluster is built from Debian's packages (``slurmctld``, ``slurmd``,
``slurm-client``) with no munge and no accounting database:

* ``AuthType=auth/none``, ``CredType=cred/none``: no munge daemon; the
  controller starts in about a second.
* ``AccountingStorageType=accounting_storage/none``: no slurmdbd. ``sacct``
  then cannot report job states, so the Snakemake SLURM plugin must poll with
  ``squeue``; ``MinJobAge`` is large so that finished jobs stay visible to
  ``squeue``/``scontrol show job`` (the plugin also refuses ``squeue`` when
  MinJobAge is below three status-check intervals).
* ``EnforcePartLimits=ALL``: a request larger than the node is rejected at
  submission instead of pending forever.
* The node advertises the machine's real CPUs and memory (``slurmd -C``).

The configuration is written to ``/etc/slurm/slurm.conf``, the compiled-in
default: the plugin runs each job's payload through an inner ``srun`` that
does not see ``SLURM_CONF``. A file already there is saved and put back on
tear-down. Daemons are started with pid files and stopped by pid; tear-down
checks that ports 6817/6818 are free again.

Needs Linux and root. Use it from Python::

    with local_slurm_cluster() as cluster:
        subprocess.run(["sbatch", "--wrap", "hostname"], check=True)

or by hand::

    python tests/cluster/slurm_cluster.py install   # apt-get, if needed
    python tests/cluster/slurm_cluster.py up        # prints the state dir
    python tests/cluster/slurm_cluster.py status
    python tests/cluster/slurm_cluster.py down
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

SLURM_CONF = Path("/etc/slurm/slurm.conf")
CTLD_PORT = 6817
SLURMD_PORT = 6818
PACKAGES = ("slurmctld", "slurmd", "slurm-client")
# Ten days: far longer than any test run, so squeue/scontrol keep every job.
MIN_JOB_AGE = 864000
_POINTER = Path(tempfile.gettempdir()) / "rsmi-slurm-cluster.json"
_LOCK = Path(tempfile.gettempdir()) / "rsmi-slurm-cluster.lock"


class ClusterUnavailable(RuntimeError):
    """SLURM cannot be brought up on this machine (the reason is the message)."""


class ClusterError(RuntimeError):
    """Bring-up or tear-down went wrong on a machine where it should work."""


@dataclasses.dataclass
class SlurmCluster:
    """A running local cluster: where its files are and the daemons' pids."""

    base_dir: Path
    node_name: str
    cpus: int
    real_memory_mb: int
    slurmctld_pid: int
    slurmd_pid: int
    bringup_seconds: float
    conf_backup: Path | None

    def to_json(self) -> str:
        d = dataclasses.asdict(self)
        d["base_dir"] = str(self.base_dir)
        d["conf_backup"] = str(self.conf_backup) if self.conf_backup else None
        return json.dumps(d, indent=2)

    @classmethod
    def from_json(cls, text: str) -> "SlurmCluster":
        d = json.loads(text)
        d["base_dir"] = Path(d["base_dir"])
        d["conf_backup"] = Path(d["conf_backup"]) if d["conf_backup"] else None
        return cls(**d)

    @property
    def log_files(self) -> list[Path]:
        return [self.base_dir / "slurmctld.log", self.base_dir / "slurmd.log"]


# ---------------------------------------------------------------------------
# Can it run here?


def unavailable_reason(*, need_installed: bool = False) -> str | None:
    """Why a local cluster cannot be brought up here, or None if it can.

    With ``need_installed=False`` the packages may still be missing as long as
    ``apt-get`` could install them.
    """
    if platform.system() != "Linux":
        return f"SLURM test cluster needs Linux, this is {platform.system()}"
    if os.geteuid() != 0:
        return "SLURM test cluster needs root (daemons, /etc/slurm, apt-get)"
    if not packages_installed():
        if need_installed:
            return f"SLURM packages not installed ({', '.join(PACKAGES)})"
        if shutil.which("apt-get") is None:
            return "SLURM packages not installed and no apt-get to install them"
    return None


def packages_installed() -> bool:
    return all(shutil.which(b) for b in ("slurmctld", "slurmd", "sbatch", "squeue", "sinfo"))


def install_packages(timeout: float = 900) -> float:
    """``apt-get install`` Debian's SLURM packages if missing; return seconds taken.

    Raises ClusterUnavailable if apt-get is missing or fails (offline mirror,
    unknown package), with apt's last lines in the message.
    """
    if packages_installed():
        return 0.0
    if shutil.which("apt-get") is None:
        raise ClusterUnavailable("SLURM packages not installed and no apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    t0 = time.monotonic()
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES],
    ):
        try:
            p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                               timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ClusterUnavailable(f"{' '.join(cmd)} timed out after {timeout} s")
        if p.returncode != 0:
            tail = "\n".join((p.stdout + p.stderr).strip().splitlines()[-10:])
            raise ClusterUnavailable(f"{' '.join(cmd)} failed ({p.returncode}):\n{tail}")
    if not packages_installed():
        raise ClusterUnavailable("apt-get succeeded but SLURM binaries are not on PATH")
    return time.monotonic() - t0


# ---------------------------------------------------------------------------
# Configuration


def detect_node() -> tuple[str, str, int, int]:
    """``slurmd -C``'s node line, and its node name, CPUs and RealMemory (MB).

    ``slurmd -C`` prints the hardware exactly as slurmd will register it, so
    the node is never drained for advertising more than it has.
    """
    p = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, timeout=30)
    line = next((l for l in p.stdout.splitlines() if l.startswith("NodeName=")), None)
    if p.returncode != 0 or line is None:
        raise ClusterError(f"slurmd -C failed ({p.returncode}): {p.stdout}{p.stderr}")
    fields = dict(kv.split("=", 1) for kv in line.split())
    return line, fields["NodeName"], int(fields["CPUs"]), int(fields["RealMemory"])


def render_config(base_dir: Path, node_line: str, node_name: str) -> str:
    """The slurm.conf text for a one-node cluster whose files live in base_dir."""
    return f"""\
# Single-node test cluster written by tests/cluster/slurm_cluster.py
ClusterName=rsmitest
SlurmctldHost={node_name}(127.0.0.1)
SlurmctldPort={CTLD_PORT}
SlurmdPort={SLURMD_PORT}
SlurmUser=root
SlurmdUser=root
# No munge, no slurmdbd.
AuthType=auth/none
CredType=cred/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# No cgroups in containers: track processes through /proc, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
# Cores and memory are consumable, so several small jobs share the node.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
EnforcePartLimits=ALL
MinJobAge={MIN_JOB_AGE}
# Jobs submitted by hand without --mem get 1 GB per CPU, not the whole node.
DefMemPerCPU=1000
ReturnToService=2
SchedulerType=sched/backfill
StateSaveLocation={base_dir}/state
SlurmdSpoolDir={base_dir}/spool
SlurmctldPidFile={base_dir}/slurmctld.pid
SlurmdPidFile={base_dir}/slurmd.pid
SlurmctldLogFile={base_dir}/slurmctld.log
SlurmdLogFile={base_dir}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
{node_line} NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes={node_name} Default=YES MaxTime=INFINITE State=UP
"""


# ---------------------------------------------------------------------------
# Processes and ports


def listening_ports() -> set[int]:
    """TCP ports in LISTEN state on any address (from /proc/net/tcp{,6})."""
    ports = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 3 and cols[3] == "0A":
                ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def _pid_is(pid: int, name: str) -> bool:
    """True if pid is alive and runs the executable `name` (guards pid reuse)."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state != "Z" and os.path.basename(cmd) == name


def _wait_for(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def _read_pid(path: Path, timeout: float) -> int:
    def ok():
        try:
            return int(path.read_text().strip()) > 0
        except (OSError, ValueError):
            return False

    if not _wait_for(ok, timeout):
        raise ClusterError(f"daemon did not write its pid file {path.name} in {timeout} s")
    return int(path.read_text().strip())


def _stop_pid(pid: int, name: str, timeout: float = 20) -> None:
    """SIGTERM the daemon with this pid, SIGKILL it if it outlives timeout."""
    if not _pid_is(pid, name):
        return
    os.kill(pid, signal.SIGTERM)
    if not _wait_for(lambda: not _pid_is(pid, name), timeout):
        os.kill(pid, signal.SIGKILL)
        if not _wait_for(lambda: not _pid_is(pid, name), 10):
            raise ClusterError(f"{name} (pid {pid}) survived SIGKILL")


def _tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def node_state(timeout: float = 10) -> str:
    """The node's state as sinfo reports it (e.g. 'idle', 'down*'), '' if unknown."""
    try:
        p = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return ""
    return p.stdout.strip() if p.returncode == 0 else ""


def _slurmd_registered() -> bool:
    """True once slurmd has registered with the controller (it has a start time)."""
    try:
        p = subprocess.run(["scontrol", "show", "node", "-o"], capture_output=True,
                           text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return p.returncode == 0 and "SlurmdStartTime=None" not in p.stdout \
        and "SlurmdStartTime=" in p.stdout


# ---------------------------------------------------------------------------
# Up and down


@contextlib.contextmanager
def _exclusive_lock(timeout: float) -> Iterator[None]:
    """One local cluster per machine: concurrent test runs take turns."""
    fd = os.open(_LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ClusterUnavailable(
                        f"another local SLURM cluster holds {_LOCK} for more than {timeout} s")
                time.sleep(1)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def start(base_dir: Path | None = None, *, ready_timeout: float = 60) -> SlurmCluster:
    """Write /etc/slurm/slurm.conf, start slurmctld and slurmd, wait for 'idle'.

    Raises ClusterUnavailable when something else already uses the SLURM ports
    or the packages are missing, ClusterError when bring-up fails (with the
    daemons' log tails). On failure everything started is stopped again.
    """
    reason = unavailable_reason(need_installed=True)
    if reason:
        raise ClusterUnavailable(reason)
    busy = {CTLD_PORT, SLURMD_PORT} & listening_ports()
    if busy:
        raise ClusterUnavailable(
            f"port(s) {sorted(busy)} already in use: another SLURM is running here")
    t0 = time.monotonic()
    base_dir = Path(base_dir or tempfile.mkdtemp(prefix="rsmi-slurm-"))
    for sub in ("state", "spool"):
        (base_dir / sub).mkdir(parents=True, exist_ok=True)
    node_line, node_name, cpus, mem = detect_node()
    backup = None
    if SLURM_CONF.exists():
        backup = base_dir / "slurm.conf.orig"
        shutil.copy2(SLURM_CONF, backup)
    SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
    SLURM_CONF.write_text(render_config(base_dir, node_line, node_name))
    cluster = SlurmCluster(base_dir, node_name, cpus, mem, 0, 0, 0.0, backup)
    _POINTER.write_text(cluster.to_json())
    try:
        # Both daemons fork into the background and write their pid files.
        # -c: start from an empty state (no jobs from an earlier cluster).
        for cmd, pidfile, attr in (
            (["slurmctld", "-c"], "slurmctld.pid", "slurmctld_pid"),
            (["slurmd", "-c"], "slurmd.pid", "slurmd_pid"),
        ):
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                               stdin=subprocess.DEVNULL)
            if p.returncode != 0:
                raise ClusterError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr}")
            setattr(cluster, attr, _read_pid(base_dir / pidfile, 30))
            _POINTER.write_text(cluster.to_json())
        if not _wait_for(lambda: node_state() == "idle" and _slurmd_registered(),
                         ready_timeout, 0.5):
            raise ClusterError(
                f"node {node_name} not idle after {ready_timeout} s "
                f"(sinfo says {node_state()!r})")
    except BaseException as exc:
        logs = "\n".join(f"--- {p.name}\n{_tail(p)}" for p in cluster.log_files)
        try:
            stop(cluster, remove_files=False)
        except ClusterError as stop_exc:
            logs += f"\n--- tear-down after failed bring-up also failed: {stop_exc}"
        if isinstance(exc, ClusterError):
            raise ClusterError(f"{exc}\n{logs}") from exc
        raise
    cluster.bringup_seconds = time.monotonic() - t0
    _POINTER.write_text(cluster.to_json())
    return cluster


def _job_ids() -> list[str]:
    try:
        p = subprocess.run(["squeue", "-h", "-o", "%i", "--states=PENDING,RUNNING,"
                            "SUSPENDED,COMPLETING,CONFIGURING"],
                           capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return []
    return p.stdout.split() if p.returncode == 0 else []


def stop(cluster: SlurmCluster, *, remove_files: bool = True) -> None:
    """Cancel jobs, stop slurmd then slurmctld by pid, restore slurm.conf.

    Raises ClusterError if a daemon survives or a SLURM port is still
    listening afterwards.
    """
    problems = []
    if cluster.slurmctld_pid and _pid_is(cluster.slurmctld_pid, "slurmctld"):
        ids = _job_ids()
        if ids:
            subprocess.run(["scancel", *ids], capture_output=True, timeout=30)
            if not _wait_for(lambda: not _job_ids(), 30, 0.5):
                problems.append(f"jobs still active after scancel: {_job_ids()}")
    for pid, name in ((cluster.slurmd_pid, "slurmd"), (cluster.slurmctld_pid, "slurmctld")):
        if pid:
            try:
                _stop_pid(pid, name)
            except ClusterError as e:
                problems.append(str(e))
    if cluster.conf_backup and cluster.conf_backup.exists():
        shutil.copy2(cluster.conf_backup, SLURM_CONF)
    elif SLURM_CONF.exists() and "tests/cluster/slurm_cluster.py" in SLURM_CONF.read_text():
        SLURM_CONF.unlink()
    if not _wait_for(lambda: not ({CTLD_PORT, SLURMD_PORT} & listening_ports()), 15):
        problems.append(
            f"port(s) {sorted({CTLD_PORT, SLURMD_PORT} & listening_ports())} still listening")
    if _POINTER.exists():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            if SlurmCluster.from_json(_POINTER.read_text()).base_dir == cluster.base_dir:
                _POINTER.unlink()
    if remove_files and not problems:
        shutil.rmtree(cluster.base_dir, ignore_errors=True)
    if problems:
        raise ClusterError("; ".join(problems))


@contextlib.contextmanager
def local_slurm_cluster(*, install: bool = True, lock_timeout: float = 1800,
                        keep_files: bool = False) -> Iterator[SlurmCluster]:
    """Context manager: a running one-node cluster, torn down on exit even on error.

    ``install=True`` runs apt-get first if the packages are missing. Raises
    ClusterUnavailable when this machine cannot host it (not Linux, not root,
    no packages, ports taken).
    """
    reason = unavailable_reason(need_installed=not install)
    if reason:
        raise ClusterUnavailable(reason)
    if install:
        install_packages()
    with _exclusive_lock(lock_timeout):
        cluster = start()
        try:
            yield cluster
        finally:
            stop(cluster, remove_files=not keep_files)


# ---------------------------------------------------------------------------
# A profile for this cluster

# What the local cluster needs on top of profiles/slurm, and why:
LOCAL_OVERRIDES = {
    # No slurmdbd: sacct cannot see jobs; squeue can, as MinJobAge is large.
    "slurm-status-command": "squeue",
    # Jobs here start at once; the default 40 s first wait only adds latency.
    "slurm-init-seconds-before-status-checks": 2,
    # Keep every job's SLURM log so the test can match it to the job id.
    "slurm-keep-successful-logs": True,
    # Outputs are on the local disk: no network file system lag to wait for.
    "latency-wait": 5,
}


def write_local_profile(src_profile: Path, dst_dir: Path,
                        extra: dict | None = None) -> Path:
    """Copy the profile in src_profile to dst_dir with LOCAL_OVERRIDES applied.

    Everything else (executor, software deployment, resources, groups, retries,
    job limits) is kept as the user gets it; ``extra`` keys are set on top.
    Returns dst_dir.
    """
    import yaml

    profile = yaml.safe_load((Path(src_profile) / "config.yaml").read_text())
    if not isinstance(profile, dict) or profile.get("executor") != "slurm":
        raise ValueError(f"{src_profile}/config.yaml is not a slurm-executor profile")
    profile.update(LOCAL_OVERRIDES)
    profile.update(extra or {})
    dst_dir = Path(dst_dir)
    dst_dir.mkdir(parents=True, exist_ok=True)
    (dst_dir / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return dst_dir


# ---------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("action", choices=["install", "up", "down", "status"])
    args = ap.parse_args(argv)
    try:
        if args.action == "install":
            reason = unavailable_reason()
            if reason:
                raise ClusterUnavailable(reason)
            print(f"installed in {install_packages():.1f} s")
        elif args.action == "up":
            cluster = start()
            print(f"node {cluster.node_name} idle after {cluster.bringup_seconds:.1f} s "
                  f"({cluster.cpus} CPUs, {cluster.real_memory_mb} MB); "
                  f"files and logs in {cluster.base_dir}")
        elif args.action == "down":
            if not _POINTER.exists():
                print("no local cluster recorded as running")
                return 0
            cluster = SlurmCluster.from_json(_POINTER.read_text())
            stop(cluster)
            print("stopped; ports 6817/6818 free")
        else:
            if not _POINTER.exists():
                print("no local cluster recorded as running")
                return 1
            cluster = SlurmCluster.from_json(_POINTER.read_text())
            print(cluster.to_json())
            print(f"sinfo node state: {node_state()!r}")
    except (ClusterUnavailable, ClusterError) as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
