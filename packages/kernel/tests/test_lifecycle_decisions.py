"""Each event of the sans-I/O task lifecycle and the decision it returns (no threads, no executors)."""

from __future__ import annotations

import pytest
from lifecycle_record import Rec

from parsl.dataflow.errors import DependencyError, JoinError
from parsl.dataflow.lifecycle import (
    CHECK_MEMO,
    IGNORE,
    JOIN,
    LAUNCH,
    PRICE,
    Action,
    CleanedUp,
    Decision,
    IllegalTransition,
    Lifecycle,
)
from parsl.dataflow.states import States


def at(status: States, **kw: object) -> Rec:
    return Rec(status=status, **kw)  # type: ignore[arg-type]


def launched_rec(life: Lifecycle, **kw: object) -> Rec:
    t = Rec(**kw)  # type: ignore[arg-type]
    life.submitted(t)
    assert life.ready(t, []) is LAUNCH
    life.launched(t)
    return t


def test_submitted_moves_unsched_to_pending() -> None:
    t = Rec()
    d = Lifecycle(0).submitted(t)
    assert (d.action, d.old, d.new, d.exc) == (Action.nothing, States.unsched, States.pending, None)
    assert t.status is States.pending


def test_ready_without_memo_launches_and_stays_pending() -> None:
    t = at(States.pending)
    assert Lifecycle(0).ready(t, []) is LAUNCH
    assert t.status is States.pending


def test_ready_with_memoize_asks_the_memoizer_first() -> None:
    t = at(States.pending, memoize=True)
    assert Lifecycle(0).ready(t, []) is CHECK_MEMO


def test_a_failed_dependency_ends_in_dep_fail_without_counting_a_try() -> None:
    t = at(States.pending, memoize=True)
    boom = ValueError("boom")
    d = Lifecycle(5).ready(t, [(boom, "task 3")])
    assert (d.action, d.old, d.new) == (Action.settle, States.pending, States.dep_fail)
    assert isinstance(d.exc, DependencyError)
    assert "task 3" in str(d.exc)
    assert t.status is States.dep_fail
    assert (t.fail_count, t.fail_cost) == (0, 0.0)


def test_nothing_launches_once_cleanup_started() -> None:
    life = Lifecycle(3)
    life.closing = True
    t = at(States.pending)
    d = life.ready(t, [])
    assert (d.action, d.new) == (Action.settle, States.failed)
    assert isinstance(d.exc, CleanedUp)
    assert t.fail_count == 1


def test_memo_hit_settles_with_the_result_without_launching() -> None:
    t = at(States.pending, memoize=True)
    d = Lifecycle(0).memo_hit(t)
    assert (d.action, d.old, d.new, d.exc) == (
        Action.settle,
        States.pending,
        States.memo_done,
        None,
    )
    assert t.from_memo


def test_remembered_failure_settles_with_that_very_exception() -> None:
    t = at(States.pending, memoize=True)
    exc = KeyError("x")
    d = Lifecycle(3).memo_hit(t, exc)
    assert (d.action, d.new) == (Action.settle, States.failed)
    assert d.exc is exc
    assert t.from_memo and t.fail_count == 0


def test_memo_miss_launches_unless_cleaning_up() -> None:
    life = Lifecycle(0)
    assert life.memo_miss(at(States.pending, memoize=True)) is LAUNCH
    life.closing = True
    d = life.memo_miss(at(States.pending, memoize=True))
    assert d.action is Action.settle and isinstance(d.exc, CleanedUp)


def test_launched_and_running_when_the_executor_reports_it() -> None:
    life = Lifecycle(0)
    t = launched_rec(life)
    assert t.status is States.launched
    d = life.running(t, try_id=0)
    assert (d.action, d.old, d.new) == (Action.nothing, States.launched, States.running)
    assert t.status is States.running


@pytest.mark.parametrize(
    ("status", "try_id"),
    [(States.launched, 1), (States.pending, 0), (States.running, 0), (States.exec_done, 0)],
)
def test_a_stale_or_early_running_report_is_ignored(status: States, try_id: int) -> None:
    t = at(status)
    assert Lifecycle(0).running(t, try_id) is IGNORE
    assert t.status is status


@pytest.mark.parametrize("status", [States.launched, States.running])
def test_exec_done_settles_a_python_task(status: States) -> None:
    t = at(status)
    d = Lifecycle(0).exec_done(t)
    assert (d.action, d.old, d.new, d.exc) == (Action.settle, status, States.exec_done, None)


def test_exec_done_of_a_join_app_asks_for_its_value_first() -> None:
    t = at(States.running, kind="join")
    assert Lifecycle(0).exec_done(t) is JOIN
    assert t.status is States.running


def test_join_rule_futures_then_inner_results() -> None:
    life = Lifecycle(0)
    t = at(States.launched, kind="join")
    d = life.join_started(t)
    assert (d.action, d.new) == (Action.nothing, States.joining)
    d = life.join_done(t, [])
    assert (d.action, d.old, d.new, d.exc) == (
        Action.settle,
        States.joining,
        States.exec_done,
        None,
    )


def test_join_app_returning_no_futures_fails_the_try() -> None:
    t = at(States.running, kind="join")
    d = Lifecycle(0).join_started(t, "int")
    assert (d.action, d.new) == (Action.settle, States.failed)
    assert isinstance(d.exc, TypeError)
    assert "must return a Future or a list of Futures, not int" in str(d.exc)


def test_failed_inner_future_fails_the_join_try_and_is_retried() -> None:
    t = at(States.joining, kind="join")
    inner = RuntimeError("inner")
    d = Lifecycle(1).join_done(t, [(inner, "task 2")])
    assert (d.action, d.old, d.new) == (Action.retry, States.joining, States.fail_retryable)
    assert isinstance(d.exc, JoinError)
    assert t.fail_history == [d.exc]


def test_failure_without_retries_settles_failed() -> None:
    t = at(States.running)
    exc = OSError("x")
    d = Lifecycle(0).failed(t, exc)
    assert (d.action, d.old, d.new) == (Action.settle, States.running, States.failed)
    assert d.exc is exc
    assert (t.fail_count, t.fail_cost, t.fail_history) == (1, 1.0, [exc])


def test_retry_then_next_try() -> None:
    life = Lifecycle(1)
    t = launched_rec(life)
    d = life.failed(t, OSError("x"))
    assert (d.action, d.new) == (Action.retry, States.fail_retryable)
    d = life.retry(t)
    assert (d.action, d.old, d.new) == (Action.schedule, States.fail_retryable, States.pending)
    assert t.try_id == 1
    assert life.ready(t, []) is LAUNCH
    life.launched(t)
    d = life.failed(t, OSError("y"))
    assert (d.action, d.new) == (Action.settle, States.failed)
    assert (t.fail_count, t.try_id) == (2, 1)


def test_fatal_failure_is_never_retried_and_costs_nothing() -> None:
    t = at(States.pending)
    d = Lifecycle(10, priced=True).failed(t, ValueError("bad spec"), fatal=True)
    assert (d.action, d.new) == (Action.settle, States.failed)
    assert (t.fail_count, t.fail_cost) == (1, 0.0)


def test_retry_handler_prices_each_failure() -> None:
    life = Lifecycle(1, priced=True)
    t = at(States.running)
    exc = OSError("x")
    assert life.failed(t, exc) is PRICE
    assert t.status is States.running and t.fail_count == 1
    d = life.priced(t, exc, 0.5)
    assert d.action is Action.retry and t.fail_cost == 0.5
    life.retry(t)
    life.launched(t)
    assert life.failed(t, exc) is PRICE
    assert life.priced(t, exc, 0.5).action is Action.retry  # 1.0 <= 1: still within budget
    life.retry(t)
    life.launched(t)
    life.failed(t, exc)
    d = life.priced(t, exc, 0.5)
    assert (d.action, d.new, d.exc) == (Action.settle, States.failed, exc)


def test_a_raising_retry_handler_ends_the_task_with_its_exception() -> None:
    t = at(States.running)
    life = Lifecycle(100, priced=True)
    orig, handler_error = OSError("x"), ZeroDivisionError("handler")
    life.failed(t, orig)
    d = life.priced(t, handler_error, float("inf"))
    assert (d.action, d.exc) == (Action.settle, handler_error)
    assert t.fail_history == [orig]


@pytest.mark.parametrize("exc", [DependencyError([], 1), CleanedUp("gone")])
def test_some_failures_are_never_retried(exc: BaseException) -> None:
    d = Lifecycle(5).failed(at(States.running), exc)
    assert (d.action, d.exc) == (Action.settle, exc)


def test_no_retry_while_cleaning_up() -> None:
    life = Lifecycle(5)
    life.closing = True
    assert life.failed(at(States.running), OSError()).action is Action.settle


@pytest.mark.parametrize(
    "status",
    [States.pending, States.launched, States.running, States.joining, States.fail_retryable],
)
def test_cleanup_fails_an_unfinished_task(status: States) -> None:
    t = at(status, id=4, func_name="g")
    d = Lifecycle(3).cleanup(t)
    assert (d.action, d.old, d.new) == (Action.settle, status, States.failed)
    assert isinstance(d.exc, CleanedUp)
    assert "task 4 (g) had not finished" in str(d.exc)


@pytest.mark.parametrize(
    "status", [States.exec_done, States.memo_done, States.failed, States.dep_fail]
)
def test_every_event_after_the_end_is_ignored_and_changes_nothing(status: States) -> None:
    life = Lifecycle(3, priced=True)
    t = at(status, kind="join", memoize=True)
    before = Rec(**vars(t))
    for d in (
        life.submitted(t),
        life.ready(t, [(OSError(), "x")]),
        life.memo_hit(t),
        life.memo_miss(t),
        life.launched(t),
        life.running(t, 0),
        life.exec_done(t),
        life.join_started(t),
        life.join_started(t, "int"),
        life.join_done(t, []),
        life.failed(t, OSError()),
        life.failed(t, OSError(), fatal=True),
        life.priced(t, OSError(), 1.0),
        life.retry(t),
        life.cleanup(t),
    ):
        assert d is IGNORE
    assert t == before


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (States.pending, lambda life, t: life.exec_done(t)),
        (States.unsched, lambda life, t: life.launched(t)),
        (States.unsched, lambda life, t: life.failed(t, OSError())),
        (States.launched, lambda life, t: life.join_done(t, [])),
        (States.pending, lambda life, t: life.retry(t)),
        (States.launched, lambda life, t: life.ready(t, [])),
        (States.launched, lambda life, t: life.memo_hit(t)),
        (States.running, lambda life, t: life.memo_miss(t)),
        (States.joining, lambda life, t: life.exec_done(t)),
        (States.pending, lambda life, t: life.join_started(t, "int")),
        (States.fail_retryable, lambda life, t: life.priced(t, OSError(), 1.0)),
        (States.pending, lambda life, t: life.submitted(t)),
    ],
)
def test_an_event_the_state_does_not_allow_raises_and_changes_nothing(
    status: States, event: object
) -> None:
    t = at(status, kind="join" if status is States.joining else "python")
    before = Rec(**vars(t))
    with pytest.raises(IllegalTransition, match=status.name):
        event(Lifecycle(3), t)  # type: ignore[operator]
    assert t == before


def test_decision_repr_names_action_move_and_exception() -> None:
    d = Decision(Action.settle, States.running, States.failed, OSError("x"))
    assert repr(d) == "<Decision settle running->failed OSError('x')>"
    assert repr(LAUNCH) == "<Decision launch>"
