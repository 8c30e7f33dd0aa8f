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
from parsl.executors.base import ParslExecutor, TaskCount
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
        self._cv = threading.Condition(threading.Lock())
        self._threads: list[threading.Thread] = []
        self._running: set[Future[Any]] = set()
        self._started = False
        self._closed = False
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
        resource_specification: dict[str, Any],
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Future[Any]:
        if resource_specification:
            self.validate_resource_specification(resource_specification)
        fut = lean_future()
        with self._cv:
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
                    cv.notify_all()
            del fut

    @property
    def outstanding(self) -> int:
        """Tasks queued or running (also callable, ``outstanding()``, as in Parsl)."""
        with self._cv:
            return TaskCount(len(self._queue) + len(self._running))

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
        happens at once. Idempotent.
        """
        with self._cv:
            if self._closed:
                return
            self._closed = True
        try:
            if block and self._started:
                deadline = time.monotonic() + self.shutdown_timeout
                with self._cv:
                    while (self._queue or self._running) and time.monotonic() < deadline:
                        self._cv.wait(timeout=min(0.1, max(0.0, deadline - time.monotonic())))
        finally:
            self._fail_outstanding()
            self.stop_monitoring_receiver()
        logger.debug("ThreadPoolExecutor %s shut down", self.label)

    def _fail_outstanding(self) -> None:
        with self._cv:
            pending = [w for w in self._queue if w is not None]
            self._queue.clear()
            running = list(self._running)
            self._queue.extend([None] * len(self._threads))
            self._cv.notify_all()
        reason = "executor shut down before the task finished"
        for fut, *_ in pending:
            _settle(fut, None, BadStateException(self.label, reason))
        for fut in running:
            _settle(fut, None, BadStateException(self.label, reason))

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
