"""Parsl's public HighThroughputExecutor methods that downstream projects call, over our executor.

Function-serving endpoints, workflow engines and scaling plugins built on
Parsl's htex call ``scale_out_facade`` / ``scale_in_facade``,
``connected_blocks()``, ``connected_managers()``, ``blocks_to_job_id``,
``submit_payload`` and the like. :class:`ParslSurfaceMixin` provides them
with Parsl's names and meanings on top of the executor's
:class:`~.blocks.BlockPool` and the interchange client.

Idle time (``connected_managers()[i]["idle_duration"]``,
``scale_in(n, max_idletime)`` and ``scale_in_facade(n, max_idletime)``) is
measured from the first time this executor saw a manager hold no task, each
time it asks the interchange (every call of these methods).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from parsl.executors.errors import BadStateException
from parsl.executors.high_throughput.task_executor import call_named, check_task_executor

if TYPE_CHECKING:
    from parsl.executors.high_throughput.blocks import BlockPool
    from parsl.executors.high_throughput.call_packing import CallPacker
    from parsl.executors.high_throughput.client import InterchangeClient
    from parsl.jobs.states import JobStatus


def _parsl_version() -> str:
    try:
        from parsl.version import VERSION

        return str(VERSION)
    except ImportError:  # pragma: no cover - the kernel always has it
        return "unknown"


class ParslSurfaceMixin:
    """Parsl's htex facade methods (needs the executor's attributes below)."""

    label: str
    enable_mpi_mode: bool
    _blocks: BlockPool
    _client: InterchangeClient | None
    _packer: CallPacker
    _task_ids: Iterator[int]

    if TYPE_CHECKING:

        def scale_out(self, blocks: int = 1) -> list[str]: ...

        def scale_in(
            self, blocks: int = 1, max_idletime: float | None = None, force: bool = False
        ) -> list[str]: ...

        def status(self) -> dict[str, JobStatus]: ...

        def validate_resource_specification(self, spec: dict[str, Any]) -> None: ...

        def _submit_packed(
            self, payload: bytes, resource_specification: dict[str, Any], tag: bool = False
        ) -> Future[Any]: ...

        def _worker_logdir(self) -> str: ...

    def _init_parsl_surface(self) -> None:
        self._idle_since: dict[str, float] = {}
        self._idle_lock = threading.Lock()

    # ------------------------------------------------------------- blocks

    @property
    def blocks_to_job_id(self) -> dict[str, str]:
        """Each block id to its provider job id (a copy)."""
        return self._blocks.jobs

    @property
    def job_ids_to_block(self) -> dict[str, str]:
        """Each provider job id to its block id."""
        return {job: block for block, job in self._blocks.jobs.items()}

    def scale_out_facade(self, n: int) -> list[str]:
        """Start ``n`` blocks; return their block ids."""
        return self.scale_out(n)

    def scale_in_facade(self, n: int, max_idletime: float | None = None) -> list[str]:
        """Remove up to ``n`` blocks; return their ids.

        Without ``max_idletime`` idle blocks go first and busy ones after them
        (their tasks fail with ManagerLost), as Parsl's htex does. With it,
        only blocks whose managers have all been idle at least that many
        seconds are removed, as ``scale_in(n, max_idletime)`` does.
        """
        if max_idletime is None:
            return self.scale_in(n, force=True)
        return self.scale_in(n, max_idletime)

    def _scale_in_idle_for(self, blocks: int, min_idle: float) -> list[str]:
        """Cancel up to ``blocks`` live blocks idle ``min_idle`` s or more, oldest first.

        The interchange checks again as it cancels: a block that took a task
        in the meantime stays.
        """
        if blocks == 0:
            return []
        idle = self._idle_blocks(min_idle)
        if not idle:
            return []
        live = {b for b, s in self.status().items() if not s.terminal}
        chosen = [b for b in self._blocks.jobs if b in idle and b in live][:blocks]
        return self._blocks.scale_in_these(chosen)

    def connected_blocks(self) -> list[str]:
        """Ids of every block a manager has registered from, sorted, as in Parsl.

        A block stays listed after its managers leave or it is scaled in;
        :meth:`connected_managers` gives the ones registered now.
        """
        return sorted(self._blocks.registered_blocks())

    def _manager_records(self) -> list[dict[str, Any]]:
        if self._client is None or self._client.exception is not None:
            return []
        managers: list[dict[str, Any]] = self._client.request("status", {})["managers"]
        return managers

    def connected_managers(self) -> list[dict[str, Any]]:
        """One dict per registered manager, with Parsl's keys and ours.

        Parsl's: ``manager``, ``block_id``, ``worker_count``, ``tasks``,
        ``idle_duration`` (seconds, 0 while it holds a task), ``active`` (not
        draining), ``draining``, ``parsl_version``, ``python_version``; ours
        add ``manager_id``, ``hostname``, ``prefetch_capacity``,
        ``registered_at``.
        """
        now = time.monotonic()
        records = self._manager_records()
        version = _parsl_version()
        with self._idle_lock:
            seen = set()
            for m in records:
                key = str(m["manager_id"])
                seen.add(key)
                if m["tasks"]:
                    self._idle_since.pop(key, None)
                else:
                    self._idle_since.setdefault(key, now)
                m["manager"] = key
                m["active"] = not m["draining"]
                m["parsl_version"] = version
                m["idle_duration"] = now - self._idle_since.get(key, now)
            for gone in set(self._idle_since) - seen:
                del self._idle_since[gone]
        return records

    @property
    def _task_counter(self) -> int:
        """Tasks submitted so far (Parsl's name; also the last task id, as ids start at 1)."""
        # itertools.count's repr is its next value, "count(7)": read without consuming an id.
        return int(repr(self._task_ids)[len("count(") : -1]) - 1

    def set_bad_state_and_fail_all(
        self, exception: BaseException | Callable[[], BaseException]
    ) -> None:
        """Put the executor in a bad state: outstanding and new tasks fail with the error.

        ``exception`` is Parsl's argument, the exception every task fails with
        (what block error handlers written for Parsl pass), or a function
        making one, so that each task gets its own copy.
        """
        if isinstance(exception, BaseException):
            error = exception
            make_exception: Callable[[], BaseException] = lambda: error  # noqa: E731
        elif callable(exception):
            make_exception = exception
        else:
            raise TypeError(
                f"exception={exception!r} is not valid: expected an exception or a function "
                "returning one"
            )
        if self._client is not None:
            self._client.fail(make_exception)

    def connected_managers_packages(self) -> dict[str, dict[str, str]]:
        """Each registered manager's id -> the distributions installed where it runs (name -> version).

        Each manager lists them once, as it registers, from the
        ``*.dist-info`` folders on its ``sys.path`` (see
        :func:`~.versions.installed_packages`): names are canonical (PEP 503,
        e.g. ``globus-compute-sdk``), and a package installed after the
        manager started is not seen until a new manager registers.
        """
        if self._client is None or self._client.exception is not None:
            return {}
        packages: dict[str, dict[str, str]] = self._client.request("packages", {})["packages"]
        return packages

    @property
    def connected_workers(self) -> int:
        """Workers on all registered managers."""
        return sum(int(m["worker_count"]) for m in self.connected_managers())

    def _idle_blocks(self, min_idle: float) -> set[str]:
        """Blocks whose every manager has been idle at least ``min_idle`` seconds."""
        busy: set[str] = set()
        idle: set[str] = set()
        for m in self.connected_managers():
            block = str(m["block_id"])
            if m["tasks"] or m["idle_duration"] < min_idle:
                busy.add(block)
            else:
                idle.add(block)
        return idle - busy

    # -------------------------------------------------------------- tasks

    def validate_resource_spec(self, resource_specification: dict[str, Any]) -> None:
        """Parsl's name for :meth:`validate_resource_specification`."""
        self.validate_resource_specification(resource_specification)

    def submit_payload(self, context: dict[str, Any], buffer: bytes) -> Future[Any]:
        """Run an already packed task; the future has Parsl's ``parsl_executor_task_id``.

        Without ``context["task_executor"]``, ``buffer`` is
        :func:`parsl.serialize.pack_apply_message` output. With
        ``context["task_executor"] = {"f": "module.function", "a": args, "k":
        kwargs}``, the worker imports that function and runs
        ``function(buffer, *args, **kwargs)``; its return value is the result
        (see :mod:`.task_executor`; a malformed entry raises
        :class:`~.errors.InvalidTaskContext` here).
        ``context["resource_spec"]`` (optional) is the task's resource
        specification, checked as :meth:`submit` checks it.
        """
        if not isinstance(context, dict):
            raise TypeError(f"context={context!r} is not valid: expected a dict")
        if not isinstance(buffer, bytes | bytearray | memoryview):
            raise TypeError(f"buffer of type {type(buffer).__name__} is not valid: expected bytes")
        spec = context.get("resource_spec") or {}
        named = context.get("task_executor")
        if named is None:
            return self._submit_packed(bytes(buffer), spec, True)
        name, args, kwargs = check_task_executor(named)
        payload = self._packer.pack(call_named, (name, bytes(buffer), *args), kwargs)
        return self._submit_packed(payload, spec, True)

    @property
    def tasks(self) -> dict[int, Future[Any]]:
        """Futures of the tasks in flight, by executor task id (a copy)."""
        return dict(self._client.futures) if self._client is not None else {}

    @property
    def worker_logdir(self) -> str:
        """Where worker pools write their logs."""
        if self._client is None:
            raise BadStateException(self.label, "executor has not been started")
        return self._worker_logdir()

    def get_usage_information(self) -> dict[str, Any]:
        """What Parsl's usage tracking records about this executor."""
        return {"mpi": self.enable_mpi_mode}

    @property
    def status_facade(self) -> dict[str, JobStatus]:
        """Each block's status (one provider poll serves every caller per polling interval)."""
        return self.status()

    def poll_facade(self) -> None:
        """Refresh the block statuses (the shared poll does this on demand)."""
        self.status()


def register_as_block_provider_executor(cls: type) -> None:
    """Make ``isinstance(htex, BlockProviderExecutor)`` true where the kernel defines that base."""
    try:
        from parsl.executors.status_handling import BlockProviderExecutor
    except ImportError:  # pragma: no cover - a kernel without it
        return
    register: Callable[[type], Any] = BlockProviderExecutor.register
    register(cls)
