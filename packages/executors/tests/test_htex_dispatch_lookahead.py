"""TaskDispatch's lookahead: managers hold a task ready per worker, and give back what others could start."""

from __future__ import annotations

import pytest

from parsl.executors.high_throughput.dispatch import (
    DrainedManager,
    FailTask,
    Instruction,
    ManagerRemoved,
    ReclaimTasks,
    SendTask,
    TaskDispatch,
)
from parsl.executors.high_throughput.errors import InvalidDispatchEvent


def sends(instructions: list[Instruction]) -> list[tuple[str, int]]:
    return [(i.manager_id, i.task_id) for i in instructions if isinstance(i, SendTask)]


def reclaims(instructions: list[Instruction]) -> list[tuple[str, int]]:
    return [(i.manager_id, i.count) for i in instructions if isinstance(i, ReclaimTasks)]


def two_managers() -> TaskDispatch:
    """Managers a and b, one worker each and one task of lookahead each."""
    d = TaskDispatch(heartbeat_threshold=10)
    d.manager_registered("a", 1, 0, "1", now=0, lookahead=1)
    d.manager_registered("b", 1, 0, "2", now=0, lookahead=1)
    return d


def test_each_worker_gets_a_task_before_any_manager_gets_a_second() -> None:
    d = two_managers()
    out: list[Instruction] = []
    for task_id in range(5):
        out += d.task_submitted(task_id)
    assert sends(out) == [("a", 0), ("b", 1), ("a", 2), ("b", 3)]
    assert d.queue_length() == 1
    load = d.manager_load("a")
    assert load is not None and (load.capacity, load.outstanding) == (1, 2)
    assert d.free_capacity() == 0  # lookahead slots are not capacity a scaling strategy counts


def test_an_idle_worker_elsewhere_reclaims_a_held_task_and_gets_it() -> None:
    d = two_managers()
    for task_id in range(4):
        d.task_submitted(task_id)
    # b finishes both of its tasks while a still runs task 0 with task 2 waiting behind it
    assert d.result_received("b", 1) == []
    out = d.result_received("b", 3)
    assert reclaims(out) == [("a", 1)]
    assert d.result_received("b", 99) == []  # an unknown result asks nothing more
    # its one held task is asked for already: nothing more to ask
    assert reclaims(d.task_submitted(4)) == []
    assert sends(d.result_received("b", 4)) == []
    out = d.tasks_returned("a", [2])
    assert sends(out) == [("b", 2)]
    assert d.manager_of(2) == "b"
    load = d.manager_load("a")
    assert load is not None and load.task_ids == frozenset({0})


def test_a_returned_task_goes_back_to_its_place_in_the_queue() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    d.manager_registered("a", 1, 0, None, now=0, lookahead=1)
    for task_id in range(4):
        d.task_submitted(task_id)  # 0 runs, 1 is held, 2 and 3 queue
    d.drain_manager("a")  # a draining manager is asked to give back what it has not started
    out = d.tasks_returned("a", [1])
    assert out == []
    assert d.queued_task_ids() == [1, 2, 3]
    out = d.manager_registered("c", 1, 0, None, now=1, lookahead=0)
    assert sends(out) == [("c", 1)]
    assert [type(i) for i in d.result_received("a", 0)] == [DrainedManager]


def test_a_manager_that_started_the_task_gives_back_nothing() -> None:
    d = two_managers()
    for task_id in range(4):
        d.task_submitted(task_id)
    d.result_received("b", 1)
    assert reclaims(d.result_received("b", 3)) == [("a", 1)]
    # a's worker finished task 0 and took task 2; the manager sends that result before its answer
    assert reclaims(d.result_received("a", 0)) == []  # a's worker is busy with 2: nothing held
    assert d.tasks_returned("a", []) == []
    # once the first is answered, a new reclaim may be asked
    assert sends(d.task_submitted(4) + d.task_submitted(5)) == [("b", 4), ("a", 5)]
    assert reclaims(d.result_received("b", 4)) == [("a", 1)]


def test_a_new_manager_reclaims_held_tasks() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    d.manager_registered("a", 2, 0, None, now=0, lookahead=2)
    for task_id in range(4):
        d.task_submitted(task_id)
    out = d.manager_registered("n", 3, 0, None, now=1, lookahead=0)
    assert reclaims(out) == [("a", 2)]
    assert sends(d.tasks_returned("a", [2, 3])) == [("n", 2), ("n", 3)]


def test_the_first_priority_stops_lookahead_and_reclaims() -> None:
    d = two_managers()
    for task_id in range(4):
        d.task_submitted(task_id)
    out = d.task_submitted(10, priority=1)
    assert sorted(reclaims(out)) == [("a", 1), ("b", 1)]
    assert sends(out) == []
    d.tasks_returned("a", [2])
    d.tasks_returned("b", [3])
    assert d.queued_task_ids() == [10, 2, 3]
    assert sends(d.result_received("a", 0)) == [("a", 10)]
    # without lookahead a manager holds only what its workers run
    assert sends(d.result_received("b", 1)) == [("b", 2)]
    d.task_submitted(11)
    assert d.queue_length() == 2
    # managers registering later get no lookahead either
    assert sends(d.manager_registered("c", 1, 0, None, now=1, lookahead=5)) == [("c", 3)]
    assert d.queue_length() == 1


def test_a_lost_manager_fails_its_held_tasks_and_a_late_return_is_ignored() -> None:
    d = two_managers()
    for task_id in range(4):
        d.task_submitted(task_id)
    d.result_received("b", 1)
    assert reclaims(d.result_received("b", 3)) == [("a", 1)]
    out = d.manager_lost("a", "gone")
    assert isinstance(out[0], ManagerRemoved)
    assert sorted(i.task_id for i in out if isinstance(i, FailTask)) == [0, 2]
    assert d.tasks_returned("a", [2]) == []
    assert d.counters.ignored_returns == 1


def test_returns_of_tasks_the_manager_does_not_hold_are_counted_and_ignored() -> None:
    d = two_managers()
    for task_id in range(4):
        d.task_submitted(task_id)
    assert d.tasks_returned("a", [1, 3, 77]) == []  # b holds 1 and 3; 77 is unknown
    assert d.counters.ignored_returns == 3
    assert d.manager_of(1) == "b"


@pytest.mark.parametrize("task_ids", [(1, 2), [1, "2"], [True], "12", None])
def test_bad_returns_from_the_caller_are_refused(task_ids: object) -> None:
    d = two_managers()
    with pytest.raises(InvalidDispatchEvent, match="task_id"):
        d.tasks_returned("a", task_ids)  # type: ignore[arg-type]


def test_lookahead_must_be_a_count() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    with pytest.raises(InvalidDispatchEvent, match="lookahead must be an int >= 0"):
        d.manager_registered("a", 1, 0, None, now=0, lookahead=-1)


def test_an_empty_answer_while_tasks_are_still_held_asks_again() -> None:
    d = two_managers()
    for task_id in range(4):
        d.task_submitted(task_id)
    d.result_received("b", 1)
    assert reclaims(d.result_received("b", 3)) == [("a", 1)]
    # the dispatch still sees task 2 held behind task 0, and b idle: it asks again
    assert reclaims(d.tasks_returned("a", [])) == [("a", 1)]


def test_a_second_idle_manager_asks_for_more_while_a_reclaim_is_in_flight() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    d.manager_registered("a", 2, 0, None, now=0, lookahead=2)
    for task_id in range(4):
        d.task_submitted(task_id)
    assert reclaims(d.manager_registered("n1", 1, 0, None, now=1)) == [("a", 1)]
    assert reclaims(d.manager_registered("n2", 1, 0, None, now=1)) == [("a", 1)]
    assert reclaims(d.manager_registered("n3", 1, 0, None, now=1)) == []  # both held are asked for
    assert sends(d.tasks_returned("a", [3])) == [("n1", 3)]
    assert sends(d.tasks_returned("a", [2])) == [("n2", 2)]


def test_a_lost_manager_that_was_asked_passes_the_request_on() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    d.manager_registered("a", 1, 0, None, now=0, lookahead=1)
    d.manager_registered("b", 1, 0, None, now=0, lookahead=1)
    for task_id in range(4):
        d.task_submitted(task_id)
    assert reclaims(d.manager_registered("n", 1, 0, None, now=1)) == [("a", 1)]
    out = d.manager_lost("a")
    assert reclaims(out) == [("b", 1)]
