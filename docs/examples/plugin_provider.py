# expect: block state: COMPLETED
# expect: block output: ['worker 0', 'worker 1']
# expect: long block cancelled: True CANCELLED
# expect: unknown job: MISSING
"""An out-of-tree provider: each block is a background bash process on this machine."""

import os
import signal
import subprocess
import tempfile
import time

from parsl.jobs.states import JobState, JobStatus
from parsl.launchers import SingleNodeLauncher
from parsl.launchers.base import Launcher
from parsl.providers.base import ExecutionProvider
from parsl.providers.errors import SubmitException


class BackgroundProvider(ExecutionProvider):
    """Starts each block as a process group; polls and cancels it by pid."""

    label = "background"

    def __init__(self, launcher: Launcher | None = None, cmd_timeout: int = 10) -> None:
        self.launcher = launcher or SingleNodeLauncher(debug=False)
        self.cmd_timeout = cmd_timeout
        self.script_dir = tempfile.mkdtemp(prefix="parsl-background-")
        self.resources = {}
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._cancelled: set[str] = set()

    def submit(self, command: str, tasks_per_node: int, job_name: str = "parsl.block") -> str:
        script = self.launcher(command, tasks_per_node, self.nodes_per_block)
        out = os.path.join(self.script_dir, f"{job_name}.{len(self._procs)}.out")
        err = out[:-4] + ".err"
        try:
            with open(out, "wb") as o, open(err, "wb") as e:
                proc = subprocess.Popen(
                    ["bash", "-c", script], stdout=o, stderr=e, start_new_session=True
                )
        except OSError as exc:
            raise SubmitException(self.label, f"cannot start bash: {exc}") from exc
        job_id = str(proc.pid)
        self._procs[job_id] = proc
        self.resources[job_id] = {"job_name": job_name, "stdout": out, "stderr": err}
        return job_id

    def status(self, job_ids: list) -> list[JobStatus]:
        return [self._status(str(j)) for j in job_ids]

    def _status(self, job_id: str) -> JobStatus:
        proc = self._procs.get(job_id)
        if proc is None:
            return JobStatus(JobState.MISSING, message="no such block")
        files = self.resources[job_id]
        code = proc.poll()
        if code is None:
            state = JobState.RUNNING
        elif job_id in self._cancelled:
            state = JobState.CANCELLED
        else:
            state = JobState.COMPLETED if code == 0 else JobState.FAILED
        return JobStatus(
            state, exit_code=code, stdout_path=files["stdout"], stderr_path=files["stderr"]
        )

    def cancel(self, job_ids: list) -> list[bool]:
        results = []
        for job_id in map(str, job_ids):
            proc = self._procs.get(job_id)
            if proc is None or proc.poll() is not None:
                results.append(False)
                continue
            self._cancelled.add(job_id)
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=self.cmd_timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            results.append(True)
        return results


def wait_until_terminal(provider: ExecutionProvider, job_id: str, timeout: float = 10) -> JobStatus:
    deadline = time.monotonic() + timeout
    while True:
        (status,) = provider.status([job_id])
        if status.terminal or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


provider = BackgroundProvider()
job = provider.submit('echo "worker $PARSL_WORKER_RANK"', tasks_per_node=2)
status = wait_until_terminal(provider, job)
print("block state:", status.state.name)
print("block output:", sorted(status.stdout.splitlines()))

long_job = provider.submit("sleep 60", tasks_per_node=1)
(accepted,) = provider.cancel([long_job])
print("long block cancelled:", accepted, wait_until_terminal(provider, long_job).state.name)
print("unknown job:", provider.status(["no-such-id"])[0].state.name)
