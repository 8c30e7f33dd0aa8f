"""A real one-node Grid Engine 8.1.9 cell on this host, for tests.

Installs Debian's ``gridengine-master``, ``gridengine-exec`` and
``gridengine-client`` if ``qsub`` or the daemons are missing (as root, with
apt-get). Everything else lives under a state directory of its own: an
``SGE_ROOT`` whose ``bin``/``lib``/``utilbin``/``util`` link to Debian's, one
cell (``default``) with its bootstrap, ``act_qmaster`` and ``host_aliases``,
the Berkeley DB spool, and the qmaster and execd spool directories. The
daemons listen on ports of their own (``SGE_QMASTER_PORT``,
``SGE_EXECD_PORT``), so Debian's own cell, another cluster, or a stale one is
never disturbed or reached; clients find this cell through the environment
that :meth:`GridEngineCluster.env` returns.

The three fixes Grid Engine needs here (see /work/shared/SCHEDULERS.md):
``host_aliases`` maps the host name to ``localhost`` (127.0.0.1
reverse-resolves to localhost, and clients are otherwise refused);
``min_uid``/``min_gid`` are 0 so root may run jobs; a queue (``debug.q``), an
exec host and a parallel environment (``smp``) are created. The scheduling
interval is 1 s and accounting is flushed at once, so ``qacct -j`` knows a
finished job as soon as it leaves ``qstat``; job shells are not login shells
(``login_shells none``), so a job never runs root's ``~/.profile``.

    python integration-tests/gridengine_cluster.py start DIR   # prints the client environment
    python integration-tests/gridengine_cluster.py stop DIR
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

GridEngineSetupError = SetupError

PACKAGES = ["gridengine-master", "gridengine-exec", "gridengine-client"]
DEBIAN_SGE_ROOT = Path("/var/lib/gridengine")
DEBIAN_SHARE = Path("/usr/share/gridengine")
GE_LIB = Path("/usr/lib/gridengine")
CELL = "default"

SCHEDULER_CONF = {"schedule_interval": "0:0:1", "flush_submit_sec": "0", "flush_finish_sec": "0"}


def ensure_installed() -> None:
    """Install Debian's Grid Engine packages when a client or daemon is missing."""
    needed = [GE_LIB / "sge_qmaster", GE_LIB / "sge_execd", GE_LIB / "spoolinit"]
    if shutil.which("qsub") and shutil.which("qacct") and all(p.exists() for p in needed):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise GridEngineSetupError("Grid Engine is not installed and this is not root with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], timeout=300, env=env)
    run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES],
        timeout=600,
        env=env,
    )


class GridEngineCluster:
    """One sge_qmaster and one sge_execd for this host, configured under ``root``."""

    queue = "debug.q"
    parallel_environment = "smp"
    slots = 8

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.sge_root = self.root / "sge"
        self.common = self.sge_root / CELL / "common"
        self.host = socket.gethostname().split(".")[0]
        self.ports_file = self.root / "ports"

    # -- environment -------------------------------------------------------

    def _ports(self) -> tuple[int, int]:
        if not self.ports_file.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            self.ports_file.write_text(f"{free_port()} {free_port()}\n")
        qmaster, execd = self.ports_file.read_text().split()
        return int(qmaster), int(execd)

    def env_vars(self) -> dict[str, str]:
        """The variables a client (qsub, qstat, qacct, qdel) needs to reach this cell."""
        qmaster, execd = self._ports()
        return {
            "SGE_ROOT": str(self.sge_root),
            "SGE_CELL": CELL,
            "SGE_QMASTER_PORT": str(qmaster),
            "SGE_EXECD_PORT": str(execd),
        }

    def env(self) -> dict[str, str]:
        """This process's environment plus :meth:`env_vars`."""
        return {**os.environ, **self.env_vars()}

    def _qconf(self, *args: str) -> str:
        return run(["qconf", *args], env=self.env())

    # -- setup -------------------------------------------------------------

    def _write_cell(self) -> None:
        r = self.root
        for sub in ("spool/db", "spool/qmaster", "spool/execd", "conf"):
            (r / sub).mkdir(parents=True, exist_ok=True)
        self.common.mkdir(parents=True, exist_ok=True)
        for name in ("bin", "lib", "utilbin", "util"):
            link = self.sge_root / name
            if not link.is_symlink():
                link.symlink_to(DEBIAN_SGE_ROOT / name)
        (self.common / "bootstrap").write_text(
            "\n".join(
                [
                    "admin_user              root",
                    "default_domain          none",
                    "ignore_fqdn             true",
                    "spooling_method         berkeleydb",
                    "spooling_lib            libspoolb",
                    f"spooling_params         {r}/spool/db",
                    "binary_path             /usr/sbin",
                    f"qmaster_spool_dir       {r}/spool/qmaster",
                    "security_mode           none",
                    "listener_threads        2",
                    "worker_threads          2",
                    "scheduler_threads       1",
                    "",
                ]
            )
        )
        (self.common / "act_qmaster").write_text(self.host + "\n")
        # Fix 1: 127.0.0.1 reverse-resolves to localhost; make it the same host.
        (self.common / "host_aliases").write_text(f"{self.host} localhost\n")

    def _global_configuration(self) -> str:
        text = (DEBIAN_SHARE / "default-configuration").read_text()
        replace = {
            "execd_spool_dir": str(self.root / "spool" / "execd"),
            "mailer": "/bin/true",
            # Fix 2: root's jobs are refused below min_uid/min_gid.
            "min_uid": "0",
            "min_gid": "0",
            "load_report_time": "00:00:05",
            # Jobs run their shell as a plain, not a login, shell: a login bash would read
            # root's ~/.profile and ~/.bashrc (pyenv init, rehash locks), which jobs must not.
            "login_shells": "none",
            "reporting_params": (
                "accounting=true reporting=false flush_time=00:00:01 joblog=false "
                "sharelog=00:00:00 accounting_flush_time=00:00:00"
            ),
        }
        lines = []
        for line in text.splitlines():
            key = line.split(None, 1)[0] if line.strip() and not line.startswith("#") else ""
            lines.append(f"{key} {replace[key]}" if key in replace else line)
        path = self.root / "conf" / "global"
        path.write_text("\n".join(lines) + "\n")
        return str(path)

    def _init_spool(self) -> None:
        if (self.root / "spool" / "db" / "sge").exists():
            return
        env = self.env()
        spool = str(self.root / "spool" / "db")
        run([str(GE_LIB / "spoolinit"), "berkeleydb", "libspoolb", spool, "init"], env=env)
        defaults = str(GE_LIB / "spooldefaults")
        run([defaults, "configuration", self._global_configuration()], env=env)
        resources = DEBIAN_SHARE / "util" / "resources"
        run([defaults, "complexes", str(resources / "centry")], env=env)
        run([defaults, "usersets", str(resources / "usersets")], env=env)
        run([defaults, "managers", "root"], env=env)
        run([defaults, "adminhosts", self.host], env=env)

    def _write_conf(self, name: str, pairs: dict[str, str]) -> str:
        path = self.root / "conf" / name
        path.write_text("".join(f"{key} {value}\n" for key, value in pairs.items()))
        return str(path)

    def _configure(self) -> None:
        """Fix 3: a submit host, an exec host, a parallel environment and a queue; fast scheduling."""
        listed = subprocess.run(
            ["qconf", "-sql"],
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=10,
            check=False,
        )
        if self.queue in listed.stdout.split():  # rc 1 "no cqueue list defined" on a new cell
            return
        self._qconf("-as", self.host)
        sched = self._qconf("-ssconf").splitlines()
        pairs = dict(line.split(None, 1) for line in sched if line.strip())
        pairs.update(SCHEDULER_CONF)
        self._qconf("-Msconf", self._write_conf("scheduler", pairs))
        exec_host = {"hostname": self.host, "load_scaling": "NONE", "complex_values": "NONE"}
        exec_host |= {"user_lists": "NONE", "xuser_lists": "NONE", "projects": "NONE"}
        exec_host |= {"xprojects": "NONE", "usage_scaling": "NONE", "report_variables": "NONE"}
        self._qconf("-Ae", self._write_conf("exechost", exec_host))
        pe = {
            "pe_name": self.parallel_environment,
            "slots": "999",
            "user_lists": "NONE",
            "xuser_lists": "NONE",
            "start_proc_args": "NONE",
            "stop_proc_args": "NONE",
            "allocation_rule": "$pe_slots",
            "control_slaves": "FALSE",
            "job_is_first_task": "TRUE",
            "urgency_slots": "min",
            "accounting_summary": "FALSE",
            "qsort_args": "NONE",
        }
        self._qconf("-Ap", self._write_conf("pe", pe))
        template = self._qconf("-sq").splitlines()
        queue = dict(line.split(None, 1) for line in template if line.strip())
        queue.update(
            {
                "qname": self.queue,
                "hostlist": self.host,
                "pe_list": self.parallel_environment,
                "slots": str(self.slots),
                "shell": "/bin/sh",
                # The machine's load must not put the queue in alarm state.
                "load_thresholds": "NONE",
            }
        )
        self._qconf("-Aq", self._write_conf("queue", queue))

    # -- daemons -----------------------------------------------------------

    @property
    def qmaster_pid_file(self) -> Path:
        return self.root / "spool" / "qmaster" / "qmaster.pid"

    def execd_pid_files(self) -> list[Path]:
        """execd names its spool directory after how it resolves itself (``localhost`` here)."""
        return sorted((self.root / "spool" / "execd").glob("*/execd.pid"))

    def _queue_ready(self) -> bool:
        p = subprocess.run(
            ["qstat", "-f", "-q", self.queue],
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=10,
            check=False,
        )
        rows = [line.split() for line in p.stdout.splitlines() if line.startswith(self.queue)]
        # queuename qtype resv/used/tot load_avg arch [states]: no states means usable.
        return p.returncode == 0 and bool(rows) and len(rows[0]) == 5 and rows[0][3] != "-NA-"

    def start(self, timeout: float = 60) -> None:
        """Install if needed, write the cell, start both daemons, and wait for the queue."""
        ensure_installed()
        self._write_cell()
        self._init_spool()
        env = self.env()
        run([str(GE_LIB / "sge_qmaster")], env=env)
        try:
            self._wait(lambda: read_pid(self.qmaster_pid_file) is not None, timeout, "qmaster pid")
            self._wait(self._qmaster_answers, timeout, "qmaster to answer qconf")
            self._configure()
            run([str(GE_LIB / "sge_execd")], env=env)
            self._wait(self._queue_ready, timeout, f"queue {self.queue} to be usable")
        except GridEngineSetupError as e:
            log = self._log_tail()
            self.stop()
            raise GridEngineSetupError(f"{e}\n{log}") from e

    def _qmaster_answers(self) -> bool:
        p = subprocess.run(
            ["qconf", "-sh"], capture_output=True, env=self.env(), timeout=10, check=False
        )
        return p.returncode == 0

    def _wait(self, ready: object, timeout: float, what: str) -> None:
        assert callable(ready)
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise GridEngineSetupError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.1)

    def _log_tail(self) -> str:
        logs = [self.root / "spool" / "qmaster" / "messages"]
        logs += [p.parent / "messages" for p in self.execd_pid_files()]
        return "\n".join(
            f"{log}:\n{log.read_text(errors='replace')[-1500:]}" for log in logs if log.exists()
        )

    def delete_all_jobs(self) -> None:
        """qdel every job of every user, so no job outlives the cell."""
        subprocess.run(
            ["qdel", "-u", "*"], capture_output=True, env=self.env(), timeout=30, check=False
        )

    def stop(self) -> None:
        """Delete leftover jobs, then stop execd and qmaster by the pids in their pid files."""
        if read_pid(self.qmaster_pid_file) is not None:
            self.delete_all_jobs()
        for pid_file in [*self.execd_pid_files(), self.qmaster_pid_file]:
            pid = read_pid(pid_file)
            if pid is not None:
                stop_pid(pid)
                pid_file.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    cluster = GridEngineCluster(Path(argv[2]))
    if argv[1] == "start":
        cluster.start()
        for key, value in cluster.env_vars().items():
            print(f"{key}={value}")
    else:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
