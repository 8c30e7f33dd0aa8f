"""ThreadPoolExecutor: runs apps on threads of the submitting process.

Its own small pool of daemon threads instead of :mod:`concurrent.futures`,
for two reasons: a task that never returns cannot keep the interpreter
from exiting (``concurrent.futures`` joins its threads at exit), and shutdown
can fail every outstanding future after a bounded wait instead of blocking
until user code returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from typing import Any

from parsl.data_provider.staging import Staging
from parsl.dataflow.lean_future import lean_future
from parsl.errors import bad_value
from parsl.executors.base import NO_SPEC, ParslExecutor, TaskCount, submitted_spec
from parsl.executors.errors import BadStateException
from parsl.monitoring.radios.base import RadioConfig
from parsl.monitoring.radios.htex import HTEXRadio
from parsl.monitoring.radios.threadpool import ThreadPoolRadio
from parsl.typecheck import typechecked

logger = logging.getLogger(__name__)

_Work = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class ThreadPoolExecutor(ParslExecutor):
    """Runs tasks on up to ``max_threads`` threads in this process.

    Parameters
    ----------
    label:
        Name apps use in ``executors=[...]``.
    max_threads:
        Number of worker threads (at least 1).
    thread_name_prefix:
        Prefix for the worker threads' names.
    storage_access:
        Staging providers for files; None means local files only.
    working_dir:
        Directory staging providers download into; None means the current directory.
    remote_monitoring_radio:
        How tasks report to monitoring (default :class:`~parsl.monitoring.radios.ThreadPoolRadio`,
        straight to the sink). ``remote_monitor_radio`` is accepted as an old spelling.
    shutdown_timeout:
        Seconds ``shutdown()`` waits for running tasks before failing them.
    """

    @typechecked
    def __init__(
        self,
        label: str = "threads",
        max_threads: int | None = 2,
        thread_name_prefix: str = "",
        storage_access: Sequence[Staging] | None = None,
        working_dir: str | None = None,
        remote_monitoring_radio: RadioConfig | None = None,
        shutdown_timeout: float = 30.0,
        *,
        remote_monitor_radio: RadioConfig | None = None,
    ) -> None:
        if not isinstance(label, str) or not label:
            raise bad_value("ThreadPoolExecutor.label", label, "a non-empty string")
        if max_threads is None:
            max_threads = 2
        if not isinstance(max_threads, int) or isinstance(max_threads, bool) or max_threads < 1:
            raise bad_value("ThreadPoolExecutor.max_threads", max_threads, "an int >= 1")
        if not isinstance(shutdown_timeout, int | float) or shutdown_timeout < 0:
            raise bad_value("ThreadPoolExecutor.shutdown_timeout", shutdown_timeout, "seconds >= 0")
        if storage_access is not None and not all(isinstance(s, Staging) for s in storage_access):
            raise bad_value(
                "ThreadPoolExecutor.storage_access", storage_access, "a list of Staging providers"
            )
        self.label = label
        self.max_threads = max_threads
        self.thread_name_prefix = thread_name_prefix or f"parsl-{label}"
        self.storage_access = list(storage_access) if storage_access is not None else None
        self.working_dir = working_dir
        if remote_monitoring_radio is None:
            remote_monitoring_radio = remote_monitor_radio  # the old misspelled name still works
        if remote_monitoring_radio is None:
            remote_monitoring_radio = ThreadPoolRadio()
        if not isinstance(remote_monitoring_radio, RadioConfig):
            raise bad_value(
                "ThreadPoolExecutor.remote_monitoring_radio",
                remote_monitoring_radio,
                "a RadioConfig from parsl.monitoring.radios (default ThreadPoolRadio())",
            )
        if isinstance(remote_monitoring_radio, HTEXRadio):
            raise bad_value(
                "ThreadPoolExecutor.remote_monitoring_radio",
                remote_monitoring_radio,
                "a radio that works without htex's workers: ThreadPoolRadio() (the default), "
                "UDPRadio() or FilesystemRadio()",
            )
        self.remote_monitoring_radio = remote_monitoring_radio
        self.shutdown_timeout = float(shutdown_timeout)
        self._queue: deque[_Work | None] = deque()
        # Code the caller's thread runs (where Ctrl-C lands) holds the bare lock, never the
        # Condition: threading.Condition's methods are Python code, and a KeyboardInterrupt
        # at the start of one can leave the lock released inside ``with`` (which then raises
        # RuntimeError in place of the interrupt) or held for ever. Worker threads, which
        # never see KeyboardInterrupt, wait on the Condition.
        self._lock = threading.Lock()
        self._cv = threading.Condition(self._lock)
        self._idle_waiters: list[Any] = []  # bare locks, released when nothing is left to do
        self._threads: list[threading.Thread] = []
        self._running: set[Future[Any]] = set()
        self._started = False
        self._closed = False
        self._stopping = False  # the threads have been told to stop
        self._doomed: list[Future[Any]] = []  # to fail at shutdown; each leaves once it has
        self._exception: BaseException | None = None

    def start(self) -> None:
        if self._started:
            return
        self.start_monitoring_receiver()
        self._started = True
        for i in range(self.max_threads):
            t = threading.Thread(
                target=self._worker, name=f"{self.thread_name_prefix}-{i}", daemon=True
            )
            t.start()
            self._threads.append(t)

    def submit(
        self,
        func: Callable[..., Any],
        resource_specification: dict[str, Any] = NO_SPEC,
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Future[Any]:
        resource_specification = submitted_spec(resource_specification, kwargs)
        if resource_specification:
            self.validate_resource_specification(resource_specification)
        fut = lean_future()
        with self._lock:
            if self._closed:
                raise BadStateException(self.label, "executor has been shut down")
            if not self._started:
                raise BadStateException(self.label, "executor has not been started")
            self._queue.append((fut, func, args, kwargs))
            self._cv.notify()
        return fut

    def _worker(self) -> None:
        queue, cv, running = self._queue, self._cv, self._running
        while True:
            with cv:
                while not queue:
                    cv.wait()
                item = queue.popleft()
                if item is None:
                    return
                fut = item[0]
                if not fut.set_running_or_notify_cancel():
                    continue
                running.add(fut)
            _, func, args, kwargs = item
            try:
                result = func(*args, **kwargs)
            except BaseException as e:
                _settle(fut, None, e)
            else:
                _settle(fut, result, None)
            finally:
                del item, func, args, kwargs
            with cv:
                running.discard(fut)
                if not running and not queue:
                    self._wake_idle_waiters()
            del fut

    def monitor_resources(self) -> bool:
        """False, as in Parsl: every task shares this process, so a sample could not be one task's."""
        return False

    @property
    def outstanding(self) -> int:
        """Tasks queued or running (also callable, ``outstanding()``, as in Parsl)."""
        with self._lock:
            queued = len(self._queue) - (self._queue.count(None) if self._stopping else 0)
            return TaskCount(queued + len(self._running))

    @property
    def bad_state_is_set(self) -> bool:
        return self._exception is not None

    @property
    def executor_exception(self) -> BaseException | None:
        return self._exception

    def shutdown(self, block: bool = True) -> None:
        """Stop the pool.

        With ``block`` (the default) queued and running tasks get up to
        ``shutdown_timeout`` seconds to finish; whatever has not finished
        then fails with :class:`BadStateException`. Without ``block`` that
        happens at once. Idempotent. Ctrl-C cuts the wait short and is raised
        once every task has failed: wherever it lands, no future is left pending.
        """
        first = False
        try:
            with self._lock:
                first, self._closed = not self._closed, True  # one line: nothing lands between
            if first and block and self._started:
                self._wait_idle(self.shutdown_timeout)
        finally:
            if first:
                try:
                    self._fail_outstanding()
                finally:  # twice: a Ctrl-C in the first pass, or as it began, fails no fewer tasks
                    try:
                        self._fail_outstanding()
                    finally:
                        self.stop_monitoring_receiver()
        logger.debug("ThreadPoolExecutor %s shut down", self.label)

    def _wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until nothing is queued or running; True if so.

        Built on a bare lock of its own, so that a Ctrl-C anywhere in it raises
        KeyboardInterrupt (within 0.1 s) and leaves the pool's lock as it was.
        """
        waiter = threading.Lock()
        waiter.acquire()
        with self._lock:
            busy = len(self._queue) + len(self._running)
            if not busy:
                return True
            self._idle_waiters.append(waiter)
        try:
            logger.info(
                "executor %s: waiting up to %g s for %d queued or running tasks",
                self.label,
                timeout,
                busy,
            )
            deadline = time.monotonic() + timeout
            # In slices: a SIGINT delivered to another thread interrupts no wait of this one.
            while (left := deadline - time.monotonic()) > 0:
                if waiter.acquire(timeout=min(0.1, left)):
                    return True
            return False
        finally:
            with self._lock:
                if waiter in self._idle_waiters:
                    self._idle_waiters.remove(waiter)

    def _wake_idle_waiters(self) -> None:
        """Release everyone in :meth:`_wait_idle` (the pool's lock is held)."""
        waiters, self._idle_waiters = self._idle_waiters, []
        for waiter in waiters:
            waiter.release()

    def _fail_outstanding(self) -> None:
        """Fail every queued and running task and tell the threads to stop.

        Each future stays in ``_doomed`` until it has failed, so a pass cut
        short by Ctrl-C leaves the rest to the next; a pass after a complete
        one finds nothing to do.
        """
        with self._lock:
            if not self._stopping:
                self._doomed.extend(w[0] for w in self._queue if w is not None)
                self._doomed.extend(self._running)
                self._queue.clear()
                self._queue.extend([None] * len(self._threads))  # one stop sign per thread
                self._stopping = True
                self._cv.notify_all()
        reason = "executor shut down before the task finished"
        while self._doomed:
            _settle(self._doomed[-1], None, BadStateException(self.label, reason))
            self._doomed.pop()

    def __repr__(self) -> str:
        return f"ThreadPoolExecutor(label={self.label!r}, max_threads={self.max_threads})"


def _settle(fut: Future[Any], result: Any, exc: BaseException | None) -> None:
    """Complete ``fut`` unless shutdown already did."""
    try:
        if exc is None:
            fut.set_result(result)
        else:
            fut.set_exception(exc)
    except InvalidStateError:
        pass
