"""Monitoring on the worker: the wrapper the DataFlowKernel puts around each task when monitoring is on.

:func:`monitor_wrapper` returns ``functools.partial(run_monitored, func,
settings)``: the same object for every task of one app on one executor, so
htex serializes it once (its function cache) and the per-task facts (task
and try id) travel as one small keyword argument. On the worker, :func:`run_monitored`

* sends ``TASK_INFO`` ``running`` (with hostname and, under htex, block id);
* with resource monitoring on, registers the task with this process's
  :mod:`~parsl.monitoring.resource_sampler` (a sample every
  ``resource_monitoring_interval`` seconds, and a final one at the end),
  whose thread also sends ``running`` :data:`~parsl.monitoring.resource_sampler.RUNNING_DELAY_S`
  after the start, unless the task has ended by then (then it goes with the
  last messages: fewer messages for short tasks); with it off, psutil is
  never imported, no thread starts and ``running`` is sent at once;
* runs the task, and sends the final sample and ``running_ended``
  (``send_values(..., final=True)``: positional messages, see
  :data:`~parsl.monitoring.radios.base.PositionalMessage`).

The task's result or exception is returned or raised unchanged; a radio that
fails is logged, never turned into a task failure.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parsl.monitoring.radios.base import MonitoringRadioSender, PositionalMessage, RadioConfig
from parsl.monitoring.types import MessageType
from parsl.serialize import deserialize, serialize

if TYPE_CHECKING:
    from parsl.dataflow.taskrecord import TaskRecord
    from parsl.executors.base import ParslExecutor
    from parsl.monitoring.resource_sampler import ResourceSampler
    from parsl.monitoring.sink import MonitoringSink

logger = logging.getLogger(__name__)

__all__ = [
    "IDS_KWARG",
    "RemoteMonitoring",
    "attach_executor",
    "forget_sender",
    "monitor_wrapper",
    "run_monitored",
]

IDS_KWARG = "_parsl_monitoring_ids"
"""The keyword argument that carries a task's ``(task_id, try_id)`` to :func:`run_monitored`:
one argument, so a worker unpacks one value more than an unmonitored call, not two."""
BLOCK_ID_ENV = "PARSL_WORKER_BLOCK_ID"
"""Set by htex for its workers: the block a worker runs in."""


@dataclass(frozen=True, eq=False, repr=False)
class RemoteMonitoring:
    """What a worker needs to report on the tasks of one executor in one run."""

    run_id: str
    executor_label: str
    radio: RadioConfig
    resource_monitoring_enabled: bool
    resource_monitoring_interval: float

    def __repr__(self) -> str:
        # Short: an executor may take the wrapped function's repr (this inside it) for its
        # name on every task, and the full dataclass repr (the radio's too) costs microseconds.
        return f"RemoteMonitoring(run {self.run_id}, executor {self.executor_label})"

    def __reduce__(self) -> tuple[Callable[[bytes], RemoteMonitoring], tuple[bytes]]:
        """Pickled as its fields, serialized once; unpickled as one shared copy per process.

        Every task of an executor carries these settings, and a worker would
        otherwise rebuild them (and the radio) from the pickle for each task.
        Frozen, they can be shared; the fields go through Parsl's serializer
        (dill by default), as the rest of the wrapped call does.
        """
        blob: bytes | None = self.__dict__.get("_blob")
        if blob is None:
            fields = (
                self.run_id,
                self.executor_label,
                self.radio,
                self.resource_monitoring_enabled,
                self.resource_monitoring_interval,
            )
            blob = serialize(fields, name="monitoring settings")
            object.__setattr__(self, "_blob", blob)
        return _shared_settings, (blob,)


_SHARED_KEPT = 64
"""At most how many unpickled settings a process keeps (one per executor and run in practice)."""
_shared: dict[bytes, RemoteMonitoring] = {}


def _shared_settings(blob: bytes) -> RemoteMonitoring:
    """This process's copy of the settings pickled as ``blob`` (see ``RemoteMonitoring.__reduce__``)."""
    found = _shared.get(blob)
    if found is None:
        found = RemoteMonitoring(*deserialize(blob))
        object.__setattr__(found, "_blob", blob)
        if len(_shared) >= _SHARED_KEPT:
            _shared.clear()
        _shared[blob] = found
    return found


def attach_executor(executor: ParslExecutor, sink: MonitoringSink | None) -> None:
    """Give ``executor`` the run's sink and the monitoring settings (the DFK calls this before start)."""
    executor.monitoring_messages = sink
    executor.hub_address = getattr(sink, "hub_address", None) if sink is not None else None


def monitor_wrapper(
    func: Callable[..., Any],
    kwargs: dict[str, Any],
    executor: ParslExecutor,
    sink: MonitoringSink,
    task: TaskRecord,
) -> tuple[Callable[..., Any], dict[str, Any]]:
    """``func`` and its keyword arguments, wrapped to report from the worker.

    Unchanged when the executor has no radio (an executor that does not take
    part in remote monitoring).
    """
    settings = _settings_for(executor, sink)
    if settings is None:
        return func, kwargs
    if type(func) is functools.partial:
        # Flattened (not a partial inside a partial), so that htex's function cache
        # still recognises the same call (e.g. an app with walltime=) task after task.
        wrapped = functools.partial(run_monitored, func.func, settings, *func.args, **func.keywords)
    else:
        wrapped = functools.partial(run_monitored, func, settings)
    return wrapped, {**kwargs, IDS_KWARG: (task.id, task.try_id)}


def _settings_for(executor: ParslExecutor, sink: MonitoringSink) -> RemoteMonitoring | None:
    cached: RemoteMonitoring | None = getattr(executor, "_remote_monitoring", None)
    radio = executor.remote_monitoring_radio
    if radio is None or executor.run_id is None:
        return None
    if cached is None or cached.radio is not radio or cached.run_id != executor.run_id:
        interval = getattr(sink, "resource_monitoring_interval", 30.0)
        cached = RemoteMonitoring(
            run_id=executor.run_id,
            executor_label=executor.label,
            radio=radio,
            resource_monitoring_enabled=bool(getattr(sink, "resource_monitoring_enabled", False))
            and interval > 0
            and executor.monitor_resources(),
            resource_monitoring_interval=float(interval),
        )
        executor._remote_monitoring = cached  # type: ignore[attr-defined]
    return cached


# ------------------------------------------------------------------ the worker side

_HOSTNAME = socket.gethostname()
_TASK_INFO = MessageType.TASK_INFO
_RESOURCE_INFO = MessageType.RESOURCE_INFO
_senders: dict[Any, MonitoringRadioSender | None] = {}
_senders_lock = threading.Lock()


def _radio_key(radio: RadioConfig) -> Any:
    try:
        key = (type(radio), tuple(sorted(vars(radio).items())))
        hash(key)
    except TypeError:
        return None
    return key


def _sender(radio: RadioConfig) -> MonitoringRadioSender | None:
    """This process's sender for ``radio`` (one per radio, reused); None if it cannot be made.

    A radio that cannot make a sender is logged once per process, not once per task.
    """
    key = _radio_key(radio)
    if key is not None and key in _senders:  # made already (the usual case): no lock
        return _senders[key]
    with _senders_lock:
        if key is not None and key in _senders:
            return _senders[key]
        try:
            sender: MonitoringRadioSender | None = radio.create_sender()
        except Exception:
            logger.exception("monitoring: cannot create a sender for %r; not reporting", radio)
            sender = None
        if key is not None:
            _senders[key] = sender
        return sender


def forget_sender(radio: RadioConfig) -> None:
    """Close and forget this process's sender for ``radio``, if it made one.

    An executor whose tasks run in the submitting process (the thread pool)
    makes its sender there; its shutdown calls this, so a long-lived process
    that runs many workflows does not keep one open socket per run.
    """
    key = _radio_key(radio)
    if key is None:
        return
    with _senders_lock:
        sender = _senders.pop(key, None)
    close = getattr(sender, "close", None)
    if callable(close):
        try:
            close()
        except Exception:
            logger.exception("monitoring: closing the sender for %r failed", radio)


_NO_SENDER_YET = object()


def _settings_sender(settings: RemoteMonitoring) -> MonitoringRadioSender | None:
    """:func:`_sender` for ``settings.radio``, remembered on ``settings`` (one lookup per process).

    The settings are one shared copy per process (see ``RemoteMonitoring.__reduce__``), so
    after a process's first task this is an attribute read, not a key built from the radio.
    """
    found = settings.__dict__.get("_sender", _NO_SENDER_YET)
    if found is _NO_SENDER_YET:
        sender = _sender(settings.radio)
        object.__setattr__(settings, "_sender", sender)
        return sender
    return found  # type: ignore[no-any-return]


def _send(
    sender: MonitoringRadioSender | None,
    messages: list[PositionalMessage],
    final: bool = False,
) -> None:
    if sender is None:
        return
    try:
        sender.send_values(messages, final=final)
    except Exception:
        logger.exception("monitoring: could not send %d message(s)", len(messages))


def _process_sampler() -> ResourceSampler:
    """This process's resource sampler (psutil is imported on the first call, not before)."""
    global _sampler_of_process
    if _sampler_of_process is None:
        from parsl.monitoring.resource_sampler import process_sampler

        _sampler_of_process = process_sampler
    return _sampler_of_process()


_sampler_of_process: Callable[[], ResourceSampler] | None = None


def run_monitored(
    func: Callable[..., Any], settings: RemoteMonitoring, /, *args: Any, **kwargs: Any
) -> Any:
    """Run ``func`` reporting running / resources / running_ended (see the module docstring)."""
    task_id, try_id = kwargs.pop(IDS_KWARG, (-1, 0))
    sender = _settings_sender(settings)
    run_id = settings.run_id
    label = settings.executor_label
    block_id = os.environ.get(BLOCK_ID_ENV) or None
    # Positional TASK_INFO (wire.FIELDS order): run_id, task_id, try_id, task_status_name,
    # timestamp, hostname, executor_label, block_id.
    running: PositionalMessage = (
        _TASK_INFO,
        [run_id, task_id, try_id, "running", time.time(), _HOSTNAME, label, block_id],
    )
    sampler = None
    key = (run_id, task_id, try_id)
    if settings.resource_monitoring_enabled and sender is not None:
        interval = settings.resource_monitoring_interval
        try:
            sampler = _process_sampler()
            # The sampler's thread sends "running" a moment later unless the task has
            # ended by then; a short task's messages then all travel in one batch.
            sampler.register(key, (run_id, task_id, try_id, interval), sender, interval, running)
        except Exception:
            logger.exception("monitoring: cannot start resource monitoring")
            sampler = None
    if sampler is None:
        _send(sender, [running])
    try:
        return func(*args, **kwargs)
    finally:
        final: list[PositionalMessage] = []
        if sampler is not None:
            try:
                unsent, sample = sampler.finish(key)
                final += unsent
                final.append((_RESOURCE_INFO, sample))
            except Exception:
                logger.exception("monitoring: the final resource sample failed")
        ended = [run_id, task_id, try_id, "running_ended", time.time(), _HOSTNAME, label, block_id]
        final.append((_TASK_INFO, ended))
        _send(sender, final, final=True)
