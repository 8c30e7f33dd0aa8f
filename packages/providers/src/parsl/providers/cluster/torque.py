"""Torque: ``#PBS`` scripts with ``nodes=N:ppn=M``, ``qsub``, ``qstat -f -1``, ``qdel``."""

from __future__ import annotations

import string
from typing import Any, ClassVar

from parsl.jobs.states import JobState, JobStatus
from parsl.launchers.base import Launcher
from parsl.providers.cluster.arguments import check_directive_value
from parsl.providers.cluster.pbs import (
    ids_named,
    parse_qdel_output,
    parse_qsub_output,
    pbs_status,
    same_job,
)
from parsl.providers.cluster.scheduler import BatchScheduler, SubmitContext, directive_lines
from parsl.providers.cluster.shell import ClusterProvider
from parsl.providers.errors import ProviderError
from parsl.typecheck import typechecked

TORQUE_TEMPLATE = string.Template(
    """\
#!/bin/bash
# A Parsl block, rendered by TorqueProvider.
#PBS -N ${job_name}
#PBS -o ${stdout_path}
#PBS -e ${stderr_path}
#PBS -l walltime=${walltime}
#PBS -l nodes=${nodes_per_block}:ppn=${tasks_per_node}
${directives}${scheduler_options}
${worker_init}

export JOBNAME=${job_name}

${command}
"""
)


def parse_full_status(text: str) -> dict[str, dict[str, str]]:
    """Split ``qstat -f -1`` output into ``{job id: {attribute: value}}``.

    Each job starts with ``Job Id: <id>``; its attributes follow as
    indented ``name = value`` lines (``-1`` keeps each on one line; a
    folded continuation line, indented and without ``=``, is joined on).
    """
    jobs: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    last = ""
    for line in text.splitlines():
        if line.startswith("Job Id:"):
            current = jobs.setdefault(line.split(":", 1)[1].strip(), {})
            last = ""
        elif current is not None and " = " in line:
            name, value = line.split(" = ", 1)
            last = name.strip()
            current[last] = value.strip()
        elif current is not None and last and line.startswith(("\t", " ")) and line.strip():
            current[last] += line.strip()
    return jobs


def torque_job_status(attributes: dict[str, str]) -> JobStatus:
    """The JobStatus for one job's ``qstat -f`` attributes."""
    raw_exit = attributes.get("exit_status")
    try:
        exit_status = None if raw_exit is None else int(raw_exit)
    except ValueError:
        exit_status = None
    return pbs_status(
        attributes.get("job_state", ""),
        exit_status,
        used_walltime=attributes.get("resources_used.walltime"),
        walltime_limit=attributes.get("Resource_List.walltime"),
    )


class TorqueScheduler(BatchScheduler):
    """Torque's commands and output formats.

    Torque keeps finished jobs as ``C`` (with ``exit_status``) for its
    ``keep_completed`` time; after that ``qstat`` calls them unknown on
    stderr, and they count as not listed.
    """

    name: ClassVar[str] = "torque"
    template: ClassVar[string.Template] = TORQUE_TEMPLATE

    def template_values(self, ctx: SubmitContext) -> dict[str, str]:
        """``nodes=<nodes_per_block>:ppn=<tasks_per_node>``; ``-q`` and ``-A`` when given."""
        options = ctx.options
        directives = directive_lines(
            "#PBS", [("-q", options.get("queue")), ("-A", options.get("account"))], separator=" "
        )
        return {
            "job_name": ctx.job_name,
            "stdout_path": ctx.stdout_path,
            "stderr_path": ctx.stderr_path,
            "walltime": ctx.walltime,
            "nodes_per_block": str(ctx.nodes_per_block),
            "tasks_per_node": str(ctx.tasks_per_node),
            "directives": directives,
            "scheduler_options": ctx.scheduler_options,
            "worker_init": ctx.worker_init,
            "command": ctx.command,
        }

    def submit_command(self, script_path: str) -> list[str]:
        """``qsub SCRIPT``."""
        return ["qsub", script_path]

    def parse_submit_output(self, returncode: int, stdout: str, stderr: str) -> str:
        """qsub prints the job id (``1234.server``) alone."""
        return parse_qsub_output(self.name, returncode, stdout, stderr)

    def status_command(self, job_ids: list[str]) -> list[str]:
        """``qstat -f -1 ID ...``: every attribute, one line each."""
        return ["qstat", "-f", "-1", *job_ids]

    def parse_status_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> dict[str, JobStatus]:
        """Read each ``Job Id:`` block; ids stderr calls unknown are MISSING; other failures raise."""
        statuses = {
            job_id: JobStatus(JobState.MISSING, message="not listed by qstat") for job_id in job_ids
        }
        jobs = parse_full_status(stdout)
        if returncode != 0 and not jobs and not ids_named(stderr, job_ids):
            raise ProviderError(
                self.name, f"qstat failed with exit code {returncode}", stdout, stderr
            )
        for reported, attributes in jobs.items():
            for job_id in job_ids:
                if same_job(reported, job_id):
                    statuses[job_id] = torque_job_status(attributes)
        return statuses

    def cancel_command(self, job_ids: list[str]) -> list[str]:
        """``qdel ID ID ...``."""
        return ["qdel", *job_ids]

    def parse_cancel_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> list[bool]:
        """False for each id qdel names on stderr; raise if it failed naming none."""
        return parse_qdel_output(self.name, returncode, stdout, stderr, job_ids)


class TorqueProvider(ClusterProvider):
    """Gets blocks from Torque (PBS with ``nodes=N:ppn=M``): one ``qsub`` job per block.

    The script requests ``nodes=<nodes_per_block>:ppn=<tasks_per_node>``,
    the walltime, and the queue and account when given;
    ``scheduler_options`` lines follow. Parsl's TorqueProvider defaults to
    ``AprunLauncher``; here the default is ``SingleNodeLauncher()``, since
    providers depend on the kernel only: pass
    ``launcher=AprunLauncher()`` (``from parsl.launchers import
    AprunLauncher``) on Cray systems.

    Args:
        account: ``-A`` to charge.
        queue: ``-q``.
        scheduler_options: lines added after the ``#PBS`` lines.
        worker_init: shell lines run before the worker command.
        nodes_per_block: ``nodes=``.
        init_blocks, min_blocks, max_blocks, parallelism: block scaling.
        launcher: wraps the worker command; default ``SingleNodeLauncher()``.
        walltime: ``-l walltime``, ``HH:MM:SS``.
        cmd_timeout: seconds qsub, qstat or qdel may take.
    """

    label = "torque"

    @typechecked
    def __init__(
        self,
        account: str | None = None,
        queue: str | None = None,
        scheduler_options: str = "",
        worker_init: str = "",
        nodes_per_block: int = 1,
        init_blocks: int = 1,
        min_blocks: int = 0,
        max_blocks: int = 1,
        parallelism: float = 1,
        launcher: Launcher | None = None,
        walltime: str = "00:20:00",
        cmd_timeout: int = 120,
    ) -> None:
        self.account = check_directive_value("account", account)
        self.queue = check_directive_value("queue", queue)
        super().__init__(
            TorqueScheduler(),
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
        """The optional ``#PBS`` settings, read at each submit."""
        return {"account": self.account, "queue": self.queue}
