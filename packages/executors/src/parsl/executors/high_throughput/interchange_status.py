"""The interchange's answer to the executor's ``status`` command."""

from __future__ import annotations

from typing import Any

from parsl.executors.high_throughput.dispatch import TaskDispatch
from parsl.executors.high_throughput.monitoring_reports import ManagerInfo


def status_report(
    dispatch: TaskDispatch, managers: dict[str, ManagerInfo], blocks_seen: set[str]
) -> dict[str, Any]:
    """Every registered manager's load and details, the queue, and the blocks seen so far."""
    rows = []
    for load in dispatch.manager_loads():
        info = managers.get(load.manager_id)
        rows.append(
            {
                "manager_id": load.manager_id,
                "block_id": load.block_id,
                "hostname": info.hostname if info else "",
                "worker_count": load.worker_count,
                "prefetch_capacity": load.prefetch_capacity,
                "tasks": load.outstanding,
                "draining": load.draining,
                "python_version": info.python_version if info else "",
                "registered_at": info.registered_at if info else 0.0,
            }
        )
    return {
        "managers": rows,
        "queued": dispatch.queue_length(),
        "outstanding": dispatch.outstanding_task_count(),
        "block_loads": dispatch.block_loads(),
        "blocks_seen": sorted(blocks_seen),
    }
