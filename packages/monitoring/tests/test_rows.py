"""RowBatch, the pure part of the writer: events in, rows out, no database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from parsl.dataflow.states import States
from parsl.monitoring.db.rows import (
    RESOURCE_COLUMNS,
    TASK_COLUMNS,
    TRY_COLUMNS,
    RowBatch,
    sqlite_when,
    when,
)
from parsl.monitoring.radios.wire import decode_values, encode_batch
from parsl.monitoring.sink import TaskTransition
from parsl.monitoring.types import MessageType

S = States
T0 = 1_700_000_000.25


def test_times_are_stamped_for_the_driver() -> None:
    assert when(T0) == datetime.fromtimestamp(T0)
    text = sqlite_when(T0)
    assert text == datetime.fromtimestamp(T0).strftime("%Y-%m-%d %H:%M:%S.%f")
    assert sqlite_when(float(int(T0))).endswith(".000000")  # always microseconds: sorts as text


def test_sqlite_stamps_match_datetime_including_rounding_edges() -> None:
    # sqlite_when formats each second once and adds the microseconds itself: it must give
    # fromtimestamp's text for every value, also where the microseconds round (half to even)
    # up into the next second, and before 1970.
    whole = 1_700_000_000
    cases = [whole + k / 1e6 + d for k in range(0, 1_000_001, 9973) for d in (0.0, 5e-7, -5e-7)]
    cases += [whole + 0.9999995, whole + 0.9999994, whole + 0.5000005, 0.0, 1e-7, -1.25, -0.0000004]
    cases += [whole + i * 86_400.123457 for i in range(-400, 400)]  # other days, DST changes
    for t in cases:
        assert sqlite_when(t) == datetime.fromtimestamp(t).isoformat(" ", "microseconds"), t


def test_sqlite_stamps_of_every_microsecond_digit_pattern() -> None:
    # The microseconds are written as two groups of three digits: values at each group's
    # edges (leading zeros, carries between the groups) and next to a second boundary.
    whole = 1_700_000_000
    for us in (0, 1, 9, 10, 99, 100, 999, 1_000, 1_001, 9_999, 10_000, 99_999, 100_000,
               123_456, 499_999, 500_000, 999_000, 999_001, 999_998, 999_999):  # fmt: skip
        for t in (whole + us / 1e6, whole - 1 + us / 1e6, whole + 59 + us / 1e6):
            assert sqlite_when(t) == datetime.fromtimestamp(t).isoformat(" ", "microseconds"), t


def test_one_task_row_per_batch_with_sticky_values(
    transition: Callable[..., TaskTransition],
) -> None:
    batch = RowBatch("run-0001", stamp=lambda t: t)
    batch.add_transition(transition(1, S.pending, timestamp=T0, executor=None, time_invoked=T0))
    batch.add_transition(transition(1, S.launched, timestamp=T0 + 1, hashsum="h1"))
    batch.add_transition(transition(1, S.failed, timestamp=T0 + 2, fail_reason="E: x"))
    batch.add_transition(transition(1, S.running, timestamp=T0 + 3, executor=None))  # stray
    [values] = batch.tasks
    row = dict(zip(TASK_COLUMNS, values, strict=True))
    assert row["task_status_name"] == "failed"  # the final state sticks
    assert row["task_time_invoked"] == T0
    assert row["task_time_returned"] == T0 + 2
    assert (row["task_executor"], row["task_hashsum"], row["task_fail_reason"]) == (
        "threads",
        "h1",
        "E: x",
    )
    assert len(batch.status) == 4 and batch.events == 4


def test_no_try_row_for_a_task_that_never_launched(
    transition: Callable[..., TaskTransition],
) -> None:
    batch = RowBatch("run-0001")
    batch.add_transition(transition(2, S.pending, timestamp=T0))
    batch.add_transition(transition(2, S.dep_fail, timestamp=T0 + 1))
    batch.add_transition(transition(3, S.memo_done, timestamp=T0))
    assert batch.tries == {}
    assert {dict(zip(TASK_COLUMNS, r, strict=True))["task_status_name"] for r in batch.tasks} == {
        "dep_fail",
        "memo_done",
    }


def test_worker_messages_fill_the_try_and_keep_known_values(
    transition: Callable[..., TaskTransition],
) -> None:
    batch = RowBatch("run-0001", stamp=lambda t: t)
    batch.add_transition(transition(4, S.launched, timestamp=T0, executor="htex"))
    body = {"task_id": 4, "try_id": 0, "task_status_name": "running", "timestamp": T0 + 1}
    batch.add_message((MessageType.TASK_INFO, {**body, "hostname": "n1", "block_id": 7}))
    batch.add_message((MessageType.TASK_INFO, {**body, "task_status_name": "running_ended"}))
    [attempt] = [dict(zip(TRY_COLUMNS, row, strict=True)) for row in batch.try_rows]
    assert attempt["run_id"] == "run-0001"  # the batch's run, as the body had none
    assert attempt["task_executor"] == "htex"  # an unknown executor never replaces a known one
    assert (attempt["hostname"], attempt["block_id"]) == ("n1", "7")
    assert attempt["task_try_time_running"] == T0 + 1
    assert attempt["task_try_time_launched"] == T0


def test_message_values_are_coerced_to_the_column_types() -> None:
    batch = RowBatch("run-0001", stamp=lambda t: t)
    batch.add_message(
        (
            MessageType.RESOURCE_INFO,
            {
                "task_id": "5",
                "try_id": 0,
                "timestamp": datetime.fromtimestamp(T0),
                "psutil_cpu_num": 3,
                "psutil_process_disk_read": 10,
                "not_a_column": "ignored",
            },
        )
    )
    [values] = batch.resources
    row = dict(zip(RESOURCE_COLUMNS, values, strict=True))
    assert row["task_id"] == 5
    assert row["timestamp"] == T0
    assert row["psutil_cpu_num"] == "3"
    assert row["psutil_process_disk_read"] == 10.0
    assert "not_a_column" not in row
    assert batch.rejected == []


def test_malformed_messages_are_listed_not_raised() -> None:
    batch = RowBatch("run-0001")
    batch.add_message("not a pair")
    batch.add_message(("TASK_INFO", {}))
    batch.add_message((MessageType.BLOCK_INFO, {"block_id": "1"}))
    batch.add_message((MessageType.RESOURCE_INFO, {"task_id": 1, "try_id": 0, "timestamp": True}))
    assert len(batch.rejected) == 4
    assert batch.rejected[0].startswith("malformed message")
    assert "BLOCK_INFO" in batch.rejected[2] and "missing" in batch.rejected[2]
    assert "Unix timestamp" in batch.rejected[3]
    assert batch.resources == [] and batch.blocks == []


_SAMPLE = {
    "run_id": "run-0001",
    "task_id": 6,
    "try_id": 1,
    "timestamp": T0 + 0.5,
    "resource_monitoring_interval": 1.0,
    "hostname": "node7",
    "psutil_process_pid": 4242,
    "psutil_cpu_num": 1,
    "psutil_process_status": "running",
    "psutil_process_num_threads": 2,
    "psutil_process_num_ctx_switches_voluntary": 11,
    "psutil_process_num_ctx_switches_involuntary": 3,
    "psutil_process_time_user": 0.25,
    "psutil_process_time_system": 0.125,
    "psutil_process_memory_virtual": 400_000_000,
    "psutil_process_memory_resident": 50_000_000,
    "psutil_process_memory_percent": 0.5,
    "psutil_process_cpu_percent": 97.5,
    "psutil_process_disk_read": 0,
    "psutil_process_disk_write": 4096,
    "psutil_process_children_count": 0,
}


def _both_ways(messages: list[tuple[MessageType, dict[str, object]]]) -> tuple[RowBatch, RowBatch]:
    """The same messages into one batch as dicts (add_message), into another as they travel."""
    by_dict, by_values = RowBatch("run-0001", stamp=sqlite_when), RowBatch("run-0001", sqlite_when)
    for m in messages:
        by_dict.add_message(m)
    for kind, body in decode_values(encode_batch(messages)):
        if isinstance(body, list):
            by_values.add_values(kind, body)
        else:
            by_values.add_message((kind, body))
    return by_dict, by_values


def _rows(batch: RowBatch) -> tuple[object, ...]:
    return (batch.status, batch.try_rows, batch.resources, batch.nodes, batch.blocks, batch.events)


def test_positional_worker_messages_make_the_same_rows_as_dicts() -> None:
    info = {"run_id": "run-0001", "task_id": 6, "try_id": 1, "timestamp": T0, "hostname": "node7"}
    messages: list[tuple[MessageType, dict[str, object]]] = [
        (MessageType.TASK_INFO, {**info, "task_status_name": "running", "block_id": "0"}),
        (MessageType.RESOURCE_INFO, _SAMPLE),  # ints in Float columns, an int in a Text one
        (MessageType.RESOURCE_INFO, {**_SAMPLE, "psutil_cpu_num": None, "task_id": 7}),  # a null
        (MessageType.RESOURCE_INFO, {**_SAMPLE, "psutil_process_cpu_percent": 12}),
        (
            MessageType.TASK_INFO,
            {**info, "task_status_name": "running_ended", "executor_label": "htex"},
        ),
        (
            MessageType.BLOCK_INFO,
            {
                "run_id": "run-0001",
                "block_id": "0",
                "status": "RUNNING",
                "executor_label": "htex",
                "timestamp": T0,
            },
        ),
    ]
    by_dict, by_values = _both_ways(messages)
    assert type(json.loads(encode_batch(messages))["messages"][1][1]) is list  # it was positional
    assert _rows(by_values) == _rows(by_dict)
    assert len(by_values.resources) == 3 and by_values.rejected == by_dict.rejected == []
    row = dict(zip(RESOURCE_COLUMNS, by_values.resources[0], strict=True))
    assert (row["psutil_cpu_num"], row["psutil_process_memory_virtual"]) == ("1", 400_000_000.0)
    assert row["timestamp"] == sqlite_when(T0 + 0.5)


def test_positional_messages_with_bad_values_are_refused_like_dicts() -> None:
    info = {"run_id": "run-0001", "try_id": 0, "timestamp": T0, "task_status_name": "running"}
    messages: list[tuple[MessageType, dict[str, object]]] = [
        (MessageType.TASK_INFO, {**info, "task_id": "seven"}),  # not an int
        (MessageType.TASK_INFO, {**info, "task_id": 1, "timestamp": "noon"}),  # not a time
        (MessageType.RESOURCE_INFO, {**_SAMPLE, "psutil_process_pid": "x"}),  # not an int
        (MessageType.RESOURCE_INFO, {**_SAMPLE, "timestamp": True}),  # not a time
        (MessageType.TASK_INFO, {**info, "task_id": 2}),  # the good one is kept
    ]
    by_dict, by_values = _both_ways(messages)
    assert len(by_values.rejected) == len(by_dict.rejected) == 4
    assert [r.split(":")[0] for r in by_values.rejected] == [
        r.split(":")[0] for r in by_dict.rejected
    ]
    assert "Unix timestamp" in by_values.rejected[1] and "Unix timestamp" in by_values.rejected[3]
    assert _rows(by_values) == _rows(by_dict)
    assert [s[0] for s in by_values.status] == [2]


def test_positional_task_info_values_of_other_types_convert_like_dicts() -> None:
    # _status_info tests the usual types inline and converts the others as before: string
    # ids, an int timestamp, a number as the state name or run id, a bool as a try id.
    messages: list[tuple[MessageType, dict[str, object]]] = [
        (
            MessageType.TASK_INFO,
            {
                "run_id": "run-0001",
                "task_id": "8",
                "try_id": "2",
                "task_status_name": "running",
                "timestamp": int(T0),
                "hostname": 5,
            },
        ),
        (
            MessageType.TASK_INFO,
            {
                "run_id": 1234,
                "task_id": 9,
                "try_id": True,
                "task_status_name": 7,
                "timestamp": T0,
                "block_id": 3,
                "executor_label": 1,
            },
        ),
        (
            MessageType.TASK_INFO,
            {
                "run_id": "run-0001",
                "task_id": 10,
                "try_id": 0,
                "task_status_name": "running",
                "timestamp": False,
            },
        ),
    ]
    by_dict, by_values = _both_ways(messages)
    assert _rows(by_values) == _rows(by_dict)
    assert by_values.status[:2] == [
        (8, "running", sqlite_when(float(int(T0))), "run-0001", 2),
        (9, "7", sqlite_when(T0), "1234", 1),
    ]
    assert len(by_values.rejected) == len(by_dict.rejected) == 1  # a bool is not a time
