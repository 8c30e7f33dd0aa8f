"""A plugin package for Parsl, written against Parsl's documented plugin bases only.

- ``EnvLauncher``: a ``Launcher`` that exports a variable, then runs the command.
- ``SubprocessProvider``: an ``ExecutionProvider`` that runs each block as a
  local process group (submit / status / cancel).
- ``CopyStaging``: a ``Staging`` provider for ``copy://`` files, staged in the task.
- ``JsonSerializer``: a ``SerializerBase`` for JSON-able data.

Each uses ``RepresentationMixin`` for its repr.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Callable
from typing import Any

from parsl.data_provider.files import File
from parsl.data_provider.staging import Staging
from parsl.jobs.states import JobState, JobStatus
from parsl.launchers.base import Launcher
from parsl.providers.base import ExecutionProvider
from parsl.serialize.base import SerializerBase
from parsl.utils import RepresentationMixin

__all__ = ["CopyStaging", "EnvLauncher", "JsonSerializer", "SubprocessProvider"]


class EnvLauncher(Launcher, RepresentationMixin):
    """Exports ``name=value`` and then runs the worker command once."""

    def __init__(self, name: str = "DOCS_PLUGIN_LAUNCHER", value: str = "1", debug: bool = True):
        super().__init__(debug=debug)
        self.name = name
        self.value = value

    def __call__(self, command: str, tasks_per_node: int, nodes_per_block: int) -> str:
        return f"export {self.name}={self.value}\n{command}"


class SubprocessProvider(ExecutionProvider, RepresentationMixin):
    """Runs each block as a local process group, its command wrapped by ``launcher``."""

    def __init__(
        self,
        launcher: Launcher | None = None,
        init_blocks: int = 1,
        min_blocks: int = 0,
        max_blocks: int = 1,
        nodes_per_block: int = 1,
        parallelism: float = 1,
        worker_init: str = "",
    ) -> None:
        self.launcher = launcher if launcher is not None else EnvLauncher()
        self.init_blocks = init_blocks
        self.min_blocks = min_blocks
        self.max_blocks = max_blocks
        self.nodes_per_block = nodes_per_block
        self.parallelism = parallelism
        self.worker_init = worker_init
        self.script_dir: str | None = None
        self.resources: dict[object, Any] = {}
        self._label = "docs_subprocess"

    @property
    def label(self) -> str:
        return self._label

    @property
    def status_polling_interval(self) -> int:
        return 1

    def submit(self, command: str, tasks_per_node: int, job_name: str = "parsl.block") -> Any:
        script = (
            f"{self.worker_init}\n{self.launcher(command, tasks_per_node, self.nodes_per_block)}"
        )
        log = open(os.path.join(self.script_dir or ".", f"{job_name}.log"), "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            ["/bin/bash", "-c", script],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.resources[proc.pid] = proc
        return proc.pid

    def status(self, job_ids: list[Any]) -> list[JobStatus]:
        out = []
        for job in job_ids:
            proc = self.resources.get(job)
            code = None if proc is None else proc.poll()
            if proc is None:
                out.append(JobStatus(JobState.UNKNOWN))
            elif code is None:
                out.append(JobStatus(JobState.RUNNING))
            else:
                state = JobState.COMPLETED if code == 0 else JobState.FAILED
                out.append(JobStatus(state, exit_code=code))
        return out

    def cancel(self, job_ids: list[Any]) -> list[bool]:
        done = []
        for job in job_ids:
            proc = self.resources.get(job)
            if proc is None or proc.poll() is not None:
                done.append(False)
                continue
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
            done.append(True)
        return done


class CopyStaging(Staging, RepresentationMixin):
    """``copy:///path`` files: copied into ``workdir`` inside the task before it runs."""

    def __init__(self, workdir: str) -> None:
        self.workdir = workdir

    def can_stage_in(self, file: File) -> bool:
        return file.scheme == "copy"

    def replace_task(
        self, dm: Any, executor: str, file: File, func: Callable[..., Any]
    ) -> Callable[..., Any]:
        return _CopyIn(func, file, self.workdir)


class _CopyIn:
    """The task wrapper: copy the file in, then call the app (a class, so that it pickles)."""

    def __init__(self, func: Callable[..., Any], file: File, workdir: str) -> None:
        self.func, self.file, self.workdir = func, file, workdir
        self.__name__ = getattr(func, "__name__", "task")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        os.makedirs(self.workdir, exist_ok=True)
        target = os.path.join(self.workdir, self.file.filename)
        shutil.copyfile(self.file.path, target)
        self.file.local_path = target
        return self.func(*args, **kwargs)


class JsonSerializer(SerializerBase, RepresentationMixin):
    """JSON for data; registered with ``parsl.serialize.facade.register_method_for_data``."""

    _identifier = b"json"
    _for_code = False
    _for_data = True

    def __init__(self, indent: int | None = None) -> None:
        self.indent = indent

    def serialize(self, data: Any) -> bytes:
        return json.dumps(data, indent=self.indent).encode()

    def deserialize(self, body: bytes) -> Any:
        return json.loads(body)
