"""The DataFlowKernel: runs each task when its inputs are ready, and settles its future."""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import random
import sys
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, cast

from parsl.app import children
from parsl.config import Config
from parsl.data_provider.data_manager import DataManager
from parsl.dataflow.dependency_resolvers import SHALLOW_DEPENDENCY_RESOLVER
from parsl.dataflow.errors import DependencyError, future_name
from parsl.dataflow.function_submit import function_app
from parsl.dataflow.futures import AppFuture
from parsl.dataflow.lifecycle import Event
from parsl.dataflow.rundir import make_rundir
from parsl.dataflow.settle import _NO_KWARGS, _NONE, CleanedUp, TaskSettlement
from parsl.dataflow.shutdown import (
    CLEANUP_WAIT_LIMIT,
    close_quietly,
    shutdown_executors,
    undo_partial_start,
)
from parsl.dataflow.states import FINAL_STATES, States
from parsl.dataflow.submit_errors import (
    CALLER_EXCEPTIONS,
    UNFIXABLE_SUBMIT_ERRORS,
    fail_now,
    interrupted,
    own_exception,
)
from parsl.dataflow.taskrecord import TaskRecord, log_extra
from parsl.errors import ConfigurationError, ParslError, bad_value
from parsl.executors.base import ParslExecutor
from parsl.executors.threads import ThreadPoolExecutor
from parsl.jobs.poller import JobStatusPoller
from parsl.monitoring.remote import attach_executor, monitor_wrapper

if TYPE_CHECKING:
    from parsl.app.app import AppBase

logger = logging.getLogger(__name__)
_local = threading.local()
INTERNAL = "_parsl_internal"


class DataFlowKernel(TaskSettlement):
    """Owns the executors and the task table of one ``parsl.load()``."""

    def __init__(self, config: Config | None = None) -> None:
        if config is None:
            config = Config()
        if not isinstance(config, Config):
            raise bad_value("config", config, "a parsl.config.Config")
        self.config = config
        self.run_id = str(uuid.uuid4())
        self.run_dir = make_rundir(config.run_dir)
        self._log_handler = _start_logging(self.run_dir) if config.initialize_logging else None
        logger.info("Parsl run %s in %s", self.run_id, self.run_dir)
        self.tasks: dict[int, TaskRecord] = {}
        self._ids = itertools.count()
        self._cleanup_lock = threading.Lock()
        self._cleanup_done = threading.Event()
        self.cleanup_called = False
        self.tasks_completed = 0
        self.tasks_failed = 0
        self.task_state_counts: defaultdict[States, int] = defaultdict(int)
        """How many tasks are in each state now (final states count every task that ended)."""
        self._counts_lock = threading.Lock()
        self.resolver = config.dependency_resolver or SHALLOW_DEPENDENCY_RESOLVER
        self.executors: dict[str, ParslExecutor] = {}
        self.monitoring = config.monitoring
        try:  # a failure part-way stops what was started: nothing is left running
            self.data_manager = DataManager(self)
            if self.monitoring is not None:
                self.monitoring.start(self.run_id, self.run_dir)
            if config.memoizer is not None:
                self.memoizer = config.memoizer
            else:
                from parsl.dataflow.memoization import BasicMemoizer

                self.memoizer = BasicMemoizer(
                    checkpoint_files=config.checkpoint_files,
                    checkpoint_mode=config.checkpoint_mode,
                    checkpoint_period=config.checkpoint_period,
                )
            self.memoizer.start(run_dir=self.run_dir, app_cache=config.app_cache)
            internal = ThreadPoolExecutor(
                label=INTERNAL, max_threads=config.internal_tasks_max_threads
            )
            for ex in [*config.executors, internal]:
                ex.run_dir = self.run_dir
                ex.run_id = self.run_id
                _prepare_script_dir(ex, self.run_dir)
                if self.monitoring is not None:
                    attach_executor(ex, self.monitoring)
                self.executors[ex.label] = ex
                ex.start()
            self._user_labels = [ex.label for ex in config.executors]
            self.poller = JobStatusPoller(
                list(config.executors), config.strategy, config.strategy_period, config.max_idletime
            )
            self.poller.start()
        except BaseException:
            undo_partial_start(self)
            raise
        atexit.register(self.atexit_cleanup)

    # ----------------------------------------------------------------- submit

    def submit(
        self,
        app: AppBase | Callable[..., Any],
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        app_args: Sequence[Any] | None = None,
        executors: Literal["all"] | Sequence[str] = "all",
        cache: bool = False,
        ignore_for_cache: Sequence[str] | None = None,
        app_kwargs: dict[str, Any] | None = None,
        join: bool = False,
    ) -> AppFuture:
        """Create a task for one call of ``app`` and return its future.

        Parsl's form works too: a plain function with ``app_args``,
        ``app_kwargs`` and the app options ``executors``, ``cache``,
        ``ignore_for_cache`` and ``join`` (see :mod:`parsl.dataflow.function_submit`).
        """
        if not hasattr(app, "remote_callable"):
            app = function_app(
                self, app, executors=executors, cache=cache,
                ignore_for_cache=ignore_for_cache, join=join,
            )  # fmt: skip
            args = args if app_args is None else app_args
            kwargs = kwargs if app_kwargs is None else app_kwargs
        app = cast("AppBase", app)
        kwargs = {} if kwargs is None else kwargs
        if self.cleanup_called:
            raise ParslError(f"cannot run {app.__name__}: this DataFlowKernel has been cleaned up")
        inhibit = kwargs.pop("_parsl_staging_inhibit", False)
        spec = kwargs.get("parsl_resource_specification") or _NO_KWARGS
        if not isinstance(spec, dict):
            raise bad_value("parsl_resource_specification", spec, "a dict")
        walltime = kwargs.get("walltime")
        if walltime is not None and (
            isinstance(walltime, bool) or not isinstance(walltime, int | float) or walltime <= 0
        ):
            raise bad_value("walltime", walltime, "seconds > 0 or None")
        task = TaskRecord(
            id=next(self._ids),
            func=app,
            func_name=app.__name__,
            args=args,
            kwargs=kwargs,
            executor=self._choose_executor(app),
            kind=app.kind,
            memoize=app.cache,
            ignore_for_cache=app.ignore_for_cache,
            resource_specification=spec,
            time_invoked=time.time(),
        )
        fu = AppFuture(task)
        task.app_fu = fu
        for kw in ("stdout", "stderr"):
            if kw in kwargs:
                kwargs[kw] = self._std_path(task, kw, kwargs[kw])
        fu._stdout, fu._stderr = kwargs.get("stdout"), kwargs.get("stderr")
        self.data_manager.plan(task, fu, stage=not inhibit)
        with self._counts_lock:
            self.task_state_counts[States.unsched] += 1
        self.tasks[task.id] = task
        deps = self._gather(task)
        if deps:
            task.depends = deps  # before the transition: monitoring records them
        self._transition(task, Event.submitted)
        if deps:
            remaining = [len(deps)]

            def on_dep_done(_: Future[Any]) -> None:
                with task.lock:
                    remaining[0] -= 1
                    ready = remaining[0] == 0
                if ready:
                    self._schedule(task)

            for d in deps:
                d.add_done_callback(on_dep_done)
        else:
            self._schedule(task)
        return fu

    def _choose_executor(self, app: AppBase) -> str:
        if app.executors == "all":
            labels = self._user_labels
            return labels[0] if len(labels) == 1 else random.choice(labels)
        for label in app.executors:
            if label not in self.executors:
                raise ConfigurationError(
                    f"app {app.__name__}: executor {label!r} is not in the config "
                    f"(configured: {self._user_labels})",
                    field="executors",
                    value=app.executors,
                )
        return random.choice(list(app.executors))

    def _std_path(self, task: TaskRecord, kw: str, value: Any) -> Any:
        from parsl.app.app import AUTO_LOGNAME

        if value is not AUTO_LOGNAME:
            return value
        # A per-task log path must not make identical calls look different to the memoizer.
        if kw not in task.ignore_for_cache:
            task.ignore_for_cache = (*task.ignore_for_cache, kw)
        if self.config.std_autopath is not None:
            return self.config.std_autopath(task, kw)
        folder = os.path.join(self.run_dir, "task_logs", f"{task.id // 10000:04d}")
        return os.path.join(folder, f"task_{task.id:04d}_{task.func_name}.{kw}")

    def _gather(self, task: TaskRecord) -> list[Future[Any]]:
        gather = self.resolver.traverse_to_gather
        deps = [f for a in task.args for f in gather(a)]
        for k, v in task.kwargs.items():
            if k == "inputs" and isinstance(v, list | tuple):
                deps.extend(f for e in v for f in gather(e))
            else:
                deps.extend(gather(v))
        return deps

    # ----------------------------------------------------------------- launch

    def _schedule(self, task: TaskRecord) -> None:
        """Launch ``task`` now, or after the launch this thread is already doing (no deep recursion)."""
        queue: deque[TaskRecord] | None = getattr(_local, "queue", None)
        if queue is not None:
            queue.append(task)
            return
        queue = _local.queue = deque([task])
        try:
            while queue:
                t = queue.popleft()
                try:
                    self._launch(t)
                except CALLER_EXCEPTIONS as e:  # Ctrl-C is the caller's; no task waits forever
                    for lost in (t, *queue):
                        fail_now(self, lost, interrupted(lost.id, lost.func_name, e))
                    queue.clear()
                    raise
                except BaseException as e:  # never lose a task to a bug or bad input
                    logger.exception("task %s failed while launching", t.id, extra=log_extra(t))
                    self._fail(t, e)
        finally:
            _local.queue = None

    def _launch(self, task: TaskRecord) -> None:
        failed = [(e, future_name(f)) for f in task.depends if (e := f.exception()) is not None]
        if failed:
            self._complete(task, Event.deps_failed, exc=DependencyError(failed, task.id))
            return
        if task.depends:
            unwrap = self.resolver.traverse_to_unwrap
            task.args = tuple(unwrap(a) for a in task.args)
            task.kwargs = {
                k: [unwrap(e) for e in v]
                if k == "inputs" and isinstance(v, list | tuple)
                else unwrap(v)
                for k, v in task.kwargs.items()
            }
            task.depends = _NONE
        if task.memoize:
            memo = self.memoizer.check_memo(task)
            if memo is not None:
                task.from_memo = True
                exc = memo.exception()
                if exc is None:
                    self._complete(task, Event.memo_hit, result=memo.result())
                else:  # a remembered failure: the very same exception object
                    self._complete(task, Event.failed, exc=exc)
                return
        if self.cleanup_called:
            self._fail(
                task, CleanedUp("the DataFlowKernel was cleaned up before this task launched")
            )
            return
        executor = self.executors[task.executor]
        if executor.bad_state_is_set:  # no retry can help: fail now, with this task's own copy
            exc = executor.executor_exception
            fail_now(self, task, own_exception(exc) if exc else CleanedUp("executor in bad state"))
            return
        func, call_kwargs = task.func.prepare(task.kwargs)  # type: ignore[attr-defined]
        if task.staging:
            func = self.data_manager.wrap(task, func)
        if self.monitoring is not None:
            func, call_kwargs = monitor_wrapper(func, call_kwargs, executor, self.monitoring, task)
        try:
            exec_fu = executor.submit(func, task.resource_specification, *task.args, **call_kwargs)
        except UNFIXABLE_SUBMIT_ERRORS as e:
            fail_now(self, task, own_exception(e))
            return
        task.exec_fu = exec_fu
        self._transition(task, Event.launched)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("task %s launched on %s", task.id, task.executor, extra=log_extra(task))
        exec_fu.add_done_callback(partial(self._exec_done, task))

    # ----------------------------------------------------------------- control

    def wait_for_current_tasks(self) -> None:
        """Block until every task submitted so far (and any they start) has finished."""
        while True:
            pending = [
                t.app_fu
                for t in list(self.tasks.values())
                if t.status not in FINAL_STATES and t.app_fu is not None
            ]
            if not pending:
                return
            wait_futures(pending)

    def checkpoint(self) -> str | None:
        """Write a checkpoint of the finished cached tasks now; return its directory."""
        return self.memoizer.checkpoint()

    def cleanup(self, wait: bool = True) -> None:
        """Shut everything down; idempotent and bounded in time.

        With ``wait``, executors get their shutdown grace for running tasks
        (Ctrl-C during that grace stops the waiting, and everything below
        still happens). Every task that has not finished afterwards fails
        with :class:`CleanedUp`, so no future is left waiting forever. A call
        while another cleanup is in progress returns when that one is done.
        """
        with self._cleanup_lock:
            first = not self.cleanup_called
            self.cleanup_called = True
        if not first:
            self._cleanup_done.wait(CLEANUP_WAIT_LIMIT)
            return
        atexit.unregister(self.atexit_cleanup)
        logger.info("cleaning up run %s (wait=%s)", self.run_id, wait)
        interrupted: BaseException | None = None
        try:
            if hasattr(self, "poller"):
                self.poller.close()
            interrupted = shutdown_executors(list(self.executors.values()), wait)
        finally:
            try:
                children.kill_all()
                for task in list(self.tasks.values()):
                    if task.status not in FINAL_STATES and task.app_fu is not None:
                        self._complete(
                            task,
                            Event.failed,
                            exc=CleanedUp(
                                f"task {task.id} ({task.func_name}) had not finished "
                                "when the DataFlowKernel was cleaned up"
                            ),
                        )
                close_quietly("memoizer", self.memoizer.close)
                if self.monitoring is not None:
                    sink = self.monitoring
                    close_quietly(
                        "monitoring",
                        lambda: sink.workflow_end(
                            self.run_id, self.tasks_completed, self.tasks_failed
                        ),
                    )
                    close_quietly("monitoring", sink.close)
                from parsl.dataflow.loader import DataFlowKernelLoader

                DataFlowKernelLoader._forget(self)
                logger.info("run %s cleaned up", self.run_id)
                if self._log_handler is not None:
                    logging.getLogger("parsl").removeHandler(self._log_handler)
                    self._log_handler.close()
            finally:
                self._cleanup_done.set()
        if interrupted is not None:
            raise interrupted

    def atexit_cleanup(self) -> None:
        """Cleanup at interpreter exit; no waiting if the program is dying of an exception."""
        self.cleanup(wait=getattr(sys, "last_value", None) is None)

    def __enter__(self) -> DataFlowKernel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        mode = self.config.exit_mode
        if mode == "skip":
            return
        try:
            if mode == "wait" and exc_type is None:
                self.wait_for_current_tasks()
        except BaseException:
            self.cleanup(wait=False)
            raise
        self.cleanup(wait=exc_type is None)


def _prepare_script_dir(executor: ParslExecutor, run_dir: str) -> None:
    """As Parsl's DataFlowKernel does: a provider's ``script_dir`` is ``run_dir/submit_scripts``, made.

    Out-of-tree providers written for Parsl write their scripts there
    without creating it first.
    """
    provider = getattr(executor, "provider", None)
    if provider is not None and hasattr(provider, "script_dir"):
        provider.script_dir = os.path.join(run_dir, "submit_scripts")
        os.makedirs(provider.script_dir, exist_ok=True)


def _start_logging(run_dir: str) -> logging.Handler:
    handler = logging.FileHandler(os.path.join(run_dir, "parsl.log"))
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s %(name)s:%(lineno)d %(threadName)s %(levelname)s %(message)s"
        )
    )
    level = os.environ.get("PARSL_LOG_LEVEL", "INFO").upper()
    handler.setLevel(level)
    root = logging.getLogger("parsl")
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > handler.level:
        root.setLevel(handler.level)
    return handler


from parsl.dataflow.loader import DataFlowKernelLoader  # noqa: E402  (public path)

__all__ = ["CleanedUp", "DataFlowKernel", "DataFlowKernelLoader"]
