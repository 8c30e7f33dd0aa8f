"""TaskDispatch, event by event: capacity, priority, placement, draining, losses, queries, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from parsl.executors.high_throughput.dispatch import (
    DrainedManager,
    FailTask,
    Instruction,
    ManagerRemoved,
    RejectManager,
    SendTask,
    TaskDispatch,
)
from parsl.executors.high_throughput.errors import InvalidDispatchEvent, ManagerLost, WorkerLost


def sends(instructions: list[Instruction]) -> list[tuple[str, int]]:
    return [(i.manager_id, i.task_id) for i in instructions if isinstance(i, SendTask)]


def failed(instructions: list[Instruction]) -> list[int]:
    return [i.task_id for i in instructions if isinstance(i, FailTask)]


def dispatch_with(*managers: tuple[str, int, int], block: str | None = "b1") -> TaskDispatch:
    d = TaskDispatch(heartbeat_threshold=10)
    for manager_id, workers, prefetch in managers:
        assert d.manager_registered(manager_id, workers, prefetch, block, now=0) == []
    return d


# ------------------------------------------------------------------ capacity


def test_tasks_wait_in_the_queue_until_a_manager_registers() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    for task_id in range(3):
        assert d.task_submitted(task_id) == []
    assert d.queue_length() == 3
    assert d.outstanding_task_count() == 3
    out = d.manager_registered("m", 2, 0, None, now=0)
    assert sends(out) == [("m", 0), ("m", 1)]
    assert d.queue_length() == 1
    assert d.outstanding_task_count() == 3


def test_a_manager_holds_at_most_workers_plus_prefetch() -> None:
    d = dispatch_with(("m", 2, 3))
    out = [i for t in range(10) for i in d.task_submitted(t)]
    assert sends(out) == [("m", t) for t in range(5)]
    load = d.manager_load("m")
    assert load is not None
    assert (load.capacity, load.outstanding) == (5, 5)
    assert load.task_ids == frozenset(range(5))
    assert d.queue_length() == 5


def test_a_manager_without_slots_gets_nothing() -> None:
    d = dispatch_with(("empty", 0, 0))
    assert d.task_submitted(1) == []
    assert d.queue_length() == 1
    assert d.free_capacity() == 0


def test_prefetch_alone_is_capacity() -> None:
    d = dispatch_with(("m", 0, 1))
    assert sends(d.task_submitted(1)) == [("m", 1)]


def test_a_result_frees_a_slot_for_the_next_queued_task() -> None:
    d = dispatch_with(("m", 1, 0))
    d.task_submitted(1)
    d.task_submitted(2)
    assert d.manager_of(1) == "m"
    assert d.manager_of(2) is None
    assert sends(d.result_received("m", 1)) == [("m", 2)]
    assert d.manager_of(1) is None
    assert d.result_received("m", 2) == []
    assert d.outstanding_task_count() == 0
    assert d.free_capacity() == 1


def test_resource_spec_travels_with_the_task_and_is_copied() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    spec = {"num_ranks": 4}
    d.task_submitted(1, resource_spec=spec)
    spec["num_ranks"] = 99
    (send,) = d.manager_registered("m", 1, 0, None, now=0)
    assert send == SendTask("m", 1, {"num_ranks": 4})
    assert d.task_submitted(2) == []  # m is full
    assert d.result_received("m", 1) == [SendTask("m", 2, {})]  # no spec: an empty one


# ------------------------------------------------------------------ priority


def test_lower_priority_number_goes_first_and_none_goes_last() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    d.task_submitted(1)  # no priority
    d.task_submitted(2, priority=5)
    d.task_submitted(3, priority=-1)
    d.task_submitted(4, priority=0.5)
    d.task_submitted(5, priority=5)
    d.task_submitted(6)
    assert d.queued_task_ids() == [3, 4, 2, 5, 1, 6]
    out = d.manager_registered("m", 6, 0, None, now=0)
    assert [t for _, t in sends(out)] == [3, 4, 2, 5, 1, 6]


def test_a_new_high_priority_task_overtakes_the_queue() -> None:
    d = dispatch_with(("m", 1, 0))
    d.task_submitted(1, priority=10)
    d.task_submitted(2, priority=10)
    d.task_submitted(3, priority=1)
    assert sends(d.result_received("m", 1)) == [("m", 3)]
    assert sends(d.result_received("m", 3)) == [("m", 2)]


def test_equal_int_and_float_priorities_keep_submission_order() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    d.task_submitted(1, priority=2.0)
    d.task_submitted(2, priority=2)
    d.task_submitted(3, priority=2.0)
    assert d.queued_task_ids() == [1, 2, 3]


# ------------------------------------------------------------------ placement


def test_each_task_goes_to_the_manager_with_most_free_slots() -> None:
    d = dispatch_with(("small", 1, 0), ("big", 3, 0))
    out = [i for t in range(4) for i in d.task_submitted(t)]
    # big(3) small(1) -> big; big(2) small(1) -> big; big(1) small(1) tie -> small (registered first)
    assert sends(out) == [("big", 0), ("big", 1), ("small", 2), ("big", 3)]


def test_ties_go_to_the_manager_registered_first() -> None:
    d = dispatch_with(("a", 2, 0), ("b", 2, 0))
    out = [i for t in range(4) for i in d.task_submitted(t)]
    assert sends(out) == [("a", 0), ("b", 1), ("a", 2), ("b", 3)]


def test_freed_capacity_changes_the_preferred_manager() -> None:
    d = dispatch_with(("a", 2, 0), ("b", 2, 0))
    for t in range(4):
        d.task_submitted(t)
    d.task_submitted(4)
    d.task_submitted(5)
    assert sends(d.result_received("b", 1)) == [("b", 4)]
    assert sends(d.result_received("a", 0)) == [("a", 5)]


# ------------------------------------------------------------------ draining


def test_draining_an_idle_manager_reports_it_drained_at_once() -> None:
    d = dispatch_with(("m", 2, 0))
    assert d.drain_manager("m") == [DrainedManager("m")]
    assert d.manager_load("m") is None
    assert d.task_submitted(1) == []


def test_a_draining_manager_gets_no_new_tasks_and_is_drained_when_idle() -> None:
    d = dispatch_with(("m", 2, 0), ("other", 0, 0))
    d.task_submitted(1)
    d.task_submitted(2)
    assert d.drain_manager("m") == []
    load = d.manager_load("m")
    assert load is not None and load.draining
    assert d.free_capacity() == 0
    d.task_submitted(3)
    assert d.result_received("m", 1) == []
    assert d.queue_length() == 1
    assert d.result_received("m", 2) == [DrainedManager("m")]
    assert d.manager_load("m") is None
    assert d.queue_length() == 1


def test_a_draining_manager_with_free_slots_gets_no_new_tasks() -> None:
    d = dispatch_with(("m", 3, 0))
    d.task_submitted(1)
    d.drain_manager("m")
    assert d.task_submitted(2) == []
    assert d.queued_task_ids() == [2]
    assert sends(d.manager_registered("n", 1, 0, None, now=0)) == [("n", 2)]


def test_drain_is_idempotent_and_unknown_drains_are_counted() -> None:
    d = dispatch_with(("m", 1, 0))
    d.task_submitted(1)
    assert d.drain_manager("m") == []
    assert d.drain_manager("m") == []
    assert d.result_received("m", 1) == [DrainedManager("m")]
    assert d.drain_manager("m") == []
    assert d.drain_manager("never-seen") == []
    assert d.counters.ignored_drains == 2


def test_a_worker_lost_on_the_last_task_of_a_draining_manager_drains_it() -> None:
    d = dispatch_with(("m", 1, 0))
    d.task_submitted(1)
    d.drain_manager("m")
    fail, drained = d.worker_lost("m", 1, "segfault")
    assert isinstance(fail, FailTask) and fail.task_id == 1
    assert drained == DrainedManager("m")


def test_losing_a_draining_manager_fails_its_tasks_and_does_not_report_drained() -> None:
    d = dispatch_with(("m", 2, 0))
    d.task_submitted(1)
    d.drain_manager("m")
    out = d.manager_lost("m", "socket closed")
    assert out[0] == ManagerRemoved("m", "socket closed")
    assert failed(out) == [1]
    assert not any(isinstance(i, DrainedManager) for i in out)


# ------------------------------------------------------------------ losses


def test_a_lost_manager_fails_each_of_its_tasks_once_with_manager_lost() -> None:
    d = dispatch_with(("m", 2, 1), ("other", 1, 0))
    for t in range(5):
        d.task_submitted(t)
    load = d.manager_load("m")
    assert load is not None
    held = load.task_ids
    assert len(held) == 3
    out = d.manager_lost("m", "connection reset")
    assert out[0] == ManagerRemoved("m", "connection reset")
    fails = [i for i in out if isinstance(i, FailTask)]
    assert [f.task_id for f in fails] == sorted(held)
    for f in fails:
        assert isinstance(f.reason, ManagerLost)
        assert f.reason.manager_id == "m"
        assert "connection reset" in str(f.reason)
    assert len({id(f.reason) for f in fails}) == len(fails)  # a fresh exception per future
    assert d.manager_load("m") is None
    assert d.outstanding_task_count() == 5 - len(fails)


def test_queued_tasks_survive_a_manager_loss_and_go_to_the_next_manager() -> None:
    d = dispatch_with(("m", 1, 0))
    d.task_submitted(1)
    d.task_submitted(2)
    d.manager_lost("m")
    assert d.queued_task_ids() == [2]
    assert sends(d.manager_registered("n", 1, 0, None, now=0)) == [("n", 2)]


def test_a_worker_lost_fails_that_task_and_frees_its_slot() -> None:
    d = dispatch_with(("m", 1, 0))
    d.task_submitted(1)
    d.task_submitted(2)
    fail, send = d.worker_lost("m", 1, "exit code -9")
    assert isinstance(fail, FailTask) and isinstance(fail.reason, WorkerLost)
    assert fail.task_id == 1 and "exit code -9" in str(fail.reason)
    assert send == SendTask("m", 2, {})


def test_reports_that_do_not_match_a_running_task_are_counted_and_ignored() -> None:
    d = dispatch_with(("m", 1, 0), ("n", 1, 0))
    d.task_submitted(1)  # on m
    assert d.result_received("n", 1) == []  # wrong manager
    assert d.result_received("m", 42) == []  # unknown task
    assert d.result_received("ghost", 1) == []  # unknown manager
    assert d.worker_lost("n", 1, "x") == []
    assert d.manager_lost("ghost") == []
    assert d.manager_of(1) == "m"
    c = d.counters
    assert (c.ignored_results, c.ignored_worker_losses, c.ignored_manager_losses) == (3, 1, 1)


def test_a_late_result_from_a_lost_manager_is_ignored() -> None:
    d = dispatch_with(("m", 1, 0))
    d.task_submitted(1)
    d.manager_lost("m")
    assert d.result_received("m", 1) == []
    assert d.counters.ignored_results == 1


def test_a_finished_task_id_may_be_submitted_again() -> None:
    d = dispatch_with(("m", 1, 0))
    d.task_submitted(1)
    d.result_received("m", 1)
    assert sends(d.task_submitted(1)) == [("m", 1)]


def test_submitting_a_queued_or_running_task_again_is_an_error() -> None:
    d = dispatch_with(("m", 1, 0))
    d.task_submitted(1)
    d.task_submitted(2)
    for task_id in (1, 2):
        with pytest.raises(InvalidDispatchEvent, match=f"task {task_id} was submitted twice"):
            d.task_submitted(task_id)


# ---------------------------------------------------------------- heartbeats


def test_a_manager_silent_past_the_threshold_is_lost_at_the_next_tick() -> None:
    d = TaskDispatch(heartbeat_threshold=30)
    d.manager_registered("m", 1, 0, None, now=100)
    d.task_submitted(1)
    assert d.tick(130) == []  # exactly at the threshold: still alive
    out = d.tick(130.5)
    assert isinstance(out[0], ManagerRemoved)
    assert "no heartbeat for 30.5 s (heartbeat_threshold is 30 s)" in out[0].reason
    (fail,) = out[1:]
    assert isinstance(fail, FailTask) and isinstance(fail.reason, ManagerLost)
    assert "no heartbeat" in str(fail.reason)


def test_heartbeats_keep_a_manager_alive_and_never_go_back_in_time() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    d.manager_registered("m", 1, 0, None, now=0)
    assert d.heartbeat("m", 8) == []
    assert d.heartbeat("m", 3) == []  # a delayed, older heartbeat
    load = d.manager_load("m")
    assert load is not None and load.last_heartbeat == 8
    assert d.tick(18) == []
    assert [type(i) for i in d.tick(18.01)] == [ManagerRemoved]


def test_tick_removes_only_the_silent_managers() -> None:
    d = TaskDispatch(heartbeat_threshold=5)
    d.manager_registered("quiet", 1, 0, None, now=0)
    d.manager_registered("chatty", 1, 0, None, now=0)
    d.heartbeat("chatty", 4)
    removed = [i.manager_id for i in d.tick(6) if isinstance(i, ManagerRemoved)]
    assert removed == ["quiet"]
    assert [m.manager_id for m in d.manager_loads()] == ["chatty"]


def test_heartbeats_from_unregistered_managers_are_rejected_and_counted() -> None:
    d = dispatch_with(("m", 1, 0))
    d.manager_lost("m")
    assert d.heartbeat("m", 1) == [
        RejectManager("m", "heartbeat from a manager that is not registered")
    ]
    assert d.heartbeat("stranger", 1)[0].manager_id == "stranger"  # type: ignore[union-attr]
    assert d.counters.ignored_heartbeats == 2


# ------------------------------------------------------------- registrations


def test_a_manager_id_can_register_only_once() -> None:
    d = dispatch_with(("m", 1, 0))
    out = d.manager_registered("m", 4, 0, None, now=1)
    assert out == [RejectManager("m", "manager id 'm' was already registered")]
    load = d.manager_load("m")
    assert load is not None and load.worker_count == 1
    d.manager_lost("m")
    assert isinstance(d.manager_registered("m", 1, 0, None, now=2)[0], RejectManager)
    assert d.counters.rejected_registrations == 2


# --------------------------------------------------------------------- blocks


def test_cancelling_a_block_loses_its_managers_and_refuses_late_ones() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    d.manager_registered("a1", 1, 0, "A", now=0)
    d.manager_registered("b1", 1, 0, "B", now=0)
    d.manager_registered("a2", 1, 0, "A", now=0)
    for t in range(3):
        d.task_submitted(t)
    assert d.block_loads() == {"A": 2, "B": 1}
    out = d.block_cancelled("A")
    removed = [i.manager_id for i in out if isinstance(i, ManagerRemoved)]
    assert removed == ["a1", "a2"]
    assert sorted(failed(out)) == [0, 2]
    assert all("block 'A' was cancelled" in i.reason for i in out if isinstance(i, ManagerRemoved))
    assert d.block_loads() == {"B": 1}
    assert d.manager_registered("a3", 1, 0, "A", now=1) == [
        RejectManager("a3", "block 'A' was cancelled")
    ]
    assert d.block_cancelled("never-started") == []


def test_block_loads_show_idle_blocks_and_skip_managers_without_a_block() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    d.manager_registered("a", 1, 0, "A", now=0)
    d.manager_registered("b", 1, 0, "B", now=0)
    d.manager_registered("x", 1, 0, None, now=0)
    d.task_submitted(1)
    assert d.block_loads() == {"A": 1, "B": 0}


# -------------------------------------------------------------------- queries


def test_manager_load_snapshot_fields() -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    d.manager_registered("m", 3, 1, "blk", now=7.5)
    d.task_submitted(9)
    load = d.manager_load("m")
    assert load is not None
    assert (load.manager_id, load.block_id, load.worker_count, load.prefetch_capacity) == (
        "m",
        "blk",
        3,
        1,
    )
    assert (load.task_ids, load.draining, load.last_heartbeat) == (frozenset({9}), False, 7.5)
    assert (load.capacity, load.outstanding) == (4, 1)
    assert d.manager_load("nobody") is None
    assert d.free_capacity() == 3


def test_the_free_heap_stays_bounded_with_an_empty_queue() -> None:
    d = dispatch_with(*[(f"m{i}", 4, 0) for i in range(5)])
    for task_id in range(5_000):
        ((manager_id, _),) = sends(d.task_submitted(task_id))
        assert d.result_received(manager_id, task_id) == []
        assert len(d._slots._heap) <= 2 * 5 + 64 + 1
    assert d.outstanding_task_count() == 0


def test_many_tasks_over_many_managers_are_all_placed() -> None:
    d = dispatch_with(*[(f"m{i}", 8, 2) for i in range(200)])
    out = [i for t in range(5_000) for i in d.task_submitted(t, priority=t % 7)]
    assert len(sends(out)) == 2_000
    assert d.queue_length() == 3_000
    assert all(load.outstanding == 10 for load in d.manager_loads())


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("threshold", [0, -1, float("nan"), float("inf"), "30", True, None])
def test_heartbeat_threshold_must_be_a_positive_number(threshold: Any) -> None:
    with pytest.raises(InvalidDispatchEvent, match="heartbeat_threshold"):
        TaskDispatch(heartbeat_threshold=threshold)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("", 1, 0, None), {"now": 0}, "manager_id must be a non-empty str"),
        ((b"m", 1, 0, None), {"now": 0}, "manager_id must be a non-empty str"),
        (("m", -1, 0, None), {"now": 0}, "worker_count must be an int >= 0"),
        (("m", True, 0, None), {"now": 0}, "worker_count must be an int >= 0"),
        (("m", 1, 0.5, None), {"now": 0}, "prefetch_capacity must be an int >= 0"),
        (("m", 1, 0, 7), {"now": 0}, "block_id must be str or None"),
        (("m", 1, 0, None), {"now": float("nan")}, "now must be a finite number"),
        (("m", 1, 0, None), {"now": "0"}, "now must be a finite number"),
    ],
)
def test_bad_registration_arguments_raise(args: Any, kwargs: Any, match: str) -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    with pytest.raises(InvalidDispatchEvent, match=match):
        d.manager_registered(*args, **kwargs)
    assert d.manager_loads() == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"task_id": "1"}, "task_id must be int"),
        ({"task_id": True}, "task_id must be int"),
        ({"task_id": 1, "priority": float("nan")}, "priority must be a finite number"),
        ({"task_id": 1, "priority": "high"}, "priority must be a finite number"),
        ({"task_id": 1, "resource_spec": [("a", 1)]}, "resource_spec must be a mapping"),
        ({"task_id": 1, "resource_spec": {1: "a"}}, "resource_spec must be a mapping"),
    ],
)
def test_bad_submissions_raise_and_queue_nothing(kwargs: Any, match: str) -> None:
    d = TaskDispatch(heartbeat_threshold=10)
    with pytest.raises(InvalidDispatchEvent, match=match):
        d.task_submitted(**kwargs)
    assert d.queue_length() == 0


def test_other_bad_event_arguments_raise() -> None:
    d = dispatch_with(("m", 1, 0))
    with pytest.raises(InvalidDispatchEvent, match="task_id must be int"):
        d.result_received("m", "1")  # type: ignore[arg-type]
    with pytest.raises(InvalidDispatchEvent, match="task_id must be int"):
        d.worker_lost("m", None, "x")  # type: ignore[arg-type]
    with pytest.raises(InvalidDispatchEvent, match="now must be a finite number"):
        d.heartbeat("m", float("inf"))
    with pytest.raises(InvalidDispatchEvent, match="now must be a finite number"):
        d.tick(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidDispatchEvent, match="block_id must be str"):
        d.block_cancelled(3)  # type: ignore[arg-type]
