"""Parsl's ``DataFlowKernel.submit(func, app_args, executors, cache, ignore_for_cache, app_kwargs, join)``.

Apps call ``submit`` with themselves; code written against Parsl's API (for
example app decorators that other projects ship, such as Dragon's
``mpi_app``) calls it with a plain function and the app's options instead.
This turns such a call into the app the DataFlowKernel runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from parsl.errors import bad_value

if TYPE_CHECKING:
    from parsl.app.app import AppBase
    from parsl.dataflow.dflow import DataFlowKernel


def function_app(
    dfk: DataFlowKernel,
    func: Callable[..., Any],
    *,
    executors: Literal["all"] | Sequence[str],
    cache: bool,
    ignore_for_cache: Sequence[str] | None,
    join: bool,
) -> AppBase:
    """A Python app (a join app when ``join``) running ``func`` on ``dfk``."""
    from parsl.app.python import JoinApp, PythonApp

    if not callable(func):
        raise bad_value("func", func, "an app or a callable")
    if not isinstance(join, bool):
        raise bad_value("join", join, "True or False")
    kind = JoinApp if join else PythonApp
    return kind(
        func,
        data_flow_kernel=dfk,
        executors=executors,
        cache=cache,
        ignore_for_cache=ignore_for_cache,
    )
