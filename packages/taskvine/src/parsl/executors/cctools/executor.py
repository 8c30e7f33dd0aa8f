"""What the Work Queue and TaskVine executors share: the submit side of a manager in its own process.

:class:`CctoolsExecutor` is a
:class:`~parsl.executors.status_handling.BlockProviderExecutor`: with a
provider it gets blocks whose launch command starts workers (the
DataFlowKernel's poller starts ``init_blocks`` and scales). A subclass gives
the manager backend (:meth:`_manager_target`), the worker command and the
resource-specification rules; everything else (task files, the manager
process, completing futures, the manager's death, shutdown) is here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from abc import abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from parsl.errors import bad_value
from parsl.executors.base import NO_SPEC, submitted_spec
from parsl.executors.cctools.errors import (
    CctoolsTaskFailure,
    ManagerLost,
    ResourceExhausted,
    TaskOutputMissing,
    WorkerLost,
)
from parsl.executors.cctools.manager_loop import Completion, FailureKind, read_frame, write_frame
from parsl.executors.cctools.processes import LocalProcess, interpreter_path
from parsl.executors.cctools.resources import TaskResources
from parsl.executors.cctools.runner import not_an_exception
from parsl.executors.cctools.taskfiles import TaskPackage, prepare_task
from parsl.executors.status_handling import BlockProviderExecutor
from parsl.providers.base import ExecutionProvider
from parsl.serialize.facade import deserialize

__all__ = ["CctoolsExecutor"]

logger = logging.getLogger(__name__)

MANAGER_START_TIMEOUT = 30.0
_FAILURES: dict[str, type[CctoolsTaskFailure]] = {
    FailureKind.RESOURCE_EXHAUSTED: ResourceExhausted,
    FailureKind.WORKER_LOST: WorkerLost,
    FailureKind.OUTPUT_MISSING: TaskOutputMissing,
}


def _task_exception(c: Completion, exc: BaseException) -> BaseException:
    """What the task's future fails with: the task's own exception, if it is an :class:`Exception`.

    Otherwise (``SystemExit``, ``KeyboardInterrupt``) a :class:`CctoolsTaskFailure`
    (Parsl's ``WorkQueueTaskFailure``/``TaskVineTaskFailure``) caused by it: see
    :func:`~parsl.executors.cctools.runner.not_an_exception`.
    """
    reason = not_an_exception(exc)
    if reason is None:
        return exc
    failure = CctoolsTaskFailure(c.task_id, reason, c.worker)
    failure.__cause__ = exc
    return failure


class CctoolsExecutor(BlockProviderExecutor):
    """The shared submit side of :class:`WorkQueueExecutor` and :class:`TaskVineExecutor`."""

    def __init__(
        self,
        *,
        label: str,
        provider: ExecutionProvider | None,
        shared_fs: bool,
        working_dir: str | None,
        storage_access: list[Any] | None,
    ) -> None:
        super().__init__(provider=provider, block_error_handler=True)
        if not isinstance(label, str) or not label:
            raise bad_value("label", label, "a non-empty string")
        if not isinstance(shared_fs, bool):
            raise bad_value("shared_fs", shared_fs, "True or False")
        if working_dir is not None and not isinstance(working_dir, str):
            raise bad_value("working_dir", working_dir, "a directory path or None")
        self.label = label
        self.shared_fs = shared_fs
        self.working_dir = working_dir
        self.storage_access = storage_access
        self.manager_port: int | None = None
        """The port the manager listens on, once started."""
        self.measured_resources: dict[int, dict[str, float]] = {}
        """What the manager measured for each finished task (cores, memory, disk, wall_time)."""
        self._task_counter = 0
        self._counter_lock = threading.Lock()
        self._manager: subprocess.Popen[bytes] | None = None
        self._send_lock = threading.Lock()
        self._ready = threading.Event()
        self._port: int | None = None
        self._fatal: str | None = None
        self.manager_log = ""
        self._collector: threading.Thread | None = None
        self._stopping = threading.Event()
        self._local_processes: list[LocalProcess] = []
        self._started = False
        self._staging_dir = ""
        self._packages: dict[int, TaskPackage] = {}

    # ------------------------------------------------------------ what subclasses give

    @abstractmethod
    def _manager_target(self) -> tuple[Callable[[Any], Any], Any]:
        """(backend factory, picklable settings) for the manager process."""

    @abstractmethod
    def _task_resources(self, func: Callable[..., Any], spec: dict[str, Any]) -> TaskResources:
        """Check a task's resource specification (raises InvalidResourceSpecification)."""

    @abstractmethod
    def _start_workers(self) -> None:
        """Start the workers the executor runs itself (factory), if any."""

    def _serverless(self, spec: dict[str, Any]) -> bool:
        return False

    # ------------------------------------------------------------ lifecycle

    @property
    def outstanding(self) -> int:
        return sum(1 for f in list(self._tasks.values()) if not f.done())

    @property
    def workers_per_node(self) -> int | float:
        return 1

    @property
    def run_directory(self) -> str:
        """Where this executor keeps its files (``working_dir`` or ``<run_dir>/<label>``)."""
        return os.path.abspath(self.working_dir or os.path.join(self.run_dir, self.label))

    def start(self) -> None:
        if self._started:
            raise RuntimeError(f"executor {self.label!r} is already started")
        self._started = True
        os.makedirs(self.run_directory, exist_ok=True)
        self._staging_dir = os.path.join(self.run_directory, "function_data")
        os.makedirs(self._staging_dir, exist_ok=True)
        make_backend, settings = self._manager_target()
        self.manager_log = os.path.join(self.run_directory, "manager.log")
        with open(self.manager_log, "ab") as log:
            self._manager = subprocess.Popen(
                [sys.executable, "-m", "parsl.executors.cctools.manager_loop"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=self.run_directory,
                env=dict(os.environ, PATH=interpreter_path()),
                start_new_session=True,  # Ctrl-C reaches us; we stop it ourselves, in order
            )
        self._send((make_backend, settings))
        self._collector = threading.Thread(
            target=self._collect, name=f"{self.label}-collector", daemon=True
        )
        self._collector.start()
        self.manager_port = self._await_ready()
        self.start_monitoring_receiver()
        self._start_workers()

    def _send(self, obj: Any) -> None:
        assert self._manager is not None and self._manager.stdin is not None
        try:
            with self._send_lock:
                write_frame(self._manager.stdin, obj)  # type: ignore[arg-type]
        except (BrokenPipeError, ValueError, OSError) as e:
            raise ManagerLost(self.label, f"the manager process is gone ({e})") from e

    def _await_ready(self) -> int:
        assert self._manager is not None
        deadline = time.monotonic() + MANAGER_START_TIMEOUT
        while time.monotonic() < deadline and not self._ready.wait(0.1):
            if self._manager.poll() is not None and not self._ready.is_set():
                self._ready.wait(1)  # the collector may still be reading its last words
                break
        if self._port is not None:
            return self._port
        code = self._manager.poll()
        self._kill_manager()
        self._close_pipes()
        why = self._fatal or (
            f"the manager process did not start within {MANAGER_START_TIMEOUT:.0f} s"
            if code is None
            else f"the manager process exited with code {code}"
        )
        raise ManagerLost(self.label, f"{why} (see {self.manager_log})")

    def submit(
        self,
        func: Callable[..., Any],
        resource_specification: dict[str, Any] = NO_SPEC,
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Future[Any]:
        resource_specification = submitted_spec(resource_specification, kwargs)
        if self.bad_state_is_set:
            raise self.executor_exception or ManagerLost(
                self.label, "the executor is in a bad state"
            )
        if not self._started or self._stopping.is_set():
            raise ManagerLost(self.label, "the executor is not running (start() it first)")
        spec = dict(resource_specification or {})
        resources = self._task_resources(func, spec)
        with self._counter_lock:
            self._task_counter += 1
            task_id = self._task_counter
        package = prepare_task(
            staging_dir=self._staging_dir,
            task_id=task_id,
            func=func,
            args=args,
            kwargs=kwargs,
            resources=resources,
            shared_fs=self.shared_fs,
            serverless=self._serverless(spec),
        )
        future: Future[Any] = Future()
        self._tasks[task_id] = future
        self._packages[task_id] = package
        self._send(package)
        return future

    # ------------------------------------------------------------ results

    def _collect(self) -> None:
        assert self._manager is not None and self._manager.stdout is not None
        stream = self._manager.stdout
        while True:
            try:
                kind, value = read_frame(stream)  # type: ignore[arg-type]
            except (EOFError, OSError, ValueError):
                self._ready.set()
                if not self._stopping.is_set():
                    self._manager_died()
                return
            except Exception as e:  # a message that does not unpickle: the channel is unusable
                self._ready.set()
                self._fatal = f"unreadable message from the manager: {type(e).__name__}: {e}"
                self.set_bad_state_and_fail_all(ManagerLost(self.label, self._fatal))
                self._kill_manager()
                return
            if kind == "done":
                self._complete(value)
            elif kind == "ready":
                self._port = int(value)
                self._ready.set()
            elif kind == "fatal":
                logger.error("executor %s: %s", self.label, value)
                self._fatal = str(value)
                self._ready.set()
                self.set_bad_state_and_fail_all(ManagerLost(self.label, str(value)))

    def _manager_died(self) -> None:
        assert self._manager is not None
        try:
            code = self._manager.wait(2)
        except subprocess.TimeoutExpired:
            code = None
        if self._port is None:
            return  # start() reports it
        self.set_bad_state_and_fail_all(
            ManagerLost(
                self.label,
                f"the manager process (pid {self._manager.pid}) exited with code {code}; "
                f"its tasks are lost (see {self.manager_log})",
            )
        )

    def _complete(self, c: Completion) -> None:
        future = self._tasks.pop(c.task_id, None)
        package = self._packages.pop(c.task_id, None)
        if c.resources:
            self.measured_resources[c.task_id] = dict(c.resources)
        if future is None or future.done():
            return
        try:
            if c.kind == FailureKind.SUCCESS and package is not None:
                outcome = self._read_result(package)
                if outcome["ok"]:
                    future.set_result(outcome["value"])
                else:
                    future.set_exception(_task_exception(c, outcome["exception"].get_exception()))
            else:
                cls = _FAILURES.get(c.kind, CctoolsTaskFailure)
                future.set_exception(cls(c.task_id, c.reason or c.kind, c.worker))
        except Exception as e:
            future.set_exception(e)
        finally:
            if package is not None:
                for path in (package.function_file, package.map_file, package.result_file):
                    with contextlib.suppress(OSError):
                        os.unlink(path)

    def _read_result(self, package: TaskPackage) -> dict[str, Any]:
        try:
            with open(package.result_file, "rb") as f:
                outcome: dict[str, Any] = deserialize(f.read())
        except FileNotFoundError as e:
            raise TaskOutputMissing(
                package.task_id, f"the result file {package.result_file} did not come back"
            ) from e
        return outcome

    # ------------------------------------------------------------ shutdown

    def _kill_manager(self) -> None:
        proc = self._manager
        if proc is None:
            return
        for stop in (proc.terminate, proc.kill):
            if proc.poll() is not None:
                break
            stop()
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:  # pragma: no cover - only a wedged manager
                continue

    def _close_pipes(self) -> None:
        if self._collector is not None and self._collector is not threading.current_thread():
            self._collector.join(5)
        if self._manager is not None:
            for pipe in (self._manager.stdin, self._manager.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()

    def _stop_local_processes(self) -> None:
        for p in self._local_processes:
            p.stop()

    def shutdown(self) -> None:
        """Stop workers, factory and manager (by pid, bounded); fail what is still in flight."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._stop_local_processes()
        if self.provider is not None:
            with self._blocks_lock:
                active = [b for b, s in self._status.items() if not s.terminal]
                job_ids = [self.blocks_to_job_id[b] for b in active if b in self.blocks_to_job_id]
            if job_ids:
                try:
                    self.provider.cancel(job_ids)
                except Exception as e:
                    logger.error("executor %s: cancelling blocks failed: %s", self.label, e)
        if self._manager is not None:
            if self._manager.stdin is not None:
                with contextlib.suppress(OSError):
                    self._manager.stdin.close()  # end of tasks: the manager stops
            try:
                self._manager.wait(5)
            except subprocess.TimeoutExpired:
                logger.warning(
                    "executor %s: the manager did not stop in 5 s; killing it", self.label
                )
            self._kill_manager()
        if self._collector is not None:
            self._collector.join(5)
        lost = ManagerLost(self.label, "the executor was shut down before the task finished")
        for task_id, future in list(self._tasks.items()):
            if not future.done():
                future.set_exception(lost)
            self._tasks.pop(task_id, None)
        self._close_pipes()
        self.stop_monitoring_receiver()

    @property
    def manager_pid(self) -> int | None:
        """The manager process's pid (None before start)."""
        return None if self._manager is None else self._manager.pid

    @property
    def worker_processes(self) -> list[LocalProcess]:
        """Worker and factory processes this executor started itself."""
        return list(self._local_processes)
