"""HTCondor: a submit description plus a job script, ``condor_submit``, ``condor_q`` (+ ``condor_history``), ``condor_rm``."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any, ClassVar

from parsl.argument_checks import check_int, check_text
from parsl.errors import bad_value
from parsl.jobs.states import JobState, JobStatus
from parsl.jobs.walltime import walltime_to_seconds
from parsl.launchers.base import Launcher
from parsl.providers.cluster.arguments import check_optional_int, check_positive_number
from parsl.providers.cluster.scheduler import BatchScheduler, SubmitContext
from parsl.providers.cluster.shell import ClusterProvider
from parsl.providers.errors import ProviderError, SubmitException
from parsl.typecheck import typechecked

_SUBMITTED = re.compile(r"submitted to cluster (?P<id>\d+)")
_REMOVED = re.compile(
    r"(?:cluster (?P<cluster>\d+) have been|Job (?P<proc>\d+)\.\d+) marked for removal"
)
_NOT_REMOVED = re.compile(r"Couldn't find/remove all jobs in cluster (?P<id>\d+)")

#: HTCondor's JobStatus codes and Parsl's state (Removed and Completed are refined below).
CONDOR_STATES: dict[str, tuple[str, JobState]] = {
    "1": ("Idle", JobState.PENDING),
    "2": ("Running", JobState.RUNNING),
    "3": ("Removed", JobState.CANCELLED),
    "4": ("Completed", JobState.COMPLETED),
    "5": ("Held", JobState.HELD),
    "6": ("Transferring Output", JobState.RUNNING),
    "7": ("Suspended", JobState.HELD),
}

# When a block's procs disagree, the block is in the first of these its procs are in.
_BLOCK_ORDER = [
    JobState.RUNNING,
    JobState.PENDING,
    JobState.HELD,
    JobState.FAILED,
    JobState.TIMEOUT,
    JobState.CANCELLED,
    JobState.COMPLETED,
    JobState.UNKNOWN,
]

CONDOR_JOB_SCRIPT = string.Template(
    """\
#!/bin/bash
# A Parsl block, rendered by CondorProvider (run by HTCondor as the job's executable).
${worker_init}

export JOBNAME=${job_name}

${command}
"""
)

CONDOR_DESCRIPTION = string.Template(
    """\
# A Parsl block's submit description, rendered by CondorProvider.
universe = vanilla
executable = ${executable}
output = ${stdout_path}
error = ${stderr_path}
log = ${log_path}
batch_name = ${job_name}
periodic_remove = (JobStatus == 2) && (time() - EnteredCurrentStatus > ${walltime_seconds})
${directives}${scheduler_options}
queue ${nodes_per_block}
"""
)


def condor_environment(variables: Mapping[str, str]) -> str:
    """HTCondor's quoted ``environment`` value: ``"A='1' B='two words'"``, quotes doubled."""
    parts = []
    for name, value in variables.items():
        escaped = str(value).replace("'", "''").replace('"', '""')
        parts.append(f"{name}='{escaped}'")
    return '"' + " ".join(parts) + '"'


def condor_proc_status(code: str, exit_code: str, remove_reason: str) -> JobStatus:
    """The JobStatus for one proc's ``JobStatus``, ``ExitCode`` and ``RemoveReason``."""
    known = CONDOR_STATES.get(code)
    if known is None:
        return JobStatus(JobState.UNKNOWN, message=f"unrecognised HTCondor JobStatus {code!r}")
    meaning, state = known
    number = int(exit_code) if re.fullmatch(r"-?\d+", exit_code) else None
    message = f"HTCondor JobStatus {code} ({meaning})"
    if state == JobState.CANCELLED and "PeriodicRemove" in remove_reason:
        return JobStatus(JobState.TIMEOUT, message=f"{message}: {remove_reason}")
    if state == JobState.CANCELLED and remove_reason not in ("", "undefined"):
        message += f": {remove_reason}"
    if state == JobState.COMPLETED and number not in (None, 0):
        return JobStatus(
            JobState.FAILED, message=f"{message}, exit code {number}", exit_code=number
        )
    return JobStatus(state, message=message, exit_code=number)


def block_status(procs: list[JobStatus]) -> JobStatus:
    """A block (one cluster of ``nodes_per_block`` procs) is as active as its most active proc."""
    return min(procs, key=lambda s: _BLOCK_ORDER.index(s.state))


class CondorScheduler(BatchScheduler):
    """HTCondor's commands and output formats.

    One block is one cluster whose ``nodes_per_block`` procs each run the
    job script; the cluster id is the job id. A cluster that leaves
    ``condor_q`` is looked up with ``condor_history``.
    """

    name: ClassVar[str] = "condor"
    template: ClassVar[string.Template] = CONDOR_JOB_SCRIPT
    history_grace_s: ClassVar[float] = 30.0

    def template_values(self, ctx: SubmitContext) -> dict[str, str]:
        """The job script's values: worker_init, the job name and the command."""
        return {"worker_init": ctx.worker_init, "job_name": ctx.job_name, "command": ctx.command}

    def render_description(self, ctx: SubmitContext, executable: str) -> str:
        """The submit description that runs ``executable`` on ``nodes_per_block`` procs."""
        options = ctx.options
        memory = options.get("mem_per_slot")
        transfer = options.get("transfer_input_files") or []
        environment = options.get("environment") or {}
        settings = [
            ("request_cpus", options.get("cores_per_slot")),
            ("request_memory", None if memory is None else max(1, round(memory * 1024))),
            ("+ProjectName", f'"{options["project"]}"' if options.get("project") else None),
            ("requirements", options.get("requirements") or None),
            ("environment", condor_environment(environment) if environment else None),
            ("should_transfer_files", "YES" if transfer else None),
            ("when_to_transfer_output", "ON_EXIT" if transfer else None),
            ("transfer_input_files", ",".join(transfer) if transfer else None),
        ]
        directives = "".join(f"{key} = {value}\n" for key, value in settings if value is not None)
        return CONDOR_DESCRIPTION.substitute(
            executable=executable,
            stdout_path=ctx.stdout_path,
            stderr_path=ctx.stderr_path,
            log_path=ctx.stdout_path.rsplit(".", 1)[0] + ".condor.log",
            job_name=ctx.job_name,
            walltime_seconds=walltime_to_seconds(ctx.walltime),
            directives=directives,
            scheduler_options=ctx.scheduler_options,
            nodes_per_block=ctx.nodes_per_block,
        )

    def submit_files(self, ctx: SubmitContext, script_path: str) -> dict[str, str]:
        """The job script at ``script_path`` and its description at ``script_path + ".condor"``."""
        return {
            script_path: self.render_submit_script(ctx),
            script_path + ".condor": self.render_description(ctx, script_path),
        }

    def submit_command(self, script_path: str) -> list[str]:
        """``condor_submit SCRIPT.condor``."""
        return ["condor_submit", script_path + ".condor"]

    def parse_submit_output(self, returncode: int, stdout: str, stderr: str) -> str:
        """The cluster id from ``N job(s) submitted to cluster <id>.``."""
        if returncode != 0:
            raise SubmitException(
                self.name, f"condor_submit failed with exit code {returncode}", stdout, stderr
            )
        match = _SUBMITTED.search(stdout)
        if match is None:
            raise SubmitException(
                self.name, "condor_submit succeeded but names no cluster id", stdout, stderr
            )
        return match.group("id")

    def status_command(self, job_ids: list[str]) -> list[str]:
        """``condor_q ID ... -af:j JobStatus ExitCode RemoveReason``."""
        return ["condor_q", *job_ids, "-af:j", "JobStatus", "ExitCode", "RemoveReason"]

    def parse_status_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> dict[str, JobStatus]:
        """Group ``<cluster>.<proc> <status> <exit> <reason>`` lines by cluster; absent clusters are MISSING."""
        if returncode != 0:
            raise ProviderError(
                self.name, f"condor_q failed with exit code {returncode}", stdout, stderr
            )
        found = _procs_by_cluster(stdout)
        return {
            job_id: block_status(found[job_id])
            if job_id in found
            else JobStatus(JobState.MISSING, message="not listed by condor_q")
            for job_id in job_ids
        }

    def history_command(self, job_id: str) -> list[str] | None:
        """``condor_history ID -af:j JobStatus ExitCode RemoveReason``."""
        return ["condor_history", job_id, "-af:j", "JobStatus", "ExitCode", "RemoveReason"]

    def parse_history_output(
        self, returncode: int, stdout: str, stderr: str, job_id: str
    ) -> JobStatus:
        """The block's final state from its procs' history records; MISSING without any."""
        if returncode != 0:
            raise ProviderError(
                self.name, f"condor_history failed with exit code {returncode}", stdout, stderr
            )
        procs = _procs_by_cluster(stdout).get(job_id)
        if not procs:
            return JobStatus(JobState.MISSING, message="no condor_history record")
        return block_status(procs)

    def cancel_command(self, job_ids: list[str]) -> list[str]:
        """``condor_rm ID ...``."""
        return ["condor_rm", *job_ids]

    def parse_cancel_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> list[bool]:
        """True for clusters "marked for removal"; False for "Couldn't find/remove"."""
        text = stdout + "\n" + stderr
        accepted = {m.group("cluster") or m.group("proc") for m in _REMOVED.finditer(text)}
        refused = {m.group("id") for m in _NOT_REMOVED.finditer(text)}
        if returncode != 0 and not (accepted | refused) & set(job_ids):
            raise ProviderError(
                self.name, f"condor_rm failed with exit code {returncode}", stdout, stderr
            )
        return [job_id in accepted and job_id not in refused for job_id in job_ids]


def _procs_by_cluster(stdout: str) -> dict[str, list[JobStatus]]:
    procs: dict[str, list[JobStatus]] = {}
    for line in stdout.splitlines():
        fields = line.split(None, 3)
        if len(fields) < 3 or "." not in fields[0]:
            continue
        cluster = fields[0].split(".", 1)[0]
        reason = fields[3].strip() if len(fields) > 3 else ""
        procs.setdefault(cluster, []).append(condor_proc_status(fields[1], fields[2], reason))
    return procs


class CondorProvider(ClusterProvider):
    """Gets blocks from HTCondor: one cluster of ``nodes_per_block`` procs per block.

    Each block is two files in the script directory: the job script
    (``worker_init`` then the launched command) and its submit description
    (``<script>.condor``: vanilla universe, the output paths, an HTCondor
    user log, resource requests, and a ``periodic_remove`` that removes a
    proc running longer than ``walltime``, reported as TIMEOUT).

    Args:
        nodes_per_block: procs queued per block (``queue N``).
        cores_per_slot: ``request_cpus``.
        mem_per_slot: gigabytes per slot (``request_memory``, in MB).
        init_blocks, min_blocks, max_blocks, parallelism: block scaling.
        environment: variables set in the job (``environment``).
        project: ``+ProjectName``.
        scheduler_options: lines added to the submit description.
        transfer_input_files: files HTCondor copies to the execute node.
        walltime: each proc's run-time limit, ``HH:MM:SS``.
        worker_init: shell lines run before the worker command.
        launcher: wraps the worker command; default ``SingleNodeLauncher()``.
        requirements: the ``requirements`` ClassAd expression.
        cmd_timeout: seconds condor_submit, condor_q, condor_history or condor_rm may take.
        cmd_chunk_size: the most job ids in one ``condor_q`` or ``condor_rm`` call
            (more are split over several calls).
    """

    label = "condor"

    @typechecked
    def __init__(
        self,
        nodes_per_block: int = 1,
        cores_per_slot: int | None = None,
        mem_per_slot: float | None = None,
        init_blocks: int = 1,
        min_blocks: int = 0,
        max_blocks: int = 1,
        parallelism: float = 1,
        environment: dict[str, str] | None = None,
        project: str = "",
        scheduler_options: str = "",
        transfer_input_files: list[str] | None = None,
        walltime: str = "00:10:00",
        worker_init: str = "",
        launcher: Launcher | None = None,
        requirements: str = "",
        cmd_timeout: int = 60,
        cmd_chunk_size: int = 100,
    ) -> None:
        self.cmd_chunk_size = check_int("cmd_chunk_size", cmd_chunk_size, 1)
        self.status_batch_size = self.cancel_batch_size = self.cmd_chunk_size
        self.cores_per_slot = check_optional_int("cores_per_slot", cores_per_slot, 1)
        self.mem_per_slot = check_positive_number("mem_per_slot", mem_per_slot)
        self.environment = _check_environment(environment)
        self.project = _one_line("project", check_text("project", project))
        self.requirements = _one_line("requirements", check_text("requirements", requirements))
        self.transfer_input_files = _check_files(transfer_input_files)
        super().__init__(
            CondorScheduler(),
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
        """The submit-description settings, read at each submit."""
        return {
            "cores_per_slot": self.cores_per_slot,
            "mem_per_slot": self.mem_per_slot,
            "environment": self.environment,
            "project": self.project,
            "requirements": self.requirements,
            "transfer_input_files": self.transfer_input_files,
        }


def _one_line(field: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise bad_value(field, value, "a string on one line")
    return value


def _check_environment(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) and isinstance(v, str)
        for k, v in value.items()
    ):
        raise bad_value("environment", value, "None or a dict of variable names to strings")
    return dict(value)


def _check_files(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(
        isinstance(f, str) and f and "," not in f and "\n" not in f for f in value
    ):
        raise bad_value(
            "transfer_input_files", value, "a list of paths (strings without commas or newlines)"
        )
    return list(value)
