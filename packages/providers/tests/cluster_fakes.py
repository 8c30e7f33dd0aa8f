"""A real fake batch scheduler: bash commands that start jobs as background sessions and track them by pid.

``fake-submit SCRIPT`` starts SCRIPT under ``bash`` in a new session (a
wrapper that records the script's exit status when it ends) and prints
``queued job <pid>``; the pid of the wrapper, which leads the job's process
group, is the job id. ``fake-status ID...`` prints ``<id> RUNNING``, ``<id>
DONE``, ``<id> FAILED <rc>``, ``<id> CANCELLED`` or ``<id> LOST`` for each
job it knows. ``fake-cancel ID...`` sends SIGTERM to each active job's
process group, and reports jobs that are not active on stderr with exit
status 1. Removing a job's files from the state directory makes the
scheduler forget it, as a real one does some time after a job ends.

``sbatch``, ``squeue`` and ``scancel`` wrap these three and speak Slurm's
output formats, so SlurmProvider can run against the same fake.

:class:`FakeScheduler` is the test-only BatchScheduler that speaks the
fake's own language.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import string
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from parsl.jobs.states import JobState, JobStatus
from parsl.providers.cluster.scheduler import BatchScheduler, SubmitContext
from parsl.providers.cluster.shell import ClusterProvider
from parsl.providers.errors import ProviderError, SubmitException

#: The ``make_provider`` fixture: builds a ClusterProvider over FakeScheduler.
MakeProvider = Callable[..., ClusterProvider]

FAKE_SUBMIT = r"""#!/bin/bash
set -u
STATE=@STATE@
script="$1"
[ -r "$script" ] || { echo "fake-submit: error: cannot read $script" >&2; exit 2; }
out=$(sed -n -E 's/^#(FAKE|SBATCH) --output=//p' "$script")
err=$(sed -n -E 's/^#(FAKE|SBATCH) --error=//p' "$script")
idfile=$(mktemp "$STATE/submitting.XXXXXX")
setsid bash -c 'echo $$ > "$1"; bash "$2" > "$3" 2> "$4" < /dev/null; echo $? > "$5/$$.rc.tmp"; mv "$5/$$.rc.tmp" "$5/$$.rc"' \
    fake-job "$idfile" "$script" "${out:-/dev/null}" "${err:-/dev/null}" "$STATE" \
    < /dev/null > /dev/null 2>&1 &
for _ in $(seq 500); do
    id=$(cat "$idfile")
    [ -n "$id" ] && break
    sleep 0.01
done
rm -f "$idfile"
[ -n "$id" ] || { echo "fake-submit: error: job did not start" >&2; exit 3; }
echo "$script" > "$STATE/$id.job"
echo "queued job $id"
"""

FAKE_STATUS = r"""#!/bin/bash
set -u
STATE=@STATE@
for id in "$@"; do
    [ -e "$STATE/$id.job" ] || continue
    if [ -e "$STATE/$id.cancelled" ]; then
        echo "$id CANCELLED"
    elif [ -e "$STATE/$id.rc" ]; then
        rc=$(cat "$STATE/$id.rc")
        if [ "$rc" = 0 ]; then echo "$id DONE"; else echo "$id FAILED $rc"; fi
    elif kill -0 "$id" 2> /dev/null; then
        echo "$id RUNNING"
    else
        echo "$id LOST"
    fi
done
"""

FAKE_CANCEL = r"""#!/bin/bash
set -u
STATE=@STATE@
status=0
for id in "$@"; do
    if [ -e "$STATE/$id.job" ] && [ ! -e "$STATE/$id.rc" ] && [ ! -e "$STATE/$id.cancelled" ]; then
        touch "$STATE/$id.cancelled"
        kill -TERM -- "-$id" 2> /dev/null
        echo "cancelling $id"
    else
        echo "fake-cancel: error: job $id is not active" >&2
        status=1
    fi
done
exit $status
"""

SBATCH = r"""#!/bin/bash
# sbatch [--clusters=X] SCRIPT, answering as Slurm's sbatch does.
out=$(@BIN@/fake-submit "${@: -1}") || exit $?
echo "Submitted batch job ${out##* }"
"""

SQUEUE = r"""#!/bin/bash
# squeue --noheader --format="%i %t" [--clusters=X] --job=ID,ID, answering as Slurm's squeue does.
ids=""
for arg in "$@"; do
    case "$arg" in --job=*) ids="${arg#--job=}" ;; esac
done
listed=$(@BIN@/fake-status ${ids//,/ })
if [ -z "$listed" ] && [ "${ids//,/}" = "$ids" ]; then
    echo "slurm_load_jobs error: Invalid job id specified" >&2
    exit 1
fi
echo -n "$listed" | awk 'NF { code = ($2 == "RUNNING") ? "R" : ($2 == "DONE") ? "CD" : ($2 == "FAILED") ? "F" : ($2 == "CANCELLED") ? "CA" : "NF"; print $1, code }'
"""

SCANCEL = r"""#!/bin/bash
# scancel [--clusters=X] ID..., answering as Slurm's scancel does.
ids=()
for arg in "$@"; do
    case "$arg" in --*) ;; *) ids+=("$arg") ;; esac
done
err=$(@BIN@/fake-cancel "${ids[@]}" 2>&1 > /dev/null)
status=$?
[ -n "$err" ] && echo "$err" | sed -E 's/^fake-cancel: error: job ([^ ]+) is not active$/scancel: error: Kill job error on job id \1: Job\/step already completing or completed/' >&2
exit $status
"""


class FakeBatchSystem:
    """The fake scheduler's commands in ``bin_dir`` and its job records in ``state_dir``."""

    def __init__(self, root: Path) -> None:
        self.bin_dir = root / "bin"
        self.state_dir = root / "state"
        self.bin_dir.mkdir(parents=True)
        self.state_dir.mkdir()
        scripts = {
            "fake-submit": FAKE_SUBMIT,
            "fake-status": FAKE_STATUS,
            "fake-cancel": FAKE_CANCEL,
            "sbatch": SBATCH,
            "squeue": SQUEUE,
            "scancel": SCANCEL,
        }
        for name, text in scripts.items():
            self.write_command(
                name,
                text.replace("@STATE@", str(self.state_dir)).replace("@BIN@", str(self.bin_dir)),
            )

    def write_command(self, name: str, text: str) -> str:
        """Write an executable script into ``bin_dir``; return its path."""
        path = self.bin_dir / name
        path.write_text(text)
        path.chmod(0o755)
        return str(path)

    def job_ids(self) -> list[int]:
        """Every job this scheduler has started."""
        return sorted(int(p.name.split(".")[0]) for p in self.state_dir.glob("*.job"))

    def forget(self, job_id: str) -> None:
        """Drop a job's records, as a scheduler purges old jobs."""
        for path in self.state_dir.glob(f"{job_id}.*"):
            path.unlink()

    def kill_all(self) -> None:
        """SIGKILL the process group of every job started here (test teardown)."""
        for job_id in self.job_ids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(job_id, signal.SIGKILL)


FAKE_TEMPLATE = string.Template(
    """\
#!/bin/bash
#FAKE --job-name=${job_name}
#FAKE --output=${stdout_path}
#FAKE --error=${stderr_path}
#FAKE --nodes=${nodes_per_block} --tasks-per-node=${tasks_per_node} --time=${walltime}
${extra}${scheduler_options}
${worker_init}
export JOBNAME=${job_name}
${command}
"""
)

_STATES = {
    "RUNNING": JobState.RUNNING,
    "DONE": JobState.COMPLETED,
    "FAILED": JobState.FAILED,
    "CANCELLED": JobState.CANCELLED,
    "LOST": JobState.FAILED,
}


class FakeScheduler(BatchScheduler):
    """The test-only BatchScheduler for :class:`FakeBatchSystem`; each command path can be replaced."""

    name: ClassVar[str] = "fake"
    template: ClassVar[string.Template] = FAKE_TEMPLATE

    def __init__(
        self,
        system: FakeBatchSystem,
        submit: str | None = None,
        status: str | None = None,
        cancel: str | None = None,
    ) -> None:
        self.submit_path = submit or str(system.bin_dir / "fake-submit")
        self.status_path = status or str(system.bin_dir / "fake-status")
        self.cancel_path = cancel or str(system.bin_dir / "fake-cancel")

    def template_values(self, ctx: SubmitContext) -> dict[str, str]:
        extra = "".join(f"#FAKE --{key}={value}\n" for key, value in sorted(ctx.options.items()))
        return {
            "job_name": ctx.job_name,
            "stdout_path": ctx.stdout_path,
            "stderr_path": ctx.stderr_path,
            "nodes_per_block": str(ctx.nodes_per_block),
            "tasks_per_node": str(ctx.tasks_per_node),
            "walltime": ctx.walltime,
            "extra": extra,
            "scheduler_options": ctx.scheduler_options,
            "worker_init": ctx.worker_init,
            "command": ctx.command,
        }

    def submit_command(self, script_path: str) -> list[str]:
        return [self.submit_path, script_path]

    def parse_submit_output(self, returncode: int, stdout: str, stderr: str) -> str:
        if returncode != 0:
            raise SubmitException(self.name, f"exit code {returncode}", stdout, stderr)
        match = re.search(r"queued job (\d+)", stdout)
        if match is None:
            raise SubmitException(self.name, "no job id in the output", stdout, stderr)
        return match.group(1)

    def status_command(self, job_ids: list[str]) -> list[str]:
        return [self.status_path, *job_ids]

    def parse_status_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> dict[str, JobStatus]:
        if returncode != 0:
            raise ProviderError(self.name, f"status exit code {returncode}", stdout, stderr)
        statuses = {job_id: JobStatus(JobState.MISSING) for job_id in job_ids}
        for line in stdout.splitlines():
            job_id, word, *rest = line.split()
            code = int(rest[0]) if rest else None
            statuses[job_id] = JobStatus(_STATES[word], message=word, exit_code=code)
        return statuses

    def cancel_command(self, job_ids: list[str]) -> list[str]:
        return [self.cancel_path, *job_ids]

    def parse_cancel_output(
        self, returncode: int, stdout: str, stderr: str, job_ids: list[str]
    ) -> list[bool]:
        refused = set(re.findall(r"job (\S+) is not active", stderr))
        return [job_id not in refused for job_id in job_ids]


def is_alive(pid: int) -> bool:
    """True for a live process; a zombie (dead, waiting for its adopter to reap it) is not alive."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


def group_alive(pgid: int) -> bool:
    """True while some live (non-zombie) process belongs to process group ``pgid``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


def wait_until(
    condition: Callable[[], bool], timeout_s: float = 15.0, what: str = "condition"
) -> None:
    """Poll ``condition()`` until it is true; fail the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
