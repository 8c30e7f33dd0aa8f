"""The files one task travels as: its call, the map of its ``File`` arguments, and its result.

On the submit side :func:`prepare_task` writes ``<task>.function`` (the
serialized call) and ``<task>.map`` (each local ``File`` argument's path ->
the name it has where the task runs) into the executor's staging directory
and returns a :class:`TaskPackage`: plain data that the manager process turns
into a Work Queue or TaskVine task. With ``shared_fs=False`` every file is
declared to the manager, which copies inputs into the worker's sandbox and
outputs (the app's ``outputs=`` files and the result file) back; with
``shared_fs=True`` the task opens the submit side's paths directly (a
function call still gets its own three files in its sandbox, where the
library looks for them).
"""

from __future__ import annotations

import os
import pickle
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from parsl.data_provider.files import File
from parsl.executors.cctools.resources import TaskResources
from parsl.serialize.facade import pack_apply_message

__all__ = ["RUNNER_MODULE", "TaskPackage", "find_files", "prepare_task", "runner_command"]

RUNNER_MODULE = "parsl.executors.cctools.runner"


@dataclass(frozen=True)
class TaskPackage:
    """One task as the manager process needs it (picklable plain data)."""

    task_id: int
    function_file: str
    map_file: str
    result_file: str
    inputs: tuple[tuple[str, str], ...]
    """(local path, name in the sandbox) for files the manager copies in."""
    outputs: tuple[tuple[str, str], ...]
    """(local path, name in the sandbox) for files the manager copies back (the result last)."""
    command: str
    """The shell command a one-process-per-task worker runs."""
    resources: TaskResources = field(default_factory=TaskResources)
    function_name: str = "function"
    serverless: bool = False
    """TaskVine only: run as a call to the executor's library instead of a process."""

    def shell_command(self, init_command: str = "") -> str:
        """:attr:`command`, after the executor's ``init_command`` when there is one."""
        return f"{init_command} && {self.command}" if init_command else self.command

    @property
    def sandbox_names(self) -> tuple[str, str, str]:
        """The names of (map, function, result) where the task runs."""
        return (
            self._name(self.map_file),
            self._name(self.function_file),
            self._name(self.result_file),
        )

    def _name(self, path: str) -> str:
        for local, remote in self.inputs + self.outputs:
            if local == path:
                return remote
        return path


def find_files(value: Any, depth: int = 0) -> Iterator[File]:
    """Every :class:`File` in ``value`` and in the lists, tuples, sets and dict values inside it."""
    if isinstance(value, File):
        yield value
    elif depth < 4 and isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from find_files(item, depth + 1)
    elif depth < 4 and isinstance(value, dict):
        for item in value.values():
            yield from find_files(item, depth + 1)


def runner_command(python: str, map_name: str, function_name: str, result_name: str) -> str:
    """The worker-side command of a one-process-per-task task."""
    args = [python, "-m", RUNNER_MODULE, map_name, function_name, result_name]
    return " ".join(shlex.quote(a) for a in args)


def _local(f: File) -> bool:
    return f.scheme in ("file", "") and f.local_path is None


def prepare_task(
    *,
    staging_dir: str,
    task_id: int,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    resources: TaskResources,
    shared_fs: bool,
    python: str = "python3",
    serverless: bool = False,
) -> TaskPackage:
    """Write the task's files under ``staging_dir`` and describe it for the manager.

    Raises :class:`~parsl.serialize.errors.SerializationError` naming the
    argument that cannot be serialized, and ``OSError`` when the staging
    directory cannot be written.
    """
    base = os.path.join(staging_dir, f"task-{task_id}")
    function_file, map_file, result_file = base + ".function", base + ".map", base + ".result"
    with open(function_file, "wb") as out:
        out.write(pack_apply_message(func, args, kwargs))
    outputs_arg = set(map(id, find_files(kwargs.get("outputs", ()))))
    file_map: dict[str, str] = {}
    inputs: list[tuple[str, str]] = []
    outputs: list[tuple[str, str]] = []
    everything = list(find_files(args)) + list(find_files(kwargs))
    for n, f in enumerate(everything):
        if not _local(f) or f.path in file_map:
            continue
        local = os.path.abspath(f.path)
        if shared_fs:
            file_map[f.path] = local
            continue
        remote = f"parsl-file-{n}-{os.path.basename(local) or 'file'}"
        file_map[f.path] = remote
        if id(f) in outputs_arg:
            outputs.append((local, remote))
        elif os.path.exists(local):
            inputs.append((local, remote))
    with open(map_file, "wb") as out:
        pickle.dump(file_map, out)
    if shared_fs and not serverless:
        names = (map_file, function_file, result_file)
        inputs_t: tuple[tuple[str, str], ...] = ()
        outputs_t: tuple[tuple[str, str], ...] = ()
    else:  # a call (serverless) runs in a sandbox and finds its own files there by these names
        names = ("parsl.map", "parsl.function", "parsl.result")
        inputs_t = ((map_file, names[0]), (function_file, names[1]), *inputs)
        outputs_t = (*outputs, (result_file, names[2]))
    return TaskPackage(
        task_id=task_id,
        function_file=function_file,
        map_file=map_file,
        result_file=result_file,
        inputs=inputs_t,
        outputs=outputs_t,
        command=runner_command(python, *names),
        resources=resources,
        function_name=getattr(func, "__name__", "function"),
        serverless=serverless,
    )
