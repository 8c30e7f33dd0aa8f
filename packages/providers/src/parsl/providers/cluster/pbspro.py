"""PBS Pro / OpenPBS: ``#PBS`` scripts with ``select``, ``qsub``, ``qstat -f -F json -x``, ``qdel``."""

from __future__ import annotations

import json
import string
from typing import Any, ClassVar

from parsl.argument_checks import check_int
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

PBSPRO_TEMPLATE = string.Template(
    """\
#!/bin/bash
# A Parsl block, rendered by PBSProProvider.
#PBS -N ${job_name}
#PBS -o ${stdout_path}
#PBS -e ${stderr_path}
#PBS -l walltime=${walltime}
#PBS -l select=${select}
${directives}${scheduler_options}
${worker_init}

export JOBNAME=${job_name}

${command}
"""
)


class PBSProScheduler(BatchScheduler):
    """PBS Pro's (and OpenPBS's) commands and output formats.

    Status comes from ``qstat -f -F json -x``: full attributes as JSON, and
    with ``-x`` also finished jobs (state ``F`` with ``Exit_status``) where
    the server keeps job history. A job the server does not know is named
    on stderr ("Unknown Job Id"), and counts as not listed.
    """

    name: ClassVar[str] = "pbspro"
    template: ClassVar[string.Template] = PBSPRO_TEMPLATE

    def template_values(self, ctx: SubmitContext) -> dict[str, str]:
        """``select=<nodes>:ncpus=<cpus_per_node>[:<select_options>]``; ``-q`` and ``-A`` when given."""
        options = ctx.options
        select = f"{ctx.nodes_per_block}:ncpus={options.get('cpus_per_node', 1)}"
        if options.get("select_options"):
            select += f":{options['select_options']}"
        directives = directive_lines(
            "#PBS", [("-q", options.get("queue")), ("-A", options.get("account"))], separator=" "
        )
        return {
            "job_name": ctx.job_name,
            "stdout_path": ctx.stdout_path,
            "stderr_path": ctx.stderr_path,
            "walltime": ctx.walltime,
            "select": select,
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
        """``qstat -f -F json -x ID ...``."""
        return ["qstat", "-f", "-F", "json", "-x", *job_ids]

    def parse_status_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> dict[str, JobStatus]:
        """Read ``Jobs`` from the JSON; ids stderr calls unknown are MISSING.

        qstat exits non-zero when any id is unknown, yet still prints the
        others; a failure that names none of the ids is an error.
        """
        statuses = {
            job_id: JobStatus(JobState.MISSING, message="not listed by qstat") for job_id in job_ids
        }
        unknown = ids_named(stderr, job_ids)
        if not stdout.strip():
            if returncode != 0 and not unknown:
                raise ProviderError(
                    self.name, f"qstat failed with exit code {returncode}", stdout, stderr
                )
            return statuses
        try:
            jobs = json.loads(stdout, strict=False).get("Jobs", {})
        except (ValueError, AttributeError) as e:
            raise ProviderError(
                self.name, f"qstat printed output that is not its JSON ({e})", stdout, stderr
            ) from None
        if not isinstance(jobs, dict):
            raise ProviderError(self.name, "qstat JSON has no 'Jobs' object", stdout, stderr)
        for reported, attributes in jobs.items():
            for job_id in job_ids:
                if same_job(reported, job_id) and isinstance(attributes, dict):
                    statuses[job_id] = pbspro_job_status(attributes)
        return statuses

    def cancel_command(self, job_ids: list[str]) -> list[str]:
        """``qdel ID ID ...``."""
        return ["qdel", *job_ids]

    def parse_cancel_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> list[bool]:
        """False for each id qdel names on stderr; raise if it failed naming none."""
        return parse_qdel_output(self.name, returncode, stdout, stderr, job_ids)


def pbspro_job_status(attributes: dict[str, Any]) -> JobStatus:
    """The JobStatus for one job's attributes from ``qstat -f -F json``."""
    exit_status = attributes.get("Exit_status")
    resources_used = attributes.get("resources_used") or {}
    limits = attributes.get("Resource_List") or {}
    return pbs_status(
        str(attributes.get("job_state", "")),
        exit_status if isinstance(exit_status, int) else None,
        used_walltime=resources_used.get("walltime") if isinstance(resources_used, dict) else None,
        walltime_limit=limits.get("walltime") if isinstance(limits, dict) else None,
        comment=attributes.get("comment") if isinstance(attributes.get("comment"), str) else None,
    )


class PBSProProvider(ClusterProvider):
    """Gets blocks from PBS Pro or OpenPBS: one ``qsub`` job per block.

    The script requests ``select=<nodes_per_block>:ncpus=<cpus_per_node>``
    (plus ``select_options``, e.g. ``"ngpus=4"``), the walltime, and the
    queue and account when given; ``scheduler_options`` lines (e.g.
    ``"#PBS -l filesystems=home"``) follow.

    Args:
        account: ``-A`` to charge.
        queue: ``-q``.
        scheduler_options: lines added after the ``#PBS`` lines.
        select_options: appended to the select statement after ``:``.
        worker_init: shell lines run before the worker command.
        nodes_per_block: chunks in the select statement.
        cpus_per_node: ``ncpus`` of each chunk.
        init_blocks, min_blocks, max_blocks, parallelism: block scaling.
        launcher: wraps the worker command; default ``SingleNodeLauncher()``.
        walltime: ``-l walltime``, ``HH:MM:SS``.
        cmd_timeout: seconds qsub, qstat or qdel may take.
    """

    label = "pbspro"

    @typechecked
    def __init__(
        self,
        account: str | None = None,
        queue: str | None = None,
        scheduler_options: str = "",
        select_options: str = "",
        worker_init: str = "",
        nodes_per_block: int = 1,
        cpus_per_node: int = 1,
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
        self.select_options = (
            "" if select_options == "" else check_directive_value("select_options", select_options)
        )
        self.cpus_per_node = check_int("cpus_per_node", cpus_per_node, 1)
        super().__init__(
            PBSProScheduler(),
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
        return {
            "account": self.account,
            "queue": self.queue,
            "select_options": self.select_options,
            "cpus_per_node": self.cpus_per_node,
        }
