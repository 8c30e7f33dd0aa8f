"""The task lifecycle as a sans-I/O state machine.

Events go in, a new state comes out; no I/O, no locks, no clocks. The
DataFlowKernel feeds it and acts on the result. An illegal event for the
current state raises :class:`IllegalTransition` instead of silently corrupting
the record, so "every task ends in exactly one final state" is enforced here.
"""

from __future__ import annotations

from enum import Enum

from parsl.dataflow.states import FINAL_STATES, States
from parsl.errors import InternalConsistencyError


class Event(Enum):
    """Things that can happen to a task."""

    submitted = "submitted"  # the app was called; the task waits for dependencies
    deps_failed = "deps_failed"  # a dependency failed
    memo_hit = "memo_hit"  # the memoizer or a checkpoint supplied the result
    launched = "launched"  # handed to an executor
    started = "started"  # an executor reports the task is running
    succeeded = "succeeded"  # the app body returned (a join app: its inner futures too)
    join_started = "join_started"  # a join app returned futures to wait for
    failed_retryable = "failed_retryable"  # failed, and retries remain
    failed = "failed"  # failed, and no retries remain
    retry = "retry"  # a retryable failure goes back to be launched again


class IllegalTransition(InternalConsistencyError):
    """An event arrived that the task's current state does not allow."""


_TABLE: dict[tuple[States, Event], States] = {
    (States.unsched, Event.submitted): States.pending,
    (States.pending, Event.deps_failed): States.dep_fail,
    (States.pending, Event.memo_hit): States.memo_done,
    (States.pending, Event.launched): States.launched,
    (States.pending, Event.failed): States.failed,  # e.g. no executor could take it
    (States.pending, Event.failed_retryable): States.fail_retryable,
    (States.launched, Event.started): States.running,
    (States.launched, Event.succeeded): States.exec_done,
    (States.launched, Event.join_started): States.joining,
    (States.launched, Event.failed_retryable): States.fail_retryable,
    (States.launched, Event.failed): States.failed,
    (States.running, Event.succeeded): States.exec_done,
    (States.running, Event.join_started): States.joining,
    (States.running, Event.failed_retryable): States.fail_retryable,
    (States.running, Event.failed): States.failed,
    (States.joining, Event.succeeded): States.exec_done,
    (States.joining, Event.failed_retryable): States.fail_retryable,
    (States.joining, Event.failed): States.failed,
    (States.fail_retryable, Event.retry): States.pending,
    (States.fail_retryable, Event.failed): States.failed,
}


def next_state(state: States, event: Event) -> States:
    """Return the state a task in ``state`` moves to on ``event``."""
    try:
        return _TABLE[(state, event)]
    except KeyError:
        final = " (a final state)" if state in FINAL_STATES else ""
        raise IllegalTransition(
            f"event {event.value!r} is not allowed in state {state.name}{final}"
        ) from None


def legal_transitions() -> dict[tuple[States, Event], States]:
    """A copy of the full transition table, for documentation and tests."""
    return dict(_TABLE)
