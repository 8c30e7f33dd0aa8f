"""A real one-node Slurm cluster on loopback, with real accounting, for tests.

Installs Debian's munge, Slurm, slurmdbd and MariaDB packages if they are
missing (as root, with apt-get), writes a munge key, a ``slurm.conf`` and a
``slurmdbd.conf`` under a state directory of its own, and starts, in order:
a private ``munged`` (its own key and socket, named by ``AuthInfo``), a
private ``mariadbd`` (its own data directory, socket and port on
127.0.0.1), ``slurmdbd`` on that database, ``slurmctld`` and ``slurmd``.
Nothing is shared with another cluster, or with a system munged: stopping
one never breaks another running beside it. Accounting is enforced
(``AccountingStorageEnforce=associations``): ``sacctmgr`` registers the
cluster, the account :data:`ACCOUNT` and root's association with it as the
default account, so jobs without ``--account`` run and jobs naming an
unknown account are refused by sbatch. Every daemon it started is stopped,
in reverse order, by the pid in its pid file.

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemons import SetupError, free_port, read_pid, run, stop_pid, succeeds, wait_for

SlurmSetupError = SetupError

PACKAGES = [
    *("munge", "slurm-wlm", "slurmctld", "slurmd", "slurm-client"),
    *("slurmdbd", "mariadb-server"),
]
BINARIES = (
    *("slurmctld", "slurmd", "slurmdbd", "sbatch", "sacctmgr", "munged"),
    *("mariadbd", "mariadb-install-db", "mariadb-admin"),
)
CLUSTER_NAME = "parsltest"
#: The account root's jobs are charged to by default; any other account name is refused.
ACCOUNT = "parsl-test"
# slurmdbd's recommended log size and lock wait; its 512M+ buffer pool is more than a test
# database needs ("Database settings not recommended values: innodb_buffer_pool_size" is harmless).
INNODB_SETTINGS = [
    "--innodb-buffer-pool-size=128M",
    "--innodb-log-file-size=64M",
    "--innodb-lock-wait-timeout=900",
]


def ensure_installed() -> None:
    """Install the Slurm, slurmdbd, MariaDB and munge packages when a binary is missing."""
    if all(shutil.which(b) for b in BINARIES):
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


def _start_detached(cmd: list[str]) -> int:
    """Start a program that does not daemonize itself, in a session of its own; its pid."""
    # setsid execs the program in the background shell's child, so $! is the program's pid;
    # its output goes to its own log files (a pipe here would keep this call waiting).
    shell = 'setsid "$@" </dev/null >/dev/null 2>&1 & echo $!'
    return int(run(["bash", "-c", shell, "start", *cmd]).strip())


class MariaDB:
    """A private MariaDB server for slurmdbd: own data directory, socket and port on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.datadir = root / "data"
        self.socket = root / "mariadbd.sock"
        self.pid_file = root / "mariadbd.pid"
        self.log = root / "mariadbd.log"
        self.port = free_port()

    def ping(self) -> bool:
        """True when the server answers on its TCP port."""
        return succeeds(
            [
                *("mariadb-admin", "--no-defaults", "--protocol=tcp", "-h", "127.0.0.1"),
                *("-P", str(self.port), "-u", "root", "--connect-timeout=2", "ping"),
            ]
        )

    def start(self, timeout: float) -> None:
        """Create the data directory (once) and start ``mariadbd``; wait until it answers."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.datadir / "mysql").is_dir():
            run(
                [
                    *("mariadb-install-db", "--no-defaults", "--user=root", "--skip-test-db"),
                    f"--datadir={self.datadir}",
                    "--auth-root-authentication-method=normal",
                    *INNODB_SETTINGS,
                ],
                timeout=120,
            )
        pid = _start_detached(
            [
                *("/usr/sbin/mariadbd", "--no-defaults", "--user=root"),
                f"--datadir={self.datadir}",
                f"--socket={self.socket}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--pid-file={self.pid_file}",
                f"--log-error={self.log}",
                # Only slurmdbd, on loopback, ever connects: no users or passwords to manage.
                "--skip-grant-tables",
                "--skip-name-resolve",
                "--skip-log-bin",
                *INNODB_SETTINGS,
            ]
        )
        self.pid_file.write_text(f"{pid}\n")  # mariadbd writes the same pid here once it is up
        what = f"mariadbd to answer on 127.0.0.1:{self.port}"
        wait_for(self.ping, timeout, what, [self.log], (self.pid_file,))

    def stop(self) -> None:
        """Stop ``mariadbd`` by the pid in its pid file (it shuts down cleanly on SIGTERM)."""
        pid = read_pid(self.pid_file)
        if pid is not None:
            stop_pid(pid, timeout=30)
            self.pid_file.unlink(missing_ok=True)


class SlurmCluster:
    """slurmdbd (on a private MariaDB), one slurmctld and one slurmd for this host, under ``root``."""

    partition = "debug"
    account = ACCOUNT

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.conf = self.root / "slurm.conf"
        # slurmdbd reads slurmdbd.conf from the directory that holds SLURM_CONF.
        self.dbd_conf = self.root / "slurmdbd.conf"
        self.host = socket.gethostname().split(".")[0]
        self.munge_dir = self.root / "munge"
        self.munge_socket = self.munge_dir / "munge.socket"
        self.database = MariaDB(self.root / "mariadb")
        self.dbd_port = free_port()

    def env(self) -> dict[str, str]:
        """Environment for clients (sbatch, squeue, scancel, sacct, sacctmgr) of this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def _logs(self) -> list[Path]:
        names = ("slurmdbd.log", "slurmctld.log", "slurmd.log")
        return [self.munge_dir / "munged.log", self.database.log, *(self.root / n for n in names)]

    def _write_dbd_conf(self) -> None:
        r = self.root
        self.dbd_conf.write_text(
            "\n".join(
                [
                    "AuthType=auth/munge",
                    f"AuthInfo=socket={self.munge_socket}",
                    "DbdAddr=127.0.0.1",
                    f"DbdHost={self.host}",
                    f"DbdPort={self.dbd_port}",
                    "SlurmUser=root",
                    "DebugLevel=info",
                    "StorageType=accounting_storage/mysql",
                    "StorageHost=127.0.0.1",
                    f"StoragePort={self.database.port}",
                    "StorageUser=root",
                    "StorageLoc=slurm_acct_db",
                    f"PidFile={r}/slurmdbd.pid",
                    f"LogFile={r}/slurmdbd.log",
                    "",
                ]
            )
        )
        self.dbd_conf.chmod(0o600)  # slurmdbd refuses a readable one: it may hold a password

    def _write_conf(self) -> None:
        for sub in ("state", "spool"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        r = self.root
        self.conf.write_text(
            "\n".join(
                [
                    f"ClusterName={CLUSTER_NAME}",
                    f"SlurmctldHost={self.host}(127.0.0.1)",
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    "AuthType=auth/munge",
                    f"AuthInfo=socket={self.munge_socket}",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_Core",
                    "SchedulerParameters=batch_sched_delay=0",
                    "AccountingStorageType=accounting_storage/slurmdbd",
                    "AccountingStorageHost=127.0.0.1",
                    f"AccountingStoragePort={self.dbd_port}",
                    # The munge socket for talking to slurmdbd (AuthInfo covers the rest).
                    f"AccountingStoragePass={self.munge_socket}",
                    # sbatch refuses a job whose user/account pair has no association.
                    "AccountingStorageEnforce=associations",
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

    def _start_munge(self, timeout: float) -> None:
        """A munged of this cluster's own: its own key, socket, pid and log files."""
        if len(str(self.munge_socket)) > 100:  # a Unix socket path has at most 107 bytes
            raise SetupError(f"state directory too deep for munged's socket: {self.munge_socket}")
        self.munge_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = self.munge_dir / "munge.key"
        if not key.exists():
            key.write_bytes(os.urandom(128))
            key.chmod(0o400)
        pid_file = self.munge_dir / "munged.pid"
        run(
            [
                # --force: as root, in a directory only root may enter (pytest's tmp_path).
                *("munged", "--force", f"--socket={self.munge_socket}", f"--key-file={key}"),
                f"--pid-file={pid_file}",
                f"--log-file={self.munge_dir / 'munged.log'}",
                f"--seed-file={self.munge_dir / 'munged.seed'}",
            ]
        )
        probe = [
            "bash",
            "-c",
            'munge -S "$1" -n | unmunge -S "$1"',
            "probe",
            str(self.munge_socket),
        ]
        logs = [self.munge_dir / "munged.log"]
        wait_for(lambda: succeeds(probe), timeout, "munged (munge | unmunge)", logs, (pid_file,))

    def sacctmgr(self, *args: str) -> str:
        """Run ``sacctmgr -i`` (no confirmation prompt) against this cluster's slurmdbd."""
        return run(["sacctmgr", "-i", *args], env=self.env())

    def _start_accounting(self, timeout: float) -> None:
        self.database.start(timeout)
        run(["slurmdbd"], env=self.env())
        listing = ["sacctmgr", "-n", "-P", "list", "cluster"]
        wait_for(
            lambda: succeeds(listing, env=self.env()),
            timeout,
            f"slurmdbd to answer sacctmgr on 127.0.0.1:{self.dbd_port}",
            self._logs(),
            (self.root / "slurmdbd.pid",),
        )
        self.sacctmgr("add", "cluster", CLUSTER_NAME)
        self.sacctmgr("add", "account", ACCOUNT, f"Cluster={CLUSTER_NAME}", "Description=tests")
        # root already has an association with account "root": add one with ACCOUNT, its default.
        self.sacctmgr("add", "user", "root", f"Account={ACCOUNT}", f"DefaultAccount={ACCOUNT}")

    def _node_idle(self) -> bool:
        p = subprocess.run(
            ["sinfo", "-h", "-o", "%T"],
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=10,
            check=False,
        )
        state = p.stdout.strip()
        if state.startswith(("down", "drain")):
            subprocess.run(
                ["scontrol", "update", f"NodeName={self.host}", "State=RESUME"],
                env=self.env(),
                timeout=10,
                check=False,
                capture_output=True,
            )
        return state == "idle"

    def start(self, timeout: float = 60) -> None:
        """Install if needed, start the daemons in order, and wait for the node to be idle."""
        ensure_installed()
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            self._start_munge(timeout)
            self._write_conf()
            self._write_dbd_conf()
            self._start_accounting(timeout)
            run(["slurmctld", "-f", str(self.conf)], env=self.env())
            run(["slurmd", "-f", str(self.conf)], env=self.env())
            daemons = (self.root / "slurmctld.pid", self.root / "slurmd.pid")
            wait_for(self._node_idle, timeout, "the node to be idle (sinfo)", self._logs(), daemons)
        except SetupError:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the daemons this cluster started, in reverse order, by the pids in their pid files."""
        for name in ("slurmd.pid", "slurmctld.pid", "slurmdbd.pid"):
            pid = read_pid(self.root / name)
            if pid is not None:
                stop_pid(pid)
                (self.root / name).unlink(missing_ok=True)
        self.database.stop()
        pid_file = self.munge_dir / "munged.pid"
        pid = read_pid(pid_file)
        if pid is not None:
            stop_pid(pid)
            pid_file.unlink(missing_ok=True)


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
