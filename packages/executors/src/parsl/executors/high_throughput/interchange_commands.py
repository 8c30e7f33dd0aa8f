"""The interchange's answers to the executor's commands: ``status``, ``packages``, and the blocks to remove.

Sans-I/O: :func:`run_command` returns the reply's result and the
:class:`~parsl.executors.high_throughput.dispatch.TaskDispatch` instructions
the command caused (the tasks of cancelled blocks fail), for the interchange
to carry out.
"""

from __future__ import annotations

from typing import Any

from parsl.executors.high_throughput.dispatch import TaskDispatch
from parsl.executors.high_throughput.instructions import Instruction
from parsl.executors.high_throughput.monitoring_reports import ManagerInfo
from parsl.executors.high_throughput.protocol import Command
from parsl.executors.high_throughput.scale_in import pick_blocks_to_remove


def run_command(
    cmd: Command, dispatch: TaskDispatch, managers: dict[str, ManagerInfo], blocks_seen: set[str]
) -> tuple[dict[str, Any], list[Instruction]]:
    """The result of ``cmd`` and the instructions it caused; ``ValueError`` for an unknown op."""
    if cmd.op == "status":
        return status_report(dispatch, managers, blocks_seen), []
    if cmd.op == "packages":
        return {"packages": {m: info.packages for m, info in managers.items()}}, []
    if cmd.op == "pick_blocks_to_remove":
        chosen = pick_blocks_to_remove(
            dispatch.block_loads(),
            [str(b) for b in cmd.args["candidates"]],
            int(cmd.args["count"]),
            bool(cmd.args["force"]),
        )
        return {"blocks": chosen}, _cancel(dispatch, chosen)
    if cmd.op == "blocks_cancelled":
        return {}, _cancel(dispatch, [str(b) for b in cmd.args["blocks"]])
    raise ValueError(f"unknown command {cmd.op!r}")


def _cancel(dispatch: TaskDispatch, block_ids: list[str]) -> list[Instruction]:
    out: list[Instruction] = []
    for block_id in block_ids:
        out += dispatch.block_cancelled(block_id)
    return out


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
