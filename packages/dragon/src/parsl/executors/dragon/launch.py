"""Run a Python script under Dragon's ``dragon`` launcher, bounded in time, and clean up after a kill.

The rules this follows (from running dragonhpc 0.15 here):

* ``--single-node-override`` (``-s``): on a machine where a workload manager
  (e.g. Slurm) is installed but no allocation is active, plain ``dragon`` refuses.
* The launcher must not be a session leader: Dragon's local services call
  ``setpgid(0, 0)``, which fails for a session leader, and the run then hangs
  silently. The launcher is started in a process group of its own instead
  (``process_group=0``), so one ``killpg`` stops every process of the run.
* After a kill, Dragon leaves its shared-memory pools in ``/dev/shm``, named
  ``DD<last 3 digits of uid><last 3 digits of launcher pid>`` + ``def0D`` etc.
  Only those six files of this run are removed; ``dragon-cleanup`` is not
  used, since it removes every file in ``/dev/shm`` its user owns.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from parsl.errors import ParslError

__all__ = [
    "DragonLaunchError",
    "DragonRun",
    "DragonTimeout",
    "dragon_program",
    "leftover_pool_files",
    "run_under_dragon",
]

SHM = Path("/dev/shm")


class DragonLaunchError(ParslError):
    """The ``dragon`` launcher could not be started, or the script to run is missing."""


class DragonTimeout(DragonLaunchError):
    """The run went past its time limit; its process group was killed and its pools removed."""

    def __init__(self, message: str, run: DragonRun) -> None:
        super().__init__(message)
        self.run = run


@dataclass(frozen=True)
class DragonRun:
    """The outcome of one ``dragon`` run."""

    returncode: int
    stdout: str
    stderr: str
    launcher_pid: int


def dragon_program() -> str:
    """The ``dragon`` launcher of this Python environment (next to ``sys.executable``)."""
    candidate = Path(sys.executable).parent / "dragon"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    raise DragonLaunchError(
        f"no 'dragon' launcher next to {sys.executable}: install dragonhpc into this "
        "environment (pip install 'dragonhpc==0.15.*')"
    )


def _pool_name(launcher_pid: int, uid: int) -> re.Pattern[str]:
    prefix = f"DD{str(uid)[-3:]}{str(launcher_pid)[-3:]}"
    return re.compile(rf"^{re.escape(prefix)}(def|inf|log_)0[DM]$")


def leftover_pool_files(launcher_pid: int, uid: int | None = None, shm: Path = SHM) -> list[Path]:
    """The shared-memory pool files a run with this launcher pid leaves in ``/dev/shm``."""
    pattern = _pool_name(launcher_pid, os.getuid() if uid is None else uid)
    try:
        names = os.listdir(shm)
    except FileNotFoundError:
        return []
    return sorted(shm / n for n in names if pattern.match(n))


def _environment(env: dict[str, str] | None) -> dict[str, str]:
    out = dict(os.environ if env is None else env)
    bindir = str(Path(sys.executable).parent)
    out["PATH"] = bindir + os.pathsep + out.get("PATH", "")
    out.setdefault("VIRTUAL_ENV", str(Path(sys.executable).parent.parent))
    return out


def run_under_dragon(
    script: str | os.PathLike[str],
    *args: str,
    timeout: float = 120,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> DragonRun:
    """Run ``python script args...`` under ``dragon --single-node-override``; return its outcome.

    The run gets its own process group (never its own session). Past
    ``timeout`` seconds the whole group is killed, this run's pool files are
    removed and :class:`DragonTimeout` is raised.
    """
    path = Path(script)
    if not path.is_file():
        raise DragonLaunchError(f"no script to run under Dragon at {str(path)!r}")
    if not timeout > 0:
        raise DragonLaunchError(f"timeout={timeout!r} is not valid: expected seconds > 0")
    argv = [dragon_program(), "--single-node-override", str(path), *args]
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=_environment(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_run(proc)
        out, err = proc.communicate()
        run = DragonRun(proc.returncode, out, err, proc.pid)
        raise DragonTimeout(
            f"{path.name} under Dragon ran past {timeout:g} s; its processes were killed", run
        ) from None
    except BaseException:
        _kill_run(proc)
        proc.communicate()
        raise
    return DragonRun(proc.returncode, out, err, proc.pid)


def _kill_run(proc: subprocess.Popen[str]) -> None:
    """Kill the run's process group and remove the pool files it leaves."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    for leftover in leftover_pool_files(proc.pid):
        leftover.unlink(missing_ok=True)
