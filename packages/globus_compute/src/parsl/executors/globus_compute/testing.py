"""``LocalComputeExecutor``: a Globus Compute SDK Executor whose "endpoint" is local processes.

The Globus Compute cloud service cannot be reached from tests (or from a
laptop without a Globus login). This subclass of
:class:`globus_compute_sdk.Executor` keeps the SDK's own public behaviour
(argument checks, the ``resource_specification`` and ``user_endpoint_config``
properties, the function registry, ``submit`` after ``shutdown`` refused,
``shutdown(cancel_futures=True)`` cancelling what was not yet sent) and
replaces only the service: registered functions and arguments are serialized
with the SDK's serializer and run in a pool of local worker processes; a
function that raises comes back as the SDK's ``TaskExecutionFailed`` with the
traceback, as from a real endpoint. Each submission's resource specification
and user endpoint config are recorded in :attr:`LocalComputeExecutor.submissions`.
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import globus_sdk
from globus_compute_sdk import Client
from globus_compute_sdk.errors import TaskExecutionFailed
from globus_compute_sdk.serialize import ComputeSerializer

from parsl.executors.globus_compute._sdk import ComputeFuture, Executor, base_shutdown

__all__ = ["LocalComputeExecutor", "Submission"]


@dataclass(frozen=True)
class Submission:
    """What the SDK would have sent to the service for one task."""

    task_id: str
    function_id: str
    resource_specification: dict[str, Any] | None
    user_endpoint_config: dict[str, Any] | None


def _run(payload: str) -> tuple[bool, str]:
    """Worker side: run one serialized (function, args, kwargs); return (ok, serialized result or traceback)."""
    serde = ComputeSerializer()
    fn, args, kwargs = serde.deserialize(payload)
    try:
        value = fn(*args, **kwargs)
    except BaseException:
        return False, traceback.format_exc()
    return True, serde.serialize(value)


def offline_client() -> Client:
    """A Client that never calls the service on construction (no version check, no login)."""
    return Client(do_version_check=False, authorizer=globus_sdk.NullAuthorizer())


class LocalComputeExecutor(Executor):
    """A ``globus_compute_sdk.Executor`` that runs its tasks in ``max_workers`` local processes."""

    def __init__(
        self, endpoint_id: str | uuid.UUID | None = None, *, max_workers: int = 2, **kwargs: Any
    ) -> None:
        kwargs.setdefault("client", offline_client())
        super().__init__(endpoint_id=endpoint_id or uuid.uuid4(), **kwargs)
        self._pool = ProcessPoolExecutor(
            max_workers=max_workers, mp_context=multiprocessing.get_context("spawn")
        )
        self._functions: dict[str, Callable[..., Any]] = {}
        self._running: dict[Future[tuple[bool, str]], ComputeFuture] = {}
        self._local_lock = threading.Lock()
        self._pids: set[int] = set()
        self.submissions: list[Submission] = []

    def register_function(
        self, fn: Callable[..., Any], function_id: str | None = None, **func_register_kwargs: Any
    ) -> str:
        """Register ``fn`` in the SDK's function cache under a local id (no service call)."""
        fid = super().register_function(fn, function_id=function_id or str(uuid.uuid4()))
        self._functions[fid] = fn
        return fid

    def submit_to_registered_function(
        self,
        function_id: str,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> ComputeFuture:
        """Run a registered function in a local worker process; the SDK's checks come first."""
        if self._stopped:
            raise RuntimeError(f"{self!r} is shutdown; no new functions may be executed")
        if function_id not in self._functions:
            raise ValueError(f"function id {function_id!r} is not registered with {self!r}")
        task_id = str(uuid.uuid4())
        self.submissions.append(
            Submission(
                task_id,
                function_id,
                self.resource_specification,
                self.user_endpoint_config,
            )
        )
        payload = self.serializer.serialize(
            (self._functions[function_id], args or (), kwargs or {})
        )
        fut = ComputeFuture(task_id)
        with self._local_lock:
            local = self._pool.submit(_run, payload)
            self._running[local] = fut
            self._pids.update(p.pid for p in (self._pool._processes or {}).values() if p.pid)
        local.add_done_callback(self._finish)
        return fut

    def _finish(self, local: Future[tuple[bool, str]]) -> None:
        with self._local_lock:
            fut = self._running.pop(local)
        if local.cancelled():
            fut.cancel()
            fut.set_running_or_notify_cancel()
            return
        exc = local.exception()
        if exc is not None:  # the worker process died: the endpoint reports a lost task
            fut.set_exception(TaskExecutionFailed(f"{type(exc).__name__}: {exc}"))
            return
        ok, data = local.result()
        if ok:
            fut.set_result(self.serializer.deserialize(data))
        else:
            fut.set_exception(TaskExecutionFailed(data))

    def worker_pids(self) -> list[int]:
        """The pids of the local worker processes started so far."""
        with self._local_lock:
            return sorted(self._pids)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the local workers (cancelling queued tasks if asked) and the SDK executor."""
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
        base_shutdown(self, wait=False, cancel_futures=cancel_futures)
