"""Shutdown steps of the DataFlowKernel: each bounded, none able to stop the others."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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


def close_quietly(what: str, close: Callable[[], Any]) -> None:
    """Run one closing step; log its failure instead of letting it skip the rest."""
    try:
        close()
    except Exception:
        logger.exception("%s failed to close", what)


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
    handler = dfk._log_handler
    if handler is not None:
        logging.getLogger("parsl").removeHandler(handler)
        handler.close()
