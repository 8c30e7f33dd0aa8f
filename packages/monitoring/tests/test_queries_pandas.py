"""Parsl's query helpers (``parsl.monitoring.queries.pandas``) over a database a real workflow wrote."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine

from parsl.dataflow.states import States
from parsl.monitoring.hub import MonitoringHub
from parsl.monitoring.queries import pandas as mq
from parsl.monitoring.sink import TaskTransition
from parsl.monitoring.types import MessageType

S = States
T0 = 1_700_000_000.0


@pytest.fixture
def recorded(
    started_hub: MonitoringHub, transition: Callable[..., TaskTransition], run_id: str
) -> str:
    """A database with 3 ``add`` tasks and 1 ``mul`` task, resources, a node; its URL."""
    hub = started_hub
    for tid, func in enumerate(["add", "add", "add", "mul"]):
        for k, st in enumerate([S.pending, S.launched, S.exec_done]):
            hub.task_transition(transition(tid, st, timestamp=T0 + tid + k / 10, func_name=func))
        hub.send(
            (
                MessageType.TASK_INFO,
                {
                    "task_id": tid,
                    "try_id": 0,
                    "task_status_name": "running",
                    "timestamp": T0 + tid + 0.15,
                },
            )
        )
    for k in range(2):
        hub.send(
            (
                MessageType.RESOURCE_INFO,
                {"task_id": 1, "try_id": 0, "timestamp": T0 + k, "psutil_process_pid": 7},
            )
        )
    hub.send(
        (
            MessageType.RESOURCE_INFO,
            {"task_id": 3, "try_id": 0, "timestamp": T0, "psutil_process_pid": 8},
        )
    )
    hub.send(
        (
            MessageType.NODE_INFO,
            {
                "hostname": "n1",
                "uid": "m1",
                "block_id": "0",
                "cpu_count": 2,
                "total_memory": 1e9,
                "active": True,
                "worker_count": 2,
                "python_v": "3.11",
                "timestamp": T0,
                "last_heartbeat": T0,
            },
        )
    )
    hub.close()
    assert hub.db_url is not None and hub.writer_error is None
    return hub.db_url.render_as_string(hide_password=False)


def test_every_helper_answers_its_question(recorded: str, run_id: str) -> None:
    counts = mq.app_counts_for_workflow(run_id, recorded)
    assert dict(zip(counts["task_func_name"], counts["frequency"], strict=True)) == {
        "add": 3,
        "mul": 1,
    }

    tasks = mq.tasks_for_workflow(run_id, recorded)
    assert sorted(tasks["task_id"]) == [0, 1, 2, 3]
    assert {"task_depends", "task_hashsum", "task_time_invoked"} <= set(tasks.columns)

    done = mq.completion_times_for_workflow(run_id, recorded)
    assert list(done.columns) == ["task_id", "task_func_name", "task_time_returned"]
    assert done["task_time_returned"].notna().all()
    assert pd.api.types.is_datetime64_any_dtype(done["task_time_returned"])  # also on SQLite

    status = mq.status_for_workflow(run_id, recorded)
    assert list(status.columns) == ["run_id", "task_id", "task_status_name", "timestamp"]
    assert len(status) == 4 * 4  # pending, launched, running (worker), exec_done
    assert (status["task_status_name"] == "running").sum() == 4

    tries = mq.tries_for_workflow(run_id, recorded)
    assert list(tries.columns) == [
        "task_id",
        "task_func_name",
        "task_time_returned",
        "task_try_time_running",
        "task_try_time_returned",
    ]
    assert len(tries) == 4 and tries["task_try_time_running"].notna().all()
    ran = tries["task_try_time_returned"] - tries["task_try_time_running"]
    assert (ran >= pd.Timedelta(0)).all()  # times subtract: they are datetimes, not text

    assert len(mq.resources_for_workflow(run_id, recorded)) == 3
    one = mq.resources_for_task(run_id, 1, recorded)
    assert list(one["psutil_process_pid"]) == [7, 7]
    assert len(mq.resources_for_task(run_id, "3", recorded)) == 1  # Parsl passed ids as text

    nodes = mq.nodes_for_workflow(run_id, recorded)
    assert list(nodes["hostname"]) == ["n1"]


def test_other_kinds_of_connection_and_unknown_runs(recorded: str, run_id: str) -> None:
    engine = create_engine(recorded)
    try:
        assert len(mq.tasks_for_workflow(run_id, engine)) == 4
        with engine.connect() as conn:
            assert len(mq.tasks_for_workflow(run_id, conn)) == 4
        assert mq.tasks_for_workflow("no-such-run", engine).empty
    finally:
        engine.dispose()
    if recorded.startswith("sqlite"):
        conn3 = sqlite3.connect(recorded.split(":///", 1)[1])
        try:
            counts = mq.app_counts_for_workflow(run_id, conn3)
            assert isinstance(counts, pd.DataFrame) and len(counts) == 2
        finally:
            conn3.close()


def test_a_run_id_is_a_value_never_sql(recorded: str, run_id: str) -> None:
    hostile = f"{run_id}' OR '1'='1"
    assert mq.tasks_for_workflow(hostile, recorded).empty
    assert len(mq.tasks_for_workflow(run_id, recorded)) == 4  # and the table is still there


def test_what_is_not_a_database_is_a_clear_type_error(run_id: str) -> None:
    with pytest.raises(TypeError, match="is not a database"):
        mq.tasks_for_workflow(run_id, 42)


def test_without_pandas_the_import_error_names_the_extra(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["pandas"] = None  # as if pandas were not installed
        try:
            import parsl.monitoring.queries.pandas
        except ImportError as e:
            print(e)
        else:
            print("imported")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "pip install 'parsl-monitoring[pandas]'" in out.stdout
