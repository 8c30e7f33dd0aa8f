"""IBM Spectrum LSF: ``#BSUB`` scripts, ``bsub`` to submit, ``bjobs -o`` for status, ``bkill`` to cancel."""

from __future__ import annotations

import logging
import math
import re
import string
from typing import Any, ClassVar

from parsl.argument_checks import check_bool
from parsl.errors import bad_value
from parsl.jobs.states import JobState, JobStatus
from parsl.jobs.walltime import walltime_to_seconds
from parsl.launchers.base import Launcher
from parsl.providers.cluster.arguments import check_directive_value, check_optional_int
from parsl.providers.cluster.scheduler import BatchScheduler, SubmitContext, directive_lines
from parsl.providers.cluster.shell import ClusterProvider
from parsl.providers.errors import ProviderError, SubmitException
from parsl.typecheck import typechecked

logger = logging.getLogger(__name__)

_SUBMITTED = re.compile(r"Job <(?P<id>\d+)> is submitted")
_NAMED = re.compile(r"Job <(?P<id>[^>]+)>(?P<rest>.*)")

#: LSF job states (bjobs ``STAT``) and Parsl's state.
LSF_STATES: dict[str, tuple[str, JobState]] = {
    "PEND": ("pending", JobState.PENDING),
    "PROV": ("waiting for its hosts to be provisioned", JobState.PENDING),
    "WAIT": ("waiting for its chunk to run", JobState.PENDING),
    "PSUSP": ("suspended while pending", JobState.HELD),
    "RUN": ("running", JobState.RUNNING),
    "USUSP": ("suspended by its owner or an administrator while running", JobState.HELD),
    "SSUSP": ("suspended by LSF while running", JobState.HELD),
    "DONE": ("finished with exit status 0", JobState.COMPLETED),
    "EXIT": ("finished with a non-zero exit status or was killed", JobState.FAILED),
    "ZOMBI": ("killed while its host was unreachable", JobState.FAILED),
    "UNKWN": ("its host is unreachable", JobState.UNKNOWN),
}

LSF_TEMPLATE = string.Template(
    """\
#!/bin/bash
# A Parsl block, rendered by LSFProvider.
#BSUB -J ${job_name}
#BSUB -o ${stdout_path}
#BSUB -e ${stderr_path}
#BSUB -W ${walltime_minutes}
${directives}${scheduler_options}
${worker_init}

export JOBNAME=${job_name}

${command}
"""
)


def lsf_walltime(walltime: str) -> str:
    """LSF's ``-W [hours:]minutes``: ``HH:MM``, rounding seconds up to a whole minute (at least 1)."""
    minutes = max(1, math.ceil(walltime_to_seconds(walltime) / 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def lsf_state_to_status(code: str, exit_code: str = "-") -> JobStatus:
    """The JobStatus for a bjobs ``STAT`` and ``EXIT_CODE`` (``-`` when there is none)."""
    known = LSF_STATES.get(code)
    if known is None:
        return JobStatus(JobState.UNKNOWN, message=f"unrecognised LSF job state {code!r}")
    meaning, state = known
    number = int(exit_code) if re.fullmatch(r"-?\d+", exit_code) else None
    if state == JobState.COMPLETED:
        number = 0
    message = f"LSF state {code} ({meaning})"
    if number is not None and state == JobState.FAILED:
        message += f", exit code {number}"
    return JobStatus(state, message=message, exit_code=number)


class LSFScheduler(BatchScheduler):
    """LSF's commands and output formats.

    Args:
        bsub_redirection: submit as ``bsub < SCRIPT`` (LSF then reads the
            ``#BSUB`` lines; some sites require it) instead of ``bsub SCRIPT``.
    """

    name: ClassVar[str] = "lsf"
    template: ClassVar[string.Template] = LSF_TEMPLATE

    def __init__(self, bsub_redirection: bool = False) -> None:
        self.bsub_redirection = bsub_redirection

    def template_values(self, ctx: SubmitContext) -> dict[str, str]:
        """``-nnodes`` when requesting by nodes, else ``-n`` cores and ``span[ptile=...]``; ``-P``, ``-q``."""
        options = ctx.options
        by_nodes = options.get("request_by_nodes", True)
        cores_per_node = options.get("cores_per_node")
        directives = directive_lines(
            "#BSUB",
            [
                ("-nnodes", ctx.nodes_per_block if by_nodes else None),
                ("-n", None if by_nodes else options.get("cores_per_block")),
                (
                    "-R",
                    None
                    if by_nodes or cores_per_node is None
                    else f'"span[ptile={cores_per_node}]"',
                ),
                ("-P", options.get("project")),
                ("-q", options.get("queue")),
            ],
            separator=" ",
        )
        return {
            "job_name": ctx.job_name,
            "stdout_path": ctx.stdout_path,
            "stderr_path": ctx.stderr_path,
            "walltime_minutes": lsf_walltime(ctx.walltime),
            "directives": directives,
            "scheduler_options": ctx.scheduler_options,
            "worker_init": ctx.worker_init,
            "command": ctx.command,
        }

    def submit_command(self, script_path: str) -> list[str]:
        """``bsub SCRIPT``, or ``bsub < SCRIPT`` (through ``/bin/sh``, the path passed as ``$1``)."""
        if self.bsub_redirection:
            return ["/bin/sh", "-c", 'exec bsub < "$1"', "bsub", script_path]
        return ["bsub", script_path]

    def parse_submit_output(self, returncode: int, stdout: str, stderr: str) -> str:
        """The id from ``Job <id> is submitted to [default] queue <name>.``."""
        if returncode != 0:
            raise SubmitException(
                self.name, f"bsub failed with exit code {returncode}", stdout, stderr
            )
        match = _SUBMITTED.search(stdout)
        if match is None:
            raise SubmitException(
                self.name, "bsub succeeded but its output names no job id", stdout, stderr
            )
        return match.group("id")

    def status_command(self, job_ids: list[str]) -> list[str]:
        """``bjobs -noheader -o "jobid stat exit_code" ID ...``."""
        return ["bjobs", "-noheader", "-o", "jobid stat exit_code", *job_ids]

    def parse_status_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> dict[str, JobStatus]:
        """One ``<id> <stat> <exit code>`` line per job; "Job <id> is not found" means MISSING."""
        statuses = {
            job_id: JobStatus(JobState.MISSING, message="not listed by bjobs") for job_id in job_ids
        }
        not_found = {
            m.group("id") for m in _NAMED.finditer(stderr) if "not found" in m.group("rest")
        }
        listed = [line.split() for line in stdout.splitlines() if line.strip()]
        if returncode != 0 and not listed and not not_found & set(job_ids):
            raise ProviderError(
                self.name, f"bjobs failed with exit code {returncode}", stdout, stderr
            )
        for fields in listed:
            if len(fields) >= 2 and fields[0] in statuses:
                statuses[fields[0]] = lsf_state_to_status(
                    fields[1], fields[2] if len(fields) > 2 else "-"
                )
        return statuses

    def cancel_command(self, job_ids: list[str]) -> list[str]:
        """``bkill ID ID ...``."""
        return ["bkill", *job_ids]

    def parse_cancel_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> list[bool]:
        """True for "Job <id> is being terminated"; False for an id named with an error."""
        accepted, refused = set(), set()
        for match in _NAMED.finditer(stdout + "\n" + stderr):
            rest = match.group("rest")
            if "is being terminated" in rest or "is being signaled" in rest:
                accepted.add(match.group("id"))
            elif rest.startswith(":"):
                refused.add(match.group("id"))
        if returncode != 0 and not (accepted | refused) & set(job_ids):
            raise ProviderError(
                self.name, f"bkill failed with exit code {returncode}", stdout, stderr
            )
        return [
            job_id in accepted or (returncode == 0 and job_id not in refused) for job_id in job_ids
        ]


class LSFProvider(ClusterProvider):
    """Gets blocks from IBM Spectrum LSF: one ``bsub`` job per block.

    By default (``request_by_nodes=True``) the script asks for whole nodes
    with ``-nnodes`` (as on CSM systems such as Summit); with
    ``request_by_nodes=False`` it asks for ``cores_per_block`` slots
    (``-n``), spread ``cores_per_node`` to a host (``span[ptile=...]``).

    Args:
        nodes_per_block: ``-nnodes`` when requesting by nodes.
        cores_per_block: ``-n``; required when ``request_by_nodes=False``.
        cores_per_node: ``-R "span[ptile=...]"`` when requesting by cores.
        init_blocks, min_blocks, max_blocks, parallelism: block scaling.
        walltime: ``-W``, given as ``HH:MM:SS`` (rounded up to minutes).
        scheduler_options: lines added after the ``#BSUB`` lines.
        worker_init: shell lines run before the worker command.
        project: ``-P`` project to charge.
        queue: ``-q``.
        cmd_timeout: seconds bsub, bjobs or bkill may take.
        move_files: accepted for compatibility with Parsl; has no effect
            (the script is written where bsub runs).
        bsub_redirection: submit with ``bsub < SCRIPT``.
        request_by_nodes: request whole nodes (``-nnodes``) rather than cores.
        launcher: wraps the worker command; default ``SingleNodeLauncher()``.
    """

    label = "lsf"

    @typechecked
    def __init__(
        self,
        nodes_per_block: int = 1,
        cores_per_block: int | None = None,
        cores_per_node: int | None = None,
        init_blocks: int = 1,
        min_blocks: int = 0,
        max_blocks: int = 1,
        parallelism: float = 1,
        walltime: str = "00:10:00",
        scheduler_options: str = "",
        worker_init: str = "",
        project: str | None = None,
        queue: str | None = None,
        cmd_timeout: int = 120,
        move_files: bool | None = True,
        bsub_redirection: bool = False,
        request_by_nodes: bool = True,
        launcher: Launcher | None = None,
    ) -> None:
        self.cores_per_block = check_optional_int("cores_per_block", cores_per_block, 1)
        self.cores_per_node = check_optional_int("cores_per_node", cores_per_node, 1)
        self.project = check_directive_value("project", project)
        self.queue = check_directive_value("queue", queue)
        self.move_files = move_files
        self.bsub_redirection = check_bool("bsub_redirection", bsub_redirection)
        self.request_by_nodes = check_bool("request_by_nodes", request_by_nodes)
        if not request_by_nodes and cores_per_block is None:
            raise bad_value(
                "cores_per_block",
                cores_per_block,
                "an int >= 1 when request_by_nodes=False (LSF then requests cores, -n)",
            )
        if request_by_nodes and (cores_per_block is not None or cores_per_node is not None):
            logger.warning(
                "LSFProvider: request_by_nodes=True requests whole nodes; "
                "cores_per_block and cores_per_node are ignored"
            )
        super().__init__(
            LSFScheduler(bsub_redirection=self.bsub_redirection),
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
        """The optional ``#BSUB`` settings, read at each submit."""
        return {
            "request_by_nodes": self.request_by_nodes,
            "cores_per_block": self.cores_per_block,
            "cores_per_node": self.cores_per_node,
            "project": self.project,
            "queue": self.queue,
        }
