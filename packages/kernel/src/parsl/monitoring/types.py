"""Monitoring messages that cross from executors and workers to the monitoring sink.

The DataFlowKernel reports task state changes as :class:`~parsl.monitoring.sink.TaskTransition`
objects. Everything observed elsewhere (on a worker, in an executor, by a
provider poll) travels as a :data:`TaggedMonitoringMessage`: a
``(MessageType, dict)`` pair, Parsl's shape. Executors hand them to
``MonitoringSink.send``; workers send them through a radio
(:mod:`parsl.monitoring.radios`).

The dict keys are the monitoring database's column names, so a writer can
insert a message without translating it. Times are Unix timestamps (float
seconds); the writer turns them into the database's ``DateTime`` values.

``TASK_INFO`` (from a worker)
    ``run_id``, ``task_id``, ``try_id``, ``task_status_name`` (``"running"``
    or ``"running_ended"``), ``timestamp``, ``hostname``; optional
    ``block_id``, ``executor_label``.
``RESOURCE_INFO``
    ``run_id``, ``task_id``, ``try_id``, ``timestamp``,
    ``resource_monitoring_interval``, ``hostname`` and the ``psutil_*``
    columns of the ``resource`` table (``psutil_process_pid``,
    ``psutil_process_cpu_percent``, ``psutil_process_memory_percent``,
    ``psutil_process_children_count``, ``psutil_process_time_user``,
    ``psutil_process_time_system``, ``psutil_process_memory_virtual``,
    ``psutil_process_memory_resident``, ``psutil_process_disk_read``,
    ``psutil_process_disk_write``, ``psutil_process_status``,
    ``psutil_process_num_threads``, ``psutil_cpu_num``,
    ``psutil_process_num_ctx_switches_voluntary``,
    ``psutil_process_num_ctx_switches_involuntary``).
``NODE_INFO``
    The ``node`` table's columns: ``run_id``, ``hostname``, ``uid`` (the
    manager id), ``block_id``, ``cpu_count``, ``total_memory``, ``active``,
    ``worker_count``, ``python_v``, ``timestamp``, ``last_heartbeat``.
``BLOCK_INFO``
    The ``block`` table's columns: ``run_id``, ``executor_label``,
    ``block_id``, ``job_id``, ``timestamp``, ``status`` (a
    :class:`~parsl.jobs.states.JobState` name).
``INPUT_FILE_INFO``, ``OUTPUT_FILE_INFO`` (file provenance)
    A file a try of a task read (at launch) or a task wrote (when it
    completed): ``file_id``, ``file_name``, ``run_id``, ``task_id``,
    ``try_id``, ``timestamp``, and ``file_path``, where the monitoring
    writer may read its size and md5 sum (None for a remote file).
``ENVIRONMENT_INFO`` (file provenance)
    The ``environment`` table's columns: ``environment_id``, ``run_id``,
    ``label`` (the executor's), ``address``, ``provider``, ``launcher``,
    ``worker_init``.
``MISC_INFO``
    A note from ``DataFlowKernel.log_info``: ``run_id``, ``timestamp``,
    ``info``.
``WORKFLOW_INFO``
    Reserved for workflow-level records; the kernel reports those through
    ``MonitoringSink.start`` and ``workflow_end``.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

__all__ = ["MessageType", "MonitoringMessage", "TaggedMonitoringMessage"]


class MessageType(Enum):
    """What a monitoring message describes (Parsl's names and values)."""

    TASK_INFO = 0
    RESOURCE_INFO = 1
    WORKFLOW_INFO = 2
    NODE_INFO = 3
    BLOCK_INFO = 4
    INPUT_FILE_INFO = 5
    OUTPUT_FILE_INFO = 6
    ENVIRONMENT_INFO = 7
    MISC_INFO = 8


MonitoringMessage = dict[str, Any]
"""The body of a message: database column name -> value."""

TaggedMonitoringMessage = tuple[MessageType, dict[str, Any]]
"""A message with its type, as sinks and radios carry it."""
