"""The app decorators: ``python_app``, ``bash_app`` and ``join_app``."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from parsl.errors import bad_value

if TYPE_CHECKING:
    from parsl.dataflow.dflow import DataFlowKernel
    from parsl.dataflow.futures import AppFuture


class _AutoLogname:
    """Marker for ``stdout=parsl.AUTO_LOGNAME``: Parsl picks a path under the run directory."""

    def __repr__(self) -> str:
        return "parsl.AUTO_LOGNAME"

    def __reduce__(self) -> str:
        return "AUTO_LOGNAME"


AUTO_LOGNAME = _AutoLogname()

# Keyword arguments with a meaning to Parsl rather than to the app's function.
RESERVED_KWARGS = frozenset(
    {"inputs", "outputs", "stdout", "stderr", "walltime", "parsl_resource_specification"}
)
_DEFAULTED = ("inputs", "outputs", "stdout", "stderr", "walltime", "parsl_resource_specification")


class AppBase:
    """What the decorators return: calling it submits a task and returns an AppFuture."""

    kind = "python"

    def __init__(
        self,
        func: Callable[..., Any],
        data_flow_kernel: DataFlowKernel | None = None,
        executors: Literal["all"] | Sequence[str] = "all",
        cache: bool = False,
        ignore_for_cache: Sequence[str] | None = None,
    ) -> None:
        if not callable(func):
            raise bad_value("app function", func, "a callable")
        if executors != "all" and (
            isinstance(executors, str) or not all(isinstance(e, str) for e in executors)
        ):
            raise bad_value("executors", executors, "'all' or a list of executor labels")
        if not isinstance(cache, bool):
            raise bad_value("cache", cache, "True or False")
        if ignore_for_cache is not None and (
            isinstance(ignore_for_cache, str)
            or not all(isinstance(k, str) for k in ignore_for_cache)
        ):
            raise bad_value(
                "ignore_for_cache", ignore_for_cache, "a list of keyword-argument names"
            )
        self.func = func
        self.__name__ = getattr(func, "__name__", type(func).__name__)
        self.__doc__ = func.__doc__
        self.__wrapped__ = func
        self.data_flow_kernel = data_flow_kernel
        self.executors = executors
        self.cache = cache
        self.ignore_for_cache = tuple(ignore_for_cache or ())
        try:
            params = inspect.signature(func).parameters
        except (TypeError, ValueError):
            params = {}  # type: ignore[assignment]
        self.accepted = frozenset(params)
        self.takes_var_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
        # Defaults for Parsl's special keyword arguments declared in the signature.
        self.default_kwargs = {
            name: params[name].default
            for name in _DEFAULTED
            if name in params and params[name].default is not inspect.Parameter.empty
        }
        self.kwargs = self.default_kwargs
        """Parsl's name for the same defaults (app decorators written for Parsl read it)."""

    def accepts(self, name: str) -> bool:
        """True if the app's function can take keyword argument ``name``."""
        return self.takes_var_kwargs or name in self.accepted

    def __call__(self, *args: Any, **kwargs: Any) -> AppFuture:
        from parsl.dataflow.dflow import DataFlowKernelLoader

        dfk = self.data_flow_kernel or DataFlowKernelLoader.dfk()
        if self.default_kwargs:
            kwargs = {**self.default_kwargs, **kwargs}
        return dfk.submit(self, args, kwargs)

    def remote_callable(self, kwargs: dict[str, Any]) -> Callable[..., Any]:
        """The function an executor runs for one call (set by subclasses)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__name__}>"


@overload
def python_app(
    function: Callable[..., Any],
    data_flow_kernel: DataFlowKernel | None = None,
    cache: bool = False,
    executors: Literal["all"] | Sequence[str] = "all",
    ignore_for_cache: Sequence[str] | None = None,
) -> AppBase: ...
@overload
def python_app(
    function: None = None,
    data_flow_kernel: DataFlowKernel | None = None,
    cache: bool = False,
    executors: Literal["all"] | Sequence[str] = "all",
    ignore_for_cache: Sequence[str] | None = None,
) -> Callable[[Callable[..., Any]], AppBase]: ...
def python_app(
    function: Callable[..., Any] | None = None,
    data_flow_kernel: DataFlowKernel | None = None,
    cache: bool = False,
    executors: Literal["all"] | Sequence[str] = "all",
    ignore_for_cache: Sequence[str] | None = None,
) -> AppBase | Callable[[Callable[..., Any]], AppBase]:
    """Make a Python function an app: calling it returns an AppFuture."""
    from parsl.app.python import PythonApp

    def wrap(f: Callable[..., Any]) -> AppBase:
        return PythonApp(f, data_flow_kernel, cache, executors, ignore_for_cache)

    return wrap(function) if function is not None else wrap


@overload
def bash_app(
    function: Callable[..., Any],
    data_flow_kernel: DataFlowKernel | None = None,
    cache: bool = False,
    executors: Literal["all"] | Sequence[str] = "all",
    ignore_for_cache: Sequence[str] | None = None,
) -> AppBase: ...
@overload
def bash_app(
    function: None = None,
    data_flow_kernel: DataFlowKernel | None = None,
    cache: bool = False,
    executors: Literal["all"] | Sequence[str] = "all",
    ignore_for_cache: Sequence[str] | None = None,
) -> Callable[[Callable[..., Any]], AppBase]: ...
def bash_app(
    function: Callable[..., Any] | None = None,
    data_flow_kernel: DataFlowKernel | None = None,
    cache: bool = False,
    executors: Literal["all"] | Sequence[str] = "all",
    ignore_for_cache: Sequence[str] | None = None,
) -> AppBase | Callable[[Callable[..., Any]], AppBase]:
    """Make a function that returns a command line an app: the command runs under bash."""
    from parsl.app.bash import BashApp

    def wrap(f: Callable[..., Any]) -> AppBase:
        return BashApp(f, data_flow_kernel, cache, executors, ignore_for_cache)

    return wrap(function) if function is not None else wrap


@overload
def join_app(
    function: Callable[..., Any],
    data_flow_kernel: DataFlowKernel | None = None,
    cache: bool = False,
    ignore_for_cache: Sequence[str] | None = None,
) -> AppBase: ...
@overload
def join_app(
    function: None = None,
    data_flow_kernel: DataFlowKernel | None = None,
    cache: bool = False,
    ignore_for_cache: Sequence[str] | None = None,
) -> Callable[[Callable[..., Any]], AppBase]: ...
def join_app(
    function: Callable[..., Any] | None = None,
    data_flow_kernel: DataFlowKernel | None = None,
    cache: bool = False,
    ignore_for_cache: Sequence[str] | None = None,
) -> AppBase | Callable[[Callable[..., Any]], AppBase]:
    """Make a function that returns a future (or a list of them) an app that waits for them.

    Join apps run on the DataFlowKernel's internal thread pool.
    """
    from parsl.app.python import JoinApp

    def wrap(f: Callable[..., Any]) -> AppBase:
        return JoinApp(f, data_flow_kernel, cache, "all", ignore_for_cache)

    return wrap(function) if function is not None else wrap
