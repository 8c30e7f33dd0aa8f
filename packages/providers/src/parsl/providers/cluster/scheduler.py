"""The sans-I/O core every batch scheduler implements: paired pure functions, no processes.

A :class:`BatchScheduler` knows one scheduler's language and nothing else:

* render a submit script from a :class:`SubmitContext` (a logic-free
  :class:`string.Template`, filled by :meth:`BatchScheduler.template_values`);
* build the submit command for a script, and parse the job id from what it printed;
* build the status command for some job ids, and parse their states from its output;
* build the cancel command, and parse which cancels were accepted;
* optionally, build a history command for a job the queue no longer lists
  (``qacct``, ``condor_history``), and parse its final state.

None of these functions runs anything, so each is tested on recorded
scheduler output. :class:`~parsl.providers.cluster.shell.ClusterProvider`
is the thin I/O shell that runs the commands.
"""

from __future__ import annotations

import string
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from parsl.jobs.states import JobState, JobStatus

VANISHED_MESSAGE = (
    "the job is no longer listed by the scheduler: it has finished, exit status unknown"
)


@dataclass(frozen=True)
class SubmitContext:
    """Everything a scheduler needs to render one block's submit script.

    Attributes:
        job_name: the job's name as the scheduler will show it.
        nodes_per_block: nodes to request.
        tasks_per_node: worker copies the launcher starts on each node.
        walltime: the time limit, ``HH:MM:SS``.
        scheduler_options: lines inserted verbatim among the scheduler's directives.
        worker_init: shell lines run before the command.
        command: the launched command (already wrapped by the launcher).
        stdout_path: where the job's stdout goes.
        stderr_path: where the job's stderr goes.
        options: scheduler-specific settings (partition, account, ...), by name.
    """

    job_name: str
    nodes_per_block: int
    tasks_per_node: int
    walltime: str
    scheduler_options: str
    worker_init: str
    command: str
    stdout_path: str
    stderr_path: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CommandResult:
    """What a scheduler command did: its exit status and its output, as text."""

    returncode: int
    stdout: str
    stderr: str


class BatchScheduler(ABC):
    """One batch scheduler's commands and output formats, as pure functions.

    Subclasses set :attr:`name` and :attr:`template`, and implement
    :meth:`template_values` and the three command/parse pairs. Parse
    functions raise :class:`~parsl.providers.errors.ProviderError` (or
    :class:`~parsl.providers.errors.SubmitException`) carrying the
    scheduler's own stdout and stderr when the output means failure.
    """

    name: ClassVar[str] = "scheduler"
    template: ClassVar[string.Template]
    #: Seconds a job that left the queue may stay without a history record
    #: (accounting files are written with a delay) before it is taken as
    #: finished with an unknown exit status; until then it keeps its last state.
    history_grace_s: ClassVar[float] = 0.0

    def render_submit_script(self, ctx: SubmitContext) -> str:
        """Return the submit script for ``ctx``: the template filled with :meth:`template_values`."""
        return self.template.substitute(self.template_values(ctx))

    def submit_files(self, ctx: SubmitContext, script_path: str) -> dict[str, str]:
        """Return every file to write before submitting, path to text: by default only the script.

        A scheduler whose submit command reads a description separate from
        the job's script (HTCondor) returns both; each is written with mode 0o700.
        """
        return {script_path: self.render_submit_script(ctx)}

    @abstractmethod
    def template_values(self, ctx: SubmitContext) -> dict[str, str]:
        """Return the value of every placeholder in :attr:`template` for ``ctx``."""

    @abstractmethod
    def submit_command(self, script_path: str) -> list[str]:
        """Return the argv that submits the script at ``script_path``."""

    @abstractmethod
    def parse_submit_output(self, returncode: int, stdout: str, stderr: str) -> str:
        """Return the job id the submit command printed; raise SubmitException if it failed."""

    @abstractmethod
    def status_command(self, job_ids: list[str]) -> list[str]:
        """Return the argv that reports the state of ``job_ids`` (never empty)."""

    @abstractmethod
    def parse_status_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> dict[str, JobStatus]:
        """Return a status for every id in ``job_ids``: MISSING where the output omits it."""

    @abstractmethod
    def cancel_command(self, job_ids: list[str]) -> list[str]:
        """Return the argv that cancels ``job_ids`` (never empty)."""

    @abstractmethod
    def parse_cancel_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> list[bool]:
        """Return, in order, whether the cancel of each id was accepted."""

    def history_command(self, job_id: str) -> list[str] | None:
        """Return the argv that reports a job the status command no longer lists; None: there is none.

        The shell runs it once for a job seen queued or running that has
        left the queue, so its final state (exit status, failure, timeout)
        is known rather than guessed.
        """
        return None

    def parse_history_output(
        self, returncode: int, stdout: str, stderr: str, job_id: str
    ) -> JobStatus:
        """Return the job's final status from the history command; MISSING when it has no record."""
        raise NotImplementedError(f"{self.name} has no history command")


def reconcile_status(previous: JobStatus | None, reported: JobStatus) -> JobStatus:
    """Combine what was known about a job with what the scheduler just reported.

    The scheduler's answer wins, except where it no longer lists the job
    (``reported`` is MISSING): a job never known stays MISSING, a job known
    to have finished keeps its final status, and a job last seen queued or
    running has left the queue, so it is COMPLETED with an unknown exit
    status (schedulers forget finished jobs after a while; see
    SCHEDULERS.md for Slurm without accounting).
    """
    if reported.state != JobState.MISSING or previous is None:
        return reported
    if previous.terminal:
        return previous
    return JobStatus(JobState.COMPLETED, message=VANISHED_MESSAGE)


def state_table(states: Mapping[str, tuple[str, JobState]]) -> dict[str, JobState]:
    """Each code of a ``{code: (meaning, JobState)}`` table with its JobState alone (Parsl's tables)."""
    return {code: state for code, (_, state) in states.items()}


def directive_lines(prefix: str, directives: list[tuple[str, Any]], separator: str = "=") -> str:
    """Render ``prefix flag=value`` lines for each directive whose value is not None.

    ``separator`` goes between flag and value (``" "`` for ``#PBS -q debug``).
    A value of True renders the bare flag; None and False render nothing.
    The result ends with a newline when it is not empty, so a template can
    place it on a line of its own.
    """
    lines = []
    for flag, value in directives:
        if value is None or value is False:
            continue
        lines.append(f"{prefix} {flag}" if value is True else f"{prefix} {flag}{separator}{value}")
    return "".join(line + "\n" for line in lines)
