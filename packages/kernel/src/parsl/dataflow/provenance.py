"""File provenance for monitoring: the files each task read and wrote, where it ran, and notes.

Used only when the monitoring sink asks for it
(``MonitoringHub(capture_file_provenance=True)``): then the kernel sends

* an ``ENVIRONMENT_INFO`` message per executor as it starts (its label,
  address, provider, launcher and ``worker_init``);
* an ``INPUT_FILE_INFO`` message per :class:`~parsl.data_provider.files.File`
  in a task's ``inputs=`` each time a try of it is launched;
* an ``OUTPUT_FILE_INFO`` message per File in its ``outputs=`` when it
  completes.

The messages carry names only: the monitoring writer, in its own process,
reads the size and md5 sum of the files it can see, so the workflow never
waits on a file. :meth:`DataFlowKernel.log_info` sends ``MISC_INFO`` notes
whenever monitoring is on.

A file's id is the same for every task of a run that names the same
location, so one file row links the task that wrote it to those that read
it.
"""

from __future__ import annotations

import functools
import logging
import os
import time
import uuid
from typing import TYPE_CHECKING, Any

from parsl.app.python import INTERNAL_EXECUTOR
from parsl.data_provider.files import File
from parsl.dataflow.states import States
from parsl.dataflow.task_facts import files_in
from parsl.errors import ConfigurationError
from parsl.monitoring.types import MessageType, TaggedMonitoringMessage

if TYPE_CHECKING:
    from parsl.dataflow.taskrecord import TaskRecord
    from parsl.executors.base import ParslExecutor
    from parsl.monitoring.sink import MonitoringSink

logger = logging.getLogger(__name__)

_NAMESPACE = uuid.UUID("5d0c6f1e-3b0a-4f5e-9c1d-7a2b8e4f6c30")
"""Namespace of the file ids (uuid5 of the run id and the file's location)."""

FILE_STATES = {States.launched: "inputs", States.exec_done: "outputs"}
"""The transitions that report files, and which argument's files they report."""

_KIND = {"inputs": MessageType.INPUT_FILE_INFO, "outputs": MessageType.OUTPUT_FILE_INFO}


@functools.lru_cache(maxsize=1 << 16)
def file_id(run_id: str, location: str) -> str:
    """The id of the file at ``location`` (an absolute path or a URL) within run ``run_id``.

    (Cached: a uuid5 costs microseconds, and a file read by many tasks asks again and again.)
    """
    return str(uuid.uuid5(_NAMESPACE, f"{run_id}\0{location}"))


def _where(f: File) -> tuple[str, str | None]:
    """A File's name for the ``file`` table, and the local path to read it at (None if remote)."""
    if f.scheme == "file":
        path = os.path.abspath(f.filepath)
        return path, path
    local = os.path.abspath(f.local_path) if f.local_path else None
    return f.url, local


def file_messages(run_id: str, task: TaskRecord, now: float) -> list[TaggedMonitoringMessage]:
    """The messages for the files of ``task``'s current transition (none for most states)."""
    which = FILE_STATES.get(task.status)
    if which is None or not task.kwargs:
        return []
    kind = _KIND[which]
    messages: list[TaggedMonitoringMessage] = []
    for f in files_in(task.kwargs.get(which)):
        name, path = _where(f)
        body = {
            "file_id": file_id(run_id, name),
            "file_name": name,
            "file_path": path,
            "run_id": run_id,
            "task_id": task.id,
            "try_id": task.try_id,
            "timestamp": now,
        }
        messages.append((kind, body))
    return messages


def _type_name(obj: Any) -> str | None:
    return None if obj is None else type(obj).__name__


def environment_message(run_id: str, executor: ParslExecutor) -> TaggedMonitoringMessage:
    """The ``environment`` row of ``executor``: label, address, provider, launcher, worker_init."""
    provider = getattr(executor, "provider", None)
    address = getattr(executor, "address", None)
    worker_init = getattr(provider, "worker_init", None)
    body = {
        "environment_id": str(uuid.uuid4()),
        "run_id": run_id,
        "label": executor.label,
        "address": None if address is None else str(address),
        "provider": _type_name(provider),
        "launcher": _type_name(getattr(provider, "launcher", None)),
        "worker_init": None if worker_init is None else str(worker_init),
    }
    return (MessageType.ENVIRONMENT_INFO, body)


def report_environment(sink: MonitoringSink, run_id: str, executor: ParslExecutor) -> None:
    """Send ``executor``'s environment to ``sink`` if it captures file provenance.

    Not for the kernel's own internal executor (staging), which no user configured.
    """
    if not sink.capture_file_provenance or executor.label == INTERNAL_EXECUTOR:
        return
    try:
        message = environment_message(run_id, executor)
    except Exception:  # a property of a plugin executor that fails before start(), say
        logger.exception("file provenance: cannot describe executor %r", executor.label)
        return
    sink.send(message)


def log_info(sink: MonitoringSink | None, run_id: str, ended: bool, msg: object) -> None:
    """:meth:`DataFlowKernel.log_info`: ``msg`` to parsl.log and the ``misc_info`` table."""
    if not isinstance(msg, str):
        raise TypeError(f"log_info(msg) needs a str, not {type(msg).__name__}")
    if ended:
        raise ConfigurationError("log_info() after cleanup(): this run has ended")
    logger.info("log_info: %s", msg)
    if sink is not None:
        sink.send(
            (MessageType.MISC_INFO, {"run_id": run_id, "timestamp": time.time(), "info": msg})
        )
