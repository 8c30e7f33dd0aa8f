"""LocalProvider: each block is a bash script run as its own process group on this machine."""

from __future__ import annotations

import itertools
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any

from parsl.argument_checks import check_int
from parsl.errors import bad_value
from parsl.jobs.states import JobState, JobStatus
from parsl.launchers.base import Launcher, call_launcher
from parsl.launchers.simple import SingleNodeLauncher
from parsl.providers.base import ExecutionProvider
from parsl.providers.errors import SubmitException
from parsl.typecheck import typechecked

logger = logging.getLogger(__name__)

_POLL_STEP_S = 0.02


@dataclass
class _LocalBlock:
    """What the provider remembers about one submitted block."""

    job_id: str
    job_name: str
    process: subprocess.Popen[bytes]
    script_path: str
    stdout_path: str
    stderr_path: str
    cancelled: bool = False


def _signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to a process group; False when the group no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        # The id now names a group that is not ours: ours is gone.
        return False
    return True


def _group_has_live_members(pgid: int) -> bool:
    """True while a process group has a member that is not a zombie.

    Zombies are skipped because an orphan is reaped by whoever adopted it,
    which in some containers is a PID 1 that never reaps.
    """
    if not _signal_group(pgid, 0):
        return False
    if not os.path.isdir("/proc/self"):  # pragma: no cover (no procfs: trust kill(0))
        return True
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            # Fields after "(comm)": state, ppid, pgrp, ...; comm itself may hold spaces.
            fields = stat[stat.rfind(")") + 2 :].split()
            if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                return True
    return False


def _reap(block: _LocalBlock) -> int | None:
    """Poll the block's script; when it has just ended, kill what it left in its group first.

    The check uses ``WNOWAIT``, so the ended script stays a zombie while its
    group is killed: the group id cannot have been reused by then.
    """
    process = block.process
    if process.returncode is None and hasattr(os, "waitid"):
        try:
            ended = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:  # pragma: no cover (reaped by a racing poll)
            ended = None
        if ended is not None:
            _signal_group(process.pid, signal.SIGKILL)
    return process.poll()


def _wait_until_gone(blocks: list[_LocalBlock], deadline: float) -> list[_LocalBlock]:
    """Reap each block's script and wait for its group to empty; return those still there."""
    remaining = list(blocks)
    while remaining:
        remaining = [
            b
            for b in remaining
            if b.process.poll() is None or _group_has_live_members(b.process.pid)
        ]
        if not remaining or time.monotonic() >= deadline:
            break
        time.sleep(_POLL_STEP_S)
    return remaining


class LocalProvider(ExecutionProvider):
    """Runs each block on this machine as a bash script in a new session.

    ``submit`` writes ``worker_init`` followed by the launcher-wrapped
    command into a script under ``script_dir`` (set by the executor, or a
    fresh temporary directory), starts it with stdout and stderr in files
    next to the script, and returns the script's pid, as a string, as the
    job id. ``cancel`` stops the block's whole process group, children and
    grandchildren included: SIGTERM first, SIGKILL after
    ``cancel_grace_s`` seconds. As with a batch job, when the script ends
    anything it left running in its group is killed (on the next
    ``status`` or ``cancel``).

    Args:
        nodes_per_block: nodes per block, passed to the launcher (default 1).
        launcher: the launcher that wraps the command; default
            ``SingleNodeLauncher()``.
        init_blocks: blocks to start when the executor starts.
        min_blocks: the fewest blocks to keep.
        max_blocks: the most blocks to run at once.
        worker_init: shell lines run before the command in each block.
        cmd_timeout: seconds any wait on a block's process may take.
        parallelism: ratio of provisioned task slots to active tasks, 0 to 1.
        move_files: accepted for Parsl compatibility; files never move locally.
    """

    label = "local"
    cancel_grace_s: float = 2.0

    @typechecked
    def __init__(
        self,
        nodes_per_block: int = 1,
        launcher: Launcher | None = None,
        init_blocks: int = 1,
        min_blocks: int = 0,
        max_blocks: int = 1,
        worker_init: str = "",
        cmd_timeout: int = 30,
        parallelism: float = 1,
        move_files: bool | None = None,
    ) -> None:
        self.nodes_per_block = check_int("nodes_per_block", nodes_per_block, 1)
        if launcher is None:
            launcher = SingleNodeLauncher()
        if not isinstance(launcher, Launcher):
            raise bad_value(
                "launcher", launcher, "a parsl.launchers.base.Launcher such as SingleNodeLauncher()"
            )
        self.launcher: Launcher = launcher
        self.init_blocks = check_int("init_blocks", init_blocks, 0)
        self.min_blocks = check_int("min_blocks", min_blocks, 0)
        self.max_blocks = check_int("max_blocks", max_blocks, 0)
        if self.min_blocks > self.max_blocks:
            raise bad_value("min_blocks", min_blocks, f"at most max_blocks={max_blocks}")
        if not isinstance(worker_init, str):
            raise bad_value("worker_init", worker_init, "a string of shell commands")
        self.worker_init = worker_init
        self.cmd_timeout = check_int("cmd_timeout", cmd_timeout, 1)
        if isinstance(parallelism, bool) or not isinstance(parallelism, int | float):
            raise bad_value("parallelism", parallelism, "a number from 0 to 1")
        if not 0 <= parallelism <= 1:
            raise bad_value("parallelism", parallelism, "a number from 0 to 1")
        self.parallelism = float(parallelism)
        if move_files is not None and not isinstance(move_files, bool):
            raise bad_value("move_files", move_files, "None, True or False")
        self.move_files = move_files
        self.script_dir: str | None = None
        self.resources: dict[Any, dict[str, Any]] = {}
        self._blocks: dict[str, _LocalBlock] = {}
        self._lock = threading.Lock()
        self._counter = itertools.count()

    @property
    def status_polling_interval(self) -> float:
        """Polling a local process is cheap, so poll every second."""
        return 1.0

    def submit(
        self, command: str, tasks_per_node: int, job_name: str = "parsl.localprovider"
    ) -> str:
        """Start a block running ``command``; return its pid as the job id."""
        if not isinstance(job_name, str):
            raise bad_value("job_name", job_name, "a string")
        script_dir = self._ensure_script_dir()
        wrapped = call_launcher(
            self.launcher, command, tasks_per_node, self.nodes_per_block, script_dir
        )
        bash = shutil.which("bash") or "/bin/bash"
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", job_name) or "block"
        base = os.path.join(script_dir, f"{safe_name}.{time.time_ns()}.{next(self._counter)}")
        script_path, stdout_path, stderr_path = base + ".sh", base + ".stdout", base + ".stderr"
        script = (
            "#!/bin/bash\n"
            f"# Parsl LocalProvider block {job_name!r}\n"
            f"export JOBNAME={shlex.quote(job_name)}\n"
            f"{self.worker_init}\n"
            f"{wrapped}\n"
        )
        try:
            with open(script_path, "w") as f:
                f.write(script)
            os.chmod(script_path, 0o755)
            with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
                process = subprocess.Popen(
                    [bash, script_path],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                )
        except OSError as e:
            raise SubmitException(
                self.label, f"could not start block script {script_path}: {e}"
            ) from e
        job_id = str(process.pid)
        block = _LocalBlock(job_id, job_name, process, script_path, stdout_path, stderr_path)
        with self._lock:
            self._blocks[job_id] = block
            self.resources[job_id] = {
                "job_id": job_id,
                "job_name": job_name,
                "script_path": script_path,
                "status": JobStatus(
                    JobState.RUNNING, stdout_path=stdout_path, stderr_path=stderr_path
                ),
            }
        logger.debug("LocalProvider started block %s (%s) as pid %s", job_name, script_path, job_id)
        return job_id

    def status(self, job_ids: list[Any]) -> list[JobStatus]:
        """Return RUNNING, COMPLETED, FAILED, CANCELLED or (unknown id) MISSING for each job."""
        return [self._status_of(str(job_id)) for job_id in job_ids]

    def cancel(self, job_ids: list[Any]) -> list[bool]:
        """Stop each running block's process group; True where a running block was stopped."""
        results: list[bool] = []
        stopping: list[_LocalBlock] = []
        for job_id in (str(j) for j in job_ids):
            with self._lock:
                block = self._blocks.get(job_id)
            if block is None:
                results.append(False)
                continue
            if _reap(block) is not None:
                results.append(False)  # already over
                continue
            block.cancelled = True
            _signal_group(block.process.pid, signal.SIGTERM)
            stopping.append(block)
            results.append(True)
        self._wait_for_groups(stopping)
        for block in stopping:
            self._status_of(block.job_id)
        return results

    def _wait_for_groups(self, blocks: list[_LocalBlock]) -> None:
        """Give SIGTERM ``cancel_grace_s`` seconds, then SIGKILL what is left and reap."""
        remaining = _wait_until_gone(blocks, time.monotonic() + self.cancel_grace_s)
        for block in remaining:
            logger.info("LocalProvider: block %s ignored SIGTERM; sending SIGKILL", block.job_id)
            _signal_group(block.process.pid, signal.SIGKILL)
        # SIGKILL is not instant either: wait, bounded, until the groups are really gone.
        remaining = _wait_until_gone(remaining, time.monotonic() + self.cmd_timeout)
        for block in remaining:
            logger.error(
                "LocalProvider: block %s still has live processes %ss after SIGKILL",
                block.job_id,
                self.cmd_timeout,
            )

    def _status_of(self, job_id: str) -> JobStatus:
        with self._lock:
            block = self._blocks.get(job_id)
        if block is None:
            return JobStatus(
                JobState.MISSING, message=f"no block with job id {job_id!r} was started here"
            )
        code = _reap(block)
        if code is None:
            state, message = JobState.RUNNING, None
        elif block.cancelled:
            state, message = JobState.CANCELLED, "cancelled by the provider"
        elif code == 0:
            state, message = JobState.COMPLETED, None
        else:
            state, message = JobState.FAILED, _exit_message(code)
        status = JobStatus(
            state,
            message=message,
            exit_code=code,
            stdout_path=block.stdout_path,
            stderr_path=block.stderr_path,
        )
        with self._lock:
            self.resources[job_id]["status"] = status
        return status

    def _ensure_script_dir(self) -> str:
        try:
            if self.script_dir is None:
                self.script_dir = tempfile.mkdtemp(prefix="parsl-local-")
            else:
                os.makedirs(self.script_dir, exist_ok=True)
        except OSError as e:
            raise SubmitException(
                self.label, f"cannot use script_dir={self.script_dir!r}: {e}"
            ) from e
        return self.script_dir

    def __repr__(self) -> str:
        return (
            f"LocalProvider(nodes_per_block={self.nodes_per_block}, launcher={self.launcher!r}, "
            f"init_blocks={self.init_blocks}, min_blocks={self.min_blocks}, "
            f"max_blocks={self.max_blocks}, worker_init={self.worker_init!r}, "
            f"cmd_timeout={self.cmd_timeout}, parallelism={self.parallelism})"
        )


def _exit_message(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"block script was killed by {name}"
    return f"block script exited with code {code}"
