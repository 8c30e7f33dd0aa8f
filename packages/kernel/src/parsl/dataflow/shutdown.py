"""Shutdown steps of the DataFlowKernel: each bounded, none able to stop the others."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import InvalidStateError
from functools import partial
from typing import TYPE_CHECKING, Any

from parsl.dataflow.lifecycle import CleanedUp
from parsl.dataflow.states import States
from parsl.executors.base import ParslExecutor
from parsl.executors.threads import ThreadPoolExecutor

if TYPE_CHECKING:
    from parsl.dataflow.dflow import DataFlowKernel

logger = logging.getLogger(__name__)

CLEANUP_WAIT_LIMIT = 120.0
"""Seconds a second cleanup() caller waits for the first one to finish."""


def shutdown_executors(executors: list[ParslExecutor], wait: bool) -> BaseException | None:
    """Shut every executor down; return a KeyboardInterrupt (or other BaseException) that cut a wait.

    An interrupt stops the waiting, not the shutting down: the remaining
    executors are still shut down, without waiting.
    """
    interrupted: BaseException | None = None
    for ex in executors:
        try:
            if isinstance(ex, ThreadPoolExecutor):
                ex.shutdown(block=wait and interrupted is None)
            else:
                ex.shutdown()
        except Exception as e:
            if (hidden := ctrl_c_behind(e)) is None:
                logger.exception("executor %s failed to shut down", ex.label)
                continue
            # Ctrl-C that library code turned into another error (a threading.Condition
            # interrupted part-way raises RuntimeError): still the user's interrupt.
            logger.warning("shutdown of executor %s interrupted: %r (then %r)", ex.label, hidden, e)
            interrupted = interrupted or hidden
        except BaseException as e:  # Ctrl-C while waiting for running tasks
            logger.warning("shutdown of executor %s interrupted: %r", ex.label, e)
            interrupted = interrupted or e
    return interrupted


def ctrl_c_behind(error: BaseException) -> BaseException | None:
    """The KeyboardInterrupt (or other non-``Exception``) ``error`` was raised while handling."""
    seen: set[int] = set()
    cause = error.__context__
    while cause is not None and id(cause) not in seen:
        if not isinstance(cause, Exception):
            return cause
        seen.add(id(cause))
        cause = cause.__context__
    return None


def close_quietly(what: str, close: Callable[[], Any]) -> Any:
    """Run one closing step; log its failure instead of letting it skip the rest; return its result."""
    try:
        return close()
    except Exception:
        logger.exception("%s failed to close", what)
        return None


def undo_partial_start(dfk: DataFlowKernel) -> None:
    """Stop what a ``DataFlowKernel.__init__`` that failed part-way had started, newest first.

    The job status poller, the executors (without waiting), the memoizer's
    timer, the monitoring sink and the run's log handler. A memoizer or sink
    whose own ``start()`` raised is closed too, so that whatever it began
    before failing stops. Each step is bounded and none can skip the others.
    """
    poller = getattr(dfk, "poller", None)
    if poller is not None:
        close_quietly("job status poller", poller.close)
    shutdown_executors(list(dfk.executors.values()), wait=False)
    memoizer = getattr(dfk, "memoizer", None)
    if memoizer is not None:
        close_quietly("memoizer", memoizer.close)
    if dfk.monitoring is not None:
        close_quietly("monitoring", dfk.monitoring.close)
    close_quietly("logging", dfk._stop_logging)


Step = tuple[str, Callable[[], object]]


class ClosingSteps:
    """Steps that all run, in order, even when Ctrl-C lands in one of them.

    The first interrupt is kept (in :attr:`interrupted`) and the steps go
    on; a step it cut short runs again, so each step must be safe to run
    twice. A step may also return an interrupt it caught itself (any other
    result is ignored). A step that raises an ``Exception`` is logged and
    the rest still run.
    """

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self.next = 0
        self.interrupted: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.next >= len(self.steps)

    def run(self) -> BaseException | None:
        """Run the steps not yet done (all of them, the first time); return this run's interrupt."""
        caught: BaseException | None = None
        while self.next < len(self.steps):
            try:
                got = close_quietly(*self.steps[self.next])
                self.next += 1
                if isinstance(got, BaseException):
                    raise got
            except BaseException as e:  # Ctrl-C: kept for the end; the step it cut runs again
                caught = caught or e
                self.interrupted = self.interrupted or e
        return caught


def wait_for_cleanup(dfk: DataFlowKernel) -> None:
    """Wait (at most CLEANUP_WAIT_LIMIT s) for the cleanup another thread is doing."""
    deadline = time.monotonic() + CLEANUP_WAIT_LIMIT
    while not dfk._cleanup_done.wait(0.1) and time.monotonic() < deadline:
        closing = dfk._closing
        if closing is not None and closing.done:  # done, but cut before it could say so
            return


def closing_steps(dfk: DataFlowKernel, wait: bool) -> ClosingSteps:
    """What ``DataFlowKernel.cleanup(wait)`` does, in order, as :class:`ClosingSteps`."""
    import atexit

    from parsl.app import children
    from parsl.dataflow.loader import DataFlowKernelLoader

    def poller() -> None:
        if hasattr(dfk, "poller"):
            dfk.poller.close()

    def executors() -> BaseException | None:  # waits only until the first Ctrl-C
        return shutdown_executors(list(dfk.executors.values()), wait and steps.interrupted is None)

    def tasks() -> None:
        for task in list(dfk.tasks.values()):
            fu = task.app_fu
            if fu is None:
                continue
            # one task's trouble must not skip the rest
            close_quietly(f"task {task.id}", partial(dfk._cleanup_task, task))
            if steps.interrupted is not None and task.status is States.failed and not fu.done():
                # an interrupt cut the run before this one between the task's end and its future
                with contextlib.suppress(InvalidStateError):
                    fu.set_exception(CleanedUp(f"task {task.id} was cleaned up (Ctrl-C)"))

    def monitoring_end() -> None:
        if dfk.monitoring is not None:
            dfk.monitoring.workflow_end(dfk.run_id, dfk.tasks_completed, dfk.tasks_failed)

    def monitoring() -> None:
        if dfk.monitoring is not None:
            dfk.monitoring.close()

    def log_end() -> None:
        # Parsl's summary lines, which scripts and log readers look for.
        logger.info("Summary of tasks in DFK:")
        for state in States:
            logger.info("Tasks in state %s: %d", state, dfk.task_state_counts[state])
        logger.info("End of summary")
        logger.info("run %s cleaned up", dfk.run_id)
        dfk._stop_logging()

    steps = ClosingSteps(
        [
            ("atexit hook", partial(atexit.unregister, dfk.atexit_cleanup)),
            ("job status poller", poller),
            ("executors", executors),
            ("bash apps", children.kill_all),
            ("tasks", tasks),
            ("memoizer", dfk.memoizer.close),
            ("monitoring", monitoring_end),
            ("monitoring", monitoring),
            ("DataFlowKernelLoader", partial(DataFlowKernelLoader._forget, dfk)),
            ("run log", log_end),
        ]
    )
    return steps
