"""The typed boundary to globus-compute-sdk: its Executor's submit and shutdown are untyped.

Everything this package calls on the SDK goes through here, so that the rest
is checked by ``mypy --strict`` without per-call ignores.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from globus_compute_sdk import Executor
from globus_compute_sdk.sdk.asynchronous.compute_future import ComputeFuture

__all__ = ["ComputeFuture", "Executor", "base_shutdown", "sdk_shutdown", "sdk_submit"]


def sdk_submit(
    executor: Executor, fn: Callable[..., Any], *args: Any, **kwargs: Any
) -> Future[Any]:
    """``executor.submit(fn, *args, **kwargs)``: the SDK's future for the task."""
    fut: Future[Any] = executor.submit(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
    return fut


def sdk_shutdown(executor: Executor, *, wait: bool, cancel_futures: bool) -> None:
    """``executor.shutdown(wait=..., cancel_futures=...)``."""
    executor.shutdown(wait=wait, cancel_futures=cancel_futures)  # type: ignore[no-untyped-call]


def base_shutdown(executor: Executor, *, wait: bool, cancel_futures: bool) -> None:
    """The SDK's own ``Executor.shutdown`` (for subclasses that extend it)."""
    Executor.shutdown(executor, wait=wait, cancel_futures=cancel_futures)  # type: ignore[no-untyped-call]
