"""Task states, as Parsl names them."""

from __future__ import annotations

from enum import IntEnum


class States(IntEnum):
    """The states a task moves through in the DataFlowKernel."""

    unsched = -1
    pending = 0
    running = 2
    exec_done = 3
    failed = 4
    dep_fail = 5
    launched = 7
    fail_retryable = 8
    memo_done = 9
    joining = 10
    running_ended = 11

    def __str__(self) -> str:
        return self.__class__.__name__ + "." + self.name


FINAL_STATES: frozenset[States] = frozenset(
    {States.exec_done, States.memo_done, States.failed, States.dep_fail}
)
"""States from which a task never moves again."""

FINAL_FAILURE_STATES: frozenset[States] = frozenset({States.failed, States.dep_fail})
"""Final states that mean the task did not produce a result."""
