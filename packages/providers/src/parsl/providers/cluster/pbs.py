"""What PBS Pro and Torque share: qsub's job id, qdel's answers, PBS job states and exit statuses."""

from __future__ import annotations

import re

from parsl.jobs.states import JobState, JobStatus
from parsl.jobs.walltime import HH_MM_SS, walltime_to_seconds
from parsl.providers.cluster.arguments import is_plausible_job_id
from parsl.providers.errors import ProviderError, SubmitException

#: PBS job states (``job_state``) as PBS Pro and Torque document them, and Parsl's state.
PBS_STATES: dict[str, tuple[str, JobState]] = {
    "B": ("array job has at least one subjob running", JobState.RUNNING),
    "C": ("completed (Torque)", JobState.COMPLETED),
    "E": ("exiting after having run", JobState.RUNNING),
    "F": ("finished (PBS Pro)", JobState.COMPLETED),
    "H": ("held", JobState.HELD),
    "M": ("moved to another server", JobState.PENDING),
    "Q": ("queued", JobState.PENDING),
    "R": ("running", JobState.RUNNING),
    "S": ("suspended", JobState.HELD),
    "T": ("being moved to a new location", JobState.PENDING),
    "U": ("suspended: workstation busy", JobState.HELD),
    "W": ("waiting for its execution time", JobState.PENDING),
    "X": ("subjob finished", JobState.COMPLETED),
}

#: PBS adds this to the number of the signal that killed a job's top process.
SIGNAL_BASE = 256


def parse_qsub_output(scheduler: str, returncode: int, stdout: str, stderr: str) -> str:
    """qsub prints the new job's id (``1234.server``) alone on its first line."""
    if returncode != 0:
        raise SubmitException(scheduler, f"qsub failed with exit code {returncode}", stdout, stderr)
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    if not lines or not is_plausible_job_id(lines[0]):
        raise SubmitException(
            scheduler, "qsub succeeded but its output is not a job id", stdout, stderr
        )
    return lines[0]


def same_job(reported: str, asked: str) -> bool:
    """True when two PBS job ids name the same job: equal, or one is the other plus a server suffix."""
    if reported == asked:
        return True
    shorter, longer = sorted((reported, asked), key=len)
    return longer.startswith(shorter + ".") or (
        "." not in shorter and longer.split(".", 1)[0] == shorter
    )


def ids_named(text: str, job_ids: list[str]) -> set[str]:
    """The ids in ``job_ids`` that some word of ``text`` names (PBS prints ids with or without the server)."""
    words = set(re.findall(r"[A-Za-z0-9_.\-\[\]@]+", text))
    return {job_id for job_id in job_ids if any(same_job(word, job_id) for word in words)}


def parse_qdel_output(
    scheduler: str, returncode: int, stdout: str, stderr: str, job_ids: list[str]
) -> list[bool]:
    """qdel is silent on success and names each job it refused on stderr (unknown, finished)."""
    refused = ids_named(stderr, job_ids)
    if returncode != 0 and not refused:
        raise ProviderError(scheduler, f"qdel failed with exit code {returncode}", stdout, stderr)
    return [job_id not in refused for job_id in job_ids]


def _seconds(walltime: str | None) -> int | None:
    if walltime is None or HH_MM_SS.match(walltime.strip()) is None:
        return None
    return walltime_to_seconds(walltime.strip())


def pbs_status(
    code: str,
    exit_status: int | None,
    used_walltime: str | None = None,
    walltime_limit: str | None = None,
    comment: str | None = None,
) -> JobStatus:
    """The JobStatus for a PBS ``job_state`` letter; a finished job's ``Exit_status`` decides its fate.

    0 is COMPLETED; 1-255 is the script's own failure; a negative value
    means PBS could not run the job; 256 + N means signal N killed it,
    which is TIMEOUT when the job had used its whole walltime (PBS kills
    at the limit with a signal), FAILED otherwise.
    """
    known = PBS_STATES.get(code)
    if known is None:
        return JobStatus(JobState.UNKNOWN, message=f"unrecognised PBS job state {code!r}")
    meaning, state = known
    message = f"PBS job state {code} ({meaning})"
    if comment:
        message += f": {comment}"
    if state != JobState.COMPLETED or exit_status is None:
        return JobStatus(state, message=message)
    if exit_status == 0:
        return JobStatus(JobState.COMPLETED, message=message, exit_code=0)
    if exit_status < 0:
        return JobStatus(
            JobState.FAILED,
            message=f"{message}; PBS could not run the job (exit status {exit_status})",
            exit_code=exit_status,
        )
    if exit_status >= SIGNAL_BASE:
        used, limit = _seconds(used_walltime), _seconds(walltime_limit)
        signal = exit_status - SIGNAL_BASE
        if used is not None and limit is not None and used >= limit:
            return JobStatus(
                JobState.TIMEOUT,
                message=f"{message}; killed by signal {signal} at its walltime {walltime_limit}",
                exit_code=exit_status,
            )
        return JobStatus(
            JobState.FAILED,
            message=f"{message}; killed by signal {signal}",
            exit_code=exit_status,
        )
    return JobStatus(
        JobState.FAILED, message=f"{message}; exit status {exit_status}", exit_code=exit_status
    )
