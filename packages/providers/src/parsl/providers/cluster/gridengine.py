"""Grid Engine: ``#$`` scripts, ``qsub`` to submit, ``qstat`` + ``qacct -j`` for status, ``qdel`` to cancel."""

from __future__ import annotations

import re
import string
from typing import Any, ClassVar

from parsl.jobs.states import JobState, JobStatus
from parsl.launchers.base import Launcher
from parsl.providers.cluster.arguments import check_directive_value, is_plausible_job_id
from parsl.providers.cluster.scheduler import BatchScheduler, SubmitContext, directive_lines
from parsl.providers.cluster.shell import ClusterProvider
from parsl.providers.errors import ProviderError, SubmitException
from parsl.typecheck import typechecked

_SUBMITTED = re.compile(r'Your job(?:-array)? (?P<id>\d+)(?:\.\S+)? \(".*"\) has been submitted')
_QACCT_FIELD = re.compile(r"^(?P<key>failed|exit_status)\s+(?P<value>-?\d+)\s*(?P<text>.*)$")
_QDEL_ACCEPTED = re.compile(
    r"has (?:registered the job|deleted job|deleted job-array task)s? (?P<id>\d+)"
)
_QDEL_REFUSED = re.compile(r'job "?(?P<id>\d+)"? does not exist')

#: qacct's ``failed`` codes for a job killed at its ``h_rt``/``s_rt`` limit.
TIMEOUT_FAILURES = {37}

GRIDENGINE_TEMPLATE = string.Template(
    """\
#!/bin/bash
# A Parsl block, rendered by GridEngineProvider.
#$$ -S /bin/bash
#$$ -N ${job_name}
#$$ -o ${stdout_path}
#$$ -e ${stderr_path}
#$$ -l h_rt=${walltime}
${directives}${scheduler_options}
${worker_init}

export JOBNAME=${job_name}

${command}
"""
)


def gridengine_state_to_status(code: str) -> JobStatus:
    """The JobStatus for a ``qstat`` state such as ``qw``, ``r``, ``hqw``, ``Eqw`` or ``dr``.

    Grid Engine combines letters: E (error) wins, then d (being deleted),
    then h (hold) and s/S/T (suspended), then r/t/R (running or starting),
    then q/w (waiting).
    """
    if not code or not code.isalpha():
        return JobStatus(JobState.UNKNOWN, message=f"unrecognised Grid Engine state {code!r}")
    message = f"Grid Engine state {code}"
    if "E" in code:
        return JobStatus(JobState.FAILED, message=message + " (error: see qstat -j)")
    if "d" in code:
        return JobStatus(JobState.CANCELLED, message=message + " (being deleted)")
    if "h" in code or set(code) & set("sST"):
        return JobStatus(JobState.HELD, message=message)
    if set(code) & set("rtR"):
        return JobStatus(JobState.RUNNING, message=message)
    if set(code) & set("qw"):
        return JobStatus(JobState.PENDING, message=message)
    return JobStatus(JobState.UNKNOWN, message=f"unrecognised Grid Engine state {code!r}")


class GridEngineScheduler(BatchScheduler):
    """Grid Engine's commands and output formats (tested on Grid Engine 8.1.9).

    Finished jobs leave ``qstat`` at once, so a job it no longer lists is
    looked up with ``qacct -j``, which gives its exit status, whether Grid
    Engine killed it at its ``h_rt`` limit, and other failures.
    """

    name: ClassVar[str] = "gridengine"
    template: ClassVar[string.Template] = GRIDENGINE_TEMPLATE
    # Sites often flush the accounting file every 15 s (reporting_params).
    history_grace_s: ClassVar[float] = 60.0

    def template_values(self, ctx: SubmitContext) -> dict[str, str]:
        """Fill the ``#$`` lines; ``queue`` and ``parallel_environment`` come from ``ctx.options``."""
        options = ctx.options
        slots = ctx.nodes_per_block * ctx.tasks_per_node
        pe = options.get("parallel_environment")
        directives = directive_lines(
            "#$",
            [("-q", options.get("queue")), ("-pe", None if pe is None else f"{pe} {slots}")],
            separator=" ",
        )
        return {
            "job_name": ctx.job_name,
            "stdout_path": ctx.stdout_path,
            "stderr_path": ctx.stderr_path,
            "walltime": ctx.walltime,
            "directives": directives,
            "scheduler_options": ctx.scheduler_options,
            "worker_init": ctx.worker_init,
            "command": ctx.command,
        }

    def submit_command(self, script_path: str) -> list[str]:
        """``qsub SCRIPT``."""
        return ["qsub", script_path]

    def parse_submit_output(self, returncode: int, stdout: str, stderr: str) -> str:
        """The id from ``Your job <id> ("<name>") has been submitted``."""
        if returncode != 0:
            raise SubmitException(
                self.name, f"qsub failed with exit code {returncode}", stdout, stderr
            )
        match = _SUBMITTED.search(stdout)
        if match is None or not is_plausible_job_id(match.group("id")):
            raise SubmitException(
                self.name, "qsub succeeded but its output names no job id", stdout, stderr
            )
        return match.group("id")

    def status_command(self, job_ids: list[str]) -> list[str]:
        """``qstat``: this user's queued and running jobs, one table (finished jobs are not listed)."""
        return ["qstat"]

    def parse_status_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> dict[str, JobStatus]:
        """Read the job-ID and state columns; a job listed twice (array tasks) counts as running if any task runs."""
        if returncode != 0:
            raise ProviderError(
                self.name, f"qstat failed with exit code {returncode}", stdout, stderr
            )
        statuses = {
            job_id: JobStatus(JobState.MISSING, message="not listed by qstat") for job_id in job_ids
        }
        for line in stdout.splitlines():
            fields = line.split()
            if len(fields) < 5 or fields[0] not in statuses:
                continue  # header, separator, other jobs
            status = gridengine_state_to_status(fields[4])
            if statuses[fields[0]].state == JobState.MISSING or status.state == JobState.RUNNING:
                statuses[fields[0]] = status
        return statuses

    def history_command(self, job_id: str) -> list[str] | None:
        """``qacct -j ID``: the accounting record of a finished job."""
        return ["qacct", "-j", job_id]

    def parse_history_output(
        self, returncode: int, stdout: str, stderr: str, job_id: str
    ) -> JobStatus:
        """Map qacct's ``failed`` and ``exit_status`` (of the last record) to a final state.

        No record yet (rc 1: "error: job id N not found", or no accounting
        file) is MISSING.
        """
        record = stdout.rsplit("=" * 20, 1)[-1]
        fields = {}
        for line in record.splitlines():
            match = _QACCT_FIELD.match(line.strip())
            if match:
                fields[match.group("key")] = (int(match.group("value")), match.group("text"))
        if returncode != 0 or "exit_status" not in fields:
            return JobStatus(JobState.MISSING, message="no accounting record (qacct -j)")
        failed, failed_text = fields.get("failed", (0, ""))
        exit_status = fields["exit_status"][0]
        reason = failed_text.lstrip(": ").strip()
        if failed in TIMEOUT_FAILURES:
            return JobStatus(
                JobState.TIMEOUT,
                message=f"qacct: failed {failed} ({reason})",
                exit_code=exit_status,
            )
        if failed != 0:
            return JobStatus(
                JobState.FAILED,
                message=f"qacct: failed {failed} ({reason}), exit status {exit_status}",
                exit_code=exit_status,
            )
        if exit_status != 0:
            return JobStatus(
                JobState.FAILED,
                message=f"qacct: exit status {exit_status}",
                exit_code=exit_status,
            )
        return JobStatus(JobState.COMPLETED, message="qacct: exit status 0", exit_code=0)

    def cancel_command(self, job_ids: list[str]) -> list[str]:
        """``qdel ID ID ...``."""
        return ["qdel", *job_ids]

    def parse_cancel_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> list[bool]:
        """True for each id qdel registered or deleted; raise if it failed naming none of them."""
        text = stdout + "\n" + stderr
        accepted = {m.group("id") for m in _QDEL_ACCEPTED.finditer(text)}
        refused = {m.group("id") for m in _QDEL_REFUSED.finditer(text)}
        if returncode != 0 and not (accepted | refused) & set(job_ids):
            raise ProviderError(
                self.name, f"qdel failed with exit code {returncode}", stdout, stderr
            )
        return [
            job_id in accepted or (returncode == 0 and job_id not in refused) for job_id in job_ids
        ]


class GridEngineProvider(ClusterProvider):
    """Gets blocks from Grid Engine (SGE, Son of Grid Engine, Open Grid Scheduler): one ``qsub`` job per block.

    The script asks for ``walltime`` as ``h_rt`` and, when given, the queue
    (``-q``) and a parallel environment with nodes_per_block x tasks_per_node
    slots (``-pe``); ``scheduler_options`` lines (e.g. ``"#$ -l h_vmem=4G"``)
    follow. Status comes from ``qstat``; a job that has left it is looked
    up with ``qacct -j`` (exit status; ``TIMEOUT`` when Grid Engine killed it
    at ``h_rt``).

    Args:
        nodes_per_block: nodes per block (Grid Engine grants slots; see
            ``parallel_environment``).
        init_blocks, min_blocks, max_blocks, parallelism: block scaling.
        walltime: ``-l h_rt``, ``HH:MM:SS``.
        scheduler_options: lines added after the ``#$`` lines.
        worker_init: shell lines run before the worker command.
        launcher: wraps the worker command; default ``SingleNodeLauncher()``.
        cmd_timeout: seconds qsub, qstat, qacct or qdel may take.
        queue: ``-q``; None lets Grid Engine choose.
        parallel_environment: ``-pe NAME SLOTS``; None requests none.
    """

    label = "gridengine"

    @typechecked
    def __init__(
        self,
        nodes_per_block: int = 1,
        init_blocks: int = 1,
        min_blocks: int = 0,
        max_blocks: int = 1,
        parallelism: float = 1,
        walltime: str = "00:10:00",
        scheduler_options: str = "",
        worker_init: str = "",
        launcher: Launcher | None = None,
        cmd_timeout: int = 60,
        queue: str | None = None,
        parallel_environment: str | None = None,
    ) -> None:
        self.queue = check_directive_value("queue", queue)
        self.parallel_environment = check_directive_value(
            "parallel_environment", parallel_environment
        )
        super().__init__(
            GridEngineScheduler(),
            nodes_per_block=nodes_per_block,
            init_blocks=init_blocks,
            min_blocks=min_blocks,
            max_blocks=max_blocks,
            parallelism=parallelism,
            walltime=walltime,
            scheduler_options=scheduler_options,
            worker_init=worker_init,
            launcher=launcher,
            cmd_timeout=cmd_timeout,
        )

    def scheduler_settings(self) -> dict[str, Any]:
        """The optional ``#$`` settings, read at each submit."""
        return {"queue": self.queue, "parallel_environment": self.parallel_environment}
