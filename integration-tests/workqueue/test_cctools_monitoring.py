"""Work Queue and TaskVine tasks reach the monitoring database: states incl. running, tries, resource rows."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import TaskVineExecutor, WorkQueueExecutor
from parsl.executors.cctools.processes import free_port
from parsl.executors.taskvine import TaskVineFactoryConfig, TaskVineManagerConfig
from parsl.monitoring import MonitoringHub
from parsl.providers import LocalProvider

pytestmark = pytest.mark.timeout(120)


def fails_once(marker: str) -> str:
    if not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write("first try")
        raise RuntimeError("first try fails")
    total = sum(range(2_000_000))  # long enough for a resource sample
    return f"second try {total}"


def workqueue() -> Any:
    return WorkQueueExecutor(
        port=free_port(), address="127.0.0.1", provider=LocalProvider(init_blocks=1, max_blocks=1)
    )


def taskvine() -> Any:
    return TaskVineExecutor(
        manager_config=TaskVineManagerConfig(port=free_port(), address="127.0.0.1"),
        factory_config=TaskVineFactoryConfig(min_workers=1, max_workers=1, cores=1),
    )


@pytest.mark.parametrize("make", [workqueue, taskvine], ids=["workqueue", "taskvine"])
def test_states_tries_and_resources_reach_the_database(tmp_path: Path, make: Any) -> None:
    db = tmp_path / "monitoring.db"
    hub = MonitoringHub(logging_endpoint=f"sqlite:///{db}", resource_monitoring_interval=0.1)
    ex = make()
    config = Config(
        executors=[ex],
        run_dir=str(tmp_path / "runinfo"),
        monitoring=hub,
        retries=1,
        strategy="none",
    )
    app = python_app(fails_once)
    dfk = parsl.load(config)
    try:
        assert app(str(tmp_path / "marker")).result(timeout=90).startswith("second try")
    finally:
        dfk.cleanup()
        parsl.clear()
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        states = [
            (row[0], row[1])
            for row in conn.execute(
                "SELECT try_id, task_status_name FROM status ORDER BY timestamp"
            )
        ]
        tries = conn.execute("SELECT COUNT(*) FROM try").fetchone()[0]
        resources = conn.execute("SELECT COUNT(*) FROM resource").fetchone()[0]
        executors = {r[0] for r in conn.execute("SELECT task_executor FROM try")}
    assert (0, "running") in states and (1, "running") in states, states
    assert (0, "failed") in states or (0, "fail_retryable") in states, states
    assert (1, "running_ended") in states and (1, "exec_done") in states, states
    assert tries == 2
    assert resources >= 1
    assert executors == {ex.label}
