"""A task's row within a batch: its latest transition merged with the values that stick."""

from __future__ import annotations

from typing import Any

from parsl.dataflow.states import FINAL_STATES, States
from parsl.monitoring.db.columns import Row, Stamp
from parsl.monitoring.sink import TaskTransition

FINAL_STATE_NAMES = frozenset(s.name for s in FINAL_STATES)
STATE_NAMES = {s: s.name for s in States}
"""Each state's name (a dict lookup is cheaper than the enum's ``name`` property)."""


def csv(items: tuple[Any, ...]) -> str | None:
    """``items`` comma-separated (task ids, file names); None for none."""
    return ",".join(map(str, items)) if items else None


class TaskSoFar:
    """One task's row within a batch: the latest transition, plus the values that stick."""

    __slots__ = ("event", "executor", "fail_reason", "final", "hashsum", "invoked", "returned")

    def __init__(self, ev: TaskTransition) -> None:
        self.event = ev
        self.final: str | None = None
        self.invoked = ev.time_invoked if ev.time_invoked is not None else ev.timestamp
        self.returned: float | None = None
        self.executor: str | None = None
        self.fail_reason: str | None = None
        self.hashsum: str | None = None

    def add(self, ev: TaskTransition) -> None:
        """Rules as in the upsert SQL: a final state sticks; a known value replaces unknown."""
        self.event = ev
        final = ev.state in FINAL_STATES
        if final and self.final is None:
            self.final = STATE_NAMES[ev.state]
        if ev.time_returned is not None:
            self.returned = ev.time_returned
        elif final and self.returned is None:
            self.returned = ev.timestamp
        if ev.executor is not None:
            self.executor = ev.executor
        if final and ev.fail_reason is not None:
            self.fail_reason = ev.fail_reason
        if ev.hashsum is not None:
            self.hashsum = ev.hashsum

    def row(self, stamp: Stamp, environments: dict[tuple[str, str], str]) -> Row:
        """The task row, in :data:`TASK_COLUMNS` order."""
        ev = self.event
        executor = self.executor
        return (
            ev.task_id,
            ev.run_id,
            csv(ev.depends),
            ev.func_name,
            "1" if ev.memoize else "0",
            self.hashsum,
            ev.task_inputs,
            ev.task_outputs,
            ev.stdin,
            ev.stdout,
            ev.stderr,
            stamp(self.invoked),
            None if self.returned is None else stamp(self.returned),
            ev.fail_count,
            float(ev.fail_cost),
            environments.get((ev.run_id, executor)) if environments and executor else None,
            self.final or STATE_NAMES[ev.state],
            executor,
            self.fail_reason,
        )
