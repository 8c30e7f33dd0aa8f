"""ClusterProvider: the thin I/O shell shared by every batch-scheduler provider."""

from __future__ import annotations

import itertools
import logging
import os
import re
import shlex
import tempfile
import threading
import time
from typing import Any

from parsl.argument_checks import check_int, check_text
from parsl.errors import bad_value
from parsl.jobs.states import JobState, JobStatus
from parsl.launchers.base import Launcher, call_launcher
from parsl.launchers.simple import SingleNodeLauncher
from parsl.providers.base import ExecutionProvider
from parsl.providers.cluster.arguments import check_walltime, set_block_scaling
from parsl.providers.cluster.commands import execute_wait, run_command
from parsl.providers.cluster.scheduler import (
    BatchScheduler,
    CommandResult,
    SubmitContext,
    reconcile_status,
)
from parsl.providers.errors import ProviderError, ScriptPathError, SubmitException

logger = logging.getLogger(__name__)


class ClusterProvider(ExecutionProvider):
    """Gets blocks from a batch scheduler by running its commands; the scheduler's language is a :class:`BatchScheduler`.

    ``submit`` renders the block's script with the scheduler's template,
    writes it into ``script_dir`` (created with mode 0o700 when missing; a
    fresh temporary directory when None), runs the submit command, keeps
    what the scheduler answered beside the script (``<name>.submit.stdout``
    and ``<name>.submit.stderr``) and returns the job id. ``status`` asks the
    scheduler about the jobs not yet known to have finished and remembers
    each job's last status in :attr:`resources`; ``cancel`` runs the cancel
    command. Every command is killed, by process group, when it runs longer
    than ``cmd_timeout`` seconds, and a :class:`ProviderError` naming it is
    raised.

    Subclasses (``SlurmProvider``, ...) pass their scheduler and add their
    own settings through :meth:`scheduler_settings`.

    Args:
        scheduler: the scheduler's pure functions.
        label: the provider's name in messages and file names.
        nodes_per_block: nodes in each block.
        init_blocks: blocks to start when the executor starts.
        min_blocks: the fewest blocks to keep.
        max_blocks: the most blocks at once.
        parallelism: ratio of provisioned task slots to active tasks, 0 to 1.
        walltime: each block's time limit, ``HH:MM:SS``.
        scheduler_options: lines added verbatim to the script's directives.
        worker_init: shell lines run before the worker command.
        launcher: wraps the worker command; default ``SingleNodeLauncher()``.
        cmd_timeout: seconds a scheduler command may run.
        script_dir: where submit scripts and job output go (executors set it).
    """

    label = "cluster"
    #: Seconds between status polls: batch schedulers ask users not to poll often.
    polling_interval_s: float = 60.0
    cores_per_node: int | None = None
    mem_per_node: float | None = None
    #: Most job ids per status command (None: all in one); Slurm's ``status_batch_size``.
    status_batch_size: int | None = None
    #: Most job ids per cancel command (None: all in one); Condor's ``cmd_chunk_size``.
    cancel_batch_size: int | None = None

    walltime_enforced = True

    def __init__(
        self,
        scheduler: BatchScheduler,
        *,
        label: str | None = None,
        nodes_per_block: int = 1,
        init_blocks: int = 1,
        min_blocks: int = 0,
        max_blocks: int = 1,
        parallelism: float = 1,
        walltime: str = "00:10:00",
        scheduler_options: str = "",
        worker_init: str = "",
        launcher: Launcher | None = None,
        cmd_timeout: int = 10,
        script_dir: str | None = None,
    ) -> None:
        if not isinstance(scheduler, BatchScheduler):
            raise bad_value("scheduler", scheduler, "a BatchScheduler instance")
        self.scheduler = scheduler
        if label is not None:
            if not isinstance(label, str) or not re.fullmatch(r"[A-Za-z0-9._-]+", label):
                raise bad_value("label", label, "a name of letters, digits, '.', '_' or '-'")
            self.label = label
        set_block_scaling(self, nodes_per_block, init_blocks, min_blocks, max_blocks, parallelism)
        self.walltime = check_walltime(walltime)
        self.scheduler_options = check_text("scheduler_options", scheduler_options)
        self.worker_init = check_text("worker_init", worker_init)
        if launcher is None:
            launcher = SingleNodeLauncher()
        if not isinstance(launcher, Launcher):
            raise bad_value(
                "launcher", launcher, "a parsl.launchers.base.Launcher such as SingleNodeLauncher()"
            )
        self.launcher: Launcher = launcher
        self.cmd_timeout = check_int("cmd_timeout", cmd_timeout, 1)
        if script_dir is not None and (not isinstance(script_dir, str) or not script_dir):
            raise bad_value("script_dir", script_dir, "None or a directory path string")
        self.script_dir: str | None = script_dir
        self.resources: dict[Any, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._counter = itertools.count()

    @property
    def status_polling_interval(self) -> float:
        """Seconds between status polls (:attr:`polling_interval_s`)."""
        return self.polling_interval_s

    def scheduler_settings(self) -> dict[str, Any]:
        """The scheduler-specific settings put in each :class:`SubmitContext` (none here)."""
        return {}

    # -- submit --------------------------------------------------------------

    def submit(self, command: str, tasks_per_node: int, job_name: str = "parsl.block") -> str:
        """Submit a block that runs ``command`` with ``tasks_per_node`` copies per node; return its job id."""
        tasks_per_node = check_int("tasks_per_node", tasks_per_node, 1)
        if not isinstance(job_name, str):
            raise bad_value("job_name", job_name, "a string")
        script_dir = self._ensure_script_dir()
        launched = call_launcher(
            self.launcher, command, tasks_per_node, self.nodes_per_block, script_dir
        )
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", job_name) or "block"
        name = f"{safe_name}.{time.time_ns()}.{next(self._counter)}"
        base = os.path.join(script_dir, name)
        ctx = SubmitContext(
            job_name=name,
            nodes_per_block=self.nodes_per_block,
            tasks_per_node=tasks_per_node,
            walltime=self.walltime,
            scheduler_options=self.scheduler_options,
            worker_init=self.worker_init,
            command=launched,
            stdout_path=base + ".stdout",
            stderr_path=base + ".stderr",
            options=self.scheduler_settings(),
        )
        script_path = base + ".submit"
        for path, text in self.scheduler.submit_files(ctx, script_path).items():
            try:
                with open(path, "w") as f:
                    f.write(text)
                os.chmod(path, 0o700)
            except OSError as e:
                raise ScriptPathError(path, f"cannot write it: {e}", provider=self.label) from e
        argv = self.scheduler.submit_command(script_path)
        try:
            result = self._command(argv, SubmitException)
        except ProviderError as e:
            self._keep_submit_output(base, e.stdout, e.stderr)
            raise
        self._keep_submit_output(base, result.stdout, result.stderr)
        try:
            job_id = self.scheduler.parse_submit_output(
                result.returncode, result.stdout, result.stderr
            )
        except ProviderError as e:
            raise SubmitException(
                self.label,
                f"{e.reason} (submit script {script_path}; the scheduler's answer is kept in "
                f"{base}.submit.stdout and .submit.stderr)",
                e.stdout,
                e.stderr,
            ) from e
        status = JobStatus(
            JobState.PENDING, stdout_path=ctx.stdout_path, stderr_path=ctx.stderr_path
        )
        with self._lock:
            self.resources[job_id] = {
                "job_id": job_id,
                "job_name": name,
                "script_path": script_path,
                "stdout_path": ctx.stdout_path,
                "stderr_path": ctx.stderr_path,
                "job_stdout_path": ctx.stdout_path,  # Parsl's keys
                "job_stderr_path": ctx.stderr_path,
                "status": status,
            }
        logger.info("%s: submitted %s as job %s", self.label, script_path, job_id)
        return job_id

    def _keep_submit_output(self, base: str, stdout: str, stderr: str) -> None:
        for suffix, text in ((".submit.stdout", stdout), (".submit.stderr", stderr)):
            try:
                with open(base + suffix, "w") as f:
                    f.write(text)
            except OSError as e:  # pragma: no cover (the script was just written there)
                logger.warning(
                    "%s: cannot keep submit output in %s: %s", self.label, base + suffix, e
                )

    def _ensure_script_dir(self) -> str:
        try:
            if self.script_dir is None:
                self.script_dir = tempfile.mkdtemp(prefix=f"parsl-{self.label}-")
            elif not os.path.isdir(self.script_dir):
                os.makedirs(self.script_dir, mode=0o700)
                os.chmod(self.script_dir, 0o700)
        except OSError as e:
            raise SubmitException(
                self.label, f"cannot use script_dir={self.script_dir!r}: {e}"
            ) from e
        return self.script_dir

    # -- status and cancel ---------------------------------------------------

    def status(self, job_ids: list[Any]) -> list[JobStatus]:
        """Return each job's status, in order; jobs known to have finished are not asked about again."""
        ids = [str(job_id) for job_id in job_ids]
        known = self._known_statuses(ids)
        to_ask = _unique(i for i in ids if not (i in known and known[i].terminal))
        reported: dict[str, JobStatus] = {}
        for chunk in _batches(to_ask, self.status_batch_size):
            result = self._run(self.scheduler.status_command(chunk))
            reported.update(
                self.scheduler.parse_status_output(
                    result.returncode, result.stdout, result.stderr, chunk
                )
            )
        statuses = []
        for job_id in ids:
            previous = known.get(job_id)
            if previous is not None and previous.terminal:
                statuses.append(previous)
                continue
            answer = reported.get(job_id) or JobStatus(
                JobState.MISSING, message="not listed by the scheduler"
            )
            if answer.state == JobState.MISSING and previous is not None:
                answer = self._history(job_id, previous, answer)
            statuses.append(self._record(job_id, reconcile_status(previous, answer)))
        return statuses

    def _history(self, job_id: str, previous: JobStatus, missing: JobStatus) -> JobStatus:
        """Ask the scheduler's history about a job that left the queue; ``missing`` if it has none.

        While the history has no record yet and the job left the queue less
        than ``history_grace_s`` ago, the job keeps its last state.
        """
        argv = self.scheduler.history_command(job_id)
        if argv is None:
            return missing
        try:
            result = self._run(argv)
        except ProviderError as e:  # no history tool here, or it hung: the queue's reading stands
            logger.info("%s: no history for job %s: %s", self.label, job_id, e)
            return missing
        final = self.scheduler.parse_history_output(
            result.returncode, result.stdout, result.stderr, job_id
        )
        if final.state != JobState.MISSING:
            return final
        with self._lock:
            vanished_at = self.resources[job_id].setdefault("vanished_at", time.monotonic())
        if time.monotonic() - vanished_at < self.scheduler.history_grace_s:
            return previous
        return missing

    def cancel(self, job_ids: list[Any]) -> list[bool]:
        """Cancel each job; True where the scheduler accepted the cancel, False for finished jobs."""
        ids = [str(job_id) for job_id in job_ids]
        known = self._known_statuses(ids)
        to_cancel = _unique(i for i in ids if not (i in known and known[i].terminal))
        accepted: dict[str, bool] = {}
        for chunk in _batches(to_cancel, self.cancel_batch_size):
            result = self._run(self.scheduler.cancel_command(chunk))
            flags = self.scheduler.parse_cancel_output(
                result.returncode, result.stdout, result.stderr, chunk
            )
            accepted.update(zip(chunk, flags, strict=True))
        for job_id, ok in accepted.items():
            if ok and job_id in known:
                self._record(
                    job_id, JobStatus(JobState.CANCELLED, message="cancelled by the provider")
                )
        return [accepted.get(job_id, False) for job_id in ids]

    def execute_wait(self, cmd: str, timeout: float | None = None) -> tuple[int, str, str]:
        """Run the shell command ``cmd`` with bash; return ``(exit status, stdout, stderr)``.

        Parsl's ``ClusterProvider.execute_wait``, for subclasses written for
        Parsl. ``timeout`` defaults to ``cmd_timeout``; a command still
        running then has its process group killed and comes back with exit
        status -9 and a line at the end of stderr saying so
        (:func:`~parsl.providers.cluster.commands.execute_wait`).
        """
        return execute_wait(cmd, self.cmd_timeout if timeout is None else timeout, self.label)

    def _run(self, argv: list[str]) -> CommandResult:
        return self._command(argv, ProviderError)

    def _command(self, argv: list[str], error: type[ProviderError]) -> CommandResult:
        """Run one scheduler command: bounded by ``cmd_timeout``, or through a replaced execute_wait.

        A subclass (or an instance attribute, as Parsl's tests set a mock)
        that replaces :meth:`execute_wait` gets every submit, status and
        cancel command, as the shell line ``shlex.join(argv)``: Parsl's
        providers run their commands through it, and code written for
        them (running ``sbatch`` on a login node over ssh, say) relies on it.
        """
        if "execute_wait" not in self.__dict__ and (
            type(self).execute_wait is ClusterProvider.execute_wait
        ):
            return run_command(argv, self.cmd_timeout, self.label, error)
        shown = shlex.join(argv)
        answer = self.execute_wait(shown)
        if (
            not isinstance(answer, tuple | list)
            or len(answer) != 3
            or isinstance(answer[0], bool)
            or not isinstance(answer[0], int)
            or not all(isinstance(t, str) for t in answer[1:])
        ):
            raise error(
                self.label,
                f"execute_wait({shown!r}) returned {answer!r}: expected "
                "(exit status, stdout, stderr) as (int, str, str)",
            )
        return CommandResult(answer[0], answer[1], answer[2])

    def _known_statuses(self, ids: list[str]) -> dict[str, JobStatus]:
        with self._lock:
            return {i: self.resources[i]["status"] for i in ids if i in self.resources}

    def _record(self, job_id: str, status: JobStatus) -> JobStatus:
        """Attach the job's output paths to ``status`` and remember it (for jobs submitted here)."""
        with self._lock:
            resource = self.resources.get(job_id)
            if resource is None:
                return status
            status = JobStatus(
                status.state,
                message=status.message,
                exit_code=status.exit_code,
                stdout_path=resource["stdout_path"],
                stderr_path=resource["stderr_path"],
            )
            resource["status"] = status
        return status

    def __repr__(self) -> str:
        settings = "".join(
            f", {key}={value!r}"
            for key, value in self.scheduler_settings().items()
            if value not in (None, "", [], {})
        )
        return (
            f"{type(self).__name__}(nodes_per_block={self.nodes_per_block}, "
            f"init_blocks={self.init_blocks}, min_blocks={self.min_blocks}, "
            f"max_blocks={self.max_blocks}, parallelism={self.parallelism}, "
            f"walltime={self.walltime!r}, launcher={self.launcher!r}, "
            f"cmd_timeout={self.cmd_timeout}{settings})"
        )


def _unique(ids: Any) -> list[str]:
    """The ids in first-seen order, each once."""
    return list(dict.fromkeys(ids))


def _batches(ids: list[str], size: int | None) -> list[list[str]]:
    """``ids`` in consecutive runs of at most ``size`` (one run when None); none when empty."""
    if not ids:
        return []
    step = size or len(ids)
    return [ids[i : i + step] for i in range(0, len(ids), step)]
