"""``ParslPoolExecutor``: Parsl behind the standard :class:`concurrent.futures.Executor` interface.

Code written for ``ProcessPoolExecutor`` (``submit``, ``map``, ``shutdown``,
``with``) runs its calls as Parsl tasks, on whatever executors a ``Config``
describes. The futures it returns are Parsl's :class:`~parsl.dataflow.futures.AppFuture`,
so passing one as an argument to another ``submit`` makes a dependency, as
with apps.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from itertools import islice
from types import TracebackType
from typing import Any, Literal

from parsl.app.python import PythonApp
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.futures import AppFuture
from parsl.dataflow.lean_future import wait_all
from parsl.dataflow.loader import DataFlowKernelLoader

__all__ = ["ParslPoolExecutor"]


class ParslPoolExecutor(Executor):
    """A :class:`concurrent.futures.Executor` whose calls run as Parsl tasks.

    Give exactly one of:

    ``config``
        The pool loads it now, as ``parsl.load(config)`` does (so apps made
        with ``@python_app`` elsewhere in the script run on it too, as in
        Parsl; another loaded Config is an error), and cleans the
        DataFlowKernel up at :meth:`shutdown` (or at the end of a ``with``
        block).
    ``dfk``
        A DataFlowKernel you started (e.g. ``parsl.load(config)``); you
        clean it up, the pool never does.

    ``executors`` picks the executor labels the calls may run on
    (``"all"`` by default), as ``@python_app(executors=...)`` does.
    """

    def __init__(
        self,
        config: Config | None = None,
        dfk: DataFlowKernel | None = None,
        executors: Literal["all"] | Sequence[str] = "all",
    ) -> None:
        if config is not None and dfk is not None:  # Parsl's texts first, then ours
            raise ValueError(
                "Specify only one of config or dfk: ParslPoolExecutor needs exactly one of "
                "config= or dfk="
            )
        if config is None and dfk is None:
            raise ValueError(
                "Must specify one of config or dfk: ParslPoolExecutor needs exactly one of "
                "config= or dfk="
            )
        if config is not None and not isinstance(config, Config):
            raise TypeError(f"config={config!r} is not valid: expected a parsl.config.Config")
        if dfk is not None and not isinstance(dfk, DataFlowKernel):
            raise TypeError(f"dfk={dfk!r} is not valid: expected a DataFlowKernel")
        self._config = config
        self.executors = executors
        self._app_cache: dict[Callable[..., Any], PythonApp] = {}
        self._lock = threading.Lock()
        self._pending: set[AppFuture] = set()
        self._shut_down = False
        self._dfk = dfk if dfk is not None else DataFlowKernelLoader.load(config)

    @property
    def dfk(self) -> DataFlowKernel:
        """The DataFlowKernel the calls run on."""
        return self._dfk

    @property
    def app_count(self) -> int:
        """How many distinct functions have been turned into apps so far."""
        return len(self._app_cache)

    def get_app(self, fn: Callable[..., Any]) -> PythonApp:
        """The Python app for ``fn`` (made once per function and reused)."""
        with self._lock:
            app = self._app_cache.get(fn)
            if app is None:
                app = PythonApp(fn, data_flow_kernel=self._dfk, executors=self.executors)
                self._app_cache[fn] = app
            return app

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> AppFuture:
        """Run ``fn(*args, **kwargs)`` as a Parsl task; futures among the arguments are waited for."""
        if self._shut_down:
            raise RuntimeError(
                "cannot schedule new futures after shutdown: this pool was shut down"
            )
        future = self.get_app(fn)(*args, **kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Any) -> None:
        with self._lock:
            self._pending.discard(future)

    def map(
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
        buffersize: int | None = None,
    ) -> Iterator[Any]:
        """Like :func:`map`, with every call submitted at once; results come back in order.

        ``timeout`` bounds the wait for the whole iteration (raising
        :class:`TimeoutError`); ``chunksize`` is accepted and ignored, each
        call is its own task. ``buffersize`` (as in Python 3.14's
        :meth:`~concurrent.futures.Executor.map`) submits only that many calls
        at first, and one more each time a result is taken: a long or endless
        input is read as the results are consumed.
        """
        if buffersize is None:
            return super().map(fn, *iterables, timeout=timeout, chunksize=chunksize)
        if isinstance(buffersize, bool) or not isinstance(buffersize, int):
            raise TypeError(f"buffersize={buffersize!r} is not valid: expected an int or None")
        if buffersize < 1:
            raise ValueError(f"buffersize={buffersize!r} is not valid: expected at least 1")
        calls = zip(*iterables, strict=False)
        window: deque[Future[Any]] = deque(
            self.submit(fn, *args) for args in islice(calls, buffersize)
        )
        return _take_in_order(window, calls, lambda args: self.submit(fn, *args), timeout)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop accepting calls; with ``wait``, wait for the calls already submitted.

        Parsl tasks cannot be cancelled, so ``cancel_futures`` only skips the
        wait, and says so with a :class:`UserWarning` (as Parsl warns). A
        DataFlowKernel the pool started from ``config`` is cleaned up (tasks
        still unfinished then fail with ``CleanedUp``); one passed in as
        ``dfk`` is left running.
        """
        self._shut_down = True
        if cancel_futures:
            warnings.warn(
                "ParslPoolExecutor.shutdown(cancel_futures=True): Parsl tasks cannot be "
                "cancelled; tasks already submitted keep running (not waited for)",
                UserWarning,
                stacklevel=2,
            )
        if wait and not cancel_futures:
            with self._lock:
                pending = list(self._pending)
            wait_all(pending)
        if self._config is not None:
            self._dfk.cleanup(wait=wait and not cancel_futures)

    def __enter__(self) -> ParslPoolExecutor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()


def _take_in_order(
    window: deque[Future[Any]],
    calls: Iterator[tuple[Any, ...]],
    submit: Callable[[tuple[Any, ...]], Future[Any]],
    timeout: float | None,
) -> Iterator[Any]:
    """Yield the window's results oldest first, submitting the next call as each is taken."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while window:
        oldest = window.popleft()
        args = next(calls, None)
        if args is not None:
            window.append(submit(args))
        yield oldest.result(None if deadline is None else max(0.0, deadline - time.monotonic()))
