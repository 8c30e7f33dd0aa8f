"""Parsl's ``ClusterProvider`` base class, for batch providers written against Parsl.

A provider written for Parsl subclasses
``parsl.providers.cluster_provider.ClusterProvider``, implements ``submit``,
``_status`` and ``cancel``, and uses the helpers here: :meth:`execute_wait`
to run the scheduler's commands and :meth:`_write_submit_script` to render
its submit script. Such a provider works here unchanged.

Our own batch providers are built differently (a pure
:class:`~parsl.providers.cluster.scheduler.BatchScheduler` plus the shared
shell :class:`parsl.providers.cluster.shell.ClusterProvider`); this class
shares their argument checks and their one way of running a command.
"""

from __future__ import annotations

import logging
import string
from abc import abstractmethod
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from parsl.argument_checks import check_int
from parsl.errors import bad_value
from parsl.jobs.states import JobState, JobStatus
from parsl.launchers.base import Launcher
from parsl.providers.base import ExecutionProvider
from parsl.providers.cluster.arguments import check_walltime, set_block_scaling
from parsl.providers.cluster.commands import execute_wait
from parsl.providers.errors import SchedulerMissingArgs, ScriptPathError

__all__ = ["ClusterProvider"]

logger = logging.getLogger(__name__)


class ClusterProvider(ExecutionProvider):
    """Parsl's base class for providers that drive a batch scheduler through its commands.

    A subclass implements :meth:`submit` (render and write a script with
    :meth:`_write_submit_script`, submit it with :meth:`execute_wait`, put
    ``{"status": JobStatus(...)}`` in :attr:`resources` under the new job
    id, and return the id), :meth:`_status` (ask the scheduler about the
    jobs in :attr:`resources` and update each ``"status"``) and
    :meth:`cancel`. :meth:`status` calls ``_status`` and answers from
    :attr:`resources`.

    Args:
        label: the provider's name, in messages (read-only :attr:`label`).
        nodes_per_block: nodes in each block, 1 or more.
        init_blocks: blocks to start when the executor starts, 0 or more.
        min_blocks: the fewest blocks to keep, 0 or more.
        max_blocks: the most blocks at once, at least ``min_blocks``.
        parallelism: ratio of provisioned task slots to active tasks, 0 to 1.
        walltime: each block's time limit, ``"HH:MM:SS"``.
        launcher: a :class:`~parsl.launchers.base.Launcher`; the subclass
            wraps the worker command with ``self.launcher(command,
            tasks_per_node, self.nodes_per_block)``.
        cmd_timeout: seconds a command run by :meth:`execute_wait` may take.

    A bad argument raises :class:`~parsl.errors.ConfigurationError` naming it.
    ``script_dir`` starts as None; the DataFlowKernel sets it to
    ``<run_dir>/submit_scripts`` before the executor starts.
    """

    def __init__(
        self,
        label: str,
        nodes_per_block: int,
        init_blocks: int,
        min_blocks: int,
        max_blocks: int,
        parallelism: float,
        walltime: str,
        launcher: Launcher,
        cmd_timeout: int = 10,
    ) -> None:
        if not isinstance(label, str) or not label.strip():
            raise bad_value("label", label, "a non-empty string naming the provider")
        self._label = label
        set_block_scaling(self, nodes_per_block, init_blocks, min_blocks, max_blocks, parallelism)
        self.walltime = check_walltime(walltime)
        if not isinstance(launcher, Launcher):
            raise bad_value(
                "launcher", launcher, "a parsl.launchers.base.Launcher such as SingleNodeLauncher()"
            )
        self.launcher: Launcher = launcher
        self.cmd_timeout = check_int("cmd_timeout", cmd_timeout, 1)
        self.script_dir: str | None = None
        #: job id -> a dict with at least ``"status"``, a JobStatus; kept by the subclass.
        self.resources: dict[Any, dict[str, Any]] = {}

    # Read-only, as in Parsl; the kernel's ExecutionProvider declares a plain attribute.
    @property
    def label(self) -> str:  # type: ignore[override]
        """The provider's name, as given to the constructor."""
        return self._label

    @property
    def status_polling_interval(self) -> float:
        """Seconds between status polls: 60, as batch schedulers ask of their users."""
        return 60.0

    def execute_wait(self, cmd: str, timeout: float | None = None) -> tuple[int, str, str]:
        """Run the shell command ``cmd`` with bash; return ``(exit status, stdout, stderr)``.

        Waits at most ``timeout`` seconds (default: ``cmd_timeout``). A
        command still running then is killed with its whole process group
        and comes back with exit status -9 (SIGKILL), the output it had
        written, and a line at the end of stderr saying it was killed. The
        same when ``cmd`` exited but left a background process holding its
        stdout or stderr: redirect a background job's output (``job > out
        2>&1 &``). Ctrl-C kills the command's process group too.
        """
        return execute_wait(cmd, self.cmd_timeout if timeout is None else timeout, self.label)

    def _write_submit_script(
        self, template: str, script_filename: str, job_name: str, configs: Mapping[str, Any]
    ) -> None:
        """Write ``template`` filled from ``configs`` (and ``jobname=job_name``) to ``script_filename``.

        ``template`` is a :class:`string.Template`: ``${name}`` (or
        ``$name``) is replaced with ``configs[name]``, and ``$$`` is a
        literal ``$``. Placeholders that ``configs`` lacks raise
        :class:`~parsl.providers.errors.SchedulerMissingArgs` naming every one
        of them; a file that cannot be written raises
        :class:`~parsl.providers.errors.ScriptPathError`. ``configs`` itself
        is not changed.
        """
        if not isinstance(template, str):
            raise TypeError(f"template={template!r} is not valid: expected a string")
        if not isinstance(configs, Mapping):
            raise TypeError(f"configs={configs!r} is not valid: expected a dict")
        values = {**configs, "jobname": job_name}
        parsed = string.Template(template)
        missing = [name for name in _identifiers(parsed) if name not in values]
        if missing:
            raise SchedulerMissingArgs(
                missing,
                self.label,
                reason=f"the submit script template for job {job_name!r} needs "
                f"{', '.join(missing)}, missing from its configs",
            )
        text = parsed.substitute(values)
        try:
            with open(script_filename, "w") as f:
                f.write(text)
        except OSError as e:
            raise ScriptPathError(
                script_filename, f"cannot write it: {e}", provider=self.label
            ) from e
        logger.debug("%s: wrote submit script %s", self.label, script_filename)

    def status(self, job_ids: list[Any]) -> list[JobStatus]:
        """Poll the scheduler (:meth:`_status`), then return each job's status from :attr:`resources`.

        An id not in :attr:`resources` is ``MISSING`` (Parsl's raises KeyError).
        """
        self._status()
        return [self._recorded_status(job_id) for job_id in job_ids]

    def _recorded_status(self, job_id: Any) -> JobStatus:
        resource = self.resources.get(job_id)
        if resource is None:
            return JobStatus(JobState.MISSING, message=f"{self.label} has no job {job_id!r}")
        status: JobStatus = resource["status"]
        return status

    @abstractmethod
    def _status(self) -> None:
        """Ask the scheduler about the jobs in :attr:`resources`; update each one's ``"status"``."""

    @abstractmethod
    def submit(self, command: str, tasks_per_node: int, job_name: str = "parsl.auto") -> Any:
        """Submit a block that runs ``command``; record it in :attr:`resources`; return its job id."""

    @abstractmethod
    def cancel(self, job_ids: list[Any]) -> list[bool]:
        """Cancel each job; True where the scheduler accepted the cancel."""


def _identifiers(template: string.Template) -> list[str]:
    """The placeholder names in ``template``, each once, in order; invalid ``$`` uses raise ValueError."""
    if not template.is_valid():
        template.substitute(defaultdict(str))  # raises ValueError naming the line and column
    return template.get_identifiers()
