"""DataManager: applies the executor's staging providers to one task's files."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from parsl.app.futures import DataFuture
from parsl.data_provider.files import File
from parsl.data_provider.staging import Staging
from parsl.errors import ParslError

if TYPE_CHECKING:
    from parsl.dataflow.dflow import DataFlowKernel
    from parsl.dataflow.taskrecord import TaskRecord


DEFAULT_STAGING_NAMES = (
    "NoOpFileStaging",
    "FTPSeparateTaskStaging",
    "HTTPSeparateTaskStaging",
    "ZipFileStaging",
)
"""Parsl's default staging providers, by their ``parsl.staging`` entry-point names."""


def _default_staging() -> list[Staging]:
    """New instances of Parsl's default staging providers that are installed.

    Local files always (the kernel's ``NoOpFileStaging``); FTP and HTTP(S)
    as separate tasks, and ``zip:`` archives, when ``parsl-staging`` (or
    another package registering those names) is installed, as in Parsl.
    """
    from parsl import plugins
    from parsl.data_provider.file_noop import NoOpFileStaging
    from parsl.errors import PluginNotFound

    providers: list[Staging] = [NoOpFileStaging()]
    for name in DEFAULT_STAGING_NAMES[1:]:
        try:
            providers.append(plugins.load("parsl.staging", name)())
        except PluginNotFound:
            continue
    return providers


def __getattr__(name: str) -> Any:
    # ``default_staging``: Parsl's list, e.g. ``storage_access=default_staging + [GlobusStaging()]``;
    # a new list each time, so adding to it never changes another executor's.
    if name == "default_staging":
        return _default_staging()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_STAGED_OUT = frozenset({"outputs", "stdout", "stderr"})
"""Keyword arguments whose Files are staged out after the task, never in."""
_STAGEABLE = (File, DataFuture)
"""What an argument may be for staging in: a File, or the DataFuture of a file a task makes."""


class NoStagingProvider(ParslError):
    """No staging provider of the executor accepts a file's URL scheme."""


class DataManager:
    """Finds File arguments, starts stage-ins, and records in-task wrappers for launch time."""

    def __init__(self, dfk: DataFlowKernel) -> None:
        self.dfk = dfk
        self._defaults: list[Staging] | None = None

    def storage_access(self, executor: str) -> list[Staging]:
        """The executor's ``storage_access``; without one, Parsl's ``default_staging``.

        The default providers are made once per DataFlowKernel and shared by
        its executors, as Parsl's module-level list is.
        """
        declared = getattr(self.dfk.executors[executor], "storage_access", None)
        if declared:
            return list(declared)
        if self._defaults is None:
            self._defaults = _default_staging()
        return self._defaults

    def _provider(self, executor: str, file: File, direction: str) -> Staging:
        for p in self.storage_access(executor):
            if p.can_stage_in(file) if direction == "in" else p.can_stage_out(file):
                return p
        raise NoStagingProvider(
            f"executor {executor!r} has no staging provider that can stage {direction} {file.url!r}; "
            "add one to the executor's storage_access list"
        )

    def plan(self, task: TaskRecord, fu: Any, stage: bool = True) -> None:
        """Replace File arguments by what stage-in provides, and make the output DataFutures.

        As in Parsl, staging works on a clean copy of each File
        (:meth:`File.cleancopy`): a provider setting ``local_path`` on the
        execution side never changes the File the user holds, and the
        output DataFutures name the user's own Files.
        """
        outputs = task.kwargs.get("outputs")
        files = (
            [f for f in outputs if isinstance(f, File)] if isinstance(outputs, list | tuple) else []
        )
        if stage:
            if any(isinstance(a, _STAGEABLE) for a in task.args):
                task.args = tuple(self._in(task, a) for a in task.args)
            for k, v in task.kwargs.items():
                if k == "inputs" and isinstance(v, list | tuple):
                    if any(isinstance(f, _STAGEABLE) for f in v):
                        task.kwargs[k] = [self._in(task, f) for f in v]
                elif isinstance(v, _STAGEABLE) and k not in _STAGED_OUT:
                    task.kwargs[k] = self._in(task, v)
            for k in ("stdout", "stderr"):
                stream = task.kwargs.get(k)
                if isinstance(stream, File):
                    # As in Parsl: a File stream is staged out, and the future's
                    # ``stdout``/``stderr`` is the DataFuture of that stage-out.
                    copy = stream.cleancopy()
                    task.kwargs[k] = copy
                    staged = self.stage_out(task, copy, fu, user_file=stream)
                    if k == "stdout":
                        fu._stdout = staged
                    else:
                        fu._stderr = staged
            if files:
                assert isinstance(outputs, list | tuple)
                copies = [f.cleancopy() if isinstance(f, File) else f for f in outputs]
                task.kwargs["outputs"] = copies
                fu._outputs = [
                    self.stage_out(task, c, fu, user_file=f)
                    for f, c in zip(outputs, copies, strict=True)
                    if isinstance(f, File)
                ]
        elif files:
            # Staging inhibited (a staging provider's own transfer task, Parsl's
            # ``_parsl_staging_inhibit``): its outputs still get DataFutures, which
            # such a provider returns as ``app_fut.outputs[0]``.
            fu._outputs = [DataFuture(fu, f, tid=task.id) for f in files]

    def _in(self, task: TaskRecord, value: Any) -> Any:
        if isinstance(value, File):
            return self.stage_in(task, value.cleancopy())
        if isinstance(value, DataFuture):
            # As in Parsl, a file another task makes is staged in for this one too (a Globus
            # or rsync output reaching the next task's site): a copy of it, once it exists.
            return self.stage_in(task, value.file_obj.cleancopy(), parent=value)
        return value

    def stage_in(self, task: TaskRecord, file: File, parent: DataFuture | None = None) -> Any:
        """Return what the task should receive in place of ``file`` (the File or a DataFuture).

        ``parent`` is the DataFuture of the task that makes the file, if one
        does: a stage-in task waits for it, and without one the task gets a
        DataFuture that completes with ``parent`` and holds ``file``.
        """
        provider = self._provider(task.executor, file, "in")
        fut = provider.stage_in(self, task.executor, file, parent)
        if fut is not None:
            return fut
        task.staging = [*task.staging, (provider, file, "in")]
        return file if parent is None else DataFuture(parent, file, tid=parent.tid)

    def stage_out(
        self, task: TaskRecord, file: File, app_fut: Any, user_file: File | None = None
    ) -> DataFuture:
        """Return the DataFuture for an output file, staging it out where needed.

        ``file`` is what the provider and the task see; the DataFuture names
        ``user_file`` (default: ``file``). With no stage-out task from the
        provider, the DataFuture completes with the app future.
        """
        named = file if user_file is None else user_file
        provider = self._provider(task.executor, file, "out")
        fut = provider.stage_out(self, task.executor, file, app_fut)
        if fut is not None:
            return DataFuture(fut, named, tid=task.id)
        task.staging = [*task.staging, (provider, file, "out")]
        return DataFuture(app_fut, named, tid=task.id)

    def wrap(self, task: TaskRecord, func: Callable[..., Any]) -> Callable[..., Any]:
        """Apply the in-task staging wrappers recorded for ``task``."""
        for provider, file, direction in task.staging:
            if direction == "in":
                new = provider.replace_task(self, task.executor, file, func)
            else:
                new = provider.replace_task_stage_out(self, task.executor, file, func)
            if new is not None:
                func = new
        return func
