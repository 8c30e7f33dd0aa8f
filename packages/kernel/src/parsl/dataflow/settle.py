"""How a launched task settles: results, joins, retries, state transitions, the final future.

The :class:`TaskSettlement` mixin is half of the DataFlowKernel: ``dflow``
submits and launches tasks; this module turns what executors report into
state transitions (through the sans-I/O lifecycle table), retries, memo
updates, monitoring events and, exactly once per task, the AppFuture's
result or exception.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from parsl.app.errors import RemoteExceptionWrapper
from parsl.dataflow.errors import DependencyError, JoinError, future_name
from parsl.dataflow.lifecycle import Event, next_state
from parsl.dataflow.states import FINAL_STATES, States
from parsl.dataflow.task_facts import describe, transition_event
from parsl.dataflow.taskrecord import TaskRecord, log_extra
from parsl.errors import ParslError

if TYPE_CHECKING:
    from parsl.config import Config
    from parsl.dataflow.memoizer_base import Memoizer
    from parsl.monitoring.sink import MonitoringSink

logger = logging.getLogger("parsl.dataflow.dflow")

# Shared empty placeholders for finished tasks: never mutated, they save a dict and lists per task.
_NO_KWARGS: dict[str, Any] = {}
_NONE: list[Any] = []


class CleanedUp(ParslError):
    """The DataFlowKernel was cleaned up before the task could finish."""


class TaskSettlement:
    """Settling tasks; mixed into DataFlowKernel, which provides the attributes below."""

    config: Config
    run_id: str
    tasks: dict[int, TaskRecord]
    memoizer: Memoizer
    monitoring: MonitoringSink | None
    cleanup_called: bool
    tasks_completed: int
    tasks_failed: int
    task_state_counts: dict[States, int]
    _counts_lock: threading.Lock

    def _schedule(self, task: TaskRecord) -> None:
        raise NotImplementedError

    def _exec_done(self, task: TaskRecord, fut: Future[Any]) -> None:
        try:
            result = fut.result()
        except BaseException as e:
            self._fail(task, e)
            return
        if isinstance(result, RemoteExceptionWrapper):
            self._fail(task, result.get_exception())
        elif task.kind == "join":
            self._join(task, result)
        else:
            self._complete(task, Event.succeeded, result=result)

    def _join(self, task: TaskRecord, result: Any) -> None:
        inner = [result] if isinstance(result, Future) else result
        if not isinstance(inner, list) or not all(isinstance(f, Future) for f in inner):
            self._fail(
                task,
                TypeError(
                    f"join_app {task.func_name} must return a Future or a list of Futures, "
                    f"not {type(result).__name__}"
                ),
            )
            return
        task.joins = result  # before the transition, so that the joining event names them
        if not self._transition(task, Event.join_started):
            task.joins = None
            return
        remaining = [len(inner)]

        def on_inner_done(_: Future[Any]) -> None:
            with task.lock:
                remaining[0] -= 1
                if remaining[0]:
                    return
            failed = [(e, future_name(f)) for f in inner if (e := f.exception()) is not None]
            if failed:
                self._fail(task, JoinError(failed, task.id))
            else:
                value = (
                    result.result() if isinstance(result, Future) else [f.result() for f in inner]
                )
                self._complete(task, Event.succeeded, result=value)

        if not inner:
            self._complete(task, Event.succeeded, result=[])
        for f in inner:
            f.add_done_callback(on_inner_done)

    # ----------------------------------------------------------------- settle

    def _transition(self, task: TaskRecord, event: Event, exc: BaseException | None = None) -> bool:
        """Move ``task`` on ``event``; False if it already reached a final state."""
        with task.lock:
            old = task.status
            if old in FINAL_STATES:
                return False
            task.status = status = next_state(old, event)
            with self._counts_lock:
                counts = self.task_state_counts
                counts[old] -= 1
                counts[status] += 1
            if status in FINAL_STATES:
                task.time_returned = time.time()
            if self.monitoring is not None:
                self._emit(task, None if exc is None else describe(exc))
        return True

    def _emit(self, task: TaskRecord, reason: str | None) -> None:
        assert self.monitoring is not None
        try:
            self.monitoring.task_transition(
                transition_event(self.run_id, task, reason, time.time())
            )
        except Exception:
            logger.exception("monitoring sink failed on task %s", task.id)

    def _fail(self, task: TaskRecord, exc: BaseException) -> None:
        """A try failed: retry if the retry budget allows, else fail the task."""
        task.fail_history.append(exc)
        task.fail_count += 1
        cost = 1.0
        if self.config.retry_handler is not None:
            try:
                cost = float(self.config.retry_handler(exc, task))
            except Exception as e:
                # As in Parsl: no more retries, and the task fails with the handler's exception.
                logger.exception(
                    "retry_handler raised; not retrying task %s", task.id, extra=log_extra(task)
                )
                e.add_note(f"raised by retry_handler for task {task.id}, which failed with {exc!r}")
                exc = e
                cost = float("inf")
        task.fail_cost += cost
        retry = (
            task.fail_cost <= self.config.retries
            and not self.cleanup_called
            and not isinstance(exc, DependencyError | CleanedUp)
        )
        if retry and self._transition(task, Event.failed_retryable, exc):
            logger.info(
                "task %s failed (try %s), retrying: %r",
                task.id,
                task.try_id,
                exc,
                extra=log_extra(task),
            )
            task.try_id += 1
            self._transition(task, Event.retry)
            self._schedule(task)
            return
        self._complete(task, Event.failed, exc=exc)

    def _complete(
        self, task: TaskRecord, event: Event, result: Any = None, exc: BaseException | None = None
    ) -> None:
        if not self._transition(task, event, exc):
            return
        fu = task.app_fu
        assert fu is not None
        if exc is None:
            self.tasks_completed += 1
            if task.memoize and not task.from_memo:
                try:
                    self.memoizer.update_memo(task, result)
                except Exception:
                    logger.exception("memoizer could not record task %s", task.id)
            fu.set_result(result)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("task %s %s", task.id, task.status.name, extra=log_extra(task))
        else:
            self.tasks_failed += 1
            if task.memoize and not task.from_memo and task.hashsum is not None:
                try:  # a later identical call gets this very exception, as in Parsl
                    self.memoizer.update_memo(task, fu_failed(exc))
                except Exception:
                    logger.exception("memoizer could not record task %s", task.id)
            logger.debug("task %s failed: %r", task.id, exc, extra=log_extra(task))
            fu.set_exception(exc)
        if self.config.garbage_collect:
            self.tasks.pop(task.id, None)
            task.args, task.kwargs, task.exec_fu, task.joins = (), _NO_KWARGS, None, None
            task.staging = task.depends = _NONE
            task.app_fu = None


def fu_failed(exc: BaseException) -> Future[Any]:
    """A finished future holding ``exc``: how a failure is handed to the memoizer."""
    fu: Future[Any] = Future()
    fu.set_exception(exc)
    return fu
