"""The DataFlowKernel: runs each task when its inputs are ready, and settles its future."""

from __future__ import annotations

import atexit
import itertools
import logging
import random
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, cast

from parsl.app.python import INTERNAL_EXECUTOR
from parsl.config import Config
from parsl.data_provider.data_manager import DataManager
from parsl.dataflow import provenance
from parsl.dataflow.dependency_resolvers import SHALLOW_DEPENDENCY_RESOLVER
from parsl.dataflow.dfk_names import ParslNames
from parsl.dataflow.function_submit import function_app
from parsl.dataflow.futures import AppFuture
from parsl.dataflow.launch import TaskLaunch
from parsl.dataflow.lean_event import LeanEvent
from parsl.dataflow.lean_future import wait_all
from parsl.dataflow.lifecycle import Lifecycle
from parsl.dataflow.rundir import make_rundir
from parsl.dataflow.settle import CleanedUp
from parsl.dataflow.shutdown import (
    ClosingSteps,
    closing_steps,
    shutdown_executors,
    undo_partial_start,
    wait_for_cleanup,
)
from parsl.dataflow.startup import (
    announce_executor,
    new_executor_labels,
    prepare_script_dir,
    start_logging,
    start_memoizer,
)
from parsl.dataflow.states import FINAL_FAILURE_STATES, FINAL_STATES, States  # noqa: F401
from parsl.dataflow.submit_errors import (
    CALLER_EXCEPTIONS,
)
from parsl.dataflow.task_args import gather, resource_spec, std_path
from parsl.dataflow.taskrecord import TaskRecord, log_submission
from parsl.errors import ConfigurationError, ParslError, bad_value
from parsl.executors.base import ParslExecutor
from parsl.executors.threads import ThreadPoolExecutor
from parsl.jobs.poller import JobStatusPoller
from parsl.monitoring.remote import attach_executor

if TYPE_CHECKING:
    from parsl.app.app import AppBase

logger = logging.getLogger(__name__)
INTERNAL = INTERNAL_EXECUTOR
"""The label of the run's own thread pool (join apps and lookups run there)."""


class DataFlowKernel(TaskLaunch, ParslNames):
    """Owns the executors and the task table of one ``parsl.load()``."""

    def __init__(self, config: Config | None = None) -> None:
        if config is None:
            config = Config()
        if not isinstance(config, Config):
            raise bad_value("config", config, "a parsl.config.Config")
        self.config = config
        self.run_id = str(uuid.uuid4())
        self._began = time.time()
        self.run_dir = make_rundir(config.run_dir)
        self.log_config, self._stop_logging = start_logging(self.run_dir, config.initialize_logging)
        # The run id ends its line: scripts written for Parsl find it with "Run id is: (.*)$".
        logger.info("Run id is: %s", self.run_id, extra={"parsl.dfk": self.run_id})
        logger.info("Run directory is: %s", self.run_dir)
        self.tasks: dict[int, TaskRecord] = {}
        self._ids = itertools.count()
        self._cleanup_lock = threading.Lock()
        self._cleanup_done = LeanEvent()
        self._cleanup_thread = 0  # the thread whose cleanup() began it
        self._closing: ClosingSteps | None = None  # what cleanup() does, and how far it got
        self.life = Lifecycle(config.retries, priced=config.retry_handler is not None)
        """The task lifecycle: every decision about a task is made there."""
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
                if self.log_config is not None:
                    self.monitoring.log_config = self.log_config
                self.monitoring.start(self.run_id, self.run_dir)
            if config.memoizer is not None:
                self.memoizer = config.memoizer
            else:
                from parsl.dataflow.memoization import BasicMemoizer

                self.memoizer = BasicMemoizer(
                    checkpoint_files=config.checkpoint_files or [],
                    checkpoint_mode=config.checkpoint_mode,
                    checkpoint_period=config.checkpoint_period,
                )
            start_memoizer(self.memoizer, self.run_dir, config)
            internal = ThreadPoolExecutor(
                label=INTERNAL, max_threads=config.internal_tasks_max_threads
            )
            for ex in [*config.executors, internal]:
                self._start_executor(ex)
            self._user_labels = [ex.label for ex in config.executors]
            self.poller = JobStatusPoller(
                list(config.executors), config.strategy, config.strategy_period, config.max_idletime
            )
            self.poller.start()
        except BaseException:
            undo_partial_start(self)
            raise
        atexit.register(self.atexit_cleanup)

    def _start_executor(self, ex: ParslExecutor) -> None:
        ex.run_dir = self.run_dir
        ex.run_id = self.run_id
        ex.log_config = self.log_config
        announce_executor(ex)
        prepare_script_dir(ex, self.run_dir)
        if self.monitoring is not None:
            attach_executor(ex, self.monitoring)
            provenance.report_environment(self.monitoring, self.run_id, ex)
        self.executors[ex.label] = ex
        ex.start()

    def log_info(self, msg: str) -> None:
        """Note ``msg`` in parsl.log and, with monitoring on, in the database's ``misc_info`` table."""
        provenance.log_info(self.monitoring, self.run_id, self.cleanup_called, msg)

    def add_executors(self, executors: Sequence[ParslExecutor]) -> None:
        """Start more executors in this run, as ``Config(executors=...)`` would have.

        Each gets the run's directory and monitoring, is started, joins
        ``executors='all'`` and, if it runs blocks, the job status poller
        (which starts its initial blocks now). Every label must be new. An
        executor whose ``start()`` raises is shut down and left out, and the
        error is raised; those before it in the list stay added.
        """
        labels = new_executor_labels(executors, [*self.executors, INTERNAL])
        with self._cleanup_lock:  # a cleanup() starting meanwhile sees these executors
            if self.cleanup_called:
                raise ConfigurationError("add_executors() after cleanup(): this run has ended")
            for ex in executors:
                try:
                    self._start_executor(ex)
                except BaseException:
                    self.executors.pop(ex.label, None)
                    shutdown_executors([ex], wait=False)
                    raise
                self._user_labels = [*self._user_labels, ex.label]
                self.poller.add_executors([ex])
        logger.info("added executors %s", labels)

    # ----------------------------------------------------------------- submit

    def submit(
        self,
        func: AppBase | Callable[..., Any],
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
        """Create a task for one call of ``func`` (an app, or a plain function) and return its future.

        Parsl's form works too: a plain function with ``app_args``,
        ``app_kwargs`` and the app options ``executors``, ``cache``,
        ``ignore_for_cache`` and ``join`` (see :mod:`parsl.dataflow.function_submit`).
        """
        app = func
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
        spec = resource_spec(kwargs)
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
                kwargs[kw] = std_path(task, kw, kwargs[kw], self.config, self.run_dir)
        fu._stdout, fu._stderr = kwargs.get("stdout"), kwargs.get("stderr")
        self.data_manager.plan(task, fu, stage=not inhibit)
        with self._counts_lock:
            self.task_state_counts[States.unsched] += 1
        try:
            self.tasks[task.id] = task
            self._enter(task)
        except CALLER_EXCEPTIONS as e:  # the caller never gets the future: the task fails now
            self._abandon(task, e)
            raise
        return fu

    def _enter(self, task: TaskRecord) -> None:
        """Move a new task to ``pending``; schedule it now or once its dependencies are done."""
        deps = gather(self.resolver, task)
        if deps:
            task.depends = deps  # before the transition: monitoring records them
        if logger.isEnabledFor(logging.DEBUG):
            log_submission(logger, task, deps)
        with task.lock:
            self._record(task, self.life.submitted(task))
        if not deps:
            self._schedule(task)
            return
        remaining = [len(deps)]

        def on_dep_done(_: Future[Any]) -> None:
            with task.lock:
                remaining[0] -= 1
                ready = remaining[0] == 0
            if ready:
                self._schedule(task)

        for d in deps:
            d.add_done_callback(on_dep_done)

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

    # ----------------------------------------------------------------- control

    @property
    def cleanup_called(self) -> bool:
        """True once ``cleanup()`` has started: nothing is launched or retried any more."""
        return self.life.closing

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
            wait_all(pending)

    def checkpoint(self) -> str | None:
        """Write a checkpoint of the finished cached tasks now; return its directory."""
        return self.memoizer.checkpoint()

    def cleanup(self, wait: bool = True) -> None:
        """Shut everything down; idempotent and bounded in time.

        With ``wait``, executors get their shutdown grace for running tasks
        (Ctrl-C during that grace stops the waiting, and everything below
        still happens). Every task that has not finished afterwards fails
        with :class:`CleanedUp`, so no future is left waiting forever. A call
        while another thread's cleanup is in progress returns when that one is
        done.

        Ctrl-C anywhere in it lets every closing step (executors, tasks,
        memoizer, monitoring, the loader) still run, waiting no more, and is
        raised at the end; ``parsl.load()`` then works again. A Ctrl-C that
        lands as the call begins stops it before it starts: calling
        ``cleanup()`` again does the whole of it.
        """
        me = threading.get_ident()
        first = False
        interrupted: BaseException | None = None
        try:
            with self._cleanup_lock:
                if not self.life.closing:  # no call in here, so Ctrl-C cannot split it
                    first, self.life.closing, self._cleanup_thread = True, True, me
            if not first and self._cleanup_thread != me:
                wait_for_cleanup(self)  # another thread's
                return
            if first:
                logger.info("cleaning up run %s (wait=%s)", self.run_id, wait)
            steps = self._closing = self._closing or closing_steps(self, wait)
            interrupted = steps.run()
        except BaseException as e:
            if self._cleanup_thread != me:
                raise  # Ctrl-C before the cleanup began, or while waiting for another thread's
            # Ctrl-C as the steps began or ended: every one still runs, then it is raised.
            steps = self._closing = self._closing or closing_steps(self, wait=False)
            steps.run()
            interrupted = e
        finally:
            if self._closing is not None and self._closing.done:
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


from parsl.dataflow.loader import DataFlowKernelLoader  # noqa: E402  (public path)

__all__ = ["CleanedUp", "DataFlowKernel", "DataFlowKernelLoader"]
