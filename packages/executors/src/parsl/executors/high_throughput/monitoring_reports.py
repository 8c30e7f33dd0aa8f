"""What htex itself tells monitoring: NODE_INFO about managers, BLOCK_INFO about blocks, and delivery.

* The interchange builds one MONITORING frame per NODE_INFO message
  (:func:`node_info_frame`): when a manager registers, at each of its
  heartbeats (which refresh the registration's row) and when it leaves
  (``active`` False).
* The executor reports every change of a block's provider state as
  BLOCK_INFO (:class:`BlockReporter`).
* The executor's client hands every MONITORING payload it receives (from
  workers through HTEXRadio, or NODE_INFO from the interchange) to the sink
  (:func:`deliver`).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from parsl.executors.high_throughput.protocol import Monitoring
from parsl.jobs.states import JobStatus
from parsl.monitoring.radios.base import MessageTarget
from parsl.monitoring.radios.wire import RadioMessageError, decode_batch, encode_batch
from parsl.monitoring.types import MessageType

logger = logging.getLogger(__name__)


@dataclass
class ManagerInfo:
    """What the interchange remembers of a registered manager."""

    hostname: str
    block_id: str | None
    worker_count: int
    python_version: str
    registered_at: float
    cpu_count: int = 0
    total_memory: int = 0
    packages: dict[str, str] = field(default_factory=dict)


def node_info_frame(
    run_id: str, manager_id: str, info: ManagerInfo, *, active: bool, heartbeat: bool = False
) -> bytes:
    """A MONITORING frame holding one NODE_INFO message (the ``node`` table's columns).

    As in Parsl, a manager has one row from its registration (``timestamp``
    its registration time) and one when it goes inactive. A ``heartbeat``
    carries the registration time as ``timestamp`` and now as
    ``last_heartbeat``: the writer updates the registration row with it
    rather than adding a row per heartbeat.
    """
    now = time.time()
    began = info.registered_at if active else now
    body = {
        "run_id": run_id,
        "hostname": info.hostname,
        "uid": manager_id,
        "block_id": info.block_id,
        "cpu_count": info.cpu_count,
        "total_memory": info.total_memory,
        "active": active,
        "worker_count": info.worker_count,
        "python_v": info.python_version,
        "timestamp": began,
        "last_heartbeat": now if heartbeat or not active else began,
    }
    return Monitoring(payload=encode_batch([(MessageType.NODE_INFO, body)])).encode()


def deliver(label: str, payload: bytes, sink: MessageTarget | None) -> None:
    """Hand one MONITORING payload's messages to ``sink``; bad payloads are dropped.

    A sink with ``send_encoded`` (the MonitoringHub) takes the payload as it
    is and decodes it in its writer, off the executor's I/O thread; any other
    sink gets the decoded messages one by one.
    """
    if sink is None:
        return
    send_encoded = getattr(sink, "send_encoded", None)
    if send_encoded is not None:
        try:
            send_encoded(payload)
        except Exception:
            logger.exception("htex %s: the monitoring sink refused a batch", label)
        return
    try:
        messages = decode_batch(payload)
    except RadioMessageError as e:
        logger.warning("htex %s: dropped a monitoring batch: %s", label, e)
        return
    for message in messages:
        try:
            sink.send(message)
        except Exception:
            logger.exception("htex %s: the monitoring sink refused a message", label)


class BlockReporter:
    """Sends BLOCK_INFO for each block whose state differs from the last one reported."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.sink: MessageTarget | None = None
        self.run_id: str | None = None
        self._last: dict[str, str] = {}
        self._lock = threading.Lock()

    def report(self, block_id: str, job_id: str | None, status: JobStatus) -> None:
        """Report ``status`` for the block unless it is the state reported last."""
        sink, run_id = self.sink, self.run_id
        if sink is None or run_id is None:
            return
        state = status.state.name
        with self._lock:
            if self._last.get(block_id) == state:
                return
            self._last[block_id] = state
        body = {
            "run_id": run_id,
            "executor_label": self.label,
            "block_id": block_id,
            "job_id": job_id,
            "timestamp": time.time(),
            "status": state,
        }
        try:
            sink.send((MessageType.BLOCK_INFO, body))
        except Exception:
            logger.exception("htex %s: the monitoring sink refused a block report", self.label)
