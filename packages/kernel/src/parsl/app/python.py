"""Python and join apps, and the walltime limit for Python code."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from functools import partial, wraps
from typing import TYPE_CHECKING, Any, Literal

from parsl.app.app import RESERVED_KWARGS, AppBase
from parsl.app.errors import AppTimeout
from parsl.errors import bad_value

INTERNAL_EXECUTOR = "_parsl_internal"
"""The label of the DataFlowKernel's internal thread pool, where join apps run."""

if TYPE_CHECKING:
    from parsl.dataflow.dflow import DataFlowKernel


class PythonApp(AppBase):
    """An app whose body is the Python function itself; ``join=True`` makes it a join app.

    The arguments come in Parsl's order for this class (``cache`` before
    ``executors``, unlike :class:`~parsl.app.app.AppBase`), so
    ``PythonApp(f, None, True)`` caches, as in Parsl.
    """

    kind = "python"

    def __init__(
        self,
        func: Callable[..., Any],
        data_flow_kernel: DataFlowKernel | None = None,
        cache: bool = False,
        executors: Literal["all"] | Sequence[str] = "all",
        ignore_for_cache: Sequence[str] | None = None,
        join: bool = False,
    ) -> None:
        if not isinstance(join, bool):
            raise bad_value("join", join, "True or False")
        join = join or self.kind == "join"  # JoinApp is a join app without saying so
        if join and executors == "all":  # a join app's function runs in the workflow's process
            executors = [INTERNAL_EXECUTOR]
        super().__init__(func, data_flow_kernel, executors, cache, ignore_for_cache)
        if join:
            self.kind = "join"

    @property
    def join(self) -> bool:
        """True for a join app (its function returns futures to wait for)."""
        return self.kind == "join"

    def prepare(self, kwargs: dict[str, Any]) -> tuple[Callable[..., Any], dict[str, Any]]:
        """The callable an executor runs, and the keyword arguments to give it."""
        call_kwargs = {
            k: v for k, v in kwargs.items() if k not in RESERVED_KWARGS or self.accepts(k)
        }
        walltime = kwargs.get("walltime")
        if walltime is None:
            return self.func, call_kwargs
        return partial(run_with_walltime, self.func, float(walltime)), call_kwargs


class JoinApp(PythonApp):
    """An app that returns futures; its own future completes with their results.

    The same as ``PythonApp(..., join=True)``.
    """

    kind = "join"


def timeout(f: Callable[..., Any], seconds: float) -> Callable[..., Any]:
    """Wrap ``f`` so that a call lasting more than ``seconds`` raises :class:`AppTimeout`.

    This is what an app's ``walltime=`` keyword does, available for any
    function; see :func:`run_with_walltime` for how the call is cut short.
    """
    if not callable(f):
        raise TypeError(f"f={f!r} is not valid: expected a callable")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        raise ValueError(f"seconds={seconds!r} is not valid: expected a number > 0")

    @wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run_with_walltime(f, float(seconds), *args, **kwargs)

    return wrapper


def run_with_walltime(
    func: Callable[..., Any], walltime: float, /, *args: Any, **kwargs: Any
) -> Any:
    """Run ``func``; raise :class:`AppTimeout` once ``walltime`` seconds pass.

    In a process's main thread (a worker process) a SIGALRM timer interrupts
    the function, even inside ``time.sleep``. Elsewhere (a thread pool) the
    function runs on a daemon helper thread and the caller gets
    :class:`AppTimeout` on time; Python offers no safe way to stop a thread,
    so the helper is abandoned: it runs to its end and its result is
    discarded. (Injecting an asynchronous exception was tried and rejected:
    under a tracing tool such as coverage it stalls the caller until the
    helper wakes.)
    """
    if threading.current_thread() is threading.main_thread():
        return _run_with_alarm(func, walltime, args, kwargs)
    return _run_on_helper_thread(func, walltime, args, kwargs)


def _timeout_message(func: Callable[..., Any], walltime: float) -> str:
    return f"app {getattr(func, '__name__', func)!r} exceeded walltime {walltime:g} s"


def _run_with_alarm(
    func: Callable[..., Any], walltime: float, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    def on_alarm(signum: int, frame: object) -> None:
        raise AppTimeout(_timeout_message(func, walltime))

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(walltime, 1e-3))
    try:
        return func(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_on_helper_thread(
    func: Callable[..., Any], walltime: float, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    outcome: list[Any] = []

    def body() -> None:
        try:
            outcome.append((True, func(*args, **kwargs)))
        except BaseException as e:
            outcome.append((False, e))

    helper = threading.Thread(target=body, name="parsl-walltime", daemon=True)
    helper.start()
    helper.join(walltime)
    if helper.is_alive():
        raise AppTimeout(_timeout_message(func, walltime))
    ok, value = outcome[0]
    if ok:
        return value
    raise value
