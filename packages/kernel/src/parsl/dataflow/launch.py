"""Launching the DataFlowKernel's tasks: from ``ready`` to the executor's future.

The :class:`TaskLaunch` mixin is the DataFlowKernel's middle: ``dflow``
creates tasks and closes the run, :mod:`.settle` turns what executors
report into results. This module takes a task whose dependencies are done,
asks the lifecycle what to do (fail on a failed dependency, consult the
memoizer, launch), wraps the call for staging and monitoring and hands it to
its executor. Launches run one after another on the thread that made them
ready, never by recursion, and Ctrl-C part-way loses no task.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from functools import partial
from typing import TYPE_CHECKING

from parsl.dataflow.errors import future_name
from parsl.dataflow.lifecycle import Action
from parsl.dataflow.settle import _NONE, CleanedUp, TaskSettlement
from parsl.dataflow.submit_errors import (
    CALLER_EXCEPTIONS,
    UNFIXABLE_SUBMIT_ERRORS,
    interrupted,
    own_exception,
)
from parsl.dataflow.task_args import unwrap
from parsl.dataflow.taskrecord import TaskRecord, log_extra
from parsl.monitoring.remote import monitor_wrapper

if TYPE_CHECKING:
    from parsl.data_provider.data_manager import DataManager
    from parsl.dataflow.dependency_resolvers import DependencyResolver
    from parsl.executors.base import ParslExecutor

logger = logging.getLogger("parsl.dataflow.dflow")
_CHECK_MEMO, _LAUNCH, _SETTLE = Action.check_memo, Action.launch, Action.settle
_local = threading.local()

__all__ = ["TaskLaunch"]


class TaskLaunch(TaskSettlement):
    """Launching tasks; mixed into DataFlowKernel, which provides the attributes below."""

    executors: dict[str, ParslExecutor]
    data_manager: DataManager
    resolver: DependencyResolver

    def _schedule(self, task: TaskRecord) -> None:
        """Launch ``task`` now, or after the launch this thread is already doing (no deep recursion)."""
        queue: deque[TaskRecord] | None = getattr(_local, "queue", None)
        if queue is not None:
            queue.append(task)
            return
        queue = deque([task])
        try:
            _local.queue = queue
            while queue:
                t = queue[0]  # left in the queue until launched: Ctrl-C loses no task
                try:
                    self._launch(t)
                except CALLER_EXCEPTIONS:
                    raise
                except BaseException as e:  # never lose a task to a bug or bad input
                    logger.exception("task %s failed while launching", t.id, extra=log_extra(t))
                    self._fail(t, e)
                queue.popleft()
        except CALLER_EXCEPTIONS as e:  # Ctrl-C is the caller's; no task waits forever
            _local.queue = None  # tasks that failing these makes ready launch as usual
            lost = list(queue)
            queue.clear()
            for t in lost:
                self._fail_now(t, interrupted(t.id, t.func_name, e))
            raise
        finally:
            _local.queue = None

    def _launch(self, task: TaskRecord) -> None:
        """Feed ``ready`` (and the memoizer's answer) to the lifecycle; launch if it says so."""
        deps = task.depends
        failed = [(e, future_name(f)) for f in deps if (e := f.exception()) is not None]
        if deps and not failed:
            unwrap(self.resolver, task)
            task.depends = _NONE
        life = self.life
        with task.lock:
            d = life.ready(task, failed)
            self._record(task, d)
        if d.action is _CHECK_MEMO:
            memo = self.memoizer.check_memo(task)
            with task.lock:
                # A remembered failure comes back as the very same exception object.
                d = life.memo_miss(task) if memo is None else life.memo_hit(task, memo.exception())
                self._record(task, d)
            if memo is not None and d.action is _SETTLE and d.exc is None:
                self._settle(task, d, memo.result())
                return
        if d.action is _LAUNCH:
            self._submit_to_executor(task)
        else:
            self._act(task, d)

    def _submit_to_executor(self, task: TaskRecord) -> None:
        executor = self.executors[task.executor]
        if executor.bad_state_is_set:  # no retry can help: fail now, with this task's own copy
            exc = executor.executor_exception
            self._fail_now(task, own_exception(exc) if exc else CleanedUp("executor in bad state"))
            return
        func, call_kwargs = task.func.prepare(task.kwargs)  # type: ignore[attr-defined]
        if task.staging:
            func = self.data_manager.wrap(task, func)
        if self.monitoring is not None:
            func, call_kwargs = monitor_wrapper(func, call_kwargs, executor, self.monitoring, task)
        try:
            exec_fu = executor.submit(func, task.resource_specification, *task.args, **call_kwargs)
        except UNFIXABLE_SUBMIT_ERRORS as e:
            self._fail_now(task, own_exception(e))
            return
        task.exec_fu = exec_fu
        with task.lock:
            self._record(task, self.life.launched(task))
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("task %s launched on %s", task.id, task.executor, extra=log_extra(task))
        exec_fu.add_done_callback(partial(self._exec_done, task))
