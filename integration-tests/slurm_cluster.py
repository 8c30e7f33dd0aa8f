"""A real one-node Slurm cluster on loopback, for tests.

Installs Debian's munge and Slurm packages if they are missing (as root,
with apt-get), writes a munge key and a ``slurm.conf`` under a state
directory of its own, starts ``munged`` (if not already running),
``slurmctld`` and ``slurmd`` as daemons, waits for the node to be idle, and
stops every daemon it started by the pid in its pid file.

Clients find the cluster through ``SLURM_CONF``, which :meth:`SlurmCluster.env`
returns; nothing is written to ``/etc/slurm``.

    python integration-tests/slurm_cluster.py start DIR   # prints SLURM_CONF=...
    python integration-tests/slurm_cluster.py stop DIR
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemons import SetupError, free_port, read_pid, run, stop_pid

SlurmSetupError = SetupError

PACKAGES = ["munge", "slurm-wlm", "slurmctld", "slurmd", "slurm-client"]
MUNGE_KEY = Path("/etc/munge/munge.key")
MUNGE_RUN = Path("/run/munge")


def ensure_installed() -> None:
    """Install the Slurm and munge packages when a binary is missing."""
    if all(shutil.which(b) for b in ("slurmctld", "slurmd", "sbatch", "munged")):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SlurmSetupError("Slurm is not installed and this is not root with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], timeout=300, env=env)
    run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES],
        timeout=600,
        env=env,
    )


def _node_line() -> str:
    out = run(["slurmd", "-C"]).splitlines()[0]
    fields = dict(kv.split("=", 1) for kv in out.split())
    mem = max(256, int(int(fields["RealMemory"]) * 0.9))
    keep = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore")
    layout = " ".join(f"{k}={fields[k]}" for k in keep)
    return f"NodeName={socket.gethostname().split('.')[0]} NodeAddr=127.0.0.1 {layout} RealMemory={mem}"


class SlurmCluster:
    """One slurmctld and one slurmd for this host, configured under ``root``."""

    partition = "debug"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.conf = self.root / "slurm.conf"
        self.host = socket.gethostname().split(".")[0]
        self.started_munge = self.root / "munged.started"

    def env(self) -> dict[str, str]:
        """Environment for clients (sbatch, squeue, scancel) of this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def _write_conf(self) -> None:
        for sub in ("state", "spool"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        r = self.root
        self.conf.write_text(
            "\n".join(
                [
                    "ClusterName=parsltest",
                    f"SlurmctldHost={self.host}(127.0.0.1)",
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    "AuthType=auth/munge",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_Core",
                    "SchedulerParameters=batch_sched_delay=0",
                    "AccountingStorageType=accounting_storage/none",
                    "JobAcctGatherType=jobacct_gather/none",
                    "JobCompType=jobcomp/filetxt",
                    f"JobCompLoc={r}/jobcomp.txt",
                    "MinJobAge=300",
                    "ReturnToService=2",
                    "KillWait=5",
                    "MpiDefault=none",
                    # Ports of its own, so two clusters (or a stale one) never answer for each other.
                    f"SlurmctldPort={free_port()}",
                    f"SlurmdPort={free_port()}",
                    f"StateSaveLocation={r}/state",
                    f"SlurmdSpoolDir={r}/spool",
                    f"SlurmctldPidFile={r}/slurmctld.pid",
                    f"SlurmdPidFile={r}/slurmd.pid",
                    f"SlurmctldLogFile={r}/slurmctld.log",
                    f"SlurmdLogFile={r}/slurmd.log",
                    _node_line(),
                    f"PartitionName={self.partition} Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
                    "",
                ]
            )
        )

    def _ensure_munge(self) -> None:
        probe = "munge -n | unmunge >/dev/null 2>&1"
        if subprocess.run(["bash", "-c", probe], timeout=10, check=False).returncode == 0:
            return
        if not MUNGE_KEY.exists():
            MUNGE_KEY.parent.mkdir(parents=True, exist_ok=True)
            MUNGE_KEY.write_bytes(os.urandom(128))
            shutil.chown(MUNGE_KEY, "munge", "munge")
            MUNGE_KEY.chmod(0o400)
        MUNGE_RUN.mkdir(parents=True, exist_ok=True)
        shutil.chown(MUNGE_RUN, "munge", "munge")
        run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"])
        self.started_munge.write_text("1")
        deadline = time.monotonic() + 10
        while subprocess.run(["bash", "-c", probe], timeout=10, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise SlurmSetupError("munged started but munge -n | unmunge still fails")
            time.sleep(0.1)

    def start(self, timeout: float = 60) -> None:
        """Install if needed, start the daemons, and wait for the node to be idle."""
        ensure_installed()
        self.root.mkdir(parents=True, exist_ok=True)
        self._ensure_munge()
        self._write_conf()
        env = self.env()
        run(["slurmctld", "-f", str(self.conf)], env=env)
        run(["slurmd", "-f", str(self.conf)], env=env)
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            p = subprocess.run(
                ["sinfo", "-h", "-o", "%T"],
                capture_output=True,
                text=True,
                env=env,
                timeout=10,
                check=False,
            )
            state = p.stdout.strip()
            if state == "idle":
                return
            if state.startswith(("down", "drain")):
                subprocess.run(
                    ["scontrol", "update", f"NodeName={self.host}", "State=RESUME"],
                    env=env,
                    timeout=10,
                    check=False,
                    capture_output=True,
                )
            time.sleep(0.2)
        log = (self.root / "slurmctld.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise SlurmSetupError(
            f"node not idle after {timeout} s (state {state!r}); slurmctld log:\n{log}"
        )

    def stop(self) -> None:
        """Stop the daemons this cluster started, by pid; munged too if it started it."""
        for name in ("slurmd.pid", "slurmctld.pid"):
            pid = read_pid(self.root / name)
            if pid is not None:
                stop_pid(pid)
        if self.started_munge.exists():
            pid = read_pid(MUNGE_RUN / "munged.pid")
            if pid is not None:
                stop_pid(pid)
            self.started_munge.unlink()


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    cluster = SlurmCluster(Path(argv[2]))
    if argv[1] == "start":
        cluster.start()
        print(f"SLURM_CONF={cluster.conf}")
    else:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
