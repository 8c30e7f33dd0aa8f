"""The executor plugin interface.

An executor takes a Python callable with its arguments and returns a
:class:`concurrent.futures.Future` for its result. The DataFlowKernel does
everything else (dependencies, retries, memoization). Out-of-tree executors
subclass :class:`ParslExecutor` and register in the ``parsl.executors``
entry-point group.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parsl.logconfigs.base import LogConfig
    from parsl.monitoring.radios.base import MonitoringRadioReceiver, RadioConfig
    from parsl.monitoring.sink import MonitoringSink


class TaskCount(int):
    """A count that may also be called: ``executor.outstanding`` equals ``executor.outstanding()``.

    Parsl's ``outstanding`` was a property and became a method; code written
    for either reads our executors' ``outstanding`` unchanged.
    """

    def __call__(self) -> int:
        return int(self)


class _NoSpec(dict[str, Any]):
    """The type of :data:`NO_SPEC`."""

    def __repr__(self) -> str:
        return "NO_SPEC"


NO_SPEC: dict[str, Any] = _NoSpec()
"""An executor's ``submit()`` default ``resource_specification``: none given by position.

The abstract :meth:`ParslExecutor.submit` has no default, as in Parsl, so
that plugin executors declaring Parsl's signature stay type-correct
overrides; an executor may add this default and call :func:`submitted_spec`.
"""


def submitted_spec(spec: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The resource specification of a ``submit(func, spec, /, *args, **kwargs)`` call.

    Given by position (as the DataFlowKernel passes it) it is ``spec``, and
    every keyword goes to the function. Not given by position, Parsl's
    keyword form ``submit(func, resource_specification={...})`` is taken out
    of ``kwargs``; neither is a ``TypeError``, as in Parsl.
    """
    if spec is not NO_SPEC:
        return spec
    if "resource_specification" not in kwargs:
        raise TypeError(
            "submit() needs a resource_specification (a dict, {} for none) after the function"
        )
    taken: dict[str, Any] = kwargs.pop("resource_specification")
    return taken


def outstanding_of(executor: Any) -> int:
    """An executor's ``outstanding``, whether it is a property or (as Parsl's now) a method."""
    value = executor.outstanding
    return int(value() if callable(value) else value)


class ParslExecutor(ABC):
    """Runs callables somewhere and returns futures for their results.

    Lifecycle: the DataFlowKernel sets :attr:`run_dir` and :attr:`run_id`,
    calls :meth:`start` once, :meth:`submit` any number of times, and
    :meth:`shutdown` once. ``shutdown`` must finish in bounded time and must
    leave every outstanding future completed (with a result or an exception).

    Monitoring: with a monitoring sink configured, the DataFlowKernel sets
    :attr:`monitoring_messages` (the sink) and :attr:`hub_address` before
    ``start``. An executor then starts its radio's receiver in ``start``
    (:meth:`start_monitoring_receiver`) and stops it in ``shutdown``
    (:meth:`stop_monitoring_receiver`); messages the executor observes
    itself (blocks, nodes) go to ``monitoring_messages.send``.
    """

    label: str = "executor"
    run_dir: str = "."
    run_id: str | None = None
    monitoring_messages: MonitoringSink | None = None
    """The run's monitoring sink, or None when monitoring is off."""
    hub_address: str | None = None
    """The monitoring hub's address, for radios that listen on the network."""
    remote_monitoring_radio: RadioConfig | None = None
    """How workers' monitoring messages reach the sink (see :mod:`parsl.monitoring.radios`)."""
    monitoring_receiver: MonitoringRadioReceiver | None = None
    log_config: LogConfig | None = None
    """The run's ``Config(initialize_logging=LogConfig)``, set before ``start`` (None otherwise),
    for an executor that sets logging up in processes of its own (see :mod:`parsl.logconfigs`)."""

    def __init__(
        self,
        *,
        monitoring_messages: MonitoringSink | None = None,
        run_dir: str = ".",
        run_id: str | None = None,
    ) -> None:
        """Parsl's keyword-only constructor; a subclass need not call it (the defaults are
        class attributes too), and the DataFlowKernel sets all three again before ``start``."""
        self.monitoring_messages = monitoring_messages
        self.run_dir = run_dir
        self.run_id = run_id

    def __enter__(self) -> ParslExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def monitor_resources(self) -> bool:
        """Whether tasks on this executor may be wrapped for resource monitoring (default True).

        An executor whose tasks share one process (threads) returns False.
        """
        return True

    @abstractmethod
    def start(self) -> None:
        """Acquire whatever the executor needs (threads, processes, blocks)."""

    @abstractmethod
    def submit(
        self,
        func: Callable[..., Any],
        resource_specification: dict[str, Any],
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Future[Any]:
        """Run ``func(*args, **kwargs)`` and return a future for its result."""

    @abstractmethod
    def shutdown(self) -> None:
        """Release everything; outstanding futures end with an exception."""

    def start_monitoring_receiver(self) -> None:
        """Start the radio's receiver if monitoring is on (executors call this in ``start``)."""
        sink, radio = self.monitoring_messages, self.remote_monitoring_radio
        if sink is None or radio is None or self.monitoring_receiver is not None:
            return
        self.monitoring_receiver = radio.create_receiver(
            run_dir=self.run_dir, resource_msgs=sink, hub_address=self.hub_address
        )

    def stop_monitoring_receiver(self) -> None:
        """Stop the radio's receiver, if one runs (bounded; executors call this in ``shutdown``)."""
        receiver, self.monitoring_receiver = self.monitoring_receiver, None
        if receiver is not None:
            try:
                receiver.shutdown()
            except Exception:
                import logging

                logging.getLogger(__name__).exception(
                    "executor %s: stopping the monitoring receiver failed", self.label
                )
            if self.remote_monitoring_radio is not None:
                from parsl.monitoring.remote import forget_sender

                forget_sender(self.remote_monitoring_radio)  # one this process made for its tasks

    @property
    def bad_state_is_set(self) -> bool:
        """True once the executor can no longer run tasks."""
        return False

    @property
    def executor_exception(self) -> BaseException | None:
        """The error that put the executor in a bad state, if any."""
        return None

    @property
    def outstanding(self) -> int:
        """Tasks submitted and not yet finished (used by scaling strategies; also callable)."""
        return TaskCount(0)

    def validate_resource_specification(self, spec: dict[str, Any]) -> None:
        """Raise :class:`~parsl.executors.errors.InvalidResourceSpecification` for keys it cannot honour.

        The default accepts only an empty specification (or just ``priority``).
        """
        from parsl.executors.errors import InvalidResourceSpecification

        unknown = set(spec) - {"priority"}
        if unknown:
            raise InvalidResourceSpecification(
                unknown, f"executor {self.label!r} does not support resource specifications"
            )
