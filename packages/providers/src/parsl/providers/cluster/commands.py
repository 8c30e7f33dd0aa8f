"""Running one command with a deadline: the only place the cluster providers start processes."""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import subprocess
from typing import NamedTuple

from parsl.providers.cluster.scheduler import CommandResult
from parsl.providers.errors import ProviderError

logger = logging.getLogger(__name__)

# After SIGKILL, how long to wait for the killed command's pipes to close.
KILL_GRACE_S = 2.0


def _kill_group(pgid: int) -> None:
    """SIGKILL the process group ``pgid``; nothing to do when it is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class _RecordedPopen(subprocess.Popen[str]):
    """A text-mode Popen of ``argv`` in a new session that puts itself in ``record`` first.

    If Ctrl-C interrupts ``Popen.__init__`` after the fork (while it waits for
    the child's exec), the object it was building, with the child's ``pid``,
    is still in ``record``, so the child can be killed and reaped.
    """

    def __init__(self, argv: list[str], record: list[subprocess.Popen[str]]) -> None:
        record.append(self)
        super().__init__(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            text=True,
            errors="replace",
        )


def _reap_interrupted_start(record: list[subprocess.Popen[str]]) -> None:
    """Kill and reap the child of a Popen interrupted while starting it, if it got that far."""
    process = record[0] if record else None
    pid = getattr(process, "pid", None)
    if process is None or pid is None:  # interrupted before the fork: there is no child
        return
    # The child may not have made its own session yet, so kill it by pid as well as by group;
    # it is not reaped yet, so the pid is still its own.
    _kill_group(pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    for pipe in (process.stdout, process.stderr):  # open only if Popen itself had finished
        if pipe is not None:
            pipe.close()
    try:
        process.wait(timeout=KILL_GRACE_S)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL was sent to our own child
        logger.error("pid %d did not exit after SIGKILL", pid)


def run_command(
    argv: list[str],
    timeout_s: float,
    provider: str,
    error: type[ProviderError] = ProviderError,
) -> CommandResult:
    """Run ``argv`` and return its exit status and output; never wait longer than ``timeout_s``.

    The command runs in a new session, so when it overruns its whole process
    group (the command and anything it started) is killed by pid, and
    ``error`` is raised naming the command, with whatever output it had
    written. A command that cannot be started also raises ``error``.
    Ctrl-C (or any other exception) while the command starts or runs kills
    and reaps its process group, then propagates.
    """
    shown = shlex.join(argv)
    result, overran = _run_bounded(argv, shown, timeout_s, provider, error)
    if overran:
        raise error(
            provider,
            f"`{shown}` did not finish within cmd_timeout={timeout_s}s; "
            f"its process group (pid {result.pid}) was killed",
            result.stdout,
            result.stderr,
        )
    logger.debug("%s: `%s` exited %d", provider, shown, result.returncode)
    return CommandResult(result.returncode, result.stdout, result.stderr)


def execute_wait(cmd: str, timeout_s: float, provider: str) -> tuple[int, str, str]:
    """Run the shell command string ``cmd`` with bash; return ``(exit status, stdout, stderr)``.

    Parsl's ``ClusterProvider.execute_wait``, built on the same process
    handling as :func:`run_command`: ``cmd`` runs in a new session, and once
    ``timeout_s`` seconds have passed its whole process group is killed by
    pid. An overrun is returned, not raised: exit status ``-9`` (SIGKILL),
    the output written so far, and a line at the end of stderr saying what
    happened. Also an overrun: ``cmd`` exited, but a process it started in
    the background still holds its stdout or stderr open (redirect a
    background job's output, ``job > out 2>&1 &``, to return at once).
    Ctrl-C kills and reaps the command's process group, then propagates; a
    bash that cannot be started raises :class:`ProviderError`.
    """
    if not isinstance(cmd, str):
        raise TypeError(f"cmd={cmd!r} is not valid: expected a shell command string")
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or not timeout_s > 0:
        raise ValueError(f"timeout={timeout_s!r} is not valid: expected a number of seconds > 0")
    argv = ["/bin/bash", "-c", cmd]
    result, overran = _run_bounded(argv, cmd, timeout_s, provider, ProviderError)
    if not overran:
        return result.returncode, result.stdout, result.stderr
    if result.exited_first is not None:
        what = (
            f"bash exited {result.exited_first}, but a process it started kept its stdout "
            f"or stderr open past timeout={timeout_s}s (redirect a background job's output)"
        )
    else:
        what = f"the command did not finish within timeout={timeout_s}s"
    note = f"{provider}: {what}; its process group (pid {result.pid}) was killed"
    stderr = result.stderr + ("" if not result.stderr or result.stderr.endswith("\n") else "\n")
    return -signal.SIGKILL, result.stdout, stderr + note + "\n"


class _Finished(NamedTuple):
    """What :func:`_run_bounded` saw of one command."""

    returncode: int
    stdout: str
    stderr: str
    pid: int
    #: On an overrun, the command's own exit status when it had exited before the kill.
    exited_first: int | None


def _run_bounded(
    argv: list[str],
    shown: str,
    timeout_s: float,
    provider: str,
    error: type[ProviderError],
) -> tuple[_Finished, bool]:
    """Start ``argv`` in a new session and wait for it; kill its group after ``timeout_s``.

    Returns what it saw and whether the command overran (and was killed).
    """
    record: list[subprocess.Popen[str]] = []
    try:
        process = _RecordedPopen(argv, record)
    except FileNotFoundError:
        raise error(
            provider,
            f"cannot run `{shown}`: {argv[0]!r} was not found; is the scheduler's "
            "client installed and on PATH on this machine?",
        ) from None
    except OSError as e:
        raise error(provider, f"cannot run `{shown}`: {e}") from e
    except BaseException:
        # Ctrl-C or similar while starting it: leave nothing behind.
        _reap_interrupted_start(record)
        raise
    # No ``with process:`` here: its exit would wait for an overrunning command. communicate()
    # reads both pipes to their end, closes them and reaps the command.
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        logger.warning(
            "%s: `%s` overran %ss; killing pid %d", provider, shown, timeout_s, process.pid
        )
        exited = process.poll()
        stdout, stderr = _kill_and_collect(process)
        return _Finished(process.returncode, stdout, stderr, process.pid, exited), True
    except BaseException:
        # Ctrl-C or similar while waiting: leave nothing behind.
        _kill_and_collect(process)
        raise
    return _Finished(process.returncode, stdout, stderr, process.pid, None), False


def _kill_and_collect(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Kill the command's process group, reap it, and return what it wrote."""
    _kill_group(process.pid)
    try:
        stdout, stderr = process.communicate(timeout=KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        # Something outside the group (it left the session) still holds the
        # pipes: stop reading rather than wait for it.
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
        process.wait()
        return "", ""
    return stdout or "", stderr or ""
