"""The DataFlowKernel's shell around the task lifecycle: feed events, perform decisions.

The :class:`TaskSettlement` mixin is half of the DataFlowKernel: ``dflow``
submits and launches tasks; this module turns what executors report into
events for the sans-I/O :class:`~parsl.dataflow.lifecycle.Lifecycle` and
performs what it decides: count and report each state change, ask the retry
handler, schedule a retry, update the memoizer and, exactly once per task,
set the AppFuture's result or exception. Every rule (retry, join, final
state) lives in the lifecycle; nothing is decided here.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from parsl.app.errors import RemoteExceptionWrapper
from parsl.dataflow.errors import future_name
from parsl.dataflow.lifecycle import Action, CleanedUp, Decision, Lifecycle
from parsl.dataflow.provenance import file_messages
from parsl.dataflow.states import States
from parsl.dataflow.submit_errors import interrupted
from parsl.dataflow.task_facts import describe, transition_event
from parsl.dataflow.taskrecord import TaskRecord, log_extra

if TYPE_CHECKING:
    from parsl.config import Config
    from parsl.dataflow.memoizer_base import Memoizer
    from parsl.monitoring.sink import MonitoringSink

logger = logging.getLogger("parsl.dataflow.dflow")

# Shared empty placeholders for finished tasks: never mutated, they save a dict and lists per task.
_NO_KWARGS: dict[str, Any] = {}
_NONE: list[Any] = []

# Hot path (5 checks per task): a global is ~16 ns, Action.settle ~80 ns on CPython 3.11.
_SETTLE = Action.settle

__all__ = ["CleanedUp", "TaskSettlement"]


class TaskSettlement:
    """Settling tasks; mixed into DataFlowKernel, which provides the attributes below."""

    config: Config
    run_id: str
    tasks: dict[int, TaskRecord]
    memoizer: Memoizer
    monitoring: MonitoringSink | None
    life: Lifecycle
    tasks_completed: int
    tasks_failed: int
    task_state_counts: dict[States, int]
    _counts_lock: threading.Lock

    def _schedule(self, task: TaskRecord) -> None:
        raise NotImplementedError

    # ----------------------------------------------------------------- events in

    def _exec_done(self, task: TaskRecord, fut: Future[Any]) -> None:
        try:
            result = fut.result()
        except BaseException as e:
            self._fail(task, e)
            return
        if isinstance(result, RemoteExceptionWrapper):
            self._fail(task, result.get_exception())
            return
        with task.lock:
            d = self.life.exec_done(task)
            self._record(task, d)
        if d.action is _SETTLE:
            self._settle(task, d, result)
        elif d.action is Action.join:
            self._join(task, result)

    def _join(self, task: TaskRecord, result: Any) -> None:
        inner = [result] if isinstance(result, Future) else result
        ok = isinstance(inner, list) and all(isinstance(f, Future) for f in inner)
        with task.lock:
            if ok:
                task.joins = result  # before the move, so that the joining event names them
            d = self.life.join_started(task, None if ok else type(result).__name__)
            if d.action is Action.ignore:
                task.joins = None
            self._record(task, d)
        if d.action is not Action.nothing:  # a failed try (not futures), or the task had ended
            self._act(task, d)
            return
        remaining = [len(inner)]

        def on_inner_done(_: Future[Any]) -> None:
            with task.lock:
                remaining[0] -= 1
                if remaining[0]:
                    return
            self._join_done(task, result, inner)

        if not inner:
            self._join_done(task, result, inner)
        for f in inner:
            f.add_done_callback(on_inner_done)

    def _join_done(self, task: TaskRecord, result: Any, inner: list[Future[Any]]) -> None:
        failed = [(e, future_name(f)) for f in inner if (e := f.exception()) is not None]
        with task.lock:
            d = self.life.join_done(task, failed)
            self._record(task, d)
        if d.action is _SETTLE and d.exc is None:
            value = result.result() if isinstance(result, Future) else [f.result() for f in inner]
            self._settle(task, d, value)
        else:
            self._act(task, d)

    def _fail(self, task: TaskRecord, exc: BaseException, *, fatal: bool = False) -> None:
        """A try failed: the lifecycle decides between pricing, retrying and failing.

        ``fatal``: no retry can fix it, so the task fails at once (the try still counts).
        """
        with task.lock:
            d = self.life.failed(task, exc, fatal=fatal)
            self._record(task, d)
        self._act(task, d)

    def _fail_now(self, task: TaskRecord, exc: BaseException) -> None:
        """A try failed in a way no retry can fix: the task fails at once (the try counts)."""
        self._fail(task, exc, fatal=True)

    def _abandon(self, task: TaskRecord, cause: BaseException) -> None:
        """An app call that ``cause`` (Ctrl-C) cut short: its caller has no future, so it fails."""
        if task.app_fu is None or task.app_fu.done():
            return
        with task.lock:
            if task.status is States.unsched:
                self._record(task, self.life.submitted(task))
        self._fail_now(task, interrupted(task.id, task.func_name, cause))

    def _cleanup_task(self, task: TaskRecord) -> None:
        """Fail ``task`` because the DataFlowKernel is cleaned up (nothing if it has ended)."""
        with task.lock:
            d = self.life.cleanup(task)
            self._record(task, d)
        self._act(task, d)

    def report_running(self, task_id: int, try_id: int) -> None:
        """An executor's report that try ``try_id`` of task ``task_id`` is running now.

        Moves the task from ``launched`` to ``running``; a late report (the
        try already ended, or a newer try exists) or an unknown task is ignored.
        """
        task = self.tasks.get(task_id)
        if task is None:
            return
        with task.lock:
            self._record(task, self.life.running(task, try_id))

    # ----------------------------------------------------------------- decisions out

    def _act(self, task: TaskRecord, d: Decision, result: Any = None) -> None:
        """Perform ``d`` and whatever the events it leads to decide."""
        while True:
            action = d.action
            if action is _SETTLE:
                self._settle(task, d, result)
                return
            if action is Action.price:
                d = self._price(task, d)
            elif action is Action.retry:
                logger.info(
                    "task %s failed (try %s), retrying: %r",
                    task.id,
                    task.try_id,
                    d.exc,
                    extra=log_extra(task),
                )
                with task.lock:
                    d = self.life.retry(task)
                    self._record(task, d)
            elif action is Action.schedule:
                self._schedule(task)
                return
            else:  # nothing, ignore; launch and check_memo are performed by the launcher
                return

    def _price(self, task: TaskRecord, d: Decision) -> Decision:
        """Ask the retry handler what the failure costs, and report the price."""
        exc = task.fail_history[-1]  # the failure failed() just recorded
        handler = self.config.retry_handler
        assert handler is not None
        try:
            cost = float(handler(exc, task))
        except Exception as e:
            # As in Parsl: no more retries, and the task fails with the handler's exception.
            logger.exception(
                "retry_handler raised; not retrying task %s", task.id, extra=log_extra(task)
            )
            e.add_note(f"raised by retry_handler for task {task.id}, which failed with {exc!r}")
            exc, cost = e, float("inf")
        with task.lock:
            d = self.life.priced(task, exc, cost)
            self._record(task, d)
        return d

    def _record(self, task: TaskRecord, d: Decision) -> None:
        """Count the move ``d`` made and report it to monitoring; call with ``task.lock`` held."""
        old = d.old
        if old is None:
            return
        with self._counts_lock:
            counts = self.task_state_counts
            counts[old] -= 1
            counts[task.status] += 1
        if d.action is _SETTLE:
            task.time_returned = time.time()
        if self.monitoring is not None:
            self._emit(task, None if d.exc is None else describe(d.exc))

    def _emit(self, task: TaskRecord, reason: str | None) -> None:
        sink = self.monitoring
        assert sink is not None
        try:
            now = time.time()
            sink.task_transition(transition_event(self.run_id, task, reason, now))
            if sink.capture_file_provenance:
                for message in file_messages(self.run_id, task, now):
                    sink.send(message)
        except Exception:
            logger.exception("monitoring sink failed on task %s", task.id)

    def _settle(self, task: TaskRecord, d: Decision, result: Any) -> None:
        """The task ended (the lifecycle said so exactly once): set its future."""
        fu = task.app_fu
        assert fu is not None
        exc = d.exc
        if exc is None:
            self.tasks_completed += 1
            if task.memoize and not task.from_memo:
                try:
                    self.memoizer.update_memo_result(task, result)
                except Exception:
                    logger.exception("memoizer could not record task %s", task.id)
            fu.set_result(result)
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("task %s %s", task.id, task.status.name, extra=log_extra(task))
        else:
            self.tasks_failed += 1
            if task.memoize and not task.from_memo and task.hashsum is not None:
                try:  # a later identical call gets this very exception, as in Parsl
                    self.memoizer.update_memo_exception(task, exc)
                except Exception:
                    logger.exception("memoizer could not record task %s", task.id)
            logger.debug("task %s failed: %r", task.id, exc, extra=log_extra(task))
            fu.set_exception(exc)
        if self.config.garbage_collect:
            self.tasks.pop(task.id, None)
            task.args, task.kwargs, task.exec_fu, task.joins = (), _NO_KWARGS, None, None
            task.staging = task.depends = _NONE
            task.app_fu = None
