"""Slurm: #SBATCH scripts, ``sbatch`` to submit, ``squeue`` for status, ``scancel`` to cancel."""

from __future__ import annotations

import re
import string
from typing import Any, ClassVar

from parsl.argument_checks import check_bool, check_int
from parsl.errors import bad_value
from parsl.jobs.states import JobState, JobStatus
from parsl.launchers.base import Launcher
from parsl.providers.cluster.arguments import (
    check_directive_value,
    check_optional_int,
    check_positive_number,
    check_regex_with_id,
    is_plausible_job_id,
)
from parsl.providers.cluster.scheduler import BatchScheduler, SubmitContext, directive_lines
from parsl.providers.cluster.shell import ClusterProvider
from parsl.providers.errors import ProviderError, SubmitException
from parsl.typecheck import typechecked

DEFAULT_JOB_ID_REGEX = r"Submitted batch job (?P<id>\S*)"

#: Slurm's compact job state codes (``squeue`` ``%t``), their long names, and Parsl's state.
SLURM_STATES: dict[str, tuple[str, JobState]] = {
    "BF": ("BOOT_FAIL", JobState.FAILED),
    "CA": ("CANCELLED", JobState.CANCELLED),
    "CD": ("COMPLETED", JobState.COMPLETED),
    "CF": ("CONFIGURING", JobState.PENDING),
    # Still has live processes on its nodes: not over until they are gone.
    "CG": ("COMPLETING", JobState.RUNNING),
    "DL": ("DEADLINE", JobState.TIMEOUT),
    "F": ("FAILED", JobState.FAILED),
    "NF": ("NODE_FAIL", JobState.FAILED),
    "OOM": ("OUT_OF_MEMORY", JobState.FAILED),
    "PD": ("PENDING", JobState.PENDING),
    # Preemption is the scheduler's decision, not a fault of the block.
    "PR": ("PREEMPTED", JobState.CANCELLED),
    "R": ("RUNNING", JobState.RUNNING),
    "RD": ("RESV_DEL_HOLD", JobState.HELD),
    "RF": ("REQUEUE_FED", JobState.PENDING),
    "RH": ("REQUEUE_HOLD", JobState.HELD),
    "RQ": ("REQUEUED", JobState.PENDING),
    "RS": ("RESIZING", JobState.RUNNING),
    "RV": ("REVOKED", JobState.CANCELLED),
    "SE": ("SPECIAL_EXIT", JobState.FAILED),
    "SI": ("SIGNALING", JobState.RUNNING),
    "SO": ("STAGE_OUT", JobState.RUNNING),
    # Suspended or stopped: the allocation is kept but nothing runs.
    "S": ("SUSPENDED", JobState.HELD),
    "ST": ("STOPPED", JobState.HELD),
    "TO": ("TIMEOUT", JobState.TIMEOUT),
}

_INVALID_JOB_ID = "Invalid job id specified"
_CANCEL_ERROR_ID = re.compile(r"job id (?P<id>[^\s:,]+)", re.IGNORECASE)

SLURM_TEMPLATE = string.Template(
    """\
#!/bin/bash
# A Parsl block, rendered by SlurmProvider.
#SBATCH --job-name=${job_name}
#SBATCH --output=${stdout_path}
#SBATCH --error=${stderr_path}
#SBATCH --nodes=${nodes_per_block}
#SBATCH --ntasks-per-node=${tasks_per_node}
#SBATCH --time=${walltime}
${directives}${scheduler_options}
${worker_init}

export JOBNAME=${job_name}

${command}
"""
)


def memory_directive(mem_per_node_gb: float | None) -> str | None:
    """Render ``--mem``: whole gigabytes as ``<n>G``, fractions as megabytes ``<n>M``."""
    if mem_per_node_gb is None:
        return None
    if float(mem_per_node_gb).is_integer():
        return f"{int(mem_per_node_gb)}G"
    return f"{max(1, round(mem_per_node_gb * 1024))}M"


class SlurmScheduler(BatchScheduler):
    """Slurm's commands and output formats.

    Args:
        clusters: ``--clusters`` for every command (federated Slurm), or None.
        job_id_pattern: finds the job id, group ``id``, in sbatch's stdout.
    """

    name: ClassVar[str] = "slurm"
    template: ClassVar[string.Template] = SLURM_TEMPLATE

    def __init__(
        self, clusters: str | None = None, job_id_pattern: str = DEFAULT_JOB_ID_REGEX
    ) -> None:
        self.clusters = check_directive_value("clusters", clusters)
        self.job_id_pattern = check_regex_with_id("regex_job_id", job_id_pattern)

    def _cluster_args(self) -> list[str]:
        return [] if self.clusters is None else [f"--clusters={self.clusters}"]

    def template_values(self, ctx: SubmitContext) -> dict[str, str]:
        """Fill the #SBATCH lines; optional settings come from ``ctx.options``."""
        options = ctx.options
        cores = options.get("cores_per_node")
        cpus_per_task = None if cores is None else max(1, cores // ctx.tasks_per_node)
        directives = directive_lines(
            "#SBATCH",
            [
                ("--partition", options.get("partition")),
                ("--account", options.get("account")),
                ("--qos", options.get("qos")),
                ("--constraint", options.get("constraint")),
                ("--clusters", options.get("clusters")),
                ("--exclusive", bool(options.get("exclusive", False))),
                ("--cpus-per-task", cpus_per_task),
                ("--mem", memory_directive(options.get("mem_per_node"))),
                ("--gres", options.get("gres")),
                ("--gpus-per-node", options.get("gpus_per_node")),
            ],
        )
        return {
            "job_name": ctx.job_name,
            "stdout_path": ctx.stdout_path,
            "stderr_path": ctx.stderr_path,
            "nodes_per_block": str(ctx.nodes_per_block),
            "tasks_per_node": str(ctx.tasks_per_node),
            "walltime": ctx.walltime,
            "directives": directives,
            "scheduler_options": ctx.scheduler_options,
            "worker_init": ctx.worker_init,
            "command": ctx.command,
        }

    def submit_command(self, script_path: str) -> list[str]:
        """``sbatch [--clusters=...] SCRIPT``."""
        return ["sbatch", *self._cluster_args(), script_path]

    def parse_submit_output(self, returncode: int, stdout: str, stderr: str) -> str:
        """The job id from sbatch's ``Submitted batch job <id>``."""
        if returncode != 0:
            raise SubmitException(
                self.name, f"sbatch failed with exit code {returncode}", stdout, stderr
            )
        match = self.job_id_pattern.search(stdout)
        job_id = match.group("id") if match else None
        if not job_id or not is_plausible_job_id(job_id):
            raise SubmitException(
                self.name,
                f"sbatch succeeded but its output has no job id matching "
                f"regex_job_id={self.job_id_pattern.pattern!r}",
                stdout,
                stderr,
            )
        return job_id

    def status_command(self, job_ids: list[str]) -> list[str]:
        """``squeue --noheader --format="%i %t" --states=all [--clusters=...] --job=ID,ID``.

        ``--states=all`` matters: without it squeue lists only pending and
        running jobs, and a finished job (kept for ``MinJobAge``) would lose
        its COMPLETED / FAILED / CANCELLED / TIMEOUT state (seen on Slurm 22.05).
        """
        return [
            "squeue",
            "--noheader",
            "--format=%i %t",
            "--states=all",
            *self._cluster_args(),
            f"--job={','.join(job_ids)}",
        ]

    def parse_status_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> dict[str, JobStatus]:
        """Map each ``<id> <state code>`` line to a JobStatus; ids not listed are MISSING.

        squeue fails with "Invalid job id specified" when asked only about
        jobs it has already forgotten; that means every asked id is missing.
        """
        missing = {
            job_id: JobStatus(JobState.MISSING, message="not listed by squeue")
            for job_id in job_ids
        }
        if returncode != 0:
            if _INVALID_JOB_ID in stderr:
                return missing
            raise ProviderError(
                self.name, f"squeue failed with exit code {returncode}", stdout, stderr
            )
        wanted = set(job_ids)
        found: dict[str, JobStatus] = {}
        for line in stdout.splitlines():
            fields = line.split()
            if line.startswith("CLUSTER:") or len(fields) < 2 or fields[0] not in wanted:
                continue  # "CLUSTER: name" headers, blank lines, other jobs
            found[fields[0]] = slurm_state_to_status(fields[1])
        return missing | found

    def cancel_command(self, job_ids: list[str]) -> list[str]:
        """``scancel [--clusters=...] ID ID ...``."""
        return ["scancel", *self._cluster_args(), *job_ids]

    def parse_cancel_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> list[bool]:
        """False for each id scancel reports an error about; raise if it failed without naming one."""
        refused = {
            match.group("id")
            for line in stderr.splitlines()
            if "error" in line.lower()
            for match in _CANCEL_ERROR_ID.finditer(line)
        }
        if returncode != 0 and not refused & set(job_ids):
            raise ProviderError(
                self.name, f"scancel failed with exit code {returncode}", stdout, stderr
            )
        return [job_id not in refused for job_id in job_ids]

    def history_command(self, job_id: str) -> list[str] | None:
        """``sacct --noheader --parsable2 --allocations --format=JobIDRaw,State,ExitCode --jobs=ID``.

        It answers where the site runs Slurm's accounting (slurmdbd); where it
        does not, sacct fails and the job keeps the squeue-only reading.
        """
        return [
            "sacct",
            "--noheader",
            "--parsable2",
            "--allocations",
            "--format=JobIDRaw,State,ExitCode",
            *self._cluster_args(),
            f"--jobs={job_id}",
        ]

    def parse_history_output(
        self, returncode: int, stdout: str, stderr: str, job_id: str
    ) -> JobStatus:
        """The final state and exit code sacct recorded; MISSING without accounting or a record."""
        if returncode != 0:
            return JobStatus(JobState.MISSING, message="no accounting record (sacct failed)")
        for line in stdout.splitlines():
            fields = line.strip().split("|")
            if len(fields) < 3 or fields[0] != job_id:
                continue
            long_name = fields[1].split()[0] if fields[1].strip() else ""  # "CANCELLED by 0"
            state = SLURM_LONG_STATES.get(long_name, JobState.UNKNOWN)
            exit_code, _, signal = fields[2].partition(":")
            code = int(exit_code) if exit_code.isdigit() else None
            message = f"sacct: {fields[1]}, exit code {fields[2]}"
            if signal.isdigit() and int(signal):
                message += f" (killed by signal {signal})"
            return JobStatus(state, message=message, exit_code=code)
        return JobStatus(JobState.MISSING, message="no accounting record (sacct)")


#: Slurm's long state names (sacct's State column) to Parsl's state.
SLURM_LONG_STATES: dict[str, JobState] = dict(SLURM_STATES.values())


def slurm_state_to_status(code: str) -> JobStatus:
    """The JobStatus for one of Slurm's compact state codes (UNKNOWN for codes not in the table)."""
    known = SLURM_STATES.get(code)
    if known is None:
        return JobStatus(JobState.UNKNOWN, message=f"unrecognised Slurm state code {code!r}")
    long_name, state = known
    return JobStatus(state, message=f"Slurm state {code} ({long_name})")


class SlurmProvider(ClusterProvider):
    """Gets blocks from Slurm: one ``sbatch`` job per block.

    The submit script requests ``nodes_per_block`` nodes with
    ``--ntasks-per-node`` set to the executor's tasks per node, the
    walltime, and each optional setting given here; ``scheduler_options``
    lines (e.g. ``"#SBATCH --gres=gpu:1"``) are added after them, and
    ``worker_init`` runs before the launched worker command. Status comes
    from ``squeue``; a job that squeue no longer lists after it was seen is
    looked up once with ``sacct`` (its recorded final state and exit code,
    where the site runs Slurm's accounting database), else reported
    COMPLETED with an unknown exit status.

    Args:
        partition: ``--partition``; None uses the cluster's default.
        account: ``--account`` to charge.
        qos: ``--qos``.
        constraint: ``--constraint`` (node features, e.g. ``"gpu"``).
        clusters: ``--clusters`` for every command, in a federation.
        nodes_per_block: ``--nodes``.
        cores_per_node: cores to request on each node (as
            ``--cpus-per-task`` = cores_per_node // tasks_per_node); None
            requests nothing.
        mem_per_node: gigabytes of memory per node (``--mem``); None requests nothing.
        init_blocks, min_blocks, max_blocks, parallelism: block scaling.
        walltime: ``--time``, ``HH:MM:SS``.
        scheduler_options: lines added after the #SBATCH lines.
        regex_job_id: finds the job id, group ``id``, in sbatch's output.
        worker_init: shell lines run before the worker command.
        cmd_timeout: seconds sbatch, squeue or scancel may take.
        exclusive: ``--exclusive`` (nodes not shared with other jobs).
        launcher: wraps the worker command; default ``SingleNodeLauncher()``.
        gres: ``--gres`` (generic resources, e.g. ``"gpu:2"``); None requests nothing.
        gpus_per_node: ``--gpus-per-node`` (a count, or ``"type:count"``); None requests nothing.
        status_batch_size: the most job ids asked about in one ``squeue`` call
            (more are split over several calls).
    """

    label = "slurm"

    @typechecked
    def __init__(
        self,
        partition: str | None = None,
        account: str | None = None,
        qos: str | None = None,
        constraint: str | None = None,
        clusters: str | None = None,
        nodes_per_block: int = 1,
        cores_per_node: int | None = None,
        mem_per_node: float | None = None,
        init_blocks: int = 1,
        min_blocks: int = 0,
        max_blocks: int = 1,
        parallelism: float = 1,
        walltime: str = "00:10:00",
        scheduler_options: str = "",
        regex_job_id: str = DEFAULT_JOB_ID_REGEX,
        worker_init: str = "",
        cmd_timeout: int = 10,
        exclusive: bool = True,
        launcher: Launcher | None = None,
        gres: str | None = None,
        gpus_per_node: int | str | None = None,
        status_batch_size: int = 50,
    ) -> None:
        self.partition = check_directive_value("partition", partition)
        self.gres = check_directive_value("gres", gres)
        self.gpus_per_node = _check_gpus(gpus_per_node)
        self.status_batch_size = check_int("status_batch_size", status_batch_size, 1)
        self.account = check_directive_value("account", account)
        self.qos = check_directive_value("qos", qos)
        self.constraint = check_directive_value("constraint", constraint)
        self.clusters = check_directive_value("clusters", clusters)
        self.cores_per_node = check_optional_int("cores_per_node", cores_per_node, 1)
        self.mem_per_node = check_positive_number("mem_per_node", mem_per_node)
        self.exclusive = check_bool("exclusive", exclusive)
        if not isinstance(regex_job_id, str):
            raise bad_value("regex_job_id", regex_job_id, "a regular expression string")
        self.regex_job_id = regex_job_id
        super().__init__(
            SlurmScheduler(clusters=self.clusters, job_id_pattern=regex_job_id),
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
        """The optional #SBATCH settings, read at each submit."""
        return {
            "partition": self.partition,
            "account": self.account,
            "qos": self.qos,
            "constraint": self.constraint,
            "clusters": self.clusters,
            "exclusive": self.exclusive,
            "cores_per_node": self.cores_per_node,
            "mem_per_node": self.mem_per_node,
            "gres": self.gres,
            "gpus_per_node": self.gpus_per_node,
        }


def _check_gpus(value: Any) -> int | str | None:
    """None, a GPU count >= 1, or a ``type:count`` string for ``--gpus-per-node``."""
    if isinstance(value, str):
        return check_directive_value("gpus_per_node", value)
    return check_optional_int("gpus_per_node", value, 1)
