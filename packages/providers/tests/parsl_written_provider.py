"""A batch provider written the way a Parsl user writes one, against Parsl's ClusterProvider only.

Its "scheduler" is bash: each block is a background bash session (``setsid
bash <script> &``) on this machine, whose pid, the session and process
group leader, is the job id. It is started, polled and cancelled through
``self.execute_wait``; its script is written by ``self._write_submit_script``.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import time
from collections.abc import Callable
from typing import Any

from parsl.jobs.states import JobState, JobStatus
from parsl.launchers import SingleNodeLauncher
from parsl.launchers.base import Launcher
from parsl.providers.base import ExecutionProvider
from parsl.providers.cluster_provider import ClusterProvider
from parsl.providers.errors import SubmitException

TEMPLATE = """#!/bin/bash
# parsl block ${jobname}
${worker_init}
${user_script}
echo $$? > ${exit_code_file}
"""


class BackgroundBashProvider(ClusterProvider):
    """Each block is ``setsid bash <script> &`` on this machine; the session leader's pid is its job id."""

    def __init__(
        self,
        label: str = "background",
        nodes_per_block: int = 1,
        init_blocks: int = 1,
        min_blocks: int = 0,
        max_blocks: int = 1,
        parallelism: float = 1,
        walltime: str = "00:10:00",
        launcher: Launcher | None = None,
        cmd_timeout: int = 10,
        worker_init: str = "",
    ) -> None:
        super().__init__(
            label,
            nodes_per_block,
            init_blocks,
            min_blocks,
            max_blocks,
            parallelism,
            walltime,
            launcher if launcher is not None else SingleNodeLauncher(debug=False),
            cmd_timeout,
        )
        self.worker_init = worker_init

    def submit(self, command: str, tasks_per_node: int, job_name: str = "parsl.auto") -> str:
        assert self.script_dir is not None, "the DataFlowKernel (or the test) sets script_dir"
        job_name = f"{job_name}.{time.time_ns()}"
        base = os.path.join(self.script_dir, job_name)
        script = base + ".sh"
        configs = {
            "worker_init": self.worker_init,
            "user_script": self.launcher(command, tasks_per_node, self.nodes_per_block),
            "exit_code_file": base + ".ec",
        }
        self._write_submit_script(TEMPLATE, script, job_name, configs)
        q = shlex.quote
        retcode, stdout, stderr = self.execute_wait(
            f"setsid bash {q(script)} > {q(base + '.out')} 2> {q(base + '.err')} < /dev/null & echo $!"
        )
        if retcode != 0:
            raise SubmitException(self.label, f"could not start {script}", stdout, stderr)
        job_id = stdout.strip()
        self.resources[job_id] = {
            "job_id": job_id,
            "exit_code_file": base + ".ec",
            "status": JobStatus(
                JobState.RUNNING, stdout_path=base + ".out", stderr_path=base + ".err"
            ),
        }
        return job_id

    def _status(self) -> None:
        active = [job_id for job_id, r in self.resources.items() if not r["status"].terminal]
        if not active:
            return
        # ps exits 1 when it lists none of them: not an error here.
        _, stdout, _ = self.execute_wait(f"ps -o pid=,stat= -p {','.join(active)}")
        alive = {pid for pid, stat in map(str.split, stdout.splitlines()) if stat[0] not in "ZX"}
        for job_id in active:
            if job_id in alive:
                continue
            resource = self.resources[job_id]
            old = resource["status"]
            try:
                with open(resource["exit_code_file"]) as f:
                    code = int(f.read())
            except (OSError, ValueError):
                state, code = JobState.FAILED, None
            else:
                state = JobState.COMPLETED if code == 0 else JobState.FAILED
            resource["status"] = JobStatus(
                state, exit_code=code, stdout_path=old.stdout_path, stderr_path=old.stderr_path
            )

    def cancel(self, job_ids: list[Any]) -> list[bool]:
        accepted = []
        for job_id in job_ids:
            resource = self.resources.get(job_id)
            if resource is None or resource["status"].terminal:
                accepted.append(False)
                continue
            retcode, _, _ = self.execute_wait(f"kill -TERM -- -{int(job_id)}")
            if retcode == 0:
                resource["status"] = JobStatus(JobState.CANCELLED, message="cancelled")
            accepted.append(retcode == 0)
        return accepted


MakeBashProvider = Callable[..., BackgroundBashProvider]


def kill_blocks(provider: BackgroundBashProvider) -> None:
    """Teardown: SIGKILL every block ``provider`` started, by process group id."""
    for job_id in provider.resources:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(int(job_id), signal.SIGKILL)


def wait_terminal(provider: ExecutionProvider, job_id: str, timeout_s: float = 15) -> JobStatus:
    deadline = time.monotonic() + timeout_s
    while True:
        (status,) = provider.status([job_id])
        if status.terminal:
            return status
        assert time.monotonic() < deadline, f"job {job_id} stuck in {status}"
        time.sleep(0.05)
