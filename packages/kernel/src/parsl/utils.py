"""Small public helpers of Parsl's API.

Checkpoints of earlier runs, the version, files that appear late, walltime
strings, running a shell command with a deadline, process titles, and names
safe for DNS (Kubernetes pods, for one). ``RepresentationMixin``, ``Timer``,
``AutoCancelTimer`` and ``AtomicIDCounter`` are exported here too, where
Parsl's users and plugin authors import them from.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import IO, Any

from parsl.representation import RepresentationMixin
from parsl.timers import AtomicIDCounter, AutoCancelTimer, Timer
from parsl.version import VERSION

logger = logging.getLogger(__name__)

__all__ = [
    "VERSION",
    "AtomicIDCounter",
    "AutoCancelTimer",
    "RepresentationMixin",
    "Timer",
    "execute_wait",
    "get_all_checkpoints",
    "get_last_checkpoint",
    "get_std_fname_mode",
    "get_version",
    "sanitize_dns_label_rfc1123",
    "sanitize_dns_subdomain_rfc1123",
    "setproctitle",
    "time_limited_open",
    "wait_for_file",
    "wtime_to_minutes",
]


def _run_order(name: str) -> tuple[int, int, str]:
    """Numbered runs (``000``, ``001``, ...) in number order, then any others by name."""
    return (0, int(name), name) if name.isdigit() else (1, 0, name)


def get_all_checkpoints(rundir: str = "runinfo") -> list[str]:
    """The checkpoint directories of every run under ``rundir``, oldest run first.

    Pass the result as ``Config(checkpoint_files=...)`` to reuse the results
    of all earlier runs. Runs without a checkpoint are skipped; a missing
    ``rundir`` gives an empty list.
    """
    from parsl.dataflow.memoization import CHECKPOINT_DIRNAME, CHECKPOINT_FILENAME

    if not os.path.isdir(rundir):
        return []
    found = []
    for name in sorted(os.listdir(rundir), key=_run_order):
        directory = os.path.join(rundir, name, CHECKPOINT_DIRNAME)
        if os.path.isfile(os.path.join(directory, CHECKPOINT_FILENAME)):
            found.append(os.path.abspath(directory))
    return found


def get_last_checkpoint(rundir: str = "runinfo") -> list[str]:
    """The checkpoint directory of the most recent run, in a list; empty if that run has none.

    As in Parsl, only the last run is looked at (checkpoints are incremental:
    use :func:`get_all_checkpoints` for every earlier result).
    """
    from parsl.dataflow.memoization import CHECKPOINT_DIRNAME, CHECKPOINT_FILENAME

    if not os.path.isdir(rundir):
        return []
    runs = sorted(
        (n for n in os.listdir(rundir) if os.path.isdir(os.path.join(rundir, n))), key=_run_order
    )
    if not runs:
        return []
    directory = os.path.join(rundir, runs[-1], CHECKPOINT_DIRNAME)
    if not os.path.isfile(os.path.join(directory, CHECKPOINT_FILENAME)):
        return []
    return [os.path.abspath(directory)]


def get_version() -> str:
    """The version, with ``-<commit>-clean`` or ``-<commit>-dirty`` when run from a git checkout.

    "dirty" means the kernel's source folder has uncommitted changes.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    git = shutil.which("git")
    if git is None:
        return VERSION
    try:
        head = subprocess.run(
            [git, "-C", here, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        changes = subprocess.run(
            [git, "-C", here, "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return VERSION  # not a git checkout (an installed wheel), or git cannot tell
    return f"{VERSION}-{head}-{'dirty' if changes else 'clean'}"


@contextlib.contextmanager
def wait_for_file(path: str, seconds: float = 10) -> Iterator[None]:
    """Wait up to ``seconds`` for ``path`` to exist, then run the block (whether it exists or not)."""
    deadline = time.monotonic() + seconds
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
    yield


@contextlib.contextmanager
def time_limited_open(path: str, mode: str, seconds: float = 1) -> Iterator[IO[Any]]:
    """Open ``path`` once it exists, waiting up to ``seconds``; closed when the block ends.

    A file still missing after the wait raises :class:`FileNotFoundError`.
    """
    with wait_for_file(path, seconds), open(path, mode) as f:
        yield f


def wtime_to_minutes(time_string: str) -> int:
    """Whole minutes in an ``"HH:MM:SS"`` walltime (seconds are dropped, as schedulers do)."""
    from parsl.jobs.walltime import HH_MM_SS, WalltimeError, walltime_to_seconds

    if not isinstance(time_string, str) or not HH_MM_SS.match(time_string.strip()):
        raise WalltimeError(
            f"walltime {time_string!r} is not valid: expected 'HH:MM:SS'", value=time_string
        )
    total = walltime_to_seconds(time_string) // 60
    if total < 1:
        logger.warning("walltime %r is less than one minute", time_string)
    return total


def execute_wait(cmd: str, walltime: float | None = None) -> tuple[int, str, str]:
    """Run ``cmd`` with bash; return ``(exit code, stdout, stderr)``.

    With ``walltime``, a command still running after that many seconds is
    killed with its whole process group, and :class:`subprocess.TimeoutExpired`
    is raised; Ctrl-C while waiting kills the group too. Either way the call
    returns within a few seconds more, even when a process that left the
    group (``setsid``) still holds the command's output open.
    """
    if not isinstance(cmd, str):
        raise TypeError(f"cmd={cmd!r} is not valid: expected a shell command string")
    proc = subprocess.Popen(
        cmd,
        shell=True,
        executable="/bin/bash",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=walltime)
    except BaseException:  # the walltime, or Ctrl-C: the command's whole group goes
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        try:
            proc.communicate(timeout=KILL_GRACE_S)
        except subprocess.TimeoutExpired:  # a process outside the group holds the pipes
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
            proc.wait(KILL_GRACE_S)
        raise
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


KILL_GRACE_S = 2.0
"""Seconds :func:`execute_wait` waits for a killed command's output to end."""


def setproctitle(title: str) -> None:
    """Name this process in ``ps`` and ``top``.

    Uses the ``setproctitle`` package when installed (the full command line
    shown by ``ps``); otherwise, on Linux, the process name (its first 15
    bytes, as ``ps -o comm`` and ``top`` show it). Elsewhere it does nothing.
    """
    try:
        # Imported by name so that mypy gives the same answer with or without the package.
        spt: Any = importlib.import_module("setproctitle")
    except ImportError:
        with contextlib.suppress(OSError), open("/proc/self/comm", "w") as f:
            f.write(title.encode()[:15].decode(errors="ignore"))
        return
    spt.setproctitle(title)


def get_std_fname_mode(
    fdname: str, stdfspec: str | os.PathLike[str] | tuple[str | os.PathLike[str], str]
) -> tuple[str, str]:
    """The file name and open mode for an app's ``stdout``/``stderr`` argument.

    A path means append (``"a+"``); a ``(path, mode)`` tuple gives its mode.
    Anything else raises :class:`~parsl.app.errors.BadStdStreamFile` naming
    ``fdname``.
    """
    from parsl.app.errors import BadStdStreamFile

    mode = "a+"
    fname: Any = stdfspec
    if isinstance(stdfspec, tuple):
        if len(stdfspec) != 2 or not isinstance(stdfspec[1], str):
            raise BadStdStreamFile(
                f"{fdname}={stdfspec!r}: expected a path or a (path, mode) tuple of length 2"
            )
        fname, mode = stdfspec
    if not isinstance(fname, str | os.PathLike):
        raise BadStdStreamFile(f"{fdname}={stdfspec!r}: expected a path or a (path, mode) tuple")
    path = os.fspath(fname)
    return (path.decode() if isinstance(path, bytes) else path), mode


def sanitize_dns_label_rfc1123(raw_string: str) -> str:
    """``raw_string`` as a DNS label (RFC 1123): lowercase letters, digits and single hyphens.

    Other characters become hyphens, runs of hyphens one, the result is at
    most 63 characters and starts and ends with a letter or digit. Raises
    :class:`ValueError` when nothing usable remains.
    """
    label = re.sub(r"-+", "-", re.sub(r"[^a-z0-9]", "-", raw_string.lower()))[:63].strip("-")
    if not label:
        raise ValueError(f"Sanitized DNS label is empty for input '{raw_string}'")  # Parsl's text
    return label


def sanitize_dns_subdomain_rfc1123(raw_string: str) -> str:
    """``raw_string`` as a DNS subdomain: dot-separated sanitized labels, at most 253 characters.

    Empty labels (``a..b``) are dropped. Raises :class:`ValueError` when
    nothing usable remains.
    """
    labels = [sanitize_dns_label_rfc1123(part) for part in raw_string.split(".") if part]
    name = ".".join(labels)[:253].strip("-.")
    if not name:
        raise ValueError(f"Sanitized DNS subdomain is empty for input '{raw_string}'")
    return name


def __getattr__(name: str) -> Any:
    """``parsl.utils.BadStdStreamFile``, where Parsl's scripts may import it from.

    Looked up on first use: :mod:`parsl.app` imports this module.
    """
    if name == "BadStdStreamFile":
        from parsl.app.errors import BadStdStreamFile

        return BadStdStreamFile
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
