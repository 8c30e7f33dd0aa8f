"""The task lifecycle: the one place that decides what happens to a task.

A sans-I/O core. The DataFlowKernel gathers facts (a dependency failed, the
memoizer has an entry, the executor's future finished, a join app's inner
futures are done, ...) and feeds them to :class:`Lifecycle` as events, one
method per event. Each event moves the task's record along the transition
table below (or leaves it where it is) and returns a :class:`Decision`:
plain data saying what the DataFlowKernel must do next (ask the memoizer,
launch on the executor, ask the retry handler for a price, retry, settle
the future with a result or an exception, or nothing).

No threads, locks, clocks, I/O, futures or executors here: the caller holds
the task's lock around each event and performs the decision afterwards.
The core owns the retry rule (a failed try is retried while the summed cost
of the failures stays within ``retries``), the join rule (a join app's
value must be futures; any failed inner future fails the try) and the
guarantee that every task ends in exactly one final state: an event for a
task that has already ended is answered with :data:`IGNORE` and changes
nothing, and an event the current state does not allow raises
:class:`IllegalTransition` instead of corrupting the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Protocol

from parsl.dataflow.errors import DependencyError, JoinError
from parsl.dataflow.states import FINAL_STATES, States
from parsl.errors import InternalConsistencyError, ParslError


class Event(Enum):
    """The transitions of the table: what moves a task from one state to another."""

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


class CleanedUp(ParslError):
    """The DataFlowKernel was cleaned up before the task could finish."""


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


# --------------------------------------------------------------------- decisions


class Action(Enum):
    """What the DataFlowKernel must do after an event."""

    nothing = "nothing"  # record the move, if any; nothing else to do
    ignore = "ignore"  # the task has already ended: a late event changes nothing
    check_memo = "check_memo"  # ask the memoizer; report memo_hit() or memo_miss()
    launch = "launch"  # hand the task to its executor; report launched() (or failed())
    join = "join"  # a join app returned: check its value, report join_started()
    price = "price"  # ask the retry handler what this failure costs; report priced()
    retry = "retry"  # the try failed and retries remain; report retry()
    schedule = "schedule"  # the task is pending again: schedule it; report ready()
    settle = "settle"  # final: set the future's result (exc is None) or exception (exc)


class Decision:
    """One decision: an action, the move the event made (old -> new state), an exception."""

    __slots__ = ("action", "exc", "new", "old")

    def __init__(
        self,
        action: Action,
        old: States | None = None,
        new: States | None = None,
        exc: BaseException | None = None,
    ) -> None:
        self.action = action
        self.old = old
        """The state before the event, when it moved the task (``None``: no move)."""
        self.new = new
        """The state the event moved the task to (``None``: no move)."""
        self.exc = exc
        """The failure this decision is about (the future's exception when settling)."""

    def __repr__(self) -> str:
        move = "" if self.old is None else f" {self.old.name}->{self.new.name if self.new else ''}"
        exc = "" if self.exc is None else f" {self.exc!r}"
        return f"<Decision {self.action.value}{move}{exc}>"


IGNORE = Decision(Action.ignore)
CHECK_MEMO = Decision(Action.check_memo)
LAUNCH = Decision(Action.launch)
JOIN = Decision(Action.join)
PRICE = Decision(Action.price)


def _moves(event: Event, action: Action) -> dict[States, Decision]:
    """One prebuilt decision per state ``event`` may leave: events without payload allocate nothing."""
    return {old: Decision(action, old, new) for (old, ev), new in _TABLE.items() if ev is event}


_SUBMITTED = _moves(Event.submitted, Action.nothing)
_LAUNCHED = _moves(Event.launched, Action.nothing)
_STARTED = _moves(Event.started, Action.nothing)
_SUCCEEDED = _moves(Event.succeeded, Action.settle)
_JOINING = _moves(Event.join_started, Action.nothing)
_RETRIED = _moves(Event.retry, Action.schedule)
_MEMO_DONE = _moves(Event.memo_hit, Action.settle)
_TRIES = frozenset({States.pending, States.launched, States.running, States.joining})
"""The states a try can fail in."""


class TaskLife(Protocol):
    """The fields of a task record the lifecycle reads and writes (TaskRecord has them)."""

    id: int
    func_name: str
    kind: str
    memoize: bool
    status: States
    try_id: int
    fail_count: int
    fail_cost: float
    fail_history: list[BaseException]
    from_memo: bool


class Lifecycle:
    """The rules for every task of one DataFlowKernel: events in, decisions out.

    ``retries`` is the retry budget (``Config.retries``); ``priced`` says
    whether a retry handler prices failures (without one, each failure costs
    1). ``closing`` is set once the DataFlowKernel starts cleaning up: from
    then on nothing is retried or launched.
    """

    __slots__ = ("closing", "priced_failures", "retries")

    def __init__(self, retries: int, priced: bool = False) -> None:
        self.retries = retries
        self.priced_failures = priced
        self.closing = False

    # ------------------------------------------------------------ getting going

    def submitted(self, t: TaskLife) -> Decision:
        """The app was called: the task waits for its dependencies."""
        return _move(t, _SUBMITTED, Event.submitted)

    def ready(self, t: TaskLife, dep_failures: Sequence[tuple[BaseException, str]]) -> Decision:
        """The dependencies are done; ``dep_failures`` are (exception, name) of those that failed."""
        if t.status is not States.pending:
            return _stale(t, "ready")
        if dep_failures:
            return self._end(t, Event.deps_failed, DependencyError(list(dep_failures), t.id))
        if t.memoize:
            return CHECK_MEMO
        return self._launch_or_refuse(t)

    def memo_hit(self, t: TaskLife, exc: BaseException | None = None) -> Decision:
        """The memoizer has this call: its result, or (``exc``) the very exception it failed with."""
        if t.status is not States.pending:
            return _stale(t, "memo_hit")
        t.from_memo = True
        if exc is None:
            return _move(t, _MEMO_DONE, Event.memo_hit)
        return self._end(t, Event.failed, exc)

    def memo_miss(self, t: TaskLife) -> Decision:
        """The memoizer does not have this call: it must run."""
        if t.status is not States.pending:
            return _stale(t, "memo_miss")
        return self._launch_or_refuse(t)

    def _launch_or_refuse(self, t: TaskLife) -> Decision:
        if self.closing:
            return self.failed(
                t, CleanedUp("the DataFlowKernel was cleaned up before this task launched")
            )
        return LAUNCH

    def launched(self, t: TaskLife) -> Decision:
        """The executor accepted the task."""
        return _move(t, _LAUNCHED, Event.launched)

    def running(self, t: TaskLife, try_id: int) -> Decision:
        """The executor reports try ``try_id`` running; a late or stale report is ignored."""
        if t.status is not States.launched or try_id != t.try_id:
            return IGNORE
        return _move(t, _STARTED, Event.started)

    # ------------------------------------------------------------ outcomes

    def exec_done(self, t: TaskLife) -> Decision:
        """The try returned a value: settle it, or for a join app check the value first."""
        if t.kind == "join":
            if t.status is States.launched or t.status is States.running:
                return JOIN
            return _stale(t, "exec_done")
        return _move(t, _SUCCEEDED, Event.succeeded)

    def join_started(self, t: TaskLife, bad_type: str | None = None) -> Decision:
        """A join app's value is futures to wait for, or (``bad_type``) a value of another type."""
        if bad_type is not None:
            if t.status is not States.launched and t.status is not States.running:
                return _stale(t, "join_started")
            return self.failed(
                t,
                TypeError(
                    f"join_app {t.func_name} must return a Future or a list of Futures, "
                    f"not {bad_type}"
                ),
            )
        return _move(t, _JOINING, Event.join_started)

    def join_done(self, t: TaskLife, failures: Sequence[tuple[BaseException, str]]) -> Decision:
        """Every inner future of a join app is done; ``failures`` are those that failed."""
        if t.status is not States.joining:
            return _stale(t, "join_done")
        if failures:
            return self.failed(t, JoinError(list(failures), t.id))
        return _move(t, _SUCCEEDED, Event.succeeded)

    def failed(self, t: TaskLife, exc: BaseException, *, fatal: bool = False) -> Decision:
        """A try failed with ``exc``; ``fatal``: no retry can help (the try still counts).

        With a retry handler the answer is :data:`PRICE`: the caller asks the
        handler and reports :meth:`priced`.
        """
        if t.status not in _TRIES:
            return _stale(t, "failed")
        t.fail_history.append(exc)
        t.fail_count += 1
        if fatal:
            return self._end(t, Event.failed, exc)
        if self.priced_failures:
            return PRICE
        return self.priced(t, exc, 1.0)

    def priced(self, t: TaskLife, exc: BaseException, cost: float) -> Decision:
        """The retry rule: retry while the summed cost stays within ``retries``.

        ``exc`` is the failure the task ends with if it is not retried (the
        retry handler's own exception, with an infinite cost, if it raised).
        """
        status = t.status
        if status not in _TRIES:
            return _stale(t, "priced")
        t.fail_cost += cost
        if (
            t.fail_cost <= self.retries
            and not self.closing
            and not isinstance(exc, DependencyError | CleanedUp)
        ):
            t.status = new = next_state(status, Event.failed_retryable)
            return Decision(Action.retry, status, new, exc)
        return self._end(t, Event.failed, exc)

    def retry(self, t: TaskLife) -> Decision:
        """Start the next try: the task is pending again."""
        if t.status is States.fail_retryable:
            t.try_id += 1
        return _move(t, _RETRIED, Event.retry)

    def cleanup(self, t: TaskLife) -> Decision:
        """The DataFlowKernel is cleaned up and the task has not finished: it fails."""
        if t.status in FINAL_STATES:
            return IGNORE
        return self._end(
            t,
            Event.failed,
            CleanedUp(
                f"task {t.id} ({t.func_name}) had not finished "
                "when the DataFlowKernel was cleaned up"
            ),
        )

    def _end(self, t: TaskLife, event: Event, exc: BaseException) -> Decision:
        old = t.status
        t.status = new = next_state(old, event)
        return Decision(Action.settle, old, new, exc)


def _move(t: TaskLife, moves: dict[States, Decision], event: Event) -> Decision:
    d = moves.get(t.status)
    if d is None:
        return _stale(t, event.value)
    t.status = d.new  # type: ignore[assignment]  # prebuilt moves always have a new state
    return d


def _stale(t: TaskLife, event: str) -> Decision:
    """An ended task ignores a late event; any other state that does not allow it is a bug."""
    if t.status in FINAL_STATES:
        return IGNORE
    raise IllegalTransition(f"event {event!r} is not allowed in state {t.status.name}")
