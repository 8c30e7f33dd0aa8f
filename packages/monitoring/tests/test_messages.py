"""Messages from executors and workers (``MonitoringHub.send``) become rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from parsl.dataflow.states import States
from parsl.monitoring.hub import MonitoringHub, query
from parsl.monitoring.hub.errors import MonitoringEventError
from parsl.monitoring.radios.wire import encode_batch
from parsl.monitoring.sink import TaskTransition
from parsl.monitoring.types import MessageType

S = States
at = datetime.fromtimestamp
T0 = 1_700_000_000.0


def task_info(
    task_id: int, name: str, stamp: float, **extra: Any
) -> tuple[MessageType, dict[str, Any]]:
    body = {"task_id": task_id, "try_id": 0, "task_status_name": name, "timestamp": stamp}
    body.update(extra)
    return (MessageType.TASK_INFO, body)


def resource(task_id: int, stamp: float, **extra: Any) -> tuple[MessageType, dict[str, Any]]:
    body: dict[str, Any] = {
        "task_id": task_id,
        "try_id": 0,
        "timestamp": stamp,
        "resource_monitoring_interval": 1.0,
        "hostname": "node7",
        "psutil_process_pid": 4242,
        "psutil_process_cpu_percent": 97.5,
        "psutil_process_memory_percent": 1.5,
        "psutil_process_children_count": 0,
        "psutil_process_time_user": 0.75,
        "psutil_process_time_system": 0.25,
        "psutil_process_memory_virtual": 1e9,
        "psutil_process_memory_resident": 5e7,
        "psutil_process_disk_read": 4096,
        "psutil_process_disk_write": 0,
        "psutil_process_status": "running",
        "psutil_process_num_threads": 3,
        "psutil_cpu_num": 1,  # an int: stored as text, as the column is
        "psutil_process_num_ctx_switches_voluntary": 10,
        "psutil_process_num_ctx_switches_involuntary": 2,
    }
    body.update(extra)
    return (MessageType.RESOURCE_INFO, body)


def node(uid: str, stamp: float) -> tuple[MessageType, dict[str, Any]]:
    return (
        MessageType.NODE_INFO,
        {
            "hostname": "node7",
            "uid": uid,
            "block_id": "0",
            "cpu_count": 16,
            "total_memory": 64e9,
            "active": True,
            "worker_count": 2,
            "python_v": "3.11.7",
            "timestamp": stamp,
            "last_heartbeat": stamp,
        },
    )


def block(status: str, stamp: float) -> tuple[MessageType, dict[str, Any]]:
    return (
        MessageType.BLOCK_INFO,
        {
            "executor_label": "htex",
            "block_id": "0",
            "job_id": "1234",
            "timestamp": stamp,
            "status": status,
        },
    )


def test_worker_running_messages_add_status_rows_and_fill_the_try(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    hub = started_hub
    hub.task_transition(transition(0, S.pending, timestamp=T0, executor="htex"))
    hub.task_transition(transition(0, S.launched, timestamp=T0 + 1, executor="htex"))
    hub.send(task_info(0, "running", T0 + 2, hostname="node7", block_id="3"))
    hub.send(task_info(0, "running_ended", T0 + 3, hostname="node7", block_id="3"))
    hub.task_transition(transition(0, S.exec_done, timestamp=T0 + 4, executor="htex"))
    hub.close()
    assert hub.db_url is not None and hub.writer_error is None
    names = [r["task_status_name"] for r in query.task_status_history(hub.db_url, run_id, 0)]
    assert names == ["pending", "launched", "running", "running_ended", "exec_done"]
    [attempt] = query.tries(hub.db_url, run_id)
    assert (attempt["hostname"], attempt["block_id"]) == ("node7", "3")
    assert attempt["task_executor"] == "htex"
    assert attempt["task_try_time_launched"] == at(T0 + 1)
    assert attempt["task_try_time_running"] == at(T0 + 2)
    assert attempt["task_try_time_returned"] == at(T0 + 4)
    [task] = query.tasks(hub.db_url, run_id)
    assert task["task_status_name"] == "exec_done"  # worker states never replace the DFK's


def test_a_running_message_before_the_launch_transition_still_gives_one_try_row(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    hub = started_hub
    hub.send(task_info(1, "running", T0 + 2, hostname="n1", executor_label="htex"))
    assert hub.flush()
    hub.task_transition(transition(1, S.launched, timestamp=T0 + 1, executor="htex"))
    hub.task_transition(transition(1, S.exec_done, timestamp=T0 + 3, executor="htex"))
    hub.close()
    assert hub.db_url is not None
    [attempt] = query.tries(hub.db_url, run_id)
    assert attempt["hostname"] == "n1"
    assert attempt["task_try_time_running"] == at(T0 + 2)
    assert attempt["task_try_time_launched"] == at(T0 + 1)


def test_heartbeats_refresh_the_managers_row_instead_of_adding_rows(
    started_hub: MonitoringHub, run_id: str
) -> None:
    """As in Parsl, two rows per manager (registered, gone); heartbeats update the first."""
    hub = started_hub
    kind, registered = node("manager-a", T0)
    hub.send((kind, registered))
    for k, workers in ((5, 3), (10, 4)):  # htex's heartbeats: registration time, a later beat
        hub.send((kind, {**registered, "last_heartbeat": T0 + k, "worker_count": workers}))
    hub.send(
        (kind, {**registered, "active": False, "timestamp": T0 + 12, "last_heartbeat": T0 + 12})
    )
    # A heartbeat whose registration row never arrived is kept as a row of its own.
    hub.send((kind, {**node("manager-b", T0 + 1)[1], "last_heartbeat": T0 + 6}))
    hub.close()
    db = hub.db_url
    assert db is not None and hub.writer_error is None
    nodes = sorted(query.table_rows(db, "node", run_id), key=lambda n: (n["uid"], n["timestamp"]))
    assert [
        (n["uid"], n["active"], n["timestamp"], n["last_heartbeat"], n["worker_count"])
        for n in nodes
    ] == [
        ("manager-a", True, at(T0), at(T0 + 10), 4),
        ("manager-a", False, at(T0 + 12), at(T0 + 12), 2),
        ("manager-b", True, at(T0 + 1), at(T0 + 6), 2),
    ]


def test_resource_node_and_block_messages_become_rows(
    started_hub: MonitoringHub, run_id: str
) -> None:
    hub = started_hub
    for k in range(3):
        hub.send(resource(5, T0 + k))
    hub.send(node("manager-a", T0))
    hub.send(node("manager-a", T0 + 5))  # a later heartbeat: a second row, as in Parsl
    for k, state in enumerate(["PENDING", "RUNNING", "COMPLETED"]):
        hub.send(block(state, T0 + k))
    hub.close()
    db = hub.db_url
    assert db is not None and hub.writer_error is None
    rows = sorted(query.table_rows(db, "resource", run_id), key=lambda r: r["timestamp"])
    assert [r["timestamp"] for r in rows] == [at(T0 + k) for k in range(3)]
    first = rows[0]
    assert first["psutil_process_pid"] == 4242
    assert first["psutil_process_cpu_percent"] == 97.5
    assert first["psutil_process_memory_resident"] == 5e7
    assert first["psutil_process_disk_read"] == 4096.0
    assert first["psutil_process_num_threads"] == 3
    assert first["psutil_cpu_num"] == "1"
    assert first["hostname"] == "node7"
    nodes = query.table_rows(db, "node", run_id)
    assert [n["last_heartbeat"] for n in nodes] == [at(T0), at(T0 + 5)]
    assert {(n["uid"], n["cpu_count"], n["worker_count"], n["active"]) for n in nodes} == {
        ("manager-a", 16, 2, True)
    }
    blocks = sorted(query.table_rows(db, "block", run_id), key=lambda r: r["timestamp"])
    assert [(b["status"], b["job_id"], b["executor_label"]) for b in blocks] == [
        ("PENDING", "1234", "htex"),
        ("RUNNING", "1234", "htex"),
        ("COMPLETED", "1234", "htex"),
    ]


def test_duplicate_messages_are_stored_once_and_the_writer_carries_on(
    started_hub: MonitoringHub, run_id: str
) -> None:
    hub = started_hub
    for _ in range(2):  # twice in one batch ...
        hub.send(resource(6, T0))
        hub.send(block("RUNNING", T0))
        hub.send(task_info(6, "running", T0))
    assert hub.flush()
    hub.send(resource(6, T0))  # ... and again in a later one
    hub.send(block("RUNNING", T0))
    hub.send(task_info(6, "running", T0))
    hub.send(resource(6, T0 + 1))
    hub.close()
    db = hub.db_url
    assert db is not None and hub.writer_error is None
    assert len(query.table_rows(db, "resource", run_id)) == 2
    assert len(query.table_rows(db, "block", run_id)) == 1
    assert len(query.table_rows(db, "status", run_id)) == 1


def test_malformed_messages_are_skipped_with_a_warning_and_the_rest_is_written(
    started_hub: MonitoringHub, run_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    hub = started_hub
    with caplog.at_level(logging.WARNING, logger="parsl.monitoring"):
        hub.send((MessageType.RESOURCE_INFO, {"task_id": 1, "try_id": 0}))  # no timestamp
        hub.send((MessageType.NODE_INFO, {"hostname": "x"}))
        hub.send((MessageType.BLOCK_INFO, {**block("RUNNING", T0)[1], "timestamp": "soon"}))
        hub.send((MessageType.TASK_INFO, {"task_id": "one", "try_id": 0}))
        hub.send((MessageType.WORKFLOW_INFO, {"anything": 1}))  # carried by start/workflow_end
        hub.send(block("RUNNING", T0))
        hub.close()
    assert hub.db_url is not None and hub.writer_error is None
    refused = [r.getMessage() for r in caplog.records if "refused an event" in r.getMessage()]
    assert len(refused) == 4
    assert any("RESOURCE_INFO" in m and "timestamp" in m for m in refused)
    assert any("NODE_INFO" in m and "missing" in m for m in refused)
    assert len(query.table_rows(hub.db_url, "block", run_id)) == 1
    assert hub._writer is not None and hub._writer.events_rejected == 4


def test_a_message_of_another_run_is_refused_alone_on_postgresql(
    make_hub: Callable[..., MonitoringHub],
    pg_url: str,
    run_dir: str,
    run_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PostgreSQL enforces the run_id foreign key: only the orphan row is lost."""
    hub = make_hub(logging_endpoint=pg_url)
    hub.start(run_id, run_dir)
    with caplog.at_level(logging.WARNING, logger="parsl.monitoring"):
        hub.send(block("PENDING", T0))
        hub.send((MessageType.BLOCK_INFO, {**block("RUNNING", T0)[1], "run_id": "no-such-run"}))
        hub.send(block("RUNNING", T0 + 1))
        hub.close()
    assert hub.writer_error is None
    assert [r["status"] for r in query.table_rows(pg_url, "block", run_id)] == [
        "PENDING",
        "RUNNING",
    ]
    assert any("no-such-run" in r.getMessage() for r in caplog.records)


@pytest.mark.timeout(60)
def test_send_only_queues(started_hub: MonitoringHub) -> None:
    messages = [resource(k, T0 + k) for k in range(20_000)]
    begin = time.perf_counter()
    for m in messages:
        started_hub.send(m)
    per_call = (time.perf_counter() - begin) / len(messages)
    assert per_call < 50e-6  # a queue put, not a database write
    assert started_hub.flush(timeout=50)


def test_an_encoded_batch_from_an_executor_becomes_rows_decoded_by_the_writer(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> None:
    """htex hands a worker's batch over as it arrived (send_encoded): same rows as hub.send."""
    hub = started_hub
    hub.task_transition(transition(8, S.launched, timestamp=T0 + 1, executor="htex"))
    messages = [
        task_info(8, "running", T0 + 2, hostname="node7", run_id=run_id),
        (MessageType.RESOURCE_INFO, {**resource(8, T0 + 3)[1], "run_id": run_id}),
        task_info(8, "running_ended", T0 + 4, hostname="node7", run_id=run_id),
    ]
    hub.send_encoded(encode_batch(messages))
    hub.task_transition(transition(8, S.exec_done, timestamp=T0 + 5, executor="htex"))
    hub.close()
    assert hub.db_url is not None and hub.writer_error is None
    names = [r["task_status_name"] for r in query.task_status_history(hub.db_url, run_id, 8)]
    assert names == ["launched", "running", "running_ended", "exec_done"]
    [row] = query.table_rows(hub.db_url, "resource", run_id)
    assert (row["task_id"], row["psutil_process_pid"]) == (8, 4242)
    [attempt] = query.tries(hub.db_url, run_id)
    assert attempt["task_try_time_running"] == at(T0 + 2)


def test_a_garbage_encoded_batch_is_skipped_with_a_warning_and_the_rest_is_written(
    started_hub: MonitoringHub, run_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    hub = started_hub
    with caplog.at_level(logging.WARNING, logger="parsl.monitoring"):
        hub.send_encoded(b"not a batch")
        good = (MessageType.BLOCK_INFO, {**block("RUNNING", T0)[1], "run_id": run_id})
        hub.send_encoded(encode_batch([good])[:-3])  # truncated
        hub.send(block("RUNNING", T0))
        hub.close()
    assert hub.db_url is not None and hub.writer_error is None
    refused = [r.getMessage() for r in caplog.records if "refused an event" in r.getMessage()]
    assert len(refused) == 2 and all("monitoring batch" in m for m in refused)
    assert len(query.table_rows(hub.db_url, "block", run_id)) == 1


@pytest.mark.parametrize("wrong", ["text", bytearray(b"x"), None, 7])
def test_send_encoded_refuses_what_is_not_bytes(started_hub: MonitoringHub, wrong: Any) -> None:
    with pytest.raises(MonitoringEventError, match="bytes of one radio batch"):
        started_hub.send_encoded(wrong)
